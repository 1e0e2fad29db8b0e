"""Text that fits its box: wrapping and sizing by font metrics, so nothing overflows a slide.

Lines are measured with DejaVu Sans, which matplotlib always has and which is wider than the
Arial (or its metric twin Liberation Sans) the slides are set in, so text measured to fit here
fits there too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

LINE_SPACING = 1.2  # line height as a multiple of the font size
_TEXT = TextToPath()


@lru_cache(maxsize=65536)
def width_points(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` set at ``size`` points, in points."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
    return float(_TEXT.get_text_width_height_descent(text, prop, ismath=False)[0])


def wrap(text: str, size: float, width_inches: float, bold: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width_inches`` (paragraphs kept; a word
    wider than the line is broken between characters)."""
    limit = width_inches * 72
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            trial = f"{current} {word}" if current else word
            if width_points(trial, size, bold) <= limit:
                current = trial
                continue
            if current:
                lines.append(current)
            current = word
            while width_points(current, size, bold) > limit and len(current) > 1:
                cut = _longest_prefix(current, size, limit, bold)
                lines.append(current[:cut])
                current = current[cut:]
        lines.append(current)
    return lines


def _longest_prefix(word: str, size: float, limit: float, bold: bool) -> int:
    """The most leading characters of ``word`` that fit (at least 1), by bisection: widths
    grow with the prefix, so a 2,000-character word takes a dozen measures, not 2,000."""
    low, high = 1, len(word) - 1  # word[:low] is kept even if it overflows
    while low < high:
        middle = (low + high + 1) // 2
        if width_points(word[:middle], size, bold) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def height_inches(lines: int, size: float) -> float:
    """The height of ``lines`` lines at ``size`` points."""
    return lines * size * LINE_SPACING / 72


@dataclass(frozen=True)
class Fitted:
    """Text set to fit a box: its size, its lines, and whether all of it is there."""

    size: float
    lines: list[str]
    complete: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def fit(
    text: str,
    width_inches: float,
    height_inches_: float,
    sizes: tuple[float, ...] = (20, 18, 16, 14, 12),
    bold: bool = False,
) -> Fitted:
    """The largest of ``sizes`` at which ``text`` fits the box; at the smallest, as many whole
    sentences as fit (``complete`` False: the rest belongs in the speaker notes)."""
    for size in sizes:
        lines = wrap(text, size, width_inches, bold)
        if height_inches(len(lines), size) <= height_inches_:
            return Fitted(size, lines, True)
    size = sizes[-1]
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+", " ".join(text.split())):
        lines = wrap(" ".join([*kept, sentence]), size, width_inches, bold)
        if height_inches(len(lines), size) > height_inches_:
            break
        kept.append(sentence)
    lines = wrap(" ".join(kept), size, width_inches, bold) if kept else []
    return Fitted(size, lines, False)
