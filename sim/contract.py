"""Whether a Dataset read from a file is stockpile results that the commands can read: the
attributes, variables and dimensions of the results contract (docs/results.md), with at least
one run, one time, one holder and one item.

>>> import xarray as xr
>>> problem(xr.Dataset())
'not a stockpile results file (no stock, in_transit, in_repair, awaiting_repair, on_order, ...)'
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sim.flows import FLOWS, LEVELS

if TYPE_CHECKING:
    import xarray as xr

#: Attributes every reading command may use.
ATTRIBUTES = ("scenario", "start", "end", "runs", "seed")
#: Variables over runs (or a summary's quantiles) every results file holds.
METRICS = ("floor", "target", "trough", "depleted_at", "replenished_at", "trough_at")
SERIES = (*LEVELS, *FLOWS)
PLEDGES = ("pledge_total", "pledge_fulfilled_at", "pledge_by")
#: What a summary-only file holds besides (``sim.summaries``).
SUMMARY = (
    *(f"{name}_mean" for name in (*SERIES, "floor", "target", "trough")),
    "out_of_action", "out_of_action_mean", "drawn_down", "not_refilled", "pledge_on_time",
    "inputs", "sampled_depleted_at", "sampled_replenished_at", "sampled_trough",
    "sampled_trough_at", "sampled_stock_at_end",
)  # fmt: skip


def problem(dataset: xr.Dataset) -> str | None:
    """Why ``dataset`` cannot be read as results, in a few words (None: it can)."""
    keep = str(dataset.attrs.get("keep", "full"))
    if keep == "sweep":
        return "a sweep's variants, not one run's results (select a variant in Python first)"
    summary = keep == "summary"
    wanted = (*SERIES, *METRICS, *PLEDGES, *(SUMMARY if summary else ()))
    missing = [name for name in wanted if name not in dataset]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        return f"not a stockpile results file (no {shown})"
    runs = "quantile" if summary else "run"
    shapes: dict[str, tuple[str, ...]] = {name: (runs, "time", "holder", "item") for name in SERIES}
    shapes.update({name: (runs, "holder", "item") for name in ("floor", "target", "trough")})
    for name, dims in shapes.items():
        if dataset[name].dims != dims:
            return f"not a stockpile results file ({name} is not over {', '.join(dims)})"
    return _attributes(dataset) or _sizes(dataset, runs)


def _attributes(dataset: xr.Dataset) -> str | None:
    missing = [name for name in ATTRIBUTES if name not in dataset.attrs]
    if missing:
        return f"damaged results: no attribute {', '.join(missing)}"
    for name in ("start", "end"):
        try:
            dt.date.fromisoformat(str(dataset.attrs[name]))
        except ValueError:
            return f"damaged results: attribute {name} is not a date"
    try:
        runs = int(dataset.attrs["runs"])
    except (TypeError, ValueError):
        return "damaged results: attribute runs is not a number"
    return "results of no runs" if runs < 1 else None


def _sizes(dataset: xr.Dataset, runs: str) -> str | None:
    empty = [dim for dim in (runs, "time", "holder", "item") if dataset.sizes[dim] == 0]
    if empty:
        what = {"run": "runs", "quantile": "quantiles", "time": "times"}
        shown = ", ".join(what.get(dim, f"{dim}s") for dim in empty)
        return f"results of no {shown}"
    return None
