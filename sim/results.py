"""Results of a run: the labelled xarray Dataset of the results contract, summary and export.

The dataset (docs/results.md) has coordinates ``run``, ``time``, ``holder``, ``item``
(and ``pledge``); levels and cumulative flows over (run, time, holder, item); per-run metrics over
(run, holder, item); and the seed, scenario hash and package version in its attributes.

Levels and flows are assembled from the chunks' compact blocks. Up to ``EAGER_LIMIT_BYTES`` of
dense series they are plain NumPy arrays, so every xarray operation works as usual; beyond it
they stay lazy (Dask) arrays in blocks of cells holding every run and time (``sim.lazy``: so
quantiles over ``run`` work), zeros for the cells where a quantity cannot move, and only what is
looked at is ever made dense.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from sim._version import __version__
from sim.flows import FLOWS, LEVELS, VALUES
from sim.lazy import cell_array
from sim.limits import DATE_UNIT
from sim.scenario.model import Scenario

if TYPE_CHECKING:
    import dask.array as da
    import pandas as pd

    from sim.engine import ChunkResult
    from sim.processes.donations import Donation

DATE_METRICS = ("depleted_at", "replenished_at", "trough_at")
#: Each run's level or flow at each observed point, over (run, point): docs/evidence.md.
OBSERVED = "observed"
SECONDS_PER_DAY = 86_400
SERIES_DIMS = ("run", "time", "holder", "item")
FILE_CHUNK_RUNS = 2048  # runs per chunk of a series in a NetCDF file
EAGER_LIMIT_BYTES = 512 * 2**20  # dense series up to this size are held as NumPy arrays


def days_to_datetime(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Days since ``start`` (float, NaN for never) as datetime64[s] (NaT for never)."""
    origin = np.datetime64(start, DATE_UNIT)
    offsets = np.round(np.asarray(days, dtype=np.float64) * SECONDS_PER_DAY)
    never = np.isnan(offsets)
    dates = origin + np.where(never, 0, offsets).astype(f"timedelta64[{DATE_UNIT}]")
    dates[never] = np.datetime64("NaT")
    return dates


def _cell_series(
    chunks: Sequence[ChunkResult], name: str, rows: dict[int, int], h: int, i: int
) -> np.ndarray | None:
    """Cell ``(h, i)`` of series ``name`` over all chunks as ``(runs, T)``; None where it is not
    stored (it is 0 there)."""
    row = rows.get(h * len(chunks[0].items) + i)
    if row is None:
        return None
    joined = np.concatenate([c.slabs[name][c.slots[name][:, row]] for c in chunks], axis=1)
    return joined.T


def lazy_series(chunks: Sequence[ChunkResult], name: str) -> da.Array:
    """Series ``name`` over all chunks as a lazy ``(run, time, holder, item)`` Dask array."""
    first = chunks[0]
    shape = (
        sum(c.runs for c in chunks),
        len(first.report_days),
        len(first.holders),
        len(first.items),
    )
    rows = {int(column): r for r, column in enumerate(first.columns[name])}
    cell = partial(_cell_series, list(chunks), name, rows)
    return cell_array(name, shape, first.slabs[name].dtype, cell)


def build_dataset(
    scenario: Scenario, chunks: Sequence[ChunkResult], *, seed: int, deterministic: bool
) -> xr.Dataset:
    """Assemble chunk arrays (in chunk order) into the contract's Dataset."""
    first = chunks[0]
    runs = sum(c.runs for c in chunks)
    cube = SERIES_DIMS
    cell = ("run", "holder", "item")

    def gather(arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(arrays, axis=0) if len(arrays) > 1 else arrays[0]

    data: dict[str, tuple[tuple[str, ...], Any]] = {}
    for name in (*LEVELS, *FLOWS):
        data[name] = (cube, lazy_series(chunks, name))
    if first.prices:  # values in money where items have a price (sim.values)
        from sim.values import UNIT_PRICE, lazy_prices, lazy_values

        data[UNIT_PRICE] = (("run", "time", "item"), lazy_prices(chunks))
        for name in VALUES:
            data[name] = (cube, lazy_values(chunks, name))
    data["floor"] = (cell, gather([c.floor for c in chunks]))
    data["target"] = (cell, gather([c.target for c in chunks]))
    data["trough"] = (cell, gather([c.metrics["trough"] for c in chunks]))
    for name in DATE_METRICS:
        data[name] = (
            cell,
            days_to_datetime(scenario.start, gather([c.metrics[name] for c in chunks])),
        )

    pledges = [d.id for d in _pledges(scenario)]
    if pledges:
        fulfilled = np.stack(
            [gather([c.pledge_fulfilled_at[p] for c in chunks]) for p in pledges], 1
        )
        totals = np.stack([gather([c.pledge_total[p] for c in chunks]) for p in pledges], 1)
    else:
        fulfilled = totals = np.zeros((runs, 0))
    data["pledge_fulfilled_at"] = (("run", "pledge"), days_to_datetime(scenario.start, fulfilled))
    data["pledge_total"] = (("run", "pledge"), totals)
    by_days = [d.by_day for d in _pledges(scenario)]
    by = np.array([np.nan if b is None else b for b in by_days], dtype=np.float64)
    data["pledge_by"] = (("pledge",), days_to_datetime(scenario.start, by))

    names = input_names(chunks)
    matrices = [input_matrix(c.inputs, names, c.runs) for c in chunks]
    data["inputs"] = (("run", "input"), gather(matrices))

    coords = contract_coords(scenario, first.report_days, runs=runs)
    coords["input"] = np.array(names, dtype=str)
    if scenario.observations:
        data[OBSERVED] = (("run", "point"), gather([c.observed for c in chunks]))
        coords.update(observation_coords(scenario))
    attrs = contract_attrs(
        scenario, seed=seed, runs=runs, deterministic=deterministic, clipped=_clipped(chunks)
    )
    return _eager_if_small(xr.Dataset(data, coords=coords, attrs=attrs))


def observation_coords(scenario: Scenario, date: str = "date") -> dict[str, object]:
    """Coordinates on ``point`` of every observed point (``Scenario.observation_points``):
    ``observation`` (its id), ``date`` (or ``date``'s name), ``value``, ``bound``, ``error_sd``
    (the reporting error's sd in units; NaN for a bound) and the holder, item, level or flow
    and source of its observation."""
    points = scenario.observation_points()
    sds = [sd for o in scenario.observations.values() for sd in o.error_sds()]
    days = np.array([p.day for _, p in points], dtype=np.float64)

    def text(values: list[str]) -> tuple[str, np.ndarray]:
        return ("point", np.array(values, dtype=str))

    return {
        "point": np.arange(len(points)),
        "observation": text([o.id for o, _ in points]),
        date: ("point", days_to_datetime(scenario.start, days)),
        "value": ("point", np.array([p.value for _, p in points], dtype=np.float64)),
        "bound": text([o.bound for o, _ in points]),
        "error_sd": ("point", np.array(sds, dtype=np.float64)),
        "observation_holder": text([o.holder for o, _ in points]),
        "observation_item": text([o.item for o, _ in points]),
        "observation_of": text([o.of for o, _ in points]),
        "observation_source": text([o.source for o, _ in points]),
    }


def input_names(chunks: Sequence[ChunkResult]) -> list[str]:
    """The paths of the runs' inputs, in the order they were drawn (the same in every chunk)."""
    return list(chunks[0].inputs)


def input_matrix(inputs: dict[str, np.ndarray], names: Sequence[str], runs: int) -> np.ndarray:
    """``(runs, len(names))`` per-run input values (float64)."""
    if not names:
        return np.zeros((runs, 0))
    return np.stack([np.asarray(inputs[n], dtype=np.float64) for n in names], axis=1)


def _fleets(scenario: Scenario) -> list[tuple[str, str, tuple[str, ...]]]:
    from sim.engine import fleets

    return fleets(scenario)


def _pledges(scenario: Scenario) -> list[Donation]:
    from sim.processes.donations import pledges

    return pledges(scenario)


def _clipped(chunks: Sequence[ChunkResult]) -> dict[str, int]:
    clipped: dict[str, int] = {}
    for c in chunks:
        for key, count in c.clipped.items():
            clipped[key] = clipped.get(key, 0) + int(count)
    return clipped


def contract_coords(
    scenario: Scenario, report_days: np.ndarray, *, runs: int | None
) -> dict[str, object]:
    """Coordinates of the results contract: ``run`` (unless ``runs`` is None), ``time``,
    ``holder``, ``item``, ``pledge`` and their labels."""
    pledges = _pledges(scenario)
    items = list(scenario.items.values())
    holders = list(scenario.holders.values())
    coords: dict[str, object] = {
        "time": days_to_datetime(scenario.start, report_days),
        "holder": [h.id for h in holders],
        "item": [i.id for i in items],
        "pledge": np.array([p.id for p in pledges], dtype=str),
        "pledge_holder": ("pledge", np.array([p.to for p in pledges], str)),
        "pledge_item": ("pledge", np.array([p.item for p in pledges], str)),
        "pledge_unit": ("pledge", np.array([_pledge_unit(scenario, p) for p in pledges], str)),
        "holder_label": ("holder", [h.label for h in holders]),
        "item_label": ("item", [i.label for i in items]),
        "item_unit": ("item", [i.unit for i in items]),
        "item_unit_cost": ("item", [np.nan if i.unit_cost is None else i.unit_cost for i in items]),
    }
    if runs is not None:
        coords = {"run": np.arange(runs), **coords}
    return coords


def _pledge_unit(scenario: Scenario, pledge: Donation) -> str:
    """What a pledge's total is counted in: the scenario's currency, or the item's unit."""
    from sim.scenario.model import Money

    if isinstance(pledge.pledge, Money):
        return scenario.currency
    return scenario.items[pledge.item].unit


def contract_attrs(
    scenario: Scenario, *, seed: int, runs: int, deterministic: bool, clipped: dict[str, int]
) -> dict[str, object]:
    """Attributes of the results contract: scenario, hash, seed, runs, version, ..."""
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "sources": json.dumps(list(scenario.sources)),
        "start": scenario.start.isoformat(),
        "end": (scenario.start + dt.timedelta(days=scenario.end_day)).isoformat(),
        "report_every_days": float(scenario.report_every_days),
        "scenario_sha256": scenario.sha256,
        "scenario_yaml": scenario.source_text,
        "overrides": json.dumps(list(scenario.overrides)),
        "seed": int(seed),
        "runs": int(runs),
        "deterministic": int(deterministic),
        "clipped_draws": json.dumps(clipped),
        "currency": scenario.currency,
        "sim_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "keep": "full",
        "fleets": json.dumps([[h, i, list(hubs)] for h, i, hubs in _fleets(scenario)]),
    }


def _eager_if_small(dataset: xr.Dataset) -> xr.Dataset:
    """Load the lazy series into memory when they fit in ``EAGER_LIMIT_BYTES``."""
    series = [name for name, array in dataset.data_vars.items() if array.dims == SERIES_DIMS]
    dense = sum(dataset[name].nbytes for name in series)
    # Assembled here from arrays in memory: never ship them to a distributed client's cluster.
    return dataset.load(scheduler="sync") if dense <= EAGER_LIMIT_BYTES else dataset


class Results:
    """What a run produced: ``dataset`` (the contract), ``summary()``, exports.

    >>> results = sim.run(scenario, runs=200)          # doctest: +SKIP
    >>> results.dataset.stock.sel(holder="us", item="shell_155").quantile([0.1, 0.9], "run")
    ...                                                # doctest: +SKIP
    """

    def __init__(self, dataset: xr.Dataset, *, wall_seconds: float = 0.0, workers: int = 1):
        self.dataset = dataset
        self.wall_seconds = wall_seconds
        self.workers = workers

    def __repr__(self) -> str:
        a = self.dataset.attrs
        return f"<Results {a['scenario']!r}: {a['runs']} runs, seed {a['seed']}>"

    def summary(
        self, quantiles: Sequence[float] | None = None, by: Sequence[dt.date] = ()
    ) -> pd.DataFrame:
        """p10/p50/p90 (or ``quantiles``)/mean of each metric per drawn-on holder and item, and
        its probability; ``by`` adds the chance of each event by each date (``sim.metrics``)."""
        from sim.metrics import QUANTILES, summarise

        return summarise(self.dataset, QUANTILES if quantiles is None else quantiles, by)

    def to_netcdf(self, path: str | Path) -> None:
        """Write the dataset to a compressed NetCDF-4 file (readable by any NetCDF tool)."""
        encoding: dict[str, dict[str, object]] = {}
        for name, array in self.dataset.data_vars.items():
            if array.dtype.kind != "f":
                continue
            encoding[str(name)] = {"zlib": True, "complevel": 1, "shuffle": True}
            if array.dims == SERIES_DIMS:  # one file chunk: a cell's runs (a slab) over all times
                runs, times = array.shape[:2]
                encoding[str(name)]["chunksizes"] = (min(runs, FILE_CHUNK_RUNS), times, 1, 1)
        self.dataset.to_netcdf(path, engine="h5netcdf", encoding=encoding)

    def metadata(self) -> dict[str, object]:
        """What ``run.json`` records: seed, runs, versions, scenario hash, wall time."""
        import platform

        import scipy
        import simpy

        a = self.dataset.attrs
        return {
            "scenario": a["scenario"],
            "scenario_sha256": a["scenario_sha256"],
            "overrides": json.loads(a.get("overrides", "[]")),
            "seed": a["seed"],
            "runs": a["runs"],
            "deterministic": bool(a["deterministic"]),
            "workers": self.workers,
            "wall_seconds": round(self.wall_seconds, 3),
            "clipped_draws": json.loads(a["clipped_draws"]),
            **({"calibration": json.loads(a["calibration"])} if "calibration" in a else {}),
            "created": a["created"],
            "versions": {
                "sim": __version__,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "scipy": scipy.__version__,
                "simpy": simpy.__version__,
                "xarray": xr.__version__,
            },
        }


def read_dataset(path: str | Path) -> xr.Dataset:
    """The Dataset in a results file, lazily, with dates in seconds (any year to 9999).

    HDF5 data sets without named dimensions (a file another tool wrote) get phony ones, as the
    reader's default, said explicitly so that it warns of nothing."""
    dates = xr.coders.CFDatetimeCoder(time_unit=DATE_UNIT)
    return xr.open_dataset(path, engine="h5netcdf", decode_times=dates, phony_dims="access")


def open_results(path: str | Path) -> Results:
    """Read results written by ``Results.to_netcdf`` (or ``stockpile run``).

    Results whose series fit in ``EAGER_LIMIT_BYTES`` are loaded whole (no Dask needed); in
    bigger ones levels and flows stay on disk as lazy (Dask) arrays, one chunk per holder and
    item with every run, and everything else is loaded.
    """
    stored = read_dataset(path)
    series = [n for n, a in stored.data_vars.items() if a.dims == SERIES_DIMS]
    if sum(stored[n].nbytes for n in series) <= EAGER_LIMIT_BYTES:
        return Results(stored.load())
    for name, array in list(stored.data_vars.items()):
        if name in series:
            stored[name] = array.chunk({"run": -1, "time": -1, "holder": 1, "item": 1})
        else:
            stored[name] = array.load()
    return Results(stored)
