"""Results files in, single output files out: the CLI's shared file handling.

A RESULTS argument is a run's output folder or its ``results.nc``. A single output file
(``OutputFile``) is written whole beside its target and renamed over it, only where stockpile
may write: never over a file of the user's, a link or a device.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from sim.cli.owned import is_ours, record


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
    """The results Dataset RESULTS names, loaded into memory; BadInput when it is unreadable
    or not whole results (``sim.contract``: attributes, variables, at least one run)."""
    found = results_file(path)
    from sim.results import read_dataset

    try:
        with read_dataset(found) as stored:
            dataset = stored.load()
    except Exception as error:  # any reader failure means "not a results file"
        raise BadInput(f"{found}: not a readable results file ({type(error).__name__})") from None
    from sim.contract import problem

    found_problem = problem(dataset)
    if found_problem is not None:
        raise BadInput(f"{found}: {found_problem}")
    return dataset


def force_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--force``: replace an output file that stockpile did not write (or that changed)."""
    return click.option(
        "--force",
        is_flag=True,
        help="Replace an existing output file even if stockpile did not write it.",
    )(function)


@dataclass(frozen=True)
class OutputFile:
    """A single output file: checked before the work that makes it, written whole at the end.

    A file is written to a locked staging file beside its target by a forked writer and renamed
    into place, so a crash, a full disk or an interrupt leaves the previous file as it was (and
    the next command removes what a killed one left). Refused, with one line and exit status 2:
    a name whose extension is not the format's, a symbolic link, a folder, a device, FIFO or
    socket, and an existing file that stockpile did not write unless ``force``.
    """

    path: Path
    force: bool = False

    @classmethod
    def checked(cls, out: Path, suffixes: tuple[str, ...], *, force: bool = False) -> OutputFile:
        """``out`` as an output file of one of ``suffixes`` (``(".pptx",)``), or BadInput."""
        if out.suffix.lower() not in suffixes:
            wanted = " or ".join(suffixes)
            raise BadInput(f"{out}: this output is written to a {wanted} file (name it so)")
        file = cls(out, force)
        file.check()
        return file

    def check(self) -> None:
        """BadInput if the target may not be written now."""
        try:
            problem = replace_problem(self.path, self.force)
        except OSError as error:
            raise BadInput(f"{self.path}: cannot use ({error.strerror or error})") from None
        if problem:
            raise BadInput(f"{self.path}: {problem}")

    def write(self, write: Callable[[Path], object]) -> None:
        """``write(staging path)`` in a forked process, then rename it over the target."""
        from sim.cli.output import OutputError, clear_staged_files, staged_file, write_apart

        self.check()
        try:
            clear_staged_files(self.path.parent)
            with staged_file(self.path) as staging:
                write_apart(lambda: write(staging), self.path, "this file")
                self.check()  # still ours to replace?
                os.rename(staging, self.path)
        except OutputError as error:
            raise BadInput(str(error)) from None
        except OSError as error:
            raise BadInput(f"{self.path}: cannot write ({error.strerror or error})") from None
        record(self.path)
        click.echo(f"wrote {self.path}")


def replace_problem(target: Path, force: bool) -> str | None:
    """Why ``target`` may not be written (None: absent, or a regular file that may be)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        parent = target.parent
        if not parent.is_dir():
            return f"the folder {parent} does not exist (create it first)"
        return None
    if stat.S_ISLNK(mode):
        return "is a symbolic link (name the file itself, or another file)"
    if stat.S_ISDIR(mode):
        return "is a folder (name a file)"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a device, FIFO or socket); choose a file name"
    if not force and not is_ours(target):
        return (
            "exists and stockpile did not write it (or it changed since); choose another "
            "name, or add --force to replace it"
        )
    return None
