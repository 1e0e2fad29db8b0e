"""From a parsed YAML tree to the normalised ``Scenario``, with every cross-field check.

Structure is checked by the pydantic models in ``schema``; values are read by the grammar in
``values``; references between sections, ranges and exclusive options are checked here and in
each process kind's ``build`` (``sim.processes.registry``), which uses the helpers of the
``Builder``. Every problem is collected in the ``Collector``; nothing stops at the first one.
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

from sim.currency import DEFAULT as DEFAULT_CURRENCY
from sim.currency import symbol
from sim.distributions import Distribution, Fixed
from sim.flows import BY_NAME
from sim.limits import MAX_DAYS, MAX_QUANTITY, MAX_RUNS, MAX_SEED, MIN_STEP_DAYS, TAIL
from sim.processes.registry import kinds
from sim.scenario import model, pricing
from sim.scenario import observations as observed
from sim.scenario import values as v
from sim.scenario.observations import SECTION, ObservationSpec
from sim.scenario.problems import Collector, nearest, range_error, translate
from sim.scenario.schema import HolderSpec, ItemSpec, scenario_spec
from sim.scenario.yaml_source import Path, key_text

ID = re.compile(r"[a-z][a-z0-9_]*")
M = TypeVar("M", bound=BaseModel)
INF = math.inf


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
        self.currency = DEFAULT_CURRENCY
        #: Items with a price (``unit_cost``): amounts in money may stand for their units.
        self.priced = self._priced()
        #: Data files read (as shown, bytes): they belong in the scenario's hash.
        self.data_files: list[tuple[str, bytes]] = []
        #: Per priced item, the amounts in money read (far tails; rates over the horizon).
        self.spent: dict[str, list[tuple[Path, float]]] = {}

    # ---- structure -------------------------------------------------------------------------

    def check_structure(self) -> None:
        try:
            scenario_spec().model_validate(self.tree)
        except ValidationError as exc:
            for error in exc.errors():
                path, message, hint = translate(error)
                self.out.error(path, message, hint)
                self.bad.add(tuple(str(p) for p in error["loc"][:2]))

    def _priced(self) -> set[str]:
        entries = self.tree.get("items")
        if not isinstance(entries, dict):
            return set()
        return {
            key_text(key)
            for key, raw in entries.items()
            if isinstance(raw, dict) and raw.get("unit_cost") is not None
        }

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
        every = self.every(("report_every",), tree.get("report_every", "1w"))
        if tree.get("currency") is not None and ("currency",) not in self.bad:
            code = out.parse(("currency",), v.parse_currency, tree["currency"])
            self.currency = code or self.currency

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
            "currency": self.currency,
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
            later = (max(given, key=list(tree).index),) if given else ()  # the second one written
            out.error(later, f"{what} given", "give exactly one: end: 2027-12-31 or horizon: 5y")
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

    def every(self, path: Path, raw: Any) -> float | None:
        """A positive fixed duration in days (``every``, ``report_every``)."""
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

    def amount(self, path: Path, raw: Any, item: str) -> model.Amount | None:
        """A quantity of ``item`` >= 0: in units, or in money (``$675M``) when ``item`` has a
        price, converted at the price of the day when it is used."""
        parsed = self.out.parse(path, v.parse_amount, raw)
        if isinstance(parsed, model.Money):
            if not self.money(path, parsed.currency, item):
                return None
            dist = self._ranged(path, parsed.amount, INF)
            if dist is None:
                return None
            self.spent.setdefault(item, []).append((path, _far(dist)))
            return model.Money(dist, parsed.currency)
        return self._ranged(path, parsed, INF)

    def money(self, path: Path, currency: str, item: str) -> bool:
        """Whether an amount in ``currency`` may stand for units of ``item`` (reported if not):
        it is in the scenario's currency and the item has a price."""
        ok = True
        if currency != self.currency:
            mark = symbol(self.currency) or self.currency
            self.out.error(
                path,
                f"an amount in {v.currency_label(currency)}, but the scenario's currency is "
                f"{v.currency_label(self.currency)}",
                f"write it in {mark}, or set currency: {currency} at the top of the file",
            )
            ok = False
        if item in self.items and item not in self.priced:
            self.out.error(
                path,
                f"an amount in money needs a price for item '{item}'",
                f"give items.{item}.unit_cost (a value or a dated schedule)",
            )
            ok = False
        return ok

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
        item: str | None = None,
    ) -> model.Schedule | None:
        """A schedule of rates in [0, high]; of ``item``, the rates may be in money."""

        def check(rate: model.Rate) -> None:
            problem = range_error(rate.amount, 0.0, high, high_open=high < INF)
            if problem is None and kind == "quantity":
                problem = self._over_horizon(rate)
            if problem is not None:
                raise problem

        schedule, errors = v.parse_schedule(
            raw, self.start, kind, interpolate, check, money=item is not None
        )
        for error in errors:
            self.out.grammar(path, error)
        if schedule is not None and item is not None and schedule.money:
            currencies = dict.fromkeys(rate.currency for rate in schedule.rates)
            if not all([self.money(path, currency, item) for currency in currencies]):
                return None
            days = self.end_day if self.end_day < INF else MAX_DAYS
            most = max(_far(r.amount) / r.period_days * days for r in schedule.rates)
            self.spent.setdefault(item, []).append((path, most))
        if schedule is not None and isinstance(raw, Mapping):
            self._warn_dates(path, raw, "milestone")
        return schedule

    def _over_horizon(self, rate: model.Rate) -> v.GrammarError | None:
        """An error if ``rate`` at its largest (its far tail) moves more than ``MAX_QUANTITY``
        over the horizon (the longest supported one while the horizon is unknown)."""
        days = self.end_day if self.end_day < INF else MAX_DAYS
        total = _far(rate.amount) / rate.period_days * days
        if total <= MAX_QUANTITY:
            return None
        message = f"over {days:g} days this rate would move {total:g}, beyond {MAX_QUANTITY:g}"
        return v.GrammarError(message, "a rate of at most the largest quantity over the horizon")

    def _warn_dates(self, path: Path, raw: Mapping[Any, Any], what: str) -> None:
        for key in raw:
            factor = v.factor_key(key)
            if factor is not None:
                self._factor_in_range((*path, key_text(key)), v.parse_date(factor, self.start))
                continue
            day = v.parse_date(key, self.start)
            self.date_in_range((*path, key_text(key)), day, f"{what} {key_text(key)}")

    def _factor_in_range(self, path: Path, day: float) -> None:
        """A factor's date must fall within the scenario (before it, write the factor from
        start; after it, it changes nothing)."""
        if self.start is None or 0 <= day <= self.end_day:
            return
        end = self.start + dt.timedelta(days=self.end_day) if self.end_day < INF else "?"
        self.out.error(path, f"the factor's date is outside the scenario ({self.start} to {end})",
                       f"give a date from {self.start} to {end}")  # fmt: skip

    def date_in_range(self, path: Path, day: float, what: str) -> None:
        if self.start is None:
            return
        if day < 0 or day > self.end_day:
            end = self.start + dt.timedelta(days=self.end_day) if self.end_day < INF else "?"
            self.out.warn(path, f"{what} is outside the scenario ({self.start} to {end})")

    def known(self, path: Path, name: str, what: Literal["holder", "item"]) -> bool:
        ids = self.holders if what == "holder" else self.items
        if name in ids:
            return True
        self.out.error(path, f"unknown {what} '{name}'", nearest(name, ids, what + "s"))
        return False

    def per_item(self, path: Path, raw: Mapping[str, Any]) -> dict[str, Distribution]:
        """Quantities per item, in units."""
        result = {}
        for item, value in raw.items():
            if self.known((*path, item), item, "item"):
                dist = self.value((*path, item), value)
                if dist is not None:
                    result[item] = dist
        return result

    def per_item_amount(self, path: Path, raw: Mapping[str, Any]) -> dict[str, model.Amount]:
        """Quantities per item, in units or in money (for priced items)."""
        result = {}
        for item, value in raw.items():
            if self.known((*path, item), item, "item"):
                amount = self.amount((*path, item), value, item)
                if amount is not None:
                    result[item] = amount
        return result

    # ---- sections --------------------------------------------------------------------------

    def item(self, name: str, spec: ItemSpec) -> model.Item:
        path = ("items", name)
        price = self.price(path, spec.unit_cost) if spec.unit_cost is not None else None
        if spec.escalation is not None:
            if spec.unit_cost is None:
                self.out.error((*path, "escalation"), "escalation needs a unit_cost",
                               "give the price at start: unit_cost: 8000")  # fmt: skip
            escalation = self._escalation((*path, "escalation"), spec.escalation)
            if price is not None and escalation is not None:
                price = replace(price, escalation=escalation.amount,
                                escalation_days=escalation.period_days)  # fmt: skip
        return model.Item(name, spec.label or name, spec.unit, price)

    def price(self, path: Path, raw: Any) -> model.Price | None:
        """``unit_cost``: one value or a mapping date -> value, each > 0, in the currency."""
        where = (*path, "unit_cost")
        points: dict[float, Distribution] = {}
        dated = isinstance(raw, Mapping)
        if dated and not raw:
            self.out.error(where, "a price schedule needs at least one milestone",
                           "write e.g. {2022-01-01: 2k, 2024-01-01: 8.5k}")  # fmt: skip
            return None
        good = True
        for key, value in raw.items() if dated else [(None, raw)]:
            here = where if key is None else (*where, key_text(key))
            day = 0.0 if key is None else self.out.parse(here, v.parse_date, key, self.start)
            value = self._price_value(here, value)
            if day is None or value is None:
                good = False
                continue
            if day in points and self.start is not None:
                self.out.error(here, "two prices on the same day", "keep one of them")
                good = False
                continue
            if key is not None:
                self.date_in_range(here, day, f"price milestone {key_text(key)}")
            points[day] = value
        if not good:
            return None
        days = sorted(points)
        return model.Price(tuple(days), tuple(points[d] for d in days))

    def _price_value(self, path: Path, raw: Any) -> Distribution | None:
        parsed = self.out.parse(path, v.parse_amount, raw)
        if isinstance(parsed, model.Money):
            if parsed.currency != self.currency:
                self.out.error(
                    path,
                    f"a price in {v.currency_label(parsed.currency)}, but the scenario's "
                    f"currency is {v.currency_label(self.currency)}",
                    f"write it in {symbol(self.currency) or self.currency}, or set currency: "
                    f"{parsed.currency} at the top of the file",
                )
                return None
            parsed = parsed.amount
        if parsed is None:
            return None
        problem = range_error(parsed, 0.0, INF)
        if problem is None and isinstance(parsed, Fixed) and parsed.value == 0.0:
            problem = v.GrammarError("a price must be > 0", "leave unit_cost out for no price")
        if problem is not None:
            self.out.grammar(path, problem)
            return None
        return parsed

    def _escalation(self, path: Path, raw: Any) -> model.Rate | None:
        rate = self.out.parse(path, v.parse_rate, raw, "fraction")
        if rate is None:
            return None
        problem = range_error(rate.amount, -1.0, INF)
        if problem is None and isinstance(rate.amount, Fixed) and rate.amount.value <= -1.0:
            problem = v.GrammarError("escalation must be above -100% a period")
        if problem is not None:
            self.out.grammar(path, problem)
            return None
        return rate

    def holder(self, name: str, spec: HolderSpec) -> model.Holder:
        path = ("holders", name)
        holder = model.Holder(
            name,
            spec.label or name,
            stock=self.per_item_amount((*path, "stock"), spec.stock),
            floor=self.per_item_amount((*path, "floor"), spec.floor),
            target=self.per_item_amount((*path, "target"), spec.target),
        )
        for item, floor in holder.floor.items():
            stock = holder.stock.get(item, Fixed(0.0))
            if not (isinstance(floor, Distribution) and isinstance(stock, Distribution)):
                continue  # an amount in money: compared once priced
            if floor.quantile(0.95) > stock.quantile(0.05):
                self.out.warn((*path, "floor", item), _floor_over_stock(floor, stock),
                              "give a floor below the stock's low end")  # fmt: skip
        return holder

    def shares(self, path: Path, raw: Any) -> dict[str, float] | None:
        """A holder id, or shares {holder: fraction} that sum to 1, as holder -> share."""
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

    # ---- whole -----------------------------------------------------------------------------

    def unique_process_ids(self) -> None:
        seen: dict[str, str] = {}
        for section in (k.section for k in kinds()):
            for name in self._ids(section):
                if name in seen:
                    self.out.error(
                        (section, name),
                        f"process id '{name}' is also used in {seen[name]}",
                        "process ids name random streams and results: make them unique",
                    )
                seen.setdefault(name, f"{section}.{name}")

    def warn_unused(
        self,
        holders: Mapping[str, model.Holder],
        moved: Mapping[str, set[tuple[str, str]]],
        observed_at: set[str],
    ) -> None:
        """A holder that holds nothing and that no process or observation names is a slip of
        the pen (an observation of it has a warning of its own)."""
        named = {holder for cells in moved.values() for holder, _ in cells} | observed_at
        for holder in holders.values():
            if holder.id not in named and not (holder.floor or holder.target):
                self.out.warn(("holders", holder.id), "no process names this holder and it "
                              "holds nothing: it is in no result", "name it in a process, "
                              "give it a stock, or remove it")  # fmt: skip

    def build(self) -> model.Scenario | None:
        """The Scenario, or None when any problem was recorded."""
        self.check_structure()
        head = self.header()
        self.unique_process_ids()
        items = {n: self.item(n, s) for n, s in self._entries("items", ItemSpec)}
        holders = {n: self.holder(n, s) for n, s in self._entries("holders", HolderSpec)}
        processes = {
            k.section: _complete(
                {n: k.build(self, n, s) for n, s in self._entries(k.section, k.spec)}
            )
            for k in kinds()
        }
        observations = _complete(
            {n: observed.build(self, n, s) for n, s in self._entries(SECTION, ObservationSpec)}
        )
        if not self.out.errors:
            moved = _moved(holders, processes)
            observed.warn_unmoved(self, observations, moved)
            observed_at = {o.holder for o in observations.values()}
            self.warn_unused(holders, moved, observed_at)
            items = {n: pricing.bounded(self, item) for n, item in items.items()}
        if self.out.errors or self.start is None:
            return None
        return model.Scenario(
            start=self.start,
            end_day=self.end_day,
            items=items,
            holders=holders,
            processes=processes,
            observations=observations,
            **head,
        )


def _far(dist: Distribution) -> float:
    """The largest size ``dist`` takes in its far tails (one draw in ``1 / TAIL``)."""
    return max(abs(dist.quantile(q)) for q in (TAIL, 1 - TAIL))


def _moved(
    holders: Mapping[str, model.Holder], processes: Mapping[str, Mapping[str, Any]]
) -> dict[str, set[tuple[str, str]]]:
    """Per level or flow, the cells a process may change; ``stock`` also where a holder
    starts with some."""
    moved: dict[str, set[tuple[str, str]]] = {"stock": set()}
    for holder in holders.values():
        moved["stock"].update((holder.id, item) for item in holder.stock)
    for kind in kinds():
        for process in processes.get(kind.section, {}).values():
            footprint = kind.footprint(process)
            for name, cells in footprint.writes.items():
                moved.setdefault(name, set()).update(cells)
                if BY_NAME[name].sign:  # a flow in the balance moves the stock too
                    moved["stock"].update(cells)
    return moved


T = TypeVar("T")


def _complete(entries: dict[str, T | None]) -> dict[str, T]:
    """The entries that were read without problems."""
    return {k: e for k, e in entries.items() if e is not None}


def _floor_over_stock(floor: Distribution, stock: Distribution) -> str:
    """The warning for a floor that can start at or above the stock: in every run or some."""
    every = floor.quantile(0.05) > stock.quantile(0.95)  # always so for fixed values
    runs = "exceeds the starting stock in every run" if every else (
        "can exceed the starting stock in some runs")  # fmt: skip
    return f"the floor {runs}: those runs start at or below it and are never depleted"
