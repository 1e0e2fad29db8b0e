"""Scenario files: YAML with line numbers, the value grammar, the schema and the checks.

``load_scenario(path)`` returns the normalised ``sim.scenario.model.Scenario``. The loader is
imported when first asked for, so the model and the grammar stay light to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario.load import load_scenario, load_scenario_text
    from sim.scenario.schema import json_schema

__all__ = ["json_schema", "load_scenario", "load_scenario_text"]


def __getattr__(name: str) -> Any:
    if name in ("load_scenario", "load_scenario_text"):
        from sim.scenario import load

        return getattr(load, name)
    if name == "json_schema":
        from sim.scenario.schema import json_schema

        return json_schema
    raise AttributeError(f"module 'sim.scenario' has no attribute {name!r}")
