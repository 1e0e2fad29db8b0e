"""Finite numbers or a located refusal, and damaged results files refused in one line.

Prices: no amount in money buys more than the largest quantity and no price leaves
[MIN_PRICE, MAX_PRICE] on any day, refused where the price is known exactly, clipped per run (and
counted) where it is uncertain. Results files: read by every reading command only when whole
(attributes, variables, at least one run), else exit 2 with one line, no traceback or warning.
"""

from __future__ import annotations

import math
import random
import warnings
from pathlib import Path

import fuzz
import h5py
import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from fake_results import fake_results

from sim.cli import main
from sim.errors import ScenarioError
from sim.limits import MAX_PRICE, MAX_QUANTITY, MIN_PRICE
from sim.scenario import load_scenario_text

HEAD = "name: t\nstart: 2024-01-01\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(HEAD + text)
    return [str(p) for p in caught.value.problems]


def answer(args: list[str]) -> tuple[int, str]:
    """Exit status and output of a command in this process; a Python warning fails the test
    (pytest turns warnings into errors, and they would reach a user's terminal)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


# -- item 4: prices within bounds over the horizon ----------------------------------------------


def test_money_that_would_buy_more_than_the_largest_quantity_is_refused_at_the_price() -> None:
    found = problems("""\
horizon: 1y
items: {shell: {unit: rounds, unit_cost: 1e-9}}
holders: {army: {stock: {shell: $1B}}}
""")
    assert len(found) == 1
    assert found[0].startswith("<string>:4: items.shell.unit_cost: at a price of 1e-09, $1e+09 "
                               "(holders.army.stock.shell) would buy 1e+18 rounds")  # fmt: skip
    assert "at least 1e-06" in found[0]  # 1e9 / 1e15


def test_a_tiny_fixed_price_is_refused_not_clipped() -> None:
    found = problems("horizon: 1y\nitems: {shell: {unit_cost: 1e-300}}\nholders: {army: {}}\n")
    assert found == [
        "<string>:4: items.shell.unit_cost: a price of 1e-300 is below the lowest price, 1e-09 "
        "(a price of at least 1e-09 on every day of the horizon)"
    ]


@pytest.mark.parametrize(
    ("escalation", "horizon", "low"),
    [("-99.9999%/d", "1y", math.log(1000) + 365.25 * math.log(1e-6)),
     ("-50%/y", "1000y", math.log(1000) + 1000 * math.log(0.5))],
)  # fmt: skip
def test_an_escalation_that_takes_the_price_to_nothing_is_refused(
    escalation: str, horizon: str, low: float
) -> None:
    found = problems(f"""\
horizon: {horizon}
items: {{shell: {{unit: rounds, unit_cost: 1000, escalation: {escalation}}}}}
holders: {{army: {{stock: {{shell: $1M}}}}}}
""")
    assert len(found) == 1 and found[0].startswith("<string>:4: items.shell.escalation: ")
    assert f"1e{low / math.log(10):+.0f}" in found[0] or f"{math.exp(low):g}" in found[0]


def test_an_escalation_that_takes_the_price_beyond_the_largest_is_refused() -> None:
    found = problems("""\
horizon: 100y
items: {shell: {unit_cost: 1M, escalation: 100%/y}}
holders: {army: {stock: {shell: 10}}}
""")
    assert len(found) == 1 and "takes the price up to" in found[0]
    assert found[0].startswith("<string>:4: items.shell.escalation:")


def test_a_known_price_within_bounds_is_accepted() -> None:
    scenario = load_scenario_text(
        HEAD
        + """\
horizon: 5y
items: {shell: {unit_cost: 1k, escalation: -20%/y}}
holders: {army: {stock: {shell: $1B}}}
"""
    )
    price = scenario.items["shell"].price
    assert price is not None and price.lowest == 1e9 / MAX_QUANTITY


def _run(text: str, runs: int = 400) -> xr.Dataset:
    import sim

    scenario = load_scenario_text(HEAD + text)
    return sim.run(scenario, runs=runs, seed=3).dataset


def test_uncertain_prices_are_clipped_per_run_and_counted() -> None:
    # half the draws of normal(0, ~3) are below 0: clipped to 1e9 / 1e15 and counted
    data = _run("""\
horizon: 1y
items: {shell: {unit_cost: -5 to 5}}
holders: {army: {stock: {shell: $1B}}}
""")
    stock = data.stock.sel(holder="army", item="shell").isel(time=0).values
    price = data.unit_price.sel(item="shell").isel(time=0).values
    clipped = int(np.count_nonzero(price == 1e-6))
    assert np.all(np.isfinite(stock)) and stock.max() <= MAX_QUANTITY * (1 + 1e-12)
    np.testing.assert_allclose(stock * price, 1e9, rtol=1e-6)
    assert f'"items.shell.unit_cost": {clipped}' in data.attrs["clipped_draws"]
    assert 150 < clipped < 250  # about half of 400 (P = 0.5, sd 10)


def test_an_uncertain_escalation_is_held_within_the_bounds() -> None:
    data = _run("""\
horizon: 10y
report_every: 1y
items: {shell: {unit_cost: 1000, escalation: -99.99% to 1000% /y}}
holders: {army: {stock: {shell: $1B}}}
production:
  line: {item: shell, to: army, rate: $1M/mo}
""")
    price = data.unit_price.sel(item="shell").values
    assert np.all(price >= 1e-6 * (1 - 1e-9)) and np.all(price <= MAX_PRICE * (1 + 1e-9))
    assert np.all(np.isfinite(data.stock.values)) and np.all(np.isfinite(data.stock_value.values))
    assert '"items.shell.escalation"' in data.attrs["clipped_draws"]
    assert MIN_PRICE < 1e-6


# -- item 5: damaged results files ---------------------------------------------------------------

READERS = [
    ["chart", "{f}", "--out", "{d}/c.png"],
    ["compare", "{f}", "{f}", "--out", "{d}/cmp.png"],
    ["explain", "{f}"],
    ["probability", "{f}", "--holder", "us", "--item", "shell_155", "--out", "{d}/p.png"],
    ["brief", "{f}", "--pptx", "{d}/b.pptx"],
    ["export", "{f}", "--xlsx", "{d}/e.xlsx"],
    ["check", "{f}", "--out", "{d}/chk"],
]


def _damaged(tmp_path: Path, damage: str) -> Path:
    path = tmp_path / f"{damage}.nc"
    data = fake_results(runs=20)
    if damage == "foreign":
        with h5py.File(path, "w") as file:  # datasets without named dimensions
            file["values"] = np.arange(6.0).reshape(2, 3)
        return path
    if damage == "no_attributes":
        data.attrs = {}
    elif damage == "no_start":
        del data.attrs["start"]
    elif damage == "zero_runs":
        data = data.isel(run=slice(0, 0))
    elif damage == "no_depleted_at":
        data = data.drop_vars("depleted_at")
    elif damage == "stock_transposed":
        data["stock"] = data.stock.transpose("time", "run", "holder", "item")
    data.to_netcdf(path, engine="h5netcdf")
    return path


@pytest.mark.parametrize(
    ("damage", "said"),
    [("no_attributes", "no attribute scenario, start, end, runs, seed"),
     ("no_start", "no attribute start"),
     ("zero_runs", "results of no runs"),
     ("no_depleted_at", "not a stockpile results file (no depleted_at)"),
     ("stock_transposed", "stock is not over run, time, holder, item"),
     ("foreign", "not a stockpile results file (no stock, ")],
)  # fmt: skip
@pytest.mark.parametrize("reader", READERS, ids=[r[0] for r in READERS])
def test_a_damaged_results_file_is_refused_in_one_line(
    tmp_path: Path, damage: str, said: str, reader: list[str]
) -> None:
    path = _damaged(tmp_path, damage)
    status, output = answer([a.format(f=path, d=tmp_path) for a in reader])
    assert status == 2
    assert output.startswith(f"Error: {path}: ") and said in output
    assert len(output.strip().splitlines()) == 1
    assert not any(p.suffix in (".png", ".pptx", ".xlsx") for p in tmp_path.iterdir())


def test_whole_results_are_read(tmp_path: Path) -> None:
    path = tmp_path / "results.nc"
    fake_results(runs=20).to_netcdf(path, engine="h5netcdf")
    status, output = answer(["chart", str(path), "--out", str(tmp_path / "t.png")])
    assert status == 0, output


def test_a_brief_of_results_that_cannot_share_a_pack_is_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.nc", tmp_path / "b.nc"
    fake_results(runs=20).to_netcdf(first, engine="h5netcdf")
    other = fake_results(runs=20).assign_coords(holder=["uk", "poland"])
    other.to_netcdf(second, engine="h5netcdf")
    status, output = answer(["brief", str(first), str(second), "--pptx", str(tmp_path / "x.pptx")])
    assert status == 2 and len(output.strip().splitlines()) == 1
    assert output.startswith("Error: these results cannot share a pack: unknown holder")
    assert not (tmp_path / "x.pptx").exists()


# -- the fuzz family of damaged results files ----------------------------------------------------


@pytest.mark.parametrize("damage", fuzz.DAMAGES)
def test_every_reader_answers_a_damaged_file_cleanly(tmp_path: Path, damage: str) -> None:
    """One file per kind of damage through every reading command: exit 0 or 2, no traceback,
    no warning, a refusal in one line (``python tests/fuzz.py --results`` searches more)."""
    found, path = fuzz.damaged_results(tmp_path, random.Random(damage), damage)
    defects = [d for reader in fuzz.READERS for d in fuzz.check_results(found, path, reader)]
    assert defects == []


def test_the_results_check_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that raises on a damaged file counts as a defect."""

    def broken(*args: object) -> None:
        raise KeyError("start")

    monkeypatch.setattr("sim.cli.files.open_results", broken)
    monkeypatch.setattr("sim.cli.explain.open_results", broken)
    found, path = fuzz.damaged_results(tmp_path, random.Random(0), "no_attributes")
    assert fuzz.check_results(found, path, ["explain", "{f}"]) != []


# -- items 10 and 11: no warning, no nonsense ------------------------------------------------


def test_repeated_quantiles_make_one_column_each() -> None:
    from sim.cli.run import parse_quantiles

    assert parse_quantiles("50,50,50") == (0.5,)
    assert parse_quantiles("90,10,90,50") == (0.9, 0.1, 0.5)


def test_an_unknown_share_is_shown_as_a_dash_not_nan_percent() -> None:
    import pandas as pd

    from sim.sensitivity import Explanation, Outcome

    table = pd.DataFrame({"input": ["a.b"], "first_order": [0.5], "first_order_se": [np.nan],
                          "rank_correlation": [0.1], "median_at_p10": [1.0],
                          "median_at_p90": [2.0]})  # fmt: skip
    start = np.datetime64("2024-01-01", "s")
    outcome = Outcome("trough", "h", "i", np.array([1.0, 2.0]), False, start)
    found = Explanation(outcome, table, 0.5, 1.5, 2, False)
    (line,) = found.lines()[1:]
    assert "nan" not in line and line.split()[1:3] == ["50%", "-"]


def test_a_by_date_before_the_start_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        HEAD + "horizon: 1y\nitems: {shell: {}}\nholders: {army: {stock: {shell: 5}}}\n"
    )
    out = tmp_path / "out"
    status, output = answer(["run", str(scenario), "--by", "1582-12-31", "--out", str(out)])
    assert status == 2 and not out.exists()
    assert output.strip() == (
        "--by 1582-12-31: before the scenario's start, 2024-01-01 (give a date within the scenario)"
    )


def test_stock_at_a_date_past_the_end_is_refused() -> None:
    from sim.sensitivity import ExplainError, outcome

    data = fake_results(runs=20, end="2024-12-31")
    found = outcome(data, "stock@2024-12-26", "us", "m777")  # the last reported time
    assert len(found.values) == 20
    with pytest.raises(ExplainError) as refused:
        outcome(data, "stock@2025-06-01", "us", "m777")
    assert str(refused.value) == (
        "stock@2025-06-01: the date is after the end, 2024-12-26 (or stock_at_end)"
    )


def test_many_fan_bands_are_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "results.nc"
    fake_results(runs=20).to_netcdf(path, engine="h5netcdf")
    base = ["chart", str(path), "--kind", "fan", "--holder", "us", "--item", "shell_155"]
    status, output = answer([*base, "--bands", "10,20,30,40,50,60,70,80,90", "--out",
                             str(tmp_path / "many.png")])  # fmt: skip
    assert status == 2 and output.strip() == "Error: at most 6 bands, got 9 (e.g. 95,60)"
    status, output = answer([*base, "--bands", "90,80,70,60,50,40", "--out",
                             str(tmp_path / "six.png")])  # fmt: skip
    assert status == 0, output


@pytest.mark.parametrize("count", ["1000000000", "100000000000000000000"])
def test_a_huge_sweep_grid_is_refused_before_anything_is_allocated(count: str) -> None:
    from sim.vary import VaryError, parse_vary

    with pytest.raises(VaryError, match="beyond the limit of 10,000 variants"):
        parse_vary(f"production.plant.rate=x0.5..x2:{count}", grid=True)
    assert len(parse_vary("production.plant.rate=x0.5..x2:10000", grid=True).grid()) == 10_000


def test_two_grids_whose_product_is_too_large_are_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        HEAD
        + """\
horizon: 1y
items: {shell: {}}
holders: {army: {stock: {shell: 1000}}}
consumption: {fire: {holder: army, item: shell, rate: 10/d}}
"""
    )
    grid = "consumption.fire.rate=x0.5..x2:200"
    status, output = answer(["sweep", str(scenario), "--vary", grid, "--vary",
                             grid.replace("rate", "every"), "--runs", "20"])  # fmt: skip
    assert status == 2
    assert output.strip() == (
        "Error: these --vary make 40,000 variants, beyond the limit of 10,000 (docs/limits.md)"
    )
