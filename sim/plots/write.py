"""Write every chart that applies to a results set into a folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import xarray as xr

from sim.metrics import runs_dim
from sim.plots import style
from sim.plots.availability import availability, fleets
from sim.plots.fan import fan
from sim.plots.flows import flows
from sim.plots.quantiles import is_summary
from sim.plots.timeline import drawn_down, timeline

FLOW_NAMES = ("produced", "used", "received", "sent", "lost", "repaired", "consumed")


def active(dataset: xr.Dataset) -> list[tuple[str, str]]:
    """Cells drawn down or with any nonzero flow in any run, in file order."""
    over = runs_dim(dataset)
    moved = xr.zeros_like(dataset["stock"].isel({over: 0, "time": 0}), dtype=bool)
    for name in FLOW_NAMES:
        if name in dataset:
            moved = moved | (dataset[name] != 0).any((over, "time"))
    low = set(drawn_down(dataset))
    return [
        (str(h), str(i))
        for h in dataset["holder"].values
        for i in dataset["item"].values
        if (str(h), str(i)) in low or bool(moved.sel(holder=h, item=i))
    ]


def availability_cells(dataset: xr.Dataset) -> list[tuple[str, str, tuple[str, ...]]]:
    """Fleets with repair: (holder, item, repair hubs counted in its fleet).

    A holder whose own losses return to it is charted alone. Holders that hold items in repair
    but lose none themselves are repair hubs: each holder that loses that item is charted with
    the hubs counted as part of its fleet (``availability(..., also=hubs)``).
    """
    over = runs_dim(dataset)
    repairing = (dataset["in_repair"] > 0).any((over, "time"))
    losing = (dataset["lost"] > 0).any((over, "time"))
    holders = [str(h) for h in dataset["holder"].values]
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for item in (str(i) for i in dataset["item"].values):
        hubs = tuple(
            h
            for h in holders
            if repairing.sel(holder=h, item=item) and not losing.sel(holder=h, item=item)
        )
        for holder in holders:
            if not bool(losing.sel(holder=holder, item=item)):
                continue
            if bool(repairing.sel(holder=holder, item=item)) or hubs:
                out.append((holder, item, hubs))
    if is_summary(dataset):  # only the fleets whose share out of action was kept
        kept = fleets(dataset)
        return [(h, i, kept[h, i]) for h, i, _ in out if (h, i) in kept]
    return out


def write_charts(
    results: Any,
    folder: str | Path,
    *,
    formats: Iterable[str] = ("png",),
    deterministic: Any = None,
) -> list[Path]:
    """Timeline, fan and flows per active cell, availability for fleets with repair.

    ``deterministic`` (results of the one run at the means) adds its path to the fan charts.

    Files are named ``timeline.png``, ``fan_us_shell_155.png``, ``flows_...``,
    ``availability_...``, one per format. Returns the paths written.
    """
    dataset = style.as_dataset(results)
    formats = tuple(formats)
    for fmt in formats:
        if fmt not in style.FORMATS:
            raise style.ChartError(
                f"unknown chart format {fmt!r} (one of: {', '.join(style.FORMATS)})"
            )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    charts: list[tuple[str, Any]] = []
    if drawn_down(dataset):
        charts.append(("timeline", lambda: timeline(dataset)))
    for holder, item in active(dataset):
        draw_fan = _bind(fan, dataset, holder, item, deterministic=deterministic)
        charts.append((f"fan_{holder}_{item}", draw_fan))
        charts.append((f"flows_{holder}_{item}", _bind(flows, dataset, holder, item)))
    for holder, item, hubs in availability_cells(dataset):
        draw = _bind(availability, dataset, holder, item, also=hubs)
        charts.append((f"availability_{holder}_{item}", draw))
    written = []
    for name, draw in charts:
        figure = draw()
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            style.save(figure, path, fmt)
            written.append(path)
    return written


def _bind(chart: Any, dataset: xr.Dataset, holder: str, item: str, **options: Any) -> Any:
    return lambda: chart(dataset, holder, item, **options)
