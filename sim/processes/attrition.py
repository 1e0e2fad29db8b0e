"""Attrition: losses of an item at a holder, some of them repaired and returned later.

Proportional (``r`` per ``P`` days, constant hazard ``-ln(1 - r) / P``, interpolated between
milestones and integrated over the interval to an exposure ``H``): losses ~ Binomial(floor(stock),
1 - exp(-H)). Count (``q`` per ``P`` days): losses ~ Poisson(q * dt / P), capped at the stock.
Repairable losses ~ Binomial(losses, repairable); each action's batch returns together to
``repair_to`` after one ``repair_time`` draw per run, counted ``in_repair`` meanwhile. Only the
runs with losses draw a batch, and only the runs with a batch draw a repair time.

Section ``attrition:`` of a scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from sim import kernels
from sim.distributions import Distribution, Fixed
from sim.processes.calendar import IndexArray
from sim.processes.clock import action_days
from sim.processes.context import Context
from sim.processes.draws import Draws
from sim.processes.kind import Footprint, Kind, Process
from sim.processes.prices import Stepper, rate_of
from sim.processes.schedule import Integrator, draw_hazards
from sim.scenario import values as v
from sim.scenario.model import Rate, Schedule
from sim.scenario.problems import range_error
from sim.scenario.schema import (
    AmountScheduleText,
    Duration,
    FixedDuration,
    Fraction,
    Interpolate,
    Quantity,
    RateText,
    Ref,
    ShareScheduleText,
    Strict,
)

if TYPE_CHECKING:
    from sim.scenario.build import Builder

FloatArray = NDArray[np.float64]


class PerUseSpec(Strict):
    """Wear: one unit lost for every ``every`` units of ``item`` the holder uses."""

    item: Ref = Field(description="Item id whose use wears the lost item (shells for barrels).")
    every: Quantity = Field(
        description="Units of that item used per unit lost (a barrel life: 1.5k to 3k rounds), "
        "drawn once per run."
    )


class AttritionSpec(Strict):
    """Losses at a holder: proportional (rate), a count (losses) or wear from use (per_use),
    some repairable."""

    holder: Ref = Field(description="Holder id whose stock suffers losses.")
    item: Ref = Field(description="Item id lost.")
    rate: ShareScheduleText | None = Field(
        None, description="Fraction lost per period under a constant hazard: 33%/9mo."
    )
    losses: AmountScheduleText | None = Field(
        None,
        description="Count of losses per period: 10/w (or money per period for a priced item).",
    )
    per_use: PerUseSpec | None = Field(
        None,
        description="Wear from use: one unit lost for every `every` units of `item` the holder "
        "consumed since the last action (Poisson; its mean when deterministic).",
    )
    interpolate: Interpolate = Field("linear", description="Between milestones: linear or step.")
    repairable: Fraction = Field(0, description="Fraction of losses that can be repaired.")
    repair_time: Duration | None = Field(None, description="Repair turnaround, drawn per batch.")
    repair_to: Ref | None = Field(
        None, description="Holder id that gets repaired items back (default: the holder)."
    )
    repair_capacity: RateText | None = Field(
        None,
        description="Repairs that can start per period (10/mo), drawn once per run; the rest "
        "wait, first in first out, as awaiting_repair at the repair_to holder.",
    )
    every: FixedDuration = Field("1w", description="How often losses are applied.")


@dataclass(frozen=True)
class Attrition:
    """Losses of ``item`` at ``holder``: proportional (``rate``) or a count rate (``losses``)."""

    id: str
    holder: str
    item: str
    kind: Literal["proportional", "count", "wear"]
    rate: Schedule | None  # None for wear
    repairable: Distribution = Fixed(0.0)
    repair_time: Distribution | None = None  # days, drawn per repair batch
    repair_to: str = ""  # holder that gets repaired items back ("": the holder itself)
    every_days: float = 7.0
    used: str | None = None  # wear: the item whose consumption wears this one
    life: Distribution | None = None  # wear: units of ``used`` per unit lost
    capacity: Rate | None = None  # repairs that can start per period (None: no limit)

    def __post_init__(self) -> None:
        if not self.repair_to:
            object.__setattr__(self, "repair_to", self.holder)


def build(b: Builder, name: str, spec: AttritionSpec) -> Attrition | None:
    """The attrition process ``name``, or None (with the problems reported) if it is wrong."""
    path = ("attrition", name)
    b.known((*path, "holder"), spec.holder, "holder")
    b.known((*path, "item"), spec.item, "item")
    if spec.repair_to is not None:
        b.known((*path, "repair_to"), spec.repair_to, "holder")
    repairable = b.value((*path, "repairable"), spec.repairable, "fraction", 1.0)
    repair_time = None
    if spec.repair_time is not None:
        repair_time = b.duration((*path, "repair_time"), spec.repair_time)
    elif repairable is not None and repairable.mean > 0:
        b.out.error((*path, "repairable"), "repairable losses need a repair_time",
                    "add e.g. repair_time: 1 to 2 mo")  # fmt: skip
    every = b.every((*path, "every"), spec.every)
    capacity = _capacity(b, path, spec.repair_capacity, repairable)
    if spec.repair_capacity is not None and capacity is None:
        return None
    given = [k for k in ("rate", "losses", "per_use") if getattr(spec, k) is not None]
    if len(given) != 1:
        what = " and ".join(given) if given else "none"
        hint = "rate: 33%/9mo (proportional), losses: 10/w (a count) or per_use (wear)"
        b.out.error(path, f"attrition needs exactly one of rate, losses or per_use (got {what})",
                    hint)  # fmt: skip
        return None
    if spec.per_use is not None:
        wear = _wear(b, name, spec, spec.per_use, repairable, repair_time, every)
        return None if wear is None else replace(wear, capacity=capacity)
    if spec.rate is not None:
        kind: Literal["proportional", "count", "wear"] = "proportional"
        if _a_count(spec.rate):
            message = f"a rate of losses is a fraction per period, got {spec.rate!r}"
            b.out.error((*path, "rate"), message, f"for a count write losses: {spec.rate}")
            return None
        rate = b.schedule((*path, "rate"), spec.rate, "fraction", spec.interpolate, 1.0)
    else:
        kind = "count"
        rate = b.schedule((*path, "losses"), spec.losses, "quantity", spec.interpolate,
                          item=spec.item)  # fmt: skip
    if rate is None or repairable is None or every is None:
        return None
    return Attrition(name, spec.holder, spec.item, kind, rate, repairable, repair_time,
                     spec.repair_to or "", every, capacity=capacity)  # fmt: skip


def _capacity(
    b: Builder, path: tuple[str, ...], raw: object, repairable: Distribution | None
) -> Rate | None:
    if raw is None:
        return None
    where = (*path, "repair_capacity")
    capacity = b.out.parse(where, v.parse_rate, raw, "quantity")
    if capacity is None:
        return None
    problem = range_error(capacity.amount, 0.0)
    if problem is not None:
        b.out.grammar(where, problem)
        return None
    if repairable is not None and repairable.mean <= 0:
        b.out.error(where, "a repair capacity needs repairable losses", "add e.g. repairable: 60%")
        return None
    return capacity


def _wear(
    b: Builder, name: str, spec: AttritionSpec, use: PerUseSpec,
    repairable: Distribution | None, repair_time: Distribution | None, every: float | None,
) -> Attrition | None:  # fmt: skip
    path = ("attrition", name, "per_use")
    b.known((*path, "item"), use.item, "item")
    life = b.value((*path, "every"), use.every, "quantity")
    if use.item == spec.item:
        b.out.error((*path, "item"), "an item cannot wear itself out",
                    "per_use names what wears it: item: shell_155 for howitzers")  # fmt: skip
        return None
    consumes = b.tree.get("consumption") if isinstance(b.tree, dict) else None
    users = consumes.values() if isinstance(consumes, dict) else []
    if not any(isinstance(u, dict) and u.get("holder") == spec.holder and u.get("item") == use.item
               for u in users):  # fmt: skip
        b.out.warn((*path, "item"), f"nothing consumes {use.item} at {spec.holder}: no wear",
                   f"add a consumption of {use.item} by {spec.holder}")  # fmt: skip
    if life is None or repairable is None or every is None:
        return None
    if life.quantile(0.05) <= 0:
        b.out.error((*path, "every"), "units used per unit lost must be above 0",
                    "a barrel life such as 1.5k to 3k")  # fmt: skip
        return None
    return Attrition(name, spec.holder, spec.item, "wear", None, repairable, repair_time,
                     spec.repair_to or "", every, use.item, life)  # fmt: skip


def _a_count(raw: object) -> bool:
    """Whether a proportional ``rate`` reads as a count of losses (``2/w``: more than one
    whole stock per period, written without %)."""
    if not isinstance(raw, str) or "%" in raw:
        return False
    try:
        return v.parse_rate(raw, "quantity").amount.mean > 1
    except ValueError:  # GrammarError is one: the schedule reports it
        return False


def footprint(process: Attrition) -> Footprint:
    """Lost at the holder; repaired (and in repair) where repaired items return."""
    back = [(process.repair_to, process.item)]
    used = [] if process.used is None else [(process.holder, process.used)]
    return Footprint.of(
        reads=[(process.holder, process.item), *used],
        lost=[(process.holder, process.item)],
        repaired=back,
        in_repair=back if process.repair_time is not None else [],
        awaiting_repair=back if process.capacity is not None else [],
    )


def attrition(ctx: Context, spec: Attrition, index: int) -> Process:
    """Apply losses every ``every`` days and send repairable ones to repair."""
    path = f"attrition.{spec.id}"
    draws = ctx.draws(path)
    proportional = spec.kind == "proportional"
    exposure: Stepper
    if spec.rate is None:  # wear: expected losses from the use since the last action
        exposure = _Wear(ctx, spec, draws, f"{path}.per_use.every")
    elif proportional:
        exposure = Integrator(draw_hazards(spec.rate, draws, f"{path}.rate"))
    else:
        exposure = rate_of(ctx, spec.rate, draws, f"{path}.losses", spec.item)
    repairable = draws.value(spec.repairable, f"{path}.repairable", 0.0, 1.0)
    repairs = _Repairs(ctx, spec, repairable) if np.any(repairable > 0) else None
    losses_draws = ctx.draws(f"{path}.losses")
    c = ctx.cell(spec.holder, spec.item)
    ledger = ctx.ledger
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, KIND.phase, index)
        stock = ledger.stock[c]
        if proportional:
            losses = losses_draws.binomial(np.floor(stock), -np.expm1(-exposure.step(day)))
        else:
            losses = np.minimum(losses_draws.poisson(exposure.step(day)), stock)
        ledger.remove(c, losses, "lost", day)
        if repairs is not None:
            repairs.send(losses, day)


class _Wear:
    """Expected losses since the last action: the units of the used item the holder consumed
    since then over the drawn life (units used per unit lost)."""

    def __init__(self, ctx: Context, spec: Attrition, draws: Draws, path: str) -> None:
        if spec.used is None or spec.life is None:
            raise ValueError(f"attrition {spec.id} wears from no use")
        self.ledger = ctx.ledger
        self.c = ctx.cell(spec.holder, spec.used)
        self.life = np.maximum(draws.value(spec.life, path), 1e-9)  # a draw clipped at 0
        self.last = np.zeros(ctx.runs)  # consumed is cumulative from 0

    def step(self, t: float) -> FloatArray:
        now = np.array(self.ledger.level("consumed", self.c))
        used, self.last = now - self.last, now
        return np.asarray(used / self.life, dtype=np.float64)


class _Repairs:
    """Sends the repairable share of each action's losses to repair, in the runs that have one."""

    def __init__(self, ctx: Context, spec: Attrition, repairable: FloatArray) -> None:
        self.ctx = ctx
        self.spec = spec
        self.repairable = repairable
        self.path = f"attrition.{spec.id}.repair_time"
        self.back = ctx.cell(spec.repair_to, spec.item)
        self.batches = ctx.draws(f"attrition.{spec.id}.batches")
        self.times = ctx.draws(self.path)
        self.per_day: FloatArray | None = None  # repairs that can start per day, per run
        if spec.capacity is not None:
            where = f"attrition.{spec.id}.repair_capacity"
            self.per_day = ctx.draws(where).value(spec.capacity.amount, where) / (
                spec.capacity.period_days
            )
            self.queue = np.zeros(ctx.runs)
            self.last = 0.0

    def send(self, losses: FloatArray, day: float) -> None:
        """The repairable share of ``losses`` to repair: at once, or through the queue when
        repairs are limited (every action starts what the capacity since the last allows)."""
        runs, batch = self._batches(losses)
        if self.per_day is None:
            if len(runs):
                self._start(runs, batch, day)
            return
        ledger = self.ctx.ledger
        if len(runs):
            waiting = np.zeros(self.ctx.runs)
            waiting[runs] = batch
            self.queue += waiting
            ledger.hold(self.back, "awaiting_repair", waiting)
        started = np.minimum(self.queue, self.per_day * (day - self.last))
        self.last = day
        runs = np.flatnonzero(started > 0.0)
        if len(runs):
            self.queue -= started
            ledger.hold(self.back, "awaiting_repair", -started)
            self._start(runs, started[runs], day)

    def _batches(self, losses: FloatArray) -> tuple[IndexArray, FloatArray]:
        """A batch ``Binomial(losses, repairable)`` (``n * p`` when deterministic) per run with
        losses: the runs with a batch, and their batches."""
        if self.ctx.deterministic:  # n * p in the runs with losses
            hit = np.flatnonzero(losses)
            batch = self.batches.binomial(losses[hit], self.repairable[hit])
            runs, batch = hit[batch > 0.0], batch[batch > 0.0]
        else:
            runs, batch = kernels.repair_batches(self.batches.rng, losses, self.repairable)
        return runs, batch

    def _start(self, runs: IndexArray, batch: FloatArray, day: float) -> None:
        """Repairs start: one repair time per run with a batch."""
        calendar = self.ctx.calendar
        if self.spec.repair_time is None:
            every = np.zeros(self.ctx.runs)
            every[runs] = batch
            calendar.deliver(self.back, "in_repair", every, day)
            return
        delays = self.times.value(self.spec.repair_time, self.path, size=len(runs))
        calendar.ship(self.back, "in_repair", runs, batch, day, delays)


KIND = Kind(
    section="attrition",
    label="attrition process",
    description="Attrition process id -> process.",
    spec=AttritionSpec,
    model=Attrition,
    build=build,
    footprint=footprint,
    process=attrition,
    delays=lambda a: (
        [((a.repair_to or a.holder, a.item), a.repair_time)] if a.repair_time is not None else []
    ),
    phase=30,
)
