"""Prices per run over time, money converted to units at them, and flows valued as they happen.

Money is a unit, not a process: an item's price (``unit_cost``, ``escalation``) is drawn once per
run from the stream ``items.ID``, and wherever a scenario gives an amount of the item in money
the process converts it here, at the price of the time of its action (docs/model.md):

- an amount (a tranche, a pledge, a cap, a stock at start) buys ``money / price(day)`` units
  at the day it is used; a pledge or cap in money counts each shipment at its day's price;
- a rate in money (a funded line, a donation or consumption rate) buys, over an action's
  interval, ``integral of funds(t) / price(t) dt``: exactly the money integral over the price
  when the price does not change in time, otherwise Gauss-Legendre quadrature on each piece
  where both are smooth, at most a week long (relative error below 1e-12).

Units bought are not rounded: like every flow of the ledger they are real numbers.

``Valuation`` keeps, for items whose price changes in time, the cumulative value of every
flow at the price of the day it moved; for other items the value of a flow is its units times
the run's price and is derived after the run (``sim.values``).

>>> path = PricePath(np.array([0.0]), np.array([[1e6]]), None)
>>> float(Prices({"m777": path}, 1).units("m777", np.array([675e6]), 12.0)[0])
675.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from sim.distributions import Distribution
from sim.flows import FLOWS, value_name
from sim.ledger import Allocate, Ledger, Trajectory
from sim.limits import MAX_PRICE
from sim.processes.draws import Draws
from sim.processes.schedule import DrawnSchedule, Integrator, draw_rates
from sim.scenario.model import Amount, Money, Price, Schedule

if TYPE_CHECKING:
    from sim.processes.clock import Clock
    from sim.processes.context import Context

FloatArray = NDArray[np.float64]

#: Longest piece integrated by one Gauss-Legendre rule (days); longer pieces are split.
PIECE_DAYS = 7.0
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)


def amount_of(amount: Amount) -> Distribution:
    """The distribution of an amount, in units or in money."""
    return amount.amount if isinstance(amount, Money) else amount


@dataclass(frozen=True)
class PricePath:
    """One item's price in every run: milestone ``days`` (P,) with drawn ``values`` (P, runs),
    linear in between and held outside, times ``exp(growth * t)`` per run (``growth`` is the
    escalation's log growth per day, None for none)."""

    days: FloatArray
    values: FloatArray
    growth: FloatArray | None

    @property
    def varies(self) -> bool:
        """Whether the price changes over time in some run."""
        return len(self.days) > 1 or (self.growth is not None and bool(np.any(self.growth)))

    def at(self, day: float) -> FloatArray:
        """The price per run on ``day``."""
        price: FloatArray = self.at_times(np.array([[day]]))[0]
        return price

    def at_times(self, t: FloatArray) -> FloatArray:
        """The price per run at times ``t`` (K, runs) or (K, 1), as (K, runs)."""
        runs = self.values.shape[1]
        t = np.broadcast_to(t, (t.shape[0], runs))
        if len(self.days) == 1:
            price = np.broadcast_to(self.values[0], t.shape).copy()
        else:
            j = np.clip(np.searchsorted(self.days, t, side="right") - 1, 0, len(self.days) - 2)
            start, end = self.days[j], self.days[j + 1]
            w = np.clip((t - start) / (end - start), 0.0, 1.0)
            low = np.take_along_axis(self.values, j, axis=0)
            high = np.take_along_axis(self.values, j + 1, axis=0)
            price = (1.0 - w) * low + w * high  # exactly each milestone's value on its day
        if self.growth is not None:
            price *= np.exp(self.growth * t)
        return price


def draw_path(price: Price, draws: Draws, path: str, end_day: float = 0.0) -> PricePath:
    """Draw an item's price path once per run: each milestone's value, then its escalation.

    Every day of the horizon (``end_day`` days) the price stays within ``[price.lowest,
    MAX_PRICE]``: a milestone's draw outside is clipped, and so is an escalation that would take
    the run's path outside by the end (each clip counted under its field's path).
    """
    where = f"{path}.unit_cost"
    values = np.stack([draws.value(v, where, price.lowest, MAX_PRICE) for v in price.values])
    growth = None
    if price.escalation is not None:
        rate = draws.value(price.escalation, f"{path}.escalation", -1.0 + 1e-12)
        growth = np.log1p(rate) / price.escalation_days
        if end_day > 0:
            growth = _bounded_growth(growth, values, price.lowest, end_day, draws, path)
    return PricePath(np.asarray(price.days, dtype=np.float64), values, growth)


def _bounded_growth(
    growth: FloatArray, values: FloatArray, lowest: float, end_day: float, draws: Draws, path: str
) -> FloatArray:
    """``growth`` per run clipped so that the path of ``values`` stays within ``[lowest,
    MAX_PRICE]`` through ``end_day`` (clips counted under the escalation's path)."""
    low = np.log(lowest / values.min(axis=0)) / end_day  # <= 0: values are >= lowest
    high = np.log(MAX_PRICE / values.max(axis=0)) / end_day  # >= 0
    outside = (growth < low) | (growth > high)
    clips = int(np.count_nonzero(outside))
    if not clips:
        return growth
    key = f"{path}.escalation"
    draws.clipped[key] = draws.clipped.get(key, 0) + clips
    bounded: FloatArray = np.clip(growth, low, high)
    return bounded


class Prices:
    """The price paths of a chunk's priced items, and money converted into their units."""

    def __init__(self, paths: Mapping[str, PricePath], runs: int) -> None:
        self.paths = dict(paths)
        self.runs = runs
        self._today: dict[str, tuple[float, FloatArray]] = {}

    @classmethod
    def draw(cls, ctx: Context, items: Mapping[str, Price | None]) -> Prices:
        """Each priced item's path, from the stream ``items.ID`` (no other stream is used)."""
        paths = {}
        for item, price in items.items():
            if price is not None:
                path = f"items.{item}"
                paths[item] = draw_path(price, ctx.draws(path), path, ctx.end_day)
        return cls(paths, ctx.runs)

    def varies(self, item: str) -> bool:
        """Whether ``item`` has a price that changes over time."""
        path = self.paths.get(item)
        return path is not None and path.varies

    def at(self, item: str, day: float) -> FloatArray:
        """The price of ``item`` per run on ``day`` (read-only; the latest day is cached)."""
        known = self._today.get(item)
        if known is not None and known[0] == day:
            return known[1]
        if item not in self.paths:
            raise KeyError(f"item {item!r} has no price (the loader checks money needs one)")
        price = self.paths[item].at(day)
        price.flags.writeable = False
        self._today[item] = (day, price)
        return price

    def units(self, item: str, money: FloatArray, day: float) -> FloatArray:
        """What ``money`` (per run) buys of ``item`` on ``day``."""
        result: FloatArray = money / self.at(item, day)
        return result

    def at_report_days(self, item: str, days: FloatArray) -> FloatArray:
        """The price at each reported day, (T, runs); (1, runs) when it does not change."""
        path = self.paths[item]
        if not path.varies:
            return path.at(0.0)[None, :]
        return path.at_times(np.asarray(days, dtype=np.float64)[:, None])


class Stepper(Protocol):
    """Walks a rate forward: ``step(t)`` is the amount since the previous step, per run."""

    def step(self, t: float) -> FloatArray: ...


def rate_of(
    ctx: Context,
    schedule: Schedule,
    draws: Draws,
    path: str,
    item: str,
    slip: FloatArray | None = None,
    start: float = 0.0,
) -> Stepper:
    """Units of ``item`` per action from a drawn ``schedule`` in units or in money.

    Draws exactly what ``draw_rates`` draws, so a schedule in units is walked by the same
    ``Integrator`` as before money existed.
    """
    drawn = draw_rates(schedule, draws, path, slip)
    if not schedule.money:
        return Integrator(drawn, start)
    price = ctx.prices.paths[item]
    if not price.varies:
        return _AtOnePrice(Integrator(drawn, start), price.at(0.0))
    return Funded(drawn, price, start)


class _AtOnePrice:
    """Money integrated exactly, divided by a price that does not change in time."""

    def __init__(self, money: Integrator, price: FloatArray) -> None:
        self.money = money
        self.price = price

    def step(self, t: float) -> FloatArray:
        units: FloatArray = self.money.step(t) / self.price
        return units


class Funded:
    """Units bought over each interval by a rate of money at a price that changes in time:
    ``integral of funds(t) / price(t) dt``, by Gauss-Legendre quadrature on each piece between
    the kinks of both (milestones of the funds, shared or per run, and of the price), pieces
    longer than ``PIECE_DAYS`` split evenly."""

    def __init__(self, money: DrawnSchedule, price: PricePath, start: float = 0.0) -> None:
        self.money = money
        self.price = price
        self._last = start
        shared = list(price.days) if len(price.days) > 1 else []
        if money.shared_days is not None:
            shared += list(money.shared_days)
        self._kinks = np.unique(np.asarray(shared, dtype=np.float64))

    def step(self, t: float) -> FloatArray:
        a, b = self._last, t
        self._last = max(t, a)
        runs = self.money.rates.shape[1]
        if b <= a:
            return np.zeros(runs)
        inside = self._kinks[(self._kinks > a) & (self._kinks < b)]
        cuts = np.concatenate([[a], inside, [b]])[:, None]
        if self.money.shared_days is None:  # milestones moved by a slip: kinks differ by run
            rows = [j for j in range(len(self.money.lows))
                    if self.money.lows[j] < b and self.money.highs[j] > a]  # fmt: skip
            if rows:
                moved = np.clip(self.money.days[rows], a, b)
                cuts = np.sort(np.vstack([np.repeat(cuts, runs, axis=1), moved]), axis=0)
        pieces = max(1, math.ceil((b - a) / PIECE_DAYS))
        fractions = np.linspace(0.0, 1.0, pieces + 1)[:, None, None]
        low, high = cuts[:-1][None], cuts[1:][None]  # (1, C-1, R)
        edges = low + (high - low) * fractions  # (pieces + 1, C-1, R)
        start, end = edges[:-1], edges[1:]
        half = 0.5 * (end - start)
        nodes = (start + half)[..., None, :] + half[..., None, :] * _NODES[:, None]
        shape = nodes.shape  # (pieces, C-1, 8, R)
        times = nodes.reshape(-1, shape[-1])
        density = _rate_at(self.money, times) / self.price.at_times(times)
        weighted = density.reshape(*shape[:-1], runs) * (half[..., None, :] * _WEIGHTS[:, None])
        units: FloatArray = weighted.reshape(-1, runs).sum(axis=0)
        return units


def _rate_at(schedule: DrawnSchedule, t: FloatArray) -> FloatArray:
    """The drawn rate per day at times ``t`` (K, runs) or (K, 1), as (K, runs); 0 before the
    first milestone, the last rate after the last."""
    runs = schedule.rates.shape[1]
    t = np.broadcast_to(t, (t.shape[0], runs))
    if schedule.shared_days is not None:
        j = np.searchsorted(np.asarray(schedule.shared_days), t, side="right") - 1
        jj = np.maximum(j, 0)
        start = np.asarray(schedule.shared_days)[jj]
    else:
        j = (schedule.days[:, None, :] <= t[None]).sum(axis=0) - 1
        jj = np.maximum(j, 0)
        start = np.take_along_axis(schedule.days, jj, axis=0)
    rate = np.take_along_axis(schedule.rates, jj, axis=0)
    slope = np.take_along_axis(schedule.slopes, jj, axis=0)
    return np.where(j >= 0, rate + slope * (t - start), 0.0)


class Valuation:
    """The cumulative value of every flow of the items whose price changes in time, at the
    price of the day each movement happened, recorded at each reported time.

    Every change of a flow in an instant happens on one day, so the change since the last
    valuation is valued, once the instant is over (and before a snapshot), at that day's
    price: the value is the sum over actions of units times the price on the action's day.
    """

    def __init__(
        self,
        ledger: Ledger,
        prices: Prices,
        clock: Clock,
        times: int,
        dtype: type[np.float32] | type[np.float64],
        allocate: Allocate,
    ) -> None:
        self.ledger, self.prices, self.clock = ledger, prices, clock
        runs, cells = ledger.runs, len(ledger.cells)
        self.tracked: list[tuple[str, int, str, FloatArray]] = []  # flow, row, item, valued
        rows: dict[str, list[int]] = {}
        for flow in FLOWS:
            for c in ledger.stored[flow]:
                item = ledger.cells[c][1]
                if prices.varies(item):
                    self.tracked.append((flow, c, item, np.zeros(runs)))
                    rows.setdefault(flow, []).append(c)
        self.values = {flow: np.zeros((cells, runs)) for flow in rows}
        self.series = {
            value_name(flow): Trajectory(on, cells, times, runs, dtype, allocate)
            for flow, on in rows.items()
        }
        self.stored = rows
        self._dirty: dict[str, set[int]] = {flow: set(on) for flow, on in rows.items()}

    @property
    def active(self) -> bool:
        return bool(self.tracked)

    def settle(self) -> None:
        """Value what each tracked flow moved since the last valuation at today's price."""
        day = self.clock.today
        for flow, c, item, valued in self.tracked:
            now = self.ledger.level(flow, c)
            moved = now - valued
            if not moved.any():
                continue
            self.values[flow][c] += moved * self.prices.at(item, day)
            valued[:] = now
            self._dirty[flow].add(c)

    def snapshot(self, k: int) -> None:
        """Record the values as reported time ``k`` (after valuing the instant so far)."""
        self.settle()
        for flow, values in self.values.items():
            dirty = self._dirty[flow]
            self.series[value_name(flow)].record(k, values, sorted(dirty))
            dirty.clear()

    def columns(self, ledger_columns: NDArray[np.intp]) -> dict[str, NDArray[np.intp]]:
        """Flat cell index of each stored row, per value series."""
        return {value_name(flow): ledger_columns[on] for flow, on in self.stored.items()}
