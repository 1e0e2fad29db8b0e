"""The goal grammar of solve and sweep: what each goal measures, and located errors."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import sim
from sim.goals import GoalError, parse_goal

DRAIN = """\
name: Drain
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 'uniform(30k, 80k)'}, floor: {shell: 10k}}
consumption:
  fire: {holder: army, item: shell, rate: 150/d}
"""


@pytest.mark.parametrize(
    ("text", "event", "level", "at_most", "date"),
    [
        ("us.shell_155 replenished by 2026-12-31 with 80%", "back", 0.8, False, "2026-12-31"),
        ("us.shell_155 back at target by 2026-12-31 with 0.5", "back", 0.5, False, "2026-12-31"),
        ("us.shell_155 stays above floor with 90%", "above_floor", 0.9, False, None),
        ("us.shell_155 stays above floor until 2025-01-01 with 90%", "above_floor", 0.9, False,
         "2025-01-01"),
        ("us.shell_155 depleted by 2025-06-30 with at most 10%", "depleted", 0.1, True,
         "2025-06-30"),
    ],
)  # fmt: skip
def test_goals_read(text: str, event: str, level: float, at_most: bool, date: str | None) -> None:
    goal = parse_goal(text, ["us"], ["shell_155"])
    assert (goal.holder, goal.item, goal.event, goal.level, goal.at_most) == (
        "us", "shell_155", event, level, at_most,
    )  # fmt: skip
    assert goal.date == (None if date is None else dt.date.fromisoformat(date))


def test_a_calibration_goal_reads_its_window() -> None:
    goal = parse_goal("ukraine.howitzer out of action 33% on average from 2023-03-01 to 2023-09-01")
    assert goal.calibration and goal.level == pytest.approx(0.33)
    assert (goal.start, goal.end) == (dt.date(2023, 3, 1), dt.date(2023, 9, 1))


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("us.shell_155 replenishd by 2026-12-31 with 80%", 14, "did you mean 'replenished by'"),
        ("us.shell_155 replenished by 2026-13-31 with 80%", 29, "expected a date"),
        ("uss.shell_155 replenished by 2026-12-31 with 80%", 1, "did you mean 'us'"),
        ("us.shell replenished by 2026-12-31 with 80%", 4, "unknown item 'shell'"),
        ("us.shell_155 replenished by 2026-12-31 with 180%", 45, "expected a percentage"),
        ("us.shell_155 replenished by 2026-12-31", 40, "expected 'with P%'"),
        ("shell_155 replenished", 1, "expected HOLDER.ITEM first"),
        ("us.shell_155 out of action 33% from 2023-03-01", 28, "on average"),
    ],
)
def test_bad_goals_say_where_and_what(text: str, column: int, message: str) -> None:
    with pytest.raises(GoalError) as caught:
        parse_goal(text, ["us", "ukraine"], ["shell_155", "howitzer"])
    assert caught.value.column == column
    assert str(caught.value).startswith(f"--goal:{column}: ") and message in str(caught.value)


def test_measures_match_the_runs() -> None:
    dataset = sim.run(sim.load_scenario_text(DRAIN), runs=400, seed=1).dataset
    depleted = dataset["depleted_at"].sel(holder="army", item="shell").values
    by = np.datetime64("2024-07-01")
    share = float(np.mean(~np.isnat(depleted) & (depleted <= by)))
    found = parse_goal("army.shell depleted by 2024-07-01 with at most 50%").measure(dataset)
    assert found.value == pytest.approx(share) and found.runs == 400
    assert found.se == pytest.approx(math.sqrt(share * (1 - share) / 400))
    above = parse_goal("army.shell stays above floor until 2024-07-01 with 50%").measure(dataset)
    assert above.value == pytest.approx(1 - share)
