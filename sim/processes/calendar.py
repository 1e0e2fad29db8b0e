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

from sim import kernels
from sim.flows import PENDING
from sim.ledger import Ledger
from sim.processes.clock import ARRIVAL, Clock

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]
Key = tuple[int, str]  # (ledger row, pending level)


class Calendar:
    """Pending arrivals by day; ships into a cell's pending level (``in_transit``,
    ``in_repair``) and lands them in stock through the level's arrival flow (``sim.flows``).

    The ring of a (cell, level) holds, in row ``day % width``, what arrives on ``day`` in each
    run; its ``width`` is a power of two larger than any of its pending days' distance from now
    (each ring its own: short transits keep small rings next to long repairs).
    """

    def __init__(self, clock: Clock, ledger: Ledger, end_day: float) -> None:
        self.clock = clock
        self.ledger = ledger
        self.last_day = math.floor(end_day)
        self._rings: dict[Key, FloatArray] = {}  # (width, runs) per key
        self._due: dict[int, dict[Key, None]] = {}  # day -> keys with something arriving
        self._due_offsets = np.zeros(16, dtype=bool)  # scratch: days from now with arrivals
        self._no_ring = np.zeros((0, 0))  # a key with nothing pending yet

    def deliver(self, c: int, level: str, quantity: FloatArray, day: float) -> None:
        """``quantity`` (per run) arrives in cell ``c`` at once (no transit or repair time)."""
        self.ledger.add(c, quantity, PENDING[level], day)

    def ship(
        self, c: int, level: str, runs: IndexArray, quantity: FloatArray, day: float,
        delays: FloatArray,
    ) -> None:  # fmt: skip
        """Send ``quantity[j]`` to cell ``c`` in run ``runs[j]``, arriving after ``delays[j]``.

        Only the runs that ship something are given (``runs`` ascending and distinct), so a
        delay is drawn only for a real shipment. Pending until their whole arrival day (booked
        in the ring of ``(c, level)``), or at once for those arriving ``day`` itself.
        """
        arrive = np.empty(len(runs))
        latest = kernels.arrival_days(day, delays, quantity, arrive)
        key = (c, level)
        now = math.floor(day)
        ring = self._rings.get(key, self._no_ring)
        if latest > day and min(latest, self.last_day) - now + 1 > len(ring):
            ring = self._grow(key, int(min(latest, self.last_day)) - now + 1)
        pending, at_once = np.zeros(self.ledger.runs), np.zeros(self.ledger.runs)
        due = self._due_offsets[: len(ring)]
        immediate = kernels.book(ring, pending, at_once, due, runs, arrive, quantity, day, now,
                                 self.last_day)  # fmt: skip
        if immediate < len(runs):
            self.ledger.pend(c, level, pending)
            for offset in np.flatnonzero(due).tolist():
                self._arriving(now + offset, key)
            due[:] = False
        if immediate:
            self.ledger.add(c, at_once, PENDING[level], day)

    def _arriving(self, when: int, key: Key) -> None:
        """Something of ``key`` arrives on day ``when``: make sure an arrival event lands it."""
        keys = self._due.get(when)
        if keys is None:
            keys = self._due[when] = {}
            self.clock.at(float(when), ARRIVAL).callbacks.append(partial(self._land, when))
        keys[key] = None

    def _grow(self, key: Key, need: int) -> FloatArray:
        """A ring for ``key`` at least ``need`` days wide, holding what ``key`` has pending."""
        width = max(16, 1 << (need - 1).bit_length())
        wider: FloatArray = np.zeros((width, self.ledger.runs))
        ring = self._rings.get(key)
        if ring is not None:
            for when, keys in self._due.items():
                if key in keys:
                    wider[when % width] = ring[when % len(ring)]
        self._rings[key] = wider
        if width > len(self._due_offsets):
            self._due_offsets = np.zeros(width, dtype=bool)
        return wider

    def _land(self, when: int, _event: simpy.Event) -> None:
        for key in self._due.pop(when):
            c, level = key
            ring = self._rings[key]
            self.ledger.deposit(c, level, ring[when % len(ring)], float(when))
