"""Pending arrivals (transit and repair returns) bucketed on a 1-day grid.

A shipment or repair batch has one delay per run. Rather than one SimPy event per run, the
quantities are grouped by arrival day: the calendar holds, per arrival day, whole run-arrays per
(cell, kind), and one arrival event per day that has anything pending moves them into stock.

Rounding: a delay of exactly 0 (or no delay) arrives at once, within the shipping action. Any
other delay arrives at ``day + delay`` rounded to the nearest whole day (halves up), but never
before the shipping day; an arrival on the shipping day itself lands in an arrival event right
after the shipping action. Arrivals after the end of the horizon stay in transit / in repair.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.ledger import Ledger
from sim.processes.clock import ARRIVAL, Clock

FloatArray = NDArray[np.float64]

TRANSIT, REPAIR = 0, 1
#: kind -> (level while pending, flow on arrival)
KINDS = {TRANSIT: ("in_transit", "received"), REPAIR: ("in_repair", "repaired")}


def arrival_days(day: float, delays: FloatArray) -> FloatArray:
    """Arrival day of each run on the 1-day grid (see the module docstring).

    >>> arrival_days(10.5, np.array([0.0, 0.2, 1.2, 1.0, 3.5]))
    array([10.5, 10.5, 12. , 12. , 14. ])
    """
    grid = np.maximum(np.floor(day + delays + 0.5), day)
    return np.where(delays == 0.0, day, grid)


class Calendar:
    """Pending arrivals by day; ships into a cell's pending level and lands them in stock."""

    def __init__(self, clock: Clock, ledger: Ledger, end_day: float) -> None:
        self.clock = clock
        self.ledger = ledger
        self.end_day = end_day
        self._pending: dict[float, dict[tuple[int, int], FloatArray]] = {}

    def ship(
        self, c: int, kind: int, quantity: FloatArray, day: float, delays: FloatArray | None
    ) -> None:
        """Send ``quantity`` (per run) to cell ``c``, arriving after ``delays`` (None: at once)."""
        level, flow = KINDS[kind]
        if delays is None:
            self.ledger.add(c, quantity, flow, day)
            return
        immediate = delays == 0.0
        if immediate.any():
            self.ledger.add(c, np.where(immediate, quantity, 0.0), flow, day)
        moving = np.flatnonzero((quantity > 0.0) & ~immediate)
        if moving.size == 0:
            return
        self.ledger.values[level][c][moving] += quantity[moving]
        arrive = arrival_days(day, delays[moving])
        order = np.argsort(arrive, kind="stable")
        arrive, moving = arrive[order], moving[order]
        cuts = np.flatnonzero(np.diff(arrive)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, arrive.size], strict=True):
            self._book(float(arrive[lo]), (c, kind), moving[lo:hi], quantity)

    def _book(
        self, when: float, key: tuple[int, int], runs: NDArray[np.intp], quantity: FloatArray
    ) -> None:
        if when > self.end_day:
            return
        bucket = self._pending.get(when)
        if bucket is None:
            bucket = self._pending[when] = {}
            self.clock.at(when, ARRIVAL).callbacks.append(partial(self._land, when))
        amounts = bucket.get(key)
        if amounts is None:
            amounts = bucket[key] = np.zeros(self.ledger.runs)
        amounts[runs] += quantity[runs]

    def _land(self, when: float, _event: simpy.Event) -> None:
        for (c, kind), amount in self._pending.pop(when).items():
            level, flow = KINDS[kind]
            self.ledger.values[level][c] -= amount
            self.ledger.add(c, amount, flow, when)
