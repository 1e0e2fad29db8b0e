"""Quantiles over runs for charts: series bands and event-date ranges. Never mean ± sd."""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr


def series(dataset: xr.Dataset, name: str, holder: str, item: str) -> np.ndarray:
    """One cell's variable as a (run, time) float array."""
    values = dataset[name].sel(holder=holder, item=item).transpose("run", "time")
    return np.asarray(values.values, dtype=float)


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
