"""Scenario variants for scaling runs: other horizons, more items."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from sim.processes.registry import kinds
from sim.scenario.model import DAYS_PER_YEAR, Holder, Item, Scenario


def with_horizon(scenario: Scenario, years: float) -> Scenario:
    """The same scenario simulated for ``years`` years (milestones beyond the end never act)."""
    return dataclasses.replace(scenario, end_day=years * DAYS_PER_YEAR)


def _copy_id(name: str, copy: int) -> str:
    return name if copy == 0 else f"{name}_x{copy + 1}"


def _renamed(value: Any, items: set[str], rename: Callable[[str], str]) -> Any:
    """``value`` with every item id in it renamed: a field naming an item, the keys of a
    mapping by item, and the same inside nested dataclasses (any process kind's model)."""
    if isinstance(value, str):
        return rename(value) if value in items else value
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {
            rename(k) if k in items else k: _renamed(v, items, rename) for k, v in value.items()
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        changes = {k: _renamed(v, items, rename) for k, v in fields.items() if k != "id"}
        return dataclasses.replace(value, **changes)
    return value


def with_items_replicated(scenario: Scenario, copies: int) -> Scenario:
    """``copies`` independent copies of every item with its stocks and processes (12 -> 48)."""
    items: dict[str, Item] = {}
    holders: dict[str, Holder] = {}
    processes: dict[str, dict[str, Any]] = {kind.section: {} for kind in kinds()}
    names = set(scenario.items)
    for c in range(copies):
        rename = lambda name, c=c: _copy_id(name, c)  # noqa: E731
        for key, item in scenario.items.items():
            items[rename(key)] = dataclasses.replace(item, id=rename(key))
        for key, holder in scenario.holders.items():
            copy = _renamed(holder, names, rename)
            merged = holders.get(key, dataclasses.replace(holder, stock={}, floor={}, target={}))
            holders[key] = dataclasses.replace(
                merged,
                stock={**merged.stock, **copy.stock},
                floor={**merged.floor, **copy.floor},
                target={**merged.target, **copy.target},
            )
        for kind in kinds():
            for key, process in scenario.section(kind.section).items():
                copied = _renamed(process, names, rename)
                processes[kind.section][rename(key)] = dataclasses.replace(copied, id=rename(key))
    return dataclasses.replace(scenario, items=items, holders=holders, processes=processes)
