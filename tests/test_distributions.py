"""Distributions as written in scenarios: analytic moments and quantiles, and sample checks.

Sample checks use a fixed seed and tolerances of 5 standard errors, so they cannot flake.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.distributions import Distribution
from sim.scenario.model import DAYS_PER_MONTH
from sim.scenario.values import parse_duration, parse_value

N = 200_000
Z95 = float(stats.norm.ppf(0.95))
LN_MU = (math.log(5) + math.log(10)) / 2
LN_SIGMA = (math.log(10) - math.log(5)) / (2 * Z95)
PERT_A, PERT_B = 1 + 4 * (1 / 3), 1 + 4 * (2 / 3)


def lognormal_moments(mu: float, sigma: float, scale: float = 1.0) -> tuple[float, float]:
    mean = math.exp(mu + sigma**2 / 2)
    var = (math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)
    return scale * mean, scale**2 * var


# text, mean, variance, {q: quantile}
CASES: list[tuple[str, float, float, dict[float, float]]] = [
    ("7000", 7000.0, 0.0, {0.05: 7000.0, 0.5: 7000.0}),
    ("5 to 10", *lognormal_moments(LN_MU, LN_SIGMA), {0.05: 5.0, 0.5: math.sqrt(50), 0.95: 10.0}),
    ("-5 to 5", 0.0, (10 / (2 * Z95)) ** 2, {0.05: -5.0, 0.5: 0.0, 0.95: 5.0}),
    ("uniform(3k, 5k)", 4000.0, 2000**2 / 12, {0.05: 3100.0, 0.5: 4000.0, 0.9: 4800.0}),
    (
        "triangular(30, 60, 120)",
        70.0,
        350.0,
        # below the mode F(x) = (x-a)^2 / ((b-a)(c-a)); above, 1 - (b-x)^2 / ((b-a)(b-c))
        {
            (30 / 90): 60.0,
            0.05: 30 + math.sqrt(0.05 * 90 * 30),
            0.9: 120 - math.sqrt(0.1 * 90 * 60),
        },
    ),
    (
        "pert(1, 2, 4)",
        13 / 6,
        9 * PERT_A * PERT_B / ((PERT_A + PERT_B) ** 2 * (PERT_A + PERT_B + 1)),
        {q: 1 + 3 * float(stats.beta.ppf(q, PERT_A, PERT_B)) for q in (0.05, 0.5, 0.95)},
    ),
    ("normal(100, 15)", 100.0, 225.0, {0.05: 100 - 15 * Z95, 0.5: 100.0, 0.95: 100 + 15 * Z95}),
    ("beta(2, 5)", 2 / 7, 10 / (49 * 8), {0.5: float(stats.beta.ppf(0.5, 2, 5))}),
]


def _check_analytic(dist: Distribution, mean: float, var: float, qs: dict[float, float]) -> None:
    assert dist.mean == pytest.approx(mean, rel=1e-9, abs=1e-12)
    assert dist.variance == pytest.approx(var, rel=1e-9, abs=1e-12)
    for q, expected in qs.items():
        assert dist.quantile(q) == pytest.approx(expected, rel=1e-9)


def _check_sample(dist: Distribution, seed: int) -> None:
    x = dist.sample(np.random.default_rng(seed), N)
    sd = math.sqrt(dist.variance)
    assert abs(x.mean() - dist.mean) <= 5 * sd / math.sqrt(N) + 1e-9
    squares = (x - x.mean()) ** 2
    assert abs(squares.mean() - dist.variance) <= 5 * squares.std() / math.sqrt(N) + 1e-9
    for q in (0.05, 0.5, 0.95):
        below = float(np.mean(x <= dist.quantile(q)))
        if sd > 0:
            assert abs(below - q) <= 5 * math.sqrt(q * (1 - q) / N)


@pytest.mark.parametrize(("text", "mean", "var", "qs"), CASES, ids=[c[0] for c in CASES])
def test_distribution_written_in_a_scenario(
    text: str, mean: float, var: float, qs: dict[float, float]
) -> None:
    kind = "fraction" if text.startswith("beta") else "quantity"
    dist = parse_value(text, kind)
    _check_analytic(dist, mean, var, qs)
    _check_sample(dist, seed=sum(map(ord, text)))


def test_interval_has_the_written_fifth_and_ninety_fifth_percentiles() -> None:
    dist = parse_value("5 to 10")
    assert dist.quantile(0.05) == pytest.approx(5.0)
    assert dist.quantile(0.95) == pytest.approx(10.0)


def test_duration_distribution_is_scaled_to_days() -> None:
    dist = parse_duration("3 to 12 mo")
    mu, sigma = (math.log(3) + math.log(12)) / 2, (math.log(12) - math.log(3)) / (2 * Z95)
    mean, var = lognormal_moments(mu, sigma, DAYS_PER_MONTH)
    qs = {0.05: 3 * DAYS_PER_MONTH, 0.95: 12 * DAYS_PER_MONTH}
    _check_analytic(dist, mean, var, qs)
    _check_sample(dist, seed=3)


def test_a_wrong_mean_would_be_caught() -> None:
    """The sample check has teeth: a 1% shift in mean fails it."""
    dist = parse_value("normal(100, 15)")
    x = dist.sample(np.random.default_rng(1), N) * 1.01
    assert abs(x.mean() - dist.mean) > 5 * 15 / math.sqrt(N)
