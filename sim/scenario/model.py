"""The normalised scenario the engine consumes: plain frozen dataclasses, no YAML, no units.

The loader (``sim.scenario.load``) turns a checked YAML file into these. Conventions:
- times are days since the scenario ``start`` (floats; 1 mo = 365.25/12 d, 1 y = 365.25 d);
- rates are per day; quantities are floats; fractions are in [0, 1];
- every value that may be uncertain is a ``Distribution`` (``Fixed`` when it is known);
- ids are the user's ids, in file order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sim.distributions import Distribution, Fixed

Interpolation = Literal["linear", "step"]

DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Rate:
    """``amount`` per ``period_days``: ``33%/9mo`` is Rate(Fixed(0.33), 273.9375).

    Flow rates are used as ``amount / period_days`` per day; a proportional attrition rate
    is the fraction ``amount`` lost over ``period_days`` under a constant hazard.
    """

    amount: Distribution
    period_days: float = 1.0


@dataclass(frozen=True)
class Schedule:
    """Milestones ``days`` (ascending, days since start) with a rate at each.

    Before the first milestone the rate is 0; after the last it stays at the last value;
    in between it is interpolated linearly or held (``step``). A plain rate written without
    dates is one milestone at day 0.
    """

    days: tuple[float, ...]
    rates: tuple[Rate, ...]
    interpolate: Interpolation = "linear"


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    unit: str = "units"
    unit_cost: float | None = None  # USD per unit


@dataclass(frozen=True)
class Holder:
    """A stock owner. ``target`` lacks an item when it defaults to that item's initial stock."""

    id: str
    label: str
    stock: Mapping[str, Distribution] = field(default_factory=dict)
    floor: Mapping[str, Distribution] = field(default_factory=dict)
    target: Mapping[str, Distribution] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Tranche:
    day: float
    quantity: Distribution


@dataclass(frozen=True)
class Donation:
    """Exactly one of ``deliveries``, ``rate``, ``pledge`` is set (``kind`` says which)."""

    id: str
    source: str  # the donor holder (``from`` in YAML)
    to: str
    item: str
    kind: Literal["deliveries", "rate", "pledge"]
    deliveries: tuple[Tranche, ...] = ()
    rate: Schedule | None = None
    pledge: Distribution | None = None
    max_rate: Rate | None = None  # pledge only
    start_day: float = 0.0  # pledge only
    by_day: float | None = None  # pledge deadline (reported; shipping carries on after it)
    every_days: float = 7.0
    transit: Distribution | None = None  # days, drawn per shipment
    keep_floor: bool = True
    cap: Distribution | None = None  # cumulative maximum shipped


@dataclass(frozen=True)
class Attrition:
    """Losses of ``item`` at ``holder``: proportional (``rate``) or a count rate (``losses``)."""

    id: str
    holder: str
    item: str
    kind: Literal["proportional", "count"]
    rate: Schedule
    repairable: Distribution = Fixed(0.0)
    repair_time: Distribution | None = None  # days, drawn per repair batch
    repair_to: str = ""  # holder; the loader fills in ``holder`` when omitted
    every_days: float = 7.0


@dataclass(frozen=True)
class Consumption:
    id: str
    holder: str
    item: str
    rate: Schedule
    every_days: float = 1.0


@dataclass(frozen=True)
class Scenario:
    """A whole checked scenario. ``end_day`` is the horizon in days after ``start``."""

    name: str
    start: dt.date
    end_day: float
    items: Mapping[str, Item]
    holders: Mapping[str, Holder]
    production: Mapping[str, Production] = field(default_factory=dict)
    donations: Mapping[str, Donation] = field(default_factory=dict)
    attrition: Mapping[str, Attrition] = field(default_factory=dict)
    consumption: Mapping[str, Consumption] = field(default_factory=dict)
    description: str = ""
    sources: tuple[str, ...] = ()
    report_every_days: float = 7.0
    runs: int = 1000
    seed: int = 0
    source_path: str = ""  # file it was read from ("" when built in code)
    sha256: str = ""  # of the file's bytes plus any overrides ("" when built in code)
    #: Line of the fields ``sim.guard`` may name (dotted path; None: given by ``--set``).
    lines: Mapping[str, int | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=int(self.end_day))
