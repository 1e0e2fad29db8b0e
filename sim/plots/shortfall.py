"""Shortfall chart: what a holder wanted to use and could not, cumulatively (``unmet``)."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outcomes import Outcomes
from sim.plots import style


def shortfall(results: Any, holder: str, item: str, *, ax: Axes | None = None) -> Figure | Axes:
    """Cumulative demand not met (median with 50% and 80% bands) beside what was used, so the
    gap reads as a share of the need."""
    dataset = style.as_dataset(results)
    style.check_cell(dataset, holder, item)
    outcomes = Outcomes(dataset)
    unmet = outcomes.spread("unmet", holder, item)
    used = outcomes.spread("consumed", holder, item)
    time = dataset["time"].values
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        if unmet.many:
            for coverage, colour in ((0.8, "#fbd3b6"), (0.5, "#f4a46b")):
                low, high = unmet.band(coverage)
                ax.fill_between(time, low, high, color=colour, linewidth=0,
                                label=style.BAND_LEGEND.format(coverage))  # fmt: skip
        ax.plot(time, unmet.median(), color=style.VERMILLION, linewidth=2.2,
                label="not met (median)")  # fmt: skip
        ax.plot(time, used.median(), color=style.INK, linewidth=1.2, linestyle=(0, (5, 2)),
                label="used (median)")  # fmt: skip
        style.finish_cell_axes(ax, dataset, holder, item, " wanted and not there",
                               f"{style.unit(dataset, item)}, cumulative since start")  # fmt: skip
        if owned:
            style.decorate(fig, dataset)
    return fig if owned else ax


def short_cells(results: Any) -> list[tuple[str, str]]:
    """(holder, item) cells whose demand went unmet in some run, in holder then item order."""
    dataset = style.as_dataset(results)
    outcomes = Outcomes(dataset)
    return [(h, i) for h, i in outcomes.active() if outcomes.spread("unmet", h, i).any()]
