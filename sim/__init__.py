"""stockpile: how fast military stocks drain and refill, with the uncertainty shown.

``import sim`` is light: the engine, the runner and the loader are imported when first used,
so reading or charting a results file needs only xarray and matplotlib.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sim._version import __version__

if TYPE_CHECKING:
    from sim.errors import ScenarioError, ScenarioWarning
    from sim.evidence.check import check
    from sim.results import Results, open_results
    from sim.runner import run
    from sim.scenario.load import load_scenario, load_scenario_text
    from sim.seek import solve
    from sim.sensitivity import explain
    from sim.sweeps import sweep

__all__ = [
    "Results",
    "ScenarioError",
    "ScenarioWarning",
    "__version__",
    "check",
    "explain",
    "load_scenario",
    "load_scenario_text",
    "open_results",
    "run",
    "solve",
    "sweep",
]

_HOMES = {
    "Results": "sim.results",
    "ScenarioError": "sim.errors",
    "ScenarioWarning": "sim.errors",
    "load_scenario": "sim.scenario.load",
    "load_scenario_text": "sim.scenario.load",
    "open_results": "sim.results",
    "run": "sim.runner",
    "explain": "sim.sensitivity",
    "check": "sim.evidence.check",
    "solve": "sim.seek",
    "sweep": "sim.sweeps",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    return getattr(import_module(home), name)
