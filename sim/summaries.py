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
- The runs' inputs, for sensitivity (``sim.explain``): a sample of runs, the first
  ``SAMPLE_PER_CHUNK`` of each chunk and at most ``SAMPLE_MAX`` in all, with their per-run
  outcomes (metric dates, trough, stock at the end). Runs are independent, so this is a simple
  random sample of the runs; a bounded sample of pairs keeps every dependence between inputs
  and outcomes (which binned statistics chosen in advance would not) at a fixed memory cost,
  and ranking inputs from 20,000 runs has a standard error of about 0.01 of the variance.
- Observed points (``sim.evidence``): each point's runs as quantiles like the series, and the
  exact counts of runs below and equal to the observed value (``observed_below``,
  ``observed_equal``), so its percentile among the runs and the share of runs satisfying a
  bound are exact.
- Where items have a price: the values in money of every level and flow and the replacement
  cost (``sim.values``), their totals over each holder's items (``BY_HOLDER``) and the price
  of each item, as quantiles like the other series. A value whose price is one known number
  is its quantity's quantiles scaled by the price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.engine import ChunkResult, Fleet, fleets
from sim.flows import FLOWS, LEVELS, OUT_OF_ACTION, REPLACEMENT_COST, VALUE_OF, VALUES
from sim.outcomes import CELL_DATES
from sim.processes.donations import pledges
from sim.reductions import (
    INTERIOR,
    PROBABILITIES,
    EventCounts,
    Marginals,
    concat_marginals,
    out_of_action_share,
)
from sim.scenario.model import Scenario
from sim.values import UNIT_PRICE, moves, price_block, priced, value_block

if TYPE_CHECKING:
    import xarray as xr

SLAB_BLOCK = 512  # slabs reduced at a time (bounds the float64 copy: 512 x runs)
#: In a summary, the date of each observed point (``date`` is the dimension of event dates).
SUMMARY_OBSERVED_DATE = "observed_date"
SAMPLE_PER_CHUNK = 1000  # runs of each chunk whose inputs and outcomes are kept
SAMPLE_MAX = 20_000  # runs kept in all
#: Per-run outcomes kept for the sampled runs, over (holder, item): days since start or numbers.
SAMPLED = ("depleted_at", "replenished_at", "trough_at", "trough", "stock_at_end")


@dataclass
class Sample:
    """Inputs ``(n, K)`` and per-run outcomes ``(n, H, I)`` of a sample of the runs."""

    names: tuple[str, ...]
    inputs: np.ndarray
    outcomes: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return int(self.inputs.shape[0])

    def merge(self, other: Sample) -> Sample:
        """This sample, then as many of ``other``'s runs as ``SAMPLE_MAX`` leaves room for."""
        room = max(SAMPLE_MAX - self.size, 0)
        if room == 0 or other.size == 0:
            return self
        return Sample(
            self.names,
            np.concatenate([self.inputs, other.inputs[:room]]),
            {k: np.concatenate([v, other.outcomes[k][:room]]) for k, v in self.outcomes.items()},
        )


#: Values also summed over each holder's priced items (the value chart, the summary's totals).
BY_HOLDER = ("sent_value", "produced_value", "lost_value", REPLACEMENT_COST)


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
    sample: Sample
    clipped: dict[str, int] = field(default_factory=dict)
    prices: Marginals | None = None  # (T, I) price of each item (None: no item has one)
    by_holder: dict[str, Marginals] = field(default_factory=dict)  # BY_HOLDER -> (T, H)
    #: Each observed point's runs (P,): quantiles, and exact counts of runs below / equal to it.
    observed: Marginals | None = None
    observed_counts: dict[str, np.ndarray] = field(default_factory=dict)

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
            sample=self.sample.merge(other.sample),
            clipped=clipped,
            prices=None
            if self.prices is None or other.prices is None
            else self.prices.merge(other.prices),
            by_holder={k: v.merge(other.by_holder[k]) for k, v in self.by_holder.items()},
            observed=None
            if self.observed is None or other.observed is None
            else self.observed.merge(other.observed),
            observed_counts={
                k: v + other.observed_counts[k] for k, v in self.observed_counts.items()
            },
        )


def summarise_chunk(scenario: Scenario, result: ChunkResult) -> ChunkSummary:
    """Reduce one chunk's arrays to its summary."""
    shape = (len(result.holders), len(result.items))
    metrics = result.metrics
    drawn = metrics["trough"] < result.target
    cell_days = {k: metrics[k] for k in CELL_DATES}
    pledged = [d.id for d in pledges(scenario)]
    fulfilled = _pledge_matrix(result.pledge_fulfilled_at, pledged, result.runs)
    totals = _pledge_matrix(result.pledge_total, pledged, result.runs)
    by = _by_days(scenario)
    with np.errstate(invalid="ignore"):
        on_time = (~np.isnan(fulfilled)) & (fulfilled <= by[None, :])
    series = {name: _series(result, name) for name in (*LEVELS, *FLOWS)}
    prices, by_holder = None, {}
    observed, observed_counts = _observed(scenario, result)
    if result.prices:
        series.update(_values(result, series))
        by_holder = {name: _holder_totals(result, name, series[name]) for name in BY_HOLDER}
        prices = _prices(result)
    return ChunkSummary(
        runs=result.runs,
        report_days=result.report_days,
        holders=result.holders,
        items=result.items,
        series=series,
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
            "not_refilled": (drawn & np.isnan(metrics["replenished_at"]))
            .sum(axis=0)
            .reshape(shape),
            "pledge_on_time": on_time.sum(axis=0),
        },
        sample=_sample(result),
        clipped={k: int(v) for k, v in result.clipped.items()},
        prices=prices,
        by_holder=by_holder,
        observed=observed,
        observed_counts=observed_counts,
    )


def _observed(
    scenario: Scenario, result: ChunkResult
) -> tuple[Marginals | None, dict[str, np.ndarray]]:
    """The observed points' marginals over the chunk's runs and the exact counts of runs below
    and equal to each observed value (so percentiles and shares satisfying a bound are exact)."""
    if not scenario.observations:
        return None, {}
    values = np.array([p.value for _, p in scenario.observation_points()])
    runs = result.observed
    counts = {"below": (runs < values).sum(axis=0), "equal": (runs == values).sum(axis=0)}
    return Marginals.of(runs), counts


def _sample(result: ChunkResult) -> Sample:
    """The first ``SAMPLE_PER_CHUNK`` runs' inputs and per-run outcomes."""
    from sim.results import input_matrix

    n = min(result.runs, SAMPLE_PER_CHUNK)
    names = tuple(result.inputs)
    stock = np.zeros((n, len(result.holders), len(result.items)))
    for h, holder in enumerate(result.holders):
        for i, item in enumerate(result.items):
            stock[:, h, i] = cell_block(result, "stock", holder, item)[:n, -1]
    outcomes = {
        **{k: result.metrics[k][:n] for k in ("depleted_at", "replenished_at", "trough_at")},
        "trough": result.metrics["trough"][:n],
        "stock_at_end": stock,
    }
    inputs = input_matrix(result.inputs, names, result.runs)[:n]
    return Sample(names, inputs, {k: np.asarray(v, dtype=np.float64) for k, v in outcomes.items()})


def _constant(shape: tuple[int, ...], runs: int, value: float) -> Marginals:
    """Marginals of ``value`` in every run (``runs`` 0: no runs, NaN)."""
    fill = value if runs else np.nan
    return Marginals(
        np.full((len(INTERIOR), *shape), value * runs if runs else 0.0),
        np.full(shape, fill),
        np.full(shape, fill),
        np.full(shape, value * runs),
        np.full(shape, runs, dtype=np.int64),
    )


def _put(into: Marginals, index: tuple[slice | int, ...], cell: Marginals) -> None:
    """Write ``cell``'s elements at ``index`` of ``into`` (element axes)."""
    into.weighted[(slice(None), *index)] = cell.weighted
    into.low[index], into.high[index] = cell.low, cell.high
    into.total[index], into.count[index] = cell.total, cell.count


def _cell(m: Marginals, index: tuple[slice | int, ...]) -> Marginals:
    return Marginals(m.weighted[(slice(None), *index)], m.low[index], m.high[index],
                     m.total[index], m.count[index])  # fmt: skip


def _known_price(result: ChunkResult, i: int) -> float | None:
    """Item ``i``'s price when it is one number in every run and at every time."""
    price = result.prices[result.items[i]]
    first = float(price.flat[0])
    return first if price.shape[0] == 1 and bool(np.all(price == first)) else None


def _values(result: ChunkResult, series: dict[str, Marginals]) -> dict[str, Marginals]:
    """Marginals of every value (``sim.flows.VALUES``) at every (time, holder, item): NaN
    (no runs) where the item has no price, 0 where the value cannot move."""
    times, holders = len(result.report_days), len(result.holders)
    shape = (times, holders, len(result.items))
    out = {}
    for name in VALUES:
        marginals = _constant(shape, 0, 0.0)
        for i in priced(result):
            price = _known_price(result, i)
            for h in range(holders):
                index = (slice(None), h, i)
                if not moves(result, name, h, i):
                    cell = _constant((times,), result.runs, 0.0)
                elif price is not None and name in VALUE_OF:  # a scaled copy: same order
                    base = _cell(series[VALUE_OF[name]], index)
                    cell = Marginals(base.weighted * price, base.low * price,
                                     base.high * price, base.total * price, base.count)  # fmt: skip
                else:
                    cell = Marginals.of(value_block(result, name, h, i).T, axis=1)
                _put(marginals, index, cell)
        out[name] = marginals
    return out


def _prices(result: ChunkResult) -> Marginals:
    """Marginals over ``(T, I)`` of each item's price (no runs where it has none)."""
    times = len(result.report_days)
    out = _constant((times, len(result.items)), 0, 0.0)
    for i in priced(result):
        price = _known_price(result, i)
        if price is not None:
            cell = _constant((times,), result.runs, price)
        else:
            cell = Marginals.of(price_block(result, i).T, axis=1)
        _put(out, (slice(None), i), cell)
    return out


def _holder_totals(result: ChunkResult, name: str, cells: Marginals) -> Marginals:
    """Marginals over ``(T, H)`` of value ``name`` summed over each holder's priced items."""
    times, holders = len(result.report_days), len(result.holders)
    out = _constant((times, holders), result.runs, 0.0)
    for h in range(holders):
        moving = [i for i in priced(result) if moves(result, name, h, i)]
        if len(moving) == 1:
            _put(out, (slice(None), h), _cell(cells, (slice(None), h, moving[0])))
        elif moving:
            total = sum(value_block(result, name, h, i) for i in moving)
            _put(out, (slice(None), h), Marginals.of(np.asarray(total).T, axis=1))
    return out


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
    ``sim.outcomes.Outcomes.out_of_action``); no runs outside fleets and where the fleet is
    empty."""
    shape = (len(result.report_days), len(result.holders), len(result.items))
    out = Marginals(
        np.zeros((len(INTERIOR), *shape)),
        np.full(shape, np.nan),
        np.full(shape, np.nan),
        np.zeros(shape),
        np.zeros(shape, dtype=np.int64),
    )
    for holder, item, hubs in fleet_list:
        away = np.zeros((result.runs, len(result.report_days)))
        for name in OUT_OF_ACTION:
            away = away + cell_block(result, name, holder, item)
        for hub in hubs:
            for name in LEVELS:
                away = away + cell_block(result, name, hub, item)
        share = out_of_action_share(cell_block(result, "stock", holder, item) + away, away)
        cell = Marginals.of(share.T, axis=1)  # (T,)
        h, i = result.holders.index(holder), result.items.index(item)
        out.weighted[:, :, h, i] = cell.weighted
        out.low[:, h, i], out.high[:, h, i] = cell.low, cell.high
        out.total[:, h, i], out.count[:, h, i] = cell.total, cell.count
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

    from sim.results import (
        OBSERVED,
        contract_attrs,
        contract_coords,
        days_to_datetime,
        observation_coords,
    )

    start = scenario.start
    cube = ("quantile", "time", "holder", "item")
    shape = (len(summary.holders), len(summary.items))
    data: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    for name, marginals in summary.series.items():
        data[name] = (cube, marginals.quantiles())
        data[f"{name}_mean"] = (cube[1:], marginals.mean())
    if summary.prices is not None:
        data[UNIT_PRICE] = (("quantile", "time", "item"), summary.prices.quantiles())
        data[f"{UNIT_PRICE}_mean"] = (("time", "item"), summary.prices.mean())
    for name, marginals in summary.by_holder.items():
        data[f"{name}_by_holder"] = (("quantile", "time", "holder"), marginals.quantiles())
        data[f"{name}_by_holder_mean"] = (("time", "holder"), marginals.mean())
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
    sample = summary.sample
    data["inputs"] = (("sample", "input"), sample.inputs)
    for name in SAMPLED:
        values = sample.outcomes[name]
        if name.endswith("_at"):
            values = days_to_datetime(start, values)
        data[f"sampled_{name}"] = (("sample", "holder", "item"), values)
    coords = contract_coords(scenario, summary.report_days, runs=None)
    coords["input"] = np.array(sample.names, dtype=str)
    coords["quantile"] = np.array(PROBABILITIES)
    coords["date"] = days_to_datetime(start, grid)
    attrs = contract_attrs(scenario, seed=seed, runs=summary.runs, deterministic=deterministic,
                           clipped=summary.clipped)  # fmt: skip
    if summary.observed is not None:  # the event-date counts own the name ``date``
        data[OBSERVED] = (("quantile", "point"), summary.observed.quantiles())
        data[f"{OBSERVED}_mean"] = (("point",), summary.observed.mean())
        for name, counts in summary.observed_counts.items():
            data[f"{OBSERVED}_{name}"] = (("point",), np.asarray(counts, dtype=np.int64))
        coords.update(observation_coords(scenario, date=SUMMARY_OBSERVED_DATE))
    attrs["keep"] = "summary"
    dataset = xr.Dataset(data, coords=coords, attrs=attrs)
    for name in (*CELL_DATES, "pledge_fulfilled_at"):
        dataset[name].attrs["long_name"] = "runs in which the event happens at this date"
    return dataset
