"""Summary-only runs: per-chunk summaries of the results, merged as chunks finish.

For very many runs the trajectories are not kept. Each chunk is reduced, where it was simulated,
to a ``ChunkSummary`` whose size does not depend on the number of runs, and the summaries are
merged in chunk order (so results are identical whatever the backend or number of workers):

- Levels, flows, floors, targets, troughs, pledge totals and the share out of action: exact
  per-chunk quantiles at ``PROBABILITIES`` over the chunk's runs. Interior probabilities are
  merged as the run-weighted mean of the chunks' quantiles (Vincentization: for chunks of
  independent runs of one model it estimates the same quantile as the pooled runs, with about the
  same standard error and a bias of order 1/chunk runs where the values are spread out; at an
  atom of a lumpy distribution, such as a count of pending shipments, a chunk whose share below
  the atom crosses the probability pulls the merge towards the neighbouring value, which large
  chunks make rare); probabilities 0 and 1 are the exact minimum and maximum over all runs.
  Means are exact (sums over runs).
- Event dates (depleted, replenished, trough, back at target after the trough, pledge
  fulfilled): exact counts of runs per distinct event day (days come from the event grid, so the
  number of distinct days is bounded by the horizon, not by the runs); "never" is the rest.
- Counts of runs drawn below target, not back by the end, and pledges on time: exact.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.engine import ChunkResult, reported_cells
from sim.flows import FLOWS, LEVELS
from sim.metrics import refilled_after_trough
from sim.processes.donations import pledges
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    import xarray as xr

#: Probabilities of the stored quantiles; 0 and 1 are the minimum and maximum over runs.
PROBABILITIES = (0.0, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 1.0)
INTERIOR = np.array(PROBABILITIES[1:-1])
CELL_DATES = ("depleted_at", "replenished_at", "trough_at", "refilled_at")
SLAB_BLOCK = 512  # slabs reduced at a time (bounds the float64 copy: 512 x runs)

Fleet = tuple[str, str, tuple[str, ...]]


@dataclass
class Marginals:
    """Per-element quantiles and mean over runs, mergeable across chunks.

    Arrays have the element shape; ``weighted`` has a leading axis over ``INTERIOR``.
    NaN values are not runs of the element (``count`` says how many runs are).
    """

    weighted: np.ndarray  # sum over chunks of count * chunk quantile
    low: np.ndarray  # minimum over runs (NaN where no run)
    high: np.ndarray  # maximum over runs
    total: np.ndarray  # sum of values
    count: np.ndarray  # number of runs with a value

    @classmethod
    def of(cls, values: np.ndarray, axis: int = 0) -> Marginals:
        """Marginals over the runs (on ``axis``; the last axis is the fastest) of ``values``."""
        stored = np.asarray(values)
        values = np.asarray(stored, dtype=np.float64)
        if values.shape[axis] == 0:
            raise ValueError("no runs")
        missing = np.isnan(values)
        count = values.shape[axis] - missing.sum(axis=axis)
        if missing.any():
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN elements give NaN
                q = run_quantiles(stored, axis)
                low, high = np.nanmin(values, axis=axis), np.nanmax(values, axis=axis)
            total = np.nansum(values, axis=axis)
        else:
            q = run_quantiles(stored, axis)
            low, high = values.min(axis=axis), values.max(axis=axis)
            total = values.sum(axis=axis)
        weighted = np.where(count > 0, q * count, 0.0)
        return cls(weighted, np.asarray(low), np.asarray(high), np.asarray(total), count)

    def merge(self, other: Marginals) -> Marginals:
        """Both chunks' runs together."""
        return Marginals(
            self.weighted + other.weighted,
            np.fmin(self.low, other.low),
            np.fmax(self.high, other.high),
            self.total + other.total,
            self.count + other.count,
        )

    def take(self, index: np.ndarray) -> Marginals:
        """Elements ``index`` (fancy index on the element axes)."""
        return Marginals(
            self.weighted[:, index],
            self.low[index],
            self.high[index],
            self.total[index],
            self.count[index],
        )

    def quantiles(self) -> np.ndarray:
        """``(len(PROBABILITIES), *shape)``: min, merged interior quantiles, max."""
        with np.errstate(invalid="ignore", divide="ignore"):
            interior = np.where(self.count > 0, self.weighted / self.count, np.nan)
        return np.concatenate([self.low[None], interior, self.high[None]])

    def mean(self) -> np.ndarray:
        """Mean over the runs with a value (NaN where none)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.total / self.count, np.nan)


def run_quantiles(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """``np.nanquantile(values, INTERIOR, axis=axis)`` (method 'linear', the same numbers; NaN
    where every value is NaN) from one sort in the stored precision: about twice as fast as
    NumPy's multi-point selection, and far faster than its row-by-row NaN path."""
    ordered = np.sort(np.moveaxis(values, axis, -1), axis=-1)  # NaNs sort last
    n = ordered.shape[-1] - np.count_nonzero(np.isnan(ordered), axis=-1)  # (*rest,)
    last = np.maximum(n - 1, 0)
    position = INTERIOR.reshape(-1, *([1] * n.ndim)) * last  # (Q, *rest)
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, last)
    gamma = position - below
    low = _take_last(ordered, below)
    high = _take_last(ordered, above)
    rise = high - low
    out: np.ndarray = low + rise * gamma
    np.subtract(high, rise * (1 - gamma), out=out, where=gamma >= 0.5)  # as NumPy's lerp
    out[:, n == 0] = np.nan
    return out


def _take_last(ordered: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``ordered[..., index[q]]`` element by element, as float64 ``(Q, *rest)``."""
    picked = np.take_along_axis(ordered, np.moveaxis(index, 0, -1), axis=-1)
    return np.moveaxis(picked, -1, 0).astype(np.float64)


def concat_marginals(parts: Iterable[Marginals]) -> Marginals:
    """Marginals of disjoint element sets side by side (along the first element axis)."""
    parts = list(parts)
    return Marginals(
        np.concatenate([p.weighted for p in parts], axis=1),
        np.concatenate([p.low for p in parts]),
        np.concatenate([p.high for p in parts]),
        np.concatenate([p.total for p in parts]),
        np.concatenate([p.count for p in parts]),
    )


@dataclass
class EventCounts:
    """How many runs have an event at each (key, day): keys are cells or pledges."""

    keys: np.ndarray  # (n,) int
    days: np.ndarray  # (n,) float days since start
    counts: np.ndarray  # (n,) int64

    @classmethod
    def of(cls, days: np.ndarray) -> EventCounts:
        """Counts from ``days`` of shape ``(runs, keys)`` (NaN: the event does not happen)."""
        runs, width = days.shape
        keys = np.broadcast_to(np.arange(width), (runs, width))
        happened = ~np.isnan(days)
        return cls._grouped(keys[happened], days[happened], np.ones(happened.sum(), np.int64))

    @classmethod
    def _grouped(cls, keys: np.ndarray, days: np.ndarray, counts: np.ndarray) -> EventCounts:
        """Counts summed per distinct (key, day), in key then day order."""
        if keys.size == 0:
            return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
        order = np.lexsort((days, keys))
        keys, days, counts = keys[order], days[order], counts[order]
        first = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]) | (days[1:] != days[:-1])])
        summed = np.add.reduceat(counts.astype(np.int64), first)
        return cls(keys[first].astype(np.int64), days[first], summed)

    def merge(self, other: EventCounts) -> EventCounts:
        """Both chunks' runs together."""
        return EventCounts._grouped(
            np.concatenate([self.keys, other.keys]),
            np.concatenate([self.days, other.days]),
            np.concatenate([self.counts, other.counts]),
        )

    def dense(self, width: int, grid: np.ndarray) -> np.ndarray:
        """``(width, len(grid))`` counts on the sorted day ``grid`` (which holds every day)."""
        out = np.zeros((width, len(grid)), dtype=np.int64)
        np.add.at(out, (self.keys, np.searchsorted(grid, self.days)), self.counts)
        return out


@dataclass
class ChunkSummary:
    """What a summary-only run keeps of one chunk (size independent of its runs)."""

    runs: int
    report_days: np.ndarray
    holders: tuple[str, ...]
    items: tuple[str, ...]
    series: dict[str, Marginals]  # LEVELS + FLOWS -> elements (T, H, I)
    out_of_action: Marginals  # (T, H, I), NaN-free only in fleet cells
    per_run: dict[str, Marginals]  # floor, target, trough -> (H, I); pledge_total -> (P,)
    dates: dict[str, EventCounts]  # CELL_DATES (key: flat cell) and pledge_fulfilled_at
    counts: dict[str, np.ndarray]  # drawn_down, not_refilled (H, I); pledge_on_time (P,)
    clipped: dict[str, int] = field(default_factory=dict)

    def merge(self, other: ChunkSummary) -> ChunkSummary:
        """Both chunks together (merge in chunk order for bit-identical results)."""
        clipped = dict(self.clipped)
        for key, count in other.clipped.items():
            clipped[key] = clipped.get(key, 0) + int(count)
        return ChunkSummary(
            runs=self.runs + other.runs,
            report_days=self.report_days,
            holders=self.holders,
            items=self.items,
            series={k: v.merge(other.series[k]) for k, v in self.series.items()},
            out_of_action=self.out_of_action.merge(other.out_of_action),
            per_run={k: v.merge(other.per_run[k]) for k, v in self.per_run.items()},
            dates={k: v.merge(other.dates[k]) for k, v in self.dates.items()},
            counts={k: v + other.counts[k] for k, v in self.counts.items()},
            clipped=clipped,
        )


def fleets(scenario: Scenario) -> list[Fleet]:
    """Fleets with repair, as ``sim.plots.write.availability_cells`` finds them, from the
    scenario's structure: (holder that loses the item, item, repair hubs counted in its fleet)."""
    cells = reported_cells(scenario)
    repairing, losing = cells["in_repair"], cells["lost"]
    out: list[Fleet] = []
    for item in scenario.items:
        hubs = tuple(
            h for h in scenario.holders if (h, item) in repairing and (h, item) not in losing
        )
        for holder in scenario.holders:
            if (holder, item) in losing and ((holder, item) in repairing or hubs):
                out.append((holder, item, hubs))
    return out


def summarise_chunk(scenario: Scenario, result: ChunkResult) -> ChunkSummary:
    """Reduce one chunk's arrays to its summary."""
    shape = (len(result.holders), len(result.items))
    metrics = result.metrics
    refilled = _refilled(result)
    drawn = metrics["trough"] < result.target
    cell_days = {**{k: metrics[k] for k in CELL_DATES if k in metrics}, "refilled_at": refilled}
    pledged = [d.id for d in pledges(scenario)]
    fulfilled = _pledge_matrix(result.pledge_fulfilled_at, pledged, result.runs)
    totals = _pledge_matrix(result.pledge_total, pledged, result.runs)
    by = _by_days(scenario)
    with np.errstate(invalid="ignore"):
        on_time = (~np.isnan(fulfilled)) & (fulfilled <= by[None, :])
    return ChunkSummary(
        runs=result.runs,
        report_days=result.report_days,
        holders=result.holders,
        items=result.items,
        series={name: _series(result, name) for name in (*LEVELS, *FLOWS)},
        out_of_action=_out_of_action(result, fleets(scenario)),
        per_run={
            "floor": Marginals.of(result.floor),
            "target": Marginals.of(result.target),
            "trough": Marginals.of(metrics["trough"]),
            "pledge_total": Marginals.of(totals),
        },
        dates={
            **{k: EventCounts.of(v.reshape(result.runs, -1)) for k, v in cell_days.items()},
            "pledge_fulfilled_at": EventCounts.of(fulfilled),
        },
        counts={
            "drawn_down": drawn.sum(axis=0).reshape(shape),
            "not_refilled": (drawn & np.isnan(refilled)).sum(axis=0).reshape(shape),
            "pledge_on_time": on_time.sum(axis=0),
        },
        clipped={k: int(v) for k, v in result.clipped.items()},
    )


def _by_days(scenario: Scenario) -> np.ndarray:
    """Each pledge's deadline in days (NaN: none)."""
    days = [np.nan if d.by_day is None else d.by_day for d in pledges(scenario)]
    return np.array(days, dtype=np.float64)


def _pledge_matrix(values: dict[str, np.ndarray], pledges: list[str], runs: int) -> np.ndarray:
    if not pledges:
        return np.zeros((runs, 0))
    return np.stack([np.asarray(values[p], dtype=np.float64) for p in pledges], axis=1)


def _series(result: ChunkResult, name: str) -> Marginals:
    """Marginals of series ``name`` at every (time, holder, item), each slab reduced once."""
    slabs, slots, columns = result.slabs[name], result.slots[name], result.columns[name]
    times, grid = len(result.report_days), len(result.holders) * len(result.items)
    runs = result.runs
    dense = Marginals(
        np.zeros((len(INTERIOR), times, grid)),
        np.zeros((times, grid)),
        np.zeros((times, grid)),
        np.zeros((times, grid)),
        np.full((times, grid), runs, dtype=np.int64),
    )
    if len(columns):
        blocks = (
            Marginals.of(slabs[start : start + SLAB_BLOCK], axis=1)
            for start in range(0, slabs.shape[0], SLAB_BLOCK)
        )
        per_slab = concat_marginals(blocks).take(slots)  # (T, rows)
        dense.weighted[:, :, columns] = per_slab.weighted
        dense.low[:, columns] = per_slab.low
        dense.high[:, columns] = per_slab.high
        dense.total[:, columns] = per_slab.total
        dense.count[:, columns] = per_slab.count
    shape = (times, len(result.holders), len(result.items))
    return Marginals(
        dense.weighted.reshape(len(INTERIOR), *shape),
        dense.low.reshape(shape),
        dense.high.reshape(shape),
        dense.total.reshape(shape),
        dense.count.reshape(shape),
    )


def cell_block(result: ChunkResult, name: str, holder: str, item: str) -> np.ndarray:
    """One cell's series ``name`` as ``(runs, T)`` in its stored precision (0 if unreported)."""
    flat = result.holders.index(holder) * len(result.items) + result.items.index(item)
    rows = np.flatnonzero(result.columns[name] == flat)
    if rows.size == 0:
        return np.zeros((result.runs, len(result.report_days)), result.slabs[name].dtype)
    return np.ascontiguousarray(result.slabs[name][result.slots[name][:, rows[0]]].T)


def _out_of_action(result: ChunkResult, fleet_list: list[Fleet]) -> Marginals:
    """Marginals over ``(T, H, I)`` of the share of each fleet out of action (as
    ``sim.plots.out_of_action``); no runs outside fleets and where the fleet is empty."""
    shape = (len(result.report_days), len(result.holders), len(result.items))
    out = Marginals(
        np.zeros((len(INTERIOR), *shape)),
        np.full(shape, np.nan),
        np.full(shape, np.nan),
        np.zeros(shape),
        np.zeros(shape, dtype=np.int64),
    )
    for holder, item, hubs in fleet_list:
        away = cell_block(result, "in_repair", holder, item).astype(np.float64)
        for other in hubs:
            for name in ("stock", "in_repair", "in_transit"):
                away = away + cell_block(result, name, other, item)
        fleet = cell_block(result, "stock", holder, item) + away
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(fleet > 0, away / fleet, np.nan)
        cell = Marginals.of(share.T, axis=1)  # (T,)
        h, i = result.holders.index(holder), result.items.index(item)
        out.weighted[:, :, h, i] = cell.weighted
        out.low[:, h, i], out.high[:, h, i] = cell.low, cell.high
        out.total[:, h, i], out.count[:, h, i] = cell.total, cell.count
    return out


def _refilled(result: ChunkResult) -> np.ndarray:
    """``(runs, H, I)`` days when the stock is back at target after its trough (NaN: never)."""
    out = np.full((result.runs, len(result.holders), len(result.items)), np.nan)
    trough, target = result.metrics["trough"], result.target
    drawn = np.asarray((trough < target).any(axis=0))
    for h, holder in enumerate(result.holders):
        for i, item in enumerate(result.items):
            if not drawn[h, i]:
                continue
            out[:, h, i] = refilled_after_trough(
                result.metrics["replenished_at"][:, h, i],
                result.metrics["trough_at"][:, h, i],
                target[:, h, i],
                trough[:, h, i],
                cell_block(result, "stock", holder, item),
                result.report_days,
            )
    return out


def merge_in_order(summaries: Iterable[ChunkSummary]) -> ChunkSummary:
    """Merge chunk summaries given in chunk order, holding one at a time."""
    merged: ChunkSummary | None = None
    for summary in summaries:
        merged = summary if merged is None else merged.merge(summary)
    if merged is None:
        raise ValueError("no chunks")
    return merged


def summary_dataset(
    scenario: Scenario, summary: ChunkSummary, *, seed: int, deterministic: bool
) -> xr.Dataset:
    """The summary Dataset: a ``quantile`` dimension instead of ``run`` (see the module doc)."""
    import xarray as xr

    from sim.results import contract_attrs, contract_coords, days_to_datetime

    start = scenario.start
    cube = ("quantile", "time", "holder", "item")
    shape = (len(summary.holders), len(summary.items))
    data: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    for name, marginals in summary.series.items():
        data[name] = (cube, marginals.quantiles())
        data[f"{name}_mean"] = (cube[1:], marginals.mean())
    data["out_of_action"] = (cube, summary.out_of_action.quantiles())
    data["out_of_action_mean"] = (cube[1:], summary.out_of_action.mean())
    for name in ("floor", "target", "trough"):
        data[name] = (("quantile", "holder", "item"), summary.per_run[name].quantiles())
        data[f"{name}_mean"] = (("holder", "item"), summary.per_run[name].mean())
    data["pledge_total"] = (("quantile", "pledge"), summary.per_run["pledge_total"].quantiles())
    data["pledge_total_mean"] = (("pledge",), summary.per_run["pledge_total"].mean())
    grid = np.unique(np.concatenate([c.days for c in summary.dates.values()] + [np.zeros(0)]))
    for name in CELL_DATES:
        counts = summary.dates[name].dense(shape[0] * shape[1], grid)
        data[name] = (("holder", "item", "date"), counts.reshape(*shape, len(grid)))
    pledges = len(summary.counts["pledge_on_time"])
    data["pledge_fulfilled_at"] = (
        ("pledge", "date"),
        summary.dates["pledge_fulfilled_at"].dense(pledges, grid),
    )
    data["pledge_by"] = (("pledge",), days_to_datetime(start, _by_days(scenario)))
    for name, counts in summary.counts.items():
        dims = ("pledge",) if name == "pledge_on_time" else ("holder", "item")
        data[name] = (dims, np.asarray(counts, dtype=np.int64))
    coords = contract_coords(scenario, summary.report_days, runs=None)
    coords["quantile"] = np.array(PROBABILITIES)
    coords["date"] = days_to_datetime(start, grid)
    attrs = contract_attrs(scenario, seed=seed, runs=summary.runs, deterministic=deterministic,
                           clipped=summary.clipped)  # fmt: skip
    attrs["keep"] = "summary"
    attrs["fleets"] = json.dumps([[h, i, list(hubs)] for h, i, hubs in fleets(scenario)])
    dataset = xr.Dataset(data, coords=coords, attrs=attrs)
    for name in (*CELL_DATES, "pledge_fulfilled_at"):
        dataset[name].attrs["long_name"] = "runs in which the event happens at this date"
    return dataset


def is_summary(dataset: xr.Dataset) -> bool:
    """Whether ``dataset`` holds a summary-only run (quantiles, not runs)."""
    return str(dataset.attrs.get("keep", "full")) == "summary"
