"""From a parsed YAML tree to the normalised ``Scenario``, with every cross-field check.

Structure is checked by the pydantic models in ``schema``; values are read by the grammar in
``values``; references between sections, ranges and exclusive options are checked here. Every
problem is collected in the ``Collector``; nothing stops at the first one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from sim.distributions import Distribution, Fixed
from sim.limits import MAX_DAYS, MAX_QUANTITY, MAX_RUNS, MAX_SEED, MIN_STEP_DAYS, TAIL
from sim.scenario import model
from sim.scenario import values as v
from sim.scenario.problems import Collector, nearest, range_error, translate
from sim.scenario.schema import (
    PROCESS_SECTIONS,
    AttritionSpec,
    ConsumptionSpec,
    DonationSpec,
    HolderSpec,
    ItemSpec,
    ProductionSpec,
    ScenarioSpec,
)
from sim.scenario.yaml_source import Path, key_text

ID = re.compile(r"[a-z][a-z0-9_]*")
M = TypeVar("M", bound=BaseModel)
INF = math.inf
DonationKind = Literal["deliveries", "rate", "pledge"]


class Builder:
    """Reads one scenario tree; ``build()`` returns the Scenario or None if anything is wrong."""

    def __init__(self, tree: dict[Any, Any], out: Collector) -> None:
        self.tree = tree
        self.out = out
        self.bad: set[Path] = set()
        self.start: dt.date | None = None
        self.end_day = INF
        self.items = self._ids("items")
        self.holders = self._ids("holders")

    # ---- structure -------------------------------------------------------------------------

    def check_structure(self) -> None:
        try:
            ScenarioSpec.model_validate(self.tree)
        except ValidationError as exc:
            for error in exc.errors():
                path, message, hint = translate(error)
                self.out.error(path, message, hint)
                self.bad.add(tuple(str(p) for p in error["loc"][:2]))

    def _ids(self, section: str) -> dict[str, None]:
        """The text keys of ``section``, in file order (a dict: membership is quick)."""
        entries = self.tree.get(section)
        if not isinstance(entries, dict):
            return {}
        return {k: None for k in entries if isinstance(k, str)}

    def _entries(self, section: str, spec: type[M]) -> list[tuple[str, M]]:
        """The entries of a section that passed the structure check, with ids checked."""
        entries = self.tree.get(section)
        if not isinstance(entries, dict) or (section,) in self.bad:
            return []
        result = []
        for key, raw in entries.items():
            name = key_text(key)
            if not ID.fullmatch(name):
                self.out.error(
                    (section, name),
                    f"'{name}' is not a valid id",
                    "ids are lower case: a letter, then letters, digits or _ (us_army)",
                )
                continue
            if (section, name) not in self.bad:
                with contextlib.suppress(ValidationError):  # reported by check_structure
                    result.append((name, spec.model_validate(raw)))
        return result

    # ---- top level -------------------------------------------------------------------------

    def header(self) -> dict[str, Any]:
        tree, out = self.tree, self.out
        if "start" in tree:
            self.start = out.parse(("start",), v.parse_start, tree["start"])
        self._end()
        every = self._every(("report_every",), tree.get("report_every", "1w"))

        def good(key: str, default: Any, kind: type | tuple[type, ...]) -> Any:
            value = tree.get(key, default)
            ok = isinstance(value, kind) and not isinstance(value, bool) and (key,) not in self.bad
            return value if ok else default

        return {
            "name": good("name", "", str),
            "description": good("description", "", str),
            "sources": tuple(good("sources", [], list)),
            "runs": self._at_most("runs", good("runs", 1000, int), MAX_RUNS, 1000),
            "seed": self._at_most("seed", good("seed", 0, int), MAX_SEED, 0),
            "report_every_days": every or 7.0,
        }

    def _at_most(self, key: str, value: int, limit: int, default: int) -> int:
        if value <= limit:
            return value
        self.out.error((key,), f"must be at most {limit:,}, got {value:,}", "see docs/limits.md")
        return default

    def _end(self) -> None:
        tree, out = self.tree, self.out
        given = [k for k in ("end", "horizon") if tree.get(k) is not None]
        if len(given) != 1:
            what = "both end and horizon" if given else "neither end nor horizon"
            out.error((), f"{what} given", "give exactly one: end: 2027-12-31 or horizon: 5y")
            return
        if given == ["end"]:
            end = out.parse(("end",), v.parse_date, tree["end"], self.start)
        else:
            end = out.parse(("horizon",), v.parse_fixed_duration, tree["horizon"])
        if end is None or self.start is None:
            return
        if end <= 0:
            out.error((given[0],), "the end is not after start", f"start is {self.start}")
            return
        if given == ["horizon"] and out.parse(
            ("horizon",), v.check_day, self.start, end, f"start + {v.describe(tree['horizon'])}"
        ) is None:  # fmt: skip
            return
        self.end_day = end

    def _every(self, path: Path, raw: Any) -> float | None:
        every = self.out.parse(path, v.parse_fixed_duration, raw)
        if every is not None and every <= 0:
            self.out.error(path, f"must be a positive duration, got {v.describe(raw)}", "e.g. 1w")
            return None
        if every is not None and not MIN_STEP_DAYS <= every <= MAX_DAYS:
            self.out.error(
                path, f"must be between one second and {MAX_DAYS:g} d, got {v.describe(raw)}"
            )
            return None
        return every

    # ---- values ----------------------------------------------------------------------------

    def value(
        self, path: Path, raw: Any, kind: v.Kind = "quantity", high: float = INF
    ) -> Distribution | None:
        """A value in [0, high] (fixed, or a distribution not wholly outside)."""
        dist = self.out.parse(path, v.parse_value, raw, kind)
        return self._ranged(path, dist, high)

    def duration(self, path: Path, raw: Any) -> Distribution | None:
        dist = self.out.parse(path, v.parse_duration, raw)
        return self._ranged(path, dist, INF, MAX_DAYS, " d")

    def _ranged(
        self,
        path: Path,
        dist: Distribution | None,
        high: float,
        limit: float = MAX_QUANTITY,
        unit: str = "",
    ) -> Distribution | None:
        if dist is None:
            return None
        problem = range_error(dist, 0.0, high, limit=limit, unit=unit)
        if problem is not None:
            self.out.grammar(path, problem)
            return None
        return dist

    def schedule(
        self,
        path: Path,
        raw: Any,
        kind: v.Kind,
        interpolate: model.Interpolation,
        high: float = INF,
    ) -> model.Schedule | None:
        def check(rate: model.Rate) -> None:
            problem = range_error(rate.amount, 0.0, high, high_open=high < INF)
            if problem is None and kind == "quantity":
                problem = self._over_horizon(rate)
            if problem is not None:
                raise problem

        schedule, errors = v.parse_schedule(raw, self.start, kind, interpolate, check)
        for error in errors:
            self.out.grammar(path, error)
        if schedule is not None and isinstance(raw, Mapping):
            self._warn_dates(path, raw, "milestone")
        return schedule

    def _over_horizon(self, rate: model.Rate) -> v.GrammarError | None:
        """An error if ``rate`` at its largest (its far tail) moves more than ``MAX_QUANTITY``
        over the horizon (the longest supported one while the horizon is unknown)."""
        days = self.end_day if self.end_day < INF else MAX_DAYS
        amount = max(abs(rate.amount.quantile(q)) for q in (TAIL, 1 - TAIL))
        total = amount / rate.period_days * days
        if total <= MAX_QUANTITY:
            return None
        message = f"over {days:g} days this rate would move {total:g}, beyond {MAX_QUANTITY:g}"
        return v.GrammarError(message, "a rate of at most the largest quantity over the horizon")

    def _warn_dates(self, path: Path, raw: Mapping[Any, Any], what: str) -> None:
        for key in raw:
            day = v.parse_date(key, self.start)
            self.date_in_range((*path, key_text(key)), day, f"{what} {key_text(key)}")

    def date_in_range(self, path: Path, day: float, what: str) -> None:
        if self.start is None:
            return
        if day < 0 or day > self.end_day:
            end = self.start + dt.timedelta(days=self.end_day)
            self.out.warn(path, f"{what} is outside the scenario ({self.start} to {end})")

    def known(self, path: Path, name: str, what: Literal["holder", "item"]) -> bool:
        ids = self.holders if what == "holder" else self.items
        if name in ids:
            return True
        self.out.error(path, f"unknown {what} '{name}'", nearest(name, ids, what + "s"))
        return False

    def per_item(self, path: Path, raw: Mapping[str, Any]) -> dict[str, Distribution]:
        result = {}
        for item, value in raw.items():
            if self.known((*path, item), item, "item"):
                dist = self.value((*path, item), value)
                if dist is not None:
                    result[item] = dist
        return result

    # ---- sections --------------------------------------------------------------------------

    def item(self, name: str, spec: ItemSpec) -> model.Item:
        cost = None
        if spec.unit_cost is not None:
            path = ("items", name, "unit_cost")
            cost = self.out.parse(path, v.parse_fixed, spec.unit_cost)
            if cost is not None and cost < 0:
                self.out.error(path, f"must be >= 0, got {cost:g}")
        return model.Item(name, spec.label or name, spec.unit, cost)

    def holder(self, name: str, spec: HolderSpec) -> model.Holder:
        path = ("holders", name)
        return model.Holder(
            name,
            spec.label or name,
            stock=self.per_item((*path, "stock"), spec.stock),
            floor=self.per_item((*path, "floor"), spec.floor),
            target=self.per_item((*path, "target"), spec.target),
        )

    def production(self, name: str, spec: ProductionSpec) -> model.Production | None:
        path = ("production", name)
        self.known((*path, "item"), spec.item, "item")
        shares = self.shares((*path, "to"), spec.to)
        rate = self.schedule((*path, "rate"), spec.rate, "quantity", spec.interpolate)
        slip = self.duration((*path, "slip"), spec.slip) if spec.slip is not None else None
        yield_ = self.value((*path, "yield"), spec.yield_, "fraction", 1.0)
        inputs = self.per_item((*path, "inputs"), spec.inputs)
        if spec.item in inputs:
            self.out.error((*path, "inputs", spec.item), "an item cannot be an input to itself")
        every = self._every((*path, "every"), spec.every)
        if shares is None or rate is None or yield_ is None or every is None:
            return None
        return model.Production(name, spec.item, shares, rate, slip, yield_, inputs, every)

    def shares(self, path: Path, raw: Any) -> dict[str, float] | None:
        if not isinstance(raw, Mapping):
            name = str(raw)
            return {name: 1.0} if self.known(path, name, "holder") else None
        shares: dict[str, float] = {}
        for holder, share in raw.items():
            where = (*path, key_text(holder))
            fraction = self.out.parse(where, v.parse_fixed, share, "fraction")
            if self.known(where, key_text(holder), "holder") and fraction is not None:
                problem = range_error(Fixed(fraction), 0.0, 1.0)
                if problem is not None:
                    self.out.grammar(where, problem)
                shares[key_text(holder)] = fraction
        if len(shares) == len(raw) and abs(sum(shares.values()) - 1) > 1e-9:
            total = sum(shares.values())
            self.out.error(path, f"shares sum to {total:g}, not 1", "e.g. {us: 70%, ukraine: 30%}")
            return None
        return shares if len(shares) == len(raw) and shares else None

    def donation(self, name: str, spec: DonationSpec) -> model.Donation | None:
        path = ("donations", name)
        self.known((*path, "from"), spec.from_, "holder")
        self.known((*path, "to"), spec.to, "holder")
        if spec.from_ == spec.to:
            self.out.error((*path, "to"), "a donation's from and to are the same holder")
        self.known((*path, "item"), spec.item, "item")
        kind = self._donation_kind(path, spec)
        every = self._every((*path, "every"), spec.every)
        transit = None
        if spec.transit is not None:
            transit = self.duration((*path, "transit"), spec.transit)
        cap = self.value((*path, "cap"), spec.cap) if spec.cap is not None else None
        if kind is None:
            return None
        base = model.Donation(
            name,
            spec.from_,
            spec.to,
            spec.item,
            kind,
            every_days=every or 7.0,
            transit=transit,
            keep_floor=spec.keep_floor,
            cap=cap,
        )
        if kind == "deliveries":
            return replace(base, deliveries=self.tranches((*path, "deliveries"), spec.deliveries))
        if kind == "rate":
            rate = self.schedule((*path, "rate"), spec.rate, "quantity", spec.interpolate)
            return replace(base, rate=rate)
        return self.pledge(spec, base)

    def _donation_kind(self, path: Path, spec: DonationSpec) -> DonationKind | None:
        every_mode: tuple[DonationKind, ...] = ("deliveries", "rate", "pledge")
        modes = [m for m in every_mode if getattr(spec, m) is not None]
        for option in ("max_rate", "by", "start"):
            if getattr(spec, option) is not None and modes != ["pledge"]:
                self.out.error((*path, option), f"'{option}' applies only to a pledge")
        if len(modes) != 1:
            what = " and ".join(modes) if modes else "none"
            hint = "a donation has exactly one of deliveries:, rate:, pledge:"
            self.out.error(path, f"a donation needs exactly one way to ship (got {what})", hint)
            return None
        return modes[0]

    def tranches(self, path: Path, raw: Any) -> tuple[model.Tranche, ...]:
        tranches: dict[float, model.Tranche] = {}
        for key, value in raw.items():
            where = (*path, key_text(key))
            day = self.out.parse(where, v.parse_date, key, self.start)
            quantity = self.value(where, value)
            if day is None or quantity is None:
                continue
            if day in tranches and self.start is not None:
                self.out.error(where, "two tranches on the same day", "merge them into one")
                continue
            self.date_in_range(where, day, f"tranche {key_text(key)}")
            tranches[day] = model.Tranche(day, quantity)
        return tuple(tranches[d] for d in sorted(tranches))

    def pledge(self, spec: DonationSpec, base: model.Donation) -> model.Donation | None:
        path = ("donations", base.id)
        total = self.value((*path, "pledge"), spec.pledge)
        max_rate = None
        if spec.max_rate is not None:
            max_rate = self.out.parse((*path, "max_rate"), v.parse_rate, spec.max_rate)
            problem = range_error(max_rate.amount, 0.0) if max_rate else None
            if problem is not None:
                self.out.grammar((*path, "max_rate"), problem)
        start_day = 0.0
        if spec.start is not None:
            start_day = self.out.parse((*path, "start"), v.parse_date, spec.start, self.start) or 0
        by_day = None
        if spec.by is not None:
            by_day = self.out.parse((*path, "by"), v.parse_date, spec.by, self.start)
            if by_day is not None and by_day < start_day:
                self.out.error((*path, "by"), "the deadline is before the pledge starts")
            elif by_day is not None:
                self.date_in_range((*path, "by"), by_day, "deadline")
        if total is None:
            return None
        return replace(
            base,
            pledge=total,
            max_rate=max_rate,
            start_day=start_day,
            by_day=by_day,
        )

    def attrition(self, name: str, spec: AttritionSpec) -> model.Attrition | None:
        path = ("attrition", name)
        self.known((*path, "holder"), spec.holder, "holder")
        self.known((*path, "item"), spec.item, "item")
        repair_to = spec.repair_to or spec.holder
        if spec.repair_to is not None:
            self.known((*path, "repair_to"), spec.repair_to, "holder")
        repairable = self.value((*path, "repairable"), spec.repairable, "fraction", 1.0)
        repair_time = None
        if spec.repair_time is not None:
            repair_time = self.duration((*path, "repair_time"), spec.repair_time)
        elif repairable is not None and repairable.mean > 0:
            self.out.error(
                (*path, "repairable"),
                "repairable losses need a repair_time",
                "add e.g. repair_time: 1 to 2 mo",
            )
        every = self._every((*path, "every"), spec.every)
        if (spec.rate is None) == (spec.losses is None):
            what = "both" if spec.rate is not None else "neither"
            hint = "rate: 33%/9mo (proportional) or losses: 10/w (a count)"
            self.out.error(
                path, f"attrition needs exactly one of rate or losses (got {what})", hint
            )
            return None
        if spec.rate is not None:
            kind: Literal["proportional", "count"] = "proportional"
            rate = self.schedule((*path, "rate"), spec.rate, "fraction", spec.interpolate, 1.0)
        else:
            kind = "count"
            rate = self.schedule((*path, "losses"), spec.losses, "quantity", spec.interpolate)
        if rate is None or repairable is None or every is None:
            return None
        return model.Attrition(
            name, spec.holder, spec.item, kind, rate, repairable, repair_time, repair_to, every
        )

    def consumption(self, name: str, spec: ConsumptionSpec) -> model.Consumption | None:
        path = ("consumption", name)
        self.known((*path, "holder"), spec.holder, "holder")
        self.known((*path, "item"), spec.item, "item")
        rate = self.schedule((*path, "rate"), spec.rate, "quantity", spec.interpolate)
        every = self._every((*path, "every"), spec.every)
        if rate is None or every is None:
            return None
        return model.Consumption(name, spec.holder, spec.item, rate, every)

    # ---- whole -----------------------------------------------------------------------------

    def unique_process_ids(self) -> None:
        seen: dict[str, str] = {}
        for section in PROCESS_SECTIONS:
            for name in self._ids(section):
                if name in seen:
                    self.out.error(
                        (section, name),
                        f"process id '{name}' is also used in {seen[name]}",
                        "process ids name random streams and results: make them unique",
                    )
                seen.setdefault(name, f"{section}.{name}")

    def build(self) -> model.Scenario | None:
        """The Scenario, or None when any problem was recorded."""
        self.check_structure()
        head = self.header()
        self.unique_process_ids()
        items = {n: self.item(n, s) for n, s in self._entries("items", ItemSpec)}
        holders = {n: self.holder(n, s) for n, s in self._entries("holders", HolderSpec)}
        production = {
            n: self.production(n, s) for n, s in self._entries("production", ProductionSpec)
        }
        donations = {n: self.donation(n, s) for n, s in self._entries("donations", DonationSpec)}
        attrition = {n: self.attrition(n, s) for n, s in self._entries("attrition", AttritionSpec)}
        consumption = {
            n: self.consumption(n, s) for n, s in self._entries("consumption", ConsumptionSpec)
        }
        if self.out.errors or self.start is None:
            return None
        return model.Scenario(
            start=self.start,
            end_day=self.end_day,
            items=items,
            holders=holders,
            production=_complete(production),
            donations=_complete(donations),
            attrition=_complete(attrition),
            consumption=_complete(consumption),
            **head,
        )


T = TypeVar("T")


def _complete(entries: dict[str, T | None]) -> dict[str, T]:
    return {k: e for k, e in entries.items() if e is not None}
