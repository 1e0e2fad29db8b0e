"""Availability chart: the share of a fleet out of action (in repair) over time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outcomes import Outcomes, Spread, is_summary
from sim.plots import style

BANDS = ((0.90, "#fde0c5"), (0.80, "#f8b98a"), (0.50, "#ec8c4c"))  # light to dark orange


def out_of_action(
    results: Any, holder: str, item: str, *, also: Sequence[str] | None = None
) -> np.ndarray:
    """Per run and time, the share of ``holder``'s fleet of ``item`` out of action (NaN where
    the fleet is empty); full results only.

    ``also`` names holders (repair hubs) whose items count in the fleet, out of action; by
    default the hubs the run recorded (``sim.outcomes.Outcomes.out_of_action``).
    """
    dataset = style.as_dataset(results)
    if is_summary(dataset):
        raise style.ChartError("summary-only results keep no runs: chart the availability")
    return _share(dataset, holder, item, also).values


def _share(dataset: xr.Dataset, holder: str, item: str, also: Sequence[str] | None) -> Spread:
    for other in (holder, *(also or ())):
        style.check_cell(dataset, other, item)
    outcomes = Outcomes(dataset)
    if also is None and (holder, item) not in outcomes.fleets:
        known = "; ".join(f"{h} {i}" for h, i in outcomes.fleets) or "none in these results"
        raise style.ChartError(
            f"{holder} {item} is not a fleet with repair (fleets: {known}); "
            "name its repair hubs with --also to chart it anyway"
        )
    return outcomes.out_of_action(holder, item, None if also is None else tuple(also))


def availability(
    results: Any,
    holder: str,
    item: str,
    *,
    also: Sequence[str] | None = None,
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
        _fleet_size(ax, dataset, holder, item, also)
        style.date_axis(ax, time[0], time[-1])
        style.percent(ax)
        high = share.band(0.9)[1]
        top = np.nanmax(high) if np.isfinite(high).any() else 0.0
        ax.set_ylim(0, min(1.0, max(0.1, 1.15 * float(top))))
        ax.set_ylabel("share of fleet out of action")
        holder_label = style.label(dataset, "holder", holder)
        item_label = style.label(dataset, "item", item)
        ax.set_title(f"{holder_label}: share of {item_label} fleet out of action")
        handles = [h for a in fig.axes for h in a.get_legend_handles_labels()[0]]
        labels = [lab for a in fig.axes for lab in a.get_legend_handles_labels()[1]]
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.08, 1.0), borderaxespad=0)
        if owned:
            style.decorate(fig, dataset)
    return fig if owned else ax


def _fleet_size(
    ax: Axes, dataset: xr.Dataset, holder: str, item: str, also: Sequence[str] | None
) -> None:
    """The fleet's mean size on a right axis, so a share of a small fleet reads as one."""
    size = Outcomes(dataset).fleet_mean(holder, item, None if also is None else tuple(also))
    right = ax.twinx()
    right.plot(dataset["time"].values, size, color=style.INK, linewidth=1.1,
               linestyle=(0, (4, 2)), label="fleet size (mean over runs, right axis)")  # fmt: skip
    right.set_ylim(0, max(1.0, 1.15 * float(np.nanmax(size)) if np.isfinite(size).any() else 1))
    right.set_ylabel(f"fleet, {style.unit(dataset, item)}")
    right.grid(False)
    right.spines["right"].set_visible(True)
    style.thousands(right)
