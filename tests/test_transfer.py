"""Trajectories from worker processes through shared-memory files (``sim.transfer``)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sim
import sim.runner
import sim.transfer
from sim.transfer import SharedSlabs, file_allocator, shared_folder

needs_shared_memory = pytest.mark.skipif(
    not sim.transfer.SHARED_MEMORY.is_dir(), reason="no shared-memory file system here"
)


def leftovers() -> list[str]:
    """Run folders of this package left in shared memory."""
    root = sim.transfer.SHARED_MEMORY
    return sorted(p.name for p in root.glob("stockpile-*")) if root.is_dir() else []


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


def test_a_leading_slice_pickles_as_its_file_and_arrives_unlinked(folder: Path) -> None:
    slabs = file_allocator(folder)((10, 4), np.float32)
    assert isinstance(slabs, SharedSlabs)
    slabs[:3] = np.arange(12, dtype=np.float32).reshape(3, 4)
    sent = pickle.dumps(slabs[:3])
    assert len(sent) < 1000  # the name, not the data
    received = pickle.loads(sent)
    assert not isinstance(received, SharedSlabs)  # re-pickling it copies, as any array
    np.testing.assert_array_equal(received, np.arange(12).reshape(3, 4))
    assert list(folder.iterdir()) == []  # unlinked once mapped; the mapping keeps the pages
    assert not received.flags.writeable


def test_only_a_leading_slice_can_be_sent(folder: Path) -> None:
    slabs = file_allocator(folder)((10, 4), np.float32)
    with pytest.raises(ValueError, match="leading slice"):
        pickle.dumps(slabs[2:5])
    with pytest.raises(ValueError, match="leading slice"):
        pickle.dumps(slabs[:, :2])


def test_without_room_the_slabs_are_ordinary_memory(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Full:
        f_bavail, f_frsize = 10, 4096  # 40 KiB free

    monkeypatch.setattr(os, "statvfs", lambda _path: Full())
    small = file_allocator(folder)((10, 100), np.float32)  # 4 KB: room for twice that
    big = file_allocator(folder)((1000, 100), np.float32)  # 400 KB: no room
    assert isinstance(small, SharedSlabs)
    assert type(big) is np.ndarray and not big.any()
    assert len(list(folder.iterdir())) == 1


@needs_shared_memory
def test_the_run_folder_is_removed_whatever_happens() -> None:
    with pytest.raises(RuntimeError), shared_folder() as made:
        assert made is not None and made.is_dir()
        file_allocator(made)((4, 4), np.float32)
        raise RuntimeError("a worker failed")
    assert not made.exists()


@needs_shared_memory
def test_folders_of_killed_runs_are_removed_by_the_next() -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    orphan = sim.transfer.SHARED_MEMORY / f"stockpile-{gone.stdout.strip()}-test"
    orphan.mkdir()
    (orphan / "left.slab").write_bytes(b"x" * 100)
    living = sim.transfer.SHARED_MEMORY / f"stockpile-{os.getpid()}-test"
    living.mkdir()
    try:
        with shared_folder() as made:
            assert made is not None and made.name.startswith(f"stockpile-{os.getpid()}-")
        assert not orphan.exists()
        assert living.exists()  # a live process's run is left alone
    finally:
        for folder in (orphan, living):
            if folder.exists():
                for file in folder.iterdir():
                    file.unlink()
                folder.rmdir()


@needs_shared_memory
def test_workers_send_trajectories_through_shared_memory(
    drawdown, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 300)
    before = leftovers()
    serial = sim.run(drawdown, runs=700, seed=3, workers=1)
    parallel = sim.run(drawdown, runs=700, seed=3, workers=2)
    xr.testing.assert_identical(serial.dataset.drop_attrs(), parallel.dataset.drop_attrs())
    assert leftovers() == before


@needs_shared_memory
def test_the_parent_maps_the_workers_slabs(drawdown) -> None:
    chunks = sim.runner.plan_chunks(700, 300)
    with shared_folder() as folder:
        task = partial(sim.runner._simulate, shared=folder)
        job = sim.runner.Job(task, drawdown, 3, False)
        received = list(sim.runner._chunks(job, chunks, 2, None, None))
        assert folder is not None and list(folder.iterdir()) == []  # each unlinked on arrival
    for chunk, result in zip(chunks, received, strict=True):
        local = sim.runner._simulate(drawdown, chunk, 3, False)
        for name, slabs in result.slabs.items():
            assert isinstance(slabs, np.memmap) and not slabs.flags.writeable
            np.testing.assert_array_equal(slabs, local.slabs[name])


def test_without_shared_memory_workers_pickle_the_same_results(
    drawdown, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 300)
    monkeypatch.setattr(sim.transfer, "SHARED_MEMORY", tmp_path / "absent")
    serial = sim.run(drawdown, runs=700, seed=3, workers=1)
    parallel = sim.run(drawdown, runs=700, seed=3, workers=2)
    xr.testing.assert_identical(serial.dataset.drop_attrs(), parallel.dataset.drop_attrs())
