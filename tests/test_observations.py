"""Observations: the section, its data files, and the values the engine records in every run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import test_fingerprint as fp
from builders import DRAWDOWN

import sim
from sim.results import open_results
from sim.scenario.model import Observation, Point
from sim.values import is_value_variable

HEAD = """\
name: Observed drawdown
start: 2024-01-01
horizon: 1y
report_every: 1w
items: {shell: {label: Shell, unit: rounds}}
holders:
  army: {label: Army, stock: {shell: 1000}}
  ally: {label: Ally}
"""
#: ``ally`` is there for the tests that give it something; the others leave it unused.
pytestmark = pytest.mark.filterwarnings("ignore:.*no process names this holder")
DRAIN = HEAD + "consumption:\n  fire: {holder: army, item: shell, rate: 10/d}\n"


def load(text: str, tmp_path: Path, files: dict[str, str] | None = None) -> sim.Results:
    """The scenario ``text`` written to a file beside its data ``files``, loaded."""
    for name, content in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return sim.load_scenario(path)


def problems(text: str, tmp_path: Path, files: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(sim.ScenarioError) as caught:
        load(text, tmp_path, files)
    return [str(p) for p in caught.value.problems]


def observed(results: sim.Results) -> dict[tuple[str, str], np.ndarray]:
    """(observation, ISO date) -> the runs' values."""
    data = results.dataset["observed"]
    return {
        (str(o), str(d)[:10]): data.isel(point=k).values
        for k, (o, d) in enumerate(
            zip(data["observation"].values, data["date"].values, strict=True)
        )
    }


# ---- the model -------------------------------------------------------------------------------


def test_the_section_becomes_observations_with_points_in_date_order(tmp_path: Path) -> None:
    text = (
        DRAIN
        + """\
observations:
  seen:
    holder: army
    item: shell
    of: stock
    values: {2024-02-01: 690, 2024-01-11: 900}
    error: 5%
    source: press
  lost_guns: {holder: army, item: shell, of: consumed, values: {+10d: 100}, bound: at_least}
  units: {holder: army, item: shell, of: consumed, values: {2024-03-01: 0}, error: 600}
"""
    )
    scenario = load(text, tmp_path)
    assert scenario.observations["seen"] == Observation(
        "seen", "army", "shell", "stock",
        (Point(10.0, dt.date(2024, 1, 11), 900.0), Point(31.0, dt.date(2024, 2, 1), 690.0)),
        "exact", error_share=0.05, error_units=None, source="press",
    )  # fmt: skip
    assert scenario.observations["seen"].error_sds() == (45.0, 34.5)
    bound = scenario.observations["lost_guns"]
    assert (bound.bound, bound.points[0].day, bound.error_sds()[0] != bound.error_sds()[0]) == (
        "at_least", 10.0, True  # NaN: a bound has no reporting error
    )  # fmt: skip
    assert scenario.observations["units"].error_sds() == (600.0,)


def test_values_from_a_data_file_equal_the_same_values_inline(tmp_path: Path) -> None:
    inline = load(DRAIN + "observations:\n  seen: {holder: army, item: shell, of: stock, "
                  "values: {2024-01-11: 900, 2024-02-01: 690}, error: 5}\n", tmp_path)  # fmt: skip
    csv = '# stock seen\ndate,value,note\n2024-01-11,900,first\n\n"2024-02-01", "690",x\n'
    text = DRAIN + ("observations:\n  seen: {holder: army, item: shell, of: stock, "
                    "values: {file: data/seen.csv}, error: 5}\n")  # fmt: skip
    filed = load(text, tmp_path, {"data/seen.csv": csv})
    assert filed.observations == inline.observations


def test_the_scenario_hash_covers_its_data_files(tmp_path: Path) -> None:
    text = DRAIN + ("observations:\n  seen: {holder: army, item: shell, of: stock, "
                    "values: {file: seen.csv}, error: 5}\n")  # fmt: skip
    first = load(text, tmp_path, {"seen.csv": "date,value\n2024-01-11,900\n"}).sha256
    again = load(text, tmp_path, {"seen.csv": "date,value\n2024-01-11,900\n"}).sha256
    changed = load(text, tmp_path, {"seen.csv": "date,value\n2024-01-11,901\n"}).sha256
    assert first == again != changed


# ---- located problems ------------------------------------------------------------------------


def test_every_bad_field_is_located_with_a_hint(tmp_path: Path) -> None:
    text = (
        HEAD
        + """\
observations:
  seen:
    holder: amry
    item: shel
    of: stok
    values: {2024-01-11: -900, 2026-02-01: 690, 2024-01-12: 5}
  bounded: {holder: army, item: shell, of: lost, values: {2024-01-11: 5}, bound: at_most,
            error: 10%}
  zero: {holder: army, item: shell, of: stock, values: {2024-01-11: 0}, error: 10%}
  nil: {holder: army, item: shell, of: stock, values: {2024-01-11: 3}, error: 0}
  odd: {holder: army, item: shell, of: stock, values: {+1.5d: 3}, bound: at_least}
"""
    )
    found = problems(text, tmp_path)
    where = str(tmp_path / "scenario.yaml")
    assert found == [
        f"{where}:11: observations.seen.holder: unknown holder 'amry' (did you mean 'army'?)",
        f"{where}:12: observations.seen.item: unknown item 'shel' (did you mean 'shell'?)",
        f"{where}:13: observations.seen.of: 'stok' is not a level or cumulative flow "
        "(did you mean 'stock'?)",
        f"{where}:10: observations.seen: an exact observation needs an error (the reporting "
        "error's standard deviation: error: 10% or error: 600)",
        f"{where}:14: observations.seen.values.2024-01-11: an observed value cannot be "
        "negative, got -900 (levels and cumulative flows are counts >= 0)",
        f"{where}:14: observations.seen.values.2026-02-01: the date 2026-02-01 is outside the "
        "scenario (2024-01-01 to 2024-12-31) (observations are compared within the horizon)",
        f"{where}:16: observations.bounded.error: an error applies only to exact values, not "
        "to a bound (at_most) (leave error out of a bound)",
        f"{where}:17: observations.zero.values.2024-01-11: a value of 0 with an error as a "
        "share has no error (give the error in units (error: 5))",
        f"{where}:18: observations.nil.error: the error must be > 0, got 0 (a standard "
        "deviation: 10% of the value, or 600 units)",
        f"{where}:19: observations.odd.values.+1.5d: '+1.5d' is not a whole day (an "
        "observation is of a date: write 2023-10-31)",
    ]


def test_unknown_keys_and_missing_values_are_located(tmp_path: Path) -> None:
    text = HEAD + "observations:\n  seen: {holder: army, item: shell, of: stock, valeus: {}}\n"
    found = problems(text, tmp_path)
    assert any("observations.seen: missing required key 'values'" in p for p in found)
    assert any("observations.seen.valeus: unknown key 'valeus' (did you mean 'values'?)" in p
               for p in found)  # fmt: skip


def test_problems_in_a_data_file_are_located_at_line_and_column(tmp_path: Path) -> None:
    csv = "date,value\n2024-01-05,x40\n2028-03-01, 500\n2024-02-01,-3\nfoo,3\n2024-02-03\n"
    text = HEAD + ("observations:\n  seen: {holder: army, item: shell, of: lost, "
                   "values: {file: data/seen.csv}, bound: at_most}\n")  # fmt: skip
    found = problems(text, tmp_path, {"data/seen.csv": csv})
    data = str(tmp_path / "data" / "seen.csv")
    field = "observations.seen.values"
    assert found == [
        f"{data}:6:11: {field}: no value on this line (each line gives date,value)",
        f"{data}:2:12: {field}: cannot read 'x40' as a quantity (write e.g. 7000, 14.4k, "
        "1.5e6, 3.9M or a distribution such as 1.5M to 3M)",
        f"{data}:3:1: {field}: the date 2028-03-01 is outside the scenario (2024-01-01 to "
        "2024-12-31) (observations are compared within the horizon)",
        f"{data}:4:12: {field}: an observed value cannot be negative, got -3 (levels and "
        "cumulative flows are counts >= 0)",
        f"{data}:5:1: {field}: cannot read 'foo' as a date (write an ISO date such as "
        "2024-09-01 or an offset from start such as +32mo)",
    ]


def test_two_values_on_one_date_are_located_at_the_second(tmp_path: Path) -> None:
    text = HEAD + ("observations:\n  seen: {holder: army, item: shell, of: lost, "
                   "values: {file: seen.csv}, bound: at_most}\n")  # fmt: skip
    csv = "date,value\n2024-01-05,4\n+4d,5\n"
    assert problems(text, tmp_path, {"seen.csv": csv}) == [
        f"{tmp_path / 'seen.csv'}:3:1: observations.seen.values: two values on the same date "
        "(keep one)"
    ]


def test_a_data_file_without_its_columns_or_missing_is_located(tmp_path: Path) -> None:
    text = HEAD + ("observations:\n  a: {holder: army, item: shell, of: lost, "
                   "values: {file: a.csv}, bound: at_most}\n"
                   "  b: {holder: army, item: shell, of: lost, values: {file: b.csv}, "
                   "bound: at_most}\n")  # fmt: skip
    found = problems(text, tmp_path, {"a.csv": "day,value\n2024-01-05,4\n"})
    assert found == [
        f"{tmp_path / 'a.csv'}:1:1: observations.a.values: no column date in the header "
        "(its first line names the columns: date,value)",
        f"{tmp_path / 'scenario.yaml'}:11: observations.b.values.file: cannot read "
        f"{tmp_path / 'b.csv'}: No such file or directory (the path is relative to the "
        "scenario file)",
    ]


def test_deliveries_from_a_data_file_equal_the_same_tranches_inline(tmp_path: Path) -> None:
    give = "donations:\n  aid: {from: army, to: ally, item: shell, deliveries: %s}\n"
    inline = load(HEAD + give % "{2024-01-11: 50, 2024-03-01: 1.5k}", tmp_path)
    filed = load(HEAD + give % "{file: tranches.csv}", tmp_path,
                 {"tranches.csv": "date,quantity\n2024-01-11,50\n2024-03-01,1.5k\n"})  # fmt: skip
    assert filed.processes == inline.processes


def test_problems_in_a_deliveries_file_are_located_at_line_and_column(tmp_path: Path) -> None:
    give = "donations:\n  aid: {from: army, to: ally, item: shell, deliveries: {file: t.csv}}\n"
    csv = "date,quantity\n2024-01-05,$4M\n2024-02-01,-3\nfoo,3\n2024-02-03\n"
    found = problems(HEAD + give, tmp_path, {"t.csv": csv})
    data, field = tmp_path / "t.csv", "donations.aid.deliveries"
    assert found == [
        f"{data}:5:11: {field}: no quantity on this line (each line gives date,quantity)",
        f"{data}:2:12: {field}: an amount in money needs a price for item 'shell' (give "
        "items.shell.unit_cost (a value or a dated schedule))",
        f"{data}:3:12: {field}: must be >= 0, got -3",
        f"{data}:4:1: {field}: cannot read 'foo' as a date (write an ISO date such as "
        "2024-09-01 or an offset from start such as +32mo)",
    ]


# ---- recorded at the end of the day ----------------------------------------------------------


def test_a_draining_stock_is_observed_exactly_off_the_weekly_grid(tmp_path: Path) -> None:
    text = (
        DRAIN
        + """\
observations:
  left: {holder: army, item: shell, of: stock, values: {2024-01-01: 1, 2024-01-11: 1,
         2024-02-01: 1}, error: 1}
  fired: {holder: army, item: shell, of: consumed, values: {2024-01-11: 1, 2024-12-31: 1},
          bound: at_least}
"""
    )
    results = sim.run(load(text, tmp_path), runs=3, seed=1)
    seen = observed(results)
    # 10 a day from day 1: day 0 is the start, day 10 is between the weekly days 7 and 14
    assert np.array_equal(seen[("left", "2024-01-01")], [1000.0] * 3)
    assert np.array_equal(seen[("left", "2024-01-11")], [900.0] * 3)
    assert np.array_equal(seen[("left", "2024-02-01")], [690.0] * 3)
    assert np.array_equal(seen[("fired", "2024-01-11")], [100.0] * 3)
    assert np.array_equal(seen[("fired", "2024-12-31")], [1000.0] * 3)  # all gone by day 100
    weekly = results.dataset.stock.sel(holder="army", item="shell", run=0)
    assert set(weekly.sel(time=["2024-01-08", "2024-01-15"]).values) == {930.0, 860.0}


def test_an_observation_follows_every_action_of_its_day(tmp_path: Path) -> None:
    text = (
        HEAD
        + """\
consumption:
  fire: {holder: army, item: shell, rate: 10/d, every: 1w}
donations:
  aid: {from: army, to: ally, item: shell, deliveries: {2024-01-11: 50}}
observations:
  left: {holder: army, item: shell, of: stock, values: {2024-01-07: 1, 2024-01-08: 1,
         2024-01-10: 1, 2024-01-11: 1}, error: 1}
  got: {holder: ally, item: shell, of: received, values: {2024-01-10: 1, 2024-01-11: 1},
        error: 1}
"""
    )
    seen = observed(sim.run(load(text, tmp_path), deterministic=True))
    # weekly consumption acts on day 7 (2024-01-08) for the 7 days just ended
    assert [float(seen[("left", d)][0]) for d in ("2024-01-07", "2024-01-08", "2024-01-10")] == [
        1000.0, 930.0, 930.0,
    ]  # fmt: skip
    assert float(seen[("left", "2024-01-11")][0]) == 880.0  # the tranche left that day
    assert [float(seen[("got", d)][0]) for d in ("2024-01-10", "2024-01-11")] == [0.0, 50.0]


def test_on_the_weekly_grid_every_run_equals_its_snapshot(tmp_path: Path) -> None:
    text = (
        DRAWDOWN
        + """\
observations:
  army: {holder: army, item: shell, of: stock, values: {2024-03-04: 1, 2024-09-02: 1},
         error: 1}
  sent: {holder: army, item: shell, of: sent, values: {2024-06-03: 1}, bound: at_most}
  ally: {holder: ally, item: shell, of: in_transit, values: {2024-06-03: 1}, error: 1}
"""
    )
    results = sim.run(load(text, tmp_path), runs=400, seed=5)
    data = results.dataset
    for k in range(data.sizes["point"]):
        point = data.observed.isel(point=k)
        name, holder = str(point["observation_of"].values), str(point["observation_holder"].values)
        weekly = data[name].sel(holder=holder, item="shell", time=point["date"].values)
        assert weekly.dtype == np.float32  # stored series; the observed values are float64
        assert np.array_equal(point.values.astype(np.float32), weekly.values)
        assert np.ptp(point.values) > 0  # the runs differ: each run's own value is kept


@pytest.mark.slow
def test_observations_change_no_result(tmp_path: Path) -> None:
    text = (
        (fp.ROOT / "benchmarks" / "reference.yaml").read_text()
        + """
observations:
  shells: {holder: us, item: shell_155, of: stock, values: {2023-05-17: 1M, 2025-01-02: 1M},
           error: 10%}
  guns: {holder: ukraine, item: m777, of: lost, values: {2022-12-31: 20}, bound: at_least}
"""
    )
    scenario = load(text, tmp_path)
    for deterministic in (False, True):
        results = sim.run(scenario, runs=fp.RUNS, seed=fp.SEED, deterministic=deterministic)
        assert "observed" in results.dataset
        key = f"reference:{'deterministic' if deterministic else 'random'}"
        assert fp.digest(results.dataset, fp.CONTRACT) == fp.DIGESTS[key]
    summary = sim.run(scenario, runs=fp.RUNS, seed=fp.SEED, keep="summary").dataset
    kept = {str(n) for n in summary.data_vars}
    added = {"inputs"} | {n for n in kept if n.startswith(("sampled_", "observed"))}
    names = sorted(n for n in kept - added if not is_value_variable(n))
    assert "observed_below" in kept
    assert fp.digest(summary, names) == fp.DIGESTS["reference:summary"]


# ---- results ---------------------------------------------------------------------------------


OBSERVED_DRAWDOWN = (
    DRAWDOWN
    + """\
observations:
  army: {holder: army, item: shell, of: stock, values: {2024-03-05: 55k, 2024-09-02: 30k},
         error: 10%, source: a report}
  aid: {holder: ally, item: shell, of: received, values: {2024-06-01: 20k}, bound: at_least}
"""
)


def test_results_round_trip_with_their_observations(tmp_path: Path) -> None:
    results = sim.run(load(OBSERVED_DRAWDOWN, tmp_path), runs=50, seed=2)
    results.to_netcdf(tmp_path / "results.nc")
    back = open_results(tmp_path / "results.nc").dataset.observed
    data = results.dataset.observed
    assert back.dims == ("run", "point") and back.shape == (50, 3)
    assert np.array_equal(back.values, data.values)
    assert back["date"].dtype == np.dtype("datetime64[s]")
    assert [str(d)[:10] for d in back["date"].values] == ["2024-03-05", "2024-09-02", "2024-06-01"]
    assert list(back["observation"].values) == ["army", "army", "aid"]
    assert list(back["value"].values) == [55e3, 30e3, 20e3]
    assert list(back["bound"].values) == ["exact", "exact", "at_least"]
    assert np.allclose(back["error_sd"].values, [5.5e3, 3e3, np.nan], equal_nan=True)
    assert list(back["observation_source"].values) == ["a report", "a report", ""]
    assert list(back["observation_of"].values) == ["stock", "stock", "received"]


@pytest.mark.slow
def test_summary_only_results_keep_exact_counts_of_the_runs(tmp_path: Path) -> None:
    scenario = load(OBSERVED_DRAWDOWN, tmp_path)
    full = sim.run(scenario, runs=6000, seed=2).dataset.observed  # two chunks
    summary = sim.run(scenario, runs=6000, seed=2, keep="summary")
    summary.to_netcdf(tmp_path / "summary.nc")
    kept = open_results(tmp_path / "summary.nc").dataset
    value = full["value"].values
    assert np.array_equal(kept.observed_below.values, (full.values < value).sum(axis=0))
    assert np.array_equal(kept.observed_equal.values, (full.values == value).sum(axis=0))
    assert np.array_equal(kept.observed.sel(quantile=0.0).values, full.min("run").values)
    assert np.array_equal(kept.observed.sel(quantile=1.0).values, full.max("run").values)
    assert np.allclose(kept.observed_mean.values, full.mean("run").values, rtol=1e-12)
    assert [str(d)[:10] for d in kept["observed_date"].values] == [
        "2024-03-05", "2024-09-02", "2024-06-01",
    ]  # fmt: skip


def test_results_without_observations_have_no_observed_variable(tmp_path: Path) -> None:
    results = sim.run(load(DRAIN, tmp_path), runs=2, seed=1)
    assert "observed" not in results.dataset and "point" not in results.dataset.dims


def test_observed_values_are_the_same_for_any_number_of_workers(tmp_path: Path) -> None:
    scenario = load(OBSERVED_DRAWDOWN, tmp_path)
    serial = sim.run(scenario, runs=5500, seed=8).dataset.observed
    parallel = sim.run(scenario, runs=5500, seed=8, workers=2).dataset.observed
    assert np.array_equal(serial.values, parallel.values)


def test_an_observation_of_what_nothing_moves_is_warned(tmp_path: Path) -> None:
    text = (
        DRAIN
        + """\
observations:
  lost: {holder: army, item: shell, of: lost, values: {2024-01-11: 9}, bound: at_most}
  empty: {holder: ally, item: shell, of: stock, values: {2024-01-11: 9}, bound: at_most}
  left: {holder: army, item: shell, of: stock, values: {2024-01-11: 9}, bound: at_most}
  fired: {holder: army, item: shell, of: consumed, values: {2024-01-11: 9}, bound: at_most}
"""
    )
    with pytest.warns(sim.ScenarioWarning) as caught:
        load(text, tmp_path)
    where = tmp_path / "scenario.yaml"
    assert [str(w.message) for w in caught] == [
        f"{where}:12: observations.lost.of: nothing changes lost of shell at army: it is 0 in "
        "every run (observe a holder and item that a process moves)",
        f"{where}:13: observations.empty.of: nothing changes stock of shell at ally: it is 0 "
        "in every run (observe a holder and item that a process moves)",
    ]


QUEUED = """\
name: Guns queued for repair
start: 2024-01-01
horizon: 6mo
report_every: 1w
items: {gun: {label: Gun, unit: systems}}
holders:
  army: {label: Army, stock: {gun: 200}}
attrition:
  damage: {holder: army, item: gun, rate: 10% /mo, repairable: 100%, repair_time: 4 to 8 w,
           repair_capacity: 5 /mo}
observations:
  out: {holder: army, item: gun, of: out_of_action, values: {2024-03-04: 1, 2024-05-06: 1},
        error: 1}
  repairing: {holder: army, item: gun, of: in_repair, values: {2024-03-04: 1, 2024-05-06: 1},
              error: 1}
  queued: {holder: army, item: gun, of: awaiting_repair, values: {2024-03-04: 1, 2024-05-06: 1},
           error: 1}
"""


def test_out_of_action_is_in_repair_plus_awaiting_repair_in_every_run(tmp_path: Path) -> None:
    results = sim.run(load(QUEUED, tmp_path), runs=300, seed=11)
    seen = observed(results)
    for date in ("2024-03-04", "2024-05-06"):
        repairing, queued = seen[("repairing", date)], seen[("queued", date)]
        assert repairing.min() > 0 and queued.min() > 0  # both levels count: the sum can fail
        assert np.array_equal(seen[("out", date)], repairing + queued)
        # and on the weekly grid, the stored levels of the same day (float32: one rounding each)
        weekly = results.dataset[["in_repair", "awaiting_repair"]].sel(
            holder="army", item="gun", time=np.datetime64(date)
        )
        total = weekly["in_repair"].values + weekly["awaiting_repair"].values
        np.testing.assert_allclose(seen[("out", date)], total, rtol=2e-7)


def test_out_of_action_of_a_fleet_with_no_repairs_is_warned(tmp_path: Path) -> None:
    text = DRAIN + (
        "observations:\n  out: {holder: army, item: shell, of: out_of_action,"
        " values: {2024-03-04: 1}, error: 1}\n"
    )
    with pytest.warns(sim.ScenarioWarning, match="nothing changes out_of_action of shell"):
        load(text, tmp_path)
