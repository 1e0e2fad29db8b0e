"""`sim.check` and `stockpile check`: observations against the runs, by hand and end to end."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.evidence.check import COLUMNS, NoObservations, check, verdict

RUNS = np.arange(1.0, 101.0)  # the runs' values 1, 2, ..., 100


def observed(values: list[float], bounds: list[str], runs: np.ndarray = RUNS) -> xr.Dataset:
    """Results whose every point's runs are ``runs``, observed as ``values`` with ``bounds``."""
    count = len(values)
    data = np.repeat(runs[:, None], count, axis=1)
    dates = np.array([np.datetime64("2024-01-01", "s") + np.timedelta64(k, "D")
                      for k in range(count)])  # fmt: skip
    coords = {
        "point": np.arange(count),
        "observation": ("point", np.array([f"o{k}" for k in range(count)])),
        "date": ("point", dates),
        "value": ("point", np.array(values, dtype=float)),
        "bound": ("point", np.array(bounds)),
        "error_sd": ("point", np.where(np.array(bounds) == "exact", 1.0, np.nan)),
        "observation_holder": ("point", np.array(["army"] * count)),
        "observation_item": ("point", np.array(["shell"] * count)),
        "observation_of": ("point", np.array(["stock"] * count)),
        "observation_source": ("point", np.array(["press"] * count)),
    }
    return xr.Dataset({"observed": (("run", "point"), data)}, coords=coords, attrs={"runs": 100})


def test_percentiles_and_verdicts_of_exact_values_by_hand() -> None:
    table = check(observed([3, 7, 50, 93, 97, 100.5], ["exact"] * 6))
    assert list(table.columns[: len(COLUMNS)]) == list(COLUMNS)
    # mid-rank: 3 has 2 runs below and 1 equal: (2 + 0.5) / 100
    assert table["percentile"].tolist() == [2.5, 6.5, 49.5, 92.5, 96.5, 100.0]
    assert table["verdict"].tolist() == [
        "surprising: below p5", "below the 80% band", "inside the 80% band",
        "above the 80% band", "surprising: above p95", "surprising: above p95",
    ]  # fmt: skip
    # linear between order statistics: p10 at 0.1 * 99 = 9.9 -> 10 + 0.9
    assert table[["p10", "p50", "p90"]].iloc[0].tolist() == pytest.approx([10.9, 50.5, 90.1])
    assert table["date"].tolist() == [dt.date(2024, 1, 1) + dt.timedelta(days=k)
                                      for k in range(6)]  # fmt: skip
    assert table["share_satisfying"].isna().all()


def test_ties_take_the_middle_rank() -> None:
    table = check(observed([5.0, 4.0], ["exact", "exact"], runs=np.full(100, 5.0)))
    assert table["percentile"].tolist() == [50.0, 0.0]
    assert table["verdict"].tolist() == ["inside the 80% band", "surprising: below p5"]


def test_the_share_of_runs_satisfying_a_bound_by_hand() -> None:
    bounds = ["at_least", "at_least", "at_least", "at_most", "at_most", "at_least"]
    table = check(observed([80, 95, 99, 3, 10, 1], bounds))
    # at least 80: runs 80..100 (21); at most 3: runs 1..3
    assert table["share_satisfying"].tolist() == pytest.approx([0.21, 0.06, 0.02, 0.03, 0.10, 1])
    assert table["verdict"].tolist() == [
        "consistent", "unlikely", "surprising: few runs satisfy it",
        "surprising: few runs satisfy it", "consistent", "consistent",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("bound", "percentile", "share", "expected"),
    [
        ("exact", 10.0, np.nan, "inside the 80% band"),
        ("exact", 90.0, np.nan, "inside the 80% band"),
        ("exact", 5.0, np.nan, "below the 80% band"),
        ("exact", 95.0, np.nan, "above the 80% band"),
        ("exact", 4.99, np.nan, "surprising: below p5"),
        ("at_most", 0.0, 0.10, "consistent"),
        ("at_most", 0.0, 0.05, "unlikely"),
        ("at_least", 0.0, 0.0499, "surprising: few runs satisfy it"),
    ],
)
def test_the_verdicts_edges(bound: str, percentile: float, share: float, expected: str) -> None:
    assert verdict(bound, percentile, share) == expected


def test_results_without_observations_are_refused() -> None:
    with pytest.raises(NoObservations, match="no observations"):
        check(xr.Dataset({"stock": ("run", np.zeros(3))}))


SCENARIO = """\
name: Checked drawdown
start: 2024-01-01
horizon: 1y
report_every: 1w
items: {shell: {label: Shell, unit: rounds}}
holders:
  army: {label: Army, stock: {shell: 'uniform(500, 1500)'}}
consumption:
  fire: {holder: army, item: shell, rate: 10/d}
observations:
  left: {holder: army, item: shell, of: stock, values: {2024-01-11: 800, 2024-01-21: 1350},
         error: 50, source: a report}
  fired: {holder: army, item: shell, of: consumed, values: {2024-02-10: 420}, bound: at_least}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "drawdown.yaml"
    path.write_text(SCENARIO)
    return path


def test_percentiles_follow_the_runs_drawn_stocks(scenario_file: Path) -> None:
    results = sim.run(sim.load_scenario(scenario_file), runs=2000, seed=3)
    table = sim.check(results)
    stock = results.dataset.inputs.sel(input="holders.army.stock.shell").values
    # stock on day 10 is S0 - 100, on day 20 S0 - 200: below 800 iff S0 < 900, ...
    assert table["percentile"][0] == pytest.approx(100 * np.mean(stock < 900), abs=1e-12)
    assert table["percentile"][1] == pytest.approx(100 * np.mean(stock < 1550), abs=1e-12)
    assert table["verdict"][1] == "surprising: above p95"
    # 10 a day fire 400 by day 40 (the stock never runs out): at least 420 holds in no run
    assert table["share_satisfying"][2] == 0.0
    assert table["verdict"][2] == "surprising: few runs satisfy it"
    assert table["p50"][0] == pytest.approx(np.quantile(stock - 100, 0.5))


def test_summary_only_results_give_the_same_percentiles(scenario_file: Path) -> None:
    scenario = sim.load_scenario(scenario_file)
    full = sim.check(sim.run(scenario, runs=3000, seed=4))
    summary = sim.check(sim.run(scenario, runs=3000, seed=4, keep="summary"))
    exact = ["observation", "date", "observed", "percentile", "share_satisfying", "verdict"]
    pd.testing.assert_frame_equal(full[exact], summary[exact])
    # one chunk: its quantiles are the runs' own
    assert np.allclose(full[["p10", "p50", "p90"]], summary[["p10", "p50", "p90"]], rtol=1e-12)


# ---- the command -----------------------------------------------------------------------------


@pytest.mark.slow
def test_check_of_a_scenario_prints_and_writes_csv_and_charts(
    scenario_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "checked"
    done = CliRunner().invoke(main, ["check", str(scenario_file), "--runs", "200", "--seed", "1",
                                     "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "The model against the record" in done.output and "left" in done.output
    written = pd.read_csv(out / "check.csv")
    assert list(written.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert written["date"].tolist() == ["2024-01-11", "2024-01-21", "2024-02-10"]
    assert sorted(p.name for p in out.iterdir()) == [
        "check.csv", "observed_fired.png", "observed_left.png", "run.json",
    ]  # fmt: skip
    listed = json.loads((out / "run.json").read_text())["files"]
    assert sorted(listed) == ["check.csv", "observed_fired.png", "observed_left.png"]


@pytest.mark.slow
def test_check_of_a_run_folder_and_run_printing_the_verdicts(
    scenario_file: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["run", str(scenario_file), "--runs", "100", "--seed", "2",
                                     "--out", str(run), "--no-charts"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "The model against the record" in done.output
    assert "surprising: few runs satisfy it (0% of runs at least)" in done.output
    checked = CliRunner().invoke(main, ["check", str(run)])
    assert checked.exit_code == 0, checked.output
    table = pd.read_csv(tmp_path / "run-check" / "check.csv")  # out/NAME-check beside the run
    expected = sim.check(sim.open_results(run / "results.nc"))
    assert table["percentile"].tolist() == pytest.approx(expected["percentile"].tolist())


def test_bad_check_input_exits_2_with_one_line(scenario_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    plain = tmp_path / "plain.yaml"
    plain.write_text(SCENARIO.split("observations:")[0])
    done = runner.invoke(main, ["check", str(plain), "--out", str(tmp_path / "x")])
    assert done.exit_code == 2 and "has no observations" in done.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.replace("of: consumed", "of: consume"))
    done = runner.invoke(main, ["check", str(bad), "--out", str(tmp_path / "y")])
    assert done.exit_code == 2
    assert f"{bad}:13: observations.fired.of: 'consume' is not a level or cumulative flow " \
           "(did you mean 'consumed'?)" in done.output  # fmt: skip
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    done = runner.invoke(main, ["check", str(tmp_path / "nowhere"), "--runs", "5"])
    assert done.exit_code == 2 and "apply when checking a SCENARIO" in done.output


@pytest.mark.slow
def test_check_in_a_subprocess_refuses_results_without_observations(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(SCENARIO.split("observations:")[0])
    sim.run(sim.load_scenario(plain), runs=5, seed=1).to_netcdf(tmp_path / "results.nc")
    command = [sys.executable, "-m", "sim.cli", "check", str(tmp_path / "results.nc")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "these results have no observations (add an observations: section to the scenario)"
        )
    )
    assert "Traceback" not in done.stderr
