"""Chunk trajectories from local worker processes through shared memory, not through a pipe.

A chunk's trajectories are hundreds of MB. Pickled back to the parent they would be copied four
times (into the pickle, through the pipe, out of it, into new arrays), which costs more than
simulating them. Instead a worker writes its trajectory slabs into files of a folder in shared
memory (``/dev/shm``) that the parent made for the run, and pickling a slab array sends only
its file's name: unpickled in the parent, the file is mapped read-only and unlinked at once, so
its pages live exactly as long as the arrays that view them. The parent removes the folder
when the run ends, whatever happens (and the folders of runs whose process was killed, at the
start of the next). Without a shared-memory folder, or with too little room
in it, slabs are ordinary arrays and travel pickled.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from sim.ledger import Allocate, mapped_zeros

#: Where shared memory is a file system (Linux).
SHARED_MEMORY = Path("/dev/shm")


@contextmanager
def shared_folder() -> Iterator[Path | None]:
    """A new folder in shared memory for one run's chunks (None where there is none), removed
    with anything left in it when the run ends."""
    if not (SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK)):
        yield None
        return
    remove_orphans()
    folder = Path(tempfile.mkdtemp(prefix=f"stockpile-{os.getpid()}-", dir=SHARED_MEMORY))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_orphans() -> None:
    """Remove the run folders of processes that are gone (killed before they could), which
    would otherwise hold their memory until the machine restarts."""
    for folder in SHARED_MEMORY.glob("stockpile-*-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def file_allocator(folder: Path) -> Allocate:
    """Zero arrays in new files of ``folder`` (their pages take memory once written), or in
    ordinary memory when ``folder`` has less than twice the room the array could fill (two
    workers may be filling it at once)."""

    def allocate(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        stats = os.statvfs(folder)
        if stats.f_bavail * stats.f_frsize < 2 * size:
            return mapped_zeros(shape, dtype)
        handle, path = tempfile.mkstemp(suffix=".slab", dir=folder)
        os.close(handle)
        return np.memmap(path, dtype=dtype, mode="w+", shape=shape).view(SharedSlabs)

    return allocate


class SharedSlabs(np.memmap):
    """Slabs in a shared-memory file; a leading slice of them pickles as the file's name.

    Pickle once, to the parent: unpickling unlinks the file.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        start = ctypes.addressof(ctypes.c_char.from_buffer(self._mmap))  # type: ignore[attr-defined]
        if self.ctypes.data != start or not self.flags.c_contiguous:
            raise ValueError("only a leading slice of shared slabs can be sent")
        with open(self.filename, "r+b") as handle:  # type: ignore[arg-type]
            handle.truncate(self.nbytes)  # the rest of the file was never written
        return (_open, (self.filename, self.shape, self.dtype.str))


def _open(path: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Slabs sent by a worker: mapped read-only from their file, which is then unlinked."""
    slabs = np.memmap(path, dtype=np.dtype(dtype), mode="r", shape=shape)
    os.unlink(path)
    return slabs
