"""Summary-only runs (``keep="summary"``): the same answers as a full run, bounded memory.

Both runs use the same seed and chunks, so they simulate the very same runs: a merged quantile
is exactly the run-weighted mean of those chunks' quantiles, and it agrees with the pooled runs'
quantile within sampling error (``assert_within_sampling_error``: 4.5 standard errors); minima,
maxima, means, date quantiles and probabilities are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from matplotlib.figure import Figure
from scipy import stats

import sim
import sim.runner
import sim.summaries
from sim import plots
from sim.cli import main
from sim.flows import FLOWS, LEVELS, VALUES
from sim.metrics import money_metric
from sim.outcomes import NotKept
from sim.plots import write
from sim.plots.timeline import rows
from sim.reductions import (
    INTERIOR,
    PROBABILITIES,
    EventCounts,
    Marginals,
    run_quantiles,
    sorted_quantiles,
)
from sim.summaries import BY_HOLDER

CHUNK_RUNS = 400
RUNS = 3000  # 7 full chunks and a partial one
SE = 4.5

SCENARIO = """\
name: Summary test
start: 2024-01-01
horizon: 2y
report_every: 2w
items:
  shell: {label: Shell, unit: rounds, unit_cost: {2024-01-01: 2k to 3k, 2025-01-01: 5k to 8k},
          escalation: 3%/y}
  gun: {label: Gun, unit: systems, unit_cost: 4M}
holders:
  army: {label: Army, stock: {shell: 50k to 80k, gun: 200 to 260},
         floor: {shell: 20k}, target: {shell: 60k}}
  ally: {label: Ally, stock: {gun: 100}}
  hub: {label: Repair hub}
production:
  plant: {item: shell, to: army, rate: 2k to 5k /mo, slip: 2 to 8 mo}
donations:
  aid: {from: army, to: ally, item: shell, rate: 4k/mo, transit: 'uniform(3, 20) d'}
  guns: {from: army, to: ally, item: gun, pledge: 40 to 60, max_rate: 5/mo, every: 1mo,
         by: 2025-03-01, transit: 1 to 3 w}
attrition:
  wear: {holder: ally, item: gun, rate: 30%/y, repairable: 70%, repair_to: hub,
         repair_time: 1 to 2 mo}
consumption:
  training: {holder: army, item: shell, rate: 30 to 80 /d}
"""


@pytest.fixture(scope="module")
def small_chunks() -> Iterator[None]:
    saved = sim.runner.CHUNK_RUNS
    sim.runner.CHUNK_RUNS = CHUNK_RUNS
    yield
    sim.runner.CHUNK_RUNS = saved


@pytest.fixture(scope="module")
def scenario() -> sim.scenario.model.Scenario:
    return sim.load_scenario_text(SCENARIO)


@pytest.fixture(scope="module")
def full(scenario: sim.scenario.model.Scenario, small_chunks: None) -> sim.Results:
    return sim.run(scenario, runs=RUNS, seed=11)


@pytest.fixture(scope="module")
def summary(scenario: sim.scenario.model.Scenario, small_chunks: None) -> sim.Results:
    return sim.run(scenario, runs=RUNS, seed=11, keep="summary")


def chunk_weighted_quantiles(runs: np.ndarray) -> np.ndarray:
    """The run-weighted mean of the chunks' quantiles at ``INTERIOR`` (``runs`` in run order
    on axis 0, cut into the runner's chunks): what summary mode must give, from the full run."""
    n = runs.shape[0]
    total = np.zeros((len(INTERIOR), *runs.shape[1:]))
    for c in sim.runner.plan_chunks(n, CHUNK_RUNS):
        total += c.size * np.quantile(runs[c.first : c.first + c.size], INTERIOR, axis=0)
    merged: np.ndarray = total / n
    return merged


def pooled_interval(ordered: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
    """The pooled quantiles at p -/+ SE errors, widened to the neighbouring values the runs
    take (a quantile of integer counts may fall between two integers)."""
    n = ordered.shape[0]
    d = SE * np.sqrt(p * (1 - p) / n)
    low, high = np.quantile(ordered, [max(0.0, p - d), min(1.0, p + d)], axis=0)
    below = np.maximum((ordered < low).sum(axis=0) - 1, 0)
    above = np.minimum((ordered <= high).sum(axis=0), n - 1)
    columns = np.arange(ordered.shape[1])
    return np.minimum(low, ordered[below, columns]), np.maximum(high, ordered[above, columns])


def order_statistic_weights(n: int, m: int, k: int) -> np.ndarray:
    """``w[j]``: the chance that the ``k``-th smallest (1-based) of ``m`` runs picked at random
    from ``n`` is the ``j``-th smallest of the ``n`` (ties broken by position): hypergeometric."""
    at_most = stats.hypergeom.sf(k - 1, n, np.arange(n + 1), m)  # P(X_(k) <= x_j), j = 0..n
    return np.diff(at_most)


def merged_moments(ordered: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the run-weighted mean of chunk quantiles at ``p`` (method
    'linear') over the ways of dealing the pooled runs ``ordered`` (sorted on axis 0) into
    the runner's chunks. Chunks are taken as independent, which overstates the variance of
    disjoint ones; a chunk quantile's variance is bounded by Cauchy-Schwarz on its two order
    statistics."""
    n = ordered.shape[0]
    sizes = [c.size for c in sim.runner.plan_chunks(n, CHUNK_RUNS)]
    mean, variance = np.zeros(ordered.shape[1:]), np.zeros(ordered.shape[1:])
    for m in sorted(set(sizes)):
        below = int(np.floor(p * (m - 1)))
        gamma = p * (m - 1) - below
        moments = []
        for k in (below + 1, min(below + 2, m)):
            w = order_statistic_weights(n, m, k)
            first = np.tensordot(w, ordered, axes=1)
            second = np.tensordot(w, ordered**2, axes=1)
            moments.append((first, np.sqrt(np.maximum(second - first**2, 0.0))))
        (low, low_sd), (high, high_sd) = moments
        mean += sizes.count(m) * m / n * ((1 - gamma) * low + gamma * high)
        variance += sizes.count(m) * (m / n) ** 2 * ((1 - gamma) * low_sd + gamma * high_sd) ** 2
    return mean, np.sqrt(variance)


def assert_within_sampling_error(full: xr.DataArray, kept: xr.DataArray) -> None:
    """The kept interior quantiles are the run-weighted means of the very chunks' quantiles
    (to rounding), and they agree with the pooled runs' quantiles within sampling error.

    Agreement: within the pooled quantiles at p -/+ SE standard errors, the regime of values
    spread out, where merging keeps the pooled standard error; or within SE standard errors
    of the merged estimate's own mean, computed from the pooled runs' order statistics, the
    regime of an atom of a lumpy distribution (a count of weekly shipments), where chunks
    whose share below the atom crosses p pull the merge towards the neighbouring values."""
    runs = full.transpose("run", ...).values.astype(np.float64)
    assert np.isfinite(runs).all()
    merged = kept.sel(quantile=list(INTERIOR)).transpose("quantile", *full.dims[1:]).values
    np.testing.assert_allclose(merged, chunk_weighted_quantiles(runs), rtol=1e-9, atol=1e-9)
    ordered = np.sort(runs, axis=0).reshape(runs.shape[0], -1)
    for p, value in zip(INTERIOR, merged.reshape(len(INTERIOR), -1), strict=True):
        slack = 1e-6 * (1 + np.abs(value))  # float32 storage of the full run
        low, high = pooled_interval(ordered, p)
        ok = (value >= low - slack) & (value <= high + slack)
        if not ok.all():
            mean, error = merged_moments(ordered[:, ~ok], p)
            ok[~ok] = np.abs(value[~ok] - mean) <= SE * error + slack[~ok]
        if not ok.all():  # an atom: a chunk's quantile may jump to the values below it
            low, high = chunk_bounds(ordered[:, ~ok], p)
            ok[~ok] = (value[~ok] >= low - slack[~ok]) & (value[~ok] <= high + slack[~ok])
        assert ok.all(), (full.name, p, int((~ok).sum()))


def chunk_bounds(ordered: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Where the run-weighted mean of chunk quantiles lies when each chunk's quantile lies
    within the pooled quantiles at p -/+ SE binomial errors of its own size: the regime of an
    atom that a small chunk's quantile can leave with a few per cent chance (the normal
    approximation of ``merged_moments`` does not hold for such a two-valued quantile)."""
    n = ordered.shape[0]
    low, high = np.zeros(ordered.shape[1:]), np.zeros(ordered.shape[1:])
    for chunk in sim.runner.plan_chunks(n, CHUNK_RUNS):
        m = chunk.size
        d = SE * np.sqrt(p * (1 - p) / m)
        a, b = np.quantile(ordered, [max(0.0, p - d), min(1.0, p + d)], axis=0)
        low += m / n * a
        high += m / n * b
    return low, high


def test_the_dataset_has_a_quantile_dimension_instead_of_run(summary: sim.Results) -> None:
    ds = summary.dataset
    assert "run" not in ds.dims
    assert list(ds["quantile"].values) == list(PROBABILITIES)
    for name in (*LEVELS, *FLOWS):
        assert ds[name].dims == ("quantile", "time", "holder", "item"), name
        assert ds[f"{name}_mean"].dims == ("time", "holder", "item")
    assert ds.attrs["keep"] == "summary" and ds.attrs["runs"] == RUNS and ds.attrs["seed"] == 11
    for key in ("scenario", "scenario_sha256", "sim_version"):
        assert key in ds.attrs


@pytest.mark.parametrize("name", [*LEVELS, *FLOWS])
def test_series_quantiles_match_the_pooled_runs(
    full: sim.Results, summary: sim.Results, name: str
) -> None:
    exact, kept = full.dataset[name].astype(np.float64), summary.dataset[name]
    assert_within_sampling_error(exact, kept)
    np.testing.assert_array_equal(kept.sel(quantile=0.0), exact.min("run"))
    np.testing.assert_array_equal(kept.sel(quantile=1.0), exact.max("run"))
    np.testing.assert_allclose(summary.dataset[f"{name}_mean"], exact.mean("run"), rtol=1e-9)


@pytest.mark.parametrize("name", VALUES)
def test_value_quantiles_are_the_chunks_quantiles_merged(
    full: sim.Results, summary: sim.Results, name: str
) -> None:
    """Values in money are reduced like the other series: exact extremes and means, merged
    chunk quantiles (to float32, the precision of a full run's stored values)."""
    exact, kept = full.dataset[name].astype(np.float64), summary.dataset[name]
    runs = exact.transpose("run", ...).values
    merged = kept.sel(quantile=list(INTERIOR)).transpose("quantile", *exact.dims[1:]).values
    np.testing.assert_allclose(merged, chunk_weighted_quantiles(runs), rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(kept.sel(quantile=0.0), exact.min("run"), rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(kept.sel(quantile=1.0), exact.max("run"), rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(summary.dataset[f"{name}_mean"], exact.mean("run"), rtol=1e-6,
                               atol=1e-3)  # fmt: skip
    if name in BY_HOLDER:
        total = exact.sum("item").transpose("run", ...).values
        by_holder = summary.dataset[f"{name}_by_holder"].sel(quantile=list(INTERIOR)).values
        np.testing.assert_allclose(by_holder, chunk_weighted_quantiles(total), rtol=1e-6,
                                   atol=1e-3)  # fmt: skip


def test_merged_quantiles_are_not_just_the_first_chunk(
    full: sim.Results, summary: sim.Results
) -> None:
    """The bands hold every chunk: a first-chunk-only median differs from the merged one."""
    first = full.dataset["stock"].isel(run=slice(0, CHUNK_RUNS)).median("run")
    assert not np.allclose(first, summary.dataset["stock"].sel(quantile=0.5))


def test_per_run_numbers_match(full: sim.Results, summary: sim.Results) -> None:
    for name in ("floor", "target", "trough"):
        assert_within_sampling_error(full.dataset[name], summary.dataset[name])
        mean = summary.dataset[f"{name}_mean"]
        np.testing.assert_allclose(mean, full.dataset[name].mean("run"), rtol=1e-9)


def test_event_date_counts_are_exact(full: sim.Results, summary: sim.Results) -> None:
    for name in ("depleted_at", "replenished_at", "trough_at"):
        dates = full.dataset[name]
        for holder in dates["holder"].values:
            for item in dates["item"].values:
                runs = dates.sel(holder=holder, item=item).values
                counts = summary.dataset[name].sel(holder=holder, item=item)
                kept = np.repeat(summary.dataset["date"].values, counts.values)
                np.testing.assert_array_equal(np.sort(runs[~np.isnat(runs)]), kept)


def test_summary_table_equals_the_full_runs(full: sim.Results, summary: sim.Results) -> None:
    a, b = full.summary(), summary.summary()
    assert list(a.columns) == list(b.columns)
    assert a[["holder", "item", "metric"]].equals(b[["holder", "item", "metric"]])
    assert len(a) >= 10
    np.testing.assert_array_equal(a["probability"].values, b["probability"].values)
    for (_, x), (_, y) in zip(a.iterrows(), b.iterrows(), strict=True):
        for column in ("p10", "p50", "p90", "mean"):
            u, v = x[column], y[column]
            if isinstance(u, pd.Timestamp) or u is pd.NaT:
                if column == "mean" and u is not pd.NaT:
                    assert abs(u - v) < pd.Timedelta(microseconds=1), (x["metric"], column)
                else:
                    assert u == v or (u is pd.NaT and v is pd.NaT), (x["metric"], column, u, v)
            elif column == "mean":  # values: the full run's are stored in float32
                rel = 1e-6 if money_metric(str(x["metric"])) else 1e-9
                assert v == pytest.approx(u, rel=rel, abs=1e-9, nan_ok=True), x["metric"]


def test_summary_table_numbers_are_the_kept_quantiles(
    full: sim.Results, summary: sim.Results
) -> None:
    """Table quantiles of numbers are the kept ones, which match the pooled runs."""
    table = summary.summary().set_index(["holder", "item", "metric"])
    kept = {"trough": summary.dataset["trough"],
            "stock_at_end": summary.dataset["stock"].isel(time=-1)}  # fmt: skip
    checked = 0
    for (holder, item, metric), row in table.iterrows():
        if metric in kept:
            values = kept[metric].sel(holder=holder, item=item)
            for p in (0.1, 0.5, 0.9):
                assert row[f"p{round(p * 100)}"] == float(values.sel(quantile=p))
            checked += 1
    assert checked >= 6
    assert_within_sampling_error(full.dataset["stock"].isel(time=-1), kept["stock_at_end"])


def test_timeline_rows_are_exact(full: sim.Results, summary: sim.Results) -> None:
    expected, found = rows(full.dataset), rows(summary.dataset)
    assert [(r.holder, r.item) for r in found] == [(r.holder, r.item) for r in expected]
    assert found
    for e, f in zip(expected, found, strict=True):
        for field in ("depleted", "replenished"):
            x, y = getattr(e, field), getattr(f, field)
            assert np.all(np.isnat(x) == np.isnat(y))
            gap = np.abs((x - y)[~np.isnat(x)].astype(np.int64))
            assert np.all(gap <= 1000), field  # within a microsecond
        assert (e.depleted_share, e.replenished_share) == (f.depleted_share, f.replenished_share)
        assert e.not_back_share == f.not_back_share
        assert e.trough_at == f.trough_at


def test_share_out_of_action_matches_the_pooled_runs(
    full: sim.Results, summary: sim.Results
) -> None:
    share = plots.out_of_action(full, "ally", "gun")  # the hub the run recorded
    runs = xr.DataArray(share, dims=("run", "time"))
    kept = summary.dataset["out_of_action"].sel(holder="ally", item="gun")
    finite = np.isfinite(share).all(axis=0)
    assert finite[1:].all()
    assert_within_sampling_error(runs[:, finite], kept[:, finite])


def test_charts_render_from_summary_results(summary: sim.Results) -> None:
    ds = summary.dataset
    fig = plots.fan(summary, "army", "shell")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]  # type: ignore[union-attr]
    assert labels[:4] == ["90% of runs", "80% of runs", "50% of runs", "median"]
    assert "floor (median): 20,000" in labels
    median = next(line for line in ax.get_lines() if line.get_label() == "median")
    expected = ds["stock"].sel(holder="army", item="shell", quantile=0.5).values
    np.testing.assert_allclose(np.asarray(median.get_ydata(), float), expected)
    assert "3,000 Monte Carlo runs, seed 11" in fig.texts[-1].get_text()

    ax, _fleet = plots.availability(summary, "ally", "gun", also=("hub",)).axes  # type: ignore[union-attr]
    median = next(line for line in ax.get_lines() if line.get_label() == "median")
    kept = ds["out_of_action"].sel(holder="ally", item="gun", quantile=0.5).values
    np.testing.assert_allclose(np.asarray(median.get_ydata(), float), kept)
    with pytest.raises(NotKept, match="ally gun with hub"):
        plots.availability(summary, "ally", "gun", also=())  # not the fleet the run kept

    (ax,) = plots.flows(summary, "army", "shell").axes  # type: ignore[union-attr]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]  # type: ignore[union-attr]
    assert "produced" in labels and "sent (donations out)" in labels
    assert "lost (incl. repairable)" not in labels  # no attrition on the army's shells
    assert isinstance(plots.compare(summary, summary, "army", "shell"), Figure)
    assert isinstance(plots.timeline(summary), Figure)


@pytest.mark.slow
def test_write_charts_writes_the_charts_a_full_run_would(
    full: sim.Results, summary: sim.Results, tmp_path: Path
) -> None:
    ds = full.dataset
    expected = {"timeline.png"} if plots.drawn_down(ds) else set()
    for holder, item in write.active(ds):
        expected |= {f"fan_{holder}_{item}.png", f"flows_{holder}_{item}.png"}
    expected |= {f"availability_{h}_{i}.png" for h, i, _ in write.availability_cells(ds)}
    expected |= {"value_army.png"}
    written = plots.write_charts(summary, tmp_path / "summary")
    assert {p.name for p in written} == expected
    assert "availability_ally_gun.png" in expected


@pytest.mark.slow
def test_netcdf_round_trip(summary: sim.Results, tmp_path: Path) -> None:
    summary.to_netcdf(tmp_path / "results.nc")
    reopened = sim.open_results(tmp_path / "results.nc")
    xr.testing.assert_identical(reopened.dataset, summary.dataset)
    pd.testing.assert_frame_equal(reopened.summary(), summary.summary())


@pytest.mark.slow
def test_identical_on_local_processes(
    scenario: sim.scenario.model.Scenario, summary: sim.Results, small_chunks: None
) -> None:
    parallel = sim.run(scenario, runs=RUNS, seed=11, keep="summary", workers=2)
    xr.testing.assert_identical(
        parallel.dataset.drop_attrs(deep=False), summary.dataset.drop_attrs(deep=False)
    )


def test_size_does_not_grow_with_runs(
    scenario: sim.scenario.model.Scenario, summary: sim.Results, small_chunks: None
) -> None:
    fewer = sim.run(scenario, runs=2 * CHUNK_RUNS, seed=11, keep="summary").dataset
    for name, array in summary.dataset.data_vars.items():
        if "date" not in array.dims and "sample" not in array.dims:
            assert array.nbytes == fewer[name].nbytes, name
    # the runs kept for sensitivity grow with the chunks up to a fixed number
    assert summary.dataset.sizes["sample"] <= sim.summaries.SAMPLE_MAX
    # event dates lie on the engine's event grid: at most one per day of the horizon
    assert summary.dataset.sizes["date"] <= 2 * 366 + 1


def test_unknown_keep_is_an_error(scenario: sim.scenario.model.Scenario) -> None:
    with pytest.raises(ValueError, match="keep must be 'full' or 'summary'"):
        sim.run(scenario, runs=10, keep="runs")  # type: ignore[arg-type]


def test_marginals_merge_exact_extremes_and_means() -> None:
    rng = np.random.default_rng(4)
    values = rng.gamma(2.0, size=(4000, 5))
    merged = Marginals.of(values[:1500]).merge(Marginals.of(values[1500:]))
    whole = merged.quantiles()
    np.testing.assert_array_equal(whole[0], values.min(axis=0))
    np.testing.assert_array_equal(whole[-1], values.max(axis=0))
    np.testing.assert_allclose(merged.mean(), values.mean(axis=0), rtol=1e-12)
    for k, p in enumerate(INTERIOR, start=1):
        d = SE * np.sqrt(p * (1 - p) / len(values))
        low, high = np.quantile(values, [p - d, p + d], axis=0)
        assert np.all((whole[k] >= low) & (whole[k] <= high))


def test_event_counts_merge_exactly() -> None:
    rng = np.random.default_rng(5)
    days = rng.integers(0, 30, size=(500, 3)).astype(float)
    days[rng.random(days.shape) < 0.3] = np.nan
    merged = EventCounts.of(days[:200]).merge(EventCounts.of(days[200:]))
    grid = np.unique(days[~np.isnan(days)])
    dense = merged.dense(3, grid)
    for key in range(3):
        column = days[:, key]
        expected = [(column == day).sum() for day in grid]
        np.testing.assert_array_equal(dense[key], expected)


@pytest.mark.parametrize(
    ("shape", "axis", "dtype", "missing"),
    [
        ((64, 999), 1, np.float32, 0.0),  # slabs: runs on the last axis, stored precision
        ((1000, 4, 3), 0, np.float64, 0.0),  # per-run metrics
        ((50, 7), 0, np.float64, 0.4),  # shares out of action: NaN where no fleet
        ((3, 1), 1, np.float32, 0.0),  # one run
    ],
)
def test_run_quantiles_equal_numpy(
    shape: tuple[int, ...], axis: int, dtype: type[np.floating], missing: float
) -> None:
    rng = np.random.default_rng(7)
    values = rng.lognormal(2.0, 1.5, size=shape).astype(dtype)
    values[rng.random(shape) < 0.2] = 0.0  # ties, as in stocks run dry
    values[rng.random(shape) < missing] = np.nan
    if missing:
        values[:, 0] = np.nan  # an element with no run at all
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning) if missing else nullcontext():
        expected = np.nanquantile(values.astype(np.float64), INTERIOR, axis=axis)
    np.testing.assert_array_equal(run_quantiles(values, axis), expected)


@pytest.mark.parametrize("method", ["linear", "inverted_cdf"])
def test_quantiles_from_counts_equal_numpy(method: str) -> None:
    rng = np.random.default_rng(6)
    sample = rng.integers(0, 50, size=997).astype(float)
    values, counts = np.unique(sample, return_counts=True)
    qs = (0.0, 0.1, 0.25, 0.5, 0.9, 1.0)
    expected = np.quantile(sample, qs, method=method)  # type: ignore[call-overload]
    np.testing.assert_array_equal(sorted_quantiles(values, counts, qs, method), expected)


@pytest.mark.slow
def test_cli_summary_only_writes_every_output(tmp_path: Path) -> None:
    path = tmp_path / "summary.yaml"
    path.write_text(SCENARIO)
    out = tmp_path / "out"
    args = ["run", str(path), "--runs", "300", "--seed", "2", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--summary-only"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"results.nc", "summary.csv", "run.json", "charts"}
    reopened = sim.open_results(out / "results.nc").dataset
    assert reopened.attrs["keep"] == "summary" and "run" not in reopened.dims
    table = pd.read_csv(out / "summary.csv")
    assert "depleted_at" in set(table["metric"])
    charts = {p.name for p in (out / "charts").iterdir()}
    assert {"timeline.png", "fan_army_shell.png", "availability_ally_gun.png"} <= charts
