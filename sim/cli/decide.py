"""`stockpile solve`, `sweep` and `probability`: what it would take, and the chance by date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from sim.cli import main
from sim.cli.charts import chart_file, chart_format, named_chart, write_figure
from sim.cli.files import BadInput, OutputFile, force_option, open_results, results_file
from sim.cli.problems import exit_with_problems

UNREACHABLE = 1

_SCENARIO_OPTIONS = [
    click.option("--runs", type=click.IntRange(min=20), help="Monte Carlo runs per value."),
    click.option("--seed", type=click.IntRange(min=0), help="Root seed, the same for every value."),
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Local processes to run chunks on.",
    ),
    click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="ID.PATH=VALUE",
        help="Override a value of SCENARIO first (a rate or schedule: x1.5, x1.5@DATE).",
    ),
    click.option(
        "--allow-large",
        is_flag=True,
        help="Run even beyond the work limits (docs/limits.md).",
    ),
]
F = TypeVar("F", bound=Callable[..., Any])


def _scenario_options(command: F) -> F:
    for option in reversed(_SCENARIO_OPTIONS):
        command = option(command)
    return command


@contextmanager
def _bad_input() -> Iterator[None]:
    """Bad --vary, --goal or scenario: one message per problem, exit 2, no traceback."""
    from sim.errors import ScenarioError
    from sim.goals import GoalError
    from sim.outcomes import NotKept
    from sim.plots import ChartError
    from sim.scenario.rewrite import RewriteError
    from sim.sensitivity import ExplainError
    from sim.vary import VaryError

    try:
        with _warnings_once():
            yield
    except ScenarioError as error:
        exit_with_problems([str(p) for p in error.problems])
    except (GoalError, VaryError, ExplainError, NotKept, ChartError, RewriteError) as error:
        raise BadInput(str(error)) from None


@contextmanager
def _warnings_once() -> Iterator[None]:
    """The scenario's warnings on stderr, each once, as `run` and `validate` print them."""
    import warnings

    from sim.errors import ScenarioWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        try:
            yield
        finally:
            for message in dict.fromkeys(str(w.message) for w in caught):
                click.echo(f"warning: {message}", err=True)


@main.command("solve")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH[=A..B]",
              help="The input to solve for: x0.5..x4 scales it, 0..24 mo sets it (default "
                   "x0.1..x10). Several are scaled together by one factor.")  # fmt: skip
@click.option("--goal", required=True, help='e.g. "us.shell_155 replenished by 2026-12-31 '
              'with 80%" (docs/decisions.md).')  # fmt: skip
@click.option("--tolerance", type=click.FloatRange(min=1e-4, max=0.5), default=0.01,
              show_default=True, help="Stop when the bracket is this narrow.")  # fmt: skip
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
              help="Vary the future only: the factor scales the rate or schedule from DATE on "
                   "(the milestones before it untouched).")  # fmt: skip
@click.option("--write", "write", type=click.Path(path_type=Path), metavar="FILE",
              help="Write the solved scenario (.yaml): SCENARIO with the value found (and "
                   "any --set, --runs, --seed) written in; `stockpile run FILE` replays "
                   "it.")  # fmt: skip
@force_option
@_scenario_options
def solve(
    scenario: Path,
    vary: tuple[str, ...],
    goal: str,
    tolerance: float,
    since: dt.datetime | None,
    write: Path | None,
    force: bool,
    runs: int | None,
    seed: int | None,
    workers: int,
    overrides: tuple[str, ...],
    allow_large: bool,
) -> None:
    """Find the smallest (or largest) value of an input of SCENARIO that meets GOAL, with the
    same random numbers for every value tried; prints the whole resulting schedule, and the
    last line is PATH = VALUE."""
    from sim.goals import parse_goal
    from sim.seek import Unreachable, describe_trial, solved_scenario
    from sim.seek import solve as find

    _exists(scenario)
    out_file = OutputFile.checked(write, (".yaml", ".yml"), force=force) if write else None
    with _bad_input():
        target = parse_goal(goal)
        click.echo(f"Solving for {', '.join(v.partition('=')[0] for v in vary)}: {goal}"
                   + (f" (from {since.date()})" if since else ""))  # fmt: skip
        try:
            solution = find(
                scenario, list(vary), goal, runs=runs, seed=seed, overrides=overrides,
                workers=workers, tolerance=tolerance, allow_large=allow_large,
                step=lambda t: click.echo(describe_trial(t, target)),
                since=None if since is None else since.date().isoformat(),
            )  # fmt: skip
        except Unreachable as error:
            click.echo(f"unreachable: {error}", err=True)
            raise SystemExit(UNREACHABLE) from None
        replay = [
            *overrides,
            *(f"{k}={v}" for k, v in (("runs", runs), ("seed", seed)) if v is not None),
        ]
        text = None if out_file is None else solved_scenario(scenario, solution, replay)
    for line in solution.lines():
        click.echo(line)
    if out_file is not None and text is not None:
        out_file.write(lambda path: path.write_text(text, encoding="utf-8"))


@main.command("sweep")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH=VALUES",
              help="One or two inputs: V1,V2,... (x1.5 scales, 30k/mo sets), A..B:N.")  # fmt: skip
@click.option("--goal", help="Also tabulate the chance of a goal (and draw its heat map).")
@click.option("--metric", help="Outcome to band (default: from the goal, else replenished_at).")
@click.option("--holder", help="Holder id (default: from the goal, else the first drawn down).")
@click.option("--item", help="Item id (default: from the goal, else the first drawn down).")
@click.option("--out", type=click.Path(path_type=Path), help="Write every variant's results "
              "(one NetCDF file with a variant dimension).")  # fmt: skip
@click.option("--chart", type=click.Path(path_type=Path), help="Write the bands chart here.")
@click.option("--heatmap", type=click.Path(path_type=Path),
              help="Two inputs and a goal: write the heat map of its chance here.")  # fmt: skip
@force_option
@_scenario_options
def sweep(
    scenario: Path,
    vary: tuple[str, ...],
    goal: str | None,
    metric: str | None,
    holder: str | None,
    item: str | None,
    out: Path | None,
    chart: Path | None,
    heatmap: Path | None,
    force: bool,
    runs: int | None,
    seed: int | None,
    workers: int,
    overrides: tuple[str, ...],
    allow_large: bool,
) -> None:
    """Run SCENARIO at every value of one or two inputs with common random numbers; print the
    outcome's p10/p50/p90 (and the goal's chance) per value."""
    from sim.sensitivity import parse_metric
    from sim.sweeps import sweep as run_sweep

    _exists(scenario)
    if (holder is None) != (item is None):
        raise BadInput("give both --holder and --item, or neither")
    out_file = OutputFile.checked(out, (".nc",), force=force) if out is not None else None
    chart_file_ = named_chart(chart, force)
    heatmap_file = named_chart(heatmap, force)
    with _bad_input():
        metric = parse_metric(metric) if metric else None
        found = run_sweep(
            scenario, list(vary), metric=metric, holder=holder, item=item, goal=goal,
            runs=runs, seed=seed, overrides=overrides, workers=workers,
            allow_large=allow_large,
        )  # fmt: skip
        if heatmap is not None and (found.goal is None or len(found.vary) != 2):
            raise BadInput("--heatmap needs two --vary and a --goal")
        table = found.table.drop(columns=["variant"])
        if "goal" in table:
            table["goal"] = [f"{p:.1%} ± {se:.1%}" for p, se in
                             zip(table["goal"], table.pop("goal_se"), strict=True)]  # fmt: skip
        click.echo(f"{found.metric} of {found.holder} {found.item}"
                   + (f"; goal: {found.goal.text}" if found.goal else ""))  # fmt: skip
        click.echo(table.to_string(index=False))
        from sim import plots

        if chart_file_ is not None:
            write_figure(plots.sweep_bands(found), *chart_file_)
        if heatmap_file is not None:
            write_figure(plots.sweep_heatmap(found), *heatmap_file)
    if out_file is not None:
        dataset = found.dataset
        out_file.write(lambda path: dataset.to_netcdf(path, engine="h5netcdf"))


@main.command("probability")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--holder", required=True, help="Holder id.")
@click.option("--item", required=True, help="Item id.")
@click.option("--event", type=click.Choice(["back", "floor"]), default="back", show_default=True,
              help="back: back at target after its trough; floor: at its floor.")  # fmt: skip
@click.option("--label", "labels", multiple=True, help="A name per RESULTS (default: scenario).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Output file [beside the first RESULTS: probability_H_I.png].")  # fmt: skip
@force_option
def probability(
    results: tuple[Path, ...],
    holder: str,
    item: str,
    event: str,
    labels: tuple[str, ...],
    out: Path | None,
    force: bool,
) -> None:
    """Chart the chance that a stock is back at target (or at its floor) by each date, for one
    or several RESULTS (run folders or results.nc) on one chart."""
    from sim import plots

    datasets = [open_results(p / "results.nc" if p.is_dir() else p) for p in results]
    if labels and len(labels) != len(results):
        raise BadInput("give one --label per RESULTS")
    fmt = chart_format(None, out)
    beside = results_file(results[0]).parent  # not the working directory
    file = chart_file(out or beside / f"probability_{holder}_{item}.{fmt}", fmt, force)
    with _bad_input():
        figure = plots.probability(datasets, holder, item, event=event,  # type: ignore[arg-type]
                                   labels=list(labels) or None)  # fmt: skip
        names = list(labels) or [str(d.attrs.get("scenario", "")) for d in datasets]
        for dataset, name in zip(datasets, names, strict=True):
            click.echo(_chances(dataset, name, holder, item, event))
    write_figure(figure, file, fmt)


def _chances(dataset: Any, name: str, holder: str, item: str, event: str) -> str:
    """One line per results: the chance by the end of each year and by the end, and when the
    chance first reaches 50% and 80%."""
    import numpy as np

    from sim.plots.probability import WORDS, chance_by

    dates, chance = chance_by(dataset, holder, item, event)  # type: ignore[arg-type]
    times = dataset["time"].values
    ends = [np.datetime64(f"{year}-12-31", "s") for year in range(
        int(str(times[0])[:4]), int(str(times[-1])[:4]))]  # fmt: skip
    checks = [*(d for d in ends if times[0] <= d < times[-1]), times[-1].astype("datetime64[s]")]
    by = [f"{str(d)[:10]} {_share(chance, dates, d):.0%}" for d in checks]
    reached = [_first(dates, chance, level) for level in (0.5, 0.8)]
    return (f"{name}: {holder} {item} {WORDS[event]} by " + ", ".join(by)
            + f"; 50% on {reached[0]}, 80% on {reached[1]}")  # fmt: skip


def _share(chance: Any, dates: Any, day: Any) -> float:
    import numpy as np

    k = int(np.searchsorted(dates.astype("datetime64[s]"), day, side="right")) - 1
    return float(chance[k]) if k >= 0 else 0.0


def _first(dates: Any, chance: Any, level: float) -> str:
    import numpy as np

    reached = np.flatnonzero(chance >= level - 1e-12)
    return str(dates[reached[0]])[:10] if len(reached) else "none within the horizon"


def _exists(scenario: Path) -> None:
    if not scenario.is_file():
        exit_with_problems([f"{scenario}: no such scenario file"])
