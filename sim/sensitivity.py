"""Why: which uncertain inputs drive an outcome, from the runs already made (no extra runs).

Every value drawn once per run is kept in the results under its scenario path
(``sim.processes.draws``); here each input is set against one per-run outcome of one holder and
item (a metric date, the trough, the stock at a date):

- **First-order variance share** ``S``: the share of the outcome's variance explained by that
  input alone, ``Var(E[Y | X_k]) / Var(Y)``, estimated from the given sample with SALib's
  RBD-FAST on given data: the runs sorted by ``X_k`` (in a zigzag) make ``E[Y | X_k]`` a
  periodic signal whose low harmonics carry ``S`` (Plischke, "An effective algorithm for
  computing global sensitivity indices (EASI)", Reliability Engineering and System Safety 95
  (2010) 354-360; bias-corrected as Tissot and Prieur, RESS 107 (2012) 205-213), with a
  bootstrap standard error (SALib's, from resamples of half the runs, so on the safe side).
- **Censoring.** A date that does not happen within the horizon is not dropped: the outcome is
  replaced by its ranks, with "not within the horizon" as the largest value (tied), so ``S`` is
  the variance share of the outcome's ranks and a run that never refills counts as the latest.
- **Rank correlation** (Spearman) beside it: the sign says which way the input pushes.
- **Unexplained**: ``1 - sum(S)``, what no single input explains: interactions between inputs
  and the model's own randomness (losses, transit and repair times), which are not inputs.
- **Tornado**: the outcome's median over the runs where the input is at or below its own 10th
  percentile, and over those at or above its 90th (from the runs, no extra runs).

>>> explanation = explain(results, "replenished_at", "us", "shell_155")   # doctest: +SKIP
>>> explanation.table.head(3)                                            # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy.stats import norm

from sim.limits import DATE_UNIT, DATETIME
from sim.outcomes import CELL_DATES, NEVER, NotKept, Outcomes

#: Outcomes per run: the metric dates, the trough, the stock at the end or at a date.
METRICS = (*CELL_DATES, "trough", "stock_at_end", "stock@DATE")
BOOTSTRAP = 100  # resamples for the standard error of S
CONFIDENCE = 0.95
HARMONICS = 10  # harmonics summed in RBD-FAST (SALib's default)
MIN_RUNS = 100  # its bias correction needs many more runs than 2 x HARMONICS
_AT = re.compile(r"stock@(\d{4}-\d{2}-\d{2})")


class ExplainError(ValueError):
    """The outcome asked for cannot be read from these results."""


@dataclass(frozen=True)
class Outcome:
    """One per-run outcome: ``values`` as floats (days since start for dates, +inf: never)."""

    metric: str
    holder: str
    item: str
    values: np.ndarray
    is_date: bool
    start: np.datetime64

    @property
    def censored(self) -> float:
        """Share of runs where the event does not happen within the horizon."""
        return float(np.mean(np.isinf(self.values)))

    def show(self, value: float) -> str:
        """A value as a date (``after end`` for never) or a number."""
        if not self.is_date:
            return f"{value:,.0f}"
        if np.isinf(value):
            return "after end"
        return str(self.as_date(value))

    def as_date(self, value: float) -> np.datetime64:
        if np.isinf(value):
            return NEVER
        moment = self.start + np.timedelta64(round(value * 86400), "s")
        return np.datetime64(str(moment)[:10])


@dataclass(frozen=True)
class Explanation:
    """The inputs ranked by their first-order variance share of one outcome.

    ``table`` has one row per input, most influential first: ``input`` (scenario path),
    ``first_order``, ``first_order_se``, ``rank_correlation``, ``input_p10``, ``input_p90``,
    ``median_at_p10`` and ``median_at_p90`` (the outcome's median with the input at or below
    its p10, at or above its p90; +inf for a date: after the end).
    """

    outcome: Outcome
    table: pd.DataFrame
    unexplained: float
    median: float
    runs: int
    sampled: bool  # summary-only results: a sample of the runs

    def lines(self, top: int | None = None) -> list[str]:
        """The ranking as text, one input per row, each row starting with its path."""
        rows = self.table if top is None else self.table.head(top)
        width = max([len(str(p)) for p in rows["input"]] + [5])
        show = self.outcome.show
        out = [
            f"{'input':<{width}}  {'share':>6} {'±':>5}  {'rank r':>6}  "
            f"{'median, input low':>18}  {'median, input high':>18}"
        ]
        for row in rows.to_dict("records"):
            out.append(
                f"{row['input']:<{width}}  {_percent(row['first_order']):>6} "
                f"{_percent(row['first_order_se']):>5}  {row['rank_correlation']:>+6.2f}  "
                f"{show(float(row['median_at_p10'])):>18}  "
                f"{show(float(row['median_at_p90'])):>18}"
            )
        return out


def _percent(share: float) -> str:
    """``56%``; ``-`` where it is unknown (a bootstrap of an outcome that barely varies)."""
    return f"{share:.0%}" if np.isfinite(share) else "-"


def outcome(dataset: xr.Dataset, metric: str, holder: str, item: str) -> Outcome:
    """The per-run ``metric`` of (holder, item) for the runs whose inputs are kept."""
    outcomes = Outcomes(dataset)
    for dim, value in (("holder", holder), ("item", item)):
        known = [str(v) for v in dataset[dim].values]
        if value not in known:
            raise ExplainError(f"unknown {dim} {value!r} (one of: {', '.join(known)})")
    start = np.datetime64(str(dataset.attrs["start"]), DATE_UNIT)
    at = _AT.fullmatch(metric)
    if at is not None:
        if outcomes.summary:
            raise NotKept("summary-only results keep the stock of each run at the end only")
        day = np.datetime64(at.group(1), DATE_UNIT)
        times = dataset["time"].values
        if day < times[0]:
            raise ExplainError(f"{metric}: the date is before the start ({str(times[0])[:10]})")
        if day > times[-1]:
            end = str(times[-1])[:10]
            raise ExplainError(f"{metric}: the date is after the end, {end} (or stock_at_end)")
        cell = dataset["stock"].sel(holder=holder, item=item)
        values = cell.sel(time=day, method="pad").transpose("run").values
        return Outcome(metric, holder, item, np.asarray(values, float), False, start)
    if metric not in METRICS:
        raise ExplainError(f"unknown metric {metric!r} (one of: {', '.join(METRICS)})")
    raw = outcomes.sampled(metric, holder, item)
    if metric.endswith("_at"):
        dates = np.asarray(raw, dtype=DATETIME)
        days = (dates - start) / np.timedelta64(1, "D")
        values = np.where(np.isnat(dates), np.inf, days.astype(float))
        return Outcome(metric, holder, item, values, True, start)
    return Outcome(metric, holder, item, np.asarray(raw, float), False, start)


def explain(
    results: Any,
    metric: str = "replenished_at",
    holder: str | None = None,
    item: str | None = None,
    *,
    harmonics: int = HARMONICS,
    rng: np.random.Generator | None = None,
) -> Explanation:
    """Rank the runs' inputs by their influence on ``metric`` of (``holder``, ``item``).

    ``results``: a ``Results`` or its dataset, full or summary-only. ``holder`` and ``item``
    default to the first stock drawn below its target. ``metric``: one of ``METRICS``
    (``stock@2026-12-31``: the stock at the last reported time on or before that date).
    ``harmonics`` and ``rng`` (for the bootstrap; default seeded, so the same results give the
    same table) tune the estimator.
    """
    dataset = getattr(results, "dataset", results)
    outcomes = Outcomes(dataset)
    if holder is None or item is None:
        cells = outcomes.drawn_down()
        if not cells:
            raise ExplainError("no stock is drawn down; give holder and item")
        holder, item = holder or cells[0][0], item or cells[0][1]
    names, inputs = outcomes.inputs()
    target = outcome(dataset, metric, holder, item)
    y = target.values
    varies = [k for k in range(len(names)) if np.ptp(inputs[:, k]) > 0]
    if len(y) < MIN_RUNS:
        raise ExplainError(f"{len(y)} runs are too few to rank inputs (run {MIN_RUNS} or more)")
    if target.censored == 1.0:
        raise ExplainError(
            f"{holder} {item}: {metric} happens in none of the {len(y):,} runs within the "
            "horizon, so no input moves it (explain another metric, e.g. trough or "
            "stock_at_end, or extend the horizon with --set end=...)"
        )
    ranks = _ranks(y)
    rng = rng or np.random.default_rng(0)
    rows = []
    for k in varies:
        x = inputs[:, k]
        share, se = first_order(x, ranks, harmonics, rng)
        low, high = np.quantile(x, [0.1, 0.9])
        rows.append(
            {
                "input": names[k],
                "first_order": share,
                "first_order_se": se,
                "rank_correlation": _spearman(x, ranks),
                "input_p10": float(low),
                "input_p90": float(high),
                "median_at_p10": _median(y[x <= low]),
                "median_at_p90": _median(y[x >= high]),
            }
        )
    table = pd.DataFrame(rows, columns=[
        "input", "first_order", "first_order_se", "rank_correlation", "input_p10",
        "input_p90", "median_at_p10", "median_at_p90",
    ])  # fmt: skip
    if len(table):
        table = table.assign(strength=table["rank_correlation"].abs())
        table = table.sort_values(["first_order", "strength"], ascending=False, kind="stable")
        table = table.drop(columns="strength").reset_index(drop=True)
    unexplained = float(np.clip(1.0 - table["first_order"].sum(), 0.0, 1.0))
    return Explanation(target, table, unexplained, _median(y), len(y), outcomes.summary)


def _ranks(y: np.ndarray) -> np.ndarray:
    """Average ranks; +inf (never within the horizon) ties at the top."""
    from scipy.stats import rankdata

    return np.asarray(rankdata(y, method="average"), dtype=float)


def first_order(
    x: np.ndarray,
    y: np.ndarray,
    harmonics: int = HARMONICS,
    rng: np.random.Generator | None = None,
) -> tuple[float, float]:
    """The first-order variance share of ``y`` explained by ``x`` from the given sample
    (SALib's RBD-FAST, module doc), at least 0, and its bootstrap standard error."""
    from SALib.analyze import rbd_fast

    problem = {"num_vars": 1, "names": ["x"], "bounds": [[0.0, 1.0]]}
    # a bootstrap resample whose outcome does not vary (ties of a censored date) divides 0 by 0
    with np.errstate(invalid="ignore", divide="ignore"):
        found = rbd_fast.analyze(
            problem, np.asarray(x, float)[:, None], np.asarray(y, float), M=harmonics,
            num_resamples=BOOTSTRAP, conf_level=CONFIDENCE, seed=rng or np.random.default_rng(0),
        )  # fmt: skip
    se = float(found["S1_conf"][0]) / float(norm.ppf(0.5 + CONFIDENCE / 2))
    share = float(found["S1"][0])
    return (max(share, 0.0) if np.isfinite(share) else 0.0), se


def _spearman(x: np.ndarray, y_ranks: np.ndarray) -> float:
    rx = _ranks(x)
    if np.ptp(y_ranks) == 0:
        return 0.0
    return float(np.corrcoef(rx, y_ranks)[0, 1])


def _median(values: np.ndarray) -> float:
    """The median (lower of the two middle values; +inf when it is "never")."""
    if len(values) == 0:
        return float("nan")
    return float(np.quantile(values, 0.5, method="inverted_cdf"))


def parse_metric(text: str) -> str:
    """A metric name as the CLI accepts it (``stock@2026-12-31`` checked as a date)."""
    at = _AT.fullmatch(text)
    if at is not None:
        try:
            dt.date.fromisoformat(at.group(1))
        except ValueError:
            raise ExplainError(f"{text}: not a date (write e.g. stock@2026-12-31)") from None
        return text
    if text not in METRICS:
        raise ExplainError(f"unknown metric {text!r} (one of: {', '.join(METRICS)})")
    return text
