"""The hard limits of ``sim.limits``: numbers, dates, durations, seeds and runs beyond them are
refused with a located problem, so nothing overflows or is silently wrong later."""

from __future__ import annotations

import pytest

from sim.errors import Problem, ScenarioError
from sim.limits import FIRST_DATE, LAST_DATE, MAX_QUANTITY, MAX_SEED
from sim.scenario import load_scenario_text

BASE = """\
name: limits
start: 2022-01-01
end: 2023-01-01
items: {gun: {}}
holders:
  us: {stock: {gun: 1000}}
  ua: {}
production:
  line: {item: gun, to: us, rate: 10/d}
donations:
  aid: {from: us, to: ua, item: gun, rate: 5/d, transit: 1 to 2 w}
attrition:
  hits: {holder: ua, item: gun, rate: 10%/mo, repairable: 50%, repair_time: 1 to 2 mo}
"""


def problem_of(*overrides: str, text: str = BASE) -> Problem:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "s.yaml", overrides=list(overrides))
    [problem] = info.value.problems
    return problem


def test_the_base_loads() -> None:
    assert load_scenario_text(BASE).end_day == 365


@pytest.mark.parametrize(
    ("override", "path", "fragment"),
    [
        ("holders.us.stock.gun=1e308", "holders.us.stock.gun", "too large a number"),
        ("holders.us.stock.gun=2e15", "holders.us.stock.gun", "too large a number"),
        ("holders.us.stock.gun=1 to 1e60", "holders.us.stock.gun", "too large a number"),
        ("holders.us.stock.gun=1 to 1e15", "holders.us.stock.gun", "one draw in 1e+09"),
        ("holders.us.stock.gun=normal(1e15, 1e15)", "holders.us.stock.gun", "too large"),
        ("holders.us.stock.gun=normal(1e14, 2e14)", "holders.us.stock.gun", "one draw in"),
        ("holders.us.stock.gun=1e-300 to 1e6", "holders.us.stock.gun", "one draw in"),
        ("production.line.rate=1e15/d", "production.line.rate", "this rate would move"),
        ("production.line.rate=1/1e-9 d", "production.line.rate", "one second or longer"),
        ("production.line.rate=1e308/d", "production.line.rate", "too large a number"),
        ("donations.aid.transit=1 to 1e60 d", "donations.aid.transit", "too large a number"),
        ("donations.aid.transit=1e14 d", "donations.aid.transit", "too large"),
        ("attrition.hits.repair_time=1e50 d", "attrition.hits.repair_time", "too large"),
        ("attrition.hits.every=1e-9 d", "attrition.hits.every", "one second"),
        ("report_every=1e-9 d", "report_every", "one second"),
        ("attrition.hits.every=1e12 y", "attrition.hits.every", "between one second"),
    ],
)
def test_a_number_beyond_the_limits_is_refused(override: str, path: str, fragment: str) -> None:
    problem = problem_of(override)
    assert problem.path == f"--set {path}" and fragment in problem.message


def test_the_largest_quantity_is_allowed() -> None:
    scenario = load_scenario_text(BASE, overrides=[f"holders.us.stock.gun={MAX_QUANTITY:g}"])
    assert scenario.holders["us"].stock["gun"].mean == MAX_QUANTITY


def test_a_limit_is_located_on_its_line() -> None:
    problem = problem_of(text=BASE.replace("stock: {gun: 1000}", "stock: {gun: 1e308}"))
    assert (problem.line, problem.path) == (6, "holders.us.stock.gun")


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("start=0001-01-01", "start"),
        ("start=1582-12-31", "start"),
        ("end=+8000y", "end"),
        ("production.line.rate={1582-10-15: 5/d}", "production.line.rate"),
        ("donations.aid.rate={+8000y: 5/d}", "donations.aid.rate"),
    ],
)
def test_a_date_outside_the_supported_range_is_refused(override: str, path: str) -> None:
    problem = problem_of(override)
    assert problem.path.startswith(f"--set {path}")
    assert "outside the supported dates" in problem.message and str(LAST_DATE) in problem.hint


def test_a_horizon_past_the_last_date_is_refused() -> None:
    problem = problem_of(text=BASE.replace("end: 2023-01-01", "horizon: 8000y"))
    assert (problem.line, problem.path) == (3, "horizon")
    assert "outside the supported dates" in problem.message


def test_the_first_and_last_supported_dates_are_allowed() -> None:
    scenario = load_scenario_text(BASE, overrides=[f"start={FIRST_DATE}", f"end={LAST_DATE}"])
    assert (scenario.start, scenario.end) == (FIRST_DATE, LAST_DATE)


def test_a_thousand_year_horizon_loads() -> None:
    scenario = load_scenario_text(BASE.replace("end: 2023-01-01", "horizon: 1000y"))
    assert scenario.end_day == 1000 * 365.25


def test_a_seed_must_fit_in_64_bits() -> None:
    problem = problem_of(text=BASE + f"seed: {MAX_SEED + 1}\n")
    assert (problem.line, problem.path) == (14, "seed") and "at most" in problem.message
    assert load_scenario_text(BASE + f"seed: {MAX_SEED}\n").seed == MAX_SEED


def test_runs_are_bounded() -> None:
    problem = problem_of(text=BASE + "runs: 9223372036854775808\n")
    assert (problem.line, problem.path) == (14, "runs")


def test_an_integer_too_long_to_read_is_a_problem() -> None:
    problem = problem_of(text=BASE + "seed: " + "9" * 5000 + "\n")
    assert (problem.line, problem.path) == (14, "seed")


def test_a_milestone_before_a_start_whose_end_is_refused_is_located() -> None:
    """The end lies past the last date, so the warning on the milestone has no end to name."""
    text = BASE.replace("start: 2022-01-01", "start: 9999-12-31").replace(
        "rate: 10/d}", "rate: {2023-01-01: 10/d}}"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "s.yaml")
    assert [p.path for p in info.value.problems] == ["end"]
    assert "the end is not after start" in info.value.problems[0].message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "N" * 501}, "name: too long: 501 characters, at most 500"),
        ({"description": "d" * 10_001}, "description: too long: 10,001 characters, at most 10,000"),
        ({"sources": ["s"] * 501}, "sources: too long: 501 entries, at most 500"),
        ({"sources": ["s" * 2_001]}, "sources.0: too long: 2,001 characters, at most 2,000"),
    ],
)
def test_text_a_reader_sees_is_bounded(change: dict[str, object], message: str) -> None:
    """A megabyte title validated and then hung every chart; now it is refused on its line."""
    import yaml

    tree = yaml.safe_load(TEXT_BASE)
    tree.update(change)
    with pytest.raises(ScenarioError) as refused:
        load_scenario_text(yaml.safe_dump(tree, width=10**9), "s.yaml")
    assert any(message in str(p) for p in refused.value.problems), refused.value.problems


TEXT_BASE = """\
name: T
start: 2024-01-01
horizon: 1y
items: {shell: {unit: rounds}}
holders: {army: {stock: {shell: 100}}}
"""
