"""The SMC sampler on models whose posterior is known in closed form (no engine: the runs are
NumPy functions of the inputs), and its parts: prior map, likelihood, resampling, scores."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from sim.distributions import Beta, LogNormal, Normal, Pert, Scaled, Triangular, Uniform
from sim.evidence.likelihood import Points, bound_log_likelihood, softness
from sim.evidence.prior import InputSpace, from_z
from sim.evidence.scores import crps, percentile, weighted_quantiles
from sim.evidence.smc import Settings, ess, merged_ess, sample, systematic
from sim.processes.draws import InputPrior

DAY = dt.date(2024, 1, 1)
STOCK, STOCK_SD, RATE, RATE_SD = 1000.0, 100.0, 5.0, 1.0
DAYS = np.array([30.0, 90.0])


def _points(values: list[float], bounds: list[str], sds: list[float]) -> Points:
    n = len(values)
    return Points(("o",) * n, (DAY,) * n, np.array(values), tuple(bounds), np.array(sds))


def _drawdown(z: np.ndarray, seed: int) -> np.ndarray:
    stock = STOCK + STOCK_SD * z[:, 0]
    rate = RATE + RATE_SD * z[:, 1]
    return stock[:, None] - rate[:, None] * DAYS[None, :]


def _gaussian_posterior(y: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    design = np.stack([np.ones(2), -DAYS], axis=1)
    mean0, cov0 = np.array([STOCK, RATE]), np.diag([STOCK_SD**2, RATE_SD**2])
    predictive = design @ cov0 @ design.T + np.diag(sd**2)
    gain = cov0 @ design.T @ np.linalg.inv(predictive)
    mean = mean0 + gain @ (y - design @ mean0)
    cov = cov0 - gain @ design @ cov0
    evidence = stats.multivariate_normal(design @ mean0, predictive).logpdf(y)
    return mean, cov, float(evidence)


def _moments(values: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = weight @ values
    centred = values - mean
    return mean, (centred * weight[:, None]).T @ centred


@pytest.mark.parametrize("sd", [20.0, 1.0])  # the second posterior is 1/60 of the prior's width
def test_linear_gaussian_posterior_matches_the_conditioning_formulas(sd: float) -> None:
    y, sds = np.array([900.0, 640.0]), np.array([sd, 1.5 * sd])
    exact_mean, exact_cov, exact_evidence = _gaussian_posterior(y, sds)
    got = sample(_drawdown, 2, _points(list(y), ["exact"] * 2, list(sds)), Settings(2000, seed=1))
    assert got.converged and got.ess >= 1000
    values = np.stack([STOCK + STOCK_SD * got.z[:, 0], RATE + RATE_SD * got.z[:, 1]], axis=1)
    mean, cov = _moments(values, got.weight)
    sd_exact = np.sqrt(np.diag(exact_cov))
    se = sd_exact / math.sqrt(got.ess)  # standard errors of the sampler's estimates
    np.testing.assert_array_less(np.abs(mean - exact_mean), 4 * se)
    np.testing.assert_array_less(
        np.abs(np.sqrt(np.diag(cov)) - sd_exact), 4 * sd_exact / math.sqrt(2 * got.ess)
    )
    rho, rho_exact = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), exact_cov[0, 1] / np.prod(sd_exact)
    assert abs(rho - rho_exact) < 4 * (1 - rho_exact**2) / math.sqrt(got.ess)
    assert abs(got.log_evidence - exact_evidence) < 0.15  # sd of 0.03 over 30 seeds (docs)


def test_a_lower_bound_gives_the_truncated_prior() -> None:
    def stock(z: np.ndarray, seed: int) -> np.ndarray:
        return (STOCK + STOCK_SD * z[:, :1]).copy()

    got = sample(stock, 1, _points([1100.0], ["at_least"], [math.nan]), Settings(2000, seed=2))
    values = STOCK + STOCK_SD * got.z[:, 0]
    assert values.min() >= 1100.0  # runs the bound rules out have no weight and are left out
    truncated = stats.truncnorm(1.0, np.inf, loc=STOCK, scale=STOCK_SD)
    mean = float(got.weight @ values)
    sd = float(np.sqrt(got.weight @ (values - mean) ** 2))
    assert abs(mean - truncated.mean()) < 4 * truncated.std() / math.sqrt(got.ess)
    assert abs(sd - truncated.std()) < 4 * truncated.std() / math.sqrt(2 * got.ess)
    assert abs(got.log_evidence - math.log(stats.norm.sf(1.0))) < 0.15


def test_the_same_seed_gives_the_same_sample_and_another_seed_another() -> None:
    points = _points([900.0, 640.0], ["exact"] * 2, [20.0, 30.0])
    one = sample(_drawdown, 2, points, Settings(500, seed=3))
    two = sample(_drawdown, 2, points, Settings(500, seed=3))
    other = sample(_drawdown, 2, points, Settings(500, seed=4))
    np.testing.assert_array_equal(one.z, two.z)
    assert one.log_evidence == two.log_evidence
    assert not np.array_equal(one.z, other.z)


def test_each_generation_runs_with_fresh_randomness() -> None:
    seeds: list[int] = []

    def noisy(z: np.ndarray, seed: int) -> np.ndarray:
        seeds.append(seed)
        return _drawdown(z, seed)

    got = sample(noisy, 2, _points([900.0, 640.0], ["exact"] * 2, [20.0, 30.0]), Settings(200))
    assert len(seeds) == got.generations == len(set(seeds))
    assert got.runs == 200 * got.generations


def test_a_model_no_run_of_which_meets_a_bound_is_refused() -> None:
    def low(z: np.ndarray, seed: int) -> np.ndarray:
        return np.zeros((len(z), 1))

    with pytest.raises(ValueError, match="no run is compatible"):
        sample(low, 1, _points([5.0], ["at_least"], [math.nan]), Settings(100))


@pytest.mark.parametrize(
    "dist",
    [
        Normal(3.0, 2.0), LogNormal(1.0, 0.5), Uniform(2.0, 5.0), Triangular(1.0, 2.0, 6.0),
        Pert(1.0, 4.0, 6.0), Beta(2.0, 5.0), Scaled(Uniform(1.0, 2.0), 1 / 30),
    ],
)  # fmt: skip
def test_the_prior_map_is_each_laws_quantile_function(dist: object) -> None:
    z = np.array([-1.5, 0.0, 0.7, 2.0])
    expected = [dist.quantile(float(stats.norm.cdf(v))) for v in z]  # type: ignore[attr-defined]
    np.testing.assert_allclose(from_z(dist, z), expected, rtol=1e-9, atol=1e-12)  # type: ignore[arg-type]


def test_standard_normal_points_map_to_the_clipped_prior() -> None:
    space = InputSpace(("a",), (InputPrior(Normal(1.0, 2.0), 0.0, math.inf),))
    z = np.random.default_rng(5).standard_normal((200_000, 1))
    values = space.values(z)[:, 0]
    assert abs(np.mean(values == 0.0) - stats.norm.cdf(-0.5)) < 0.004  # the clipped mass
    clipped = np.maximum(stats.norm(1.0, 2.0).rvs(400_000, random_state=6), 0.0)
    assert abs(space.prior_sd()[0] - clipped.std()) < 0.01
    np.testing.assert_allclose(space.prior_quantiles([0.1, 0.5, 0.9])[0],
                               [0.0, 1.0, 1.0 + 2.0 * stats.norm.ppf(0.9)])  # fmt: skip


def test_bounds_are_half_at_exponent_0_and_indicators_at_1() -> None:
    margins = np.array([[-1.0, 2.0], [0.0, 3.0]])
    scale = np.array([1.0, 1.0])
    assert bound_log_likelihood(margins, scale, softness(0.0)).tolist() == [2 * math.log(0.5)] * 2
    assert bound_log_likelihood(margins, scale, softness(1.0)).tolist() == [-math.inf, 0.0]
    soft = bound_log_likelihood(margins, scale, softness(0.5))
    assert soft[0] == pytest.approx(stats.norm.logcdf(-1.0) + stats.norm.logcdf(2.0))


def test_resampling_and_effective_sample_sizes() -> None:
    log_w = np.array([math.log(0.5), math.log(0.25), math.log(0.25), -math.inf])
    assert ess(log_w) == pytest.approx(1 / (0.25 + 2 * 0.0625))
    index = systematic(np.random.default_rng(0), log_w)
    assert sorted(np.bincount(index, minlength=4).tolist()) == [0, 1, 1, 2]
    z = np.array([[1.0], [1.0], [2.0], [3.0]])
    assert merged_ess(z, np.log(np.full(4, 0.25))) == pytest.approx(1 / (0.25 + 0.0625 * 2))


def test_scores_of_a_forecast() -> None:
    sample_ = np.random.default_rng(1).normal(10.0, 2.0, 200_000)
    # CRPS of N(mu, sd) at y: sd * (z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi))
    z = (13.0 - 10.0) / 2.0
    closed = 2.0 * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
    )
    assert crps(sample_, 13.0) == pytest.approx(closed, abs=0.01)
    assert crps(np.array([4.0]), 1.0) == 3.0  # one value: the absolute error
    assert percentile(np.array([1.0, 2.0, 2.0, 3.0]), 2.0) == 50.0
    values, weight = np.array([3.0, 1.0, 2.0]), np.array([0.2, 0.5, 0.3])
    assert weighted_quantiles(values, weight, [0.1, 0.5, 0.6, 0.9]).tolist() == [1.0, 1.0, 2.0, 3.0]


def test_backtest_scores_of_exact_values_and_bounds() -> None:
    from sim.evidence.backtest import table

    points = _points([5.0, 3.0], ["exact", "at_least"], [1.0, math.nan])
    forecast = np.stack([np.arange(10.0), np.arange(10.0)], axis=1)  # 0, 1, ..., 9
    rows = table(points, forecast, forecast + 100).set_index("bound")
    exact, bound = rows.loc["exact"], rows.loc["at_least"]
    assert exact["percentile"] == 55.0 and exact["prior_percentile"] == 0.0
    assert bool(exact["in_50"]) and not bool(exact["prior_in_90"])
    assert exact["crps"] == pytest.approx(crps(np.arange(10.0), 5.0))
    assert bound["satisfied"] == 0.7 and bound["prior_satisfied"] == 1.0  # 3..9 of 0..9
    assert math.isnan(bound["crps"]) and math.isnan(bound["in_80"])
