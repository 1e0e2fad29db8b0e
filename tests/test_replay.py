"""Replayable answers: factors on schedules (``--set PATH=x1.5[@DATE]``, ``from DATE: x1.5``),
``solve --from`` varying the future only, and ``solve --write`` replayed by ``run``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.distributions import Fixed, Uniform
from sim.goals import parse_goal
from sim.processes.draws import Draws
from sim.processes.schedule import draw_hazards, draw_rates
from sim.runner import run
from sim.scenario.load import load_scenario, load_scenario_text
from sim.scenario.model import Rate, Schedule
from sim.scenario.rewrite import rewrite
from sim.seek import solve, solved_scenario

# -- exact arithmetic on schedules -------------------------------------------------------------


def drawn(
    days: list[float],
    rates: list[float],
    factors: tuple[tuple[float, float], ...],
    linear: bool = True,
) -> list[float]:
    """The integral of a one-run schedule at days 0..12, 0 before the first milestone."""
    schedule = Schedule(
        tuple(days), tuple(Rate(Fixed(r)) for r in rates), "linear" if linear else "step", factors
    )
    found = draw_rates(schedule, Draws(np.random.default_rng(0), 1, False, {}), "p")
    return [float(found.cumulative(t)[0]) for t in range(13)]


def test_a_factor_from_a_day_scales_the_rate_from_that_day_only() -> None:
    # rate(t) = t on a ramp 0 -> 10 over days 0..10, then 10; times 2 from day 5:
    # t^2 / 2 before day 5, then 12.5 + (t^2 - 25), then 87.5 + 20 a day after day 10
    got = drawn([0.0, 10.0], [0.0, 10.0], ((5.0, 2.0),))
    want = [t * t / 2 for t in range(6)] + [t * t - 12.5 for t in range(6, 11)] + [107.5, 127.5]
    assert got == want


def test_a_step_schedule_and_a_factor_on_a_milestone_day() -> None:
    # held 1 until day 10, then 3; times 2 from day 4: 4, then 2 a day, then 6 a day
    assert drawn([0.0, 10.0], [1.0, 3.0], ((4.0, 2.0),), linear=False) == [
        0, 1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 22, 28,
    ]  # fmt: skip
    # ramp 0 -> 10 over 0..10, times 3 from the milestone on day 10: the ramp kept, then 30 a day
    got = drawn([0.0, 10.0], [0.0, 10.0], ((10.0, 3.0),))
    assert got == [t * t / 2 for t in range(11)] + [80.0, 110.0]


def test_factors_before_the_first_milestone_scale_all_and_several_multiply() -> None:
    assert drawn([2.0], [1.0], ((0.0, 3.0),)) == [0, 0, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    # a milestone before the start: a factor from the start scales every rate (a slip moves
    # the milestones after the first, so the factor must not be one of them)
    assert drawn([-10.0, 20.0], [1.0, 4.0], ((0.0, 2.0),)) == drawn([-10.0, 20.0], [2.0, 8.0], ())
    # after the last milestone: 1 a day, x2 from day 4, x3 more from day 8 (6 a day)
    assert drawn([0.0], [1.0], ((4.0, 2.0), (8.0, 3.0))) == [
        0, 1, 2, 3, 4, 6, 8, 10, 12, 18, 24, 30, 36,
    ]  # fmt: skip


@pytest.mark.parametrize("linear", [True, False])
def test_uncertain_milestones_keep_their_draws_and_the_past(linear: bool) -> None:
    """Per run: the same draws (inputs) with and without the factor, the same integral before
    the day (to rounding in the piece the day splits), every increment after it times the
    factor."""
    rates = (Rate(Uniform(5.0, 15.0)), Rate(Uniform(20.0, 40.0)), Rate(Uniform(0.0, 10.0)))
    plain = Schedule((0.0, 30.0, 60.0), rates, "linear" if linear else "step")
    scaled = Schedule(plain.days, rates, plain.interpolate, ((45.0, 1.5),))
    inputs_a: dict[str, np.ndarray] = {}
    inputs_b: dict[str, np.ndarray] = {}
    start = dt.date(2024, 1, 1)
    a = draw_rates(plain, Draws(np.random.default_rng(5), 400, False, {}, inputs_a, start), "p")
    b = draw_rates(scaled, Draws(np.random.default_rng(5), 400, False, {}, inputs_b, start), "p")
    assert inputs_a.keys() == inputs_b.keys() and len(inputs_a) == 3
    assert all(np.array_equal(inputs_a[k], inputs_b[k]) for k in inputs_a)
    for t in (10.0, 30.0):  # pieces before the one the day splits: the same numbers
        assert np.array_equal(a.cumulative(t), b.cumulative(t))
    for t in (44.0, 45.0):  # the split piece: its slope recomputed over 15 days, not 30
        np.testing.assert_allclose(b.cumulative(t), a.cumulative(t), rtol=1e-14)
    for t0, t1 in ((45.0, 50.0), (50.0, 60.0), (60.0, 90.0)):
        before = a.cumulative(t1) - a.cumulative(t0)
        np.testing.assert_allclose(b.cumulative(t1) - b.cumulative(t0), 1.5 * before, rtol=1e-12)


def test_a_loss_rate_factor_scales_its_hazard() -> None:
    rate = Schedule((0.0,), (Rate(Fixed(0.5), 10.0),), "linear", ((20.0, 2.0),))
    hazard = draw_hazards(rate, Draws(np.random.default_rng(0), 1, False, {}), "a")
    per_day = -np.log(0.5) / 10.0
    assert float(hazard.cumulative(20.0)[0]) == pytest.approx(20 * per_day, rel=1e-15)
    assert float(hazard.cumulative(30.0)[0]) == pytest.approx(40 * per_day, rel=1e-15)


# -- the forms in a file and in --set -----------------------------------------------------------

LINE = """\
name: Line
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  depot: {label: Depot, stock: {shell: 10k}, target: {shell: 100k}}
production:
  # the line (this comment is kept)
  line: {item: shell, to: depot, rate: {2024-01-01: 3k/mo, 2024-04-01: 10k to 20k /mo}, every: 1d}
  other: {item: shell, to: depot, rate: 1k/mo, every: 1d}
"""


def test_set_scales_a_plain_rate_and_a_schedule_from_a_date() -> None:
    plain = load_scenario_text(LINE, "s.yaml", ["production.other.rate=x1.5"])
    other = plain.section("production")["other"].rate
    assert other.days == (0.0,) and other.factors == ((0.0, 1.5),)
    twice = ["production.line.rate=x2@2024-07-01", "production.line.rate=x1.5@2024-07-01"]
    dated = load_scenario_text(LINE, "s.yaml", twice)
    line = dated.section("production")["line"].rate
    assert line.days == (0.0, 91.0) and line.factors == ((182.0, 3.0),)


def stock_by_day(scenario_text: str, overrides: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The depot's stock at each reported time of a deterministic run, and those days."""
    scenario = load_scenario_text(scenario_text, "s.yaml", overrides)
    stock = run(scenario, deterministic=True).dataset["stock"].sel(holder="depot", item="shell")
    days = (stock["time"].values - np.datetime64("2024-01-01")) / np.timedelta64(1, "D")
    return np.asarray(stock.isel(run=0).values, dtype=float), np.asarray(days, dtype=float)


def test_a_run_with_a_factor_from_a_date_keeps_the_stock_before_it() -> None:
    fixed = LINE.replace("10k to 20k /mo", "15k/mo")
    base, times = stock_by_day(fixed, [])
    scaled, _ = stock_by_day(fixed, ["production.other.rate=x2@2024-07-01"])
    before, after = times <= 182, times > 182
    assert np.array_equal(scaled[before], base[before])
    # from 1 Jul the other line makes 1k/mo more, credited daily: that much more stock at
    # every report (the last, at the horizon's end, holds the credits of whole days)
    extra = (np.floor(times[after]) - 182) * 1000 / (365.25 / 12)
    np.testing.assert_allclose(scaled[after] - base[after], extra, rtol=1e-9)


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x-1", "a factor must be a number > 0: 'x-1' (write x1.5"),
        ("x1.5@notadate", "cannot read 'notadate' as a date"),
        ("x1.5@2030-01-01", "the factor's date is outside the scenario (2024-01-01 to 2024-12-31)"),
        ("x1.5@", "no date after '@'"),
    ],
)
def test_bad_factors_in_set_are_one_line(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LINE)
    code, output = invoke("validate", path, "--set", f"production.line.rate={value}")
    assert code == 2 and output.count("\n") == 1, output
    assert output.startswith(f"{path}: --set production.line.rate: ") and message in output


def test_set_refuses_a_factor_for_what_is_not_a_rate(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LINE)
    code, output = invoke("validate", path, "--set", "holders.depot.stock.shell=x2")
    assert code == 2 and "cannot scale 'holders.depot.stock.shell': x1.5 scales a rate" in output
    code, output = invoke("validate", path, "--set", "production.line.every=x2")
    assert code == 2 and "cannot scale 'production.line.every'" in output


@pytest.mark.parametrize(
    ("milestone", "message"),
    [
        ("from 2024-07-01: x-1", "rate.from 2024-07-01: a factor must be a number > 0"),
        ("from notadate: x2", "rate.from notadate: cannot read 'notadate' as a date"),
        ("from 2030-01-01: x2", "rate.from 2030-01-01: the factor's date is outside the scenario"),
        ("2024-07-01: x2", "rate.2024-07-01: a factor is written under 'from DATE'"),
        ("from 2024-07-01: 3k/mo", "'from 2024-07-01' takes a factor, not '3k/mo'"),
    ],
)
def test_bad_factors_in_a_file_name_file_and_line(
    tmp_path: Path, milestone: str, message: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LINE.replace("10k to 20k /mo}", f"10k to 20k /mo, {milestone}}}"))
    code, output = invoke("validate", path)
    assert code == 2 and output.count("\n") == 1, output
    assert output.startswith(f"{path}:9: production.line.") and message in output


# -- solve --from and --write --------------------------------------------------------------------

GOAL = "depot.shell replenished by 2024-09-01 with 80%"


def test_solve_from_a_date_leaves_the_past_and_its_written_file_replays(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LINE)
    found = solve(path, "production.line.rate=x0.5..x8", GOAL, runs=200, seed=4,
                  since="2024-03-01", tolerance=0.02)  # fmt: skip
    assert found.changes == (f"production.line.rate=x{found.value!r}@2024-03-01",)
    schedule = found.schedules[0]
    assert schedule[0] == "  2024-01-01  3k/mo"  # before the date: as written
    assert schedule[1] == f"  2024-03-01  x{found.value:.3g} from here"
    text = solved_scenario(path, found, ["runs=200", "seed=4"])
    assert "# the line (this comment is kept)" in text
    assert f"from 2024-03-01: x{found.value!r}" in text
    written = tmp_path / "solved.yaml"
    written.write_text(text)
    replay = run(load_scenario(written))  # runs and seed written in the file
    assert parse_goal(GOAL).measure(replay.dataset) == found.measure


def test_cli_solve_prints_the_schedule_and_writes_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LINE)
    out = tmp_path / "solved.yaml"
    args = ["solve", path, "--vary", "production.line.rate=x0.5..x8", "--goal", GOAL,
            "--runs", "100", "--tolerance", "0.05", "--from", "2024-03-01"]  # fmt: skip
    code, output = invoke(*args, "--write", tmp_path / "solved.txt")
    assert code == 2 and "written to a .yaml or .yml file" in output
    code, output = invoke(*args, "--write", out)
    assert code == 0, output
    lines = output.strip().splitlines()
    assert "  2024-01-01  3k/mo" in lines and f"wrote {out}" in lines
    assert any(line.startswith("production.line.rate = x") and "from 2024-03-01" in line
               for line in lines)  # fmt: skip
    assert load_scenario(out).runs == 100
    path.write_text(LINE + "\n")  # not a file stockpile wrote: refused without --force
    code, output = invoke(*args, "--write", path)
    assert code == 2 and "--force" in output


def test_rewrite_adds_keys_to_block_mappings_and_replaces_scalars() -> None:
    text = "a:\n  b: 1/mo  # note\n  c: 2\nd: x\n"
    tree = {"a": {"b": {dt.date(2024, 1, 1): "1/mo"}, "c": 2, "e": "3/mo"}, "d": "x"}
    assert rewrite(text, tree) == "a:\n  b: {2024-01-01: 1/mo}  # note\n  c: 2\n  e: 3/mo\nd: x\n"


# -- smaller items -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("every", "monthly", "cannot read 'monthly' as a duration (write 1 mo)"),
        ("rate", "50 to 70%/mo", "a range with % on one end only: '50 to 70%' (write 50% to 70%)"),
    ],
)
def test_clear_messages_for_common_slips(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    text = LINE + "attrition:\n  wear: {holder: depot, item: shell, rate: 1%/mo}\n"
    if field == "every":
        text = text.replace("every: 1d}\n  other", f"every: {value}}}\n  other")
    else:
        text = text.replace("rate: 1%/mo", f"rate: {value}")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    code, output = invoke("validate", path)
    assert code == 2 and message in output, output


WARNED = LINE.replace("2024-04-01: 10k", "2026-04-01: 10k")  # a milestone after the end


def test_validate_and_run_print_the_same_warnings_once(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(WARNED)
    code, checked = invoke("validate", path)
    assert code == 0
    warning = f"warning: {path}:9: production.line.rate.2026-04-01: milestone 2026-04-01 is outside"
    assert checked.count(warning) == 1
    code, ran = invoke("run", path, "--runs", "20", "--no-charts", "--out", tmp_path / "out")
    assert code == 0 and ran.count(warning) == 1, ran
    assert ran.count("warning:") == checked.count("warning:") == 1


def test_solve_prints_the_scenarios_warnings_once(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(WARNED)
    code, output = invoke("solve", path, "--vary", "production.other.rate=x0.5..x2", "--goal",
                          GOAL, "--runs", "20")  # fmt: skip
    assert code in (0, 1), output  # met or out of reach: either way the warnings once
    assert output.count("warning:") == 1 and "ScenarioWarning" not in output, output


PRICED = """\
name: Priced
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell, unit_cost: 4k}}
holders:
  depot: {label: Depot, stock: {shell: 100k}}
  front: {label: Front}
donations:
  aid: {from: depot, to: front, item: shell, rate: 5k to 8k /mo}
"""


def test_the_summary_fits_80_columns_with_every_metric_name_whole() -> None:
    from rich.console import Console

    from sim.cli.run import summary_table

    results = run(load_scenario_text(PRICED, "p.yaml"), runs=50, seed=1)
    summary = results.summary()
    names = set(summary["metric"])
    assert "replacement_cost_at_end" in names  # the longest of the usual names
    console = Console(width=80, record=True)
    console.print(summary_table(results, summary))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    shown = {line.split()[0] for line in lines if line.startswith(" ") and line.split()}
    assert names <= shown, names - shown


def test_the_written_scenario_says_what_was_solved_below_the_schema_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("# yaml-language-server: $schema=../scenario.schema.json\n" + LINE)
    found = solve(path, "production.line.rate=x0.5..x8", GOAL, runs=50, seed=4, tolerance=0.1)
    lines = solved_scenario(path, found).splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../scenario.schema.json"
    assert lines[1].startswith("# stockpile solve: smallest value meeting")
    assert lines[2] == f"# production.line.rate = {found.meaning[0]}"
    assert lines[3] == "name: Line"
