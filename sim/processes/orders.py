"""Orders: procurement with lead times. Each order placed on a date arrives after its drawn
lead time at a delivery rate until complete.

Section ``orders:`` of a scenario.

An order of ``q`` units placed on day ``d`` is counted ``ordered`` that day and held
``on_order``; from ``d + lead time`` (drawn per run and order) it is ``delivered`` into the
stock at the ``deliver`` rate (drawn once per run), until all ``q`` are in: complete on day
``d + lead time + q / rate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from sim.distributions import Distribution
from sim.processes.clock import action_days
from sim.processes.context import Context
from sim.processes.kind import Footprint, Kind, Process
from sim.scenario import values as v
from sim.scenario.model import Rate
from sim.scenario.problems import range_error
from sim.scenario.schema import Deliveries, Duration, FixedDuration, RateText, Ref, Strict
from sim.scenario.yaml_source import key_text

if TYPE_CHECKING:
    from sim.scenario.build import Builder

FloatArray = NDArray[np.float64]


class OrderSpec(Strict):
    """Orders of one item for one holder: placed on dates, delivered after a lead time."""

    item: Ref = Field(description="Item id ordered.")
    to: Ref = Field(description="Holder id that ordered and receives the deliveries.")
    placed: Deliveries = Field(description="Orders: date placed -> quantity (units).")
    lead_time: Duration = Field(
        description="From placing an order to its first delivery (3 to 4 y), drawn per run and "
        "order."
    )
    deliver: RateText = Field(description="Delivery rate once an order's lead time has passed "
                              "(2/mo), drawn once per run.")  # fmt: skip
    every: FixedDuration = Field("1w", description="How often deliveries are credited.")


@dataclass(frozen=True)
class Placed:
    day: float
    quantity: Distribution


@dataclass(frozen=True)
class Order:
    id: str
    item: str
    to: str
    placed: tuple[Placed, ...]
    lead_time: Distribution
    deliver: Rate
    every_days: float = 7.0


def build(b: Builder, name: str, spec: OrderSpec) -> Order | None:
    """The orders ``name``, or None (with the problems reported) if they are wrong."""
    path = ("orders", name)
    b.known((*path, "item"), spec.item, "item")
    b.known((*path, "to"), spec.to, "holder")
    placed = []
    for key, raw in spec.placed.items():
        where = (*path, "placed", key_text(key))
        day = b.out.parse(where, v.parse_date, key, b.start)
        quantity = b.value(where, raw, "quantity")
        if day is not None and quantity is not None:
            b.date_in_range(where, day, f"order {key_text(key)}")
            placed.append(Placed(day, quantity))
    lead_time = b.duration((*path, "lead_time"), spec.lead_time)
    deliver = b.out.parse((*path, "deliver"), v.parse_rate, spec.deliver, "quantity")
    if deliver is not None:
        problem = range_error(deliver.amount, 0.0)
        if problem is not None or deliver.amount.quantile(0.05) <= 0:
            b.out.error((*path, "deliver"), "a delivery rate must be above 0", "e.g. 2/mo")
            return None
    every = b.every((*path, "every"), spec.every)
    if not placed or lead_time is None or deliver is None or every is None:
        if not spec.placed:  # an empty mapping (entries with errors are reported already)
            b.out.error((*path, "placed"), "no order placed", "e.g. {2023-06-01: 18}")
        return None
    placed.sort(key=lambda p: p.day)
    return Order(name, spec.item, spec.to, tuple(placed), lead_time, deliver, every)


def footprint(order: Order) -> Footprint:
    """Ordered, on order and delivered at the holder."""
    cell = [(order.to, order.item)]
    return Footprint.of(ordered=cell, on_order=cell, delivered=cell)


def orders(ctx: Context, spec: Order, index: int) -> Process:
    """Place each order on its day; every ``every`` days deliver what each order's rate has
    made due since its lead time passed, up to its quantity."""
    path = f"orders.{spec.id}"
    draws = ctx.draws(path)
    quantity, lead = [], []
    for p in spec.placed:  # each order's quantity and lead time, kept under its date
        quantity.append(draws.value(p.quantity, f"{path}.placed",
                                    key=draws.dated(f"{path}.placed", p.day)))  # fmt: skip
        lead.append(draws.value(spec.lead_time, f"{path}.lead_time",
                                key=draws.dated(f"{path}.lead_time", p.day)))  # fmt: skip
    per_day = draws.value(spec.deliver.amount, f"{path}.deliver") / spec.deliver.period_days
    c = ctx.cell(spec.to, spec.item)
    ledger = ctx.ledger
    delivered = [np.zeros(ctx.runs) for _ in spec.placed]
    placing = sorted(set(p.day for p in spec.placed))
    days = sorted(set(action_days(spec.every_days, ctx.end_day)) | set(placing))
    for day in days:
        if day > ctx.end_day:
            return
        yield ctx.clock.at(day, KIND.phase, index)
        for j, order in enumerate(spec.placed):
            if order.day == day:
                ledger.count(c, "ordered", quantity[j])
                ledger.hold(c, "on_order", quantity[j])
        arriving = np.zeros(ctx.runs)
        for j, order in enumerate(spec.placed):
            if order.day > day:
                continue
            due = np.minimum(quantity[j], per_day * np.maximum(day - order.day - lead[j], 0.0))
            arriving += due - delivered[j]
            delivered[j] = due
        if arriving.any():
            ledger.hold(c, "on_order", -arriving)
            ledger.add(c, arriving, "delivered", day)


KIND = Kind(
    section="orders",
    label="order",
    description="Order id -> orders of one item for one holder.",
    spec=OrderSpec,
    model=Order,
    build=build,
    footprint=footprint,
    process=orders,
    phase=15,
)
