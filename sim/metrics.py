"""The summary table: per holder and item, when stocks hit their floor, bottom out and are back.

Where items have a price the table adds, in the results' currency, the value of what was
donated and lost (``sim.flows.SUMMARY_VALUES``) and the replacement cost at the end, per item
and, for a holder with more than one priced item, over all of them (item ``all``).

Read from full or summary-only results through ``sim.outcomes`` (one path). Date metrics
(``depleted_at``, ``replenished_at``, ``trough_at``, pledge fulfilment) count the runs where the
event does not happen as "after the end": a p90 of NaT means that in more than 10% of runs the
event does not happen within the horizon. ``mean`` of a date is over the runs where it happens;
``probability`` is the share of runs where it happens.

Any quantiles can be asked for (``quantiles=(0.1, 0.5, 0.8, 0.9)`` gives columns p10, p50, p80,
p90); summary-only results give every quantile of a date exactly, and of a number only those
they kept (others are NaN). ``by`` adds, per holder and item, the chance of each event by each
date: ``replenished_by:DATE`` (back at target after the trough, or never below it) and
``depleted_by:DATE`` (at or below the floor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from sim.flows import FLOWS, REPLACEMENT_COST, SUMMARY_TOTALS, SUMMARY_VALUES, value_name
from sim.limits import DATE_UNIT
from sim.outcomes import Dates, NotKept, Outcomes, Spread

QUANTILES = (0.1, 0.5, 0.9)
Row = dict[str, object]
#: Totals shown for a cell that only passes items on: what came in and went out.
PASSED_ON = FLOWS
#: The item of rows totalled over a holder's priced items.
ALL_ITEMS = "all"
#: Rows in money: the value at the end of each of these, as metric ``NAME_total`` or
#: ``replacement_cost_at_end``.
MONEY = (*(value_name(flow) for flow in SUMMARY_VALUES), REPLACEMENT_COST)


def money_metric(metric: str) -> bool:
    """Whether a summary row is in money (the results' currency)."""
    return metric.removesuffix("_total").removesuffix("_at_end") in MONEY


def columns(quantiles: Sequence[float] = QUANTILES) -> list[str]:
    """The table's columns for these quantiles: holder, item, metric, pNN..., mean, probability."""
    return ["holder", "item", "metric", *quantile_names(quantiles), "mean", "probability"]


def quantile_names(quantiles: Sequence[float]) -> list[str]:
    """``p10``, ``p50``, ``p97.5`` for 0.1, 0.5, 0.975."""
    return [f"p{100 * q:g}" for q in quantiles]


def summarise(
    dataset: xr.Dataset,
    quantiles: Sequence[float] = QUANTILES,
    by: Sequence[dt.date] = (),
) -> pd.DataFrame:
    """The summary table: holder, item, metric, the ``quantiles`` (default p10, p50, p90),
    mean, probability; with a row per event and date of ``by``."""
    quantiles = tuple(float(q) for q in quantiles)
    if not quantiles or any(not 0 <= q <= 1 for q in quantiles):
        raise ValueError(f"quantiles must be in [0, 1], got {quantiles}")
    outcomes = Outcomes(dataset)
    active = outcomes.active()
    rows = [row for h, i in active for row in cell_rows(outcomes, h, i, quantiles, by)]
    rows += total_rows(outcomes, active, quantiles)
    rows += pledge_rows(outcomes, quantiles)
    return pd.DataFrame(rows, columns=columns(quantiles))


def cell_rows(
    outcomes: Outcomes,
    holder: str,
    item: str,
    quantiles: Sequence[float] = QUANTILES,
    by: Sequence[dt.date] = (),
) -> list[Row]:
    """Summary rows for one holder and item: for a cell that keeps a stock, when it hits its
    floor, bottoms out and is back; for one that only passes items on (a hub, a receiver
    starting empty with no target), its stock at the end and the totals of its flows."""
    qs = tuple(quantiles)
    keeps = outcomes.keeps_stock(holder, item)

    def dates(name: str) -> Row:
        return date_row(outcomes.dates(name, holder, item), qs)

    rows: list[Row] = [
        {"metric": "depleted_at", **dates("depleted_at")},
        {"metric": "replenished_at", **dates("replenished_at")},
        {"metric": "trough", **number_row(outcomes.per_run("trough", holder, item), qs)},
        {"metric": "trough_at", **dates("trough_at")},
    ] if keeps else []  # fmt: skip
    rows.append(
        {"metric": "stock_at_end", **number_row(outcomes.spread("stock", holder, item).at(-1), qs)}
    )
    for flow in SUMMARY_TOTALS if keeps else PASSED_ON:
        total = outcomes.spread(flow, holder, item).at(-1)
        if total.any():
            rows.append({"metric": f"{flow}_total", **number_row(total, qs)})
    if outcomes.spread("ordered", holder, item).at(-1).any():  # the order book's outstanding
        on_order = outcomes.spread("on_order", holder, item).at(-1)
        rows.append({"metric": "on_order_at_end", **number_row(on_order, qs)})
    if item in outcomes.priced:
        for name in MONEY:
            value = outcomes.spread(name, holder, item).at(-1)
            if value.any():
                rows.append({"metric": _money_metric_name(name), **number_row(value, qs)})
    for day in by if keeps else ():
        when = np.datetime64(day, DATE_UNIT)
        for name, (days, chance) in (
            ("replenished_by", outcomes.back_by(holder, item)),
            ("depleted_by", outcomes.depleted_by(holder, item)),
        ):
            reached = np.flatnonzero(days <= when)
            p = float(chance[reached[-1]]) if reached.size else 0.0
            rows.append({"metric": f"{name}:{day.isoformat()}", "probability": p})
    return [{"holder": holder, "item": item, **row} for row in rows]


def _money_metric_name(name: str) -> str:
    return f"{name}_at_end" if name == REPLACEMENT_COST else f"{name}_total"


def total_rows(
    outcomes: Outcomes, active: list[tuple[str, str]], quantiles: Sequence[float] = QUANTILES
) -> list[Row]:
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
                             **number_row(total, tuple(quantiles))})  # fmt: skip
    return rows


def pledge_rows(outcomes: Outcomes, quantiles: Sequence[float] = QUANTILES) -> list[Row]:
    """Rows for each pledge: when it is fulfilled, and the chance it is by its deadline."""
    dataset = outcomes.dataset
    rows: list[Row] = []
    for pledge, holder, item in zip(dataset["pledge"].values, dataset["pledge_holder"].values,
                                    dataset["pledge_item"].values, strict=True):  # fmt: skip
        where = {"holder": str(holder), "item": str(item)}
        fulfilled = outcomes.pledge_dates(str(pledge))
        rows.append({**where, "metric": f"pledge_fulfilled_at:{pledge}",
                     **date_row(fulfilled, tuple(quantiles))})  # fmt: skip
        on_time = outcomes.on_time(str(pledge))
        if on_time is not None:
            rows.append({**where, "metric": f"pledge_on_time:{pledge}", "probability": on_time})
    return rows


def date_row(dates: Dates, quantiles: tuple[float, ...] = QUANTILES) -> Row:
    """Quantiles (runs without the event counted as later than any date), the mean date where
    it happens, and the probability that it happens."""
    row: Row = {
        name: _timestamp(value)
        for name, value in zip(quantile_names(quantiles), dates.quantiles(quantiles), strict=True)
    }
    row["mean"] = _timestamp(dates.mean())
    row["probability"] = dates.probability
    return row


def number_row(values: Spread, quantiles: tuple[float, ...] = QUANTILES) -> Row:
    """Quantiles and mean of a per-run number (NaN for a quantile that summary-only results
    did not keep); ``probability`` does not apply."""
    row: Row = {
        name: _quantile(values, q)
        for name, q in zip(quantile_names(quantiles), quantiles, strict=True)
    }
    row["mean"] = float(values.mean())
    row["probability"] = np.nan
    return row


def _quantile(values: Spread, q: float) -> float:
    try:
        return float(values.quantile(q))
    except NotKept:
        return float("nan")


def _timestamp(value: np.datetime64) -> object:
    return pd.NaT if np.isnat(value) else pd.Timestamp(value)
