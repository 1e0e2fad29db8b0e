"""`stockpile brief` and `stockpile export`: a slide pack and a workbook from saved results."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from sim.cli import main
from sim.cli.files import BadInput, OutputFile, force_option, open_results, results_file


@main.command("brief")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path),
                metavar="RESULTS...")  # fmt: skip
@click.option("--pptx", type=click.Path(path_type=Path), help="Slide pack (default: "
              "RESULTS/brief.pptx for one run's folder).")  # fmt: skip
@click.option("--pdf", type=click.Path(path_type=Path), help="The same pack as PDF "
              "(needs LibreOffice).")  # fmt: skip
@click.option("--labels", metavar="A,B,...", help="Names of compared results (default A, B...).")
@force_option
def brief(
    results: tuple[Path, ...],
    pptx: Path | None,
    pdf: Path | None,
    labels: str | None,
    force: bool,
) -> None:
    """A briefing slide pack from RESULTS (a run's output folder or its results.nc); several
    RESULTS make a pack comparing them."""
    datasets = [open_results(path) for path in results]
    names = _labels(labels, len(datasets))
    if pptx is None and pdf is None:
        pptx = _default(results, "brief.pptx", "--pptx")
    pptx_file = OutputFile.checked(pptx, (".pptx",), force=force) if pptx else None
    pdf_file = OutputFile.checked(pdf, (".pdf",), force=force) if pdf else None
    from sim.brief.render import RenderError, font_problem, to_pdf

    deck = _deck(datasets, names)
    if pptx_file is not None:
        pptx_file.write(deck.save)
    if pdf_file is not None:
        target = pdf_file.path
        problem = font_problem()
        if problem:
            click.echo(f"warning: {problem}", err=True)

        def render(temporary: Path) -> None:
            source = temporary.with_name(f"{temporary.stem}.pptx")
            try:
                deck.save(source)
                to_pdf(source, temporary)
            except RenderError as error:
                raise BadInput(f"{target}: {error}") from None
            finally:
                source.unlink(missing_ok=True)

        pdf_file.write(render)


@main.command("export")
@click.argument("results", type=click.Path(path_type=Path), metavar="RESULTS")
@click.option("--xlsx", type=click.Path(path_type=Path), help="Workbook (default: "
              "RESULTS/results.xlsx for a run's folder).")  # fmt: skip
@force_option
def export(results: Path, xlsx: Path | None, force: bool) -> None:
    """The summary, weekly bands, inputs and run metadata of RESULTS as an Excel workbook."""
    dataset = open_results(results)
    out = xlsx or _default((results,), "results.xlsx", "--xlsx")
    file = OutputFile.checked(out, (".xlsx",), force=force)
    with _extra("openpyxl"):
        from sim.brief.workbook import workbook

    book = workbook(dataset)
    file.write(lambda path: book.save(str(path)))


@contextmanager
def _extra(package: str) -> Iterator[None]:
    """One line saying what to install when the ``brief`` extra is missing."""
    try:
        yield
    except ModuleNotFoundError as error:
        if error.name not in ("pptx", "openpyxl"):
            raise
        raise BadInput(
            f"this command needs {package}, which is not installed: pip install 'stockpile[brief]'"
        ) from None


def _deck(datasets: list[Any], names: list[str]) -> Any:
    """The pack; results that cannot share a pack (other holders or items) are refused."""
    with _extra("python-pptx"):
        from sim.brief import pack
    from sim.outcomes import NotKept
    from sim.plots import ChartError

    try:
        return pack.single(datasets[0]) if len(datasets) == 1 else pack.compared(datasets, names)
    except (ChartError, NotKept) as error:
        raise BadInput(f"these results cannot share a pack: {error}") from None


def _labels(labels: str | None, count: int) -> list[str]:
    if labels is None:
        return [chr(ord("A") + k) for k in range(count)]
    names = [name.strip() for name in labels.split(",")]
    if len(names) != count or not all(names):
        raise BadInput(f"--labels {labels!r}: give {count} names separated by commas")
    return names


def _default(results: tuple[Path, ...], name: str, option: str) -> Path:
    """Beside the results of one run's folder; otherwise the user names the file."""
    if len(results) == 1:
        return results_file(results[0]).parent / name
    raise BadInput(f"give {option} FILE for a pack of several results")
