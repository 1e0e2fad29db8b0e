"""`stockpile calibrate` and `stockpile backtest`: the scenario's inputs given its observations,
and how well a calibration on the early ones forecasts the later ones (docs/evidence.md).

Also what `stockpile run --posterior` needs: the runs' calibrated inputs from a calibration.nc.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sim.cli import main
from sim.cli.problems import exit_with_problems, load_or_exit
from sim.limits import MAX_SEED
from sim.scenario.model import Scenario

#: Particles (runs per generation) at most: each generation holds their observed values.
MAX_PARTICLES = 200_000
CALIBRATION_FILE = "calibration.nc"
BACKTEST_FILE = "backtest.csv"

_OPTIONS = [
    click.option(
        "--runs",
        type=click.IntRange(100, MAX_PARTICLES),
        help="Particles: runs per sampler generation [2000].",
    ),
    click.option(
        "--seed", type=click.IntRange(0, MAX_SEED), help="Root random seed (default: the file's)."
    ),
    click.option("--out", type=click.Path(path_type=Path), help="Output folder."),
    click.option(
        "--vary",
        "vary",
        multiple=True,
        metavar="PATH",
        help="Calibrate only this input (or the inputs under this path); the others keep "
        "their prior. Repeat for several.",
    ),
    click.option(
        "--replicates",
        type=click.IntRange(1, 100),
        default=1,
        show_default=True,
        help="Runs per particle, their likelihoods averaged: raise it when the moves' "
        "acceptance falls to a few percent (the model's own noise dominates).",
    ),
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Local processes to run each generation's chunks on.",
    ),
    click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="ID.PATH=VALUE",
        help="Override a value of SCENARIO first.",
    ),
    click.option("--charts/--no-charts", default=True, show_default=True, help="Write charts."),
]


def _options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@contextmanager
def _refusals() -> Iterator[None]:
    """Problems of the calibration or the scenario: one line each, exit 2, no traceback."""
    from sim.errors import ScenarioError
    from sim.evidence.calibrate import CalibrationError
    from sim.given import InputsError

    try:
        yield
    except ScenarioError as error:
        exit_with_problems([str(p) for p in error.problems])
    except (CalibrationError, InputsError) as error:
        exit_with_problems([str(error)])


def _load(path: Path, overrides: tuple[str, ...]) -> Scenario:
    scenario = load_or_exit(path, list(overrides))
    if not scenario.observations:
        exit_with_problems([f"{path}: has no observations to calibrate against (add an "
                            "observations: section, docs/evidence.md)"])  # fmt: skip
    return scenario


def _folder(out: Path | None, scenario: Path, suffix: str) -> Path:
    """The output folder, checked before any work (exit 2 with one line if refused)."""
    from sim.cli.evidence import check_target_or_exit

    folder = out or Path("out") / f"{scenario.stem}-{suffix}"
    check_target_or_exit(folder)
    return folder


def _stage_line(stage: Any) -> None:
    moves = f", {stage.moves} moves, acceptance {stage.acceptance:.0%}" if stage.moves else ""
    click.echo(f"  exponent {stage.exponent:.4f}: ESS {stage.ess:,.0f}{moves}", err=True)


@main.command("calibrate")
@click.argument("scenario", type=click.Path(path_type=Path))
@_options
def calibrate(
    scenario: Path,
    runs: int | None,
    seed: int | None,
    out: Path | None,
    vary: tuple[str, ...],
    replicates: int,
    workers: int,
    overrides: tuple[str, ...],
    charts: bool,
) -> None:
    """The posterior of SCENARIO's uncertain inputs given its observations: writes
    calibration.nc (input vectors and weights) and prints each input's prior and posterior."""
    from sim.evidence.calibrate import calibrate as find
    from sim.evidence.calibrate import summary

    loaded = _load(scenario, overrides)
    folder = _folder(out, scenario, "calibration")
    started = time.perf_counter()
    with _refusals():
        found = find(loaded, runs=runs, seed=seed, vary=vary, replicates=replicates,
                     workers=workers, report=_stage_line)  # fmt: skip
    dataset = found.to_dataset()
    checked = _check_posterior(loaded, found, dataset, folder, workers)
    figures = _charts(dataset, checked) if charts else {}
    _write(folder, {CALIBRATION_FILE: _netcdf(dataset)}, figures,
           _metadata("calibrate", scenario, dataset))  # fmt: skip
    _print_calibration(dataset, summary(dataset))
    from sim.cli.evidence import checked as table
    from sim.cli.evidence import print_check

    click.echo(f"From {found.sample.settings.particles:,} runs of the posterior:")
    print_check(table(checked.dataset))
    click.echo(f"Wrote {folder} ({time.perf_counter() - started:.1f} s in all)")


def _check_posterior(
    scenario: Scenario, found: Any, dataset: Any, folder: Path, workers: int
) -> Any:
    """Runs from the posterior just found (as many as particles), to check it against the
    observations."""
    from sim.evidence.posterior import Posterior, run_from_posterior

    posterior = Posterior(found.space.paths, found.values, found.sample.weight,
                          dict(dataset.attrs), str(folder / CALIBRATION_FILE))  # fmt: skip
    runs, seed = found.sample.settings.particles, found.sample.settings.seed
    with _refusals():
        return run_from_posterior(scenario, posterior, runs=runs, seed=seed, workers=workers,
                                  allow_large=True)  # fmt: skip


def _charts(dataset: Any, checked: Any) -> dict[str, Any]:
    """Each input's prior against its posterior, and each observation against the runs from
    the posterior (the check's chart)."""
    from sim.plots.calibration import posterior_inputs
    from sim.plots.evidence import against_record, observations

    figures: dict[str, Any] = {"posterior.png": posterior_inputs(dataset)}
    for observation in observations(checked.dataset):
        figures[f"observed_{observation}.png"] = against_record(checked, observation)
    return figures


def _netcdf(dataset: Any) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / CALIBRATION_FILE
        dataset.to_netcdf(path, engine="h5netcdf")
        return path.read_bytes()


def _write(
    folder: Path, files: dict[str, bytes], figures: dict[str, Any], metadata: dict[str, object]
) -> None:
    """Every file rendered in memory first, then the folder written whole with its run.json
    (``write_folder``: nothing partial on failure, nothing of the user's replaced)."""
    from sim.cli.output import OutputError, write_folder
    from sim.plots import save

    rendered = dict(files)
    for name, figure in figures.items():
        buffer = io.BytesIO()
        save(figure, buffer, "png")
        rendered[f"charts/{name}"] = buffer.getvalue()

    def write(staging: Path) -> None:
        for name, content in rendered.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(content)

    try:
        write_folder(folder, write, metadata)
    except OutputError as error:
        exit_with_problems([str(error)])


def _metadata(command: str, source: Path, dataset: Any) -> dict[str, object]:
    """What the folder's run.json records beside its files."""
    keys = ("scenario", "scenario_sha256", "seed", "particles", "replicates", "runs",
            "generations", "ess", "log_evidence", "observations")  # fmt: skip
    attrs = {k: dataset.attrs[k] for k in keys if k in dataset.attrs}
    plain = {k: v.item() if hasattr(v, "item") else v for k, v in attrs.items()}
    return {"command": command, "source": str(source), **plain}


def _print_calibration(dataset: Any, table: Any) -> None:
    from sim.cli.run import print_table

    a = dataset.attrs
    title = (
        f"{a['scenario']}: {a['particles']:,} particles, {a['generations']} generations "
        f"({a['runs']:,} runs), ESS {a['ess']:,.0f}, log evidence {a['log_evidence']:.3f}"
    )
    out = Table(title=title)
    out.add_column("input", overflow="fold")
    for column in table.columns[1:]:
        out.add_column(column.replace("_", " "), justify="right", no_wrap=True)
    for row in table.to_dict("records"):
        cells = [f"{row[c]:.0%}" if c == "shrinkage" else f"{row[c]:,.4g}"
                 for c in table.columns[1:]]  # fmt: skip
        out.add_row(str(row["input"]), *cells)
    print_table(out)
    if not int(a["converged"]):
        click.echo("warning: the sampler stopped at its generation limit before reaching its "
                   "target ESS; the posterior is rough", err=True)  # fmt: skip


@main.command("backtest")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]),
              metavar="DATE", help="Calibrate on the observations up to DATE.")  # fmt: skip
@_options
def backtest(
    scenario: Path,
    as_of: dt.datetime,
    runs: int | None,
    seed: int | None,
    out: Path | None,
    vary: tuple[str, ...],
    replicates: int,
    workers: int,
    overrides: tuple[str, ...],
    charts: bool,
) -> None:
    """Calibrate SCENARIO on its observations up to --as-of and score the forecasts of the
    later ones against the uncalibrated prior's: writes backtest.csv and a chart."""
    from sim.evidence.backtest import backtest as score

    loaded = _load(scenario, overrides)
    folder = _folder(out, scenario, "backtest")
    started = time.perf_counter()
    with _refusals():
        found = score(loaded, as_of.date(), runs=runs, seed=seed, vary=vary,
                      replicates=replicates, workers=workers, report=_stage_line)  # fmt: skip
    calibration = found.calibration.to_dataset()
    csv = found.table.to_csv(index=False, float_format="%.6g").encode()
    files = {BACKTEST_FILE: csv, CALIBRATION_FILE: _netcdf(calibration)}
    figures: dict[str, Any] = {}
    if charts:
        from sim.plots.calibration import backtest as chart

        figures["backtest.png"] = chart(found.table, calibration, as_of.date().isoformat())
    _write(folder, files, figures, _metadata("backtest", scenario, calibration))
    _print_backtest(found)
    click.echo(f"Wrote {folder} ({time.perf_counter() - started:.1f} s in all)")


def _print_backtest(found: Any) -> None:
    from sim.cli.run import print_table

    table = Table(title=f"Forecasts after {found.as_of}: calibrated (prior)")
    for column in ("observation", "date", "observed", "p10", "p50", "p90", "percentile", "crps"):
        table.add_column(column, justify="left" if column == "observation" else "right")
    for row in found.table.to_dict("records"):
        cells = [f"{row[c]:,.4g} ({row['prior_' + c]:,.4g})"
                 for c in ("p10", "p50", "p90", "percentile", "crps")]  # fmt: skip
        table.add_row(str(row["observation"]), str(row["date"]), f"{row['observed']:,.4g}", *cells)
    print_table(table)
    for row in found.coverage().to_dict("records"):
        what = str(row["interval"])
        if what.endswith("%"):
            click.echo(f"{what} intervals cover {row['calibrated']:.0%} of the later values "
                       f"(prior: {row['prior']:.0%})")  # fmt: skip
        else:
            click.echo(f"{what}: {row['calibrated']:,.4g} (prior: {row['prior']:,.4g})")


def posterior_inputs(
    path: Path, scenario: Scenario, runs: int | None, seed: int | None, deterministic: bool
) -> tuple[Any, dict[str, Any]]:
    """For ``stockpile run --posterior``: the runs' calibrated inputs drawn from ``path`` and
    what to record of them; exit 2 with one line when the file does not fit."""
    from sim.evidence.posterior import PosteriorError, read_posterior
    from sim.given import InputsError, check_given, input_table

    if deterministic:
        exit_with_problems(["--posterior: a deterministic run has no inputs to draw"])
    total = runs or scenario.runs
    try:
        posterior = read_posterior(path)
        table = posterior.draw(total, scenario.seed if seed is None else seed)
        check_given(scenario, input_table(table), total)
    except PosteriorError as error:
        exit_with_problems([str(error)])
    except InputsError as error:
        exit_with_problems([f"{path}: does not fit this scenario: {error}"])
    return table, posterior.provenance()
