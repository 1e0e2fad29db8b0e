"""Writing a run's output folder: all files appear together or none do, and nothing that
stockpile did not write is ever removed.

``--out`` may name a new folder, an empty one, or one that holds a previous run's outputs and
nothing else: the files its ``run.json`` lists, each unchanged since (``sim.cli.owned``).
Anything else is refused before the run starts. The results are written into a staging folder
beside the target and swapped in with one atomic rename (an exchange on Linux, so the target is
never missing); the previous outputs are then removed file by file, each only if it is still
what the run wrote, so a file that appeared or changed meanwhile is kept.

The staging folder is locked while its run lives: a second run writing the same ``--out`` is
refused at once, and a later run removes the staging folders that killed runs left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import faulthandler
import hashlib
import json
import math
import multiprocessing
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

from sim.cli.owned import RUN_MANIFEST, digest, folder_digests, is_ours, manifest
from sim.formats import CHART_FORMATS
from sim.lifetime import die_with_parent

try:
    import fcntl

    LOCKS = True
except ImportError:  # Windows: no advisory locks; leftovers are then never removed
    LOCKS = False

#: Files a run writes into its output folder (removed by name only from its own staging folder).
OUTPUT_FILES = frozenset({"results.nc", "summary.csv", RUN_MANIFEST})
#: Name prefix of the staging files of single-file outputs.
STAGED_FILE = ".stockpile-file-"
CHART_FOLDER = "charts"
CHART_SUFFIXES = frozenset(f".{fmt}" for fmt in CHART_FORMATS)


class OutputError(Exception):
    """The output folder cannot be written (message says why and what to do)."""


def check_target(out: Path) -> Path:
    """The absolute output folder, if a run may write it; else ``OutputError``.

    Refused: the working directory or a folder above it, a file, a symbolic link, a folder with
    anything a run did not write, a name the file system cannot hold.
    """
    absolute = Path(os.path.abspath(out))
    _check_name(absolute)
    try:  # the folders above resolved: two spellings of one folder are one target (and lock)
        target = absolute.parent.resolve() / absolute.name
    except (OSError, RuntimeError):
        target = absolute
    try:
        _check_place(out, target)
    except OSError as error:
        raise OutputError(f"{out}: cannot use this folder ({error.strerror or error})") from None
    base = _existing_ancestor(target.parent)
    if not base.is_dir():
        raise OutputError(f"{base}: is not a folder, so {out} cannot be created")
    return target


def _check_place(out: Path, target: Path) -> None:
    here = Path.cwd().resolve()
    if target.resolve() == here or target.resolve() in here.parents:
        raise OutputError(
            f"--out {str(out) or repr('')}: names the working directory or a folder above it "
            "(choose a new folder, e.g. out/my_run)"
        )
    if target.is_symlink():
        raise OutputError(f"{out}: is a symbolic link (choose another --out)")
    if target.exists() and not target.is_dir():
        raise OutputError(f"{out}: exists and is not a folder (choose another --out)")
    if target.is_dir():
        foreign = _foreign(target)
        if foreign:
            raise OutputError(
                f"{out}: holds files that stockpile did not write ({', '.join(foreign)}); "
                "choose another --out, or empty the folder"
            )


def _check_name(target: Path) -> None:
    try:
        limit = os.pathconf(os.getcwd(), "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for part in target.parts:
        if len(os.fsencode(part)) > limit:
            raise OutputError(f"{part[:40]}...: folder name longer than {limit} bytes")


def _foreign(folder: Path, limit: int = 3) -> list[str]:
    """Up to ``limit`` entries of ``folder`` that its ``run.json`` does not list as written by
    a run and unchanged since (empty: none)."""
    listed = manifest(folder)
    foreign: list[str] = []
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        folder_of_files = path.is_dir() and not path.is_symlink()
        if folder_of_files and (name == CHART_FOLDER or any(path.iterdir())):
            continue  # judged by what it holds
        if listed is None or not (name == RUN_MANIFEST or _listed(path, name, listed)):
            foreign.append(name)
        if len(foreign) >= limit:
            break
    return foreign


def _listed(path: Path, name: str, listed: dict[str, str]) -> bool:
    """Whether ``path`` is a file that the manifest lists, unchanged; or one stockpile wrote
    into the folder later (a slide pack, a workbook)."""
    if path.is_symlink() or not path.is_file():
        return False
    return (name in listed and digest(path) == listed[name]) or is_ours(path)


def write_manifest(folder: Path, metadata: dict[str, object]) -> None:
    """``folder/run.json``: ``metadata`` and every file the run wrote into ``folder``."""
    content = {**metadata, "files": folder_digests(folder)}
    (folder / RUN_MANIFEST).write_text(json.dumps(content, indent=2) + "\n")


def remove_outputs(folder: Path) -> bool:
    """Remove what a run wrote from ``folder``, then the folder if it is empty.

    With a ``run.json`` that lists its files, only those still as written are removed; without
    one (a staging folder a run did not finish), the names a run writes. Returns whether the
    folder is gone; anything else in it is kept.
    """
    listed = manifest(folder)
    with contextlib.suppress(FileNotFoundError):
        if listed is None:
            _remove_by_name(folder)
        else:
            for path in sorted(folder.rglob("*"), reverse=True):
                name = path.relative_to(folder).as_posix()
                if path.is_file() and name != RUN_MANIFEST and _listed(path, name, listed):
                    path.unlink()
                elif name == CHART_FOLDER and path.is_dir() and not path.is_symlink():
                    with contextlib.suppress(OSError):
                        path.rmdir()
            if not any((folder / name).exists() for name in listed):
                (folder / RUN_MANIFEST).unlink()  # nothing it lists is left
    try:
        folder.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _remove_by_name(folder: Path) -> None:
    for name in OUTPUT_FILES:
        path = folder / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    charts = folder / CHART_FOLDER
    if charts.is_dir() and not charts.is_symlink():
        for path in charts.iterdir():
            if _is_chart(path):
                path.unlink()
        with contextlib.suppress(OSError):
            charts.rmdir()
    for path in folder.iterdir():  # a run's own staging files (``.chart-*``, NetCDF temps)
        if path.name.startswith(".") and path.is_file() and _ours(path):
            path.unlink()


def _is_chart(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and path.suffix in CHART_SUFFIXES


def _ours(path: Path) -> bool:
    return path.name.startswith((".chart-", ".results-"))


def _existing_ancestor(path: Path) -> Path:
    for candidate in [path, *path.parents]:
        if candidate.exists():
            return candidate
    return Path.cwd()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _prefix(target: Path) -> str:
    """Name prefix of the staging folders of ``target`` (beside it, or in the nearest folder
    that exists)."""
    return f".stockpile-{hashlib.sha256(os.fsencode(target)).hexdigest()[:12]}-"


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a new, locked staging folder for ``out``; on success it replaces ``out`` in one
    rename, else it vanishes and ``out`` is as it was.

    Raises ``OutputError`` at once if ``out`` may not be written or another run is writing it.
    """
    target = check_target(out)
    base = _existing_ancestor(target.parent)
    prefix = _prefix(target)
    try:
        staging = Path(tempfile.mkdtemp(dir=base, prefix=prefix))
    except OSError as error:
        raise OutputError(f"{out}: cannot write here ({error.strerror or error})") from None
    lock = _lock(staging)
    try:
        _clear_leftovers(base, prefix, staging, target)
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are to be shared
        yield staging
        try:
            check_target(out)  # still a folder a run may replace?
        except OutputError as error:
            kept = _keep_aside(staging, target)
            raise OutputError(f"{error}; this run's results are in {kept}") from None
        _swap(staging, target)
    except OSError as error:
        raise OutputError(f"{out}: cannot write ({error.strerror or error})") from None
    finally:
        _discard(staging)
        if lock is not None:
            os.close(lock)


def write_folder(out: Path, write: Callable[[Path], None], metadata: dict[str, object]) -> None:
    """Write a command's output folder whole: ``write(staging)`` in a forked process, then
    ``run.json`` listing what it wrote (``metadata`` beside), swapped in for ``out``."""
    with staged_folder(out) as folder:

        def write_all() -> None:
            write(folder)
            write_manifest(folder, metadata)

        write_apart(write_all, out, "the outputs")


def check_room(out: Path, needed: float) -> None:
    """``OutputError`` if the file system of ``out`` has less than ``needed`` bytes free (an
    estimate of the outputs before compression, so an upper bound of what they take)."""
    base = _existing_ancestor(Path(os.path.abspath(out)).parent)
    try:
        free = shutil.disk_usage(base).free
    except OSError:
        return  # unknown: the writer reports a full disk if it comes to that
    if free < needed:
        raise OutputError(
            f"{out}: the results may take up to {_size(needed)} and the disk has {_size(free)} "
            "free (free some space, choose another --out, or run fewer runs or --summary-only; "
            "--allow-large writes anyway)"
        )


def _size(count: float) -> str:
    """``1,000 bytes``, ``5.2 MB``, ``1.3 GB``."""
    if count < 1000:
        return f"{count:,.0f} bytes"
    power = min(3, int(math.log10(count) // 3))
    return f"{count / 1000**power:,.1f} {('kB', 'MB', 'GB')[power - 1]}"


def write_apart(write: Callable[[], object], out: Path, what: str = "the results") -> None:
    """Call ``write`` in a forked process where the platform forks, so that a writer failing
    in a compiled library (HDF5 on a full disk can crash the process that wrote) raises
    ``OutputError`` here instead, and the previous outputs stay as they were."""
    if "fork" not in multiprocessing.get_all_start_methods():
        try:
            write()
        except OSError as error:
            raise OutputError(f"{out}: cannot write {what} ({_reason(error)})") from None
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    writer = context.Process(target=_write_and_report, args=(write, send, os.getpid()), daemon=True)
    writer.start()
    send.close()
    try:
        reason = receive.recv() if receive.poll(None) else None
    except EOFError:  # it died without a word
        reason = None
    except BaseException:  # interrupted: the writer goes too
        writer.kill()
        raise
    finally:
        writer.join()
        receive.close()
    if writer.exitcode != 0 or reason:
        why = reason or _crash(writer.exitcode, out)
        raise OutputError(f"{out}: cannot write {what} ({why}); nothing written")


def _crash(status: int | None, out: Path) -> str:
    """Why a writer died without a word: a full disk most often (HDF5 crashes on one)."""
    base = _existing_ancestor(Path(os.path.abspath(out)).parent)
    with contextlib.suppress(OSError):
        if shutil.disk_usage(base).free < 1 << 20:
            return os.strerror(errno.ENOSPC)
    return f"the writer stopped with status {status}"


def _write_and_report(write: Callable[[], object], send: Connection, parent: int) -> None:
    import dask

    die_with_parent(parent)  # a killed command's writer stops writing

    # A failing library may print its own tracebacks while it cleans up: the parent says why.
    faulthandler.disable()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)

    with dask.config.set(scheduler="sync"):  # no threads, no cluster in a forked process
        try:
            write()
        except BaseException as error:  # the parent says it
            send.send(_reason(error))
            os._exit(1)
    send.send("")
    os._exit(0)


@contextmanager
def staged_file(target: Path) -> Iterator[Path]:
    """A new, locked staging file beside ``target``, readable as the umask allows; removed on
    the way out unless it was renamed into place."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=STAGED_FILE, suffix=target.suffix)
    staging = Path(name)
    try:
        if LOCKS:  # a record lock: HDF5 takes flock locks of its own on the file it writes
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.fchmod(fd, 0o666 & ~_umask())
        yield staging
    finally:
        staging.unlink(missing_ok=True)
        os.close(fd)


def clear_staged_files(folder: Path) -> None:
    """Remove the staging files that killed commands left in ``folder`` (a live command holds
    a lock on its own)."""
    if not LOCKS:
        return
    for path in folder.glob(STAGED_FILE + "*"):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink(missing_ok=True)
        except OSError:  # locked: a live command's
            pass
        finally:
            os.close(fd)


def _reason(error: BaseException) -> str:
    """One line saying why a write failed: the system's words where there is an errno."""
    number = getattr(error, "errno", None)
    if isinstance(number, int) and number:
        return os.strerror(number)
    match = re.search(r"errno = (\d+)", str(error))  # HDF5 puts the errno in its message
    if match:
        return os.strerror(int(match.group(1)))
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def _discard(staging: Path) -> None:
    """Remove a staging folder: partial outputs, or the previous outputs swapped out."""
    if not staging.is_dir():
        return
    previous = staging / "previous"
    if previous.is_dir():
        remove_outputs(previous)
    remove_outputs(staging)


def _keep_aside(staging: Path, target: Path) -> Path:
    """Move finished results that cannot replace ``target`` to a new folder beside it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}.{stamp}-"))
    kept.rmdir()
    staging.rename(kept)
    return kept


def _lock(folder: Path) -> int | None:
    """Hold an exclusive lock on ``folder`` until the returned descriptor is closed."""
    if not LOCKS:
        return None
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _clear_leftovers(base: Path, prefix: str, mine: Path, target: Path) -> None:
    """Refuse if another live run stages ``target``; remove what killed runs left behind."""
    if not LOCKS:
        return
    for other in sorted(base.glob(prefix + "*")):
        if other == mine or not other.is_dir():
            continue
        fd = os.open(other, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{target}: another stockpile run is writing this folder now "
                "(wait for it, or choose another --out)"
            ) from None
        finally:
            os.close(fd)
        previous = other / "previous"
        if previous.is_dir() and not target.exists():  # killed in the middle of a plain swap
            previous.rename(target)
        _discard(other)


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``; afterwards ``staging`` holds the previous outputs, if any."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        staging.rename(target)
    elif not _exchange(staging, target):
        # No atomic exchange: park the previous outputs in a folder named like a staging
        # folder, so that a run killed between the two renames leaves them to be restored.
        parked = Path(tempfile.mkdtemp(dir=staging.parent, prefix=staging.name + "-"))
        target.rename(parked / "previous")
        staging.rename(target)
        parked.rename(staging)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd, exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
