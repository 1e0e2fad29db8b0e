"""Calibration through the engine against closed forms: each estimate within four of the
sampler's own standard errors (from its effective sample size)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim
import sim.runner
from sim.evidence.backtest import backtest
from sim.evidence.calibrate import Calibration, CalibrationError, calibrate, summary
from sim.evidence.posterior import Posterior, read_posterior, run_from_posterior

DRAWDOWN = """\
name: Linear Gaussian drawdown
start: 2024-01-01
horizon: 120d
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 'normal(1000, 100)'}}
consumption:
  fire: {holder: army, item: shell, rate: 'normal(5, 1) /d', every: 1d}
observations:
  count: {holder: army, item: shell, of: stock, values: {2024-01-31: 900, 2024-03-31: 640},
          error: 20}
"""
DAYS, OBSERVED, ERROR = np.array([30.0, 90.0]), np.array([900.0, 640.0]), 20.0
PRIOR_MEAN, PRIOR_COV = np.array([1000.0, 5.0]), np.diag([100.0**2, 1.0])
INPUTS = ["holders.army.stock.shell", "consumption.fire.rate"]

STOCK_AT_LEAST = """\
name: A stock known to be at least 1100
start: 2024-01-01
horizon: 30d
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 'normal(1000, 100)'}}
observations:
  floor: {holder: army, item: shell, of: stock, values: {2024-01-10: 1100}, bound: at_least}
"""

LOSSES = """\
name: Losses of a fleet at an uncertain rate
start: 2024-01-01
horizon: 200d
items: {gun: {label: Howitzer}}
holders:
  front: {label: Front, stock: {gun: 2000}}
attrition:
  fire: {holder: front, item: gun, rate: 10% to 40% /y}
observations:
  oryx: {holder: front, item: gun, of: lost, values: {2024-07-01: 400}, error: 20}
"""


def _conditioned(
    days: np.ndarray, y: np.ndarray, error: float = ERROR
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and covariance of (stock, rate) given stocks ``y`` on ``days``."""
    design = np.stack([np.ones(len(days)), -days], axis=1)
    predictive = design @ PRIOR_COV @ design.T + error**2 * np.eye(len(days))
    gain = PRIOR_COV @ design.T @ np.linalg.inv(predictive)
    return PRIOR_MEAN + gain @ (y - design @ PRIOR_MEAN), PRIOR_COV - gain @ design @ PRIOR_COV


def _moments(c: Calibration) -> tuple[np.ndarray, np.ndarray]:
    w, v = c.sample.weight, c.values
    mean = w @ v
    return mean, (v - mean).T @ ((v - mean) * w[:, None])


@pytest.mark.parametrize("error", [ERROR, 1.0])  # 1: the stock's sd is 1/60 of its prior's
def test_a_stock_and_a_rate_from_two_reported_stocks(error: float) -> None:
    text = DRAWDOWN.replace(f"error: {ERROR:g}", f"error: {error:g}")
    found = calibrate(sim.load_scenario_text(text), runs=1500, seed=11)
    assert list(found.space.paths) == INPUTS and found.sample.converged
    exact_mean, exact_cov = _conditioned(DAYS, OBSERVED, error)
    mean, cov = _moments(found)
    sd, exact_sd = np.sqrt(np.diag(cov)), np.sqrt(np.diag(exact_cov))
    n = found.sample.ess
    np.testing.assert_array_less(np.abs(mean - exact_mean), 4 * exact_sd / math.sqrt(n))
    np.testing.assert_array_less(np.abs(sd - exact_sd), 4 * exact_sd / math.sqrt(2 * n))
    rho, exact_rho = cov[0, 1] / sd.prod(), exact_cov[0, 1] / exact_sd.prod()
    assert abs(rho - exact_rho) < 4 * (1 - exact_rho**2) / math.sqrt(n)
    design = np.stack([np.ones(2), -DAYS], axis=1)
    predictive = design @ PRIOR_COV @ design.T + error**2 * np.eye(2)
    evidence = stats.multivariate_normal(design @ PRIOR_MEAN, predictive).logpdf(OBSERVED)
    assert abs(found.sample.log_evidence - evidence) < 0.15  # sd 0.03 over seeds (test_smc)
    table = summary(found.to_dataset())
    assert table["shrinkage"].tolist() == pytest.approx(1 - exact_sd / [100.0, 1.0], abs=0.05)


def test_a_lower_bound_gives_the_truncated_prior() -> None:
    found = calibrate(sim.load_scenario_text(STOCK_AT_LEAST), runs=1500, seed=2)
    values, w = found.values[:, 0], found.sample.weight
    assert values.min() >= 1100
    truncated = stats.truncnorm(1.0, np.inf, loc=1000.0, scale=100.0)
    mean = float(w @ values)
    sd = math.sqrt(float(w @ (values - mean) ** 2))
    n = found.sample.ess
    assert abs(mean - truncated.mean()) < 4 * truncated.std() / math.sqrt(n)
    assert abs(sd - truncated.std()) < 4 * truncated.std() / math.sqrt(2 * n)
    assert abs(found.sample.log_evidence - math.log(stats.norm.sf(1.0))) < 0.15


def test_a_loss_rate_from_a_noisy_count_matches_the_grid_posterior() -> None:
    found = calibrate(sim.load_scenario_text(LOSSES), runs=1500, seed=5)
    assert list(found.space.paths) == ["attrition.fire.rate"]
    # grid posterior: losses by day 182 ~ Binomial(2000, 1 - (1 - r)^(182 / 365.25)), reported
    # with a normal error of sd 20; prior: the lognormal with p5 10% and p95 40%
    rate = np.linspace(1e-4, 0.9999, 4000)
    sigma = math.log(4.0) / (2 * stats.norm.ppf(0.95))
    prior = stats.lognorm(sigma, scale=0.2).pdf(rate)
    lost = np.arange(2001)
    chance = 1 - (1 - rate) ** (182 / 365.25)
    counts = stats.binom.pmf(lost[None, :], 2000, chance[:, None])
    likelihood = counts @ stats.norm.pdf(400.0, lost, 20.0)
    post = prior * likelihood / (prior * likelihood).sum()
    grid_mean = float(post @ rate)
    grid_sd = math.sqrt(float(post @ (rate - grid_mean) ** 2))
    values, w = found.values[:, 0], found.sample.weight
    mean = float(w @ values)
    sd = math.sqrt(float(w @ (values - mean) ** 2))
    n = found.sample.ess
    assert abs(mean - grid_mean) < 4 * grid_sd / math.sqrt(n)
    assert abs(sd - grid_sd) < 4 * grid_sd / math.sqrt(2 * n)
    assert grid_sd < 0.3 * found.space.prior_sd()[0]  # the count does pin the rate down


def test_a_backtest_forecasts_the_later_stock_as_computed_by_hand() -> None:
    scenario = sim.load_scenario_text(DRAWDOWN)
    found = backtest(scenario, dt.date(2024, 2, 15), runs=3000, seed=4)
    assert found.table.columns[:7].tolist() == [
        "observation", "date", "observed", "p10", "p50", "p90", "percentile",
    ]  # fmt: skip
    row = found.table.iloc[0]
    assert (row["observation"], row["date"], row["observed"]) == ("count", "2024-03-31", 640.0)
    # the reported stock on day 90 given the one on day 30: stock - 90 rate + error
    mean, cov = _conditioned(DAYS[:1], OBSERVED[:1])
    design = np.array([1.0, -90.0])
    forecast = stats.norm(design @ mean, math.sqrt(design @ cov @ design + ERROR**2))
    prior = stats.norm(design @ PRIOR_MEAN, math.sqrt(design @ PRIOR_COV @ design + ERROR**2))
    n = 1 / (1 / 3000 + 1 / found.calibration.sample.ess)  # resampled from weighted particles
    for law, prefix, size in ((forecast, "", n), (prior, "prior_", 3000)):
        for q in (0.1, 0.5, 0.9):
            se = math.sqrt(q * (1 - q) / size) / law.pdf(law.ppf(q))
            assert abs(row[f"{prefix}p{round(q * 100)}"] - law.ppf(q)) < 4 * se
        share = law.cdf(640.0)
        se = 100 * math.sqrt(share * (1 - share) / size)
        assert abs(row[f"{prefix}percentile"] - 100 * share) < 4 * se
        z = (640.0 - law.mean()) / law.std()
        crps = law.std() * (
            z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
        )
        assert abs(row[f"{prefix}crps"] - crps) < 4 * law.std() / math.sqrt(size)
    assert row["crps"] < row["prior_crps"]


def test_runs_from_a_posterior_reproduce_its_moments(tmp_path: Path) -> None:
    scenario = sim.load_scenario_text(DRAWDOWN)
    found = calibrate(scenario, runs=1000, seed=6)
    found.to_dataset().to_netcdf(tmp_path / "calibration.nc", engine="h5netcdf")
    posterior = read_posterior(tmp_path / "calibration.nc")
    results = run_from_posterior(scenario, posterior, runs=4000, seed=8)
    inputs = results.dataset["inputs"].sel(input=INPUTS).values
    mean, cov = _moments(found)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_array_less(np.abs(inputs.mean(axis=0) - mean), 4 * sd / math.sqrt(4000))
    np.testing.assert_array_less(np.abs(inputs.std(axis=0) - sd), 4 * sd / math.sqrt(2 * 4000))
    rho = cov[0, 1] / sd.prod()
    drawn = np.corrcoef(inputs.T)[0, 1]
    assert abs(drawn - rho) < 4 * (1 - rho**2) / math.sqrt(4000)
    # every run's vector is one of the posterior's, whole
    rows = {tuple(v) for v in posterior.values}
    assert all(tuple(v) in rows for v in inputs[:100])
    assert '"observations": ["count"]' in results.dataset.attrs["calibration"]


def test_calibration_is_the_same_on_any_number_of_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 200)  # each generation: three chunks
    scenario = sim.load_scenario_text(LOSSES)
    one = calibrate(scenario, runs=600, seed=3)
    two = calibrate(scenario, runs=600, seed=3, workers=2)
    np.testing.assert_array_equal(one.sample.z, two.sample.z)
    np.testing.assert_array_equal(one.sample.weight, two.sample.weight)
    assert one.sample.log_evidence == two.sample.log_evidence


def test_vary_restricts_the_calibrated_inputs_and_unknown_ones_are_refused() -> None:
    scenario = sim.load_scenario_text(DRAWDOWN)
    found = calibrate(scenario, runs=500, seed=1, vary=["consumption.fire"])
    assert found.space.paths == ("consumption.fire.rate",)
    with pytest.raises(CalibrationError, match=r"did you mean 'consumption\.fire\.rate'"):
        calibrate(scenario, runs=500, vary=["consumption.fire.rat"])


def test_a_posterior_keeps_its_weights_and_refuses_a_scenario_without_its_inputs(
    tmp_path: Path,
) -> None:
    values = np.array([[900.0], [1100.0]])
    posterior = Posterior(("holders.army.stock.shell",), values, np.array([0.25, 0.75]), {})
    drawn = posterior.draw(4000, seed=1)["holders.army.stock.shell"].to_numpy()
    assert abs(np.mean(drawn == 1100.0) - 0.75) < 4 * math.sqrt(0.75 * 0.25 / 4000)
    other = Posterior(("holders.navy.stock.shell",), values, np.array([0.5, 0.5]), {}, "c.nc")
    from sim.evidence.posterior import PosteriorError

    with pytest.raises(PosteriorError, match=r"c\.nc: does not fit this scenario"):
        run_from_posterior(sim.load_scenario_text(DRAWDOWN), other, runs=10)
    (tmp_path / "bad.nc").write_text("not netcdf")
    with pytest.raises(PosteriorError, match="not a readable calibration file"):
        read_posterior(tmp_path / "bad.nc")


@pytest.mark.slow  # starts a Dask cluster on loopback
def test_calibration_is_the_same_on_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)
    scenario = sim.load_scenario_text(LOSSES)
    local = calibrate(scenario, runs=300, seed=7)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = calibrate(scenario, runs=300, seed=7, scheduler=client)
    np.testing.assert_array_equal(local.sample.z, remote.sample.z)
    np.testing.assert_array_equal(local.sample.weight, remote.sample.weight)


def test_observed_points_floor_the_reporting_error_and_stop_at_a_date() -> None:
    from sim.evidence.calibrate import MIN_ERROR_SD, observation_points

    text = LOSSES.replace("values: {2024-07-01: 400}, error: 20",
                          "values: {2024-02-01: 2, 2024-07-01: 400}, error: 1%")  # fmt: skip
    points = observation_points(sim.load_scenario_text(text))
    assert points.error_sd.tolist() == [MIN_ERROR_SD, 4.0]  # 1% of 2 is below a count's rounding
    early = observation_points(sim.load_scenario_text(text), until=dt.date(2024, 3, 1))
    assert early.date == (dt.date(2024, 2, 1),) and early.value.tolist() == [2.0]
