"""`stockpile import SOURCE FILE [filters] [--out FILE.csv]`: public datasets to scenario
fragments (docs/imports.md).

The fragment is printed on stdout, ready to paste; with ``--out`` its dated series goes to a CSV
file that the fragment names (``values: {file: ...}`` or ``deliveries: {file: ...}``).
Warnings and the name of the file written go to stderr, so stdout stays YAML.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sim.cli import main
from sim.cli.files import BadInput, OutputFile, force_option
from sim.cli.problems import exit_with_problems

#: At most this many problems are printed, then how many more there are.
SHOWN_PROBLEMS = 50
DAY = click.DateTime(["%Y-%m-%d"])


@main.group("import")
def import_() -> None:
    """Turn a public dataset into a scenario fragment: oryx-log, kiel or drawdowns."""


def _window(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every source shares: the dates kept and the CSV file."""
    command = click.option(
        "--out",
        type=click.Path(path_type=Path),
        metavar="FILE.csv",
        help="Write the dated series to this CSV file; the fragment "
        "names it (a path relative to the scenario).",
    )(command)
    command = click.option("--end", type=DAY, help="Keep dates up to this one (YYYY-MM-DD).")(
        command
    )
    command = force_option(command)
    return click.option("--start", type=DAY, help="Keep dates from this one (YYYY-MM-DD).")(command)


@import_.command("oryx-log", short_help="An Oryx-derived loss log -> observations of lost.")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--country", required=True, help="Whose losses: a country of the log (Ukraine).")
@click.option("--category", required=True, help="A category of the log (towed artillery).")
@click.option(
    "--states",
    default="destroyed,damaged,abandoned,captured",
    show_default=True,
    help="The states counted as lost, comma-separated.",
)
@click.option("--holder", help="The scenario's holder id (default: from --country).")
@click.option("--item", help="The scenario's item id (default: from --category).")
@click.option("--id", "id_", help="The observation's id (default: oryx_HOLDER_ITEM).")
@_window
def oryx_log(
    file: Path,
    country: str,
    category: str,
    states: str,
    holder: str | None,
    item: str | None,
    id_: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    out: Path | None,
    force: bool,
) -> None:
    """FILE: an Oryx-derived log (columns timestamp,country,category,state,value) -> an
    observation of `lost`: cumulative confirmed losses by day, bound at_least."""
    from sim.imports import oryx

    _emit(
        file,
        out,
        force,
        lambda: oryx.observations(
            file,
            country,
            category,
            tuple(states.split(",")),
            holder,
            item,
            id_,
            _day(start),
            _day(end),
        ),
    )


@import_.command("kiel", short_help="The Kiel tracker -> observations of sent, or tranches.")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--donor", required=True, help="A donor of the tracker (United States).")
@click.option(
    "--item", required=True, help="Text of the tracker's item names to count (M777), any case."
)
@click.option(
    "--as",
    "kind",
    type=click.Choice(["observations", "deliveries"]),
    default="observations",
    show_default=True,
    help="Observations of `sent` (running totals) or tranches (workbook only).",
)
@click.option("--measure", help="Workbook: only rows of this measure (Allocation, Commitment).")
@click.option(
    "--date",
    type=DAY,
    help="weapons.csv: the day its totals stand at (default: from release_info.csv).",
)
@click.option("--holder", help="The donor's holder id (default: from --donor).")
@click.option("--to", default="ukraine", show_default=True, help="Tranches: the receiver's id.")
@click.option("--item-id", help="The scenario's item id (default: from --item).")
@click.option("--id", "id_", help="The entry's id (default: kiel_HOLDER_ITEM[_tranches]).")
@_window
def kiel(
    file: Path,
    donor: str,
    item: str,
    kind: str,
    measure: str | None,
    date: dt.datetime | None,
    holder: str | None,
    to: str,
    item_id: str | None,
    id_: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    out: Path | None,
    force: bool,
) -> None:
    """FILE: the tracker's weapons.csv or a release workbook (sheet "Bilateral Assistance, MAIN
    DATA") -> observations of `sent` (bound at_most) or tranches. Dates are announcements."""
    from sim.imports.kiel import import_kiel

    _emit(
        file,
        out,
        force,
        lambda: import_kiel(
            file,
            donor,
            item,
            kind,
            measure,
            _day(date),
            holder,
            to,
            item_id,
            id_,
            _day(start),
            _day(end),
        ),
    )


@import_.command("drawdowns", short_help="US drawdown notices -> tranches in money.")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--share", required=True, help="The share of each package for the item (30%).")
@click.option("--item", required=True, help="The scenario's item id (it needs a unit_cost).")
@click.option(
    "--type",
    "kind",
    default="Presidential Document",
    show_default=True,
    help="The document type read, or 'all'.",
)
@click.option("--holder", default="us", show_default=True, help="The donor's holder id.")
@click.option("--to", default="ukraine", show_default=True, help="The receiver's holder id.")
@click.option("--id", "id_", help="The donation's id (default: pda_ITEM).")
@_window
def drawdowns(
    file: Path,
    share: str,
    item: str,
    kind: str,
    holder: str,
    to: str,
    id_: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    out: Path | None,
    force: bool,
) -> None:
    """FILE: drawdown notices (tab-separated date, type, link, amounts) -> tranches in money,
    the --share of each package."""
    from sim.imports.drawdowns import tranches
    from sim.scenario.values import GrammarError, parse_fixed

    try:
        fraction = parse_fixed(share, "fraction")
    except GrammarError as error:
        raise BadInput(f"--share: {error.message} (a share such as 30% or 0.3)") from None
    _emit(
        file,
        out,
        force,
        lambda: tranches(file, fraction, item, kind, holder, to, id_, _day(start), _day(end)),
    )


def _day(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else value.date()


def _emit(file: Path, out: Path | None, force: bool, read: Callable[[], Any]) -> None:
    """Run the importer; print its fragment (and write its CSV), or every problem and exit 2."""
    from sim.imports.common import ImportFailed
    from sim.imports.fragment import csv_text, yaml_text

    csv = None if out is None else OutputFile.checked(out, (".csv",), force=force)
    try:
        imported = read()
    except ImportFailed as failed:
        messages = [str(p) for p in failed.problems]
        more = len(messages) - SHOWN_PROBLEMS
        tail = [f"{file}: ... and {more} more problems"] if more > 0 else []
        exit_with_problems(messages[:SHOWN_PROBLEMS] + tail)
    except Exception as error:  # bad input must never show a traceback
        exit_with_problems([f"{file}: cannot import this file ({error!r}; please report)"])
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)
    command = _command_line()
    if csv is None:
        click.echo(yaml_text(imported.fragment, command), nl=False)
        return
    text = csv_text(imported.fragment)
    with contextlib.redirect_stdout(sys.stderr):  # "wrote FILE" is not part of the fragment
        csv.write(lambda temporary: temporary.write_text(text, encoding="utf-8"))
    click.echo(yaml_text(imported.fragment, command, str(csv.path)), nl=False)


def _command_line() -> str:
    """The command as the user could type it again, for the fragment's first comment."""
    ctx = click.get_current_context()
    words = ["stockpile", "import", ctx.info_name or ""]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if isinstance(param, click.Argument):
            words.append(str(value))
        elif value is not None and value != param.default:
            shown = value.date().isoformat() if isinstance(value, dt.datetime) else str(value)
            words += [param.opts[0], shown]
    return shlex.join(words)
