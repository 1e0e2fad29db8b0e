"""Every example in a docstring of ``sim`` (and of the test builders) runs and shows what it
says: a stale example fails here, one module per test."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[str]:
    """Names of the package's modules that hold an example, found without importing any."""
    names = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] != "__main__" and ">>> " in path.read_text(encoding="utf-8"):
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [*names, "builders"]


MODULES = _modules()


def test_the_package_is_found() -> None:
    assert {"sim.flows", "sim.scenario.values", "builders"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test, out=lambda text: print(text, end=""))
    failed, _ = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} docstring example(s) of {name} failed (printed above)"


def test_a_wrong_example_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself can fail: an example whose output is wrong is counted."""
    (tmp_path / "stale_example.py").write_text('"""\n>>> 1 + 1\n3\n"""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AssertionError, match="1 docstring example"):
        test_docstring_examples_run("stale_example")
