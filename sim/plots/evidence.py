"""The model against the record: the fan of an observed level or flow with the observations on
it (exact values as points with their reporting error, bounds as arrows)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.flows import BY_NAME, DERIVED
from sim.outcomes import Outcomes, Spread
from sim.plots import style
from sim.results import OBSERVED

#: Bands of the fan, widest first (the check's verdicts speak of the 80% band).
BANDS = ((0.90, "#deebf7"), (0.80, "#b3d1ea"))
POINT = style.VERMILLION


def observations(dataset: xr.Dataset) -> list[str]:
    """The ids of the observations in results, in file order."""
    if OBSERVED not in dataset:
        return []
    return list(dict.fromkeys(str(o) for o in dataset[OBSERVED]["observation"].values))


def against_record(results: Any, observation: str, *, ax: Axes | None = None) -> Figure | Axes:
    """The runs' 80% and 90% bands and median of the level or flow ``observation`` observed,
    with its observed values: exact ones as points with a bar of one reporting-error standard
    deviation either side, ``at_least`` / ``at_most`` bounds as arrows pointing where the true
    value lies."""
    dataset = style.as_dataset(results)
    if observation not in observations(dataset):
        known = ", ".join(observations(dataset)) or "none"
        raise style.ChartError(f"no observation {observation!r} in these results ({known})")
    points = dataset[OBSERVED].where(dataset[OBSERVED]["observation"] == observation, drop=True)
    holder = str(points["observation_holder"].values[0])
    item = str(points["observation_item"].values[0])
    of = str(points["observation_of"].values[0])
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        _fan(ax, dataset, holder, item, of)
        _points(ax, points)
        time = dataset["time"].values
        style.date_axis(ax, time[0], time[-1])
        style.thousands(ax)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(style.unit(dataset, item))
        what = BY_NAME[of].label if of in BY_NAME else of.replace("_", " ")
        item_label, holder_label = (
            style.label(dataset, "item", item),
            style.label(dataset, "holder", holder),
        )
        _, title = style.fit_title(f"{holder_label}: {item_label}, {what}", 6.5)  # words, no ids
        ax.set_title(title, fontsize=11.5)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        if owned:
            source = str(points["observation_source"].values[0])
            style.decorate(fig, dataset, extra_sources=[f"Observed: {source}"] if source else [])
    return fig if owned else ax


def _fan(ax: Axes, dataset: xr.Dataset, holder: str, item: str, of: str) -> None:
    time = dataset["time"].values
    outcomes = Outcomes(dataset)
    if of in DERIVED and outcomes.summary:
        return  # quantiles of the levels do not add up to those of their sum: no fan
    spread = (
        Spread(
            np.sum([outcomes.spread(n, holder, item).values for n in DERIVED[of]], axis=0),
            outcomes.runs,
        )
        if of in DERIVED
        else outcomes.spread(of, holder, item)
    )
    if spread.many:
        for coverage, colour in BANDS:
            low, high = spread.band(coverage)
            ax.fill_between(time, low, high, color=colour, linewidth=0,
                            label=style.BAND_LEGEND.format(coverage))  # fmt: skip
    ax.plot(time, spread.median(), color=style.NAVY, linewidth=2.0,
            label="median of runs" if spread.many else "the run")  # fmt: skip


def _points(ax: Axes, points: xr.DataArray) -> None:
    date = "date" if "date" in points.coords else "observed_date"
    dates = points[date].values
    values = np.asarray(points["value"].values, dtype=float)
    bounds = points["bound"].values.astype(str)
    exact = bounds == "exact"
    if exact.any():
        sd = np.asarray(points["error_sd"].values, dtype=float)[exact]
        ax.errorbar(dates[exact], values[exact], yerr=sd, fmt="o", color=POINT, ecolor=POINT,
                    markersize=6, capsize=3, linewidth=1.2, zorder=5,
                    label="observed (bar: ±1 sd reporting error)")  # fmt: skip
    for bound, marker, label in (("at_least", "^", "at least"), ("at_most", "v", "at most")):
        chosen = bounds == bound
        if chosen.any():
            ax.scatter(dates[chosen], values[chosen], marker=marker, s=70, color=POINT,
                       edgecolor=style.INK, linewidth=0.6, zorder=5,
                       label=f"observed: {label} (arrow)")  # fmt: skip
            _arrows(ax, dates[chosen], values[chosen], up=bound == "at_least")


def _arrows(ax: Axes, dates: np.ndarray, values: np.ndarray, *, up: bool) -> None:
    """An arrow from each bound towards where the true value lies (up: at least)."""
    for date, value in zip(dates, values, strict=True):
        ax.annotate("", xy=(date, value), xytext=(0, 30 if up else -30),
                    textcoords="offset points", annotation_clip=False,
                    arrowprops={"arrowstyle": "<|-", "color": POINT, "linewidth": 1.4})  # fmt: skip
