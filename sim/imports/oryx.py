"""Oryx-derived loss logs -> an observation of ``lost`` (cumulative, a floor).

The layout is mauforonda/ukraine ``log.csv``: one row per detected change, columns
``timestamp, country, category, state, value`` where ``value`` is the change (negative for a
correction) of the count of visually confirmed losses of that country, category and state. The
cumulative count is the running sum from the first row; the observation takes, for each day with
a change, the count after that day's last record. Visually confirmed losses are a floor of the
real losses, hence ``bound: at_least``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path

from sim.imports.common import (
    Problems,
    Row,
    check_id,
    day_of,
    no_match,
    read_table,
    refuse,
    same,
    slug,
    whole_number,
    within,
)
from sim.imports.fragment import Imported, Names, Point, number, observation, quoted

COLUMNS = ("timestamp", "country", "category", "state", "value")
LAYOUT = "columns timestamp,country,category,state,value (an Oryx-derived log)"
STATES = ("destroyed", "damaged", "abandoned", "captured")


@dataclass(frozen=True)
class Count:
    """The cumulative count after a day, and the line of the day's last record."""

    count: int
    line: int


@dataclass(frozen=True)
class Change:
    line: int
    timestamp: str
    day: dt.date
    value: int


def observations(
    path: Path,
    country: str,
    category: str,
    states: tuple[str, ...] = STATES,
    holder: str | None = None,
    item: str | None = None,
    id: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Imported:
    """The cumulative confirmed losses of ``country``'s ``category`` in ``states``, by day."""
    file = str(path)
    rows = read_table(path, COLUMNS, LAYOUT)
    problems = Problems(file)
    holder = check_id(problems, "--holder", holder or slug(country))
    item = check_id(problems, "--item", item or slug(category))
    id = check_id(problems, "--id", id or slug(f"oryx_{holder}_{item}"))
    problems.check()
    selected = _selected(file, rows, country, category)
    wanted = _states(file, selected, states)
    changes = _changes(problems, [r for r in selected if same(r.cells["state"]) in wanted])
    problems.check()
    by_day = _cumulative_by_day(problems, changes)
    problems.check()
    last = _last_record(rows)
    kept = within(file, list(by_day), start, end)
    falls = _falls(file, {day: count for day, count in by_day.items() if day in kept})
    counted = ", ".join(wanted)
    source = (
        f"Oryx visually confirmed losses: {selected[0].cells['country']} "
        f"{selected[0].cells['category']} ({counted}), cumulative by "
        f"day, {path.name} (records to {last[:10]})"
    )
    other = sorted({same(r.cells["state"]) for r in selected} - set(wanted))
    notes = [
        "Oryx-derived log: visually confirmed losses, a floor of the real losses",
        "(bound: at_least). Dates are when a change was first seen in the lists (UTC),",
        "after the losses themselves.",
        f"File {path.name}: records to {last} (UTC).",
        *([f"States not counted: {', '.join(other)}."] if other else []),
        *[f"Warning: {w}" for w in falls],
        f"Add to sources: {quoted(source)}",
    ]
    points = tuple(Point(d, number(c.count)) for d, c in sorted(by_day.items()) if d in kept)
    fragment = observation(Names(holder, "", item, id), "lost", points, "at_least", source,
                           tuple(notes))  # fmt: skip
    return Imported(fragment, tuple(falls))


def _selected(file: str, rows: list[Row], country: str, category: str) -> list[Row]:
    of_country = [r for r in rows if same(r.cells["country"]) == same(country)]
    if not of_country:
        refuse(
            no_match(file, "--country", "countries", country, (r.cells["country"] for r in rows))
        )
    chosen = [r for r in of_country if same(r.cells["category"]) == same(category)]
    if not chosen:
        refuse(
            no_match(
                file,
                "--category",
                f"categories of {country}",
                category,
                (r.cells["category"] for r in of_country),
            )
        )
    return chosen


def _states(file: str, rows: list[Row], states: tuple[str, ...]) -> tuple[str, ...]:
    present = {same(r.cells["state"]) for r in rows}
    wanted = tuple(dict.fromkeys(same(s) for s in states if s.strip()))
    unknown = [s for s in wanted if s not in STATES and s not in present]
    if unknown or not wanted or not present & set(wanted):
        shown = unknown[0] if unknown else ",".join(wanted)
        refuse(no_match(file, "--states", "states of this category", shown, present))
    return wanted


def _changes(problems: Problems, rows: list[Row]) -> list[Change]:
    changes = []
    for row in rows:
        cells = row.cells
        day = day_of(problems, row.line, "timestamp", cells["timestamp"])
        value = whole_number(problems, row.line, "value", cells["value"])
        if day is not None and value is not None:
            changes.append(Change(row.line, cells["timestamp"], day, value))
    return changes


def _cumulative_by_day(problems: Problems, changes: list[Change]) -> dict[dt.date, Count]:
    """The count after each day's last record (never negative after a timestamp's changes)."""
    by_stamp: dict[str, list[Change]] = {}
    for change in sorted(changes, key=lambda c: c.timestamp):
        by_stamp.setdefault(change.timestamp, []).append(change)
    count, by_day = 0, {}
    for group in by_stamp.values():
        count += sum(c.value for c in group)
        line = max(c.line for c in group)
        if count < 0:
            problems.add(
                line,
                "value",
                f"the count falls below 0 ({count})",
                "the log must start at its first record: changes add up from 0",
            )
        by_day[group[0].day] = Count(count, line)
    return by_day


def _falls(file: str, by_day: dict[dt.date, Count]) -> list[str]:
    """A warning when the count falls from one day to the next (corrections, or a change in
    the page the log was read from)."""
    days = sorted(by_day)
    falls = [
        (by_day[b].count - by_day[a].count, a, b)
        for a, b in itertools.pairwise(days)
        if by_day[b].count < by_day[a].count
    ]
    if not falls:
        return []
    _, before, day = min(falls)
    return [
        f"{file}:{by_day[day].line}: the count falls on {len(falls)} day(s), most on {day}: "
        f"from {by_day[before].count} to {by_day[day].count} (corrections, or a change in "
        "the source page); an at_least bound holds only where the count is complete "
        f"(--end {before} stops before it)"
    ]


def _last_record(rows: list[Row]) -> str:
    """The file's date: its latest timestamp that reads as one."""
    stamps = []
    for row in rows:
        try:
            dt.datetime.fromisoformat(row.cells["timestamp"])
        except ValueError:
            continue
        stamps.append(row.cells["timestamp"])
    return max(stamps, default="(no readable timestamp)")
