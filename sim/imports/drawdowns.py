"""US drawdown notices -> tranches in money: a share of each package for one item.

The layout is protect-ukraine-now/pun ``src/data/notifications.csv``: tab-separated, no header,
one Federal Register document per line: ``date, document type, link, amount, amount, ...``, the
amounts being every dollar figure of the document's text (``$675 million``, ``$2.85 billion``;
``undefined`` when none was found). The largest amount is taken as the package (a document
also names other figures, such as an earlier package or a sub-limit; each tranche's comment shows
them all). Notices republish presidential determinations, so by default only ``Presidential
Document`` lines are read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sim.imports.common import (
    Problems,
    check_id,
    day_of,
    no_match,
    read_records,
    refuse,
    same,
    slug,
    stop,
    within,
)
from sim.imports.fragment import Imported, Names, Point, donation, money, quoted

AMOUNT = re.compile(r"\$\s*(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion)?", re.IGNORECASE)
SCALE = {"": 1.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
PRESIDENTIAL = "Presidential Document"
LAYOUT = "tab-separated date, document type, link, amounts (notifications.csv)"


@dataclass(frozen=True)
class Notice:
    line: int
    day: dt.date
    kind: str
    document: str
    dollars: float | None
    named: tuple[str, ...]  # every amount as the text writes it


def tranches(
    path: Path,
    share: float,
    item: str,
    kind: str = PRESIDENTIAL,
    holder: str = "us",
    to: str = "ukraine",
    id: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Imported:
    """``share`` (0 to 1) of each drawdown of documents of type ``kind`` (``all``: every
    type), as ``deliveries`` in dollars from ``holder`` to ``to`` of ``item``."""
    file = str(path)
    problems = Problems(file)
    names = Names(
        check_id(problems, "--holder", holder),
        check_id(problems, "--to", to),
        check_id(problems, "--item", item),
        check_id(problems, "--id", id or slug(f"pda_{item}")),
    )
    if not 0 < share <= 1:
        problems.add(None, "--share", f"must be above 0 and at most 100%, got {share:g}")
    problems.check()
    notices = _notices(path)
    if not notices:
        stop(file, "", "no notices in the file", f"expected {LAYOUT}")
    every = same(kind) == "all"
    chosen = [n for n in notices if every or same(n.kind) == same(kind)]
    if not chosen:
        refuse(no_match(file, "--type", "document types", kind, (n.kind for n in notices)))
    kept = within(file, [n.day for n in chosen], start, end)
    chosen = [n for n in chosen if n.day in kept]
    unpriced = [n for n in chosen if n.dollars is None]
    priced = [n for n in chosen if n.dollars is not None]
    if not priced:
        stop(file, "", "no notice in the selection names an amount")
    warnings: tuple[str, ...] = ()
    if unpriced:
        lines = ", ".join(str(n.line) for n in unpriced)
        warnings = (f"{file}: {len(unpriced)} notice(s) without an amount were skipped "
                    f"(lines {lines})",)  # fmt: skip
    latest = max(n.day for n in notices)
    percent = f"{share * 100:.6g}%"
    source = (
        f"US drawdown notices, Federal Register ({path.name}, records to {latest}): "
        f"{percent} of each {'package' if every else kind} for {item}"
    )
    notes = (
        f"US drawdown notices ({'every document type' if every else kind}): the dollar",
        f"value of each package; {percent} of each counted for {item}. Dates are signing dates:",
        "deliveries follow within days to weeks, so add a transit. The item needs a unit_cost",
        "for amounts in money (docs/scenario.md); $ is the scenario's currency (USD).",
        f"File {path.name}: records to {latest}.",
        *[f"Warning: {w}" for w in warnings],
        f"Add to sources: {quoted(source)}",
    )
    fragment = donation(names, _points(priced, share, percent), notes)
    return Imported(fragment, warnings)


def _notices(path: Path) -> list[Notice]:
    problems = Problems(str(path))
    notices = []
    for line, cells in read_records(path, delimiter="\t"):
        cells = [c.strip() for c in cells]
        if line == 1 and same(cells[0]) == "date":
            continue  # a header, if the file has one
        if len(cells) < 4:
            problems.add(line, "", f"{len(cells)} field(s)", f"expected {LAYOUT}")
            continue
        day = day_of(problems, line, "date", cells[0])
        named = tuple(c for c in cells[3:] if same(c) not in ("undefined", ""))
        amounts = [_dollars(c) for c in named]
        for text, dollars in zip(named, amounts, strict=True):
            if dollars is None:
                problems.add(
                    line,
                    "amount",
                    f"cannot read {text!r} as an amount",
                    "expected e.g. '$675 million', or 'undefined' when none was found",
                )
        if day is not None and None not in amounts:
            document = cells[2].rstrip("/").rsplit("/", 1)[-1].removesuffix(".txt")
            largest = max((a for a in amounts if a is not None), default=None)
            notices.append(Notice(line, day, cells[1], document, largest, named))
    problems.check()
    return notices


def _dollars(text: str) -> float | None:
    match = AMOUNT.fullmatch(text.strip())
    if match is None:
        return None
    return float(match[1].replace(",", "")) * SCALE[(match[2] or "").lower()]


def _points(notices: list[Notice], share: float, percent: str) -> tuple[Point, ...]:
    """One tranche per day: the share of that day's packages, with where each came from."""
    by_day: dict[dt.date, list[Notice]] = {}
    for notice in sorted(notices, key=lambda n: (n.day, n.line)):
        by_day.setdefault(notice.day, []).append(notice)
    points = []
    for day, same_day in by_day.items():
        dollars = sum(share * n.dollars for n in same_day if n.dollars is not None)
        notes = [
            f"{percent} of {money(n.dollars or 0)} ({n.document}{_others(n)})" for n in same_day
        ]
        points.append(Point(day, money(dollars), " + ".join(notes)))
    return tuple(points)


def _others(notice: Notice) -> str:
    """The figures a document names, when it names more than the package."""
    return f"; it names {', '.join(notice.named)}" if len(notice.named) > 1 else ""
