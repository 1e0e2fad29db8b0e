"""Safe YAML reading that remembers the line of every key, with YAML 1.2 scalars.

Only ``true``/``false`` are booleans (a holder called ``no`` stays a string), integers and
floats follow the YAML 1.2 core schema (no sexagesimal, no ``010`` octal), dates stay dates.
No object tags are honoured. Duplicate keys are reported, not silently overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from sim.errors import Problem

#: A YAML path: mapping keys and list indices, all as text (dates in ISO form).
Path = tuple[str, ...]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


class ScenarioLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core booleans and numbers."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        return int(str(self.construct_scalar(node)))

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        return float(str(self.construct_scalar(node)))


ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789"))
ScenarioLoader.add_constructor("tag:yaml.org,2002:int", ScenarioLoader.construct_yaml_int)
ScenarioLoader.add_constructor("tag:yaml.org,2002:float", ScenarioLoader.construct_yaml_float)


def key_text(key: object) -> str:
    """How a key appears in a dotted path: dates in ISO form, everything else as ``str``."""
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


@dataclass
class Source:
    """A parsed YAML document: the plain tree and the 1-based line of every path in it."""

    tree: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


class _Builder:
    """Turns composed YAML nodes into plain Python values, recording lines and duplicates."""

    def __init__(self, loader: ScenarioLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []

    def value(self, node: yaml.Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(child, (*path, str(i))) for i, child in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        """A scalar's value; an impossible date such as 2022-01-32 stays text for the grammar."""
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError:
            return str(node.value)

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            dotted = ".".join(path) or "(top level)"
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(line, dotted, "a key must be a plain name, not a list or mapping")
                continue
            key = self._scalar(key_node)
            child = (*path, key_text(key))
            if key in result:
                first = self.lines.get(child)
                where = f" (first on line {first})" if first else ""
                self._problem(line, ".".join(child), f"duplicate key '{key_text(key)}'{where}")
                continue
            if node.flow_style and _split_by_comma(key_node, value_node):
                self._problem(
                    line,
                    dotted,
                    "a comma inside { } split a value in two",
                    "quote a value that holds commas: {javelin: 'pert(5k, 7k, 9k)'}",
                )
                break
            self.lines[child] = line
            result[key] = self.value(value_node, child)
        return result

    def _problem(self, line: int, path: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, line, path, message, hint))


def _split_by_comma(key: yaml.ScalarNode, value: yaml.Node) -> bool:
    """A flow-mapping entry that is the tail of a value cut at a comma: ``7k)`` with no value."""
    empty = isinstance(value, yaml.ScalarNode) and value.value == "" and value.style is None
    return empty and key.style is None and bool(re.match(r"[-+.\d]|.*\)$", str(key.value)))


def parse_yaml(text: str, file: str) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML document; return its ``Source`` or the problems that prevent it."""
    loader = ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(file, 1, "", "the file is empty", "a scenario starts with name:")]
        builder = _Builder(loader, file)
        tree = builder.value(node, ())
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, file)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, None, "", f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
    if builder.problems:
        return None, builder.problems
    if not isinstance(tree, dict):
        line = node.start_mark.line + 1
        hint = "a scenario is a mapping of keys such as name:, start:, holders:"
        return None, [Problem(file, line, "", "the document is not a mapping", hint)]
    return Source(tree, builder.lines), []


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    what = exc.problem or "invalid YAML"
    if "constructor" in what or "could not determine a constructor" in what:
        what = f"YAML tags are not allowed here ({what})"
    context = f" {exc.context}" if exc.context else ""
    return Problem(file, line, "", f"YAML syntax error: {what}{context}".rstrip())


def parse_scalar(text: str) -> Any:
    """Parse a ``--set`` value as a YAML scalar or flow collection (``6 mo``, ``{us: 1}``)."""
    return yaml.load(text, Loader=ScenarioLoader)
