"""How much faster would the engine be with no Python between events? A toy measurement.

The engine runs SimPy's event loop in Python and calls one compiled kernel per event. This toy
does engine-like work both ways over the same state, so the difference is only where the
event loop runs:

- every week, ``PROCESSES`` actions each take an amount out of one cell's stock for every run,
  tracking depletion and trough as ``sim.kernels.take`` does; every fourth action first draws
  its amount per run, ``Binomial(floor(stock), p)``;
- at the end of each week, every cell's stock is stored as a float32 row in a fresh buffer
  (the trajectories, which the engine writes into fresh memory too).

``python``: the weeks and actions looped in Python, each action one compiled call and the
draws by NumPy's generator (the engine's structure). ``compiled``: the same loops compiled,
the draws by Numba on the same bit generator (the same numbers: both end in the same state).

Run from the repository root: ``python benchmarks/compiled_loop.py``; it prints the time per
run and action of each.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numba
import numpy as np

CELLS, RUNS, WEEKS, PROCESSES, DRAWN = 40, 5000, 260, 40, 4  # every 4th action draws
CHANCE = 0.004


@numba.njit
def _take(state: tuple[np.ndarray, ...], c: int, amount: np.ndarray, day: float) -> None:
    stock, flow, floor, armed, trough, trough_at = state
    for r in range(stock.shape[1]):
        value = stock[c, r] - amount[r]
        stock[c, r] = value
        flow[c, r] += amount[r]
        if armed[c, r] and not value > floor[c, r]:
            armed[c, r] = False
        if value < trough[c, r]:
            trough[c, r] = value
            trough_at[c, r] = day


@numba.njit
def _record(series: np.ndarray, week: int, stock: np.ndarray) -> None:
    for c in range(stock.shape[0]):
        series[week, c, :] = stock[c]


@numba.njit
def compiled(state: tuple[np.ndarray, ...], cells: np.ndarray, amount: np.ndarray,
             rng: np.random.Generator, series: np.ndarray) -> None:  # fmt: skip
    stock = state[0]
    drawn = np.empty(stock.shape[1])
    for week in range(series.shape[0]):
        for p in range(len(cells)):
            c = cells[p]
            if p % DRAWN == 0:
                for r in range(stock.shape[1]):
                    n = np.floor(stock[c, r])
                    drawn[r] = rng.binomial(np.int64(n), CHANCE) if n > 0 else 0.0
                _take(state, c, drawn, float(week))
            else:
                _take(state, c, amount[c], float(week))
        _record(series, week, stock)


def python(state: tuple[np.ndarray, ...], cells: np.ndarray, amount: np.ndarray,
           rng: np.random.Generator, series: np.ndarray) -> None:  # fmt: skip
    stock = state[0]
    for week in range(series.shape[0]):
        for p, c in enumerate(cells.tolist()):
            if p % DRAWN == 0:
                n = np.floor(stock[c])
                drawn = np.zeros(stock.shape[1])
                live = n > 0
                drawn[live] = rng.binomial(n[live].astype(np.int64), CHANCE)
                _take(state, c, drawn, float(week))
            else:
                _take(state, c, amount[c], float(week))
        _record(series, week, stock)


def fresh_state() -> tuple[np.ndarray, ...]:
    stock = np.full((CELLS, RUNS), 1e6)
    return (stock, np.zeros_like(stock), np.zeros_like(stock), np.ones(stock.shape, np.bool_),
            stock.copy(), np.zeros_like(stock))  # fmt: skip


Loop = Callable[..., None]


def measure(
    loop: Loop, cells: np.ndarray, amount: np.ndarray, weeks: int
) -> tuple[float, tuple[np.ndarray, ...]]:
    state = fresh_state()
    series = np.empty((weeks, CELLS, RUNS), dtype=np.float32)  # fresh pages, as the engine's
    started = time.process_time()
    loop(state, cells, amount, np.random.default_rng(7), series)
    return time.process_time() - started, state


def main() -> None:
    cells = np.random.default_rng(0).integers(0, CELLS, PROCESSES)
    amount = np.random.default_rng(1).random((CELLS, RUNS))
    measure(compiled, cells, amount, 1)  # compile
    measure(python, cells, amount, 1)
    actions = RUNS * WEEKS * PROCESSES
    print(
        f"{PROCESSES} actions a week ({PROCESSES // DRAWN} drawing binomials) for {WEEKS} weeks"
        f" over {RUNS} runs, {CELLS} cells stored weekly; CPU ns per run and action"
    )
    for _ in range(3):
        slow, a = measure(python, cells, amount, WEEKS)
        fast, b = measure(compiled, cells, amount, WEEKS)
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))  # same draws
        print(f"  python loop: {slow / actions * 1e9:4.1f} ns   compiled loop: "
              f"{fast / actions * 1e9:4.1f} ns   ({slow / fast:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
