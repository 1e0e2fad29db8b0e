"""The Kiel Institute's Ukraine Support Tracker -> observations of ``sent``, or tranches.

Two layouts:

- ``weapons.csv`` of the tracker's website (``donor, category, number_of_weapons,
  monetary_value_eur, weapons_list``; the list reads ``M777 howitzer (183); 105mm howitzer
  (72)``): each donor's heavy weapons allocated to the end of the release's period, without
  dates. It gives one observation, dated by ``release_info.csv`` beside it or ``--date``.
- the release workbook's sheet "Bilateral Assistance, MAIN DATA" (one row per sub-activity:
  ``donor, announcement_date, measure, item, item_numb, ...``), or that sheet saved as CSV:
  dated tranches of an item, or their running total as observations.

The tracker dates aid by its announcement, not its delivery. Allocations include what is still
to be delivered, so what a donor has sent by a date is at most what it had announced by then:
observations carry ``bound: at_most``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import Problem
from sim.imports.common import (
    Fragment,
    Imported,
    Point,
    Problems,
    check_file,
    check_id,
    in_range,
    no_match,
    number,
    quoted,
    read_records,
    read_table,
    refuse,
    same,
    slug,
    stop,
    within,
)

SHEET = "Bilateral Assistance, MAIN DATA"
SHEET_COLUMNS = ("donor", "announcement_date", "item", "item_numb")
WEAPONS_COLUMNS = ("donor", "category", "number_of_weapons", "weapons_list")
WEAPONS_LAYOUT = "the tracker's weapons.csv (donor,category,number_of_weapons,...,weapons_list)"
ENTRY = re.compile(r"(.*\S)\s*\((\d+)\)", re.DOTALL)
BLANK = ("", ".", None)


@dataclass(frozen=True)
class Ids:
    """The scenario's names: the donor holder, the recipient, the item, the entry."""

    holder: str
    to: str
    item: str
    id: str


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


def import_kiel(
    path: Path,
    donor: str,
    item: str,
    kind: str = "observations",
    measure: str | None = None,
    date: dt.date | None = None,
    holder: str | None = None,
    to: str = "ukraine",
    item_id: str | None = None,
    id: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Imported:
    """``kind`` is ``observations`` (of ``sent``) or ``deliveries``; the layout is told by the
    file's suffix and header (.csv: weapons.csv or MAIN DATA; .xlsx: the release workbook)."""
    problems = Problems(str(path))
    if not same(item):
        problems.add(None, "--item", "is empty", "a piece of the tracker's item names: M777")
    holder = check_id(problems, "--holder", holder or slug(donor))
    item_id = check_id(problems, "--item-id", item_id or slug(item))
    name = f"kiel_{holder}_{item_id}" + ("" if kind == "observations" else "_tranches")
    ids = Ids(
        holder,
        check_id(problems, "--to", to),
        item_id,
        check_id(problems, "--id", id or slug(name)),
    )
    problems.check()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = read_records(path)
        header = [cell.strip() for cell in records[0][1]] if records else []
        if set(SHEET_COLUMNS) <= set(header) and not set(WEAPONS_COLUMNS) <= set(header):
            sheet = Sheet("the file", header, records[1:])  # the MAIN DATA sheet saved as CSV
            return _main_data(path, sheet, donor, item, kind, measure, ids, start, end)
        return _weapons(path, donor, item, kind, date, ids, start, end)
    if suffix in (".xlsx", ".xlsm"):
        sheet = _sheet(path)
        return _main_data(path, sheet, donor, item, kind, measure, ids, start, end)
    stop(
        str(path),
        "",
        "not a Kiel tracker file I can read",
        "give the tracker's weapons.csv or a release workbook (.xlsx)",
    )


# weapons.csv -----------------------------------------------------------------------------------


def _weapons(
    path: Path,
    donor: str,
    item: str,
    kind: str,
    date: dt.date | None,
    ids: Ids,
    start: dt.date | None,
    end: dt.date | None,
) -> Imported:
    file = str(path)
    if kind != "observations":
        stop(
            file,
            "--as",
            "weapons.csv has totals without dates: no tranches",
            "use --as observations, or the release workbook for dated tranches",
        )
    rows = read_table(path, WEAPONS_COLUMNS, WEAPONS_LAYOUT)
    problems = Problems(file)
    of_donor = [r for r in rows if same(r.cells["donor"]) == same(donor)]
    if not of_donor:
        refuse(no_match(file, "--donor", "donors", donor, (r.cells["donor"] for r in rows)))
    entries: list[tuple[int, str, int]] = []
    for row in of_donor:
        entries += _entries(problems, row.line, row.cells)
    problems.check()
    matched = [(line, name, count) for line, name, count in entries if same(item) in same(name)]
    if not matched:
        refuse(no_match(file, "--item", f"weapons of {donor}", item, (e[1] for e in entries)))
    day, release = _release(path, date)
    within(file, [day], start, end)
    total = sum(count for _, _, count in matched)
    names = "; ".join(f"{name} ({count})" for _, name, count in matched)
    source = (
        f"Kiel Institute for the World Economy, {release}: {of_donor[0].cells['donor']}, {names}; "
        f"heavy weapons allocated to {day} ({path.name})"
    )
    notes = (
        "Kiel tracker allocations: announced and earmarked aid, not deliveries, so what had",
        "been sent by that date is at most this (bound: at_most).",
        f"File {path.name}: {release}, allocations to {day}; counted: {names}.",
        f"Add to sources: {quoted(source)}",
    )
    return Imported(_observation(ids, (Point(day, number(total)),), source, notes))


def _entries(problems: Problems, line: int, cells: dict[str, str]) -> list[tuple[int, str, int]]:
    """``name (count); ...`` of one row, checked against its ``number_of_weapons``."""
    found = []
    for part in (p.strip() for p in cells["weapons_list"].split(";")):
        match = ENTRY.fullmatch(part)
        if match is None:
            problems.add(
                line,
                "weapons_list",
                f"cannot read {part!r}",
                "entries are 'name (count)' separated by ';'",
            )
            return []
        found.append((line, match[1], int(match[2])))
    total = sum(count for _, _, count in found)
    if cells["number_of_weapons"] != str(total):
        problems.add(
            line,
            "number_of_weapons",
            f"is {cells['number_of_weapons']!r}, but weapons_list adds up to {total}",
        )
    return found


def _release(path: Path, date: dt.date | None) -> tuple[dt.date, str]:
    """The day the totals stand at (the end of the release's period) and the release's label."""
    info = path.with_name("release_info.csv")
    if date is not None:
        return date, f"Ukraine Support Tracker (totals to {date})"
    if not info.is_file():
        stop(
            str(path),
            "--date",
            "weapons.csv has no date of its own",
            "give --date (the end of the release's period, e.g. 2026-04-30) or keep "
            "the release's release_info.csv beside it",
        )
    rows = read_table(info, ("period", "label"), "release_info.csv (release,period,date,label)")
    period = re.fullmatch(r"(\d{1,2})/(\d{4})", rows[-1].cells["period"]) if rows else None
    if period is None or not 1 <= int(period[1]) <= 12:
        refuse(
            Problem(
                str(info),
                rows[-1].line if rows else None,
                "period",
                "expected a period such as 04/2026",
                "or give --date",
            )
        )
    month, year = int(period[1]), int(period[2])
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return day, rows[-1].cells["label"] or f"Ukraine Support Tracker ({period[0]})"


# the release workbook --------------------------------------------------------------------------


def _main_data(
    path: Path,
    sheet: Sheet,
    donor: str,
    item: str,
    kind: str,
    measure: str | None,
    ids: Ids,
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


def _sheet(path: Path) -> Sheet:
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
    ids: Ids,
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
        return Imported(_observation(ids, points, source, tuple(notes)), warnings)
    notes.insert(1, "Add a transit (or move the dates) for the time from announcement to delivery.")
    points = tuple(
        Point(d, number(sum(t.count for t in day)), f"rows {', '.join(str(t.row) for t in day)}")
        for d, day in by_day.items()
        if d in kept
    )
    fragment = Fragment(
        section="donations",
        id=ids.id,
        key="deliveries",
        column="quantity",
        points=points,
        fields=(("from", ids.holder), ("to", ids.to), ("item", ids.item)),
        notes=tuple(notes),
    )
    return Imported(fragment, warnings)


def _observation(
    ids: Ids, points: tuple[Point, ...], source: str, notes: tuple[str, ...]
) -> Fragment:
    return Fragment(
        section="observations",
        id=ids.id,
        key="values",
        column="value",
        points=points,
        fields=(("holder", ids.holder), ("item", ids.item), ("of", "sent")),
        after=(("bound", "at_most"), ("source", quoted(source))),
        notes=notes,
    )
