"""Small CSV data files a scenario names (``values: {file: data/x.csv}``), read with the line and
column of every cell, so each bad cell is reported as ``x.csv:LINE:COLUMN``.

A file is UTF-8 text: a header line naming the columns (at least the ones asked for, in any
order; others are ignored), then one row per line. Blank lines and lines starting with ``#``
are skipped. Fields are separated by commas; a field may be quoted (``"1,000"``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sim.errors import Problem
from sim.limits import MAX_FILE_BYTES
from sim.scenario.problems import Collector
from sim.scenario.yaml_source import Path

if TYPE_CHECKING:
    from sim.scenario.build import Builder

#: The key of a mapping that names a data file instead of giving values inline.
FILE_KEY = "file"


@dataclass(frozen=True)
class Cell:
    """One field of a data file: its text (stripped), 1-based line and column."""

    text: str
    line: int
    column: int


@dataclass(frozen=True)
class Table:
    """The rows of a data file (each: column name -> cell), and the file as shown to users."""

    file: str
    rows: tuple[Mapping[str, Cell], ...]
    data: bytes  # the file's bytes (they belong in the scenario's hash)

    def problem(self, cell: Cell, path: Path, message: str, hint: str = "") -> Problem:
        """A problem located at ``cell`` of this file; ``path`` is the YAML field naming it."""
        return Problem(self.file, cell.line, ".".join(path), message, hint, cell.column)


def names_file(raw: Any) -> bool:
    """Whether a raw YAML value is ``{file: PATH}`` (a data file instead of inline values)."""
    return isinstance(raw, Mapping) and list(raw) == [FILE_KEY]


def read_table(out: Collector, path: Path, raw: Any, columns: Sequence[str]) -> Table | None:
    """The table named by ``raw`` (``{file: PATH}``, PATH relative to the scenario file), or
    None with the problem recorded (at ``path`` for the file as a whole, at the line and
    column of the file for what is inside it)."""
    where = (*path, FILE_KEY)
    name = raw[FILE_KEY]
    if not isinstance(name, str) or not name.strip():
        out.error(where, "expected the path of a CSV file", "file: data/observed.csv")
        return None
    shown = os.path.join(os.path.dirname(out.file), name.strip())
    data = _read(out, where, shown)
    if data is None:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        out.errors.append(
            Problem(shown, line, _dotted(where), "not UTF-8 text", "save it as UTF-8")
        )
        return None
    return _table(out, path, shown, text, data, columns)


def _read(out: Collector, where: Path, file: str) -> bytes | None:
    try:
        if os.path.isdir(file):
            out.error(where, f"cannot read {file}: it is a folder", "give a CSV file")
            return None
        with open(file, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        out.error(where, f"cannot read {file}: {exc.strerror or exc}", "the path is relative "
                  "to the scenario file")  # fmt: skip
        return None
    if len(data) > MAX_FILE_BYTES:
        out.error(where, f"{file} is larger than {MAX_FILE_BYTES // 2**20} MB")
        return None
    return data


def _table(
    out: Collector, where: Path, file: str, text: str, data: bytes, columns: Sequence[str]
) -> Table | None:
    """The rows of ``text``; problems at their line and column, naming the field ``where``."""
    lines = [
        (n, line) for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]  # fmt: skip
    header_hint = f"its first line names the columns: {','.join(columns)}"
    if not lines:
        out.errors.append(Problem(file, 1, _dotted(where), "no header line", header_hint))
        return None
    header_line, header = lines[0]
    names = {cell.text.lower(): cell for cell in split(header, header_line)}
    missing = [c for c in columns if c not in names]
    if missing:
        message = f"no column {', '.join(missing)} in the header"
        out.errors.append(Problem(file, header_line, _dotted(where), message, header_hint, 1))
        return None
    rows = []
    for n, line in lines[1:]:
        cells = split(line, n)
        row = {}
        for name in columns:
            index = list(names).index(name)
            if index >= len(cells):
                hint = f"each line gives {','.join(columns)}"
                problem = Problem(file, n, _dotted(where), f"no {name} on this line", hint)
                out.errors.append(replace(problem, column=len(line) + 1))
                break
            row[name] = cells[index]
        else:
            rows.append(row)
    return Table(file, tuple(rows), data)


def _dotted(path: Path) -> str:
    return ".".join(path)


def split(line: str, number: int) -> list[Cell]:
    """The comma-separated fields of ``line`` with their 1-based columns (quotes honoured:
    ``"1,000"`` is one field; ``""`` inside quotes is a quote)."""
    cells: list[Cell] = []
    field: list[str] = []
    start, quoted, i = 0, False, 0
    while i < len(line):
        char = line[i]
        if quoted:
            if char == '"' and line[i + 1 : i + 2] == '"':
                field.append('"')
                i += 1
            elif char == '"':
                quoted = False
            else:
                field.append(char)
        elif char == '"' and not "".join(field).strip():
            quoted, field = True, []
        elif char == ",":
            cells.append(_cell(field, line, start, number))
            field, start = [], i + 1
        else:
            field.append(char)
        i += 1
    cells.append(_cell(field, line, start, number))
    return cells


def _cell(field: list[str], line: str, start: int, number: int) -> Cell:
    """A field whose text began at index ``start``; its column is its first non-blank one."""
    skipped = len(line[start:]) - len(line[start:].lstrip())
    return Cell("".join(field).strip(), number, start + skipped + 1)


@contextmanager
def at_cell(b: Builder, table: Table, cell: Cell, path: Path) -> Iterator[None]:
    """Problems the builder's helpers report inside the block are located at ``cell`` of
    ``table`` (so ``b.amount``, ``b.value`` and the like read a data file's cells)."""
    scratch = Collector(b.out.file, b.out.source, b.out.overridden)
    real, b.out = b.out, scratch
    try:
        yield
    finally:
        b.out = real
        for found, into in ((scratch.errors, real.errors), (scratch.warnings, real.warnings)):
            into.extend(table.problem(cell, path, p.message, p.hint) for p in found)
