"""Sensitivity from the runs: inputs that drive an outcome by construction rank first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.sensitivity import ExplainError, explain, first_order

#: The floor is hit after (stock - 10k) / 150 days: the stock drives the date, the rate barely
#: moves, the other holder's stock does nothing. Stocks above 64,750 last past the end.
DRAIN = """\
name: Drain
start: 2024-01-01
horizon: 1y
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 'uniform(30k, 80k)'}, floor: {shell: 10k}}
  other: {label: Other, stock: {shell: 'uniform(1, 100)'}}
consumption:
  fire: {holder: army, item: shell, rate: 149 to 151 /d}
"""


@pytest.mark.slow
def test_the_estimator_matches_a_closed_form() -> None:
    # y = x1 + x2 / 2 with independent uniforms: Var = 1/12 (1 + 1/4), so S1 = 0.8, S2 = 0.2
    rng = np.random.default_rng(4)
    x1, x2 = rng.uniform(size=(2, 20_000))
    y = x1 + x2 / 2
    for x, share in ((x1, 0.8), (x2, 0.2), (rng.uniform(size=20_000), 0.0)):
        found, se = first_order(x, y)
        assert 0 < se < 0.02
        assert found == pytest.approx(share, abs=max(4 * se, 0.005))


@pytest.fixture(scope="module")
def drained() -> sim.Results:
    return sim.run(sim.load_scenario_text(DRAIN), runs=2000, seed=3)


def test_an_input_that_drives_the_outcome_ranks_first(drained: sim.Results) -> None:
    found = explain(drained, "depleted_at", "army", "shell")
    assert 0.2 < found.outcome.censored < 0.4  # never within the year: kept, as the latest
    first = found.table.iloc[0]
    assert first["input"] == "holders.army.stock.shell"
    assert first["first_order"] > 0.9 and first["rank_correlation"] > 0.95
    assert first["median_at_p10"] < found.median < first["median_at_p90"]
    assert np.isinf(first["median_at_p90"])  # a large stock: the floor is not hit by the end
    rest = found.table.set_index("input")
    assert rest.loc["holders.other.stock.shell", "first_order"] < 0.02
    assert found.unexplained < 0.1
    assert found.lines()[1].startswith("holders.army.stock.shell ")


def test_summary_only_results_give_the_same_ranking() -> None:
    scenario = sim.load_scenario_text(DRAIN)
    found = explain(sim.run(scenario, runs=2000, seed=3, keep="summary"), "trough_at")
    assert found.sampled and found.runs == 1000
    assert found.table.iloc[0]["input"] == "holders.army.stock.shell"


def test_an_event_that_never_happens_is_refused(drained: sim.Results) -> None:
    with pytest.raises(ExplainError, match="none of the 2,000 runs"):
        explain(drained, "replenished_at", "army", "shell")


@pytest.mark.slow
def test_cli_prints_one_input_per_row_and_writes_the_tornado(
    drained: sim.Results, tmp_path: Path
) -> None:
    drained.to_netcdf(tmp_path / "results.nc")
    chart = tmp_path / "tornado.png"
    args = ["explain", str(tmp_path), "--metric", "stock@2024-06-30", "--chart", str(chart)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].startswith("holders.army.stock.shell ")
    assert lines[-2].startswith("unexplained by any single input:")
    assert chart.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "stock@2024-13-01"], "not a date"),
        (["--metric", "speed"], "unknown metric 'speed'"),
        (["--holder", "army"], "give both --holder and --item"),
        (["--holder", "navy", "--item", "shell"], "unknown holder 'navy'"),
    ],
)
@pytest.mark.slow
def test_cli_bad_input_exits_2(
    drained: sim.Results, tmp_path: Path, args: list[str], message: str
) -> None:
    drained.to_netcdf(tmp_path / "results.nc")
    result = CliRunner().invoke(main, ["explain", str(tmp_path / "results.nc"), *args])
    assert result.exit_code == 2 and message in result.output


def test_too_few_runs_are_refused() -> None:
    few = sim.run(sim.load_scenario_text(DRAIN), runs=50, seed=1)
    with pytest.raises(ExplainError, match="50 runs are too few"):
        explain(few, "depleted_at", "army", "shell")


def test_a_dated_tornado_says_the_year_of_every_month(drained: sim.Results) -> None:
    from matplotlib.figure import Figure

    from sim.plots import tornado

    found = explain(drained, "depleted_at", "army", "shell")
    figure = tornado(found, drained.dataset)
    assert isinstance(figure, Figure)
    figure.draw_without_rendering()
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
    assert labels
    for label in labels:  # "2024" or "May 2024", never a bare "May"
        assert label[-4:].isdigit() and label[-4:].startswith("20"), labels
