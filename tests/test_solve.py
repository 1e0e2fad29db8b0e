"""Goal seeking against known answers, with common random numbers for every trial."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import norm

from sim.cli import main
from sim.distributions import LogNormal
from sim.seek import Unreachable, solve

#: A depot 90k below its target, refilled by a constant line whose rate is uncertain, credited
#: every day: back at target by day T exactly when x * R * T >= 90k, so with 80% of runs from
#: x = 90k / (T * q20(R)).
REFILL = """\
name: Refill
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  depot: {label: Depot, stock: {shell: 10k}, target: {shell: 100k}}
production:
  line: {item: shell, to: depot, rate: 10k to 20k /mo, every: 1d}
"""
GAP, T, RUNS = 90_000.0, 182, 2000  # 2024-07-01 is day 182


@pytest.fixture
def refill(tmp_path: Path) -> Path:
    path = tmp_path / "refill.yaml"
    path.write_text(REFILL)
    return path


@pytest.mark.slow
def test_the_solved_multiplier_is_gap_over_t_times_q20(refill: Path) -> None:
    found = solve(refill, "production.line.rate=x0.5..x4",
                  "depot.shell replenished by 2024-07-01 with 80%", runs=RUNS, seed=3,
                  tolerance=0.005)  # fmt: skip
    rate = LogNormal.from_interval(10_000, 20_000)  # per month
    per_day = rate.quantile(0.2) / (365.25 / 12)
    expected = GAP / (T * per_day)
    # the solved value is set by the runs' 20% quantile of the rate: its relative standard
    # error is sigma * sqrt(p (1 - p) / N) / phi(z_p) (in logs), plus the search tolerance
    se = rate.sigma * math.sqrt(0.2 * 0.8 / RUNS) / norm.pdf(norm.ppf(0.2))
    assert found.value == pytest.approx(expected, rel=4 * se + 0.005)
    assert found.direction == "smallest" and found.measure.value >= 0.8
    assert found.measure.se == pytest.approx(
        math.sqrt(found.measure.value * (1 - found.measure.value) / RUNS)
    )
    assert found.answer.startswith("production.line.rate = x")
    values = [t.value for t in found.steps]
    assert values[:2] == [0.5, 4.0] and len(values) == len(set(values))
    met = {t.value: t.met for t in found.steps}  # monotone under common random numbers
    assert all(met[a] <= met[b] for a in values for b in values if a < b)


def test_the_largest_slip_and_unreachable_goals(refill: Path) -> None:
    slipped = REFILL.replace(
        "rate: 10k to 20k /mo, every: 1d",
        "rate: {2024-01-01: 0/mo, 2024-02-01: 30k/mo}, interpolate: step, every: 1d, slip: 0 mo",
    )
    refill.write_text(slipped)  # fmt: skip
    # 30k/mo from 1 Feb (day 31) plus the slip: 90k takes 91.3 days, so back by 2024-07-01
    # (day 182) needs a slip of at most 182 - 31 - 91.3 days; the search stops within 1% of
    # the range (0.06 mo) below it
    found = solve(refill, "production.line.slip=0..6 mo",
                  "depot.shell replenished by 2024-07-01 with 50%", runs=20)  # fmt: skip
    assert found.direction == "largest"
    assert found.value == pytest.approx((T - 31 - GAP / (30_000 / (365.25 / 12))) / (365.25 / 12),
                                        abs=0.07)  # fmt: skip
    with pytest.raises(Unreachable, match="out of reach"):
        solve(refill, "production.line.slip=0..6 mo",
              "depot.shell replenished by 2024-02-15 with 50%", runs=20)  # fmt: skip


@pytest.mark.slow
def test_results_are_the_same_for_any_number_of_workers(
    refill: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.runner

    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)
    goal = "depot.shell replenished by 2024-07-01 with 80%"
    one = solve(refill, "production.line.rate=x0.5..x4", goal, runs=300, seed=2, tolerance=0.05)
    two = solve(refill, "production.line.rate=x0.5..x4", goal, runs=300, seed=2, tolerance=0.05,
                workers=2)  # fmt: skip
    assert [(t.value, t.measure) for t in one.steps] == [(t.value, t.measure) for t in two.steps]


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_cli_last_line_is_the_answer(refill: Path) -> None:
    goal = "depot.shell replenished by 2024-07-01 with 80%"
    vary = "production.line.rate=x0.5..x4"
    code, output = invoke("solve", refill, "--vary", vary, "--goal", goal, "--runs", "200")
    assert code == 0, output
    last = output.strip().splitlines()[-1]
    assert last.startswith("production.line.rate = x") and "/mo)" in last


@pytest.mark.parametrize(
    ("vary", "goal", "code", "message"),
    [
        ("production.line.rate=x0.5..x0.6", "depot.shell replenished by 2024-07-01 with 80%", 1,
         "out of reach"),
        ("production.line.rate", "depot.shel replenished by 2024-07-01 with 80%", 2,
         "--goal:7: unknown item 'shel'"),
        ("production.lines.rate", "depot.shell replenished by 2024-07-01 with 80%", 2,
         "no 'lines' here"),
        ("production.line.rate=x2..x1", "depot.shell replenished by 2024-07-01 with 80%", 2,
         "from low to high"),
    ],
)  # fmt: skip
def test_cli_exit_codes(refill: Path, vary: str, goal: str, code: int, message: str) -> None:
    got, output = invoke("solve", refill, "--vary", vary, "--goal", goal, "--runs", "50")
    assert got == code and message in output, output
    assert "Traceback" not in output


def test_the_calibration_finds_the_loss_rate_behind_a_figure(tmp_path: Path) -> None:
    # a fleet with a constant hazard and no repair: out of action = lost share, which averages
    # to 1 - mean(exp(-h t)) over the year; the goal picks the hazard that makes it 20%
    path = tmp_path / "fleet.yaml"
    path.write_text("""\
name: Fleet
start: 2024-01-01
horizon: 52w
items: {gun: {label: Gun}}
holders:
  front: {label: Front, stock: {gun: 10000}}
  hub: {label: Hub}
attrition:
  wear: {holder: front, item: gun, rate: 10%/mo, repairable: 100%, repair_time: 1000 d,
         repair_to: hub, every: 1d}
""")  # fmt: skip
    found = solve(path, "attrition.wear.rate=x0.2..x5",
                  "front.gun out of action 20% on average", runs=20, tolerance=0.002)  # fmt: skip
    hazard = -math.log(0.9) / (365.25 / 12) * found.value
    days = np.arange(0, 52 * 7 + 1, 7)
    assert float(np.mean(1 - np.exp(-hazard * days))) == pytest.approx(0.20, abs=0.003)
