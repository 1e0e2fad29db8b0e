"""`stockpile explain`: which uncertain inputs drive an outcome, from the runs' kept inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sim.cli import main
from sim.cli.charts import named_chart, write_figure
from sim.cli.files import BadInput, force_option, open_results
from sim.cli.problems import exit_with_problems, load_or_exit


def results_or_run(
    source: Path, runs: int | None, seed: int | None, overrides: tuple[str, ...], large: bool
) -> Any:
    """The results Dataset of SOURCE: a run's folder or results file, or a scenario to run
    (``large``: beyond the work limits)."""
    if source.suffix.lower() in (".yaml", ".yml"):
        from sim.errors import ScenarioError
        from sim.runner import run

        scenario = load_or_exit(source, list(overrides))
        try:
            return run(scenario, runs=runs, seed=seed, allow_large=large).dataset
        except ScenarioError as error:  # the work guard
            exit_with_problems([str(p) for p in error.problems])
    if runs is not None or seed is not None or overrides or large:
        raise BadInput(
            "--runs, --seed, --set and --allow-large apply when explaining a SCENARIO file"
        )
    if source.is_dir():
        source = source / "results.nc"
    return open_results(source)


@main.command("explain")
@click.argument("source", metavar="RESULTS|SCENARIO", type=click.Path(path_type=Path))
@click.option("--metric", default="replenished_at", show_default=True,
              help="replenished_at, depleted_at, trough_at, trough, stock_at_end "
                   "or stock@DATE.")  # fmt: skip
@click.option("--holder", help="Holder id (default: the first stock drawn below its target).")
@click.option("--item", help="Item id (default: the first stock drawn below its target).")
@click.option("--top", type=click.IntRange(min=1), help="Show only the N most influential.")
@click.option("--chart", type=click.Path(path_type=Path), help="Write the tornado chart here.")
@click.option("--runs", type=click.IntRange(min=100), help="SCENARIO: Monte Carlo runs.")
@click.option("--seed", type=click.IntRange(min=0), help="SCENARIO: root random seed.")
@click.option("--set", "overrides", multiple=True, metavar="ID.PATH=VALUE",
              help="SCENARIO: override a value before running.")  # fmt: skip
@click.option("--allow-large", is_flag=True,
              help="SCENARIO: run even beyond the work limits (docs/limits.md).")  # fmt: skip
@force_option
def explain(
    source: Path,
    metric: str,
    holder: str | None,
    item: str | None,
    top: int | None,
    chart: Path | None,
    runs: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    allow_large: bool,
    force: bool,
) -> None:
    """Rank the inputs of RESULTS (a run's folder or results.nc) or of a run of SCENARIO by
    their influence on one outcome: one input per row, most influential first."""
    from sim.outcomes import NotKept
    from sim.sensitivity import ExplainError, explain, parse_metric

    if (holder is None) != (item is None):
        raise BadInput("give both --holder and --item, or neither")
    chart_file = named_chart(chart, force)
    try:
        metric = parse_metric(metric)
        dataset = results_or_run(source, runs, seed, overrides, allow_large)
        found = explain(dataset, metric, holder, item)
    except (ExplainError, NotKept) as error:
        raise BadInput(str(error)) from None
    o = found.outcome
    sample = "a sample of " if found.sampled else ""
    late = f"; {o.censored:.0%} of runs after the end" if o.is_date else ""
    click.echo(f"What drives {o.metric} of {o.holder} {o.item} "
               f"({sample}{found.runs:,} runs, median {o.show(found.median)}{late}):")  # fmt: skip
    for line in found.lines(top):
        click.echo(line)
    click.echo(f"unexplained by any single input: {found.unexplained:.0%} "
               "(interactions and the model's own randomness)")  # fmt: skip
    if chart_file is not None:
        from sim.plots import tornado

        write_figure(tornado(found, dataset), *chart_file)
