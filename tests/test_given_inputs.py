"""Runs from given inputs: values per run in place of draws, everything else drawn as before."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import DRAWDOWN
from test_inputs import TRANCHES

import sim
import sim.runner
from sim.given import InputsError, input_priors

BURN = """\
name: Constant burn, uncertain rate
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 1000}}
  depot: {label: Depot, stock: {shell: 5k to 9k}}
consumption:
  fire: {holder: army, item: shell, rate: 6 to 10 /d, every: 1d}
attrition:
  rot: {holder: depot, item: shell, rate: 10%/y}
"""


def _inputs(dataset: xr.Dataset) -> pd.DataFrame:
    names = [str(n) for n in dataset["input"].values]
    return pd.DataFrame(dataset["inputs"].values, columns=names)


@pytest.mark.parametrize("text", [DRAWDOWN, TRANCHES], ids=["drawdown", "tranches"])
def test_the_inputs_a_run_drew_reproduce_it_bit_for_bit(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)  # three chunks: each gets its rows
    scenario = sim.load_scenario_text(text)
    drawn = sim.run(scenario, runs=300, seed=4).dataset
    again = sim.run(scenario, runs=300, seed=4, inputs=_inputs(drawn)).dataset
    assert again.attrs["given_inputs"] != "[]"
    xr.testing.assert_identical(drawn.drop_attrs(), again.drop_attrs())


def test_a_given_constant_rate_depletes_on_the_closed_form_date() -> None:
    scenario = sim.load_scenario_text(BURN)
    free = sim.run(scenario, runs=200, seed=9).dataset
    table = pd.DataFrame({"consumption.fire.rate": np.full(200, 8.0)})
    fixed = sim.run(scenario, seed=9, inputs=table).dataset
    depleted = fixed["depleted_at"].sel(holder="army", item="shell").values
    assert (depleted == np.datetime64(dt.date(2024, 1, 1) + dt.timedelta(days=125))).all()
    assert (fixed["inputs"].sel(input="consumption.fire.rate").values == 8.0).all()
    # the streams advance as without given inputs: the rest of every run is the same
    np.testing.assert_array_equal(
        fixed["inputs"].sel(input="holders.depot.stock.shell").values,
        free["inputs"].sel(input="holders.depot.stock.shell").values,
    )
    lost = "lost"
    xr.testing.assert_identical(
        fixed[lost].sel(holder="depot", item="shell"), free[lost].sel(holder="depot", item="shell")
    )


def test_given_inputs_give_the_same_results_on_any_number_of_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)
    scenario = sim.load_scenario_text(BURN)
    rng = np.random.default_rng(2)
    table = xr.DataArray(
        rng.uniform(5, 11, (1, 300)).T, dims=("run", "input"),
        coords={"input": ["consumption.fire.rate"]},
    )  # fmt: skip
    one = sim.run(scenario, seed=3, inputs=table).dataset
    two = sim.run(scenario, seed=3, inputs=table, workers=2).dataset
    summary = sim.run(scenario, seed=3, inputs=table, workers=2, keep="summary").dataset
    xr.testing.assert_identical(one.drop_attrs(), two.drop_attrs())
    np.testing.assert_array_equal(
        one["inputs"].sel(input="consumption.fire.rate").values, table.values[:, 0]
    )
    np.testing.assert_array_equal(summary["inputs"].values, one["inputs"].values)


def test_given_values_outside_a_fields_range_are_clipped_and_counted() -> None:
    table = pd.DataFrame({"consumption.fire.rate": [8.0, -3.0, 9.0]})
    results = sim.run(sim.load_scenario_text(BURN), seed=1, inputs=table).dataset
    assert results["inputs"].sel(input="consumption.fire.rate").values.tolist() == [8.0, 0.0, 9.0]
    assert '"consumption.fire.rate": 1' in results.attrs["clipped_draws"]


def test_the_inputs_and_their_laws_are_found_without_a_run() -> None:
    priors = input_priors(sim.load_scenario_text(BURN))
    assert list(priors) == ["holders.depot.stock.shell", "consumption.fire.rate"]
    rate = priors["consumption.fire.rate"]
    assert rate.dist.quantile(0.05) == pytest.approx(6.0)
    assert rate.dist.quantile(0.95) == pytest.approx(10.0)
    assert (rate.low, rate.high) == (0.0, np.inf)


@pytest.mark.parametrize(
    ("table", "runs", "message"),
    [
        ({"consumption.fire.rat": [8.0]}, None, "did you mean 'consumption.fire.rate'"),
        ({"holders.army.stock.shell": [8.0]}, None, "not an input of this scenario"),
        ({"consumption.fire.rate": [8.0, 9.0]}, 3, "2 values for 3 runs"),
        ({"consumption.fire.rate": [8.0, np.nan]}, None, "finite"),
        ({"consumption.fire.rate": [8.0], "holders.depot.stock.shell": [1, 2]}, None, "different"),
        ({"consumption.fire.rate": ["fast"]}, None, "must be numbers"),
        ([1.0, 2.0], None, "give a DataFrame"),
    ],
)
def test_a_table_that_does_not_fit_is_refused_with_what_is_wrong(
    table: object, runs: int | None, message: str
) -> None:
    with pytest.raises(InputsError, match=message):
        sim.run(sim.load_scenario_text(BURN), runs=runs, inputs=table)


def test_observed_values_alone_are_those_of_the_full_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)
    scenario = sim.load_scenario_text(
        BURN + "observations:\n  count: {holder: depot, item: shell, of: lost, "
        "values: {2024-03-01: 100, 2024-06-01: 300}, error: 20}\n"
    )
    table = {"consumption.fire.rate": np.linspace(6, 10, 250)}
    full = sim.run(scenario, seed=5, inputs=table).dataset["observed"].values
    alone = sim.runner.observed(scenario, runs=250, seed=5, inputs=table, workers=2)
    assert alone.shape == (250, 2) and full.std(axis=0).min() > 0
    np.testing.assert_array_equal(alone, full)
