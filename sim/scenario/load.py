"""``load_scenario``: a YAML file (plus ``--set`` overrides) to a checked ``Scenario``."""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import os
import stat
import warnings
from collections.abc import Sequence

from sim.errors import Problem, ScenarioError, ScenarioWarning
from sim.limits import MAX_FILE_BYTES
from sim.scenario.build import Builder
from sim.scenario.model import Scenario
from sim.scenario.overrides import apply_overrides
from sim.scenario.problems import Collector
from sim.scenario.yaml_source import parse_yaml


def load_scenario(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Read, check and normalise the scenario file at ``path``.

    Raises ``ScenarioError`` with every problem found; warns ``ScenarioWarning`` for things
    that are allowed but probably not meant (a milestone after ``end``).
    """
    file = os.fspath(path)
    data = _read_bytes(file)
    return _load(decode(data, file), file, data, overrides)


def _read_bytes(file: str) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES`` (never waits on a pipe or a
    device: their kind is checked before they are opened)."""

    def unreadable(message: str, hint: str = "") -> ScenarioError:
        return ScenarioError([Problem(file, None, "", message, hint)])

    try:
        info = os.stat(file)
        if not stat.S_ISREG(info.st_mode):
            what = "it is a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise unreadable(f"cannot read the file: {what}", "give a scenario file (.yaml)")
        with open(file, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise unreadable(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        limit = f"{MAX_FILE_BYTES // 2**20} MB"
        raise unreadable(f"the file is larger than {limit}", "a scenario is a short text file")
    return data


def decode(data: bytes, file: str) -> str:
    """The UTF-8 text in ``data`` (a leading byte-order mark dropped); a problem at the line
    of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        hint = "it looks like UTF-16: save it as UTF-8" if utf16 else "save it as UTF-8"
        problem = Problem(file, line, "", "the file is not UTF-8 text", hint)
        raise ScenarioError([problem]) from None


def load_scenario_text(
    text: str, name: str = "<string>", overrides: Sequence[str] = ()
) -> Scenario:
    """Like ``load_scenario`` for YAML text (tests, notebooks); ``name`` stands for the file."""
    return _load(text, name, text.encode("utf-8", "surrogatepass"), overrides)


def _load(text: str, file: str, data: bytes, overrides: Sequence[str]) -> Scenario:
    source, problems = parse_yaml(text, file)
    if source is None:
        raise ScenarioError(problems)
    overridden, problems = apply_overrides(source.tree, overrides, file)
    out = Collector(file, source, overridden, errors=problems)
    builder = Builder(source.tree, out)
    scenario = builder.build()
    if scenario is None or out.errors:
        raise ScenarioError(out.errors)
    for problem in out.warnings:
        warnings.warn(ScenarioWarning(str(problem)), stacklevel=3)
    digest = _digest(data, overrides, builder.data_files)
    return dataclasses.replace(
        scenario, source_path=file, sha256=digest, source_text=text,
        overrides=tuple(overrides), lines=_guard_lines(out),
    )  # fmt: skip


def _guard_lines(out: Collector) -> dict[str, int | None]:
    """Lines of the top-level keys, of each section's entries and of every ``every`` (the
    fields ``sim.guard`` names); None where a ``--set`` gave them."""
    paths = [p for p in out.source.lines if len(p) <= 2 or p[-1] == "every"]
    return {".".join(p): out.locate(p, "").line for p in [*paths, *out.overridden]}


def _digest(data: bytes, overrides: Sequence[str], files: Sequence[tuple[str, bytes]]) -> str:
    """SHA-256 of the file, its overrides and the data files it names (in the order read)."""
    digest = hashlib.sha256(data)
    for override in overrides:
        digest.update(b"\0" + override.encode("utf-8", "surrogatepass"))
    for _, content in files:
        digest.update(b"\1" + hashlib.sha256(content).digest())
    return digest.hexdigest()
