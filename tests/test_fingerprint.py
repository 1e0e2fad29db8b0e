"""Results are bit for bit those of the engine before a refactoring (a stored fingerprint).

Each shipped scenario (and the benchmark reference) is run with a fixed seed, random and
deterministic; the SHA-256 of every results-contract array (levels, flows, floors, targets,
metrics, pledges) is compared with the digest stored below. A change to the model's meaning
changes a digest: if it is meant (a new rule, a new draw), say so in the commit and store the
new digests printed by ``python tests/test_fingerprint.py``. New outputs that leave these
arrays alone (inputs kept, values, new kinds) do not change them: the summary-only digest
leaves out the runs' inputs and the sampled per-run outcomes added beside it.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sim
from sim.values import is_value_variable

ROOT = Path(__file__).resolve().parents[1]
#: Arrays of the results contract (format v1, section 5), in a fixed order.
CONTRACT = (
    "stock", "in_transit", "in_repair", "produced", "used", "received", "sent", "lost",
    "repaired", "consumed", "unmet", "unfilled", "floor", "target", "trough", "depleted_at",
    "replenished_at", "trough_at", "pledge_fulfilled_at", "pledge_total",
)  # fmt: skip
RUNS, SEED = 300, 11

DIGESTS = {
    "reference:random": "9aa97e872935bbd7c2015442dca97ba6",
    "reference:deterministic": "e51d5066bf5b4082bd1ccc6c0d9d59db",
    "eu_million_shells:random": "a4a32bf93e03bd7f938a30297991147d",
    "eu_million_shells:deterministic": "c2b2873ff460b8e1f03ebf9c153f5d28",
    "howitzers_guns_and_shells:random": "9240c08e4ec545aa1a3cff18cf17c2ef",
    "howitzers_guns_and_shells:deterministic": "e02c196aaf43bac94cb1795eae86a442",
    "howitzers_ukraine:random": "ff374942ba60ef0bde48787b04de1749",
    "howitzers_ukraine:deterministic": "0bf88302d640942d79a569e4df4a79c7",
    "javelin_stinger:random": "2735f67aab62c8937d4fbf89da7d0604",
    "javelin_stinger:deterministic": "134028ce1724ec1486d06f745fe9f2d3",
    "us_155mm_dollars:random": "b2adf637ac39f41503cf58ab5c03ec4b",
    "us_155mm_dollars:deterministic": "e3ce186f6bee08982f2167d781992fe3",
    "us_155mm_m777:random": "57a3e3c961763df167c94e56ed6a9648",
    "us_155mm_m777:deterministic": "0499c2a6c77849e66b71512f800dc1a4",
    "reference:summary": "a1af70a7b05483ebc8ec7a9ebd651a03",
}


def fingerprint(path: Path, deterministic: bool) -> str:
    scenario = sim.load_scenario(path)
    results = sim.run(scenario, runs=RUNS, seed=SEED, deterministic=deterministic)
    return digest(results.dataset, CONTRACT)


def digest(dataset: xr.Dataset, names: Iterable[str]) -> str:
    """SHA-256 (first 128 bits) of the named arrays' bytes, dimensions in sorted order."""
    sha = hashlib.sha256()
    for name in names:
        array = dataset[name]
        values = np.ascontiguousarray(array.transpose(*sorted(array.dims)).values)
        sha.update(name.encode() + values.tobytes())
    return sha.hexdigest()[:32]


def summary_fingerprint() -> str:
    """The summary-only dataset of the reference scenario (every array it holds but the
    values in money, which came later: ``sim.values``)."""
    scenario = sim.load_scenario(ROOT / "benchmarks" / "reference.yaml")
    dataset = sim.run(scenario, runs=RUNS, seed=SEED, keep="summary").dataset
    added = {"inputs"} | {str(n) for n in dataset.data_vars if str(n).startswith("sampled_")}
    names = sorted(
        str(n) for n in dataset.data_vars if str(n) not in added and not is_value_variable(str(n))
    )
    return digest(dataset, names)


CASES = sorted([*(ROOT / "scenarios").glob("*.yaml"), ROOT / "benchmarks" / "reference.yaml"])


@pytest.mark.slow
@pytest.mark.parametrize("deterministic", [False, True], ids=["random", "deterministic"])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_results_match_the_stored_fingerprint(path: Path, deterministic: bool) -> None:
    key = f"{path.stem}:{'deterministic' if deterministic else 'random'}"
    assert fingerprint(path, deterministic) == DIGESTS[key]


@pytest.mark.slow
def test_summary_only_results_match_the_stored_fingerprint() -> None:
    assert summary_fingerprint() == DIGESTS["reference:summary"]


if __name__ == "__main__":
    for case in CASES:
        for det in (False, True):
            name = f"{case.stem}:{'deterministic' if det else 'random'}"
            print(f'    "{name}": "{fingerprint(case, det)}",', file=sys.stdout)
    print(f'    "reference:summary": "{summary_fingerprint()}",', file=sys.stdout)
