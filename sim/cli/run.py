"""`stockpile run`: simulate a scenario, print the summary, write results and charts."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from sim.cli import main
from sim.cli.output import OutputError, staged_folder
from sim.cli.problems import exit_with_problems, load_or_exit
from sim.guard import refusals
from sim.limits import MAX_RUNS, MAX_SEED
from sim.results import Results
from sim.runner import run as run_scenario

#: How long ``--scheduler`` may take to answer.
SCHEDULER_TIMEOUT = "5s"


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--runs", type=click.IntRange(1, MAX_RUNS),
              help="Monte Carlo runs (default: the file's).")  # fmt: skip
@click.option("--seed", type=click.IntRange(0, MAX_SEED),
              help="Root random seed below 2**63 (default: the file's).")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), help="Output folder [out/SCENARIO].")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local processes to run chunks on.")  # fmt: skip
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786.")
@click.option("--deterministic", is_flag=True, help="One run with every uncertainty at its mean.")
@click.option("--set", "overrides", multiple=True, metavar="ID.PATH=VALUE",
              help="Override a value, e.g. production.us_shell_lines.slip='6 mo'.")  # fmt: skip
@click.option(
    "--charts/--no-charts", default=True, show_default=True, help="Write briefing charts."
)
@click.option(
    "--summary-only",
    is_flag=True,
    help="Keep quantiles, means and event-date counts, not every run (for very many runs).",
)
@click.option(
    "--allow-large",
    is_flag=True,
    help="Run even past the work limits (memory, results size, events; docs/limits.md).",
)
def run(
    scenario: Path,
    runs: int | None,
    seed: int | None,
    out: Path | None,
    workers: int,
    scheduler: str | None,
    deterministic: bool,
    overrides: tuple[str, ...],
    charts: bool,
    summary_only: bool,
    allow_large: bool,
) -> None:
    """Simulate SCENARIO and write results.nc, summary.csv, run.json and charts/ to --out."""
    loaded = load_or_exit(scenario, list(overrides))
    if not allow_large:
        refused = refusals(loaded, runs=runs, workers=workers, summary=summary_only,
                           deterministic=deterministic)  # fmt: skip
        if refused:
            exit_with_problems([str(p) for p in refused])
    out = out or Path("out") / scenario.stem
    console = Console(stderr=True)
    total = 1 if deterministic else (runs or loaded.runs)
    client = connect(scheduler) if scheduler is not None else None
    try:
        with staged_folder(out) as folder:
            with _progress_bar(console, total) as advance:
                results = run_scenario(
                    loaded, runs=runs, seed=seed, workers=workers, deterministic=deterministic,
                    scheduler=client, progress=advance,
                    keep="summary" if summary_only else "full", allow_large=True,
                )  # fmt: skip
            summary = results.summary()
            # The one run at the means ("the spreadsheet answer") is drawn on the fan charts.
            at_means = (
                None if deterministic or not charts else run_scenario(loaded, deterministic=True)
            )
            write_outputs(results, summary, folder, charts=charts, deterministic=at_means)
    except OutputError as error:
        exit_with_problems([str(error)])
    except KeyboardInterrupt:
        click.echo(f"interrupted: nothing written, {out} is as it was", err=True)
        raise SystemExit(130) from None
    finally:
        if client is not None:
            client.close()
    Console(width=max(shutil.get_terminal_size((120, 24)).columns, 120)).print(
        summary_table(results, summary)
    )
    click.echo(f"Wrote {out}{os.sep} ({results.dataset.attrs['runs']} runs, "
               f"{results.wall_seconds:.1f} s)")  # fmt: skip


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``; exit 2 with one line if there is none
    within ``SCHEDULER_TIMEOUT``."""
    try:
        from distributed import Client
    except ImportError:
        exit_with_problems(["--scheduler needs Dask: pip install 'stockpile[distributed]'"])
    if not address.strip():
        exit_with_problems(["--scheduler: give an address such as tcp://host:8786"])
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)  # type: ignore[no-untyped-call]
    except Exception as error:  # an address Dask cannot read, nothing listening, a timeout
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        exit_with_problems([f"--scheduler {address}: cannot connect ({reason})"])


@contextmanager
def _progress_bar(console: Console, total: int) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on a terminal; nothing when output is not a terminal (or on CI)."""
    if not console.is_terminal or os.environ.get("CI"):
        yield None
        return
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("runs", total=total)
        yield lambda n: progress.advance(task, n)


def write_outputs(
    results: Results,
    summary: pd.DataFrame,
    folder: Path,
    *,
    charts: bool,
    deterministic: Results | None = None,
) -> None:
    """results.nc, summary.csv, run.json and (if asked) charts/ into ``folder``."""
    results.to_netcdf(folder / "results.nc")
    csv = summary.copy()
    for column in ("p10", "p50", "p90", "mean"):
        csv[column] = csv[column].map(_csv_value)
    csv.to_csv(folder / "summary.csv", index=False)
    (folder / "run.json").write_text(json.dumps(results.metadata(), indent=2) + "\n")
    if charts:
        from sim.plots import write_charts

        write_charts(results, folder / "charts", deterministic=deterministic)


def _csv_value(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return "" if value is pd.NaT else value


def _cell(value: object, metric: str) -> str:
    if value is pd.NaT or value is None:
        return "after end" if metric.endswith("_at") or ":" in metric else ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:,.0f}"
    return str(value)


def summary_table(results: Results, summary: pd.DataFrame) -> Table:
    """The summary as a readable table: dates as dates, counts with thousands separators."""
    attrs = results.dataset.attrs
    table = Table(title=f"{attrs['scenario']} — {attrs['runs']:,} runs, seed {attrs['seed']}")
    for column in ("holder", "item", "metric", "p10", "p50", "p90", "mean", "probability"):
        numeric = column[0] in "pm" and column != "metric"
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for row in summary.to_dict("records"):
        metric = str(row["metric"])
        chance = row["probability"]
        probability = "" if pd.isna(chance) else f"{float(chance):.0%}"
        cells = [_cell(row[c], metric) for c in ("p10", "p50", "p90", "mean")]
        table.add_row(str(row["holder"]), str(row["item"]), metric, *cells, probability)
    return table
