"""Command line: `stockpile run|validate|schema|chart|compare`."""

import click


@click.group()
def main() -> None:
    """Stockpile depletion and replenishment simulator."""
