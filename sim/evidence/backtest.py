"""Backtest: calibrate on the observations up to a date, forecast the ones after it.

The forecast of a later observed value is the distribution of what would be reported: the run's
value at that point plus the reporting error (a normal draw of the observation's ``error``;
none for a bound), over runs whose calibrated inputs come from the posterior (``sim.evidence.
posterior``). The same is done with the uncalibrated prior (the scenario as written, the same
seed and the same reporting errors), so the two can be compared point by point:

- ``p10``, ``p50``, ``p90``: the forecast's quantiles;
- ``percentile``: where the observation falls among the forecast (mid-rank, in percent);
- ``in_50``, ``in_80``, ``in_90``: whether it lies in the forecast's central 50/80/90% interval
  (exact observations only); over many points a calibrated forecast covers about 50/80/90%;
- ``crps``: the continuous ranked probability score, in the observation's units (lower is
  better; for a forecast that is one number it is the absolute error);
- ``satisfied``: for a bound, the share of the forecast that satisfies it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.evidence.calibrate import (
    PARTICLES,
    Calibration,
    CalibrationError,
    calibrate,
    observation_points,
)
from sim.evidence.likelihood import AT_LEAST, EXACT, Points
from sim.evidence.posterior import Posterior
from sim.evidence.scores import covered, crps, percentile
from sim.evidence.smc import Report, Settings
from sim.scenario.model import Scenario
from sim.streams import stream

LEVELS = (0.5, 0.8, 0.9)
#: The stream key of the reporting errors added to the forecasts (``sim.streams``).
ERROR_STREAM = "backtest.error"
#: Columns of ``backtest.csv``, in order (``prior_`` columns repeat the forecast's).
SCORES = ("p10", "p50", "p90", "percentile", "in_50", "in_80", "in_90", "crps", "satisfied")
COLUMNS = ("observation", "date", "observed", *SCORES, "bound", *(f"prior_{c}" for c in SCORES))


@dataclass(frozen=True)
class Backtest:
    """Forecasts of the later observations from the posterior and from the prior."""

    as_of: dt.date
    table: pd.DataFrame  # COLUMNS, one row per later observed point
    calibration: Calibration
    forecast: np.ndarray  # (runs, later points) posterior forecasts of the reported values
    prior_forecast: np.ndarray  # (runs, later points) the same from the prior

    def coverage(self) -> pd.DataFrame:
        """Per interval level, the share of later exact observations inside it, and the mean
        CRPS, for the calibrated forecast and for the prior."""
        exact = self.table[self.table["bound"] == EXACT]
        rows = []
        for level in LEVELS:
            column = f"in_{round(level * 100)}"
            rows.append({"interval": f"{level:.0%}", "calibrated": _mean(exact[column]),
                         "prior": _mean(exact[f"prior_{column}"])})  # fmt: skip
        rows.append({"interval": "mean CRPS", "calibrated": _mean(exact["crps"]),
                     "prior": _mean(exact["prior_crps"])})  # fmt: skip
        return pd.DataFrame(rows)


def _mean(column: pd.Series) -> float:
    values = pd.to_numeric(column, errors="coerce").dropna()
    return float(values.mean()) if len(values) else float("nan")


def split(points: Points, as_of: dt.date) -> np.ndarray:
    """Mask of the points after ``as_of``; ``CalibrationError`` unless both sides have some."""
    later = np.array([d > as_of for d in points.date], dtype=bool)
    if later.all():
        raise CalibrationError(f"--as-of {as_of}: no observation on or before it to calibrate on")
    if not later.any():
        raise CalibrationError(f"--as-of {as_of}: no observation after it to forecast")
    return later


def reported(x: np.ndarray, points: Points, seed: int) -> np.ndarray:
    """``x`` ``(runs, P)`` plus each exact point's reporting error (a stream of ``seed``)."""
    rng = stream(np.random.SeedSequence(seed), ERROR_STREAM)
    noise = rng.standard_normal(x.shape)
    sd = np.where(points.exact, points.error_sd, 0.0)
    return np.asarray(x + noise * sd)


def score(points: Points, forecast: np.ndarray, prefix: str = "") -> list[dict[str, Any]]:
    """The scores of each point's forecast (``forecast[:, k]``) against its observed value."""
    rows = []
    for k in range(len(points)):
        sample, observed = forecast[:, k], float(points.value[k])
        p10, p50, p90 = np.quantile(sample, [0.1, 0.5, 0.9])
        row: dict[str, Any] = {"p10": p10, "p50": p50, "p90": p90,
                               "percentile": percentile(sample, observed)}  # fmt: skip
        if points.bound[k] == EXACT:
            for level in LEVELS:
                row[f"in_{round(level * 100)}"] = covered(sample, observed, level)
            row["crps"] = crps(sample, observed)
            row["satisfied"] = np.nan
        else:
            row.update({f"in_{round(v * 100)}": np.nan for v in LEVELS}, crps=np.nan)
            ok = sample >= observed if points.bound[k] == AT_LEAST else sample <= observed
            row["satisfied"] = float(ok.mean())
        rows.append({f"{prefix}{key}": value for key, value in row.items()})
    return rows


def table(points: Points, forecast: np.ndarray, prior: np.ndarray) -> pd.DataFrame:
    """``backtest.csv``'s rows: each later point with the forecast's and the prior's scores."""
    rows = []
    posterior_scores, prior_scores = score(points, forecast), score(points, prior, "prior_")
    for k in range(len(points)):
        rows.append({
            "observation": points.observation[k], "date": points.date[k].isoformat(),
            "observed": float(points.value[k]), "bound": points.bound[k],
            **posterior_scores[k], **prior_scores[k],
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))


def backtest(
    scenario: Scenario,
    as_of: dt.date,
    *,
    runs: int | None = None,
    seed: int | None = None,
    vary: Sequence[str] = (),
    replicates: int | None = None,
    workers: int = 1,
    scheduler: Any = None,
    settings: Settings | None = None,
    report: Report | None = None,
) -> Backtest:
    """Calibrate ``scenario`` on its observations up to ``as_of`` and score the forecasts of
    the later ones against the same from the prior (``runs`` runs each, default
    ``PARTICLES``; ``runs`` particles per sampler generation)."""
    from sim.evidence.posterior import run_from_posterior
    from sim.runner import run

    points = observation_points(scenario)
    later = split(points, as_of)
    seed = scenario.seed if seed is None else seed
    runs = runs or PARTICLES
    calibration = calibrate(scenario, runs=runs, seed=seed, vary=vary, until=as_of,
                            replicates=replicates, workers=workers, scheduler=scheduler,
                            settings=settings, report=report)  # fmt: skip
    posterior = Posterior(
        calibration.space.paths, calibration.values, calibration.sample.weight, {}
    )
    options: dict[str, Any] = {"runs": runs, "seed": seed, "workers": workers,
                               "scheduler": scheduler, "allow_large": True}  # fmt: skip
    calibrated = run_from_posterior(scenario, posterior, **dict(options))
    prior = run(scenario, **options)
    ahead = points.take(later)
    x_post = np.asarray(calibrated.dataset["observed"].values, dtype=np.float64)[:, later]
    x_prior = np.asarray(prior.dataset["observed"].values, dtype=np.float64)[:, later]
    forecast, prior_forecast = reported(x_post, ahead, seed), reported(x_prior, ahead, seed)
    rows = table(ahead, forecast, prior_forecast)
    return Backtest(as_of, rows, calibration, forecast, prior_forecast)
