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
    "eu_million_shells:random": "ff9b4aee45c7ba390404f79d9504287b",
    "eu_million_shells:deterministic": "97e0ed0fe834f6c36b88e0fee915543e",
    "howitzers_guns_and_shells:random": "ddcc7c36d363a63463261df79fc41bec",
    "howitzers_guns_and_shells:deterministic": "f2d1300d1aaa6adf7b2078f0ad48dff0",
    "howitzers_ukraine:random": "d095df559b21f4c9e23e7451fa5975dd",
    "howitzers_ukraine:deterministic": "528390d07cb069a308b938e7bafaa036",
    "javelin_stinger:random": "9fc37fadaad9e378493a667cdb48d2c0",
    "javelin_stinger:deterministic": "40df075ae1d68242f187ff86c33f903f",
    "us_155mm_dollars:random": "07a2c2ccf865b6eedc218cf85337784e",
    "us_155mm_dollars:deterministic": "7fb53feeb310a22cbedd3d70e41872b8",
    "us_155mm_m777:random": "0a0f6ece0ebd6f6ede01d457a5c4c786",
    "us_155mm_m777:deterministic": "b2076d0db95515cf2d20a353962f3fea",
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
