"""The likelihood of observations given the runs' values at the observation points.

An exact observation ``y`` with reporting error ``sd`` has the normal likelihood
``N(y; x, sd)`` of the run's value ``x`` on that day. A bound (``at_least`` / ``at_most``) is
an indicator: 1 where the run satisfies it (``x >= y`` / ``x <= y``), else 0.

The sampler (``sim.evidence.smc``) tempers this likelihood from the prior (exponent 0) to the
posterior (exponent 1). An indicator cannot be tempered by a power (``1**b = 1``, ``0**b = 0``),
so on the way a bound is soft: ``Phi(margin / (s * tau))`` with the margin by which the run
satisfies it, ``tau`` its scale (the spread of the prior runs at that point) and softness
``s = (1 - b) / b``: everything counts one half at ``b = 0``, the indicator at ``b = 1``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

EXACT, AT_LEAST, AT_MOST = "exact", "at_least", "at_most"
BOUNDS = (EXACT, AT_LEAST, AT_MOST)
LOG_HALF = math.log(0.5)


@dataclass(frozen=True)
class Points:
    """Observation points, one per observed value: which observation, the date, the value, the
    bound and the reporting error's standard deviation in units (NaN for bounds)."""

    observation: tuple[str, ...]
    date: tuple[dt.date, ...]
    value: np.ndarray
    bound: tuple[str, ...]
    error_sd: np.ndarray

    def __post_init__(self) -> None:
        unknown = set(self.bound) - set(BOUNDS)
        if unknown:
            raise ValueError(f"unknown bounds {sorted(unknown)} (known: {', '.join(BOUNDS)})")

    def __len__(self) -> int:
        return len(self.observation)

    @property
    def exact(self) -> np.ndarray:
        """Mask of the exact observations."""
        return np.array([b == EXACT for b in self.bound], dtype=bool)

    @property
    def bounds(self) -> np.ndarray:
        """Mask of the bounds."""
        return ~self.exact

    def take(self, mask: np.ndarray) -> Points:
        """The points where ``mask`` is true."""
        keep = np.flatnonzero(mask)
        return Points(
            tuple(self.observation[k] for k in keep), tuple(self.date[k] for k in keep),
            self.value[keep], tuple(self.bound[k] for k in keep), self.error_sd[keep],
        )  # fmt: skip

    def margins(self, x: np.ndarray) -> np.ndarray:
        """``(n, B)``: by how much each run satisfies each bound (negative: it violates it)."""
        mask = self.bounds
        sign = np.array([1.0 if b == AT_LEAST else -1.0 for b in self.bound])[mask]
        return np.asarray(sign * (x[:, mask] - self.value[mask]))

    def exact_log_likelihood(self, x: np.ndarray) -> np.ndarray:
        """``(n,)``: the log density of the exact observations given each run's values."""
        mask = self.exact
        sd = self.error_sd[mask]
        residual = (x[:, mask] - self.value[mask]) / sd
        constant = float(np.log(sd * math.sqrt(2 * math.pi)).sum())
        return np.asarray(-0.5 * (residual**2).sum(axis=1) - constant)


def softness(exponent: float) -> float:
    """How soft the bounds are at ``exponent``: infinite at 0, 0 (hard) at 1."""
    return math.inf if exponent <= 0 else (1.0 - exponent) / exponent


def bound_log_likelihood(margins: np.ndarray, scale: np.ndarray, soft: float) -> np.ndarray:
    """``(n,)``: the log of the bounds' (soft) indicators: ``sum log Phi(margin / (soft *
    scale))``; ``soft = 0`` is the indicator (0 or -inf), ``soft = inf`` one half each."""
    if margins.shape[1] == 0:
        return np.zeros(len(margins))
    if soft == 0:
        return np.where((margins >= 0).all(axis=1), 0.0, -np.inf)
    if math.isinf(soft):
        return np.full(len(margins), LOG_HALF * margins.shape[1])
    return np.asarray(special.log_ndtr(margins / (soft * scale)).sum(axis=1))


def bound_scale(points: Points, x: np.ndarray) -> np.ndarray:
    """``(B,)``: the scale of each bound, the spread of the runs' values at its point (at least
    one millionth of the value, and 1e-9)."""
    mask = points.bounds
    spread = x[:, mask].std(axis=0) if len(x) else np.zeros(int(mask.sum()))
    floor = np.maximum(1e-6 * np.abs(points.value[mask]), 1e-9)
    return np.asarray(np.maximum(spread, floor))
