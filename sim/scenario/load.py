"""``load_scenario``: a YAML file (plus ``--set`` overrides) to a checked ``Scenario``."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from sim.errors import Problem, ScenarioError, ScenarioWarning
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
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError([Problem(file, None, "", f"cannot read the file: {reason}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problem = Problem(file, None, "", "the file is not UTF-8 text", "save it as UTF-8")
        raise ScenarioError([problem]) from None
    return _load(text, file, data, overrides)


def load_scenario_text(
    text: str, name: str = "<string>", overrides: Sequence[str] = ()
) -> Scenario:
    """Like ``load_scenario`` for YAML text (tests, notebooks); ``name`` stands for the file."""
    return _load(text, name, text.encode("utf-8"), overrides)


def _load(text: str, file: str, data: bytes, overrides: Sequence[str]) -> Scenario:
    source, problems = parse_yaml(text, file)
    if source is None:
        raise ScenarioError(problems)
    overridden, problems = apply_overrides(source.tree, overrides, file)
    out = Collector(file, source, overridden, errors=problems)
    scenario = Builder(source.tree, out).build()
    if scenario is None or out.errors:
        raise ScenarioError(out.errors)
    for problem in out.warnings:
        warnings.warn(ScenarioWarning(str(problem)), stacklevel=3)
    return dataclasses.replace(
        scenario, source_path=file, sha256=_digest(data, overrides), source_text=text,
        overrides=tuple(overrides),
    )  # fmt: skip


def _digest(data: bytes, overrides: Sequence[str]) -> str:
    digest = hashlib.sha256(data)
    for override in overrides:
        digest.update(b"\0" + override.encode("utf-8"))
    return digest.hexdigest()
