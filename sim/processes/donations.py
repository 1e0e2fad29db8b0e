"""Donations: tranches on their dates, a rate every ``every`` days, or a pledge shipped until met.

A donor ships what it can: with ``keep_floor`` only what it holds above its floor (never
negative), and never more than the donation's ``cap`` in total. The shortfall of a tranche or
a rate (not one due to the cap) is ``unfilled`` of the receiver; a pledge carries it forward.
Shipped goods are ``sent`` by the donor at once and ``received`` on arrival after ``transit``
(drawn per shipment, only in the runs that ship something); meanwhile they are ``in_transit``
of the receiver.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from sim import kernels
from sim.processes.calendar import TRANSIT
from sim.processes.clock import DONATION, action_days
from sim.processes.context import Context
from sim.processes.draws import Draws
from sim.processes.schedule import Integrator, draw_rates
from sim.scenario.model import Donation

FloatArray = NDArray[np.float64]
_NONE = np.zeros(0)  # an absent per-run vector (no cap, shortfall not counted)
_NO_RUNS = np.zeros(0, dtype=bool)
Process = Generator[simpy.Event, Any, None]


class _Giver:
    """Ships from donor to receiver for one donation, keeping its floor and cap."""

    def __init__(self, ctx: Context, spec: Donation, draws: Draws) -> None:
        self.ctx = ctx
        self.spec = spec
        self.donor = ctx.cell(spec.source, spec.item)
        self.receiver = ctx.cell(spec.to, spec.item)
        path = f"donations.{spec.id}"
        self.cap_left = draws.value(spec.cap, f"{path}.cap") if spec.cap is not None else None
        self.transit = ctx.draws(f"{path}.transit") if spec.transit is not None else None

    def give(self, wanted: FloatArray, day: float, *, unfilled: bool) -> FloatArray:
        """Ship up to ``wanted`` per run now; returns what was shipped."""
        ledger, c = self.ctx.ledger, self.donor
        keep_floor = self.spec.keep_floor
        unfilled_row = ledger.values["unfilled"][self.receiver] if unfilled else _NONE
        emptied = np.empty(len(wanted), dtype=bool) if keep_floor else None
        shipped = kernels.shippable(
            wanted, _NONE if self.cap_left is None else self.cap_left, ledger.stock[c],
            ledger.floor[c], keep_floor, unfilled_row, _NO_RUNS if emptied is None else emptied,
        )  # fmt: skip
        if unfilled:
            ledger.mark(self.receiver, "unfilled")
        ledger.remove(c, shipped, "sent", day, to_floor=emptied)
        if self.transit is None or self.spec.transit is None:
            self.ctx.calendar.deliver(self.receiver, TRANSIT, shipped, day)
            return shipped
        runs = np.flatnonzero(shipped > 0.0)  # a transit time only where something ships
        path = f"donations.{self.spec.id}.transit"
        delays = self.transit.value(self.spec.transit, path, size=len(runs))
        self.ctx.calendar.ship(self.receiver, TRANSIT, runs, shipped[runs], day, delays)
        return shipped


def donation(ctx: Context, spec: Donation, index: int) -> Process:
    """The SimPy process of one donation, by its kind."""
    draws = ctx.draws(f"donations.{spec.id}")
    if spec.kind == "deliveries":
        return _tranches(ctx, spec, index, draws)
    if spec.kind == "rate":
        return _rate(ctx, spec, index, draws)
    return _pledge(ctx, spec, index, draws)


def _tranches(ctx: Context, spec: Donation, index: int, draws: Draws) -> Process:
    path = f"donations.{spec.id}.deliveries"
    quantities = [draws.value(t.quantity, path) for t in spec.deliveries]
    giver = _Giver(ctx, spec, draws)
    dated = sorted(zip((t.day for t in spec.deliveries), range(len(quantities)), strict=True))
    for day, j in dated:
        if 0.0 <= day <= ctx.end_day:
            yield ctx.clock.at(day, DONATION, index)
            giver.give(quantities[j], day, unfilled=True)


def _rate(ctx: Context, spec: Donation, index: int, draws: Draws) -> Process:
    if spec.rate is None:
        raise ValueError(f"donation {spec.id} of kind 'rate' has no rate")
    wanted = Integrator(draw_rates(spec.rate, draws, f"donations.{spec.id}.rate"))
    giver = _Giver(ctx, spec, draws)
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, DONATION, index)
        giver.give(wanted.step(day), day, unfilled=True)


def _pledge(ctx: Context, spec: Donation, index: int, draws: Draws) -> Process:
    if spec.pledge is None:
        raise ValueError(f"donation {spec.id} of kind 'pledge' has no pledge")
    path = f"donations.{spec.id}"
    total = draws.value(spec.pledge, f"{path}.pledge")
    per_action = np.full(ctx.runs, np.inf)
    if spec.max_rate is not None:
        per_day = draws.value(spec.max_rate.amount, f"{path}.max_rate") / spec.max_rate.period_days
        per_action = per_day * spec.every_days
    giver = _Giver(ctx, spec, draws)
    remaining = total.copy()
    fulfilled = np.where(remaining <= 0.0, spec.start_day, np.nan)
    ctx.pledge_total[spec.id] = total
    ctx.pledge_fulfilled_at[spec.id] = fulfilled
    for day in action_days(spec.every_days, ctx.end_day, spec.start_day):
        if not np.isnan(fulfilled).any():
            return
        yield ctx.clock.at(day, DONATION, index)
        shipped = giver.give(np.minimum(remaining, per_action), day, unfilled=False)
        remaining = np.where(shipped >= remaining, 0.0, remaining - shipped)
        fulfilled[(remaining <= 0.0) & np.isnan(fulfilled)] = day
