"""The house rules that tools check: lint, format and types are clean; the README's example runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    here = os.path.dirname(sys.executable)  # the virtual environment's scripts first
    found = shutil.which(name, path=here + os.pathsep + os.environ.get("PATH", ""))
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_is_clean(command: list[str]) -> None:
    done = subprocess.run(
        [tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert blocks, "the README has a Python example"
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0].replace("runs=2000", "runs=200"), "README.md", "exec"), namespace)
    results = namespace["results"]
    assert results.dataset.sizes["run"] == 200  # type: ignore[attr-defined]


def test_readme_scenario_snippet_is_valid() -> None:
    import sim

    readme = (ROOT / "README.md").read_text()
    snippet = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)[0]
    scenario = sim.load_scenario_text(snippet, name="README.md")
    assert set(scenario.section("production")) == {"us_shell_lines", "us_charge_line"}
    assert scenario.section("production")["us_shell_lines"].inputs.keys() == {"charge_155"}


def test_ci_runs_the_readme_test_command_with_the_slow_tests() -> None:
    """CI and the README run one command: the full suite, not the inner loop."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in readme.splitlines()
    assert ci.endswith('pip install -e ".[test]" && pytest -m "slow or not slow"')
