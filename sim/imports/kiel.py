"""The Kiel Institute's Ukraine Support Tracker -> observations of ``sent``, or tranches.

Two layouts:

- ``weapons.csv`` of the tracker's website (``donor, category, number_of_weapons,
  monetary_value_eur, weapons_list``; the list reads ``M777 howitzer (183); 105mm howitzer
  (72)``): each donor's heavy weapons allocated to the end of the release's period, without
  dates. It gives one observation, dated by ``release_info.csv`` beside it or ``--date``.
- the release workbook's sheet "Bilateral Assistance, MAIN DATA" (one row per sub-activity:
  ``donor, announcement_date, measure, item, item_numb, ...``), or that sheet saved as CSV:
  dated tranches of an item, or their running total as observations (``kiel_sheet``).

The tracker dates aid by its announcement, not its delivery. Allocations include what is still
to be delivered, so what a donor has sent by a date is at most what it had announced by then:
observations carry ``bound: at_most``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path

from sim.errors import Problem
from sim.imports.common import (
    Problems,
    check_id,
    no_match,
    read_records,
    read_table,
    refuse,
    same,
    slug,
    stop,
    within,
)
from sim.imports.fragment import Imported, Names, Point, number, observation, quoted
from sim.imports.kiel_sheet import SHEET_COLUMNS, Sheet, main_data, read_sheet

WEAPONS_COLUMNS = ("donor", "category", "number_of_weapons", "weapons_list")
WEAPONS_LAYOUT = "the tracker's weapons.csv (donor,category,number_of_weapons,...,weapons_list)"
ENTRY = re.compile(r"(.*\S)\s*\((\d+)\)", re.DOTALL)


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
    ids = Names(
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
            return main_data(path, sheet, donor, item, kind, measure, ids, start, end)
        return _weapons(path, donor, item, kind, date, ids, start, end)
    if suffix in (".xlsx", ".xlsm"):
        sheet = read_sheet(path)
        return main_data(path, sheet, donor, item, kind, measure, ids, start, end)
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
    ids: Names,
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
    return Imported(
        observation(ids, "sent", (Point(day, number(total)),), "at_most", source, notes)
    )


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
    if period is None or not (1 <= int(period[1]) <= 12 and 1583 <= int(period[2]) <= 9999):
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
    label = rows[-1].cells["label"] or f"Ukraine Support Tracker ({period[0]})"
    published = rows[-1].cells.get("date", "")
    return day, label + (f", published {published}" if published else "")
