"""Briefing charts from results: fan, timeline, flows, availability, value, compare, tornado,
probability, sweep_bands, sweep_heatmap, against_record, paths, shortfall;
write_charts.

Each chart takes results (a ``Results`` or its ``xarray.Dataset``), draws into ``ax`` when
given one, and otherwise returns a new 16:9 Figure with title, subtitle and sources. Nothing
is shown and no global matplotlib state is changed; save with ``save(fig, "chart.png")``.
"""

from sim.plots.availability import availability, out_of_action
from sim.plots.compare import compare
from sim.plots.evidence import against_record
from sim.plots.fan import fan
from sim.plots.flows import flows
from sim.plots.paths import paths
from sim.plots.probability import probability
from sim.plots.shortfall import shortfall
from sim.plots.style import ChartError, save
from sim.plots.sweep import sweep_bands, sweep_heatmap
from sim.plots.timeline import drawn_down, timeline
from sim.plots.tornado import tornado
from sim.plots.value import value
from sim.plots.write import write_charts

__all__ = [
    "ChartError",
    "against_record",
    "availability",
    "compare",
    "drawn_down",
    "fan",
    "flows",
    "out_of_action",
    "paths",
    "probability",
    "save",
    "shortfall",
    "sweep_bands",
    "sweep_heatmap",
    "timeline",
    "tornado",
    "value",
    "write_charts",
]
