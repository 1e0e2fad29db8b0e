"""Bounded work: what a run would take, estimated from the scenario and the arguments before
anything is simulated, and refused past the work limits of ``sim.limits`` unless the user
allows a large run (``--allow-large``, ``allow_large=True``).

The estimate is an upper bound of the usual case, in plain arithmetic:
- memory: runs held at once x reported times x stored series cells x 4 bytes (float32), plus
  the per-run arrays over every (holder, item) and the arrival calendars of transit and repair;
- results.nc: runs x reported times x holders x items x 12 series (before compression);
- events on one run's time line: every process's actions over the horizon plus reported times;
- work: runs x events.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from sim.distributions import Distribution
from sim.errors import Problem, ScenarioError
from sim.limits import MAX_EVENTS, MAX_MEMORY_BYTES, MAX_OUTPUT_VALUES, MAX_WORK, TAIL
from sim.processes.registry import kinds
from sim.scenario.model import Scenario

#: Runs per chunk (``sim.runner.CHUNK_RUNS``): what a worker holds at once.
CHUNK_RUNS = 5000
#: Level and flow series (``sim.ledger.LEVELS + FLOWS``) and per-run float64 arrays over every
#: (holder, item) (floor, target, trough and the metric dates, with their copies in results).
SERIES, PER_RUN_ARRAYS = 12, 8
#: Statistics kept per series value in a summary-only run (quantiles, mean, minimum, maximum).
SUMMARY_STATS = 10
#: Runs whose inputs and outcomes a summary-only run keeps (``sim.summaries``).
SUMMARY_SAMPLE = 20_000
#: Sizes of the usual case, to tell which factor of a product is out of the ordinary.
USUAL = {"runs": 10_000, "times": 1_000, "cells": 1_000}


@dataclass(frozen=True)
class Footprint:
    """What the engine stores for a scenario: series rows, and the longest delay (days) of
    each arrival calendar (one per cell with something in transit or in repair)."""

    stored_rows: int
    delays: tuple[float, ...]


def footprint(scenario: Scenario) -> Footprint:
    """The one place that asks the engine which cells it stores."""
    from sim.engine import active_cells, reported_cells

    reported = reported_cells(scenario)
    stored = len(active_cells(scenario)) + sum(len(cells) for cells in reported.values())
    delays: dict[tuple[str, str], float] = {}
    for kind in kinds():
        for model in scenario.section(kind.section).values():
            for cell, delay in kind.delays(model):
                delays[cell] = max(delays.get(cell, 0.0), _longest(delay))
    return Footprint(stored, tuple(delays.values()))


def _longest(delay: Distribution) -> float:
    return max(delay.quantile(1 - TAIL), 0.0)


def actions(scenario: Scenario) -> Iterator[tuple[str, float]]:
    """(path of ``every``, actions over the horizon) of every process."""
    for kind in kinds():
        for name, process in scenario.section(kind.section).items():
            yield f"{kind.section}.{name}.every", scenario.end_day / process.every_days


@dataclass(frozen=True)
class Estimate:
    """What a run of ``runs`` runs of a scenario would take."""

    runs: int
    held: int  # runs in memory at once
    times: int  # reported times
    rows: int  # stored series cells (holder, item, series)
    grid: int  # holders x items
    memory_bytes: float
    output_values: float
    events: float  # on one run's time line
    actions: dict[str, float]  # path of each process's every -> its actions over the horizon
    file_bytes: float  # results.nc before compression: its largest size

    @property
    def work(self) -> float:
        return self.runs * self.events


def estimate(scenario: Scenario, *, runs: int, workers: int = 1, summary: bool = False) -> Estimate:
    """The estimate for ``runs`` runs on ``workers`` local processes (``summary``: only
    summaries are kept, chunk by chunk)."""
    steps = math.floor(scenario.end_day / scenario.report_every_days + 1e-9)
    off_grid = steps * scenario.report_every_days < scenario.end_day - 1e-9
    times = steps + 1 + off_grid  # start, every report_every, and the end day off that grid
    print_ = footprint(scenario)
    grid = len(scenario.holders) * len(scenario.items)
    chunk = min(runs, CHUNK_RUNS)
    at_once = chunk * max(1, min(workers, math.ceil(runs / CHUNK_RUNS)))
    held = at_once if summary else runs
    rings = sum(_ring(min(delay, scenario.end_day)) for delay in print_.delays) * at_once * 8
    memory = held * (times * print_.stored_rows * 4 + grid * PER_RUN_ARRAYS * 8) + rings
    output = (SUMMARY_STATS if summary else runs) * times * grid * SERIES
    if summary:  # statistics in float64, the per-run arrays of a sample of runs
        file_bytes = output * 8 + min(runs, SUMMARY_SAMPLE) * grid * PER_RUN_ARRAYS * 8
    else:  # the stored series in float32, zeros elsewhere (compressed to nothing)
        rows = print_.stored_rows
        if any(item.price is not None for item in scenario.items.values()):
            rows += rows + grid + len(scenario.items)  # their values, replacement costs, prices
        file_bytes = runs * (times * rows * 4 + grid * PER_RUN_ARRAYS * 8)
    acts = dict(actions(scenario))
    events = times + sum(acts.values())
    if print_.delays:
        events += scenario.end_day  # at most one arrival event a day
    return Estimate(
        runs, held, times, print_.stored_rows, grid, memory, output, events, acts, file_bytes
    )


def _ring(days: float) -> int:
    """Width of an arrival calendar for delays up to ``days`` (as ``Calendar`` sizes it)."""
    need = math.ceil(days) + 1
    return max(16, 1 << (need - 1).bit_length())


def check(
    scenario: Scenario,
    *,
    runs: int | None = None,
    workers: int = 1,
    summary: bool = False,
    deterministic: bool = False,
    allow_large: bool = False,
) -> None:
    """Raise ``ScenarioError`` naming the fields responsible if the run would pass a work
    limit, unless ``allow_large``. ``runs`` None means the scenario's own."""
    if allow_large:
        return
    problems = refusals(
        scenario, runs=runs, workers=workers, summary=summary, deterministic=deterministic
    )
    if problems:
        raise ScenarioError(problems)


def refusals(
    scenario: Scenario,
    *,
    runs: int | None = None,
    workers: int = 1,
    summary: bool = False,
    deterministic: bool = False,
) -> list[Problem]:
    """One problem per work limit the run would pass (empty: none)."""
    count = 1 if deterministic else (scenario.runs if runs is None else runs)
    e = estimate(scenario, runs=count, workers=workers, summary=summary)
    where = _Where(scenario, "runs" if runs is None or deterministic else "--runs")
    fix = "fewer runs, a longer report_every, fewer holders or items"
    fix += "" if summary else ", --summary-only"
    problems = []
    if e.memory_bytes > MAX_MEMORY_BYTES:
        at_once = "" if e.held == e.runs else " at a time"
        product = f"{e.held:,} runs{at_once} x {e.times:,} reported times x {e.rows:,} cells"
        message = (
            f"this run would hold about {_bytes(e.memory_bytes)} in memory ({product}), "
            f"beyond the limit of {_bytes(MAX_MEMORY_BYTES)}"
        )
        problems.append(where.problem(where.largest(e.held, e.times, e.rows), message, fix))
    if e.output_values > MAX_OUTPUT_VALUES:
        kept = f"{SUMMARY_STATS} statistics" if summary else f"{e.runs:,} runs"
        product = f"{kept} x {e.times:,} times x {e.grid:,} holders and items x {SERIES} series"
        message = (
            f"results.nc would hold {e.output_values:,.0f} values ({product}), "
            f"beyond the limit of {MAX_OUTPUT_VALUES:,}"
        )
        runs_kept = SUMMARY_STATS if summary else e.runs
        problems.append(where.problem(where.largest(runs_kept, e.times, e.grid), message, fix))
    if e.events > MAX_EVENTS:
        path, what = _busiest(e)
        message = f"{what} make {e.events:,.0f} events a run, beyond the limit of {MAX_EVENTS:,}"
        problems.append(where.problem(path, message, "a longer every, report_every or horizon"))
    elif e.work > MAX_WORK:
        message = (
            f"{e.runs:,} runs x {e.events:,.0f} events a run is {e.work:.2g} run-events, "
            f"beyond the limit of {MAX_WORK:.0e} (days of computing)"
        )
        problems.append(where.problem(where.runs_field, message, "fewer runs"))
    return problems


def _busiest(e: Estimate) -> tuple[str, str]:
    """The field responsible for most events: one process's every, the reported times, or a
    section of many processes; and what it makes, in words."""
    if e.times >= e.events / 2:
        return "report_every", f"{e.times:,} reported times"
    path, most = max(e.actions.items(), key=lambda pair: pair[1])
    if most >= e.events / 2:
        return path, f"{most:,.0f} actions over the horizon"
    totals: dict[str, list[float]] = {}
    for every, count in e.actions.items():
        totals.setdefault(every.split(".")[0], []).append(count)
    section, counts = max(totals.items(), key=lambda pair: sum(pair[1]))
    return section, f"{len(counts):,} processes acting {sum(counts):,.0f} times"


class _Where:
    """Locates a guard problem at a field of the scenario, or at ``--runs``."""

    def __init__(self, scenario: Scenario, runs_field: str) -> None:
        self.scenario = scenario
        self.runs_field = runs_field

    def largest(self, runs: int, times: int, cells: int) -> str:
        """The field of the factor furthest above its usual size."""
        ratios = {
            self.runs_field: runs / USUAL["runs"],
            "report_every": times / USUAL["times"],
            "holders": cells / USUAL["cells"],
        }
        return max(ratios, key=lambda name: ratios[name])

    def problem(self, path: str, message: str, fix: str) -> Problem:
        """The problem at ``path``; the hint gives ``fix`` and how to lift the guard."""
        hint = f"{fix}; or --allow-large if you mean it"
        file = self.scenario.source_path or "<scenario>"
        if path == "--runs":
            return Problem(file, None, path, message, hint)
        lines = self.scenario.lines
        if path in lines and lines[path] is None:
            return Problem(file, None, f"--set {path}", message, hint)
        parts = path.split(".")
        prefixes = (".".join(parts[:end]) for end in range(len(parts), 0, -1))
        line = next((lines[p] for p in prefixes if lines.get(p) is not None), None)
        return Problem(file, line, path, message, hint)


def _bytes(size: float) -> str:
    """``size`` in GB (or MB below one GB)."""
    if size < 2**30:
        return f"{size / 2**20:,.0f} MB"
    return f"{size / 2**30:,.1f} GB"
