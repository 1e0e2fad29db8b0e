"""`stockpile validate FILE...` and `stockpile schema`: check scenarios, print the JSON Schema."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import click

from sim.cli import main
from sim.errors import ScenarioError, ScenarioWarning
from sim.guard import refusals
from sim.scenario import json_schema, load_scenario

BAD_INPUT = 2


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="ID.PATH=VALUE",
    help="Change a value before checking, e.g. production.us_shell_lines.slip='6 mo', or "
    "scale a rate or schedule: ...rate=x1.5 (from a date: ...rate=x1.5@2025-01-01).",
)
def validate(files: tuple[Path, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario files: print 'ok' per good file, every problem of the bad ones.

    Exits with status 0 when all files are good, 2 otherwise.
    """
    results = [_validate_one(path, list(overrides)) for path in files]
    if not all(results):
        raise SystemExit(BAD_INPUT)


def _validate_one(path: Path, overrides: list[str]) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        try:
            scenario = load_scenario(path, overrides=overrides)
        except ScenarioError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            return False
        except Exception as error:  # bad input must never show a traceback
            click.echo(f"{path}: cannot check this file ({error!r}; please report)", err=True)
            return False
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    refused = refusals(scenario)  # what `stockpile run` would refuse
    for problem in refused:
        click.echo(str(problem), err=True)
    if refused:
        return False
    processes = sum(len(section) for section in scenario.processes.values())
    click.echo(
        f"{path}: ok ({len(scenario.items)} items, {len(scenario.holders)} holders, "
        f"{processes} processes)"
    )
    return True


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors; scenario.schema.json)."""
    click.echo(json.dumps(json_schema(), indent=2))
