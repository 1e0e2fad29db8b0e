"""The howitzer flagship calibrated against the record (docs/evidence.md, "The howitzer
flagship, calibrated"): a small seeded calibration moves the inputs the way the docs say."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
from sim.evidence.calibrate import calibrate, summary
from sim.evidence.scores import weighted_mean_sd

ROOT = Path(__file__).resolve().parent.parent
DAMAGE = "attrition.combat_damage.rate"
CAPACITY = "attrition.barrel_wear.repair_capacity"


@pytest.mark.slow  # ~5,000 runs a generation over some fifty generations
def test_the_one_third_snapshot_pulls_combat_damage_up_and_says_nothing_of_repairs() -> None:
    scenario = sim.load_scenario(ROOT / "scenarios" / "howitzers_ukraine.yaml")
    found = calibrate(scenario, runs=300, replicates=2, seed=1, vary=[DAMAGE, CAPACITY])
    data = found.to_dataset()
    table = summary(data).set_index("input")
    ess = float(data.attrs["ess"])
    weight = data["weight"].values
    for k, path in enumerate(str(p) for p in data["input"].values):
        sd = weighted_mean_sd(data["posterior"].values[:, k], weight)[1]
        # the standard error of a median from ESS draws: sqrt(pi / 2) sd / sqrt(ESS)
        margin = 3 * math.sqrt(math.pi / 2) * sd / math.sqrt(ess)
        shift = table.loc[path, "posterior_p50"] - table.loc[path, "prior_p50"]
        if path == DAMAGE:  # more damage puts more guns out of action by 30 Nov 2022
            assert shift > margin, (shift, margin)
        else:  # a month in, the hub's capacity barely matters: the record cannot see it
            assert abs(shift) < margin, (shift, margin)
