"""The ``stockpile`` command's entry point, outside ``sim.cli`` so that it is in place before the
commands load: Ctrl-C at any moment exits with status 130 and one line, never a traceback."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def main() -> None:
    try:
        from sim.cli import main as commands

        commands()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(INTERRUPTED) from None
