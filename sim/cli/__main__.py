"""``python -m sim.cli``: the ``stockpile`` command."""

from sim.cli import main

main()
