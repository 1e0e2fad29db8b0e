"""Write every chart that applies to a results set into a folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import xarray as xr

from sim.outcomes import Outcomes
from sim.plots import style
from sim.plots.availability import availability
from sim.plots.evidence import against_record, observations
from sim.plots.fan import fan
from sim.plots.flows import flows
from sim.plots.timeline import drawn_down, timeline
from sim.plots.value import value, value_holders


def active(dataset: xr.Dataset) -> list[tuple[str, str]]:
    """Cells drawn down or where anything moved in any run, in file order."""
    return Outcomes(dataset).active()


def availability_cells(dataset: xr.Dataset) -> list[tuple[str, str, tuple[str, ...]]]:
    """Fleets with repair, as the run recorded them: (holder, item, repair hubs counted in its
    fleet); see ``sim.engine.fleets``."""
    return [(h, i, hubs) for (h, i), hubs in Outcomes(dataset).fleets.items()]


def write_charts(
    results: Any,
    folder: str | Path,
    *,
    formats: Iterable[str] = ("png",),
    deterministic: Any = None,
) -> list[Path]:
    """Timeline, fan and flows per active cell, availability for fleets with repair, and where
    items have a price the value chart of each holder that donated or produced them, and each
    observation against the runs.

    ``deterministic`` (results of the one run at the means) adds its path to the fan charts.

    Files are named ``timeline.png``, ``fan_us_shell_155.png``, ``flows_...``,
    ``availability_...``, ``value_us.png``, ``observed_ID.png`` (each observation against the
    runs), one per format. Returns the paths written.
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
    for holder in value_holders(dataset):
        charts.append((f"value_{holder}", _bind_holder(value, dataset, holder)))
    for observation in observations(dataset):
        charts.append((f"observed_{observation}", _bind_observation(dataset, observation)))
    written = []
    for name, draw in charts:
        figure = draw()
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            style.save(figure, path, fmt)
            written.append(path)
    return written


def _bind_observation(dataset: xr.Dataset, observation: str) -> Any:
    return lambda: against_record(dataset, observation)


def _bind(chart: Any, dataset: xr.Dataset, holder: str, item: str, **options: Any) -> Any:
    return lambda: chart(dataset, holder, item, **options)


def _bind_holder(chart: Any, dataset: xr.Dataset, holder: str) -> Any:
    return lambda: chart(dataset, holder)
