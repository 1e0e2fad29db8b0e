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

from sim.distributions import Distribution

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
class Scenario:
    """A whole checked scenario. ``end_day`` is the horizon in days after ``start``."""

    name: str
    start: dt.date
    end_day: float
    items: Mapping[str, Item]
    holders: Mapping[str, Holder]
    processes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # section -> id ->
    description: str = ""
    sources: tuple[str, ...] = ()
    report_every_days: float = 7.0
    runs: int = 1000
    seed: int = 0
    source_path: str = ""  # file it was read from ("" when built in code)
    sha256: str = ""  # of the file's bytes plus any overrides ("" when built in code)
    source_text: str = ""  # the file as read (results keep it: they describe themselves)
    overrides: tuple[str, ...] = ()  # the ``--set`` overrides applied, as written

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=int(self.end_day))

    def section(self, name: str) -> Mapping[str, Any]:
        """The processes of section ``name`` (``production``, ...) by id; empty if none."""
        return self.processes.get(name, {})
