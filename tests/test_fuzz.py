"""The fuzz suite: broken scenario files mutated from the flagships (``tests/fuzz.py``: deleted
lines and sections, type swaps, extreme numbers, NaN and infinity, impossible dates, encodings,
control characters, aliases, deep nesting), each validated and run.

Every case must answer exit 0 or exit 2, with no traceback and no Python warning, every message
naming the file and line, no output folder when refused, `validate` refusing whatever `run`
refuses, within a bound against hangs and without growing memory. The sample is fixed by its
seed, so the suite does not flake; ``python tests/fuzz.py --cases N --seed S`` searches more.

The inner loop checks the sample's first ``STOCKPILE_FUZZ_CASES`` cases (40 unless set); the
full run (``-m "slow or not slow"``) checks the rest of the suite's 300 as well.
"""

from __future__ import annotations

import os
from collections import Counter
from itertools import islice
from pathlib import Path

import pytest
from fuzz import Outcome, cases, check, peak_memory_bytes

#: Cases of the suite's sample, about a third of a second each: the full run checks them all.
CASES = 300
#: The first cases, checked in the inner loop too (``STOCKPILE_FUZZ_CASES``, at least 20).
FAST_CASES = int(os.environ.get("STOCKPILE_FUZZ_CASES", "40"))
SEED = 20
#: Memory the fuzzed cases may add to the test process: the largest flagship run is far below.
MEMORY_BOUND = 2 * 2**30


def checked(start: int, stop: int, folder: Path) -> list[Outcome]:
    """The outcomes of the sample's cases ``start`` to ``stop``, within the memory bound."""
    before = peak_memory_bytes()
    done = [check(case, folder) for case in islice(cases(stop, seed=SEED), start, None)]
    assert peak_memory_bytes() - before < MEMORY_BOUND
    return done


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    return checked(0, FAST_CASES, tmp_path_factory.mktemp("fuzz"))


def test_the_inner_loop_sample_is_large_enough() -> None:
    assert FAST_CASES >= 20, "STOCKPILE_FUZZ_CASES: at least 20 cases (40 unless set)"


def test_every_case_is_answered_cleanly(outcomes: list[Outcome]) -> None:
    defects = {o.case.name: o.defects for o in outcomes if o.defects}
    assert defects == {}


@pytest.mark.slow
def test_every_case_of_the_full_sample_is_answered_cleanly(tmp_path: Path) -> None:
    if FAST_CASES >= CASES:
        pytest.skip(f"STOCKPILE_FUZZ_CASES={FAST_CASES}: the inner-loop test checked them all")
    rest = checked(FAST_CASES, CASES, tmp_path)
    assert len(rest) == CASES - FAST_CASES
    defects = {o.case.name: o.defects for o in rest if o.defects}
    assert defects == {}


def test_the_sample_exercises_refusals_and_runs(outcomes: list[Outcome]) -> None:
    """A generator whose every case is refused (or run) would test one path only."""
    answers = Counter(o.run for o in outcomes)
    assert answers[2] >= len(outcomes) // 2 and answers[0] >= max(1, len(outcomes) // 20)
    mutations = {name for o in outcomes for name in o.case.name.split(":")[2].split("+")}
    assert len(mutations) >= min(12, len(outcomes) // 3)


def test_the_full_sample_is_varied() -> None:
    """The suite's 300 cases use every kind of mutation the generator has, or nearly."""
    mutations = {n for case in cases(CASES, seed=SEED) for n in case.name.split(":")[2].split("+")}
    assert len(mutations) >= 12


def test_a_sample_is_the_start_of_any_larger_one() -> None:
    """The inner loop's cases are the first of the full sample: together they check each once."""
    assert list(cases(10, seed=SEED)) == list(islice(cases(30, seed=SEED), 10))


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
