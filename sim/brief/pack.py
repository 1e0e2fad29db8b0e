"""The slide pack of one results set, or of several compared.

One results set: title (scenario, date, runs, seed, overrides), key judgments in words and as
a table, the replenishment timeline, a fan and a flows chart per key stock, for the first key
stocks the chance of being back by each date and what drives the date (a tornado of the runs'
inputs, where there are enough runs), availability where there is a fleet, the model against
the record where the scenario has observations (the check and each observation's chart),
assumptions (every
input, overrides marked) and sources; every slide's notes carry what did not fit and the full
sources. Several: the same key judgments side by side, the compared fans and chances of being
back of each key stock, and each variant's timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from sim.brief.assumptions import assumptions
from sim.brief.deck import ACCENT, BODY, MUTED, Box, Deck
from sim.brief.judgments import bottom_line, judgments
from sim.evidence.check import check
from sim.outcomes import NotKept, Outcomes
from sim.plots import (
    ChartError,
    availability,
    compare,
    fan,
    flows,
    probability,
    style,
    timeline,
    tornado,
)
from sim.plots.evidence import against_record, observations
from sim.plots.probability import LINES as PROBABILITY_LINES
from sim.plots.shortfall import short_cells, shortfall
from sim.results import OBSERVED
from sim.sensitivity import ExplainError, Explanation, explain

KEY_STOCKS = 6  # fans and flows for at most this many drawn-down stocks
#: An event in fewer runs than this gets no chance-by-date chart and no drivers of its date.
SHOWN_FROM = 0.05
DRIVEN = 3  # chance by date and drivers for at most this many of them
#: Outcomes whose drivers a tornado shows, in order of preference, and how a title names them.
DRIVERS = {"replenished_at": "when it is back", "trough": "how low it falls"}
CHART_SIZE = (12.3, 5.5)  # inches: the slide's body


def single(dataset: xr.Dataset) -> Deck:
    """The pack of one results set."""
    deck = Deck(footer=_footer(dataset))
    full = _notes(dataset)
    notes = _slide_notes(dataset)
    _title(deck, dataset, full)
    found = judgments(dataset)
    said = bottom_line(dataset, found)
    if said:
        deck.bullets("Bottom line", said, BOTTOM_NOTE + notes)
    if found:
        deck.bullets("Key judgments", [j.sentence for j in found], JUDGMENTS_NOTE + notes)
        rows = [[j.stock, *j.cells] for j in found]
        deck.table("Key judgments: the numbers", _JUDGMENT_HEADER, rows, _JUDGMENT_WIDTHS,
                   JUDGMENTS_NOTE + notes)  # fmt: skip
        title = "When stocks hit their floor, bottom out and are back"
        _chart(deck, title, notes, timeline, dataset)
    for rank, judgment in enumerate(found[:KEY_STOCKS]):
        h, i, what = judgment.holder, judgment.item, judgment.stock
        _chart(deck, f"{what}: on hand", notes, fan, dataset, h, i)
        _chart(deck, f"{what}: where it went", notes, flows, dataset, h, i)
        if rank < DRIVEN:
            if judgment.back_share >= SHOWN_FROM:  # else the chart is a flat line near 0
                _chart(deck, f"{what}: chance of being back at its starting level by each date",
                       notes, probability, dataset, h, i)  # fmt: skip
            _drivers(deck, dataset, h, i, what, notes)
    for holder, item in short_cells(dataset):
        what = f"{style.label(dataset, 'holder', holder)}: {style.label(dataset, 'item', item)}"
        _chart(deck, f"{what}: demand not met", notes, shortfall, dataset, holder, item)
    for holder, item in Outcomes(dataset).fleets:
        what = f"{style.label(dataset, 'holder', holder)}: {style.label(dataset, 'item', item)}"
        _chart(deck, f"{what}: out of action", notes, availability, dataset, holder, item)
    _record(deck, dataset, notes)
    _assumptions(deck, dataset, notes)
    _sources(deck, [dataset], full)
    return deck


#: The notes of the bottom line: what it picks.
BOTTOM_NOTE = (
    "The stocks most at risk (the largest share of runs at the floor or not back by the end), "
    "then every holder whose demand goes unmet. "
)
#: The notes of the key judgments' slides: where the numbers come from.
JUDGMENTS_NOTE = (
    "Percentiles are over all runs; a run in which an event does not happen by the end counts "
    "as later than any date, so a median 'after the end' means most runs never get there. "
)


def compared(datasets: Sequence[xr.Dataset], labels: Sequence[str]) -> Deck:
    """The pack comparing several results sets (variants of one question)."""
    first = datasets[0]
    deck = Deck(footer=" · ".join(f"{label}: {_footer(d)}" for label, d in
                                  zip(labels, datasets, strict=True)))  # fmt: skip
    notes = "\n\n".join(f"{label}\n{_notes(d)}" for label, d in zip(labels, datasets, strict=True))
    slide = deck.slide(f"Compared: {' vs '.join(labels)}", notes)
    lines = [f"{label}: {d.attrs.get('scenario', '')}" + _variant(d)
             for label, d in zip(labels, datasets, strict=True)]  # fmt: skip
    deck.text(slide, "\n".join(lines), Box(BODY.left, BODY.top, BODY.width, 3.0))
    by_stock = [{j.stock: j for j in judgments(d)} for d in datasets]
    stocks = list(dict.fromkeys(s for found in by_stock for s in found))
    rows = [[stock, *(_brief(found.get(stock)) for found in by_stock)] for stock in stocks]
    width = (BODY.width - 3.4) / len(labels)
    deck.table("Key judgments compared", ["stock", *labels], rows, [3.4, *[width] * len(labels)],
               notes)  # fmt: skip
    keys = [(j.holder, j.item, j.stock) for j in judgments(first)][:KEY_STOCKS]
    for other, label in zip(datasets[1:], labels[1:], strict=True):
        for holder, item, what in keys:
            if _differ([first, other], "stock", holder, item):
                _chart(deck, f"{what}: {labels[0]} vs {label}", notes, compare, first, other,
                       holder, item, labels=(labels[0], label))  # fmt: skip
    for holder, item, what in keys[:DRIVEN]:
        if not _chances_differ(datasets, holder, item):
            continue  # the lines would be flat at 0, or one on the other
        if len(datasets) <= len(PROBABILITY_LINES):
            _chart(deck, f"{what}: chance of being back by each date", notes, probability,
                   list(datasets), holder, item, labels=list(labels))  # fmt: skip
    for dataset, label in zip(datasets, labels, strict=True):
        _chart(deck, f"{label}: when stocks hit their floor and are back", notes, timeline,
               dataset)  # fmt: skip
    _sources(deck, datasets, notes)
    return deck


_JUDGMENT_HEADER = ["stock", "at its floor", "lowest point", "back at its starting level"]
_JUDGMENT_WIDTHS = [3.5, 2.95, 2.0, 3.883]


def _title(deck: Deck, dataset: xr.Dataset, notes: str) -> None:
    attrs = dataset.attrs
    slide = deck.slide(str(attrs.get("scenario", "Results")), notes)
    description = " ".join(str(attrs.get("description", "")).split())
    deck.text(slide, description, Box(BODY.left, BODY.top, BODY.width, 2.2), sizes=(20, 18, 16))
    deck.text(slide, _meta(dataset), Box(BODY.left, 3.7, BODY.width, 1.0), sizes=(16, 14, 12),
              colour=MUTED)  # fmt: skip
    changed = style.overrides(dataset)
    if changed:
        text = "Variant, changed from the scenario file: " + "; ".join(changed)
        deck.text(slide, text, Box(BODY.left, 4.8, BODY.width, 1.9), sizes=(16, 14, 12),
                  colour=ACCENT, bold=True)  # fmt: skip


def _meta(dataset: xr.Dataset) -> str:
    attrs = dataset.attrs
    created = str(attrs.get("created", ""))[:10] or dt.date.today().isoformat()
    runs = int(attrs.get("runs", 0))
    what = ("one run with every value at its mean" if int(attrs.get("deterministic", 0))
            else f"{runs:,} Monte Carlo runs, seed {attrs.get('seed', '')}")  # fmt: skip
    return (f"{attrs.get('start', '')} to {attrs.get('end', '')} · {what} · results of "
            f"{created} · stockpile {attrs.get('sim_version', '')} · scenario "
            f"{str(attrs.get('scenario_sha256', ''))[:10]}")  # fmt: skip


#: How to read each chart, for its slide's speaker notes.
READING = {
    "timeline": "Each row is a stock drawn below its starting level. The red range spans the "
    "dates by which 10% to 90% of runs hit the floor, the triangle marks the median lowest "
    "point, the green range the dates by which 10% to 90% of runs are back at the starting "
    "level; the right margin says how many runs are not back by the end.",
    "fan": "The dark line is the median stock over the runs; the bands hold the middle 50%, 80% "
    "and 90% of runs at each date. Dashed and dotted lines are the floor and the starting "
    "level. A band is a spread of possible worlds, not an error bar.",
    "flows": "Cumulative amounts since the start: solid lines came in, dashed lines went out "
    "(medians, with bands holding 80% of runs). The thin black line is the stock on hand.",
    "probability": "The share of runs in which the stock is back at its starting level by each "
    "date. Where the line crosses 50% is the median date; a line that stays low means most "
    "runs are not back within the horizon.",
    "tornado": "Each bar shows how the median outcome moves when one input is at the low end "
    "(10th percentile of its runs) or the high end (90th). Longest bars first: these inputs "
    "decide the answer; short bars barely matter.",
    "availability": "The share of the fleet out of action (awaiting or under repair, or in "
    "transit from repair) over time: median with bands over runs.",
    "shortfall": "What the holder wanted to use and did not have, cumulatively since the start "
    "(median with 50% and 80% bands), beside what it did use: the gap is the unmet need.",
    "against_record": "The runs' fan of this quantity with the publicly reported figures on it: "
    "points with error bars for reported values, arrows for floors and ceilings.",
    "compare": "Two variants of the question on one chart: medians and bands of each.",
}


def _chart(deck: Deck, title: str, notes: str, chart: Callable[..., Any], *args: Any,
           **options: Any) -> None:  # fmt: skip
    """A slide with ``chart(*args, ax=..., **options)`` drawn across its body; its notes say
    how to read the chart, then ``notes``."""
    figure = Figure(figsize=CHART_SIZE, layout="constrained")
    with style.briefing_style():
        chart(*args, ax=figure.add_subplot(), **options)
    reading = READING.get(getattr(chart, "__name__", ""), "")
    slide = deck.slide(title, f"{reading}\n\n{notes}" if reading else notes)
    deck.picture(slide, figure)


def _drivers(deck: Deck, dataset: xr.Dataset, holder: str, item: str, what: str,
             notes: str) -> None:  # fmt: skip
    """A tornado of what drives when the stock is back (or, if it is never back, how low it
    falls), where the results keep enough runs' inputs to rank them and the outcome varies;
    else no slide."""
    for metric, named in DRIVERS.items():
        found = _explained(dataset, metric, holder, item)
        if found is None or np.ptp(found.outcome.values) <= 0:
            continue
        if found.outcome.is_date and found.outcome.censored > 1 - SHOWN_FROM:
            continue  # a date that almost no run reaches: its drivers would be noise
        _chart(deck, f"{what}: what drives {named}", notes, tornado, found, dataset)
        return


def _explained(dataset: xr.Dataset, metric: str, holder: str, item: str) -> Explanation | None:
    try:
        return explain(dataset, metric, holder, item)
    except (ExplainError, NotKept, ChartError):
        return None


_RECORD_HEADER = ["observation", "date", "observed", "p10", "p50", "p90", "percentile", "verdict"]
_RECORD_WIDTHS = [2.4, 1.45, 1.2, 1.1, 1.1, 1.1, 1.2, 2.783]


def _record(deck: Deck, dataset: xr.Dataset, notes: str) -> None:
    """Where results have observations: the check as a table ("The model against the
    record", docs/evidence.md) and each observation's chart; else no slide."""
    if OBSERVED not in dataset:
        return
    table = check(dataset)
    rows = [
        [str(r["observation"]), r["date"].isoformat(), style.number(r["observed"], 3),
         style.number(r["p10"], 3), style.number(r["p50"], 3), style.number(r["p90"], 3),
         f"{r['percentile']:.0f}", _verdict(r)]
        for r in table.to_dict("records")
    ]  # fmt: skip
    deck.table("The model against the record", _RECORD_HEADER, rows, _RECORD_WIDTHS, notes,
               size=11)  # fmt: skip
    for observation in observations(dataset)[:KEY_STOCKS]:
        _chart(deck, f"Against the record: {observation}", notes, against_record, dataset,
               observation)  # fmt: skip


def _verdict(row: dict[Any, Any]) -> str:
    """The verdict, with the share of runs satisfying a bound."""
    if row["bound"] == "exact":
        return str(row["verdict"])
    bound = str(row["bound"]).replace("_", " ")
    return f"{row['verdict']} ({row['share_satisfying']:.0%} of runs {bound})"


def _assumptions(deck: Deck, dataset: xr.Dataset, notes: str) -> None:
    found = assumptions(dataset)
    if not found:
        return
    rows = [[style.input_label(dataset, a.path), a.written, a.reading] for a in found]
    marked = [a.overridden for a in found]
    title = "Assumptions (in orange: changed for this variant)" if any(marked) else "Assumptions"
    deck.table(title, ["input", "as written", "uncertain: read as"], rows, [5.2, 3.0, 4.133],
               notes, marked=marked, size=11)  # fmt: skip


def _sources(deck: Deck, datasets: Sequence[xr.Dataset], notes: str) -> None:
    found = list(dict.fromkeys(s for d in datasets for s in style.sources(d)))
    if found:
        deck.bullets("Sources", found, notes)


def _footer(dataset: xr.Dataset) -> str:
    return style.method_note(dataset)


def _notes(dataset: xr.Dataset) -> str:
    """What every slide's notes say: the full description, variant, sources and method."""
    parts = [str(dataset.attrs.get("scenario", "")),
             " ".join(str(dataset.attrs.get("description", "")).split())]  # fmt: skip
    changed = style.overrides(dataset)
    if changed:
        parts.append("Changed for this variant: " + "; ".join(changed))
    parts.append("Sources:\n" + "\n".join(f"- {s}" for s in style.sources(dataset)))
    parts.append(style.method_note(dataset))
    return "\n\n".join(p for p in parts if p)


def _has(dataset: xr.Dataset, holder: str, item: str) -> bool:
    return holder in dataset["holder"].values and item in dataset["item"].values


def _differ(datasets: Sequence[xr.Dataset], name: str, holder: str, item: str) -> bool:
    """Whether the medians of ``name`` differ between the results (a comparison shows some)."""
    if not all(_has(d, holder, item) for d in datasets):
        return True
    medians = [Outcomes(d).spread(name, holder, item).median() for d in datasets]
    shapes = {m.shape for m in medians}
    return len(shapes) > 1 or any(not np.allclose(m, medians[0]) for m in medians[1:])


def _chances_differ(datasets: Sequence[xr.Dataset], holder: str, item: str) -> bool:
    """Whether the chance-of-being-back lines show something: a run back in some variant, and
    the variants' lines not one on the other."""
    lines = [Outcomes(d).back_by(holder, item) for d in datasets if _has(d, holder, item)]
    if not any(chance[-1] > 0 for _, chance in lines):
        return False
    dates, chance = lines[0]
    return any(
        d.shape != dates.shape or not np.array_equal(d, dates) or not np.allclose(c, chance)
        for d, c in lines[1:]
    )


def _slide_notes(dataset: xr.Dataset) -> str:
    """What a chart or table slide's notes add after its own: the method, and where the
    description and sources are (the title and the last slide, not repeated on every slide)."""
    return (f"{style.method_note(dataset)} The scenario's description is in the notes of the "
            "title slide and its sources on the last slide.")  # fmt: skip


def _variant(dataset: xr.Dataset) -> str:
    changed = style.overrides(dataset)
    return f" (changed: {'; '.join(changed)})" if changed else ""


def _brief(judgment: Any) -> str:
    if judgment is None:
        return "not drawn down"
    floor, _trough, back = judgment.cells
    return f"floor: {floor}\nback: {back}"
