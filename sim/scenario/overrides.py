"""``--set ID.PATH=VALUE``: change a scenario's raw tree before it is checked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sim.errors import Problem
from sim.scenario.problems import nearest
from sim.scenario.schema import field_names, scenario_spec, sections, takes_schedule
from sim.scenario.values import GrammarError, describe, is_factor, parse_factor
from sim.scenario.yaml_source import NotYaml, Path, control_character, key_text, parse_scalar

_FORM = "write ID.PATH=VALUE, e.g. production.us_shell_lines.slip=6 mo"


def apply_overrides(
    tree: dict[Any, Any], overrides: Sequence[str], file: str
) -> tuple[set[Path], list[Problem]]:
    """Insert each override's value into ``tree`` (in place).

    Returns the paths overridden (so problems there are located at the ``--set``) and the
    problems with the overrides themselves (a bad form, a section or id that does not exist).
    """
    paths: set[Path] = set()
    problems: list[Problem] = []
    for override in overrides:
        bad = control_character(override, file, "the value")
        if bad is not None:
            problems.append(Problem(file, None, "--set", bad.message, bad.hint))
            continue
        try:
            paths.add(_apply(tree, override))
        except _OverrideError as exc:
            where = f"--set {override.partition('=')[0].strip()}"
            problems.append(Problem(file, None, where, exc.message, exc.hint))
    return paths, problems


class _OverrideError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _apply(tree: dict[Any, Any], override: str) -> Path:
    dotted, equals, text = override.partition("=")
    parts = [part.strip() for part in dotted.split(".")]
    if not equals or not all(parts):
        raise _OverrideError(f"cannot read {override!r}", _FORM)
    try:
        value = parse_scalar(text)
    except NotYaml as exc:
        message = f"cannot read the value {text.strip()!r} as YAML ({exc})"
        raise _OverrideError(message, _FORM) from None
    _check_top(tree, parts)
    node: dict[Any, Any] = tree
    path: list[str] = []
    for depth, part in enumerate(parts[:-1]):
        key = _match(node, part)
        if key is None:
            if depth < 2:
                raise _missing(node, parts, depth)
            key = part
            node[key] = {}
        path.append(key_text(key))
        child = node[key]
        if not isinstance(child, dict):
            raise _OverrideError(f"'{'.'.join(path)}' is not a mapping")
        node = child
    last = _match(node, parts[-1])
    if isinstance(value, str) and SCALE.fullmatch(value.strip()):
        if last is None:
            raise _OverrideError(f"nothing to scale: the scenario has no '{dotted.strip()}'",
                                 "give a value instead of a factor")  # fmt: skip
        if len(parts) != 3 or not takes_schedule(parts[0], parts[2]):
            raise _OverrideError(f"cannot scale '{dotted.strip()}': x1.5 scales a rate or a "
                                 "schedule of a process", "set a value instead")  # fmt: skip
        node[last] = _scaled(tree, node[last], value.strip())
        return (*path, key_text(last))
    node[parts[-1] if last is None else last] = value
    return (*path, parts[-1])


#: ``x1.5`` or ``x1.5@2025-01-01``: a rate or schedule times 1.5 (from that date on).
SCALE = re.compile(r"x\s*[-+]?[\d.][^@]*(?:@.*)?")
_SCALE_FORM = "write x1.5 (every rate times 1.5) or x1.5@2025-01-01 (from that date on)"


def _scaled(tree: dict[Any, Any], raw: Any, text: str) -> dict[Any, Any]:
    """The rate or schedule ``raw`` with the factor milestone ``text`` asks for: ``x1.5``
    from the scenario's start, ``x1.5@DATE`` from DATE (composed with a factor already
    there); the date's checks are the loader's."""
    factor, at, date = text.partition("@")
    try:
        parse_factor(factor)
    except GrammarError as exc:
        raise _OverrideError(exc.message, _SCALE_FORM) from None
    if at and not date.strip():
        raise _OverrideError(f"no date after '@' in {text!r}", _SCALE_FORM)
    start = tree.get("start") if isinstance(tree.get("start"), dt.date) else "+0 d"
    if isinstance(raw, dict) and any(isinstance(v, str) and "/" in v for v in raw.values()):
        schedule = dict(raw)
    elif isinstance(raw, str) and "/" in raw:
        schedule = {start: raw}  # a plain rate: one milestone at start
    else:
        raise _OverrideError(f"cannot scale {describe(raw)}: x1.5 scales a rate or a schedule",
                             "set a value instead")  # fmt: skip
    key = f"from {date.strip() if at else key_text(start)}"
    earlier = next((k for k in schedule if key_text(k).strip() == key), None)
    if earlier is not None and is_factor(schedule[earlier]):
        factor = f"x{parse_factor(schedule.pop(earlier)) * parse_factor(factor)!r}"
    schedule[key] = factor.strip()
    return schedule


def _check_top(tree: dict[Any, Any], parts: list[str]) -> None:
    top = field_names(scenario_spec())
    if parts[0] not in top:
        raise _OverrideError(f"no such key '{parts[0]}'", nearest(parts[0], top, "keys"))
    if parts[0] in sections() and len(parts) == 1:
        raise _OverrideError(f"'{parts[0]}' is a section", _FORM)


def _missing(node: dict[Any, Any], parts: list[str], depth: int) -> _OverrideError:
    if depth == 0:
        return _OverrideError(f"the scenario has no '{parts[0]}' section")
    ids = [key_text(k) for k in node]
    return _OverrideError(
        f"no '{parts[1]}' in {parts[0]}", nearest(parts[1], ids, f"ids in {parts[0]}")
    )


def _match(node: dict[Any, Any], part: str) -> Any:
    """The existing key of ``node`` written as ``part`` (dates in ISO form), or None."""
    for key in node:
        if key_text(key) == part:
            return key
    return None
