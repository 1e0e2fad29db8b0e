"""Frozen distribution objects for uncertain scenario values.

Every uncertain value in a scenario becomes one of these. Each validates its parameters,
knows its mean and variance, draws with ``sample(rng, size)`` from a passed-in
``numpy.random.Generator``, and gives ``quantile(q)`` so tests can check it against theory.

>>> import numpy as np
>>> d = LogNormal.from_interval(5.0, 10.0)
>>> round(d.quantile(0.05), 6), round(d.quantile(0.95), 6)
(5.0, 10.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

#: z-score of the 95th percentile: ``A to B`` is a 90% interval, 1.6449 sd either side.
Z95 = 1.6448536269514722  # the standard normal's 95th percentile


def z_of(q: float) -> float:
    """The standard normal's quantile ``q`` (-inf at 0, inf at 1), without SciPy."""
    if q <= 0.0 or q >= 1.0:
        return math.copysign(math.inf, q - 0.5)
    return NormalDist().inv_cdf(q)


def _beta_quantile(q: float, a: float, b: float) -> float:
    """Beta(a, b)'s quantile ``q`` (SciPy's special functions, loaded on first use: reading a
    scenario does not load ``scipy.stats``)."""
    from scipy.special import betaincinv

    return float(betaincinv(a, b, min(max(q, 0.0), 1.0)))


FloatArray = NDArray[np.float64]


@runtime_checkable
class Distribution(Protocol):
    """What the engine and the tests need of an uncertain value."""

    @property
    def mean(self) -> float: ...

    @property
    def variance(self) -> float: ...

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray: ...

    def quantile(self, q: float) -> float: ...

    def __hash__(self) -> int: ...  # frozen value objects


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


@dataclass(frozen=True)
class Fixed:
    """A known value: every draw is ``value``."""

    value: float

    def __post_init__(self) -> None:
        _check(_finite(self.value), f"value must be a finite number, got {self.value}")

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value, dtype=np.float64)

    def quantile(self, q: float) -> float:
        return self.value

    def __str__(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class Normal:
    """Normal with ``mean`` and standard deviation ``sd``."""

    mu: float
    sd: float

    def __post_init__(self) -> None:
        _check(_finite(self.mu, self.sd), "normal parameters must be finite numbers")
        _check(self.sd >= 0, f"normal sd must be >= 0, got {self.sd:g}")

    @classmethod
    def from_interval(cls, low: float, high: float) -> Normal:
        """The normal whose 5th and 95th percentiles are ``low`` and ``high``."""
        _check(low <= high, f"'A to B' needs A <= B, got {low:g} to {high:g}")
        return cls((low + high) / 2, (high - low) / (2 * Z95))

    @property
    def mean(self) -> float:
        return self.mu

    @property
    def variance(self) -> float:
        return self.sd**2

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.normal(self.mu, self.sd, size)

    def quantile(self, q: float) -> float:
        return self.mu + self.sd * z_of(q) if self.sd > 0 else self.mu

    def __str__(self) -> str:
        return f"normal({self.mu:g}, {self.sd:g})"


@dataclass(frozen=True)
class LogNormal:
    """Lognormal: ``log X ~ Normal(mu, sigma)``. ``A to B`` with A > 0 builds one."""

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        _check(_finite(self.mu, self.sigma), "lognormal parameters must be finite numbers")
        _check(self.sigma >= 0, f"lognormal sigma must be >= 0, got {self.sigma:g}")

    @classmethod
    def from_interval(cls, low: float, high: float) -> LogNormal:
        """The lognormal whose 5th and 95th percentiles are ``low`` and ``high`` (both > 0)."""
        _check(0 < low <= high, f"'A to B' needs 0 < A <= B here, got {low:g} to {high:g}")
        log_low, log_high = math.log(low), math.log(high)
        return cls((log_low + log_high) / 2, (log_high - log_low) / (2 * Z95))

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def variance(self) -> float:
        return (math.exp(self.sigma**2) - 1) * math.exp(2 * self.mu + self.sigma**2)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.lognormal(self.mu, self.sigma, size)

    def quantile(self, q: float) -> float:
        return math.exp(self.mu + self.sigma * z_of(q))

    def __str__(self) -> str:
        return f"{self.quantile(0.05):.4g} to {self.quantile(0.95):.4g}"


@dataclass(frozen=True)
class Uniform:
    """Uniform on ``[low, high]``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check(_finite(self.low, self.high), "uniform bounds must be finite numbers")
        _check(self.low <= self.high, f"uniform needs low <= high, got {self.low:g}, {self.high:g}")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.uniform(self.low, self.high, size)

    def quantile(self, q: float) -> float:
        return self.low + q * (self.high - self.low)

    def __str__(self) -> str:
        return f"uniform({self.low:g}, {self.high:g})"


def _check_three_point(name: str, low: float, mode: float, high: float) -> None:
    _check(_finite(low, mode, high), f"{name} parameters must be finite numbers")
    _check(
        low <= mode <= high and low < high,
        f"{name} needs low <= mode <= high with low < high, got ({low:g}, {mode:g}, {high:g})",
    )


@dataclass(frozen=True)
class Triangular:
    """Triangular on ``[low, high]`` with peak at ``mode``."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _check_three_point("triangular", self.low, self.mode, self.high)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.triangular(self.low, self.mode, self.high, size)

    def quantile(self, q: float) -> float:
        width = self.high - self.low
        if q < (self.mode - self.low) / width:
            return self.low + math.sqrt(q * width * (self.mode - self.low))
        return self.high - math.sqrt((1 - q) * width * (self.high - self.mode))

    def __str__(self) -> str:
        return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"


@dataclass(frozen=True)
class Pert:
    """Beta-PERT on ``[low, high]`` with most likely value ``mode`` (shape weight 4)."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _check_three_point("pert", self.low, self.mode, self.high)

    @property
    def _shapes(self) -> tuple[float, float]:
        width = self.high - self.low
        return 1 + 4 * (self.mode - self.low) / width, 1 + 4 * (self.high - self.mode) / width

    @property
    def mean(self) -> float:
        return (self.low + 4 * self.mode + self.high) / 6

    @property
    def variance(self) -> float:
        a, b = self._shapes
        return (self.high - self.low) ** 2 * a * b / ((a + b) ** 2 * (a + b + 1))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        a, b = self._shapes
        return self.low + (self.high - self.low) * rng.beta(a, b, size)

    def quantile(self, q: float) -> float:
        a, b = self._shapes
        return self.low + (self.high - self.low) * _beta_quantile(q, a, b)

    def __str__(self) -> str:
        return f"pert({self.low:g}, {self.mode:g}, {self.high:g})"


@dataclass(frozen=True)
class Beta:
    """Beta(a, b) on [0, 1], for fractions."""

    a: float
    b: float

    def __post_init__(self) -> None:
        _check(_finite(self.a, self.b), "beta parameters must be finite numbers")
        _check(self.a > 0 and self.b > 0, f"beta needs a, b > 0, got ({self.a:g}, {self.b:g})")

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    @property
    def variance(self) -> float:
        s = self.a + self.b
        return self.a * self.b / (s * s * (s + 1))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.beta(self.a, self.b, size)

    def quantile(self, q: float) -> float:
        return _beta_quantile(q, self.a, self.b)

    def __str__(self) -> str:
        return f"beta({self.a:g}, {self.b:g})"


@dataclass(frozen=True)
class Scaled:
    """``factor * base``: how a rate written per month becomes a rate per day."""

    base: Distribution
    factor: float

    def __post_init__(self) -> None:
        _check(_finite(self.factor) and self.factor > 0, f"scale must be > 0, got {self.factor}")

    @property
    def mean(self) -> float:
        return self.factor * self.base.mean

    @property
    def variance(self) -> float:
        return self.factor**2 * self.base.variance

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return self.factor * self.base.sample(rng, size)

    def quantile(self, q: float) -> float:
        return self.factor * self.base.quantile(q)

    def __str__(self) -> str:
        return f"{self.factor:g} * ({self.base})"


def scaled(dist: Distribution, factor: float) -> Distribution:
    """``factor * dist``, folding constants so a fixed value stays a ``Fixed``."""
    if factor == 1:
        return dist
    if isinstance(dist, Fixed):
        return Fixed(dist.value * factor)
    return Scaled(dist, factor)


def draw(
    dist: Distribution, rng: np.random.Generator, size: int, *, deterministic: bool = False
) -> FloatArray:
    """Draw ``size`` values, or repeat the mean when ``deterministic``."""
    if deterministic:
        return np.full(size, dist.mean, dtype=np.float64)
    return dist.sample(rng, size)
