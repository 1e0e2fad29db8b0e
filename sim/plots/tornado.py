"""Tornado chart: the outcome's median with each input at its own p10 and at its p90."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.plots import style
from sim.sensitivity import Explanation

LOW: Any = {"facecolor": style.SKY, "edgecolor": style.BLUE}
HIGH: Any = {"facecolor": "#f4b183", "edgecolor": style.VERMILLION, "hatch": "////"}
NAMES = {
    "depleted_at": "hits its floor",
    "replenished_at": "is back at target after its trough",
    "trough_at": "bottoms out",
    "trough": "trough",
    "stock_at_end": "stock at the end",
}


def describe(explanation: Explanation, dataset: Any) -> str:
    """``155mm artillery shell at United States is replenished`` and the like."""
    o = explanation.outcome
    what = NAMES.get(o.metric, o.metric.replace("@", " at "))
    holder = style.label(dataset, "holder", o.holder)
    item = style.label(dataset, "item", o.item)
    if o.metric.endswith("_at"):
        return f"{item} at {holder} {what}"
    return f"{what} of {item} at {holder}"


def tornado(
    explanation: Explanation, results: Any, *, top: int = 8, ax: Axes | None = None
) -> Figure | Axes:
    """One bar per input (most influential on top) from the outcome's overall median to its
    median over the runs with the input at or below its p10 (solid) and at or above its p90
    (hatched); each row is labelled with the input's scenario path and its share of variance.
    A date that falls after the end in the median is drawn to the end and marked so."""
    dataset = style.as_dataset(results)
    rows = explanation.table.head(top)
    o = explanation.outcome
    shift = style.date_number(np.datetime64(o.start)) if o.is_date else 0.0
    end = style.date_number(dataset["time"].values[-1])
    base = explanation.median

    def clip(value: float) -> float:  # on the axis: a date as its day number, after end at end
        return min(value + shift, end) if o.is_date else value

    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        for k, row in enumerate(rows.to_dict("records")):
            y = len(rows) - 1 - k
            for value, look in ((row["median_at_p10"], LOW), (row["median_at_p90"], HIGH)):
                value = float(value)
                if np.isnan(value):
                    continue
                left, right = sorted((clip(base), clip(value)))
                ax.barh(y, right - left, left=left, height=0.6, linewidth=0.8, **look)
                if o.is_date and np.isinf(value) and not np.isinf(base):
                    ax.annotate("after end", (end, y), xytext=(3, 0), textcoords="offset points",
                                va="center", fontsize=8, color=style.MUTED)  # fmt: skip
        ax.axvline(clip(base), color=style.INK, linewidth=1.0)
        if o.is_date and np.isinf(base):
            ax.annotate("median of all runs: after end", (end, len(rows) - 0.5), ha="right",
                        va="bottom", fontsize=8, color=style.MUTED)  # fmt: skip
        labels = [
            f"{style.input_label(dataset, str(row['input']))}  "
            f"({style.share(float(row['first_order']))})"
            for row in rows.to_dict("records")
        ]
        ax.set_yticks(range(len(rows))[::-1], labels, fontsize=8.5)
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        if o.is_date:
            style.date_ticks(ax, most=8)  # "May 2026", never a bare "May"
        else:
            style.thousands(ax, "x")
            ax.set_xlabel(style.unit(dataset, o.item))
        title = (f"What drives when {describe(explanation, dataset)}"
                 if o.is_date else f"What drives the {describe(explanation, dataset)}")  # fmt: skip
        ax.set_title(f"Median {'date' if o.is_date else 'value'} with each input low or high")
        handles = [
            Patch(**LOW, label="input at or below its p10"),
            Patch(**HIGH, label="input at or above its p90"),
        ]
        ax.legend(handles=handles, loc="lower right", fontsize=8)
        if owned:
            unexplained = style.share(explanation.unexplained)
            kind = "a sample of " if explanation.sampled else ""
            subtitle = (
                f"{dataset.attrs.get('scenario', '')}. Bars: median with the input at its own "
                f"p10 or p90; line: median of all runs ({o.show(base)}); (n%): the input's "
                f"share of variance. No single input explains {unexplained}. From "
                f"{kind}{explanation.runs:,} runs."
            )
            style.decorate(fig, dataset, title=title, subtitle=subtitle, bands=False)
    return fig if owned else ax
