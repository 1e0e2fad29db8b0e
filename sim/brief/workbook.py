"""The results as an Excel workbook: the summary, bands over time, the inputs and the run.

Every column holds one type, so a sheet sorts and filters: dates are Excel dates (an event
date is empty where that share of runs has not had it by the end, and the chance that it
happens stands in a column of its own), amounts are numbers rounded to whole units (two
decimals below 10) beside their unit, settings are numbers where they are numbers.
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
from sim.metrics import money_metric, summarise
from sim.outcomes import Outcomes

BANDS = (0.1, 0.5, 0.9)
#: Below this chance of happening, an event's mean date is left out (it would mislead).
MEAN_DATE_FROM = 0.1


def workbook(dataset: xr.Dataset) -> Workbook:
    """Sheets: Dates, Amounts, Stock bands, All bands, Inputs, Run."""
    book = Workbook()
    table = summarise(dataset)
    dated = table["metric"].map(_dated)
    _dates_sheet(book.active, table[dated])
    _amounts_sheet(book.create_sheet("Amounts"), table[~dated], dataset)
    _stock_bands(book.create_sheet("Stock bands"), dataset)
    _all_bands(book.create_sheet("All bands"), dataset)
    _inputs(book.create_sheet("Inputs"), dataset)
    _run(book.create_sheet("Run"), dataset)
    return book


def _dated(metric: str) -> bool:
    return metric.endswith("_at") or ":" in metric


def _dates_sheet(sheet: Any, table: pd.DataFrame) -> None:
    """When events happen: holder, item, event, its chance within the horizon, p10-p90 dates
    (empty: that share of runs has not had it by the end), the mean date where it happens."""
    sheet.title = "Dates"
    header = ["holder", "item", "event", "chance within horizon", "p10", "p50", "p90",
              "mean date where it happens"]  # fmt: skip
    _header(sheet, header)
    for row in table.to_dict("records"):
        chance = float(row["probability"])
        mean = _date(row["mean"]) if chance >= MEAN_DATE_FROM else None
        sheet.append([row["holder"], row["item"], row["metric"], chance,
                      *(_date(row[q]) for q in ("p10", "p50", "p90")), mean])  # fmt: skip
    for cells in sheet.iter_rows(min_row=2):
        cells[3].number_format = "0%"
        for cell in cells[4:8]:
            cell.number_format = "yyyy-mm-dd"
    _widths(sheet, header)


def _amounts_sheet(sheet: Any, table: pd.DataFrame, dataset: xr.Dataset) -> None:
    """How much: holder, item, unit (or currency), quantity, p10-p90 and mean, rounded."""
    header = ["holder", "item", "unit", "quantity", "p10", "p50", "p90", "mean"]
    _header(sheet, header)
    units = _units(dataset)
    currency = str(dataset.attrs.get("currency", "USD"))
    for row in table.to_dict("records"):
        unit = currency if money_metric(str(row["metric"])) else units.get(str(row["item"]), "")
        sheet.append([row["holder"], row["item"], unit, row["metric"],
                      *(rounded(row[c]) for c in ("p10", "p50", "p90", "mean"))])  # fmt: skip
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells[4:8]:
            cell.number_format = "#,##0.##"
    _widths(sheet, header)


def rounded(value: Any) -> float | int | None:
    """A number rounded to meaning: whole units from 10 up, two decimals below; None if
    it is not a finite number."""
    if value is None or pd.isna(value) or not np.isfinite(float(value)):
        return None
    number = float(value)
    return round(number) if abs(number) >= 10 else round(number, 2)


def _units(dataset: xr.Dataset) -> dict[str, str]:
    if "item_unit" not in dataset.coords:
        return {}
    return {str(i): str(u) for i, u in zip(dataset["item"].values,
                                           dataset["item_unit"].values, strict=True)}  # fmt: skip


def _date(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, pd.Timestamp) and not pd.isna(value) else None


def _stock_bands(sheet: Any, dataset: xr.Dataset) -> None:
    """One column per active stock and band: the date, then p10, p50, p90 of each."""
    outcomes = Outcomes(dataset)
    cells = outcomes.active()
    header = ["date", *(f"{h} {i} {_band(q)}" for h, i in cells for q in BANDS)]
    _header(sheet, header)
    columns = [outcomes.spread("stock", h, i).quantile(q) for h, i in cells for q in BANDS]
    for k, day in enumerate(_dates(dataset["time"].values)):
        sheet.append([day, *(rounded(c[k]) for c in columns)])
    _date_column(sheet)
    _widths(sheet, header)


def _all_bands(sheet: Any, dataset: xr.Dataset) -> None:
    """Every level and flow that moved, long form: date, holder, item, quantity, p10-p90."""
    outcomes = Outcomes(dataset)
    header = ["date", "holder", "item", "unit", "quantity", *(_band(q) for q in BANDS), "mean"]
    _header(sheet, header)
    days = _dates(dataset["time"].values)
    units = _units(dataset)
    for holder, item in outcomes.active():
        for name in (*LEVELS, *FLOWS):
            spread = outcomes.spread(name, holder, item)
            if not spread.any():
                continue
            bands = [spread.quantile(q) for q in BANDS]
            mean = spread.mean()
            for k, day in enumerate(days):
                sheet.append([day, holder, item, units.get(item, ""), name,
                              *(rounded(b[k]) for b in bands), rounded(mean[k])])  # fmt: skip
    _date_column(sheet)
    _widths(sheet, header)


def _inputs(sheet: Any, dataset: xr.Dataset) -> None:
    header = ["input", "as written", "uncertain: read as", "changed for this variant"]
    _header(sheet, header)
    for found in assumptions(dataset):
        sheet.append([found.path, found.written, found.reading, "yes" if found.overridden else ""])
    _widths(sheet, header)


def _run(sheet: Any, dataset: xr.Dataset) -> None:
    _header(sheet, ["setting", "value"])
    for key, value in dataset.attrs.items():
        if key in ("scenario_yaml", "fleets"):
            continue
        text = value.item() if isinstance(value, np.generic) else value
        if key in ("sources", "overrides", "clipped_draws"):
            text = "; ".join(_listed(json.loads(str(value))))
        sheet.append([key, text if isinstance(text, int | float) else str(text)])
    sheet.append(["scenario file", str(dataset.attrs.get("scenario_yaml", ""))])
    _widths(sheet, ["scenario_sha256", "x" * 60])


def _listed(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        return (f"{k}: {v}" for k, v in value.items())
    return (str(v) for v in value)


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
