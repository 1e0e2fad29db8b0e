"""Scenario variants for scaling runs: other horizons, more items."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypeVar

from sim.scenario.model import DAYS_PER_YEAR, Holder, Item, Production, Scenario

KINDS = ("production", "donations", "attrition", "consumption")

P = TypeVar("P")


def with_horizon(scenario: Scenario, years: float) -> Scenario:
    """The same scenario simulated for ``years`` years (milestones beyond the end never act)."""
    return dataclasses.replace(scenario, end_day=years * DAYS_PER_YEAR)


def _copy_id(name: str, copy: int) -> str:
    return name if copy == 0 else f"{name}_x{copy + 1}"


def _renamed(mapping: Mapping[str, P], copy: int) -> dict[str, P]:
    return {_copy_id(key, copy): value for key, value in mapping.items()}


def _holder(holder: Holder, copies: int) -> Holder:
    def spread(values: Mapping[str, P]) -> dict[str, P]:
        return {k: v for c in range(copies) for k, v in _renamed(values, c).items()}

    return dataclasses.replace(
        holder,
        stock=spread(holder.stock),
        floor=spread(holder.floor),
        target=spread(holder.target),
    )


def _processes(scenario: Scenario, kind: str, copies: int) -> dict[str, object]:
    out: dict[str, object] = {}
    for process in getattr(scenario, kind).values():
        for c in range(copies):
            changes: dict[str, object] = {"id": _copy_id(process.id, c)}
            changes["item"] = _copy_id(process.item, c)
            if isinstance(process, Production):
                changes["inputs"] = _renamed(process.inputs, c)
            out[_copy_id(process.id, c)] = dataclasses.replace(process, **changes)
    return out


def with_items_replicated(scenario: Scenario, copies: int) -> Scenario:
    """``copies`` independent copies of every item with its stocks and processes (12 -> 48)."""
    items: dict[str, Item] = {}
    for c in range(copies):
        for key, item in scenario.items.items():
            items[_copy_id(key, c)] = dataclasses.replace(item, id=_copy_id(key, c))
    holders = {key: _holder(h, copies) for key, h in scenario.holders.items()}
    kinds = {kind: _processes(scenario, kind, copies) for kind in KINDS}
    return dataclasses.replace(scenario, items=items, holders=holders, **kinds)  # type: ignore[arg-type]
