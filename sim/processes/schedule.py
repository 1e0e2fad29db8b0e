"""Schedules drawn for every run, integrated exactly over any interval.

A schedule is a piecewise-linear (or step) rate with milestones; before the first milestone the
rate is 0, after the last it stays at the last value. ``cumulative(t)`` is the closed-form
integral from day 0 to ``t`` for every run at once, so an action over ``(a, b]`` takes
``cumulative(b) - cumulative(a)``. When a slip moves the milestones of each run differently,
the milestone days have a run axis too.

>>> import numpy as np
>>> ramp = DrawnSchedule.build(np.array([0.0, 10.0]), np.array([[0.0], [10.0]]), linear=True)
>>> float(ramp.cumulative(10.0)[0]), float(ramp.cumulative(12.0)[0])
(50.0, 70.0)
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim import kernels
from sim.processes.draws import MAX_LOSS_FRACTION, Draws
from sim.scenario.model import Schedule

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DrawnSchedule:
    """Milestone ``days`` ((M,) shared or (M, runs)) and per-day ``rates`` (M, runs).

    ``slopes[j]`` is the rate's slope after milestone ``j`` (0 for steps and after the last);
    ``knots[j]`` is the integral from day 0 to milestone ``j``. ``sloped[j]``: any slope of
    piece ``j`` is non-zero. ``lows`` / ``highs``: the earliest and latest day of each
    milestone over the runs (equal when the days are shared).
    """

    days: FloatArray
    rates: FloatArray
    slopes: FloatArray
    knots: FloatArray
    shared_days: tuple[float, ...] | None
    sloped: tuple[bool, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]

    @classmethod
    def build(cls, days: FloatArray, rates: FloatArray, *, linear: bool) -> DrawnSchedule:
        """Precompute slopes and knot integrals for milestone ``days`` and ``rates``."""
        widths = np.diff(days, axis=0)
        if days.ndim == 1:
            widths = widths[:, None]
        slopes = np.zeros_like(rates)
        if linear and len(rates) > 1:
            rises = np.diff(rates, axis=0)
            np.divide(rises, widths, out=slopes[:-1], where=widths > 0)
        pieces = widths * (rates[:-1] + 0.5 * widths * slopes[:-1])
        knots = np.zeros_like(rates)
        np.cumsum(pieces, axis=0, out=knots[1:])
        shared = tuple(float(d) for d in days) if days.ndim == 1 else None
        sloped = tuple(bool(np.any(row != 0.0)) for row in slopes)
        lows = shared or tuple(float(row.min()) for row in days)
        highs = shared or tuple(float(row.max()) for row in days)
        return cls(days, rates, slopes, knots, shared, sloped, lows, highs)

    def piece(self, t: float) -> int | None:
        """The piece every run is in at day ``t`` (-1: before the first), or None if the runs
        are in different pieces."""
        j = bisect_right(self.highs, t) - 1  # every run is at least in piece j
        return None if j + 1 < len(self.lows) and self.lows[j + 1] <= t else j

    def cumulative(self, t: float) -> FloatArray:
        """Integral of the rate from day 0 to day ``t``, one value per run."""
        j = bisect_right(self.highs, t) - 1  # every run is at least in piece j
        if j + 1 < len(self.lows) and self.lows[j + 1] <= t:  # some runs are past j + 1
            if j + 2 < len(self.lows) and self.lows[j + 2] <= t:
                return self._mixed(t)
            value = self._piece(j, t)
            np.copyto(value, self._piece(j + 1, t), where=self.days[j + 1] <= t)
            return value
        return self._piece(j, t)

    def _piece(self, j: int, t: float) -> FloatArray:
        """A new array: the integral to ``t`` if every run were in piece ``j`` (0 before it).

        ``knots + w * (rates + 0.5 * w * slopes)`` evaluated in place (the same numbers).
        """
        if j < 0:
            return np.zeros(self.rates.shape[1])
        w = t - (self.days[j] if self.shared_days is None else self.shared_days[j])
        if self.sloped[j]:
            value: FloatArray = 0.5 * w * self.slopes[j]
            value += self.rates[j]
            value *= w
        else:  # a zero slope adds exactly 0
            value = w * self.rates[j]
        value += self.knots[j]
        return value

    def _mixed(self, t: float) -> FloatArray:
        """The integral to ``t`` when the runs are spread over more than two pieces."""
        j = np.count_nonzero(self.days <= t, axis=0) - 1
        runs = self.rates.shape[1]
        flat = np.maximum(j, 0) * runs + np.arange(runs)
        w = t - self.days.ravel().take(flat)
        rate, slope = self.rates.ravel().take(flat), self.slopes.ravel().take(flat)
        out: FloatArray = self.knots.ravel().take(flat) + w * (rate + 0.5 * w * slope)
        return np.where(j >= 0, out, 0.0)


class Integrator:
    """Walks a drawn schedule forward: ``step(t)`` is the integral since the previous step."""

    def __init__(self, schedule: DrawnSchedule, start: float = 0.0) -> None:
        self.schedule = schedule
        self._last = schedule.cumulative(start)
        days = schedule.days
        #: Start day of each piece: one shared day, or one per run.
        self._starts = [days[j : j + 1] if days.ndim == 1 else days[j] for j in range(len(days))]

    def step(self, t: float) -> FloatArray:
        """Integral over (previous t, t], never negative."""
        s, j = self.schedule, self.schedule.piece(t)
        if j is not None and j >= 0:  # every run in piece j: one compiled pass
            return kernels.advance(self._last, t, self._starts[j], s.knots[j], s.rates[j],
                                   s.slopes[j], s.sloped[j])  # fmt: skip
        now = s.cumulative(t)
        amount = now - self._last
        np.maximum(amount, 0.0, out=amount)
        self._last = now
        return amount


def draw_rates(
    schedule: Schedule, draws: Draws, path: str, slip: FloatArray | None = None
) -> DrawnSchedule:
    """Draw each milestone's rate (per day, clipped >= 0) once per run; ``slip`` moves all
    milestones after the first by the run's slip. Each milestone's draw is kept as the input
    ``PATH.DATE`` (just ``PATH`` for a single rate)."""
    rates = np.stack(
        [
            draws.value(r.amount, path, key=milestone_key(schedule, draws, path, j)) / r.period_days
            for j, r in enumerate(schedule.rates)
        ]
    )
    days = np.asarray(schedule.days, dtype=np.float64)
    linear = schedule.interpolate == "linear"
    days, rates = with_factors(days, rates, schedule.factors, linear=linear)
    if slip is not None and len(days) > 1 and np.any(slip != 0):
        if np.all(slip == slip[0]):
            days = days + np.concatenate([[0.0], np.full(len(days) - 1, slip[0])])
        else:
            moved = np.repeat(days[:, None], draws.runs, axis=1)
            moved[1:] += slip[None, :]
            days = moved
    return DrawnSchedule.build(days, rates, linear=linear)


def with_factors(
    days: FloatArray, rates: FloatArray, factors: tuple[tuple[float, float], ...], *, linear: bool
) -> tuple[FloatArray, FloatArray]:
    """Milestone ``days`` (M,) and drawn ``rates`` (M, runs) with each factor ``(day, f)``
    applied: the rate from ``day`` on times ``f``, the rate before it untouched. A factor at
    or before the first milestone (or the start) scales every rate; a later one inserts, at
    its day, the rate reached there and the same times ``f`` (a step: a zero-width piece),
    and scales the milestones after it.

    >>> days, rates = with_factors(np.array([0.0, 10.0]), np.array([[0.0], [10.0]]),
    ...                            ((5.0, 2.0),), linear=True)
    >>> days.tolist(), rates[:, 0].tolist()
    ([0.0, 5.0, 5.0, 10.0], [0.0, 5.0, 10.0, 20.0])
    """
    for day, factor in factors:
        if day <= max(days[0], 0.0):  # nothing before the start is simulated
            rates = rates * factor
            continue
        k = int(np.searchsorted(days, day, side="left"))
        reached = _reached(days, rates, day, k, linear)
        if k < len(days) and days[k] == day:  # a milestone on the day: keep the rate before
            days = np.insert(days, k, day)
            rates = np.insert(rates, k, reached, axis=0)
        else:
            days = np.insert(days, k, [day, day])
            rates = np.insert(rates, k, [reached, reached], axis=0)
        rates[k + 1 :] *= factor
    return days, rates


def _reached(days: FloatArray, rates: FloatArray, day: float, k: int, linear: bool) -> FloatArray:
    """The rate just before ``day`` (``days[k - 1] < day <= days[k]``), one per run."""
    before: FloatArray = rates[k - 1]
    if k == len(days) or not linear:
        return before
    share = (day - days[k - 1]) / (days[k] - days[k - 1])
    reached: FloatArray = before + share * (rates[k] - before)
    return reached


def milestone_key(schedule: Schedule, draws: Draws, path: str, j: int) -> str:
    """The input path of milestone ``j``: ``PATH`` for a single rate, else ``PATH.DATE``."""
    return path if len(schedule.rates) == 1 else draws.dated(path, schedule.days[j])


def draw_hazards(schedule: Schedule, draws: Draws, path: str) -> DrawnSchedule:
    """Proportional attrition: each milestone's fraction ``r`` per ``P`` days becomes the
    constant hazard ``-ln(1 - r) / P`` (fractions clipped to [0, 1))."""
    fractions = [
        draws.value(r.amount, path, 0.0, MAX_LOSS_FRACTION,
                    key=milestone_key(schedule, draws, path, j))
        for j, r in enumerate(schedule.rates)
    ]  # fmt: skip
    hazards = np.stack(
        [-np.log1p(-f) / r.period_days for f, r in zip(fractions, schedule.rates, strict=True)]
    )
    linear = schedule.interpolate == "linear"
    days, hazards = with_factors(
        np.asarray(schedule.days, dtype=np.float64), hazards, schedule.factors, linear=linear
    )
    return DrawnSchedule.build(days, hazards, linear=linear)
