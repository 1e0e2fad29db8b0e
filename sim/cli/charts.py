"""`stockpile chart` and `stockpile compare`: redraw briefing charts from saved results."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import click

from sim.cli import main
from sim.cli.files import BadInput, OutputFile, force_option, open_results
from sim.formats import CHART_FORMATS

KINDS = ("fan", "timeline", "flows", "availability", "value")
CELL_KINDS = ("fan", "flows", "availability")
FORMATS = CHART_FORMATS


@main.command("chart")
@click.argument("results", type=click.Path(path_type=Path), metavar="RESULTS")
@click.option("--kind", type=click.Choice(KINDS), default="timeline", show_default=True)
@click.option("--holder", help="Holder id (fan, flows, availability, value).")
@click.option("--item", help="Item id (fan, flows, availability).")
@click.option(
    "--also",
    multiple=True,
    metavar="HOLDER",
    help="availability: a repair hub whose items count in the fleet (repeatable).",
)
@click.option("--bands", metavar="C,C,...", help="fan: central bands in %, e.g. 95,60.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from --out, else png.")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Output file (default: KIND[_H_I].FMT)."
)
@force_option
def chart(
    results: Path,
    kind: str,
    holder: str | None,
    item: str | None,
    also: tuple[str, ...],
    bands: str | None,
    fmt: str | None,
    out: Path | None,
    force: bool,
) -> None:
    """Redraw one chart from RESULTS (a run's output folder or its results.nc)."""
    if kind in CELL_KINDS and not (holder and item):
        raise BadInput(f"--kind {kind} needs --holder and --item")
    if kind == "value" and not holder:
        raise BadInput("--kind value needs --holder")
    dataset = open_results(results)
    fmt = chart_format(fmt, out)
    stem = "_".join(p for p in (kind, holder, item) if p) if kind in CELL_KINDS else kind
    if kind == "value":
        stem = f"value_{holder}"
    file = chart_file(out or Path(f"{stem}.{fmt}"), fmt, force)
    from sim import plots

    draw = {
        "fan": plots.fan,
        "flows": plots.flows,
        "availability": plots.availability,
    }
    if also and kind != "availability":
        raise BadInput("--also applies to --kind availability only")
    options: dict[str, Any] = {"also": also} if also else {}  # default: the recorded hubs
    if bands is not None:
        if kind != "fan":
            raise BadInput("--bands applies to --kind fan only")
        try:
            options["bands"] = [float(b) / 100 for b in bands.split(",") if b.strip()]
        except ValueError:
            raise BadInput(f"--bands {bands}: write coverages in %, e.g. 95,60") from None
    if kind == "timeline":
        figure = plots.timeline(dataset)
    elif kind == "value":
        figure = _draw(plots.value, dataset, holder)
    else:
        figure = _draw(draw[kind], dataset, holder, item, **options)
    write_figure(figure, file, fmt)


@main.command("compare")
@click.argument("first", metavar="A", type=click.Path(path_type=Path))
@click.argument("second", metavar="B", type=click.Path(path_type=Path))
@click.option("--holder", help="Holder id (default: the first drawn-down stock in A).")
@click.option("--item", help="Item id (default: the first drawn-down stock in A).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from --out, else png.")
@click.option("--out", type=click.Path(path_type=Path), help="Output file.")
@click.option(
    "--labels",
    metavar="A,B",
    help="Names of A and B in the legend (default: scenario names, overrides, or file names).",
)
@force_option
def compare(
    first: Path,
    second: Path,
    holder: str | None,
    item: str | None,
    fmt: str | None,
    out: Path | None,
    labels: str | None,
    force: bool,
) -> None:
    """Draw the stock fans of two results A and B (e.g. two scenario variants) on one chart."""
    a, b = open_results(first), open_results(second)
    from sim import plots

    if not (holder and item):
        if holder or item:
            raise BadInput("give both --holder and --item, or neither")
        cells = plots.drawn_down(a)
        if not cells:
            raise BadInput(f"{first}: no stock is drawn down; give --holder and --item")
        holder, item = cells[0]
    fmt = chart_format(fmt, out)
    file = chart_file(out or Path(f"compare_{holder}_{item}.{fmt}"), fmt, force)
    names = _given_labels(labels) or _labels(a, b, first, second)
    figure = _draw(plots.compare, a, b, holder, item, labels=names)
    write_figure(figure, file, fmt)


def chart_format(fmt: str | None, out: Path | None) -> str:
    suffix = out.suffix.lstrip(".").lower() if out else ""
    if fmt and suffix and suffix != fmt:
        raise BadInput(f"--out {out} does not end in .{fmt}")
    if not fmt and suffix and suffix not in FORMATS:
        raise BadInput(
            f"--out {out}: unknown chart format .{suffix} (one of: {', '.join(FORMATS)})"
        )
    return fmt or suffix or "png"


def _given_labels(labels: str | None) -> tuple[str, str] | None:
    if labels is None:
        return None
    parts = [part.strip() for part in labels.split(",")]
    if len(parts) != 2 or not all(parts):
        raise BadInput(f"--labels {labels!r}: give two names separated by a comma, e.g. Base,Slip")
    return parts[0], parts[1]


def _labels(a: Any, b: Any, first: Path, second: Path) -> tuple[str, str]:
    """Scenario names when they differ, else the overrides that make each variant, else file
    names, else folder names."""
    names = [str(d.attrs.get("scenario", "")) for d in (a, b)]
    if all(names) and names[0] != names[1]:
        return names[0], names[1]
    changes = [", ".join(json.loads(str(d.attrs.get("overrides", "[]")))) for d in (a, b)]
    if changes[0] != changes[1]:
        return changes[0] or "base", changes[1] or "base"
    if first.stem != second.stem:
        return first.stem, second.stem
    if first.parent.name != second.parent.name:  # base/results.nc vs slip/results.nc
        return first.parent.name, second.parent.name
    return str(first), str(second)


def _draw(chart: Any, *args: Any, **kwargs: Any) -> Any:
    from sim.outcomes import NotKept
    from sim.plots import ChartError

    try:
        return chart(*args, **kwargs)
    except (ChartError, NotKept) as error:
        raise BadInput(str(error)) from None


def chart_file(out: Path, fmt: str, force: bool) -> OutputFile:
    """``out`` checked as a chart file of format ``fmt``."""
    return OutputFile.checked(out, (f".{fmt}",), force=force)


def named_chart(out: Path | None, force: bool) -> tuple[OutputFile, str] | None:
    """A chart file named by an option (``--chart``), with its format from its extension."""
    if out is None:
        return None
    fmt = chart_format(None, out)
    return chart_file(out, fmt, force), fmt


def write_figure(figure: Any, file: OutputFile, fmt: str) -> None:
    """Render fully in memory first, so a failure leaves no partial file."""
    from sim.plots import save

    buffer = io.BytesIO()
    save(figure, buffer, fmt)
    file.write(lambda path: path.write_bytes(buffer.getvalue()))
