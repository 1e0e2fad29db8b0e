"""The scenario reference (``docs/scenario.md``): generated and up to date, its examples load
and run, its pictures exist and can be drawn, and the figures it works out by hand are the
tool's."""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

import sim
from scripts import scenario_reference as ref
from sim.scenario import json_schema

ROOT = Path(__file__).resolve().parents[1]

DOC = ROOT / "docs" / "scenario.md"
EXAMPLES = sorted(ref.EXAMPLES.glob("*.yaml"))
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")


def images_in(text: str) -> list[str]:
    return IMAGE.findall(text)


def test_committed_reference_is_up_to_date() -> None:
    text, _ = ref.reference()
    assert DOC.read_text() == text, "run python scripts/scenario_reference.py"


def test_every_example_is_shown() -> None:
    text = DOC.read_text()
    assert len(EXAMPLES) >= 4
    for path in EXAMPLES:
        assert path.read_text() in text, f"{path.name} is not in docs/scenario.md"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_loads_without_warnings_and_runs(path: Path) -> None:
    scenario = sim.load_scenario(path)  # warnings are errors in the tests
    results = sim.run(scenario, runs=20, seed=1)
    assert results.dataset.sizes["run"] == 20
    assert not results.dataset.attrs.get("clipped_draws", "{}").strip("{}")


def test_every_image_referenced_exists_and_none_is_stale() -> None:
    referenced = images_in(DOC.read_text())
    assert len(referenced) >= 9
    for image in referenced:
        assert (DOC.parent / image).is_file(), f"{image} is missing: run python {ref.__file__}"
    drawn = {p.relative_to(DOC.parent).as_posix() for p in ref.IMAGES.glob("*.png")}
    assert drawn == set(referenced)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_leads_somewhere() -> None:
    text = DOC.read_text()
    anchors = {anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}
    links = re.findall(r"(?<!!)\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) > 20
    for link in links:
        if link.startswith("#"):
            assert link[1:] in anchors, f"no heading for {link}"
        else:
            assert (DOC.parent / link).exists(), f"{link} does not exist"


@pytest.mark.slow
def test_pictures_can_be_drawn(tmp_path: Path) -> None:
    text, pictures = ref.reference()
    written = ref.draw_pictures(pictures, tmp_path)
    assert {p.name for p in written} == {Path(i).name for i in images_in(text)}
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG")


# ---- the generator -------------------------------------------------------------------------


def test_a_new_section_and_field_appear_without_a_change_to_the_generator() -> None:
    schema = copy.deepcopy(json_schema())
    schema["$defs"]["OrderSpec"] = {
        "type": "object",
        "description": "An order placed with industry.",
        "properties": {
            "item": {"type": "string", "description": "Item id ordered."},
            "lead_time": {"type": "string", "examples": ["18 to 30 mo"], "description": "Wait."},
        },
        "required": ["item"],
    }
    schema["properties"]["orders"] = {
        "type": "object",
        "additionalProperties": {"$ref": "#/$defs/OrderSpec"},
        "description": "Order id -> order.",
    }
    schema["$defs"]["ItemSpec"]["properties"]["escalation"] = {
        "type": "string", "examples": ["3%/y"], "description": "Price growth.",
    }  # fmt: skip
    text, _ = ref.reference(schema)
    assert "### `orders`\n\nEach entry of `orders:` is an id and an order placed with" in text
    assert "| `lead_time` | optional | a [duration](#durations): `18 to 30 mo` | Wait. |" in text
    assert "| `escalation` | optional | a [rate](#rates): `3%/y` | Price growth. |" in text
    assert "| `orders` | optional | a mapping id → entry | Order id -> order." in text


def test_a_section_the_schema_lacks_is_an_error() -> None:
    template = "<!-- insert: section ordres -->\n<!-- insert: other-sections -->\n"
    with pytest.raises(ValueError, match="template line 1: the schema has no section 'ordres'"):
        ref.render(template, json_schema())


def test_a_mistake_that_loads_is_an_error() -> None:
    template = "```yaml\nname: x\nstart: 2024-01-01\nhorizon: 1y\nitems: {}\nholders: {}\n```\n"
    template += "<!-- insert: base -->\n```yaml\nruns: 5\n```\n<!-- insert: messages -->\n"
    with pytest.raises(ValueError, match="template line 12: this snippet loads without a message"):
        ref.render(template + "<!-- insert: other-sections -->\n", json_schema())


# ---- what the reference claims -------------------------------------------------------------


def deterministic(path: Path, overrides: tuple[str, ...] = ()) -> xr.Dataset:
    scenario = sim.load_scenario(path, overrides=list(overrides))
    return sim.run(scenario, deterministic=True).dataset.isel(run=0)


def test_the_depot_example_is_as_worked_out_by_hand() -> None:
    ds = deterministic(ref.EXAMPLES / "depot_by_hand.yaml")
    depot, brigade = (ds.sel(holder=h, item="shell") for h in ("depot", "brigade"))
    week = 3000 * 7 / 30.4375
    assert round(week, 2) == 689.94
    at = {d: f"2024-{d}" for d in ("01-08", "01-15", "03-18", "03-25")}
    assert float(depot.stock.sel(time=at["01-08"])) == pytest.approx(20_000 + week - 2000)
    assert round(float(depot.stock.sel(time=at["01-08"])), 2) == 18_689.94
    assert float(brigade.in_transit.sel(time=at["01-08"])) == 2000
    assert float(brigade.unmet.sel(time=at["01-08"])) == 7 * 250
    assert float(brigade.unmet.sel(time=at["01-15"])) == 9 * 250
    assert float(brigade.stock.sel(time=at["01-15"])) == 2000 - 5 * 250
    assert round(float(depot.stock.sel(time=at["01-15"])), 2) == 17_379.88
    assert round(float(depot.stock.sel(time=at["03-18"])), 2) == 5_589.32
    assert float(depot.stock.sel(time=at["03-25"])) == pytest.approx(5000)
    assert round(float(brigade.unfilled.sel(time=at["03-25"])), 2) == 720.74
    assert depot.depleted_at.values == np.datetime64("2024-03-25")


RAMP = ref.EXAMPLES / "shell_ramp.yaml"


def test_a_slip_on_a_single_rate_delays_the_start() -> None:
    line = "production.shell_lines"

    def produced(*overrides: str) -> xr.DataArray:
        series: xr.DataArray = deterministic(RAMP, overrides).produced
        return series.sel(holder="army", item="shell")

    ramp_moved = produced(f"{line}.slip=6 mo")
    assert not ramp_moved.equals(produced(f"{line}.slip=0 d"))  # a ramp does move
    single = f"{line}.rate=10k/mo"
    moved, unmoved = produced(single, f"{line}.slip=6 mo"), produced(single, f"{line}.slip=0 d")
    start = moved.time.values[0]
    early = moved.time < start + np.timedelta64(180, "D")
    assert float(moved.where(early, drop=True).max()) == 0.0  # nothing in the first 6 months
    assert float(unmoved.where(early, drop=True).max()) > 0.0
    assert float(moved.isel(time=-1)) > 0.0


def test_a_share_without_inputs_is_never_made(tmp_path: Path) -> None:
    tree = yaml.safe_load((ref.EXAMPLES / "minimal.yaml").read_text())
    tree["items"]["charge"] = {"unit": "sets"}
    tree["holders"]["army"]["stock"]["charge"] = "200k"
    tree["holders"]["ally"] = {}
    tree["production"] = {
        "line": {"item": "shell", "to": {"army": "70%", "ally": "30%"}, "rate": "5k/mo",
                 "inputs": {"charge": 1}},
    }  # fmt: skip
    path = tmp_path / "shares.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    with pytest.warns(sim.ScenarioWarning, match="ally starts with no charge"):
        ds = deterministic(path)
    produced = ds.produced.isel(time=-1)
    assert float(produced.sel(holder="army", item="shell")) > 0
    assert float(produced.sel(holder="ally", item="shell")) == 0


# ---- the schema's examples, shown in the field tables ---------------------------------------

#: Examples the schema offers that the loader refuses where they are offered. Remove an entry
#: when the schema is corrected (the test then passes and, being strict, fails until removed).
REFUSED: set[str] = set()  # schema examples the loader refuses: keep this empty


def carriers() -> Iterator[tuple[str, dict[str, Any], list[str]]]:
    """(where, a worked example's tree, the path of a key it sets) for every key set in an
    example, top level and section entries, first example first."""
    seen: set[str] = set()
    for path in EXAMPLES:
        tree = yaml.safe_load(path.read_text())
        for key, value in tree.items():
            if key in ref.sections(json_schema()):
                for name, entry in value.items():
                    for field in entry:
                        where = f"{key}.{field}"
                        if where not in seen:
                            seen.add(where)
                            yield where, tree, [key, name, field]
            elif key not in seen:
                seen.add(key)
                yield key, tree, [key]


def schema_node(where: str) -> dict[str, Any]:
    schema = json_schema()
    parts = where.split(".")
    if len(parts) == 1:
        return dict(schema["properties"][parts[0]])
    entry = ref.entry_def(schema["properties"][parts[0]], schema)
    assert entry is not None
    return dict(entry["properties"][parts[1]])


def example_cases() -> Iterator[Any]:
    for where, tree, keys in carriers():
        node = schema_node(where)
        values = node.get("additionalProperties")
        per_key = isinstance(values, dict) and "examples" in values
        for example in ref.examples_of(values if per_key else node):  # type: ignore[arg-type]
            case = f"{where}={ref.inline(example)}"
            marks = [pytest.mark.xfail(strict=True, reason="schema example")] * (case in REFUSED)
            yield pytest.param(tree, keys, example, per_key, id=case, marks=marks)


@pytest.mark.parametrize(("tree", "keys", "example", "per_key"), list(example_cases()))
def test_every_schema_example_is_accepted_where_it_is_offered(
    tree: dict[str, Any], keys: list[str], example: Any, per_key: bool
) -> None:
    changed = copy.deepcopy(tree)
    parent = changed
    for key in keys[:-1]:
        parent = parent[key]
    if per_key:
        parent[keys[-1]] = {k: example for k in parent[keys[-1]]}
    else:
        parent[keys[-1]] = example
    if "$" in ref.inline(example):  # an amount in money: valid on a priced item
        for item in changed["items"].values():
            item.setdefault("unit_cost", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sim.ScenarioWarning)  # example dates may lie outside
        try:
            sim.load_scenario_text(yaml.safe_dump(changed, sort_keys=False))
        except sim.ScenarioError as error:
            # only problems with the example itself: it may name ids the carrying scenario
            # does not have ('us'), or clash with another key there (a pledge's deadline)
            where = ".".join(keys)
            problems = [
                p for p in error.problems
                if p.path.startswith(where) and not p.message.startswith("unknown ")
            ]  # fmt: skip
            assert not problems, "\n".join(str(p) for p in problems)
