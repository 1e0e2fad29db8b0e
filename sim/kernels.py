"""Compiled loops over the run axis: one pass where NumPy would make several.

An engine event touches a few run vectors of a few thousand values each. With NumPy every step
(move the stock, book the flow, compare with the floor, update the trough...) is its own pass
and its own call; here each action is one loop over the runs, compiled by Numba. The arithmetic
is the same, operation by operation, as the NumPy it replaces (no fast-math, no contraction),
and a draw made here uses Numba's port of NumPy's algorithm on the run's own bit generator, so
results are bit-for-bit unchanged (``tests/test_kernels.py``). Compiled code is cached beside
the module; the first run after installing compiles it (a few seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


def kernel(function: F) -> F:
    """Compile ``function`` in nopython mode, cached on disk beside this module or in the
    user's cache folder; compiled afresh in each process if neither can be written."""
    try:
        return cast(F, numba.njit(cache=True, nogil=True, error_model="numpy")(function))
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return cast(F, numba.njit(cache=False, nogil=True, error_model="numpy")(function))


# -- the ledger ----------------------------------------------------------------------------

#: A stock within this much of its floor or target is at it (float dust from shipping exactly
#: down to a floor under a cap, or from input ratios): 1e-6 of a unit plus 1e-12 of the level.
SLACK_UNITS = 1e-6
SLACK_SHARE = 1e-12


def slack(level: np.ndarray) -> np.ndarray:
    """The slack around each of ``level`` (NumPy, for whole vectors at the start)."""
    slack: np.ndarray = SLACK_UNITS + SLACK_SHARE * np.abs(level)
    return slack


@kernel
def above(value: float, level: float) -> bool:
    """Whether ``value`` is above ``level`` by more than the slack (else it is at or below)."""
    return value > level + SLACK_UNITS + SLACK_SHARE * abs(level)


@kernel
def short_of(value: float, level: float) -> bool:
    """Whether ``value`` is below ``level`` by more than the slack (else it is at or above)."""
    return value < level - SLACK_UNITS - SLACK_SHARE * abs(level)


@kernel
def take(
    stock: np.ndarray,
    flow: np.ndarray,
    amount: np.ndarray,
    floor: np.ndarray,
    to_floor: np.ndarray,
    armed: np.ndarray,
    may_deplete: np.ndarray,
    depleted_at: np.ndarray,
    trough: np.ndarray,
    trough_at: np.ndarray,
    day: float,
) -> None:
    """Take ``amount`` out of ``stock`` into ``flow``; track depletion and the trough.

    ``to_floor`` (length 0: none) sets the stock to exactly its floor where true. A run armed
    (above the floor, not yet depleted) that is now at or below its floor is depleted ``day``.
    """
    pinned = len(to_floor) > 0
    for r in range(len(stock)):
        value = stock[r] - amount[r]
        if pinned and to_floor[r]:
            value = floor[r]
        stock[r] = value
        flow[r] += amount[r]
        if armed[r] and not above(value, floor[r]):
            depleted_at[r] = day
            may_deplete[r] = False
            armed[r] = False
        if value < trough[r]:
            trough[r] = value
            trough_at[r] = day


@kernel
def put(
    stock: np.ndarray,
    flow: np.ndarray,
    amount: np.ndarray,
    floor: np.ndarray,
    armed: np.ndarray,
    may_deplete: np.ndarray,
    unarmed: bool,
) -> bool:
    """Put ``amount`` into ``stock`` through ``flow``; if some runs were ``unarmed`` (may deplete
    but never above the floor yet), arm those now above it. Returns whether some still are."""
    for r in range(len(stock)):
        stock[r] += amount[r]
        flow[r] += amount[r]
    if not unarmed:
        return False
    return arm(stock, floor, armed, may_deplete)


@kernel
def arm(stock: np.ndarray, floor: np.ndarray, armed: np.ndarray, may_deplete: np.ndarray) -> bool:
    """Arm the runs that may deplete and are above the floor; returns whether some that may
    deplete are still not armed."""
    waiting = False
    for r in range(len(stock)):
        armed[r] = above(stock[r], floor[r]) and may_deplete[r]
        waiting |= may_deplete[r] and not armed[r]
    return waiting


@kernel
def settle(
    stock: np.ndarray,
    target: np.ndarray,
    below: np.ndarray,
    may_replenish: np.ndarray,
    replenished_at: np.ndarray,
    trough: np.ndarray,
    trough_at: np.ndarray,
    day: float,
) -> bool:
    """Runs below target before and not short now are replenished ``day``; ``below`` becomes
    the runs short now that may still be replenished. Returns whether any run is below.

    A run whose stock reached a new lowest point below target this instant starts over: it is
    replenished when next back at target (this instant, if it is back already), so
    ``replenished_at`` is the first return to target after the trough."""
    some = False
    for r in range(len(stock)):
        if trough_at[r] == day and short_of(trough[r], target[r]):
            below[r] = True
            may_replenish[r] = True
            replenished_at[r] = np.nan
        short = short_of(stock[r], target[r])
        if below[r] and not short:
            replenished_at[r] = day
            may_replenish[r] = False
        below[r] = short and may_replenish[r]
        some |= below[r]
    return some


@kernel
def record(
    slabs: np.ndarray,
    count: int,
    held: np.ndarray,
    state: np.ndarray,
    local: np.ndarray,
    rows: np.ndarray,
) -> int:
    """Cast ``state[rows[j]]`` into the next free slab; keep it (``held[local[j]]`` points at
    it) if it differs from the row's last recorded slab. Returns the new number of slabs."""
    for j in range(len(rows)):
        fresh = slabs[count]
        last = slabs[held[local[j]]]
        source = state[rows[j]]
        fresh[:] = source
        changed = False
        for r in range(len(fresh)):  # a changed row usually differs in its first runs
            if fresh[r] != last[r]:
                changed = True
                break
        if changed:
            held[local[j]] = count
            count += 1
    return count


@kernel
def deposit(
    level: np.ndarray,
    stock: np.ndarray,
    flow: np.ndarray,
    amount: np.ndarray,
    floor: np.ndarray,
    armed: np.ndarray,
    may_deplete: np.ndarray,
    unarmed: bool,
) -> bool:
    """``amount`` arrives: out of the pending ``level``, into ``stock`` through ``flow`` (as
    ``put``); ``amount`` is emptied. Returns whether some runs are still unarmed.

    Only the runs with an arrival are touched: a shipment spread over many days lands a few
    runs a day, and the others' rows need not be read."""
    for r in range(len(stock)):
        arriving = amount[r]
        if arriving != 0.0:
            level[r] -= arriving
            stock[r] += arriving
            flow[r] += arriving
            amount[r] = 0.0
    if not unarmed:
        return False
    return arm(stock, floor, armed, may_deplete)


# -- the arrival calendar ------------------------------------------------------------------


@kernel
def arrival_days(day: float, delays: np.ndarray, quantity: np.ndarray, arrive: np.ndarray) -> float:
    """Whole arrival day of each shipment (``day`` itself for a zero delay; never before
    ``day``) into ``arrive``; returns the latest arrival after ``day`` of a positive quantity
    (``day`` if none)."""
    latest = day
    for j in range(len(delays)):
        when = day if delays[j] == 0.0 else max(np.floor(day + delays[j] + 0.5), day)
        arrive[j] = when
        if quantity[j] > 0.0 and when > latest:
            latest = when
    return latest


@kernel
def book(
    ring: np.ndarray,
    pending: np.ndarray,
    at_once: np.ndarray,
    due: np.ndarray,
    runs: np.ndarray,
    arrive: np.ndarray,
    quantity: np.ndarray,
    day: float,
    now: int,
    last_day: int,
) -> int:
    """Shipment ``j`` (run ``runs[j]``) arriving after ``day`` goes into ``pending`` (what the
    pending level gains) and, if it arrives by ``last_day``, into ``ring`` on its day
    (``due[day - now]`` set); one arriving ``day`` itself goes to ``at_once``. Returns the
    number arriving at once.

    An arrival day is compared with ``last_day`` before it becomes an integer, so a delay of
    any size (1e308 days, inf) stays pending to the end."""
    mask = len(ring) - 1
    immediate = 0
    for j in range(len(runs)):
        r, q, when = runs[j], quantity[j], arrive[j]
        if when > day:
            if q > 0.0:
                pending[r] += q
                if when <= last_day:
                    whole = int(when)
                    ring[whole & mask, r] += q
                    due[whole - now] = True
        else:
            at_once[r] = q
            immediate += 1
    return immediate


# -- schedules -----------------------------------------------------------------------------


@kernel
def advance(
    last: np.ndarray,
    t: float,
    starts: np.ndarray,
    knots: np.ndarray,
    rates: np.ndarray,
    slopes: np.ndarray,
    sloped: bool,
) -> np.ndarray:
    """The integral over (previous t, ``t``] (never negative) of runs all in one piece that
    starts at ``starts`` (one day, or one per run), with ``knots``, ``rates`` and ``slopes``
    at its start; ``last`` (the integral to the previous t) becomes the integral to ``t``."""
    amount = np.empty_like(last)
    shared = len(starts) == 1
    for r in range(len(last)):
        w = t - starts[0 if shared else r]
        if sloped:
            value = ((0.5 * w) * slopes[r] + rates[r]) * w + knots[r]
        else:
            value = w * rates[r] + knots[r]
        step = value - last[r]
        amount[r] = 0.0 if step < 0.0 else step
        last[r] = value
    return amount


# -- actions -------------------------------------------------------------------------------


@kernel
def shippable(
    wanted: np.ndarray,
    cap_left: np.ndarray,
    stock: np.ndarray,
    floor: np.ndarray,
    keep_floor: bool,
    short: np.ndarray,
    emptied: np.ndarray,
) -> np.ndarray:
    """What a donor ships: ``wanted`` within what is left of the cap (length 0: no cap) and
    within its stock (above its floor if ``keep_floor``). Puts what the cap allows but the
    stock does not in ``short`` (length 0: not counted), takes the shipment off the cap, and
    marks in ``emptied`` the runs shipping down to exactly the floor."""
    shipped = np.empty_like(wanted)
    capped, counted = len(cap_left) > 0, len(short) > 0
    for r in range(len(wanted)):
        allowed = min(wanted[r], cap_left[r]) if capped else wanted[r]
        available = max(stock[r] - (floor[r] if keep_floor else 0.0), 0.0)
        amount = min(allowed, available)
        shipped[r] = amount
        if counted:
            short[r] = allowed - amount
        if capped:
            cap_left[r] -= amount
        if keep_floor:
            emptied[r] = amount >= available and available > 0.0
    return shipped


@kernel
def repair_batches(
    rng: np.random.Generator, losses: np.ndarray, repairable: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The runs with a repair batch and its size: ``Binomial(losses, repairable)`` drawn from
    ``rng`` in run order in the runs with losses (the draws NumPy's vectorised ``rng.binomial``
    makes on those runs, so the same numbers), kept where it is not 0."""
    runs = np.empty(len(losses), dtype=np.intp)
    sizes = np.empty(len(losses))
    k = 0
    for r in range(len(losses)):
        if losses[r] > 0.0:
            size = rng.binomial(np.int64(losses[r]), min(max(repairable[r], 0.0), 1.0))
            if size > 0:
                runs[k] = r
                sizes[k] = size
                k += 1
    return runs[:k], sizes[:k]
