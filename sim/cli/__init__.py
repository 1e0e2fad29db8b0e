"""Command line: `stockpile run | validate | schema | chart | compare | explain | solve | sweep |
probability | brief | export | check | import | calibrate | backtest`.

Each command lives in its own module and registers itself on the ``main`` group.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from click.exceptions import NoArgsIsHelpError

from sim.command import INTERRUPTED


class UsageError(click.ClickException):
    """A wrong option or argument in one line, as every other refusal, with where to look:
    ``stockpile run: Invalid value for '--runs': ... (see stockpile run --help)``."""

    exit_code = 2

    def __init__(self, error: click.UsageError) -> None:
        command = error.ctx.command_path if error.ctx is not None else "stockpile"
        super().__init__(f"{command}: {error.format_message().rstrip('.')} (see {command} --help)")

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.message, err=True)


@contextmanager
def _one_line() -> Iterator[None]:
    try:
        yield
    except NoArgsIsHelpError:
        raise  # shows the help
    except click.UsageError as error:
        raise UsageError(error) from None
    except KeyboardInterrupt:  # where a command does not say more ("Aborted!", status 1, else)
        click.echo("interrupted", err=True)
        raise SystemExit(INTERRUPTED) from None


class Commands(click.Group):
    """The ``stockpile`` group: usage errors of every command in one line, and Ctrl-C at any
    moment exits with status 130."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line():
            return super().invoke(ctx)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stockpile")
def main() -> None:
    """Stockpile depletion and replenishment simulator."""


from sim.cli import (  # noqa: E402, F401  (each registers commands)
    brief,
    charts,
    decide,
    evidence,
    evidence_calibrate,
    explain,
    imports,
    run,
    validate,
)
