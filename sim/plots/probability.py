"""Probability by date: the chance that a stock is back at target (or has hit its floor) by
each date, for one or several results (scenarios, variants) on one chart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.outcomes import Outcomes
from sim.plots import style

Event = Literal["back", "floor"]
LINES = (  # colour, line style, marker: told apart in greyscale too
    (style.BLUE, "-", None),
    (style.VERMILLION, "--", None),
    (style.GREEN, ":", None),
    (style.INK, "-.", None),
    (style.ORANGE, (0, (5, 1, 1, 1, 1, 1)), None),
)
WORDS = {"back": "back at target", "floor": "at or below its floor"}


def chance_by(results: Any, holder: str, item: str, event: Event = "back") -> tuple[Any, Any]:
    """Dates and the share of runs in which the event has happened by each (a step function)."""
    dataset = style.as_dataset(results)
    style.check_cell(dataset, holder, item)
    outcomes = Outcomes(dataset)
    if event == "back":
        return outcomes.back_by(holder, item)
    return outcomes.depleted_by(holder, item)


def probability(
    results: Any | Sequence[Any],
    holder: str,
    item: str,
    *,
    event: Event = "back",
    labels: Sequence[str] | None = None,
    marks: Sequence[float] = (0.5, 0.8),
    ax: Axes | None = None,
) -> Figure | Axes:
    """The chance that ``holder``'s ``item`` is back at target after its trough (``event=
    "back"``) or has hit its floor (``"floor"``) by each date; one line per results set."""
    many = list(results) if isinstance(results, list | tuple) else [results]
    if not many or len(many) > len(LINES):
        raise style.ChartError(f"give 1 to {len(LINES)} results, got {len(many)}")
    datasets = [style.as_dataset(r) for r in many]
    names = list(labels) if labels else [str(d.attrs.get("scenario", "")) for d in datasets]
    if len(names) != len(datasets):
        raise style.ChartError("give one label per results set")
    first = datasets[0]
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        for dataset, name, (colour, dash, _) in zip(datasets, names, LINES, strict=False):
            dates, chance = chance_by(dataset, holder, item, event)
            end = dataset["time"].values[-1]
            xs = np.append(dates, end)
            ys = np.append(chance, chance[-1])
            final = f"{name} ({style.share(float(chance[-1]))} by the end)"
            ax.step(xs, ys, where="post", color=colour, linestyle=dash, linewidth=2, label=final)
        for mark in marks:
            ax.axhline(mark, color=style.MUTED, linewidth=0.7, linestyle=":")
        starts = [d["time"].values[0] for d in datasets]
        ends = [d["time"].values[-1] for d in datasets]
        style.date_axis(ax, min(starts), max(ends))
        ax.set_ylim(0, 1.02)
        style.percent(ax)
        ax.set_ylabel("share of runs")
        holder_label = style.label(first, "holder", holder)
        item_label = style.label(first, "item", item)
        ax.set_title(f"Chance that {item_label} at {holder_label} is {WORDS[event]} by each date")
        ax.legend(loc="upper left", fontsize=8)
        if owned:
            extra = [s for d in datasets[1:] for s in style.sources(d) if s not in
                     style.sources(first)]  # fmt: skip
            subtitle = "Share of runs in which it has happened by each date"
            if event == "back":
                subtitle += " (back after its trough; runs never below target count as back)"
            style.decorate(fig, first, title=" vs ".join(dict.fromkeys(names)),
                           subtitle=subtitle, extra_sources=extra, bands=False)  # fmt: skip
    return fig if owned else ax
