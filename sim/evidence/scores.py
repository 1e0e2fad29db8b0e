"""Weighted quantiles and moments of a sample, and the scores of a forecast against an
observation (percentile, interval coverage, CRPS)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def weighted_quantiles(values: np.ndarray, weight: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles ``qs`` of ``values`` with ``weight`` (the inverse of the weighted empirical
    distribution function, the lower value at a step; equal weights give NumPy's
    ``inverted_cdf``)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weight[order]) / weight.sum()
    at = np.searchsorted(cumulative, np.asarray(qs, dtype=np.float64) - 1e-12, side="left")
    return np.asarray(values[order][np.minimum(at, len(values) - 1)], dtype=np.float64)


def weighted_mean_sd(values: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of ``values`` with ``weight``."""
    w = weight / weight.sum()
    mean = float(w @ values)
    return mean, float(np.sqrt(w @ (values - mean) ** 2))


def percentile(sample: np.ndarray, observed: float) -> float:
    """Where ``observed`` falls among ``sample``, in percent: the share below it plus half the
    share equal to it (mid-rank, so a count equal to many runs sits in their middle)."""
    below = np.count_nonzero(sample < observed)
    equal = np.count_nonzero(sample == observed)
    return float(100.0 * (below + 0.5 * equal) / len(sample))


def covered(sample: np.ndarray, observed: float, level: float) -> bool:
    """Whether ``observed`` lies in the central ``level`` interval of ``sample``."""
    low, high = np.quantile(sample, [(1 - level) / 2, (1 + level) / 2])
    return bool(low <= observed <= high)


def crps(sample: np.ndarray, observed: float) -> float:
    """The continuous ranked probability score of the forecast ``sample`` against
    ``observed`` (in the observation's units; lower is better): ``E|X - y| - E|X - X'| / 2``,
    estimated from the sorted sample without bias in the first term."""
    x = np.sort(np.asarray(sample, dtype=np.float64))
    n = len(x)
    spread = 2.0 * float(((2 * np.arange(1, n + 1) - n - 1) * x).sum()) / (n * n)
    return float(np.abs(x - observed).mean() - spread / 2)
