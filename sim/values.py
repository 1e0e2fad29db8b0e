"""Values in money of a run's levels and flows, from a chunk's arrays (docs/results.md).

For an item with a price every level and flow has a value (``sim.flows.VALUES``): a level at
the price of each reported day, a flow at the price of the day each movement happened, and
``replacement_cost = max(target - stock, 0) * price`` at each reported day. Where an item's
price does not change in time, the value of a flow is its units times the run's price; where it
does, the engine valued each movement as it happened (``sim.processes.prices.Valuation``) and
the chunk holds those series. Items without a price have no value (NaN).

The full results (``sim.results``) and the summary-only reduction (``sim.summaries``) both take
values from here, cell by cell. NumPy only, plus Dask for the lazy arrays of full results.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from sim.flows import LEVELS, REPLACEMENT_COST, VALUE_OF, VALUES
from sim.lazy import cell_array

if TYPE_CHECKING:
    import dask.array as da

    from sim.engine import ChunkResult

#: Variable of the price of each item at each reported time (per run).
UNIT_PRICE = "unit_price"


def is_value_variable(name: str) -> bool:
    """Whether results variable ``name`` is in money (a value, a total of values, a price)."""
    base = name.removesuffix("_mean").removesuffix("_by_holder")
    return base in VALUES or base == UNIT_PRICE


def priced(chunk: ChunkResult) -> list[int]:
    """Indices of the items with a price."""
    return [i for i, item in enumerate(chunk.items) if item in chunk.prices]


def price_block(chunk: ChunkResult, i: int) -> np.ndarray:
    """``(runs, T)`` price of item ``i`` at each reported time (NaN where it has none)."""
    times = len(chunk.report_days)
    price = chunk.prices.get(chunk.items[i])
    if price is None:
        return np.full((chunk.runs, times), np.nan)
    return np.ascontiguousarray(np.broadcast_to(price, (times, chunk.runs)).T)


def block(chunk: ChunkResult, name: str, h: int, i: int) -> np.ndarray | None:
    """``(runs, T)`` float64 series ``name`` of cell ``(h, i)``; None where it is not stored
    (it is 0 there)."""
    flat = h * len(chunk.items) + i
    rows = np.flatnonzero(chunk.columns.get(name, np.zeros(0, np.intp)) == flat)
    if rows.size == 0:
        return None
    values = chunk.slabs[name][chunk.slots[name][:, rows[0]]]
    return np.ascontiguousarray(values.T, dtype=np.float64)


def moves(chunk: ChunkResult, name: str, h: int, i: int) -> bool:
    """Whether value ``name`` of cell ``(h, i)`` can be non-zero (its item has a price and its
    quantity moves there, or for the replacement cost, the stock falls below its target)."""
    if chunk.items[i] not in chunk.prices:
        return False
    if name == REPLACEMENT_COST:
        return bool(np.any(chunk.metrics["trough"][:, h, i] < chunk.target[:, h, i]))
    flat = h * len(chunk.items) + i
    return bool(np.any(chunk.columns.get(VALUE_OF[name], np.zeros(0, np.intp)) == flat))


def value_block(chunk: ChunkResult, name: str, h: int, i: int) -> np.ndarray:
    """``(runs, T)`` value ``name`` of cell ``(h, i)`` in money (NaN where the item has no
    price)."""
    runs, times = chunk.runs, len(chunk.report_days)
    if chunk.items[i] not in chunk.prices:
        return np.full((runs, times), np.nan)
    price = chunk.prices[chunk.items[i]].T  # (runs, T), or (runs, 1) when it does not change
    if name == REPLACEMENT_COST:
        stock = block(chunk, "stock", h, i)
        stock = np.zeros((runs, times)) if stock is None else stock
        short: np.ndarray = np.subtract(chunk.target[:, h, i][:, None], stock, out=stock)
        np.maximum(short, 0.0, out=short)
        short *= price
        return short
    valued = block(chunk, name, h, i)  # moved while the price changed: valued as it happened
    if valued is not None:
        return valued
    quantity = block(chunk, VALUE_OF[name], h, i)
    varies = chunk.prices[chunk.items[i]].shape[0] > 1
    if quantity is None or (varies and VALUE_OF[name] not in LEVELS):
        return np.zeros((runs, times))
    quantity *= price
    return quantity


def _cell(chunks: Sequence[ChunkResult], name: str, h: int, i: int) -> np.ndarray | None:
    """One cell's value over all chunks as ``(runs, T)``; None where it is zero throughout."""
    if chunks[0].items[i] in chunks[0].prices and not any(moves(c, name, h, i) for c in chunks):
        return None
    return np.concatenate([value_block(c, name, h, i) for c in chunks], axis=0)


def lazy_values(chunks: Sequence[ChunkResult], name: str) -> da.Array:
    """Value ``name`` over all chunks as a lazy ``(run, time, holder, item)`` Dask array (NaN
    for items without a price, zeros where nothing moves)."""
    first = chunks[0]
    runs, times = sum(c.runs for c in chunks), len(first.report_days)
    shape = (runs, times, len(first.holders), len(first.items))
    dtype = first.slabs["stock"].dtype
    return cell_array(name, shape, dtype, partial(_cell, list(chunks), name))


def _prices(chunks: Sequence[ChunkResult], i: int, dtype: str) -> np.ndarray:
    joined = np.concatenate([price_block(c, i) for c in chunks], axis=0)
    return joined.astype(dtype)[:, :, None]


def lazy_prices(chunks: Sequence[ChunkResult]) -> da.Array:
    """``(run, time, item)`` price of each item as a lazy Dask array (NaN where none)."""
    import dask.array as da

    first = chunks[0]
    runs, times, items = sum(c.runs for c in chunks), len(first.report_days), len(first.items)
    dtype = first.slabs["stock"].dtype
    key = f"stockpile-{UNIT_PRICE}-{uuid.uuid4().hex}"
    graph = {(key, 0, 0, i): (_prices, list(chunks), i, dtype.str) for i in range(items)}
    chunking = ((runs,), (times,), (1,) * items)
    return da.Array(graph, key, chunking, dtype=dtype)  # type: ignore[no-untyped-call]
