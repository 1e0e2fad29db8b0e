"""Briefing charts render from contract-conforming results, with the content a slide needs."""

from __future__ import annotations

import struct
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from fake_results import fake_results
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.dates import num2date
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim import plots
from sim.outcomes import Spread
from sim.plots import style
from sim.plots.timeline import rows

if TYPE_CHECKING:
    from sim.scenario.model import Scenario


@pytest.fixture(scope="module")
def results() -> xr.Dataset:
    return fake_results(runs=60, seed=3)


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def bands(ax: Axes) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def figure_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.texts]


def only_axes(fig: Figure | Axes) -> Axes:
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    return ax


def assert_inside(fig: Figure) -> None:
    """Every text and legend lies within the figure once laid out (nothing cut off)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = canvas.get_width_height()
    boxes = [t.get_window_extent(renderer) for t in fig.texts]
    boxes += [ax.get_tightbbox(renderer) for ax in fig.axes]  # titles, labels, legend, notes
    for box in boxes:
        assert box is not None
        assert box.x0 >= -1 and box.y0 >= -1, box
        assert box.x1 <= width + 1 and box.y1 <= height + 1, box


def test_fan_has_nested_quantile_bands_lines_and_labels(results: xr.Dataset) -> None:
    fig = plots.fan(results, "us", "shell_155")
    ax = only_axes(fig)
    assert len(bands(ax)) == 3
    texts = legend_texts(ax)
    assert texts[:4] == ["90% of runs", "80% of runs", "50% of runs", "median"]
    assert "floor (median): 500,000" in texts
    assert any(t.startswith("target (median): ") for t in texts)
    assert ax.get_ylabel() == "rounds"
    assert ax.get_title("left") == "United States: 155mm artillery shell on hand"
    start, end = (num2date(x).date() for x in ax.get_xlim())
    assert (str(start), str(end)) == (results.attrs["start"], results.attrs["end"])
    assert ax.yaxis.get_major_formatter()(2_500_000, 0) == "2,500,000"
    texts = figure_texts(fig)
    assert texts[0] == results.attrs["scenario"]
    assert texts[1] == results.attrs["description"]
    assert texts[2].startswith("Sources: Synthetic test data; Shapes after public reporting")
    assert "60 Monte Carlo runs, seed 3" in texts[2]


def test_fan_median_line_is_the_median_over_runs(results: xr.Dataset) -> None:
    ax = only_axes(plots.fan(results, "us", "shell_155"))
    median_line = next(line for line in ax.get_lines() if line.get_label() == "median")
    expected = results.stock.sel(holder="us", item="shell_155").median("run").values
    np.testing.assert_allclose(np.asarray(median_line.get_ydata(), float), expected)


def test_bands_are_quantiles_not_mean_and_sd() -> None:
    values = np.random.default_rng(0).exponential(size=(1001, 3))
    low, high = Spread(values, len(values)).band(0.8)
    np.testing.assert_allclose(low, np.quantile(values, 0.1, axis=0))
    np.testing.assert_allclose(high, np.quantile(values, 0.9, axis=0))
    assert np.all(low > 0)  # mean - 1.28 sd of an exponential would be negative


def test_fan_with_deterministic_path_and_one_run(results: xr.Dataset) -> None:
    single = fake_results(runs=1)
    ax = only_axes(plots.fan(results, "us", "shell_155", deterministic=single))
    assert "deterministic run" in legend_texts(ax)
    ax = only_axes(plots.fan(single, "us", "shell_155"))
    assert bands(ax) == []
    assert "stock" in legend_texts(ax)


def test_timeline_draws_into_a_given_axes_with_its_own_legend(results: xr.Dataset) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.timeline(results, ax=ax) is ax
    assert len(legend_texts(ax)) == 3
    assert fig.texts == [] and fig.legends == []


def test_fan_draws_into_a_given_axes_without_figure_titles(results: xr.Dataset) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.fan(results, "ukraine", "m777", ax=ax) is ax
    assert len(bands(ax)) == 3
    assert fig.texts == []


def test_charts_accept_an_object_with_a_dataset(results: xr.Dataset) -> None:
    class Results:
        dataset = results

    assert isinstance(plots.fan(Results(), "us", "m777"), Figure)


@pytest.mark.parametrize(
    ("holder", "item", "message"),
    [
        ("uk", "m777", "unknown holder 'uk' (one of: us, ukraine)"),
        ("us", "tank", "unknown item 'tank' (one of: shell_155, javelin, m777, charge_155)"),
    ],
)
def test_unknown_holder_or_item_is_a_chart_error(
    results: xr.Dataset, holder: str, item: str, message: str
) -> None:
    for chart in (plots.fan, plots.flows, plots.availability):
        with pytest.raises(plots.ChartError, match=message.replace("(", r"\(").replace(")", r"\)")):
            chart(results, holder, item)


@pytest.mark.slow
def test_importing_the_charts_loads_no_pyplot() -> None:
    import subprocess
    import sys

    code = "import sys, sim.plots; assert 'matplotlib.pyplot' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_global_matplotlib_state_changes(results: xr.Dataset) -> None:
    before = dict(mpl.rcParams)
    plots.timeline(results)
    plots.fan(results, "us", "shell_155")
    assert dict(mpl.rcParams) == before


def test_timeline_has_one_row_per_drawn_down_stock(results: xr.Dataset) -> None:
    ax = only_axes(plots.timeline(results))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "United States\n155mm artillery shell (rounds)",
        "United States\nJavelin missile (missiles)",
        "United States\nM777 towed howitzer (systems)",
        "United States\nCharge set (sets)",
    ]
    texts = [t.get_text() for t in ax.texts]
    assert "not back by 2027-12: 100% of runs" in texts  # M777s are never replaced
    assert "back at target in every run" in texts  # Javelins all are
    (legend,) = ax.figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "at floor: p10–p90, median (over all runs)",
        "median trough (level below)",
        "back at target: p10–p90, median (over all runs)",
    ]
    assert ax.get_title("left").startswith("When stocks hit their floor")


def test_the_timeline_legend_lists_only_what_it_draws(results: xr.Dataset) -> None:
    never = results.copy()
    never["target"] = never["target"] * 0 + 1e12  # every stock below target, none back
    never["replenished_at"] = never["replenished_at"].where(False)
    (legend,) = plots.timeline(never).legends
    assert "back at target" not in " ".join(t.get_text() for t in legend.get_texts())


def test_timeline_ranges_count_every_run_and_say_the_share() -> None:
    """One rule with the summary table: quantiles over all runs, "never" after the end. An
    event in 5% of runs gets no range, only its share; one in 40% a range to the edge."""
    data = fake_results(runs=100, seed=4)
    cell = {"holder": "us", "item": "m777"}
    never = np.datetime64("NaT", "s")
    dates = np.full(100, never)
    dates[:5] = np.datetime64("2025-01-01")
    data.depleted_at.loc[cell] = dates
    (row,) = [r for r in rows(data) if (r.holder, r.item) == ("us", "m777")]
    assert np.isnat(row.depleted).all() and row.depleted_share == 0.05
    texts = [t.get_text() for t in only_axes(plots.timeline(data)).texts]
    assert "at floor in 5% of runs" in texts
    dates[:40] = np.datetime64("2025-01-01")
    data.depleted_at.loc[cell] = dates
    (row,) = [r for r in rows(data) if (r.holder, r.item) == ("us", "m777")]
    assert row.depleted[0] == np.datetime64("2025-01-01") and np.isnat(row.depleted[1:]).all()


def test_timeline_with_many_rows_uses_one_line_labels(results: xr.Dataset) -> None:
    twin = results.assign_coords(
        holder=["uk", "pl"], holder_label=("holder", ["United Kingdom", "Poland"])
    )
    many = xr.concat([results, twin], "holder", data_vars="all")
    many.attrs = results.attrs
    fig = plots.timeline(many)
    ax = only_axes(fig)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 8
    assert labels[4] == "United Kingdom: 155mm artillery shell"
    assert not any(t.get_text().startswith("trough") for t in ax.texts)
    assert_inside(fig)


def test_timeline_ranges_are_p10_p90_of_event_dates(results: xr.Dataset) -> None:
    ax = only_axes(plots.timeline(results))
    replenished = results.replenished_at.sel(holder="us", item="javelin").values
    p10, p90 = (pd.Timestamp(d) for d in np.quantile(replenished.astype("int64"), [0.1, 0.9]))
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and abs(p.get_y() + 0.17 - 1) < 1e-9]
    starts = {num2date(b.get_x()).date() for b in bars}
    assert p10.date() in starts
    widths = {round(b.get_width()) for b in bars}
    assert max(round((p90 - p10).days), 2) in widths


def test_timeline_states_the_share_not_replenished() -> None:
    data = fake_results(runs=50, seed=4)
    cell = {"holder": "us", "item": "m777"}  # sent away, never replaced
    dates = data.replenished_at.loc[cell].values.copy()
    dates[19:] = np.datetime64("2026-05-01")  # pretend 31 of 50 runs are refilled
    data.replenished_at.loc[cell] = dates
    ax = only_axes(plots.timeline(data))
    texts = [t.get_text() for t in ax.texts]
    assert "not back by 2027-12: 38% of runs" in texts
    assert "back in 62% of runs, median 2026-05" in texts
    (row,) = [r for r in rows(data) if (r.holder, r.item) == ("us", "m777")]
    assert row.replenished_share == pytest.approx(0.62)


def test_timeline_says_so_when_nothing_is_drawn_down(results: xr.Dataset) -> None:
    calm = results.copy()
    calm["trough"] = calm["target"]
    ax = only_axes(plots.timeline(calm))
    assert [t.get_text() for t in ax.texts] == ["No stock falls below its target in any run"]


def test_flows_show_only_flows_that_happen(results: xr.Dataset) -> None:
    ax = only_axes(plots.flows(results, "us", "shell_155"))
    assert legend_texts(ax) == ["produced", "sent (donations out)", "on hand (median)"]
    assert len(bands(ax)) == 2
    assert ax.get_ylabel() == "rounds, cumulative since start"
    ax = only_axes(plots.flows(results, "ukraine", "m777"))
    assert legend_texts(ax) == [
        "received (donations in)",
        "back from repair",
        "lost (incl. repairable)",
        "on hand (median)",
    ]


def test_availability_is_the_share_in_repair(results: xr.Dataset) -> None:
    share = plots.out_of_action(results, "ukraine", "m777")
    assert np.nanmin(share) >= 0 and np.nanmax(share) <= 1
    cell = results.sel(holder="ukraine", item="m777")
    expected = (cell.in_repair / (cell.stock + cell.in_repair)).values
    np.testing.assert_allclose(share, expected)  # both NaN before the first guns arrive
    figure = plots.availability(results, "ukraine", "m777")
    ax, right = figure.axes  # type: ignore[union-attr]
    assert len(bands(ax)) == 3
    assert ax.get_ylabel() == "share of fleet out of action"
    assert right.get_ylabel() == "fleet, systems"  # a share of a small fleet reads as one
    fleet = results.sel(holder="ukraine", item="m777")
    size = (fleet.stock + fleet.in_repair).mean("run").values
    np.testing.assert_allclose(np.asarray(right.get_lines()[0].get_ydata(), float), size)
    with pytest.raises(plots.ChartError, match="us m777 is not a fleet with repair"):
        plots.availability(results, "us", "m777")
    assert ax.yaxis.get_major_formatter()(0.25, 0) == "25%"
    low, high = ax.get_ylim()
    assert low == 0 and 0 < high <= 1


def test_availability_can_count_a_repair_hub_in_the_fleet(results: xr.Dataset) -> None:
    hub = results.sel(holder="us", item="m777")  # stands in for a repair hub's guns
    share = plots.out_of_action(results, "ukraine", "m777", also=["us"])
    cell = results.sel(holder="ukraine", item="m777")
    out = cell.in_repair + hub.stock + hub.in_repair + hub.in_transit
    np.testing.assert_allclose(share, (out / (cell.stock + out)).values)


def test_compare_draws_both_fans(results: xr.Dataset) -> None:
    other = fake_results(runs=60, seed=5)
    fig = plots.compare(results, other, "us", "shell_155", labels=("Base", "Slip"))
    ax = only_axes(fig)
    texts = legend_texts(ax)
    assert [t for t in texts if t.startswith("Base")] == [
        "Base: 90% of runs",
        "Base: 50% of runs",
        "Base: median",
    ]
    assert "Slip: median" in texts and "Slip: 50% of runs" in texts
    assert len(bands(ax)) == 3
    assert figure_texts(fig)[0] == "Base vs Slip"


@pytest.mark.parametrize("chart", ["fan", "timeline", "flows", "availability", "compare"])
def test_nothing_is_cut_off(results: xr.Dataset, chart: str) -> None:
    cell = ("ukraine", "m777") if chart == "availability" else ("us", "shell_155")
    if chart == "timeline":
        fig = plots.timeline(results)
    elif chart == "compare":
        fig = plots.compare(results, results, *cell, labels=("Baseline", "Charge plant slips"))
    else:
        fig = getattr(plots, chart)(results, *cell)
    assert isinstance(fig, Figure)
    assert_inside(fig)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.slow
def test_write_charts_writes_what_applies(
    results: xr.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(style, "DPI", 20)  # quick: only the names and files matter here
    small = results.isel(run=slice(0, 20))
    written = plots.write_charts(small, tmp_path / "charts")
    names = sorted(p.name for p in written)
    cells = ["us_shell_155", "us_javelin", "us_m777", "us_charge_155", "ukraine_shell_155"]
    cells += ["ukraine_javelin", "ukraine_m777"]
    expected = ["timeline.png", "availability_ukraine_m777.png"]
    expected += [f"{kind}_{cell}.png" for kind in ("fan", "flows") for cell in cells]
    assert names == sorted(expected)
    assert all(p.exists() for p in written)


@pytest.mark.slow
def test_write_charts_in_every_format(
    results: xr.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(style, "DPI", 20)
    one_cell = results.isel(run=slice(0, 20)).sel(holder=["us"], item=["m777"])
    written = plots.write_charts(one_cell, tmp_path, formats=("svg", "pdf"))
    assert sorted(p.name for p in written) == sorted(
        f"{name}.{fmt}" for name in ("timeline", "fan_us_m777", "flows_us_m777")
        for fmt in ("svg", "pdf")
    )  # fmt: skip
    assert (tmp_path / "timeline.pdf").read_bytes().startswith(b"%PDF")
    assert b"<svg" in (tmp_path / "timeline.svg").read_bytes()[:2000]


def test_saved_charts_are_16_9_at_300_dpi(results: xr.Dataset, tmp_path: Path) -> None:
    path = plots.save(plots.timeline(results), tmp_path / "timeline.png")
    assert png_size(path) in {(3000, 1687), (3000, 1688)}


def test_availability_goes_to_the_fleets_the_run_recorded(results: xr.Dataset) -> None:
    from sim.plots.write import availability_cells

    assert availability_cells(results) == [("ukraine", "m777", ())]


def test_write_charts_rejects_an_unknown_format(results: xr.Dataset, tmp_path: Path) -> None:
    with pytest.raises(plots.ChartError, match="unknown chart format 'gif'"):
        plots.write_charts(results, tmp_path, formats=("gif",))
    assert list(tmp_path.iterdir()) == []


SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def flagship(request: pytest.FixtureRequest) -> xr.Dataset:
    import sim

    return sim.run(sim.load_scenario(request.param), runs=40, seed=1).dataset


@pytest.mark.slow
def test_every_chart_renders_from_a_shipped_scenario(flagship: xr.Dataset) -> None:
    from sim.plots.write import active, availability_cells

    timeline = plots.timeline(flagship)
    assert isinstance(timeline, Figure)
    assert figure_texts(timeline)[0] == flagship.attrs["scenario"]
    assert_inside(timeline)
    ax = only_axes(timeline)
    assert len(ax.get_yticklabels()) == len(plots.drawn_down(flagship))
    holder, item = active(flagship)[0]
    fan = plots.fan(flagship, holder, item)
    assert len(bands(only_axes(fan))) == 3
    assert only_axes(fan).get_ylabel() == str(flagship.item_unit.sel(item=item).item())
    assert_inside(fan)
    assert isinstance(plots.flows(flagship, holder, item), Figure)
    for holder, item, hubs in availability_cells(flagship):
        share = plots.out_of_action(flagship, holder, item, also=hubs)
        assert np.nanmin(share) >= 0 and np.nanmax(share) <= 1
        assert 0 < np.nanmedian(share) < 1  # a fleet partly out of action, not a bare repair hub
        assert isinstance(plots.availability(flagship, holder, item, also=hubs), Figure)


@pytest.mark.slow
def test_timeline_with_many_rows_and_long_names_fits_the_slide(reference: Scenario) -> None:
    """The reference scenario: 12 drawn-down rows with long holder names and a title that
    needs a smaller size. Nothing cut off, labels in at most two lines, no axis warning."""
    import io

    import sim
    from sim.plots.timeline import DENSE

    dataset = sim.run(reference, runs=40, seed=1).dataset
    fig = plots.timeline(dataset)
    assert_inside(fig)
    labels = [t.get_text() for t in only_axes(fig).get_yticklabels()]
    assert len(labels) > DENSE
    assert all(label.count("\n") <= 1 for label in labels)
    assert any("\n" in label for label in labels)  # the longest names wrap
    assert figure_texts(fig)[0] == dataset.attrs["scenario"]  # whole, at a smaller size
    assert fig.texts[0].get_fontsize() < 15
    style.save(fig, io.BytesIO(), "png")  # warnings are errors: the date axis must not warn


def test_title_shrinks_then_is_cut() -> None:
    assert style.fit_title("Short title", 9.7) == (15.0, "Short title")
    size, text = style.fit_title("A very long title " * 8, 9.7)
    assert size == 12.0 and text.endswith(" …") and len(text) < len("A very long title " * 8)


@pytest.mark.parametrize(
    ("floor", "back", "merged"),
    [("2025-01-01", "2025-01-20", True), ("2023-01-01", "2025-06-01", False),
     ("2025-01-01", "2027-11-01", True), ("2027-01-01", "2023-01-01", False),
     ("2025-01-20", "2025-01-01", True)],
)  # fmt: skip
def test_timeline_notes_never_overlap(floor: str, back: str, merged: bool) -> None:
    """Floor and refill dates close together (as in the EU pledge), in either order, share one
    note; a note that would run past the right edge ends at it. Measured on the drawn chart."""
    data = fake_results(runs=100, seed=4)
    cell = {"holder": "us", "item": "m777"}
    data.depleted_at.loc[cell] = np.full(100, np.datetime64(floor, "s"))
    data.replenished_at.loc[cell] = np.full(100, np.datetime64(back, "s"))
    fig = plots.timeline(data)
    FigureCanvasAgg(fig).draw()
    ax = only_axes(fig)
    notes = [t for t in ax.texts if t.get_text().startswith(("at floor", "back in"))]
    boxes = [t.get_window_extent() for t in notes]
    for k, box in enumerate(boxes):
        assert box.x1 <= ax.get_window_extent().x1 + 1  # within the axes
        assert not any(box.overlaps(other) for other in boxes[k + 1 :])
    texts = [t.get_text() for t in notes]
    assert ("at floor in 100% of runs" in texts) != merged
    assert any(t.startswith("at floor in 100% of runs; back in every run") for t in texts) == merged


def test_timeline_date_labels_never_touch() -> None:
    """Long row labels and a short horizon leave a narrow axis (as in the guns-and-shells
    flagship): the timeline keeps fewer dates rather than labels drawn over each other."""
    import sim

    scenario = Path(__file__).resolve().parents[1] / "scenarios/howitzers_guns_and_shells.yaml"
    fig = plots.timeline(sim.run(sim.load_scenario(scenario), runs=40, seed=1))
    FigureCanvasAgg(fig).draw()
    boxes = [t.get_window_extent() for t in only_axes(fig).get_xticklabels() if t.get_text()]
    assert len(boxes) >= 3
    assert all(a.x1 < b.x0 for a, b in pairwise(boxes))


def test_paths_draw_a_sample_of_single_runs_and_the_median(results: xr.Dataset) -> None:
    ax = only_axes(plots.paths(results, "us", "shell_155", count=5))
    lines = ax.get_lines()
    stock = results["stock"].sel(holder="us", item="shell_155").values
    runs = stock.shape[0]
    chosen = np.unique(np.linspace(0, runs - 1, 5).round().astype(int))
    for line, run in zip(lines, chosen, strict=False):  # the sampled runs, in order, exactly
        np.testing.assert_array_equal(line.get_ydata(), stock[run])
    median = next(line for line in lines if line.get_label() == "median of all runs")
    np.testing.assert_allclose(median.get_ydata(), np.median(stock, axis=0))
    assert legend_texts(ax)[0] == f"{len(chosen)} of {runs:,} runs"


def test_timeline_note_and_margin_agree_when_every_run_is_back() -> None:
    """Nearly every run dips and returns, one never dips: the margin says every run is back,
    so the note above the bar must not say ">99%"."""
    data = fake_results(runs=200, seed=4)
    cell = {"holder": "us", "item": "m777"}
    dates = np.full(200, np.datetime64("2025-01-20", "s"))
    dates[0] = np.datetime64("NaT")
    data.replenished_at.loc[cell] = dates
    data.trough.loc[cell] = data.target.loc[cell] - 1
    data.trough.loc[{**cell, "run": 0}] = data.target.loc[{**cell, "run": 0}]  # never below
    fig = plots.timeline(data)
    texts = [t.get_text() for t in only_axes(fig).texts]
    margin = [t for t in texts if "every run" in t or "not back by" in t]
    assert any("back at target in every run" in t for t in margin), texts
    assert any(t.startswith("back in every run") for t in texts), texts


def test_inputs_are_named_in_words(results: xr.Dataset) -> None:
    holder = style.label(results, "holder", "us")
    item = style.label(results, "item", "shell_155")
    assert style.input_label(results, "holders.us.stock.shell_155") == f"{holder}: stock of {item}"
    assert style.input_label(results, "donations.pda_shells.rate.2024-05-01") == (
        "pda shells (donation): rate from 2024-05-01"
    )
    assert style.input_label(results, "production.us_shell_lines.slip") == (
        "us shell lines (production): slip"
    )
    assert style.input_label(results, "something.else") == "something.else"


class _Counting:
    """A text measurer that counts its calls (the work a layout does, without a clock)."""

    def __init__(self, real: object) -> None:
        self.real, self.calls = real, 0

    def get_text_width_height_descent(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.real.get_text_width_height_descent(*args, **kwargs)  # type: ignore[attr-defined]


def test_a_footnote_of_many_sources_takes_a_few_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    """100 long sources: as many whole sources as fit, then how many more, measured a bounded
    number of times (it measured every source list from 100 down: minutes per chart)."""
    counting = _Counting(style._TEXT)
    monkeypatch.setattr(style, "_TEXT", counting)
    items = [f"Source number {k}: " + "a long citation of a report " * 8 for k in range(100)]
    lines = style._source_lines(items, 9.0)
    assert 1 <= len(lines) <= 3 and "more sources in the scenario" in lines[-1]
    assert counting.calls < 400


def test_a_very_long_word_is_broken_with_few_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.brief import text

    calls = []
    real = text.width_points.__wrapped__

    def counted(line: str, size: float, bold: bool = False) -> float:
        calls.append(line)
        return float(real(line, size, bold))

    monkeypatch.setattr(text, "width_points", counted)
    word = "x" * 2000
    lines = text.wrap(word, 12, 3.0)
    assert "".join(lines) == word and all(counted(line, 12) <= 3.0 * 72 for line in lines)
    assert len(calls) < 60 * len(lines)  # a bisection per line, not a measure per character
