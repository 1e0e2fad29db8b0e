"""Consumption: a holder uses an item at a scheduled rate; what the stock cannot meet is unmet."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from sim import kernels
from sim.processes.clock import CONSUMPTION, action_days
from sim.processes.context import Context
from sim.processes.schedule import Integrator, draw_rates
from sim.scenario.model import Consumption


def consumption(ctx: Context, spec: Consumption, index: int) -> Generator[simpy.Event, Any, None]:
    """Every ``every`` days take the rate integrated over the interval, limited by the stock."""
    path = f"consumption.{spec.id}"
    demand = Integrator(draw_rates(spec.rate, ctx.draws(path), f"{path}.rate"))
    c = ctx.cell(spec.holder, spec.item)
    ledger = ctx.ledger
    unmet = ledger.values["unmet"]
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, CONSUMPTION, index)
        taken = kernels.limit_to_stock(demand.step(day), ledger.stock[c], unmet[c])
        ledger.mark(c, "unmet")
        ledger.remove(c, taken, "consumed", day)
