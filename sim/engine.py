"""The engine: one SimPy environment drives every run of a chunk at once.

SimPy decides *when* (production credits, tranches, attrition, arrivals, snapshots); NumPy and
compiled loops (``sim.kernels``) decide *how much*, for all runs in one step per event. Per-run
random delays are bucketed on a 1-day grid (``sim.processes.calendar``), so Python work per
event does not grow with the number of runs.

Timing (SCENARIO_FORMAT.md section 3): the snapshot at day 0 is the initial state before any
action; a process with ``every: P`` acts at ``P, 2P, ...`` through the end, each action
accounting for the interval just ended; at equal times arrivals, production, donations,
attrition and consumption act in that order (file order within each), then the snapshot.

Cost: Python work per event is constant, the work on run vectors per event is linear in runs.
Reported series are kept only for the cells where each quantity can move, and a row that did
not change since the previous reported time shares its slab (``sim.ledger.Trajectory``); on the
reference scenario a chunk of 5,000 runs keeps ~300 MB of float32 trajectories (dense float64:
3.3 GB).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.ledger import FLOWS, LEVELS, Allocate, Cell, Ledger, mapped_zeros
from sim.processes.attrition import attrition
from sim.processes.calendar import Calendar
from sim.processes.clock import SNAPSHOT, Clock
from sim.processes.consumption import consumption
from sim.processes.context import Context
from sim.processes.donations import donation
from sim.processes.production import production
from sim.scenario.model import Scenario

__all__ = ["FLOWS", "LEVELS", "ChunkResult", "report_days", "simulate_chunk"]


@dataclass(frozen=True)
class ChunkResult:
    """Arrays for one chunk of runs (see the results contract, SCENARIO_FORMAT.md section 5).

    Series are compact: ``columns[name]`` are the flat indices ``h * len(items) + i`` of the
    cells where ``name`` can be non-zero (every other cell is 0), and the run vector of row ``r``
    at reported time ``k`` is ``slabs[name][slots[name][k, r]]`` (``slots`` is ``(T, rows)``; a
    row that did not change shares the previous slab). ``series[name]`` expands one to the dense
    ``(runs, T, H, I)`` on demand.
    """

    report_days: np.ndarray  # (T,) days since start: 0, then every report_every, <= end_day
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

    @property
    def runs(self) -> int:
        """Number of runs in the chunk."""
        return int(self.floor.shape[0])

    @property
    def series(self) -> Mapping[str, np.ndarray]:
        """LEVELS + FLOWS -> dense ``(runs, T, H, I)`` arrays, each built when looked up."""
        return _DenseSeries(self)

    def dense(self, name: str) -> np.ndarray:
        """Series ``name`` as a dense float64 ``(runs, T, H, I)`` array (0 in unreported cells)."""
        block = self.slabs[name][self.slots[name]]
        out = np.zeros((self.runs, block.shape[0], len(self.holders) * len(self.items)))
        out[:, :, self.columns[name]] = block.transpose(2, 0, 1)
        return out.reshape(self.runs, block.shape[0], len(self.holders), len(self.items))


class _DenseSeries(Mapping[str, np.ndarray]):
    def __init__(self, result: ChunkResult) -> None:
        self._result = result

    def __getitem__(self, name: str) -> np.ndarray:
        return self._result.dense(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._result.slabs)

    def __len__(self) -> int:
        return len(self._result.slabs)


def report_days(scenario: Scenario) -> np.ndarray:
    """Days since start of the reported times: 0, then every ``report_every`` through the end."""
    count = math.floor(scenario.end_day / scenario.report_every_days + 1e-9) + 1
    days = np.arange(count, dtype=np.float64) * scenario.report_every_days
    return days[days <= scenario.end_day + 1e-9]


def active_cells(scenario: Scenario) -> list[Cell]:
    """(holder, item) pairs that hold stock, have a floor or target, or that a process touches;
    in holder then item file order."""
    used: set[Cell] = set()
    for h in scenario.holders.values():
        used.update((h.id, i) for i in (*h.stock, *h.floor, *h.target))
    for p in scenario.production.values():
        for holder in p.to:
            used.update((holder, i) for i in (p.item, *p.inputs))
    for d in scenario.donations.values():
        used.update({(d.source, d.item), (d.to, d.item)})
    for a in scenario.attrition.values():
        used.update({(a.holder, a.item), (a.repair_to or a.holder, a.item)})
    used.update((c.holder, c.item) for c in scenario.consumption.values())
    return [(h, i) for h in scenario.holders for i in scenario.items if (h, i) in used]


def reported_cells(scenario: Scenario) -> dict[str, set[Cell]]:
    """Per flow and level other than ``stock``, the cells where it can be non-zero."""
    cells: dict[str, set[Cell]] = {name: set() for name in (*LEVELS, *FLOWS) if name != "stock"}
    for p in scenario.production.values():
        for holder in p.to:
            cells["produced"].add((holder, p.item))
            cells["used"].update((holder, i) for i in p.inputs)
    for d in scenario.donations.values():
        cells["sent"].add((d.source, d.item))
        cells["received"].add((d.to, d.item))
        if d.transit is not None:
            cells["in_transit"].add((d.to, d.item))
        if d.kind != "pledge":
            cells["unfilled"].add((d.to, d.item))
    for a in scenario.attrition.values():
        cells["lost"].add((a.holder, a.item))
        back = (a.repair_to or a.holder, a.item)
        cells["repaired"].add(back)
        if a.repair_time is not None:
            cells["in_repair"].add(back)
    for c in scenario.consumption.values():
        cells["consumed"].add((c.holder, c.item))
        cells["unmet"].add((c.holder, c.item))
    return cells


def simulate_chunk(
    scenario: Scenario,
    runs: int,
    seed: np.random.SeedSequence,
    *,
    deterministic: bool = False,
    precision: type[np.float32] | type[np.float64] = np.float64,
    allocate: Allocate = mapped_zeros,
) -> ChunkResult:
    """Simulate ``runs`` runs of ``scenario`` in one event loop, randomness from ``seed``.

    ``deterministic=True`` puts every distribution at its mean and every random process at its
    expected value (all runs are then identical; use ``runs=1``). ``precision`` is the float
    type of the reported series (the engine always computes in float64); ``allocate`` makes
    the zero buffers they are stored in (``sim.transfer`` puts them in shared memory).
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
    ctx = Context(clock, ledger, calendar, seed, runs, deterministic, scenario.end_day)
    _draw_holders(ctx, scenario)
    ledger.start()
    ledger.snapshot(0)
    _start_processes(ctx, scenario)
    clock.process(_snapshots(ctx, days))
    clock.instant_over.append(ledger.settle)
    clock.run()
    touched = ledger.unstored_touched()
    if touched:
        raise RuntimeError(f"engine defect: {touched} moved in cells they do not report")
    return _result(ctx, scenario, days)


def _draw_holders(ctx: Context, scenario: Scenario) -> None:
    """Draw initial stock, floor and target of every holder from the holder's own stream."""
    ledger = ctx.ledger
    for holder in scenario.holders.values():
        draws = ctx.draws(f"holders.{holder.id}")
        for item, dist in holder.stock.items():
            path = f"holders.{holder.id}.stock.{item}"
            ledger.stock[ctx.cell(holder.id, item)] = draws.value(dist, path)
        for item, dist in holder.floor.items():
            path = f"holders.{holder.id}.floor.{item}"
            ledger.floor[ctx.cell(holder.id, item)] = draws.value(dist, path)
        for item in scenario.items:
            if (holder.id, item) not in ledger.row:
                continue
            c = ctx.cell(holder.id, item)
            if item in holder.target:
                path = f"holders.{holder.id}.target.{item}"
                ledger.target[c] = draws.value(holder.target[item], path)
            else:
                ledger.target[c] = ledger.stock[c]


def _start_processes(ctx: Context, scenario: Scenario) -> None:
    for index, prod in enumerate(scenario.production.values()):
        ctx.clock.process(production(ctx, prod, index))
    for index, don in enumerate(scenario.donations.values()):
        ctx.clock.process(donation(ctx, don, index))
    for index, att in enumerate(scenario.attrition.values()):
        ctx.clock.process(attrition(ctx, att, index))
    for index, con in enumerate(scenario.consumption.values()):
        ctx.clock.process(consumption(ctx, con, index))


def _snapshots(ctx: Context, days: np.ndarray) -> Generator[simpy.Event, Any, None]:
    for k in range(1, len(days)):
        yield ctx.clock.at(float(days[k]), SNAPSHOT)
        ctx.ledger.snapshot(k)


def _result(ctx: Context, scenario: Scenario, days: np.ndarray) -> ChunkResult:
    ledger, runs = ctx.ledger, ctx.runs
    holders, items = tuple(scenario.holders), tuple(scenario.items)
    grid = len(holders) * len(items)
    shape = (runs, len(holders), len(items))

    def full(rows: np.ndarray, fill: float) -> np.ndarray:
        return ledger.full(rows, fill, grid).reshape(shape)

    pledges = [d.id for d in scenario.donations.values() if d.kind == "pledge"]
    return ChunkResult(
        report_days=days,
        holders=holders,
        items=items,
        slabs={name: t.stored()[0] for name, t in ledger.series.items()},
        slots={name: t.stored()[1] for name, t in ledger.series.items()},
        columns={name: ledger.columns[list(rows)] for name, rows in ledger.stored.items()},
        floor=full(ledger.floor, 0.0),
        target=full(ledger.target, 0.0),
        metrics={
            "depleted_at": full(ledger.depleted_at, np.nan),
            "replenished_at": full(ledger.replenished_at, np.nan),
            "trough_at": full(ledger.trough_at, 0.0),
            "trough": full(ledger.trough, 0.0),
        },
        pledge_fulfilled_at={p: ctx.pledge_fulfilled_at[p] for p in pledges},
        pledge_total={p: ctx.pledge_total[p] for p in pledges},
        clipped=dict(ctx.clipped),
    )
