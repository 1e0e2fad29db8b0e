"""Sweeps: every value with the same random numbers, one dataset with a variant dimension."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from sim import plots
from sim.cli import main
from sim.sweeps import sweep
from sim.vary import VaryError, parse_vary, scale_text

#: 100k shells, 1,000 a day fired, a line adding P a day: empty on day 100k / (1000 - P).
DRAIN = """\
name: Drain
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 100k}}
production:
  line: {item: shell, to: army, rate: 0/d, every: 1d}
consumption:
  fire: {holder: army, item: shell, rate: 1000/d}
"""


@pytest.fixture
def drain(tmp_path: Path) -> Path:
    path = tmp_path / "drain.yaml"
    path.write_text(DRAIN)
    return path


def test_a_deterministic_sweep_reproduces_hand_arithmetic(drain: Path, tmp_path: Path) -> None:
    found = sweep(drain, ["production.line.rate=0/d,500/d,750/d"], metric="depleted_at",
                  holder="army", item="shell", runs=1)  # fmt: skip
    # 100k / 1000 = day 100 (2024-04-10), 100k / 500 = day 200 (2024-07-19), 400 days: never
    assert list(found.table["p50"]) == ["2024-04-10", "2024-07-19", "after end"]
    dataset = found.dataset
    assert dataset.sizes["variant"] == 3
    assert list(dataset["vary0"].values) == ["0/d", "500/d", "750/d"]
    trough = dataset["trough"].sel(holder="army", item="shell").isel(run=0).values
    np.testing.assert_allclose(trough, [0, 0, 100_000 - 250 * 365])
    dataset.to_netcdf(tmp_path / "sweep.nc", engine="h5netcdf")
    back = xr.open_dataset(tmp_path / "sweep.nc", engine="h5netcdf")
    assert back["vary0"].attrs["path"] == "production.line.rate"
    back.close()


def test_variants_share_their_random_numbers(drain: Path) -> None:
    drain.write_text(DRAIN.replace("stock: {shell: 100k}", "stock: {shell: 80k to 120k}"))
    found = sweep(drain, ["production.line.rate=x1,x2"], metric="trough", holder="army",
                  item="shell", runs=50, seed=4)  # fmt: skip
    stock = found.dataset["stock"].sel(holder="army", item="shell").isel(time=0)
    np.testing.assert_array_equal(stock.isel(variant=0).values, stock.isel(variant=1).values)


def test_two_inputs_make_a_grid_with_a_goal_heat_map(drain: Path, tmp_path: Path) -> None:
    vary = ["production.line.rate=0/d,500/d", "consumption.fire.rate=x0.5..x1:2"]
    goal = "army.shell stays above floor until 2024-06-30 with 90%"
    found = sweep(drain, vary, goal=goal, runs=1)
    # (line, fire): (0, 500/d) empty on day 200, (0, 1000/d) day 100, (500/d, 500/d) never,
    # (500/d, 1000/d) day 200: above the floor until day 181 in all but the second
    assert list(found.table["goal"]) == [1.0, 0.0, 1.0, 1.0]
    assert found.metric == "depleted_at"
    plots.save(plots.sweep_heatmap(found), tmp_path / "heat.png")
    plots.save(plots.sweep_bands(found), tmp_path / "bands.png")
    assert (tmp_path / "heat.png").stat().st_size > 0


def test_cli_sweep_writes_one_file(drain: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.nc"
    result = CliRunner().invoke(main, [
        "sweep", str(drain), "--vary", "production.line.rate=0..500/d:3", "--metric",
        "depleted_at", "--holder", "army", "--item", "shell", "--runs", "20", "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    # 100k / 1000 = day 100; 100k / 750 = 133.3, so the stock is out on day 134
    assert "2024-04-10" in result.output and "2024-05-14" in result.output
    assert xr.open_dataset(out, engine="h5netcdf").sizes["variant"] == 3


@pytest.mark.parametrize(
    ("text", "grid", "message"),
    [
        ("production.line.rate=x1..x2", True, "a list V1,V2,... or a grid"),
        ("production.line.rate=x1,x2", False, "solve takes a range"),
        ("production.line.rate=x1..2", False, "both ends are factors"),
        ("production.line.rate=x0..x2", False, "a factor must be > 0"),
        ("rate", False, "write PATH[=VALUES]"),
    ],
)
def test_bad_vary_says_why(text: str, grid: bool, message: str) -> None:
    with pytest.raises(VaryError, match=message.replace("[", r"\[").replace(".", r"\.")):
        parse_vary(text, grid=grid)


@pytest.mark.parametrize(
    ("raw", "factor", "scaled"),
    [
        ("16k to 20k /mo", 1.5, "24000 to 30000 /mo"),
        ("uniform(7, 21) d", 2, "uniform(14, 42) d"),
        ("1 to 9 mo", 0.5, "0.5 to 4.5 mo"),
        (14400, 2, "28800"),
        ("33%/9mo", 1.5, "33% /6mo"),  # a loss rate: its hazard x1.5
        ("60%", 1.5, "90%"),
    ],
)
def test_scaling_a_value(raw: object, factor: float, scaled: str) -> None:
    assert scale_text(raw, factor) == scaled


def test_a_beta_cannot_be_scaled() -> None:
    with pytest.raises(VaryError, match="beta"):
        scale_text("beta(2, 5)", 2)
