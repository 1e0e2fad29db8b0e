"""Fan chart: one holder's stock of one item over time, with nested quantile bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outcomes import Outcomes
from sim.plots import style


def fan(
    results: Any,
    holder: str,
    item: str,
    *,
    deterministic: Any = None,
    bands: Sequence[float] | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Median stock with nested 50/80/90% bands (or the central ``bands``, e.g. ``(0.95,
    0.6)``) over runs, floor and target lines.

    ``deterministic`` (results with one run) adds its path as a dashed line.
    Returns the new Figure, or ``ax`` when drawing into the caller's axes.
    """
    dataset = style.as_dataset(results)
    style.check_cell(dataset, holder, item)
    colours = style.FAN_BANDS if bands is None else band_colours(bands)
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        draw_fan(ax, dataset, holder, item, colours=colours)
        if deterministic is not None:
            _deterministic(ax, style.as_dataset(deterministic), holder, item)
        _finish(ax, dataset, holder, item)
        if owned:
            style.decorate(fig, dataset)
    return fig if owned else ax


def band_colours(bands: Sequence[float]) -> tuple[tuple[float, str], ...]:
    """Central coverages, widest first, each with a blue that darkens as bands narrow; at most
    one band per blue."""
    ordered = sorted({float(b) for b in bands}, reverse=True)
    if not ordered or any(not 0 < b < 1 for b in ordered):
        raise style.ChartError(f"bands are coverages between 0 and 1, got {list(bands)}")
    ramp = ("#deebf7", "#c6dbef", "#b3d1ea", "#9ecae1", "#6fa6d6", "#4a8cc7")
    if len(ordered) > len(ramp):  # more would share colours and crowd the legend
        raise style.ChartError(f"at most {len(ramp)} bands, got {len(ordered)} (e.g. 95,60)")
    step = max(len(ramp) // len(ordered), 1)
    return tuple((b, ramp[min(k * step, len(ramp) - 1)]) for k, b in enumerate(ordered))


def draw_fan(
    ax: Axes,
    dataset: xr.Dataset,
    holder: str,
    item: str,
    *,
    colours: tuple[tuple[float, str], ...] = style.FAN_BANDS,
    line: str = style.NAVY,
    name: str = "",
    linestyle: str = "-",
    alpha: float = 1.0,
) -> None:
    """Bands (widest first) and the median line of one cell's stock."""
    time = dataset["time"].values
    stock = Outcomes(dataset).spread("stock", holder, item)
    prefix = f"{name}: " if name else ""
    if stock.many:
        for coverage, colour in colours:
            low, high = stock.band(coverage)
            ax.fill_between(
                time,
                low,
                high,
                color=colour,
                alpha=alpha,
                linewidth=0,
                label=prefix + style.BAND_LEGEND.format(coverage),
            )
    label = f"{prefix}median" if stock.many else f"{prefix}stock"
    ax.plot(time, stock.median(), color=line, linewidth=2.2, linestyle=linestyle, label=label)


def _deterministic(ax: Axes, dataset: xr.Dataset, holder: str, item: str) -> None:
    style.check_cell(dataset, holder, item)
    stock = Outcomes(dataset).spread("stock", holder, item).median()  # one run: its path
    ax.plot(
        dataset["time"].values,
        stock,
        color=style.INK,
        linewidth=1.3,
        linestyle=(0, (6, 2, 1, 2)),
        label="deterministic run",
    )


def _finish(ax: Axes, dataset: xr.Dataset, holder: str, item: str) -> None:
    """Floor and target lines, axes labels and limits, legend."""
    reference_lines(ax, dataset, holder, item)
    time = dataset["time"].values
    style.date_axis(ax, time[0], time[-1])
    style.thousands(ax)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(style.unit(dataset, item))
    holder_label = style.label(dataset, "holder", holder)
    ax.set_title(f"{holder_label}: {style.label(dataset, 'item', item)} on hand")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def reference_lines(ax: Axes, dataset: xr.Dataset, holder: str, item: str) -> None:
    """Dashed floor and dotted target lines at their medians over runs (when above zero)."""
    for name, colour, dashes in (
        ("target", style.GREEN, (0, (1, 1.5))),
        ("floor", style.VERMILLION, (0, (5, 2))),
    ):
        if name not in dataset:
            continue
        value = float(Outcomes(dataset).per_run(name, holder, item).median())
        if value > 0:
            ax.axhline(
                value,
                color=colour,
                linestyle=dashes,
                linewidth=1.6,
                label=f"{name} (median): {style.number(value, 3)}",
            )
