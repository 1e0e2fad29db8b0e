"""What stockpile wrote: a file may be replaced or removed only while it is, byte for byte, what
this tool wrote there.

A run's folder lists its files with their SHA-256 in its ``run.json`` (``files``); every
single-file output (a chart, a slide pack, a workbook, a sweep) is recorded, by its resolved path,
in the user's record ``$XDG_STATE_HOME/stockpile/written.json`` (``~/.local/state`` by default).
A file that is in neither, or that changed since, is the user's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl

    LOCKS = True
except ImportError:  # Windows: the record is then written without a lock
    LOCKS = False

#: The manifest of a run's output folder.
RUN_MANIFEST = "run.json"
#: How many single files the user's record remembers (the oldest are forgotten first).
REMEMBERED = 10_000


def digest(path: Path) -> str:
    """SHA-256 of the file at ``path``, as hex."""
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def folder_digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative POSIX path -> SHA-256), ``run.json`` excepted."""
    return {
        path.relative_to(folder).as_posix(): digest(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.name != RUN_MANIFEST
    }


def manifest(folder: Path) -> dict[str, str] | None:
    """The files ``folder/run.json`` says a run wrote there (None: no readable manifest)."""
    try:
        metadata = json.loads((folder / RUN_MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    files = metadata.get("files") if isinstance(metadata, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return None
    return {str(name): str(sha) for name, sha in files.items()}


def is_ours(path: Path) -> bool:
    """Whether ``path`` is a regular file that stockpile wrote and nobody changed since."""
    if path.is_symlink() or not path.is_file():
        return False
    recorded = _read(_record_path()).get(str(_resolved(path)))
    if recorded is None:
        return False
    return bool(path.stat().st_size == recorded.get("size") and digest(path) == recorded["sha256"])


def record(path: Path) -> None:
    """Remember that stockpile wrote ``path`` as it is now (best effort: an unwritable record
    only means the file will not be replaced without ``--force``)."""
    entry = {"sha256": digest(path), "size": path.stat().st_size}
    place = _record_path()
    with contextlib.suppress(OSError), _locked(place):
        written = _read(place)
        key = str(_resolved(path))
        written.pop(key, None)
        written[key] = entry
        kept = dict(list(written.items())[-REMEMBERED:])
        _write_json(place, {"version": 1, "files": kept})


def _resolved(path: Path) -> Path:
    """``path`` with every folder above it resolved (the file itself may not exist yet)."""
    absolute = Path(os.path.abspath(path))
    return absolute.parent.resolve() / absolute.name


def _record_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "stockpile" / "written.json"


def _read(place: Path) -> dict[str, dict[str, object]]:
    try:
        stored = json.loads(place.read_text())
    except (OSError, ValueError):
        return {}
    files = stored.get("files") if isinstance(stored, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(v, dict)}


@contextlib.contextmanager
def _locked(place: Path) -> Iterator[None]:
    place.parent.mkdir(parents=True, exist_ok=True)
    if not LOCKS:
        yield
        return
    fd = os.open(place.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_json(place: Path, content: object) -> None:
    fd, name = tempfile.mkstemp(dir=place.parent, prefix=".written-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(content, file)
        os.replace(name, place)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
