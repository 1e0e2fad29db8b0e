"""Attrition: losses of an item at a holder, some of them repaired and returned later.

Proportional (``r`` per ``P`` days, constant hazard ``-ln(1 - r) / P``, interpolated between
milestones and integrated over the interval to an exposure ``H``): losses ~ Binomial(floor(stock),
1 - exp(-H)). Count (``q`` per ``P`` days): losses ~ Poisson(q * dt / P), capped at the stock.
Repairable losses ~ Binomial(losses, repairable); each action's batch returns together to
``repair_to`` after one ``repair_time`` draw per run, counted ``in_repair`` meanwhile. Only the
runs with losses draw a batch, and only the runs with a batch draw a repair time.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from sim import kernels
from sim.processes.calendar import REPAIR
from sim.processes.clock import ATTRITION, action_days
from sim.processes.context import Context
from sim.processes.schedule import Integrator, draw_hazards, draw_rates
from sim.scenario.model import Attrition

FloatArray = NDArray[np.float64]


def attrition(ctx: Context, spec: Attrition, index: int) -> Generator[simpy.Event, Any, None]:
    """Apply losses every ``every`` days and send repairable ones to repair."""
    path = f"attrition.{spec.id}"
    draws = ctx.draws(path)
    proportional = spec.kind == "proportional"
    if proportional:
        exposure = Integrator(draw_hazards(spec.rate, draws, f"{path}.rate"))
    else:
        exposure = Integrator(draw_rates(spec.rate, draws, f"{path}.losses"))
    repairable = draws.value(spec.repairable, f"{path}.repairable", 0.0, 1.0)
    repairs = _Repairs(ctx, spec, repairable) if np.any(repairable > 0) else None
    losses_draws = ctx.draws(f"{path}.losses")
    c = ctx.cell(spec.holder, spec.item)
    ledger = ctx.ledger
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, ATTRITION, index)
        stock = ledger.stock[c]
        if proportional:
            losses = losses_draws.binomial(np.floor(stock), -np.expm1(-exposure.step(day)))
        else:
            losses = np.minimum(losses_draws.poisson(exposure.step(day)), stock)
        ledger.remove(c, losses, "lost", day)
        if repairs is not None:
            repairs.send(losses, day)


class _Repairs:
    """Sends the repairable share of each action's losses to repair, in the runs that have one."""

    def __init__(self, ctx: Context, spec: Attrition, repairable: FloatArray) -> None:
        self.ctx = ctx
        self.spec = spec
        self.repairable = repairable
        self.path = f"attrition.{spec.id}.repair_time"
        self.back = ctx.cell(spec.repair_to or spec.holder, spec.item)
        self.batches = ctx.draws(f"attrition.{spec.id}.batches")
        self.times = ctx.draws(self.path)

    def send(self, losses: FloatArray, day: float) -> None:
        """A batch ``Binomial(losses, repairable)`` (``n * p`` when deterministic) per run with
        losses, and one repair time per run with a batch."""
        if self.ctx.deterministic:  # n * p in the runs with losses
            hit = np.flatnonzero(losses)
            batch = self.batches.binomial(losses[hit], self.repairable[hit])
            runs, batch = hit[batch > 0.0], batch[batch > 0.0]
        else:
            runs, batch = kernels.repair_batches(self.batches.rng, losses, self.repairable)
        if not len(runs):
            return
        calendar = self.ctx.calendar
        if self.spec.repair_time is None:
            every = np.zeros(self.ctx.runs)
            every[runs] = batch
            calendar.deliver(self.back, REPAIR, every, day)
            return
        delays = self.times.value(self.spec.repair_time, self.path, size=len(runs))
        calendar.ship(self.back, REPAIR, runs, batch, day, delays)
