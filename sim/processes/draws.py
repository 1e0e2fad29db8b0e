"""Per-run draws from one random stream: clipped to a field's range, clipped draws counted.

In deterministic mode every distribution gives its mean and every random process its expected
value (binomial ``n * p``, Poisson its mean), so no random number is used.

Every uncertain value drawn once per run is also kept, under its scenario path, in ``inputs``
(the runs' inputs, for sensitivity: ``sim.explain``). Values drawn per shipment or batch
(``size=``) are not inputs and are not kept.
"""

from __future__ import annotations

import datetime as dt
import math
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


class Draws:
    """Draws of ``runs`` values at a time from ``rng``; ``clipped`` counts clips by field path,
    ``inputs`` keeps each uncertain per-run value by its scenario path (None: not kept)."""

    def __init__(
        self,
        rng: np.random.Generator,
        runs: int,
        deterministic: bool,
        clipped: dict[str, int],
        inputs: dict[str, FloatArray] | None = None,
        start: dt.date | None = None,
    ) -> None:
        self.rng = rng
        self.runs = runs
        self.deterministic = deterministic
        self.clipped = clipped
        self.inputs = inputs
        self.start = start

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
        if within(dist, low, high):  # nothing to count; clip float dust at the bounds
            values = np.clip(values, low, high, out=values)
        else:
            clips = int(np.count_nonzero((values < low) | (values > high)))
            if clips:
                self.clipped[path] = self.clipped.get(path, 0) + clips
            values = np.clip(values, low, high)
        if size is None and self.inputs is not None and dist.variance > 0:
            key = path if key is None else key
            taken, n = key, 1
            while key in self.inputs:  # two values under one path (only built in code): KEY#2
                n += 1
                key = f"{taken}#{n}"
            self.inputs[key] = values.copy()
        return values

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
