"""Pending arrivals (transit and repair returns) bucketed on a 1-day grid.

A shipment or repair batch has one delay per run. Rather than one SimPy event per run, the
quantities wait in a ring buffer per (cell, kind) indexed by arrival day (whole run-arrays per
day), and one arrival event per day that has anything pending moves them into stock.

Rounding: a delay of exactly 0 (or no delay) arrives at once, within the shipping action. Any
other delay arrives at ``day + delay`` rounded to the nearest whole day (halves up), but never
before the shipping day. An arrival rounded to the shipping day itself lands at the end of the
shipping action (the same as an arrival event right after it). Arrivals after the end of the
horizon stay in transit / in repair.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.ledger import Ledger, fresh_zeros
from sim.processes.clock import ARRIVAL, Clock

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]
Key = tuple[int, int]  # (ledger row, kind)

TRANSIT, REPAIR = 0, 1
#: kind -> (level while pending, flow on arrival)
KINDS = {TRANSIT: ("in_transit", "received"), REPAIR: ("in_repair", "repaired")}


def arrival_days(day: float, delays: FloatArray) -> FloatArray:
    """Arrival day of each run on the 1-day grid (see the module docstring).

    >>> arrival_days(10.5, np.array([0.0, 0.2, 1.2, 1.0, 3.5]))
    array([10.5, 10.5, 12. , 12. , 14. ])
    """
    grid = day + delays
    grid += 0.5
    np.floor(grid, out=grid)
    np.maximum(grid, day, out=grid)
    np.copyto(grid, day, where=delays == 0.0)
    return grid


class Calendar:
    """Pending arrivals by day; ships into a cell's pending level and lands them in stock.

    The ring of a (cell, kind) holds, in row ``day % width``, what arrives on ``day`` in each
    run; its ``width`` is a power of two larger than any of its pending days' distance from now
    (each ring its own: short transits keep small rings next to long repairs).
    """

    def __init__(self, clock: Clock, ledger: Ledger, end_day: float) -> None:
        self.clock = clock
        self.ledger = ledger
        self.last_day = math.floor(end_day)
        self._rings: dict[Key, FloatArray] = {}  # (width, runs) per key
        self._due: dict[int, dict[Key, None]] = {}  # day -> keys with something arriving
        self._run_index = np.arange(ledger.runs, dtype=np.intp)

    def ship(
        self, c: int, kind: int, quantity: FloatArray, day: float, delays: FloatArray | None
    ) -> None:
        """Send ``quantity`` (per run) to cell ``c``, arriving after ``delays`` (None: at once)."""
        level, flow = KINDS[kind]
        if delays is None:
            self.ledger.add(c, quantity, flow, day)
            return
        arrive = arrival_days(day, delays)
        later = arrive > day
        moving = later & (quantity > 0.0)
        moved = np.count_nonzero(moving)
        if moved:
            self.ledger.hold(c, level, quantity * moving)  # 0 in the runs where nothing moves
            if moved == len(moving):
                self._book((c, kind), self._run_index, arrive, quantity)
            else:
                runs = np.flatnonzero(moving)
                self._book((c, kind), runs, arrive[runs], quantity[runs])
        if np.count_nonzero(later) < len(later):
            self.ledger.add(c, quantity * ~later, flow, day)

    def ship_runs(
        self, c: int, kind: int, runs: IndexArray, quantity: FloatArray, day: float,
        delays: FloatArray,
    ) -> None:  # fmt: skip
        """Send ``quantity[j]`` to cell ``c`` in run ``runs[j]``, arriving after ``delays[j]``.

        The sparse form of ``ship`` for shipments that only some runs make (repair batches):
        ``runs`` ascending and distinct, ``quantity`` > 0.
        """
        level, flow = KINDS[kind]
        arrive = arrival_days(day, delays)
        later = arrive > day
        moved = np.count_nonzero(later)
        if moved:
            pending = np.zeros(self.ledger.runs)
            pending[runs[later]] = quantity[later]
            self.ledger.hold(c, level, pending)
            self._book((c, kind), runs[later], arrive[later], quantity[later])
        if moved < len(later):
            at_once = np.zeros(self.ledger.runs)
            at_once[runs[~later]] = quantity[~later]
            self.ledger.add(c, at_once, flow, day)

    def _book(self, key: Key, runs: IndexArray, arrive: FloatArray, amount: FloatArray) -> None:
        """Put ``amount[j]`` in the ring of ``key`` on whole day ``arrive[j]`` (after today) of
        run ``runs[j]`` (runs distinct); arrivals after the horizon stay pending."""
        due = arrive <= self.last_day
        if not due.all():
            runs, arrive, amount = runs[due], arrive[due], amount[due]
            if not len(runs):
                return
        now = math.floor(self.clock.now)
        offsets = arrive.astype(np.intp)
        offsets -= now  # days from now, >= 1
        counts = np.bincount(offsets)
        ring = self._rings.get(key)
        if ring is None or len(counts) > len(ring):
            ring = self._grow(key, len(counts))
        offsets += now
        offsets &= len(ring) - 1
        offsets *= self.ledger.runs
        offsets += runs
        ring.ravel()[offsets] += amount
        for offset in np.flatnonzero(counts).tolist():
            when = now + offset
            keys = self._due.get(when)
            if keys is None:
                keys = self._due[when] = {}
                self.clock.at(float(when), ARRIVAL).callbacks.append(partial(self._land, when))
            keys[key] = None

    def _grow(self, key: Key, need: int) -> FloatArray:
        """A ring for ``key`` at least ``need`` days wide, holding what ``key`` has pending."""
        width = max(16, 1 << (need - 1).bit_length())
        wider: FloatArray = fresh_zeros((width, self.ledger.runs))
        ring = self._rings.get(key)
        if ring is not None:
            for when, keys in self._due.items():
                if key in keys:
                    wider[when % width] = ring[when % len(ring)]
        self._rings[key] = wider
        return wider

    def _land(self, when: int, _event: simpy.Event) -> None:
        for key in self._due.pop(when):
            c, kind = key
            level, flow = KINDS[kind]
            ring = self._rings[key]
            amount = ring[when % len(ring)]
            self.ledger.release(c, level, amount)
            self.ledger.add(c, amount, flow, float(when))
            amount[...] = 0.0
