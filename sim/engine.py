"""The engine: one SimPy environment drives every run of a chunk at once.

SimPy decides *when* (production credits, tranches, attrition, arrivals, snapshots); NumPy and
compiled loops (``sim.kernels``) decide *how much*, for all runs in one step per event. Per-run
random delays are bucketed on a 1-day grid (``sim.processes.calendar``), so Python work per
event does not grow with the number of runs.

Timing (docs/model.md): the snapshot at day 0 is the initial state before any action; a process
with ``every: P`` acts at ``P, 2P, ...`` through the end, each action accounting for the interval
just ended; at equal times arrivals come first, then the process kinds in their phase order
(``sim.processes.registry``; file order within each), then the snapshot.

Cost: Python work per event is constant, the work on run vectors per event is linear in runs.
Reported series are kept only for the cells where each quantity can move (the processes'
footprints), and a row that did not change since the previous reported time shares its slab
(``sim.ledger.Trajectory``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import simpy

from sim.flows import DERIVED, FLOWS, LEVELS, OUT_OF_ACTION
from sim.ledger import Allocate, Cell, Ledger, mapped_zeros
from sim.processes.calendar import Calendar
from sim.processes.clock import SNAPSHOT, Clock
from sim.processes.context import Context
from sim.processes.donations import pledges
from sim.processes.draws import Draws, InputPrior
from sim.processes.prices import Prices, Valuation, amount_of
from sim.processes.registry import kinds
from sim.scenario.model import Amount, Money, Scenario

__all__ = [
    "ChunkResult", "active_cells", "fleets", "report_days", "reported_cells", "simulate_chunk",
]  # fmt: skip


@dataclass(frozen=True)
class ChunkResult:
    """Arrays for one chunk of runs (see the results contract, docs/results.md).

    Series are compact: ``columns[name]`` are the flat indices ``h * len(items) + i`` of the
    cells where ``name`` can be non-zero (every other cell is 0), and the run vector of row ``r``
    at reported time ``k`` is ``slabs[name][slots[name][k, r]]`` (``slots`` is ``(T, rows)``; a
    row that did not change shares the previous slab).
    """

    report_days: np.ndarray  # (T,) days since start: 0, every report_every, the end day
    holders: tuple[str, ...]  # scenario holder ids, file order
    items: tuple[str, ...]  # scenario item ids, file order
    slabs: dict[str, np.ndarray]  # LEVELS + FLOWS -> (slabs, runs); flows cumulative
    slots: dict[str, np.ndarray]  # LEVELS + FLOWS -> (T, rows) index into slabs
    columns: dict[str, np.ndarray]  # LEVELS + FLOWS -> (rows,) flat cell index of each row
    floor: np.ndarray  # (runs, H, I) drawn floors (0 where none)
    target: np.ndarray  # (runs, H, I) drawn targets (initial stock where none)
    metrics: dict[str, np.ndarray]  # depleted_at, replenished_at, trough_at (days, NaN), trough
    pledge_fulfilled_at: dict[str, np.ndarray]  # pledge id -> (runs,) days, NaN if never
    pledge_total: dict[str, np.ndarray]  # pledge id -> (runs,) drawn totals
    clipped: dict[str, int]  # field path -> number of draws clipped to the field's range
    inputs: dict[str, np.ndarray] = field(default_factory=dict)  # input path -> (runs,) values
    #: Priced item -> its price at each reported day (T, runs), or (1, runs) when it does not
    #: change in time. Values of flows of items whose price changes are series of their own in
    #: ``slabs`` (``sent_value``, ...: ``sim.processes.prices.Valuation``).
    prices: dict[str, np.ndarray] = field(default_factory=dict)
    priors: dict[str, InputPrior] = field(default_factory=dict)  # input path -> its law
    #: (runs, points): each observed point's level or flow at the end of its day, after the
    #: day's actions (``Scenario.observation_points`` order; float64).
    observed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def runs(self) -> int:
        """Number of runs in the chunk."""
        return int(self.floor.shape[0])


def report_days(scenario: Scenario) -> np.ndarray:
    """Days since start of the reported times: 0, then every ``report_every``, and the end day
    itself when it is not on that grid (so the last reported time is the end, after its
    actions)."""
    count = math.floor(scenario.end_day / scenario.report_every_days + 1e-9) + 1
    days = np.arange(count, dtype=np.float64) * scenario.report_every_days
    days = days[days <= scenario.end_day + 1e-9]
    if days[-1] < scenario.end_day - 1e-9:
        days = np.append(days, scenario.end_day)
    return days


def active_cells(scenario: Scenario) -> list[Cell]:
    """(holder, item) pairs that hold stock, have a floor or target, or that a process touches;
    in holder then item file order."""
    used: set[Cell] = set()
    for h in scenario.holders.values():
        used.update((h.id, i) for i in (*h.stock, *h.floor, *h.target))
    for kind in kinds():
        for process in scenario.section(kind.section).values():
            used |= kind.footprint(process).cells()
    return [(h, i) for h in scenario.holders for i in scenario.items if (h, i) in used]


def reported_cells(scenario: Scenario) -> dict[str, set[Cell]]:
    """Per level and flow other than ``stock``, the cells where it can be non-zero."""
    cells: dict[str, set[Cell]] = {name: set() for name in (*LEVELS, *FLOWS) if name != "stock"}
    for kind in kinds():
        for process in scenario.section(kind.section).values():
            for name, written in kind.footprint(process).writes.items():
                cells[name] |= written
    return cells


Fleet = tuple[str, str, tuple[str, ...]]


def fleets(scenario: Scenario) -> list[Fleet]:
    """Fleets with repair: (holder that loses the item, item, repair hubs counted in its fleet).

    A holder whose losses come back to it is a fleet on its own. Holders that hold items out of
    action (``sim.flows``) but lose none themselves are repair hubs: everything they hold of the
    item counts in the fleet of each holder that loses it.
    """
    cells = reported_cells(scenario)
    repairing = set().union(*(cells[name] for name in OUT_OF_ACTION))
    losing = cells["lost"]
    out: list[Fleet] = []
    for item in scenario.items:
        hubs = tuple(
            h for h in scenario.holders if (h, item) in repairing and (h, item) not in losing
        )
        for holder in scenario.holders:
            if (holder, item) in losing and ((holder, item) in repairing or hubs):
                out.append((holder, item, hubs))
    return out


def simulate_chunk(
    scenario: Scenario,
    runs: int,
    seed: np.random.SeedSequence,
    *,
    deterministic: bool = False,
    precision: type[np.float32] | type[np.float64] = np.float64,
    allocate: Allocate = mapped_zeros,
    given: Mapping[str, np.ndarray] | None = None,
) -> ChunkResult:
    """Simulate ``runs`` runs of ``scenario`` in one event loop, randomness from ``seed``.

    ``deterministic=True`` puts every distribution at its mean and every random process at its
    expected value (all runs are then identical; use ``runs=1``). ``precision`` is the float
    type of the reported series (the engine always computes in float64); ``allocate`` makes
    the zero buffers they are stored in (``sim.transfer`` puts them in shared memory).
    ``given`` maps input paths (``ChunkResult.inputs``) to ``(runs,)`` values that replace
    their draws; every stream advances as without them.
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    holders, items = tuple(scenario.holders), tuple(scenario.items)
    days = report_days(scenario)
    cells = active_cells(scenario)
    columns = [holders.index(h) * len(items) + items.index(i) for h, i in cells]
    row = {cell: c for c, cell in enumerate(cells)}
    stored = {name: [row[cell] for cell in on] for name, on in reported_cells(scenario).items()}
    ledger = Ledger(
        cells, columns, len(holders) * len(items), runs, len(days), stored, precision, allocate
    )
    clock = Clock()
    calendar = Calendar(clock, ledger, scenario.end_day)
    ctx = Context(clock, ledger, calendar, seed, runs, deterministic, scenario.end_day,
                  start=scenario.start, given=given or {})  # fmt: skip
    ctx.prices = Prices.draw(ctx, {i: item.price for i, item in scenario.items.items()})
    ledger.start(*_draw_holders(ctx, scenario))
    valuation = Valuation(ledger, ctx.prices, clock, len(days), precision, allocate)
    snapshots: list[Callable[[int], None]] = [ledger.snapshot]
    if valuation.active:  # items whose price changes: flows valued as they happen
        snapshots.insert(0, valuation.snapshot)
        clock.instant_over.append(valuation.settle)
    for snapshot in snapshots:
        snapshot(0)
    _start_processes(ctx, scenario)
    clock.process(_snapshots(ctx, days, snapshots))
    observed = np.zeros((runs, len(scenario.observation_points())))
    clock.process(_observe(ctx, scenario, observed))
    clock.instant_over.append(ledger.settle)
    clock.run()
    touched = ledger.unstored_touched()
    if touched:
        raise RuntimeError(f"engine defect: {touched} moved in cells they do not report")
    return replace(_result(ctx, scenario, days, valuation), observed=observed)


def _draw_holders(ctx: Context, scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Initial stock, floor and target ``(cells, runs)`` of every holder, drawn from the
    holder's own stream (a target defaults to the initial stock)."""
    shape = (len(ctx.ledger.cells), ctx.runs)
    stock, floor, target = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for holder in scenario.holders.values():
        path = f"holders.{holder.id}"
        draws = ctx.draws(path)
        for item, amount in holder.stock.items():
            stock[ctx.cell(holder.id, item)] = _units(ctx, draws, item, amount, f"{path}.stock")
        for item, amount in holder.floor.items():
            floor[ctx.cell(holder.id, item)] = _units(ctx, draws, item, amount, f"{path}.floor")
        for item in scenario.items:
            if (holder.id, item) not in ctx.ledger.row:
                continue
            c = ctx.cell(holder.id, item)
            if item in holder.target:
                target[c] = _units(ctx, draws, item, holder.target[item], f"{path}.target")
            else:
                target[c] = stock[c]
    return stock, floor, target


def _units(ctx: Context, draws: Draws, item: str, amount: Amount, where: str) -> np.ndarray:
    """A holder's amount of ``item`` drawn per run: in units, or in money bought at the price
    on start."""
    drawn = draws.value(amount_of(amount), f"{where}.{item}")
    return ctx.prices.units(item, drawn, 0.0) if isinstance(amount, Money) else drawn


def _start_processes(ctx: Context, scenario: Scenario) -> None:
    for kind in kinds():
        for index, process in enumerate(scenario.section(kind.section).values()):
            ctx.clock.process(kind.process(ctx, process, index))


def _snapshots(
    ctx: Context, days: np.ndarray, snapshots: list[Callable[[int], None]]
) -> Generator[simpy.Event, Any, None]:
    for k in range(1, len(days)):
        yield ctx.clock.at(float(days[k]), SNAPSHOT)
        for snapshot in snapshots:
            snapshot(k)


def _observe(
    ctx: Context, scenario: Scenario, observed: np.ndarray
) -> Generator[simpy.Event, Any, None]:
    """Record each observed point's level or flow into ``observed[:, k]`` at the end of its
    day, after every action of the day (in the snapshot phase; nothing is drawn or moved)."""
    due: dict[float, list[tuple[int, str, int | None]]] = {}
    for k, (observation, point) in enumerate(scenario.observation_points()):
        row = ctx.ledger.row.get((observation.holder, observation.item))  # None: always 0
        due.setdefault(point.day, []).append((k, observation.of, row))
    for day in sorted(due):
        yield ctx.clock.at(day, SNAPSHOT, 1)
        for k, name, row in due[day]:
            if row is not None:
                observed[:, k] = 0.0
                for level in DERIVED.get(name, (name,)):  # out_of_action: a sum of levels
                    observed[:, k] += ctx.ledger.level(level, row)


def _result(
    ctx: Context, scenario: Scenario, days: np.ndarray, valuation: Valuation
) -> ChunkResult:
    ledger, runs = ctx.ledger, ctx.runs
    holders, items = tuple(scenario.holders), tuple(scenario.items)
    grid = len(holders) * len(items)
    shape = (runs, len(holders), len(items))

    def full(rows: np.ndarray, fill: float) -> np.ndarray:
        return ledger.full(rows, fill, grid).reshape(shape)

    pledged = [d.id for d in pledges(scenario)]
    series = {**ledger.series, **valuation.series}
    columns = {name: ledger.columns[list(rows)] for name, rows in ledger.stored.items()}
    return ChunkResult(
        report_days=days,
        holders=holders,
        items=items,
        slabs={name: t.stored()[0] for name, t in series.items()},
        slots={name: t.stored()[1] for name, t in series.items()},
        columns={**columns, **valuation.columns(ledger.columns)},
        floor=full(ledger.floor, 0.0),
        target=full(ledger.target, 0.0),
        metrics={
            "depleted_at": full(ledger.depleted_at, np.nan),
            "replenished_at": full(ledger.replenished_at, np.nan),
            "trough_at": full(ledger.trough_at, 0.0),
            "trough": full(ledger.trough, 0.0),
        },
        pledge_fulfilled_at={p: ctx.pledge_fulfilled_at[p] for p in pledged},
        pledge_total={p: ctx.pledge_total[p] for p in pledged},
        clipped=dict(ctx.clipped),
        inputs=dict(ctx.inputs),
        prices={item: ctx.prices.at_report_days(item, days) for item in ctx.prices.paths},
        priors=dict(ctx.priors),
    )
