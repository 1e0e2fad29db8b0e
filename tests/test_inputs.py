"""The runs' inputs: every value drawn once per run is kept under its scenario path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import DRAWDOWN

import sim
import sim.runner
import sim.summaries
from sim.distributions import LogNormal

TRANCHES = """\
name: Tranches and a ramp
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 50k to 80k}, target: {shell: 90k}}
  ally: {label: Ally}
production:
  plant: {item: shell, to: army, rate: {2024-01-01: 1k to 2k /mo, 2024-06-01: 3k/mo,
          2024-09-01: 4k to 6k /mo}, yield: 90% to 99%}
donations:
  aid: {from: army, to: ally, item: shell, deliveries: {2024-02-01: 5k to 9k, 2024-03-01: 4k}}
"""


def test_every_uncertain_per_run_value_is_kept_under_its_path() -> None:
    results = sim.run(sim.load_scenario_text(TRANCHES), runs=50, seed=3)
    names = [str(n) for n in results.dataset["input"].values]
    # fixed values (3k/mo, the 4k tranche) are not inputs: they do not vary
    assert names == [
        "holders.army.stock.shell",
        "production.plant.rate.2024-01-01",
        "production.plant.rate.2024-09-01",
        "production.plant.yield",
        "donations.aid.deliveries.2024-02-01",
    ]
    inputs = results.dataset["inputs"]
    assert inputs.dims == ("run", "input")
    stock = results.dataset["stock"].sel(holder="army", item="shell").isel(time=0)
    np.testing.assert_allclose(
        inputs.sel(input="holders.army.stock.shell").values, stock.values, rtol=1e-6
    )
    ramp = inputs.sel(input="production.plant.rate.2024-01-01").values
    assert ramp.min() > 500 and ramp.max() < 4000  # per month, as written (1k to 2k)
    assert inputs.sel(input="production.plant.yield").values.max() <= 1.0


@pytest.mark.slow
def test_inputs_do_not_depend_on_the_workers_and_survive_netcdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)  # three chunks on two processes
    scenario = sim.load_scenario_text(DRAWDOWN)
    one = sim.run(scenario, runs=300, seed=5).dataset
    assert "production.plant.slip" in [str(n) for n in one["input"].values]
    results = sim.run(scenario, runs=300, seed=5, workers=2)
    np.testing.assert_array_equal(one["inputs"].values, results.dataset["inputs"].values)
    results.to_netcdf(tmp_path / "r.nc")
    back = sim.open_results(tmp_path / "r.nc").dataset
    np.testing.assert_array_equal(back["inputs"].values, one["inputs"].values)
    assert list(back["input"].values) == list(one["input"].values)


def test_summary_only_results_keep_a_bounded_sample_of_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)
    monkeypatch.setattr(sim.summaries, "SAMPLE_PER_CHUNK", 30)
    monkeypatch.setattr(sim.summaries, "SAMPLE_MAX", 100)
    scenario = sim.load_scenario_text(DRAWDOWN)
    full = sim.run(scenario, runs=500, seed=2).dataset
    summary = sim.run(scenario, runs=500, seed=2, keep="summary").dataset
    assert summary["inputs"].dims == ("sample", "input")
    # the first 30 runs of chunks 0..3 (the fourth only in part: 100 at most), same draws
    kept = np.concatenate([np.arange(k * 100, k * 100 + 30) for k in range(4)])[:100]
    assert summary.sizes["sample"] == 100
    np.testing.assert_array_equal(summary["inputs"].values, full["inputs"].values[kept])
    np.testing.assert_array_equal(
        summary["sampled_depleted_at"].values, full["depleted_at"].values[kept]
    )
    np.testing.assert_allclose(
        summary["sampled_stock_at_end"].values,
        full["stock"].isel(time=-1).values[kept],
        rtol=1e-6,
    )


def test_a_deterministic_run_keeps_the_means() -> None:
    results = sim.run(sim.load_scenario_text(DRAWDOWN), deterministic=True)
    slip = results.dataset["inputs"].sel(input="production.plant.slip").values
    mean_months = LogNormal.from_interval(1.0, 3.0).mean
    assert slip.shape == (1,) and slip[0] == pytest.approx(mean_months * 365.25 / 12)
