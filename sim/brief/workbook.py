"""The results as an Excel workbook: the summary, bands over time, the inputs and the run.

Dates are Excel dates; an event that does not happen within the horizon says so in words
("not within horizon"), never as an empty or zero cell.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sim.brief.assumptions import assumptions
from sim.flows import FLOWS, LEVELS
from sim.metrics import summarise
from sim.outcomes import Outcomes

NOT_WITHIN = "not within horizon"
BANDS = (0.1, 0.5, 0.9)


def workbook(dataset: xr.Dataset) -> Workbook:
    """Sheets: Summary, Stock bands, All bands, Inputs, Run."""
    book = Workbook()
    _summary(book.active, dataset)
    _stock_bands(book.create_sheet("Stock bands"), dataset)
    _all_bands(book.create_sheet("All bands"), dataset)
    _inputs(book.create_sheet("Inputs"), dataset)
    _run(book.create_sheet("Run"), dataset)
    return book


def _summary(sheet: Any, dataset: xr.Dataset) -> None:
    sheet.title = "Summary"
    table = summarise(dataset)
    header = list(table.columns)
    _header(sheet, header)
    for row in table.to_dict("records"):
        dated = str(row["metric"]).endswith("_at") or ":" in str(row["metric"])
        cells = [row["holder"], row["item"], row["metric"]]
        cells += [_value(row[c], dated) for c in ("p10", "p50", "p90", "mean")]
        cells.append(None if pd.isna(row["probability"]) else float(row["probability"]))
        sheet.append(cells)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells[3:7]:
            cell.number_format = "yyyy-mm-dd" if isinstance(cell.value, dt.date) else "#,##0.##"
        cells[7].number_format = "0%"
    _widths(sheet, header)


def _stock_bands(sheet: Any, dataset: xr.Dataset) -> None:
    """One column per active stock and band: the date, then p10, p50, p90 of each."""
    outcomes = Outcomes(dataset)
    cells = outcomes.active()
    header = ["date", *(f"{h} {i} {_band(q)}" for h, i in cells for q in BANDS)]
    _header(sheet, header)
    columns = [outcomes.spread("stock", h, i).quantile(q) for h, i in cells for q in BANDS]
    for k, day in enumerate(_dates(dataset["time"].values)):
        sheet.append([day, *(float(c[k]) for c in columns)])
    _date_column(sheet)
    _widths(sheet, header)


def _all_bands(sheet: Any, dataset: xr.Dataset) -> None:
    """Every level and flow that moved, long form: date, holder, item, quantity, p10-p90."""
    outcomes = Outcomes(dataset)
    header = ["date", "holder", "item", "quantity", *(_band(q) for q in BANDS), "mean"]
    _header(sheet, header)
    days = _dates(dataset["time"].values)
    for holder, item in outcomes.active():
        for name in (*LEVELS, *FLOWS):
            spread = outcomes.spread(name, holder, item)
            if not spread.any():
                continue
            bands = [spread.quantile(q) for q in BANDS]
            mean = spread.mean()
            for k, day in enumerate(days):
                sheet.append([day, holder, item, name, *(float(b[k]) for b in bands),
                              float(mean[k])])  # fmt: skip
    _date_column(sheet)
    _widths(sheet, header)


def _inputs(sheet: Any, dataset: xr.Dataset) -> None:
    header = ["input", "as written", "uncertain: read as", "changed for this variant"]
    _header(sheet, header)
    for found in assumptions(dataset):
        sheet.append([found.path, found.written, found.reading, "yes" if found.overridden else ""])
    _widths(sheet, header)


def _run(sheet: Any, dataset: xr.Dataset) -> None:
    _header(sheet, ["", ""])
    for key, value in dataset.attrs.items():
        if key in ("scenario_yaml", "fleets"):
            continue
        text = value
        if key in ("sources", "overrides", "clipped_draws"):
            text = "; ".join(_listed(json.loads(str(value))))
        sheet.append([key, text if isinstance(text, int | float) else str(text)])
    sheet.append(["scenario file", str(dataset.attrs.get("scenario_yaml", ""))])
    _widths(sheet, ["scenario_sha256", "x" * 60])


def _listed(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        return (f"{k}: {v}" for k, v in value.items())
    return (str(v) for v in value)


def _value(value: Any, dated: bool) -> Any:
    if value is pd.NaT or (dated and pd.isna(value)):
        return NOT_WITHIN
    if isinstance(value, pd.Timestamp):
        return value.date()
    return None if pd.isna(value) else float(value)


def _dates(times: np.ndarray) -> list[dt.date]:
    return [pd.Timestamp(t).date() for t in times]


def _band(q: float) -> str:
    return f"p{round(q * 100)}"


def _header(sheet: Any, names: Sequence[str]) -> None:
    sheet.append(list(names))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _date_column(sheet: Any) -> None:
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.number_format = "yyyy-mm-dd"


def _widths(sheet: Any, header: Sequence[str]) -> None:
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(60, len(name) + 4))
