"""`stockpile run` interrupted (SIGINT, Ctrl-C) or killed (SIGKILL) at seeded random moments,
serially and with worker processes: the previous results stay as they were, nothing is left in
temporary or shared memory (a later run removes what a killed one could not), and workers die
with their parent."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.transfer import SHARED_MEMORY

ROOT = Path(__file__).resolve().parents[1]
#: The installed command, as users start it (its entry point must catch Ctrl-C while loading).
COMMAND = str(Path(sys.executable).with_name("stockpile"))
SCENARIO = ROOT / "scenarios" / "us_155mm_m777.yaml"
#: Long enough to be interrupted while simulating, gathering or writing.
RUNS = "12000"
#: Seconds to wait for a killed run's workers to go: a bound against workers left running.
GONE_WITHIN = 30
MOMENTS = random.Random(20).sample([0.5 + 0.25 * k for k in range(20)], 3)

pytestmark = pytest.mark.slow


def stockpile(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(cwd / "tmp")}
    return subprocess.Popen(
        [COMMAND, "run", str(SCENARIO), *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == str(pid):
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def leftovers(work: Path, pid: int) -> list[str]:
    """What a run of process ``pid`` left beside the results or in temporary or shared memory."""
    beside = [p.name for p in work.iterdir() if p.name.startswith(".stockpile-")]
    shared = [p.name for p in SHARED_MEMORY.glob(f"stockpile-{pid}-*")]
    return beside + shared + [p.name for p in (work / "tmp").iterdir()]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A working folder holding a previous run's results in ``out``."""
    (tmp_path / "tmp").mkdir()
    done = stockpile("--runs", "10", "--no-charts", "--out", "out", cwd=tmp_path)
    _, stderr = done.communicate(timeout=600)
    assert done.returncode == 0, stderr
    return tmp_path


def interrupt(work: Path, sig: int, moment: float, workers: str) -> tuple[int, str, int]:
    """Start a run over ``out``, send ``sig`` to its process after ``moment`` seconds; return its
    exit status, stderr and pid once it has ended."""
    run = stockpile("--runs", RUNS, "--workers", workers, "--no-charts", "--out", "out", cwd=work)
    time.sleep(moment)
    workers_seen = children(run.pid)
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=600)
    deadline = time.monotonic() + GONE_WITHIN
    while any(running(w) for w in workers_seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(w) for w in workers_seen), "workers outlived their parent"
    return run.returncode, stderr, run.pid


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_an_interrupted_run_keeps_the_previous_results(work: Path, moment: float, workers: str):
    before = digest(work / "out")
    status, stderr, pid = interrupt(work, signal.SIGINT, moment, workers)
    assert "Traceback" not in stderr
    assert status in (0, 130), stderr
    if status == 130:
        assert stderr.splitlines()[-1].startswith("interrupted"), stderr
    if digest(work / "out") != before:  # finished writing first: the new results are whole
        assert "nothing written" not in stderr
        assert (work / "out" / "results.nc").is_file() and (work / "out" / "run.json").is_file()
    assert leftovers(work, pid) == []


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_killed_run_keeps_the_previous_results_and_the_next_run_cleans_up(
    work: Path, moment: float, workers: str
):
    before = digest(work / "out")
    status, _, pid = interrupt(work, signal.SIGKILL, moment, workers)
    if status == 0:
        pytest.fail(f"the run finished within {moment} s: choose a longer run")
    assert status == -signal.SIGKILL
    assert digest(work / "out") == before
    later = stockpile("--runs", "10", "--workers", "2", "--no-charts", "--out", "out", cwd=work)
    _, stderr = later.communicate(timeout=600)
    assert later.returncode == 0, stderr
    assert leftovers(work, pid) == []


def test_workers_die_with_their_parent(work: Path) -> None:
    run = stockpile("--runs", RUNS, "--workers", "2", "--no-charts", "--out", "out", cwd=work)
    deadline = time.monotonic() + 600
    while len(workers := children(run.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers) == 2, "the run never started its workers"
    run.kill()
    run.communicate(timeout=600)
    deadline = time.monotonic() + GONE_WITHIN  # the kernel signals them as the parent dies
    while any(running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(w) for w in workers)
