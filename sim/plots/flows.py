"""Flows chart: where one holder's stock of one item came from and went, cumulatively."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.plots import quantiles as q
from sim.plots import style

# name, legend text, colour, line style; inflows solid, outflows dashed or dotted
FLOWS = (
    ("produced", "produced", style.BLUE, "-"),
    ("received", "received (donations in)", style.GREEN, "-"),
    ("repaired", "back from repair", style.SKY, "-"),
    ("sent", "sent (donations out)", style.VERMILLION, (0, (5, 2))),
    ("consumed", "consumed (fired, used up)", style.ORANGE, (0, (5, 2))),
    ("lost", "lost (incl. repairable)", style.PURPLE, (0, (1, 1.2))),
    ("used", "used to make other items", style.MUTED, (0, (5, 1.5, 1, 1.5))),
    ("unmet", "demand not met (not taken)", style.INK, (0, (1, 2.5))),
)


def flows(results: Any, holder: str, item: str, *, ax: Axes | None = None) -> Figure | Axes:
    """Cumulative inflows (solid) against outflows (dashed): medians with 10-90% bands.

    Flows that are zero in every run are left out; the stock median is drawn for scale.
    """
    dataset = style.as_dataset(results)
    style.check_cell(dataset, holder, item)
    time = dataset["time"].values
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        for name, text, colour, dashes in FLOWS:
            if name not in dataset:
                continue
            values = q.spread(dataset, name, holder, item)
            if not values.any():
                continue
            if values.many and name != "unmet":  # its band would swamp the rest
                low, high = values.band(0.8)
                ax.fill_between(time, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(time, values.median(), color=colour, linestyle=dashes, linewidth=2.2,
                    label=text)  # fmt: skip
        stock = q.spread(dataset, "stock", holder, item).median()
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
