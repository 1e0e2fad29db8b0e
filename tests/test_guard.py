"""The work guard: a run past the memory, output or event limits is refused before it starts,
naming the field responsible, by `run`, `validate` and `sim.run` alike, unless allowed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim import guard
from sim.cli import main
from sim.engine import report_days, simulate_chunk
from sim.errors import ScenarioError
from sim.scenario import load_scenario, load_scenario_text

SCENARIO = """\
name: guarded
start: 2024-01-01
horizon: 1y
runs: 200
items: {shell: {}, gun: {}}
holders:
  army: {stock: {shell: 100k, gun: 50}}
  ally: {}
production:
  line: {item: shell, to: army, rate: 5k/mo}
donations:
  aid: {from: army, to: ally, item: shell, rate: 15k/mo, transit: 1 to 3 w}
attrition:
  hits: {holder: ally, item: gun, rate: 10%/mo, repairable: 50%, repair_time: 2 to 6 w}
consumption:
  fires:
    holder: ally
    item: shell
    rate: 300/d
"""


def load(*overrides: str, text: str = SCENARIO) -> sim.scenario.model.Scenario:
    return load_scenario_text(text, "s.yaml", overrides=list(overrides))


def test_the_estimate_counts_what_the_engine_stores() -> None:
    scenario = load()
    estimate = guard.estimate(scenario, runs=200)
    result = simulate_chunk(scenario, 3, np.random.SeedSequence(0))
    assert estimate.times == len(report_days(scenario)) == 54  # 52 weeks, 364 d, 365.25 d
    assert estimate.rows == sum(len(columns) for columns in result.columns.values())
    assert estimate.grid == 4 and estimate.held == 200
    days = 365.25
    actions = {"production.line.every": days / 7, "donations.aid.every": days / 7}
    actions |= {"attrition.hits.every": days / 7, "consumption.fires.every": days}
    assert estimate.actions == pytest.approx(actions)
    assert estimate.events == pytest.approx(54 + sum(actions.values()) + days)


def test_a_summary_only_run_holds_a_chunk_per_worker() -> None:
    e = guard.estimate(load(), runs=1_000_000, workers=2, summary=True)
    assert e.held == 2 * guard.CHUNK_RUNS and e.output_values == 10 * 54 * 4 * 12


def test_the_flagships_pass() -> None:
    for path in sorted(Path(__file__).parents[1].glob("scenarios/*.yaml")):
        assert guard.refusals(load_scenario(path)) == []


@pytest.mark.parametrize(
    ("overrides", "path", "fragment"),
    [
        (["report_every=1e-4 d"], "--set report_every", "in memory"),
        (["attrition.hits.every=0.0001 d"], "--set attrition.hits.every", "events a run"),
        (["runs=100000000"], "--set runs", "in memory"),
    ],
)
def test_a_large_run_is_refused_at_the_field_responsible(
    overrides: list[str], path: str, fragment: str
) -> None:
    problems = guard.refusals(load(*overrides))
    assert problems and problems[0].path == path and fragment in problems[0].message
    assert all("--allow-large" in p.hint for p in problems)


def test_a_field_in_the_file_is_located_on_its_line() -> None:
    text = SCENARIO.replace("    rate: 300/d", "    rate: 300/d\n    every: 1e-4 d")
    [problem] = guard.refusals(load(text=text))
    assert (problem.line, problem.path) == (20, "consumption.fires.every")
    assert problem.file == "s.yaml" and "3,652,500 actions" in problem.message


def test_runs_given_as_an_argument_are_named_so() -> None:
    problems = guard.refusals(load(), runs=200_000_000)
    assert [(p.line, p.path) for p in problems] == [(None, "--runs")] * 2
    hourly = load("consumption.fires.every=0.0417 d")
    [problem] = guard.refusals(hourly, runs=200_000_000, summary=True)
    assert problem.path == "--runs" and "run-events" in problem.message


def many_holders(count: int) -> str:
    holders = "".join(f"  h{k}: {{stock: {{shell: 100}}}}\n" for k in range(count))
    uses = "".join(f"  c{k}: {{holder: h{k}, item: shell, rate: 1/d}}\n" for k in range(count))
    head = "name: many\nstart: 2024-01-01\nhorizon: 1y\nitems: {shell: {}}\n"
    return f"{head}holders:\n{holders}consumption:\n{uses}"


@pytest.mark.slow
def test_twenty_thousand_holders_are_refused_by_validate(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(many_holders(20_000))
    done = CliRunner().invoke(main, ["validate", str(path)])
    assert done.exit_code == 2, done.output
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"{path}:5: holders: results.nc would hold")
    assert lines[1].startswith(f"{path}:20006: consumption: 20,000 processes acting")


def test_run_and_validate_refuse_with_the_same_message(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("runs: 200", "runs: 100000000"))
    validated = CliRunner().invoke(main, ["validate", str(path)])
    ran = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert validated.exit_code == ran.exit_code == 2
    assert validated.stderr == ran.stderr and f"{path}:4: runs:" in ran.stderr
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == [path]


@pytest.mark.slow
def test_allow_large_lifts_the_guard(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(guard, "MAX_EVENTS", 100)
    scenario = load()
    with pytest.raises(ScenarioError, match="events a run"):
        sim.run(scenario, runs=10)
    assert sim.run(scenario, runs=10, allow_large=True).dataset.sizes["run"] == 10
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    refused = CliRunner().invoke(main, ["run", str(path), "--runs", "5", "--no-charts"])
    assert refused.exit_code == 2 and "events a run" in refused.stderr
    args = ["run", str(path), "--runs", "5", "--allow-large", "--out", str(tmp_path / "out")]
    assert CliRunner().invoke(main, args).exit_code == 0  # charts too: the run at the means
    assert (tmp_path / "out" / "charts" / "timeline.png").is_file()


@pytest.mark.parametrize(
    "command",
    [
        ["explain", "s.yaml", "--runs", "100", "--holder", "army", "--item", "shell",
         "--metric", "trough"],
        ["sweep", "s.yaml", "--vary", "production.line.rate=x1,x2", "--runs", "20"],
        ["solve", "s.yaml", "--vary", "production.line.rate", "--runs", "20",
         "--goal", "army.shell replenished by 2024-12-31 with 50%"],
    ],
    ids=lambda c: c[0],
)  # fmt: skip
def test_every_command_that_runs_is_guarded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str]
) -> None:
    """Refused with the located message (no traceback), and run with --allow-large."""
    monkeypatch.setattr(guard, "MAX_EVENTS", 100)
    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text(SCENARIO)
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 2 and isinstance(refused.exception, SystemExit)
    assert refused.stderr.startswith("s.yaml:") and "events a run" in refused.stderr
    allowed = CliRunner().invoke(main, [*command, "--allow-large"])
    assert allowed.exit_code in (0, 1), allowed.output  # solve: 1 if the goal is unreachable
    assert "events a run" not in allowed.output


@pytest.mark.parametrize(
    ("option", "value"), [("--runs", str(2**63)), ("--runs", "0"), ("--seed", str(2**63))]
)
def test_runs_and_seed_arguments_are_bounded(tmp_path: Path, option: str, value: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    done = CliRunner().invoke(main, ["run", str(path), option, value])
    assert done.exit_code == 2 and f"Invalid value for '{option}'" in done.stderr


def test_the_api_refuses_a_seed_results_cannot_store() -> None:
    with pytest.raises(ValueError, match="2\\*\\*63"):
        sim.run(load(), runs=1, seed=2**63)


def test_the_sample_a_summary_keeps_is_the_one_the_estimate_counts() -> None:
    from sim import summaries

    assert guard.SUMMARY_SAMPLE == summaries.SAMPLE_MAX


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml")),
    ids=lambda p: p.stem,
)  # fmt: skip
@pytest.mark.slow
def test_the_file_estimate_bounds_the_written_file(tmp_path: Path, path: Path) -> None:
    """results.nc before compression is the largest it can be: the written file is smaller."""
    scenario = sim.load_scenario(path)
    sim.run(scenario, runs=200, seed=1).to_netcdf(tmp_path / "r.nc")
    written = (tmp_path / "r.nc").stat().st_size
    assert written < guard.estimate(scenario, runs=200).file_bytes


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "s.yaml", "--runs", str(2**63)],
         "stockpile run: Invalid value for '--runs': 9223372036854775808 is not in the range "
         "1<=x<=1000000000 (see stockpile run --help)"),
        (["run"], "stockpile run: Missing argument 'SCENARIO' (see stockpile run --help)"),
        (["summary"], "stockpile: No such command 'summary' (see stockpile --help)"),
        (["--bogus"], "stockpile: No such option '--bogus' (see stockpile --help)"),
    ],
)  # fmt: skip
def test_a_usage_error_is_one_line(args: list[str], says: str) -> None:
    done = CliRunner().invoke(main, args, prog_name="stockpile")
    assert done.exit_code == 2 and done.stderr == says + "\n"


def test_no_command_shows_the_help() -> None:
    done = CliRunner().invoke(main, [], prog_name="stockpile")
    assert done.exit_code == 2 and "Commands:" in done.stderr + done.stdout
