"""The command starts light: ``stockpile --help`` loads no command module and no numerical
library, ``stockpile validate`` no compiler, simulator or data library."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click

import sim.cli
from sim.cli import COMMANDS, main

PROBE = """
import sys
from sim.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print("loaded:" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded_after(args: list[str], heavy: list[str]) -> list[str]:
    code = PROBE.format(args=args, heavy=heavy)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    last = done.stdout.splitlines()[-1]
    assert last.startswith("loaded:"), done.stdout
    return [name for name in last.removeprefix("loaded:").split(",") if name]


def test_help_loads_no_command_and_no_numerical_library() -> None:
    heavy = ["numpy", "pandas", "xarray", "scipy", "numba", "simpy", "sim.cli.run"]
    assert _loaded_after(["--help"], heavy) == []


def test_validate_loads_no_compiler_simulator_or_data_library() -> None:
    heavy = ["numba", "pandas", "xarray", "dask", "matplotlib", "scipy.stats", "sim.runner"]
    assert _loaded_after(["validate", "scenarios/us_155mm_m777.yaml"], heavy) == []


def test_every_command_is_listed_and_defined_by_its_module() -> None:
    context = click.Context(main)
    for name in COMMANDS:
        assert main.get_command(context, name) is not None, name
    for module in pkgutil.iter_modules(sim.cli.__path__):  # a command no entry lists
        if module.name != "__main__":
            importlib.import_module(f"sim.cli.{module.name}")
    assert sorted(main.commands) == sorted(COMMANDS)
