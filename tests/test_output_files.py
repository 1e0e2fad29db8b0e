"""Single-file outputs never destroy a user's file: charts, slide packs, workbooks and sweeps
replace only what stockpile wrote, refuse links, folders, devices and wrong extensions, and
leave nothing behind."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sim.cli import main
from sim.cli import output as o
from sim.cli.owned import digest

SCENARIO = """\
name: Donor drawdown
start: 2024-01-01
horizon: 8w
items: {shell: {label: 155mm shell, unit: rounds}}
holders:
  donor: {label: Donor, stock: {shell: 100k to 120k}}
  receiver: {label: Receiver}
donations:
  aid: {from: donor, to: receiver, item: shell, rate: 15k/mo}
"""

#: Each single-file command, writing to FILE (its name is the extension to use).
CHART = ["chart", "run", "--kind", "fan", "--holder", "donor", "--item", "shell", "--out", "FILE"]
EXPLAIN = ["explain", "run", "--metric", "trough", "--holder", "donor", "--item", "shell"]
CHANCE = ["probability", "run", "--holder", "donor", "--item", "shell", "--event", "floor"]
SWEEP = ["sweep", "scenario.yaml", "--vary", "donations.aid.rate=x1,x2", "--runs", "20"]
COMMANDS = {
    "chart": (CHART, ".png"),
    "compare": (["compare", "run", "run", "--out", "FILE"], ".svg"),
    "probability": ([*CHANCE, "--out", "FILE"], ".pdf"),
    "explain": ([*EXPLAIN, "--chart", "FILE"], ".png"),
    "export": (["export", "run", "--xlsx", "FILE"], ".xlsx"),
    "brief": (["brief", "run", "--pptx", "FILE"], ".pptx"),
    "sweep": ([*SWEEP, "--out", "FILE"], ".nc"),
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with a scenario and a run of it in ``run/``."""
    folder = tmp_path_factory.mktemp("files")
    (folder / "scenario.yaml").write_text(SCENARIO)
    before = Path.cwd()
    os.chdir(folder)
    try:
        done = invoke("run", "scenario.yaml", "--runs", "200", "--no-charts", "--out", "run")
        assert done.exit_code == 0, done.output
        yield folder
    finally:
        os.chdir(before)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def command(name: str, file: Path, *more: str) -> Result:
    args, _ = COMMANDS[name]
    return invoke(*[str(file) if a == "FILE" else a for a in args], *more)


def target(work: Path, name: str, stem: str = "out") -> Path:
    return work / f"{stem}_{name}{COMMANDS[name][1]}"


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.slow
def test_a_users_file_is_refused_and_kept_unless_forced(work: Path, name: str) -> None:
    mine = target(work, name, "mine")
    mine.write_bytes(b"two years of work")
    refused = command(name, mine)
    assert refused.exit_code == 2
    assert refused.output.splitlines()[-1] == (
        f"Error: {mine}: exists and stockpile did not write it (or it changed since); "
        "choose another name, or add --force to replace it"
    )
    assert mine.read_bytes() == b"two years of work"
    forced = command(name, mine, "--force")
    assert forced.exit_code == 0, forced.output
    assert mine.read_bytes() != b"two years of work"


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.slow
def test_its_own_file_is_replaced_and_a_changed_one_refused(work: Path, name: str) -> None:
    out = target(work, name)
    out.unlink(missing_ok=True)
    assert command(name, out).exit_code == 0
    assert command(name, out).exit_code == 0  # unchanged since: stockpile's to replace
    with out.open("ab") as file:
        file.write(b"an edit")
    edited = out.read_bytes()
    assert command(name, out).exit_code == 2
    assert out.read_bytes() == edited


def test_written_files_follow_the_umask(work: Path) -> None:
    out = work / "umask.png"
    assert command("chart", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("name", ["chart", "export", "brief"])
def test_links_folders_and_fifos_are_refused_and_left_as_they_are(work: Path, name: str) -> None:
    suffix = COMMANDS[name][1]
    aim = work / f"aim_{name}{suffix}"
    aim.write_bytes(b"kept")
    link = work / f"link_{name}{suffix}"
    link.symlink_to(aim)
    folder = work / f"folder_{name}{suffix}"
    folder.mkdir()
    fifo = work / f"fifo_{name}{suffix}"
    os.mkfifo(fifo)
    expected = {
        link: "is a symbolic link (name the file itself, or another file)",
        folder: "is a folder (name a file)",
        fifo: "is not a regular file (a device, FIFO or socket); choose a file name",
    }
    for path, why in expected.items():
        done = command(name, path, "--force")
        assert done.exit_code == 2
        assert done.output.splitlines()[-1] == f"Error: {path}: {why}"
    assert link.is_symlink() and aim.read_bytes() == b"kept"
    assert folder.is_dir() and not any(folder.iterdir())
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_node_is_refused(work: Path) -> None:
    device = work / "null.png"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # as /dev/null
    done = command("chart", device, "--force")
    assert done.exit_code == 2
    assert "is not a regular file" in done.output
    assert stat.S_ISCHR(os.lstat(device).st_mode)


@pytest.mark.parametrize(
    ("args", "victim"),
    [
        (["export", "run", "--xlsx", "run/results.nc"], "run/results.nc"),
        (["brief", "run", "--pptx", "scenario.yaml"], "scenario.yaml"),
        (["brief", "run", "--pdf", "scenario.yaml"], "scenario.yaml"),
        (["chart", "run", "--out", "scenario.yaml"], "scenario.yaml"),
        (["chart", "run", "--out", "no_extension"], None),
        (["sweep", "scenario.yaml", "--vary", "donations.aid.rate=x1,x2", "--out", "s.yaml"], None),
    ],
)
def test_an_extension_that_is_not_the_formats_is_refused(
    work: Path, args: list[str], victim: str | None
) -> None:
    before = (work / victim).read_bytes() if victim else None
    done = invoke(*args, "--force")
    assert done.exit_code == 2
    assert "file (name it so)" in done.output or "unknown chart format" in done.output
    if victim:
        assert (work / victim).read_bytes() == before
    assert not (work / "no_extension").exists() and not (work / "s.yaml").exists()


def test_what_a_killed_command_left_is_removed_and_a_live_ones_kept(work: Path) -> None:
    dead = work / f"{o.STAGED_FILE}dead.png"
    dead.write_bytes(b"partial")
    live = work / f"{o.STAGED_FILE}live.png"
    live.write_bytes(b"being written")
    holder = subprocess.Popen(  # another command, alive, holding its staging file's lock
        [sys.executable, "-c", HOLD_LOCK, str(live)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        assert command("chart", work / "after_kill.png").exit_code == 0
        assert not dead.exists()
        assert live.read_bytes() == b"being written"
    finally:
        holder.communicate(b"done\n", timeout=60)
        live.unlink()
    assert not list(work.glob(f"{o.STAGED_FILE}*"))


HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
"""


def test_a_failed_write_leaves_the_previous_file_and_nothing_else(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = work / "kept.png"
    assert command("chart", out).exit_code == 0
    before = out.read_bytes()

    def full(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    from sim.cli.files import OutputFile

    with pytest.raises(Exception, match="No space left on device"):
        OutputFile(out).write(full)
    assert out.read_bytes() == before
    assert not list(work.glob(f"{o.STAGED_FILE}*"))


@pytest.mark.slow
def test_a_run_folder_with_an_edited_pack_is_refused_and_an_unchanged_one_replaced(
    work: Path,
) -> None:
    run = ("run", "scenario.yaml", "--runs", "20", "--no-charts", "--out", "r")
    assert invoke(*run).exit_code == 0
    assert invoke("brief", "r").exit_code == 0  # r/brief.pptx, stockpile's own
    assert invoke("export", "r").exit_code == 0  # r/results.xlsx
    again = invoke(*run)
    assert again.exit_code == 0, again.output
    written = sorted(p.name for p in (work / "r").iterdir())
    assert written == ["results.nc", "run.json", "summary.csv"]
    assert invoke("brief", "r").exit_code == 0
    with (work / "r" / "brief.pptx").open("ab") as file:
        file.write(b"edited by hand")
    edited = (work / "r" / "brief.pptx").read_bytes()
    refused = invoke(*run)
    assert refused.exit_code == 2
    assert "brief.pptx" in refused.output
    assert (work / "r" / "brief.pptx").read_bytes() == edited


def test_a_file_named_run_json_does_not_make_a_folder_a_run(work: Path) -> None:
    folder = work / "thesis"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"scenario_sha256": "0" * 64}))
    (folder / "results.nc").write_bytes(b"my own data")
    done = invoke("run", "scenario.yaml", "--runs", "5", "--no-charts", "--out", "thesis")
    assert done.exit_code == 2
    assert (folder / "results.nc").read_bytes() == b"my own data"


@pytest.mark.slow
def test_run_json_lists_every_file_with_its_hash(work: Path) -> None:
    assert invoke("run", "scenario.yaml", "--runs", "5", "--out", "listed").exit_code == 0
    folder = work / "listed"
    files = json.loads((folder / "run.json").read_text())["files"]
    on_disk = {
        p.relative_to(folder).as_posix(): digest(p)
        for p in folder.rglob("*")
        if p.is_file() and p.name != "run.json"
    }
    assert files == on_disk
    assert any(name.startswith("charts/") for name in files)


def test_one_folder_through_a_symlinked_parent_is_one_lock(work: Path) -> None:
    (work / "real").mkdir()
    (work / "alias").symlink_to(work / "real")
    busy = pytest.raises(o.OutputError, match="another stockpile run is writing")
    with o.staged_folder(work / "real" / "out"), busy, o.staged_folder(work / "alias" / "out"):
        pass


@pytest.mark.parametrize(("name", "module"), [("brief", "pptx"), ("export", "openpyxl")])
def test_a_missing_extra_is_one_line_saying_what_to_install(
    work: Path, name: str, module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for loaded in [m for m in sys.modules if m.startswith(("sim.brief", module))]:
        monkeypatch.delitem(sys.modules, loaded)
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    out = target(work, name, "extra")
    done = command(name, out)
    assert done.exit_code == 2
    assert done.output.splitlines() == [
        f"Error: this command needs {'python-pptx' if module == 'pptx' else module}, which is "
        "not installed: pip install 'stockpile[brief]'"
    ]
    assert not out.exists()
