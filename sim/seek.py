"""What it would take: the smallest or largest value of one input such that a goal holds.

``solve`` runs the scenario again for each value tried, changed only through the ``--set``
override path (``sim.vary``), with the same seed every time: common random numbers, so the
goal's probability moves only because the input moved, and it moves monotonically for a
monotone input (more production never lowers the chance of being back by a date in any run).

The search brackets, then bisects: it measures the goal at both ends of the range; if the goal
holds at exactly one end, the answer lies between, and each step halves the bracket
(geometrically for factors) until it is narrower than ``tolerance`` (relative for factors, of
the range for values). For a chance (``with 80%``) the answer is the end of the final bracket
where the goal holds; for a calibration (``out of action 33% on average``) the value at which
the average crosses the figure, interpolated in the final bracket. The answer comes with the
achieved probability (or average) and its standard error over the runs.

>>> solution = solve("scenarios/us_155mm_m777.yaml", "production.us_charge_line.rate",
...                  "us.shell_155 replenished by 2026-12-31 with 80%")  # doctest: +SKIP
>>> solution.answer                                                       # doctest: +SKIP
'production.us_charge_line.rate = x2.31 (37k to 46.2k /mo)'
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sim.goals import Goal, Measure, parse_goal
from sim.vary import Vary, VaryError, load_variant, meaning, parse_vary, read_tree, schedule_lines
from sim.vary import overrides as changes_for

MAX_STEPS = 30


class Unreachable(Exception):
    """The goal does not hold anywhere in the range, or holds at both ends (message: why)."""


@dataclass(frozen=True)
class Trial:
    """One value tried and what the goal measured there."""

    value: float
    label: str
    measure: Measure
    met: bool


@dataclass
class Solution:
    """The value found, the achieved measure, and every step of the search."""

    goal: Goal
    vary: tuple[Vary, ...]
    value: float
    meaning: tuple[str, ...]  # per varied path: ``x1.26 (126k/mo from 2025-10-01)``
    measure: Measure
    direction: str  # "smallest" or "largest" value meeting the goal; "reproducing" for a figure
    steps: list[Trial] = field(default_factory=list)
    changes: tuple[str, ...] = ()  # the ``--set`` overrides that give the value
    schedules: tuple[tuple[str, ...], ...] = ()  # per varied path: its whole schedule

    @property
    def answer(self) -> str:
        """``PATH = VALUE`` (the last varied path)."""
        return f"{self.vary[-1].path} = {self.meaning[-1]}"

    def lines(self) -> list[str]:
        """The answer as text, ending with ``PATH = VALUE`` lines."""
        m = self.measure
        what = f"{self.direction} value" if self.direction != "reproducing" else "value"
        head = (
            f"{what} meeting '{self.goal.text}': {self.goal.describe(m)} over {m.runs:,} runs"
            if not self.goal.calibration
            else f"value reproducing '{self.goal.text}': {self.goal.describe(m)} over "
            f"{m.runs:,} runs"
        )
        lines = [head]
        schedules = self.schedules or tuple(() for _ in self.vary)
        for spec, text, schedule in zip(self.vary, self.meaning, schedules, strict=True):
            lines += [*schedule, f"{spec.path} = {text}"]
        return lines


Step = Callable[[Trial], None]


def solve(
    scenario: str | os.PathLike[str],
    vary: str | Sequence[str],
    goal: str,
    *,
    runs: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int = 1,
    tolerance: float = 0.01,
    step: Step | None = None,
    allow_large: bool = False,
    since: str | None = None,
) -> Solution:
    """Find the value of ``vary`` (``PATH`` or ``PATH=A..B``; several paths are scaled by one
    factor together) at which ``goal`` holds (``sim.goals``) for the scenario file
    ``scenario`` (with ``overrides`` applied first). ``step`` is called after every trial.
    With ``since`` (a date), a factor scales a rate or schedule only from that date on.

    Raises ``Unreachable`` when the goal holds at neither or both ends of the range,
    ``VaryError`` or ``GoalError`` for bad arguments, ``ScenarioError`` for a value that makes
    the scenario invalid or a run too large (``allow_large`` lifts the work guard).
    """
    from sim.scenario.load import load_scenario

    specs = tuple(
        replace(parse_vary(v), since=since) for v in ([vary] if isinstance(vary, str) else vary)
    )
    if since is not None and any(s.mode != "scale" for s in specs):
        raise VaryError("--from varies the future by a factor: give a range of factors, x0.5..x4")
    _check_together(specs)
    base = load_scenario(scenario, overrides=list(overrides))
    target = parse_goal(goal, list(base.holders), list(base.items))
    tree = read_tree(scenario, overrides)
    for spec in specs:  # fail early on a path that is not in the scenario
        changes_for(spec, specs[0].low, tree)
    runs = base.runs if runs is None else runs
    seed = base.seed if seed is None else seed
    trials: list[Trial] = []

    def trial(value: float) -> Trial:
        changes = [o for spec in specs for o in changes_for(spec, value, tree)]
        from sim.runner import run

        scenario_ = load_variant(scenario, [*overrides, *changes])
        dataset = run(
            scenario_, runs=runs, seed=seed, workers=workers, allow_large=allow_large
        ).dataset
        measure = target.measure(dataset)
        done = Trial(value, specs[0].label(value), measure, target.met(measure))
        trials.append(done)
        if step is not None:
            step(done)
        return done

    low, high = trial(specs[0].low), trial(specs[0].high)
    if low.met == high.met:
        raise Unreachable(_unreachable(target, specs[0], low, high))
    geometric = specs[0].mode == "scale" and specs[0].low > 0
    while len(trials) < MAX_STEPS and not _narrow(low.value, high.value, specs[0], tolerance):
        middle = trial(_middle(low.value, high.value, geometric))
        if middle.met == low.met:
            low = middle
        else:
            high = middle
    met, missed = (low, high) if low.met else (high, low)
    if target.calibration:
        value, measure = _interpolate(low, high, target.level)
        direction = "reproducing"
    else:
        value, measure = met.value, met.measure
        direction = "smallest" if met.value > missed.value else "largest"
    return Solution(
        target, specs, value, tuple(meaning(s, value, tree) for s in specs), measure, direction,
        trials, tuple(o for s in specs for o in changes_for(s, value, tree)),
        tuple(tuple(schedule_lines(s, value, tree)) for s in specs),
    )  # fmt: skip


def _check_together(specs: tuple[Vary, ...]) -> None:
    if not specs:
        raise VaryError("give --vary PATH")
    if len(specs) > 1:
        first = specs[0]
        if any(s.mode != "scale" or (s.low, s.high) != (first.low, first.high) for s in specs):
            raise VaryError("several --vary are scaled together: give each the same x range")


def _middle(a: float, b: float, geometric: bool) -> float:
    return math.sqrt(a * b) if geometric else (a + b) / 2


def _narrow(a: float, b: float, spec: Vary, tolerance: float) -> bool:
    if spec.mode == "scale":
        return max(a, b) / min(a, b) - 1 <= tolerance
    return abs(b - a) <= tolerance * (spec.high - spec.low)


def _interpolate(low: Trial, high: Trial, level: float) -> tuple[float, Measure]:
    """The value where the measure crosses ``level`` between two trials (linear), and the
    measure of the closer trial."""
    a, b = low.measure.value, high.measure.value
    share = 0.5 if a == b else min(max((level - a) / (b - a), 0.0), 1.0)
    value = low.value + share * (high.value - low.value)
    closer = low if share < 0.5 else high
    return value, closer.measure


def _unreachable(goal: Goal, spec: Vary, low: Trial, high: Trial) -> str:
    ends = f"{low.label}: {goal.describe(low.measure)}; {high.label}: {goal.describe(high.measure)}"
    if low.met:
        return (f"'{goal.text}' holds at both ends of the range ({ends}): nothing to solve "
                f"within it; widen or move the range (--vary {spec.path}=A..B)")  # fmt: skip
    return (f"'{goal.text}' is out of reach for {spec.path} within the range ({ends}); widen "
            f"the range (--vary {spec.path}=A..B) or vary another input")  # fmt: skip


def describe_trial(trial: Trial, goal: Goal) -> str:
    """One step of the search, as printed."""
    if goal.calibration:
        mark = "at or above" if trial.met else "below"
    else:
        mark = "meets" if trial.met else "misses"
    return f"  {trial.label:>12}  {goal.describe(trial.measure):<20}  {mark}"


def solved_scenario(
    scenario: str | os.PathLike[str], solution: Solution, overrides: Sequence[str] = ()
) -> str:
    """The scenario file's text with ``overrides`` and the solved value written in, the rest
    of the text kept, and the answer said in a comment at the top: running it gives the
    achieved measure (the same seed and runs).
    Raises ``RewriteError`` when a value cannot be written in place."""
    from pathlib import Path

    from sim.scenario.rewrite import rewrite

    text = Path(scenario).read_text(encoding="utf-8-sig")
    written = rewrite(text, read_tree(scenario, [*overrides, *solution.changes]))
    answers = [f"{v.path} = {m}" for v, m in zip(solution.vary, solution.meaning, strict=True)]
    note = "".join(f"# {line}\n" for line in [f"stockpile solve: {solution.lines()[0]}", *answers])
    first, newline, rest = written.partition("\n")
    if first.startswith("# yaml-language-server"):  # the editor's schema line stays first
        return first + newline + note + rest
    return note + written
