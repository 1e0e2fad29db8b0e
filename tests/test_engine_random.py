"""Random behaviour against theory: tolerances from standard errors, fixed seeds, enough runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import at, dense, give, holder, lose, pledge, rate, run, scenario, tranches, use

from sim.distributions import Fixed, LogNormal, Normal, Uniform
from sim.scenario.model import Scenario

NINE_MONTHS = 9 * 365.25 / 12


def within(value: float, expected: float, se: float, k: float = 5.0) -> bool:
    return abs(value - expected) <= k * se


def test_proportional_attrition_survivors_are_binomial() -> None:
    # 40 weekly binomial thinnings of 1000 guns: survivors ~ Binomial(1000, s) exactly
    n, runs, end = 1000, 4000, 280.0
    hits = lose("hits", "ua", "gun", rate(0.33, NINE_MONTHS))
    r = run(scenario(holder("ua", stock={"gun": n}), hits, end=end), runs=runs, seed=11)
    survivors = at(r, "stock", "ua", "gun")[:, -1]
    s = 0.67 ** (end / NINE_MONTHS)
    var = n * s * (1 - s)
    assert within(survivors.mean(), n * s, math.sqrt(var / runs))
    assert within(survivors.var(ddof=1), var, var * math.sqrt(2 / (runs - 1)))
    assert np.all(survivors == np.round(survivors))  # whole guns


def test_count_losses_never_exceed_stock() -> None:
    hits = lose("hits", "ua", "gun", rate(Uniform(0.0, 40.0), 7.0), count=True)
    r = run(scenario(holder("ua", stock={"gun": Uniform(0.0, 30.0)}), hits), runs=500, seed=2)
    stock, lost = at(r, "stock", "ua", "gun"), at(r, "lost", "ua", "gun")
    assert stock.min() >= 0.0
    assert np.all(lost[:, -1] <= stock[:, 0])
    assert np.mean(stock[:, -1] == 0.0) > 0.5  # most runs are emptied: the cap matters


@pytest.mark.parametrize("repair_time", [Fixed(60.0), Uniform(20.0, 100.0)])
def test_closed_fleet_in_repair_fraction(repair_time: Fixed | Uniform) -> None:
    # Guns fail at hazard lam, all are repaired, repair takes T on average. On the daily grid
    # (arrivals before attrition on a day) a gun is up U ~ Geometric(p) - 1 days, p = 1 - e^-lam,
    # then down round(T) days: the out-of-action share is E[D] / (E[U] + E[D]), whatever the
    # repair-time law (the infinite-server insensitivity) -- close to lam*T / (1 + lam*T).
    n, lam, mean_t, runs = 100, 0.01, 60.0, 300
    hits = lose(
        "hits", "ua", "gun", rate(-math.expm1(-lam), 1.0), repairable=1.0,
        repair_time=repair_time, every=1.0,
    )  # fmt: skip
    r = run(scenario(holder("ua", stock={"gun": n}), hits, end=2000.0), runs=runs, seed=5)
    late = r.report_days >= 800.0
    share = at(r, "in_repair", "ua", "gun")[:, late].mean(axis=1) / n
    expected = mean_t / (1 / math.expm1(lam) + mean_t)
    assert within(share.mean(), expected, share.std(ddof=1) / math.sqrt(runs))
    assert expected == pytest.approx(lam * mean_t / (1 + lam * mean_t), abs=0.002)
    total = at(r, "stock", "ua", "gun") + at(r, "in_repair", "ua", "gun")
    assert np.all(total == n)  # a closed fleet


def test_transit_arrivals_on_the_day_grid() -> None:
    # one tranche at day 0, transit uniform(2, 12): arrives on day d when 2 <= X < d + 0.5
    runs = 4000
    gift = tranches("pda", "us", "ua", "shell", {0: 1}, transit=Uniform(2.0, 12.0))
    s = scenario(holder("us", stock={"shell": 1}), holder("ua"), gift, end=14, report=1)
    arrived = at(run(s, runs=runs, seed=3), "received", "ua", "shell")
    for d in range(2, 13):
        p = min(max((d + 0.5 - 2.0) / 10.0, 0.0), 1.0)
        se = math.sqrt(max(p * (1 - p), 1e-4) / runs)
        assert within(arrived[:, d].mean(), p, se), d
    assert arrived[:, :2].max() == 0.0
    assert arrived[:, 13:].min() == 1.0


def donor_scenario(end: float) -> Scenario:
    us = holder(
        "us", stock={"shell": LogNormal.from_interval(1000, 5000)},
        floor={"shell": Uniform(200, 900)},
    )  # fmt: skip
    return scenario(
        us,
        holder("ua"),
        give(
            "flow",
            "us",
            "ua",
            "shell",
            rate(LogNormal.from_interval(50, 300), 7.0),
            transit=Uniform(3.0, 20.0),
            cap=Fixed(2500),
        ),
        tranches("pda", "us", "ua", "shell", {30: Uniform(0, 800), 90: 500}, transit=7.4),
        pledge("eu", "us", "ua", "shell", Uniform(500, 1500), max_rate=rate(300, 7.0)),
        use("fire", "ua", "shell", Uniform(5.0, 40.0)),
        end=end,
    )


def test_donations_keep_the_floor_respect_the_cap_and_track_transit() -> None:
    r = run(donor_scenario(end=300), runs=400, seed=9)
    stock, floor = at(r, "stock", "us", "shell"), r.floor[:, 0, 0]
    above = stock[:, 0] >= floor
    assert above.mean() > 0.9
    assert np.all(stock[above] >= floor[above, None])  # exactly, never float dust below
    assert np.any(stock[above, -1] == floor[above])  # the floor binds in some runs
    sent = at(r, "sent", "us", "shell")
    in_transit = at(r, "in_transit", "ua", "shell")
    received = at(r, "received", "ua", "shell")
    assert np.allclose(in_transit, sent - received, rtol=0, atol=1e-9 * sent.max())
    assert in_transit.min() >= -1e-9 and in_transit.max() > 0
    assert np.all(r.pledge_fulfilled_at["eu"][~np.isnan(r.pledge_fulfilled_at["eu"])] % 7 == 0)


def test_cap_respected() -> None:
    gift = give("flow", "us", "ua", "shell", rate(Uniform(10, 100), 1.0), cap=Uniform(100, 900))
    s = scenario(holder("us", stock={"shell": 10_000}), holder("ua"), gift, end=70)
    r = run(s, runs=300, seed=4)
    sent = at(r, "sent", "us", "shell")[:, -1]
    assert sent.max() <= 900.0 and np.ptp(sent) > 100  # each run's own cap
    assert at(r, "unfilled", "ua", "shell").max() == 0.0  # the cap's shortfall is not unfilled


def test_same_seed_same_result_other_seed_different() -> None:
    s = donor_scenario(end=120)
    a, b, c = (run(s, runs=50, seed=seed) for seed in (1, 1, 2))
    for name in a.slabs:
        assert np.array_equal(dense(a, name), dense(b, name)), name
    assert not np.array_equal(dense(a, "stock"), dense(c, "stock"))


def test_common_random_numbers_across_variants() -> None:
    # changing one process leaves every other process's and holder's draws unchanged
    def variant(ua_rate: float) -> Scenario:
        return scenario(
            holder("us", stock={"shell": Uniform(100, 200)}),
            holder("ua", stock={"shell": Uniform(100, 200)}),
            use("us_fire", "us", "shell", Uniform(1.0, 3.0)),
            use("ua_fire", "ua", "shell", Uniform(1.0, ua_rate)),
            lose("us_loss", "us", "shell", rate(0.1, 30.0)),
            end=60,
        )

    a = run(variant(3.0), runs=40, seed=7)
    b = run(variant(5.0), runs=40, seed=7)
    assert np.array_equal(at(a, "stock", "us", "shell"), at(b, "stock", "us", "shell"))
    assert not np.array_equal(at(a, "stock", "ua", "shell"), at(b, "stock", "ua", "shell"))


def test_clipped_draws_are_counted_and_clipped() -> None:
    runs = 2000
    s = scenario(holder("us", stock={"shell": Normal(10.0, 20.0)}), end=7)
    r = run(s, runs=runs, seed=8)
    p = 0.5 - 0.5 * math.erf(0.5 / math.sqrt(2))  # P(N(10, 20) < 0)
    count = r.clipped["holders.us.stock.shell"]
    assert within(count, runs * p, math.sqrt(runs * p * (1 - p)))
    assert at(r, "stock", "us", "shell").min() == 0.0


def test_binomial_draws_only_where_trials_but_keeps_the_stream() -> None:
    """Runs with no trials (or float dust below 0) get 0 and use no random number, so the
    stream is the one of drawing in every run: seeded results do not depend on the skip."""
    from sim.processes.draws import Draws

    n = np.array([5.0, 0.0, -1e-12, 40.0, 0.0, 1e6, 3.0])
    p = np.array([0.3, 0.5, 0.5, 0.9, 0.0, 0.01, 1.0])
    got = Draws(np.random.default_rng(11), len(n), False, {}).binomial(n, p)
    whole = np.random.default_rng(11).binomial(np.maximum(n, 0).astype(np.int64), p)
    assert got.tolist() == whole.astype(float).tolist()
    assert got[1] == got[2] == got[4] == 0.0
    scalar = Draws(np.random.default_rng(3), len(n), False, {}).binomial(n, 0.4)
    expected = np.random.default_rng(3).binomial(np.maximum(n, 0).astype(np.int64), 0.4)
    assert scalar.tolist() == expected.astype(float).tolist()


def test_transit_times_are_drawn_only_in_the_runs_that_ship() -> None:
    """One tranche from a donor empty in about half the runs: the transit stream gives the
    shipping runs its first values in run order, and no value to a run that ships nothing
    (docs/model.md: a transit time per shipment)."""
    from sim.streams import stream

    runs, seed = 400, 5
    delay = Uniform(1.0, 30.0)
    aid = tranches("aid", "us", "ua", "shell", {7.0: 10.0}, transit=delay)
    s = scenario(holder("us", stock={"shell": Uniform(-10.0, 10.0)}), holder("ua"), aid,
                 end=60.0, report=1.0)  # fmt: skip
    r = run(s, runs=runs, seed=seed)
    sent = at(r, "sent", "us", "shell")[:, -1]
    shipping = np.flatnonzero(sent > 0.0)
    assert 0.3 * runs < len(shipping) < 0.7 * runs
    received = at(r, "received", "ua", "shell")
    arrived = np.argmax(received > 0.0, axis=1)  # reported days are 0, 1, 2, ...
    drawn = delay.sample(stream(np.random.SeedSequence(seed), "donations.aid.transit"), runs)
    expected = np.floor(7.0 + drawn[: len(shipping)] + 0.5)
    assert arrived[shipping].tolist() == expected.tolist()
    assert np.all(received[sent == 0.0] == 0.0)
