"""Test-suite settings and the scenarios several test files share.

Property tests draw the same examples on every run: a suite that may pass or fail with the
examples hypothesis happens to pick would flake in CI. ``pytest --hypothesis-profile=explore``
searches new examples (and many more of them) locally.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from builders import DRAWDOWN
from hypothesis import settings

import sim
from sim.scenario.model import Scenario

ROOT = Path(__file__).resolve().parents[1]

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=1000)
settings.load_profile("repeatable")

# What stockpile records of the files it wrote (sim/cli/owned.py) goes to a folder of the test
# session's, shared with the commands the tests start, never to the user's own record.
_STATE = tempfile.mkdtemp(prefix="stockpile-state-")
os.environ["XDG_STATE_HOME"] = _STATE
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)


@pytest.fixture(scope="session")
def reference() -> Scenario:
    """The benchmark's reference scenario: every process kind, 12 items, uncertain values."""
    scenario: Scenario = sim.load_scenario(ROOT / "benchmarks" / "reference.yaml")
    return scenario


@pytest.fixture(scope="session")
def drawdown() -> Scenario:
    """``builders.DRAWDOWN``: a small scenario with every process kind and uncertain values."""
    scenario: Scenario = sim.load_scenario_text(DRAWDOWN)
    return scenario
