"""Regenerate the pictures of the briefing pack in ``docs/``: its title and timeline slides.

python scripts/brief_pictures.py     # needs LibreOffice and Poppler (see docs/briefing.md)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import sim
from sim.brief import brief
from sim.brief.render import to_pngs

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "us_155mm_m777.yaml"
PAGES = {1: "brief_title.png", 4: "brief_timeline.png"}


def main() -> None:
    results = sim.run(sim.load_scenario(SCENARIO), runs=2000, seed=1)
    with tempfile.TemporaryDirectory() as work:
        pdf = Path(work) / "brief.pdf"
        brief(results, pdf=pdf)
        pages = to_pngs(pdf, Path(work) / "pages", dpi=100)
        for number, name in PAGES.items():
            (ROOT / "docs" / name).write_bytes(pages[number - 1].read_bytes())
            print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()
