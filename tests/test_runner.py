"""The Monte Carlo runner: chunks, seeds, worker invariance, deterministic mode, Dask."""

from __future__ import annotations

import os
import signal
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import sim
import sim.runner
from sim.runner import plan_chunks
from sim.scenario.model import Scenario

CHUNK_RUNS = 400  # small chunks keep these tests quick; the rule does not depend on the size


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", CHUNK_RUNS)


def test_chunks_cover_every_run_once() -> None:
    chunks = plan_chunks(2 * CHUNK_RUNS + 7)
    assert [(c.index, c.first, c.size) for c in chunks] == [
        (0, 0, CHUNK_RUNS),
        (1, CHUNK_RUNS, CHUNK_RUNS),
        (2, 2 * CHUNK_RUNS, 7),
    ]
    with pytest.raises(ValueError, match="at least 1"):
        plan_chunks(0)


def test_same_results_for_any_number_of_workers(drawdown) -> None:
    runs = 2 * CHUNK_RUNS + 300
    serial = sim.run(drawdown, runs=runs, seed=11, workers=1).dataset
    parallel = sim.run(drawdown, runs=runs, seed=11, workers=2).dataset
    xr.testing.assert_identical(serial.drop_attrs(), parallel.drop_attrs())
    assert serial.attrs["seed"] == parallel.attrs["seed"] == 11


def test_same_seed_same_results_other_seed_different(drawdown) -> None:
    a = sim.run(drawdown, runs=300, seed=5).dataset
    b = sim.run(drawdown, runs=300, seed=5).dataset
    c = sim.run(drawdown, runs=300, seed=6).dataset
    xr.testing.assert_identical(a.stock, b.stock)
    assert not np.array_equal(a.stock.values, c.stock.values)


def test_runs_and_seed_default_to_the_scenario(drawdown) -> None:
    results = sim.run(drawdown.__class__(**{**drawdown.__dict__, "runs": 123, "seed": 9}))
    assert results.dataset.sizes["run"] == 123
    assert results.dataset.attrs["seed"] == 9


def test_deterministic_is_one_run_at_the_means(drawdown) -> None:
    ds = sim.run(drawdown, deterministic=True).dataset
    assert ds.sizes["run"] == 1
    assert ds.attrs["deterministic"] == 1
    stock0 = float(ds.stock.sel(holder="army", item="shell").isel(run=0, time=0))
    assert stock0 == pytest.approx(sim.distributions.LogNormal.from_interval(50e3, 80e3).mean)
    again = sim.run(drawdown, deterministic=True, seed=99).dataset
    np.testing.assert_array_equal(ds.stock.values, again.stock.values)


def test_bad_arguments_are_refused(drawdown) -> None:
    with pytest.raises(ValueError, match="workers"):
        sim.run(drawdown, runs=10, workers=0)
    with pytest.raises(ValueError, match="seed"):
        sim.run(drawdown, runs=10, seed=-1)


def test_progress_reports_every_run(drawdown) -> None:
    seen: list[int] = []
    sim.run(drawdown, runs=CHUNK_RUNS + 5, seed=1, progress=seen.append)
    assert seen == [CHUNK_RUNS, 5]


@pytest.mark.slow
def test_dask_cluster_gives_the_local_results(drawdown) -> None:
    distributed = pytest.importorskip("distributed")
    runs = CHUNK_RUNS + 250
    local = sim.run(drawdown, runs=runs, seed=21).dataset
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = sim.run(drawdown, runs=runs, seed=21, scheduler=client).dataset
        by_address = sim.run(drawdown, runs=runs, seed=21, scheduler=cluster.scheduler_address)
    xr.testing.assert_identical(local.drop_attrs(), remote.drop_attrs())
    xr.testing.assert_identical(local.drop_attrs(), by_address.dataset.drop_attrs())


def _dies_once(marker: Path, chunk: sim.runner.Chunk) -> tuple[int, int]:
    """A job whose worker is killed the first time it meets chunk 1."""
    if chunk.index == 1 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return chunk.index, chunk.first


def test_a_lost_local_worker_is_replaced_and_its_chunks_run_again(tmp_path: Path) -> None:
    chunks = sim.runner.plan_chunks(40, 10)
    got = list(sim.runner._on_processes(partial(_dies_once, tmp_path / "died"), chunks, 2, None))
    assert (tmp_path / "died").exists()  # a worker did die
    assert got == [(c.index, c.first) for c in chunks]  # every chunk, in order, once


_SIMULATE = sim.runner.simulate_chunk


def _simulate_or_die(*args: Any, **kwargs: Any) -> Any:
    """The engine, in a worker that is killed the first time (the marker file says so)."""
    marker = Path(os.environ["STOCKPILE_TEST_MARKER"])
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return _SIMULATE(*args, **kwargs)


@pytest.mark.slow
def test_a_run_that_loses_a_worker_gives_the_same_results(
    reference: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 20)
    calm = sim.run(reference, runs=80, seed=3, workers=2).dataset
    monkeypatch.setenv("STOCKPILE_TEST_MARKER", str(tmp_path / "died"))
    monkeypatch.setattr(sim.runner, "simulate_chunk", _simulate_or_die)
    lost = sim.run(reference, runs=80, seed=3, workers=2).dataset
    assert (tmp_path / "died").exists()  # a worker did die
    xr.testing.assert_identical(calm.drop_attrs(), lost.drop_attrs())
