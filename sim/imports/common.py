"""What every importer reads with: tables with their line numbers, problems located by file and
line, filters that list what the file holds when they match nothing, ids derived from names.

>>> slug("towed artillery")
'towed_artillery'
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from sim.errors import Problem
from sim.limits import FIRST_DATE, LAST_DATE, MAX_QUANTITY

ID = re.compile(r"[a-z][a-z0-9_]*")
#: The largest file read (the Oryx log of 2022-2025 is 0.6 MB, a Kiel workbook some 10 MB).
MAX_IMPORT_BYTES = 200 * 2**20
#: Listed when a filter matches nothing, at most this many names.
SHOWN = 40


class ImportFailed(Exception):
    """A file or an option that cannot be imported; every problem found, each located."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Problems:
    """Problems of one file, collected so that all are reported at once."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def add(self, line: int | None, column: str, message: str, hint: str = "") -> None:
        self.found.append(Problem(self.file, line, column, message, hint))

    def check(self) -> None:
        """Raise ``ImportFailed`` with everything found so far, if anything was."""
        if self.found:
            raise ImportFailed(self.found)


@dataclass(frozen=True)
class Row:
    """One record of a table: its (first) line in the file and its cells by column."""

    line: int
    cells: dict[str, str]


def check_file(path: Path) -> None:
    """Refuse what is not a regular file (a folder, a pipe) or is too large to read."""
    try:
        status = path.stat()
    except OSError as error:
        stop(str(path), "", f"cannot read ({error.strerror or error})")
    if not stat.S_ISREG(status.st_mode):
        stop(str(path), "", "not a file", "give a CSV file or a workbook")
    if status.st_size > MAX_IMPORT_BYTES:
        stop(str(path), "", f"larger than {MAX_IMPORT_BYTES // 2**20} MB")


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a byte-order mark allowed); ``ImportFailed`` when unreadable."""
    check_file(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        stop(str(path), "", f"cannot read ({error.strerror or error})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problem = Problem(str(path), line, "", "not UTF-8 text", "save the file as UTF-8 CSV")
        raise ImportFailed([problem]) from None


def read_records(path: Path, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """Every non-blank record of a delimited text file with the line it starts on."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        problem = Problem(str(path), start, "", f"not a readable CSV record ({error})")
        raise ImportFailed([problem]) from None
    return records


def read_table(path: Path, columns: Sequence[str], layout: str) -> list[Row]:
    """The rows of a CSV file with a header holding at least ``columns`` (``layout`` names the
    expected layout in messages)."""
    records = read_records(path)
    problems = Problems(str(path))
    if not records:
        problems.add(None, "", "the file is empty", f"expected {layout}")
        problems.check()
    line, header = records[0]
    names = [name.strip() for name in header]
    missing = [c for c in columns if c not in names]
    if missing:
        problems.add(
            line,
            "",
            f"no column {', '.join(map(repr, missing))} in the header",
            f"expected {layout}; the header has: {', '.join(names)}",
        )
        problems.check()
    rows = []
    for line, cells in records[1:]:
        if len(cells) != len(names):
            problems.add(line, "", f"{len(cells)} fields, the header has {len(names)}")
            continue
        rows.append(Row(line, dict(zip(names, (c.strip() for c in cells), strict=True))))
    problems.check()
    return rows


def whole_number(problems: Problems, line: int, column: str, text: str) -> int | None:
    """``text`` as a whole number (negative allowed), or None with the problem recorded."""
    try:
        value = int(text)
    except ValueError:
        problems.add(line, column, f"expected a whole number, got {text!r}")
        return None
    if abs(value) > MAX_QUANTITY:
        problems.add(line, column, f"{text} is too large", f"at most {MAX_QUANTITY:g}")
        return None
    return value


def day_of(problems: Problems, line: int, column: str, text: str) -> dt.date | None:
    """The day of an ISO date or timestamp (``2022-04-21``, ``2022-04-21 12:35:34``), or None
    with the problem recorded."""
    try:
        day = (dt.date if len(text) == 10 else dt.datetime).fromisoformat(text)
    except ValueError:
        problems.add(line, column, f"expected a date such as 2022-04-21, got {text!r}")
        return None
    day = day.date() if isinstance(day, dt.datetime) else day
    return in_range(problems, line, column, day)


def in_range(problems: Problems, line: int, column: str, day: dt.date) -> dt.date | None:
    """``day`` when the scenario language can write it, else None with the problem recorded."""
    if not FIRST_DATE <= day <= LAST_DATE:
        problems.add(line, column, f"{day.isoformat()} is outside {FIRST_DATE} to {LAST_DATE}")
        return None
    return day


def no_match(file: str, option: str, what: str, wanted: str, present: Iterable[str]) -> Problem:
    """A filter that matched nothing, with what is there: the nearest name and the list."""
    names = sorted(set(present))
    close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
    shown = ", ".join(names[:SHOWN]) + (
        f", ... ({len(names)} in all)" if len(names) > SHOWN else ""
    )
    hint = f"did you mean {close[0]!r}? " if close else ""
    hint += f"{what} in the file: {shown}" if names else f"the file has no {what}"
    return Problem(file, None, option, f"no rows with {wanted!r}", hint)


def stop(file: str, option: str, message: str, hint: str = "") -> NoReturn:
    """Stop with one problem of a whole file or of an option."""
    raise ImportFailed([Problem(file, None, option, message, hint)])


def refuse(problem: Problem) -> NoReturn:
    """Stop with one problem (a filter or option that cannot be met)."""
    raise ImportFailed([problem])


def same(text: str) -> str:
    """A name compared without case or surrounding (or non-breaking) spaces."""
    return " ".join(text.replace("\xa0", " ").split()).casefold()


def slug(name: str) -> str:
    """An id from a name: lower case, runs of other characters as ``_``, starting with a letter."""
    text = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_") or "x"
    return text if text[0].isalpha() else "x" + text


def check_id(problems: Problems, option: str, text: str) -> str:
    """``text`` when it is an id, else ``text`` with the problem recorded (and its slug hinted)."""
    if not ID.fullmatch(text):
        problems.add(
            None,
            option,
            f"{text!r} is not an id",
            f"lower-case letters, digits and _, starting with a letter: {slug(text)}",
        )
    return text


def within(
    file: str, days: Sequence[dt.date], start: dt.date | None, end: dt.date | None
) -> set[dt.date]:
    """The days within [start, end] (either open); refused when there is none."""
    kept = {d for d in days if (start is None or d >= start) and (end is None or d <= end)}
    if days and not kept:
        wanted = f"{start or 'the first'} to {end or 'the last'}"
        stop(
            file,
            "--start/--end",
            f"no date from {wanted}",
            f"the dates run from {min(days)} to {max(days)}",
        )
    return kept
