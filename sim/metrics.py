"""Summary statistics of per-run metrics: pure functions over the results Dataset.

Date metrics (``depleted_at``, ``replenished_at``, ``trough_at``, pledge fulfilment) are summarised
with runs where the event does not happen counted as "after the end": a p90 of NaT means that in
more than 10% of runs the event does not happen within the horizon. ``mean`` of a date is over the
runs where it happens; ``probability`` is the share of runs where it happens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

QUANTILES = (0.1, 0.5, 0.9)
COLUMNS = ["holder", "item", "metric", "p10", "p50", "p90", "mean", "probability"]
CELL_VARIABLES = ("stock", "in_transit", "in_repair", "produced", "received", "sent", "lost",
                  "consumed", "unmet", "unfilled", "used", "repaired")  # fmt: skip


LEVEL_VARIABLES = ("stock", "in_transit", "in_repair")


def active_cells(dataset: xr.Dataset) -> list[tuple[str, str]]:
    """(holder, item) pairs that hold stock or see any flow in any run.

    Flows are cumulative and never decrease from 0, so a flow moved iff it is non-zero at the end.
    """
    touched = xr.zeros_like(dataset["floor"].isel(run=0), dtype=bool)
    for name in CELL_VARIABLES:
        values = dataset[name] if name in LEVEL_VARIABLES else dataset[name].isel(time=[-1])
        touched = touched | (values != 0).any(("run", "time"))
    pairs = touched.stack(cell=("holder", "item"))
    return [tuple(c) for c, on in zip(pairs["cell"].values, pairs.values, strict=True) if on]


def date_summary(dates: np.ndarray) -> dict[str, object]:
    """Quantiles (NaT counted as later than any date), mean where it happens, and probability."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    happened = ~np.isnat(values)
    ns = np.where(happened, values.astype("int64").astype(np.float64), np.inf)
    row: dict[str, object] = {}
    for q in QUANTILES:
        v = np.quantile(ns, q, method="inverted_cdf")
        row[f"p{round(q * 100)}"] = pd.NaT if np.isinf(v) else pd.Timestamp(int(v))
    row["mean"] = pd.Timestamp(int(ns[happened].mean())) if happened.any() else pd.NaT
    row["probability"] = float(happened.mean())
    return row


def number_summary(values: np.ndarray) -> dict[str, object]:
    """Quantiles and mean of a per-run number; ``probability`` does not apply."""
    v = np.asarray(values, dtype=np.float64)
    row: dict[str, object] = {f"p{round(q * 100)}": float(np.quantile(v, q)) for q in QUANTILES}
    row["mean"] = float(v.mean())
    row["probability"] = np.nan
    return row


def cell_rows(dataset: xr.Dataset, holder: str, item: str) -> list[dict[str, object]]:
    """Summary rows for one holder and item."""
    cell = dataset.sel(holder=holder, item=item)
    rows = [
        {"metric": "depleted_at", **date_summary(cell["depleted_at"].values)},
        {"metric": "replenished_at", **date_summary(cell["replenished_at"].values)},
        {"metric": "trough", **number_summary(cell["trough"].values)},
        {"metric": "trough_at", **date_summary(cell["trough_at"].values)},
        {"metric": "stock_at_end", **number_summary(cell["stock"].isel(time=-1).values)},
    ]
    for flow in ("unmet", "unfilled"):
        total = cell[flow].isel(time=-1).values
        if np.any(total > 0):
            rows.append({"metric": f"{flow}_total", **number_summary(total)})
    return [{"holder": holder, "item": item, **row} for row in rows]


def pledge_rows(
    dataset: xr.Dataset, receivers: dict[str, tuple[str, str]]
) -> list[dict[str, object]]:
    """Rows for each pledge: when it is fulfilled, and the chance it is by its deadline."""
    rows: list[dict[str, object]] = []
    for pledge in dataset["pledge"].values:
        holder, item = receivers.get(str(pledge), ("", ""))
        fulfilled = dataset["pledge_fulfilled_at"].sel(pledge=pledge).values
        rows.append({"holder": holder, "item": item, "metric": f"pledge_fulfilled_at:{pledge}",
                     **date_summary(fulfilled)})  # fmt: skip
        deadline = dataset["pledge_by"].sel(pledge=pledge).values
        if not np.isnat(deadline):
            on_time = (~np.isnat(fulfilled)) & (fulfilled <= deadline)
            rows.append({"holder": holder, "item": item, "metric": f"pledge_on_time:{pledge}",
                         "probability": float(on_time.mean())})  # fmt: skip
    return rows


def summarise(dataset: xr.Dataset) -> pd.DataFrame:
    """The summary table: holder, item, metric, p10, p50, p90, mean, probability."""
    rows = [row for h, i in active_cells(dataset) for row in cell_rows(dataset, h, i)]
    rows += pledge_rows(dataset, pledge_receivers(dataset))
    return pd.DataFrame(rows, columns=COLUMNS)


def pledge_receivers(dataset: xr.Dataset) -> dict[str, tuple[str, str]]:
    """Pledge id -> (receiving holder, item), from the ``pledge_holder``/``pledge_item`` coords."""
    if "pledge_holder" not in dataset.coords:
        return {}
    return {
        str(p): (str(h), str(i))
        for p, h, i in zip(
            dataset["pledge"].values,
            dataset["pledge_holder"].values,
            dataset["pledge_item"].values,
            strict=True,
        )
    }
