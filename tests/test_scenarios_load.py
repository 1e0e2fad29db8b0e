"""Every scenario shipped in scenarios/ loads, validates and states its sources."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from sim.scenario import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def test_the_flagship_scenarios_are_there() -> None:
    names = {p.name for p in SCENARIOS}
    assert {
        "us_155mm_m777.yaml",
        "howitzers_ukraine.yaml",
        "howitzers_guns_and_shells.yaml",
        "javelin_stinger.yaml",
        "eu_million_shells.yaml",
    } <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_scenario_loads_without_problems_or_warnings(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario = load_scenario(path)
    assert scenario.sources, "a shipped scenario cites its sources"
    assert scenario.holders and scenario.items
    assert path.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../scenario.schema.json\n"
    )


def test_pda_shell_donations_are_calibrated_to_the_reported_totals() -> None:
    """~806k by 24 Aug 2022 and >2M by Aug 2023 (means of the step schedule)."""
    scenario = load_scenario(next(p for p in SCENARIOS if p.name == "us_155mm_m777.yaml"))
    schedule = scenario.section("donations")["pda_shells"].rate
    assert schedule is not None and schedule.interpolate == "step"

    def shipped_by(day: float) -> float:
        ends = [*schedule.days[1:], float("inf")]
        return sum(
            r.amount.mean / r.period_days * max(0.0, min(end, day) - start)
            for start, end, r in zip(schedule.days, ends, schedule.rates, strict=True)
        )

    aug_2022 = 181.0  # 2022-08-24
    aug_2023 = aug_2022 + 365
    assert shipped_by(aug_2022) == pytest.approx(806_000, rel=0.05)
    assert shipped_by(aug_2023) > 2_000_000
