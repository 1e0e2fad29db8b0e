"""`stockpile check`: each observation of a scenario against its runs (docs/evidence.md)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.cli import main
from sim.cli.files import BadInput, open_results, results_file
from sim.cli.output import OutputError, check_target, write_folder
from sim.cli.problems import exit_with_problems, load_or_exit
from sim.limits import MAX_RUNS, MAX_SEED

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

#: Suffix of the default output folder: ``out/NAME-check``.
FOLDER_SUFFIX = "-check"


@main.command("check")
@click.argument("source", metavar="RESULTS|SCENARIO", type=click.Path(path_type=Path))
@click.option("--runs", type=click.IntRange(1, MAX_RUNS),
              help="SCENARIO: Monte Carlo runs (default: the file's).")  # fmt: skip
@click.option("--seed", type=click.IntRange(0, MAX_SEED),
              help="SCENARIO: root random seed (default: the file's).")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder of check.csv and a chart per observation [out/NAME-check].")  # fmt: skip
def check(source: Path, runs: int | None, seed: int | None, out: Path | None) -> None:
    """Compare the observations of RESULTS (a run's folder or results.nc) or of a run of
    SCENARIO with the runs: per observation and date, the runs' p10/p50/p90 that day, the
    observation's percentile among them and a verdict."""
    dataset = _results(source, runs, seed)
    table = checked(dataset)
    folder = out or default_folder(source)
    check_target_or_exit(folder)
    print_check(table)

    def write(staging: Path) -> None:
        csv(table).to_csv(staging / "check.csv", index=False)
        _write_charts(dataset, staging)

    metadata = {"command": "check", "source": str(source), **_attributes(dataset)}
    try:
        write_folder(folder, write, metadata)
    except OutputError as error:
        exit_with_problems([str(error)])
    click.echo(f"Wrote {folder}{os.sep}")


def check_target_or_exit(folder: Path) -> None:
    """Exit 2 with one line if ``folder`` may not be written (before any work is done)."""
    try:
        check_target(folder)
    except OutputError as error:
        exit_with_problems([str(error)])


def _attributes(dataset: Any) -> dict[str, object]:
    keys = ("scenario", "scenario_sha256", "seed", "runs")
    return {k: dataset.attrs[k].item() if hasattr(dataset.attrs[k], "item") else dataset.attrs[k]
            for k in keys if k in dataset.attrs}  # fmt: skip


def _results(source: Path, runs: int | None, seed: int | None) -> Any:
    """The results Dataset of SOURCE: a run's folder or results file, or a scenario to run."""
    if source.suffix.lower() in (".yaml", ".yml"):
        from sim.errors import ScenarioError
        from sim.runner import run

        scenario = load_or_exit(source, [])
        if not scenario.observations:
            raise BadInput(f"{source}: the scenario has no observations: section "
                           "(docs/evidence.md)")  # fmt: skip
        try:
            return run(scenario, runs=runs, seed=seed).dataset
        except ScenarioError as error:  # the work guard
            exit_with_problems([str(p) for p in error.problems])
    if runs is not None or seed is not None:
        raise BadInput("--runs and --seed apply when checking a SCENARIO file")
    return open_results(source)


def checked(dataset: Any) -> pd.DataFrame:
    """``sim.check`` of the results; BadInput when they have no observations."""
    from sim.evidence.check import NoObservations, check

    try:
        return check(dataset)
    except NoObservations as error:
        raise BadInput(str(error)) from None


def default_folder(source: Path) -> Path:
    """``out/NAME-check``: NAME is the scenario's file name, or the run's folder name."""
    if source.suffix.lower() in (".yaml", ".yml"):
        return Path("out") / f"{source.stem}{FOLDER_SUFFIX}"
    found = results_file(source).resolve().parent
    return found.parent / f"{found.name}{FOLDER_SUFFIX}"


def csv(table: pd.DataFrame) -> pd.DataFrame:
    """The table as written to check.csv: dates in ISO form, numbers rounded to 6 digits."""
    out = table.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    numbers = ["observed", "p10", "p50", "p90", "percentile", "share_satisfying", "error_sd"]
    out[numbers] = out[numbers].round(6)
    return out


def _write_charts(dataset: Any, folder: Path) -> None:
    from sim.plots import save
    from sim.plots.evidence import against_record, observations

    for observation in observations(dataset):
        buffer = io.BytesIO()
        figure: Any = against_record(dataset, observation)  # a new Figure: no ax given
        save(figure, buffer, "png")
        (folder / f"observed_{observation}.png").write_bytes(buffer.getvalue())


def print_check(table: pd.DataFrame) -> None:
    """Print the check as a table (``stockpile check`` and ``stockpile run``)."""
    from sim.cli.run import print_table

    print_table(check_table(table))


def check_table(table: pd.DataFrame) -> Table:
    """One row per observed point: observation, date, observed, p10, p50, p90, percentile,
    verdict (with the share of runs satisfying a bound)."""
    from rich.table import Table

    shown = Table(title="The model against the record", title_justify="left")
    for name in ("observation", "date", "observed", "p10", "p50", "p90"):
        shown.add_column(name, justify="left" if name in ("observation", "date") else "right")
    shown.add_column("percentile", justify="right")
    shown.add_column("verdict")
    for row in table.to_dict("records"):
        shown.add_row(
            str(row["observation"]), row["date"].isoformat(), _number(row["observed"]),
            _number(row["p10"]), _number(row["p50"]), _number(row["p90"]),
            f"{row['percentile']:.0f}", verdict_text(row),
        )  # fmt: skip
    return shown


def verdict_text(row: dict[Any, Any]) -> str:
    """The verdict, with the share of runs satisfying a bound."""
    if row["bound"] == "exact":
        return str(row["verdict"])
    bound = str(row["bound"]).replace("_", " ")
    return f"{row['verdict']} ({row['share_satisfying']:.0%} of runs {bound})"


def _number(value: float) -> str:
    """Whole numbers from 100 up, three significant digits below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
