"""How fast could the engine's stock moves be with no Python between events? A toy measurement.

The engine calls one compiled kernel per event from SimPy's Python loop. This script runs the
same kind of work with the whole event loop compiled: every week, ``PROCESSES`` actions each
take an amount out of one cell's stock for every run, tracking depletion and trough as
``sim.kernels.take`` does. It times two loop orders over the same state:

- events outer, runs inner (what a compiled event loop over a whole chunk would do);
- blocks of runs outer, events inner (so a block's state stays in cache).

Run from the repository root: ``python benchmarks/compiled_loop.py``. It prints ns per run and
event, to set against ``sim.kernels.take`` in the engine (~8 ns: ~40 us per 5,000-run call).
"""

from __future__ import annotations

import time

import numba
import numpy as np

CELLS, RUNS, WEEKS, PROCESSES, BLOCK = 40, 5000, 260, 40, 256


@numba.njit
def _take(state: tuple[np.ndarray, ...], c: int, lo: int, hi: int, day: float) -> None:
    stock, flow, floor, armed, trough, trough_at, amount = state
    for r in range(lo, hi):
        value = stock[c, r] - amount[c, r]
        stock[c, r] = value
        flow[c, r] += amount[c, r]
        if armed[c, r] and not value > floor[c, r]:
            armed[c, r] = False
        if value < trough[c, r]:
            trough[c, r] = value
            trough_at[c, r] = day


@numba.njit
def events_outer(state: tuple[np.ndarray, ...], cells: np.ndarray, weeks: int) -> None:
    runs = state[0].shape[1]
    for week in range(weeks):
        for c in cells:
            _take(state, c, 0, runs, float(week))


@numba.njit
def blocks_outer(state: tuple[np.ndarray, ...], cells: np.ndarray, weeks: int, block: int) -> None:
    runs = state[0].shape[1]
    for lo in range(0, runs, block):
        for week in range(weeks):
            for c in cells:
                _take(state, c, lo, min(runs, lo + block), float(week))


def fresh_state() -> tuple[np.ndarray, ...]:
    stock = np.full((CELLS, RUNS), 1e6)
    amount = np.random.default_rng(1).random((CELLS, RUNS))
    return (stock, np.zeros_like(stock), np.zeros_like(stock), np.ones(stock.shape, np.bool_),
            stock.copy(), np.zeros_like(stock), amount)  # fmt: skip


def main() -> None:
    cells = np.random.default_rng(0).integers(0, CELLS, PROCESSES)
    events_outer(fresh_state(), cells, 1)  # compile
    blocks_outer(fresh_state(), cells, 1, BLOCK)
    moves = RUNS * WEEKS * PROCESSES
    print(f"{PROCESSES} takes a week for {WEEKS} weeks over {RUNS} runs ({CELLS} cells)")
    for _ in range(3):
        a, b = fresh_state(), fresh_state()
        started = time.perf_counter()
        events_outer(a, cells, WEEKS)
        events = time.perf_counter() - started
        started = time.perf_counter()
        blocks_outer(b, cells, WEEKS, BLOCK)
        blocks = time.perf_counter() - started
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        print(f"  events outer: {events / moves * 1e9:4.1f} ns per run and event;"
              f"  blocks of {BLOCK} runs outer: {blocks / moves * 1e9:4.1f} ns")  # fmt: skip


if __name__ == "__main__":
    main()
