"""The briefing chart: when each drawn-down stock hits its floor, bottoms out and is refilled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import ScaledTranslation

from sim.outcomes import Outcomes
from sim.plots import style

QUANTILES = (0.1, 0.5, 0.9)
BAR = 0.34  # bar height in row units
DENSE = 5  # more rows than this: smaller labels, fewer notes
NOTE_POINTS = 8.5  # the grey notes on the rows
LABEL_INCHES = 3.6  # row labels wrap to this width, so the bars keep most of the figure
DEPLETED = {"facecolor": "#f4b183", "edgecolor": style.VERMILLION, "hatch": "////"}
REPLENISHED = {"facecolor": style.SKY, "edgecolor": style.BLUE}


@dataclass(frozen=True)
class Row:
    """What the timeline shows for one (holder, item)."""

    holder: str
    item: str
    depleted: np.ndarray  # p10, p50, p90 over all runs (NaT: not by the end in that share)
    depleted_share: float
    trough_at: np.datetime64  # median
    trough: float  # median
    replenished: np.ndarray
    replenished_share: float
    not_back_share: float  # runs below target at some time and not back by the end


def drawn_down(dataset: xr.Dataset) -> list[tuple[str, str]]:
    """Cells whose stock falls below its target in some run, in file order."""
    return Outcomes(dataset).drawn_down()


def rows(dataset: xr.Dataset) -> list[Row]:
    """The timeline rows: date quantiles and shares for every drawn-down cell."""
    outcomes = Outcomes(dataset)
    return [_row(outcomes, holder, item) for holder, item in outcomes.drawn_down()]


def _row(outcomes: Outcomes, holder: str, item: str) -> Row:
    depleted = outcomes.dates("depleted_at", holder, item)
    back = outcomes.dates("replenished_at", holder, item)
    trough_at = outcomes.dates("trough_at", holder, item).quantiles((0.5,))
    return Row(
        holder=holder,
        item=item,
        depleted=depleted.quantiles(QUANTILES),
        depleted_share=depleted.probability,
        trough_at=trough_at[0],
        trough=float(outcomes.per_run("trough", holder, item).median()),
        replenished=back.quantiles(QUANTILES),
        replenished_share=back.probability,
        not_back_share=outcomes.not_refilled(holder, item),
    )


def timeline(results: Any, *, ax: Axes | None = None) -> Figure | Axes:
    """One row per drawn-down stock: p10-p90 of the dates it hits its floor and is back at
    target (medians marked), its median trough, and the share of runs not refilled by the end.

    One rule, as in the summary table: percentiles are over all runs, and a run where the event
    does not happen counts as later than the end. A range whose p90 is past the end runs to the
    right edge; an event in fewer than 10% of runs has no range, only its share. Every row says
    in what share of runs each event happens. "Back at target" is the first return to target
    after the trough, as ``replenished_at`` everywhere.
    """
    dataset = style.as_dataset(results)
    found = rows(dataset)
    with style.briefing_style():
        fig, ax, owned = style.new_figure(ax)
        time = dataset["time"].values
        end = time[-1]
        dense = len(found) > DENSE
        drawn: set[str] = set()
        notes = []
        for index, row in enumerate(found):
            shown, above = _draw_row(ax, index, row, time[0], end, dense)
            drawn |= shown
            notes.append(above)
        _axes(ax, dataset, found, time[0], end, drawn)
        if owned:
            _legend_below(fig, ax, style.decorate(fig, dataset, reserve_inches=0.4), drawn)
        style.thin_dates(ax, time[0], end)
        _untangle(ax, notes, end)
    return fig if owned else ax


def _draw_row(
    ax: Axes, y: int, row: Row, start: np.datetime64, end: np.datetime64, dense: bool
) -> tuple[set[str], list[Text]]:
    """Track, depletion range, trough, replenishment range and the shares of runs; returns
    what it drew (for the legend) and the notes above the row (floor, refill). ``dense`` (many
    rows) keeps the notes short."""
    drawn = set()
    ax.plot([start, end], [y, y], color=style.GRID, linewidth=1.0, zorder=1)
    floor_note = back_note = None
    if row.depleted_share > 0:
        if _range(ax, y, row.depleted, DEPLETED, "D", end):
            drawn.add("depleted")
        low = start if np.isnat(row.depleted[0]) else row.depleted[0]  # rare: no range
        share = style.share(row.depleted_share)
        floor_note = (low, share if dense else f"at floor in {share} of runs")
    if not np.isnat(row.trough_at):
        ax.plot(row.trough_at, y - BAR / 2 - 0.02, marker="v", color=style.INK, markersize=7,
                markeredgecolor="white", markeredgewidth=0.8, zorder=7)  # fmt: skip
        drawn.add("trough")
        if not dense:
            _note(ax, row.trough_at, y + BAR / 2 + 0.04, f"trough {style.level(row.trough)}",
                  "center", "top")  # fmt: skip
    if row.replenished_share > 0 and _range(ax, y, row.replenished, REPLENISHED, "o", end):
        drawn.add("replenished")
        share = style.share(row.replenished_share)
        if dense and not np.isnat(row.replenished[1]):
            _month_beside(ax, y, row, style.month(row.replenished[1]), start, end)
        elif not dense:
            median = (
                ""
                if np.isnat(row.replenished[1])
                else f", median {style.month(row.replenished[1])}"
            )
            runs = "every run" if row.not_back_share <= 0 else f"{share} of runs"  # as the margin
            back_note = (row.replenished[0], f"back in {runs}{median}")
    above = [
        _note(ax, x, y - BAR / 2 - 0.04, text, "left")
        for x, text in (n for n in (floor_note, back_note) if n is not None)
    ]
    _not_by(ax, y, row.not_back_share, end, 8.5 if dense else 9.5)
    return drawn, above


def _range(
    ax: Axes, y: int, dates: np.ndarray, look: dict[str, str], marker: str, end: np.datetime64
) -> bool:
    """A p10-p90 bar with its median marked; a quantile past the end (NaT) runs to the right
    edge. Nothing (False) when even p10 is past the end."""
    low, mid, high = dates
    if np.isnat(low):
        return False
    left = style.date_number(low)
    right = style.date_number(end if np.isnat(high) else high)
    width = max(right - left, 2.0)  # keep a visible sliver when all runs agree
    ax.barh(y, width, left=left, height=BAR, linewidth=1.0, zorder=2, **look)  # type: ignore[arg-type]
    if not np.isnat(mid):
        ax.plot(style.date_number(mid), y, marker=marker, markersize=9,
                color=look["edgecolor"], markeredgecolor="white", markeredgewidth=1.2,
                zorder=5)  # fmt: skip
    return True


def _month_beside(
    ax: Axes, y: int, row: Row, month: str, start: np.datetime64, end: np.datetime64
) -> None:
    """The median refill month left of its bar, or right of it when the depletion range, the
    trough or the axis start leave no room on the left."""
    room = (end - start) / 10  # about the width of the note
    marks = [d for d in (*row.depleted, row.trough_at) if not np.isnat(d)]
    before = max([start, *(d for d in marks if d <= row.replenished[0])])
    high = end if np.isnat(row.replenished[2]) else row.replenished[2]
    if row.replenished[0] - before >= room or end - high < room:
        _note(ax, row.replenished[0], y, f"{month} ", "right", "center")
    else:
        _note(ax, high, y, f"  {month}", "left", "center")


def _untangle(ax: Axes, rows_notes: list[list[Text]], end: np.datetime64) -> None:
    """Once laid out: a note that passes the right edge ends at it, and a row's floor and
    refill notes that would overlap become one."""
    figure = ax.get_figure(root=True)
    figure.draw_without_rendering()  # type: ignore[union-attr]
    right = ax.get_window_extent().x1
    gap = NOTE_POINTS * figure.dpi / 72  # type: ignore[union-attr]

    def inside(note: Text) -> None:
        if note.get_window_extent().x1 > right:
            note.set_x(end)  # type: ignore[arg-type]
            note.set_horizontalalignment("right")

    for notes in rows_notes:
        dates = [n.get_position()[0] for n in notes]  # where each note starts, as drawn
        for note in notes:
            inside(note)
        if len(notes) == 2:
            first, second = (n.get_window_extent() for n in notes)
            if first.x0 < second.x1 + gap and second.x0 < first.x1 + gap:
                notes[0].set_text(f"{notes[0].get_text()}; {notes[1].get_text()}")
                notes[0].set_x(min(dates))
                notes[0].set_horizontalalignment("left")
                notes[1].remove()
                inside(notes[0])


def _note(
    ax: Axes, x: np.datetime64, y: float, text: str, ha: str = "center", va: str = "bottom"
) -> Text:
    """Small grey text above (``va="bottom"``) or below (``"top"``) a row; y grows downwards."""
    return ax.text(x, y, text, fontsize=NOTE_POINTS, color=style.MUTED, ha=ha, va=va, zorder=6)  # type: ignore[arg-type]


def _not_by(ax: Axes, y: int, missing: float, end: np.datetime64, fontsize: float) -> None:
    """The share of runs not back at target by the end, at the right edge of the row."""
    if missing <= 0:
        text, colour, weight = "back at target in every run", style.MUTED, "normal"
    else:
        text = f"not back by {style.month(end)}: {style.share(missing)} of runs"
        colour, weight = style.INK, "bold"
        beyond = ax.transData + ScaledTranslation(5 / 72, 0, ax.figure.dpi_scale_trans)
        ax.plot(end, y, marker=">", color=style.VERMILLION, markersize=10, clip_on=False, zorder=6,
                transform=beyond)  # fmt: skip
    ax.annotate(
        text,
        xy=(1.0, y),
        xycoords=("axes fraction", "data"),
        xytext=(14, 0),
        textcoords="offset points",
        va="center",
        ha="left",
        fontsize=fontsize,
        color=colour,
        weight=weight,
        annotation_clip=False,
    )


def _axes(
    ax: Axes,
    dataset: xr.Dataset,
    found: list[Row],
    start: np.datetime64,
    end: np.datetime64,
    drawn: set[str],
) -> None:
    """Row labels, dated axis, title and legend (or a note when nothing is drawn down)."""
    style.date_axis(ax, start, end)
    ax.grid(axis="x", color=style.GRID, linewidth=0.6)
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_title("When stocks hit their floor, bottom out and are back at target")
    if not found:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "No stock falls below its target in any run", transform=ax.transAxes,
                ha="center", va="center", fontsize=12, color=style.MUTED)  # fmt: skip
        return
    pad = max(0.0, (3 - len(found)) / 2)  # one or two rows keep the proportions of three
    ax.set_ylim(len(found) - 0.4 + pad, -0.6 - pad)
    dense = len(found) > DENSE
    labels = [_row_label(dataset, row, dense) for row in found]
    ax.set_yticks(range(len(found)), labels, fontsize=8.5 if dense else None, linespacing=1.05)
    if drawn:
        handles, labels = _legend(drawn)
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.07),
                  ncols=len(labels), handler_map={tuple: HandlerTuple(ndivide=None)})  # fmt: skip


def _legend_below(fig: Figure, ax: Axes, bottom: float, drawn: set[str]) -> None:
    """Move the legend to a band centred on the figure at ``bottom``, so it is never cut off."""
    legend = ax.get_legend()
    if legend is None:
        return
    handles, labels = _legend(drawn)
    legend.remove()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, bottom),
               ncols=len(labels), handler_map={tuple: HandlerTuple(ndivide=None)})  # fmt: skip


def _row_label(dataset: xr.Dataset, row: Row, dense: bool) -> str:
    """``holder: item`` in at most two lines when dense, else holder over item (unit)."""
    holder = style.label(dataset, "holder", row.holder)
    item = style.label(dataset, "item", row.item)
    if dense:
        return "\n".join(style.wrap(f"{holder}: {item}", 8.5, LABEL_INCHES, max_lines=2))
    parts = (holder, f"{item} ({style.unit(dataset, row.item)})")
    return "\n".join(line for part in parts for line in style.wrap(part, 10, LABEL_INCHES, 2))


def _legend(drawn: set[str]) -> tuple[list[Any], list[str]]:
    """Legend entries for what the chart drew, in a fixed order."""
    marker = {"markeredgecolor": "white", "markersize": 9, "linestyle": "none"}
    entries = {
        "depleted": (
            (Patch(**DEPLETED), Line2D([], [], marker="D", color=style.VERMILLION, **marker)),  # type: ignore[arg-type]
            "at floor: p10–p90, median (over all runs)",
        ),
        "trough": (
            Line2D([], [], marker="v", color=style.INK, linestyle="none", markersize=7),
            "median trough (level below)",
        ),
        "replenished": (
            (Patch(**REPLENISHED), Line2D([], [], marker="o", color=style.BLUE, **marker)),  # type: ignore[arg-type]
            "back at target: p10–p90, median (over all runs)",
        ),
    }
    kept = [entries[name] for name in ("depleted", "trough", "replenished") if name in drawn]
    return [handle for handle, _ in kept], [label for _, label in kept]
