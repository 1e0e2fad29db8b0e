"""Horizons of centuries: dates stay exact to the day from 1583 to 9999 (``sim.limits``), in
results, summaries, files, goals, rankings and every output of ``stockpile run``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.goals import parse_goal
from sim.limits import FIRST_DATE, LAST_DATE

START = dt.date(2025, 1, 1)
#: The donor gives 1 a day until it has given 328,725 (its stock less its floor), then a line
#: opening on 2950-01-01 makes 3,287.25 a day: 100 days refill it. Every process acts daily.
THOUSAND_YEARS = """\
name: A thousand years
start: 2025-01-01
horizon: 1000y
report_every: 10y
items: {gun: {}}
holders:
  donor: {stock: {gun: 400000}, floor: {gun: 71275}, target: {gun: 400000}}
  ally: {}
production:
  line: {item: gun, to: donor, rate: {2950-01-01: 3287.25/d}, every: 1d}
donations:
  aid: {from: donor, to: ally, item: gun, rate: RATE, cap: 328725, every: 1d}
"""
DEPLETED = START + dt.timedelta(days=328_725)  # 2925-01-08
REPLENISHED = dt.date(2950, 1, 1) + dt.timedelta(days=100)  # 2950-04-11


NAT = np.datetime64("NaT", "s")


def day(date: dt.date) -> np.datetime64:
    return np.datetime64(date, "s")


@pytest.fixture(scope="module")
def results() -> sim.Results:
    return sim.run(sim.load_scenario_text(THOUSAND_YEARS.replace("RATE", "1/d")), runs=3)


def cell(results: sim.Results, name: str, holder: str = "donor") -> np.ndarray:
    return np.asarray(results.dataset[name].sel(holder=holder, item="gun").values)


@pytest.mark.slow
def test_events_a_thousand_years_ahead_fall_on_their_day(results: sim.Results) -> None:
    assert dt.date(2925, 1, 8) == DEPLETED
    assert (cell(results, "depleted_at") == day(DEPLETED)).all()
    assert (cell(results, "trough_at") == day(DEPLETED)).all()
    assert (cell(results, "replenished_at") == day(REPLENISHED)).all()


def test_reported_times_span_the_thousand_years(results: sim.Results) -> None:
    times = results.dataset["time"].values
    assert times.dtype == np.dtype("datetime64[s]") and len(times) == 101
    # 10 y = 3,652.5 days: every other reported time falls at noon
    expected = [np.datetime64("2025-01-01T00:00:00") + np.timedelta64(315_576_000 * k, "s")
                for k in range(101)]  # fmt: skip
    assert list(times) == expected
    assert times[-1] == day(START + dt.timedelta(days=365_250)) == day(dt.date(3025, 1, 9))


def test_the_ledger_over_a_thousand_years_is_exact(results: sim.Results) -> None:
    produced_days = (dt.date(3025, 1, 9) - dt.date(2950, 1, 1)).days  # 27,401
    assert float(cell(results, "produced")[0, -1]) == np.float32(produced_days * 3287.25)
    assert (cell(results, "received", "ally")[:, -1] == 328_725).all()
    assert (cell(results, "trough") == 71_275).all()


@pytest.mark.slow
def test_the_summary_and_summary_only_mode_give_the_same_dates(results: sim.Results) -> None:
    rows = results.summary().set_index(["holder", "metric"])
    assert rows.loc[("donor", "depleted_at"), "p50"] == pd.Timestamp(DEPLETED)
    assert rows.loc[("donor", "replenished_at"), "mean"] == pd.Timestamp(REPLENISHED)
    scenario = sim.load_scenario_text(THOUSAND_YEARS.replace("RATE", "1/d"))
    summary = sim.run(scenario, runs=3, keep="summary").summary().set_index(["holder", "metric"])
    assert summary.loc[("donor", "depleted_at"), "p10"] == pd.Timestamp(DEPLETED)
    assert summary.loc[("donor", "replenished_at"), "p90"] == pd.Timestamp(REPLENISHED)


def test_dates_past_2262_survive_the_file(results: sim.Results, tmp_path: Path) -> None:
    results.to_netcdf(tmp_path / "r.nc")
    back = sim.open_results(tmp_path / "r.nc").dataset
    xr.testing.assert_identical(results.dataset, back)
    assert back["depleted_at"].dtype == np.dtype("datetime64[s]")


def test_goals_read_dates_past_2262(results: sim.Results) -> None:
    goal = parse_goal("donor.gun back at target by 2950-04-11 with 90%")
    assert goal.measure(results.dataset).value == 1.0
    earlier = parse_goal("donor.gun back at target by 2950-04-10 with 90%")
    assert earlier.measure(results.dataset).value == 0.0


@pytest.mark.slow
def test_uncertain_dates_centuries_ahead_follow_each_runs_rate() -> None:
    """Without the cap the donor ships ``rate`` a day down to its floor: it is there on day
    ceil(328,725 / rate), unless the line has started refilling it before (then never)."""
    uncertain = THOUSAND_YEARS.replace("RATE", "0.95 to 1.05 /d").replace("cap: 328725, ", "")
    results = sim.run(sim.load_scenario_text(uncertain), runs=200)
    rates = results.dataset["inputs"].sel(input="donations.aid.rate").values
    days = np.where(np.ceil(328_725 / rates) < (dt.date(2950, 1, 1) - START).days,
                    np.ceil(328_725 / rates), np.inf)  # fmt: skip
    expected = [day(START + dt.timedelta(days=d)) if d < np.inf else NAT for d in days]
    np.testing.assert_array_equal(cell(results, "depleted_at"), np.array(expected))
    found = sim.explain(results, "depleted_at", "donor", "gun")
    assert found.table["input"].iloc[0] == "donations.aid.rate"
    assert found.table["rank_correlation"].iloc[0] < -0.9
    assert found.outcome.censored == np.isinf(days).mean() > 0
    median = np.quantile(days, 0.5, method="inverted_cdf")
    assert found.outcome.as_date(found.median) == day(START + dt.timedelta(days=median))


def test_the_whole_supported_span_runs(tmp_path: Path) -> None:
    """A tranche on the last supported date empties a stock started on the first."""
    text = f"""\
name: The whole span
start: {FIRST_DATE}
end: {LAST_DATE}
report_every: 100y
items: {{gun: {{}}}}
holders:
  donor: {{stock: {{gun: 10}}}}
  ally: {{}}
donations:
  last: {{from: donor, to: ally, item: gun, deliveries: {{{LAST_DATE}: 10}}}}
"""
    results = sim.run(sim.load_scenario_text(text), runs=2)
    assert results.dataset["time"].values[0] == day(FIRST_DATE)
    assert (cell(results, "depleted_at") == day(LAST_DATE)).all()
    results.to_netcdf(tmp_path / "r.nc")
    xr.testing.assert_identical(results.dataset, sim.open_results(tmp_path / "r.nc").dataset)


@pytest.mark.slow
def test_stockpile_run_writes_every_output_for_a_thousand_years(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("long.yaml").write_text(THOUSAND_YEARS.replace("RATE", "1/d"))
    done = CliRunner().invoke(main, ["run", "long.yaml", "--runs", "3", "--out", "out"])
    assert done.exit_code == 0, done.output
    summary = pd.read_csv("out/summary.csv").set_index(["holder", "metric"])
    assert summary.loc[("donor", "depleted_at"), "p50"] == "2925-01-08"
    assert summary.loc[("donor", "replenished_at"), "p50"] == "2950-04-11"
    assert {p.name for p in Path("out/charts").iterdir()} >= {"timeline.png", "fan_donor_gun.png"}
    for command in (["export", "out"], ["brief", "out"]):
        assert CliRunner().invoke(main, command).exit_code == 0, command
    assert Path("out/results.xlsx").is_file() and Path("out/brief.pptx").is_file()
