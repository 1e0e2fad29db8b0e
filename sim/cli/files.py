"""Results files in, single output files out: the CLI's shared file handling.

A RESULTS argument is a run's output folder or its ``results.nc``. An output file is written
whole to a temporary name beside it and then renamed, so a failure leaves no partial file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


class BadInput(click.ClickException):
    """A one-line message, exit status 2, no traceback."""

    exit_code = 2


def results_file(path: Path) -> Path:
    """The ``results.nc`` that RESULTS names (the file, or the folder holding it)."""
    if path.is_dir():
        path = path / "results.nc"
    if not path.is_file():
        raise BadInput(f"{path}: no such results file (give a run's folder or its results.nc)")
    return path


def open_results(path: Path) -> Any:
    """The results Dataset RESULTS names, loaded into memory; BadInput when unreadable."""
    found = results_file(path)
    from sim.results import read_dataset

    try:
        with read_dataset(found) as stored:
            dataset = stored.load()
    except Exception as error:  # any reader failure means "not a results file"
        raise BadInput(f"{found}: not a readable results file ({type(error).__name__})") from None
    missing = [v for v in ("stock", "trough", "target", "holder", "item") if v not in dataset]
    if missing:
        raise BadInput(f"{found}: not a stockpile results file (no {', '.join(missing)})")
    return dataset


def write_whole(out: Path, write: Callable[[Path], object]) -> None:
    """``write(temporary)`` then rename it to ``out``; nothing left behind on failure."""
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=".stockpile-",
                                         suffix=out.suffix, delete=False) as file:  # fmt: skip
            temporary = Path(file.name)
        write(temporary)
        os.replace(temporary, out)
    except OSError as error:
        raise BadInput(f"{out}: cannot write ({error.strerror or error})") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    click.echo(f"wrote {out}")
