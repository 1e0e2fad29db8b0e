"""Currencies: the symbols and codes an amount in money may be written with, and how money is
shown in tables and on charts. Light to import (no NumPy).

>>> code_of("€"), symbol("USD")
('EUR', '$')
>>> money(4.21e9, "USD"), money(650e6, "EUR"), money(12_500, "PLN")
('$4.21B', '€650M', '12.5k PLN')
"""

from __future__ import annotations

import re

#: Symbols written before an amount, by the ISO code they stand for (the first is shown).
SYMBOLS: dict[str, tuple[str, ...]] = {
    "USD": ("$", "US$"),
    "EUR": ("€",),
    "GBP": ("£",),
    "JPY": ("¥",),
    "CAD": ("C$",),
    "AUD": ("A$",),
}
_BY_SYMBOL = {s: code for code, symbols in SYMBOLS.items() for s in symbols}
#: A currency mark in a value: a symbol, or an ISO code written as a word (``675M USD``).
MARK = re.compile(
    "|".join(re.escape(s) for s in sorted(_BY_SYMBOL, key=len, reverse=True)) + r"|\b[A-Z]{3}\b"
)
_CODE = re.compile(r"[A-Z]{3}")
DEFAULT = "USD"


def code_of(mark: str) -> str | None:
    """The ISO code a symbol or code stands for (None if it is neither)."""
    mark = mark.strip()
    if mark in _BY_SYMBOL:
        return _BY_SYMBOL[mark]
    return mark if _CODE.fullmatch(mark) else None


def symbol(code: str) -> str:
    """The symbol shown for ``code`` ("" when it has none: the code is shown after amounts)."""
    return SYMBOLS.get(code, ("",))[0]


def label(code: str) -> str:
    """``USD ($)``, or the code alone when it has no symbol."""
    sign = symbol(code)
    return f"{code} ({sign})" if sign else code


def money(value: float, code: str, digits: int = 3) -> str:
    """An amount as a reader expects it: ``$4.21B``, ``€650M``, ``$8,500``, ``12.5k PLN``."""
    if value != value:  # NaN
        return ""
    sign = "-" if value < 0 else ""
    size = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M")):
        if size >= scale:
            text = f"{size / scale:.{digits}g}{suffix}"
            break
    else:
        text = f"{size:,.0f}" if size >= 1 else f"{size:.{digits}g}"
        if size >= 1e3 and not symbol(code):
            text = f"{size / 1e3:.{digits}g}k"
    mark = symbol(code)
    return f"{sign}{mark}{text}" if mark else f"{sign}{text} {code}"
