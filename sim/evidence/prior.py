"""The prior of the calibrated inputs, in a space where it is standard normal.

Input ``k`` with law ``dist`` clipped to ``[low, high]`` (``sim.processes.draws.InputPrior``) is
``clip(dist.quantile(Phi(z_k)), low, high)`` of a standard normal ``z_k``: the inputs are
independent in the prior, as the engine draws them, and the sampler works on ``z`` where the
prior is ``N(0, I)`` whatever the laws.

>>> from sim.distributions import Uniform
>>> from sim.processes.draws import InputPrior
>>> space = InputSpace(("a",), (InputPrior(Uniform(0.0, 4.0), 0.0, 3.0),))
>>> space.values(np.array([[0.0], [9.0]])).ravel().tolist()
[2.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from sim.distributions import (
    Beta,
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Scaled,
    Triangular,
    Uniform,
)
from sim.processes.draws import InputPrior

#: Points of the quantile grid on which a prior's standard deviation is computed.
SD_GRID = 20_001


def from_z(dist: Distribution, z: np.ndarray) -> np.ndarray:
    """``dist.quantile(Phi(z))`` for an array ``z`` (exact in ``z`` for normal laws)."""
    if isinstance(dist, Fixed):
        return np.full(z.shape, dist.value)
    if isinstance(dist, Normal):
        return dist.mu + dist.sd * z
    if isinstance(dist, LogNormal):
        return np.exp(dist.mu + dist.sigma * z)
    if isinstance(dist, Scaled):
        return dist.factor * from_z(dist.base, z)
    return quantiles(dist, special.ndtr(z))


def quantiles(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """``dist.quantile(u)`` for an array of probabilities ``u``."""
    if isinstance(dist, Uniform):
        return dist.low + u * (dist.high - dist.low)
    if isinstance(dist, Triangular):
        width = dist.high - dist.low
        shape = (dist.mode - dist.low) / width
        return np.asarray(stats.triang.ppf(u, shape, loc=dist.low, scale=width))
    if isinstance(dist, Pert):
        a, b = dist._shapes
        return np.asarray(stats.beta.ppf(u, a, b, loc=dist.low, scale=dist.high - dist.low))
    if isinstance(dist, Beta):
        return np.asarray(stats.beta.ppf(u, dist.a, dist.b))
    if isinstance(dist, Scaled):
        return dist.factor * quantiles(dist.base, u)
    return np.asarray(np.vectorize(dist.quantile, otypes=[float])(u))


def input_value(prior: InputPrior, z: np.ndarray) -> np.ndarray:
    """The input's values at ``z``: its law's quantile at ``Phi(z)``, clipped to its range."""
    return np.asarray(np.clip(from_z(prior.dist, z), prior.low, prior.high))


@dataclass(frozen=True)
class InputSpace:
    """The calibrated inputs (their paths and laws, in draw order) and the map from ``z``."""

    paths: tuple[str, ...]
    priors: tuple[InputPrior, ...]

    @classmethod
    def of(cls, priors: Mapping[str, InputPrior], paths: Sequence[str]) -> InputSpace:
        """The space of ``paths`` (inputs of ``priors``), in the order of ``priors``."""
        chosen = [p for p in priors if p in set(paths)]
        return cls(tuple(chosen), tuple(priors[p] for p in chosen))

    @property
    def size(self) -> int:
        """Number of inputs."""
        return len(self.paths)

    def values(self, z: np.ndarray) -> np.ndarray:
        """``(n, K)`` input values of ``(n, K)`` points ``z``."""
        columns = [input_value(prior, z[:, k]) for k, prior in enumerate(self.priors)]
        return np.stack(columns, axis=1) if columns else np.zeros((len(z), 0))

    def prior_quantiles(self, qs: Sequence[float]) -> np.ndarray:
        """``(K, len(qs))`` quantiles of each input's prior (its law clipped to its range)."""
        out = np.empty((self.size, len(qs)))
        for k, prior in enumerate(self.priors):
            z = special.ndtri(np.asarray(qs, dtype=np.float64))
            out[k] = input_value(prior, z)
        return out

    def prior_sd(self) -> np.ndarray:
        """``(K,)`` standard deviations of the priors, from a fine grid of their quantiles."""
        u = (np.arange(SD_GRID) + 0.5) / SD_GRID
        z = special.ndtri(u)
        return np.array([float(np.std(input_value(p, z))) for p in self.priors])
