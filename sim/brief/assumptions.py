"""Every input of the scenario behind a results set, as written, with the ``--set`` overrides
that made the variant marked: read from the scenario text the results keep."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import xarray as xr

from sim.scenario import values
from sim.scenario.yaml_source import key_text, parse_yaml

#: Keys that name or describe rather than set a number.
_WORDS = {"label", "unit", "name", "description", "sources"}
#: Top-level values shown on the title slide instead.
_HEADER = {"start", "end", "horizon", "report_every", "runs", "seed"}


@dataclass(frozen=True)
class Assumption:
    path: str  # production.us_shell_lines.slip
    written: str  # 1 to 9 mo
    reading: str  # what the grammar reads it as, for an uncertain value
    overridden: bool


def assumptions(dataset: xr.Dataset) -> list[Assumption]:
    """The scenario's inputs in file order, overrides applied and marked (none when the
    results do not keep their scenario's text)."""
    text = str(dataset.attrs.get("scenario_yaml", ""))
    source, _problems = parse_yaml(text, "scenario") if text else (None, [])
    leaves = dict(_leaves(source.tree)) if source is not None else {}
    changed = set()
    for override in json.loads(str(dataset.attrs.get("overrides", "[]"))):
        path, _, value = str(override).partition("=")
        leaves[path.strip()] = value.strip()
        changed.add(path.strip())
    kept = [(p, w) for p, w in leaves.items() if p in changed or _is_value(w)]
    calibrated = _calibrated(dataset)
    return [
        Assumption(p, w, calibrated.get(p, reading(w)), p in changed)
        for p, w in kept
        if p not in _HEADER
    ]


def _calibrated(dataset: xr.Dataset) -> dict[str, str]:
    """For runs from a posterior (``stockpile run --posterior``): each calibrated input's
    reading, saying that its values come from the posterior and against which observations."""
    raw = dataset.attrs.get("calibration")
    if raw is None:
        return {}
    calibration = json.loads(str(raw))
    against = ", ".join(str(o) for o in calibration.get("observations", [])) or "observations"
    note = f"calibrated against {against}: drawn from the posterior"
    return {str(path): note for path in calibration.get("inputs", [])}


def _leaves(tree: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(tree, dict):
        out = []
        for key, value in tree.items():
            name = key_text(key)
            if name not in _WORDS:
                out += _leaves(value, f"{prefix}.{name}" if prefix else name)
        return out
    if isinstance(tree, list):
        return [(prefix, ", ".join(str(v) for v in tree))]
    return [(prefix, key_text(tree))]


def _is_value(written: str) -> bool:
    """Whether ``written`` is a number, rate or duration (not an id or a setting)."""
    for parse in (_rate, _duration, _value):
        try:
            parse(written.strip())
        except (values.GrammarError, ValueError, TypeError):
            continue
        return True
    return False


def reading(written: str) -> str:
    """An uncertain value read back: ``1.5M to 3M`` -> ``90% in 1.5M–3M, mean 2.23M``; empty
    for a known number or for text that is not a value."""
    for parse in (_rate, _duration, _value):
        try:
            dist, scale, unit = parse(written.strip())
        except (values.GrammarError, ValueError, TypeError):
            continue
        if dist.variance == 0:
            return ""
        percent = "%" if "%" in written else ""
        scale = scale / 100 if percent else scale
        low, high, mean = (
            _short(x / scale) + percent for x in (dist.quantile(0.05), dist.quantile(0.95),
                                                  dist.mean)
        )  # fmt: skip
        return f"90% in {low}–{high}{unit}, mean {mean}{unit}"
    return ""


Parsed = tuple[Any, float, str]  # distribution, scale to the written unit, unit text


def _rate(text: str) -> Parsed:
    rate = values.parse_rate(text, "fraction" if "%" in text else "quantity")
    period = text.rpartition("/")[2].strip()
    return rate.amount, 1.0, f" /{period}"


def _duration(text: str) -> Parsed:
    dist = values.parse_duration(text)
    unit = re.search(r"(mo|months?|y|yr|years?|w|wk|weeks?|d|days?)\s*$", text)
    name = unit.group(1) if unit else "d"
    return dist, values.parse_fixed_duration(f"1 {name}"), f" {name}"


def _value(text: str) -> Parsed:
    return values.parse_value(text, "fraction" if "%" in text else "quantity"), 1.0, ""


def _short(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"
