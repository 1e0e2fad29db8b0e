"""stockpile: how fast military stocks drain and refill, with the uncertainty shown."""

from importlib.metadata import PackageNotFoundError, version

from sim.errors import ScenarioError, ScenarioWarning
from sim.scenario import load_scenario

try:
    __version__ = version("stockpile")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["ScenarioError", "ScenarioWarning", "__version__", "load_scenario"]
