"""The Kiel tracker's main data -> dated tranches of an item, or their running total.

The release workbook's sheet "Bilateral Assistance, MAIN DATA" (or that sheet saved as CSV) has
one row per sub-activity, the header in its first row: ``donor, announcement_date, measure,
item, item_numb, ...``. The rows of a donor whose ``item`` holds the text asked for are added up
by ``announcement_date``. Dates are announcements, not deliveries.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import Problem
from sim.imports.common import (
    Problems,
    check_file,
    in_range,
    no_match,
    refuse,
    same,
    stop,
    within,
)
from sim.imports.fragment import Imported, Names, Point, donation, number, observation, quoted

SHEET = "Bilateral Assistance, MAIN DATA"
SHEET_COLUMNS = ("donor", "announcement_date", "item", "item_numb")
BLANK = ("", ".", None)


@dataclass(frozen=True)
class Sheet:
    """The MAIN DATA table: where it was read (for messages), its header, its numbered rows."""

    name: str
    header: list[str]
    rows: Sequence[tuple[int, Sequence[Any]]]


@dataclass(frozen=True)
class Tranche:
    row: int
    day: dt.date
    count: float
    name: str


def main_data(
    path: Path,
    sheet: Sheet,
    donor: str,
    item: str,
    kind: str,
    measure: str | None,
    ids: Names,
    start: dt.date | None,
    end: dt.date | None,
) -> Imported:
    file = str(path)
    header, rows = sheet.header, sheet.rows
    problems = Problems(file)
    missing = [c for c in (*SHEET_COLUMNS, *(("measure",) if measure else ())) if c not in header]
    if missing:
        refuse(
            Problem(
                file,
                1,
                "",
                f"no column {', '.join(map(repr, missing))} in {sheet.name}",
                f"the header has: {', '.join(h for h in header if h)}",
            )
        )
    col = {name: header.index(name) for name in (*SHEET_COLUMNS, "measure") if name in header}
    chosen = _chosen(file, rows, col, donor, item, measure)
    tranches, skipped = _tranches(problems, chosen, col)
    problems.check()
    if not tranches:
        stop(
            file,
            "--item",
            f"no row of {item!r} has both a date and a count",
            f"rows without one: {', '.join(map(str, skipped))}",
        )
    dates = (_date(_cell(row, col["announcement_date"])) for _, row in rows)
    latest = max((d for d in dates if d is not None), default=None)
    named = str(_cell(chosen[0][1], col["donor"])).strip()  # as the file writes it
    return _from_tranches(
        path, named, item, kind, measure, ids, tranches, skipped, latest, start, end
    )


def read_sheet(path: Path) -> Sheet:
    """The header and the numbered rows of the MAIN DATA sheet."""
    try:
        from openpyxl import load_workbook
    except ImportError:
        stop(str(path), "", "reading a workbook needs openpyxl", "pip install 'stockpile[imports]'")
    check_file(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # any reader failure means "not a workbook"
        stop(str(path), "", f"not a readable Excel workbook ({type(error).__name__})")
    try:
        if SHEET not in book.sheetnames:
            stop(
                str(path),
                "",
                f"no sheet {SHEET!r}",
                f"the sheets are: {', '.join(book.sheetnames)}",
            )
        numbered = list(enumerate(book[SHEET].iter_rows(values_only=True), start=1))
    finally:
        book.close()
    if not numbered:
        stop(str(path), "", f"the sheet {SHEET!r} is empty")
    header = ["" if v is None else str(v).strip() for v in numbered[0][1]]
    rows = [(n, row) for n, row in numbered[1:] if any(v not in BLANK for v in row)]
    return Sheet(f"the sheet {SHEET!r}", header, rows)


def _cell(row: Sequence[Any], index: int) -> Any:
    return row[index] if index < len(row) else None


def _chosen(
    file: str,
    rows: Sequence[tuple[int, Sequence[Any]]],
    col: dict[str, int],
    donor: str,
    item: str,
    measure: str | None,
) -> list[tuple[int, Sequence[Any]]]:
    def text(row: Sequence[Any], name: str) -> str:
        return str(_cell(row, col[name]) or "")

    of_donor = [(n, r) for n, r in rows if same(text(r, "donor")) == same(donor)]
    if not of_donor:
        refuse(no_match(file, "--donor", "donors", donor, (text(r, "donor") for _, r in rows)))
    chosen = [(n, r) for n, r in of_donor if same(item) in same(text(r, "item"))]
    if not chosen:
        names = (text(r, "item") for _, r in of_donor if text(r, "item") not in ("", "."))
        refuse(no_match(file, "--item", f"items of {donor}", item, names))
    if "measure" not in col:
        return chosen
    measures = sorted({text(r, "measure") for _, r in chosen})
    if measure is None and len(measures) > 1:
        stop(
            file,
            "--measure",
            f"the rows of {item!r} mix {', '.join(measures)}",
            "choose one with --measure: adding them could count an item twice",
        )
    if measure is not None:
        chosen = [(n, r) for n, r in chosen if same(text(r, "measure")) == same(measure)]
        if not chosen:
            refuse(no_match(file, "--measure", f"measures of {item!r}", measure, measures))
    return chosen


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _tranches(
    problems: Problems, chosen: list[tuple[int, Sequence[Any]]], col: dict[str, int]
) -> tuple[list[Tranche], list[int]]:
    """Each chosen row's date and count; rows missing either are skipped (and listed)."""
    tranches, skipped = [], []
    for n, row in chosen:
        raw_day, raw_count = _cell(row, col["announcement_date"]), _cell(row, col["item_numb"])
        if raw_day in BLANK or raw_count in BLANK:
            skipped.append(n)
            continue
        day = _date(raw_day)
        if day is None:
            problems.add(n, "announcement_date", f"expected a date, got {raw_day!r}")
        count = _count(raw_count)
        if count is None:
            problems.add(n, "item_numb", f"expected a number of items, got {raw_count!r}")
        if (
            day is not None
            and count is not None
            and in_range(problems, n, "announcement_date", day)
        ):
            tranches.append(Tranche(n, day, count, str(_cell(row, col["item"])).strip()))
    return tranches, skipped


def _count(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        count = float(value)
    except (TypeError, ValueError):
        return None
    return count if 0 <= count < 1e15 else None


def _from_tranches(
    path: Path,
    donor: str,
    item: str,
    kind: str,
    measure: str | None,
    ids: Names,
    tranches: list[Tranche],
    skipped: list[int],
    latest: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
) -> Imported:
    by_day: dict[dt.date, list[Tranche]] = {}
    for tranche in sorted(tranches, key=lambda t: (t.day, t.row)):
        by_day.setdefault(tranche.day, []).append(tranche)
    kept = within(str(path), list(by_day), start, end)
    names = "; ".join(sorted({t.name for t in tranches}))
    what = f"{measure.lower()}s" if measure else "announcements"
    source = (
        f"Kiel Institute, Ukraine Support Tracker ({path.name}, {SHEET!r}, records to "
        f"{latest}): {donor}, {names}; {what} by announcement date"
    )
    warnings: tuple[str, ...] = ()
    if skipped:
        rows = ", ".join(map(str, skipped))
        warnings = (f"{path}: {len(skipped)} row(s) of {item!r} without an announcement_date "
                    f"or an item_numb were skipped (rows {rows})",)  # fmt: skip
    notes = [
        "Kiel tracker: dates are announcements, not deliveries; deliveries came later.",
        f"File {path.name}: sheet {SHEET!r}, records to {latest}; items counted: {names}.",
        *[f"Warning: {w}" for w in warnings],
        f"Add to sources: {quoted(source)}",
    ]
    if kind == "observations":
        notes.insert(
            1,
            "What had been sent by a date is at most what had been announced by "
            "then (bound: at_most).",
        )
        totals = itertools.accumulate(sum(t.count for t in day) for day in by_day.values())
        points = tuple(
            Point(d, number(v)) for d, v in zip(by_day, totals, strict=True) if d in kept
        )
        return Imported(observation(ids, "sent", points, "at_most", source, tuple(notes)), warnings)
    notes.insert(1, "Add a transit (or move the dates) for the time from announcement to delivery.")
    points = tuple(
        Point(d, number(sum(t.count for t in day)), f"rows {', '.join(str(t.row) for t in day)}")
        for d, day in by_day.items()
        if d in kept
    )
    return Imported(donation(ids, points, tuple(notes)), warnings)
