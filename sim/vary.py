"""One scenario input varied: ``--vary PATH[=VALUES]`` for ``stockpile solve`` and ``sweep``.

A varied input is changed only through the ``--set`` override path (``sim.scenario.overrides``),
so nothing in the engine knows it is searched, and with the same seed every variant sees the
same random numbers (common random numbers). Two ways to vary a value:

- **scale** (``x1.5``): every number of the value is multiplied, the period of a rate and the
  unit of a duration kept, except a loss rate (``33%/9mo``), whose hazard is scaled by dividing
  its period (``33%/6mo`` at x1.5: every run's draw of the share is kept, its hazard x1.5);
  a schedule has each milestone scaled (``{2023-08-01: 24k/mo}`` x1.5 is
  ``{2023-08-01: 36000/mo}``), a distribution each parameter (``16k to 20k /mo`` x1.5 is
  ``24000 to 30000 /mo``, the same spread in proportion). ``beta(a, b)`` cannot be scaled.
- **set** (``6 mo``, ``30k/mo``): the value is replaced.

``VALUES`` are a range for ``solve`` (``x0.5..x4``, ``0..24 mo``, ``10k..60k /mo``) or a list
(``x1,x1.5,x2``; ``16k/mo, 30k/mo``) or a grid ``A..B:N`` for ``sweep``. Without ``=VALUES`` the
value is scaled within ``DEFAULT_SCALE``.

>>> spec = parse_vary("production.line.rate=x0.5..x2")
>>> spec.mode, spec.low, spec.high
('scale', 0.5, 2.0)
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.limits import MAX_VARIANTS
from sim.scenario.model import Scenario
from sim.scenario.values import GrammarError, parse_number
from sim.scenario.yaml_source import key_text

DEFAULT_SCALE = (0.1, 10.0)
Mode = Literal["scale", "set"]

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"(?<![\w.])({_NUMBER})(\s*)([kMB]?)(%?)(?![\w.])")
_VALUE = re.compile(rf"\s*({_NUMBER}\s*[kMB]?%?)(.*)")
_GRID = re.compile(r"(.+?)\.\.(.+?)(?::(\d+))?")
_UNITS = "months|month|mo|weeks|week|wk|w|years|year|yr|y|days|day|d"
_PERIOD = re.compile(rf"({_NUMBER})?\s*({_UNITS})")


class VaryError(ValueError):
    """A ``--vary`` that cannot be read or applied; the message says what would be right."""


@dataclass(frozen=True)
class Vary:
    """One input varied: its scenario ``path``, ``mode``, and a range or a list of values.

    Values are factors (scale) or numbers in the value's unit (set) written back as
    ``number + unit`` (``unit``: what followed the number, e.g. `` mo`` or ``/mo``; ``percent``:
    written as a percentage)."""

    path: str
    mode: Mode
    low: float = math.nan
    high: float = math.nan
    values: tuple[float, ...] = ()  # a list or grid (sweep)
    texts: tuple[str, ...] = ()  # a list of literal values to set (sweep)
    unit: str = ""
    percent: bool = False
    since: str | None = None  # scale a rate or schedule only from this date on (solve --from)

    def grid(self) -> list[float | str]:
        """The values of a list or grid, in order (a range gives its two ends)."""
        if self.texts:
            return list(self.texts)
        return list(self.values) if self.values else [self.low, self.high]

    def label(self, value: float | str) -> str:
        """How a value reads: ``x1.26`` or ``6 mo``."""
        if isinstance(value, str):
            return value
        if self.mode == "scale":
            return f"x{value:.3g}"
        return self.text(value)

    def text(self, value: float) -> str:
        """A set value as scenario text: ``12.5 mo``, ``31250/mo``, ``40%/mo``."""
        number = f"{100 * value:.6g}%" if self.percent else f"{value:.6g}"
        return number + self.unit


def parse_vary(text: str, *, grid: bool = False) -> Vary:
    """``PATH``, ``PATH=A..B`` (a range) or, with ``grid``, ``PATH=V1,V2,...`` or
    ``PATH=A..B:N`` (``N`` values evenly spaced, geometrically for factors)."""
    path, equals, values = (part.strip() for part in text.partition("="))
    if not path or any(not part for part in path.split(".")) or len(path.split(".")) < 2:
        raise VaryError(f"--vary {text}: write PATH[=VALUES], e.g. production.line.rate=x0.5..x4")
    if not equals:
        return Vary(path, "scale", *DEFAULT_SCALE)
    if not values:
        raise VaryError(f"--vary {text}: no values after '='")
    match = _GRID.fullmatch(values)
    if match is not None and "," not in values:
        low, high, count = match.groups()
        if count is not None and not grid:
            raise VaryError(f"--vary {text}: solve takes a range A..B, not A..B:N")
        if count is None and grid:
            raise VaryError(f"--vary {text}: sweep takes a list V1,V2,... or a grid A..B:N")
        return _range(text, path, low, high, None if count is None else int(count))
    if not grid:
        raise VaryError(f"--vary {text}: solve takes a range, e.g. {path}=x0.5..x4 or 0..24 mo")
    return _listed(text, path, _split(values))


def _range(text: str, path: str, low: str, high: str, count: int | None) -> Vary:
    scale = [part.strip().startswith("x") for part in (low, high)]
    if any(scale) != all(scale):
        raise VaryError(f"--vary {text}: both ends are factors (x0.5..x2) or both values")
    if all(scale):
        a, b = (_factor(text, part) for part in (low, high))
        spec = Vary(path, "scale", a, b)
    else:
        (a, unit_a, pct_a), (b, unit, pct) = (_number(text, p) for p in (low, high))
        if (unit_a and unit_a.strip() != unit.strip()) or pct_a != pct:
            raise VaryError(f"--vary {text}: write the unit once, after the second value")
        spec = Vary(path, "set", a, b, unit=unit, percent=pct)
    if not spec.low < spec.high:
        raise VaryError(f"--vary {text}: the range must go from low to high")
    if count is None:
        return spec
    if count < 2:
        raise VaryError(f"--vary {text}: a grid needs at least 2 values")
    if count > MAX_VARIANTS:
        raise VaryError(f"--vary {text}: a grid of {count:,} values, beyond the limit of "
                        f"{MAX_VARIANTS:,} variants (docs/limits.md)")  # fmt: skip
    geometric = spec.mode == "scale"
    points = np.geomspace if geometric else np.linspace
    values = tuple(float(v) for v in points(spec.low, spec.high, count))
    return Vary(path, spec.mode, spec.low, spec.high, values, (), spec.unit, spec.percent)


def _listed(text: str, path: str, parts: list[str]) -> Vary:
    if all(p.startswith("x") for p in parts):
        values = tuple(_factor(text, p) for p in parts)
        return Vary(path, "scale", min(values), max(values), values)
    if any(p.startswith("x") for p in parts):
        raise VaryError(f"--vary {text}: all values are factors (x1.5) or none")
    return Vary(path, "set", texts=tuple(parts))


def _split(values: str) -> list[str]:
    """Split on commas outside parentheses (``uniform(7, 21) d`` stays whole)."""
    parts, depth, current = [], 0, ""
    for char in values:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def _factor(text: str, part: str) -> float:
    try:
        value = float(part.strip()[1:])
    except ValueError:
        raise VaryError(f"--vary {text}: cannot read the factor {part.strip()!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise VaryError(f"--vary {text}: a factor must be > 0, got {part.strip()!r}")
    return value


def _number(text: str, part: str) -> tuple[float, str, bool]:
    """A number with its k/M/B suffix or %, and the unit text after it."""
    match = _VALUE.fullmatch(part)
    if match is None:
        raise VaryError(f"--vary {text}: cannot read {part.strip()!r} (write e.g. 0..24 mo)")
    number, unit = match.groups()
    try:
        value = parse_number(number, "fraction" if number.endswith("%") else "quantity")
    except GrammarError as error:
        raise VaryError(f"--vary {text}: {error.message}") from None
    return value, unit.rstrip(), number.endswith("%")


# -- applying a value ------------------------------------------------------------------------


def raw_value(tree: Mapping[Any, Any], path: str) -> Any:
    """The value at ``path`` in a scenario's raw tree; VaryError when there is none."""
    node: Any = tree
    walked: list[str] = []
    for part in path.split("."):
        if not isinstance(node, Mapping):
            raise VaryError(f"--vary {path}: {'.'.join(walked)} is not a mapping")
        keys = {key_text(k): k for k in node}
        if part not in keys:
            known = ", ".join(keys) or "none"
            raise VaryError(f"--vary {path}: the scenario has no {part!r} here (known: {known})")
        node = node[keys[part]]
        walked.append(part)
    return node


def overrides(spec: Vary, value: float | str, tree: Mapping[Any, Any]) -> list[str]:
    """``--set`` overrides that give the input ``value`` (a factor, a number or a text): a
    rate or a schedule is scaled by the loader (``PATH=x1.5``, ``PATH=x1.5@DATE`` from
    ``since``), any other value by writing its numbers times the factor."""
    if isinstance(value, str):
        return [f"{spec.path}={value}"]
    if spec.mode == "set":
        return [f"{spec.path}={spec.text(value)}"]
    raw = raw_value(tree, spec.path)
    if is_schedule(raw, spec.path):
        since = "" if spec.since is None else f"@{spec.since}"
        return [f"{spec.path}=x{float(value)!r}{since}"]
    if spec.since is not None:
        raise VaryError(f"--from scales a schedule of rates; {spec.path} is {raw!r}")
    if isinstance(raw, Mapping):
        return [f"{spec.path}.{key_text(k)}={scale_text(v, value)}" for k, v in raw.items()]
    return [f"{spec.path}={scale_text(raw, value)}"]


def is_schedule(raw: Any, path: str) -> bool:
    """Whether the raw value at ``path`` is a schedule of rates (``40k/mo``, or a mapping of
    dated rates) in a field that takes one (scaled by factor milestones)."""
    from sim.scenario.schema import takes_schedule

    parts = path.split(".")
    if len(parts) != 3 or not takes_schedule(parts[0], parts[2]):
        return False
    if isinstance(raw, Mapping):
        return any(isinstance(v, str) and "/" in v for v in raw.values())
    return isinstance(raw, str) and "/" in raw


def meaning(spec: Vary, value: float | str, tree: Mapping[Any, Any]) -> str:
    """What a value means in the scenario's words: ``x1.26 (126k/mo from 2025-10-01)``."""
    if isinstance(value, str) or spec.mode == "set":
        return spec.label(value)
    raw = raw_value(tree, spec.path)
    since = "" if spec.since is None else f" from {spec.since}"
    if is_schedule(raw, spec.path) and (since or isinstance(raw, Mapping)):
        return f"{spec.label(value)}{since}"
    return f"{spec.label(value)} ({scale_text(raw, value, human=True)})"


def schedule_lines(spec: Vary, value: float, tree: Mapping[Any, Any]) -> list[str]:
    """The whole schedule a factor gives a rate or schedule, one milestone a line, each rate
    as it applies (times the factor from ``since`` on): ``  2025-01-01  x3.59 from here``."""
    import datetime as dt

    from sim.scenario.values import factor_key, parse_date

    raw = raw_value(tree, spec.path)
    if spec.mode != "scale" or not is_schedule(raw, spec.path):
        return []
    start = tree.get("start")
    if not isinstance(start, dt.date):
        return []
    milestones = dict(raw) if isinstance(raw, Mapping) else {start: raw}
    factors = [(0.0 if spec.since is None else parse_date(spec.since, start), float(value))]
    rows: list[tuple[float, str, str]] = []
    for key, text in milestones.items():
        date = factor_key(key)
        if date is not None:
            factors.append((parse_date(date, start), _factor_of(text)))
            continue
        rows.append((parse_date(key, start), key_text(key), text))
    first = min(day for day, _key, _text in rows)
    factors = [(-math.inf if day <= max(first, 0.0) else day, f) for day, f in factors]
    lines = []
    for day, factor in sorted(factors):
        if day > 0.0:
            when = (start + dt.timedelta(days=round(day))).isoformat()
            rows.append((day - 1e-9, when, f"x{factor:.3g} from here"))
    for day, key, text in sorted(rows):
        if text.startswith("x"):
            lines.append(f"  {key}  {text}")
            continue
        product = math.prod(f for d, f in factors if d <= day)
        lines.append(f"  {key}  {scale_text(text, product, human=True)}")
    return lines


def _factor_of(text: Any) -> float:
    from sim.scenario.values import parse_factor

    return parse_factor(text)


def scale_text(raw: Any, factor: float, *, human: bool = False) -> str:
    """A scalar scenario value with each number multiplied by ``factor`` (a rate's period and
    a duration's unit kept): ``'16k to 20k /mo'`` x1.5 is ``'24000 to 30000 /mo'``."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise VaryError(f"cannot scale {raw!r}: set a value instead")
    if not isinstance(raw, str):
        return _show(raw * factor, human)
    if "beta(" in raw.replace(" ", ""):
        raise VaryError(f"cannot scale {raw!r} (a beta distribution): set a value instead")
    amount, slash, period = raw.rpartition("/") if "/" in raw else (raw, "", "")
    if slash and "%" in amount:  # a loss rate: scale its hazard by shortening its period
        return _hazard(raw, amount, period, factor, human)

    def scaled(match: re.Match[str]) -> str:
        number, _space, suffix, pct = match.groups()
        value = float(number) * {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}[suffix] * factor
        return f"{_show(value, human)}%" if pct else _show(value, human)

    return _TERM.sub(scaled, amount) + slash + period


def _hazard(raw: str, amount: str, period: str, factor: float, human: bool) -> str:
    """``r / P`` with hazard ``-ln(1 - r) / P`` times ``factor``: the period divided by it
    (exact for every draw of ``r``); shown as the equivalent share per ``P``."""
    match = _PERIOD.fullmatch(period.strip())
    if match is None:
        raise VaryError(f"cannot scale {raw!r}: set a value instead")
    count = float(match.group(1)) if match.group(1) else 1.0
    if not human:
        return f"{amount.strip()} /{count / factor:.6g}{match.group(2)}"

    def equivalent(found: re.Match[str]) -> str:
        share = float(found.group(1)) / 100 if found.group(4) else float(found.group(1))
        return f"{100 * (1 - (1 - min(share, 1.0)) ** factor):.3g}%"

    return f"{_TERM.sub(equivalent, amount).strip()} /{period.strip()}"


def _show(value: float, human: bool) -> str:
    if not human:
        return f"{value:.6g}"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def load_variant(path: str | os.PathLike[str], overrides: Sequence[str]) -> Scenario:
    """The scenario at ``path`` with ``overrides``, its warnings not repeated: they are the
    scenario's own, given once when it is first loaded as given."""
    import warnings

    from sim.errors import ScenarioWarning
    from sim.scenario.load import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return load_scenario(path, overrides=list(overrides))


def read_tree(path: str | os.PathLike[str], base: Sequence[str]) -> dict[Any, Any]:
    """The raw tree of the scenario file at ``path`` with the ``base`` overrides applied."""
    from sim.errors import ScenarioError
    from sim.scenario.overrides import apply_overrides
    from sim.scenario.yaml_source import parse_yaml

    file = os.fspath(path)
    source, problems = parse_yaml(Path(file).read_text(encoding="utf-8"), file)
    if source is None:
        raise ScenarioError(problems)
    _paths, problems = apply_overrides(source.tree, base, file)
    if problems:
        raise ScenarioError(problems)
    tree: dict[Any, Any] = source.tree
    return tree
