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


def runs_dim(dataset: xr.Dataset) -> str:
    """The dimension over runs: ``run``, or ``quantile`` in a summary-only run (whose quantiles
    at 0 and 1 are the minimum and maximum over runs, so "any run" tests stay exact)."""
    return "quantile" if str(dataset.attrs.get("keep", "full")) == "summary" else "run"


def active_cells(dataset: xr.Dataset) -> list[tuple[str, str]]:
    """(holder, item) pairs that hold stock or see any flow in any run.

    Flows are cumulative and never decrease from 0, so a flow moved iff it is non-zero at the end.
    """
    over = runs_dim(dataset)
    touched = xr.zeros_like(dataset["floor"].isel({over: 0}), dtype=bool)
    for name in CELL_VARIABLES:
        values = dataset[name] if name in LEVEL_VARIABLES else dataset[name].isel(time=[-1])
        touched = touched | (values != 0).any((over, "time"))
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
    """The summary table: holder, item, metric, p10, p50, p90, mean, probability.

    Works on full results and on summary-only results (``keep="summary"``).
    """
    summary = runs_dim(dataset) == "quantile"
    cells = summary_cell_rows if summary else cell_rows
    pledges = summary_pledge_rows if summary else pledge_rows
    rows = [row for h, i in active_cells(dataset) for row in cells(dataset, h, i)]
    rows += pledges(dataset, pledge_receivers(dataset))
    return pd.DataFrame(rows, columns=COLUMNS)


def refilled_after_trough(
    replenished: np.ndarray,
    trough_at: np.ndarray,
    target: np.ndarray,
    trough: np.ndarray,
    stock: np.ndarray,
    times: np.ndarray,
    never: float | np.datetime64 = np.nan,
) -> np.ndarray:
    """Per run, when the stock is back at target after its trough (``never``: not by the end).

    Times are days since start with ``never`` NaN, or datetimes with ``never`` NaT: ``(runs,)``
    arrays, ``stock`` ``(runs, T)`` at the reported ``times``. ``replenished`` when at or after
    the trough; when the stock was refilled and then fell again, the first reported time after
    the trough at or above target; ``never`` for runs that never fall below target.
    """
    ok = (times[None, :] > trough_at[:, None]) & (stock >= target[:, None])
    later = np.where(ok.any(axis=1), times[ok.argmax(axis=1)], never)
    with np.errstate(invalid="ignore"):
        back = np.where(replenished >= trough_at, replenished, later)
    return np.where(trough < target, back, never)


def sorted_quantiles(
    values: np.ndarray, counts: np.ndarray, qs: tuple[float, ...], method: str = "linear"
) -> np.ndarray:
    """``np.quantile(sample, qs, method=method)`` of the sample holding ``counts[k]`` copies of
    ``values[k]`` (``values`` ascending), without expanding it. NaN when the sample is empty."""
    n = int(np.sum(counts))
    if n == 0:
        return np.full(len(qs), np.nan)
    at = np.quantile(np.arange(n, dtype=np.float64), qs, method=method)  # type: ignore[call-overload]
    ends = np.cumsum(counts)
    low = np.floor(at)
    t = at - low
    a = values[np.searchsorted(ends, low, side="right")]
    b = values[np.searchsorted(ends, np.minimum(low + 1, n - 1), side="right")]
    with np.errstate(invalid="ignore"):
        diff = b - a
        out = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return np.asarray(np.where(t == 0, a, out), dtype=np.float64)


def counted_date_summary(dates: np.ndarray, counts: np.ndarray, runs: int) -> dict[str, object]:
    """``date_summary`` from the number of runs with the event at each of ``dates`` (the other
    runs never have it): quantiles and probability exactly as from the runs themselves."""
    counts = np.asarray(counts, dtype=np.int64)
    ns = np.asarray(dates, dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    happened = int(counts.sum())
    values = np.append(ns, np.inf)
    every = np.append(counts, runs - happened)
    row: dict[str, object] = {}
    for q, v in zip(QUANTILES, sorted_quantiles(values, every, QUANTILES, "inverted_cdf"),
                    strict=True):  # fmt: skip
        row[f"p{round(q * 100)}"] = pd.NaT if np.isinf(v) else pd.Timestamp(int(v))
    mean = float(np.sum(ns * counts) / happened) if happened else np.nan
    row["mean"] = pd.Timestamp(int(mean)) if happened else pd.NaT
    row["probability"] = happened / runs
    return row


def quantile_summary(values: xr.DataArray, mean: float) -> dict[str, object]:
    """``number_summary`` from stored quantiles (dimension ``quantile``) and the mean."""
    row: dict[str, object] = {
        f"p{round(q * 100)}": float(values.sel(quantile=q).item()) for q in QUANTILES
    }
    row["mean"] = float(mean)
    row["probability"] = np.nan
    return row


def summary_cell_rows(dataset: xr.Dataset, holder: str, item: str) -> list[dict[str, object]]:
    """``cell_rows`` for a summary-only run."""
    cell = dataset.sel(holder=holder, item=item)
    runs = int(dataset.attrs["runs"])
    dates = dataset["date"].values

    def when(name: str) -> dict[str, object]:
        return {"metric": name, **counted_date_summary(dates, cell[name].values, runs)}

    def number(name: str, values: xr.DataArray, mean: xr.DataArray) -> dict[str, object]:
        return {"metric": name, **quantile_summary(values, float(mean))}

    rows = [
        when("depleted_at"),
        when("replenished_at"),
        number("trough", cell["trough"], cell["trough_mean"]),
        when("trough_at"),
        number("stock_at_end", cell["stock"].isel(time=-1), cell["stock_mean"].isel(time=-1)),
    ]
    for flow in ("unmet", "unfilled"):
        total = cell[flow].isel(time=-1)
        if float(total.sel(quantile=1.0)) > 0:
            rows.append(number(f"{flow}_total", total, cell[f"{flow}_mean"].isel(time=-1)))
    return [{"holder": holder, "item": item, **row} for row in rows]


def summary_pledge_rows(
    dataset: xr.Dataset, receivers: dict[str, tuple[str, str]]
) -> list[dict[str, object]]:
    """``pledge_rows`` for a summary-only run."""
    runs = int(dataset.attrs["runs"])
    rows: list[dict[str, object]] = []
    for pledge in dataset["pledge"].values:
        holder, item = receivers.get(str(pledge), ("", ""))
        counts = dataset["pledge_fulfilled_at"].sel(pledge=pledge).values
        rows.append({"holder": holder, "item": item, "metric": f"pledge_fulfilled_at:{pledge}",
                     **counted_date_summary(dataset["date"].values, counts, runs)})  # fmt: skip
        if not np.isnat(dataset["pledge_by"].sel(pledge=pledge).values):
            on_time = int(dataset["pledge_on_time"].sel(pledge=pledge)) / runs
            rows.append({"holder": holder, "item": item, "metric": f"pledge_on_time:{pledge}",
                         "probability": on_time})  # fmt: skip
    return rows


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
