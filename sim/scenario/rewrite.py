"""A scenario's YAML text with some values changed, the rest of the text (comments, layout,
quoting) kept: what ``stockpile solve --write`` writes.

``rewrite(text, tree)`` compares the document's tree with ``tree`` (the same tree after
overrides) and edits the text only where they differ: a changed value is replaced where it is
written (in flow style), a key added to a mapping is appended to it. The result is read back
and must give ``tree``; otherwise ``RewriteError``.

>>> rewrite("a: 1  # kept\\nb: {c: 2/mo}\\n", {"a": 1, "b": {"c": "2/mo", "from 2024-01-01": "x2"}})
'a: 1  # kept\\nb: {c: 2/mo, from 2024-01-01: x2}\\n'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from sim.scenario.yaml_source import Path, key_text, parse_yaml, plain_scalar


class RewriteError(ValueError):
    """The changed values cannot be written into the text (the message says why)."""


@dataclass(frozen=True)
class _Span:
    """Where a node is written: ``start``/``end`` offsets, its style, and for a mapping the
    column of its keys and where a key is added (before the brace, or after its last line)."""

    start: int
    end: int
    flow: bool
    column: int = -1
    insert: int = -1


def rewrite(text: str, tree: Mapping[Any, Any]) -> str:
    """``text`` edited so that it reads as ``tree`` (see the module's docstring)."""
    source, problems = parse_yaml(text, "<scenario>")
    if source is None:
        raise RewriteError(f"cannot read the scenario: {problems[0]}")
    spans = _spans(text)
    edits: list[tuple[int, int, str]] = []
    _diff(source.tree, tree, (), spans, edits)
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new + text[end:]
    again, _problems = parse_yaml(text, "<scenario>")
    if again is None or again.tree != tree:
        raise RewriteError("the changed values could not be written in place")
    return text


def _diff(
    old: Any, new: Any, path: Path, spans: dict[Path, _Span], edits: list[tuple[int, int, str]]
) -> None:
    if old == new and type(old) is type(new):
        return
    span = spans.get(path)
    if span is None:
        raise RewriteError(f"cannot find {'.'.join(path) or 'the document'} in the text")
    if isinstance(old, dict) and isinstance(new, dict) and old and all(k in new for k in old):
        for key in old:
            _diff(old[key], new[key], (*path, key_text(key)), spans, edits)
        added = [k for k in new if k not in old]
        if added:
            edits.append((span.insert, span.insert, _added(added, new, span)))
        return
    edits.append((span.start, span.end, flow(new)))


def _added(keys: list[Any], new: dict[Any, Any], span: _Span) -> str:
    items = [f"{flow(k)}: {flow(new[k])}" for k in keys]
    if span.flow:  # inserted before the closing brace
        return "".join(f", {item}" for item in items)
    indent = "\n" + " " * span.column
    return "".join(indent + item for item in items)


def flow(value: Any) -> str:
    """``value`` as YAML on one line (a mapping in braces)."""
    dumped = yaml.safe_dump(
        value, default_flow_style=True, width=2**31 - 1, allow_unicode=True, sort_keys=False
    )
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _spans(text: str) -> dict[Path, _Span]:
    """Where every node of the document is written, by path."""
    events = iter(yaml.parse(text, Loader=yaml.SafeLoader))
    spans: dict[Path, _Span] = {}
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            _node(text, next(events), events, (), spans)
            break
    return spans


def _node(text: str, event: yaml.Event, events: Any, path: Path, spans: dict[Path, _Span]) -> int:
    """Record ``event``'s node (and its children) at ``path``; return where it ends."""
    start: int = _at(event.start_mark)
    if isinstance(event, yaml.MappingStartEvent):
        end, column = _at(event.end_mark), -1
        while not isinstance(key := next(events), yaml.MappingEndEvent):
            column = int(getattr(key.start_mark, "column", 0)) if column < 0 else column
            end = _node(text, next(events), events, (*path, key_text(_key(key))), spans)
        if event.flow_style:
            spans[path] = _Span(start, _at(key.end_mark), True, column, _at(key.start_mark))
            return _at(key.end_mark)
        line_end = text.find("\n", end)
        spans[path] = _Span(start, end, False, column, len(text) if line_end < 0 else line_end)
        return end
    if isinstance(event, yaml.SequenceStartEvent):
        end, index = (_at(event.end_mark)), 0
        while not isinstance(item := next(events), yaml.SequenceEndEvent):
            end = _node(text, item, events, (*path, str(index)), spans)
            index += 1
        end = (_at(item.end_mark)) if event.flow_style else end
        spans[path] = _Span(start, end, bool(event.flow_style))
        return end
    spans[path] = _Span(start, _at(event.end_mark), True)
    return _at(event.end_mark)


def _at(mark: Any) -> int:
    """A mark's offset in the text (the parser always gives one)."""
    return int(getattr(mark, "index", 0))


def _key(event: yaml.Event) -> Any:
    """A key as the reader reads it (dates as dates), for its path."""
    value = getattr(event, "value", "")
    return value if getattr(event, "style", None) else plain_scalar(value)
