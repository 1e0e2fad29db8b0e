"""Terse constructors of normalised ``Scenario`` objects for engine tests (no YAML).

Numbers become ``Fixed``; a distribution passes through. Rates are per day unless a period
is given: ``rate(30, 7)`` is 30 per week. A schedule is a number (one milestone at day 0) or a
mapping day -> number/Rate.

>>> s = scenario(holder("army", stock={"shell": 100}), use("fire", "army", "shell", 10), end=20)
>>> sorted(s.items), s.end_day
(['shell'], 20.0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.distributions import Distribution, Fixed
from sim.engine import ChunkResult, simulate_chunk
from sim.processes.attrition import Attrition
from sim.processes.consumption import Consumption
from sim.processes.donations import Donation, Tranche
from sim.processes.production import Production
from sim.processes.registry import kinds
from sim.scenario.model import Holder, Item, Rate, Scenario, Schedule

#: A small YAML scenario with every process kind and uncertain values (runner tests).
DRAWDOWN = """\
name: Drawdown with uncertain stock
start: 2024-01-01
horizon: 1y
report_every: 1w
items: {shell: {label: Shell, unit: rounds}}
holders:
  army: {label: Army, stock: {shell: 50k to 80k}, floor: {shell: 10k}}
  ally: {label: Ally}
production:
  plant: {item: shell, to: army, rate: 2k to 4k /mo, slip: 1 to 3 mo}
donations:
  aid: {from: army, to: ally, item: shell, rate: 6k/mo, transit: 'uniform(3, 20) d'}
attrition:
  depot_fire: {holder: army, item: shell, rate: 5%/y}
consumption:
  training: {holder: army, item: shell, rate: 30 to 60 /d}
"""


Value = float | Distribution
RateLike = Value | Rate
ScheduleLike = RateLike | Mapping[float, RateLike] | Schedule


def dist(value: Value) -> Distribution:
    """A number as ``Fixed``; a distribution unchanged."""
    return Fixed(float(value)) if isinstance(value, int | float) else value


def rate(amount: Value, period_days: float = 1.0) -> Rate:
    return Rate(dist(amount), period_days)


def sched(value: ScheduleLike, interpolate: str = "linear") -> Schedule:
    """A schedule from a rate (one milestone at day 0) or a mapping day -> rate."""
    if isinstance(value, Schedule):
        return value
    points = value if isinstance(value, Mapping) else {0.0: value}
    days = tuple(sorted(float(d) for d in points))
    by_day = {float(d): r for d, r in points.items()}
    rates = tuple(r if isinstance(r, Rate) else rate(r) for r in (by_day[d] for d in days))
    return Schedule(days, rates, interpolate)  # type: ignore[arg-type]


def _dists(values: Mapping[str, Value] | None) -> dict[str, Distribution]:
    return {k: dist(v) for k, v in (values or {}).items()}


def holder(
    id: str,
    stock: Mapping[str, Value] | None = None,
    floor: Mapping[str, Value] | None = None,
    target: Mapping[str, Value] | None = None,
) -> Holder:
    return Holder(id, id, _dists(stock), _dists(floor), _dists(target))


def make(
    id: str,
    item: str,
    to: str | Mapping[str, float],
    rate: ScheduleLike,
    *,
    slip: Value | None = None,
    yield_: Value = 1.0,
    inputs: Mapping[str, Value] | None = None,
    every: float = 7.0,
    interpolate: str = "linear",
) -> Production:
    shares = {to: 1.0} if isinstance(to, str) else dict(to)
    return Production(
        id, item, shares, sched(rate, interpolate), None if slip is None else dist(slip),
        dist(yield_), _dists(inputs), every,
    )  # fmt: skip


def _donation(id: str, source: str, to: str, item: str, **kw: Any) -> Donation:
    for key in ("transit", "cap", "pledge"):
        if kw.get(key) is not None:
            kw[key] = dist(kw[key])
    return Donation(id, source, to, item, **kw)


def tranches(
    id: str, source: str, to: str, item: str, deliveries: Mapping[float, Value], **kw: Any
) -> Donation:
    dated = tuple(Tranche(float(d), dist(q)) for d, q in deliveries.items())
    return _donation(id, source, to, item, kind="deliveries", deliveries=dated, **kw)


def give(id: str, source: str, to: str, item: str, rate: ScheduleLike, **kw: Any) -> Donation:
    """A donation by rate."""
    return _donation(id, source, to, item, kind="rate", rate=sched(rate), **kw)


def pledge(
    id: str, source: str, to: str, item: str, total: Value, max_rate: RateLike | None = None,
    **kw: Any,
) -> Donation:  # fmt: skip
    limit = None if max_rate is None else max_rate if isinstance(max_rate, Rate) else rate(max_rate)
    return _donation(id, source, to, item, kind="pledge", pledge=total, max_rate=limit, **kw)


def lose(
    id: str,
    holder: str,
    item: str,
    rate: ScheduleLike,
    *,
    count: bool = False,
    repairable: Value = 0.0,
    repair_time: Value | None = None,
    repair_to: str = "",
    every: float = 7.0,
) -> Attrition:
    """Attrition: proportional (``rate(0.33, 273.9)``) or, with ``count=True``, a count rate."""
    return Attrition(
        id, holder, item, "count" if count else "proportional", sched(rate), dist(repairable),
        None if repair_time is None else dist(repair_time), repair_to or holder, every,
    )  # fmt: skip


def use(
    id: str, holder: str, item: str, rate: ScheduleLike, every: float = 1.0,
    per: str | None = None, ration: float | None = None,
) -> Consumption:  # fmt: skip
    return Consumption(id, holder, item, sched(rate), every, per, ration)


def scenario(
    *parts: Any, items: tuple[str, ...] = (), end: float = 364.0, report: float = 7.0
) -> Scenario:
    """A scenario from holders and processes of any registered kind (in file order); items
    default to those named."""
    holders = [p for p in parts if isinstance(p, Holder)]
    named = list(items)
    for p in parts:
        if isinstance(p, Holder):
            names = [*p.stock, *p.floor, *p.target]
        else:
            names = [item for kind in kinds() if isinstance(p, kind.model)
                     for _, item in sorted(kind.footprint(p).cells())]  # fmt: skip
        named += [n for n in dict.fromkeys(names) if n not in named]
    processes = {
        kind.section: {p.id: p for p in parts if isinstance(p, kind.model)} for kind in kinds()
    }
    return Scenario(
        name="test",
        start=dt.date(2022, 1, 1),
        end_day=float(end),
        items={i: Item(i, i) for i in named},
        holders={h.id: h for h in holders},
        processes=processes,
        report_every_days=float(report),
    )


def run(s: Scenario, runs: int = 1, seed: int = 0, deterministic: bool = False) -> ChunkResult:
    """``simulate_chunk`` with an int seed."""
    return simulate_chunk(s, runs, np.random.SeedSequence(seed), deterministic=deterministic)


def dense(result: ChunkResult, name: str) -> np.ndarray:
    """Series ``name`` of a chunk as a dense float64 ``(runs, T, H, I)`` array (0 in the cells
    it does not report)."""
    block = result.slabs[name][result.slots[name]]
    out = np.zeros((result.runs, block.shape[0], len(result.holders) * len(result.items)))
    out[:, :, result.columns[name]] = block.transpose(2, 0, 1)
    return out.reshape(result.runs, block.shape[0], len(result.holders), len(result.items))


def at(result: ChunkResult, name: str, holder: str, item: str) -> np.ndarray:
    """The (runs, T) series ``name`` of one cell."""
    h, i = result.holders.index(holder), result.items.index(item)
    return dense(result, name)[:, :, h, i]


def metric(result: ChunkResult, name: str, holder: str, item: str) -> np.ndarray:
    """The (runs,) metric ``name`` of one cell."""
    h, i = result.holders.index(holder), result.items.index(item)
    return result.metrics[name][:, h, i]
