"""Per-run draws from one random stream: clipped to a field's range, clipped draws counted.

In deterministic mode every distribution gives its mean and every random process its expected
value (binomial ``n * p``, Poisson its mean), so no random number is used.

Every uncertain value drawn once per run is also kept, under its scenario path, in ``inputs``
(the runs' inputs, for sensitivity: ``sim.explain``), with the law it was drawn from in
``priors`` (for calibration: ``sim.evidence``). Values drawn per shipment or batch (``size=``)
are not inputs and are not kept.

An input may be ``given`` per run (runs from given inputs: ``sim.run(..., inputs=...)``): it is
drawn all the same, so the stream advances exactly as without it (common random numbers for
everything else), then replaced by the given values, which are clipped to the field's range
like a draw.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from sim.distributions import Distribution, draw

FloatArray = NDArray[np.float64]

#: Largest proportional loss fraction: a fraction of 1 would mean certain loss (infinite hazard).
MAX_LOSS_FRACTION = float(np.nextafter(1.0, 0.0))


@cache
def within(dist: Distribution, low: float, high: float) -> bool:
    """Whether every value ``dist`` can take lies in ``[low, high]`` (no clip to count)."""
    try:
        return bool(low <= dist.quantile(0.0) and dist.quantile(1.0) <= high)
    except (ArithmeticError, ValueError):
        return False


@dataclass(frozen=True)
class InputPrior:
    """The law of one input: ``dist`` clipped to ``[low, high]``."""

    dist: Distribution
    low: float
    high: float


class Draws:
    """Draws of ``runs`` values at a time from ``rng``; ``clipped`` counts clips by field path,
    ``inputs`` keeps each uncertain per-run value by its scenario path (None: not kept) and
    ``priors`` its law; ``given`` holds per-run values that replace the draws of those paths."""

    def __init__(
        self,
        rng: np.random.Generator,
        runs: int,
        deterministic: bool,
        clipped: dict[str, int],
        inputs: dict[str, FloatArray] | None = None,
        start: dt.date | None = None,
        given: Mapping[str, FloatArray] | None = None,
        priors: dict[str, InputPrior] | None = None,
    ) -> None:
        self.rng = rng
        self.runs = runs
        self.deterministic = deterministic
        self.clipped = clipped
        self.inputs = inputs
        self.start = start
        self.given = given or {}
        self.priors = priors

    def dated(self, path: str, day: float) -> str:
        """The path of the value at a dated key (a milestone, a tranche): ``PATH.2023-08-01``,
        or ``PATH.+DAYd`` when the start date is not known."""
        if self.start is None:
            return f"{path}.+{day:g}d"
        return f"{path}.{(self.start + dt.timedelta(days=day)).isoformat()}"

    def value(
        self,
        dist: Distribution,
        path: str,
        low: float = 0.0,
        high: float = math.inf,
        size: int | None = None,
        key: str | None = None,
    ) -> FloatArray:
        """One value per run (or ``size`` values), clipped to ``[low, high]``; clips are
        counted under ``path``. A per-run value of an uncertain ``dist`` is kept as an input
        under ``key`` (default ``path``; a schedule's milestones each have their own)."""
        values = draw(dist, self.rng, self.runs if size is None else size,
                      deterministic=self.deterministic)  # fmt: skip
        kept = self._input_key(dist, path if key is None else key, size)
        given = kept is not None and kept in self.given
        if given:  # drawn first: the stream advances as without
            values = np.array(self.given[str(kept)], dtype=np.float64)
        if not given and within(dist, low, high):  # nothing to count; clip float dust
            values = np.clip(values, low, high, out=values)
        else:
            clips = int(np.count_nonzero((values < low) | (values > high)))
            if clips:
                self.clipped[path] = self.clipped.get(path, 0) + clips
            values = np.clip(values, low, high)
        if kept is not None and self.inputs is not None:
            self.inputs[kept] = values.copy()
            if self.priors is not None:
                self.priors[kept] = InputPrior(dist, low, high)
        return values

    def _input_key(self, dist: Distribution, key: str, size: int | None) -> str | None:
        """The key a per-run value of ``dist`` is kept under (``KEY#2`` for a second value under
        one path, only built in code), or None when it is not an input."""
        if size is not None or self.inputs is None or dist.variance == 0:
            return None
        taken, n = key, 1
        while key in self.inputs:
            n += 1
            key = f"{taken}#{n}"
        return key

    def binomial(self, n: FloatArray, p: FloatArray | float) -> FloatArray:
        """Binomial(n, p) per run (``n`` whole numbers, below 0 taken as 0); ``n * p`` when
        deterministic.

        Draws only in the runs where ``n > 0``: NumPy's generator uses no random number for
        ``n == 0``, so the stream and the result are the same as drawing in every run.
        """
        if self.deterministic:
            return np.asarray(n * p, dtype=np.float64)
        live = n > 0.0  # also clamps float dust such as -1e-12 to 0 trials
        alive = np.count_nonzero(live)
        chance = np.minimum(np.maximum(p, 0.0), 1.0)
        if alive == len(live):
            return self.rng.binomial(n.astype(np.int64), chance).astype(np.float64)
        out = np.zeros(len(live))
        if alive:
            if isinstance(chance, np.ndarray) and chance.ndim:
                chance = chance[live]
            out[live] = self.rng.binomial(n[live].astype(np.int64), chance)
        return out

    def poisson(self, mean: FloatArray) -> FloatArray:
        """Poisson(mean) per run; the mean itself when deterministic."""
        if self.deterministic:
            return mean.copy()
        return self.rng.poisson(mean).astype(np.float64)
