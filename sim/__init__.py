"""stockpile: how fast military stocks drain and refill, with the uncertainty shown."""

from sim._version import __version__
from sim.errors import ScenarioError, ScenarioWarning
from sim.results import Results, open_results
from sim.runner import run
from sim.scenario import load_scenario, load_scenario_text

__all__ = [
    "Results",
    "ScenarioError",
    "ScenarioWarning",
    "__version__",
    "load_scenario",
    "load_scenario_text",
    "open_results",
    "run",
]
