"""`stockpile calibrate`, `stockpile backtest` and `stockpile run --posterior` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from test_calibrate import DRAWDOWN, INPUTS

from sim.cli import main

NO_OBSERVATIONS = DRAWDOWN.split("observations:")[0]


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "drawdown.yaml"
    path.write_text(DRAWDOWN)
    return path


def _invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_calibrate_writes_the_posterior_prints_each_input_and_runs_from_it(
    scenario_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cal"
    done = _invoke("calibrate", str(scenario_file), "--runs", "400", "--seed", "2",
                   "--out", str(out))  # fmt: skip
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    printed = done.output  # type: ignore[attr-defined]
    assert "prior p10" in printed and "posterior p90" in printed and "shrinkage" in printed
    assert all(path in printed for path in INPUTS)
    assert (out / "charts" / "posterior.png").stat().st_size > 10_000
    assert (out / "charts" / "observed_count.png").exists()
    assert "The model against the record" in printed
    with xr.open_dataset(out / "calibration.nc", engine="h5netcdf") as stored:
        calibration = stored.load()
    assert calibration["posterior"].dims == ("sample", "input")
    assert [str(p) for p in calibration["input"].values] == INPUTS
    assert calibration["weight"].sum().item() == pytest.approx(1.0)
    assert np.isfinite(calibration.attrs["log_evidence"]) and calibration.attrs["ess"] >= 200
    assert json.loads(calibration.attrs["observations"]) == ["count"]

    runs = tmp_path / "posterior_runs"
    done = _invoke("run", str(scenario_file), "--posterior", str(out / "calibration.nc"),
                   "--runs", "300", "--no-charts", "--out", str(runs))  # fmt: skip
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    recorded = json.loads((runs / "run.json").read_text())["calibration"]
    assert recorded["inputs"] == INPUTS and recorded["observations"] == ["count"]
    with xr.open_dataset(runs / "results.nc", engine="h5netcdf") as stored:
        drawn = stored["inputs"].sel(input=INPUTS[0]).values
    assert set(drawn) <= set(calibration["posterior"].sel(input=INPUTS[0]).values)


def test_backtest_writes_its_table_in_the_documented_columns(
    scenario_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bt"
    done = _invoke("backtest", str(scenario_file), "--as-of", "2024-02-15", "--runs", "400",
                   "--out", str(out))  # fmt: skip
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    table = pd.read_csv(out / "backtest.csv")
    assert table.columns[:7].tolist() == [
        "observation", "date", "observed", "p10", "p50", "p90", "percentile",
    ]  # fmt: skip
    assert {"crps", "prior_p10", "prior_crps", "in_80"} <= set(table.columns)
    assert table["date"].tolist() == ["2024-03-31"]
    assert (out / "charts" / "backtest.png").exists() and (out / "calibration.nc").exists()
    assert "80% intervals cover" in done.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "{file}", "--as-of", "2025-01-01"], "no observation after it"),
        (["backtest", "{file}", "--as-of", "2023-01-01"], "no observation on or before it"),
        (["calibrate", "{file}", "--vary", "fire.rate"], "not an uncertain input"),
        (["calibrate", "{bare}"], "has no observations to calibrate against"),
        (["run", "{file}", "--posterior", "{missing}"], "no such file"),
    ],
)
def test_what_cannot_be_calibrated_is_refused_in_one_line(
    scenario_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text(NO_OBSERVATIONS)
    names = {"file": scenario_file, "bare": bare, "missing": tmp_path / "none.nc"}
    full = [a.format(**names) for a in args] + ["--out", str(tmp_path / "o")]
    done = CliRunner().invoke(main, full)
    assert done.exit_code == 2, done.output
    assert message in done.output and "Traceback" not in done.output
    assert not (tmp_path / "o").exists()


def test_the_slide_packs_assumptions_say_which_inputs_are_calibrated() -> None:
    import sim
    from sim.brief.assumptions import assumptions
    from sim.evidence.posterior import Posterior, run_from_posterior

    scenario = sim.load_scenario_text(DRAWDOWN)
    posterior = Posterior((INPUTS[1],), np.array([[4.5], [4.6]]), np.array([0.5, 0.5]),
                          {"observations": '["count"]'}, "c.nc")  # fmt: skip
    results = run_from_posterior(scenario, posterior, runs=20, seed=1)
    readings = {a.path: a.reading for a in assumptions(results.dataset)}
    assert readings[INPUTS[1]] == "calibrated against count: drawn from the posterior"
    assert "calibrated" not in readings[INPUTS[0]]
