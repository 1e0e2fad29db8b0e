"""The normalised scenario the engine consumes: plain frozen dataclasses, no YAML, no units.

The loader (``sim.scenario.load``) turns a checked YAML file into these. Conventions:
- times are days since the scenario ``start`` (floats; 1 mo = 365.25/12 d, 1 y = 365.25 d);
- rates are per day; quantities are floats; fractions are in [0, 1];
- every value that may be uncertain is a ``Distribution`` (``Fixed`` when it is known);
- ids are the user's ids, in file order.

Each process kind's own model (``Production``, ``Donation``, ...) is declared with its kind in
``sim/processes/``; a ``Scenario`` holds them by section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.distributions import Distribution, Fixed
from sim.limits import MIN_PRICE

Interpolation = Literal["linear", "step"]

DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Rate:
    """``amount`` per ``period_days``: ``33%/9mo`` is Rate(Fixed(0.33), 273.9375).

    Flow rates are used as ``amount / period_days`` per day; a proportional attrition rate
    is the fraction ``amount`` lost over ``period_days`` under a constant hazard. A rate in
    money (``$1.2B/y``) has its ``currency`` (an ISO code; "" for units of the item): it buys
    units at the item's price when it is used (``sim.processes.prices``).
    """

    amount: Distribution
    period_days: float = 1.0
    currency: str = ""

    @property
    def money(self) -> bool:
        return bool(self.currency)


@dataclass(frozen=True)
class Money:
    """An amount in money (``$675M``): converted to units of an item at the item's price at
    the time it is used (``sim.processes.prices``). ``currency`` is an ISO code."""

    amount: Distribution
    currency: str


#: A quantity of an item: in units, or in money where the format accepts money.
Amount = Distribution | Money


@dataclass(frozen=True)
class Schedule:
    """Milestones ``days`` (ascending, days since start) with a rate at each.

    Before the first milestone the rate is 0; after the last it stays at the last value;
    in between it is interpolated linearly or held (``step``). A plain rate written without
    dates is one milestone at day 0.

    ``factors`` (day, factor), ascending, written ``from DATE: x1.5``: from that day on the
    rate is the schedule's times the factor (a step there, the rates before it untouched;
    several multiply).
    """

    days: tuple[float, ...]
    rates: tuple[Rate, ...]
    interpolate: Interpolation = "linear"
    factors: tuple[tuple[float, float], ...] = ()

    @property
    def money(self) -> bool:
        """Whether the rates are in money (all or none of them are)."""
        return any(rate.money for rate in self.rates)


@dataclass(frozen=True)
class Price:
    """An item's price per unit in the scenario's currency, over time.

    Milestones ``days`` (ascending, days since start) with a value at each, drawn once per
    run; linear in between, the first value before the first milestone and the last after the
    last. ``escalation`` (a fraction per
    ``escalation_days``, drawn once per run) compounds from start on top:
    ``price(t) = base(t) * (1 + g) ** (t / escalation_days)``.

    ``lowest``: the lowest price a run may take on any day (``sim.limits.MIN_PRICE``, or more
    where the item's amounts in money would otherwise buy more than the largest quantity).
    """

    days: tuple[float, ...]
    values: tuple[Distribution, ...]
    escalation: Distribution | None = None
    escalation_days: float = DAYS_PER_YEAR
    lowest: float = MIN_PRICE

    @property
    def varies(self) -> bool:
        """Whether the price can change over time within a run."""
        escalates = self.escalation is not None and not (
            isinstance(self.escalation, Fixed) and self.escalation.value == 0.0
        )
        return len(self.days) > 1 or escalates

    @property
    def fixed(self) -> float | None:
        """The price when it is one known number at all times (else None)."""
        if self.varies or not isinstance(self.values[0], Fixed):
            return None
        return self.values[0].value


@dataclass(frozen=True)
class Item:
    """A kind of materiel; ``price`` (``unit_cost`` in the file) enables value outputs."""

    id: str
    label: str
    unit: str = "units"
    price: Price | None = None

    @property
    def unit_cost(self) -> float | None:
        """The price when it is one known number (None when none is given or it varies)."""
        return None if self.price is None else self.price.fixed


@dataclass(frozen=True)
class Holder:
    """A stock owner. ``target`` lacks an item when it defaults to that item's initial stock."""

    id: str
    label: str
    stock: Mapping[str, Amount] = field(default_factory=dict)  # money: at the price on start
    floor: Mapping[str, Amount] = field(default_factory=dict)
    target: Mapping[str, Amount] = field(default_factory=dict)


Bound = Literal["exact", "at_least", "at_most"]


@dataclass(frozen=True)
class Point:
    """One observed value: ``day`` since start (a whole day), its ``date``, the ``value``."""

    day: float
    date: dt.date
    value: float

    def error_sd(self, share: float | None, units: float | None) -> float:
        """The standard deviation of the reporting error of this value, in units."""
        return self.value * share if share is not None else float(units or 0.0)


@dataclass(frozen=True)
class Observation:
    """Values of ``of`` (a level or cumulative flow) at ``holder``/``item``, by date.

    ``bound`` says how a value compares: ``exact`` (with a normal reporting error whose
    standard deviation is ``error_share`` of the value or ``error_units``), ``at_least`` or
    ``at_most`` (no error). ``points`` are in date order.
    """

    id: str
    holder: str
    item: str
    of: str
    points: tuple[Point, ...]
    bound: Bound = "exact"
    error_share: float | None = None  # sd as a share of each value (exact only)
    error_units: float | None = None  # sd in units (exact only)
    source: str = ""

    def error_sds(self) -> tuple[float, ...]:
        """Each point's reporting error (sd, units); NaN for a bound."""
        if self.bound != "exact":
            return tuple(float("nan") for _ in self.points)
        return tuple(p.error_sd(self.error_share, self.error_units) for p in self.points)


@dataclass(frozen=True)
class Scenario:
    """A whole checked scenario. ``end_day`` is the horizon in days after ``start``."""

    name: str
    start: dt.date
    end_day: float
    items: Mapping[str, Item]
    holders: Mapping[str, Holder]
    processes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # section -> id ->
    #: What was seen of levels and flows, by id (compared with runs, never changes one).
    observations: Mapping[str, Observation] = field(default_factory=dict)
    description: str = ""
    sources: tuple[str, ...] = ()
    report_every_days: float = 7.0
    runs: int = 1000
    seed: int = 0
    currency: str = "USD"  # ISO code of every price and amount in money
    source_path: str = ""  # file it was read from ("" when built in code)
    sha256: str = ""  # of the file's bytes plus any overrides ("" when built in code)
    source_text: str = ""  # the file as read (results keep it: they describe themselves)
    overrides: tuple[str, ...] = ()  # the ``--set`` overrides applied, as written
    #: Line of the fields ``sim.guard`` may name (dotted path; None: given by ``--set``).
    lines: Mapping[str, int | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=int(self.end_day))

    def section(self, name: str) -> Mapping[str, Any]:
        """The processes of section ``name`` (``production``, ...) by id; empty if none."""
        return self.processes.get(name, {})

    def observation_points(self) -> list[tuple[Observation, Point]]:
        """Every observed point with its observation: observations in file order, each one's
        points in date order (the ``point`` dimension of results)."""
        return [(o, p) for o in self.observations.values() for p in o.points]
