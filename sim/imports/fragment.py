"""Scenario fragments as the importers make them, written as YAML (with comments) or CSV.

>>> money(202.5e6)
'$202.5M'
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass

from sim.scenario.yaml_source import NON_PRINTABLE

#: Characters YAML reads as line breaks (\x85, \u2028, \u2029) or refuses in a file.
_UNSAFE = re.compile(f"[\x85\u2028\u2029]|{NON_PRINTABLE.pattern}")


@dataclass(frozen=True)
class Names:
    """The scenario's ids a fragment uses: the holder (the donor of tranches), the receiver of
    tranches, the item, and the entry itself."""

    holder: str
    to: str
    item: str
    id: str


def number(value: float) -> str:
    """A count as the scenario writes it: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else f"{value:.12g}"


def money(dollars: float) -> str:
    """An amount in dollars in the scenario's money grammar: ``$675M``, ``$2.85B``, ``$1.5k``."""
    for suffix, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(dollars) >= size:
            return f"${dollars / size:.10g}{suffix}"
    return f"${dollars:.10g}"


@dataclass(frozen=True)
class Point:
    """One dated value of a fragment's series, as the scenario writes it, with a note."""

    day: dt.date
    text: str
    note: str = ""


@dataclass(frozen=True)
class Fragment:
    """A scenario entry: ``section.id`` with its fields, a dated series under ``key``
    (``values`` of an observation, ``deliveries`` of a donation; CSV column ``column``), more
    fields after it, and notes written as comments above it."""

    section: str
    id: str
    fields: tuple[tuple[str, str], ...]
    key: str
    column: str
    points: tuple[Point, ...]
    after: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


def observation(
    names: Names, of: str, points: tuple[Point, ...], bound: str, source: str,
    notes: tuple[str, ...],
) -> Fragment:  # fmt: skip
    """An entry of ``observations:``: ``of`` (a level or cumulative flow) of the holder's item."""
    return Fragment(
        section="observations", id=names.id, key="values", column="value", points=points,
        fields=(("holder", names.holder), ("item", names.item), ("of", of)),
        after=(("bound", bound), ("source", quoted(source))), notes=notes,
    )  # fmt: skip


def donation(names: Names, points: tuple[Point, ...], notes: tuple[str, ...]) -> Fragment:
    """An entry of ``donations:`` from the holder to the receiver, by ``deliveries``."""
    return Fragment(
        section="donations", id=names.id, key="deliveries", column="quantity", points=points,
        fields=(("from", names.holder), ("to", names.to), ("item", names.item)), notes=notes,
    )  # fmt: skip


@dataclass(frozen=True)
class Imported:
    """What an importer returns: the fragment and warnings for the user (also in its notes)."""

    fragment: Fragment
    warnings: tuple[str, ...] = ()


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's), with the characters YAML
    reads as line breaks or refuses written as escapes."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(text, ensure_ascii=False))


def comment(text: str) -> str:
    """Text that stays on one comment line: whitespace runs (line breaks too) as one space,
    characters YAML refuses as ``?``."""
    return _UNSAFE.sub("?", " ".join(text.split()))


def yaml_text(fragment: Fragment, command: str, csv_file: str | None = None) -> str:
    """The fragment as YAML to paste into a scenario; its series inline, or from ``csv_file``
    (a path relative to the scenario)."""
    lines = [f"# {comment(command)}"] + [f"# {comment(note)}" for note in fragment.notes]
    lines += [f"{fragment.section}:", f"  {fragment.id}:"]
    lines += [f"    {key}: {value}" for key, value in fragment.fields]
    if csv_file is not None:
        columns = f"date,{fragment.column}"
        lines.append(f"    {fragment.key}: {{file: {quoted(csv_file)}}}  # columns {columns}")
    else:
        lines.append(f"    {fragment.key}:")
        for point in fragment.points:
            note = f"  # {comment(point.note)}" if point.note else ""
            lines.append(f"      {point.day.isoformat()}: {point.text}{note}")
    lines += [f"    {key}: {value}" for key, value in fragment.after]
    return "\n".join(lines) + "\n"


def csv_text(fragment: Fragment) -> str:
    """The fragment's series as CSV: columns ``date`` and ``value`` or ``quantity``."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", fragment.column])
    writer.writerows([point.day.isoformat(), point.text] for point in fragment.points)
    return out.getvalue()
