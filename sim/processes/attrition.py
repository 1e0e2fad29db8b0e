"""Attrition: losses of an item at a holder, some of them repaired and returned later.

Proportional (``r`` per ``P`` days, constant hazard ``-ln(1 - r) / P``, interpolated between
milestones and integrated over the interval to an exposure ``H``): losses ~ Binomial(floor(stock),
1 - exp(-H)). Count (``q`` per ``P`` days): losses ~ Poisson(q * dt / P), capped at the stock.
Repairable losses ~ Binomial(losses, repairable); each action's batch returns together to
``repair_to`` after one ``repair_time`` draw per run, counted ``in_repair`` meanwhile.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.processes.calendar import REPAIR
from sim.processes.clock import ATTRITION, action_days
from sim.processes.context import Context
from sim.processes.schedule import Integrator, draw_hazards, draw_rates
from sim.scenario.model import Attrition


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
    repairs = bool(np.any(repairable > 0))
    losses_draws = ctx.draws(f"{path}.losses")
    repair_draws = ctx.draws(f"{path}.repair_time")
    c = ctx.cell(spec.holder, spec.item)
    back = ctx.cell(spec.repair_to or spec.holder, spec.item)
    ledger = ctx.ledger
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, ATTRITION, index)
        stock = ledger.stock[c]
        if proportional:
            losses = losses_draws.binomial(np.floor(stock), -np.expm1(-exposure.step(day)))
        else:
            losses = np.minimum(losses_draws.poisson(exposure.step(day)), stock)
        ledger.remove(c, losses, "lost", day)
        if not repairs:
            continue
        batch = losses_draws.binomial(losses, repairable)  # whole losses, or n * p
        delays = None
        if spec.repair_time is not None:
            delays = repair_draws.value(spec.repair_time, f"{path}.repair_time", counted=batch > 0)
        ctx.calendar.ship(back, REPAIR, batch, day, delays)
