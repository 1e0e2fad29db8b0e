"""What every process needs: the clock, the ledger, the arrival calendar, its random stream and
the items' prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.ledger import Ledger
from sim.processes.calendar import Calendar
from sim.processes.clock import Clock
from sim.processes.draws import Draws, InputPrior
from sim.processes.prices import Prices
from sim.streams import stream


@dataclass
class Context:
    """One chunk's simulation state, shared by its processes."""

    clock: Clock
    ledger: Ledger
    calendar: Calendar
    seed: np.random.SeedSequence
    runs: int
    deterministic: bool
    end_day: float
    clipped: dict[str, int] = field(default_factory=dict)
    pledge_total: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    pledge_fulfilled_at: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    inputs: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # path -> (runs,)
    start: dt.date | None = None  # the scenario's start (dated input paths)
    prices: Prices = field(default_factory=lambda: Prices({}, 0))  # drawn by the engine
    given: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)  # path -> (runs,)
    priors: dict[str, InputPrior] = field(default_factory=dict)  # input path -> its law

    def draws(self, key: str) -> Draws:
        """Draws from the stream named ``key`` (a process or holder path); the per-run values
        they draw are kept in ``inputs`` (their laws in ``priors``), or replaced by ``given``."""
        return Draws(stream(self.seed, key), self.runs, self.deterministic, self.clipped,
                     self.inputs, self.start, self.given, self.priors)  # fmt: skip

    def cell(self, holder: str, item: str) -> int:
        """The ledger row of (holder, item)."""
        return self.ledger.row[(holder, item)]
