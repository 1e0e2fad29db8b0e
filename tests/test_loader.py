"""load_scenario: the normalised Scenario, defaults, warnings, overrides, hashing, schema."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
from pathlib import Path

import pytest

import sim
from sim.distributions import Fixed, LogNormal, Scaled, Triangular, Uniform
from sim.errors import ScenarioError, ScenarioWarning
from sim.processes.donations import Tranche
from sim.scenario import json_schema, load_scenario, load_scenario_text
from sim.scenario.model import DAYS_PER_MONTH, DAYS_PER_YEAR, Rate, Schedule

ROOT = Path(__file__).resolve().parents[1]

# The complete example of the scenario format (docs/scenario.md).
EXAMPLE = """\
# yaml-language-server: $schema=../scenario.schema.json
name: US 155mm and M777 support to Ukraine, 2022-2027
description: >
  Drawdown of US stocks by presidential drawdown packages, refilled by the
  155mm shell ramp; M777 losses in Ukraine with repair in Poland.
sources:
  - "US DoD fact sheets on security assistance to Ukraine, 2022-2023"
  - "Reported: one-third of ~350 Western howitzers out of action (Nov 2022)"
start: 2022-02-24
end: 2027-12-31            # or: horizon: 5y
report_every: 1w           # time resolution of the stored series
runs: 2000                 # Monte Carlo runs (CLI --runs overrides)
seed: 20220224             # CLI --seed overrides

items:
  shell_155: {label: 155mm artillery shell, unit: rounds, unit_cost: 8000}
  charge_155: {label: 155mm propellant charge set, unit: sets}
  m777: {label: M777 towed howitzer, unit: systems, unit_cost: 3.9M}

holders:
  us:
    label: United States (DoD stocks)
    stock: {shell_155: 1.5M to 3M, charge_155: 1M to 2M, m777: 1000}
    floor: {shell_155: 500k, m777: 700}      # will not donate below this (readiness minimum)
  ukraine:
    label: Armed Forces of Ukraine
    stock: {shell_155: 0, m777: 0}

production:
  us_shell_lines:
    item: shell_155
    to: us
    rate:                                    # a ramp: milestones, linear in between
      2022-02-24: 14.4k/mo
      2023-08-01: 24k/mo
      2024-09-01: 40k/mo
      2025-10-01: 100k/mo
    slip: 3 to 12 mo                         # every milestone after the first slips by this
    inputs: {charge_155: 1}                  # one charge set consumed per shell made
  us_charge_line:
    item: charge_155
    to: us
    rate: 18k/mo

donations:
  pda_m777:
    from: us
    to: ukraine
    item: m777
    deliveries: {2022-04-21: 90, 2022-05-19: 18, 2022-08-19: 16, 2022-10-04: 16}
    transit: 1 to 4 w
  pda_shells:
    from: us
    to: ukraine
    item: shell_155
    rate: {2022-03-01: 100k/mo, 2023-01-01: 60k/mo}
    transit: uniform(7, 21) d

attrition:
  m777_combat:
    holder: ukraine
    item: m777
    rate: 33%/9mo                            # a third of fielded guns hit within nine months
    repairable: 60%
    repair_time: triangular(30, 60, 120) d

consumption:
  ukraine_fires:
    holder: ukraine
    item: shell_155
    rate: {2022-03-01: 4k to 7k /d, 2024-02-01: 2k/d}
"""

MINIMAL = """\
name: minimal
start: 2022-01-01
horizon: 1y
items: {shell: {}}
holders:
  no: {stock: {shell: 100}}
  on: {}
production:
  line: {item: shell, to: no, rate: 10/d}
donations:
  ship: {from: no, to: on, item: shell, deliveries: {+1mo: 5}}
attrition:
  wear: {holder: on, item: shell, losses: 1/w}
consumption:
  use: {holder: on, item: shell, rate: 1/d}
"""


def test_the_format_example_is_normalised() -> None:
    s = load_scenario_text(EXAMPLE, "example.yaml")
    assert (s.name, s.runs, s.seed, s.report_every_days) == (
        "US 155mm and M777 support to Ukraine, 2022-2027",
        2000,
        20220224,
        7.0,
    )
    assert s.description.startswith("Drawdown of US stocks")
    assert len(s.sources) == 2
    assert s.end_day == (s.end - s.start).days == 2136
    assert s.items["m777"].unit_cost == 3.9e6
    assert s.items["charge_155"].unit_cost is None
    us = s.holders["us"]
    assert us.stock["shell_155"] == LogNormal.from_interval(1.5e6, 3e6)
    assert us.floor == {"shell_155": Fixed(5e5), "m777": Fixed(700.0)}
    assert us.target == {}
    line = s.section("production")["us_shell_lines"]
    assert line.to == {"us": 1.0}
    assert line.rate.days == (0.0, 523.0, 920.0, 1315.0)
    assert line.rate.rates[-1] == Rate(Fixed(1e5), DAYS_PER_MONTH)
    assert line.slip == Scaled(LogNormal.from_interval(3, 12), DAYS_PER_MONTH)
    assert line.inputs == {"charge_155": Fixed(1.0)}
    assert (line.yield_, line.every_days) == (Fixed(1.0), 7.0)
    m777 = s.section("donations")["pda_m777"]
    assert m777.kind == "deliveries" and m777.source == "us"
    assert m777.deliveries[0] == Tranche(56.0, Fixed(90.0))
    assert m777.transit == Scaled(LogNormal.from_interval(1, 4), 7.0)
    shells = s.section("donations")["pda_shells"]
    assert shells.kind == "rate" and shells.transit == Uniform(7, 21)
    assert shells.rate == Schedule(
        (5.0, 311.0), (Rate(Fixed(1e5), DAYS_PER_MONTH), Rate(Fixed(6e4), DAYS_PER_MONTH))
    )
    combat = s.section("attrition")["m777_combat"]
    assert combat.kind == "proportional"
    assert combat.rate.rates == (Rate(Fixed(0.33), 273.9375),)
    assert (combat.repairable, combat.repair_time) == (Fixed(0.6), Triangular(30, 60, 120))
    assert combat.repair_to == "ukraine"
    fires = s.section("consumption")["ukraine_fires"]
    assert fires.every_days == 1.0
    assert fires.rate.rates[0] == Rate(LogNormal.from_interval(4000, 7000), 1.0)


def test_defaults_and_yaml_12_booleans() -> None:
    s = load_scenario_text(MINIMAL)
    assert list(s.holders) == ["no", "on"]
    assert s.items["shell"] == sim.scenario.model.Item("shell", "shell", "units", None)
    assert (s.runs, s.seed, s.report_every_days, s.end_day) == (1000, 0, 7.0, DAYS_PER_YEAR)
    assert s.section("donations")["ship"].deliveries == (Tranche(DAYS_PER_MONTH, Fixed(5.0)),)
    assert s.section("donations")["ship"].keep_floor is True
    assert s.section("donations")["ship"].every_days == 7.0
    assert s.section("attrition")["wear"].kind == "count"
    assert s.section("attrition")["wear"].repairable == Fixed(0.0)
    assert s.section("attrition")["wear"].every_days == 7.0
    assert s.section("consumption")["use"].every_days == 1.0
    assert s.source_path == "<string>"


def test_pledge_and_step_and_shares() -> None:
    text = MINIMAL.replace(
        "deliveries: {+1mo: 5}",
        "pledge: 1k, max_rate: 50/w, start: 2022-02-01, by: +6mo, every: 2w, cap: 900",
    ).replace("to: no, rate: 10/d", "to: {no: 75%, on: 0.25}, rate: 10/d, interpolate: step")
    s = load_scenario_text(text)
    ship = s.section("donations")["ship"]
    assert (ship.kind, ship.pledge, ship.max_rate) == ("pledge", Fixed(1000.0), Rate(Fixed(50), 7))
    assert (ship.start_day, ship.by_day, ship.every_days, ship.cap) == (
        31.0,
        6 * DAYS_PER_MONTH,
        14.0,
        Fixed(900.0),
    )
    assert s.section("production")["line"].to == {"no": 0.75, "on": 0.25}
    assert s.section("production")["line"].rate.interpolate == "step"


def test_scenario_is_frozen() -> None:
    s = load_scenario_text(MINIMAL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.runs = 5  # type: ignore[misc]


def test_every_problem_is_reported_at_once() -> None:
    text = (
        MINIMAL.replace("horizon: 1y", "horizon: 1 year\nrunz: 5")
        .replace("losses: 1/w", "losses: 1/w, repairable: 2")
        .replace("rate: 1/d}", "rate: lots}")
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "m.yaml")
    assert [str(p) for p in info.value.problems] == [
        "m.yaml:4: runz: unknown key 'runz' (did you mean 'runs'?)",
        "m.yaml:14: attrition.wear.repairable: must be between 0 and 1, got 2"
        " (write 60% for a percentage)",
        "m.yaml:16: consumption.use.rate: a rate needs a period: 'lots'"
        " (write e.g. 14.4k/mo, 1200/y, 4k to 7k /d or 33%/9mo)",
    ]
    assert str(info.value).count("\n") == 2


def test_milestones_and_tranches_outside_the_scenario_warn() -> None:
    text = MINIMAL.replace("{+1mo: 5}", "{2021-12-01: 5, +2y: 5}")
    with pytest.warns(ScenarioWarning) as caught:
        load_scenario_text(text, "w.yaml")
    messages = [str(w.message) for w in caught]
    assert messages == [
        "w.yaml:11: donations.ship.deliveries.2021-12-01: tranche 2021-12-01 is outside the"
        " scenario (2022-01-01 to 2023-01-01)",
        "w.yaml:11: donations.ship.deliveries.+2y: tranche +2y is outside the scenario"
        " (2022-01-01 to 2023-01-01)",
    ]


def test_a_good_scenario_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_scenario_text(EXAMPLE)


# ---- overrides ---------------------------------------------------------------------------


def test_overrides_change_the_tree_before_checking() -> None:
    s = load_scenario_text(
        EXAMPLE,
        overrides=[
            "production.us_shell_lines.slip=6 mo",
            "holders.ukraine.stock={shell_155: 10k, m777: 5}",
            "holders.ukraine.floor.m777=2",
            "runs=50",
            "donations.pda_shells.rate.2023-01-01=30k/mo",
            "donations.pda_m777.keep_floor=false",
        ],
    )
    assert s.section("production")["us_shell_lines"].slip == Fixed(6 * DAYS_PER_MONTH)
    assert s.holders["ukraine"].stock == {"shell_155": Fixed(1e4), "m777": Fixed(5.0)}
    assert s.holders["ukraine"].floor == {"m777": Fixed(2.0)}
    assert s.runs == 50
    assert s.section("donations")["pda_shells"].rate is not None
    assert s.section("donations")["pda_shells"].rate.rates[1] == Rate(Fixed(3e4), DAYS_PER_MONTH)
    assert s.section("donations")["pda_m777"].keep_floor is False


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "production.us_shell_lines.slip=6 moons",
            "e.yaml: --set production.us_shell_lines.slip: cannot read '6 moons' as a duration",
        ),
        (
            "production.new_line.item=m777",
            "e.yaml: --set production.new_line.item: no 'new_line' in production",
        ),
        ("productoin.x.item=m777", "e.yaml: --set productoin.x.item: no such key 'productoin'"),
        ("runs", "e.yaml: --set runs: cannot read 'runs' (write ID.PATH=VALUE"),
        ("runs=0", "e.yaml: --set runs: must be > 0, got 0"),
        ("holders.us.stock={m77: 1}", "e.yaml: --set holders.us.stock: unknown item 'm77'"),
        ("holders.us.label.x=1", "e.yaml: --set holders.us.label.x: 'holders.us.label' is not"),
        ("production.us_shell_lines.slp=1w", "e.yaml: --set production.us_shell_lines.slp:"),
        ("runs=[1", "e.yaml: --set runs: cannot read the value '[1' as YAML"),
    ],
)
def test_bad_overrides_are_located_at_the_set(override: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(EXAMPLE, "e.yaml", overrides=[override])
    assert any(str(p).startswith(message) for p in info.value.problems), info.value.problems


def test_override_problems_come_with_the_file_problems() -> None:
    text = EXAMPLE.replace("runs: 2000", "runs: -1")
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "e.yaml", overrides=["nope=1", "production.x.item=y"])
    assert len(info.value.problems) == 3


# ---- files -------------------------------------------------------------------------------


def test_file_hash_and_path(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    s = load_scenario(path)
    assert s.source_path == str(path)
    assert s.sha256 == hashlib.sha256(MINIMAL.encode()).hexdigest()
    changed = load_scenario(path, overrides=["runs=5"])
    assert changed.sha256 not in ("", s.sha256)
    assert load_scenario(str(path), overrides=["runs=5"]).sha256 == changed.sha256
    assert sim.load_scenario is load_scenario


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the file"),
        (b"\xff\xfe\x00bad", "the file is not UTF-8 text"),
        (b"", "the file is empty"),
        (b"# only a comment\n", "the file is empty"),
        (b"- a\n- b\n", "the document is not a mapping"),
        (b"name: a\n---\nname: b\n", "more than one YAML document"),
    ],
)
def test_unreadable_files_are_problems(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "s.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    assert problem.file == str(path)
    assert message in problem.message


def test_a_folder_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path)


# ---- JSON Schema ---------------------------------------------------------------------------


def test_committed_json_schema_is_up_to_date() -> None:
    committed = json.loads((ROOT / "scenario.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), (
        "scenario.schema.json is out of date: regenerate it with "
        "`stockpile schema > scenario.schema.json` and commit it"
    )


def test_json_schema_names_every_section_and_forbids_unknown_keys() -> None:
    schema = json_schema()
    assert set(schema["required"]) == {"name", "start", "items", "holders"}
    donation = schema["$defs"]["DonationSpec"]
    assert {"from", "to", "item", "pledge", "max_rate", "by", "keep_floor"} <= set(
        donation["properties"]
    )
    assert donation["additionalProperties"] is False
    assert "yield" in schema["$defs"]["ProductionSpec"]["properties"]
    assert all(d.get("additionalProperties") is False for d in schema["$defs"].values())
    assert schema["properties"]["holders"]["propertyNames"] == {"pattern": "^[a-z][a-z0-9_]*$"}
