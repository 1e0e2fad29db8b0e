"""Repair capacity: a queue of repairable items waiting for a slot (awaiting_repair)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.outcomes import Outcomes

HUB = """name: T
start: 2024-01-01
horizon: 52w
items: {gun: {unit: systems}}
holders: {ua: {stock: {gun: 100k}}, hub: {}}
attrition:
  damage: {holder: ua, item: gun, losses: LOSSES, repairable: 100%, repair_time: 14 d,
           repair_to: hub, CAPACITY}
"""


def cell(ds, name: str, holder: str = "hub") -> np.ndarray:
    return ds[name].sel(holder=holder, item="gun").transpose("run", "time").values


def test_a_backlog_grows_at_damage_minus_capacity() -> None:
    """10 repairable losses a week, 4 repairs may start a week, 14 days in work: each weekly
    action queues 10 and starts 4, so the queue holds 6k after week k and 8 are in work."""
    text = HUB.replace("LOSSES", "10/w").replace("CAPACITY", "repair_capacity: 4/w")
    ds = sim.run(sim.load_scenario_text(text), deterministic=True).dataset
    weeks = np.arange(ds.time.size)
    awaiting = cell(ds, "awaiting_repair")[0]
    np.testing.assert_allclose(awaiting, 6.0 * weeks, rtol=1e-12)
    in_repair = cell(ds, "in_repair")[0]
    np.testing.assert_allclose(in_repair[2:], 8.0, rtol=1e-12)
    share = Outcomes(ds).out_of_action("ua", "gun").values[0]
    assert share[-1] > share[10] > 0  # the out-of-action share climbs with the backlog
    at_hub = awaiting[-1] + in_repair[-1] + cell(ds, "stock")[0, -1]  # the hub keeps repairs
    on_hand = cell(ds, "stock", "ua")[0, -1]
    assert share[-1] == pytest.approx(at_hub / (on_hand + at_hub), rel=1e-5)


def test_the_repair_pipeline_balances_in_every_run() -> None:
    """Repairable losses − repaired = awaiting repair + in repair, run by run, at every time."""
    text = HUB.replace("LOSSES", "5 to 15 /w").replace("CAPACITY", "repair_capacity: 6 to 12 /w")
    ds = sim.run(sim.load_scenario_text(text), runs=200, seed=5).dataset
    lost, repaired = cell(ds, "lost", "ua"), cell(ds, "repaired")
    np.testing.assert_allclose(lost - repaired, cell(ds, "awaiting_repair") + cell(ds, "in_repair"),
                               rtol=1e-6, atol=1e-3)  # float32 storage  # fmt: skip


def test_littles_law_with_ample_capacity() -> None:
    """Poisson losses at λ = 10 a week, capacity far above, 14 days in repair: at each weekly
    snapshot the items in repair are the last two weeks' batches, so their mean over runs and
    times is λ × 2 weeks (Little's law: L = λW), within 4 standard errors."""
    text = HUB.replace("LOSSES", "10/w").replace("CAPACITY", "repair_capacity: 1k/w")
    ds = sim.run(sim.load_scenario_text(text), runs=400, seed=7).dataset
    in_system = (cell(ds, "awaiting_repair") + cell(ds, "in_repair"))[:, 3:]
    per_run = in_system.mean(axis=1)
    se = per_run.std(ddof=1) / math.sqrt(len(per_run))
    assert abs(per_run.mean() - 20.0) <= 4 * se
    assert np.all(cell(ds, "awaiting_repair") == 0.0)  # nothing waits


@pytest.mark.parametrize(
    ("capacity", "extra", "says"),
    [
        ("repair_capacity: -1/w", "", "must be >= 0"),
        ("repair_capacity: 4", "", "a rate needs a period"),
        ("repair_capacity: 4/w", "repairable: 0%", "a repair capacity needs repairable losses"),
    ],
)
def test_bad_capacity_is_located(capacity: str, extra: str, says: str) -> None:
    text = HUB.replace("LOSSES", "10/w").replace("CAPACITY", capacity)
    if extra:
        text = text.replace("repairable: 100%", extra)
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario_text(text, "s.yaml")
    assert any(says in str(p) and p.line == 8 for p in caught.value.problems), caught.value
