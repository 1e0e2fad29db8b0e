"""Goals for ``stockpile solve`` and ``sweep``: a small grammar, measured on results.

A goal names a holder and item, then what should happen::

    us.shell_155 replenished by 2026-12-31 with 80%        (also: back at target by ...)
    us.shell_155 stays above floor with 90%                (until DATE; default the end)
    us.shell_155 depleted by 2025-06-30 with at most 10%   (also: at floor by ...)
    ukraine.howitzer out of action 33% on average from 2023-03-01   (to DATE; a calibration)

``with P%`` means "in at least P% of runs" (``with at most P%``: in at most). "Replenished by
DATE" means back at target after the trough by DATE (``replenished_at``), or never below target.
"Out of action X% on average" is the share of the fleet out of action, averaged over the runs
and the reported times in the window; solving it finds the value that reproduces the figure.

Bad goals raise ``GoalError`` naming the column of the problem and what would be right.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from sim.limits import DATE_UNIT
from sim.outcomes import NotKept, Outcomes

Event = Literal["back", "depleted", "above_floor", "out_of_action"]
FORMS = (
    "H.I replenished by DATE with P%",
    "H.I stays above floor [until DATE] with P%",
    "H.I depleted by DATE with [at most] P%",
    "H.I out of action X% on average [from DATE] [to DATE]",
)
_PHRASES: dict[str, Event] = {
    "replenished by": "back",
    "back at target by": "back",
    "depleted by": "depleted",
    "at floor by": "depleted",
    "stays above floor": "above_floor",
    "out of action": "out_of_action",
}
_WITH = re.compile(r"with\s+(at least\s+|at most\s+)?(\S+)$")


class GoalError(ValueError):
    """A goal that cannot be read; ``column`` (1-based) locates the problem in the text."""

    def __init__(self, text: str, column: int, message: str, hint: str = "") -> None:
        self.text, self.column, self.message, self.hint = text, column, message, hint
        suffix = f" ({hint})" if hint else ""
        super().__init__(f"--goal:{column}: {message}{suffix}")


@dataclass(frozen=True)
class Measure:
    """A goal's quantity on one results set, with its standard error over ``runs`` runs."""

    value: float
    se: float
    runs: int


@dataclass(frozen=True)
class Goal:
    """A parsed goal (module doc). ``level`` is a probability or the average share sought."""

    text: str
    holder: str
    item: str
    event: Event
    level: float
    at_most: bool = False
    date: dt.date | None = None  # by / until
    start: dt.date | None = None  # out of action: from
    end: dt.date | None = None  # out of action: to

    @property
    def calibration(self) -> bool:
        """A figure to reproduce (an average), not a chance to reach."""
        return self.event == "out_of_action"

    def measure(self, dataset: xr.Dataset) -> Measure:
        """The goal's probability (or average share) on ``dataset`` (full results)."""
        outcomes = Outcomes(dataset)
        h, i = self.holder, self.item
        end = np.datetime64(str(dataset.attrs["end"]), DATE_UNIT)
        if self.event == "out_of_action":
            share = outcomes.out_of_action(h, i)
            if outcomes.summary:
                raise NotKept("an average out of action needs full results")
            times = dataset["time"].values
            window = np.ones(len(times), dtype=bool)
            if self.start is not None:
                window &= times >= np.datetime64(self.start, DATE_UNIT)
            if self.end is not None:
                window &= times <= np.datetime64(self.end, DATE_UNIT)
            if not window.any():
                raise GoalError(self.text, 1, "no reported time in the goal's window")
            per_run = np.nanmean(share.values[:, window], axis=1)
            per_run = per_run[~np.isnan(per_run)]
            se = float(np.std(per_run, ddof=1) / math.sqrt(len(per_run))) if len(per_run) > 1 else 0
            return Measure(float(np.mean(per_run)), se, len(per_run))
        by = end if self.date is None else np.datetime64(self.date, DATE_UNIT)
        if self.event == "back":
            cell = dataset.sel(holder=h, item=i)
            back = cell["replenished_at"].values
            never_below = cell["trough"].values >= cell["target"].values
            ok = never_below | (~np.isnat(back) & (back <= by))
        else:
            depleted = outcomes.dates("depleted_at", h, i)
            hit = float(depleted.counts[depleted.dates <= by].sum()) / depleted.runs
            p = hit if self.event == "depleted" else 1.0 - hit
            return Measure(p, math.sqrt(p * (1 - p) / depleted.runs), depleted.runs)
        p = float(np.mean(ok))
        return Measure(p, math.sqrt(p * (1 - p) / len(ok)), len(ok))

    def met(self, measure: Measure) -> bool:
        """Whether the goal holds (a calibration: whether the average is at least the figure)."""
        if self.at_most:
            return measure.value <= self.level
        return measure.value >= self.level

    def describe(self, measure: Measure) -> str:
        """``P = 81% ± 1.2%`` or ``average 33.1% ± 0.4%`` (one standard error)."""
        what = "average" if self.calibration else "P"
        return f"{what} = {measure.value:.1%} ± {measure.se:.1%}"


def parse_goal(text: str, holders: list[str] | None = None, items: list[str] | None = None) -> Goal:
    """Read a goal (module doc); ``holders`` and ``items`` check the ids when given."""
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    cell, _, rest = stripped.partition(" ")
    holder, dot, item = cell.partition(".")
    if not dot or not holder or not item:
        raise GoalError(text, lead + 1, f"expected HOLDER.ITEM first, got {cell!r}",
                        "e.g. us.shell_155 replenished by 2026-12-31 with 80%")  # fmt: skip
    _known(text, lead + 1, "holder", holder, holders)
    _known(text, lead + len(holder) + 2, "item", item, items)
    column = lead + len(cell) + 2
    rest = " ".join(rest.split())
    for phrase, event in _PHRASES.items():
        if rest.startswith(phrase):
            tail = rest[len(phrase) :].strip()
            at = column + len(phrase) + 1
            base = Goal(stripped, holder, item, event, 0.0)
            if event == "out_of_action":
                return _average(text, base, tail, at)
            return _chance(text, base, tail, at, phrase)
    words = rest.split(" ")[:2]
    close = difflib.get_close_matches(" ".join(words), list(_PHRASES), n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "forms: " + "; ".join(FORMS)
    raise GoalError(text, column, f"cannot read {rest!r} as a goal", hint)


def _chance(text: str, goal: Goal, tail: str, at: int, phrase: str) -> Goal:
    date = None
    if goal.event == "above_floor" and tail.startswith("until "):
        word = tail.split(" ")[1]
        date = _date(text, at + 6, word)
        tail = tail[len("until ") + len(word) :].strip()
        at += len("until ") + len(word) + 1
    elif goal.event != "above_floor":
        word = tail.split(" ")[0] if tail else ""
        date = _date(text, at, word)
        tail = tail[len(word) :].strip()
        at += len(word) + 1
    match = _WITH.fullmatch(tail)
    if match is None:
        raise GoalError(text, at, f"expected 'with P%' after '{phrase}', got {tail!r}",
                        "e.g. with 80% or with at most 10%")  # fmt: skip
    level = _share(text, at + match.start(2), match.group(2))
    at_most = (match.group(1) or "").startswith("at most")
    return Goal(goal.text, goal.holder, goal.item, goal.event, level, at_most, date)


def _average(text: str, goal: Goal, tail: str, at: int) -> Goal:
    words = tail.split(" ")
    if len(words) < 3 or words[1:3] != ["on", "average"]:
        raise GoalError(text, at, f"expected 'X% on average' after 'out of action', got {tail!r}",
                        "e.g. out of action 33% on average from 2023-03-01")  # fmt: skip
    level = _share(text, at, words[0])
    at += len(" ".join(words[:3])) + 1
    rest = words[3:]
    dates: dict[str, dt.date | None] = {"from": None, "to": None}
    while rest:
        if rest[0] not in dates or dates[rest[0]] is not None or len(rest) < 2:
            raise GoalError(text, at, f"unexpected {' '.join(rest)!r}", "from DATE, to DATE")
        dates[rest[0]] = _date(text, at + len(rest[0]) + 1, rest[1])
        at += len(rest[0]) + len(rest[1]) + 2
        rest = rest[2:]
    return Goal(goal.text, goal.holder, goal.item, goal.event, level, False, None,
                dates["from"], dates["to"])  # fmt: skip


def _date(text: str, column: int, word: str) -> dt.date:
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        raise GoalError(text, column, f"expected a date, got {word!r}",
                        "write an ISO date such as 2026-12-31") from None  # fmt: skip


def _share(text: str, column: int, word: str) -> float:
    try:
        value = float(word[:-1]) / 100 if word.endswith("%") else float(word)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise GoalError(text, column, f"expected a percentage, got {word!r}", "e.g. 80%")
    return value


def _known(text: str, column: int, what: str, value: str, known: list[str] | None) -> None:
    if known is None or value in known:
        return
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
    raise GoalError(text, column, f"unknown {what} {value!r}", hint)
