"""Sequential Monte Carlo with adaptive tempering, one batch of runs per generation.

Targets ``prior(z) * L(z, u)**b`` for exponents ``b`` from 0 to 1, where ``z`` are the calibrated
inputs in the space where their prior is standard normal (``sim.evidence.prior``) and ``u`` is
the model's own randomness: each particle carries ``replicates`` runs with fresh randomness and
its likelihood ``L`` is their mean, an unbiased estimate of the likelihood with the randomness
integrated out (pseudo-marginal), so the sampler is exact on the space of (inputs, randomness)
pairs. More replicates make the estimate less noisy and the moves accept more often, at their
cost in runs. Bounds are soft on the way (``sim.evidence.likelihood``) and hard at ``b = 1``.

A stage: choose the next exponent by bisection so that the effective sample size (ESS) of the
reweighted particles is ``ess_drop`` of what it was; reweight (the mean incremental weight is a
factor of the evidence); if the exponent is 1 and the ESS, counting copies of one particle as
one, is at least ``target_ess`` of the particles, stop; else resample (systematic) and move.
A move is a random-walk Metropolis step in ``z`` with a Gaussian proposal shaped by the
particles' covariance and scaled to keep the acceptance near ``ACCEPTANCE``; its proposals are
one batch of runs (a generation). Moves repeat until ``renew`` of the particles have moved, or
``max_moves`` times.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from sim.evidence.likelihood import (
    LOG_HALF,
    Points,
    bound_log_likelihood,
    bound_scale,
    softness,
)

#: ``simulate(z, seed)``: the runs' values at the observation points ``(n, P)`` for the inputs
#: ``z`` ``(n, K)``, one run per row, with the model's own randomness from root seed ``seed``.
Simulate = Callable[[np.ndarray, int], np.ndarray]
#: Called after each generation with the stages so far.
Report = Callable[["Stage"], None]

ACCEPTANCE = 0.25  # acceptance the move's scale is adapted towards
BISECTION_STEPS = 60


@dataclass(frozen=True)
class Settings:
    """How the sampler runs (``particles`` runs per generation)."""

    particles: int = 2000
    seed: int = 0
    replicates: int = 1
    ess_drop: float = 0.5
    target_ess: float = 0.5
    renew: float = 0.9
    max_moves: int = 8
    max_generations: int = 300

    def __post_init__(self) -> None:
        if self.particles < 10:
            raise ValueError(f"particles must be at least 10, got {self.particles}")
        for name in ("ess_drop", "target_ess", "renew"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.replicates < 1:
            raise ValueError(f"replicates must be at least 1, got {self.replicates}")
        if self.max_moves < 1 or self.max_generations < 2:
            raise ValueError("max_moves must be at least 1 and max_generations at least 2")


@dataclass(frozen=True)
class Stage:
    """One tempering stage: its exponent, the ESS after reweighting, and its moves."""

    exponent: float
    ess: float
    moves: int = 0
    acceptance: float = math.nan
    scale: float = math.nan


@dataclass(frozen=True)
class Sample:
    """The weighted posterior sample: ``z`` and each particle's run values ``x`` at the points."""

    z: np.ndarray  # (N, K)
    x: np.ndarray  # (N, P) values at the points of each particle's first replicate run
    weight: np.ndarray  # (N,), sums to 1
    log_evidence: float
    ess: float  # copies of one particle counted once
    stages: tuple[Stage, ...]
    generations: int
    converged: bool
    prior_z: np.ndarray  # (N, K) the first generation's points: a sample of the prior
    settings: Settings = field(default_factory=Settings)

    @property
    def runs(self) -> int:
        """Runs simulated: one batch of ``particles x replicates`` per generation."""
        return self.generations * self.settings.particles * self.settings.replicates


@dataclass
class _Particles:
    z: np.ndarray
    x: np.ndarray  # (N, M, P) values of each replicate run at the points
    exact: np.ndarray  # (N, M) log-likelihood of the exact observations
    margins: np.ndarray  # (N, M, B)

    def take(self, index: np.ndarray) -> _Particles:
        return _Particles(self.z[index], self.x[index], self.exact[index], self.margins[index])

    def replace(self, accept: np.ndarray, other: _Particles) -> None:
        self.z[accept] = other.z[accept]
        self.x[accept] = other.x[accept]
        self.exact[accept] = other.exact[accept]
        self.margins[accept] = other.margins[accept]


class _Sampler:
    """The sampler's state between generations."""

    def __init__(self, simulate: Simulate, dims: int, points: Points, settings: Settings) -> None:
        self.simulate = simulate
        self.dims = dims
        self.points = points
        self.settings = settings
        self.rng = np.random.default_rng(np.random.SeedSequence(settings.seed))
        self.generations = 0
        self.scale = 2.38 / math.sqrt(max(dims, 1))
        self.scales = np.zeros(0)

    def evaluate(self, z: np.ndarray) -> _Particles:
        """One generation: a batch of ``replicates`` runs per point of ``z``, fresh randomness."""
        seed = batch_seed(self.settings.seed, self.generations)
        self.generations += 1
        n, m = len(z), self.settings.replicates
        x = np.asarray(self.simulate(np.repeat(z, m, axis=0), seed), dtype=np.float64)
        exact = self.points.exact_log_likelihood(x).reshape(n, m)
        margins = self.points.margins(x)
        return _Particles(z, x.reshape(n, m, -1), exact, margins.reshape(n, m, -1))

    def log_target(self, p: _Particles, exponent: float) -> np.ndarray:
        """The tempered log-likelihood of each particle, the log of the mean over its
        replicates (the prior apart)."""
        n, m = p.exact.shape
        flat = p.margins.reshape(n * m, -1)
        bounds = bound_log_likelihood(flat, self.scales, softness(exponent)).reshape(n, m)
        each = exponent * p.exact + bounds
        return np.asarray(special.logsumexp(each, axis=1) - math.log(m))

    def next_exponent(self, p: _Particles, exponent: float, log_w: np.ndarray) -> float:
        """The exponent after ``exponent`` whose reweighting keeps ``ess_drop`` of the ESS."""
        if exponent >= 1:
            return 1.0
        now = self.log_target(p, exponent)
        goal = self.settings.ess_drop * ess(log_w)

        def kept(b: float) -> float:
            return ess(log_w + self.log_target(p, b) - now)

        if kept(1.0) >= goal:
            return 1.0
        low, high = exponent, 1.0
        for _ in range(BISECTION_STEPS):
            middle = (low + high) / 2
            low, high = (middle, high) if kept(middle) >= goal else (low, middle)
        if 1.0 - low < 1e-9:  # nothing left to temper: the hard bounds decide
            return 1.0
        return max(low, exponent + 1e-12 * (1 - exponent))

    def move(self, p: _Particles, exponent: float, cov: np.ndarray) -> tuple[_Particles, Stage]:
        """Random-walk Metropolis steps at ``exponent`` until ``renew`` of the particles moved."""
        n = len(p.z)
        chol = np.linalg.cholesky(cov + 1e-9 * np.eye(self.dims))
        moved = np.zeros(n, dtype=bool)
        rates: list[float] = []
        current = self.log_target(p, exponent) - 0.5 * (p.z**2).sum(axis=1)
        while len(rates) < self.settings.max_moves and self.room():
            proposal = p.z + self.scale * self.rng.standard_normal((n, self.dims)) @ chol.T
            q = self.evaluate(proposal)
            proposed = self.log_target(q, exponent) - 0.5 * (proposal**2).sum(axis=1)
            with np.errstate(invalid="ignore"):
                accept = np.log(self.rng.random(n)) < proposed - current
            p.replace(accept, q)
            current = np.where(accept, proposed, current)
            moved |= accept
            rate = float(accept.mean())
            rates.append(rate)
            self.scale = float(np.clip(self.scale * math.exp(rate - ACCEPTANCE), 1e-3, 10.0))
            if moved.mean() >= self.settings.renew:
                break
        acceptance = float(np.mean(rates)) if rates else math.nan
        stage = Stage(exponent, math.nan, len(rates), acceptance, self.scale)
        return p, stage

    def room(self) -> bool:
        """Whether another generation is allowed."""
        return self.generations < self.settings.max_generations


def sample(
    simulate: Simulate,
    dims: int,
    points: Points,
    settings: Settings | None = None,
    report: Report | None = None,
) -> Sample:
    """The posterior of ``dims`` standard-normal inputs given ``points`` (``Sample``)."""
    settings = settings or Settings()
    if dims < 1:
        raise ValueError("nothing to calibrate: no uncertain inputs")
    s = _Sampler(simulate, dims, points, settings)
    n = settings.particles
    prior_z = s.rng.standard_normal((n, dims))
    p = s.evaluate(prior_z.copy())
    s.scales = bound_scale(points, p.x.reshape(n * settings.replicates, -1))
    exponent, log_w = 0.0, np.full(n, -math.log(n))
    log_evidence = LOG_HALF * int(points.bounds.sum())  # the soft bounds at exponent 0
    stages: list[Stage] = []
    while True:
        following = s.next_exponent(p, exponent, log_w)
        reweighted = log_w
        if following > exponent:
            reweighted = log_w + s.log_target(p, following) - s.log_target(p, exponent)
        total = float(special.logsumexp(reweighted))
        if not math.isfinite(total):
            raise ValueError("no run is compatible with the observations (every weight is 0)")
        log_evidence += total  # log_w is normalised: the log of the mean incremental weight
        log_w, exponent = reweighted - total, following
        found = merged_ess(p.z, log_w)
        stages.append(Stage(exponent, found))
        done = exponent >= 1 and found >= settings.target_ess * n
        if done or not s.room():
            break
        cov = weighted_cov(p.z, log_w)
        p = p.take(systematic(s.rng, log_w))
        log_w = np.full(n, -math.log(n))
        p, moved = s.move(p, exponent, cov)
        stages[-1] = Stage(exponent, found, moved.moves, moved.acceptance, moved.scale)
        if report:
            report(stages[-1])
    if report:
        report(stages[-1])
    weight = np.exp(log_w - special.logsumexp(log_w))
    kept = weight > 0  # particles that a bound rules out at exponent 1 are left out
    return Sample(p.z[kept], p.x[kept, 0], weight[kept] / weight[kept].sum(), log_evidence, found,
                  tuple(stages), s.generations, bool(done), prior_z, settings)  # fmt: skip


def batch_seed(seed: int, generation: int) -> int:
    """The root seed of a generation's runs: distinct for every generation (fresh randomness)."""
    state = np.random.SeedSequence([seed, generation]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))  # below 2**63


def ess(log_w: np.ndarray) -> float:
    """Effective sample size of (unnormalised) log weights; 0 if every weight is 0."""
    top = float(np.max(log_w)) if len(log_w) else -math.inf
    if not math.isfinite(top):
        return 0.0
    w = np.exp(log_w - top)
    return float(w.sum() ** 2 / (w**2).sum())


def merged_ess(z: np.ndarray, log_w: np.ndarray) -> float:
    """ESS counting the copies of one particle (after resampling, unmoved) as one."""
    w = np.exp(log_w - special.logsumexp(log_w))
    _, group = np.unique(z, axis=0, return_inverse=True)
    merged = np.bincount(group.ravel(), weights=w)
    return float(1.0 / (merged**2).sum())


def weighted_cov(z: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    """``(K, K)`` covariance of the weighted particles."""
    w = np.exp(log_w - special.logsumexp(log_w))
    mean = w @ z
    centred = z - mean
    return np.atleast_2d((centred * w[:, None]).T @ centred)


def systematic(rng: np.random.Generator, log_w: np.ndarray) -> np.ndarray:
    """Indices of a systematic resample of the particles by their weights."""
    n = len(log_w)
    w = np.exp(log_w - special.logsumexp(log_w))
    positions = (rng.random() + np.arange(n)) / n
    index = np.searchsorted(np.cumsum(w), positions)
    return np.minimum(index, n - 1)
