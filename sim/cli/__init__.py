"""Command line: `stockpile run | validate | schema | chart | compare | explain | solve | sweep |
probability | brief | export | check | import | calibrate | backtest`.

Each command lives in its own module and registers itself on the ``main`` group when that
module is imported, which ``Commands`` does on first use (``COMMANDS`` lists them).
"""

import importlib
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


#: Each command: the module under ``sim.cli`` that defines it, and its line in ``--help``.
#: A module is imported only when one of its commands runs, so ``stockpile --help`` and
#: ``stockpile validate`` do not load what ``run`` needs.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "Simulate a scenario: summary, results.nc, charts."),
    "validate": ("validate", "Check scenario files: every problem as FILE:LINE: PATH."),
    "schema": ("validate", "Print the JSON Schema of scenario files (for editors)."),
    "chart": ("charts", "Redraw one chart from saved results."),
    "compare": ("charts", "Draw the stock fans of two results on one chart."),
    "explain": ("explain", "Rank the uncertain inputs by their influence on an outcome."),
    "solve": ("decide", "Find the value of an input that meets a goal."),
    "sweep": ("decide", "Run a scenario at every value of one or two inputs."),
    "probability": ("decide", "Chart the chance of being back at target by each date."),
    "check": ("evidence", "Compare a scenario's observations with its runs."),
    "brief": ("brief", "A briefing slide pack (PPTX, PDF) from saved results."),
    "export": ("brief", "An Excel workbook from saved results."),
    "import": ("imports", "Turn a public dataset into a scenario fragment."),
    "calibrate": ("evidence_calibrate", "The posterior of the inputs given the observations."),
    "backtest": ("evidence_calibrate", "Calibrate on early observations, score the later ones."),
}


class Commands(click.Group):
    """The ``stockpile`` group: commands loaded when used (``COMMANDS``), usage errors of every
    command in one line, and Ctrl-C at any moment exits with status 130."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            importlib.import_module(f"sim.cli.{COMMANDS[cmd_name][0]}")  # it registers itself
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])

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
