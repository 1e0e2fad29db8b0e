"""When things happen: the SimPy environment, the phase order at equal times, action days.

At equal times events fire in phase order (arrivals, production, donations, attrition,
consumption, snapshot) and, within a phase, in file order. The order is carried by the event
priority, never by insertion order: ``priority = (phase + 1) * PHASE_SPAN + index``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappush

import simpy
from simpy.events import EventPriority

ARRIVAL, PRODUCTION, DONATION, ATTRITION, CONSUMPTION, SNAPSHOT = range(6)
PHASE_SPAN = 1_000_000


class Clock(simpy.Environment):
    """A SimPy environment whose events can be scheduled at an absolute day and phase.

    Scheduling at an absolute time (not ``now + delay``) keeps action days exactly ``k * every``,
    so two actions meant for the same day are never split by float rounding. ``instant_over``
    callbacks run once all events of an instant have fired, before time moves on.
    """

    def __init__(self) -> None:
        super().__init__()
        self.instant_over: list[Callable[[], None]] = []

    def step(self) -> None:
        super().step()
        if not self._queue or self._queue[0][0] != self.now:
            for callback in self.instant_over:
                callback()

    def at(self, day: float, phase: int, index: int = 0) -> simpy.Event:
        """A triggered event that fires at ``day`` in ``phase``, ``index``-th in file order."""
        if day < self.now:
            raise ValueError(f"cannot schedule at day {day} before now ({self.now})")
        event = simpy.Event(self)
        event._ok = True
        event._value = None
        priority = EventPriority((phase + 1) * PHASE_SPAN + index)
        heappush(self._queue, (day, priority, next(self._eid), event))
        return event


def action_days(every: float, end_day: float, offset: float = 0.0) -> Iterator[float]:
    """``offset + k * every`` for k = 1, 2, ... while it is <= ``end_day`` (no accumulation).

    >>> list(action_days(7.0, 21.0))
    [7.0, 14.0, 21.0]
    """
    k = 1
    while offset + k * every <= end_day:
        yield offset + k * every
        k += 1
