"""Value chart: what a holder donated, in money, against what its new production cost."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.currency import label as currency_label
from sim.currency import money
from sim.flows import BY_NAME, REPLACEMENT_COST
from sim.outcomes import NotKept, Outcomes
from sim.plots import style

#: What is drawn: value, legend text, colour, line style (told apart in greyscale by style).
LINES = (
    ("produced_value", "new production", BY_NAME["produced"].colour, "-"),
    ("sent_value", "donated", BY_NAME["sent"].colour, (0, (5, 2))),
    (REPLACEMENT_COST, "replacement cost open", style.INK, (0, (1, 1.2))),
)
BAND = 0.8


def value(results: Any, holder: str, *, ax: Axes | None = None) -> Figure | Axes:
    """Cumulative value donated by ``holder`` against the cumulative value of its new
    production, with the replacement cost still open at each time: medians over runs with
    80% bands, summed over the holder's priced items, in the results' currency.

    Donations count at the price of the day they left, production at the price of the day it
    was credited, the replacement cost at the price of each day (docs/model.md).
    """
    dataset = style.as_dataset(results)
    known = [str(h) for h in dataset["holder"].values]
    if holder not in known:
        raise style.ChartError(f"unknown holder {holder!r} (one of: {', '.join(known)})")
    outcomes = Outcomes(dataset)
    if not outcomes.priced:
        raise style.ChartError("no item has a price (unit_cost): these results hold no values")
    time = dataset["time"].values
    code = outcomes.currency
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        for name, text, colour, dashes in LINES:
            try:
                values = outcomes.holder_value(name, holder)
            except NotKept:
                continue
            if not values.any():
                continue
            if values.many:
                low, high = values.band(BAND)
                ax.fill_between(time, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(time, values.median(), color=colour, linestyle=dashes, linewidth=2.2,
                    label=text)  # fmt: skip
        style.date_axis(ax, time[0], time[-1])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money(v, code)))
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"{currency_label(code)}: cumulative, or open on the day")
        items = ", ".join(style.label(dataset, "item", i) for i in outcomes.priced)
        holder_label = style.label(dataset, "holder", holder)
        ax.set_title(f"{holder_label}: value donated vs new production ({items})")
        title = "median; band: 80% of runs" if outcomes.runs > 1 else None
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                  title=title, title_fontsize=8.5)  # fmt: skip
        if owned:
            style.decorate(fig, dataset)
    return fig if owned else ax


def value_holders(dataset: Any) -> list[str]:
    """Holders that donated or produced priced items in some run, in file order."""
    outcomes = Outcomes(style.as_dataset(dataset))
    if not outcomes.priced:
        return []
    shown = []
    for holder in outcomes.dataset["holder"].values:
        for name in ("sent_value", "produced_value"):
            try:
                moved = outcomes.holder_value(name, str(holder)).any()
            except NotKept:
                moved = False
            if moved:
                shown.append(str(holder))
                break
    return shown
