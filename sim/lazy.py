"""Lazy ``(run, time, holder, item)`` Dask arrays built cell by cell, in blocks of cells.

A block holds every run and time of a few cells (so quantiles over ``run`` work) and is about
``BLOCK_BYTES``: one cell per block when a cell is that large, many when cells are small, so a
scenario of 20,000 holders is a few tasks, not hundreds of thousands.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import dask.array as da

#: A cell's ``(runs, T)`` series, or None where it is zero throughout.
Cell = Callable[[int, int], "np.ndarray | None"]

BLOCK_BYTES = 64 * 2**20


def cell_array(
    name: str, shape: tuple[int, int, int, int], dtype: np.dtype, cell: Cell
) -> da.Array:
    """The lazy array of shape ``(runs, T, holders, items)`` whose cell ``(h, i)`` is
    ``cell(h, i)`` (a picklable callable: blocks may be computed on a Dask cluster)."""
    import dask.array as da

    runs, times, holders, items = shape
    per_block = max(1, BLOCK_BYTES // max(1, runs * times * dtype.itemsize))
    item_step = min(items, per_block)
    holder_step = min(holders, max(1, per_block // items)) if item_step == items else 1
    key = f"stockpile-{name}-{uuid.uuid4().hex}"
    graph = {}
    for b, h0 in enumerate(range(0, holders, holder_step)):
        for c, i0 in enumerate(range(0, items, item_step)):
            cells = (h0, min(h0 + holder_step, holders), i0, min(i0 + item_step, items))
            graph[(key, 0, 0, b, c)] = (_block, cell, cells, (runs, times), dtype.str)
    chunking = ((runs,), (times,), _steps(holders, holder_step), _steps(items, item_step))
    return da.Array(graph, key, chunking, dtype=dtype)  # type: ignore[no-untyped-call]


def _block(
    cell: Cell, cells: tuple[int, int, int, int], size: tuple[int, int], dtype: str
) -> np.ndarray:
    h0, h1, i0, i1 = cells
    out = np.zeros((*size, h1 - h0, i1 - i0), dtype=dtype)
    for h in range(h0, h1):
        for i in range(i0, i1):
            series = cell(h, i)
            if series is not None:
                out[:, :, h - h0, i - i0] = series
    return out


def _steps(total: int, step: int) -> tuple[int, ...]:
    return tuple(min(step, total - start) for start in range(0, total, step))
