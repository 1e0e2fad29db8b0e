"""`stockpile run` end to end: outputs, summary, bad input, atomic writes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from sim.cli import main

#: Each test runs `stockpile` in a subprocess.
pytestmark = pytest.mark.slow

SCENARIO = """\
name: Donor drawdown
start: 2024-01-01
horizon: 1y
items: {shell: {label: 155mm shell, unit: rounds}}
holders:
  donor: {label: Donor, stock: {shell: 100k to 150k}, floor: {shell: 40k}}
  receiver: {label: Receiver}
production:
  line: {item: shell, to: donor, rate: 5k/mo}
donations:
  aid: {from: donor, to: receiver, item: shell, rate: 15k/mo, transit: 1 to 3 w}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "donor.yaml"
    path.write_text(SCENARIO)
    return path


def stockpile(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sim.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_run_writes_results_summary_metadata_and_charts(scenario_file: Path, tmp_path: Path):
    out = tmp_path / "results" / "donor"
    done = stockpile("run", str(scenario_file), "--runs", "40", "--seed", "7", "--out", str(out),
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name for p in out.iterdir()} == {"results.nc", "summary.csv", "run.json", "charts"}
    assert (out / "charts" / "timeline.png").stat().st_size > 10_000
    metadata = json.loads((out / "run.json").read_text())
    assert metadata["runs"] == 40 and metadata["seed"] == 7
    assert len(metadata["scenario_sha256"]) == 64 and metadata["wall_seconds"] >= 0
    summary = pd.read_csv(out / "summary.csv")
    depleted = summary.set_index(["holder", "metric"]).loc[("donor", "depleted_at")]
    assert pd.Timestamp(depleted.p50) > pd.Timestamp("2024-01-01")
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        assert ds.sizes["run"] == 40
    assert "Donor drawdown" in done.stdout and "depleted_at" in done.stdout
    assert "20" in done.stdout  # dates are printed as dates (20xx-..)
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_set_and_deterministic(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "det"
    args = ["run", str(scenario_file), "--deterministic", "--no-charts", "--out", str(out),
            "--set", "donations.aid.rate=30k/mo"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        assert ds.sizes["run"] == 1
        sent = float(ds.sent.sel(holder="donor", item="shell").isel(run=0, time=4))
    assert sent == pytest.approx(30e3 * 12 / 365.25 * 28, rel=1e-9)  # four weeks at 30k/mo


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "0"], "--runs"),
        (["--workers", "0"], "--workers"),
        (["--seed", "-4"], "--seed"),
        (["--set", "donations.nope.rate=1/d"], "nope"),
        (["--set", "donations.aid.rate=fast"], "donations.aid.rate"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(
    scenario_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "never"
    done = stockpile("run", str(scenario_file), "--out", str(out), *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_bad_scenario_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.replace("rate: 5k/mo", "rate: 5k/mo, slpi: 3 mo"))
    done = stockpile("run", str(bad), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert done.returncode == 2
    expected = f"{bad}:9: production.line.slpi: unknown key 'slpi' (did you mean 'slip'?)"
    assert done.stderr.strip() == expected
    assert not (tmp_path / "o").exists()


def test_missing_scenario_file(tmp_path: Path) -> None:
    done = stockpile("run", "nowhere.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "nowhere.yaml" in done.stderr and "Traceback" not in done.stderr


def test_unwritable_output_folder(scenario_file: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        done = stockpile("run", str(scenario_file), "--runs", "5", "--out", str(out), cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert str(blocker) in done.stderr and "Traceback" not in done.stderr
    assert blocker.read_text() == "not a folder"


def test_failed_write_leaves_no_partial_folder(
    scenario_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.cli.run as run_command

    def broken(*args: object, **kwargs: object) -> None:
        folder = args[2]
        assert isinstance(folder, Path)
        (folder / "results.nc").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(run_command, "write_outputs", broken)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(scenario_file), "--runs", "5", "--out", str(out)])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == [scenario_file]


@pytest.mark.parametrize("where", ["load_or_exit", "refusals", "print_table"])
def test_ctrl_c_at_any_moment_of_a_run_is_one_line(
    scenario_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Before, while and after the work: exit 130 and one line, never click's "Aborted!"."""
    import sim.cli.run as run_command

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_command, where, interrupted)
    args = ["run", str(scenario_file), "--runs", "5", "--no-charts", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("interrupted")


def test_rerun_replaces_previous_results(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for runs in ("5", "7"):
        args = ["run", str(scenario_file), "--runs", runs, "--no-charts", "--out", str(out)]
        assert CliRunner().invoke(main, args).exit_code == 0
    assert json.loads((out / "run.json").read_text())["runs"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["donor.yaml", "out"]


def test_fan_charts_show_the_run_at_the_means(
    scenario_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.plots.write as write

    seen: list[object] = []
    real_fan = write.fan

    def spy(*args: object, deterministic: object = None, **kwargs: object) -> object:
        seen.append(deterministic)
        return real_fan(*args, deterministic=deterministic, **kwargs)

    monkeypatch.setattr(write, "fan", spy)
    # outputs are written in a forked process: write here, where the spy can see the calls
    monkeypatch.setattr("sim.cli.run.write_apart", lambda write, out: write())
    args = ["run", str(scenario_file), "--runs", "20", "--out", str(tmp_path / "o")]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert seen and all(d is not None for d in seen)
    assert all(d.dataset.attrs["deterministic"] == 1 for d in seen)  # type: ignore[attr-defined]


@pytest.mark.parametrize("address", ["foo", "", "  ", "http://host:1"])
def test_an_unreadable_scheduler_address_exits_2(scenario_file: Path, address: str) -> None:
    # in a process of its own: a Dask client that failed to connect leaves Dask's settings
    # changed for the rest of the process (the command exits at once, so users never see it)
    out = scenario_file.parent / "out"
    done = stockpile("run", str(scenario_file), "--runs", "5", "--scheduler", address,
                     "--out", str(out), cwd=scenario_file.parent)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("--scheduler") and not out.exists()


def test_a_scheduler_that_does_not_answer_exits_2_quickly(scenario_file: Path) -> None:
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = scenario_file.parent / "out"
    address = f"tcp://127.0.0.1:{port}"
    done = stockpile("run", str(scenario_file), "--runs", "5", "--out", str(out),
                     "--scheduler", address, cwd=scenario_file.parent)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"--scheduler {address}: cannot connect")
    assert not out.exists()


@pytest.mark.slow
def test_twenty_thousand_holders_run(tmp_path: Path) -> None:
    """Many holders make a few blocks of cells, not a task per cell (minutes before)."""
    many = "".join(f"  h{n}: {{stock: {{shell: 5}}}}\n" for n in range(20_000))
    path = tmp_path / "many.yaml"
    path.write_text(SCENARIO.replace("holders:\n", "holders:\n" + many))
    done = stockpile("run", str(path), "--runs", "3", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with xr.open_dataset(tmp_path / "out" / "results.nc") as results:
        assert results.sizes["holder"] == 20_002
