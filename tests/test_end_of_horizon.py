"""The last reported time is the end date after its actions, and a stock within float dust of
its floor or target is at it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import sim
from sim import kernels
from sim.scenario.load import load_scenario_text

DRAIN = """\
name: Drain
start: 2024-01-01
horizon: 120d
items: {shell: {label: Shell, unit: rounds}}
holders:
  army: {label: Army, stock: {shell: 200k}}
consumption:
  fire: {holder: army, item: shell, rate: 1000/d}
"""


@pytest.fixture(scope="module")
def drained() -> sim.Results:
    return sim.run(load_scenario_text(DRAIN), deterministic=True)


def test_the_last_time_is_the_end_date_after_its_actions(drained: sim.Results) -> None:
    times = pd.DatetimeIndex(drained.dataset.time.values)
    assert times[-1] == pd.Timestamp(dt.date(2024, 1, 1) + dt.timedelta(days=120))
    assert list(np.diff(times[:-1]).astype("timedelta64[D]").astype(int)) == [7] * 17
    stock = drained.dataset.stock.sel(holder="army", item="shell").isel(run=0).values
    assert stock[-1] == 200_000 - 120 * 1000  # 80,000: not the 81,000 of day 119
    assert stock[-2] == 200_000 - 119 * 1000  # the last weekly time, day 119


def test_stock_at_end_is_the_stock_on_the_end_date(drained: sim.Results) -> None:
    rows = drained.summary().set_index(["holder", "item", "metric"])
    assert rows.loc[("army", "shell", "stock_at_end"), "p50"] == 80_000
    assert rows.loc[("army", "shell", "trough"), "p50"] == 80_000


def _take(stock: float, amount: float, floor: float) -> float:
    """Depletion day after taking ``amount`` from an armed stock (NaN: not depleted)."""
    depleted = np.array([np.nan])
    kernels.take(
        np.array([stock]), np.zeros(1), np.array([amount]), np.array([floor]),
        np.zeros(0, dtype=bool), np.array([True]), np.array([True]), depleted,
        np.array([np.inf]), np.zeros(1), 5.0,
    )  # fmt: skip
    return float(depleted[0])


def test_a_stock_within_float_dust_of_its_floor_is_at_it() -> None:
    assert _take(300_000.0, 200_000.0 - 1e-8, 100_000.0) == 5.0  # 1e-8 above: at the floor
    assert np.isnan(_take(300_000.0, 200_000.0 - 1e-3, 100_000.0))  # a thousandth: above
    assert _take(1.0, 1.0 - 1e-9, 0.0) == 5.0


def test_a_stock_within_float_dust_of_its_target_is_back() -> None:
    target = np.array([250_000.0])
    for stock, back in ((250_000.0 - 1e-8, True), (250_000.0 - 1e-3, False)):
        replenished = np.array([np.nan])
        below = np.array([True])
        kernels.settle(np.array([stock]), target, below, np.array([True]), replenished,
                       np.array([100.0]), np.array([1.0]), 9.0)  # fmt: skip
        assert bool(replenished[0] == 9.0) is back
