"""Couplings against closed forms: fire per gun, rationed fire, a pledge whose pace ramps, wear
from use."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import at, holder, lose, rate, run, scenario, use

import sim

GUNS, SHELLS = 1e9, 1e15  # many guns: whole-gun rounding of losses is negligible


def test_fire_per_gun_under_exponential_gun_losses_is_the_closed_form() -> None:
    """r rounds per gun per day, guns lost at hazard λ (daily actions, losses before fire): the
    fire on day k is r·G0·e^(−λk), so cumulative fire to t = n days is
    r·G0·e^(−λ)(1 − e^(−λn))/(1 − e^(−λ)), which tends to r·G0(1 − e^(−λt))/λ as the step
    shrinks (relative gap at most λ·Δ/2 + O((λΔ)²) for a step Δ = 1 day)."""
    r, lam, n = 20.0, 0.01, 364
    share_per_year = 1 - math.exp(-lam * 365.25)
    parts = (
        holder("ua", stock={"gun": GUNS, "shell": SHELLS}),
        lose("wear", "ua", "gun", rate(share_per_year, 365.25), every=1.0),
        use("fire", "ua", "shell", r, per="gun"),
    )
    result = run(scenario(*parts, end=n, report=7.0), deterministic=True)
    fired = at(result, "consumed", "ua", "shell")[0, -1]
    discrete = r * GUNS * math.exp(-lam) * (1 - math.exp(-lam * n)) / (1 - math.exp(-lam))
    assert fired == pytest.approx(discrete, rel=1e-6)  # floor() of 1e9 guns: < 1e-8 relative
    continuous = r * GUNS * (1 - math.exp(-lam * n)) / lam
    assert abs(fired / continuous - 1) <= lam / 2 + lam**2


def test_rationed_fire_halves_every_ration_ln2_days_without_inflow() -> None:
    """Demand far above supply, ration R: each day uses stock/R, so the stock after n days is
    S0(1 − 1/R)^n exactly, and halves every R·ln 2 days as the step shrinks."""
    ration, n, s0 = 30.0, 360, 1e6
    parts = (holder("ua", stock={"shell": s0}), use("fire", "ua", "shell", 1e9, ration=ration))
    result = run(scenario(*parts, end=n, report=30.0), deterministic=True)
    stock = at(result, "stock", "ua", "shell")[0]
    days = result.report_days
    np.testing.assert_allclose(stock, s0 * (1 - 1 / ration) ** days, rtol=1e-9)
    halving = -math.log(2) / math.log(1 - 1 / ration)  # days, for a daily step
    assert halving == pytest.approx(ration * math.log(2), rel=1 / ration)
    unmet = at(result, "unmet", "ua", "shell")[0, -1]
    assert unmet == pytest.approx(1e9 * n - (s0 - stock[-1]), rel=1e-12)


def test_ration_changes_nothing_while_stocks_last() -> None:
    """With more than `ration` days of demand on hand, the full demand is fired."""
    parts = (holder("ua", stock={"shell": 10_000.0}), use("fire", "ua", "shell", 10.0, ration=30.0))
    result = run(scenario(*parts, end=28), deterministic=True)
    assert at(result, "consumed", "ua", "shell")[0, -1] == 280.0
    assert at(result, "unmet", "ua", "shell")[0, -1] == 0.0


BASE = """name: T
start: 2024-01-01
horizon: 1y
items: {shell: {unit: rounds}, gun: {unit: systems}}
holders: {ua: {stock: {shell: 1M, gun: 100}}}
"""


def test_per_and_ration_in_a_scenario_file() -> None:
    text = (
        BASE
        + "consumption:\n  fires: {holder: ua, item: shell, per: gun, rate: 20/d, ration: 30 d}\n"
    )
    result = sim.run(sim.load_scenario_text(text), deterministic=True)
    first_week = float(result.dataset.consumed.sel(holder="ua", item="shell").isel(run=0, time=1))
    assert first_week == pytest.approx(7 * 20 * 100)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ("per: shell, rate: 20/d", "an item cannot be used per unit of itself"),
        ("per: gunn, rate: 20/d", "unknown item 'gunn'"),
        ("rate: 20/d, ration: 0 d", "must be a positive duration"),
    ],
)
def test_bad_per_or_ration_is_located(fields: str, says: str) -> None:
    text = BASE + f"consumption:\n  fires: {{holder: ua, item: shell, {fields}}}\n"
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario_text(text, "s.yaml")
    assert any(says in str(p) and p.line == 7 for p in caught.value.problems), caught.value


def test_a_pledge_whose_pace_ramps_is_fulfilled_on_the_arithmetic_date() -> None:
    """max_rate rising linearly from 0 to 20/d over 100 days: shipped by day t is 0.1·t², so a
    pledge of 1,000 is met on day 100 (2024-04-10); the pace is integrated exactly per day."""
    text = """name: T
start: 2024-01-01
horizon: 1y
items: {shell: {unit: rounds}}
holders: {us: {stock: {shell: 1M}}, ua: {}}
donations:
  aid: {from: us, to: ua, item: shell, pledge: 1000, every: 1d,
        max_rate: {2024-01-01: 0/d, 2024-04-10: 20/d}}
"""
    result = sim.run(sim.load_scenario_text(text), deterministic=True)
    ds = result.dataset
    assert ds.pledge_fulfilled_at.sel(pledge="aid").values[0] == np.datetime64("2024-04-10")
    sent = ds.sent.sel(holder="us", item="shell").isel(run=0)
    day_70 = sent.sel(time="2024-03-11").item()  # weekly report on day 70: 0.1 · 70² = 490
    assert day_70 == pytest.approx(490.0, rel=1e-6)


WEAR = """name: T
start: 2024-01-01
horizon: 52w
items: {shell: {unit: rounds}, gun: {unit: systems}}
holders: {ua: {stock: {shell: 10M, gun: 1000}}, hub: {}}
consumption:
  fires: {holder: ua, item: shell, rate: 100/d}
attrition:
  barrels: {holder: ua, item: gun, per_use: {item: shell, every: LIFE}, every: 1d,
            repairable: 50%, repair_time: 2 w, repair_to: hub}
"""


def test_wear_losses_are_the_rounds_fired_over_the_barrel_life() -> None:
    """100 rounds a day, one gun per 1,000 rounds: each day's attrition (before that day's
    fire) wears out the rounds fired since the last one, so by day 364 the guns lost are the
    rounds fired through day 363 over the life: 36,300 / 1,000 = 36.3; half go to repair."""
    ds = sim.run(sim.load_scenario_text(WEAR.replace("LIFE", "1000")), deterministic=True).dataset
    lost = ds.lost.sel(holder="ua", item="gun").isel(run=0, time=-1).item()
    fired = ds.consumed.sel(holder="ua", item="shell").isel(run=0, time=-1).item()
    assert fired == 36_400.0
    assert lost == pytest.approx((fired - 100) / 1000, rel=1e-12)
    repaired = ds.repaired.sel(holder="hub", item="gun").isel(run=0, time=-1).item()
    in_repair = ds.in_repair.sel(holder="hub", item="gun").isel(run=0, time=-1).item()
    assert repaired + in_repair == pytest.approx(lost / 2, rel=1e-12)  # the pipeline balances


def test_random_wear_has_the_mean_of_the_rounds_over_the_life() -> None:
    """Poisson losses with a life drawn per run from 800 to 1,200: the mean of lost/(fired/life)
    over runs is 1 within 4 standard errors."""
    text = WEAR.replace("LIFE", "800 to 1200").replace("repairable: 50%", "repairable: 0%")
    ds = sim.run(sim.load_scenario_text(text), runs=400, seed=3).dataset
    lost = ds.lost.sel(holder="ua", item="gun").isel(time=-1).values
    life = ds.inputs.sel(input="attrition.barrels.per_use.every").values
    ratio = lost / ((36_400.0 - 100) / life)
    assert abs(ratio.mean() - 1) <= 4 * ratio.std(ddof=1) / math.sqrt(len(ratio))


@pytest.mark.parametrize(
    ("per_use", "says"),
    [
        ("{item: gun, every: 1k}", "an item cannot wear itself out"),
        ("{item: shel, every: 1k}", "unknown item 'shel'"),
        ("{item: shell, every: 0}", "units used per unit lost must be above 0"),
    ],
)
def test_bad_wear_is_located(per_use: str, says: str) -> None:
    text = WEAR.replace("{item: shell, every: LIFE}", per_use)
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario_text(text, "s.yaml")
    assert any(says in str(p) and p.line == 9 for p in caught.value.problems), caught.value


def test_fire_per_a_gun_nobody_has_and_wear_from_a_use_nobody_makes_are_warned() -> None:
    per = BASE.replace("gun: 100", "gun: 0") + (
        "consumption:\n  fires: {holder: ua, item: shell, per: gun, rate: 20/d}\n"
    )
    with pytest.warns(sim.ScenarioWarning, match="ua starts with no gun and nothing brings it"):
        sim.load_scenario_text(per)
    wear = BASE + ("attrition:\n  w: {holder: ua, item: gun, per_use: {item: shell, every: 2k}}\n")
    with pytest.warns(sim.ScenarioWarning, match="nothing consumes shell at ua: no wear"):
        sim.load_scenario_text(wear)
