"""Production: a line makes an item at a scheduled rate and credits it every ``every`` days.

Section ``production:`` of a scenario.

Each action makes the rate integrated over the interval just ended (``potential``), split by
share among the receiving holders. Inputs come from the receiving holder's stock, ``q`` per unit
made, so output is limited by the scarcest input: ``made = min(potential, min_k stock_k / q_k)``.
Yield applies after the inputs: every unit made consumes its inputs and ``produced = made *
yield`` (rejected units still used their charges).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from sim.distributions import Distribution, Fixed
from sim.processes.clock import action_days
from sim.processes.context import Context
from sim.processes.kind import Cell, Footprint, Kind, Process
from sim.processes.prices import rate_of
from sim.scenario.model import Schedule
from sim.scenario.schema import (
    AmountScheduleText,
    Duration,
    FixedDuration,
    Fraction,
    Interpolate,
    PerItem,
    Ref,
    Shares,
    Strict,
)

if TYPE_CHECKING:
    from sim.scenario.build import Builder

FloatArray = NDArray[np.float64]


class ProductionSpec(Strict):
    """A production line crediting new items to one or more holders."""

    item: Ref = Field(description="Item id produced.")
    to: Shares = Field(description="Holder id, or shares {holder: fraction} that sum to 1.")
    rate: AmountScheduleText = Field(
        description="Output rate (units per period), or a ramp date -> rate; in money "
        "($2B/y) a funded line: output = funds / the price at each moment."
    )
    interpolate: Interpolate = Field("linear", description="Between milestones: linear or step.")
    slip: Duration | None = Field(
        None,
        description="Delay drawn once per run: of every milestone after the first, or, for a "
        "line with one rate, of its start (it makes nothing until start + slip).",
    )
    yield_: Fraction = Field(
        1, alias="yield", description="Fraction of output accepted, drawn once per run."
    )
    inputs: PerItem = Field(
        default_factory=dict,
        description="Units of other items taken from the receiving holder per unit made.",
    )
    every: FixedDuration = Field("1w", description="How often output is credited.")


@dataclass(frozen=True)
class Production:
    id: str
    item: str
    to: Mapping[str, float]  # holder id -> share; shares sum to 1
    rate: Schedule
    slip: Distribution | None = None  # days; delays every milestone after the first
    yield_: Distribution = Fixed(1.0)  # fraction of output accepted
    inputs: Mapping[str, Distribution] = field(default_factory=dict)  # item -> units per unit made
    every_days: float = 7.0


def build(b: Builder, name: str, spec: ProductionSpec) -> Production | None:
    """The line ``name``, or None (with the problems reported) if it is wrong."""
    path = ("production", name)
    b.known((*path, "item"), spec.item, "item")
    shares = b.shares((*path, "to"), spec.to)
    rate = b.schedule((*path, "rate"), spec.rate, "quantity", spec.interpolate, item=spec.item)
    slip = b.duration((*path, "slip"), spec.slip) if spec.slip is not None else None
    yield_ = b.value((*path, "yield"), spec.yield_, "fraction", 1.0)
    inputs = b.per_item((*path, "inputs"), spec.inputs)
    if spec.item in inputs:
        b.out.error((*path, "inputs", spec.item), "an item cannot be an input to itself")
    every = b.every((*path, "every"), spec.every)
    if shares is None or rate is None or yield_ is None or every is None:
        return None
    if slip is not None and len(rate.days) > 1 and min(rate.days[1:]) >= b.end_day:
        b.out.warn((*path, "slip"), "no effect: every milestone it moves is after the end",
                   "a slip delays the milestones after the first")  # fmt: skip
    for holder, item in starved(b.tree, shares, inputs):
        b.out.warn((*path, "to"), f"{holder} starts with no {item} and nothing brings it any: its "
                   "share makes nothing", f"give holders.{holder}.stock.{item}, or a line or "
                   f"donation of {item} to {holder}")  # fmt: skip
    return Production(name, spec.item, shares, rate, slip, yield_, inputs, every)


def starved(tree: Any, shares: Mapping[str, float], inputs: Mapping[str, Any]) -> list[Cell]:
    """(receiver, input) pairs where the receiver starts with none of the input and no line or
    donation in the file brings it any: that receiver's share can make nothing."""

    def entries(section: str) -> list[dict[str, Any]]:
        found = tree.get(section) if isinstance(tree, dict) else None
        return [e for e in found.values() if isinstance(e, dict)] if isinstance(found, dict) else []

    brought: set[tuple[str, str]] = set()
    for section in ("production", "donations", "attrition", "orders"):  # whatever credits a holder
        for entry in entries(section):
            to = entry.get("to", entry.get("repair_to"))
            for holder in to if isinstance(to, dict) else [to]:
                brought.add((str(holder), str(entry.get("item"))))
    holders = tree.get("holders") if isinstance(tree, dict) else None
    out = []
    for holder in shares:
        given = holders.get(holder) if isinstance(holders, dict) else None
        stock = given.get("stock") if isinstance(given, dict) else None
        for item in inputs:
            start = stock.get(item) if isinstance(stock, dict) else None
            if start in (None, 0, "0") and (holder, item) not in brought:
                out.append((holder, item))
    return out


def footprint(line: Production) -> Footprint:
    """Output into each receiver's stock; inputs taken from the same receiver."""
    inputs = [(holder, item) for holder in line.to for item in line.inputs]
    return Footprint.of(
        reads=inputs, produced=[(holder, line.item) for holder in line.to], used=inputs
    )


@dataclass(frozen=True)
class _Input:
    """Input cell ``c`` at one receiver, ``per_unit`` drawn per run."""

    c: int
    per_unit: FloatArray
    limits: bool  # any run needs some of it


@dataclass(frozen=True)
class _Outlet:
    """One receiving holder: its output cell, share, and its own input cells."""

    c: int
    share: float
    inputs: tuple[_Input, ...]


def production(ctx: Context, spec: Production, index: int) -> Process:
    """Credit output every ``every`` days, limited by inputs at each receiver."""
    path = f"production.{spec.id}"
    draws = ctx.draws(path)
    slip = draws.value(spec.slip, f"{path}.slip") if spec.slip is not None else None
    potential = rate_of(ctx, spec.rate, draws, f"{path}.rate", spec.item, slip)
    accepted = draws.value(spec.yield_, f"{path}.yield", 0.0, 1.0)
    per_unit = {k: draws.value(q, f"{path}.inputs.{k}") for k, q in spec.inputs.items()}
    outlets = [
        _Outlet(
            ctx.cell(holder, spec.item),
            share,
            tuple(_Input(ctx.cell(holder, k), q, bool(np.any(q > 0))) for k, q in per_unit.items()),
        )
        for holder, share in spec.to.items()
    ]
    # a line with one rate and a slip makes nothing before its start + slip
    begin = spec.rate.days[0] + slip if slip is not None and len(spec.rate.rates) == 1 else None
    last = 0.0
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, KIND.phase, index)
        made = potential.step(day)
        if begin is not None and day > last:  # the share of the interval after the start
            made = made * np.clip((day - begin) / (day - last), 0.0, 1.0)
        last = day
        for outlet in outlets:
            _make(ctx, outlet, outlet.share * made, accepted, day)


def _make(
    ctx: Context, outlet: _Outlet, potential: FloatArray, accepted: FloatArray, day: float
) -> None:
    ledger = ctx.ledger
    made = potential
    for source in outlet.inputs:
        if source.limits:
            stock = ledger.stock[source.c]
            with np.errstate(over="ignore"):  # a tiny need per unit: no limit (inf)
                limit = np.divide(stock, source.per_unit, out=np.full_like(stock, np.inf),
                                  where=source.per_unit > 0)  # fmt: skip
            made = np.minimum(made, limit)
    for source in outlet.inputs:
        if source.limits:
            used = np.minimum(made * source.per_unit, ledger.stock[source.c])
            ledger.remove(source.c, used, "used", day)
    ledger.add(outlet.c, made * accepted, "produced", day)


KIND = Kind(
    section="production",
    label="production line",
    description="Production line id -> line.",
    spec=ProductionSpec,
    model=Production,
    build=build,
    footprint=footprint,
    process=production,
    phase=10,
)
