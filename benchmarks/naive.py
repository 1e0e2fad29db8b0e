"""The naive model: one SimPy environment per run, scalar float stocks. Yardstick and oracle.

This is what an analyst writes without the tool, and it is written independently of
``sim.engine`` and the processes' code (it imports only the normalised scenario model, the
process kinds' model classes, the flow names and the distributions) so that the engine can be
checked against it. It implements the timing rules of docs/model.md:

- process actions at ``k * every`` (k = 1, 2, ...) through ``end``, each integrating its rate
  over the interval just ended; tranches on their dates; a pledge at ``start_day + k * every``;
- order at equal times: arrivals, production, donations, attrition, consumption, snapshot;
  within a phase, file order (SimPy event priorities encode both);
- transit and repair delays put arrivals on the 1-day grid: ``round(ship_day + delay)`` (half
  away from zero), never before the shipping day; a delay of exactly 0 (or none) is immediate;
- depletion and trough are checked after every stock change; replenishment on the stock as it
  stands at the end of each instant (so inputs taken and re-made the same day are no refill).

Each run has its own ``numpy.random.Generator``; draws differ from the engine's, only the
distributions must agree. Every registered process kind needs a method ``_<section>`` here
: a kind the oracle does not implement fails ``tests/test_oracle.py``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.distributions import Distribution
from sim.flows import FLOWS, LEVELS
from sim.processes.attrition import Attrition
from sim.processes.consumption import Consumption
from sim.processes.donations import Donation
from sim.processes.orders import Order
from sim.processes.production import Production
from sim.processes.registry import kinds
from sim.scenario.model import Scenario, Schedule

METRICS = ("depleted_at", "replenished_at", "trough_at", "trough")

ARRIVAL, SNAPSHOT = -1, 1_000_000  # process kinds act in between, by their phase

#: largest proportional attrition fraction a draw is clipped to (a fraction of 1 is certain loss)
_MAX_LOSS_FRACTION = float(np.nextafter(1.0, 0.0))

Cell = tuple[str, str]


@dataclass(frozen=True)
class NaiveResult:
    """All runs of the naive model, shaped like the engine's ChunkResult."""

    report_days: np.ndarray
    holders: tuple[str, ...]
    items: tuple[str, ...]
    series: dict[str, np.ndarray]  # (runs, T, H, I)
    floor: np.ndarray  # (runs, H, I)
    target: np.ndarray  # (runs, H, I)
    metrics: dict[str, np.ndarray]  # (runs, H, I), days, NaN if never
    pledge_fulfilled_at: dict[str, np.ndarray]  # (runs,)
    pledge_total: dict[str, np.ndarray]  # (runs,)
    clipped: dict[str, int]


def report_days(scenario: Scenario) -> np.ndarray:
    """Days since start of the reported times: 0, every ``report_every``, and the end day."""
    count = math.floor(scenario.end_day / scenario.report_every_days + 1e-9) + 1
    days = np.arange(count, dtype=np.float64) * scenario.report_every_days
    days = days[days <= scenario.end_day + 1e-9]
    if days[-1] < scenario.end_day - 1e-9:
        days = np.append(days, scenario.end_day)
    return days


def action_days(every: float, end_day: float, offset: float = 0.0) -> Iterator[float]:
    """``offset + k * every`` for k = 1, 2, ... while it is <= ``end_day``."""
    k = 1
    while offset + k * every <= end_day:
        yield offset + k * every
        k += 1


def arrival_day(ship_day: float, delay: float) -> float:
    """Arrival on the 1-day grid: nearest day (half away from zero), never before shipping."""
    if delay == 0.0:
        return ship_day
    return max(ship_day, math.floor(ship_day + delay + 0.5))


class _Agenda:
    """Events at absolute days, fired in (phase, file index) order at equal days.

    One SimPy timeout per day with something due triggers that day's events in order; SimPy
    processes triggered events in the order they were triggered.
    """

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.due: dict[float, list[tuple[int, int, int, simpy.Event]]] = {}
        self.order = itertools.count()

    def at(self, day: float, phase: int, index: int) -> simpy.Event:
        event = self.env.event()
        if day not in self.due:
            self.due[day] = []
            wake = self.env.timeout(max(day - self.env.now, 0.0))
            wake.callbacks.append(lambda _timeout, day=day: self._wake(day))
        self.due[day].append((phase, index, next(self.order), event))
        return event

    def _wake(self, day: float) -> None:
        for *_, event in sorted(self.due.pop(day), key=lambda entry: entry[:3]):
            event.succeed()


@dataclass
class _Rates:
    """A schedule drawn for one run: milestone days and per-day rates, scalar floats."""

    days: list[float]
    rates: list[float]
    linear: bool

    def at(self, t: float) -> float:
        if t < self.days[0]:
            return 0.0
        if t >= self.days[-1]:
            return self.rates[-1]
        j = bisect.bisect_right(self.days, t) - 1
        if not self.linear:
            return self.rates[j]
        w = (t - self.days[j]) / (self.days[j + 1] - self.days[j])
        return self.rates[j] + w * (self.rates[j + 1] - self.rates[j])

    def integral(self, a: float, b: float) -> float:
        """Exact integral over [a, b]: the midpoint rule is exact on each linear piece."""
        cuts = [a, *(d for d in self.days if a < d < b), b]
        return sum((y - x) * self.at((x + y) / 2) for x, y in itertools.pairwise(cuts))


@dataclass
class _Run:
    """State of one run: scalar stocks and flows per (holder, item), metric trackers."""

    scenario: Scenario
    rng: np.random.Generator
    deterministic: bool
    clipped: dict[str, int]
    level: dict[str, dict[Cell, float]] = field(default_factory=dict)
    flow: dict[str, dict[Cell, float]] = field(default_factory=dict)
    floor: dict[Cell, float] = field(default_factory=dict)
    target: dict[Cell, float] = field(default_factory=dict)
    above_floor: dict[Cell, bool] = field(default_factory=dict)
    below_target: dict[Cell, bool] = field(default_factory=dict)
    metric: dict[str, dict[Cell, float]] = field(default_factory=dict)
    pledge_fulfilled_at: dict[str, float] = field(default_factory=dict)
    pledge_total: dict[str, float] = field(default_factory=dict)
    instant: float = 0.0  # day of the latest stock change
    unsettled: set[Cell] = field(default_factory=set)  # changed in that instant

    # -- draws -------------------------------------------------------------------------------

    def draw(
        self, dist: Distribution, path: str, low: float = 0.0, high: float = math.inf
    ) -> float:
        """One value, clipped to [low, high]; clipped draws are counted under ``path``."""
        value = float(dist.mean) if self.deterministic else float(dist.sample(self.rng, 1)[0])
        if value < low or value > high:
            self.clipped[path] = self.clipped.get(path, 0) + 1
            value = min(max(value, low), high)
        return value

    def draw_schedule(self, schedule: Schedule, path: str, slip: float = 0.0) -> _Rates:
        days = [d if j == 0 else d + slip for j, d in enumerate(schedule.days)]
        rates = [self.draw(r.amount, path) / r.period_days for r in schedule.rates]
        return _Rates(days, rates, schedule.interpolate == "linear")

    def draw_hazard(self, schedule: Schedule, path: str) -> _Rates:
        """Proportional attrition: each milestone's fraction r/P becomes hazard -ln(1-r)/P."""
        hazards = [
            -math.log1p(-self.draw(r.amount, path, 0.0, _MAX_LOSS_FRACTION)) / r.period_days
            for r in schedule.rates
        ]
        return _Rates(list(schedule.days), hazards, schedule.interpolate == "linear")

    def binomial(self, n: float, p: float) -> float:
        """Binomial(n, p) losses; its mean ``n * p`` when deterministic (n is then any float)."""
        if self.deterministic:
            return n * p
        if n <= 0 or p <= 0:
            return 0.0
        return float(self.rng.binomial(int(n), min(p, 1.0)))

    def poisson(self, mean: float) -> float:
        return mean if self.deterministic else float(self.rng.poisson(mean))

    # -- ledger ------------------------------------------------------------------------------

    def add(self, name: str, cell: Cell, amount: float) -> None:
        table = self.level if name in LEVELS else self.flow
        table[name][cell] = table[name].get(cell, 0.0) + amount

    def stock(self, cell: Cell) -> float:
        return self.level["stock"].get(cell, 0.0)

    def change_stock(self, cell: Cell, amount: float, day: float) -> None:
        """Add ``amount`` (may be negative) to the stock and update the metrics of the cell."""
        if day != self.instant:
            self.settle()
            self.instant = day
        value = self.stock(cell) + amount
        if value < 0.0:  # float dust from input ratios
            value = 0.0
        self.level["stock"][cell] = value
        self.track(cell, value, day)
        self.unsettled.add(cell)

    def track(self, cell: Cell, value: float, day: float) -> None:
        """Depletion and trough see every change, even one undone later in the same instant."""
        metric = self.metric
        if _above(value, self.floor.get(cell, 0.0)):
            self.above_floor[cell] = True
        elif self.above_floor.get(cell, False) and math.isnan(metric["depleted_at"][cell]):
            metric["depleted_at"][cell] = day
        if value < metric["trough"][cell]:
            metric["trough"][cell] = value
            metric["trough_at"][cell] = day

    def settle(self) -> None:
        """Replenishment is judged on the stock at the end of an instant (all its actions done).

        Inputs taken and credited back on the same day do not count as falling below the
        target and coming back, unless the stock touched a new lowest point below target: the
        stock is replenished when first back at target after its trough.
        """
        replenished = self.metric["replenished_at"]
        for cell in self.unsettled:
            target = self.target.get(cell, 0.0)
            if self.metric["trough_at"][cell] == self.instant and _short(
                self.metric["trough"][cell], target
            ):
                # a new lowest point: replenished means back at target after it
                self.below_target[cell] = True
                replenished[cell] = math.nan
            if _short(self.stock(cell), target):
                self.below_target[cell] = True
            elif self.below_target.get(cell, False) and math.isnan(replenished[cell]):
                replenished[cell] = self.instant
        self.unsettled.clear()


def _above(value: float, level: float) -> bool:
    """Above ``level`` by more than 1e-6 of a unit and 1e-12 of the level (else at or below)."""
    return value > level + 1e-6 + 1e-12 * abs(level)


def _short(value: float, level: float) -> bool:
    """Below ``level`` by more than 1e-6 of a unit and 1e-12 of the level."""
    return value < level - 1e-6 - 1e-12 * abs(level)


def _available(run: _Run, donor: Cell, keep_floor: bool) -> float:
    spare = run.stock(donor) - (run.floor.get(donor, 0.0) if keep_floor else 0.0)
    return max(spare, 0.0)


class _Model:
    """One run: builds the SimPy processes for every scenario process and runs them."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, deterministic: bool) -> None:
        self.scenario = scenario
        self.env = simpy.Environment()
        self.agenda = _Agenda(self.env)
        self.clipped: dict[str, int] = {}
        self.run = _Run(scenario, rng, deterministic, self.clipped)
        self.cells = [(h, i) for h in scenario.holders for i in scenario.items]
        self.report_days = report_days(scenario)
        self.snapshots: list[dict[str, dict[Cell, float]]] = []
        self._init_stocks()

    # -- setup -------------------------------------------------------------------------------

    def _init_stocks(self) -> None:
        run = self.run
        run.level = {name: {} for name in LEVELS}
        run.flow = {name: {} for name in FLOWS}
        for holder in self.scenario.holders.values():
            for item, dist in holder.stock.items():
                path = f"holders.{holder.id}.stock.{item}"
                run.level["stock"][(holder.id, item)] = run.draw(dist, path)
            for item, dist in holder.floor.items():
                run.floor[(holder.id, item)] = run.draw(dist, f"holders.{holder.id}.floor.{item}")
            for item in self.scenario.items:
                cell = (holder.id, item)
                if item in holder.target:
                    path = f"holders.{holder.id}.target.{item}"
                    run.target[cell] = run.draw(holder.target[item], path)
                else:
                    run.target[cell] = run.stock(cell)
        nan = {cell: math.nan for cell in self.cells}
        run.metric = {name: dict(nan) for name in ("depleted_at", "replenished_at")}
        run.metric["trough"] = {cell: run.stock(cell) for cell in self.cells}
        run.metric["trough_at"] = {cell: 0.0 for cell in self.cells}
        for cell in self.cells:
            value, floor, target = run.stock(cell), run.floor.get(cell, 0.0), run.target[cell]
            run.above_floor[cell] = _above(value, floor)
            run.below_target[cell] = _short(value, target)

    def _every(self, days: Sequence[float], phase: int, index: int) -> Iterator[simpy.Event]:
        for day in days:
            yield self.agenda.at(day, phase, index)

    def start(self) -> None:
        end = self.scenario.end_day
        for kind in kinds():
            if not implements(kind.section):
                raise NotImplementedError(f"the naive oracle does not simulate {kind.section}")
            method = getattr(self, f"_{kind.section}")
            for index, process in enumerate(self.scenario.section(kind.section).values()):
                self.env.process(method(process, index, end, kind.phase))
        self.env.process(self._snapshots())

    # -- snapshots ---------------------------------------------------------------------------

    def snapshot(self) -> None:
        run = self.run
        self.snapshots.append({name: dict(table) for name, table in (run.level | run.flow).items()})

    def _snapshots(self) -> Generator[simpy.Event, Any, None]:
        for day in self.report_days[1:]:
            yield self.agenda.at(float(day), SNAPSHOT, 0)
            self.snapshot()

    # -- arrivals ----------------------------------------------------------------------------

    def _ship(
        self, cell: Cell, quantity: float, day: float, delay: float, level: str, flow: str
    ) -> None:
        """Put ``quantity`` on the way to ``cell``; a zero delay arrives at once."""
        if delay == 0.0:
            self._arrive(cell, quantity, day, flow)
            return
        self.run.add(level, cell, quantity)
        arrive = arrival_day(day, delay)

        def land(_event: simpy.Event) -> None:
            self.run.add(level, cell, -quantity)
            self._arrive(cell, quantity, arrive, flow)

        self.agenda.at(arrive, ARRIVAL, 0).callbacks.append(land)

    def _arrive(self, cell: Cell, quantity: float, day: float, flow: str) -> None:
        self.run.add(flow, cell, quantity)
        self.run.change_stock(cell, quantity, day)

    # -- production --------------------------------------------------------------------------

    def _production(
        self, prod: Production, index: int, end: float, phase: int
    ) -> Generator[simpy.Event, Any, None]:
        run = self.run
        path = f"production.{prod.id}"
        slip = run.draw(prod.slip, f"{path}.slip") if prod.slip is not None else 0.0
        rates = run.draw_schedule(prod.rate, f"{path}.rate", slip)
        accepted = run.draw(prod.yield_, f"{path}.yield", 0.0, 1.0)
        inputs = {k: run.draw(q, f"{path}.inputs.{k}") for k, q in prod.inputs.items()}
        last = 0.0
        for event in self._every(list(action_days(prod.every_days, end)), phase, index):
            yield event
            day = self.env.now
            begin = last
            if len(prod.rate.rates) == 1 and slip > 0:  # one rate: nothing before start + slip
                begin = max(last, prod.rate.days[0] + slip)
            potential = rates.integral(begin, day) if begin < day else 0.0
            last = day
            for holder, share in prod.to.items():
                self._make(prod.item, holder, share * potential, accepted, inputs, day)

    def _make(
        self,
        item: str,
        holder: str,
        potential: float,
        accepted: float,
        inputs: dict[str, float],
        day: float,
    ) -> None:
        run = self.run
        made = potential
        for k, per_unit in inputs.items():
            if per_unit > 0:
                made = min(made, run.stock((holder, k)) / per_unit)
        made = max(made, 0.0)
        for k, per_unit in inputs.items():
            taken = made * per_unit
            run.add("used", (holder, k), taken)
            run.change_stock((holder, k), -taken, day)
        run.add("produced", (holder, item), made * accepted)
        run.change_stock((holder, item), made * accepted, day)

    # -- donations ---------------------------------------------------------------------------

    def _donations(
        self, don: Donation, index: int, end: float, phase: int
    ) -> Generator[simpy.Event, Any, None]:
        run = self.run
        path = f"donations.{don.id}"
        cap = run.draw(don.cap, f"{path}.cap") if don.cap is not None else math.inf
        state = {"shipped": 0.0, "cap": cap}
        if don.kind == "deliveries":
            tranches = sorted(
                (t.day, j, run.draw(t.quantity, f"{path}.deliveries"))
                for j, t in enumerate(don.deliveries)
            )
            for day, _j, quantity in tranches:
                if day > end or day < 0:
                    continue
                yield self.agenda.at(day, phase, index)
                self._give(don, quantity, state, unfilled=True)
        elif don.kind == "rate":
            assert don.rate is not None
            rates = run.draw_schedule(don.rate, f"{path}.rate")
            last = 0.0
            for event in self._every(list(action_days(don.every_days, end)), phase, index):
                yield event
                day = self.env.now
                self._give(don, rates.integral(last, day), state, unfilled=True)
                last = day
        else:
            yield from self._pledge(don, index, end, state, phase)

    def _pledge(
        self, don: Donation, index: int, end: float, state: dict[str, float], phase: int
    ) -> Generator[simpy.Event, Any, None]:
        run = self.run
        path = f"donations.{don.id}"
        assert don.pledge is not None
        total = run.draw(don.pledge, f"{path}.pledge")
        run.pledge_total[don.id] = total
        run.pledge_fulfilled_at[don.id] = math.nan
        max_per_day = math.inf
        pace = None  # a max_rate that ramps: integrated over each interval since the last action
        if isinstance(don.max_rate, Schedule):
            pace = run.draw_schedule(don.max_rate, f"{path}.max_rate")
        elif don.max_rate is not None:
            amount = run.draw(don.max_rate.amount, f"{path}.max_rate")
            max_per_day = amount / don.max_rate.period_days
        remaining = total
        if remaining <= 0:
            run.pledge_fulfilled_at[don.id] = don.start_day
            return
        days = list(action_days(don.every_days, end, don.start_day))
        last = don.start_day
        for event in self._every(days, phase, index):
            yield event
            fastest = max_per_day * don.every_days
            if pace is not None:
                fastest = pace.integral(last, self.env.now)
                last = self.env.now
            limit = min(remaining, fastest)
            shipped = self._give(don, limit, state, unfilled=False)
            remaining = 0.0 if shipped >= remaining else remaining - shipped
            if remaining <= 0.0:
                run.pledge_fulfilled_at[don.id] = self.env.now
                return

    def _give(self, don: Donation, wanted: float, state: dict[str, float], unfilled: bool) -> float:
        """Ship up to ``wanted`` from the donor; the shortfall (not the cap's) is unfilled,
        unless the donor keeps no stock (a hub with no target forwards what it has)."""
        run = self.run
        day = self.env.now
        donor, receiver = (don.source, don.item), (don.to, don.item)
        allowed = min(wanted, max(state["cap"] - state["shipped"], 0.0))
        shipped = min(allowed, _available(run, donor, don.keep_floor))
        if unfilled and allowed > shipped and run.target.get(donor, 0.0) > 0.0:
            run.add("unfilled", receiver, allowed - shipped)
        if shipped <= 0.0:
            return 0.0
        state["shipped"] += shipped
        run.add("sent", donor, shipped)
        run.change_stock(donor, -shipped, day)
        delay = 0.0
        if don.transit is not None:
            delay = run.draw(don.transit, f"donations.{don.id}.transit")
        self._ship(receiver, shipped, day, delay, "in_transit", "received")
        return shipped

    # -- attrition ---------------------------------------------------------------------------

    def _attrition(
        self, att: Attrition, index: int, end: float, phase: int
    ) -> Generator[simpy.Event, Any, None]:
        run = self.run
        path = f"attrition.{att.id}"
        hazard = None
        life, used, worn = 1.0, (att.holder, att.used or ""), 0.0  # wear: use since the last
        if att.kind == "wear" and att.life is not None:
            life = max(run.draw(att.life, f"{path}.per_use.every"), 1e-9)
        elif att.kind == "proportional" and att.rate is not None:
            hazard = run.draw_hazard(att.rate, f"{path}.rate")
        elif att.rate is not None:
            hazard = run.draw_schedule(att.rate, f"{path}.losses")
        repairable = run.draw(att.repairable, f"{path}.repairable", 0.0, 1.0)
        per_day = math.inf  # repairs that can start per day; the rest wait in a queue
        if att.capacity is not None:
            per_day = run.draw(att.capacity.amount, f"{path}.repair_capacity") / (
                att.capacity.period_days
            )
        queue, served = 0.0, 0.0
        cell = (att.holder, att.item)
        back = (att.repair_to, att.item)
        last = 0.0
        for event in self._every(list(action_days(att.every_days, end)), phase, index):
            yield event
            day = self.env.now
            if hazard is None:  # one unit lost per `life` units used since the last action
                consumed = run.flow.get("consumed", {}).get(used, 0.0)
                exposure, worn = (consumed - worn) / life, consumed
            else:
                exposure = hazard.integral(last, day)
            last = day
            if att.kind == "proportional":
                losses = run.binomial(math.floor(run.stock(cell)), -math.expm1(-exposure))
            else:
                losses = min(run.poisson(exposure), run.stock(cell))
            to_repair = 0.0
            if losses > 0:
                run.add("lost", cell, losses)
                run.change_stock(cell, -losses, day)
                to_repair = run.binomial(losses, repairable) if repairable > 0 else 0.0
            if att.capacity is not None:  # queued first in, first out; starts as capacity allows
                queue += to_repair
                to_repair = min(queue, per_day * (day - served))
                queue -= to_repair
                served = day
                run.level["awaiting_repair"][back] = queue
            if to_repair > 0 and att.repair_time is not None:
                delay = run.draw(att.repair_time, f"{path}.repair_time")
                self._ship(back, to_repair, day, delay, "in_repair", "repaired")

    # -- orders ------------------------------------------------------------------------------

    def _orders(
        self, order: Order, index: int, end: float, phase: int
    ) -> Generator[simpy.Event, Any, None]:
        """Each order is ordered on its day; from its day + lead time it is delivered at the
        rate, up to its quantity, credited at every action."""
        run = self.run
        path = f"orders.{order.id}"
        quantity = [run.draw(p.quantity, f"{path}.placed") for p in order.placed]
        lead = [run.draw(order.lead_time, f"{path}.lead_time") for _ in order.placed]
        per_day = run.draw(order.deliver.amount, f"{path}.deliver") / order.deliver.period_days
        cell = (order.to, order.item)
        done = [0.0] * len(order.placed)
        days = sorted(set(action_days(order.every_days, end)) | {p.day for p in order.placed})
        for event in self._every([d for d in days if d <= end], phase, index):
            yield event
            day = self.env.now
            for j, placed in enumerate(order.placed):
                if placed.day == day:
                    run.add("ordered", cell, quantity[j])
                    run.add("on_order", cell, quantity[j])
            for j, placed in enumerate(order.placed):
                if placed.day <= day:
                    due = min(quantity[j], per_day * max(day - placed.day - lead[j], 0.0))
                    arriving, done[j] = due - done[j], due
                    if arriving > 0:
                        run.add("on_order", cell, -arriving)
                        run.add("delivered", cell, arriving)
                        run.change_stock(cell, arriving, day)

    # -- consumption -------------------------------------------------------------------------

    def _consumption(
        self, con: Consumption, index: int, end: float, phase: int
    ) -> Generator[simpy.Event, Any, None]:
        run = self.run
        rates = run.draw_schedule(con.rate, f"consumption.{con.id}.rate")
        cell = (con.holder, con.item)
        last = 0.0
        for event in self._every(list(action_days(con.every_days, end)), phase, index):
            yield event
            day = self.env.now
            demand = rates.integral(last, day)
            if con.per is not None:  # a rate per unit of another item on hand
                demand *= max(run.stock((con.holder, con.per)), 0.0)
            can = run.stock(cell)
            if con.ration_days is not None:  # stretched: at most stock / ration per day
                can *= min((day - last) / con.ration_days, 1.0)
            last = day
            taken = min(demand, can)
            run.add("consumed", cell, taken)
            run.add("unmet", cell, demand - taken)
            if taken > 0:
                run.change_stock(cell, -taken, day)


def implements(section: str) -> bool:
    """Whether the oracle simulates the processes of scenario section ``section``."""
    return callable(getattr(_Model, f"_{section}", None))


# -- running ---------------------------------------------------------------------------------


def run_one(
    scenario: Scenario, rng: np.random.Generator, *, deterministic: bool = False
) -> dict[str, Any]:
    """Simulate one run; returns per-run arrays keyed like a ChunkResult's fields."""
    model = _Model(scenario, rng, deterministic)
    model.snapshot()  # the initial state, before any action at day 0
    model.start()
    model.env.run()
    model.run.settle()
    holders, items = list(scenario.holders), list(scenario.items)

    def grid(table: dict[Cell, float], default: float = 0.0) -> np.ndarray:
        return np.array(
            [[table.get((h, i), default) for i in items] for h in holders], dtype=np.float64
        )

    run = model.run
    names = (*LEVELS, *FLOWS)
    return {
        "series": {n: np.stack([grid(snap[n]) for snap in model.snapshots]) for n in names},
        "floor": grid(run.floor),
        "target": grid(run.target),
        "metrics": {name: grid(run.metric[name]) for name in METRICS},
        "pledge_fulfilled_at": dict(run.pledge_fulfilled_at),
        "pledge_total": dict(run.pledge_total),
        "clipped": model.clipped,
    }


def simulate_naive(
    scenario: Scenario,
    runs: int,
    seed: np.random.SeedSequence | int,
    *,
    deterministic: bool = False,
) -> NaiveResult:
    """``runs`` independent runs, each with its own SimPy environment and Generator."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    per_run = [
        run_one(scenario, np.random.default_rng(child), deterministic=deterministic)
        for child in root.spawn(runs)
    ]
    pledges = [d.id for d in scenario.section("donations").values() if d.kind == "pledge"]
    clipped: dict[str, int] = {}
    for one in per_run:
        for key, count in one["clipped"].items():
            clipped[key] = clipped.get(key, 0) + count
    return NaiveResult(
        report_days=report_days(scenario),
        holders=tuple(scenario.holders),
        items=tuple(scenario.items),
        series={k: np.stack([r["series"][k] for r in per_run]) for k in (*LEVELS, *FLOWS)},
        floor=np.stack([r["floor"] for r in per_run]),
        target=np.stack([r["target"] for r in per_run]),
        metrics={k: np.stack([r["metrics"][k] for r in per_run]) for k in METRICS},
        pledge_fulfilled_at={
            p: np.array([r["pledge_fulfilled_at"][p] for r in per_run]) for p in pledges
        },
        pledge_total={p: np.array([r["pledge_total"][p] for r in per_run]) for p in pledges},
        clipped=clipped,
    )
