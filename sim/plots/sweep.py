"""Sweep charts: an outcome's bands against a varied input, and a two-input heat map of the
chance that a goal holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.plots import style

if TYPE_CHECKING:
    from sim.sweeps import Sweep

BAND = "#b3d1ea"
QUANTILES = (0.1, 0.5, 0.9)


def sweep_bands(found: Sweep, *, ax: Axes | None = None) -> Figure | Axes:
    """p10-p90 band and median of the sweep's outcome at each value of its first input (one
    line per value of a second input); a date not reached is drawn at the end, marked."""
    dataset = found.dataset
    first = found.vary[0]
    columns = [str(v[0]) if isinstance(v[0], str) else v[0] for v in found.values]
    xs_all = np.arange(len(columns)) if any(isinstance(c, str) for c in columns) else columns
    seconds = sorted({v[1] for v in found.values}, key=str) if len(found.vary) > 1 else [None]
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        probe = found.outcome(0)
        end = style.date_number(dataset["time"].values[-1])
        shift = style.date_number(np.datetime64(probe.start)) if probe.is_date else 0.0
        dashes = ["-", "--", ":", "-."]
        for n, second in enumerate(seconds):
            chosen = [k for k, v in enumerate(found.values) if len(v) < 2 or v[1] == second]
            xs = np.asarray([xs_all[k] for k in chosen], dtype=float)
            qs = np.array([np.quantile(found.outcome(k).values, QUANTILES,
                                       method="inverted_cdf") for k in chosen])  # fmt: skip
            if probe.is_date:
                qs = np.minimum(qs + shift, end)
            which = "" if second is None else f", {found.vary[1].label(second)}"
            if n == 0:
                ax.fill_between(xs, qs[:, 0], qs[:, 2], color=BAND, linewidth=0,
                                label=f"80% of runs{which}")  # fmt: skip
            label = f"median{which}"
            ax.plot(xs, qs[:, 1], color=style.NAVY, linestyle=dashes[n % 4], marker="o",
                    linewidth=2, label=label)  # fmt: skip
        if probe.is_date:
            ax.axhline(end, color=style.MUTED, linewidth=0.8, linestyle=":")
            ax.annotate("end of horizon: not by then", (0.01, end), xycoords=("axes fraction",
                        "data"), va="bottom", fontsize=8, color=style.MUTED)  # fmt: skip
            locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
            ax.yaxis.set_major_locator(locator)
            ax.yaxis.set_major_formatter(
                mdates.ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
            )
        else:
            style.thousands(ax)
        if any(isinstance(c, str) for c in columns):
            ax.set_xticks(xs_all, [str(c) for c in columns])
        elif first.mode == "scale":
            ax.xaxis.set_major_formatter(lambda v, _p: f"x{v:g}")
        ax.set_xlabel(first.path + ("" if first.mode == "scale" else f" ({first.unit.strip()})"))
        ax.set_title(f"{found.metric} of {found.item} at {found.holder} against the input")
        ax.legend(loc="best", fontsize=8)
        if owned:
            style.decorate(fig, dataset, title=f"Sweep of {first.path}",
                           subtitle="Same random numbers for every value (common random "
                           "numbers): the bands move only because the input moved.")  # fmt: skip
    return fig if owned else ax


def sweep_heatmap(found: Sweep, *, ax: Axes | None = None) -> Figure | Axes:
    """The chance that the sweep's goal holds over the grid of its two inputs, in shades of
    one hue with the percentage written in each cell."""
    if found.goal is None or len(found.vary) != 2:
        raise style.ChartError("a heat map needs a sweep of two inputs with a goal")
    a = list(dict.fromkeys(v[0] for v in found.values))
    b = list(dict.fromkeys(v[1] for v in found.values))
    grid = np.full((len(b), len(a)), np.nan)
    for k, (x, y) in enumerate(found.values):
        grid[b.index(y), a.index(x)] = float(found.table["goal"].iloc[k])
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=1, origin="lower", aspect="auto")
        for (j, i), value in np.ndenumerate(grid):
            ink = "white" if value > 0.6 else style.INK
            ax.text(i, j, style.share(value), ha="center", va="center", color=ink, fontsize=9)
        ax.set_xticks(range(len(a)), [found.vary[0].label(v) for v in a])
        ax.set_yticks(range(len(b)), [found.vary[1].label(v) for v in b])
        ax.set_xlabel(found.vary[0].path)
        ax.set_ylabel(found.vary[1].path)
        ax.grid(False)
        fig.colorbar(image, ax=ax, format=lambda v, _p: f"{v:.0%}", label="chance")
        ax.set_title(f"Chance that {found.goal.text}")
        if owned:
            style.decorate(fig, found.dataset, title="What it would take",
                           subtitle="Share of runs meeting the goal at each pair of values, "
                           "with common random numbers.", bands=False)  # fmt: skip
    return fig if owned else ax
