"""Collecting located problems while reading a scenario, and translating pydantic's errors."""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic_core import ErrorDetails

from sim.distributions import Distribution, Fixed
from sim.errors import Problem
from sim.limits import MAX_QUANTITY, TAIL
from sim.scenario.schema import field_names, scenario_spec, sections
from sim.scenario.values import GrammarError, describe
from sim.scenario.yaml_source import Path, Source

T = TypeVar("T")


@dataclass
class Collector:
    """Where problems go: locates each by file and line, or by the ``--set`` that caused it."""

    file: str
    source: Source
    overridden: set[Path] = field(default_factory=set)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def locate(self, path: Path, message: str, hint: str = "") -> Problem:
        for end in range(len(path), 0, -1):
            if path[:end] in self.overridden:
                return Problem(self.file, None, "--set " + ".".join(path[:end]), message, hint)
        return Problem(self.file, self.source.line_of(path), ".".join(path), message, hint)

    def error(self, path: Path, message: str, hint: str = "") -> None:
        self.errors.append(self.locate(path, message, hint))

    def warn(self, path: Path, message: str, hint: str = "") -> None:
        self.warnings.append(self.locate(path, message, hint))

    def grammar(self, path: Path, exc: GrammarError) -> None:
        self.error((*path, exc.key) if exc.key else path, exc.message, exc.hint)

    def parse(self, path: Path, parser: Callable[..., T], *args: Any) -> T | None:
        """``parser(*args)``, or None with the problem recorded at ``path``."""
        try:
            return parser(*args)
        except GrammarError as exc:
            self.grammar(path, exc)
            return None


def nearest(word: str, known: Iterable[str], what: str) -> str:
    """A hint naming the closest known word, or listing them all."""
    choices = list(known)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"known {what}: {', '.join(choices)}" if choices else f"no {what} are defined"


def range_error(
    dist: Distribution,
    low: float,
    high: float = math.inf,
    *,
    high_open: bool = False,
    limit: float = MAX_QUANTITY,
    unit: str = "",
) -> GrammarError | None:
    """An error if a fixed value lies outside [low, high], or a distribution's 5-95% does;
    or if the value is too large to compute with (``magnitude_error``)."""
    return _outside(dist, low, high, high_open) or magnitude_error(dist, limit, unit)


def magnitude_error(
    dist: Distribution, limit: float = MAX_QUANTITY, unit: str = ""
) -> GrammarError | None:
    """An error if a fixed value, or a distribution's 5th or 95th percentile, is beyond
    ``limit`` either side of 0, or a distribution's mean or far tails (one draw in
    ``1 / TAIL``) are beyond ``MAX_QUANTITY``: draws that large would overflow the arithmetic."""
    q05, q95, far = _spread(dist)
    worst = max(abs(q05), abs(q95))
    if worst > limit:
        return GrammarError(f"{worst:g}{unit} is too large", f"at most {limit:g}{unit}")
    if not far <= MAX_QUANTITY:
        message = f"one draw in {1 / TAIL:.0e} would be {far:g}{unit}, beyond {MAX_QUANTITY:g}"
        return GrammarError(message, "narrow the distribution")
    return None


@functools.cache
def _spread(dist: Distribution) -> tuple[float, float, float]:
    """5th and 95th percentiles, and the largest in size of the far tails and the mean (inf
    where they cannot be computed)."""
    q05, q95 = dist.quantile(0.05), dist.quantile(0.95)
    try:
        far = [abs(dist.quantile(TAIL)), abs(dist.quantile(1 - TAIL)), abs(dist.mean)]
    except (ArithmeticError, ValueError):
        return q05, q95, math.inf
    return q05, q95, math.inf if any(math.isnan(x) for x in far) else max(far)


def _outside(dist: Distribution, low: float, high: float, high_open: bool) -> GrammarError | None:
    if math.isinf(high):
        wanted = f">= {low:g}"
    elif high_open:
        wanted = f">= {low:g} and below {high:g}"
    else:
        wanted = f"between {low:g} and {high:g}"
    if isinstance(dist, Fixed):
        value = dist.value
        if value < low or value > high or (high_open and value >= high):
            hint = "write 60% for a percentage" if high == 1 and 1 < value <= 100 else ""
            return GrammarError(f"must be {wanted}, got {value:g}", hint)
        return None
    q05, q95, _ = _spread(dist)
    if q95 < low or q05 > high or (high_open and q05 >= high):
        return GrammarError(f"the whole 5-95% range ({q05:g} to {q95:g}) is outside {wanted}")
    return None


_MESSAGES: dict[str, str] = {
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "dict_type": "expected a mapping (key: value)",
    "list_type": "expected a list",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
}


def translate(error: ErrorDetails) -> tuple[Path, str, str]:
    """A pydantic error as (path, message, hint) in the user's words, without pydantic's text."""
    loc = tuple(str(part) for part in error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return loc[:-1], f"missing required key '{loc[-1]}'", ""
    if kind == "extra_forbidden":
        return loc, f"unknown key '{loc[-1]}'", nearest(loc[-1], _valid_keys(loc), "keys")
    if loc and loc[-1] == "[key]":
        return loc[:-1], f"the key {describe(error['input'])} must be an id (text)", ""
    if kind == "value_error":
        return loc, str(ctx.get("error", "invalid value")), ""
    if kind == "literal_error":
        return loc, f"expected one of {ctx.get('expected', '')}", ""
    if kind in ("string_too_long", "too_long"):
        what = "characters" if kind == "string_too_long" else "entries"
        limit = ctx.get("max_length", 0)
        given = len(error["input"]) if hasattr(error["input"], "__len__") else 0
        return loc, f"too long: {given:,} {what}, at most {limit:,}", "see docs/limits.md"
    if kind in ("greater_than", "greater_than_equal"):
        sign = ">" if kind == "greater_than" else ">="
        bound = ctx.get("gt", ctx.get("ge"))
        return loc, f"must be {sign} {bound}, got {describe(error['input'])}", ""
    message = _MESSAGES.get(kind, "invalid value")
    value = error["input"]
    if not isinstance(value, dict | list):
        message += f", got {describe(value)}"
    return loc, message, ""


def _valid_keys(loc: Path) -> list[str]:
    models = sections()
    if len(loc) == 3 and loc[0] in models:
        return field_names(models[loc[0]])
    return field_names(scenario_spec())
