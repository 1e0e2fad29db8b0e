"""Each compiled kernel gives exactly (bit for bit) what its plain NumPy statement gives."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim import kernels
from sim.processes.schedule import DrawnSchedule, Integrator

RUNS = 7
values = st.floats(-50.0, 150.0, allow_nan=False).map(lambda x: round(x, 2))
amounts = arrays(np.float64, RUNS, elements=st.floats(0.0, 120.0).map(lambda x: round(x, 3)))
levels = arrays(np.float64, RUNS, elements=values)
flags = arrays(np.bool_, RUNS)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a, b, equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(levels, amounts, levels, flags, flags, flags, levels, st.booleans())
def test_take(stock, amount, floor, pin, armed, may, trough, pinned) -> None:
    armed &= may & (stock > floor)  # the ledger's invariant: armed = above and may deplete
    state = [stock.copy(), np.zeros(RUNS), armed.copy(), may.copy(), np.full(RUNS, np.nan),
             trough.copy(), np.zeros(RUNS)]  # fmt: skip
    s, flow, arm, may_k, dep, tr, tr_at = state
    to_floor = pin if pinned else np.zeros(0, dtype=bool)
    kernels.take(s, flow, amount, floor, to_floor, arm, may_k, dep, tr, tr_at, 9.0)

    want = stock - amount
    if pinned:
        np.copyto(want, floor, where=pin)
    hit = armed & ~(want > floor)
    lower = want < trough
    assert same(s, want) and same(flow, amount)
    assert same(dep, np.where(hit, 9.0, np.nan)) and same(may_k, may & ~hit)
    assert same(arm, armed & ~hit)
    assert same(tr, np.where(lower, want, trough)) and same(tr_at, np.where(lower, 9.0, 0.0))


@settings(max_examples=200, deadline=None)
@given(levels, amounts, levels, flags, flags, st.booleans())
def test_put_and_deposit(stock, amount, floor, armed, may, unarmed) -> None:
    armed &= may
    want = stock + amount
    want_armed = (want > floor) & may if unarmed else armed
    waiting = bool(np.any(may & ~want_armed)) if unarmed else False

    s, flow, arm = stock.copy(), np.zeros(RUNS), armed.copy()
    assert kernels.put(s, flow, amount, floor, arm, may, unarmed) == waiting
    assert same(s, want) and same(flow, amount) and same(arm, want_armed)

    sparse = np.where(np.arange(RUNS) % 3 == 0, amount, 0.0)  # arrivals in some runs only
    level, s, flow, arm = np.full(RUNS, 500.0), stock.copy(), np.zeros(RUNS), armed.copy()
    arriving = sparse.copy()
    kernels.deposit(level, s, flow, arriving, floor, arm, may, unarmed)
    assert same(level, 500.0 - sparse) and same(s, stock + sparse) and same(flow, sparse)
    assert not arriving.any()


@settings(max_examples=200, deadline=None)
@given(levels, levels, flags, flags)
def test_settle(stock, target, below, may) -> None:
    below &= may
    short = stock < target
    hit = below & ~short
    b, may_k, at = below.copy(), may.copy(), np.full(RUNS, np.nan)
    no_new_trough = np.zeros(RUNS)  # troughs reached on day 0, before this instant
    assert kernels.settle(stock, target, b, may_k, at, stock, no_new_trough, 4.0) == bool(b.any())
    assert same(at, np.where(hit, 4.0, np.nan))
    assert same(may_k, may & ~hit) and same(b, short & may & ~hit)


def test_settle_starts_over_at_a_new_trough_below_target() -> None:
    # runs: new trough below target and back now; new trough, still short; new trough at
    # target (not below); an old trough
    stock = np.array([100.0, 40.0, 100.0, 100.0])
    target = np.full(4, 100.0)
    trough, trough_at = np.array([30.0, 30.0, 100.0, 30.0]), np.array([4.0, 4.0, 4.0, 2.0])
    below = np.zeros(4, dtype=bool)
    may = np.array([False, False, False, False])  # all replenished before
    at = np.array([3.0, 3.0, 3.0, 3.0])
    assert kernels.settle(stock, target, below, may, at, trough, trough_at, 4.0)
    assert same(at, np.array([4.0, np.nan, 3.0, 3.0]))
    assert same(below, np.array([False, True, False, False]))
    assert same(may, np.array([False, True, False, False]))


@settings(max_examples=200, deadline=None)
@given(amounts, amounts, levels, levels, st.booleans(), st.booleans(), st.booleans())
def test_shippable(wanted, cap, stock, floor, capped, keep_floor, counted) -> None:
    allowed = np.minimum(wanted, cap) if capped else wanted
    available = np.maximum(stock - (floor if keep_floor else 0.0), 0.0)
    shipped = np.minimum(allowed, available)

    cap_left, short, emptied = cap.copy(), np.full(RUNS, np.nan), np.zeros(RUNS, dtype=bool)
    none = np.zeros(0)
    got = kernels.shippable(wanted, cap_left if capped else none, stock, floor, keep_floor,
                            short if counted else none, emptied)  # fmt: skip
    assert same(got, shipped)
    assert same(short, allowed - shipped if counted else np.full(RUNS, np.nan))
    assert same(cap_left, cap - shipped if capped else cap)
    if keep_floor:
        assert same(emptied, (shipped >= available) & (available > 0.0))


def test_record_keeps_a_slab_only_when_the_row_changed() -> None:
    slabs = np.zeros((6, 3), dtype=np.float32)
    held = np.zeros(2, dtype=np.intp)
    state = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0 + 1e-9, 2.0, 3.0]])
    count = kernels.record(slabs, 1, held, state, np.array([0, 1]), np.array([0, 1]))
    assert count == 2 and held.tolist() == [1, 0]  # row 1 is still all zeros: slab 0
    # a change below float32 precision is no change of the stored value
    count = kernels.record(slabs, count, held, state, np.array([0]), np.array([2]))
    assert count == 2 and held.tolist() == [1, 0]
    state[1, 2] = 5.0
    count = kernels.record(slabs, count, held, state, np.array([1]), np.array([1]))
    assert count == 3 and held.tolist() == [1, 2] and slabs[2].tolist() == [0.0, 0.0, 5.0]


def test_book_puts_each_run_on_its_day() -> None:
    ring, level = np.zeros((8, 4)), np.zeros(4)
    at_once, due = np.zeros(4), np.zeros(8, dtype=bool)
    arrive = np.array([10.0, 13.0, 10.0, 30.0])  # run 3 arrives after the last day
    quantity = np.array([1.0, 2.0, 3.0, 4.0])
    immediate = kernels.book(ring, level, at_once, due, np.arange(4), arrive, quantity,
                             day=10.0, now=10, last_day=20)  # fmt: skip
    assert immediate == 2 and at_once.tolist() == [1.0, 0.0, 3.0, 0.0]
    assert level.tolist() == [0.0, 2.0, 0.0, 4.0]  # run 3 stays in transit
    assert ring[13 % 8].tolist() == [0.0, 2.0, 0.0, 0.0] and ring.sum() == 2.0
    assert np.flatnonzero(due).tolist() == [3]


@pytest.mark.parametrize("delay", [1e60, 1e308, np.inf])
def test_a_delay_of_any_size_stays_pending(delay: float) -> None:
    delays, quantity = np.array([delay, 2.0]), np.array([5.0, 1.0])
    arrive = np.empty(2)
    latest = kernels.arrival_days(10.0, delays, quantity, arrive)
    assert latest == arrive[0] >= delay and arrive[1] == 12.0
    ring, level = np.zeros((16, 2)), np.zeros(2)
    at_once, due = np.zeros(2), np.zeros(16, dtype=bool)
    immediate = kernels.book(ring, level, at_once, due, np.arange(2), arrive, quantity,
                             day=10.0, now=10, last_day=20)  # fmt: skip
    assert immediate == 0 and level.tolist() == [5.0, 1.0]
    assert ring.sum() == 1.0 and np.flatnonzero(due).tolist() == [2]


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, (3, RUNS), elements=st.floats(0.0, 50.0)),
    st.lists(st.floats(1.0, 400.0), min_size=4, max_size=12),
    st.booleans(),
    st.booleans(),
)
def test_integrator_steps_are_differences_of_the_integral(rates, times, linear, slipped) -> None:
    days = np.array([0.0, 100.0, 250.0])
    if slipped:  # milestones move by each run's slip
        days = days[:, None] + np.array([[0.0], [1.0], [1.0]]) * np.linspace(0, 60, RUNS)
    schedule = DrawnSchedule.build(days, rates, linear=linear)
    steps = Integrator(schedule)
    last = schedule.cumulative(0.0)
    for t in sorted(times):
        now = schedule.cumulative(t)
        assert same(steps.step(t), np.maximum(now - last, 0.0))
        last = now


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, 40, elements=st.integers(0, 30).map(float)),
    arrays(np.float64, 40, elements=st.floats(0.0, 1.0)),
    st.integers(0, 2**32),
)
def test_repair_batches_are_numpys_draws(losses, repairable, seed) -> None:
    runs, sizes = kernels.repair_batches(np.random.default_rng(seed), losses, repairable)
    hit = np.flatnonzero(losses)
    drawn = np.random.default_rng(seed).binomial(losses[hit].astype(np.int64), repairable[hit])
    assert same(runs, hit[drawn > 0]) and same(sizes, drawn[drawn > 0].astype(np.float64))


def test_kernels_compile_without_a_writable_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from numba.core import caching

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])  # nowhere to cache

    def double(x: np.ndarray) -> np.ndarray:
        return x * 2.0

    with pytest.raises(RuntimeError, match="no locator"):
        numba.njit(cache=True)(double)
    assert kernels.compiled(double)(np.ones(2)).tolist() == [2.0, 2.0]
