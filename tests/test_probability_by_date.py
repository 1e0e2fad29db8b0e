"""Any quantiles in the summary, the chance of each event by named dates, and its chart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim import plots
from sim.cli import main

#: Stock uniform on 30k..80k, 150 a day fired: the floor (10k) is hit on day (S - 10k) / 150.
DRAIN = """\
name: Drain
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 'uniform(30k, 80k)'}, floor: {shell: 10k}}
consumption:
  fire: {holder: army, item: shell, rate: 150/d}
"""


@pytest.fixture(scope="module")
def results() -> sim.Results:
    return sim.run(sim.load_scenario_text(DRAIN), runs=1000, seed=2)


def test_any_quantiles_and_the_chance_by_a_date(results: sim.Results) -> None:
    table = results.summary((0.1, 0.5, 0.8, 0.9), by=[dt.date(2024, 7, 1)])
    assert list(table.columns) == [
        "holder", "item", "metric", "p10", "p50", "p80", "p90", "mean", "probability",
    ]  # fmt: skip
    rows = table.set_index("metric")
    trough = results.dataset["trough"].sel(holder="army", item="shell").values
    assert rows.loc["trough", "p80"] == pytest.approx(np.quantile(trough, 0.8))
    depleted = results.dataset["depleted_at"].sel(holder="army", item="shell").values
    by = np.datetime64("2024-07-01")
    share = np.mean(~np.isnat(depleted) & (depleted <= by))
    assert rows.loc["depleted_by:2024-07-01", "probability"] == pytest.approx(share)
    # closed form: hit by day 182 when S <= 10k + 150 * 182, S uniform on 30k..80k
    assert share == pytest.approx((10_000 + 150 * 182 - 30_000) / 50_000, abs=0.05)
    assert rows.loc["replenished_by:2024-07-01", "probability"] == 0.0


def test_summary_only_results_give_dates_at_any_quantile(results: sim.Results) -> None:
    summary = sim.run(sim.load_scenario_text(DRAIN), runs=1000, seed=2, keep="summary")
    table = summary.summary((0.3, 0.8)).set_index("metric")
    full = results.summary((0.3, 0.8)).set_index("metric")
    assert table.loc["depleted_at", "p30"] == full.loc["depleted_at", "p30"]  # exact counts
    assert pd.isna(table.loc["trough", "p30"])  # a number's quantile not kept


def test_the_chart_puts_several_results_on_one_axis(results: sim.Results, tmp_path: Path) -> None:
    more = sim.run(sim.load_scenario_text(DRAIN.replace("150/d", "200/d")), runs=200, seed=2)
    figure = plots.probability([results, more], "army", "shell", event="floor",
                               labels=["150 a day", "200 a day"])  # fmt: skip
    first, second = figure.axes[0].get_lines()[:2]
    assert str(first.get_label()).startswith("150 a day (") and second.get_label() == (
        "200 a day (100% by the end)"  # 10k + 200 * 365 > 80k: every run hits the floor
    )
    ys = np.asarray(first.get_ydata(), dtype=float)
    assert np.all(np.diff(ys) >= 0)
    assert ys[-1] == pytest.approx((10_000 + 150 * 365 - 30_000) / 50_000, abs=0.05)
    results.to_netcdf(tmp_path / "a.nc")
    more.to_netcdf(tmp_path / "b.nc")
    out = tmp_path / "p.png"
    args = ["probability", str(tmp_path / "a.nc"), str(tmp_path / "b.nc"), "--holder", "army",
            "--item", "shell", "--event", "floor", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_cli_run_prints_the_quantiles_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "drain.yaml"
    path.write_text(DRAIN)
    args = ["run", str(path), "--runs", "100", "--no-charts", "--out", str(tmp_path / "out"),
            "--quantiles", "10,50,80,90", "--by", "2024-07-01"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "p80" in result.output and "depleted_by:2024-07-01" in result.output
    header = (tmp_path / "out" / "summary.csv").read_text().splitlines()[0]
    assert header == "holder,item,metric,p10,p50,p80,p90,mean,probability"
    bad = CliRunner().invoke(main, [*args[:-4], "--quantiles", "10,500"])
    assert bad.exit_code == 2 and "percentiles from 0 to 100" in bad.output


def test_the_command_prints_the_chances_and_writes_beside_the_results(
    results: sim.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    results.to_netcdf(folder / "results.nc")
    monkeypatch.chdir(tmp_path)
    args = ["probability", "run", "--holder", "army", "--item", "shell", "--event", "floor"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (folder / "probability_army_shell.png").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing in the working dir
    depleted = results.dataset["depleted_at"].sel(holder="army", item="shell").values
    end = results.dataset["time"].values[-1]
    share = np.mean(~np.isnat(depleted) & (depleted <= end))
    first_half = np.sort(depleted[~np.isnat(depleted)])[int(np.ceil(0.5 * len(depleted))) - 1]
    line = result.output.splitlines()[0]
    assert line.startswith("Drain: army shell at or below its floor by ")
    assert f"{str(end)[:10]} {share:.0%}" in line
    assert f"50% on {str(first_half)[:10]}" in line
