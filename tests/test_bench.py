"""The benchmark's split of a chunk's time: every kernel is classified, and the timing wrappers
change no result and are removed afterwards (``benchmarks/bench.py``)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from builders import dense

from benchmarks import bench
from sim import kernels
from sim.engine import simulate_chunk
from sim.processes.draws import Draws

#: Kernels called only from other kernels, never from Python (no wrapper can see them).
INNER = {"arm", "above", "short_of"}


def _kernels() -> set[str]:
    kernels.compile_all()
    return {
        name
        for name, value in vars(kernels).items()
        if isinstance(value, numba.core.registry.CPUDispatcher)
    }


def test_every_kernel_is_timed_in_one_part() -> None:
    timed = {*bench.LEDGER_KERNELS, "record", "repair_batches"}
    assert _kernels() - INNER == timed
    assert not INNER & timed


@pytest.mark.slow
def test_timed_parts_change_no_result_and_are_removed() -> None:
    scenario = bench.load_reference()
    before = {name: getattr(kernels, name) for name in _kernels()}
    methods = {name: getattr(Draws, name) for name in bench.DRAW_METHODS}
    child = np.random.SeedSequence(bench.SEED)
    plain = simulate_chunk(scenario, 50, child, precision=bench.PRECISION)
    with bench.timed_parts() as spent:
        timed = simulate_chunk(scenario, 50, child, precision=bench.PRECISION)
        assert kernels.take is not before["take"]  # the wrappers were in place
    assert {name: getattr(kernels, name) for name in _kernels()} == before
    assert {name: getattr(Draws, name) for name in bench.DRAW_METHODS} == methods
    for part, seconds in spent.items():  # the reference scenario enters every part
        assert seconds > 0.0, part
    for name in plain.slabs:
        np.testing.assert_array_equal(dense(timed, name), dense(plain, name))
    assert timed.metrics.keys() == plain.metrics.keys()
    for name, values in plain.metrics.items():
        np.testing.assert_array_equal(timed.metrics[name], values)


@pytest.mark.slow
def test_split_counts_the_slabs_of_the_chunk_it_times() -> None:
    scenario = bench.load_reference()
    parts = bench.split_seconds(scenario, 50)
    plain = bench.chunk_result(scenario, 50, 0)
    assert parts["stored MB"] == sum(s.nbytes for s in plain.slabs.values()) / 1e6
    assert parts["the rest"] > 0.0  # SimPy and the processes' own steps are not wrapped


def test_the_event_loop_is_the_best_few_run_chunk_less_its_draws(monkeypatch) -> None:
    totals = iter([0.5, 0.3, 0.4])
    sizes: list[int] = []

    def split(scenario: object, runs: int) -> dict[str, float]:
        sizes.append(runs)
        return {"total": next(totals), "random draws": 0.05, "storing the series": 0.01}

    monkeypatch.setattr(bench, "split_seconds", split)
    assert bench.event_loop_seconds(bench.load_reference(), repeats=3) == 0.3 - 0.05 - 0.01
    assert sizes == [bench.FEW_RUNS] * 3
