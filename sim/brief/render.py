"""A slide pack as PDF and PNG pages, rendered by LibreOffice (``soffice``) and Poppler.

Both are outside Python: ``apt-get install libreoffice-impress poppler-utils`` on Debian and
Ubuntu. Each conversion runs in a private LibreOffice profile, so two at once never collide.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 300  # seconds for one conversion


class RenderError(RuntimeError):
    """The renderer is missing or failed (message says which and how to fix it)."""


#: Fonts with Arial's metrics: text fitted for Arial fits in them (``sim.brief.text``).
ARIAL_METRICS = ("Arial", "Liberation Sans", "Arimo")


def font_problem() -> str | None:
    """Why LibreOffice would set the slides in other metrics than Arial's (None: it will not,
    or fontconfig cannot tell)."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    done = subprocess.run([fc_match, "--format=%{family}", "Arial"], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    family = done.stdout.split(",")[0].strip()
    if done.returncode != 0 or not family or family in ARIAL_METRICS:
        return None
    return (f"this machine has no Arial or Liberation Sans, so the PDF is set in {family} and "
            "text may not fit its boxes (apt-get install fonts-liberation)")  # fmt: skip


def to_pdf(pptx: Path, pdf: Path) -> Path:
    """Render ``pptx`` to ``pdf`` with LibreOffice; returns ``pdf``."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RenderError("a PDF needs LibreOffice (soffice) on PATH: on Debian or Ubuntu, "
                          "apt-get install libreoffice-impress")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="stockpile-render-") as work:
        profile = Path(work) / "profile"
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--convert-to", "pdf", "--outdir", work, str(pptx)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)  # fmt: skip
        made = Path(work) / f"{pptx.stem}.pdf"
        if done.returncode != 0 or not made.exists():
            raise RenderError(f"LibreOffice could not render {pptx.name}: "
                              f"{(done.stderr or done.stdout).strip()[-300:]}")  # fmt: skip
        shutil.move(str(made), pdf)
    return pdf


def to_pngs(pdf: Path, folder: Path, dpi: int = 60) -> list[Path]:
    """Every page of ``pdf`` as ``folder/page-N.png`` (Poppler's pdftoppm)."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise RenderError("PNG pages need pdftoppm: apt-get install poppler-utils")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", str(dpi), str(pdf), str(folder / "page")],
                   check=True, capture_output=True, timeout=TIMEOUT)  # fmt: skip
    return sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
