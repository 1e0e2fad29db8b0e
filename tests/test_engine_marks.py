"""Snapshots examine only the ledger rows written since the previous one: no write may be missed.

With ``Ledger.verify_marks`` on, every snapshot also compares each unmarked row with its last
record and raises if it changed, so a write path that forgets to mark its row fails here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from builders import dense, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_properties import scenarios

from sim.engine import ChunkResult, simulate_chunk
from sim.ledger import Ledger
from sim.scenario.model import Scenario


@pytest.fixture
def verified() -> Iterator[None]:
    Ledger.verify_marks = True
    try:
        yield
    finally:
        Ledger.verify_marks = False


def same(a: ChunkResult, b: ChunkResult) -> bool:
    return all(np.array_equal(dense(a, n), dense(b, n)) for n in a.slabs) and all(
        np.array_equal(a.metrics[m], b.metrics[m], equal_nan=True) for m in a.metrics
    )


@pytest.mark.parametrize("deterministic", [False, True])
@pytest.mark.slow
def test_every_write_on_the_reference_scenario_is_marked(
    reference: Scenario, deterministic: bool
) -> None:
    runs = 1 if deterministic else 40
    seed = np.random.SeedSequence(5)
    plain = simulate_chunk(reference, runs, seed, deterministic=deterministic)
    Ledger.verify_marks = True
    try:
        checked = simulate_chunk(reference, runs, seed, deterministic=deterministic)
    finally:
        Ledger.verify_marks = False
    assert same(plain, checked)


@pytest.mark.usefixtures("verified")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32 - 1))
@pytest.mark.slow
def test_every_write_in_random_scenarios_is_marked(s: Scenario, seed: int) -> None:
    run(s, runs=4, seed=seed)
