"""`stockpile chart` and `stockpile compare`: redraw briefing charts from saved results."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from sim.cli import main
from sim.formats import CHART_FORMATS

KINDS = ("fan", "timeline", "flows", "availability", "value")
CELL_KINDS = ("fan", "flows", "availability")
FORMATS = CHART_FORMATS


class BadInput(click.ClickException):
    """A one-line message, exit status 2, no traceback."""

    exit_code = 2


@main.command("chart")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), default="timeline", show_default=True)
@click.option("--holder", help="Holder id (fan, flows, availability, value).")
@click.option("--item", help="Item id (fan, flows, availability).")
@click.option(
    "--also",
    multiple=True,
    metavar="HOLDER",
    help="availability: a repair hub whose items count in the fleet (repeatable).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from --out, else png.")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Output file (default: KIND[_H_I].FMT)."
)
def chart(
    results: Path,
    kind: str,
    holder: str | None,
    item: str | None,
    also: tuple[str, ...],
    fmt: str | None,
    out: Path | None,
) -> None:
    """Redraw one chart from RESULTS (a results.nc written by `stockpile run`)."""
    if kind in CELL_KINDS and not (holder and item):
        raise BadInput(f"--kind {kind} needs --holder and --item")
    if kind == "value" and not holder:
        raise BadInput("--kind value needs --holder")
    dataset = _open(results)
    fmt = _format(fmt, out)
    stem = "_".join(p for p in (kind, holder, item) if p) if kind in CELL_KINDS else kind
    if kind == "value":
        stem = f"value_{holder}"
    out = out or Path(f"{stem}.{fmt}")
    from sim import plots

    draw = {
        "fan": plots.fan,
        "flows": plots.flows,
        "availability": plots.availability,
    }
    if also and kind != "availability":
        raise BadInput("--also applies to --kind availability only")
    options = {"also": also} if also else {}  # default: the hubs the run recorded
    if kind == "timeline":
        figure = plots.timeline(dataset)
    elif kind == "value":
        figure = _draw(plots.value, dataset, holder)
    else:
        figure = _draw(draw[kind], dataset, holder, item, **options)
    _write(figure, out, fmt)


@main.command("compare")
@click.argument("first", metavar="A", type=click.Path(path_type=Path))
@click.argument("second", metavar="B", type=click.Path(path_type=Path))
@click.option("--holder", help="Holder id (default: the first drawn-down stock in A).")
@click.option("--item", help="Item id (default: the first drawn-down stock in A).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from --out, else png.")
@click.option("--out", type=click.Path(path_type=Path), help="Output file.")
def compare(
    first: Path,
    second: Path,
    holder: str | None,
    item: str | None,
    fmt: str | None,
    out: Path | None,
) -> None:
    """Draw the stock fans of two results A and B (e.g. two scenario variants) on one chart."""
    a, b = _open(first), _open(second)
    from sim import plots

    if not (holder and item):
        if holder or item:
            raise BadInput("give both --holder and --item, or neither")
        cells = plots.drawn_down(a)
        if not cells:
            raise BadInput(f"{first}: no stock is drawn down; give --holder and --item")
        holder, item = cells[0]
    fmt = _format(fmt, out)
    out = out or Path(f"compare_{holder}_{item}.{fmt}")
    labels = _labels(a.attrs.get("scenario"), b.attrs.get("scenario"), first, second)
    figure = _draw(plots.compare, a, b, holder, item, labels=labels)
    _write(figure, out, fmt)


def _open(path: Path) -> Any:
    """The results Dataset in ``path``, loaded into memory; BadInput when unreadable."""
    if not path.is_file():
        raise BadInput(f"{path}: no such results file")
    import xarray as xr

    try:
        with xr.open_dataset(path) as stored:
            dataset = stored.load()
    except Exception as error:  # any reader failure means "not a results file"
        raise BadInput(f"{path}: not a readable results file ({type(error).__name__})") from None
    missing = [v for v in ("stock", "trough", "target", "holder", "item") if v not in dataset]
    if missing:
        raise BadInput(f"{path}: not a stockpile results file (no {', '.join(missing)})")
    return dataset


def _format(fmt: str | None, out: Path | None) -> str:
    suffix = out.suffix.lstrip(".").lower() if out else ""
    if fmt and suffix and suffix != fmt:
        raise BadInput(f"--out {out} does not end in .{fmt}")
    if not fmt and suffix and suffix not in FORMATS:
        raise BadInput(
            f"--out {out}: unknown chart format .{suffix} (one of: {', '.join(FORMATS)})"
        )
    return fmt or suffix or "png"


def _labels(a: Any, b: Any, first: Path, second: Path) -> tuple[str, str]:
    """Scenario names when they differ, else file names, else folder names."""
    if a and b and a != b:
        return str(a), str(b)
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


def _write(figure: Any, out: Path, fmt: str) -> None:
    """Render fully in memory first, so a failure leaves no partial file."""
    from sim.plots import save

    buffer = io.BytesIO()
    save(figure, buffer, fmt)
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=".chart-", delete=False) as file:
            temporary = Path(file.name)
            file.write(buffer.getvalue())
        os.replace(temporary, out)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise BadInput(f"{out}: cannot write ({error.strerror or error})") from None
    click.echo(f"wrote {out}")
