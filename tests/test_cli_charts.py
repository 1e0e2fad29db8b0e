"""`stockpile chart` and `stockpile compare` redraw charts from saved results, or fail cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xarray as xr
from click.testing import CliRunner
from fake_results import fake_results

from sim.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("results") / "results.nc"
    fake_results(runs=20, seed=7).to_netcdf(path, engine="h5netcdf")
    return path


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("other") / "variant.nc"
    data = fake_results(runs=20, seed=8)
    data.attrs["scenario"] = "Variant"
    data.to_netcdf(path, engine="h5netcdf")
    return path


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "name", "magic"),
    [
        (["--kind", "timeline"], "timeline.png", b"\x89PNG"),
        (["--kind", "fan", "--holder", "us", "--item", "shell_155"], "fan_us_shell_155.png", b""),
        (["--kind", "flows", "--holder", "us", "--item", "m777", "--format", "pdf"], "", b"%PDF"),
        (["--kind", "availability", "--holder", "ukraine", "--item", "m777"], "", b"\x89PNG"),
        (
            ["--kind", "availability", "--holder", "ukraine", "--item", "m777", "--also", "us"],
            "availability_ukraine_m777.png",
            b"\x89PNG",
        ),
    ],
)
@pytest.mark.slow
def test_chart_redraws_from_saved_results(
    saved: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    name: str,
    magic: bytes,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke("chart", saved, *args)
    assert code == 0, output
    (written,) = tmp_path.iterdir()
    assert output == f"wrote {written.name}\n"
    assert not name or written.name == name
    assert written.read_bytes().startswith(magic)


@pytest.mark.slow
def test_chart_format_follows_out_suffix(saved: Path, tmp_path: Path) -> None:
    out = tmp_path / "brief.svg"
    code, output = invoke("chart", saved, "--out", out)
    assert code == 0, output
    assert b"<svg" in out.read_bytes()[:2000]


@pytest.mark.slow
def test_compare_two_results(saved: Path, other: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare.png"
    code, output = invoke(
        "compare", saved, other, "--holder", "us", "--item", "javelin", "--out", out
    )
    assert code == 0, output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_compare_labels_by_name_overrides_file_or_folder() -> None:
    from sim.cli.charts import _labels

    def made(name: str, *overrides: str) -> xr.Dataset:
        return xr.Dataset(attrs={"scenario": name, "overrides": json.dumps(list(overrides))})

    s = made("S")
    assert _labels(s, s, Path("base/results.nc"), Path("slip/results.nc")) == ("base", "slip")
    assert _labels(s, s, Path("a.nc"), Path("b.nc")) == ("a", "b")
    assert _labels(made("Base"), made("Slip"), Path("a.nc"), Path("b.nc")) == ("Base", "Slip")
    slipped = made("S", "production.line.slip=6 mo")
    assert _labels(s, slipped, Path("a.nc"), Path("a.nc")) == ("base", "production.line.slip=6 mo")


@pytest.mark.slow
def test_compare_takes_the_labels_it_is_given(saved: Path, other: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare.png"
    code, output = invoke("compare", saved, other, "--labels", "Base,Slip", "--out", out)
    assert code == 0, output
    code, output = invoke("compare", saved, other, "--labels", "only-one", "--out", out)
    assert code == 2 and "give two names" in output


@pytest.mark.slow
def test_compare_defaults_to_the_first_drawn_down_stock(
    saved: Path, other: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke("compare", saved, other)
    assert (code, output) == (0, "wrote compare_us_shell_155.png\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chart", "missing.nc"], "Error: missing.nc: no such results file"),
        (["chart", "{saved}", "--kind", "fan"], "Error: --kind fan needs --holder and --item"),
        (
            ["chart", "{saved}", "--kind", "fan", "--holder", "us", "--item", "tank"],
            "Error: unknown item 'tank' (one of: shell_155, javelin, m777, charge_155)",
        ),
        (
            ["chart", "{saved}", "--kind", "flows", "--holder", "uk", "--item", "m777"],
            "Error: unknown holder 'uk' (one of: us, ukraine)",
        ),
        (["chart", "{saved}", "--out", "x.png", "--format", "pdf"], "does not end in .pdf"),
        (["chart", "{saved}", "--out", "x.gif"], "unknown chart format .gif"),
        (["chart", "{junk}"], "not a readable results file"),
        (
            ["chart", "{saved}", "--out", "nowhere/x.png"],
            "Error: nowhere/x.png: the folder nowhere does not exist (create it first)",
        ),
        (["compare", "{saved}", "{saved}", "--holder", "us"], "give both --holder and --item"),
        (["chart", "{saved}", "--also", "us"], "--also applies to --kind availability only"),
        (
            [
                "chart",
                "{saved}",
                "--kind",
                "availability",
                "--holder",
                "ukraine",
                "--item",
                "m777",
                "--also",
                "hub",
            ],
            "Error: unknown holder 'hub' (one of: us, ukraine)",
        ),
    ],
)
@pytest.mark.slow
def test_bad_input_is_one_line_and_status_2(
    saved: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    junk = tmp_path / "junk.nc"
    junk.write_text("not netcdf")
    code, output = invoke(*(a.format(saved=saved, junk=junk) for a in args))
    assert code == 2
    assert message in output
    assert output.count("\n") == 1
    assert "Traceback" not in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.nc"]  # no partial file


def test_unwritable_out_leaves_no_partial_file(saved: Path, tmp_path: Path) -> None:
    folder = tmp_path / "taken.png"
    folder.mkdir()  # a directory where the chart should go: the write fails, even as root
    code, output = invoke("chart", saved, "--out", folder)
    assert (code, output.count("\n")) == (2, 1)
    assert f"Error: {folder}: is a folder (name a file)" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.png"]
    assert list(folder.iterdir()) == []
