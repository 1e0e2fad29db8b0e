"""Writing a run's output folder atomically: all files appear together, or none do."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(Exception):
    """The output folder cannot be written (message says why)."""


def _existing_ancestor(path: Path) -> Path:
    for candidate in [path, *path.parents]:
        if candidate.exists():
            return candidate
    return Path.cwd()


def check_writable(out: Path) -> None:
    """Fail early, before any simulation, if ``out`` cannot become a folder of results."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder (choose another --out)")
    base = _existing_ancestor(out.parent if not out.exists() else out)
    if not base.is_dir():
        raise OutputError(
            f"{base}: is not a folder, so {out} cannot be created (choose another --out)"
        )
    try:
        tempfile.TemporaryDirectory(dir=base).cleanup()
    except OSError as error:
        raise OutputError(
            f"{out}: cannot write here ({error.strerror}; choose another --out)"
        ) from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces ``out`` in one rename, else it vanishes."""
    check_writable(out)
    base = _existing_ancestor(out.parent)
    staging = Path(tempfile.mkdtemp(dir=base, prefix=f".{out.name}.partial-"))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are meant to be shared
    try:
        yield staging
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
            out.rename(old / out.name)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
