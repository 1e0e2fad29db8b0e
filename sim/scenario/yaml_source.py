"""Safe YAML reading that remembers the line of every key, with YAML 1.2 scalars.

Only ``true``/``false`` are booleans (a holder called ``no`` stays a string), integers and
floats follow the YAML 1.2 core schema (no sexagesimal, no ``010`` octal), dates stay dates.
No tags are honoured but ``!!str``. Duplicate keys are reported, not silently overwritten; a
merge key (``<<: *base``) gives defaults that the mapping's own keys override.

The tree is built from the parser's events (libyaml when installed), never from a composed node
graph: nesting deeper than ``MAX_DEPTH`` and documents whose aliases expand past ``MAX_NODES``
values are refused as they are read, so a hostile file costs neither recursion nor memory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from sim.errors import Problem
from sim.limits import MAX_DEPTH, MAX_NODES

#: A YAML path: mapping keys and list indices, all as text (dates in ISO form).
Path = tuple[str, ...]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")  # as YAML 1.1: 2024-1-1 is text
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?$"
)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
#: Characters a YAML file may not hold (YAML 1.1 printable set, as PyYAML checks it).
NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = frozenset({None, "!", _STR, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_EVENTS = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def key_text(key: object) -> str:
    """How a key appears in a dotted path: dates in ISO form, everything else as ``str``."""
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


def plain_scalar(text: str) -> Any:
    """An untagged, unquoted scalar: null, bool, int, float, date or text (YAML 1.2 core).

    An impossible date such as 2022-01-32 stays text for the grammar to explain.
    """
    if text in _NULLS:
        return None
    try:
        if _BOOL.match(text):
            return text[0] in "tT"
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        day = _DATE.match(text)
        if day:
            return dt.date(*(int(part) for part in day.groups()))
        if _TIMESTAMP.match(text):
            return _CONSTRUCTOR.construct_yaml_timestamp(yaml.ScalarNode(_STR, text))
    except ValueError:  # out-of-range date, an integer of more than 4300 digits
        pass
    return text


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


class _Stop(Exception):
    """Reading cannot go on (too deep, too large, an unknown alias)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _line(event: yaml.Event) -> int:
    mark = event.start_mark
    return int(mark.line) + 1 if mark is not None else 1


class _Reader:
    """Builds plain Python values from parser events, recording lines, duplicates and tags.

    An alias replays the events recorded for its anchor, so every value it expands to is
    counted against ``MAX_NODES``; problems are reported once, where the anchor is written.
    """

    def __init__(self, events: Iterator[yaml.Event], file: str) -> None:
        self.events = events
        self.file = file
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        self.anchors: dict[str, list[yaml.Event]] = {}
        self.recording: list[list[yaml.Event]] = []
        self.replaying = False
        self.count = 0

    def next(self) -> yaml.Event:
        event = next(self.events)
        for record in self.recording:
            record.append(event)
        return event

    def node(self, event: yaml.Event, path: Path) -> Any:
        self._limit(event, path)
        self.lines.setdefault(path, _line(event))
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, path)
        anchor = None if self.replaying else getattr(event, "anchor", None)
        if anchor is not None:
            self.recording.append([event])
        if getattr(event, "tag", None) not in _PLAIN_TAGS:
            tag = str(getattr(event, "tag", "")).replace("tag:yaml.org,2002:", "!!")
            self._problem(_line(event), ".".join(path), f"YAML tags are not allowed here ({tag})")
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event, path)
        elif isinstance(event, yaml.SequenceStartEvent):
            value = self._sequence(path)
        elif isinstance(event, yaml.MappingStartEvent):
            value = self.mapping(event, path)
        else:  # the parser does not produce this
            raise _Stop(Problem(self.file, _line(event), "", "unexpected YAML structure"))
        if anchor is not None:
            self.anchors[anchor] = self.recording.pop()
        return value

    def _limit(self, event: yaml.Event, path: Path) -> None:
        self.count += 1
        where = ".".join(path)
        if len(path) > MAX_DEPTH:
            raise _Stop(
                Problem(self.file, _line(event), where, f"nested more than {MAX_DEPTH} levels deep")
            )
        if self.count > MAX_NODES:
            message = f"the document expands to more than {MAX_NODES:,} values"
            hint = "aliases (*name) that repeat large parts many times?"
            raise _Stop(Problem(self.file, _line(event), where, message, hint))

    def _alias(self, event: yaml.AliasEvent, path: Path) -> Any:
        recorded = self.anchors.get(str(event.anchor))
        if recorded is None:
            message = f"unknown alias *{event.anchor}"
            hint = "an alias must follow its &anchor, outside it"
            raise _Stop(Problem(self.file, _line(event), ".".join(path), message, hint))
        saved = self.events, self.recording, self.replaying
        self.events, self.recording, self.replaying = iter(recorded), [], True
        try:
            return self.node(self.next(), path)
        finally:
            self.events, self.recording, self.replaying = saved

    def _scalar(self, event: yaml.ScalarEvent, path: Path) -> Any:
        if _plain(event):
            return plain_scalar(event.value)
        bad = NON_PRINTABLE.search(event.value)  # written as an escape in double quotes
        if bad is not None:
            message = f"the text holds a control character (U+{ord(bad.group()):04X})"
            self._problem(_line(event), ".".join(path), message, "remove the escape")
        return event.value

    def _sequence(self, path: Path) -> list[Any]:
        items: list[Any] = []
        while not isinstance(event := self.next(), yaml.SequenceEndEvent):
            items.append(self.node(event, (*path, str(len(items)))))
        return items

    def mapping(self, start: yaml.MappingStartEvent, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        broken = False  # a value split at a comma: the rest of the mapping is not read
        dotted = ".".join(path) or "(top level)"
        while not isinstance(key_event := self.next(), yaml.MappingEndEvent):
            value_event = self.next()
            line = _line(key_event)
            if broken or not isinstance(key_event, yaml.ScalarEvent):
                if not broken:
                    self._problem(line, dotted, "a key must be a plain name, not a list or mapping")
                self._skip(key_event, value_event)
                continue
            if _is_merge(key_event):
                self._merge(value_event, path, merged)
                continue
            key = self._scalar(key_event, (*path, str(key_event.value)))
            child = (*path, key_text(key))
            if key in result:
                first = self.lines.get(child)
                where = f" (first on line {first})" if first else ""
                self._problem(line, ".".join(child), f"duplicate key '{key_text(key)}'{where}")
                self._skip(value_event)
                continue
            if start.flow_style and _split_by_comma(key_event, value_event):
                self._problem(
                    line,
                    dotted,
                    "a comma inside { } split a value in two",
                    "quote a value that holds commas: {javelin: 'pert(5k, 7k, 9k)'}",
                )
                broken = True
                continue
            self.lines[child] = line
            result[key] = self.node(value_event, child)
        return {**merged, **result} if merged else result

    def _merge(self, event: yaml.Event, path: Path, merged: dict[Any, Any]) -> None:
        """``<<: *base`` or ``<<: [*a, *b]``: keys not yet merged (the first mapping wins)."""
        value = self.node(event, path)
        parts = value if isinstance(value, list) else [value]
        if not all(isinstance(part, dict) for part in parts):
            hint = "<<: *name, where &name marks a mapping"
            self._problem(_line(event), ".".join(path), "a merge key takes mappings", hint)
            return
        for part in parts:
            for key, item in part.items():
                merged.setdefault(key, item)

    def _skip(self, *events: yaml.Event) -> None:
        """Read past the nodes that start with ``events`` without building them."""
        for event in events:
            depth = int(isinstance(event, yaml.CollectionStartEvent))
            while depth:
                inner = self.next()
                depth += isinstance(inner, yaml.CollectionStartEvent)
                depth -= isinstance(inner, yaml.CollectionEndEvent)

    def _problem(self, line: int, path: str, message: str, hint: str = "") -> None:
        if not self.replaying:  # reported where the anchor is written
            self.problems.append(Problem(self.file, line, path, message, hint))


def _plain(event: yaml.ScalarEvent) -> bool:
    """Unquoted and untagged: resolved as null, bool, number, date or text."""
    return event.tag is None and bool(event.implicit[0])


def _is_merge(event: yaml.ScalarEvent) -> bool:
    return event.value == "<<" and _plain(event)


def _split_by_comma(key: yaml.ScalarEvent, value: yaml.Event) -> bool:
    """A flow-mapping entry that is the tail of a value cut at a comma: ``7k)`` with no value."""
    empty = isinstance(value, yaml.ScalarEvent) and value.value == "" and _plain(value)
    return empty and _plain(key) and bool(re.match(r"[-+.\d]|.*\)$", str(key.value)))


def control_character(text: str, file: str, what: str = "the file") -> Problem | None:
    """A problem at the first character a YAML text may not hold, if any."""
    bad = NON_PRINTABLE.search(text)
    if bad is None:
        return None
    line = text.count("\n", 0, bad.start()) + 1
    code = f"U+{ord(bad.group()):04X}"
    if bad.group() == "\0":
        hint = "a text file holds no NUL bytes: if it is UTF-16, save it as UTF-8"
    else:
        hint = "remove it, or quote it as an escape such as \\t in double quotes"
    return Problem(file, line, "", f"{what} holds a control character ({code})", hint)


def _read(text: str, file: str) -> tuple[Any, _Reader, bool]:
    """The document's value, the reader that built it, and whether there was a document."""
    reader = _Reader(iter(yaml.parse(text, Loader=_EVENTS)), file)
    reader.next()  # stream start
    event = reader.next()
    if not isinstance(event, yaml.DocumentStartEvent):
        return None, reader, False
    value = reader.node(reader.next(), ())
    reader.next()  # document end
    event = reader.next()
    if isinstance(event, yaml.DocumentStartEvent):
        message = "the file holds more than one YAML document (--- starts a new one)"
        raise _Stop(Problem(file, _line(event), "", message))
    return value, reader, True


def parse_yaml(text: str, file: str) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML document; return its ``Source`` or the problems that prevent it."""
    bad = control_character(text, file)
    if bad is not None:
        return None, [bad]
    try:
        tree, reader, found = _read(text, file)
    except _Stop as stop:
        return None, [stop.problem]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, file, text)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, "", f"not valid YAML: {exc}")]
    if reader.problems:
        return None, reader.problems
    if not found:
        return None, [Problem(file, 1, "", "the file is empty", "a scenario starts with name:")]
    if not isinstance(tree, dict):
        hint = "a scenario is a mapping of keys such as name:, start:, holders:"
        return None, [Problem(file, reader.lines[()], "", "the document is not a mapping", hint)]
    return Source(tree, reader.lines), []


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
        return Problem(file, line, "", "a tab character: YAML indents with spaces only")
    what = exc.problem or "invalid YAML"
    context = f" {exc.context}" if exc.context else ""
    return Problem(file, line, "", f"YAML syntax error: {what}{context}".rstrip())


class NotYaml(ValueError):
    """Text that is not one YAML value (``--set``): ``args[0]`` says why."""


def parse_scalar(text: str) -> Any:
    """Parse a ``--set`` value as a YAML scalar or flow collection (``6 mo``, ``{us: 1}``)."""
    try:
        value, reader, _ = _read(text, "")
    except _Stop as stop:
        raise NotYaml(stop.problem.message) from None
    except yaml.YAMLError as exc:
        raise NotYaml(str(getattr(exc, "problem", None) or "not valid YAML")) from None
    if reader.problems:
        raise NotYaml(reader.problems[0].message)
    return value
