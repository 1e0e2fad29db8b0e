"""Runs on a Dask cluster on loopback: a worker killed in the middle does not change results."""

from __future__ import annotations

import os
import signal

import pytest
import xarray as xr

import sim
import sim.runner

#: Starts a Dask cluster on loopback.
pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")

SCENARIO = """\
name: Fleet under attrition with repair
start: 2024-01-01
horizon: 3y
items: {gun: {label: Howitzer, unit: systems}}
holders:
  front: {label: Front, stock: {gun: 300 to 400}}
  hub: {label: Repair hub}
donations:
  resupply: {from: hub, to: front, item: gun, rate: 2 to 6 /w, keep_floor: false}
attrition:
  fire: {holder: front, item: gun, rate: 33%/9mo, repairable: 60%, repair_time: 1 to 2 mo,
         every: 1d}
"""


@pytest.mark.parametrize("keep", ["full", "summary"])
def test_a_killed_worker_does_not_change_the_result(
    monkeypatch: pytest.MonkeyPatch, keep: str
) -> None:
    """A lost worker's chunks are recomputed from their own seeds, in either mode."""
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 500)  # six small chunks
    scenario = sim.load_scenario_text(SCENARIO)
    runs = 6 * sim.runner.CHUNK_RUNS
    local = sim.run(scenario, runs=runs, seed=8, keep=keep).dataset
    killed: list[int] = []
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):

        def kill_a_worker_once(_: int) -> None:
            if not killed:
                pid = sorted(client.run(os.getpid).values())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        remote = sim.run(scenario, runs=runs, seed=8, keep=keep, scheduler=client,
                         progress=kill_a_worker_once)  # fmt: skip
        survivors = set(client.run(os.getpid).values())
    assert killed and killed[0] not in survivors, "a worker was killed during the run"
    xr.testing.assert_identical(local.drop_attrs(), remote.dataset.drop_attrs())


def test_summary_only_results_keep_the_same_inputs_on_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 500)
    scenario = sim.load_scenario_text(SCENARIO)
    local = sim.run(scenario, runs=1500, seed=3, keep="summary").dataset
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = sim.run(scenario, runs=1500, seed=3, keep="summary", scheduler=client).dataset
    assert remote.sizes["sample"] == 1500  # every run of three small chunks
    for name in ("inputs", "sampled_depleted_at", "sampled_stock_at_end"):
        xr.testing.assert_identical(local[name], remote[name])
