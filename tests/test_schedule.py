"""Schedules integrated in closed form, action days, the arrival grid and random streams."""

from __future__ import annotations

import math
from hashlib import sha256

import numpy as np
import pytest

from sim.distributions import Fixed, Uniform
from sim.kernels import arrival_days
from sim.processes.clock import action_days
from sim.processes.draws import Draws
from sim.processes.schedule import DrawnSchedule, Integrator, draw_hazards, draw_rates
from sim.scenario.model import Rate, Schedule
from sim.streams import key_hash, stream


def shared(days: list[float], rates: list[float], linear: bool = True) -> DrawnSchedule:
    return DrawnSchedule.build(np.array(days), np.array(rates, dtype=float)[:, None], linear=linear)


def numeric(days: list[float], rates: list[float], t: float, linear: bool = True) -> float:
    """Integral from 0 to t by a fine midpoint sum (independent of the closed form)."""
    grid = np.linspace(0.0, t, 20_001)
    mids = (grid[:-1] + grid[1:]) / 2
    if linear:
        values = np.interp(mids, days, rates, left=0.0)
    else:
        index = np.searchsorted(days, mids, side="right") - 1
        values = np.where(index >= 0, np.array(rates)[np.maximum(index, 0)], 0.0)
    return float(np.sum(values) * (t / 20_000))


@pytest.mark.parametrize("linear", [True, False])
@pytest.mark.parametrize("t", [0.0, 5.0, 10.0, 17.5, 30.0, 55.0])
def test_cumulative_matches_numeric_integral(linear: bool, t: float) -> None:
    days, rates = [10.0, 20.0, 40.0], [2.0, 6.0, 1.0]
    got = float(shared(days, rates, linear).cumulative(t)[0])
    assert got == pytest.approx(numeric(days, rates, t, linear), abs=0.02)


def test_ramp_closed_form() -> None:
    # 0 before day 10, ramp 0 -> 4 per day from day 10 to 138, then 4 per day
    ramp = shared([10.0, 138.0], [0.0, 4.0])
    assert ramp.cumulative(10.0)[0] == 0.0
    assert ramp.cumulative(74.0)[0] == 64.0**2 / 64  # (t - 10)^2 / 64
    assert ramp.cumulative(138.0)[0] == 256.0
    assert ramp.cumulative(200.0)[0] == 256.0 + 62 * 4


def test_step_holds_each_value() -> None:
    step = shared([0.0, 10.0], [1.0, 3.0], linear=False)
    assert step.cumulative(10.0)[0] == 10.0
    assert step.cumulative(12.0)[0] == 16.0


def test_integrator_steps_sum_to_total() -> None:
    walk = Integrator(shared([0.0, 30.0, 60.0], [1.0, 5.0, 2.0]))
    total = sum(float(walk.step(float(t))[0]) for t in range(7, 71, 7))
    assert total == pytest.approx(
        float(shared([0.0, 30.0, 60.0], [1.0, 5.0, 2.0]).cumulative(70.0)[0])
    )


def draws(runs: int = 5, seed: int = 0, deterministic: bool = False) -> Draws:
    return Draws(np.random.default_rng(seed), runs, deterministic, {})


def test_per_run_slip_equals_shared_schedule_of_each_run() -> None:
    schedule = Schedule((0.0, 100.0, 200.0), (Rate(Fixed(1.0)), Rate(Fixed(3.0)), Rate(Fixed(0.5))))
    slip = np.array([0.0, 10.0, 55.5, 120.0])
    per_run = draw_rates(schedule, draws(4), "p.rate", slip)
    for run, s in enumerate(slip):
        alone = shared([0.0, 100.0 + s, 200.0 + s], [1.0, 3.0, 0.5])
        for t in (0.0, 50.0, 105.0, 180.0, 260.0, 400.0):
            assert per_run.cumulative(t)[run] == pytest.approx(alone.cumulative(t)[0], rel=1e-12)


def test_rates_are_per_day_and_clipped() -> None:
    clipped: dict[str, int] = {}
    d = Draws(np.random.default_rng(1), 2000, False, clipped)
    schedule = Schedule((0.0,), (Rate(Uniform(-30.0, 70.0), 10.0),))
    drawn = draw_rates(schedule, d, "consumption.x.rate")
    assert drawn.rates.min() == 0.0
    assert drawn.rates.max() <= 7.0
    assert 0 < clipped["consumption.x.rate"] < 2000


def test_hazard_of_a_fraction() -> None:
    schedule = Schedule((0.0,), (Rate(Fixed(0.33), 273.9375),))
    hazard = draw_hazards(schedule, draws(1), "a.rate")
    survive = math.exp(-hazard.cumulative(273.9375)[0])
    assert survive == pytest.approx(0.67, rel=1e-12)


def test_action_days_are_multiples_not_sums() -> None:
    days = list(action_days(0.1, 100.0))
    assert days[-1] == 1000 * 0.1 or days[-1] == 999 * 0.1
    assert days[9] == 10 * 0.1 == 1.0  # 0.1 added up ten times is 0.9999999999999999
    assert list(action_days(7.0, 20.0, offset=3.0)) == [10.0, 17.0]


def arrival_grid(day: float, delays: list[float]) -> tuple[list[float], float]:
    arrive = np.empty(len(delays))
    latest = arrival_days(day, np.array(delays), np.ones(len(delays)), arrive)
    return arrive.tolist(), latest


def test_arrival_grid() -> None:
    assert arrival_grid(7.0, [0.0, 0.4, 0.5, 1.49, 13.7]) == ([7.0, 7.0, 8.0, 8.0, 21.0], 21.0)
    # a non-integer shipping day: nearest whole day, never before shipping
    assert arrival_grid(30.4375, [0.01, 0.05, 0.1]) == ([30.4375, 30.4375, 31.0], 31.0)
    assert arrival_grid(5.0, [0.0, 0.2]) == ([5.0, 5.0], 5.0)  # nothing later than the day


def test_streams_are_reproducible_and_distinct() -> None:
    seed = np.random.SeedSequence(42)
    a = stream(seed, "production.x").random(5)
    assert np.array_equal(a, stream(np.random.SeedSequence(42), "production.x").random(5))
    assert not np.array_equal(a, stream(seed, "production.y").random(5))
    assert not np.array_equal(a, stream(np.random.SeedSequence(43), "production.x").random(5))
    assert key_hash("production.x") == int.from_bytes(
        sha256(b"production.x").digest()[:4], "little"
    )


def test_deterministic_draws_are_means() -> None:
    d = draws(3, deterministic=True)
    assert d.value(Uniform(2.0, 4.0), "x").tolist() == [3.0, 3.0, 3.0]
    assert d.binomial(np.array([10.0, 10.0, 10.0]), 0.25).tolist() == [2.5, 2.5, 2.5]
    assert d.poisson(np.array([1.5, 2.0, 0.0])).tolist() == [1.5, 2.0, 0.0]
