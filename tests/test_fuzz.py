"""The fuzz suite: broken scenario files mutated from the flagships (``tests/fuzz.py``: deleted
lines and sections, type swaps, extreme numbers, NaN and infinity, impossible dates, encodings,
control characters, aliases, deep nesting), each validated and run.

Every case must answer exit 0 or exit 2, with no traceback and no Python warning, every message
naming the file and line, no output folder when refused, `validate` refusing whatever `run`
refuses, within a bound against hangs and without growing memory. The sample is fixed by its
seed, so the suite does not flake; ``python tests/fuzz.py --cases N --seed S`` searches more.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fuzz import Outcome, cases, check, peak_memory_bytes

#: Cases in the suite: about a third of a second each.
CASES = 300
#: Memory the fuzzed cases may add to the test process: the largest flagship run is far below.
MEMORY_BOUND = 2 * 2**30


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    folder = tmp_path_factory.mktemp("fuzz")
    before = peak_memory_bytes()
    done = [check(case, folder) for case in cases(CASES, seed=20)]
    assert peak_memory_bytes() - before < MEMORY_BOUND
    return done


def test_every_case_is_answered_cleanly(outcomes: list[Outcome]) -> None:
    defects = {o.case.name: o.defects for o in outcomes if o.defects}
    assert defects == {}


def test_the_sample_exercises_refusals_and_runs(outcomes: list[Outcome]) -> None:
    """A generator whose every case is refused (or run) would test one path only."""
    answers = Counter(o.run for o in outcomes)
    assert answers[2] >= CASES // 2 and answers[0] >= CASES // 20
    mutations = {name for o in outcomes for name in o.case.name.split(":")[2].split("+")}
    assert len(mutations) >= 12


def test_the_generator_is_repeatable() -> None:
    assert list(cases(20, seed=5)) == list(cases(20, seed=5))
    assert list(cases(20, seed=5)) != list(cases(20, seed=6))


def test_a_case_that_crashes_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself can fail: a command that raises counts as a defect."""
    import fuzz

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("sim.scenario.load_scenario", broken)
    case = next(iter(fuzz.cases(1, seed=0)))
    outcome = fuzz.check(fuzz.Case(case.name, (fuzz.FLAGSHIPS[0]).read_bytes()), tmp_path)
    assert any("exception" in d or "internal error" in d for d in outcome.defects)
