"""When things happen: the SimPy environment, the order at equal times, action days.

At equal times events fire in phase order: arrivals first, then each process kind by its phase
(``sim.processes.registry``: production, donations, attrition, consumption), then the snapshot;
within a phase, in file order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import partial

import simpy

#: Phases before and after every process kind's.
ARRIVAL, SNAPSHOT = -1, 1_000_000
_SPAN = 1 << 24  # file indices per phase


class Clock(simpy.Environment):
    """A SimPy environment whose events are scheduled at an absolute day, in phase order.

    Each day with something due has one SimPy timeout that wakes the clock's agenda for that
    day; the agenda then triggers the day's events in (phase, file index) order, and SimPy
    processes triggered events in the order they were triggered. So the order at equal times
    is carried by the agenda, never by the order events were asked for, and only SimPy's
    public API is used. ``instant_over`` callbacks run once all events of an instant have been
    processed, before time moves on.
    """

    def __init__(self) -> None:
        super().__init__()
        self.instant_over: list[Callable[[], None]] = []
        self._agenda: dict[float, list[tuple[int, int, simpy.Event]]] = {}
        self._order = itertools.count()  # ties: first asked, first triggered
        self.today = 0.0  # the day being processed, exactly as it was asked for

    def step(self) -> None:
        super().step()
        if self.peek() != self.now:
            for callback in self.instant_over:
                callback()

    def at(self, day: float, phase: int, index: int = 0) -> simpy.Event:
        """An event that fires at ``day`` in ``phase``, ``index``-th in file order."""
        if day < self.today:
            raise ValueError(f"cannot schedule at day {day} before today ({self.today})")
        event = simpy.Event(self)
        due = self._agenda.get(day)
        if due is None:
            due = self._agenda[day] = []
            self.timeout(max(day - self.now, 0.0)).callbacks.append(partial(self._wake, day))
        due.append(((phase - ARRIVAL) * _SPAN + index, next(self._order), event))
        return event

    def _wake(self, day: float, _timeout: simpy.Event) -> None:
        self.today = day
        due = self._agenda.pop(day)
        due.sort()  # by priority, then by the order asked for: events are never compared
        for _, _, event in due:
            event.succeed()


def action_days(every: float, end_day: float, offset: float = 0.0) -> Iterator[float]:
    """``offset + k * every`` for k = 1, 2, ... while it is <= ``end_day`` (no accumulation).

    >>> list(action_days(7.0, 21.0))
    [7.0, 14.0, 21.0]
    """
    k = 1
    while offset + k * every <= end_day:
        yield offset + k * every
        k += 1
