"""``check``: each observed point against the runs on its day.

For every observed point (an observation's value on a date) the runs' level or cumulative flow
at the end of that day is compared with the value:

- ``p10``, ``p50``, ``p90``: the runs' quantiles that day (linear between order statistics;
  in summary-only results, the merged quantiles, ``sim.summaries``);
- ``percentile``: the observed value's mid-rank among the runs, in percent:
  ``100 * (runs below + runs equal / 2) / runs`` (exact in both kinds of results);
- ``verdict`` for an exact value, from its percentile: ``inside the 80% band`` (10 to 90),
  ``below the 80% band`` (5 to 10) or ``above the 80% band`` (90 to 95), ``surprising:
  below p5`` (under 5) or ``surprising: above p95`` (over 95);
- for a bound, ``share_satisfying``: the share of runs at or above an ``at_least`` value (at
  or below an ``at_most`` one), and the verdict ``consistent`` (10% or more of runs satisfy
  it), ``unlikely`` (5% to 10%) or ``surprising: few runs satisfy it`` (under 5%).

The reporting error (``error_sd``) is not used by the check: it compares the record with the
runs as they are; calibration weighs the error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.outcomes import is_summary
from sim.results import OBSERVED

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

#: The columns of ``check.csv``, in order; more follow them.
COLUMNS = ("observation", "date", "observed", "p10", "p50", "p90", "percentile", "verdict")
EXTRA = ("share_satisfying", "bound", "error_sd", "holder", "item", "of", "source")
#: Percentiles bounding the band, and the tails that are surprising.
BAND, SURPRISE = (10.0, 90.0), (5.0, 95.0)
#: Shares of runs satisfying a bound: below the first it is unlikely, below the second surprising.
UNLIKELY, SURPRISING = 0.10, 0.05


class NoObservations(ValueError):
    """Results of a scenario without observations."""


def check(results: Any) -> pd.DataFrame:
    """One row per observed point (observations in file order, dates in order): the columns
    ``COLUMNS`` then ``EXTRA`` (module doc). ``results``: ``Results`` or its Dataset."""
    import pandas as pd

    dataset = getattr(results, "dataset", results)
    if OBSERVED not in dataset:
        raise NoObservations(
            "these results have no observations (add an observations: section to the scenario)"
        )
    points = point_table(dataset)
    if is_summary(dataset):
        spread, below, equal, runs = _summary_counts(dataset)
    else:
        spread, below, equal, runs = _run_counts(dataset)
    table = points.assign(
        p10=spread[0], p50=spread[1], p90=spread[2],
        percentile=100.0 * (below + equal / 2) / runs,
    )  # fmt: skip
    at_most = (below + equal) / runs
    share = np.where(points["bound"] == "at_least", 1.0 - below / runs, at_most)
    table["share_satisfying"] = np.where(points["bound"] == "exact", np.nan, share)
    table["verdict"] = [
        verdict(bound, pct, share)
        for bound, pct, share in zip(
            table["bound"], table["percentile"], table["share_satisfying"], strict=True
        )
    ]
    return pd.DataFrame(table[list(COLUMNS + EXTRA)]).reset_index(drop=True)


def verdict(bound: str, percentile: float, share: float) -> str:
    """The verdict of one point (module doc)."""
    if bound != "exact":
        if share < SURPRISING:
            return "surprising: few runs satisfy it"
        return "unlikely" if share < UNLIKELY else "consistent"
    if percentile < SURPRISE[0]:
        return "surprising: below p5"
    if percentile > SURPRISE[1]:
        return "surprising: above p95"
    if percentile < BAND[0]:
        return "below the 80% band"
    if percentile > BAND[1]:
        return "above the 80% band"
    return "inside the 80% band"


def point_table(dataset: xr.Dataset) -> pd.DataFrame:
    """The observed points of results: observation, date (a date), observed (the value),
    bound, error_sd, holder, item, of, source; one row per point."""
    import pandas as pd

    observed = dataset[OBSERVED]
    date_name = "date" if "date" in observed.coords else "observed_date"
    days = observed[date_name].values.astype("datetime64[D]")
    return pd.DataFrame(
        {
            "observation": observed["observation"].values.astype(str),
            "date": [d.item() for d in days],
            "observed": observed["value"].values.astype(float),
            "bound": observed["bound"].values.astype(str),
            "error_sd": observed["error_sd"].values.astype(float),
            "holder": observed["observation_holder"].values.astype(str),
            "item": observed["observation_item"].values.astype(str),
            "of": observed["observation_of"].values.astype(str),
            "source": observed["observation_source"].values.astype(str),
        }
    )


Counts = tuple[np.ndarray, np.ndarray, np.ndarray, int]


def _run_counts(dataset: xr.Dataset) -> Counts:
    """(p10, p50, p90) per point, runs below and equal to each value, and the runs."""
    runs = np.asarray(dataset[OBSERVED].transpose("run", "point").values, dtype=float)
    value = np.asarray(dataset[OBSERVED]["value"].values, dtype=float)
    spread = np.quantile(runs, [0.1, 0.5, 0.9], axis=0)
    below = (runs < value).sum(axis=0)
    equal = (runs == value).sum(axis=0)
    return spread, below, equal, runs.shape[0]


def _summary_counts(dataset: xr.Dataset) -> Counts:
    quantiles = dataset[OBSERVED].transpose("quantile", "point")
    spread = np.stack([quantiles.sel(quantile=p, method="nearest").values for p in (0.1, 0.5, 0.9)])
    below = np.asarray(dataset[f"{OBSERVED}_below"].values, dtype=float)
    equal = np.asarray(dataset[f"{OBSERVED}_equal"].values, dtype=float)
    return spread, below, equal, int(dataset.attrs["runs"])
