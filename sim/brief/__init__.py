"""Briefing outputs: a slide pack (PPTX, and PDF through LibreOffice) and a spreadsheet.

An edge like the charts: these read results and charts; the core never imports them.
python-pptx and openpyxl are the ``brief`` extra (``pip install -e ".[brief]"``).

>>> sim.brief.brief(results, pptx="brief.pptx", pdf="brief.pdf")   # doctest: +SKIP
>>> sim.brief.export(results, xlsx="results.xlsx")                  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.plots import style


def brief(
    results: Any | Sequence[Any],
    *,
    pptx: str | Path | None = None,
    pdf: str | Path | None = None,
    labels: Sequence[str] | None = None,
) -> None:
    """Write the slide pack of ``results`` (or of several results compared) as ``pptx``
    and/or ``pdf``. ``labels`` name the compared results (default A, B, ...)."""
    from sim.brief import pack
    from sim.brief.render import to_pdf

    many = list(results) if isinstance(results, list | tuple) else [results]
    datasets = [style.as_dataset(r) for r in many]
    if len(datasets) == 1:
        deck = pack.single(datasets[0])
    else:
        names = list(labels or [chr(ord("A") + k) for k in range(len(datasets))])
        deck = pack.compared(datasets, names)
    if pptx is not None:
        deck.save(pptx)
    if pdf is not None:
        with tempfile.TemporaryDirectory(prefix="stockpile-brief-") as work:
            source = Path(work) / f"{Path(pdf).stem}.pptx"
            deck.save(source)
            to_pdf(source, Path(pdf))


def export(results: Any, *, xlsx: str | Path) -> None:
    """Write the results' summary, weekly bands, inputs and metadata as an Excel workbook."""
    from sim.brief.workbook import workbook

    workbook(style.as_dataset(results)).save(str(xlsx))
