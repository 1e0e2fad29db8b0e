"""`stockpile validate` and `stockpile schema`, through CliRunner and once in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.scenario import json_schema

ROOT = Path(__file__).resolve().parents[1]
GOOD = """\
name: good
start: 2022-01-01
end: 2023-01-01
items: {shell: {}}
holders:
  us: {stock: {shell: 100}}
  ua: {}
donations:
  ship: {from: us, to: ua, item: shell, deliveries: {2022-02-01: 10}}
consumption:
  fire: {holder: ua, item: shell, rate: 1/d}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_files_say_ok(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    result = CliRunner().invoke(main, ["validate", str(good), str(good)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{good}: ok (1 items, 2 holders, 2 processes)\n" * 2
    assert result.stderr == ""


def test_bad_files_print_every_problem_on_stderr_and_exit_2(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    bad = write(tmp_path, "bad.yaml", GOOD.replace("to: ua", "to: uk").replace("1/d", "1"))
    result = CliRunner().invoke(main, ["validate", str(bad), str(good)])
    assert result.exit_code == 2
    assert result.stdout == f"{good}: ok (1 items, 2 holders, 2 processes)\n"
    assert result.stderr.splitlines() == [
        f"{bad}:9: donations.ship.to: unknown holder 'uk' (known holders: us, ua)",
        f"{bad}:11: consumption.fire.rate: a rate needs a period: 1"
        " (write e.g. 14.4k/mo, 1200/y, 4k to 7k /d or 33%/9mo)",
    ]
    assert "Traceback" not in result.output


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{tmp_path / 'nope.yaml'}: cannot read the file")


def test_warnings_are_printed_and_the_file_is_ok(tmp_path: Path) -> None:
    late = write(tmp_path, "late.yaml", GOOD.replace("2022-02-01: 10", "2024-02-01: 10"))
    result = CliRunner().invoke(main, ["validate", str(late)])
    assert result.exit_code == 0
    assert result.stderr.startswith(f"warning: {late}:9: donations.ship.deliveries.2024-02-01:")


def test_set_overrides(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    ok = CliRunner().invoke(main, ["validate", str(good), "--set", "holders.us.stock.shell=5k"])
    assert ok.exit_code == 0
    bad = CliRunner().invoke(main, ["validate", str(good), "--set", "holders.us.stock.shell=x"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith(f"{good}: --set holders.us.stock.shell: cannot read 'x'")


def test_schema_prints_the_json_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json_schema()


@pytest.mark.slow
def test_validate_in_a_subprocess() -> None:
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "validate", *scenarios],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok (") == len(scenarios)
    broken = subprocess.run(
        [sys.executable, "-m", "sim.cli", "validate", scenarios[0], "--set", "runs=0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert broken.returncode == 2
    assert broken.stderr.strip().endswith("--set runs: must be > 0, got 0")
    assert "Traceback" not in broken.stderr
