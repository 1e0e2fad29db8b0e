"""The engine agrees with the naive per-run oracle (``benchmarks/naive.py``).

The oracle is written independently of ``sim.engine`` and ``sim.processes``: one SimPy
environment per run, scalar floats. On the reference scenario (every process kind) it must
give exactly the same numbers when deterministic, and the same distributions otherwise:
means within 5 standard errors of the difference (pooled variance: under the hypothesis both
samples come from one law), and at the engine's p10/p50/p90 the naive empirical CDF within
5 binomial standard errors. Seeds are fixed, so the outcome never changes from run to run.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from builders import dense

from benchmarks.naive import NaiveResult, implements, simulate_naive
from sim.engine import ChunkResult, simulate_chunk
from sim.flows import BY_NAME, FLOWS, LEVELS
from sim.processes.registry import kinds
from sim.scenario.model import Scenario

#: The oracle runs 200 naive runs of the reference scenario: outside the fast loop.
pytestmark = pytest.mark.slow

SERIES = (*LEVELS, *FLOWS)
METRIC_NAMES = ("depleted_at", "replenished_at", "trough_at", "trough")
N_NAIVE = 200
N_ENGINE = 2000
Z = 5.0  # standard errors allowed
DUST = 1e-6  # absolute float dust allowed next to the 1e-9 relative tolerance

Result = ChunkResult | NaiveResult


# -- deterministic: identical numbers ----------------------------------------------------------


@pytest.fixture(scope="module")
def deterministic(reference: Scenario) -> tuple[NaiveResult, ChunkResult]:
    naive = simulate_naive(reference, 1, 0, deterministic=True)
    engine = simulate_chunk(reference, 1, np.random.SeedSequence(0), deterministic=True)
    return naive, engine


def _first_mismatch(naive: np.ndarray, engine: np.ndarray, result: Result) -> str:
    close = np.isclose(engine, naive, rtol=1e-9, atol=DUST, equal_nan=True)
    where = np.argwhere(~close)
    if where.size == 0:
        return ""
    index = tuple(where[0])
    run, h, i = index[0], index[-2], index[-1]
    when = f"day {result.report_days[index[1]]:g} " if len(index) == 4 else ""
    cell = f"{result.holders[h]}.{result.items[i]}"
    return (
        f"{len(where)} values differ; first: run {run} {when}{cell}: "
        f"naive {naive[index]!r} engine {engine[index]!r}"
    )


def test_deterministic_shapes_and_labels_agree(
    deterministic: tuple[NaiveResult, ChunkResult],
) -> None:
    naive, engine = deterministic
    assert engine.holders == naive.holders
    assert engine.items == naive.items
    np.testing.assert_array_equal(engine.report_days, naive.report_days)
    for name in SERIES:
        assert dense(engine, name).shape == naive.series[name].shape, name


@pytest.mark.parametrize("name", SERIES)
def test_deterministic_series_identical(
    deterministic: tuple[NaiveResult, ChunkResult], name: str
) -> None:
    naive, engine = deterministic
    assert _first_mismatch(naive.series[name], dense(engine, name), naive) == ""


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_deterministic_metrics_identical(
    deterministic: tuple[NaiveResult, ChunkResult], name: str
) -> None:
    naive, engine = deterministic
    assert _first_mismatch(naive.metrics[name], engine.metrics[name], naive) == ""


def test_deterministic_floors_targets_pledges_identical(
    deterministic: tuple[NaiveResult, ChunkResult],
) -> None:
    naive, engine = deterministic
    np.testing.assert_allclose(engine.floor, naive.floor, rtol=1e-9)
    np.testing.assert_allclose(engine.target, naive.target, rtol=1e-9)
    assert set(engine.pledge_total) == set(naive.pledge_total)
    for pledge in naive.pledge_total:
        np.testing.assert_allclose(engine.pledge_total[pledge], naive.pledge_total[pledge])
        np.testing.assert_allclose(
            engine.pledge_fulfilled_at[pledge], naive.pledge_fulfilled_at[pledge], equal_nan=True
        )


def test_deterministic_reference_exercises_every_flow(
    deterministic: tuple[NaiveResult, ChunkResult],
) -> None:
    """The comparison means something only if every flow and level actually moves."""
    naive, _ = deterministic
    for name in SERIES:
        assert np.abs(naive.series[name]).max() > 0, name


def test_the_reference_and_the_oracle_cover_every_process_kind(reference: Scenario) -> None:
    """A registered kind that the oracle does not simulate, or that the reference scenario
    does not use, fails here instead of being silently left out of the comparison."""
    for kind in kinds():
        assert implements(kind.section), f"benchmarks/naive.py has no _{kind.section}"
        assert reference.section(kind.section), f"benchmarks/reference.yaml has no {kind.section}"


# -- random: same distributions ----------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(reference: Scenario) -> tuple[NaiveResult, ChunkResult]:
    quarterly = dataclasses.replace(reference, report_every_days=91.0)  # fewer stored times
    naive = simulate_naive(quarterly, N_NAIVE, np.random.SeedSequence(20240101))
    engine = simulate_chunk(quarterly, N_ENGINE, np.random.SeedSequence(20240102))
    return naive, engine


def _times(result: Result) -> list[int]:
    last = len(result.report_days) - 1
    return [last // 4, last // 2, last]


def _mean_gaps(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|mean difference| in standard errors, pooled variance; 0 where both are constant."""
    pooled = np.concatenate([x, y]).var(axis=0, ddof=1)
    se = np.sqrt(pooled * (1 / len(x) + 1 / len(y)))
    diff = np.abs(x.mean(axis=0) - y.mean(axis=0))
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    diff = np.where(diff <= 1e-9 * scale, 0.0, diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(diff == 0, 0.0, diff / se)


def _describe(gaps: np.ndarray, result: Result, times: list[int]) -> str:
    t, h, i = np.unravel_index(int(np.nanargmax(gaps)), gaps.shape)
    day = result.report_days[times[t]]
    return f"worst: day {day:g} {result.holders[h]}.{result.items[i]}: {gaps[t, h, i]:.1f} SE"


@pytest.mark.parametrize("name", SERIES)
def test_means_agree(samples: tuple[NaiveResult, ChunkResult], name: str) -> None:
    naive, engine = samples
    times = _times(naive)
    x, y = naive.series[name][:, times], dense(engine, name)[:, times]
    gaps = _mean_gaps(x, y)
    assert np.all(gaps <= Z), _describe(gaps, naive, times)


@pytest.mark.parametrize("name", LEVELS)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_quantiles_agree(samples: tuple[NaiveResult, ChunkResult], name: str, p: float) -> None:
    """At the engine's p-quantile q, the naive share at or below q is p within 5 SE.

    Atoms (a stock stuck at 0) are handled by comparing the intervals [P(X < q), P(X <= q)].
    """
    naive, engine = samples
    times = _times(naive)
    x, y = naive.series[name][:, times], dense(engine, name)[:, times]
    q = np.quantile(y, p, axis=0, method="inverted_cdf")
    naive_low, naive_high = (x < q).mean(axis=0), (x <= q).mean(axis=0)
    engine_low, engine_high = (y < q).mean(axis=0), (y <= q).mean(axis=0)
    tolerance = Z * np.sqrt(p * (1 - p) * (1 / len(x) + 1 / len(y)))
    gap = np.maximum(naive_low - engine_high, engine_low - naive_high)
    assert np.all(gap <= tolerance), _describe(gap / tolerance * Z, naive, times)


def _event_gaps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaps (in SE) of the probability of an event and of the mean date where both have it."""
    px, py = np.isfinite(x).mean(axis=0), np.isfinite(y).mean(axis=0)
    pooled = (px * len(x) + py * len(y)) / (len(x) + len(y))
    se = np.sqrt(pooled * (1 - pooled) * (1 / len(x) + 1 / len(y)))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_gap = np.where(px == py, 0.0, np.abs(px - py) / se)
    date_gap = np.zeros(x.shape[1:])
    for h, i in np.ndindex(*x.shape[1:]):
        a, b = x[:, h, i], y[:, h, i]
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if len(a) >= 20 and len(b) >= 20:
            date_gap[h, i] = _mean_gaps(a[:, None], b[:, None])[0]
    return p_gap, date_gap


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metrics_agree(samples: tuple[NaiveResult, ChunkResult], name: str) -> None:
    naive, engine = samples
    p_gap, date_gap = _event_gaps(naive.metrics[name], engine.metrics[name])
    worst = np.unravel_index(int(np.argmax(np.maximum(p_gap, date_gap))), p_gap.shape)
    cell = f"{naive.holders[worst[0]]}.{naive.items[worst[1]]}"
    assert np.all(p_gap <= Z), f"probability of {name} differs most at {cell}"
    assert np.all(date_gap <= Z), f"mean {name} differs most at {cell}"


def test_pledges_agree(samples: tuple[NaiveResult, ChunkResult]) -> None:
    naive, engine = samples
    assert set(engine.pledge_fulfilled_at) == set(naive.pledge_fulfilled_at)
    for pledge in naive.pledge_fulfilled_at:
        x = naive.pledge_fulfilled_at[pledge][:, None, None]
        y = engine.pledge_fulfilled_at[pledge][:, None, None]
        p_gap, date_gap = _event_gaps(x, y)
        assert p_gap.max() <= Z and date_gap.max() <= Z, pledge
        gap = _mean_gaps(naive.pledge_total[pledge][:, None], engine.pledge_total[pledge][:, None])
        assert gap.max() <= Z, pledge


def test_comparison_can_fail(samples: tuple[NaiveResult, ChunkResult]) -> None:
    """The mean test notices a 5% change in stock: the tolerance is not too loose."""
    naive, engine = samples
    times = _times(naive)
    x, y = naive.series["stock"][:, times], dense(engine, "stock")[:, times]
    assert np.any(_mean_gaps(x * 1.05, y) > Z)


def test_naive_ledger_balances_and_stays_non_negative(
    samples: tuple[NaiveResult, ChunkResult],
) -> None:
    """The oracle itself keeps the balance identity of the format in every run, time and cell."""
    naive, _ = samples
    s = naive.series
    ledger = s["stock"][:, :1] + sum(BY_NAME[f].sign * s[f] for f in FLOWS)
    scale = np.maximum(np.abs(s["stock"]).max(axis=(0, 1)), 1.0)
    assert np.all(np.abs(ledger - s["stock"]) <= 1e-9 * scale)
    assert s["stock"].min() >= 0
