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
    "eu_million_shells:random": "4154f2750380ac7b4ff1f7374f9ef8e3",
    "eu_million_shells:deterministic": "d8d94f2a4d3b7076bbb861ddb4689fa0",
    "howitzers_guns_and_shells:random": "ac9c03373ec003ac4947a9a29ee4767e",
    "howitzers_guns_and_shells:deterministic": "462513a7d0a8c0ea5d9cca5d0479c358",
    "howitzers_ukraine:random": "5363ffea16f51dd1190e48cc4d181075",
    "howitzers_ukraine:deterministic": "cb8b485fa998cf9018b28914a0068640",
    "javelin_stinger:random": "b5a18f432210917cbf1ee37ccfdfc64a",
    "javelin_stinger:deterministic": "81e425582223d54e62b20176c7b31bef",
    "us_155mm_dollars:random": "839e7eec180315ee886a506f960d90e7",
    "us_155mm_dollars:deterministic": "2fc72dc8b38df9339d838f875d7f3ce9",
    "us_155mm_m777:random": "3a4ec3ba9c3fade32973e27197b0df76",
    "us_155mm_m777:deterministic": "2d09d1b16ad3af713c1f7dd311729a40",
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
