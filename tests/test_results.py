"""The results contract (docs/results.md) on every flagship scenario."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import DRAWDOWN

import sim
from sim.flows import FLOWS, LEVELS

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def results(request: pytest.FixtureRequest) -> sim.Results:
    return sim.run(sim.load_scenario(request.param), runs=60, seed=3)


def test_every_flagship_scenario_is_tested() -> None:
    assert len(SCENARIOS) >= 4


def test_coordinates_dimensions_and_attributes(results: sim.Results) -> None:
    ds = results.dataset
    scenario_start = np.datetime64(ds.attrs["start"], "s")
    assert list(ds["run"].values) == list(range(60))
    assert ds["time"].values[0] == scenario_start
    steps = np.diff(ds["time"].values).astype("timedelta64[s]").astype(float) / 86400
    np.testing.assert_allclose(steps[:-1], ds.attrs["report_every_days"], atol=1e-6)
    assert 0 < steps[-1] <= ds.attrs["report_every_days"] + 1e-6  # the end, on the grid or not
    assert ds["time"].values[-1] == np.datetime64(ds.attrs["end"], "s")
    for name in (*LEVELS, *FLOWS):
        assert ds[name].dims == ("run", "time", "holder", "item"), name
    for name in ("depleted_at", "replenished_at", "trough_at"):
        assert ds[name].dims == ("run", "holder", "item")
        assert ds[name].dtype == np.dtype("datetime64[s]")
    assert ds["trough"].dims == ("run", "holder", "item")
    for key in ("scenario", "scenario_sha256", "seed", "runs", "sim_version"):
        assert key in ds.attrs
    assert ds.attrs["runs"] == 60 and ds.attrs["seed"] == 3
    assert len(ds.attrs["scenario_sha256"]) == 64


def test_flows_start_at_zero_and_never_decrease(results: sim.Results) -> None:
    ds = results.dataset
    for name in FLOWS:
        assert float(abs(ds[name].isel(time=0)).max()) == 0.0, name
        assert float(ds[name].diff("time").min()) >= -1e-6, name


def test_ledger_balances_in_every_run_time_and_cell(results: sim.Results) -> None:
    ds = results.dataset
    expected = (
        ds.stock.isel(time=0)
        + ds.produced + ds.received + ds.repaired
        - ds.sent - ds.lost - ds.consumed - ds.used
    )  # fmt: skip
    scale = np.maximum(1.0, abs(ds.stock).max())
    for flow in FLOWS:
        scale = np.maximum(scale, abs(ds[flow]).max())
    # Trajectories are stored as float32: each term within ~6e-8 of its own magnitude.
    assert float(abs(ds.stock - expected).max() / scale) < 1e-6
    assert float(ds.stock.min()) >= -1e-9 * float(scale)
    for level in ("in_transit", "in_repair"):
        assert float(ds[level].min()) >= -1e-9 * float(scale)


def test_trough_is_the_minimum_stock_seen(results: sim.Results) -> None:
    ds = results.dataset
    # Metrics are tracked at every action, so the trough can only be at or below reported levels.
    # Stored trajectories are float32 (within ~6e-8 relative); the trough is float64.
    dust = 1e-6 * (1.0 + abs(ds.stock).max("time"))
    assert bool((ds.trough <= ds.stock.min("time") + dust).all())


def test_netcdf_round_trip(results: sim.Results, tmp_path: Path) -> None:
    path = tmp_path / "results.nc"
    results.to_netcdf(path)
    back = sim.open_results(path).dataset
    xr.testing.assert_identical(results.dataset, back)


def test_summary_table(results: sim.Results) -> None:
    table = results.summary()
    assert list(table.columns) == ["holder", "item", "metric", "p10", "p50", "p90", "mean",
                                   "probability"]  # fmt: skip
    assert set(table.holder) <= set(results.dataset.holder.values)
    dates = table[table.metric.isin(["depleted_at", "replenished_at", "trough_at"])]
    for column in ("p10", "p50", "p90"):
        assert all(v is pd.NaT or isinstance(v, pd.Timestamp) for v in dates[column])
    assert dates.probability.between(0, 1).all()
    metadata = results.metadata()
    assert json.loads(json.dumps(metadata))["runs"] == 60


DEPLETION = """\
name: Constant drawdown
start: 2024-01-01
horizon: 2y
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 36500}, floor: {shell: 0}}
consumption:
  fire: {holder: army, item: shell, rate: 100/d}
"""


def test_summary_dates_for_a_constant_drawdown() -> None:
    """S / d = 36,500 / 100 = 365 days: depleted on 2024-12-31 in every run."""
    results = sim.run(sim.load_scenario_text(DEPLETION), runs=20, seed=0)
    row = results.summary().set_index("metric").loc["depleted_at"]
    expected = pd.Timestamp("2024-01-01") + pd.Timedelta(days=365)
    assert row.p10 == row.p50 == row.p90 == row["mean"] == expected
    assert row.probability == 1.0
    replenished = results.summary().set_index("metric").loc["replenished_at"]
    assert replenished.p50 is pd.NaT and replenished.probability == 0.0


def test_summary_quantiles_count_never_as_after_the_end() -> None:
    """Half the runs deplete: p10 is the date, p90 is NaT (not within the horizon)."""
    from sim.metrics import date_row
    from sim.outcomes import Dates

    dates = np.array(["2024-01-10"] * 5 + ["NaT"] * 5, dtype="datetime64[s]")
    row = date_row(Dates.of(dates))
    assert row["p10"] == pd.Timestamp("2024-01-10")
    assert row["p90"] is pd.NaT
    assert row["probability"] == 0.5
    assert row["mean"] == pd.Timestamp("2024-01-10")


def test_small_results_are_in_memory(results: sim.Results) -> None:
    """Everyday results are plain NumPy arrays, so every xarray operation works (a median over
    every dimension is not possible on lazy arrays)."""
    ds = results.dataset
    for name in (*LEVELS, *FLOWS):
        assert ds[name].chunks is None, name
    assert float(ds.stock.median()) >= 0.0


def test_big_results_are_lazy_with_every_run_in_one_chunk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Big trajectories stay compact until looked at; quantiles over runs need one run chunk."""
    import sim.results

    monkeypatch.setattr(sim.results, "EAGER_LIMIT_BYTES", 0)
    results = sim.run(sim.load_scenario(SCENARIOS[0]), runs=30, seed=3)
    ds = results.dataset
    for name in (*LEVELS, *FLOWS):
        chunks = ds[name].chunks
        assert chunks is not None, name
        assert chunks[0] == (ds.sizes["run"],) and chunks[1] == (ds.sizes["time"],), name
    band = ds.stock.quantile([0.1, 0.9], "run")
    assert bool((band.isel(quantile=0) <= band.isel(quantile=1)).all())
    results.to_netcdf(tmp_path / "big.nc")
    back = sim.open_results(tmp_path / "big.nc").dataset
    assert back.stock.chunks is not None
    xr.testing.assert_identical(ds.compute(), back.compute())


@pytest.mark.slow
def test_reading_and_charting_results_loads_no_engine(tmp_path: Path) -> None:
    """Describing or charting a results file needs only xarray and matplotlib: the charts and
    the summary import neither Numba, SimPy nor Dask, and reading a file adds no engine (xarray
    itself loads Dask to open a NetCDF file where Dask is installed)."""
    path = tmp_path / "results.nc"
    sim.run(sim.load_scenario_text(DRAWDOWN), runs=20, seed=1).to_netcdf(path)
    code = (
        "import sys, sim, sim.metrics, sim.plots\n"
        "print(sorted(m for m in ('numba', 'simpy', 'dask') if m in sys.modules))\n"
        f"results = sim.open_results({str(path)!r})\n"
        "results.summary(); sim.plots.fan(results, 'army', 'shell')\n"
        "print(sorted(m for m in ('numba', 'simpy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "MPLBACKEND": "Agg"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "[]"]


def test_results_describe_themselves_with_their_overrides(tmp_path: Path) -> None:
    """The scenario text and the `--set` overrides of a variant are kept in the results (and
    NetCDF), in run.json and on the charts' subtitle."""
    from sim.plots import fan

    change = "production.plant.slip=6 mo"
    variant = sim.load_scenario_text(DRAWDOWN, overrides=[change])
    results = sim.run(variant, runs=10, seed=1)
    assert json.loads(results.dataset.attrs["overrides"]) == [change]
    assert results.dataset.attrs["scenario_yaml"] == DRAWDOWN
    assert results.metadata()["overrides"] == [change]
    results.to_netcdf(tmp_path / "r.nc")
    assert json.loads(sim.open_results(tmp_path / "r.nc").dataset.attrs["overrides"]) == [change]
    figure = fan(results, "army", "shell")
    assert any(f"Variant: {change}" in text.get_text() for text in figure.texts)


@pytest.mark.parametrize("block_bytes", [1, 3 * 60 * 8 * 100, 2**40])
def test_lazy_blocks_of_any_size_hold_the_same_series(
    monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    """One cell per block, a few cells per block, or every cell in one block: the same arrays."""
    import sim.lazy
    import sim.results

    scenario = sim.load_scenario(ROOT / "scenarios" / "us_155mm_dollars.yaml")
    eager = sim.run(scenario, runs=20, seed=5).dataset
    monkeypatch.setattr(sim.results, "EAGER_LIMIT_BYTES", 0)
    monkeypatch.setattr(sim.lazy, "BLOCK_BYTES", block_bytes)
    lazy = sim.run(scenario, runs=20, seed=5).dataset
    assert lazy.stock.chunks is not None
    lazy.attrs["created"] = eager.attrs["created"]
    xr.testing.assert_identical(eager, lazy.compute())
