"""Runs from a posterior: input vectors of a calibration resampled jointly, one per run.

Each run takes one whole vector of the calibrated inputs (so their correlations are kept),
chosen by the vectors' weights with a stream of the run's seed; every other input and the
model's own randomness are drawn as usual (``sim.run(..., inputs=...)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sim.streams import stream

#: The stream key of the resampling (``sim.streams``): independent of every process's draws.
STREAM = "posterior"
REQUIRED = ("posterior", "weight")


class PosteriorError(ValueError):
    """A calibration file that cannot be read or does not fit the scenario."""


@dataclass(frozen=True)
class Posterior:
    """Weighted input vectors of a calibration and where they came from."""

    paths: tuple[str, ...]
    values: np.ndarray  # (samples, inputs)
    weight: np.ndarray  # (samples,), sums to 1
    attrs: dict[str, Any]
    source: str = ""

    @classmethod
    def of(cls, dataset: xr.Dataset, source: str = "") -> Posterior:
        """The posterior of a calibration dataset (``sim.evidence.calibrate``)."""
        missing = [name for name in REQUIRED if name not in dataset]
        if missing:
            raise PosteriorError(f"{source}: not a calibration file (no {', '.join(missing)})")
        weight = np.asarray(dataset["weight"].values, dtype=np.float64)
        values = np.asarray(dataset["posterior"].transpose("sample", "input").values, float)
        if not (np.isfinite(weight).all() and (weight >= 0).all() and weight.sum() > 0):
            raise PosteriorError(f"{source}: weights must be finite, not negative, not all 0")
        if not np.isfinite(values).all():
            raise PosteriorError(f"{source}: posterior values must be finite numbers")
        paths = tuple(str(p) for p in dataset["input"].values)
        return cls(paths, values, weight / weight.sum(), dict(dataset.attrs), source)

    def draw(self, runs: int, seed: int) -> pd.DataFrame:
        """``runs`` input vectors resampled by weight (a column per input, a row per run)."""
        rng = stream(np.random.SeedSequence(seed), STREAM)
        index = rng.choice(len(self.weight), size=runs, p=self.weight)
        return pd.DataFrame(self.values[index], columns=list(self.paths))

    def provenance(self) -> dict[str, Any]:
        """What runs from this posterior record: the file, the inputs calibrated, the
        observations, the scenario calibrated and the log evidence."""
        a = self.attrs
        return {
            "file": self.source,
            "inputs": list(self.paths),
            "observations": json.loads(str(a.get("observations", "[]"))),
            "last_observed": str(a.get("last_observed", "")),
            "scenario": str(a.get("scenario", "")),
            "scenario_sha256": str(a.get("scenario_sha256", "")),
            "log_evidence": float(a.get("log_evidence", float("nan"))),
            "ess": float(a.get("ess", float("nan"))),
        }


def read_posterior(path: str | Path) -> Posterior:
    """The posterior in a ``calibration.nc``; ``PosteriorError`` when it is not one."""
    try:
        with xr.open_dataset(path, engine="h5netcdf") as stored:
            dataset = stored.load()
    except FileNotFoundError:
        raise PosteriorError(f"{path}: no such file (give a calibration.nc)") from None
    except Exception as error:  # any reader failure means "not a calibration file"
        kind = type(error).__name__
        raise PosteriorError(f"{path}: not a readable calibration file ({kind})") from None
    return Posterior.of(dataset, str(path))


def run_from_posterior(scenario: Any, posterior: Posterior, **options: Any) -> Any:
    """``sim.run`` of ``scenario`` with the calibrated inputs of each run drawn from
    ``posterior``; the results' ``calibration`` attribute records which (``provenance``).
    ``options`` are those of ``sim.run``; ``runs`` and ``seed`` default to the scenario's."""
    from sim.given import InputsError
    from sim.runner import run

    runs = options.pop("runs", None) or scenario.runs
    seed = scenario.seed if options.get("seed") is None else options.pop("seed")
    options.pop("seed", None)
    table = posterior.draw(runs, seed)
    try:
        results = run(scenario, runs=runs, seed=seed, inputs=table, **options)
    except InputsError as error:
        raise PosteriorError(f"{posterior.source}: does not fit this scenario: {error}") from None
    results.dataset.attrs["calibration"] = json.dumps(posterior.provenance())
    return results
