"""Consumption: a holder uses an item at a scheduled rate; what the stock cannot meet is unmet.

Section ``consumption:`` of a scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.processes.clock import action_days
from sim.processes.context import Context
from sim.processes.kind import Footprint, Kind, Process
from sim.processes.prices import rate_of
from sim.scenario.model import Schedule
from sim.scenario.schema import AmountScheduleText, FixedDuration, Interpolate, Ref, Strict

if TYPE_CHECKING:
    from sim.scenario.build import Builder


class ConsumptionSpec(Strict):
    """Use of an item by its holder (fires, training)."""

    holder: Ref = Field(description="Holder id that consumes.")
    item: Ref = Field(description="Item id consumed.")
    rate: AmountScheduleText = Field(
        description="Consumption rate, or a schedule date -> rate (units, or money per period "
        "for a priced item)."
    )
    interpolate: Interpolate = Field("linear", description="Between milestones: linear or step.")
    every: FixedDuration = Field("1d", description="How often consumption is applied.")


@dataclass(frozen=True)
class Consumption:
    id: str
    holder: str
    item: str
    rate: Schedule
    every_days: float = 1.0


def build(b: Builder, name: str, spec: ConsumptionSpec) -> Consumption | None:
    """The consumption process ``name``, or None (with the problems reported) if it is wrong."""
    path = ("consumption", name)
    b.known((*path, "holder"), spec.holder, "holder")
    b.known((*path, "item"), spec.item, "item")
    rate = b.schedule((*path, "rate"), spec.rate, "quantity", spec.interpolate, item=spec.item)
    every = b.every((*path, "every"), spec.every)
    if rate is None or every is None:
        return None
    return Consumption(name, spec.holder, spec.item, rate, every)


def footprint(process: Consumption) -> Footprint:
    """Consumed (and unmet) at the holder."""
    cell = [(process.holder, process.item)]
    return Footprint.of(reads=cell, consumed=cell, unmet=cell)


def consumption(ctx: Context, spec: Consumption, index: int) -> Process:
    """Every ``every`` days take the rate integrated over the interval, limited by the stock."""
    path = f"consumption.{spec.id}"
    demand = rate_of(ctx, spec.rate, ctx.draws(path), f"{path}.rate", spec.item)
    c = ctx.cell(spec.holder, spec.item)
    ledger = ctx.ledger
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, KIND.phase, index)
        wanted = demand.step(day)
        taken = np.minimum(wanted, ledger.stock[c])
        ledger.count(c, "unmet", wanted - taken)
        ledger.remove(c, taken, "consumed", day)


KIND = Kind(
    section="consumption",
    label="consumption process",
    description="Consumption process id -> process.",
    spec=ConsumptionSpec,
    model=Consumption,
    build=build,
    footprint=footprint,
    process=consumption,
    phase=40,
)
