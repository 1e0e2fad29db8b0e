"""Broken scenarios: each problem is located exactly (FILE:LINE: PATH:) and explained."""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError, ScenarioWarning
from sim.scenario import load_scenario_text

BASE = """\
name: test scenario
start: 2022-01-01
end: 2023-01-01
items:
  shell: {unit: rounds}
  gun: {label: Gun}
holders:
  us:
    stock: {shell: 1000, gun: 10}
    floor: {shell: 100}
  ua:
    stock: {shell: 0}
production:
  line:
    item: shell
    to: {us: 70%, ua: 30%}
    rate: 10/d
    slip: 1 to 2 mo
donations:
  ship:
    from: us
    to: ua
    item: shell
    rate: {2022-02-01: 5/d, +6mo: 2/d}
    transit: 1 to 2 w
attrition:
  losses_ua:
    holder: ua
    item: gun
    rate: 10%/mo
    repairable: 50%
    repair_time: 1 to 2 mo
consumption:
  fires:
    holder: ua
    item: shell
    rate: 3/d
"""

# (what to replace, replacement, the expected message: exact prefix and a fragment after it)
CASES: list[tuple[str, str, str, str]] = [
    # YAML itself
    ("  gun: {label: Gun}\n", "  gun: {label: Gun\n", "s.yaml:7:", "YAML syntax error"),
    (
        "  ua:\n    stock: {shell: 0}\n",
        "  ua:\n    stock: {shell: 0}\n  us: {}\n",
        "s.yaml:13: holders.us:",
        "duplicate key 'us' (first on line 8)",
    ),
    (
        "name: test scenario",
        "name: !!python/object:os.system x",
        "s.yaml:1:",
        "YAML tags are not allowed",
    ),
    (
        "    floor: {shell: 100}",
        "    floor: {shell: pert(1, 2, 3)}",
        "s.yaml:10: holders.us.floor:",
        "a comma inside { } split a value",
    ),
    # structure
    ("name: test scenario\n", "", "s.yaml:1:", "missing required key 'name'"),
    (
        "name: test scenario",
        "nme: test scenario",
        "s.yaml:1: nme:",
        "unknown key 'nme' (did you mean 'name'?)",
    ),
    (
        "    repair_time: 1 to 2 mo",
        "    repair_tme: 1 to 2 mo",
        "s.yaml:32: attrition.losses_ua.repair_tme:",
        "unknown key 'repair_tme' (did you mean 'repair_time'?)",
    ),
    (
        "    item: shell\n    to: {us",
        "    to: {us",
        "s.yaml:14: production.line:",
        "missing required key 'item'",
    ),
    (
        "  shell: {unit: rounds}",
        "  shell: {unit: rounds, lable: x}",
        "s.yaml:5: items.shell.lable:",
        "did you mean 'label'?",
    ),
    ("end: 2023-01-01", "end: 2023-01-01\nruns: 0", "s.yaml:4: runs:", "must be > 0, got 0"),
    ("end: 2023-01-01", "end: 2023-01-01\nseed: -1", "s.yaml:4: seed:", "must be >= 0"),
    (
        "end: 2023-01-01",
        "end: 2023-01-01\nruns: many",
        "s.yaml:4: runs:",
        "expected a whole number, got 'many'",
    ),
    (
        "    transit: 1 to 2 w",
        "    transit: 1 to 2 w\n    keep_floor: no",
        "s.yaml:26: donations.ship.keep_floor:",
        "expected true or false, got 'no'",
    ),
    (
        "    rate: 10/d\n",
        "    rate: 10/d\n    interpolate: cubic\n",
        "s.yaml:18: production.line.interpolate:",
        "expected one of 'linear' or 'step'",
    ),
    (
        "    stock: {shell: 1000, gun: 10}",
        "    stock: {shell: [1000], gun: 10}",
        "s.yaml:9: holders.us.stock.shell:",
        "expected a single value",
    ),
    ("items:\n", "items: 5\nold_items:\n", "s.yaml:4: items:", "expected a mapping"),
    # ids and references
    ("  ua:\n", "  Ukraine:\n", "s.yaml:11: holders.Ukraine:", "'Ukraine' is not a valid id"),
    (
        "    to: ua\n",
        "    to: uaa\n",
        "s.yaml:22: donations.ship.to:",
        "unknown holder 'uaa' (did you mean 'ua'?)",
    ),
    (
        "    from: us\n",
        "    from: zz\n",
        "s.yaml:21: donations.ship.from:",
        "unknown holder 'zz' (known holders: us, ua)",
    ),
    (
        "    holder: ua\n    item: gun",
        "    holder: ua\n    item: guns",
        "s.yaml:29: attrition.losses_ua.item:",
        "unknown item 'guns' (did you mean 'gun'?)",
    ),
    (
        "    stock: {shell: 0}",
        "    stock: {shel: 0}",
        "s.yaml:12: holders.ua.stock.shel:",
        "unknown item 'shel'",
    ),
    (
        "    slip: 1 to 2 mo",
        "    slip: 1 to 2 mo\n    inputs: {powder: 1}",
        "s.yaml:19: production.line.inputs.powder:",
        "unknown item 'powder'",
    ),
    (
        "    repair_time: 1 to 2 mo",
        "    repair_time: 1 to 2 mo\n    repair_to: pl",
        "s.yaml:33: attrition.losses_ua.repair_to:",
        "unknown holder 'pl'",
    ),
    (
        "    to: {us: 70%, ua: 30%}",
        "    to: {us: 70%, ua: 20%}",
        "s.yaml:16: production.line.to:",
        "shares sum to 0.9, not 1",
    ),
    (
        "    to: {us: 70%, ua: 30%}",
        "    to: {us: 70%, xx: 30%}",
        "s.yaml:16: production.line.to.xx:",
        "unknown holder 'xx'",
    ),
    (
        "  fires:",
        "  line:",
        "s.yaml:34: consumption.line:",
        "process id 'line' is also used in production.line",
    ),
    (
        "    to: ua\n",
        "    to: us\n",
        "s.yaml:22: donations.ship.to:",
        "from and to are the same holder",
    ),
    # values
    (
        "    slip: 1 to 2 mo",
        "    slip: 2 to 1 mo",
        "s.yaml:18: production.line.slip:",
        "'A to B' needs A <= B, got '2 to 1' (the smaller first: 1 to 2)",
    ),
    (
        "    slip: 1 to 2 mo",
        "    slip: 3",
        "s.yaml:18: production.line.slip:",
        "cannot read 3 as a duration",
    ),
    (
        "    rate: 3/d",
        "    rate: 3 per day",
        "s.yaml:37: consumption.fires.rate:",
        "a rate needs a period: '3 per day'",
    ),
    (
        "    rate: 10%/mo",
        "    rate: 100%/mo",
        "s.yaml:30: attrition.losses_ua.rate:",
        "must be >= 0 and below 1, got 1",
    ),
    (
        "    repairable: 50%",
        "    repairable: 50",
        "s.yaml:31: attrition.losses_ua.repairable:",
        "must be between 0 and 1, got 50 (write 60% for a percentage)",
    ),
    (
        "    floor: {shell: 100}",
        "    floor: {shell: -100}",
        "s.yaml:10: holders.us.floor.shell:",
        "must be >= 0, got -100",
    ),
    (
        "    stock: {shell: 1000, gun: 10}",
        "    stock: {shell: 'normal(-1000, 10)', gun: 10}",
        "s.yaml:9: holders.us.stock.shell:",
        "the whole 5-95% range",
    ),
    (
        "    rate: {2022-02-01: 5/d, +6mo: 2/d}",
        "    rate: {2022-02-01: 5/d, 2022-02-01x: 2/d}",
        "s.yaml:24: donations.ship.rate.2022-02-01x:",
        "cannot read '2022-02-01x' as a date",
    ),
    (
        "    rate: {2022-02-01: 5/d, +6mo: 2/d}",
        "    rate: {2022-02-01: 5/d, +31d: 2/d}",
        "s.yaml:24: donations.ship.rate.+31d:",
        "two milestones on the same day (2022-02-01 and +31d)",
    ),
    (
        "    rate: {2022-02-01: 5/d, +6mo: 2/d}",
        "    rate: {2022-02-01: -5/d}",
        "s.yaml:24: donations.ship.rate.2022-02-01:",
        "must be >= 0, got -5",
    ),
    (
        "    transit: 1 to 2 w",
        "    transit: 1 to 2 w\n    every: 0 d",
        "s.yaml:26: donations.ship.every:",
        "must be a positive duration",
    ),
    (
        "    slip: 1 to 2 mo",
        "    slip: 1 to 2 mo\n    yield: triangular(0.9, 0.8, 1)",
        "s.yaml:19: production.line.yield:",
        "triangular needs low <= mode <= high",
    ),
    (
        "    slip: 1 to 2 mo",
        "    slip: unifrom(1, 2) mo",
        "s.yaml:18: production.line.slip:",
        "unknown distribution 'unifrom' (did you mean 'uniform'?)",
    ),
    (
        "  shell: {unit: rounds}",
        "  shell: {unit: rounds, unit_cost: 0}",
        "s.yaml:5: items.shell.unit_cost:",
        "a price must be > 0",
    ),
    # money
    (
        "    rate: 3/d\n",
        "    rate: $30k/d\n",
        "s.yaml:37: consumption.fires.rate:",
        "an amount in money needs a price for item 'shell'",
    ),
    (
        "    slip: 1 to 2 mo",
        "    slip: 1 to 2 mo\n    inputs: {gun: $1k}",
        "s.yaml:19: production.line.inputs.gun:",
        "an amount in money is not accepted here",
    ),
    # exclusive options and dependencies
    (
        "    rate: {2022-02-01: 5/d, +6mo: 2/d}",
        "    rate: {2022-02-01: 5/d, +6mo: 2/d}\n    pledge: 1k",
        "s.yaml:20: donations.ship:",
        "exactly one way to ship (got rate and pledge)",
    ),
    (
        "    rate: {2022-02-01: 5/d, +6mo: 2/d}\n",
        "",
        "s.yaml:20: donations.ship:",
        "exactly one way to ship (got none)",
    ),
    (
        "    transit: 1 to 2 w",
        "    transit: 1 to 2 w\n    by: 2022-06-01",
        "s.yaml:26: donations.ship.by:",
        "'by' applies only to a pledge",
    ),
    (
        "    rate: 10%/mo",
        "    rate: 10%/mo\n    losses: 1/w",
        "s.yaml:27: attrition.losses_ua:",
        "exactly one of rate, losses or per_use (got rate and losses)",
    ),
    (
        "    rate: 10%/mo\n",
        "",
        "s.yaml:27: attrition.losses_ua:",
        "exactly one of rate, losses or per_use (got none)",
    ),
    (
        "    repair_time: 1 to 2 mo\n",
        "",
        "s.yaml:31: attrition.losses_ua.repairable:",
        "repairable losses need a repair_time",
    ),
    ("end: 2023-01-01", "end: 2021-06-01", "s.yaml:3: end:", "the end is not after start"),
    ("end: 2023-01-01", "horizon: 0y", "s.yaml:3: horizon:", "the end is not after start"),
    (
        "end: 2023-01-01",
        "end: 2023-01-01\nhorizon: 1y",
        "s.yaml:4: horizon:",
        "both end and horizon given",
    ),
    (
        "start: 2022-01-01",
        "start: 2022-01-32",
        "s.yaml:2: start:",
        "cannot read '2022-01-32' as a date",
    ),
    (
        "    holder: ua\n    item: gun",
        "    holder: uk\n    item: gun",
        "s.yaml:28: attrition.losses_ua.holder:",
        "unknown holder 'uk'",
    ),
    (
        "    holder: ua\n    item: shell",
        "    holder: ua\n    item: shells",
        "s.yaml:36: consumption.fires.item:",
        "unknown item 'shells'",
    ),
    (
        "    floor: {shell: 100}",
        "    floor: {shell: 100}\n    target: {gn: 5}",
        "s.yaml:11: holders.us.target.gn:",
        "unknown item 'gn' (did you mean 'gun'?)",
    ),
    (
        "    to: {us: 70%, ua: 30%}",
        "    to: uss",
        "s.yaml:16: production.line.to:",
        "unknown holder 'uss' (did you mean 'us'?)",
    ),
    (
        "    to: {us: 70%, ua: 30%}",
        "    to: {us: 70%, ua: 10% to 30%}",
        "s.yaml:16: production.line.to.ua:",
        "must be a fixed number",
    ),
    (
        "    transit: 1 to 2 w",
        "    transit: 1 to 2 w\n    max_rate: 5/d",
        "s.yaml:26: donations.ship.max_rate:",
        "'max_rate' applies only to a pledge",
    ),
    (
        "    rate: {2022-02-01: 5/d, +6mo: 2/d}",
        "    pledge: 1k\n    start: 2022-06-01\n    by: 2022-05-01",
        "s.yaml:26: donations.ship.by:",
        "the deadline is before the pledge starts",
    ),
    (
        "    rate: 10/d\n",
        "    rate: 10/d\n    inputs: {shell: 1}\n",
        "s.yaml:18: production.line.inputs.shell:",
        "an item cannot be an input to itself",
    ),
    (
        "    rate: 3/d",
        "    rate: 3/d\n    every: 1",
        "s.yaml:38: consumption.fires.every:",
        "cannot read 1 as a duration",
    ),
    (
        "end: 2023-01-01",
        "end: 2023-01-01\nreport_every: 0w",
        "s.yaml:4: report_every:",
        "must be a positive duration",
    ),
    (
        "  gun: {label: Gun}",
        "  gun: {label: Gun}\n  2gun: {}",
        "s.yaml:7: items.2gun:",
        "'2gun' is not a valid id",
    ),
]


def problems_of(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "s.yaml")
    return [str(p) for p in info.value.problems]


def test_the_base_scenario_is_good() -> None:
    scenario = load_scenario_text(BASE, "s.yaml")
    assert list(scenario.section("production")) == ["line"]


def test_there_are_at_least_thirty_broken_files() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("old", "new", "prefix", "fragment"), CASES)
def test_broken_scenario(old: str, new: str, prefix: str, fragment: str) -> None:
    assert old in BASE
    messages = problems_of(BASE.replace(old, new, 1))
    matching = [m for m in messages if m.startswith(prefix + " ") and fragment in m]
    assert matching, f"no problem starting {prefix!r} containing {fragment!r} in {messages}"


def test_milestones_after_the_end_warn_with_their_line() -> None:
    text = BASE.replace("+6mo: 2/d}", "+6mo: 2/d, 2024-01-01: 1/d}")
    with pytest.warns(ScenarioWarning) as caught:
        load_scenario_text(text, "s.yaml")
    assert [str(w.message) for w in caught] == [
        "s.yaml:24: donations.ship.rate.2024-01-01: milestone 2024-01-01 is outside the"
        " scenario (2022-01-01 to 2023-01-01)"
    ]


def test_a_split_value_in_a_flow_mapping_gets_a_quoting_hint() -> None:
    [message] = problems_of(BASE.replace("{shell: 100}", "{shell: pert(1, 2, 3)}"))
    assert message.endswith("(quote a value that holds commas: {javelin: 'pert(5k, 7k, 9k)'})")
