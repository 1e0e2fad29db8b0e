"""Command line: `stockpile run | validate | schema | chart | compare | explain | solve | sweep |
probability | brief | export`.

Each command lives in its own module and registers itself on the ``main`` group.
"""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stockpile")
def main() -> None:
    """Stockpile depletion and replenishment simulator."""


from sim.cli import brief, charts, decide, explain, run, validate  # noqa: E402, F401  (each registers commands)
