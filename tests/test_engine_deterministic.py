"""Exact deterministic traces and closed forms of the engine (deterministic=True, known numbers)."""

from __future__ import annotations

import numpy as np
import pytest
from builders import (
    at,
    dense,
    give,
    holder,
    lose,
    make,
    metric,
    pledge,
    rate,
    run,
    scenario,
    tranches,
    use,
)

from sim.ledger import Ledger
from sim.processes.clock import ARRIVAL, SNAPSHOT, Clock
from sim.processes.registry import kind


def test_constant_drawdown_depletes_at_stock_over_rate() -> None:
    s = scenario(holder("army", stock={"shell": 1000}), use("fire", "army", "shell", 8), end=200)
    r = run(s, deterministic=True)
    assert metric(r, "depleted_at", "army", "shell")[0] == 125.0
    assert metric(r, "trough", "army", "shell")[0] == 0.0
    assert metric(r, "trough_at", "army", "shell")[0] == 125.0
    stock = at(r, "stock", "army", "shell")[0]
    assert stock[:3].tolist() == [1000.0, 944.0, 888.0]
    assert at(r, "unmet", "army", "shell")[0, -1] == 8 * (r.report_days[-1] - 125)


def test_donation_then_ramp_replenishes_on_the_arithmetic_date() -> None:
    # 600 given away at day 0; a line idle until day 10 ramps 0 -> 4/d by day 138 (256 made),
    # then 4/d: the last 344 take 86 days -> back at the initial 1000 on day 224.
    line = make("line", "shell", "us", {0: 0.0, 10: 0.0, 138: 4.0}, every=1.0)
    gift = tranches("pda", "us", "ua", "shell", {0: 600})
    s = scenario(holder("us", stock={"shell": 1000}), holder("ua"), line, gift, end=400)
    r = run(s, deterministic=True)
    assert metric(r, "replenished_at", "us", "shell")[0] == 224.0
    assert metric(r, "trough", "us", "shell")[0] == 400.0
    assert metric(r, "trough_at", "us", "shell")[0] == 0.0
    assert at(r, "stock", "us", "shell")[0, 0] == 1000.0  # snapshot at 0 is before the tranche
    # with a 10-day slip every milestone after the first moves: day 234
    slipped = make("line", "shell", "us", {0: 0.0, 10: 0.0, 138: 4.0}, every=1.0, slip=10.0)
    s = scenario(holder("us", stock={"shell": 1000}), holder("ua"), slipped, gift, end=400)
    assert metric(run(s, deterministic=True), "replenished_at", "us", "shell")[0] == 234.0


def test_pledge_fulfilled_on_the_arithmetic_date() -> None:
    # 5000 from day 14, at most 100/d (700 a week): 8 weekly actions -> day 14 + 56
    p = pledge("eu", "de", "ua", "shell", 5000, max_rate=100, start_day=14.0)
    s = scenario(holder("de", stock={"shell": 10_000}, floor={"shell": 2000}), holder("ua"), p)
    r = run(s, deterministic=True)
    assert r.pledge_fulfilled_at["eu"].tolist() == [70.0]
    assert r.pledge_total["eu"].tolist() == [5000.0]
    assert at(r, "sent", "de", "shell")[0, -1] == 5000.0
    assert at(r, "unfilled", "ua", "shell")[0, -1] == 0.0  # a pledge carries its shortfall


def test_pledge_limited_by_donor_sees_same_day_production_first() -> None:
    # 2000 above the floor; 100/d made; production acts before donations at equal times:
    # day 7 ships 2700, then 700 a week: 2300 more take 4 weeks -> day 35
    p = pledge("eu", "de", "ua", "shell", 5000)
    line = make("line", "shell", "de", 100.0)
    de = holder("de", stock={"shell": 3000}, floor={"shell": 1000})
    r = run(scenario(de, holder("ua"), line, p), deterministic=True)
    assert r.pledge_fulfilled_at["eu"].tolist() == [35.0]
    assert at(r, "sent", "de", "shell")[0, 1:6].tolist() == [2700.0, 3400.0, 4100.0, 4800.0, 5000.0]
    assert at(r, "stock", "de", "shell")[0, 1:6].tolist() == [1000.0] * 4 + [1500.0]


def test_unfilled_tranche_and_floor_kept() -> None:
    gift = tranches("pda", "us", "ua", "shell", {7: 300, 14: 300})
    us = holder("us", stock={"shell": 1000}, floor={"shell": 500})
    r = run(scenario(us, holder("ua"), gift, end=21), deterministic=True)
    assert at(r, "stock", "us", "shell")[0].tolist() == [1000.0, 700.0, 500.0, 500.0]
    assert at(r, "received", "ua", "shell")[0].tolist() == [0.0, 300.0, 500.0, 500.0]
    assert at(r, "unfilled", "ua", "shell")[0].tolist() == [0.0, 0.0, 100.0, 100.0]
    assert metric(r, "depleted_at", "us", "shell")[0] == 14.0
    # keep_floor false gives below the floor
    gift = tranches("pda", "us", "ua", "shell", {7: 300, 14: 300}, keep_floor=False)
    r = run(scenario(us, holder("ua"), gift, end=21), deterministic=True)
    assert at(r, "stock", "us", "shell")[0, -1] == 400.0


def test_cap_limits_a_rate_donation_and_is_not_unfilled() -> None:
    gift = give("pda", "us", "ua", "shell", 10.0, cap=250)
    r = run(
        scenario(holder("us", stock={"shell": 1000}), holder("ua"), gift, end=56),
        deterministic=True,
    )
    sent = at(r, "sent", "us", "shell")[0]
    assert sent.tolist() == [0.0, 70.0, 140.0, 210.0, 250.0, 250.0, 250.0, 250.0, 250.0]
    assert at(r, "unfilled", "ua", "shell")[0, -1] == 0.0


def test_transit_puts_goods_in_transit_of_receiver() -> None:
    gift = tranches("pda", "us", "ua", "shell", {0: 100, 10: 50}, transit=9.6)
    r = run(
        scenario(holder("us", stock={"shell": 1000}), holder("ua"), gift, end=28),
        deterministic=True,
    )
    # day 0 + 9.6 -> arrives day 10; day 10 + 9.6 -> day 20
    assert at(r, "in_transit", "ua", "shell")[0].tolist() == [0.0, 100.0, 50.0, 0.0, 0.0]
    assert at(r, "received", "ua", "shell")[0].tolist() == [0.0, 0.0, 100.0, 150.0, 150.0]
    assert at(r, "sent", "us", "shell")[0].tolist() == [0.0, 100.0, 150.0, 150.0, 150.0]
    assert at(r, "in_transit", "us", "shell")[0].tolist() == [0.0] * 5


def test_output_limited_by_the_scarcest_input() -> None:
    shells = make("shells", "shell", "us", 10.0, inputs={"charge": 1, "fuze": 0.5}, yield_=0.9)
    charges = make("charges", "charge", "us", 2.0)
    us = holder("us", stock={"charge": 100, "fuze": 1000})
    r = run(scenario(us, shells, charges, end=28), deterministic=True)
    # day 7: 70 made, then 14 charges made (file order) -> 44; after that 14 a week
    made = [0.0, 70.0, 114.0, 128.0, 142.0]
    assert at(r, "used", "us", "charge")[0].tolist() == made
    assert at(r, "used", "us", "fuze")[0].tolist() == [m * 0.5 for m in made]
    assert at(r, "produced", "us", "shell")[0].tolist() == pytest.approx([m * 0.9 for m in made])
    assert at(r, "stock", "us", "charge")[0].tolist() == [100.0, 44.0, 14.0, 14.0, 14.0]


def test_shares_make_from_each_receivers_own_inputs() -> None:
    shells = make("shells", "shell", {"us": 0.75, "pl": 0.25}, 8.0, inputs={"charge": 1})
    us, pl = holder("us", stock={"charge": 1000}), holder("pl", stock={"charge": 4})
    r = run(scenario(us, pl, shells, end=14), deterministic=True)
    assert at(r, "produced", "us", "shell")[0].tolist() == [0.0, 42.0, 84.0]
    assert at(r, "produced", "pl", "shell")[0].tolist() == [0.0, 4.0, 4.0]


def test_proportional_attrition_expected_value_and_repair() -> None:
    fleet = holder("ua", stock={"gun": 1000})
    # lose 10% a week, half repairable, back in 14 days
    hits = lose("hits", "ua", "gun", rate(0.1, 7.0), repairable=0.5, repair_time=14.0)
    r = run(scenario(fleet, hits, end=21), deterministic=True)
    # day 21: stock 810 + 50 back from day 7 (arrivals first) = 860, floor(860) * 0.1 lost
    assert at(r, "lost", "ua", "gun")[0].tolist() == pytest.approx([0.0, 100.0, 190.0, 276.0])
    assert at(r, "in_repair", "ua", "gun")[0].tolist() == pytest.approx([0.0, 50.0, 95.0, 88.0])
    assert at(r, "repaired", "ua", "gun")[0].tolist() == pytest.approx([0.0, 0.0, 0.0, 50.0])
    assert at(r, "stock", "ua", "gun")[0, -1] == pytest.approx(860.0 - 86.0)


def test_count_losses_capped_at_stock() -> None:
    s = scenario(holder("ua", stock={"gun": 5}), lose("hits", "ua", "gun", 1.0, count=True))
    r = run(s, deterministic=True)
    assert at(r, "lost", "ua", "gun")[0, -1] == 5.0
    assert at(r, "stock", "ua", "gun")[0].min() == 0.0


def test_event_order_at_equal_times(monkeypatch: pytest.MonkeyPatch) -> None:
    trace: list[tuple[float, str, float]] = []
    mark = Ledger._mark  # called after every change of a stock

    def logged(self: Ledger, c: int, flow: str, day: float, fell: bool = False) -> None:
        trace.append((day, self.cells[c][0], float(self.stock[c][0])))
        mark(self, c, flow, day, fell)

    monkeypatch.setattr(Ledger, "_mark", logged)
    parts = (
        holder("depot", stock={"shell": 10}),
        holder("front"),
        use("fire", "front", "shell", 1.0, every=7.0),  # listed first, acts last
        lose("hits", "front", "shell", rate(1.0, 7.0), count=True),
        tranches("late", "depot", "front", "shell", {7: 5}),
        tranches("early", "depot", "front", "shell", {0: 2}, transit=7.0),
        make("line", "shell", "depot", 1.0),
    )
    r = run(scenario(*parts, end=7), deterministic=True)
    assert trace == [
        (0.0, "depot", 8.0),  # the tranche dated on start acts after the t=0 snapshot
        (7.0, "front", 2.0),  # arrival
        (7.0, "depot", 15.0),  # production
        (7.0, "depot", 10.0),  # donation (late), shipped at once
        (7.0, "front", 7.0),
        (7.0, "front", 6.0),  # attrition
        (7.0, "front", 0.0),  # consumption: 7 wanted, 6 taken
    ]
    assert at(r, "unmet", "front", "shell")[0].tolist() == [0.0, 1.0]
    assert at(r, "stock", "depot", "shell")[0].tolist() == [10.0, 10.0]


def test_clock_orders_by_phase_then_index_not_insertion() -> None:
    clock = Clock()
    fired: list[str] = []
    phase = {s: kind(s).phase for s in ("production", "donations", "attrition", "consumption")}
    plan = [("snapshot", SNAPSHOT, 0), ("consumption", phase["consumption"], 0),
            ("attrition", phase["attrition"], 0), ("donations", phase["donations"], 1),
            ("donations", phase["donations"], 0), ("production", phase["production"], 0),
            ("arrival", ARRIVAL, 0)]  # fmt: skip
    for name, when, index in plan:
        label = f"{name}.{index}"
        clock.at(5.0, when, index).callbacks.append(lambda _e, n=label: fired.append(n))
    clock.at(1.0, phase["consumption"]).callbacks.append(lambda _e: fired.append("early"))
    clock.run()
    assert fired == ["early", "arrival.0", "production.0", "donations.0", "donations.1",
                     "attrition.0", "consumption.0", "snapshot.0"]  # fmt: skip
    assert clock.now == 5.0


def test_clock_runs_instant_over_once_per_instant_after_its_events() -> None:
    clock = Clock()
    log: list[tuple[str, float]] = []
    clock.instant_over.append(lambda: log.append(("over", clock.now)))
    for day, phase in ((2.0, SNAPSHOT), (2.0, ARRIVAL), (3.0, ARRIVAL)):
        clock.at(day, phase).callbacks.append(lambda _e, d=day: log.append(("event", d)))
    clock.run()
    assert log == [("event", 2.0), ("event", 2.0), ("over", 2.0), ("event", 3.0), ("over", 3.0)]


def test_deterministic_runs_are_all_the_mean() -> None:
    s = scenario(holder("us", stock={"shell": 100}), use("fire", "us", "shell", 3.0))
    r = run(s, runs=3, deterministic=True)
    assert np.array_equal(dense(r, "stock")[0], dense(r, "stock")[2])


def test_long_delays_grow_the_calendar_without_losing_pending_goods() -> None:
    near = tranches("near", "us", "ua", "shell", {0: 10, 5: 20}, transit=30.0)
    far = tranches("far", "us", "pl", "shell", {1: 7}, transit=300.0)
    parts = (holder("us", stock={"shell": 100}), holder("ua"), holder("pl"), near, far)
    r = run(scenario(*parts, end=400, report=1), deterministic=True)
    received = at(r, "received", "ua", "shell")[0]
    assert received[29] == 0.0 and received[30] == 10.0 and received[35] == 30.0
    assert at(r, "received", "pl", "shell")[0, 300] == 0.0
    assert at(r, "received", "pl", "shell")[0, 301] == 7.0
    assert at(r, "in_transit", "pl", "shell")[0, 100] == 7.0


def test_a_ring_grown_while_holding_goods_keeps_them() -> None:
    """Two shipments into one cell: the second, far longer, widens the cell's own ring."""
    near = tranches("near", "us", "ua", "shell", {0: 10, 2: 5}, transit=10.0)
    far = tranches("far", "us", "ua", "shell", {1: 7}, transit=300.0)
    parts = (holder("us", stock={"shell": 100}), holder("ua"), near, far)
    r = run(scenario(*parts, end=400, report=1), deterministic=True)
    received = at(r, "received", "ua", "shell")[0]
    assert received[9] == 0.0 and received[10] == 10.0 and received[12] == 15.0
    assert received[300] == 15.0 and received[301] == 22.0
    assert at(r, "in_transit", "ua", "shell")[0, 100] == 7.0


def test_inputs_taken_and_credited_in_one_instant_are_back_that_instant() -> None:
    """Shells use one charge each; the charge line credits as much the same day, acting after
    the shell line: the charge stock dips to 30 within each instant and ends each one at its
    start, so its trough is 30 and it is back the day of that trough (no depletion: it never
    reaches 0)."""
    parts = (
        holder("us", stock={"charge": 100.0, "shell": 0.0}),
        make("shells", "shell", "us", 10.0, inputs={"charge": 1.0}),
        make("charges", "charge", "us", 10.0),
    )
    r = run(scenario(*parts, end=28), deterministic=True)
    assert at(r, "stock", "us", "charge")[0].tolist() == [100.0] * 5
    assert np.isnan(r.metrics["depleted_at"]).all()
    assert r.metrics["trough"][0, 0, 0] == 30.0
    trough_at = metric(r, "trough_at", "us", "charge")[0]
    assert metric(r, "replenished_at", "us", "charge")[0] == trough_at


def test_replenished_after_the_deeper_of_two_dips() -> None:
    """1000 shells and a line of 4/d (credited from day 1): 400 given on day 0 leave 600, back
    at 1000 on day 100; 1000 more given on day 200 (stock 1400) leave 400, the trough, back at
    1000 on day 200 + 600 / 4 = 350. Replenished means after the trough: day 350, not 100."""
    line = make("line", "shell", "us", 4.0, every=1.0)
    gifts = tranches("pda", "us", "ua", "shell", {0: 400, 200: 1000})
    s = scenario(holder("us", stock={"shell": 1000}), holder("ua"), line, gifts, end=500)
    r = run(s, deterministic=True)
    assert metric(r, "trough", "us", "shell")[0] == 400.0
    assert metric(r, "trough_at", "us", "shell")[0] == 200.0
    assert metric(r, "replenished_at", "us", "shell")[0] == 350.0
    stock = at(r, "stock", "us", "shell")[0]
    assert stock[r.report_days == 105.0][0] == 1020.0  # back above target between the dips


@pytest.mark.parametrize("delay", [1e60, 1e308])
def test_a_delay_beyond_the_horizon_stays_in_transit_or_repair(delay: float) -> None:
    s = scenario(
        holder("us", stock={"gun": 100}),
        holder("ua"),
        tranches("ship", "us", "ua", "gun", {7: 40}, transit=delay),
        lose("hits", "us", "gun", rate(0.5, 7), repairable=1.0, repair_time=delay),
        end=28,
    )
    result = run(s, runs=3, deterministic=True)
    assert at(result, "in_transit", "ua", "gun")[:, -1].tolist() == [40.0] * 3
    assert at(result, "received", "ua", "gun")[:, -1].tolist() == [0.0] * 3
    in_repair, lost = at(result, "in_repair", "us", "gun"), at(result, "lost", "us", "gun")
    assert np.array_equal(in_repair[:, -1], lost[:, -1]) and lost[0, -1] > 0


def test_a_slip_on_a_line_with_one_rate_delays_its_start() -> None:
    """10/d from day 0 with a 15.5-day slip, credited weekly: nothing on day 7 or 14, then
    (21 − 15.5) · 10 = 55 on day 21 and 70 a week after."""
    line = make("line", "shell", "us", 10.0, slip=15.5)
    r = run(scenario(holder("us", stock={"shell": 0.0}), line, end=28), deterministic=True)
    assert at(r, "produced", "us", "shell")[0].tolist() == [0.0, 0.0, 0.0, 55.0, 125.0]
