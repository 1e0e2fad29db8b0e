"""What happened over the runs, read the same way from full and summary-only results.

Full results hold every run; summary-only results (``keep="summary"``) hold what
``sim.summaries`` kept of each chunk: event-date counts, quantiles and means. The summary table
(``sim.metrics``) and the charts (``sim.plots``) read results only through ``Outcomes``, so
both kinds go through one path, and each derived quantity (when a stock is back after its
trough, the share of a fleet out of action, which cells moved) is computed in one place.

>>> outcomes = Outcomes(results.dataset)                       # doctest: +SKIP
>>> outcomes.dates("depleted_at", "us", "shell_155").probability  # doctest: +SKIP
0.44
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xarray as xr

from sim.currency import DEFAULT as DEFAULT_CURRENCY
from sim.flows import FLOWS, LEVELS, OUT_OF_ACTION
from sim.limits import DATE_UNIT, DATETIME
from sim.reductions import out_of_action_share, sorted_quantiles

Cell = tuple[str, str]


class NotKept(ValueError):
    """Summary-only results were asked for something they did not keep."""


Fleet = tuple[str, str, tuple[str, ...]]
NEVER = np.datetime64("NaT", DATE_UNIT)
#: Dates summarised per cell: the three metric dates and the return to target after the trough.
CELL_DATES = ("depleted_at", "replenished_at", "trough_at")


def is_summary(dataset: xr.Dataset) -> bool:
    """Whether ``dataset`` holds a summary-only run (quantiles over runs, not runs)."""
    return str(dataset.attrs.get("keep", "full")) == "summary"


def runs_dim(dataset: xr.Dataset) -> str:
    """The dimension over runs: ``run``, or ``quantile`` in a summary-only run (whose quantiles
    at 0 and 1 are the minimum and maximum over runs, so "any run" tests stay exact)."""
    return "quantile" if is_summary(dataset) else "run"


@dataclass(frozen=True)
class Spread:
    """One quantity's values over runs (at each time, or one per run): the runs themselves, or
    the quantiles a summary-only run kept, with the mean over runs."""

    values: np.ndarray  # (run, ...), or (quantile, ...) when ``probabilities`` is given
    runs: int
    probabilities: np.ndarray | None = None
    kept_mean: np.ndarray | None = None

    @property
    def many(self) -> bool:
        """More than one run (bands make sense)."""
        return self.runs > 1

    def quantile(self, p: float) -> np.ndarray:
        """The ``p`` quantile over runs (linear between order statistics), ignoring NaN."""
        if self.probabilities is None:
            return np.asarray(_nanquantile(self.values, [p])[0], dtype=float)
        found = np.flatnonzero(np.isclose(self.probabilities, p, rtol=0, atol=1e-9))
        if found.size == 0:
            kept = ", ".join(f"{x:g}" for x in self.probabilities)
            raise NotKept(f"summary-only results keep quantiles {kept} only, not {p:g}")
        return np.asarray(self.values[found[0]], dtype=float)

    def band(self, coverage: float) -> tuple[np.ndarray, np.ndarray]:
        """Central ``coverage`` band: the (1-c)/2 and (1+c)/2 quantiles."""
        return self.quantile((1 - coverage) / 2), self.quantile((1 + coverage) / 2)

    def median(self) -> np.ndarray:
        return self.quantile(0.5)

    def mean(self) -> np.ndarray:
        """Mean over the runs (with a value)."""
        if self.kept_mean is not None:
            return np.asarray(self.kept_mean, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.asarray(np.nanmean(self.values, axis=0), dtype=float)

    def any(self) -> bool:
        """Whether any run is non-zero anywhere (exact: quantiles 0 and 1 are kept)."""
        return bool(np.any(np.nan_to_num(self.values)))

    def at(self, index: int) -> Spread:
        """The values at one index of the first axis after runs (a time)."""
        mean = None if self.kept_mean is None else self.kept_mean[index]
        return Spread(self.values[:, index], self.runs, self.probabilities, mean)


@dataclass(frozen=True)
class Dates:
    """How many runs have an event on each date (ascending); the other runs never have it."""

    dates: np.ndarray  # datetime64[s], distinct
    counts: np.ndarray  # int64, runs with the event on each date
    runs: int

    @classmethod
    def of(cls, dates: np.ndarray) -> Dates:
        """From one date per run (NaT: never)."""
        values = np.asarray(dates, dtype=DATETIME).ravel()
        days, counts = np.unique(values[~np.isnat(values)], return_counts=True)
        return cls(days, counts.astype(np.int64), len(values))

    @property
    def happened(self) -> int:
        return int(self.counts.sum())

    @property
    def probability(self) -> float:
        """Share of runs in which the event happens within the horizon."""
        return self.happened / self.runs if self.runs else 0.0

    def quantiles(self, qs: tuple[float, ...], among: str = "all") -> np.ndarray:
        """Date quantiles: over ``"all"`` runs, with "never" later than any date (NaT where the
        quantile falls among them; lower order statistic), or over the runs where it
        ``"happened"`` (linear between order statistics; NaT if in none)."""
        seconds = self.dates.astype(np.int64).astype(np.float64)
        if among == "happened":
            if not self.happened:
                return np.full(len(qs), NEVER)
            values = sorted_quantiles(seconds, self.counts, qs)
        else:
            every = np.append(self.counts, self.runs - self.happened)
            values = sorted_quantiles(np.append(seconds, np.inf), every, qs, "inverted_cdf")
        out = np.full(len(qs), NEVER)
        finite = np.isfinite(values)
        out[finite] = values[finite].astype(np.int64).astype(DATETIME)
        return out

    def mean(self) -> np.datetime64:
        """Mean date over the runs where it happens (NaT if none)."""
        if not self.happened:
            return NEVER
        seconds = self.dates.astype(np.int64).astype(np.float64)
        return np.datetime64(int(np.sum(seconds * self.counts) / self.happened), DATE_UNIT)


class Outcomes:
    """The outcomes over runs of one results set (full or summary-only)."""

    def __init__(self, dataset: xr.Dataset) -> None:
        self.dataset = dataset
        self.summary = is_summary(dataset)
        self.runs = int(dataset.attrs.get("runs", dataset.sizes.get("run", 0)))

    # -- values over runs ----------------------------------------------------------------------

    def spread(self, name: str, holder: str, item: str) -> Spread:
        """A level or flow of one cell over runs at each reported time."""
        return self._spread(name, ("time",), holder=holder, item=item)

    def per_run(self, name: str, holder: str, item: str) -> Spread:
        """A per-run value of one cell (``trough``, ``floor``, ``target``) over runs."""
        return self._spread(name, (), holder=holder, item=item)

    def keeps_stock(self, holder: str, item: str) -> bool:
        """Whether the cell keeps a stock: a target above 0 in some run. A hub or receiver
        that starts empty with no target only passes items on: falling to its floor, its
        trough and a return to target mean nothing there."""
        return self.per_run("target", holder, item).any()

    def pledge_total(self, pledge: str) -> Spread:
        return self._spread("pledge_total", (), pledge=pledge)

    # -- money -----------------------------------------------------------------------------------

    @property
    def currency(self) -> str:
        """The ISO code of every value in these results."""
        return str(self.dataset.attrs.get("currency", DEFAULT_CURRENCY))

    @cached_property
    def priced(self) -> list[str]:
        """Items with a price (their levels and flows have values), in file order."""
        if "unit_price" not in self.dataset:
            return []
        known = self.dataset["unit_price"].notnull().any((runs_dim(self.dataset), "time"))
        return [str(i) for i in self.dataset["item"].values if bool(known.sel(item=i))]

    def holder_value(self, name: str, holder: str) -> Spread:
        """Value ``name`` (``sent_value``, ``replacement_cost``, ...) summed over ``holder``'s
        priced items, over runs at each reported time. Summary-only results keep these sums
        for ``sim.summaries.BY_HOLDER``."""
        if self.summary:
            kept = f"{name}_by_holder"
            if kept not in self.dataset:
                raise NotKept(f"summary-only results keep no total of {name} over items")
            return self._spread(kept, ("time",), holder=holder)
        if not self.priced:
            raise NotKept("no item has a price: these results hold no values")
        cells = self.dataset[name].sel(holder=holder, item=self.priced)
        total = cells.sum("item", skipna=True).transpose("run", "time").values
        return Spread(np.asarray(total, dtype=float), self.runs)

    def _spread(self, name: str, dims: tuple[str, ...], **where: str) -> Spread:
        array = self.dataset[name].sel(where)
        if not self.summary:
            values = np.asarray(array.transpose("run", *dims).values, dtype=float)
            return Spread(values, self.runs)
        values = np.asarray(array.transpose("quantile", *dims).values, dtype=float)
        mean = self.dataset[f"{name}_mean"].sel(where).transpose(*dims).values
        return Spread(values, self.runs, self.dataset["quantile"].values, np.asarray(mean))

    # -- event dates ---------------------------------------------------------------------------

    def dates(self, name: str, holder: str, item: str) -> Dates:
        """When an event of ``CELL_DATES`` happens to one cell, over runs."""
        if self.summary:
            counts = self.dataset[name].sel(holder=holder, item=item).values
            return self._counted(counts)
        return Dates.of(self.dataset[name].sel(holder=holder, item=item).values)

    def pledge_dates(self, pledge: str) -> Dates:
        """When each run's pledge ``pledge`` is fulfilled."""
        array = self.dataset["pledge_fulfilled_at"].sel(pledge=pledge)
        return self._counted(array.values) if self.summary else Dates.of(array.values)

    def _counted(self, counts: np.ndarray) -> Dates:
        happened = np.asarray(counts, dtype=np.int64) > 0
        dates = np.asarray(self.dataset["date"].values, dtype=DATETIME)
        return Dates(dates[happened], np.asarray(counts, dtype=np.int64)[happened], self.runs)

    def back_by(self, holder: str, item: str) -> tuple[np.ndarray, np.ndarray]:
        """The chance of being back at target (after the trough) by each date: distinct dates
        and the share of runs back by each; runs never below target count as back from the
        start (``dates[0]`` is the start)."""
        back = self.dates("replenished_at", holder, item)
        if self.summary:
            never_below = self.runs - int(self.dataset["drawn_down"].sel(holder=holder, item=item))
        else:
            cell = self.dataset.sel(holder=holder, item=item)
            never_below = int(np.sum(cell["trough"].values >= cell["target"].values))
        return _cumulative(self, back, never_below)

    def depleted_by(self, holder: str, item: str) -> tuple[np.ndarray, np.ndarray]:
        """The chance of having hit the floor by each date (``dates[0]`` is the start)."""
        return _cumulative(self, self.dates("depleted_at", holder, item), 0)

    def on_time(self, pledge: str) -> float | None:
        """Share of runs in which pledge ``pledge`` is fulfilled by its deadline (None: no
        deadline)."""
        deadline = self.dataset["pledge_by"].sel(pledge=pledge).values
        if np.isnat(deadline):
            return None
        if self.summary:
            return int(self.dataset["pledge_on_time"].sel(pledge=pledge)) / self.runs
        fulfilled = self.dataset["pledge_fulfilled_at"].sel(pledge=pledge).values
        return float(((~np.isnat(fulfilled)) & (fulfilled <= deadline)).mean())

    # -- the runs' inputs and per-run outcomes (sensitivity) -------------------------------------

    def inputs(self) -> tuple[list[str], np.ndarray]:
        """The runs' inputs: their scenario paths and an ``(n, K)`` matrix of per-run values,
        over every run, or over the sample of runs that summary-only results kept."""
        if "inputs" not in self.dataset:
            raise NotKept("these results keep no inputs (written before inputs were kept)")
        names = [str(n) for n in self.dataset["input"].values]
        over = "sample" if self.summary else "run"
        return names, np.asarray(self.dataset["inputs"].transpose(over, "input").values, float)

    def sampled(self, name: str, holder: str, item: str) -> np.ndarray:
        """A per-run outcome of one cell for the runs of ``inputs()``: a metric date of
        ``CELL_DATES`` (datetime64, NaT: never), ``trough`` or ``stock_at_end``."""
        if self.summary:
            key = f"sampled_{name}"
            if key not in self.dataset:
                raise NotKept(f"summary-only results keep no per-run {name}")
            return np.asarray(self.dataset[key].sel(holder=holder, item=item).values)
        if name == "stock_at_end":
            cell = self.dataset["stock"].sel(holder=holder, item=item)
            return np.asarray(cell.isel(time=-1).transpose("run").values, dtype=float)
        return np.asarray(self.dataset[name].sel(holder=holder, item=item).values)

    # -- cells -----------------------------------------------------------------------------------

    def drawn_down(self) -> list[Cell]:
        """Cells whose stock falls below its target in some run, in file order."""
        if self.summary:
            below = self.dataset["drawn_down"] > 0
        else:
            below = (self.dataset["trough"] < self.dataset["target"]).any("run")
        return self._cells(below)

    def not_refilled(self, holder: str, item: str) -> float:
        """Share of runs below target at some time and not back by the end."""
        if self.summary:
            return int(self.dataset["not_refilled"].sel(holder=holder, item=item)) / self.runs
        cell = self.dataset.sel(holder=holder, item=item)
        drawn = cell["trough"].values < cell["target"].values
        return float(np.mean(drawn & np.isnat(cell["replenished_at"].values)))

    def active(self) -> list[Cell]:
        """Cells drawn down or where anything but the stock moved in any run, in file order
        (flows are cumulative from 0, so one moved iff it is not 0 at the end)."""
        over = runs_dim(self.dataset)
        moved = xr.zeros_like(self.dataset["target"].isel({over: 0}), dtype=bool)
        for name in (*LEVELS, *FLOWS):
            if name != "stock":
                array = self.dataset[name]
                array = array if name in LEVELS else array.isel(time=[-1])
                moved = moved | (array != 0).any((over, "time"))
        shown = set(self._cells(moved)) | set(self.drawn_down())
        return [cell for cell in self._cells() if cell in shown]

    def _cells(self, mask: xr.DataArray | None = None) -> list[Cell]:
        """Every cell (where ``mask`` holds), holders then items in file order."""
        holders, items = self.dataset["holder"].values, self.dataset["item"].values
        where = np.ones((holders.size, items.size), bool)
        if mask is not None:
            where = mask.transpose("holder", "item").values.astype(bool)
        return [(str(holders[h]), str(items[i])) for h, i in zip(*np.nonzero(where), strict=True)]

    # -- fleets ----------------------------------------------------------------------------------

    @cached_property
    def fleets(self) -> dict[Cell, tuple[str, ...]]:
        """Fleets with repair (holder that loses the item, item) -> repair hubs counted in its
        fleet, as the run recorded them (``sim.engine.fleets``)."""
        kept = json.loads(str(self.dataset.attrs.get("fleets", "[]")))
        holders = {str(h) for h in self.dataset["holder"].values}
        items = {str(i) for i in self.dataset["item"].values}
        return {  # those still in the dataset, when it was cut down to some holders or items
            (h, i): tuple(hubs)
            for h, i, hubs in kept
            if i in items and holders.issuperset([h, *hubs])
        }

    def fleet_mean(self, holder: str, item: str, hubs: tuple[str, ...] | None = None) -> np.ndarray:
        """The mean fleet size over runs at each time: the holder's stock and out-of-action
        levels, and everything at its repair hubs (means add up, so this is exact in both
        kinds of results)."""
        hubs = self.fleets.get((holder, item), ()) if hubs is None else hubs
        names = [(holder, n) for n in ("stock", *OUT_OF_ACTION)]
        names += [(hub, n) for hub in hubs for n in LEVELS]
        return np.asarray(sum(self.spread(n, h, item).mean() for h, n in names), dtype=float)

    def out_of_action(self, holder: str, item: str, hubs: tuple[str, ...] | None = None) -> Spread:
        """The share of a fleet out of action at each time: items in an out-of-action level
        (``sim.flows``) at the holder, and everything at its repair ``hubs`` (default: those the
        run recorded), over the whole fleet. Summary-only results keep the recorded fleets'."""
        recorded = self.fleets.get((holder, item))
        hubs = recorded if hubs is None else hubs
        if self.summary:
            if recorded is None or hubs != recorded:
                known = "; ".join(f"{h} {i}" + (f" with {', '.join(a)}" if a else "")
                                  for (h, i), a in self.fleets.items()) or "none"  # fmt: skip
                raise NotKept(
                    f"summary-only results keep the share out of action only for fleets: {known}"
                )
            return self._spread("out_of_action", ("time",), holder=holder, item=item)
        stock = self.spread("stock", holder, item).values
        away = np.zeros_like(stock)
        for name in OUT_OF_ACTION:
            away = away + self.spread(name, holder, item).values
        for hub in hubs or ():
            for name in LEVELS:
                away = away + self.spread(name, hub, item).values
        fleet = stock + away
        return Spread(out_of_action_share(fleet, away), self.runs)


def _cumulative(outcomes: Outcomes, dates: Dates, already: int) -> tuple[np.ndarray, np.ndarray]:
    start = np.datetime64(str(outcomes.dataset.attrs["start"]), DATE_UNIT)
    days = np.concatenate([[start], dates.dates]).astype(DATETIME)
    counts = np.concatenate([[already], dates.counts])
    return days, np.cumsum(counts) / max(outcomes.runs, 1)


def _nanquantile(values: np.ndarray, qs: list[float]) -> np.ndarray:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        return np.asarray(np.nanquantile(values, qs, axis=0))
