"""A 16:9 slide deck whose text always fits: titles, text boxes, tables and chart pictures.

Text is broken into lines and sized by font metrics (``sim.brief.text``) before it is placed,
tables are split over as many slides as their rows need, and whatever does not fit a slide
goes whole into its speaker notes. Text stays editable (text boxes and tables, not pictures).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Inches, Pt

from sim.brief.text import Fitted, fit, height_inches, wrap

WIDTH, HEIGHT = 40 / 3, 7.5  # inches, 16:9 (PowerPoint's widescreen)
MARGIN = 0.5
FONT = "Arial"
INK, MUTED, ACCENT = (
    RGBColor(0x1A, 0x1A, 0x1A),
    RGBColor(0x59, 0x59, 0x59),
    RGBColor(0xD5, 0x5E, 0x00),
)
PAD_X, PAD_Y = 0.1, 0.05  # a text box's inner margins, inches
CHART_DPI = 200  # slide resolution: a full-width chart is about 2,500 pixels wide


@dataclass(frozen=True)
class Box:
    """A rectangle on the slide, in inches from the top left."""

    left: float
    top: float
    width: float
    height: float


TITLE = Box(MARGIN, 0.3, WIDTH - 2 * MARGIN, 0.9)
BODY = Box(MARGIN, 1.3, WIDTH - 2 * MARGIN, 5.55)
FOOTER = Box(MARGIN, 6.95, WIDTH - 2 * MARGIN, 0.4)


class Deck:
    """The slides being made; ``save`` writes the .pptx."""

    def __init__(self, footer: str) -> None:
        self.presentation = Presentation()
        self.presentation.slide_width = Inches(WIDTH)
        self.presentation.slide_height = Inches(HEIGHT)
        self.footer = footer

    def slide(self, title: str, notes: str = "") -> Any:
        """A blank slide with its title, footer and speaker notes."""
        slide = self.presentation.slides.add_slide(self.presentation.slide_layouts[6])
        fitted = self.text(slide, title, TITLE, sizes=(28, 26, 24, 22, 20), bold=True)
        self.text(slide, self.footer, FOOTER, sizes=(9, 8), colour=MUTED)
        lost = "" if fitted.complete else f"Title: {title}\n\n"
        slide.notes_slide.notes_text_frame.text = lost + notes
        return slide

    def text(
        self,
        slide: Any,
        text: str,
        box: Box,
        sizes: tuple[float, ...] = (20, 18, 16, 14, 12),
        bold: bool = False,
        colour: RGBColor = INK,
        align: Any = PP_ALIGN.LEFT,
    ) -> Fitted:
        """``text`` in ``box`` at the largest size that fits, line breaks placed here."""
        fitted = fit(text, box.width - 2 * PAD_X, box.height - 2 * PAD_Y, sizes, bold)
        frame = _frame(slide, box)
        paragraph = frame.paragraphs[0]
        paragraph.alignment = align
        for index, line in enumerate(fitted.lines):
            if index:
                paragraph.add_line_break()
            _run(paragraph, line, fitted.size, bold, colour)
        return fitted

    def bullets(self, title: str, items: Sequence[str], notes: str = "") -> None:
        """One paragraph per item, as many slides as they need, every slide's items at the
        largest size where all of them fit (and never below ``MIN_BULLET`` points)."""
        width, room = BODY.width - 2 * PAD_X, BODY.height - 2 * PAD_Y
        pages: list[list[str]] = [[]]
        for item in items:
            trial = [*pages[-1], item]
            if pages[-1] and not fit(_joined(trial), width, room, (MIN_BULLET,)).complete:
                pages.append([item])
            else:
                pages[-1] = trial
        for number, page in enumerate(pages):
            suffix = f" ({number + 1} of {len(pages)})" if len(pages) > 1 else ""
            slide = self.slide(title + suffix, notes)
            fitted = fit(_joined(page), width, room, (20, 18, 16, 15, MIN_BULLET))
            frame = _frame(slide, BODY)
            for index, item in enumerate(page):
                paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
                if index:  # the blank line ``_joined`` counted
                    _run(paragraph, "", fitted.size, False, INK)
                    paragraph = frame.add_paragraph()
                for line_number, line in enumerate(wrap(f"• {item}", fitted.size, width)):
                    if line_number:
                        paragraph.add_line_break()
                    _run(paragraph, line, fitted.size, False, INK)

    def picture(self, slide: Any, figure: Figure, box: Box = BODY) -> None:
        """A chart drawn at slide resolution, scaled to fit ``box`` and centred in it."""
        image = io.BytesIO()
        figure.savefig(image, format="png", dpi=CHART_DPI, facecolor="white")
        width, height = figure.get_size_inches()
        scale = min(box.width / width, box.height / height)
        left = box.left + (box.width - width * scale) / 2
        image.seek(0)
        slide.shapes.add_picture(image, Inches(left), Inches(box.top), Inches(width * scale),
                                 Inches(height * scale))  # fmt: skip

    def table(
        self,
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        notes: str = "",
        marked: Sequence[bool] = (),
        size: float = 12,
    ) -> None:
        """``rows`` under ``header`` on as many slides as they need (``widths`` in inches,
        summing to the body's width); ``marked`` rows are set bold in the accent colour."""
        pages = _paginate([header, *rows], widths, size, BODY.height)
        for number, (first, last) in enumerate(pages):
            suffix = f" ({number + 1} of {len(pages)})" if len(pages) > 1 else ""
            slide = self.slide(title + suffix, notes)
            body = [list(header), *(list(r) for r in rows[first - 1 : last - 1])]
            flags = [False, *(list(marked)[first - 1 : last - 1] or [False] * (last - first))]
            _table(slide, body, widths, size, flags)

    def save(self, path: str | Path) -> None:
        self.presentation.save(str(path))


MIN_BULLET = 14  # points: the smallest bullet text on a slide


def _joined(items: Sequence[str]) -> str:
    return "\n\n".join(f"• {item}" for item in items)


def _frame(slide: Any, box: Box) -> Any:
    shape = slide.shapes.add_textbox(Inches(box.left), Inches(box.top), Inches(box.width),
                                     Inches(box.height))  # fmt: skip
    frame = shape.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = Inches(PAD_X)
    frame.margin_top = frame.margin_bottom = Inches(PAD_Y)
    return frame


def _run(paragraph: Any, text: str, size: float, bold: bool, colour: RGBColor) -> None:
    """A run of ``text``; an empty line holds a no-break space, so that its height is set by
    this size and not by the renderer's default."""
    run = paragraph.add_run()
    run.text = text or "\u00a0"
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FONT
    run.font.color.rgb = colour


def _row_height(
    cells: Sequence[str], widths: Sequence[float], size: float, bold: bool = False
) -> float:
    lines = max(
        len(wrap(text, size, width - 2 * PAD_X, bold))
        for text, width in zip(cells, widths, strict=True)
    )
    return height_inches(lines, size) + 2 * PAD_Y + 0.02


def _paginate(
    rows: Sequence[Sequence[str]], widths: Sequence[float], size: float, room: float
) -> list[tuple[int, int]]:
    """Index ranges [first, last) of body rows (row 0 is the header, repeated) per slide."""
    heights = [_row_height(r, widths, size, bold=True) for r in rows]  # bold: the widest
    pages: list[tuple[int, int]] = []
    first, used = 1, heights[0]
    for index in range(1, len(rows)):
        if used + heights[index] > room and index > first:
            pages.append((first, index))
            first, used = index, heights[0]
        used += heights[index]
    pages.append((first, len(rows)))
    return pages


def _table(
    slide: Any, rows: list[list[str]], widths: Sequence[float], size: float, marked: list[bool]
) -> None:
    heights = [_row_height(r, widths, size, bold=True) for r in rows]
    shape = slide.shapes.add_table(len(rows), len(widths), Inches(BODY.left), Inches(BODY.top),
                                   Inches(sum(widths)), Inches(sum(heights)))  # fmt: skip
    table = shape.table
    for column, width in enumerate(widths):
        table.columns[column].width = Inches(width)
    for index, (cells, height) in enumerate(zip(rows, heights, strict=True)):
        table.rows[index].height = Inches(height)
        for column, text in enumerate(cells):
            cell = table.cell(index, column)
            cell.margin_left = cell.margin_right = Inches(PAD_X)
            cell.margin_top = cell.margin_bottom = Inches(PAD_Y)
            frame = cell.text_frame
            frame.word_wrap = True
            paragraph = frame.paragraphs[0]
            bold, colour = (index == 0 or marked[index]), (ACCENT if marked[index] else INK)
            lines = wrap(text, size, widths[column] - 2 * PAD_X, bold)
            for number, line in enumerate(lines):
                if number:
                    paragraph.add_line_break()
                _run(paragraph, line, size, bold, colour)
