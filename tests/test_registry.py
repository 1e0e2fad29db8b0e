"""A process kind added through the registry alone is read, checked, simulated, summarised
and charted, with no other file touched (the recipe in CONTRIBUTING.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pydantic import Field

import sim
from benchmarks.naive import implements
from benchmarks.variants import with_items_replicated
from sim.cli import main
from sim.processes.clock import action_days
from sim.processes.context import Context
from sim.processes.kind import Footprint, Kind, Process
from sim.processes.registry import kinds, registered
from sim.processes.schedule import Integrator, draw_rates
from sim.scenario import json_schema
from sim.scenario.model import Schedule
from sim.scenario.schema import Duration, ScheduleText, Strict

if TYPE_CHECKING:
    from sim.scenario.build import Builder


# -- a toy kind: stored tanks made active at a rate ---------------------------------------------


class ConversionSpec(Strict):
    """Items of one kind made into another at a holder (stored tanks made active)."""

    holder: str = Field(description="Holder id.")
    source: str = Field(description="Item id converted.")
    target: str = Field(description="Item id it becomes.")
    rate: ScheduleText = Field(description="Conversions per period.")
    every: Duration = Field("1w", description="How often conversions are credited.")


@dataclass(frozen=True)
class Conversion:
    id: str
    holder: str
    source: str
    target: str
    rate: Schedule
    every_days: float


def build(b: Builder, name: str, spec: ConversionSpec) -> Conversion | None:
    path = ("conversion", name)
    b.known((*path, "holder"), spec.holder, "holder")
    b.known((*path, "source"), spec.source, "item")
    b.known((*path, "target"), spec.target, "item")
    rate = b.schedule((*path, "rate"), spec.rate, "quantity", "linear")
    every = b.every((*path, "every"), spec.every)
    if rate is None or every is None:
        return None
    return Conversion(name, spec.holder, spec.source, spec.target, rate, every)


def footprint(c: Conversion) -> Footprint:
    return Footprint.of(
        reads=[(c.holder, c.source)], used=[(c.holder, c.source)], produced=[(c.holder, c.target)]
    )


def conversion(ctx: Context, spec: Conversion, index: int) -> Process:
    rate = Integrator(draw_rates(spec.rate, ctx.draws(f"conversion.{spec.id}"), "rate"))
    source, target = ctx.cell(spec.holder, spec.source), ctx.cell(spec.holder, spec.target)
    for day in action_days(spec.every_days, ctx.end_day):
        yield ctx.clock.at(day, KIND.phase, index)
        made = np.minimum(rate.step(day), ctx.ledger.stock[source])
        ctx.ledger.remove(source, made, "used", day)
        ctx.ledger.add(target, made, "produced", day)


KIND = Kind(
    section="conversion",
    label="conversion",
    description="Conversion id -> conversion.",
    spec=ConversionSpec,
    model=Conversion,
    build=build,
    footprint=footprint,
    process=conversion,
    phase=35,
)

SCENARIO = """\
name: Stored tanks made active
start: 2024-01-01
horizon: 10w
items: {stored: {label: Stored tank}, active: {label: Active tank}}
holders:
  army: {stock: {stored: 100, active: 20}}
conversion:
  refit: {holder: army, source: stored, target: active, rate: 2/d}
"""


@pytest.fixture
def toy() -> object:
    with registered(KIND):
        yield KIND


@pytest.mark.usefixtures("toy")
def test_the_new_section_is_read_and_checked() -> None:
    scenario = sim.load_scenario_text(SCENARIO)
    assert list(scenario.section("conversion")) == ["refit"]
    assert "conversion" in json_schema()["properties"]
    with pytest.raises(sim.ScenarioError) as error:
        sim.load_scenario_text(SCENARIO.replace("rate: 2/d", "rate: 2/d, sorce: x"))
    assert str(error.value) == (
        "<string>:8: conversion.refit.sorce: unknown key 'sorce' (did you mean 'source'?)"
    )
    with pytest.raises(sim.ScenarioError, match=r"conversion\.refit\.target: unknown item 'tank'"):
        sim.load_scenario_text(SCENARIO.replace("target: active", "target: tank"))


@pytest.mark.usefixtures("toy")
def test_validate_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "tanks.yaml"
    path.write_text(SCENARIO)
    done = CliRunner().invoke(main, ["validate", str(path)])
    assert done.exit_code == 0 and "1 processes" in done.output


@pytest.mark.usefixtures("toy")
@pytest.mark.slow
def test_it_is_simulated_summarised_and_charted(tmp_path: Path) -> None:
    results = sim.run(sim.load_scenario_text(SCENARIO), deterministic=True)
    stock = results.dataset["stock"].sel(holder="army").isel(run=0)
    converted = np.minimum(14.0 * np.arange(11), 100.0)  # 2 a day, credited weekly, 100 stored
    np.testing.assert_allclose(stock.sel(item="stored"), 100 - converted)
    np.testing.assert_allclose(stock.sel(item="active"), 20 + converted)
    used = results.dataset["used"].sel(holder="army", item="stored").isel(run=0, time=-1)
    assert float(used) == 100.0
    summary = results.summary().set_index(["item", "metric"])
    assert summary.loc[("active", "stock_at_end"), "p50"] == 120.0
    assert summary.loc[("stored", "depleted_at"), "p50"] == pd.Timestamp("2024-02-26")  # week 8
    from sim.plots import write_charts

    names = {p.name for p in write_charts(results, tmp_path)}
    assert {"fan_army_stored.png", "flows_army_active.png", "timeline.png"} <= names


def test_the_oracle_and_the_registry_know_when_a_kind_is_missing() -> None:
    with registered(KIND):
        assert KIND in kinds() and not implements("conversion")
    assert KIND not in kinds()


@pytest.mark.usefixtures("toy")
def test_the_scaling_variants_copy_it() -> None:
    copies = with_items_replicated(sim.load_scenario_text(SCENARIO), 2)
    refit = copies.section("conversion")["refit_x2"]
    assert (refit.source, refit.target) == ("stored_x2", "active_x2")


def test_a_kind_cannot_take_a_section_or_phase_in_use() -> None:
    for clash in ({"section": "production"}, {"phase": kinds()[0].phase}):
        fields = {**KIND.__dict__, **clash}
        with pytest.raises(ValueError, match="already taken"), registered(Kind(**fields)):
            pass


def test_a_footprint_names_only_declared_quantities() -> None:
    with pytest.raises(ValueError, match="not a declared level or flow: spent"):
        Footprint.of(spent=[("army", "stored")])


def test_results_record_which_fleets_have_repair() -> None:
    hub = """\
name: A hub
start: 2024-01-01
horizon: 8w
items: {gun: {}}
holders: {ally: {stock: {gun: 50}}, hub: {}}
attrition:
  combat: {holder: ally, item: gun, rate: 20%/mo, repairable: 50%, repair_time: 2w,
           repair_to: hub}
"""
    results = sim.run(sim.load_scenario_text(hub), runs=5, seed=1)
    assert json.loads(results.dataset.attrs["fleets"]) == [["ally", "gun", ["hub"]]]
