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
    "reference:random": "1cc910d46fd99346df5d7ee3c89121b2",
    "reference:deterministic": "6d7632fc3f9675410e5835447d16663c",
    "eu_million_shells:random": "37757b3f984d5281eb3f293dc2f0e3cc",
    "eu_million_shells:deterministic": "8813fa9de675f9864a98646c003d6c3c",
    "howitzers_guns_and_shells:random": "f3c9fc0da77ffeb59bdfa7c6cda63c7c",
    "howitzers_guns_and_shells:deterministic": "ba03a2cc4b53ff99232cfa20451a5df4",
    "howitzers_ukraine:random": "e2328eadf545c6bb894265c551a326e2",
    "howitzers_ukraine:deterministic": "ef3b1c22a0f974cb3b361da694155699",
    "javelin_stinger:random": "9141888140bbc2b7129b70be6c8192c1",
    "javelin_stinger:deterministic": "1aab0b71419b534f9548bff74a1e321b",
    "us_155mm_dollars:random": "fe88837920d198d86eada375702ccc73",
    "us_155mm_dollars:deterministic": "329a518180803763e524783a0dceff7b",
    "us_155mm_m777:random": "47813c2444d46a4f206fe55e349d394e",
    "us_155mm_m777:deterministic": "cb3af3370b823f5ffe4d14d52508fb6c",
    "reference:summary": "4ce8ae21c531f804aaa704a6e6041e2d",
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
