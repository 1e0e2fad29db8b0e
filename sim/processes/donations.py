"""Donations: tranches on their dates, a rate every ``every`` days, or a pledge shipped until met.

Section ``donations:`` of a scenario.

A donor ships what it can: with ``keep_floor`` only what it holds above its floor (never
negative), and never more than the donation's ``cap`` in total. The shortfall of a tranche or
a rate (not one due to the cap) is ``unfilled`` of the receiver, unless the donor keeps no
stock (a hub with no target forwards what it has); a pledge carries it forward.
Shipped goods are ``sent`` by the donor at once and ``received`` on arrival after ``transit``
(drawn per shipment, only in the runs that ship something); meanwhile they are ``in_transit``
of the receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, StrictBool

from sim import kernels
from sim.distributions import Distribution
from sim.processes.clock import action_days
from sim.processes.context import Context
from sim.processes.draws import Draws
from sim.processes.kind import Footprint, Kind, Process
from sim.processes.prices import Stepper, amount_of, rate_of
from sim.scenario import values as v
from sim.scenario.datafile import at_cell, names_file, read_table
from sim.scenario.model import Amount, Money, Rate, Scenario, Schedule
from sim.scenario.problems import range_error
from sim.scenario.schema import (
    AmountScheduleText,
    AmountText,
    DateText,
    DeliveriesOrFile,
    Duration,
    FixedDuration,
    Interpolate,
    Ref,
    Strict,
)
from sim.scenario.yaml_source import Path, key_text

if TYPE_CHECKING:
    from sim.scenario.build import Builder

FloatArray = NDArray[np.float64]
DonationKind = Literal["deliveries", "rate", "pledge"]
TRANCHE_COLUMNS = ("date", "quantity")  # of a deliveries data file
_NONE = np.zeros(0)  # an absent per-run vector (no cap, shortfall not counted)
_NO_RUNS = np.zeros(0, dtype=bool)


class DonationSpec(Strict):
    """Transfers from one holder to another: tranches, a rate, or a pledge."""

    from_: Ref = Field(alias="from", description="Donor holder id.")
    to: Ref = Field(description="Receiving holder id.")
    item: Ref = Field(description="Item id donated.")
    deliveries: DeliveriesOrFile | None = Field(
        None,
        description="Tranches: date -> quantity (units, or money such as $675M for a priced "
        "item, converted at the price on that date), or {file: data/x.csv}: a CSV file with "
        "columns date,quantity, relative to the scenario file.",
    )
    rate: AmountScheduleText | None = Field(
        None,
        description="Shipping rate, or a schedule (units, or money per period such as "
        "$100M/mo, converted at the price of each day).",
    )
    interpolate: Interpolate = Field("linear", description="Between milestones: linear or step.")
    pledge: AmountText | None = Field(
        None,
        description="Total promised (drawn once per run), shipped every `every` as fast as the "
        "stock above the floor and max_rate allow (units, or money: each shipment counts at the "
        "price of its day).",
    )
    max_rate: AmountScheduleText | None = Field(
        None,
        description="Pledge only: fastest shipping rate (units or money per period), or a pace "
        "that ramps: a schedule date -> rate, integrated over each interval like a rate.",
    )
    start: DateText | None = Field(
        None, description="Pledge only: first shipping date (default: the scenario start)."
    )
    by: DateText | None = Field(
        None, description="Pledge only: deadline, reported; shipping carries on after it."
    )
    every: FixedDuration = Field("1w", description="How often a rate or pledge ships.")
    transit: Duration | None = Field(
        None, description="Shipping time, drawn per shipment; arrivals rounded to whole days."
    )
    keep_floor: StrictBool = Field(True, description="Never ship below the donor's floor.")
    cap: AmountText | None = Field(
        None,
        description="Cumulative maximum shipped, drawn once per run (units, or money: each "
        "shipment counts at the price of its day).",
    )


@dataclass(frozen=True)
class Tranche:
    day: float
    quantity: Amount


@dataclass(frozen=True)
class Donation:
    """Exactly one of ``deliveries``, ``rate``, ``pledge`` is set (``kind`` says which)."""

    id: str
    source: str  # the donor holder (``from`` in YAML)
    to: str
    item: str
    kind: DonationKind
    deliveries: tuple[Tranche, ...] = ()
    rate: Schedule | None = None
    pledge: Amount | None = None
    max_rate: Rate | Schedule | None = None  # pledge only: one rate, or a pace that ramps
    start_day: float = 0.0  # pledge only
    by_day: float | None = None  # pledge deadline (reported; shipping carries on after it)
    every_days: float = 7.0
    transit: Distribution | None = None  # days, drawn per shipment
    keep_floor: bool = True
    cap: Amount | None = None  # cumulative maximum shipped


def pledges(scenario: Scenario) -> list[Donation]:
    """The scenario's pledges, in file order (their fulfilment is a result of its own)."""
    donations: Mapping[str, Donation] = scenario.section("donations")
    return [d for d in donations.values() if d.kind == "pledge"]


def footprint(donation: Donation) -> Footprint:
    """Sent from the donor; received (and in transit, unfilled) at the receiver."""
    receiver = [(donation.to, donation.item)]
    return Footprint.of(
        reads=[(donation.source, donation.item)],
        sent=[(donation.source, donation.item)],
        received=receiver,
        in_transit=receiver if donation.transit is not None else [],
        unfilled=receiver if donation.kind != "pledge" else [],
    )


# -- reading the section ------------------------------------------------------------------------


def build(b: Builder, name: str, spec: DonationSpec) -> Donation | None:
    """The donation ``name``, or None (with the problems reported) if it is wrong."""
    path = ("donations", name)
    b.known((*path, "from"), spec.from_, "holder")
    b.known((*path, "to"), spec.to, "holder")
    if spec.from_ == spec.to:
        b.out.error((*path, "to"), "a donation's from and to are the same holder")
    b.known((*path, "item"), spec.item, "item")
    kind = _read_kind(b, path, spec)
    every = b.every((*path, "every"), spec.every)
    transit = b.duration((*path, "transit"), spec.transit) if spec.transit is not None else None
    cap = b.amount((*path, "cap"), spec.cap, spec.item) if spec.cap is not None else None
    if kind is None:
        return None
    base = Donation(name, spec.from_, spec.to, spec.item, kind, every_days=every or 7.0,
                    transit=transit, keep_floor=spec.keep_floor, cap=cap)  # fmt: skip
    if kind == "deliveries":
        tranches = _read_tranches(b, (*path, "deliveries"), spec.deliveries, spec.item)
        return replace(base, deliveries=tranches)
    if kind == "rate":
        return replace(base, rate=b.schedule((*path, "rate"), spec.rate, "quantity",
                                             spec.interpolate, item=spec.item))  # fmt: skip
    return _read_pledge(b, spec, base)


def _read_kind(b: Builder, path: Path, spec: DonationSpec) -> DonationKind | None:
    every_mode: tuple[DonationKind, ...] = ("deliveries", "rate", "pledge")
    modes = [m for m in every_mode if getattr(spec, m) is not None]
    for option in ("max_rate", "by", "start"):
        if getattr(spec, option) is not None and modes != ["pledge"]:
            b.out.error((*path, option), f"'{option}' applies only to a pledge")
    if len(modes) != 1:
        what = " and ".join(modes) if modes else "none"
        hint = "a donation has exactly one of deliveries:, rate:, pledge:"
        b.out.error(path, f"a donation needs exactly one way to ship (got {what})", hint)
        return None
    return modes[0]


def _read_tranches(b: Builder, path: Path, raw: Any, item: str) -> tuple[Tranche, ...]:
    if names_file(raw):
        return _read_tranche_file(b, path, raw, item)
    tranches: dict[float, Tranche] = {}
    for key, value in raw.items():
        where = (*path, key_text(key))
        _add_tranche(b, tranches, where, key, b.amount(where, value, item))
    return tuple(tranches[d] for d in sorted(tranches))


def _read_tranche_file(b: Builder, path: Path, raw: Any, item: str) -> tuple[Tranche, ...]:
    """Tranches from a CSV file with columns date,quantity (problems at their line:column)."""
    table = read_table(b.out, path, raw, TRANCHE_COLUMNS)
    if table is None:
        return ()
    b.data_files.append((table.file, table.data))
    tranches: dict[float, Tranche] = {}
    for row in table.rows:
        date, quantity = row["date"], row["quantity"]
        with at_cell(b, table, quantity, path):
            amount = b.amount(path, quantity.text, item)
        with at_cell(b, table, date, path):
            _add_tranche(b, tranches, path, date.text, amount)
    return tuple(tranches[d] for d in sorted(tranches))


def _add_tranche(
    b: Builder, tranches: dict[float, Tranche], where: Path, key: Any, quantity: Amount | None
) -> None:
    day = b.out.parse(where, v.parse_date, key, b.start)
    if day is None or quantity is None:
        return
    if day in tranches and b.start is not None:
        b.out.error(where, "two tranches on the same day", "merge them into one")
        return
    b.date_in_range(where, day, f"tranche {key_text(key)}")
    tranches[day] = Tranche(day, quantity)


def _read_pledge(b: Builder, spec: DonationSpec, base: Donation) -> Donation | None:
    path = ("donations", base.id)
    total = b.amount((*path, "pledge"), spec.pledge, base.item)
    max_rate: Rate | Schedule | None = None
    if isinstance(spec.max_rate, dict):  # a pace that ramps: a schedule, like a rate
        max_rate = b.schedule((*path, "max_rate"), spec.max_rate, "quantity", spec.interpolate,
                              item=base.item)  # fmt: skip
        if max_rate is None:
            return None
    elif spec.max_rate is not None:
        where = (*path, "max_rate")
        max_rate = b.out.parse(where, v.parse_rate, spec.max_rate, "quantity", True)
        problem = range_error(max_rate.amount, 0.0) if max_rate else None
        if problem is not None:
            b.out.grammar(where, problem)
        if max_rate is not None and max_rate.money:
            max_rate = max_rate if b.money(where, max_rate.currency, base.item) else None
    start_day = 0.0
    if spec.start is not None:
        start_day = b.out.parse((*path, "start"), v.parse_date, spec.start, b.start) or 0
    by_day = None
    if spec.by is not None:
        by_day = b.out.parse((*path, "by"), v.parse_date, spec.by, b.start)
        if by_day is not None and by_day < start_day:
            b.out.error((*path, "by"), "the deadline is before the pledge starts")
        elif by_day is not None:
            b.date_in_range((*path, "by"), by_day, "deadline")
    if total is None:
        return None
    return replace(base, pledge=total, max_rate=max_rate, start_day=start_day, by_day=by_day)


# -- the process --------------------------------------------------------------------------------


class _Giver:
    """Ships from donor to receiver for one donation, keeping its floor and cap."""

    def __init__(self, ctx: Context, spec: Donation, draws: Draws) -> None:
        self.ctx = ctx
        self.spec = spec
        self.donor = ctx.cell(spec.source, spec.item)
        self.receiver = ctx.cell(spec.to, spec.item)
        path = f"donations.{spec.id}"
        cap = spec.cap
        self.cap_left = draws.value(amount_of(cap), f"{path}.cap") if cap is not None else None
        self.cap_in_money = isinstance(cap, Money)  # then cap_left is money, counted at each
        self.transit_path = f"{path}.transit"
        self.transit = ctx.draws(self.transit_path) if spec.transit is not None else None
        # A donor that keeps no stock (a hub: no target) forwards what it has and owes nothing.
        owes = ctx.ledger.target[self.donor] > 0.0
        self.owes = None if owes.all() else owes  # None: every run owes
        self.owes_nothing = not owes.any()

    def give(self, wanted: FloatArray, day: float, *, unfilled: bool) -> FloatArray:
        """Ship up to ``wanted`` per run now; returns what was shipped."""
        ledger, c = self.ctx.ledger, self.donor
        keep_floor = self.spec.keep_floor
        unfilled = unfilled and not self.owes_nothing
        short = np.empty(len(wanted)) if unfilled else _NONE
        emptied = np.empty(len(wanted), dtype=bool) if keep_floor else None
        cap = self.cap_left
        if cap is not None and self.cap_in_money:  # what is left of it buys at today's price
            price = self.ctx.prices.at(self.spec.item, day)
            cap = cap / price
        shipped = kernels.shippable(
            wanted, _NONE if cap is None else cap, ledger.stock[c],
            ledger.floor[c], keep_floor, short, _NO_RUNS if emptied is None else emptied,
        )  # fmt: skip
        if cap is not None and self.cap_in_money:
            self.cap_left = cap * price
        if unfilled:
            ledger.count(
                self.receiver, "unfilled", short if self.owes is None else short * self.owes
            )
        ledger.remove(c, shipped, "sent", day, to_floor=emptied)
        if self.transit is None or self.spec.transit is None:
            self.ctx.calendar.deliver(self.receiver, "in_transit", shipped, day)
            return shipped
        runs = np.flatnonzero(shipped > 0.0)  # a transit time only where something ships
        delays = self.transit.value(self.spec.transit, self.transit_path, size=len(runs))
        self.ctx.calendar.ship(self.receiver, "in_transit", runs, shipped[runs], day, delays)
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
    quantities = [draws.value(amount_of(t.quantity), path, key=draws.dated(path, t.day))
                  for t in spec.deliveries]  # fmt: skip
    giver = _Giver(ctx, spec, draws)
    dated = sorted(zip((t.day for t in spec.deliveries), range(len(quantities)), strict=True))
    for day, j in dated:
        if 0.0 <= day <= ctx.end_day:
            yield ctx.clock.at(day, KIND.phase, index)
            wanted = quantities[j]
            if isinstance(spec.deliveries[j].quantity, Money):  # bought at the day's price
                wanted = ctx.prices.units(spec.item, wanted, day)
            giver.give(wanted, day, unfilled=True)


def _rate(ctx: Context, spec: Donation, index: int, draws: Draws) -> Process:
    if spec.rate is None:
        raise ValueError(f"donation {spec.id} of kind 'rate' has no rate")
    wanted = rate_of(ctx, spec.rate, draws, f"donations.{spec.id}.rate", spec.item)
    giver = _Giver(ctx, spec, draws)
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, KIND.phase, index)
        giver.give(wanted.step(day), day, unfilled=True)


def _pledge(ctx: Context, spec: Donation, index: int, draws: Draws) -> Process:
    if spec.pledge is None:
        raise ValueError(f"donation {spec.id} of kind 'pledge' has no pledge")
    path = f"donations.{spec.id}"
    total = draws.value(amount_of(spec.pledge), f"{path}.pledge")
    in_money = isinstance(spec.pledge, Money)  # remaining is money: each shipment at its price
    per_action = np.full(ctx.runs, np.inf)
    fastest: Stepper | None = None  # a max_rate in money buys fewer units as the price rises
    if isinstance(spec.max_rate, Schedule):  # a pace that ramps: integrated over each interval
        fastest = rate_of(ctx, spec.max_rate, draws, f"{path}.max_rate", spec.item,
                          start=spec.start_day)  # fmt: skip
    elif spec.max_rate is not None and spec.max_rate.money:
        fastest = rate_of(ctx, Schedule((0.0,), (spec.max_rate,)), draws, f"{path}.max_rate",
                          spec.item, start=spec.start_day)  # fmt: skip
    elif spec.max_rate is not None:
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
        yield ctx.clock.at(day, KIND.phase, index)
        price = ctx.prices.at(spec.item, day) if in_money else None
        left = remaining if price is None else remaining / price
        if fastest is not None:
            per_action = fastest.step(day)
        shipped = giver.give(np.minimum(left, per_action), day, unfilled=False)
        left = np.where(shipped >= left, 0.0, left - shipped)
        remaining = left if price is None else left * price
        fulfilled[(remaining <= 0.0) & np.isnan(fulfilled)] = day


KIND = Kind(
    section="donations",
    label="donation",
    description="Donation id -> donation.",
    spec=DonationSpec,
    model=Donation,
    build=build,
    footprint=footprint,
    process=donation,
    delays=lambda d: [((d.to, d.item), d.transit)] if d.transit is not None else [],
    phase=20,
)
