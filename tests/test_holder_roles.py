"""The summary shows what is meaningful for each holder's role: a stock kept against a target
gets its floor, trough and return dates; a hub or a receiver that starts empty with no target
gets its stock at the end and its flows; a hub with nothing to forward owes nothing, so its
empty weeks are not "unfilled" deliveries."""

from __future__ import annotations

import pytest

import sim

HUB = """
name: Repair hub
start: 2024-01-01
horizon: 1y
items:
  gun: {unit: systems}
holders:
  us: {stock: {gun: 100}}
  ukraine: {}
  hub: {}
donations:
  guns: {from: us, to: ukraine, item: gun, deliveries: {2024-02-01: 60}}
  returns: {from: hub, to: ukraine, item: gun, rate: 2/w}
attrition:
  damage: {holder: ukraine, item: gun, losses: 1/w, repairable: 100%, repair_time: 4 w,
           repair_to: hub}
"""


@pytest.mark.parametrize("keep", ["full", "summary"])
def test_rows_follow_the_holders_role(keep: str) -> None:
    scenario = sim.load_scenario_text(HUB)
    summary = sim.run(scenario, runs=50, seed=1, keep=keep).summary()
    rows = {(r.holder, r.item): set() for r in summary.itertuples()}
    for r in summary.itertuples():
        rows[r.holder, r.item].add(r.metric)
    dated = {"depleted_at", "replenished_at", "trough", "trough_at"}
    assert dated <= rows["us", "gun"]  # a stock kept against its target
    for cell in (("ukraine", "gun"), ("hub", "gun")):  # start empty, no target
        assert not dated & rows[cell], cell
        assert "stock_at_end" in rows[cell]
    assert "unfilled_total" not in rows["ukraine", "gun"]  # the hub's empty weeks
    assert {"repaired_total", "sent_total"} <= rows["hub", "gun"]  # in from repair, out
    assert "received_total" in rows["ukraine", "gun"]


def test_a_donor_with_a_stock_still_reports_unfilled() -> None:
    text = HUB.replace("returns: {from: hub,", "returns: {from: us,").replace("2/w", "20/w")
    summary = sim.run(sim.load_scenario_text(text), runs=20, seed=1).summary()
    ukraine = summary[(summary.holder == "ukraine") & (summary.item == "gun")]
    assert "unfilled_total" in set(ukraine.metric)  # recorded at the receiver
