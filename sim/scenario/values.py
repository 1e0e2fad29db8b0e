"""The value grammar of scenario files: quantities, fractions, distributions, durations,
rates, dates, schedules and amounts in money (docs/scenario.md).

Every parser takes the raw YAML value (text, number or date) and returns model objects, or
raises ``GrammarError`` saying what was expected, with an example.

>>> round(parse_value("1.5M to 3M").quantile(0.05))
1500000
>>> parse_rate("33%/9mo", "fraction")
Rate(amount=Fixed(value=0.33), period_days=273.9375, currency='')
>>> parse_amount("$675M")
Money(amount=Fixed(value=675000000.0), currency='USD')
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from sim.currency import MARK, code_of, label
from sim.distributions import (
    Beta,
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    scaled,
)
from sim.limits import FIRST_DATE, LAST_DATE, MAX_QUANTITY, MIN_STEP_DAYS
from sim.scenario.model import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    Interpolation,
    Money,
    Rate,
    Schedule,
)
from sim.scenario.yaml_source import key_text

Kind = Literal["quantity", "fraction"]


class GrammarError(ValueError):
    """A value that does not follow the grammar; ``key`` locates it inside a mapping value."""

    def __init__(self, message: str, hint: str = "", key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.key = key


EXAMPLES: dict[str, str] = {
    "quantity": "write e.g. 7000, 14.4k, 1.5e6, 3.9M or a distribution such as 1.5M to 3M",
    "fraction": "write e.g. 0.6, 60% or a distribution such as 50% to 70% or beta(2, 5)",
    "duration": "write e.g. 32mo, 6 w, 1y, 3 to 12 mo or triangular(30, 60, 120) d",
    "rate": "write e.g. 14.4k/mo, 1200/y, 4k to 7k /d or 33%/9mo",
    "date": "write an ISO date such as 2024-09-01 or an offset from start such as +32mo",
    "currency": "write an ISO code such as USD, EUR, GBP, or a symbol: $, €, £",
}

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"({_NUMBER})\s*([kMB]?)\s*(%?)")
_CALL = re.compile(r"([A-Za-z_]\w*)\s*\((.*)\)")
_INTERVAL = re.compile(r"(.+?)\s+to\s+(.+)")
_SUFFIX = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}

_UNIT_DAYS: dict[str, float] = {
    "d": 1.0,
    "day": 1.0,
    "days": 1.0,
    "w": 7.0,
    "wk": 7.0,
    "week": 7.0,
    "weeks": 7.0,
    "mo": DAYS_PER_MONTH,
    "month": DAYS_PER_MONTH,
    "months": DAYS_PER_MONTH,
    "y": DAYS_PER_YEAR,
    "yr": DAYS_PER_YEAR,
    "year": DAYS_PER_YEAR,
    "years": DAYS_PER_YEAR,
}
_UNITS = "|".join(sorted(_UNIT_DAYS, key=len, reverse=True))
_DURATION = re.compile(rf"(.*?)\s*({_UNITS})")
_RATE_END = re.compile(rf"(.*?)\s*(/\s*[0-9.]*\s*(?:{_UNITS}))")  # 2k/d, 4k / 2 w
_PERIOD = re.compile(rf"({_NUMBER})?\s*({_UNITS})")


def _expected(kind: str, raw: object) -> GrammarError:
    return GrammarError(f"cannot read {_show(raw)} as a {kind}", EXAMPLES[kind])


def _show(raw: object) -> str:
    return repr(raw) if isinstance(raw, str) else str(raw)


def _text(raw: object, kind: str) -> str:
    """The raw value as text; numbers pass, booleans, dates, lists and mappings do not."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _expected(kind, raw)
    return raw.strip() if isinstance(raw, str) else repr(raw)


def parse_number(text: str, kind: Kind = "quantity") -> float:
    """One number with an optional k/M/B suffix, or a percentage where a fraction is wanted."""
    match = _TERM.fullmatch(text.strip())
    if match is None:
        raise _expected(kind, text)
    number, suffix, percent = match.groups()
    if percent and kind != "fraction":
        raise GrammarError(f"a percentage is not a {kind}: {text!r}", EXAMPLES[kind])
    if (percent and suffix) or (suffix and kind == "fraction"):
        raise _expected(kind, text)
    value = float(number) * _SUFFIX[suffix]
    if not abs(value) <= MAX_QUANTITY:
        raise GrammarError(f"{text.strip()!r} is too large a number", f"at most {MAX_QUANTITY:g}")
    return value / 100 if percent else value


def parse_value(raw: object, kind: Kind = "quantity") -> Distribution:
    """A fixed number or a distribution: ``7000``, ``60%``, ``1.5M to 3M``, ``pert(1, 2, 4)``."""
    text = _text(raw, kind)
    if MARK.search(text):
        raise GrammarError(
            f"an amount in money is not accepted here: {text!r}",
            "money is accepted for quantities and rates of a priced item (tranches, rates, "
            f"pledges, caps, stocks); here {EXAMPLES[kind].removeprefix('write ')}",
        )
    call = _CALL.fullmatch(text)
    if call is not None:
        return _call(call.group(1), call.group(2), kind)
    interval = _INTERVAL.fullmatch(text)
    if interval is not None:
        if kind == "fraction":
            _percent_on_both_ends(text, *interval.groups())
        low, high = (parse_number(part, kind) for part in interval.groups())
        if low > high:
            first, second = (part.strip() for part in interval.groups())
            raise GrammarError(f"'A to B' needs A <= B, got {text!r}",
                               f"the smaller first: {second} to {first}")  # fmt: skip
        return _build(LogNormal.from_interval if low > 0 else Normal.from_interval, low, high)
    return Fixed(parse_number(text, kind))


def _percent_on_both_ends(text: str, low: str, high: str) -> None:
    """Refuse ``50 to 70%``: a percent sign on one end only (the other end would be read as
    a plain number), with the fix: the sign on both ends."""
    marked = [part.strip().endswith("%") for part in (low, high)]
    if any(marked) and not all(marked):
        fix = " to ".join(part.strip().rstrip("%").strip() + "%" for part in (low, high))
        raise GrammarError(f"a range with % on one end only: {text!r}", f"write {fix}")


_CALLS: dict[str, tuple[Callable[..., Distribution], tuple[str, ...]]] = {
    "uniform": (Uniform, ("low", "high")),
    "triangular": (Triangular, ("low", "mode", "high")),
    "pert": (Pert, ("low", "mode", "high")),
    "normal": (Normal, ("mean", "sd")),
    "beta": (Beta, ("a", "b")),
}


def _call(name: str, args_text: str, kind: Kind) -> Distribution:
    if name not in _CALLS:
        close = difflib.get_close_matches(name, list(_CALLS), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(_CALLS)
        raise GrammarError(f"unknown distribution '{name}'", hint)
    factory, params = _CALLS[name]
    example = f"{name}({', '.join(params)})"
    args = [a for a in (part.strip() for part in args_text.split(",")) if a]
    if len(args) != len(params):
        raise GrammarError(f"{name} takes {len(params)} numbers, got {len(args)}", example)
    shape_kind: Kind = "quantity" if name == "beta" else kind
    return _build(factory, *(parse_number(arg, shape_kind) for arg in args))


def _build(factory: Callable[..., Distribution], *args: float) -> Distribution:
    try:
        return factory(*args)
    except ValueError as exc:
        raise GrammarError(str(exc)) from exc


def split_currency(text: str) -> tuple[str, str | None]:
    """``text`` without its currency marks, and the ISO code they name (None: there is none).

    >>> split_currency("$600M to $750M")
    ('600M to 750M', 'USD')
    """
    codes = {code_of(mark) for mark in MARK.findall(text)}
    if not codes:
        return text, None
    if len(codes) > 1:
        named = ", ".join(sorted(str(c) for c in codes))
        raise GrammarError(f"an amount in more than one currency ({named}): {text!r}")
    return " ".join(MARK.sub(" ", text).split()), codes.pop()


def parse_amount(raw: object) -> Distribution | Money:
    """A quantity of an item in units (``7000``, ``1.5M to 3M``) or in money (``$675M``,
    ``€400M to €600M``, ``675M USD``)."""
    if isinstance(raw, str):
        text, code = split_currency(raw.strip())
        if code is not None:
            try:
                return Money(parse_value(text), code)
            except GrammarError as exc:
                raise GrammarError(f"cannot read {raw.strip()!r} as an amount", exc.hint) from exc
    return parse_value(raw)


def parse_currency(raw: object) -> str:
    """The scenario's currency: an ISO code (``USD``) or a symbol (``$``), as its ISO code."""
    code = code_of(raw) if isinstance(raw, str) else None
    if code is None:
        raise GrammarError(f"cannot read {_show(raw)} as a currency", EXAMPLES["currency"])
    return code


def currency_label(code: str) -> str:
    """``USD ($)`` for messages."""
    return label(code)


def parse_fixed(raw: object, kind: Kind = "quantity") -> float:
    """A value that must be known exactly (a share, a unit cost)."""
    value = parse_value(raw, kind)
    if not isinstance(value, Fixed):
        raise GrammarError(f"must be a fixed number, not a distribution: {_show(raw)}")
    return value.value


def parse_duration(raw: object) -> Distribution:
    """A duration in days: ``32mo``, ``6 w``, ``3 to 12 mo``, ``triangular(30, 60, 120) d``."""
    text = _text(raw, "duration")
    _unit_once(text, _DURATION, "duration")
    match = _DURATION.fullmatch(text)
    if match is None or not match.group(1) or not re.search(r"[\d(]", match.group(1)):
        raise _word_duration(raw, text)
    try:
        value = parse_value(match.group(1), "quantity")
    except GrammarError as exc:
        raise GrammarError(exc.message, exc.hint or EXAMPLES["duration"]) from exc
    try:
        return scaled(value, _UNIT_DAYS[match.group(2)])
    except ValueError as exc:  # a fixed value that overflows once in days
        raise GrammarError(str(exc), EXAMPLES["duration"]) from exc


_WORDS = {"daily": "1 d", "weekly": "1 w", "monthly": "1 mo", "yearly": "1 y", "annually": "1 y"}


def _word_duration(raw: object, text: str) -> GrammarError:
    """``monthly`` is not a duration: the message names the whole word (and ``1 mo``)."""
    word = _WORDS.get(text.lower())
    if word is None:
        return _expected("duration", raw)
    return GrammarError(f"cannot read {_show(raw)} as a duration", f"write {word}")


def _unit_once(text: str, end: re.Pattern[str], kind: str) -> None:
    """Refuse a range written with its unit (or period) on both ends, ``1 w to 2 w`` or
    ``2k/d to 3k/d``, with the way to write it: the unit once, after the range."""
    left, to, right = text.partition(" to ")
    first, last = end.fullmatch(left.strip()), end.fullmatch(right.strip())
    if not to or first is None or last is None or not first.group(1) or not last.group(1):
        return
    unit, same = last.group(2), first.group(2).replace(" ", "") == last.group(2).replace(" ", "")
    fix = f"{first.group(1).strip()} to {last.group(1).strip()} {unit.strip()}"
    hint = f"write the unit once, after the range: {fix}" if same else (
        f"write both ends in one unit, once, after the range: A to B {unit.strip()}")  # fmt: skip
    raise GrammarError(f"a range with a unit on each end: {text!r}", hint)


def parse_fixed_duration(raw: object) -> float:
    """A duration that must be known exactly, in days (``every``, ``horizon``)."""
    value = parse_duration(raw)
    if not isinstance(value, Fixed):
        raise GrammarError(f"must be a fixed duration, not a distribution: {_show(raw)}")
    return value.value


def parse_rate(raw: object, kind: Kind = "quantity", money: bool = False) -> Rate:
    """``VALUE / [N] UNIT``: ``14.4k/mo``, ``1200/y``, ``4k to 7k /d``, ``33%/9mo``; with
    ``money``, also an amount in money per period: ``$1.2B/y``, ``€40M to €60M /mo``."""
    text = _text(raw, "rate")
    _unit_once(text, _RATE_END, "rate")
    amount_text, slash, period_text = text.rpartition("/")
    if not slash:
        raise GrammarError(f"a rate needs a period: {_show(raw)}", EXAMPLES["rate"])
    period = _PERIOD.fullmatch(period_text.strip())
    if period is None or not amount_text.strip():
        raise _expected("rate", raw)
    count = float(period.group(1)) if period.group(1) else 1.0
    if not MIN_STEP_DAYS <= count * _UNIT_DAYS[period.group(2)] < math.inf:
        message = f"a rate's period must be one second or longer, and finite: {_show(raw)}"
        raise GrammarError(message, EXAMPLES["rate"])
    days = count * _UNIT_DAYS[period.group(2)]
    if money:
        amount_text, code = split_currency(amount_text)
        if code is not None:
            return Rate(parse_value(amount_text, kind), days, code)
    return Rate(parse_value(amount_text, kind), days)


def parse_start(raw: object) -> dt.date:
    """The scenario start: an ISO date within the supported dates."""
    day = _iso_date(raw, "write e.g. 2022-02-24")
    if not FIRST_DATE <= day <= LAST_DATE:
        raise _unsupported(day.isoformat())
    return day


def _iso_date(raw: object, hint: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        raise GrammarError(f"expected a date without a time: {raw}", hint)
    day = raw if isinstance(raw, dt.date) else None
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(raw.strip())
    if day is None:
        raise GrammarError(f"cannot read {_show(raw)} as a date", hint)
    return day


def _unsupported(day: str) -> GrammarError:
    return GrammarError(
        f"{day} is outside the supported dates", f"from {FIRST_DATE} to {LAST_DATE}"
    )


def parse_date(raw: object, start: dt.date | None) -> float:
    """Days since ``start``: an ISO date or an offset such as ``+32mo``.

    With ``start`` unknown (it is itself wrong) only the syntax is checked and 0 returned.
    """
    if isinstance(raw, str) and raw.strip().startswith("+"):
        try:
            days = parse_fixed_duration(raw.strip()[1:])
        except GrammarError as exc:
            raise GrammarError(f"cannot read {_show(raw)} as a date", EXAMPLES["date"]) from exc
        return days if start is None else check_day(start, days, raw.strip())
    day = _iso_date(raw, EXAMPLES["date"])
    if not FIRST_DATE <= day <= LAST_DATE:
        raise _unsupported(day.isoformat())
    return float((day - start).days) if start is not None else 0.0


def check_day(start: dt.date, days: float, what: str) -> float:
    """``days``, if ``days`` after ``start`` is a supported date; else ``GrammarError``."""
    if not (FIRST_DATE - start).days <= days <= (LAST_DATE - start).days:
        raise _unsupported(f"{what} (from {start})")
    return days


def parse_schedule(
    raw: object,
    start: dt.date | None,
    kind: Kind = "quantity",
    interpolate: Interpolation = "linear",
    check: Callable[[Rate], None] | None = None,
    money: bool = False,
) -> tuple[Schedule | None, list[GrammarError]]:
    """One rate (a milestone at day 0) or a mapping date -> rate, sorted by date.

    ``check`` may raise ``GrammarError`` for a rate out of range. With ``money`` the rates may
    be in money, all of them or none. Returns the schedule, or None and every error found
    (each with the ``key`` it is under).
    """
    check = check or (lambda rate: None)
    if not isinstance(raw, Mapping):
        if is_factor(raw):
            message = f"a factor scales a schedule, it is not a rate: {_show(raw)}"
            return None, [GrammarError(message, FACTOR_EXAMPLE + ", after the rates")]
        try:
            rate = parse_rate(raw, kind, money)
            check(rate)
            return Schedule((0.0,), (rate,), interpolate), []
        except GrammarError as exc:
            return None, [exc]
    if not raw:
        return None, [GrammarError("a schedule needs at least one milestone", EXAMPLES["rate"])]
    milestones: dict[float, tuple[str, Rate]] = {}
    factors: dict[float, float] = {}
    errors: list[GrammarError] = []
    for key, value in raw.items():
        name = key_text(key)
        if factor_key(key) is not None or is_factor(value):
            try:
                day, factor = parse_factor_milestone(key, value, start)
            except GrammarError as exc:
                errors.append(GrammarError(exc.message, exc.hint, name))
                continue
            factors[day] = factors.get(day, 1.0) * factor
            continue
        try:
            day, rate = parse_date(key, start), parse_rate(value, kind, money)
            check(rate)
        except GrammarError as exc:
            errors.append(GrammarError(exc.message, exc.hint, name))
            continue
        if day in milestones and start is not None:
            other = milestones[day][0]
            errors.append(
                GrammarError(f"two milestones on the same day ({other} and {name})", "", name)
            )
            continue
        milestones[day] = (name, rate)
    if errors:
        return None, errors
    if len({rate.money for _, rate in milestones.values()}) > 1:
        first = next(name for name, rate in milestones.values() if not rate.money)
        message = "a schedule is in money or in units, not both"
        return None, [GrammarError(message, "write every milestone with or without it", first)]
    if not milestones:
        return None, [GrammarError("a schedule needs at least one rate", EXAMPLES["rate"])]
    days = sorted(milestones)
    rates = tuple(milestones[d][1] for d in days)
    scale = tuple(sorted(factors.items()))
    try:
        _check_scaled(rates, scale, check)
    except GrammarError as exc:
        return None, [GrammarError(exc.message, exc.hint, f"from {_iso(start, scale[-1][0])}")]
    return Schedule(tuple(days), rates, interpolate, scale), []


#: A factor milestone's value: ``x1.5`` (the schedule times 1.5 from its date on).
_FACTOR = re.compile(r"x\s*(\S+)")
FACTOR_EXAMPLE = "write e.g. from 2025-01-01: x1.5 (the rates from that day on, times 1.5)"


def is_factor(raw: object) -> bool:
    """Whether ``raw`` is written as a factor, ``x1.5``."""
    return isinstance(raw, str) and _FACTOR.fullmatch(raw.strip()) is not None


def factor_key(key: object) -> str | None:
    """The date of a factor milestone's key ``from 2025-01-01`` (None: not such a key)."""
    text = key_text(key).strip()
    return text[5:].strip() if text.startswith("from ") else None


def parse_factor(raw: object) -> float:
    """``x1.5``: a factor > 0."""
    match = _FACTOR.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise GrammarError(f"cannot read {_show(raw)} as a factor", "write e.g. x1.5")
    try:
        factor = float(match.group(1))
    except ValueError:
        raise GrammarError(f"cannot read {_show(raw)} as a factor", "write e.g. x1.5") from None
    if not (math.isfinite(factor) and 0 < factor <= MAX_QUANTITY):
        raise GrammarError(f"a factor must be a number > 0: {_show(raw)}", "write e.g. x1.5")
    return factor


def parse_factor_milestone(
    key: object, value: object, start: dt.date | None
) -> tuple[float, float]:
    """``from DATE: xF``: the day and the factor."""
    date = factor_key(key)
    if date is None:
        raise GrammarError(
            f"a factor is written under 'from DATE', not under a milestone: {_show(value)}",
            f"write from {key_text(key)}: {str(value).strip()}",
        )
    if not is_factor(value):
        raise GrammarError(f"'from {date}' takes a factor, not {_show(value)}", FACTOR_EXAMPLE)
    return parse_date(date, start), parse_factor(value)


def _check_scaled(
    rates: tuple[Rate, ...], factors: tuple[tuple[float, float], ...], check: Callable[[Rate], None]
) -> None:
    """Check every rate at the largest product of the factors (a factor may not push a rate
    out of its range)."""
    product, largest = 1.0, 1.0
    for _day, factor in factors:
        product *= factor
        largest = max(largest, product)
    if largest > 1.0:
        for rate in rates:
            check(Rate(scaled(rate.amount, largest), rate.period_days, rate.currency))


def _iso(start: dt.date | None, day: float) -> str:
    return "?" if start is None else (start + dt.timedelta(days=day)).isoformat()


def describe(raw: Any) -> str:
    """A raw value as the user wrote it, for messages."""
    return _show(raw)
