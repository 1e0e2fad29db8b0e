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
    "reference:random": "58e10e47929aa932ab0e103e2823db60",
    "reference:deterministic": "5067fd1f47cf3fae473678e4e60e43eb",
    "eu_million_shells:random": "2d86852e0b8842a9f75f856686ea0c7a",
    "eu_million_shells:deterministic": "aa99ee361a94167d274b514495fc8648",
    "howitzers_guns_and_shells:random": "b5570a042318783c760ee453f851824e",
    "howitzers_guns_and_shells:deterministic": "6bb8daaec2c6414dcc9f186f2212ae7d",
    "howitzers_ukraine:random": "5a0195c181cb9fbce1354a1d0c34a8ca",
    "howitzers_ukraine:deterministic": "4b7c9b15b2e57d8ed6aa83c832a28e92",
    "javelin_stinger:random": "36cf1c6a793090b001fae3a71e07ad75",
    "javelin_stinger:deterministic": "e3f06a0037c0a276699fc28d6ca7e59f",
    "us_155mm_dollars:random": "c74ff74fa4a70b0bf36602a83f592274",
    "us_155mm_dollars:deterministic": "481fc016f4569ec6a8dc7dbe8c7f83b1",
    "us_155mm_m777:random": "814cebc81ef7cfa81ca3bf967ba8fb4d",
    "us_155mm_m777:deterministic": "e6568209b7894226d0abd62014d1bef5",
    "reference:summary": "5bee2ecc197a1b31d368e877f1515c1b",
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
        if values.dtype.kind == "M":  # dates to the second, whatever unit they are stored in
            values = values.astype("datetime64[s]")
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
