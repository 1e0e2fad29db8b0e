"""Slide packs and workbooks: they open, their text fits its boxes, dates are dates."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pptx import Presentation
from pptx.util import Emu

import sim
from sim.brief import brief, export
from sim.brief.render import to_pdf
from sim.brief.text import fit, width_points, wrap
from sim.cli import main
from sim.plots import style

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SMALL = """\
name: Donor drawdown
description: A donor ships shells; a line refills it. A second sentence. A third one.
sources: [Made up for a test]
start: 2024-01-01
horizon: 2y
items: {shell: {label: 155mm shell, unit: rounds}}
holders:
  donor: {label: Donor, stock: {shell: 100k to 150k}, floor: {shell: 40k}}
  receiver: {label: Receiver}
production:
  line: {item: shell, to: donor, rate: 2k to 6k /mo, slip: 1 to 6 mo}
donations:
  aid: {from: donor, to: receiver, item: shell, rate: {2024-01-01: 15k/mo, 2024-09-01: 0/mo},
        interpolate: step}
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    scenario = sim.load_scenario_text(SMALL, overrides=["production.line.slip=2 mo"])
    sim.run(scenario, runs=200, seed=2).to_netcdf(folder / "results.nc")
    return folder


# -- text that fits ---------------------------------------------------------------------------


@pytest.mark.slow
def test_wrapped_lines_fit_their_width() -> None:
    text = "The quick brown fox jumps over the lazy dog " * 20 + "A" * 200
    for line in wrap(text, 14, 3.0):
        assert width_points(line, 14) <= 3.0 * 72


def test_fit_shrinks_then_keeps_whole_sentences() -> None:
    short = fit("One short line.", 5.0, 1.0)
    assert short.complete and short.size == 20
    long = fit("A sentence that is long enough. " * 40, 5.0, 1.0, sizes=(20, 12))
    assert not long.complete and long.size == 12
    assert long.text.rstrip().endswith(".")  # cut between sentences, never inside one


# -- the pack ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_pack_has_the_slides_a_briefing_needs(small: Path, tmp_path: Path) -> None:
    results = sim.open_results(small / "results.nc")
    brief(results, pptx=tmp_path / "b.pptx")
    deck = Presentation(str(tmp_path / "b.pptx"))
    assert (deck.slide_width, deck.slide_height) == (Emu(12192000), Emu(6858000))  # 16:9
    titles = [_texts(slide)[0] for slide in deck.slides]
    assert titles[0] == "Donor drawdown"
    for expected in ("Key judgments", "Key judgments: the numbers",
                     "When stocks hit their floor, bottom out and are back",
                     "Donor: 155mm shell: on hand", "Donor: 155mm shell: where it went",
                     "Donor: 155mm shell: what drives when it is back",
                     "Assumptions (in orange: changed for this variant)", "Sources"):  # fmt: skip
        assert expected in titles
    # a title too long for one line breaks (a vertical tab in the slide's text)
    chance = "Donor: 155mm shell: chance of being back at its starting level by each date"
    assert chance in [t.replace("\v", " ") for t in titles]
    drivers = deck.slides[titles.index("Donor: 155mm shell: what drives when it is back")]
    assert any(shape.shape_type == 13 for shape in drivers.shapes)  # the tornado, a picture
    first = " ".join(_texts(deck.slides[0]))
    assert "200 Monte Carlo runs, seed 2" in first
    assert "Variant, changed from the scenario file: production.line.slip=2 mo" in first
    notes = deck.slides[0].notes_slide.notes_text_frame.text
    assert "A third one." in notes and "Made up for a test" in notes
    judgments = " ".join(_texts(deck.slides[titles.index("Key judgments")]))
    assert "155mm shell (Donor) falls to its floor in" in judgments
    table = next(s for s in deck.slides if _texts(s)[0] == "Key judgments: the numbers")
    assert any(shape.has_table for shape in table.shapes)  # editable, not a picture


@pytest.mark.slow
def test_a_pack_compares_several_results(small: Path, tmp_path: Path) -> None:
    variant = sim.load_scenario_text(SMALL, overrides=["production.line.slip=8 mo"])
    sim.run(variant, runs=200, seed=2).to_netcdf(tmp_path / "late.nc")
    done = CliRunner().invoke(main, ["brief", str(small), str(tmp_path / "late.nc"), "--labels",
                                     "base,late", "--pptx", str(tmp_path / "c.pptx")])  # fmt: skip
    assert done.exit_code == 0, done.output
    titles = [_texts(s)[0] for s in Presentation(str(tmp_path / "c.pptx")).slides]
    assert titles[0] == "Compared: base vs late" and "Key judgments compared" in titles
    assert "Donor: 155mm shell: base vs late" in titles
    assert "Donor: 155mm shell: chance of being back by each date" in titles


def test_a_comparison_of_identical_results_has_no_empty_comparison_slides(
    small: Path, tmp_path: Path
) -> None:
    done = CliRunner().invoke(main, ["brief", str(small), str(small / "results.nc"), "--labels",
                                     "base,again", "--pptx", str(tmp_path / "c.pptx")])  # fmt: skip
    assert done.exit_code == 0, done.output
    titles = [_texts(s)[0] for s in Presentation(str(tmp_path / "c.pptx")).slides]
    assert "Key judgments compared" in titles
    assert not any(" vs again" in t or "chance of being back" in t for t in titles[1:]), titles


@pytest.mark.slow
def test_no_drivers_slide_without_enough_runs(tmp_path: Path) -> None:
    few = sim.run(sim.load_scenario_text(SMALL), runs=50, seed=2)
    brief(few, pptx=tmp_path / "few.pptx")
    titles = [_texts(s)[0] for s in Presentation(str(tmp_path / "few.pptx")).slides]
    assert "Donor: 155mm shell: on hand" in titles
    assert not [t for t in titles if "what drives" in t]  # 50 runs cannot rank inputs


@pytest.mark.slow
def test_the_cli_writes_beside_the_results_and_refuses_bad_input(
    small: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["brief", str(small)]).exit_code == 0
    assert (small / "brief.pptx").is_file()
    assert runner.invoke(main, ["export", str(small)]).exit_code == 0
    assert (small / "results.xlsx").is_file()
    for args, message in ((["brief", str(tmp_path / "none")], "no such results file"),
                          (["brief", str(small), str(small), "--labels", "one"], "give 2 names"),
                          (["brief", str(small), str(small)], "give --pptx FILE")):  # fmt: skip
        done = runner.invoke(main, args)
        assert done.exit_code == 2 and message in done.output and "Traceback" not in done.output


@pytest.mark.slow
def test_the_workbook_has_its_sheets_and_dates(small: Path, tmp_path: Path) -> None:
    export(sim.open_results(small / "results.nc"), xlsx=tmp_path / "r.xlsx")
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Dates", "Amounts", "Stock bands", "All bands", "Inputs", "Run"]
    rows = list(book["Dates"].iter_rows(values_only=True))
    assert rows[0][:4] == ("holder", "item", "event", "chance within horizon")
    depleted = next(r for r in rows if r[:3] == ("donor", "shell", "depleted_at"))
    assert 0 < depleted[3] <= 1
    for column in range(4, 8):  # one type per column: dates, or empty
        assert all(r[column] is None or isinstance(r[column], dt.datetime) for r in rows[1:])
    amounts = list(book["Amounts"].iter_rows(values_only=True))
    assert amounts[0] == ("holder", "item", "unit", "quantity", "p10", "p50", "p90", "mean")
    for row in amounts[1:]:
        assert isinstance(row[2], str) and all(
            v is None or isinstance(v, int | float) for v in row[4:]
        )
        assert all(v is None or abs(v) < 10 or v == int(v) for v in row[4:])  # whole units
    bands = list(book["Stock bands"].iter_rows(values_only=True))
    assert bands[0][:4] == ("date", "donor shell p10", "donor shell p50", "donor shell p90")
    assert isinstance(bands[1][0], dt.datetime) and bands[1][1] <= bands[1][2] <= bands[1][3]
    inputs = list(book["Inputs"].iter_rows(values_only=True))
    assert ("production.line.slip", "2 mo", None, "yes") in inputs  # empty cells read as None
    header, *settings = book["Run"].iter_rows(values_only=True)
    run = dict(settings)
    assert header == ("setting", "value")
    assert isinstance(run["seed"], int) and isinstance(run["runs"], int)


def test_rounded_to_meaning() -> None:
    from sim.brief.workbook import rounded

    assert rounded(412041.9560658409) == 412042 and rounded(915.667) == 916
    assert rounded(3.14159) == 3.14 and rounded(float("nan")) is None and rounded(None) is None


# -- rendering: LibreOffice and Poppler, as .ci/run installs them -----------------------------


def _renderer_missing() -> str | None:
    """Why this machine cannot render packs as users' machines with the font would."""
    from sim.brief.render import font_problem

    for program, package in (("soffice", "libreoffice-impress"), ("pdftoppm", "poppler-utils")):
        if shutil.which(program) is None:
            return f"needs {program} (apt-get install {package}; .ci/run installs it)"
    return font_problem()


@pytest.mark.slow
@pytest.mark.skipif(_renderer_missing() is not None, reason=str(_renderer_missing()))
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_flagship_pack_renders_with_no_text_outside_its_box(
    path: Path, tmp_path: Path
) -> None:
    results = sim.run(sim.load_scenario(path), runs=200, seed=1)
    brief(results, pptx=tmp_path / "b.pptx")
    deck = Presentation(str(tmp_path / "b.pptx"))
    pdf = to_pdf(tmp_path / "b.pptx", tmp_path / "b.pdf")
    pages = _words(pdf)
    assert len(pages) == len(deck.slides)
    for number, (slide, words) in enumerate(zip(deck.slides, pages, strict=True), start=1):
        boxes = [_box(shape) for shape in slide.shapes if shape.shape_type != 13]  # 13: picture
        outside = [w for w, (x0, y0, x1, y1) in words
                   if not any(_inside((x0, y0, x1, y1), b) for b in boxes)]  # fmt: skip
        assert not outside, f"slide {number}: text outside its box: {outside[:5]}"
    pngs = subprocess.run(["pdftoppm", "-png", "-r", "20", str(pdf), str(tmp_path / "p")],
                          capture_output=True, check=False)  # fmt: skip
    assert pngs.returncode == 0 and len(list(tmp_path.glob("p-*.png"))) == len(deck.slides)


@pytest.mark.slow
@pytest.mark.skipif(_renderer_missing() is not None, reason=str(_renderer_missing()))
def test_the_overflow_check_finds_text_that_overflows(tmp_path: Path) -> None:
    """The check above can fail: a box given more text than it holds is caught."""
    from pptx.util import Inches, Pt

    from sim.brief.deck import Deck

    deck = Deck(footer="footer")
    slide = deck.slide("A slide")
    frame = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(3), Inches(0.5)).text_frame
    frame.word_wrap = True
    frame.text = "far too many words for so small a box " * 12
    frame.paragraphs[0].runs[0].font.size = Pt(20)
    deck.save(tmp_path / "bad.pptx")
    pdf = to_pdf(tmp_path / "bad.pptx", tmp_path / "bad.pdf")
    (words,) = _words(pdf)
    boxes = [_box(shape) for shape in slide.shapes]
    assert any(not any(_inside(box, b) for b in boxes) for _word, box in words)


def _texts(slide: object) -> list[str]:
    return [s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text]  # type: ignore[attr-defined]


def _box(shape: object) -> tuple[float, float, float, float]:
    """A shape's rectangle in PDF points (1 inch = 72 points = 914,400 EMU)."""
    left, top, width, height = (v / 12700 for v in (shape.left, shape.top, shape.width,  # type: ignore[attr-defined]
                                                    shape.height))  # type: ignore[attr-defined]  # fmt: skip
    return left, top, left + width, top + height


def _inside(word: tuple[float, ...], box: tuple[float, ...], slack: float = 1.5) -> bool:
    return (word[0] >= box[0] - slack and word[1] >= box[1] - slack
            and word[2] <= box[2] + slack and word[3] <= box[3] + slack)  # fmt: skip


def _words(pdf: Path) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Every word of every page with its box in points (Poppler's pdftotext -bbox)."""
    done = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    pages = []
    for page in re.findall(r"<page[^>]*>(.*?)</page>", done.stdout, flags=re.S):
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                           r'yMax="([\d.]+)">(.*?)</word>', page)  # fmt: skip
        pages.append([(w[4], tuple(float(v) for v in w[:4])) for w in words])
    return pages  # type: ignore[return-value]


def test_no_warning_reaches_the_user(small: Path) -> None:
    """(pytest turns warnings into errors: a workbook and a pack are made without one.)"""
    results = sim.open_results(small / "results.nc")
    assert np.isfinite(float(results.dataset["stock"].max()))


@pytest.mark.parametrize(
    ("family", "problem"),
    [("Liberation Sans", False), ("Arial", False), ("DejaVu Sans", True)],
)
def test_a_renderer_without_arials_metrics_is_named(
    family: str, problem: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.brief.render import font_problem

    fake = tmp_path / "fc-match"
    fake.write_text(f"#!/bin/sh\nprintf '{family}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = font_problem()
    assert (found is not None) is problem
    if problem:
        assert found == (
            f"this machine has no Arial or Liberation Sans, so the PDF is set in {family} and "
            "text may not fit its boxes (apt-get install fonts-liberation)"
        )


SHORT = """\
name: A receiver that runs short
start: 2024-01-01
horizon: 20w
items: {shell: {label: 155mm shell, unit: rounds}}
holders:
  donor: {label: Donor, stock: {shell: 50k to 60k}}
  front: {label: Front, stock: {shell: 5k}}
donations:
  aid: {from: donor, to: front, item: shell, rate: 8k to 12k /mo}
consumption:
  fire: {holder: front, item: shell, rate: 500/d}
"""


def test_a_pack_reads_right(tmp_path: Path) -> None:
    """A shortfall slide for the holder that runs short, the donor's stock said to be still
    falling at the end, and notes that say how to read each slide (not one note for all)."""
    results = sim.run(sim.load_scenario_text(SHORT), runs=100, seed=1)
    brief(results, pptx=tmp_path / "b.pptx")
    slides = list(Presentation(str(tmp_path / "b.pptx")).slides)
    titles = [_texts(s)[0] for s in slides]
    assert "Front: 155mm shell: demand not met" in titles
    judgment = " ".join(_texts(slides[titles.index("Key judgments")]))
    assert "still falling at the end" in judgment and "lowest point is" not in judgment
    notes = [s.notes_slide.notes_text_frame.text for s in slides]
    assert len(set(notes)) >= len(slides) // 2
    fan_note = notes[titles.index("Donor: 155mm shell: on hand")]
    assert fan_note.startswith("The dark line is the median stock over the runs")
    assert "Sources:" in notes[0] and "Sources:" not in fan_note
    assert "Donor: 155mm shell: what drives when it is back" not in titles  # no run is back
    assert "Donor: 155mm shell: chance of being back at its starting level by each date" not in (
        titles
    )


def test_the_bottom_line_comes_first_with_the_shortfall_in_numbers(tmp_path: Path) -> None:
    from sim.brief.judgments import shortfalls

    results = sim.run(sim.load_scenario_text(SHORT), runs=100, seed=1)
    brief(results, pptx=tmp_path / "b.pptx")
    slides = list(Presentation(str(tmp_path / "b.pptx")).slides)
    assert _texts(slides[1])[0] == "Bottom line"
    unmet = results.dataset["unmet"].sel(holder="front", item="shell").isel(time=-1).values
    used = results.dataset["consumed"].sel(holder="front", item="shell").isel(time=-1).values
    [line] = shortfalls(results.dataset)
    median = float(np.median(unmet))
    share = median / (median + float(np.median(used)))
    assert line.startswith(f"Front lacks {style.level(median)} rounds of 155mm shell by ")
    assert f"({share:.0%} of what it needed)" in line
    assert line in " ".join(" ".join(_texts(slides[1])).split())  # line breaks as spaces
