"""Calibration: the posterior of a scenario's uncertain inputs given its observations.

The prior is the scenario's own laws of its inputs (``sim.evidence.prior``); the likelihood is
each observation's (``sim.evidence.likelihood``); the model's own randomness is integrated. The
sampler (``sim.evidence.smc``) makes one batch of runs per generation through
``sim.run(..., inputs=...)``. The result is a weighted sample of input vectors, written as
``calibration.nc``:

- ``posterior`` over (sample, input): the input values, in the units of results' ``inputs``;
- ``weight`` over (sample): each vector's weight, summing to 1;
- ``prior_quantile`` over (input, quantile) and ``prior_sd`` over (input): the prior's, and
  ``prior`` over (draw, input): the sampler's first generation, a sample of the prior;
- attributes: the log evidence, the ESS, the runs, generations and stages, the seed, the
  settings, the scenario (name, hash) and the observations calibrated against.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sim._version import __version__
from sim.evidence.likelihood import Points
from sim.evidence.prior import InputSpace
from sim.evidence.scores import weighted_mean_sd, weighted_quantiles
from sim.evidence.smc import Report, Sample, Settings, sample
from sim.scenario.model import Scenario
from sim.scenario.problems import nearest

#: Quantiles printed and stored for each input: p10, p50, p90.
QUANTILES = (0.1, 0.5, 0.9)
#: Default particles (runs per generation).
PARTICLES = 2000
#: Smallest reporting error used, in units: the rounding of a reported count (a small share of
#: a small count, 1% of 2, would ask the runs for more precision than a count has).
MIN_ERROR_SD = 0.5


class CalibrationError(ValueError):
    """A calibration that cannot be made (message says why and what would be right)."""


@dataclass(frozen=True)
class Calibration:
    """The weighted posterior sample of the calibrated inputs and how it was found."""

    space: InputSpace
    sample: Sample
    points: Points
    scenario: str
    scenario_sha256: str
    seconds: float

    @property
    def values(self) -> np.ndarray:
        """``(samples, inputs)`` posterior input vectors, in the units of results' inputs."""
        return self.space.values(self.sample.z)

    def to_dataset(self) -> xr.Dataset:
        """The calibration as written to ``calibration.nc``."""
        s = self.sample
        settings = asdict(s.settings)
        stages = [asdict(stage) for stage in s.stages]
        attrs: dict[str, Any] = {
            "scenario": self.scenario,
            "scenario_sha256": self.scenario_sha256,
            "observations": json.dumps(sorted(set(self.points.observation))),
            "points": len(self.points),
            "last_observed": max(self.points.date).isoformat() if len(self.points) else "",
            "log_evidence": s.log_evidence,
            "ess": s.ess,
            "particles": s.settings.particles,
            "replicates": s.settings.replicates,
            "generations": s.generations,
            "runs": s.runs,
            "converged": int(s.converged),
            "seed": s.settings.seed,
            "settings": json.dumps(settings),
            "stages": json.dumps(stages, allow_nan=True),
            "wall_seconds": round(self.seconds, 3),
            "sim_version": __version__,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        data = {
            "posterior": (("sample", "input"), self.values),
            "weight": (("sample",), s.weight),
            "prior_quantile": (("input", "quantile"), self.space.prior_quantiles(QUANTILES)),
            "prior_sd": (("input",), self.space.prior_sd()),
            "prior": (("draw", "input"), self.space.values(s.prior_z)),
        }
        coords = {
            "sample": np.arange(len(s.weight)),
            "input": np.array(self.space.paths, dtype=str),
            "quantile": np.array(QUANTILES),
            "draw": np.arange(len(s.prior_z)),
        }
        return xr.Dataset(data, coords=coords, attrs=attrs)


def summary(calibration: xr.Dataset) -> pd.DataFrame:
    """Per input: the prior's and the posterior's p10/p50/p90 and the shrinkage (1 - posterior
    sd / prior sd: 0 where the observations say nothing of it, near 1 where they pin it)."""
    weight = calibration["weight"].values
    rows = []
    for k, path in enumerate(str(p) for p in calibration["input"].values):
        values = calibration["posterior"].values[:, k]
        prior = calibration["prior_quantile"].values[k]
        post = weighted_quantiles(values, weight, QUANTILES)
        prior_sd = float(calibration["prior_sd"].values[k])
        post_sd = weighted_mean_sd(values, weight)[1]
        row: dict[str, object] = {"input": path}
        for q, a in zip(QUANTILES, prior, strict=True):
            row[f"prior_p{round(q * 100)}"] = float(a)
        for q, b in zip(QUANTILES, post, strict=True):
            row[f"posterior_p{round(q * 100)}"] = float(b)
        row["shrinkage"] = 1.0 - post_sd / prior_sd if prior_sd > 0 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def select_inputs(known: Sequence[str], vary: Sequence[str]) -> list[str]:
    """The inputs to calibrate: all of ``known``, or those ``vary`` names (a path, or the
    start of paths such as ``production.plant.rate`` for each of its milestones)."""
    if not vary:
        return list(known)
    chosen: list[str] = []
    for path in vary:
        matched = [k for k in known if k == path or k.startswith(f"{path}.")]
        if not matched:
            hint = nearest(path, known, "inputs")
            raise CalibrationError(
                f"--vary {path}: not an uncertain input of the scenario ({hint})"
            )
        chosen += [m for m in matched if m not in chosen]
    return [k for k in known if k in chosen]


Simulate = Callable[[np.ndarray, int], np.ndarray]


def calibrate_with(
    simulate: Simulate,
    space: InputSpace,
    points: Points,
    settings: Settings,
    report: Report | None = None,
) -> Sample:
    """The SMC sample of ``space`` given ``points`` from runs made by ``simulate``."""
    if space.size == 0:
        raise CalibrationError("nothing to calibrate: the scenario has no uncertain inputs")
    if len(points) == 0:
        raise CalibrationError("nothing to calibrate against: no observations")
    return sample(simulate, space.size, points, settings, report)


def observation_points(scenario: Scenario, until: dt.date | None = None) -> Points:
    """The scenario's observed points (those on or before ``until``), with the reporting error
    of each exact one at least ``MIN_ERROR_SD``."""
    pairs = scenario.observation_points()
    sds = [sd for o in scenario.observations.values() for sd in o.error_sds()]
    points = Points(
        tuple(o.id for o, _ in pairs),
        tuple(p.date for _, p in pairs),
        np.array([p.value for _, p in pairs], dtype=np.float64),
        tuple(o.bound for o, _ in pairs),
        np.array([max(sd, MIN_ERROR_SD) if sd == sd else sd for sd in sds], dtype=np.float64),
    )
    if until is None:
        return points
    return points.take(np.array([d <= until for d in points.date], dtype=bool))


def simulator(
    scenario: Scenario,
    space: InputSpace,
    mask: np.ndarray,
    *,
    workers: int = 1,
    scheduler: Any = None,
) -> Simulate:
    """``simulate(z, seed)``: one batch of runs of ``scenario`` with the calibrated inputs at
    ``z`` (the others drawn), their values at the observed points of ``mask``."""
    from sim.runner import observed

    def simulate(z: np.ndarray, seed: int) -> np.ndarray:
        values = space.values(z)
        table = {path: values[:, k] for k, path in enumerate(space.paths)}
        found = observed(scenario, runs=len(z), seed=seed, inputs=table, workers=workers,
                         scheduler=scheduler, check=False)  # fmt: skip
        return np.asarray(found, dtype=np.float64)[:, mask]

    return simulate


def calibrate(
    scenario: Scenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
    vary: Sequence[str] = (),
    until: dt.date | None = None,
    workers: int = 1,
    scheduler: Any = None,
    replicates: int | None = None,
    settings: Settings | None = None,
    report: Report | None = None,
) -> Calibration:
    """The posterior of ``scenario``'s uncertain inputs (those ``vary`` names, or all) given its
    observations (those on or before ``until``, or all): ``runs`` particles (default
    ``PARTICLES``) of ``replicates`` runs each (default 1) per generation, seeded by ``seed``
    (default the scenario's)."""
    from sim.given import input_priors

    started = time.perf_counter()
    base = settings or Settings()
    settings = Settings(**{**asdict(base), "particles": runs or base.particles,
                           "seed": scenario.seed if seed is None else seed,
                           "replicates": replicates or base.replicates})  # fmt: skip
    priors = input_priors(scenario)
    space = InputSpace.of(priors, select_inputs(list(priors), vary))
    every = observation_points(scenario)
    mask = np.array([until is None or d <= until for d in every.date], dtype=bool)
    points = every.take(mask)
    simulate = simulator(scenario, space, mask, workers=workers, scheduler=scheduler)
    found = calibrate_with(simulate, space, points, settings, report)
    return Calibration(
        space, found, points, scenario.name, scenario.sha256, time.perf_counter() - started
    )
