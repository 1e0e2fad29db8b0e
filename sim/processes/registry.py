"""The process kinds, in one place: every layer iterates this registry.

>>> [kind.section for kind in kinds()]
['production', 'orders', 'donations', 'attrition', 'consumption']

Adding a kind is one module in ``sim/processes/`` that defines its ``KIND`` (``sim.processes.kind``)
and one entry below; CONTRIBUTING.md has the recipe. ``registered`` adds one for a while (tests,
plug-ins).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sim.processes import attrition, consumption, donations, orders, production
from sim.processes.kind import Kind

_KINDS: list[Kind] = [
    production.KIND,
    orders.KIND,
    donations.KIND,
    attrition.KIND,
    consumption.KIND,
]


def kinds() -> tuple[Kind, ...]:
    """Every registered kind, in phase order (the order of their actions at equal times)."""
    return tuple(sorted(_KINDS, key=lambda kind: kind.phase))


def kind(section: str) -> Kind:
    """The kind of scenario section ``section``."""
    for known in _KINDS:
        if known.section == section:
            return known
    raise KeyError(f"no process kind for section {section!r}")


@contextmanager
def registered(new: Kind) -> Iterator[Kind]:
    """Register ``new`` for the duration of a ``with`` block."""
    taken = {k.section for k in _KINDS} | {"items", "holders"}
    if new.section in taken or any(k.phase == new.phase for k in _KINDS):
        raise ValueError(f"section {new.section!r} or phase {new.phase} is already taken")
    _KINDS.append(new)
    try:
        yield new
    finally:
        _KINDS.remove(new)
