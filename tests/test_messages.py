"""Messages for the mistakes a new user made: each names the line and says how to write it."""

from __future__ import annotations

import warnings

import pytest

import sim

BASE = """name: T
start: 2024-01-01
horizon: 2y
items:
  shell: {unit: rounds}
  gun: {unit: systems}
holders:
  army: {stock: {shell: 100k, gun: 50}}
  ally: {stock: {shell: 0}}
"""


@pytest.mark.parametrize(
    ("snippet", "line", "says"),
    [
        (
            "attrition:\n  a: {holder: army, item: gun, rate: 2/w}",
            11,
            "a rate of losses is a fraction per period, got '2/w' (for a count write losses: 2/w)",
        ),
        (
            "consumption:\n  f: {holder: army, item: shell, rate: 30k to 20k /mo}",
            11,
            "'A to B' needs A <= B, got '30k to 20k' (the smaller first: 20k to 30k)",
        ),
        (
            "donations:\n  d: {from: army, to: ally, item: shell, rate: 1k/w, transit: 1 w to 2 w}",
            11,
            "a range with a unit on each end: '1 w to 2 w' (write the unit once, after the "
            "range: 1 to 2 w)",
        ),
        (
            "consumption:\n  f: {holder: army, item: shell, rate: 2k/d to 3k/d}",
            11,
            "(write the unit once, after the range: 2k to 3k /d)",
        ),
        ("end: 2025-01-01", 10, "end: both end and horizon given"),
        (
            "consumption:\n\tf: {holder: army, item: shell, rate: 2k/d}",
            11,
            "a tab character: YAML indents with spaces only",
        ),
    ],
)
def test_a_mistake_gets_its_line_and_the_way_to_write_it(
    snippet: str, line: int, says: str
) -> None:
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario_text(BASE + snippet, "s.yaml")
    (problem,) = caught.value.problems
    assert problem.line == line
    assert says in str(problem)


def test_a_share_whose_receiver_can_make_nothing_is_warned() -> None:
    snippet = (
        "production:\n  p: {item: shell, to: {army: 50%, ally: 50%}, rate: 1k/mo, inputs: {gun: 1}}"
    )
    with pytest.warns(sim.ScenarioWarning, match="ally starts with no gun and nothing brings"):
        sim.load_scenario_text(BASE + snippet)
    supplied = (
        snippet
        + "\ndonations:\n  g: {from: army, to: ally, item: gun, deliveries: {2024-02-01: 5}}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", sim.ScenarioWarning)
        sim.load_scenario_text(BASE + supplied)


def test_a_slip_that_moves_nothing_and_a_floor_above_the_stock_are_warned() -> None:
    late = (
        "production:\n  p: {item: shell, to: army, slip: 1 mo,"
        " rate: {2024-01-01: 1k/mo, 2027-01-01: 2k/mo}}"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sim.ScenarioWarning)
        sim.load_scenario_text(BASE + late)
    said = [str(w.message) for w in caught]
    assert any("slip: no effect: every milestone it moves is after the end" in s for s in said)
    high = BASE.replace("gun: 50}}", "gun: 50}, floor: {shell: 90k to 120k}}")
    with pytest.warns(sim.ScenarioWarning, match="the floor can exceed the starting stock in some"):
        sim.load_scenario_text(high)
    fixed = BASE.replace("gun: 50}}", "gun: 50}, floor: {shell: 200k}}")  # above a fixed 100k
    with pytest.warns(
        sim.ScenarioWarning, match="the floor exceeds the starting stock in every run"
    ):
        sim.load_scenario_text(fixed)


def test_an_unused_holder_is_warned() -> None:
    unused = BASE + "  depot: {label: Depot}\n"
    with pytest.warns(sim.ScenarioWarning, match="holders.depot: no process names this holder"):
        sim.load_scenario_text(unused)
