"""The summary table: per holder and item, when stocks hit their floor, bottom out and are back.

Where items have a price the table adds, in the results' currency, the value of what was
donated and lost (``sim.flows.SUMMARY_VALUES``) and the replacement cost at the end, per item
and, for a holder with more than one priced item, over all of them (item ``all``).

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

from sim.flows import REPLACEMENT_COST, SUMMARY_TOTALS, SUMMARY_VALUES, value_name
from sim.outcomes import Dates, Outcomes, Spread

QUANTILES = (0.1, 0.5, 0.9)
COLUMNS = ["holder", "item", "metric", "p10", "p50", "p90", "mean", "probability"]
Row = dict[str, object]
#: The item of rows totalled over a holder's priced items.
ALL_ITEMS = "all"
#: Rows in money: the value at the end of each of these, as metric ``NAME_total`` or
#: ``replacement_cost_at_end``.
MONEY = (*(value_name(flow) for flow in SUMMARY_VALUES), REPLACEMENT_COST)


def money_metric(metric: str) -> bool:
    """Whether a summary row is in money (the results' currency)."""
    return metric.removesuffix("_total").removesuffix("_at_end") in MONEY


def summarise(dataset: xr.Dataset) -> pd.DataFrame:
    """The summary table: holder, item, metric, p10, p50, p90, mean, probability."""
    outcomes = Outcomes(dataset)
    active = outcomes.active()
    rows = [row for h, i in active for row in cell_rows(outcomes, h, i)]
    rows += total_rows(outcomes, active)
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
    if item in outcomes.priced:
        for name in MONEY:
            value = outcomes.spread(name, holder, item).at(-1)
            if value.any():
                rows.append({"metric": _money_metric_name(name), **number_row(value)})
    return [{"holder": holder, "item": item, **row} for row in rows]


def _money_metric_name(name: str) -> str:
    return f"{name}_at_end" if name == REPLACEMENT_COST else f"{name}_total"


def total_rows(outcomes: Outcomes, active: list[tuple[str, str]]) -> list[Row]:
    """Values over all priced items of each holder with more than one of them moving."""
    rows: list[Row] = []
    for holder in dict.fromkeys(h for h, _ in active):
        for name in MONEY:
            moving = [i for h, i in active if h == holder and i in outcomes.priced
                      and outcomes.spread(name, h, i).at(-1).any()]  # fmt: skip
            if len(moving) > 1:
                total = outcomes.holder_value(name, holder).at(-1)
                metric = _money_metric_name(name)
                rows.append({"holder": holder, "item": ALL_ITEMS, "metric": metric,
                             **number_row(total)})  # fmt: skip
    return rows


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
