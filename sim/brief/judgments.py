"""Key judgments in words: when each drawn-down stock hits its floor, bottoms out and is back.

The numbers are the timeline's (``sim.plots.timeline.rows``: percentiles over all runs, a run
without the event counted as later than the end), so slide, table and chart agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from sim.plots import style
from sim.plots.timeline import Row, rows


@dataclass(frozen=True)
class Judgment:
    """One drawn-down stock, in words and as table cells."""

    holder: str
    item: str
    stock: str  # "United States (DoD stocks): 155mm artillery shell"
    sentence: str
    cells: tuple[str, str, str]  # at floor, trough, back at target
    back_share: float  # share of the runs drawn below target that are back by the end
    floor_share: float = 0.0  # share of the runs at the floor at some time


def judgments(dataset: xr.Dataset) -> list[Judgment]:
    """One judgment per stock that falls below its target in some run, in file order."""
    end = dataset["time"].values[-1]
    return [_judgment(dataset, row, end) for row in rows(dataset)]


def _judgment(dataset: xr.Dataset, row: Row, end: np.datetime64) -> Judgment:
    holder = style.label(dataset, "holder", row.holder)
    item = style.label(dataset, "item", row.item)
    unit = style.unit(dataset, row.item)
    floor = _event("falls to its floor", row.depleted_share, row.depleted)
    falling = _still_falling(dataset, row)
    trough = f"the lowest point is {style.level(row.trough)} {unit}"
    if falling:
        trough = (f"it is still falling at the end ({style.level(row.trough)} {unit} in "
                  f"{_month(end)}), so its lowest point lies beyond the horizon")  # fmt: skip
    elif not np.isnat(row.trough_at):
        trough += f" around {_month(row.trough_at)}"
    back = _event(f"is back at its starting level by {_month(end)}", 1 - row.not_back_share,
                  row.replenished)  # fmt: skip
    sentence = f"{item} ({holder}) {floor}; {trough}; it {back}."
    cells = (
        _cell(row.depleted_share, row.depleted),
        f"{style.level(row.trough)} {unit}"
        + (", still falling at the end" if falling else _when(row.trough_at)),
        _cell(1 - row.not_back_share, row.replenished),
    )
    return Judgment(row.holder, row.item, f"{holder}: {item}", sentence[0].upper() + sentence[1:],
                    cells, 1 - row.not_back_share, float(row.depleted_share))  # fmt: skip


def _still_falling(dataset: xr.Dataset, row: Row) -> bool:
    """Whether the median lowest point is at the last reported time: the stock is still
    falling when the horizon ends."""
    times = dataset["time"].values
    return len(times) > 1 and not np.isnat(row.trough_at) and row.trough_at >= times[-2]


def _event(what: str, share: float, dates: np.ndarray) -> str:
    text = f"{what} in {'no run' if share <= 0 else style.share(share) + ' of runs'}"
    return text if share <= 0 or np.isnat(dates[1]) else f"{text}, median {_month(dates[1])}"


def _cell(share: float, dates: np.ndarray) -> str:
    if share <= 0:
        return "in no run"
    spread = " – ".join("after end" if np.isnat(d) else _month(d) for d in (dates[0], dates[2]))
    median = "" if np.isnat(dates[1]) else f"median {_month(dates[1])}; "
    return f"{style.share(share)} of runs; {median}p10–p90 {spread}"


def _when(value: np.datetime64) -> str:
    return "" if np.isnat(value) else f", {_month(value)}"


def _month(value: np.datetime64) -> str:
    """``Mar 2025``."""
    return pd.Timestamp(value).strftime("%b %Y")


def bottom_line(dataset: xr.Dataset, found: list[Judgment], most: int = 2) -> list[str]:
    """The pack's first words: the stocks most at risk (the largest share of runs at the floor
    or not back by the end), then every holder whose demand goes unmet, with how much."""
    ranked = sorted(found, key=lambda j: -max(1 - j.back_share, j.floor_share))
    lines = [j.sentence for j in ranked[:most]]
    return lines + shortfalls(dataset)


def shortfalls(dataset: xr.Dataset) -> list[str]:
    """One sentence per holder and item whose demand went unmet in some run: how much by the
    end (median, p10 to p90), against what it used."""
    from sim.outcomes import Outcomes
    from sim.plots.shortfall import short_cells

    outcomes = Outcomes(dataset)
    end = _month(dataset["time"].values[-1])
    lines = []
    for holder, item in short_cells(dataset):
        unmet = outcomes.spread("unmet", holder, item)
        used = outcomes.spread("consumed", holder, item)
        low, mid, high = (float(unmet.quantile(q)[-1]) for q in (0.1, 0.5, 0.9))
        unit = style.unit(dataset, item)
        need = mid + float(used.median()[-1])
        part = f" ({mid / need:.0%} of what it needed)" if need > 0 else ""
        lines.append(
            f"{style.label(dataset, 'holder', holder)} lacks {style.level(mid)} {unit} of "
            f"{style.label(dataset, 'item', item)} by {end}{part}, p10–p90 "
            f"{style.level(low)} to {style.level(high)}."
        )
    return lines
