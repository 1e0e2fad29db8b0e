"""Compare chart: two results' stock fans for one holder and item on one axis."""

from __future__ import annotations

from typing import Any

import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outcomes import Outcomes
from sim.plots import style
from sim.plots.fan import draw_fan, reference_lines

A_BANDS = ((0.90, "#c6dbef"), (0.50, "#6baed6"))
B_LINE = "#a63603"


def compare(
    a: Any,
    b: Any,
    holder: str,
    item: str,
    *,
    labels: tuple[str, str] = ("A", "B"),
    ax: Axes | None = None,
) -> Figure | Axes:
    """Median and 50/90% bands of stock for ``a`` (blue, solid) and ``b`` (orange, dashed)."""
    first, second = style.as_dataset(a), style.as_dataset(b)
    style.check_cell(first, holder, item)
    style.check_cell(second, holder, item)
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        draw_fan(ax, first, holder, item, name=labels[0], colours=A_BANDS)
        _outline_fan(ax, second, holder, item, labels[1])
        reference_lines(ax, first, holder, item)
        time = first["time"].values
        end = max(time[-1], second["time"].values[-1])
        style.date_axis(ax, min(time[0], second["time"].values[0]), end)
        style.thousands(ax)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(style.unit(first, item))
        holder_label = style.label(first, "holder", holder)
        item_label = style.label(first, "item", item)
        ax.set_title(f"{holder_label}: {item_label} on hand, {labels[0]} vs {labels[1]}")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        if owned:
            names = dict.fromkeys(str(d.attrs.get("scenario", "")) for d in (first, second))
            title = f"{labels[0]} vs {labels[1]}"
            subtitle = " | ".join(names)
            extra = [s for s in style.sources(second) if s not in style.sources(first)]
            style.decorate(fig, first, title=title, subtitle=subtitle, extra_sources=extra)
    return fig if owned else ax


def _outline_fan(ax: Axes, dataset: xr.Dataset, holder: str, item: str, name: str) -> None:
    """``b`` drawn so ``a`` shows through: hatched 50% band, dashed 90% edges, dashed median."""
    time = dataset["time"].values
    stock = Outcomes(dataset).spread("stock", holder, item)
    if stock.many:
        low, high = stock.band(0.9)
        ax.plot(time, low, color=B_LINE, linewidth=0.9, linestyle=(0, (2, 2)))
        ax.plot(time, high, color=B_LINE, linewidth=0.9, linestyle=(0, (2, 2)),
                label=f"{name}: 90% of runs (edges)")  # fmt: skip
        low, high = stock.band(0.5)
        ax.fill_between(time, low, high, facecolor="none", edgecolor=B_LINE, hatch="////",
                        linewidth=0.0, label=f"{name}: 50% of runs")  # fmt: skip
    label = f"{name}: median" if stock.many else f"{name}: stock"
    ax.plot(time, stock.median(), color=B_LINE, linewidth=2.2, linestyle="--",
            label=label)  # fmt: skip
