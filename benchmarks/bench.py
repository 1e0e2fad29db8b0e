"""Speed and scale of the engine against the naive per-run model, and where the time goes.

Run from the repository root::

    python benchmarks/bench.py            # everything (several minutes)
    python benchmarks/bench.py --quick    # a small subset (about two minutes)

It prints: engine and naive runs/s with their ratio; 1 vs 2 workers; peak memory of a child
process running 10k runs; scaling tables in runs, horizon and items; a profile by module and
by process kind (inclusive); an unprofiled split of a chunk (draws, storage, compiled loops,
the rest), the cost of new memory and of the event loop, and what 10k runs cost before any
stock arithmetic; and the targets with met / not met. Figures depend on the machine; see
README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import functools
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import variants  # noqa: E402
from benchmarks.naive import simulate_naive  # noqa: E402
from sim import runner  # noqa: E402
from sim.engine import ChunkResult  # noqa: E402
from sim.ledger import Allocate, mapped_zeros  # noqa: E402
from sim.scenario.model import Scenario  # noqa: E402

REFERENCE = HERE / "reference.yaml"
CHUNK = runner.CHUNK_RUNS  # runs per engine call, as the runner does
PRECISION = getattr(runner, "STORED_PRECISION", np.float64)  # stored float type, as the runner
SEED = 20220224
WORKER_REPEATS = 3  # wall times on a shared machine vary by +-20%: best of several, alternating
REPEATS = 3  # one-core throughput: best of several (the first use of fresh memory is slowest)
NAIVE_REPEATS = 2  # naive halves, each after an engine measurement
SCALING_REPEATS = 2  # scaling tables: best of two (system time for new memory varies most)
IDLE = 5.0  # seconds without allocating before writing a new buffer (free page reporting)


# -- measuring ---------------------------------------------------------------------------------


def load_reference(path: Path = REFERENCE) -> Scenario:
    import sim

    scenario: Scenario = sim.load_scenario(str(path))
    return scenario


def chunk_sizes(runs: int, chunk: int = CHUNK) -> list[int]:
    return [min(chunk, runs - first) for first in range(0, runs, chunk)]


def chunk_result(scenario: Scenario, size: int, index: int) -> ChunkResult:
    """Chunk ``index`` of ``size`` runs, simulated as the runner does."""
    from sim.engine import simulate_chunk

    child = np.random.SeedSequence(SEED).spawn(index + 1)[index]
    return simulate_chunk(scenario, size, child, precision=PRECISION)


def _engine_chunk(scenario: Scenario, size: int, index: int) -> float:
    """Simulate one chunk as the runner does and drop it; returns a checksum (the stock at the
    end, summed) so nothing is optimised away."""
    result = chunk_result(scenario, size, index)
    last = result.slots["stock"][-1]
    return float(result.slabs["stock"][last].sum(dtype=np.float64))


def engine_seconds(scenario: Scenario, runs: int, workers: int = 1) -> float:
    """Time of the engine alone over ``runs`` runs in chunks, results discarded.

    One worker: CPU time of this process (steadier than wall time on a shared machine);
    more workers: wall time.
    """
    sizes = chunk_sizes(runs)
    started = time.process_time() if workers == 1 else time.perf_counter()
    if workers == 1:
        for k, size in enumerate(sizes):
            _engine_chunk(scenario, size, k)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_engine_chunk, scenario, s, k) for k, s in enumerate(sizes)]
            for future in futures:
                future.result()
    return (time.process_time() if workers == 1 else time.perf_counter()) - started


def user_system(action: Callable[[], object]) -> tuple[float, float]:
    """User and system CPU seconds of ``action`` in this process (system: mostly page faults
    of fresh memory, the stored trajectories)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    action()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def runner_seconds(
    scenario: Scenario,
    runs: int,
    workers: int = 1,
    keep: str | None = None,
    seed: int = SEED,
) -> float:
    """CPU time of ``sim.run`` (engine, gathering, dataset) for ``runs`` runs, one worker."""
    import sim

    kwargs: dict[str, Any] = {"runs": runs, "seed": seed, "workers": workers}
    if keep is not None:
        kwargs["keep"] = keep
    started = time.process_time() if workers == 1 else time.perf_counter()
    sim.run(scenario, **kwargs)
    return (time.process_time() if workers == 1 else time.perf_counter()) - started


def best_of(repeats: int, measure: Callable[[], float]) -> float:
    """The least of ``repeats`` measurements, all printed (timings on a shared machine only err
    upwards: other work, first use of fresh memory)."""
    times = [measure() for _ in range(repeats)]
    print(f"  ({', '.join(f'{t:.2f}' for t in times)} s: best of {repeats})")
    return min(times)


def wall(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def workers_speedup(label: str, runs: int, work: Callable[[int], object]) -> float:
    """Wall time of ``work(1)`` over that of ``work(2)`` (workers; new worker processes, as
    ``sim.run(workers=2)`` starts), best of ``WORKER_REPEATS`` alternating."""
    one, two = math.inf, math.inf
    for _ in range(WORKER_REPEATS):
        one = min(one, wall(lambda: work(1)))
        two = min(two, wall(lambda: work(2)))
    print(f"  {label}, {runs} runs: {len(chunk_sizes(runs)) / 2:g} chunks per worker")
    rate_line("1 worker", runs, one)
    rate_line("2 worker processes", runs, two)
    print(f"  speed-up: {one / two:.2f}x")
    return one / two


def naive_seconds(scenario: Scenario, runs: int) -> float:
    """CPU time of the naive model for ``runs`` runs."""
    started = time.process_time()
    simulate_naive(scenario, runs, np.random.SeedSequence(SEED))
    return time.process_time() - started


def child_peak_mb(mode: str, runs: int) -> float | None:
    """Peak resident memory (MB) of a fresh process simulating ``runs`` runs in ``mode``."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"    (child '{mode}' failed: {done.stderr.strip().splitlines()[-1:]})")
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mb"])


def peak_mb() -> float:
    """Peak resident memory of this process in MB (VmHWM; ru_maxrss survives fork + exec)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _child(mode: str, runs: int) -> None:
    scenario = load_reference()
    if mode == "engine":
        engine_seconds(scenario, runs)
    elif mode == "run":
        runner_seconds(scenario, runs)
    elif mode == "summary":
        runner_seconds(scenario, runs, keep="summary")
    elif mode != "baseline":
        raise SystemExit(f"unknown child mode {mode}")
    print(json.dumps({"peak_mb": peak_mb()}))


# -- profile -----------------------------------------------------------------------------------


def _module_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    if "/sim/" in path:
        return "sim/" + path.rsplit("/sim/", 1)[1]
    if "/simpy/" in path:
        return "simpy"
    if "/numpy/" in path:
        return "numpy (Python side)"
    if filename == "~":
        return "builtins"
    return "other"


def _self_time_by_module(stats: pstats.Stats) -> tuple[dict[str, float], dict[str, float]]:
    """Own time per module and per function, C calls charged to the module that made them."""
    by_module: dict[str, float] = {}
    by_function: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, tottime, _ct, callers) in raw.items():
        if filename == "~" and callers:
            for (cfile, _cline, cname), caller_stats in callers.items():
                share = caller_stats[2]
                module = _module_of(cfile)
                by_module[module] = by_module.get(module, 0.0) + share
                key = f"{module}:{cname}"
                by_function[key] = by_function.get(key, 0.0) + share
            continue
        module = _module_of(filename)
        by_module[module] = by_module.get(module, 0.0) + tottime
        key = f"{module}:{name}"
        by_function[key] = by_function.get(key, 0.0) + tottime
    return by_module, by_function


def _inclusive_by_module(stats: pstats.Stats) -> dict[str, float]:
    """Time inside each ``sim`` module including its callees, entered from other modules.

    For ``sim/processes/<kind>.py`` this is the cost of that process kind (its generators are
    resumed by SimPy), including the ledger, calendar and draw calls it makes.
    """
    inclusive: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, _tt, _ct, callers) in raw.items():
        module = _module_of(filename)
        if not module.startswith("sim/"):
            continue
        for (cfile, _cline, _cname), caller_stats in callers.items():
            if _module_of(cfile) != module:
                inclusive[module] = inclusive.get(module, 0.0) + caller_stats[3]
    return inclusive


def profile(scenario: Scenario, runs: int) -> None:
    """cProfile one chunk: own time by module and function; inclusive time by module."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    _engine_chunk(scenario, runs, 0)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    by_module, by_function = _self_time_by_module(stats)
    total = sum(by_module.values())
    print(f"\n  cProfile of one chunk of {runs} runs, {wall:.2f} s under the profiler")
    print("  own time by module (C calls such as numpy ufuncs charged to their caller):")
    for module, seconds in sorted(by_module.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {module:<34} {seconds:7.3f} s  {100 * seconds / total:5.1f} %")
    print("  hottest functions (own time, same convention):")
    for name, seconds in sorted(by_function.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {name:<54} {seconds:7.3f} s  {100 * seconds / total:5.1f} %")
    print("  inclusive time by sim module (a process kind with everything it calls):")
    inclusive = _inclusive_by_module(stats)
    for module, seconds in sorted(inclusive.items(), key=lambda kv: -kv[1])[:14]:
        print(f"    {module:<34} {seconds:7.3f} s  {100 * seconds / total:5.1f} %")


#: Compiled loops of the ledger and the arrival calendar (``sim.kernels``), and the random draws:
#: NumPy's exact samplers through ``Draws`` and the repair batches drawn in a compiled loop.
LEDGER_KERNELS = ("take", "put", "deposit", "settle", "book", "arrival_days", "advance",
                  "shippable")  # fmt: skip
DRAW_METHODS = ("value", "binomial", "poisson")


@contextlib.contextmanager
def timed_parts() -> Iterator[dict[str, float]]:
    """While open, each call of a draw method and a kernel adds its CPU time to its part of
    the dict yielded: random draws, storing the series (``kernels.record``), the other compiled
    loops (a wrapper adds well under a microsecond to each of a chunk's ~60,000 calls)."""
    from sim import kernels
    from sim.processes.draws import Draws

    spent = {"random draws": 0.0, "storing the series": 0.0, "other compiled loops": 0.0}

    def timed(function: Callable[..., Any], part: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[part] += time.process_time() - started

        return call

    saved = {name: getattr(kernels, name) for name in (*LEDGER_KERNELS, "record", "repair_batches")}
    methods = {name: getattr(Draws, name) for name in DRAW_METHODS}
    try:
        for name in LEDGER_KERNELS:
            setattr(kernels, name, timed(saved[name], "other compiled loops"))
        kernels.record = timed(saved["record"], "storing the series")
        kernels.repair_batches = timed(saved["repair_batches"], "random draws")
        for name, method in methods.items():
            setattr(Draws, name, timed(method, "random draws"))
        yield spent
    finally:
        for name, function in saved.items():
            setattr(kernels, name, function)
        for name, method in methods.items():
            setattr(Draws, name, method)


def split_seconds(scenario: Scenario, runs: int) -> dict[str, float]:
    """CPU time of one chunk by part (``timed_parts``), the rest (the event loop, the
    processes' own NumPy steps) and in all; and the megabytes of series slabs it stored."""
    with timed_parts() as spent:
        started = time.process_time()
        result = chunk_result(scenario, runs, 0)
        total = time.process_time() - started
    stored = sum(slabs.nbytes for slabs in result.slabs.values()) / 1e6
    return {**spent, "the rest": total - sum(spent.values()), "total": total, "stored MB": stored}


def first_write_ns_per_byte(
    allocate: Allocate, megabytes: int = 256, idle: float = IDLE
) -> tuple[float, float]:
    """Nanoseconds per byte to write a new buffer from ``allocate`` after ``idle`` seconds
    without allocating, then again at once into the memory just freed. A virtual machine that
    hands memory idle for a few seconds back to its host (free page reporting) makes the first
    far dearer than the second, which is what a fresh process pays for its results; elsewhere
    they are close."""
    times = []
    time.sleep(idle)
    for _ in range(2):
        started = time.perf_counter()
        buffer = allocate((megabytes << 18,), np.float32)
        buffer.fill(1.0)
        times.append(time.perf_counter() - started)
        del buffer
    return times[0] / (megabytes << 20) * 1e9, times[1] / (megabytes << 20) * 1e9


def time_split(scenario: Scenario, runs: int) -> None:
    """Where one chunk's time goes, unprofiled; and what writing the series costs here."""
    parts = min((split_seconds(scenario, runs) for _ in range(2)), key=lambda p: p["total"])
    print(f"\n  one chunk of {runs} runs unprofiled, {parts['total']:.2f} s CPU (best of 2):")
    for part in ("random draws", "storing the series", "other compiled loops", "the rest"):
        print(f"    {part:<32} {parts[part]:7.3f} s  {100 * parts[part] / parts['total']:5.1f} %")
    megabytes = parts["stored MB"] * 10_000 / runs
    print(f"  writing a new buffer here (ns/byte), after {IDLE:g} s without allocating and at "
          "once into memory just freed:")  # fmt: skip
    cold_cost = {}
    for label, allocate in (("4 KiB pages (the slabs' mapped_zeros)", mapped_zeros),
                            ("2 MiB huge pages where allowed (np.zeros)", np.zeros)):  # fmt: skip
        cold, warm = cold_cost[allocate] = first_write_ns_per_byte(allocate)
        print(
            f"    {label:<44} {cold:5.2f}  {warm:5.2f}   10k runs' {megabytes:.0f} MB of "
            f"series: {megabytes * cold / 1e3:.2f} s, {megabytes * warm / 1e3:.2f} s"
        )
    draws = parts["random draws"] * 10_000 / runs
    print(f"  10k runs: {draws:.2f} s of random draws alone")
    loop = event_loop_seconds(scenario)
    chunks = len(chunk_sizes(10_000))
    series = megabytes * cold_cost[mapped_zeros][0] / 1e3  # new 4 KiB pages, as sim.run's
    print(f"  the event loop alone (a chunk of {FEW_RUNS} runs less its draws, best of 3): "
          f"{loop:.2f} s per chunk")  # fmt: skip
    print(f"  10k runs before any stock arithmetic: draws {draws:.2f} s + writing the series "
          f"{series:.2f} s + {chunks} event loops {chunks * loop:.2f} s = "
          f"{draws + series + chunks * loop:.2f} s")  # fmt: skip


#: Runs of a chunk whose run vectors cost next to nothing: its time is the event loop's.
FEW_RUNS = 10


def event_loop_seconds(scenario: Scenario, repeats: int = 3) -> float:
    """What every chunk pays whatever its number of runs: SimPy, the processes' Python and a call
    per kernel. The CPU time of a chunk of ``FEW_RUNS`` runs without its draws and storage (the
    draws' calls are counted with the draws), best of ``repeats``."""
    parts = min((split_seconds(scenario, FEW_RUNS) for _ in range(repeats)),
                key=lambda p: p["total"])  # fmt: skip
    return parts["total"] - parts["random draws"] - parts["storing the series"]


def storage(scenario: Scenario, runs: int) -> None:
    """The cost of storing weekly series: the same runs reporting every 13 weeks instead."""
    weekly = engine_seconds(scenario, runs)
    quarterly = engine_seconds(dataclasses.replace(scenario, report_every_days=91.0), runs)
    print(f"\n  storing the series ({runs} runs):")
    print(f"    reporting weekly                {weekly:7.2f} s")
    print(f"    reporting every 13 weeks        {quarterly:7.2f} s")
    print(f"    share of time in weekly storage {100 * (weekly - quarterly) / weekly:6.0f} %")


# -- report ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Target:
    name: str
    measured: str
    met: bool | None  # None: not measured


def rate_line(label: str, runs: int, seconds: float) -> float:
    per_second = runs / seconds
    print(f"  {label:<44} {runs:>7} runs {seconds:8.2f} s {per_second:10.1f} runs/s")
    return per_second


def table(
    title: str, rows: list[tuple[str, Scenario, int]], timer: Callable[..., float]
) -> list[float]:
    print(f"\n{title}, best of {SCALING_REPEATS}")
    out = []
    for label, scenario, runs in rows:
        seconds = min(timer(scenario, runs) for _ in range(SCALING_REPEATS))
        rate_line(label, runs, seconds)
        out.append(seconds)
    return out


def verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small subset, about two minutes")
    parser.add_argument(
        "--naive-runs", type=int, default=None, help="naive runs, in two halves (default 200)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the child-process memory")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return 0
    quick = args.quick
    runs = 2000 if quick else 10_000
    scenario = _header()
    targets = [throughput(scenario, runs, args.naive_runs or (20 if quick else 200))]
    targets.append(workers(scenario, runs))
    if not args.no_memory:
        targets.append(memory())
    targets.append(scaling_in_runs(scenario, quick))
    targets.append(scaling_in_horizon(scenario, quick))
    scaling_in_items(scenario, 500 if quick else 2000)
    print("\nwhere the time goes")
    chunk = min(1000, CHUNK) if quick else CHUNK
    profile(scenario, chunk)
    time_split(scenario, chunk)
    storage(scenario, 500 if quick else 2000)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    print("\ntargets (ratios measured in this run)")
    for target in targets:
        print(f"  {target.name:<52} {target.measured:>10}  {verdict(target.met)}")
    return 0


def _header() -> Scenario:
    """Print the machine and the reference scenario; return the scenario."""
    print(
        f"load average before: {os.getloadavg()[0]:.1f} (other work on the machine skews timings)"
    )
    cpu = platform.processor() or platform.machine()
    print(f"stockpile benchmarks on {cpu}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}")  # fmt: skip
    scenario = load_reference()
    print(f"reference: {len(scenario.items)} items, {len(scenario.holders)} holders, "
          f"{scenario.end_day / 365.25:g} y, report every {scenario.report_every_days:g} d, "
          f"{sum(len(p) for p in scenario.processes.values())} processes")  # fmt: skip
    return scenario


def throughput(scenario: Scenario, runs: int, naive_runs: int) -> Target:
    """Engine against the naive model on one core, alternating so that a slow phase of the
    machine falls on both; each a best of several."""
    print(f"\nthroughput (one core, CPU seconds; chunks of {CHUNK} runs, "
          f"{np.dtype(PRECISION).name} series)")  # fmt: skip
    started = time.process_time()
    _engine_chunk(scenario, 100, 0)  # loads (or compiles, once per install) sim.kernels
    first = time.process_time() - started
    print(f"  first call, 100 runs (loads the compiled kernels): {first:.2f} s")
    half = max(naive_runs // 2, 1)
    engine_times, naive_times = [], []
    for _ in range(NAIVE_REPEATS):
        engine_times.append(engine_seconds(scenario, runs))
        naive_times.append(naive_seconds(scenario, half))
    engine_times.append(engine_seconds(scenario, runs))
    print(f"  ({', '.join(f'{t:.2f}' for t in engine_times)} s: best of {len(engine_times)})")
    engine_rate = rate_line("engine (simulate_chunk, as the runner)", runs, min(engine_times))
    print(f"  ({', '.join(f'{t:.2f}' for t in naive_times)} s: best of {NAIVE_REPEATS})")
    naive_rate = rate_line("naive (one SimPy env per run, floats)", half, min(naive_times))
    ratio = engine_rate / naive_rate
    pairs = [(runs / e) / (half / n) for e, n in zip(engine_times, naive_times, strict=False)]
    print(f"  engine / naive: {ratio:.0f}x (each pair in turn: "
          f"{', '.join(f'{r:.0f}x' for r in pairs)})")  # fmt: skip
    user, system = user_system(lambda: engine_seconds(scenario, runs))
    print(f"  engine again: user {user:.2f} s + system {system:.2f} s (page faults)")
    seconds = best_of(REPEATS, lambda: runner_seconds(scenario, runs, seed=1))
    rate_line("sim.run(scenario, runs=N, seed=1), all series", runs, seconds)
    rate_line("sim.run, keep='summary'", runs, runner_seconds(scenario, runs, keep="summary"))
    return Target(">= 300x naive", f"{ratio:.0f}x", ratio >= 300)


def workers(scenario: Scenario, runs: int) -> Target:
    """Wall-time speed-up of two local workers over one."""
    print(f"\nworkers (wall time, best of {WORKER_REPEATS} alternating; needs an idle machine)")
    speedups = [
        workers_speedup("engine", n, functools.partial(engine_seconds, scenario, n))
        for n in (runs, 4 * runs)
    ]
    workers_speedup("sim.run, every run's series sent back to the parent", 2 * runs,
                    lambda w: runner_seconds(scenario, 2 * runs, workers=w))  # fmt: skip
    chunks = len(chunk_sizes(4 * runs)) / 2
    return Target(f"2 workers >= 1.8x one ({chunks:g} chunks per worker)",
                  f"{speedups[-1]:.2f}x", speedups[-1] >= 1.8)  # fmt: skip


def memory() -> Target:
    """Peak memory of fresh child processes."""
    print("\npeak memory (fresh child process, VmHWM)")
    rows = [("baseline (imports, scenario loaded)", "baseline", 0),
            (f"engine, 10k runs in chunks of {CHUNK}", "engine", 10_000),
            ("sim.run 10k runs, full weekly series", "run", 10_000),
            ("sim.run 10k runs keep='summary'", "summary", 10_000)]  # fmt: skip
    peaks = {mode: child_peak_mb(mode, n) for _, mode, n in rows}
    for label, mode, _ in rows:
        print(f"  {label:<40} {peaks[mode] or float('nan'):8.0f} MB")
    full = peaks["run"]
    return Target("<= 1 GB for 10k runs, full weekly series", f"{full:.0f} MB" if full else "-",
                  None if full is None else full <= 1024)  # fmt: skip


def scaling_in_runs(scenario: Scenario, quick: bool) -> Target:
    rows = [(f"{n} runs", scenario, n) for n in ((500, 2000) if quick else (1000, 10_000))]
    times = table("scaling in runs (engine, one core, CPU s)", rows, engine_seconds)
    if not quick:
        seconds = runner_seconds(scenario, 100_000, keep="summary")
        rate_line("100000 runs, sim.run keep='summary'", 100_000, seconds)
    small, big = rows[0][2], rows[-1][2]
    growth = (times[-1] / big) / (times[0] / small)
    return Target("linear in runs (time/run at most +25%)", f"x{growth:.2f}", growth <= 1.25)


def scaling_in_horizon(scenario: Scenario, quick: bool) -> Target:
    runs, years = (500, (1, 5)) if quick else (2000, (1, 5, 20))
    rows = [(f"{y} y horizon", variants.with_horizon(scenario, y), runs) for y in years]
    times = table(f"scaling in horizon (engine, {runs} runs, CPU s)", rows, engine_seconds)
    ref = 1 if len(years) > 2 else 0  # compare with 5 y: fixed costs dominate at 1 y
    growth = (times[-1] / years[-1]) / (times[ref] / years[ref])
    return Target("at most linear in horizon (time/year at most +25%)", f"x{growth:.2f}",
                  growth <= 1.25)  # fmt: skip


def scaling_in_items(scenario: Scenario, runs: int) -> None:
    rows = [(f"{len(s.items)} items", s, runs)
            for s in (scenario, variants.with_items_replicated(scenario, 4))]  # fmt: skip
    table(f"scaling in items (engine, {runs} runs, CPU s)", rows, engine_seconds)


if __name__ == "__main__":
    raise SystemExit(main())
