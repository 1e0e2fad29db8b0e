"""Availability chart: the share of a fleet out of action (in repair) over time."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.plots import quantiles as q
from sim.plots import style

BANDS = ((0.90, "#fde0c5"), (0.80, "#f8b98a"), (0.50, "#ec8c4c"))  # light to dark orange


def out_of_action(results: Any, holder: str, item: str, *, also: Sequence[str] = ()) -> np.ndarray:
    """``in_repair / (stock + in_repair)`` per run and time; NaN where the fleet is empty.

    ``also`` names holders (a repair hub) whose stock, in_repair and in_transit belong to
    ``holder``'s fleet and count as out of action.
    """
    dataset = style.as_dataset(results)
    for other in (holder, *also):
        style.check_cell(dataset, other, item)
    out = q.series(dataset, "in_repair", holder, item)
    for other in also:
        for name in ("stock", "in_repair", "in_transit"):
            out = out + q.series(dataset, name, other, item)
    fleet = q.series(dataset, "stock", holder, item) + out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.where(fleet > 0, out / fleet, np.nan)


def fleets(dataset: xr.Dataset) -> dict[tuple[str, str], tuple[str, ...]]:
    """Summary-only results: the fleets whose share out of action was kept, with their hubs."""
    return {(h, i): tuple(hubs) for h, i, hubs in json.loads(dataset.attrs.get("fleets", "[]"))}


def _share(dataset: xr.Dataset, holder: str, item: str, also: Sequence[str]) -> q.Spread:
    """The share out of action over runs, computed from the runs or as kept by a summary run."""
    if not q.is_summary(dataset):
        runs = int(dataset.attrs.get("runs", dataset.sizes["run"]))
        return q.Spread(out_of_action(dataset, holder, item, also=also), runs)
    style.check_cell(dataset, holder, item)
    kept = fleets(dataset)
    if kept.get((holder, item)) != tuple(also):
        known = "; ".join(f"{h} {i}" + (f" with {', '.join(a)}" if a else "")
                          for (h, i), a in kept.items()) or "none"  # fmt: skip
        raise style.ChartError(
            f"summary-only results keep the share out of action only for fleets: {known}"
        )
    return q.spread(dataset, "out_of_action", holder, item)


def availability(
    results: Any,
    holder: str,
    item: str,
    *,
    also: Sequence[str] = (),
    ax: Axes | None = None,
) -> Figure | Axes:
    """Median share out of action with 50/80/90% bands over runs (see ``out_of_action``)."""
    dataset = style.as_dataset(results)
    share = _share(dataset, holder, item, also)
    time = dataset["time"].values
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        if share.many:
            for coverage, colour in BANDS:
                low, high = share.band(coverage)
                ax.fill_between(time, low, high, color=colour, linewidth=0,
                                label=style.BAND_LEGEND.format(coverage))  # fmt: skip
        label = "median" if share.many else "share out of action"
        ax.plot(time, share.median(), color="#7f2704", linewidth=2.2, label=label)
        style.date_axis(ax, time[0], time[-1])
        style.percent(ax)
        high = share.band(0.9)[1]
        top = np.nanmax(high) if np.isfinite(high).any() else 0.0
        ax.set_ylim(0, min(1.0, max(0.1, 1.15 * float(top))))
        ax.set_ylabel("share of fleet out of action")
        holder_label = style.label(dataset, "holder", holder)
        item_label = style.label(dataset, "item", item)
        ax.set_title(f"{holder_label}: share of {item_label} fleet out of action")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        if owned:
            style.decorate(fig, dataset)
    return fig if owned else ax
