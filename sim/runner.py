"""Monte Carlo runner: split runs into fixed-size chunks, simulate them, gather the results.

Chunk ``k`` is seeded by the ``k``-th child of ``SeedSequence(seed)`` and always holds the same
runs, so results are identical whether the chunks run serially, on local processes or as Dask
tasks on a cluster, and whatever the number of workers.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import numpy as np

from sim import guard
from sim.engine import ChunkResult, simulate_chunk
from sim.given import GivenInputs, check_given, chunk_inputs, input_table
from sim.ledger import mapped_zeros
from sim.lifetime import die_with_parent
from sim.limits import MAX_SEED
from sim.results import Results, build_dataset
from sim.scenario.model import Scenario
from sim.summaries import ChunkSummary, merge_in_order, summarise_chunk, summary_dataset
from sim.transfer import file_allocator, remove_orphans, shared_folder

#: Runs per chunk. Fixed (never derived from the number of workers) so results do not depend on it.
#: Larger chunks spread the event loop's fixed cost over more runs but hold more memory and leave
#: workers idle on small jobs (benchmarks/README.md measures the trade).
CHUNK_RUNS = 5000
POOL_RESTARTS = 3  # new local pools after workers died, before the run gives up

#: Float type of stored trajectories of random runs (the engine computes in float64): half the
#: memory. A deterministic run (a single run of exact arithmetic) is stored in float64.
STORED_PRECISION = np.float32

Progress = Callable[[int], None]
Keep = Literal["full", "summary"]
Out = TypeVar("Out", ChunkResult, ChunkSummary, np.ndarray)


@dataclass(frozen=True)
class Chunk:
    """``size`` runs starting at run ``first``, simulated from the ``index``-th child seed."""

    index: int
    first: int
    size: int


def plan_chunks(runs: int, chunk_runs: int | None = None) -> list[Chunk]:
    """Split ``runs`` into consecutive chunks of ``chunk_runs`` (the last may be smaller).

    >>> [(c.first, c.size) for c in plan_chunks(12500)]
    [(0, 5000), (5000, 5000), (10000, 2500)]
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    chunk_runs = chunk_runs or CHUNK_RUNS
    starts = range(0, runs, chunk_runs)
    return [Chunk(k, first, min(chunk_runs, runs - first)) for k, first in enumerate(starts)]


def _simulate(
    scenario: Scenario,
    chunk: Chunk,
    seed: int,
    deterministic: bool,
    given: GivenInputs | None = None,
    *,
    shared: Path | None = None,
) -> ChunkResult:
    """Simulate a chunk (``given``: its rows of the given inputs); in a worker process, with its
    trajectories in the ``shared`` folder (``sim.transfer``)."""
    child = np.random.SeedSequence(seed).spawn(chunk.index + 1)[chunk.index]
    precision = np.float64 if deterministic else STORED_PRECISION  # one exact run
    allocate = mapped_zeros if shared is None else file_allocator(shared)
    return simulate_chunk(
        scenario, chunk.size, child, deterministic=deterministic, precision=precision,
        allocate=allocate, given=given,
    )  # fmt: skip


def _summarise(
    scenario: Scenario,
    chunk: Chunk,
    seed: int,
    deterministic: bool,
    given: GivenInputs | None = None,
) -> ChunkSummary:
    """Simulate a chunk and reduce it where it ran: only the summary travels back."""
    return summarise_chunk(scenario, _simulate(scenario, chunk, seed, deterministic, given))


def _observed(
    scenario: Scenario,
    chunk: Chunk,
    seed: int,
    deterministic: bool,
    given: GivenInputs | None = None,
) -> np.ndarray:
    """Simulate a chunk and keep only its runs' values at the observed points."""
    return _simulate(scenario, chunk, seed, deterministic, given).observed


def observed(
    scenario: Scenario,
    *,
    runs: int,
    seed: int,
    inputs: Any = None,
    workers: int = 1,
    scheduler: Any = None,
    check: bool = True,
) -> np.ndarray:
    """``(runs, points)``: each run's values at the scenario's observed points, as in the
    ``observed`` of ``run(scenario, runs=runs, seed=seed, inputs=inputs)`` (the same chunks and
    seeds) without assembling the rest of the results: what a calibration needs of a batch.
    ``check=False`` skips checking the given inputs' paths (already checked once)."""
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be from 0 to 2**63 - 1, got {seed}")
    table = None if inputs is None else input_table(inputs)
    if table is not None and check:
        check_given(scenario, table, runs)
    job = Job(_observed, scenario, seed, False, table)
    return np.concatenate(list(_chunks(job, plan_chunks(runs), workers, scheduler, None)))


def run(
    scenario: Scenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    deterministic: bool = False,
    scheduler: Any = None,
    progress: Progress | None = None,
    keep: Keep = "full",
    allow_large: bool = False,
    inputs: Any = None,
) -> Results:
    """Simulate ``scenario`` ``runs`` times and return labelled ``Results``.

    ``runs`` and ``seed`` default to the scenario's. ``workers > 1`` uses local processes;
    ``scheduler`` (a ``dask.distributed.Client`` or a scheduler address such as
    ``"tcp://host:8786"``) runs the chunks as Dask tasks. ``deterministic=True`` makes one run in
    which every distribution is at its mean and every random process at its expected value.
    ``progress`` is called with the number of runs finished after each chunk.

    ``keep="summary"`` keeps no trajectories: each chunk is reduced to quantiles, means and
    event-date counts where it ran and merged as chunks finish (``sim.summaries``), so memory
    is bounded by one chunk plus the summary; the dataset then has a ``quantile`` dimension
    instead of ``run``.

    A run whose estimated memory, output or work passes the limits of ``sim.limits`` raises
    ``ScenarioError`` naming the fields responsible before anything is simulated, unless
    ``allow_large=True`` (``sim.guard``).

    ``inputs`` gives the values of some inputs per run instead of drawing them (``sim.given``:
    a DataFrame with a column per input path and a row per run, or a DataArray over (run,
    input)); ``runs`` then defaults to its number of rows. Unknown paths and a wrong number of
    rows raise ``sim.given.InputsError``.
    """
    if keep not in ("full", "summary"):
        raise ValueError(f"keep must be 'full' or 'summary', got {keep!r}")
    table = None if inputs is None else input_table(inputs)
    if table and runs is None and not deterministic:
        runs = len(next(iter(table.values())))
    given, runs = runs, 1 if deterministic else (scenario.runs if runs is None else runs)
    seed = scenario.seed if seed is None else seed
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be from 0 to 2**63 - 1, got {seed}")
    guard.check(
        scenario, runs=given, workers=workers, summary=keep == "summary",
        deterministic=deterministic, allow_large=allow_large,
    )  # fmt: skip
    if table is not None:
        check_given(scenario, table, runs)
    chunks = plan_chunks(runs)
    remove_orphans()  # what runs killed before they could clean up left in shared memory
    started = time.perf_counter()
    if keep == "summary":
        summarise = Job(_summarise, scenario, seed, deterministic, table)
        merged = merge_in_order(_chunks(summarise, chunks, workers, scheduler, progress))
        dataset = summary_dataset(scenario, merged, seed=seed, deterministic=deterministic)
    else:
        # Trajectories from local worker processes come through shared memory (sim.transfer).
        parallel = _backend(chunks, workers, scheduler) == "processes"
        with shared_folder() if parallel else nullcontext() as shared:
            task = _simulate if shared is None else partial(_simulate, shared=shared)
            simulate = Job(task, scenario, seed, deterministic, table)
            results = list(_chunks(simulate, chunks, workers, scheduler, progress))
        dataset = build_dataset(scenario, results, seed=seed, deterministic=deterministic)
    if table:
        dataset.attrs["given_inputs"] = json.dumps(list(table))
    return Results(dataset, wall_seconds=time.perf_counter() - started, workers=workers)


Task = Callable[[Scenario, Chunk, int, bool, GivenInputs | None], Out]


@dataclass(frozen=True)
class Job(Generic[Out]):
    """``task`` of one chunk of ``scenario`` with the run's seed and the given inputs of all
    runs (picklable for workers)."""

    task: Task[Out]
    scenario: Scenario
    seed: int
    deterministic: bool
    given: GivenInputs | None = None

    def __call__(self, chunk: Chunk) -> Out:
        return self.task(self.scenario, chunk, self.seed, self.deterministic, self.rows(chunk))

    def rows(self, chunk: Chunk) -> GivenInputs | None:
        """The given inputs of ``chunk``'s runs (only they travel to its worker)."""
        return chunk_inputs(self.given, chunk.first, chunk.size)

    def submit(self, pool: ProcessPoolExecutor, chunk: Chunk) -> Future[Out]:
        """Run ``chunk`` on a local worker, sending it only that chunk's given inputs."""
        rows = self.rows(chunk)
        return pool.submit(self.task, self.scenario, chunk, self.seed, self.deterministic, rows)


def _chunks(
    job: Job[Out], chunks: list[Chunk], workers: int, scheduler: Any, progress: Progress | None
) -> Iterator[Out]:
    """``job`` of every chunk, yielded in chunk order, on the chosen backend."""
    backend = _backend(chunks, workers, scheduler)
    if backend == "dask":
        return _on_dask(job, chunks, scheduler, progress)
    if backend == "processes":
        return _on_processes(job, chunks, workers, progress)
    return _serially(job, chunks, progress)


def _backend(chunks: list[Chunk], workers: int, scheduler: Any) -> str:
    """Where the chunks run: on a Dask cluster, on local worker processes, or here."""
    if scheduler is not None:
        return "dask"
    return "processes" if workers > 1 and len(chunks) > 1 else "serial"


def _serially(job: Job[Out], chunks: list[Chunk], progress: Progress | None) -> Iterator[Out]:
    for chunk in chunks:
        yield job(chunk)
        if progress:
            progress(chunk.size)


def _on_processes(
    job: Job[Out], chunks: list[Chunk], workers: int, progress: Progress | None
) -> Iterator[Out]:
    """Chunks on local worker processes, yielded in chunk order. A worker that dies (killed,
    out of memory) breaks the pool: the chunks not yet received run again in a new pool from
    their own seeds, so the result is the same, as on Dask (at most ``POOL_RESTARTS`` times)."""
    done, restarts = 0, 0
    while done < len(chunks):
        try:
            for result in _in_one_pool(job, chunks[done:], workers):
                yield result
                if progress:
                    progress(chunks[done].size)
                done += 1
        except BrokenProcessPool:
            restarts += 1
            if restarts > POOL_RESTARTS:
                raise


def _in_one_pool(job: Job[Out], chunks: list[Chunk], workers: int) -> Iterator[Out]:
    """At most ``2 * workers`` chunks in flight, so finished ones never pile up."""
    window = 2 * workers
    size = min(workers, len(chunks))
    with ProcessPoolExecutor(size, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        pending = deque(_submit(pool, job, c) for c in chunks[:window])
        for k in range(len(chunks)):
            result = pending.popleft().result()
            if k + window < len(chunks):
                pending.append(_submit(pool, job, chunks[k + window]))
            yield result


def _submit(pool: ProcessPoolExecutor, job: Callable[[Chunk], Out], chunk: Chunk) -> Future[Out]:
    """``job(chunk)`` on a worker; a ``Job`` sends only the chunk's rows of its given inputs."""
    if isinstance(job, Job):
        return job.submit(pool, chunk)
    return pool.submit(job, chunk)


def _on_dask(
    job: Job[Out], chunks: list[Chunk], scheduler: Any, progress: Progress | None
) -> Iterator[Out]:
    """Chunks as Dask tasks; each result is yielded (in chunk order) and released as soon as
    every earlier chunk is done. The scenario is sent to every worker once."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        # A key of its own (not the content's hash): a run that follows on the same client
        # with the same scenario must not share data that this run's end releases.
        shared = client.scatter(job.scenario, broadcast=True, hash=False)
        task, seed, deterministic = job.task, job.seed, job.deterministic
        futures = [
            client.submit(task, shared, c, seed, deterministic, job.rows(c), pure=True, retries=3)
            for c in chunks
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        finished = as_completed(futures)
        del futures  # results are released once gathered
        done: dict[int, Out] = {}
        following = 0
        for future in finished:
            k = index[future.key]
            done[k] = future.result()
            future.release()
            if progress:
                progress(chunks[k].size)
            while following in done:
                yield done.pop(following)
                following += 1
    finally:
        if client is not scheduler:
            client.close()
