"""``python -m sim``: the ``stockpile`` command."""

from sim.command import main

main()
