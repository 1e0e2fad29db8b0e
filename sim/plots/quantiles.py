"""Quantiles over runs for charts: series bands and event-date ranges. Never mean ± sd.

Charts read a cell's values through ``spread``: from full results the runs themselves, from a
summary-only run (``keep="summary"``) the quantiles it stored.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from sim.metrics import runs_dim, sorted_quantiles
from sim.plots.style import ChartError


def is_summary(dataset: xr.Dataset) -> bool:
    """Whether the results hold quantiles over runs (a summary-only run) instead of runs."""
    return runs_dim(dataset) == "quantile"


def series(dataset: xr.Dataset, name: str, holder: str, item: str) -> np.ndarray:
    """One cell's variable as a (run, time) float array (full results only)."""
    if is_summary(dataset):
        raise ChartError("summary-only results keep no runs; use spread() for quantiles")
    values = dataset[name].sel(holder=holder, item=item).transpose("run", "time")
    return np.asarray(values.values, dtype=float)


@dataclass(frozen=True)
class Spread:
    """One cell's values over runs at each time: the runs, or their stored quantiles."""

    values: np.ndarray  # (run, time), or (quantile, time) when ``probabilities`` is given
    runs: int
    probabilities: np.ndarray | None = None

    @property
    def many(self) -> bool:
        """More than one run (bands make sense)."""
        return self.runs > 1

    def quantile(self, p: float) -> np.ndarray:
        """The ``p`` quantile over runs at each time, ignoring NaN."""
        if self.probabilities is None:
            return np.asarray(_nanquantile(self.values, [p])[0], dtype=float)
        found = np.flatnonzero(np.isclose(self.probabilities, p, rtol=0, atol=1e-9))
        if found.size == 0:
            kept = ", ".join(f"{x:g}" for x in self.probabilities)
            raise ChartError(f"summary-only results keep quantiles {kept} only, not {p:g}")
        return np.asarray(self.values[found[0]], dtype=float)

    def band(self, coverage: float) -> tuple[np.ndarray, np.ndarray]:
        """Central ``coverage`` band: the (1-c)/2 and (1+c)/2 quantiles."""
        return self.quantile((1 - coverage) / 2), self.quantile((1 + coverage) / 2)

    def median(self) -> np.ndarray:
        """Median over runs."""
        return self.quantile(0.5)

    def any(self) -> bool:
        """Whether any run is non-zero at any time (exact: quantiles 0 and 1 are kept)."""
        return bool(np.any(np.nan_to_num(self.values)))


def spread(dataset: xr.Dataset, name: str, holder: str, item: str) -> Spread:
    """One cell's variable ``name`` over runs, from full or summary-only results."""
    runs = int(dataset.attrs.get("runs", dataset.sizes.get("run", 0)))
    if not is_summary(dataset):
        return Spread(series(dataset, name, holder, item), runs)
    values = dataset[name].sel(holder=holder, item=item).transpose("quantile", "time")
    return Spread(np.asarray(values.values, float), runs, dataset["quantile"].values)


def band(values: np.ndarray, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """Central ``coverage`` band over runs (axis 0): the (1-c)/2 and (1+c)/2 quantiles."""
    low, high = (1 - coverage) / 2, (1 + coverage) / 2
    edges = _nanquantile(values, [low, high])
    return edges[0], edges[1]


def median(values: np.ndarray) -> np.ndarray:
    """Median over runs (axis 0), ignoring NaN."""
    return np.asarray(_nanquantile(values, [0.5])[0])


def _nanquantile(values: np.ndarray, qs: list[float]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        return np.asarray(np.nanquantile(values, qs, axis=0))


def event_dates(dates: np.ndarray, qs: tuple[float, ...]) -> tuple[np.ndarray, float]:
    """Quantiles of an event date over the runs where it happens, and the share where it does.

    Returns NaT quantiles when it happens in no run.
    """
    dates = np.asarray(dates, dtype="datetime64[ns]")
    happened = ~np.isnat(dates)
    share = float(happened.mean()) if dates.size else 0.0
    if not happened.any():
        return np.full(len(qs), np.datetime64("NaT", "ns")), share
    ns = dates[happened].astype(np.int64).astype(float)
    return np.quantile(ns, qs).astype(np.int64).astype("datetime64[ns]"), share


def counted_event_dates(
    dates: np.ndarray, counts: np.ndarray, runs: int, qs: tuple[float, ...]
) -> tuple[np.ndarray, float]:
    """``event_dates`` from the number of runs with the event at each date (a summary-only
    run); the same numbers as from the runs themselves."""
    counts = np.asarray(counts, dtype=np.int64)
    happened = int(counts.sum())
    share = happened / runs if runs else 0.0
    if not happened:
        return np.full(len(qs), np.datetime64("NaT", "ns")), share
    ns = np.asarray(dates, dtype="datetime64[ns]").astype(np.int64).astype(float)
    return sorted_quantiles(ns, counts, qs).astype(np.int64).astype("datetime64[ns]"), share
