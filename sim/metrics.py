"""The summary table: per holder and item, when stocks hit their floor, bottom out and are back.

Read from full or summary-only results through ``sim.outcomes`` (one path). Date metrics
(``depleted_at``, ``replenished_at``, ``trough_at``, pledge fulfilment) count the runs where the
event does not happen as "after the end": a p90 of NaT means that in more than 10% of runs the
event does not happen within the horizon. ``mean`` of a date is over the runs where it happens;
``probability`` is the share of runs where it happens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sim.flows import SUMMARY_TOTALS
from sim.outcomes import Dates, Outcomes, Spread

QUANTILES = (0.1, 0.5, 0.9)
COLUMNS = ["holder", "item", "metric", "p10", "p50", "p90", "mean", "probability"]
Row = dict[str, object]


def summarise(dataset: xr.Dataset) -> pd.DataFrame:
    """The summary table: holder, item, metric, p10, p50, p90, mean, probability."""
    outcomes = Outcomes(dataset)
    rows = [row for h, i in outcomes.active() for row in cell_rows(outcomes, h, i)]
    rows += pledge_rows(outcomes)
    return pd.DataFrame(rows, columns=COLUMNS)


def cell_rows(outcomes: Outcomes, holder: str, item: str) -> list[Row]:
    """Summary rows for one holder and item."""
    rows: list[Row] = [
        {"metric": "depleted_at", **date_row(outcomes.dates("depleted_at", holder, item))},
        {"metric": "replenished_at", **date_row(outcomes.dates("replenished_at", holder, item))},
        {"metric": "trough", **number_row(outcomes.per_run("trough", holder, item))},
        {"metric": "trough_at", **date_row(outcomes.dates("trough_at", holder, item))},
        {"metric": "stock_at_end", **number_row(outcomes.spread("stock", holder, item).at(-1))},
    ]
    for flow in SUMMARY_TOTALS:
        total = outcomes.spread(flow, holder, item).at(-1)
        if total.any():
            rows.append({"metric": f"{flow}_total", **number_row(total)})
    return [{"holder": holder, "item": item, **row} for row in rows]


def pledge_rows(outcomes: Outcomes) -> list[Row]:
    """Rows for each pledge: when it is fulfilled, and the chance it is by its deadline."""
    dataset = outcomes.dataset
    rows: list[Row] = []
    for pledge, holder, item in zip(dataset["pledge"].values, dataset["pledge_holder"].values,
                                    dataset["pledge_item"].values, strict=True):  # fmt: skip
        where = {"holder": str(holder), "item": str(item)}
        fulfilled = outcomes.pledge_dates(str(pledge))
        rows.append({**where, "metric": f"pledge_fulfilled_at:{pledge}", **date_row(fulfilled)})
        on_time = outcomes.on_time(str(pledge))
        if on_time is not None:
            rows.append({**where, "metric": f"pledge_on_time:{pledge}", "probability": on_time})
    return rows


def date_row(dates: Dates) -> Row:
    """Quantiles (runs without the event counted as later than any date), the mean date where
    it happens, and the probability that it happens."""
    row: Row = {
        f"p{round(q * 100)}": _timestamp(value)
        for q, value in zip(QUANTILES, dates.quantiles(QUANTILES), strict=True)
    }
    row["mean"] = _timestamp(dates.mean())
    row["probability"] = dates.probability
    return row


def number_row(values: Spread) -> Row:
    """Quantiles and mean of a per-run number; ``probability`` does not apply."""
    row: Row = {f"p{round(q * 100)}": float(values.quantile(q)) for q in QUANTILES}
    row["mean"] = float(values.mean())
    row["probability"] = np.nan
    return row


def _timestamp(value: np.datetime64) -> object:
    return pd.NaT if np.isnat(value) else pd.Timestamp(value)
