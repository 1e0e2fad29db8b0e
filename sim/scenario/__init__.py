"""Scenario files: YAML with line numbers, the value grammar, the schema and the checks.

``load_scenario(path)`` returns the normalised ``sim.scenario.model.Scenario``.
"""

from sim.scenario.load import load_scenario, load_scenario_text
from sim.scenario.schema import json_schema

__all__ = ["json_schema", "load_scenario", "load_scenario_text"]
