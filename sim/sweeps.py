"""Sweeps: run a scenario at several values of one or two inputs, with common random numbers.

Each variant is the scenario file with the input changed through the ``--set`` override path
(``sim.vary``) and run with the same seed, so variants differ only by the input. Two inputs
make a grid (every pair). The variants' results are kept together in one dataset with a
``variant`` dimension: per-run metrics, inputs, levels (stock, in transit, in repair), the
value of each varied input (coordinates ``vary0``, ``vary1``, their paths in the attributes);
cumulative flows are left out to keep the file small.

>>> found = sweep("scenarios/us_155mm_m777.yaml", ["production.us_charge_line.rate=x1..x3:5"],
...               metric="depleted_at", holder="us", item="shell_155")  # doctest: +SKIP
>>> found.table                                                         # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from sim.flows import FLOWS
from sim.goals import Goal, parse_goal
from sim.limits import MAX_VARIANTS
from sim.sensitivity import Outcome, outcome
from sim.vary import Vary, VaryError, load_variant, meaning, parse_vary, read_tree
from sim.vary import overrides as changes_for

#: The per-run outcome shown for each kind of goal.
GOAL_METRICS = {"back": "replenished_at", "depleted": "depleted_at", "above_floor": "depleted_at"}
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Sweep:
    """Every variant's results (``dataset``, dimension ``variant``) and the table of the
    outcome's quantiles (and the goal's probability) per variant."""

    dataset: xr.Dataset
    vary: tuple[Vary, ...]
    values: list[tuple[float | str, ...]]  # per variant, one value per varied input
    metric: str
    holder: str
    item: str
    goal: Goal | None
    table: pd.DataFrame

    def outcome(self, variant: int) -> Outcome:
        """The per-run outcome of one variant."""
        return outcome(_variant(self.dataset, variant), self.metric, self.holder, self.item)


def sweep(
    scenario: str | os.PathLike[str],
    vary: Sequence[str],
    *,
    metric: str | None = None,
    holder: str | None = None,
    item: str | None = None,
    goal: str | None = None,
    runs: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int = 1,
    allow_large: bool = False,
) -> Sweep:
    """Run ``scenario`` at every value of one or two ``vary`` (``PATH=V1,V2,...`` or
    ``PATH=A..B:N``), the same seed for all; tabulate ``metric`` of (``holder``, ``item``) and
    the probability of ``goal`` (which also names the holder, item and metric when given);
    ``allow_large`` lifts the work guard (``sim.guard``) for every variant."""
    from sim.runner import run
    from sim.scenario.load import load_scenario

    specs = tuple(parse_vary(v, grid=True) for v in vary)
    if not 1 <= len(specs) <= 2:
        raise VaryError("a sweep varies one or two inputs")
    variants = math.prod(len(s.grid()) for s in specs)
    if variants > MAX_VARIANTS:
        raise VaryError(f"these --vary make {variants:,} variants, beyond the limit of "
                        f"{MAX_VARIANTS:,} (docs/limits.md)")  # fmt: skip
    base = load_scenario(scenario, overrides=list(overrides))
    target = None if goal is None else parse_goal(goal, list(base.holders), list(base.items))
    if target is not None:
        holder, item = holder or target.holder, item or target.item
        metric = metric or GOAL_METRICS.get(target.event, "replenished_at")
    metric = metric or "replenished_at"
    tree = read_tree(scenario, overrides)
    values = list(itertools.product(*(s.grid() for s in specs)))
    datasets, rows = [], []
    for k, combination in enumerate(values):
        changes = [
            o for s, v in zip(specs, combination, strict=True) for o in changes_for(s, v, tree)
        ]
        variant = load_variant(scenario, [*overrides, *changes])
        dataset = run(
            variant, runs=runs, seed=seed, workers=workers, allow_large=allow_large
        ).dataset
        if holder is None or item is None:
            from sim.outcomes import Outcomes

            cells = Outcomes(dataset).drawn_down()
            if not cells:
                raise VaryError("no stock is drawn down; give --holder and --item")
            holder, item = cells[0]
        found = outcome(dataset, metric, holder, item)
        row: dict[str, object] = {"variant": k}
        for s, v in zip(specs, combination, strict=True):
            row[s.path] = meaning(s, v, tree)
        for q, value in zip(QUANTILES, _quantiles(found.values), strict=True):
            row[f"p{round(q * 100)}"] = found.show(value)
        if target is not None:
            measure = target.measure(dataset)
            row["goal"] = measure.value
            row["goal_se"] = measure.se
        rows.append(row)
        datasets.append(_kept(dataset))
    assert holder is not None and item is not None
    combined = _combine(datasets, specs, values)
    return Sweep(combined, specs, values, metric, holder, item, target, pd.DataFrame(rows))


def _quantiles(values: np.ndarray) -> np.ndarray:
    """p10, p50, p90 over all runs (+inf, "after end", sorts last)."""
    return np.asarray(np.quantile(values, QUANTILES, method="inverted_cdf"), dtype=float)


def _kept(dataset: xr.Dataset) -> xr.Dataset:
    """What a sweep keeps of a variant: everything but the cumulative flows."""
    return dataset.drop_vars([n for n in FLOWS if n in dataset])


def _variant(dataset: xr.Dataset, k: int) -> xr.Dataset:
    one = dataset.isel(variant=k).drop_vars(
        [c for c in dataset.coords if str(c).startswith("vary")]
    )
    if "input" in one.dims:
        known = ~one["inputs"].isnull().all("run")
        one = one.isel(input=np.flatnonzero(known.values))
    return one


def _combine(
    datasets: list[xr.Dataset], specs: tuple[Vary, ...], values: list[tuple[float | str, ...]]
) -> xr.Dataset:
    combined = xr.concat(
        datasets, dim="variant", join="outer", combine_attrs="drop_conflicts",
        data_vars="all", coords="minimal", compat="override",
    )  # fmt: skip
    combined = combined.assign_coords(variant=np.arange(len(values)))
    for k, spec in enumerate(specs):
        column = [v[k] for v in values]
        kind = str if any(isinstance(v, str) for v in column) else float
        combined = combined.assign_coords({f"vary{k}": ("variant", np.array(column, dtype=kind))})
        combined[f"vary{k}"].attrs.update(path=spec.path, mode=spec.mode, unit=spec.unit)
    combined.attrs["varied"] = json.dumps([s.path for s in specs])
    combined.attrs["keep"] = "sweep"
    return combined
