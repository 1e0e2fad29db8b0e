"""The stock ledger: levels, cumulative flows and metric trackers for every run at once.

Only the *active* cells (holder, item pairs that hold stock or that a process touches) are
stored. Each quantity is a ``(cells, runs)`` array, so one cell's row is a contiguous run vector
that an action updates in one vectorised step. Snapshots record each quantity's *stored* rows
(the cells where it can be non-zero) in a ``Trajectory``, which keeps each changed slice once.

The balance identity (``sim.flows``) holds for every run and cell by construction: the ledger's
arrays are private, and every change goes through a method that moves stock by a flow and
records what changed, so a snapshot never reuses a stale series.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim import kernels
from sim.flows import BY_NAME, FLOWS, LEVELS, PENDING, QUEUES

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

Cell = tuple[str, str]
#: Makes a zero array of a shape and dtype (the trajectory buffers: ``mapped_zeros`` or shared
#: memory).
Allocate = Callable[[tuple[int, ...], Any], NDArray[Any]]


def mapped_zeros(shape: tuple[int, ...], dtype: Any) -> NDArray[Any]:
    """A zero array in its own private anonymous map of 4 KiB pages, each mapped on first touch.

    For trajectory slabs, written once and kept: ``np.zeros`` would ask for 2 MiB transparent
    huge pages, which on a virtual machine that hands idle memory back to its host cost several
    times more per byte to fault in (``benchmarks/bench.py`` measures both). The map is released
    with the last array that views it.
    """
    if not hasattr(mmap, "MAP_PRIVATE"):  # Windows: no such maps
        return np.zeros(shape, dtype)
    count = int(np.prod(shape))
    size = max(count * np.dtype(dtype).itemsize, 1)
    buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):  # Linux: not even where huge pages are always on
        buffer.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)


class Ledger:
    """State of the active cells over all runs, and their reported series.

    ``cells`` are the active (holder, item) pairs; ``columns`` their flat index ``h * items + i``
    in the full grid of ``grid_size`` cells. Row ``c`` of every array belongs to ``cells[c]``.
    ``stock``, ``floor``, ``target`` and the metric arrays are read-only views: only the
    ledger's methods change them.
    """

    def __init__(
        self,
        cells: Sequence[Cell],
        columns: Sequence[int],
        grid_size: int,
        runs: int,
        times: int,
        stored: Mapping[str, Sequence[int]] | None = None,
        dtype: type[np.float32] | type[np.float64] = np.float64,
        allocate: Allocate = mapped_zeros,
    ) -> None:
        self.cells = tuple(cells)
        self.row = {cell: c for c, cell in enumerate(self.cells)}
        self.columns = np.asarray(columns, dtype=np.intp)
        self.runs = runs
        shape = (len(self.cells), runs)
        self._values: dict[str, FloatArray] = {n: np.zeros(shape) for n in (*LEVELS, *FLOWS)}
        self._stock = self._values["stock"]
        self._floor = np.zeros(shape)
        self._target = np.zeros(shape)
        self._depleted_at = np.full(shape, np.nan)
        self._replenished_at = np.full(shape, np.nan)
        self._trough = np.zeros(shape)
        self._trough_at = np.zeros(shape)
        self.stock, self.floor, self.target = (_read_only(a) for a in (self._stock, self._floor,
                                                                      self._target))  # fmt: skip
        self.depleted_at, self.replenished_at, self.trough, self.trough_at = (
            _read_only(a)
            for a in (self._depleted_at, self._replenished_at, self._trough, self._trough_at)
        )
        self._armed = np.zeros(shape, dtype=bool)  # above the floor since, not yet depleted
        self._may_deplete = np.ones(shape, dtype=bool)
        self._unarmed = [True] * len(self.cells)  # some run may deplete but is not armed
        self._below = np.zeros(shape, dtype=bool)  # below the target since, not yet replenished
        self._may_replenish = np.ones(shape, dtype=bool)
        every = tuple(range(len(self.cells)))
        #: Rows whose series are reported, per quantity (the others must stay 0).
        self.stored = {n: tuple(sorted((stored or {}).get(n, every))) for n in (*LEVELS, *FLOWS)}
        # Reported series: (times, stored rows, runs) each, unchanged slices shared.
        self.series = {
            n: Trajectory(rows, len(self.cells), times, runs, dtype, allocate)
            for n, rows in self.stored.items()
        }
        self.grid_size = grid_size
        self._day = 0.0
        # Cells changed at ``_day`` (replenishment not judged yet) -> whether any change fell.
        self._pending: dict[int, bool] = {}
        # Rows written since the last snapshot, per quantity: only they can differ from the
        # recorded values. Everything is written before the first snapshot.
        self._dirty: dict[str, set[int]] = {n: set(every) for n in self._values}
        self._dirty_stock = self._dirty["stock"]
        self._no_pin = np.zeros(0, dtype=bool)  # ``to_floor`` for no run

    def level(self, name: str, c: int) -> FloatArray:
        """Quantity ``name`` (a level or cumulative flow) of cell ``c``, read-only."""
        return _read_only(self._values[name][c])

    def start(self, stock: FloatArray, floor: FloatArray, target: FloatArray) -> None:
        """Set the initial stock, floor and target ``(cells, runs)`` and arm the metric
        trackers."""
        self._stock[:] = stock
        self._floor[:] = floor
        self._target[:] = target
        self._trough[:] = self._stock
        np.greater(self._stock, self._floor + kernels.slack(self._floor), out=self._armed)
        np.less(self._stock, self._target - kernels.slack(self._target), out=self._below)
        self._some_below = [bool(below.any()) for below in self._below]
        self._unarmed = [not bool(armed.all()) for armed in self._armed]

    # -- changes ---------------------------------------------------------------------------

    # Every change goes through these methods (some in compiled loops, ``sim.kernels``), which
    # mark the rows they wrote: a snapshot examines only written rows (``verify_marks`` checks
    # in tests that none is missed).

    def add(self, c: int, amount: FloatArray, flow: str, day: float) -> None:
        """Put ``amount`` into the stock of cell ``c`` through ``flow`` (an inflow)."""
        self._unarmed[c] = kernels.put(
            self._stock[c], self._values[flow][c], amount, self._floor[c], self._armed[c],
            self._may_deplete[c], self._unarmed[c],
        )  # fmt: skip
        self._mark(c, flow, day)

    def remove(
        self,
        c: int,
        amount: FloatArray,
        flow: str,
        day: float,
        to_floor: BoolArray | None = None,
    ) -> None:
        """Take ``amount`` (at most the stock) out of cell ``c`` through ``flow`` (an outflow).

        Where ``to_floor`` is true the stock is set to exactly its floor afterwards (a donor
        emptied down to its floor holds the floor, not float dust around it).
        """
        kernels.take(
            self._stock[c], self._values[flow][c], amount, self._floor[c],
            self._no_pin if to_floor is None else to_floor, self._armed[c],
            self._may_deplete[c], self._depleted_at[c], self._trough[c], self._trough_at[c], day,
        )  # fmt: skip
        self._mark(c, flow, day, fell=True)

    def count(self, c: int, flow: str, amount: FloatArray) -> None:
        """Add ``amount`` to ``flow`` of cell ``c``, a flow that moves no stock (``unmet``)."""
        if BY_NAME[flow].sign != 0 or BY_NAME[flow].level:
            raise ValueError(f"{flow} moves stock: use add or remove")
        self._values[flow][c] += amount
        self._dirty[flow].add(c)

    def pend(self, c: int, level: str, amount: FloatArray) -> None:
        """``amount`` is on its way into cell ``c``, held in the pending ``level`` until it
        arrives (``deposit``)."""
        if level not in PENDING:
            raise ValueError(f"{level} is not a level of items on their way")
        self._values[level][c] += amount
        self._dirty[level].add(c)

    def hold(self, c: int, level: str, amount: FloatArray) -> None:
        """Add ``amount`` (negative: take it out) to a queue ``level`` of cell ``c``
        (``awaiting_repair``): items out of action that no arrival empties."""
        if level not in QUEUES:
            raise ValueError(f"{level} is not a queue")
        self._values[level][c] += amount
        self._dirty[level].add(c)

    def deposit(self, c: int, level: str, amount: FloatArray, day: float) -> None:
        """``amount`` pending in ``level`` of cell ``c`` arrives into its stock through the
        level's arrival flow; ``amount`` is emptied."""
        flow = PENDING[level]
        self._unarmed[c] = kernels.deposit(
            self._values[level][c], self._stock[c], self._values[flow][c], amount,
            self._floor[c], self._armed[c], self._may_deplete[c], self._unarmed[c],
        )  # fmt: skip
        self._dirty[level].add(c)
        self._mark(c, flow, day)

    def _mark(self, c: int, flow: str, day: float, fell: bool = False) -> None:
        """Cell ``c``'s stock and ``flow`` were written at ``day`` (``fell``: taken from):
        mark them for the snapshot and the cell for the replenishment judged when the instant
        is over."""
        self._dirty_stock.add(c)
        self._dirty[flow].add(c)
        self._day = day
        self._pending[c] = fell or self._pending.get(c, False)

    # -- metrics ---------------------------------------------------------------------------

    # How the metrics are tracked (``sim.kernels.take`` / ``put`` / ``settle``):
    #
    # Depletion and trough see every change: a stock that touches its floor within an instant
    # did run dry (a line limited by its inputs, a donor shipping down to its floor).
    # Replenishment is judged once the instant is over (``settle``), on the stock as it then
    # stands, so inputs taken before the input line credits its own output the same day do not
    # count as falling below the target and coming back.
    #
    # ``_armed``: above the floor and not yet depleted, so the next fall to or below the floor
    # is the depletion; always ``above & _may_deplete``. The runs that may deplete but are not
    # armed (never above the floor yet) only get fewer, so once none is left (``_unarmed[c]``
    # false) a rise changes nothing and a fall only disarms the runs it depletes. ``_below``:
    # below the target at the end of an instant, not yet back.

    def settle(self) -> None:
        """Judge replenishment of every cell changed in the instant just over."""
        for c, fell in self._pending.items():
            if not (fell or self._some_below[c]):  # only rose, and no run was below: no change
                continue
            self._some_below[c] = kernels.settle(
                self._stock[c], self._target[c], self._below[c], self._may_replenish[c],
                self._replenished_at[c], self._trough[c], self._trough_at[c], self._day,
            )  # fmt: skip
        self._pending.clear()

    # -- output ----------------------------------------------------------------------------

    #: Check at each snapshot that no row changed without being marked written (for tests).
    verify_marks = False

    def snapshot(self, k: int) -> None:
        """Copy the current levels and cumulative flows into reported time slot ``k``.

        Only rows written since the previous snapshot are examined; the others are unchanged.
        """
        self.settle()
        for name, state in self._values.items():
            dirty = self._dirty[name]
            if self.verify_marks:
                self.series[name].verify(state, dirty, name)
            self.series[name].record(k, state, sorted(dirty))
            dirty.clear()

    def unstored_touched(self) -> list[str]:
        """Quantities that are non-zero in a row they do not report (an engine defect)."""
        touched = []
        for name, state in self._values.items():
            rest = np.ones(len(self.cells), dtype=bool)
            rest[list(self.stored[name])] = False
            if np.any(state[rest] != 0.0):
                touched.append(name)
        return touched

    def full(self, rows: FloatArray, fill: float, grid_size: int) -> FloatArray:
        """A ``(runs, grid_size)`` array with ``rows`` (cells, runs) in the active columns."""
        out = np.full((self.runs, grid_size), fill)
        out[:, self.columns] = rows.T
        return out


def _read_only(array: FloatArray) -> FloatArray:
    view = array.view()
    view.flags.writeable = False
    return view


class Trajectory:
    """The reported values of some ledger rows at each reported time, each new slice stored once.

    Row ``r`` at reported time ``k`` is ``slabs[slots[k, r]]`` (a run vector). A row that has not
    changed since the previous record points at the same slab, so a quantity that moves monthly
    on a weekly grid costs about a quarter of a dense series. Slab 0 is all zeros: rows that
    have not moved yet and times never recorded point at it. Slabs are appended in order into a
    buffer sized for the worst case, whose untouched pages take no memory.
    """

    def __init__(
        self,
        rows: Sequence[int],
        cells: int,
        times: int,
        runs: int,
        dtype: type[np.float32] | type[np.float64],
        allocate: Allocate = mapped_zeros,
    ) -> None:
        self.rows = np.asarray(rows, dtype=np.intp)
        n = len(rows)
        # A row is cast into the next free slab and kept there if it changed. Pages are mapped
        # on first touch, so the unused end of the worst-case buffer takes no memory.
        self.slabs = allocate((times * n + 1, runs), dtype)
        self.slots = np.zeros((times, n), dtype=np.intp)
        self.count = 1
        self._next = 0  # the earliest reported time that may be recorded next
        self._held = np.zeros(n, dtype=np.intp)  # slot of each row's last recorded value
        self._local = {c: j for j, c in enumerate(self.rows.tolist())}  # cell -> row index

    def record(self, k: int, state: FloatArray, written: Iterable[int] | None = None) -> None:
        """Record the rows of ``state`` (cells, runs) as reported time ``k`` (times in order).

        ``written``: the cells that may have changed since the previous record (default all);
        the other rows keep their previous slab unexamined.
        """
        if k < self._next:
            raise ValueError(f"reported time {k} recorded after time {self._next - 1}")
        self._next = k + 1
        if written is None:
            local = np.arange(len(self.rows), dtype=np.intp)
        else:
            local = np.array([self._local[c] for c in written if c in self._local], dtype=np.intp)
        self.count = kernels.record(self.slabs, self.count, self._held, state, local,
                                    self.rows[local])  # fmt: skip
        self.slots[k] = self._held

    def verify(self, state: FloatArray, written: Iterable[int], name: str) -> None:
        """Raise if a row of ``state`` not in ``written`` differs from its last record."""
        marked = set(written)
        for j, c in enumerate(self.rows.tolist()):
            last = self.slabs[self._held[j]]
            if c not in marked and np.any(state[c].astype(last.dtype) != last):
                raise RuntimeError(f"engine defect: {name} of cell {c} changed, not marked")

    def stored(self) -> tuple[NDArray[np.floating[Any]], NDArray[np.intp]]:
        """The slabs in use and the slots: ``slabs[slots]`` is the dense (times, rows, runs)."""
        return self.slabs[: self.count], self.slots
