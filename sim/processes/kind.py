"""What a process kind declares: the one entry every layer reads (``sim.processes.registry``).

A kind is one module in ``sim/processes/`` that defines its scenario section's raw shape (a
pydantic ``spec``), the normalised ``model`` the engine uses, ``build`` (spec to model, with
every problem reported to the scenario builder), its ``footprint`` (which cells it reads and
which quantities it may change where) and its SimPy ``process``; ``phase`` orders it at equal
times. The loader, the JSON Schema, ``stockpile validate``, the engine, the results, the charts,
the scaling variants and the naive oracle all iterate the registry, so nothing that should know
about a kind can miss it (CONTRIBUTING.md has the recipe).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import simpy
from pydantic import BaseModel

from sim.flows import BY_NAME

if TYPE_CHECKING:
    from sim.distributions import Distribution
    from sim.processes.context import Context
    from sim.scenario.build import Builder

Cell = tuple[str, str]
Process = Generator[simpy.Event, Any, None]


@dataclass(frozen=True)
class Footprint:
    """The cells a process reads, and per level or flow (``sim.flows``) the cells it may change.

    A flow that moves stock changes that cell's ``stock`` too; every cell in a footprint is an
    active cell of the ledger.
    """

    writes: Mapping[str, frozenset[Cell]] = field(default_factory=dict)
    reads: frozenset[Cell] = frozenset()

    @classmethod
    def of(cls, reads: Iterable[Cell] = (), **writes: Iterable[Cell]) -> Footprint:
        """``Footprint.of(reads=[...], sent=[donor], received=[receiver])``."""
        unknown = sorted(set(writes) - set(BY_NAME))
        if unknown:
            raise ValueError(f"not a declared level or flow: {', '.join(unknown)}")
        return cls({k: frozenset(v) for k, v in writes.items()}, frozenset(reads))

    def cells(self) -> set[Cell]:
        """Every cell read or written."""
        out = set(self.reads)
        for cells in self.writes.values():
            out |= cells
        return out


@dataclass(frozen=True)
class Kind:
    """A process kind: a scenario section and everything each layer needs to know of it."""

    section: str  # the scenario section: production, donations, ...
    label: str  # what one entry is, for messages: "production line"
    description: str  # the section's description in the JSON Schema
    spec: type[BaseModel]  # the raw shape of one entry in the file
    model: type  # the normalised frozen dataclass the engine runs (has an ``id``)
    build: Callable[[Builder, str, Any], Any]  # (builder, id, spec) -> model, or None if wrong
    footprint: Callable[[Any], Footprint]  # model -> its footprint
    process: Callable[[Context, Any, int], Process]  # (context, model, file index) -> process
    phase: int  # order at equal times: lower first (arrivals before all, snapshots after)
    #: model -> the cells it books arrivals for, each with its delay (transit, repair time):
    #: the work guard sizes the arrival calendars from them.
    delays: Callable[[Any], Iterable[tuple[Cell, Distribution]]] = lambda _model: ()
