"""Briefing look: palette, fonts, 16:9 figures, titles, source footnotes, axes formatters.

Nothing here changes global matplotlib state: charts draw inside ``briefing_style()``.
Colours are Okabe-Ito hues chosen to differ in lightness too, so charts survive greyscale
printing; series are also told apart by line style, marker or hatch.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim import __version__
from sim.formats import CHART_FORMATS

FIGSIZE = (10.0, 5.625)  # inches, 16:9
DPI = 300
FORMATS = CHART_FORMATS

INK = "#1a1a1a"
MUTED = "#595959"
GRID = "#d9d9d9"
BLUE = "#0072B2"  # dark
SKY = "#56B4E9"  # light
ORANGE = "#E69F00"  # light
VERMILLION = "#D55E00"  # mid
GREEN = "#009E73"  # mid
NAVY = "#08306b"
FAN_BANDS = ((0.90, "#deebf7"), (0.80, "#b3d1ea"), (0.50, "#6fa6d6"))  # light to dark
BAND_LEGEND = "{:.0%} of runs"

_RC: Any = {  # a plain dict; typed Any for matplotlib's literal-keyed stubs
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    "axes.labelsize": 10,
    "axes.labelcolor": MUTED,
    "axes.edgecolor": MUTED,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "text.color": INK,
    "text.parse_math": False,  # scenario texts are plain: "$675M" is money, not mathtext
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


@contextlib.contextmanager
def briefing_style() -> Iterator[None]:
    """Apply the briefing rcParams inside a ``with`` block only."""
    with mpl.rc_context(_RC):
        yield


def as_dataset(results: Any) -> xr.Dataset:
    """The results Dataset, whether given a Dataset or an object with ``.dataset``."""
    dataset = getattr(results, "dataset", results)
    if not isinstance(dataset, xr.Dataset):
        raise ChartError(f"expected results or an xarray.Dataset, got {type(results).__name__}")
    return dataset


class ChartError(ValueError):
    """A chart was asked for something the results do not hold (unknown holder, item...)."""


def check_cell(dataset: xr.Dataset, holder: str, item: str) -> None:
    """Raise ChartError naming the known ids when ``holder`` or ``item`` is unknown."""
    for dim, value in (("holder", holder), ("item", item)):
        known = [str(v) for v in dataset[dim].values]
        if value not in known:
            raise ChartError(f"unknown {dim} {value!r} (one of: {', '.join(known)})")


def label(dataset: xr.Dataset, dim: str, value: str) -> str:
    """The human label of a holder or item, falling back to its id."""
    name = f"{dim}_label"
    if name in dataset.coords:
        text = str(dataset[name].sel({dim: value}).item())
        if text:
            return text
    return value


#: What one entry of each section is, in words, for input names.
SECTION_WORDS = {"production": "production", "donations": "donation", "attrition": "losses",
                 "consumption": "use", "orders": "order", "policies": "policy"}  # fmt: skip


def input_label(dataset: xr.Dataset, path: str) -> str:
    """An input's scenario path in words for a reader: ``holders.us.stock.shell_155`` as
    ``United States: stock of 155mm artillery shell``, ``donations.pda_shells.rate.2024-05-01``
    as ``pda shells (donation): rate from 2024-05-01``; a path it does not know stays as is."""
    parts = path.split(".")
    if parts[0] == "holders" and len(parts) >= 4 and parts[1] in dataset["holder"].values:
        field = " ".join(parts[2:-1]).replace("_", " ")
        return f"{label(dataset, 'holder', parts[1])}: {field} of {_item_words(dataset, parts[-1])}"
    if parts[0] == "items" and len(parts) >= 3:
        rest = " ".join(parts[2:]).replace("_", " ")
        return f"{_item_words(dataset, parts[1])}: {rest}"
    if parts[0] in SECTION_WORDS and len(parts) >= 3:
        name = f"{parts[1].replace('_', ' ')} ({SECTION_WORDS[parts[0]]})"
        field, *more = parts[2:]
        field = field.replace("_", " ")
        if more and _is_date(more[-1]):
            return f"{name}: {field} from {more[-1]}"
        return f"{name}: {' '.join([field, *more]).replace('_', ' ')}"
    return path


def _item_words(dataset: xr.Dataset, item: str) -> str:
    return label(dataset, "item", item) if item in dataset["item"].values else item


def _is_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit()


def unit(dataset: xr.Dataset, item: str) -> str:
    """The item's unit (``rounds``), or ``units`` when the results do not say."""
    if "item_unit" in dataset.coords:
        text = str(dataset["item_unit"].sel(item=item).item())
        if text:
            return text
    return "units"


def new_figure(ax: Axes | None) -> tuple[Figure, Axes, bool]:
    """A 16:9 figure with one axes, or the caller's axes. The flag says whether we own it."""
    if ax is not None:
        return ax.get_figure(root=True), ax, False  # type: ignore[return-value]
    fig = Figure(figsize=FIGSIZE, dpi=100, layout="constrained")
    return fig, fig.add_subplot(), True


def sources(dataset: xr.Dataset) -> list[str]:
    """The scenario's sources (attr ``sources``, a JSON list); tolerates a plain string."""
    raw = dataset.attrs.get("sources", "[]")
    try:
        value = json.loads(raw) if isinstance(raw, str) else list(raw)
    except (json.JSONDecodeError, TypeError):
        return [str(raw)] if raw else []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def overrides(dataset: xr.Dataset) -> list[str]:
    """The ``--set`` overrides that made this variant of the scenario (attr ``overrides``)."""
    try:
        value = json.loads(str(dataset.attrs.get("overrides", "[]")))
    except json.JSONDecodeError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def method_note(dataset: xr.Dataset, bands: bool = True) -> str:
    """Runs, seed, version and scenario hash: what a reader needs to reproduce the chart."""
    attrs = dataset.attrs
    runs = int(attrs.get("runs", dataset.sizes.get("run", 0)))
    parts = [f"{runs:,} Monte Carlo run{'s' if runs != 1 else ''}"]
    if int(attrs.get("deterministic", 0)):
        parts = ["Deterministic run (every value at its mean)"]
    if "seed" in attrs and not int(attrs.get("deterministic", 0)):
        parts[0] += f", seed {attrs['seed']}"
    if bands and runs > 1:
        merged = str(attrs.get("keep", "full")) == "summary"
        parts.append("bands: quantiles over runs" + (" (merged by chunk)" if merged else ""))
    parts.append(f"stockpile {attrs.get('sim_version', __version__)}")
    sha = str(attrs.get("scenario_sha256", ""))
    if sha.strip("0"):
        parts.append(f"scenario {sha[:10]}")
    return " · ".join(parts)


def decorate(
    fig: Figure,
    dataset: xr.Dataset,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    extra_sources: Sequence[str] = (),
    bands: bool = True,
    reserve_inches: float = 0.0,
) -> float:
    """Title and subtitle (scenario name and description) on top, sources as a footnote.

    ``reserve_inches`` keeps a band free above the footnote (for a figure legend); returns
    the figure fraction where that band starts.
    """
    title = title if title is not None else str(dataset.attrs.get("scenario", ""))
    if subtitle is None:
        subtitle = " ".join(str(dataset.attrs.get("description", "")).split())
        changed = overrides(dataset)
        if changed:
            subtitle = f"Variant: {'; '.join(changed)}. {subtitle}"
    width = fig.get_figwidth() - 0.3  # inches of text line
    sub_lines = whole_sentences(subtitle, 10, width, max_lines=2)
    foot_lines = _source_lines([*sources(dataset), *extra_sources], width)
    foot_lines.append(method_note(dataset, bands))
    height = fig.get_figheight()
    top = 0.05 + 0.2 * len(sub_lines)  # inches of header below the title
    bottom = 0.1 + 0.15 * len(foot_lines)
    size, title = fit_title(title, width)
    fig.text(0.012, 1 - 0.1 / height, title, ha="left", va="top", fontsize=size, weight="bold")
    if sub_lines:
        y = 1 - 0.42 / height
        fig.text(0.012, y, "\n".join(sub_lines), ha="left", va="top", fontsize=10, color=MUTED)
    fig.text(0.012, 0.06 / height, "\n".join(foot_lines), ha="left", va="bottom", fontsize=7)
    fig.texts[-1].set_color(MUTED)
    header = (0.42 + top) / height
    footer = (bottom + reserve_inches) / height
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0.0, footer, 1.0, 1.0 - header - footer))
    return bottom / height


def fit_title(title: str, width_inches: float) -> tuple[float, str]:
    """The largest title size from 15 down to 12 pt at which ``title`` fits on one line; at
    12 pt a title still too long is cut with `…`."""
    for size in (15.0, 14.0, 13.0, 12.0):
        (line,) = wrap(title, size, width_inches, max_lines=1, bold=True) or [""]
        if line == " ".join(title.split()):
            return size, line
    return size, line


def wrap(
    text: str, fontsize: float, width_inches: float, max_lines: int, bold: bool = False
) -> list[str]:
    """Split ``text`` into lines that fit ``width_inches`` at ``fontsize``; `…` when cut."""
    weight = "bold" if bold else "normal"
    prop = FontProperties(family=_RC["font.family"], size=fontsize, weight=weight)
    limit = width_inches * 72

    def fits(line: str) -> bool:
        return float(_TEXT.get_text_width_height_descent(line, prop, ismath=False)[0]) <= limit

    lines: list[str] = []
    for word in text.split():
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] = f"{lines[-1]} {word}"
        elif len(lines) == max_lines:
            lines.append(word)
            break  # one line too many: the rest is cut, however long it is
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and not fits(lines[-1] + " …"):
            lines[-1] = lines[-1].rsplit(" ", 1)[0] if " " in lines[-1] else ""
        lines[-1] += " …"
    return lines


def whole_sentences(text: str, fontsize: float, width_inches: float, max_lines: int) -> list[str]:
    """As many whole sentences of ``text`` as fit in ``max_lines`` (never one cut mid-way;
    the full text belongs in the speaker notes); the first sentence cut with `…` only if
    even it alone does not fit."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]
    kept: list[str] = []
    for sentence in sentences:
        lines = wrap(" ".join([*kept, sentence]), fontsize, width_inches, max_lines=10**6)
        if len(lines) > max_lines:
            break
        kept.append(sentence)
    if not kept and sentences:
        return wrap(sentences[0], fontsize, width_inches, max_lines)
    return wrap(" ".join(kept), fontsize, width_inches, max_lines) if kept else []


def _source_lines(items: Sequence[str], width_inches: float, max_lines: int = 3) -> list[str]:
    """The footnote's sources: as many whole sources as fit, then how many more there are."""
    if not items:
        return []
    fitting: list[str] | None = None
    for count in range(1, len(items) + 1):  # up from one: stops at the first that overflows
        more = len(items) - count
        tail = f" (and {more} more source{'s' if more > 1 else ''} in the scenario)" if more else ""
        lines = wrap(f"Sources: {'; '.join(items[:count])}{tail}", 7, width_inches, max_lines)
        if lines[-1].endswith(" …"):
            break
        fitting = lines
    return fitting or wrap(f"Sources: {items[0]}", 7, width_inches, max_lines)


_TEXT = TextToPath()


def thousands(ax: Axes, axis: str = "y") -> None:
    """Tick labels with thousands separators (1,500,000), decimals only for small values."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda value, _pos: number(value)))


def number(value: float, significant: int | None = None) -> str:
    """``1,500,000``; small values keep three significant digits; optionally rounded."""
    if significant is not None and value != 0 and np.isfinite(value):
        digits = significant - 1 - int(np.floor(np.log10(abs(value))))
        value = round(value, digits)
    if abs(value) >= 100 or value == 0:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def level(value: float) -> str:
    """A stock level as a briefing says it: whole units from 10 up (no "33.1 guns"), three
    significant digits from 1,000 up (no "1,209,926 rounds")."""
    if abs(value) >= 1000:
        return number(value, 3)
    return number(round(value)) if abs(value) >= 10 else number(value, 2)


def share(fraction: float) -> str:
    """``38%``; never rounds a rare event to 0% or a near-certain one to 100%."""
    text = f"{fraction:.0%}"
    if text == "0%" and fraction > 0:
        return "<1%"
    if text == "100%" and fraction < 1:
        return ">99%"
    return text


def percent(ax: Axes) -> None:
    """Y tick labels as percentages of 1."""
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def finish_cell_axes(
    ax: Axes, dataset: xr.Dataset, holder: str, item: str, what: str, ylabel: str = ""
) -> None:
    """The common end of a chart of one holder's item over time: dated x axis, amounts from 0
    with thousands separators, the unit (or ``ylabel``), the title "HOLDER: ITEM WHAT" and the
    legend beside the axes."""
    time = dataset["time"].values
    date_axis(ax, time[0], time[-1])
    thousands(ax)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel or unit(dataset, item))
    ax.set_title(f"{label(dataset, 'holder', holder)}: {label(dataset, 'item', item)}{what}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def date_axis(ax: Axes, start: np.datetime64, end: np.datetime64, most: int = 9) -> None:
    """A dated x axis spanning exactly ``start`` to ``end`` with at most ``most`` ticks
    (``date_ticks``)."""
    date_ticks(ax, most)
    ax.set_xlim(date_number(start), date_number(end))


def date_ticks(ax: Axes, most: int = 9) -> None:
    """Date ticks on the x axis, at most ``most``: years as ``2023``, other months with their
    year (``Mar 2023``), so no label is ambiguous."""
    locator = mdates.AutoDateLocator(minticks=min(4, most), maxticks=most)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator,
        formats=["%Y", "%b %Y", "%d %b %Y", "%d %b %Y", "%d %b %Y", "%d %b %Y"],
        zero_formats=["", "%Y", "%b %Y", "%d %b %Y", "%d %b %Y", "%d %b %Y"],
        show_offset=False,
    )
    ax.xaxis.set_major_formatter(formatter)


def thin_dates(ax: Axes, start: np.datetime64, end: np.datetime64) -> None:
    """Fewer date ticks until no two labels touch, on the laid-out chart (a narrow axis)."""
    figure = ax.get_figure(root=True)
    gap = 6 * figure.dpi / 72  # type: ignore[union-attr]
    for most in range(8, 1, -1):
        figure.draw_without_rendering()  # type: ignore[union-attr]
        boxes = [t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()]
        if all(a.x1 + gap <= b.x0 for a, b in pairwise(boxes)):
            return
        date_axis(ax, start, end, most)


def date_number(value: np.datetime64) -> float:
    """Matplotlib's float day number for a date."""
    return float(mdates.date2num(value))  # type: ignore[no-untyped-call]


def month(value: np.datetime64) -> str:
    """``2027-12`` style month label."""
    return str(np.datetime_as_string(value, unit="M"))


def save(fig: Figure, path: str | Path | BinaryIO, fmt: str | None = None) -> Any:
    """Write ``fig`` at 300 dpi as PNG, SVG or PDF (from the suffix unless ``fmt`` says).

    ``path`` may be a binary file object (then give ``fmt``). Returns ``path``.
    """
    if isinstance(path, str | Path):
        path = Path(path)
        fmt = fmt or path.suffix.lstrip(".") or "png"
    fmt = (fmt or "png").lower()
    if fmt not in FORMATS:
        raise ChartError(f"unknown chart format {fmt!r} (one of: {', '.join(FORMATS)})")
    title = next((t.get_text() for t in fig.texts), "")
    metadata = {"Title": title, "Creator": f"stockpile {__version__}"}
    with briefing_style():
        fig.savefig(path, format=fmt, dpi=DPI, metadata=metadata, facecolor="white")
    return path
