"""Production: a line makes an item at a scheduled rate and credits it every ``every`` days.

Each action makes the rate integrated over the interval just ended (``potential``), split by
share among the receiving holders. Inputs come from the receiving holder's stock, ``q`` per unit
made, so output is limited by the scarcest input: ``made = min(potential, min_k stock_k / q_k)``.
Yield applies after the inputs: every unit made consumes its inputs and ``produced = made *
yield`` (rejected units still used their charges).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.processes.clock import PRODUCTION, action_days
from sim.processes.context import Context
from sim.processes.schedule import Integrator, draw_rates
from sim.scenario.model import Production

FloatArray = NDArray[np.float64]


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


def production(ctx: Context, spec: Production, index: int) -> Generator[simpy.Event, Any, None]:
    """Credit output every ``every`` days, limited by inputs at each receiver."""
    path = f"production.{spec.id}"
    draws = ctx.draws(path)
    slip = draws.value(spec.slip, f"{path}.slip") if spec.slip is not None else None
    potential = Integrator(draw_rates(spec.rate, draws, f"{path}.rate", slip))
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
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, PRODUCTION, index)
        made = potential.step(day)
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
