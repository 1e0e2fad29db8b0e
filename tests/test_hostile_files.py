"""Hostile scenario files: bytes, encodings, tags, aliases, nesting and file kinds are refused
with one located problem, quickly and without recursion or memory growth."""

from __future__ import annotations

import codecs
import os
import threading
from pathlib import Path

import pytest

from sim.errors import Problem, ScenarioError
from sim.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from sim.scenario import load_scenario, load_scenario_text

GOOD = """\
name: good
start: 2022-01-01
horizon: 1y
items: {shell: {}}
holders:
  us: {stock: {shell: 100}}
consumption:
  fire: {holder: us, item: shell, rate: 1/d}
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "s.yaml")
    return info.value.problems


def only(text: str) -> Problem:
    [problem] = problems_of(text)
    return problem


def test_the_good_file_loads() -> None:
    assert load_scenario_text(GOOD).holders["us"].stock["shell"].mean == 100


# ---- bytes and encodings -----------------------------------------------------------------


@pytest.mark.parametrize("char", ["\0", "\x01", "\x1b", "\x7f", "\ud800"])
def test_a_control_character_is_located(char: str) -> None:
    problem = only(GOOD.replace("name: good", f"name: go{char}od"))
    assert (problem.line, problem.path) == (1, "")
    assert f"control character (U+{ord(char):04X})" in problem.message


@pytest.mark.parametrize(("escape", "code"), [("\\x01", 1), ("\\0", 0), ("\\e", 0x1B)])
def test_a_control_character_written_as_an_escape_is_located(escape: str, code: int) -> None:
    problem = only(GOOD.replace("holders:\n  us: {", f'holders:\n  us: {{label: "U{escape}S", '))
    assert (problem.line, problem.path) == (6, "holders.us.label")
    assert f"control character (U+{code:04X})" in problem.message


def test_a_tab_written_as_an_escape_is_text() -> None:
    scenario = load_scenario_text(GOOD.replace("us: {", 'us: {label: "U\\tS", '))
    assert scenario.holders["us"].label == "U\tS"


@pytest.mark.slow
def test_twenty_thousand_holders_load() -> None:
    many = "".join(f"  h{n}: {{stock: {{shell: 5}}}}\n" for n in range(20_000))
    scenario = load_scenario_text(GOOD.replace("holders:\n", "holders:\n" + many))
    assert len(scenario.holders) == 20_001


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "s.yaml"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path, codec: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, GOOD.encode(codec)))
    [problem] = info.value.problems
    assert problem.line == 1 and "U+0000" in problem.message and "UTF-16" in problem.hint


def test_utf16_with_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le")))
    [problem] = info.value.problems
    assert problem.line == 1 and "not UTF-8" in problem.message and "UTF-16" in problem.hint


def test_a_bad_byte_is_located_on_its_line(tmp_path: Path) -> None:
    data = GOOD.encode().replace(b"fire:", b"f\xffre:")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, data))
    [problem] = info.value.problems
    assert problem.line == 8 and "not UTF-8" in problem.message


def test_a_utf8_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, codecs.BOM_UTF8 + GOOD.encode())).name == "good"


# ---- file kinds and sizes ----------------------------------------------------------------


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, fifo), daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # unblock the reader before failing
        os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        pytest.fail("load_scenario waited on a FIFO")
    [error] = outcome
    assert isinstance(error, ScenarioError) and "not a regular file" in str(error)


def _catch(outcome: list[BaseException], path: Path) -> None:
    try:
        load_scenario(path)
    except BaseException as error:  # handed to the test thread
        outcome.append(error)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this platform")
def test_a_device_is_refused() -> None:
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario("/dev/zero")


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no room taken
    with pytest.raises(ScenarioError, match="larger than 10 MB"):
        load_scenario(path)


# ---- YAML features -----------------------------------------------------------------------


def test_binary_and_other_tags_are_refused() -> None:
    problem = only(GOOD.replace("name: good", "name: !!binary Z29vZA=="))
    assert (problem.line, problem.path) == (1, "name")
    assert "YAML tags are not allowed here (!!binary)" in problem.message
    assert "!!set" in only(GOOD.replace("items: {", "items: !!set {")).message


def test_str_tag_keeps_text() -> None:
    assert load_scenario_text(GOOD.replace("name: good", "name: !!str 2022")).name == "2022"


def test_a_merge_key_gives_defaults_that_later_keys_override() -> None:
    text = GOOD.replace(
        "consumption:\n  fire: {holder: us, item: shell, rate: 1/d}",
        "consumption:\n  fire: &base {holder: us, item: shell, rate: 1/d}\n"
        "  drill:\n    <<: *base\n    rate: 20/w\n",
    )
    scenario = load_scenario_text(text)
    drill = scenario.section("consumption")["drill"]
    assert (drill.holder, drill.rate.rates[0].period_days) == ("us", 7.0)
    assert drill.rate.rates[0].amount.mean == 20


def test_a_merge_key_after_the_mappings_own_key_does_not_override_it() -> None:
    text = GOOD.replace(
        "consumption:\n  fire: {holder: us, item: shell, rate: 1/d}",
        "consumption:\n  fire: &base {holder: us, item: shell, rate: 1/d}\n"
        "  drill: {rate: 20/w, <<: *base}\n",
    )
    assert load_scenario_text(text).section("consumption")["drill"].rate.rates[0].period_days == 7.0


def test_a_merge_of_something_else_is_refused() -> None:
    problem = only(GOOD.replace("items: {shell: {}}", "items: {<<: 5, shell: {}}"))
    assert (problem.line, problem.message) == (4, "a merge key takes mappings")


def test_a_duplicate_key_is_still_refused_next_to_a_merge() -> None:
    text = GOOD.replace("rate: 1/d}", "rate: 1/d, <<: {every: 2d}, rate: 2/d}")
    problem = only(text)
    assert problem.path == "consumption.fire.rate" and "duplicate key 'rate'" in problem.message


@pytest.mark.slow
def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]" for k in range(1, 10)]
    problem = only(GOOD + "bomb:\n" + "".join(f"  {line}\n" for line in lines))
    assert f"more than {MAX_NODES:,} values" in problem.message and problem.line is not None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 1_000_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    text = GOOD.replace("name: good", "name: " + "[" * depth + "]" * depth)
    problem = only(text)  # beyond 1,000 levels libyaml itself refuses, also without recursion
    assert problem.line == 1 and "nest" in problem.message


def test_deep_nesting_in_a_mapping_is_refused() -> None:
    text = GOOD + "description:" + "".join(f"\n{'  ' * (k + 1)}k{k}:" for k in range(100)) + " 1\n"
    assert f"nested more than {MAX_DEPTH} levels" in only(text).message


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    problem = only(GOOD + "sources: &a [*a]\n")
    assert problem.line == 9 and "unknown alias *a" in problem.message


def test_an_alias_to_an_unknown_anchor_is_refused() -> None:
    problem = only(GOOD.replace("stock: {shell: 100}", "stock: *nowhere"))
    assert problem.line == 6 and "unknown alias *nowhere" in problem.message


def test_a_set_value_cannot_hold_control_characters() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(GOOD, "s.yaml", overrides=["name=a\x07b"])
    [problem] = info.value.problems
    assert problem.path == "--set" and "the value holds a control character" in problem.message


def test_a_set_impossible_date_is_a_problem() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(GOOD, "s.yaml", overrides=["start=2023-02-30"])
    [problem] = info.value.problems
    assert problem.path == "--set start" and "cannot read '2023-02-30' as a date" in str(problem)
