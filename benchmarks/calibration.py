"""Calibration cost: runs, seconds, generations and ESS of `stockpile calibrate`.

    python benchmarks/calibration.py                 # small scenarios and the M777 flagship
    python benchmarks/calibration.py --particles 1000 --no-flagship

Each sampler generation is one batch of ``--particles`` runs, so the cost is the number of
generations times the cost of one batch; the table prints both. The flagship is
``scenarios/us_155mm_m777.yaml`` with the Oryx floor on M777 losses as observations (the
example of docs/evidence.md; every prior run satisfies it, so one generation suffices), and
``scenarios/howitzers_ukraine.yaml`` with illustrative counts of guns in repair at the hub
(not public figures: they exercise the sampler on 10 inputs), until the flagships carry
observations of their own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.evidence.calibrate import calibrate  # noqa: E402

DRAWDOWN = """\
name: Linear Gaussian drawdown (2 inputs, 2 exact observations)
start: 2024-01-01
horizon: 120d
items: {shell: {label: Shell}}
holders:
  army: {label: Army, stock: {shell: 'normal(1000, 100)'}}
consumption:
  fire: {holder: army, item: shell, rate: 'normal(5, 1) /d', every: 1d}
observations:
  count: {holder: army, item: shell, of: stock, values: {2024-01-31: 900, 2024-03-31: 640},
          error: 20}
"""
LOSSES = """\
name: Binomial losses (1 input, a noisy count)
start: 2024-01-01
horizon: 200d
items: {gun: {label: Howitzer}}
holders:
  front: {label: Front, stock: {gun: 2000}}
attrition:
  fire: {holder: front, item: gun, rate: 10% to 40% /y}
observations:
  oryx: {holder: front, item: gun, of: lost, values: {2024-07-01: 400}, error: 20}
"""
ORYX = """
observations:
  oryx_m777:
    holder: ukraine
    item: m777
    of: lost
    values: {2022-12-31: 20, 2023-10-31: 70}
    bound: at_least
    source: Oryx, visually confirmed losses (a floor)
"""
REPAIRS = """
observations:
  hub_repairs:
    holder: repair_hub
    item: howitzer
    of: in_repair
    values: {2023-03-01: 50, 2023-09-01: 80}
    error: 5%
    source: illustrative, not a public figure
"""


def flagship(name: str, observations: str) -> object:
    """A flagship scenario with ``observations`` in place of its own."""
    text = (ROOT / "scenarios" / f"{name}.yaml").read_text()
    own = text.find("\nobservations:")
    return sim.load_scenario_text((text if own < 0 else text[: own + 1]) + observations)


def measure(name: str, scenario: object, particles: int, seed: int, replicates: int = 1) -> None:
    """Calibrate ``scenario`` once and print its cost."""
    started = time.perf_counter()
    batch = sim.run(scenario, runs=particles, seed=seed)  # type: ignore[arg-type]
    one = time.perf_counter() - started
    started = time.perf_counter()
    found = calibrate(scenario, runs=particles, seed=seed, replicates=replicates)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    s = found.sample
    print(f"{name}\n  inputs {found.space.size}, points {len(found.points)}, particles "
          f"{particles:,} x {replicates} runs: {s.generations} generations "
          f"({len(s.stages)} stages), {s.runs:,} runs, {seconds:.1f} s "
          f"({seconds / s.generations:.2f} s a generation; one batch of "
          f"{batch.dataset.sizes['run']:,} runs alone {one:.2f} s), ESS {s.ess:,.0f}, log "
          f"evidence {s.log_evidence:.3f}, converged {s.converged}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-flagship", action="store_true")
    args = parser.parse_args()
    sim.run(sim.load_scenario_text(DRAWDOWN), runs=10)  # compile the kernels first
    measure("drawdown", sim.load_scenario_text(DRAWDOWN), args.particles, args.seed)
    measure("losses", sim.load_scenario_text(LOSSES), args.particles, args.seed)
    if not args.no_flagship:
        m777 = flagship("us_155mm_m777", ORYX)
        measure("us_155mm_m777 + Oryx floor", m777, args.particles, args.seed)
        repairs = flagship("howitzers_ukraine", REPAIRS)
        measure("howitzers_ukraine + guns in repair", repairs, args.particles, args.seed)
        measure("the same, 4 replicates", repairs, args.particles // 4, args.seed, 4)


if __name__ == "__main__":
    main()
