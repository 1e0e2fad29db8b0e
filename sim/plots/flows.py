"""Flows chart: where one holder's stock of one item came from and went, cumulatively."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.flows import BY_NAME, CHARTED
from sim.outcomes import Outcomes
from sim.plots import style


def flows(results: Any, holder: str, item: str, *, ax: Axes | None = None) -> Figure | Axes:
    """Cumulative inflows (solid) against outflows (dashed): medians with 10-90% bands.

    Flows that are zero in every run are left out; the stock median is drawn for scale. Which
    flows, their legend text, colour and line style come from ``sim.flows``.
    """
    dataset = style.as_dataset(results)
    style.check_cell(dataset, holder, item)
    outcomes = Outcomes(dataset)
    time = dataset["time"].values
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        for name in CHARTED:
            flow = BY_NAME[name]
            values = outcomes.spread(name, holder, item)
            if not values.any():
                continue
            if values.many and flow.sign != 0:  # the band of what did not happen would swamp
                low, high = values.band(0.8)
                ax.fill_between(time, low, high, color=flow.colour, alpha=0.18, linewidth=0)
            ax.plot(time, values.median(), color=flow.colour, linestyle=flow.dashes,
                    linewidth=2.2, label=flow.label)  # fmt: skip
        stock = outcomes.spread("stock", holder, item).median()
        ax.plot(time, stock, color=style.INK, linewidth=1.0, label="on hand (median)")
        style.date_axis(ax, time[0], time[-1])
        style.thousands(ax)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"{style.unit(dataset, item)}, cumulative since start")
        holder_label = style.label(dataset, "holder", holder)
        ax.set_title(f"{holder_label}: where the {style.label(dataset, 'item', item)} went")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                  title="median; band: 80% of runs", title_fontsize=8.5)  # fmt: skip
        if owned:
            style.decorate(fig, dataset)
    return fig if owned else ax
