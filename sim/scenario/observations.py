"""The ``observations:`` section: what was later seen of a level or cumulative flow.

An observation names a holder, an item and a level or cumulative flow of ``sim.flows`` (``of``),
and gives values on dates (inline, or a CSV file with columns date,value). Each value is
compared with that quantity at the end of its day, after the day's actions (docs/evidence.md).
``bound: exact`` values carry a reporting error (``error``: a standard deviation, as a share of
the value such as 10%, or in units such as 600); ``at_least`` and ``at_most`` are one-sided
bounds without one. Observations change no run.

The model (``Observation``, ``Point``) is in ``sim.scenario.model``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from pydantic import BeforeValidator, Field, WithJsonSchema

from sim.errors import Problem
from sim.flows import DERIVED, FLOWS, LEVELS
from sim.limits import MAX_SOURCE_CHARS
from sim.scenario import values as v
from sim.scenario.datafile import FILE_KEY, Cell, Table, names_file, read_table
from sim.scenario.model import Bound, Observation, Point
from sim.scenario.problems import nearest
from sim.scenario.schema import Ref, Strict
from sim.scenario.yaml_source import Path, key_text

if TYPE_CHECKING:
    from sim.scenario.build import Builder

SECTION = "observations"
BOUNDS: tuple[Bound, ...] = ("exact", "at_least", "at_most")
#: What an observation may be of: every level and cumulative flow, in table order, then the
#: derived ``out_of_action`` (the sum of the out-of-action levels at that holder and item).
OBSERVABLE = (*LEVELS, *FLOWS, *DERIVED)
#: Columns of an observation's data file.
COLUMNS = ("date", "value")


def _values(raw: Any) -> Any:
    if not isinstance(raw, dict) or not raw:
        raise ValueError("expected a mapping of dates to values, or {file: data/x.csv}")
    for value in raw.values():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("expected a mapping of dates to numbers, or {file: data/x.csv}")
    return raw


_DATE_KEY = r"^(\d{4}-\d{2}-\d{2}|\+.+)$"
ObservedValues = Annotated[
    Any,
    BeforeValidator(_values),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "object",
                    "propertyNames": {"pattern": _DATE_KEY},
                    "additionalProperties": {"type": ["number", "string"]},
                },
                {
                    "type": "object",
                    "properties": {FILE_KEY: {"type": "string"}},
                    "required": [FILE_KEY],
                    "additionalProperties": False,
                },
            ],
            "examples": [{"2022-12-31": 20, "2023-10-31": 70}],  # a file must exist
        }
    ),
]
ObservedOf = Annotated[
    str, WithJsonSchema({"type": "string", "enum": list(OBSERVABLE), "examples": ["lost"]})
]


def _scalar(raw: Any) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError("expected a share such as 10% or a number of units such as 600")
    return raw


ErrorText = Annotated[
    Any,
    BeforeValidator(_scalar),
    WithJsonSchema({"type": ["number", "string"], "examples": ["10%", 600]}),
]


class ObservationSpec(Strict):
    """Values of a level or cumulative flow seen on dates (compared, never simulated)."""

    holder: Ref = Field(description="Holder id whose level or flow was observed.")
    item: Ref = Field(description="Item id observed.")
    of: ObservedOf = Field(
        description="The level or cumulative flow observed: "
        + ", ".join(OBSERVABLE)
        + " (as in results.nc; out_of_action is in_repair plus awaiting_repair), at the end of"
        + " each date, after that day's actions."
    )
    values: ObservedValues = Field(
        description="Date -> observed value ({2022-12-31: 20, 2023-10-31: 70}), or "
        "{file: data/x.csv}: a CSV file with columns date,value, relative to the scenario file."
    )
    bound: Bound = Field(
        "exact",
        description="exact: the value itself, with a reporting error; at_least / at_most: the "
        "quantity was at least / at most the value (no error).",
    )
    error: ErrorText | None = Field(
        None,
        description="Exact values only, and required there: the reporting error's standard "
        "deviation, as a share of each value (10%) or in units (600).",
    )
    source: str = Field("", max_length=MAX_SOURCE_CHARS, description="Where the values come from.")


# -- reading the section ------------------------------------------------------------------------


def build(b: Builder, name: str, spec: ObservationSpec) -> Observation | None:
    """The observation ``name``, or None (with the problems reported) if it is wrong."""
    path = (SECTION, name)
    good = b.known((*path, "holder"), spec.holder, "holder")
    good &= b.known((*path, "item"), spec.item, "item")
    if spec.of not in OBSERVABLE:
        hint = nearest(spec.of, OBSERVABLE, "levels and flows")
        b.out.error((*path, "of"), f"'{spec.of}' is not a level or cumulative flow", hint)
        good = False
    share, units = _error(b, path, spec)
    points = _points(b, path, spec.values)
    if not good or points is None or (spec.bound == "exact" and share is None and units is None):
        return None
    if share is not None:
        for point, where in points:
            if point.value == 0.0:
                b.out.errors.append(where(
                    "a value of 0 with an error as a share has no error",
                    "give the error in units (error: 5)",
                ))  # fmt: skip
                return None
    return Observation(name, spec.holder, spec.item, spec.of, tuple(p for p, _ in points),
                       spec.bound, share, units, spec.source)  # fmt: skip


def _error(b: Builder, path: Path, spec: ObservationSpec) -> tuple[float | None, float | None]:
    """The reporting error: (share, None), (None, units), or (None, None) when none is given
    or it is wrong (reported)."""
    where = (*path, "error")
    if spec.bound != "exact":
        if spec.error is not None:
            b.out.error(where, f"an error applies only to exact values, not to a bound "
                        f"({spec.bound})", "leave error out of a bound")  # fmt: skip
        return None, None
    if spec.error is None:
        hint = "the reporting error's standard deviation: error: 10% or error: 600"
        b.out.error(path, "an exact observation needs an error", hint)
        return None, None
    share = isinstance(spec.error, str) and spec.error.strip().endswith("%")
    value = b.out.parse(where, v.parse_fixed, spec.error, "fraction" if share else "quantity")
    if value is None:
        return None, None
    if value <= 0:
        b.out.error(where, f"the error must be > 0, got {v.describe(spec.error)}",
                    "a standard deviation: 10% of the value, or 600 units")  # fmt: skip
        return None, None
    return (value, None) if share else (None, value)


#: Per level or flow, the (holder, item) cells where some run may see it other than 0.
Moved = Mapping[str, set[tuple[str, str]]]


class Locate(Protocol):
    """Where a problem about one observed point goes: its YAML key, or its data file's cell."""

    def __call__(self, message: str, hint: str = "", column: str = "value") -> Problem: ...


def _points(b: Builder, path: Path, raw: Mapping[Any, Any]) -> list[tuple[Point, Locate]] | None:
    """The observed points in date order, each with how to locate a problem about it; None
    when any is wrong (reported)."""
    where = (*path, "values")
    if names_file(raw):
        table = read_table(b.out, where, raw, COLUMNS)
        if table is None:
            return None
        b.data_files.append((table.file, table.data))
        entries = [_cell_entry(table, where, row["date"], row["value"]) for row in table.rows]
    else:
        entries = [_yaml_entry(b, (*where, key_text(k)), k, raw[k]) for k in raw]
    points: dict[float, tuple[Point, Locate]] = {}
    good = True
    for date, value, locate in entries:
        point = _point(b, date, value, locate)
        if point is None:
            good = False
        elif point.day in points:
            b.out.errors.append(_at_date(locate, "two values on the same date", "keep one"))
            good = False
        else:
            points[point.day] = (point, locate)
    if good and not points:
        b.out.error(where, "no values", "give at least one date: value")
        return None
    return [points[d] for d in sorted(points)] if good else None


def _yaml_entry(b: Builder, where: Path, key: Any, value: Any) -> tuple[Any, Any, Locate]:
    def locate(message: str, hint: str = "", column: str = "value") -> Problem:
        return b.out.locate(where, message, hint)

    return key, value, locate


def _cell_entry(table: Table, where: Path, date: Cell, value: Cell) -> tuple[Any, Any, Locate]:
    cells = {"date": date, "value": value}

    def locate(message: str, hint: str = "", column: str = "value") -> Problem:
        return table.problem(cells[column], where, message, hint)

    return date.text, value.text, locate


def _point(b: Builder, date: Any, value: Any, locate: Locate) -> Point | None:
    """One point (a whole day inside the horizon, a number >= 0), or None (reported)."""
    day = _day(b, date, locate)
    number = _value(value, locate, b)
    if day is None or number is None or b.start is None:
        return None
    return Point(day, b.start + dt.timedelta(days=int(day)), number)


def _day(b: Builder, raw: Any, locate: Locate) -> float | None:
    try:
        day = v.parse_date(raw, b.start)
    except v.GrammarError as exc:
        b.out.errors.append(_at_date(locate, exc.message, exc.hint))
        return None
    if b.start is None:
        return None
    if day != int(day):
        b.out.errors.append(_at_date(locate, f"{v.describe(raw)} is not a whole day",
                                     "an observation is of a date: write 2023-10-31"))  # fmt: skip
        return None
    if not 0 <= day <= b.end_day:
        end = b.start + dt.timedelta(days=b.end_day) if b.end_day < float("inf") else "?"
        b.out.errors.append(_at_date(locate, f"the date {key_text(raw)} is outside the "
                                     f"scenario ({b.start} to {end})",
                                     "observations are compared within the horizon"))  # fmt: skip
        return None
    return day


def _at_date(locate: Locate, message: str, hint: str) -> Problem:
    return locate(message, hint, column="date")


def _value(raw: Any, locate: Locate, b: Builder) -> float | None:
    try:
        value = v.parse_fixed(raw, "quantity")
    except v.GrammarError as exc:
        b.out.errors.append(locate(exc.message, exc.hint))
        return None
    if value < 0:
        b.out.errors.append(locate(f"an observed value cannot be negative, got {value:g}",
                                   "levels and cumulative flows are counts >= 0"))  # fmt: skip
        return None
    return value


def warn_unmoved(b: Builder, observations: Mapping[str, Observation], moved: Moved) -> None:
    """Warn of an observation of a level or flow that no process changes at its holder and
    item (``moved``: quantity -> the cells processes may change; ``stock`` also where a holder
    starts with some): it is 0 in every run, whatever was observed."""
    for name, observation in observations.items():
        cell = (observation.holder, observation.item)
        levels = DERIVED.get(observation.of, (observation.of,))
        if not any(cell in moved.get(level, set()) for level in levels):
            b.out.warn(
                (SECTION, name, "of"),
                f"nothing changes {observation.of} of {observation.item} at "
                f"{observation.holder}: it is 0 in every run",
                "observe a holder and item that a process moves",
            )
