"""Regenerate ``docs/timeline.png``, the README's chart, from the flagship scenario.

python scripts/readme_chart.py            # the scenario's runs and seed
python scripts/readme_chart.py --runs 500
"""

from __future__ import annotations

import argparse
from pathlib import Path

import sim
from sim import plots

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "us_155mm_m777.yaml"
OUT = ROOT / "docs" / "timeline.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="default: the scenario's")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    scenario = sim.load_scenario(SCENARIO)
    results = sim.run(scenario, runs=args.runs, workers=args.workers)
    OUT.parent.mkdir(exist_ok=True)
    plots.save(plots.timeline(results), OUT)
    print(f"wrote {OUT.relative_to(ROOT)} ({results.dataset.attrs['runs']} runs)")


if __name__ == "__main__":
    main()
