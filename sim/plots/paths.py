"""Paths chart: a sample of individual runs of one holder's stock, so a reader sees what one
possible world looks like (the fan shows where runs lie at each date, not how one run moves)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outcomes import Outcomes
from sim.plots import style
from sim.plots.fan import reference_lines

#: How many runs are drawn by default.
SAMPLE = 20


def paths(
    results: Any, holder: str, item: str, *, count: int = SAMPLE, ax: Axes | None = None
) -> Figure | Axes:
    """``count`` runs' stock paths (evenly spaced run numbers, so the same runs every time),
    with the median over all runs, floor and target lines. Summary-only results keep no
    single run: ``ChartError``."""
    dataset = style.as_dataset(results)
    style.check_cell(dataset, holder, item)
    stock = Outcomes(dataset).spread("stock", holder, item)
    if stock.probabilities is not None:
        raise style.ChartError(
            "these results keep quantiles, not single runs (run without --summary-only)"
        )
    chosen = np.unique(np.linspace(0, stock.runs - 1, min(count, stock.runs)).round().astype(int))
    time = dataset["time"].values
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        for k, run in enumerate(chosen):
            label = f"{len(chosen)} of {stock.runs:,} runs" if k == 0 else None
            ax.plot(time, stock.values[run], color=style.SKY, linewidth=0.9, alpha=0.8,
                    label=label)  # fmt: skip
        ax.plot(time, stock.median(), color=style.NAVY, linewidth=2.2, label="median of all runs")
        reference_lines(ax, dataset, holder, item)
        style.finish_cell_axes(ax, dataset, holder, item, ", single runs")
        if owned:
            style.decorate(fig, dataset)
    return fig if owned else ax
