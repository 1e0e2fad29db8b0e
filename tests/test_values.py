"""The value grammar: every form parses to exactly the expected model object."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.distributions import Beta, Fixed, LogNormal, Normal, Pert, Scaled, Triangular, Uniform
from sim.scenario.model import DAYS_PER_MONTH, DAYS_PER_YEAR, Rate, Schedule
from sim.scenario.values import (
    GrammarError,
    parse_date,
    parse_duration,
    parse_fixed,
    parse_fixed_duration,
    parse_number,
    parse_rate,
    parse_schedule,
    parse_start,
    parse_value,
)

START = dt.date(2022, 2, 24)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (7000, 7000.0),
        ("7000", 7000.0),
        ("1.5e6", 1.5e6),
        (1.5e6, 1.5e6),
        ("14.4k", 14400.0),
        ("3.9M", 3.9e6),
        ("2B", 2e9),
        ("0.5k", 500.0),
        ("-3", -3.0),
        (" 12 ", 12.0),
    ],
)
def test_quantities(raw: object, expected: float) -> None:
    assert parse_value(raw) == Fixed(expected)


@pytest.mark.parametrize(
    ("raw", "expected"), [(0.6, 0.6), ("60%", 0.6), ("0%", 0.0), ("100%", 1.0), ("12.5%", 0.125)]
)
def test_fractions(raw: object, expected: float) -> None:
    value = parse_value(raw, "fraction")
    assert isinstance(value, Fixed)
    assert value.value == pytest.approx(expected)


def test_interval_is_lognormal_when_low_is_positive() -> None:
    assert parse_value("1.5M to 3M") == LogNormal.from_interval(1.5e6, 3e6)
    assert parse_value("5 to 10") == LogNormal.from_interval(5, 10)


def test_interval_is_normal_when_low_is_not_positive() -> None:
    assert parse_value("0 to 20k") == Normal.from_interval(0, 20000)
    assert parse_value("-5 to 5") == Normal.from_interval(-5, 5)


def test_interval_of_percentages() -> None:
    assert parse_value("50% to 70%", "fraction") == LogNormal.from_interval(0.5, 0.7)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("uniform(3k, 5k)", Uniform(3000, 5000)),
        ("uniform(7,21)", Uniform(7, 21)),
        ("triangular(30, 60, 120)", Triangular(30, 60, 120)),
        ("pert(1k, 2k, 4k)", Pert(1000, 2000, 4000)),
        ("normal(100, 15)", Normal(100, 15)),
        ("beta(2, 5)", Beta(2, 5)),
    ],
)
def test_named_distributions(raw: str, expected: object) -> None:
    assert parse_value(raw) == expected


def test_beta_takes_shape_numbers_in_a_fraction_position() -> None:
    assert parse_value("beta(2, 5)", "fraction") == Beta(2, 5)


def test_fraction_distributions_accept_percentages() -> None:
    assert parse_value("uniform(40%, 60%)", "fraction") == Uniform(0.4, 0.6)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("32mo", Fixed(32 * DAYS_PER_MONTH)),
        ("6 w", Fixed(42.0)),
        ("1y", Fixed(DAYS_PER_YEAR)),
        ("10d", Fixed(10.0)),
        ("2 weeks", Fixed(14.0)),
        ("3 to 12 mo", Scaled(LogNormal.from_interval(3, 12), DAYS_PER_MONTH)),
        ("triangular(30, 60, 120) d", Triangular(30, 60, 120)),
        ("uniform(7, 21) d", Uniform(7, 21)),
    ],
)
def test_durations_in_days(raw: str, expected: object) -> None:
    assert parse_duration(raw) == expected


def test_fixed_duration() -> None:
    assert parse_fixed_duration("1w") == 7.0
    with pytest.raises(GrammarError, match="fixed duration"):
        parse_fixed_duration("1 to 2 w")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("14.4k/mo", Rate(Fixed(14400.0), DAYS_PER_MONTH)),
        ("1200/y", Rate(Fixed(1200.0), DAYS_PER_YEAR)),
        ("100k / 2w", Rate(Fixed(1e5), 14.0)),
        ("4k to 7k /d", Rate(LogNormal.from_interval(4000, 7000), 1.0)),
        ("1300 to 1468 /30mo", Rate(LogNormal.from_interval(1300, 1468), 30 * DAYS_PER_MONTH)),
    ],
)
def test_rates(raw: str, expected: Rate) -> None:
    assert parse_rate(raw) == expected


def test_proportional_rate_from_the_format_docstring() -> None:
    assert parse_rate("33%/9mo", "fraction") == Rate(Fixed(0.33), 273.9375)


def test_dates() -> None:
    assert parse_date(dt.date(2022, 3, 1), START) == 5.0
    assert parse_date("2022-03-01", START) == 5.0
    assert parse_date("+32mo", START) == 32 * DAYS_PER_MONTH
    assert parse_date("+0d", START) == 0.0
    assert parse_date(dt.date(2022, 2, 20), START) == -4.0
    assert parse_start("2022-02-24") == START


def test_one_rate_is_a_schedule_with_one_milestone_at_day_zero() -> None:
    schedule, errors = parse_schedule("18k/mo", START)
    assert errors == []
    assert schedule == Schedule((0.0,), (Rate(Fixed(18000.0), DAYS_PER_MONTH),))


def test_schedule_is_sorted_by_date() -> None:
    raw = {dt.date(2023, 1, 1): "60k/mo", "+5d": "100k/mo"}
    schedule, errors = parse_schedule(raw, START, interpolate="step")
    assert errors == []
    assert schedule == Schedule(
        (5.0, 311.0),
        (Rate(Fixed(1e5), DAYS_PER_MONTH), Rate(Fixed(6e4), DAYS_PER_MONTH)),
        "step",
    )


def test_two_milestones_on_the_same_day_are_an_error() -> None:
    schedule, errors = parse_schedule({"2022-03-01": "1/d", "+5d": "2/d"}, START)
    assert schedule is None
    assert [(e.key, e.message) for e in errors] == [
        ("+5d", "two milestones on the same day (2022-03-01 and +5d)")
    ]


def test_every_bad_milestone_is_reported() -> None:
    _, errors = parse_schedule({"2022-03-01": "lots", "soon": "2/d"}, START)
    assert [e.key for e in errors] == ["2022-03-01", "soon"]


def test_number_helpers() -> None:
    assert parse_number("2.5k") == 2500.0
    assert parse_fixed("70%", "fraction") == pytest.approx(0.7)
    with pytest.raises(GrammarError, match="fixed number"):
        parse_fixed("1 to 2")


@pytest.mark.parametrize(
    ("raw", "kind", "message", "hint"),
    [
        ("abc", "quantity", "cannot read 'abc' as a quantity", "14.4k"),
        ("5%", "quantity", "a percentage is not a quantity", "1.5M to 3M"),
        ("5k", "fraction", "cannot read '5k' as a fraction", "60%"),
        (True, "quantity", "cannot read True as a quantity", "7000"),
        ([1, 2], "quantity", "cannot read [1, 2] as a quantity", "7000"),
        ("unifrom(1, 2)", "quantity", "unknown distribution 'unifrom'", "did you mean 'uniform'?"),
        ("uniform(1)", "quantity", "uniform takes 2 numbers, got 1", "uniform(low, high)"),
        ("triangular(3, 2, 1)", "quantity", "triangular needs low <= mode <= high", ""),
        ("10 to 5", "quantity", "'A to B' needs A <= B, got '10 to 5'", "smaller first: 5 to 10"),
        ("normal(5, -1)", "quantity", "normal sd must be >= 0", ""),
        ("beta(0, 1)", "fraction", "beta needs a, b > 0", ""),
        ("1 to", "quantity", "cannot read '1 to' as a quantity", "1.5M to 3M"),
        ("1e308k", "quantity", "'1e308k' is too large a number", "at most 1e+15"),
        (float("inf"), "quantity", "cannot read 'inf' as a quantity", "7000"),
    ],
)
def test_value_errors_say_what_was_expected(
    raw: object, kind: str, message: str, hint: str
) -> None:
    with pytest.raises(GrammarError) as info:
        parse_value(raw, kind)  # type: ignore[arg-type]
    assert info.value.message.startswith(message)
    assert hint in info.value.hint


@pytest.mark.parametrize(
    ("parser", "raw", "message"),
    [
        (parse_duration, "32", "cannot read '32' as a duration"),
        (parse_duration, 32, "cannot read 32 as a duration"),
        (parse_duration, "3 fortnights", "cannot read '3 fortnights' as a duration"),
        (parse_rate, "14.4k", "a rate needs a period: '14.4k'"),
        (parse_rate, "14.4k/fortnight", "cannot read '14.4k/fortnight' as a rate"),
        (parse_rate, "5/0d", "a rate's period must be one second or longer"),
        (parse_rate, 100, "a rate needs a period: 100"),
        (parse_rate, "5/1e308y", "a rate's period must be one second or longer, and finite"),
        (parse_rate, "5/1e-6d", "a rate's period must be one second or longer"),
    ],
)
def test_duration_and_rate_errors(parser: object, raw: object, message: str) -> None:
    with pytest.raises(GrammarError) as info:
        parser(raw)  # type: ignore[operator]
    assert info.value.message.startswith(message)
    assert "e.g." in info.value.hint


def test_overflowing_duration_is_a_grammar_error() -> None:
    with pytest.raises(GrammarError, match="too large a number"):
        parse_duration("1e308 y")


@pytest.mark.parametrize("raw", ["2022-13-01", "next year", "+soon", 2022])
def test_date_errors(raw: object) -> None:
    with pytest.raises(GrammarError) as info:
        parse_date(raw, START)
    assert "2024-09-01" in info.value.hint
