"""Runs from given inputs: a table of input values per run, by input path.

``sim.run(scenario, inputs=table)`` runs the scenario with these values in place of the draws
of those inputs (the paths of ``inputs`` in results: ``holders.army.stock.shell``,
``production.plant.rate.2024-01-01``, ...); everything else, the model's own randomness
included, is drawn as usual. Every value is drawn all the same and then replaced, so the random
streams advance exactly as without given inputs (common random numbers): given the values a run
drew, the run is reproduced bit for bit.

The table is a pandas DataFrame (one column per path, one row per run), an xarray DataArray
over (run, input) or a mapping of path to per-run values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.processes.draws import InputPrior
from sim.scenario.model import Scenario
from sim.scenario.problems import nearest

#: Input path -> ``(runs,)`` float64 values.
GivenInputs = dict[str, np.ndarray]


class InputsError(ValueError):
    """A table of given inputs that does not fit the scenario (message says what is wrong)."""


def input_table(table: Any) -> GivenInputs:
    """The table as path -> ``(runs,)`` float64 values (all of one length, all finite)."""
    columns = _columns(table)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise InputsError(f"given inputs have different numbers of runs: {sorted(lengths)}")
    for path, values in columns.items():
        if values.ndim != 1:
            raise InputsError(f"given input {path}: one value per run expected")
        if not np.isfinite(values).all():
            raise InputsError(f"given input {path}: values must be finite numbers (NaN or inf)")
    return columns


def _columns(table: Any) -> GivenInputs:
    import pandas as pd
    import xarray as xr

    if isinstance(table, pd.DataFrame):
        return {str(c): _floats(table[c].to_numpy(), str(c)) for c in table.columns}
    if isinstance(table, xr.DataArray):
        if set(table.dims) != {"run", "input"}:
            raise InputsError(f"given inputs over {table.dims}: expected dimensions (run, input)")
        ordered = table.transpose("run", "input")
        names = [str(n) for n in ordered["input"].values]
        return {n: _floats(ordered.values[:, k], n) for k, n in enumerate(names)}
    if isinstance(table, Mapping):
        return {str(path): _floats(values, str(path)) for path, values in table.items()}
    raise InputsError(
        f"given inputs as {type(table).__name__}: give a DataFrame (a column per input path, a "
        "row per run), a DataArray over (run, input) or a mapping of path to values"
    )


def _floats(values: Any, path: str) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputsError(f"given input {path}: values must be numbers") from None


def input_priors(scenario: Scenario) -> dict[str, InputPrior]:
    """Every input of ``scenario`` (the paths of ``inputs`` in its results, in draw order) and
    the law it is drawn from, found by simulating one run."""
    from sim.engine import simulate_chunk

    return simulate_chunk(scenario, 1, np.random.SeedSequence(0)).priors


def check_given(scenario: Scenario, given: GivenInputs, runs: int) -> None:
    """``InputsError`` unless every path is an input of ``scenario`` with ``runs`` values."""
    known = input_priors(scenario)
    for path in given:
        if path not in known:
            hint = nearest(path, known, "inputs")
            raise InputsError(f"given input {path}: not an input of this scenario ({hint})")
    for path, values in given.items():
        if len(values) != runs:
            raise InputsError(
                f"given input {path}: {len(values)} values for {runs} runs (one per run)"
            )


def chunk_inputs(given: GivenInputs | None, first: int, size: int) -> GivenInputs | None:
    """The rows ``first .. first + size`` of ``given``: what one chunk needs."""
    if given is None:
        return None
    return {path: values[first : first + size] for path, values in given.items()}
