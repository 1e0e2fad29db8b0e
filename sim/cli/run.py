"""`stockpile run`: simulate a scenario, print the summary, write results and charts."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from sim.cli import main
from sim.cli.output import OutputError, check_room, staged_folder, write_apart, write_manifest
from sim.cli.problems import exit_with_problems, load_or_exit
from sim.command import INTERRUPTED
from sim.currency import label, money
from sim.guard import estimate, refusals
from sim.limits import MAX_RUNS, MAX_SEED
from sim.metrics import money_metric
from sim.results import Results
from sim.runner import run as run_scenario

#: Room the charts, summary.csv and run.json may take (a few dozen charts of ~100 kB).
CHART_BYTES = 10e6
#: Below this chance of happening, an event's mean date is not printed.
MEAN_DATE_FROM = 0.1
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
              help="Override a value, e.g. production.us_shell_lines.slip='6 mo'; a rate or "
                   "schedule may be scaled: ...rate=x1.5, or from a date: "
                   "...rate=x1.5@2025-01-01.")  # fmt: skip
@click.option(
    "--charts/--no-charts", default=True, show_default=True, help="Write briefing charts."
)
@click.option(
    "--summary-only",
    is_flag=True,
    help="Keep quantiles, means and event-date counts, not every run (for very many runs).",
)
@click.option("--quantiles", callback=lambda _c, _p, v: parse_quantiles(v), default="10,50,90",
              show_default=True, metavar="Q,Q,...",
              help="Percentiles in the summary, e.g. 10,50,80,90.")  # fmt: skip
@click.option("--by", "by", multiple=True, type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
              help="Add the chance of being back at target and at the floor by DATE.")  # fmt: skip
@click.option(
    "--allow-large",
    is_flag=True,
    help="Run even past the work limits (memory, results size, events; docs/limits.md).",
)
@click.option(
    "--posterior",
    type=click.Path(path_type=Path),
    metavar="CALIBRATION.nc",
    help="Draw the calibrated inputs from a calibration (stockpile calibrate).",
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
    quantiles: tuple[float, ...],
    by: tuple[dt.datetime, ...],
    allow_large: bool,
    posterior: Path | None,
) -> None:
    """Simulate SCENARIO and write results.nc, summary.csv, run.json and charts/ to --out."""
    started = time.perf_counter()
    loaded = load_or_exit(scenario, list(overrides))
    early = [d.date() for d in by if d.date() < loaded.start]
    if early:
        exit_with_problems([f"--by {early[0]}: before the scenario's start, {loaded.start} "
                            "(give a date within the scenario)"])  # fmt: skip
    given, calibrated = None, None
    if posterior is not None:
        from sim.cli.evidence_calibrate import posterior_inputs

        given, calibrated = posterior_inputs(posterior, loaded, runs, seed, deterministic)
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
        if not allow_large:
            needed = estimate(loaded, runs=total, workers=workers, summary=summary_only)
            check_room(out, needed.file_bytes + (CHART_BYTES if charts else 0))
        with staged_folder(out) as folder:
            with _progress_bar(console, total) as advance:
                results = run_scenario(
                    loaded, runs=runs, seed=seed, workers=workers, deterministic=deterministic,
                    scheduler=client, progress=advance,
                    keep="summary" if summary_only else "full", allow_large=True, inputs=given,
                )  # fmt: skip
            if calibrated is not None:
                results.dataset.attrs["calibration"] = json.dumps(calibrated)
            summary = results.summary(quantiles, [d.date() for d in by])
            # The one run at the means ("the spreadsheet answer") is drawn on the fan charts.
            at_means = (  # the guard has been passed or lifted above
                None
                if deterministic or not charts
                else run_scenario(loaded, deterministic=True, allow_large=True)
            )
            write = partial(write_outputs, results, summary, folder, charts=charts,
                            deterministic=at_means)  # fmt: skip
            write_apart(write, out)
    except OutputError as error:
        exit_with_problems([str(error)])
    except KeyboardInterrupt:
        click.echo(f"interrupted: nothing written, {out} is as it was", err=True)
        raise SystemExit(INTERRUPTED) from None
    finally:
        if client is not None:
            client.close()
    print_table(summary_table(results, summary))
    if loaded.observations:
        from sim.cli.evidence import checked, print_check

        print_check(checked(results.dataset))
    _report_clipped(results)
    click.echo(f"Wrote {out}{os.sep} ({results.dataset.attrs['runs']} runs, "
               f"{time.perf_counter() - started:.1f} s in all)")  # fmt: skip


def print_table(table: Table) -> None:
    """Print ``table`` whole: on a terminal narrower than it, ids wrap instead of being cut
    (and below its narrowest layout, the terminal wraps the lines); elsewhere (a file, a pipe,
    a log) the lines are as wide as the table needs."""
    terminal = Console()
    needs = Console(width=10_000).measure(table)
    width = max(terminal.width, needs.minimum) if terminal.is_terminal else needs.maximum
    Console(width=width).print(table)


def _report_clipped(results: Results) -> None:
    """Say on screen how many draws were clipped to their field's range, by field."""
    clipped = json.loads(str(results.dataset.attrs.get("clipped_draws", "{}")))
    if clipped:
        fields = ", ".join(f"{path} ({count:,})" for path, count in sorted(clipped.items()))
        click.echo(f"note: draws clipped to their field's valid range: {fields}", err=True)


def connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``; exit 2 with one line if there is none
    within ``SCHEDULER_TIMEOUT``."""
    try:
        from distributed import Client
        from distributed.comm.addressing import parse_address
        from distributed.comm.registry import backends
    except ImportError:
        exit_with_problems(["--scheduler needs Dask: pip install 'stockpile[distributed]'"])
    if not address.strip():
        exit_with_problems(["--scheduler: give an address such as tcp://host:8786"])
    # An unknown scheme is refused before a Client exists: a half-made one can outlive the
    # command and break the next run in the same process.
    scheme = parse_address(address)[0]
    if scheme not in backends:
        known = ", ".join(sorted(backends))
        exit_with_problems([f"--scheduler {address}: unknown address scheme '{scheme}' "
                            f"(known: {known})"])  # fmt: skip
    if scheme == "tcp":
        silent = _silent(parse_address(address)[1])
        if silent:
            exit_with_problems([f"--scheduler {address}: cannot connect ({silent})"])
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)  # type: ignore[no-untyped-call]
    except Exception as error:  # an address Dask cannot read, nothing listening, a timeout
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        exit_with_problems([f"--scheduler {address}: cannot connect ({reason})"])


def _silent(location: str) -> str | None:
    """Why ``host:port`` is no Dask scheduler (None: it may be one). A scheduler speaks first:
    it sends its handshake as soon as it accepts a connection. Something that accepts and
    stays silent would hang the client past its own timeout."""
    host, _, port = location.rpartition(":")
    seconds = float(SCHEDULER_TIMEOUT.removesuffix("s"))
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds) as probe:
            probe.settimeout(seconds)
            if probe.recv(1):
                return None
            return "the connection was closed without a word: is it a Dask scheduler?"
    except TimeoutError:
        return (f"it accepted the connection but said nothing in {SCHEDULER_TIMEOUT}: "
                "is it a Dask scheduler?")  # fmt: skip
    except (OSError, ValueError):
        return None  # nothing listening or an odd address: the client says which


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
    """results.nc, summary.csv, charts/ (if asked) and run.json listing them into ``folder``."""
    results.to_netcdf(folder / "results.nc")
    csv = summary.copy()
    for column in _value_columns(summary):
        csv[column] = csv[column].map(_csv_value)
    csv.to_csv(folder / "summary.csv", index=False)
    if charts:
        from sim.plots import write_charts

        write_charts(results, folder / "charts", deterministic=deterministic)
    write_manifest(folder, results.metadata())  # last: it lists every file above


def parse_quantiles(text: str) -> tuple[float, ...]:
    """``10,50,80,90`` (percentiles) as ``(0.1, 0.5, 0.8, 0.9)``, each once (a repeated one
    would make two columns of one name); exit 2 when unreadable."""
    try:
        values = tuple(float(part) / 100 for part in text.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or any(not 0 <= q <= 1 for q in values):
        raise click.BadParameter(f"{text!r}: write percentiles from 0 to 100, e.g. 10,50,80,90")
    return tuple(dict.fromkeys(values))


def _value_columns(summary: pd.DataFrame) -> list[str]:
    """The quantile columns and the mean."""
    return [c for c in summary.columns if c.startswith("p") and c != "probability"] + ["mean"]


def _csv_value(value: object) -> object:
    """Dates as ISO dates, numbers to six significant digits, "never" as an empty cell."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float):
        return "" if pd.isna(value) else float(f"{value:.6g}")
    return "" if value is pd.NaT else value


def _cell(value: object, metric: str, currency: str = "USD") -> str:
    if value is pd.NaT or value is None:
        dated = metric.endswith("_at") or metric.startswith("pledge_fulfilled_at:")
        return "after end" if dated else ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and money_metric(metric):
        return "" if pd.isna(value) else money(value, currency)
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:,.0f}"
    return str(value)


def summary_table(results: Results, summary: pd.DataFrame) -> Table:
    """The summary as a readable table: one section per holder and item (its ids as a
    heading), dates as dates, counts with thousands separators. Ids and metric names wrap on a
    narrow terminal; numbers and dates never do."""
    attrs = results.dataset.attrs
    currency = str(attrs.get("currency", "USD"))
    title = f"{attrs['scenario']} — {attrs['runs']:,} runs, seed {attrs['seed']}"
    if any(money_metric(str(m)) for m in summary["metric"]):
        title += f"; values in {label(currency)}"
    # no outer edges or vertical rules: the five value columns and the metric names fit in
    # 80 columns, so a metric name never wraps (an id, or a name with one, may fold)
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  collapse_padding=True)  # fmt: skip
    names = [str(m) for m in summary["metric"] if ":" not in str(m)]
    longest = max((len(m) for m in names), default=12) + 1
    table.add_column("holder · item / metric", overflow="fold", min_width=max(14, longest))
    values = _value_columns(summary)
    for column in values:
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("chance", justify="right", no_wrap=True)  # summary.csv: probability
    for (holder, item), rows in summary.groupby(["holder", "item"], sort=False):
        if table.row_count:
            table.add_section()
        table.add_row(Text(f"{holder} · {item}", style="bold"))
        for row in rows.to_dict("records"):
            metric = str(row["metric"])
            chance = row["probability"]
            probability = "" if pd.isna(chance) else f"{float(chance):.0%}"
            cells = [_cell(row[c], metric, currency) for c in values]
            if not pd.isna(chance) and float(chance) < MEAN_DATE_FROM:
                cells[-1] = ""  # the mean date of a rare event would read as a forecast
            table.add_row(f" {metric}", *cells, probability)
    return table
