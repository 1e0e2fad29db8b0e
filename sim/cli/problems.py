"""How the CLI reports bad input: one message per problem on stderr, exit status 2."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from sim.errors import ScenarioError, ScenarioWarning
from sim.scenario.model import Scenario

BAD_INPUT = 2


def exit_with_problems(messages: Sequence[str]) -> NoReturn:
    """Print each message on stderr and exit with status 2 (no traceback)."""
    for message in messages:
        click.echo(message, err=True)
    raise SystemExit(BAD_INPUT)


def load_or_exit(path: Path, overrides: list[str]) -> Scenario:
    """Load a scenario, printing its warnings; on problems print them all and exit 2."""
    from sim.scenario import load_scenario

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        try:
            scenario = load_scenario(path, overrides=overrides)
        except ScenarioError as error:
            exit_with_problems([str(p) for p in error.problems])
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    return scenario
