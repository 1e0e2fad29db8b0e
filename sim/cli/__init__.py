"""Command line: `stockpile run | validate | schema | chart | compare`.

Each command lives in its own module and registers itself on the ``main`` group.
"""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stockpile")
def main() -> None:
    """Stockpile depletion and replenishment simulator."""


import sim.cli.charts  # noqa: E402, F401  (registers chart and compare)
from sim.cli import validate  # noqa: E402, F401  (registers validate and schema)
from sim.cli import run as _run  # noqa: E402,F401  (registers the command)
