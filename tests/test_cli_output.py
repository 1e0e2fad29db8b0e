"""`--out` never deletes what stockpile did not write, and results appear whole or not at all."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sim.cli import main
from sim.cli import output as o

SCENARIO = """\
name: Donor drawdown
start: 2024-01-01
horizon: 8w
items: {shell: {label: 155mm shell, unit: rounds}}
holders:
  donor: {label: Donor, stock: {shell: 100k}}
  receiver: {label: Receiver}
donations:
  aid: {from: donor, to: receiver, item: shell, rate: 15k/mo}
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the scenario file."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "donor.yaml").write_text(SCENARIO)
    monkeypatch.chdir(work)
    return work


def run(out: str, *more: str) -> Result:
    args = ["run", "donor.yaml", "--runs", "3", "--no-charts", "--out", out, *more]
    return CliRunner().invoke(main, args)


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its text (results files by size only)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_text() if path.suffix in (".txt", ".yaml") else "<output>"
            out[str(path.relative_to(folder))] = text
    return out


def previous_outputs(folder: Path) -> None:
    """A run's outputs as run.json lists them: each file with its SHA-256."""
    folder.mkdir(parents=True)
    (folder / "results.nc").write_bytes(b"old")
    (folder / "charts").mkdir()
    (folder / "charts" / "timeline.png").write_bytes(b"old chart")
    files = {"results.nc": sha256(b"old"), "charts/timeline.png": sha256(b"old chart")}
    (folder / "run.json").write_text(json.dumps({"runs": 1, "files": files}))


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_a_folder_with_a_users_file_is_refused_and_kept(here: Path) -> None:
    mine = here / "mywork"
    mine.mkdir()
    (mine / "thesis.txt").write_text("two years of work")
    before = tree(here)
    done = run("mywork")
    assert done.exit_code == 2
    assert "thesis.txt" in done.output and "did not write" in done.output
    assert tree(here) == before
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "mywork"]


@pytest.mark.parametrize("out", ["", ".", "..", "../.."])
def test_the_working_directory_and_its_parents_are_refused(here: Path, out: str) -> None:
    before = tree(here.parent)
    done = run(out)
    assert done.exit_code == 2 and "working directory" in done.output
    assert tree(here.parent) == before


def test_previous_outputs_with_a_users_file_are_refused(here: Path) -> None:
    previous_outputs(here / "out")
    (here / "out" / "notes.txt").write_text("mine")
    done = run("out")
    assert done.exit_code == 2 and "notes.txt" in done.output
    assert (here / "out" / "notes.txt").read_text() == "mine"
    assert (here / "out" / "results.nc").read_bytes() == b"old"


def test_a_chart_folder_with_something_else_is_refused(here: Path) -> None:
    previous_outputs(here / "out")
    (here / "out" / "charts" / "draft.docx").write_text("mine")
    assert run("out").exit_code == 2
    assert (here / "out" / "charts" / "draft.docx").read_text() == "mine"


def test_a_folder_without_run_json_is_refused(here: Path) -> None:
    (here / "out").mkdir()
    (here / "out" / "results.nc").write_text("someone else's file of that name")
    assert run("out").exit_code == 2
    assert (here / "out" / "results.nc").read_text() == "someone else's file of that name"


def test_previous_outputs_are_replaced_and_files_beside_them_kept(here: Path) -> None:
    previous_outputs(here / "results" / "out")
    (here / "results" / "keep.txt").write_text("beside")
    done = run("results/out")
    assert done.exit_code == 0, done.output
    assert (here / "results" / "keep.txt").read_text() == "beside"
    assert sorted(p.name for p in (here / "results").iterdir()) == ["keep.txt", "out"]
    assert sorted(p.name for p in (here / "results" / "out").iterdir()) == [
        "results.nc", "run.json", "summary.csv",
    ]  # fmt: skip
    assert json.loads((here / "results" / "out" / "run.json").read_text())["runs"] == 3


def test_an_empty_folder_is_used(here: Path) -> None:
    (here / "out").mkdir()
    assert run("out").exit_code == 0
    assert (here / "out" / "run.json").is_file()


def test_a_file_and_a_symlink_are_refused(here: Path) -> None:
    (here / "a_file").write_text("x")
    (here / "elsewhere").mkdir()
    (here / "link").symlink_to(here / "elsewhere")
    for out, message in (("a_file", "not a folder"), ("link", "symbolic link")):
        done = run(out)
        assert done.exit_code == 2 and message in done.output
    assert (here / "a_file").read_text() == "x"
    assert list((here / "elsewhere").iterdir()) == []


def test_an_over_long_name_is_refused(here: Path) -> None:
    done = run("x" * 300)
    assert done.exit_code == 2 and "longer than" in done.output
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml"]


def test_a_second_run_on_the_same_folder_is_refused_while_the_first_writes(here: Path) -> None:
    target = here / "out"
    with o.staged_folder(target):
        done = run("out")
        assert done.exit_code == 2 and "another stockpile run" in done.output
    assert list(target.iterdir()) == []  # what the first run staged (nothing), no more
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "out"]


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(here: Path) -> None:
    target = here / "out"
    leftover = here / (o._prefix(target) + "killed")
    leftover.mkdir()
    (leftover / "results.nc").write_bytes(b"half")
    assert run("out").exit_code == 0
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "out"]


def test_previous_outputs_parked_by_a_killed_swap_are_restored(here: Path) -> None:
    target = here / "out"
    parked = here / (o._prefix(target) + "killed")
    previous_outputs(parked / "previous")
    with o.staged_folder(target) as staging:
        assert target.is_dir() and (target / "results.nc").read_bytes() == b"old"
        (staging / "run.json").write_text(json.dumps({"scenario_sha256": "1" * 64}))
    assert json.loads((target / "run.json").read_text())["scenario_sha256"] == "1" * 64
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "out"]


def test_a_failure_leaves_the_previous_outputs_intact(here: Path) -> None:
    previous_outputs(here / "out")
    with pytest.raises(RuntimeError), o.staged_folder(here / "out") as staging:
        (staging / "results.nc").write_bytes(b"half")
        raise RuntimeError("disk full")
    assert (here / "out" / "results.nc").read_bytes() == b"old"
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "out"]


def test_a_file_added_during_the_run_keeps_the_target_and_the_results(here: Path) -> None:
    previous_outputs(here / "out")
    with (
        pytest.raises(o.OutputError, match="results are in"),
        o.staged_folder(here / "out") as staging,
    ):
        (staging / "run.json").write_text(json.dumps({"scenario_sha256": "1" * 64}))
        (here / "out" / "added.txt").write_text("mine")
    assert (here / "out" / "added.txt").read_text() == "mine"
    kept = [p for p in here.iterdir() if p.name.startswith("out.")]
    assert len(kept) == 1 and (kept[0] / "run.json").is_file()


def test_remove_outputs_removes_only_known_names(tmp_path: Path) -> None:
    previous_outputs(tmp_path / "out")
    (tmp_path / "out" / "charts" / "mine.txt").write_text("x")
    assert not o.remove_outputs(tmp_path / "out")
    assert tree(tmp_path / "out") == {"charts/mine.txt": "x"}


def test_the_plain_swap_without_an_atomic_exchange(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(o, "_exchange", lambda a, b: False)
    previous_outputs(here / "out")
    assert run("out").exit_code == 0
    assert json.loads((here / "out" / "run.json").read_text())["runs"] == 3
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "out"]


# ---- a full disk -------------------------------------------------------------------------


def test_too_little_room_is_refused_before_the_run(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous_outputs(here / "out")
    usage = shutil.disk_usage(here)
    monkeypatch.setattr(o.shutil, "disk_usage", lambda _: usage._replace(free=10))
    result = run("out")
    assert result.exit_code == 2
    assert result.stderr.startswith("out: the results may take up to ")
    assert "the disk has 10 bytes free" in result.stderr and "Traceback" not in result.stderr
    assert (here / "out" / "results.nc").read_bytes() == b"old"
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "out"]


def test_allow_large_writes_despite_the_estimate(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = shutil.disk_usage(here)
    monkeypatch.setattr(o.shutil, "disk_usage", lambda _: usage._replace(free=10))
    assert run("out", "--allow-large").exit_code == 0
    assert (here / "out" / "results.nc").stat().st_size > 0


def _crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _full() -> None:
    raise OSError(errno.ENOSPC, "write failed")


def _hdf5_full() -> None:
    raise RuntimeError("Can't close dataset (file write failed: errno = 28, error message = ...)")


@pytest.mark.parametrize(
    ("writer", "reason"),
    [
        (_crash, f"the writer stopped with status {-signal.SIGSEGV}"),
        (_full, "No space left on device"),
        (_hdf5_full, "No space left on device"),
    ],
)
def test_a_writer_that_fails_or_crashes_is_reported(writer: object, reason: str) -> None:
    with pytest.raises(o.OutputError) as info:
        o.write_apart(writer, Path("out"))  # type: ignore[arg-type]
    assert str(info.value) == f"out: cannot write the results ({reason}); nothing written"


@pytest.mark.slow
def test_a_full_disk_while_writing_keeps_the_previous_results(here: Path) -> None:
    """A file-size limit makes every write past 200 kB fail, as a full disk does. The HDF5
    library that writes results.nc then reports the error or, in some tries, crashes its
    process: either way the run is refused whole and the previous results stay."""
    previous_outputs(here / "out")
    before = tree(here / "out")

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of the process

    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", "donor.yaml", "--runs", "2000", "--no-charts",
         "--out", "out"],
        cwd=here, capture_output=True, text=True, timeout=600, preexec_fn=limit_file_size,
    )  # fmt: skip
    assert done.returncode == 2
    reasons = ("File too large", f"the writer stopped with status {-signal.SIGSEGV}")
    assert done.stderr in [
        f"out: cannot write the results ({r}); nothing written\n" for r in reasons
    ]
    assert tree(here / "out") == before
    assert sorted(p.name for p in here.iterdir()) == ["donor.yaml", "out"]


WRITER = """
import os, sys, time
from pathlib import Path
from sim.cli.output import write_apart

def slow() -> None:
    Path(sys.argv[1]).write_text(str(os.getpid()))
    time.sleep(300)

write_apart(slow, Path("out"))
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state  # a zombie has stopped: nothing left to reap it here


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_a_killed_commands_writer_stops_with_it(tmp_path: Path) -> None:
    marker = tmp_path / "writer.pid"
    command = subprocess.Popen([sys.executable, "-c", WRITER, str(marker)], cwd=tmp_path)
    try:
        for _ in range(600):  # the writer starts (at most a minute on a loaded machine)
            if marker.exists() and marker.read_text():
                break
            time.sleep(0.1)
        writer = int(marker.read_text())
        assert _alive(writer)
    finally:
        command.kill()
        command.wait()
    for _ in range(300):
        if not _alive(writer):
            break
        time.sleep(0.1)
    assert not _alive(writer)
