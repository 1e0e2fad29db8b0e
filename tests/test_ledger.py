"""The ledger: flows move stock, metrics are tracked and settled, snapshots fill the grid."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import Ledger


def ledger(stock: list[float], floor: float = 0.0, target: float | None = None) -> Ledger:
    """One active cell (column 1 of a 2-cell grid), one run per entry of ``stock``."""
    book = Ledger([("us", "shell")], [1], grid_size=2, runs=len(stock), times=3)
    start = np.array([stock], dtype=np.float64)
    goal = start if target is None else np.full_like(start, target)
    book.start(start, np.full_like(start, floor), goal)
    return book


def cube(book: Ledger, name: str) -> np.ndarray:
    """Reported series ``name`` as ``(runs, times, grid_size)``, zero in unreported cells."""
    slabs, slots = book.series[name].stored()
    series = slabs[slots]
    out = np.zeros((book.runs, series.shape[0], book.grid_size))
    out[:, :, book.columns[list(book.stored[name])]] = series.transpose(2, 0, 1)
    return out


def v(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_depleted_first_time_at_or_below_floor_after_being_above() -> None:
    book = ledger([100.0, 5.0], floor=10.0)
    book.remove(0, v(50.0, 0.0), "sent", 3.0)
    book.settle()
    book.remove(0, v(40.0, 5.0), "sent", 4.0)  # run 0 reaches the floor exactly
    book.settle()
    assert np.isnan(book.depleted_at[0, 1])  # run 1 started at/below the floor: never above
    assert book.depleted_at[0, 0] == 4.0
    book.add(0, v(100.0, 100.0), "produced", 5.0)
    book.settle()
    book.remove(0, v(200.0, 100.0), "consumed", 6.0)
    book.settle()
    assert book.depleted_at[0].tolist() == [4.0, 6.0]  # the first time only, then once above


def test_replenished_after_falling_below_target() -> None:
    book = ledger([100.0, 100.0], target=100.0)
    book.add(0, v(1.0, 0.0), "produced", 1.0)
    book.settle()
    assert np.isnan(book.replenished_at[0]).all()  # never below yet
    book.remove(0, v(51.0, 1.0), "sent", 2.0)
    book.settle()
    book.add(0, v(49.0, 0.5), "produced", 3.0)
    book.settle()
    book.add(0, v(1.0, 0.5), "produced", 4.0)
    book.settle()
    book.add(0, v(0.0, 5.0), "produced", 9.0)
    book.settle()
    assert book.replenished_at[0].tolist() == [4.0, 4.0]


def test_trough_is_first_time_at_the_minimum() -> None:
    book = ledger([10.0, 10.0])
    book.remove(0, v(4.0, 0.0), "lost", 1.0)
    book.settle()
    book.add(0, v(1.0, 5.0), "repaired", 2.0)
    book.settle()
    book.remove(0, v(1.0, 0.0), "lost", 3.0)
    book.settle()
    assert book.trough[0].tolist() == [6.0, 10.0]
    assert book.trough_at[0].tolist() == [1.0, 0.0]


def test_flows_balance_and_snapshot_fills_active_column() -> None:
    book = ledger([10.0])
    book.add(0, v(5.0), "produced", 1.0)
    book.remove(0, v(3.0), "consumed", 1.0)
    book.count(0, "unmet", v(2.0))
    book.snapshot(1)
    assert cube(book, "stock")[0, :, 1].tolist() == [0.0, 12.0, 0.0]
    assert cube(book, "stock")[0, :, 0].tolist() == [0.0, 0.0, 0.0]  # inactive cell
    assert cube(book, "unmet")[0, 1, 1] == 2.0
    total = 10.0 + book.level("produced", 0) - book.level("consumed", 0)
    assert np.array_equal(book.stock[0], total)


def test_only_the_ledgers_methods_change_it() -> None:
    book = ledger([10.0])
    for array in (book.stock, book.floor, book.target, book.trough, book.level("sent", 0)):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    with pytest.raises(ValueError, match="moves stock"):
        book.count(0, "sent", v(1.0))  # a flow in the balance identity goes with the stock
    with pytest.raises(ValueError, match="not a level of items on their way"):
        book.pend(0, "stock", v(1.0))


def test_a_dip_within_one_instant_is_back_in_that_instant() -> None:
    """Inputs all taken, then the input line's own output credited at the same time: the stock
    did run dry (depleted, trough 0) and was back at target when the instant ended."""
    book = ledger([10.0], floor=0.0, target=10.0)
    book.remove(0, v(10.0), "used", 7.0)
    book.add(0, v(10.0), "produced", 7.0)
    book.settle()
    assert book.depleted_at[0, 0] == 7.0 and book.trough[0, 0] == 0.0
    assert book.replenished_at[0, 0] == 7.0


def test_replenished_is_the_first_return_to_target_after_the_trough() -> None:
    """Two dips, the second deeper: back at target after the first dip is not replenishment;
    the return after the deeper second one is."""
    book = ledger([100.0], floor=0.0, target=100.0)
    for day, change in ((10.0, -50.0), (20.0, +50.0), (30.0, -70.0), (40.0, +70.0)):
        if change < 0:
            book.remove(0, v(-change), "sent", day)
        else:
            book.add(0, v(change), "produced", day)
        book.settle()
        if day == 20.0:
            assert book.replenished_at[0, 0] == 20.0  # back, for now
    assert book.trough[0, 0] == 30.0 and book.trough_at[0, 0] == 30.0
    assert book.replenished_at[0, 0] == 40.0


def test_a_shallower_second_dip_keeps_the_first_return() -> None:
    book = ledger([100.0], floor=0.0, target=100.0)
    for day, change in ((10.0, -70.0), (20.0, +70.0), (30.0, -50.0), (40.0, +50.0)):
        if change < 0:
            book.remove(0, v(-change), "sent", day)
        else:
            book.add(0, v(change), "produced", day)
        book.settle()
    assert book.trough_at[0, 0] == 10.0 and book.replenished_at[0, 0] == 20.0


def test_trajectory_stores_a_row_again_only_when_it_changed() -> None:
    from sim.ledger import Trajectory

    track = Trajectory([0, 2], cells=3, times=4, runs=2, dtype=np.float32)
    state = np.zeros((3, 2))
    track.record(0, state)  # all zero: nothing stored beyond the zero slab
    state[0] = [1.0, 2.0]
    state[1] = [9.0, 9.0]  # row 1 is not reported
    track.record(1, state)
    track.record(3, state)  # time 2 never recorded: zeros
    slabs, slots = track.stored()
    assert len(slabs) == 2  # the zero slab and row 0 at time 1, shared by time 3
    dense = slabs[slots]
    assert dense.shape == (4, 2, 2)
    assert dense[:, 0].tolist() == [[0, 0], [1, 2], [0, 0], [1, 2]]
    assert np.all(dense[:, 1] == 0)
    with pytest.raises(ValueError, match="recorded after"):
        track.record(2, state)


def huge_page_kb(array: np.ndarray) -> int | None:
    """AnonHugePages of the mappings over ``array``'s memory (None where /proc has no smaps).

    Summed over every mapping that overlaps it: advice on part of a map splits it."""
    smaps = Path("/proc/self/smaps")
    if not smaps.exists():
        return None
    low, high = array.ctypes.data, array.ctypes.data + array.nbytes
    total, inside = 0, False
    for line in smaps.read_text().splitlines():
        head = line.split()[0]
        if "-" in head and ":" not in head:  # a mapping's first line: start-end perms ...
            start, end = (int(x, 16) for x in head.split("-"))
            inside = start < high and low < end
        elif inside and head == "AnonHugePages:":
            total += int(line.split()[1])
    return total


def test_mapped_zeros_are_zero_writable_views_on_small_pages() -> None:
    from sim.ledger import mapped_zeros

    slabs = mapped_zeros((1024, 2048), np.float32)  # 8 MiB: room for four huge pages
    assert slabs.shape == (1024, 2048) and slabs.dtype == np.float32
    assert not slabs.any()
    slabs[:] = 1.0  # every page touched
    assert huge_page_kb(slabs) in (None, 0)
    kept = slabs[:3]
    del slabs  # the view keeps the map alive
    assert kept.sum() == 3 * 2048
    assert np.array_equal(pickle.loads(pickle.dumps(kept)), kept)


def test_snapshot_examines_only_marked_rows_and_verify_catches_a_missed_mark() -> None:
    book = Ledger([("us", "shell"), ("eu", "shell")], [0, 1], grid_size=2, runs=2, times=4)
    ten = np.full((2, 2), 10.0)
    book.start(ten, np.zeros_like(ten), ten)
    book.snapshot(0)
    book._values["stock"][1] += 5.0  # a defect in the ledger itself: a write not marked
    book.add(0, v(1.0, 2.0), "produced", 1.0)
    book.snapshot(1)
    stock = cube(book, "stock")
    assert stock[:, 1].tolist() == [[11.0, 10.0], [12.0, 10.0]]  # the unmarked row not seen
    book._values["stock"][1] += 5.0
    book.verify_marks = True
    with pytest.raises(RuntimeError, match="stock of cell 1 changed, not marked"):
        book.snapshot(2)


def test_a_marked_row_that_did_not_change_shares_its_slab() -> None:
    book = ledger([10.0, 20.0])
    book.snapshot(0)
    book.add(0, v(0.0, 0.0), "produced", 1.0)
    book.snapshot(1)
    slabs, slots = book.series["stock"].stored()
    assert len(slabs) == 2 and slots[:2, 0].tolist() == [1, 1]


def scalar_metrics(
    start: list[float], floor: float, target: float, steps: list[tuple[float, float, bool]]
) -> list[tuple[float, float, float, float]]:
    """The metric rules one run at a time with floats (an independent statement of them)."""
    out = []
    for stock in start:
        armed, may_deplete, below, may_replenish = stock > floor, True, stock < target, True
        depleted = replenished = math.nan
        trough, trough_at, day = stock, 0.0, 0.0
        for amount, day, settle in steps:
            rising = amount >= 0.0
            stock = stock + amount if rising else stock - min(-amount, stock)
            if not rising and armed and stock <= floor:
                depleted, may_deplete = day, False
            if not rising and stock < trough:
                trough, trough_at = stock, day
            armed = stock > floor and may_deplete
            if settle:
                short = stock < target
                if trough_at == day and trough < target:  # a new lowest point: start over
                    below, may_replenish, replenished = True, True, math.nan
                if below and not short:
                    replenished, may_replenish = day, False
                below = short and may_replenish
        out.append((depleted, replenished, trough, trough_at))
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 5.0, 10.0, 15.0, 30.0]), min_size=1, max_size=4),
    st.sampled_from([0.0, 10.0]),
    st.sampled_from([5.0, 10.0, 20.0]),
    st.lists(
        st.tuples(st.sampled_from([-20.0, -10.0, -5.0, 0.0, 5.0, 10.0]), st.booleans()),
        max_size=12,
    ),
)
def test_metrics_match_the_rules_run_by_run(
    start: list[float], floor: float, target: float, moves: list[tuple[float, bool]]
) -> None:
    book = ledger(start, floor=floor, target=target)
    # an instant is the changes up to a settle, all on the same day (as in the engine)
    instants = np.cumsum([0, *(settle for _, settle in moves)])[:-1]
    pairs = zip(instants, moves, strict=True)
    steps = [(amount, float(k + 1), settle) for k, (amount, settle) in pairs]
    for amount, day, settle in steps:
        if amount >= 0.0:
            book.add(0, np.full(len(start), amount), "produced", day)
        else:
            book.remove(0, np.minimum(-amount, book.stock[0]), "consumed", day)
        if settle:
            book.settle()
    got = np.stack([book.depleted_at[0], book.replenished_at[0], book.trough[0], book.trough_at[0]])
    expected = scalar_metrics(start, floor, target, steps)
    assert np.allclose(got.T, np.array(expected), equal_nan=True, rtol=0, atol=0)
