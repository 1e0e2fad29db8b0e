"""Consumption: a holder uses an item at a scheduled rate; what the stock cannot meet is unmet.

Section ``consumption:`` of a scenario.

With ``per: ITEM`` the rate is per unit of ITEM the holder has on hand at each action (rounds
per gun per day). With ``ration: DURATION`` a holder with less than that many days of demand
left stretches it: it uses stock / ration per day instead of the full demand, so with no
inflow its stock halves every ration × ln 2 days; what it does not use is ``unmet``.
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
from sim.processes.production import starved
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
    per: Ref | None = Field(
        None,
        description="Item id: the rate is per unit of this item the holder has on hand at each "
        "action (rounds per gun per day: per: howitzer, rate: 15 to 30 /d).",
    )
    ration: FixedDuration | None = Field(
        None,
        description="Below this many days of demand, the holder uses stock / ration per day "
        "instead of the full demand (fire that falls as stocks run low; the rest is unmet).",
    )


@dataclass(frozen=True)
class Consumption:
    id: str
    holder: str
    item: str
    rate: Schedule
    every_days: float = 1.0
    per: str | None = None  # item whose stock on hand multiplies the rate
    ration_days: float | None = None


def build(b: Builder, name: str, spec: ConsumptionSpec) -> Consumption | None:
    """The consumption process ``name``, or None (with the problems reported) if it is wrong."""
    path = ("consumption", name)
    b.known((*path, "holder"), spec.holder, "holder")
    b.known((*path, "item"), spec.item, "item")
    rate = b.schedule((*path, "rate"), spec.rate, "quantity", spec.interpolate, item=spec.item)
    every = b.every((*path, "every"), spec.every)
    ration = None
    if spec.per is not None:
        b.known((*path, "per"), spec.per, "item")
        if spec.per == spec.item:
            b.out.error((*path, "per"), "an item cannot be used per unit of itself",
                        "per names what uses it: per: howitzer for shells")  # fmt: skip
            return None
        if rate is not None and rate.money:
            b.out.error((*path, "rate"), "a rate per unit of another item is in units",
                        "write e.g. 20/d per gun")  # fmt: skip
            return None
        if starved(b.tree, {spec.holder: 1.0}, {spec.per: 1.0}):
            b.out.warn((*path, "per"), f"{spec.holder} starts with no {spec.per} and nothing "
                       "brings it any: it never uses this", f"give holders.{spec.holder}.stock."
                       f"{spec.per}")  # fmt: skip
    if spec.ration is not None:
        ration = b.every((*path, "ration"), spec.ration)
        if ration is None:
            return None
    if rate is None or every is None:
        return None
    return Consumption(name, spec.holder, spec.item, rate, every, spec.per, ration)


def footprint(process: Consumption) -> Footprint:
    """Consumed (and unmet) at the holder."""
    cell = [(process.holder, process.item)]
    reads = cell if process.per is None else [*cell, (process.holder, process.per)]
    return Footprint.of(reads=reads, consumed=cell, unmet=cell)


def consumption(ctx: Context, spec: Consumption, index: int) -> Process:
    """Every ``every`` days take the rate integrated over the interval, limited by the stock."""
    path = f"consumption.{spec.id}"
    demand = rate_of(ctx, spec.rate, ctx.draws(path), f"{path}.rate", spec.item)
    c = ctx.cell(spec.holder, spec.item)
    users = None if spec.per is None else ctx.cell(spec.holder, spec.per)
    ledger = ctx.ledger
    last = 0.0
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, KIND.phase, index)
        wanted = demand.step(day)
        if users is not None:
            wanted = wanted * np.maximum(ledger.stock[users], 0.0)
        stock = ledger.stock[c]
        if spec.ration_days is None:
            taken = np.minimum(wanted, stock)
        else:  # stretch what is left: at most stock / ration per day
            taken = np.minimum(wanted, stock * min((day - last) / spec.ration_days, 1.0))
        last = day
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
