"""`stockpile import oryx-log | kiel | drawdowns`: fragments from the committed excerpts of public
datasets (tests/data/imports/README.md), checked against sums computed here with plain loops;
the fragments parse as YAML with the expected keys; CSV output; every refusal, located."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.imports import oryx
from sim.imports.fragment import money
from sim.scenario.model import Money
from sim.scenario.values import parse_amount
from sim.scenario.yaml_source import parse_yaml

DATA = Path(__file__).resolve().parent / "data" / "imports"
LOG = DATA / "oryx_log.csv"
WEAPONS = DATA / "kiel" / "weapons.csv"
NOTICES = DATA / "pun" / "notifications.csv"
STATES = ("destroyed", "damaged", "abandoned", "captured")
SHEET = "Bilateral Assistance, MAIN DATA"


def run(command: str) -> Result:
    """``stockpile import COMMAND``, its words split as a shell splits them."""
    return CliRunner().invoke(main, ["import", *shlex.split(command)])


def imported(command: str, section: str = "observations") -> tuple[str, dict[str, Any]]:
    """The id and the fields of the one entry that ``stockpile import COMMAND`` prints."""
    return only_entry(parsed(run(command)), section)


def parsed(result: Result) -> dict[str, Any]:
    """The fragment on stdout, after checking the command succeeded and the project's own YAML
    reader reads it too."""
    assert result.exit_code == 0, result.output
    source, problems = parse_yaml(result.stdout, "fragment.yaml")
    assert problems == [] and source is not None
    tree = yaml.safe_load(result.stdout)
    assert isinstance(tree, dict)
    return tree


def only_entry(tree: dict[str, Any], section: str) -> tuple[str, dict[str, Any]]:
    assert list(tree) == [section]
    [(name, entry)] = tree[section].items()
    return name, entry


def refused(result: Result, *lines: str) -> None:
    """Exit status 2, no fragment, and exactly these problems (regular expressions) on stderr."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    got = result.stderr.splitlines()
    assert len(got) == len(lines), got
    for line, pattern in zip(got, lines, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)


# oryx-log ---------------------------------------------------------------------------------------


def oryx_expected(country: str, category: str, states: tuple[str, ...]) -> dict[dt.date, int]:
    """The running total after each day's last record, summed here over the file's rows."""
    total, by_day = 0, {}
    with LOG.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if (row["country"], row["category"]) == (country, category) and row["state"] in states:
                total += int(row["value"])
                by_day[dt.date.fromisoformat(row["timestamp"][:10])] = total
    return by_day


@pytest.mark.parametrize(
    ("country", "category", "states"),
    [
        ("Ukraine", "tanks", STATES),
        ("Russia", "tanks", ("destroyed",)),
        ("Russia", "towed artillery", ("abandoned", "captured")),
        ("Ukraine", "towed artillery", STATES),
    ],
)
def test_oryx_counts_are_the_running_sums_by_day(
    country: str, category: str, states: tuple[str, ...]
) -> None:
    result = run(
        f"oryx-log {LOG} --country {country} --category '{category}' --states {','.join(states)}"
    )
    name, entry = only_entry(parsed(result), "observations")
    holder, item = country.lower(), category.replace(" ", "_")
    assert name == f"oryx_{holder}_{item}"
    assert list(entry) == ["holder", "item", "of", "values", "bound", "source"]
    assert (entry["holder"], entry["item"], entry["of"], entry["bound"]) == (
        holder,
        item,
        "lost",
        "at_least",
    )
    expected = oryx_expected(country, category, states)
    assert entry["values"] == expected and len(expected) > 5
    assert "Oryx" in entry["source"] and "records to 2022-04-24" in entry["source"]


def test_oryx_known_counts_by_hand() -> None:
    """Russian tanks destroyed in the log's first days, added up by hand from its lines."""
    values = imported(f"oryx-log {LOG} --country Russia --category tanks --states destroyed")[1][
        "values"
    ]
    first = dict(list(values.items())[:3])
    assert first == {
        dt.date(2022, 2, 24): 1,
        dt.date(2022, 2, 26): 1 + 2,
        dt.date(2022, 2, 28): 1 + 2 + 3 + 2 + 4 + 1,
    }


def test_oryx_names_ids_and_window() -> None:
    everything = imported(f"oryx-log {LOG} --country ukraine --category TANKS")[1]["values"]
    result = run(
        f"oryx-log {LOG} --country ukraine --category tanks --holder ua --item tank "
        "--id oryx_tanks --start 2022-03-01 --end 2022-03-31"
    )
    name, entry = only_entry(parsed(result), "observations")
    assert (name, entry["holder"], entry["item"]) == ("oryx_tanks", "ua", "tank")
    kept = {d: v for d, v in everything.items() if dt.date(2022, 3, 1) <= d <= dt.date(2022, 3, 31)}
    assert entry["values"] == kept  # the window keeps the counts from the log's first record
    assert "--start 2022-03-01" in result.stdout.splitlines()[0]


def test_oryx_warns_where_the_count_falls() -> None:
    """Oryx moved Ukraine's losses to another page on 2022-04-20: the log's count drops to 0."""
    result = run(f"oryx-log {LOG} --country Ukraine --category tanks")
    values = only_entry(parsed(result), "observations")[1]["values"]
    assert values[dt.date(2022, 4, 17)] == 124 and values[dt.date(2022, 4, 20)] == 0
    [warning] = result.stderr.splitlines()
    assert warning.startswith(f"warning: {LOG}:")
    assert "most on 2022-04-20: from 124 to 0" in warning and "--end 2022-04-17" in warning
    assert "# Warning:" in result.stdout
    clean = run(f"oryx-log {LOG} --country Ukraine --category tanks --end 2022-04-17")
    assert clean.exit_code == 0 and clean.stderr == ""


def test_oryx_csv_output(tmp_path: Path) -> None:
    out = tmp_path / "oryx_tanks.csv"
    result = run(f"oryx-log {LOG} --country Russia --category tanks --out {out}")
    _, entry = only_entry(parsed(result), "observations")
    assert entry["values"] == {"file": str(out)}
    assert result.stderr.endswith(f"wrote {out}\n")  # and a warning: the count falls
    with out.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["date", "value"]
    expected = oryx_expected("Russia", "tanks", STATES)
    assert {dt.date.fromisoformat(d): int(v) for d, v in rows[1:]} == expected
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "timestamp,country,category,state,value\n"


def test_oryx_bad_rows_are_each_located(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "log.csv",
        HEADER + "2022-02-24 10:00:00,Ukraine,tanks,destroyed,2\n"
        "2022-02-3x 10:00:00,Ukraine,tanks,destroyed,1\n"
        "2022-02-25 10:00:00,Ukraine,tanks,captured,many\n"
        "2022-02-25 10:00:00,Ukraine,tanks\n",
    )
    refused(
        run(f"oryx-log {bad} --country Ukraine --category tanks"),
        rf"{bad}:5: 3 fields, the header has 5",
    )
    write(bad, bad.read_text().rsplit("\n", 2)[0] + "\n")
    refused(
        run(f"oryx-log {bad} --country Ukraine --category tanks"),
        rf"{bad}:3: timestamp: expected a date such as 2022-04-21, got '2022-02-3x 10:00:00'",
        rf"{bad}:4: value: expected a whole number, got 'many'",
    )


def test_oryx_a_log_that_does_not_start_at_zero_is_refused(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "log.csv",
        HEADER + "2022-03-01 10:00:00,Ukraine,tanks,destroyed,2\n"
        "2022-03-02 10:00:00,Ukraine,tanks,destroyed,-5\n",
    )
    refused(
        run(f"oryx-log {bad} --country Ukraine --category tanks"),
        rf"{bad}:3: value: the count falls below 0 \(-3\) \(.*first record.*\)",
    )


def test_oryx_filters_that_match_nothing_list_what_is_there() -> None:
    refused(
        run(f"oryx-log {LOG} --country Ukrain --category tanks"),
        rf"{LOG}: --country: no rows with 'Ukrain' \(did you mean 'Ukraine'\? "
        r"countries in the file: Russia, Ukraine\)",
    )
    refused(
        run(f"oryx-log {LOG} --country Ukraine --category drones"),
        rf"{LOG}: --category: no rows with 'drones' \(categories of Ukraine in the file: "
        r"tanks, towed artillery\)",
    )
    refused(
        run(f"oryx-log {LOG} --country Ukraine --category tanks --states destroyed,sunk"),
        rf"{LOG}: --states: no rows with 'sunk' \(states of this category in the file: "
        r"abandoned, captured, damaged, destroyed\)",
    )
    refused(
        run(f"oryx-log {LOG} --country Ukraine --category tanks --start 2023-01-01"),
        rf"{LOG}: --start/--end: no date from 2023-01-01 to the last \(the dates run from "
        r"2022-02-25 to 2022-04-20\)",
    )


def test_bad_files_and_options(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.csv"
    refused(
        run(f"oryx-log {missing} --country Ukraine --category tanks"),
        rf"{missing}: cannot read \(No such file or directory\)",
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "2022-02-24,Ukraïne,tanks,lost,1\n".encode("latin-1"))
    refused(
        run(f"oryx-log {latin} --country Ukraine --category tanks"),
        rf"{latin}:2: not UTF-8 text \(save the file as UTF-8 CSV\)",
    )
    other = write(tmp_path / "other.csv", "date,what\n2022-01-01,1\n")
    refused(
        run(f"oryx-log {other} --country Ukraine --category tanks"),
        rf"{other}:1: no column 'timestamp', 'country', 'category', 'state', 'value' in the "
        r"header \(expected columns timestamp,.*; the header has: date, what\)",
    )
    empty = write(tmp_path / "empty.csv", "\n")
    refused(
        run(f"oryx-log {empty} --country Ukraine --category tanks"),
        rf"{empty}: the file is empty \(expected .*\)",
    )
    refused(
        run(f"oryx-log {LOG} --country Ukraine --category tanks --holder 'Armed Forces'"),
        rf"{LOG}: --holder: 'Armed Forces' is not an id \(.*: armed_forces\)",
    )
    out = tmp_path / "fragment.yaml"
    refused(
        run(f"oryx-log {LOG} --country Ukraine --category tanks --out {out}"),
        rf"Error: {out}: this output is written to a .csv file \(name it so\)",
    )
    assert not out.exists()


def test_a_refusal_writes_no_csv(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = run(f"oryx-log {LOG} --country Ukraine --category jets --out {out}")
    assert result.exit_code == 2 and not out.exists() and list(tmp_path.iterdir()) == []


def test_import_usage() -> None:
    listed = CliRunner().invoke(main, ["import", "--help"])
    assert listed.exit_code == 0
    assert all(name in listed.stdout for name in ("oryx-log", "kiel", "drawdowns"))
    unknown = CliRunner().invoke(main, ["import", "sipri", "x.csv"])
    assert unknown.exit_code == 2 and len(unknown.stderr.splitlines()) == 1
    assert "No such command 'sipri'" in unknown.stderr
    no_share = CliRunner().invoke(main, ["import", "drawdowns", str(NOTICES), "--item", "x"])
    assert no_share.exit_code == 2 and "--share" in no_share.stderr


# kiel: weapons.csv ------------------------------------------------------------------------------


def weapons_of(donor: str, text: str) -> dict[str, int]:
    """The donor's weapons whose name holds ``text``, read here from ``weapons_list``."""
    found = {}
    with WEAPONS.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["donor"] != donor:
                continue
            for entry in row["weapons_list"].split("; "):
                name, _, count = entry.rpartition(" (")
                if text.lower() in name.lower():
                    found[name] = int(count.rstrip(")"))
    return found


@pytest.mark.parametrize(
    ("donor", "item"),
    [
        ("United States", "M777"),
        ("Germany", "howitzer"),
        ("Denmark", "leopard"),
        ("United Kingdom", "M109"),
    ],
)
def test_kiel_weapons_totals(donor: str, item: str) -> None:
    result = run(f"kiel {WEAPONS} --donor '{donor}' --item {item}")
    name, entry = only_entry(parsed(result), "observations")
    counted = weapons_of(donor, item)
    assert counted and name == f"kiel_{donor.lower().replace(' ', '_')}_{item.lower()}"
    assert (entry["of"], entry["bound"]) == ("sent", "at_most")
    # release_info.csv beside the file: Release 29, period 04/2026, so totals at 30 April 2026
    assert entry["values"] == {dt.date(2026, 4, 30): sum(counted.values())}
    assert "Release 29 (04/2026)" in entry["source"]
    assert all(f"{n} ({c})" in entry["source"] for n, c in counted.items())


def test_kiel_us_m777_is_the_published_figure() -> None:
    """The tracker lists the US as "M777 (183)" (public figures: corrections)."""
    name, entry = imported(f"kiel {WEAPONS} --donor 'united states' --item m777 --holder us")
    assert name == "kiel_us_m777" and entry["values"] == {dt.date(2026, 4, 30): 183}


def test_kiel_weapons_needs_a_date_and_gives_no_tranches(tmp_path: Path) -> None:
    alone = shutil.copy(WEAPONS, tmp_path / "weapons.csv")
    refused(
        run(f"kiel {alone} --donor Canada --item M777"),
        rf"{alone}: --date: weapons.csv has no date of its own \(give --date .*\)",
    )
    dated = imported(f"kiel {alone} --donor Canada --item M777 --date 2025-12-31")[1]
    assert dated["values"] == {dt.date(2025, 12, 31): 4}
    refused(
        run(f"kiel {WEAPONS} --donor Canada --item M777 --as deliveries"),
        rf"{WEAPONS}: --as: weapons.csv has totals without dates: no tranches \(.*\)",
    )


def test_kiel_weapons_bad_rows_and_filters(tmp_path: Path) -> None:
    shutil.copy(DATA / "kiel" / "release_info.csv", tmp_path / "release_info.csv")
    lines = WEAPONS.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace("M777 howitzer (4)", "M777 howitzer (5)")  # Canada, Howitzers
    lines[6] = lines[6].replace("(8)", "eight")  # Canada, Tanks
    bad = tmp_path / "weapons.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    refused(
        run(f"kiel {bad} --donor Canada --item M777"),
        rf"{bad}:6: number_of_weapons: is '4', but weapons_list adds up to 5",
        rf"{bad}:7: weapons_list: cannot read .* \(entries are 'name \(count\)' .*\)",
    )
    refused(
        run(f"kiel {WEAPONS} --donor Canad --item M777"),
        rf"{WEAPONS}: --donor: no rows with 'Canad' \(did you mean 'Canada'\? donors in the "
        r"file: Australia, Belgium, .*\)",
    )
    refused(
        run(f"kiel {WEAPONS} --donor Canada --item Abrams"),
        rf"{WEAPONS}: --item: no rows with 'Abrams' \(weapons of Canada in the file: "
        r"Leopard-2A4, M777 howitzer, National Advanced .*\)",
    )


# kiel: the release workbook ---------------------------------------------------------------------

COLUMNS = ["ID", "donor", "aid_type_general", "measure", "announcement_date", "item_type", "item",
           "item_numb", "item_numb_deliv", "tot_sub_activity_value_EUR"]  # fmt: skip
M777 = "M777 howitzer"
US = "United States"


def row(n: int, donor: str, day: dt.datetime | None, item: str, count: Any,
        measure: str = "Allocation") -> list[Any]:  # fmt: skip
    """A sheet row in the order of COLUMNS (the euros and the delivered count are not read)."""
    return [n, donor, "Military", measure, day, "Heavy weapon", item, count, None, 1e7]


# US M777 announcements as reported (public figures: 18 + 72 = 90 by 21 Apr 2022, +18, +18, +16;
# 142 by Nov 2022), two rows on one day, a 105mm tranche and other donors' rows around them.
ROWS: list[list[Any]] = [
    row(1, US, dt.datetime(2022, 4, 13), M777, 18),
    row(2, US, dt.datetime(2022, 4, 21), M777, 40),
    row(3, US, dt.datetime(2022, 4, 21), M777, 32),
    row(4, US, dt.datetime(2022, 5, 19), M777, 18),
    row(5, US, dt.datetime(2022, 6, 15), M777, 18),
    row(6, US, dt.datetime(2022, 8, 19), "105mm howitzer", 16),
    row(7, US, dt.datetime(2022, 10, 4), M777, 16.0),
    row(8, "Germany", dt.datetime(2022, 6, 21), "Panzerhaubitze 2000", 7),
    [9, US, "Financial", "Commitment", dt.datetime(2022, 5, 21), ".", ".", None, None, 4e10],
    row(10, US, None, M777, 6),  # no date: skipped
]


def workbook(path: Path, rows: list[list[Any]], sheet: str = SHEET) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Read me"  # type: ignore[union-attr]
    data = book.create_sheet(sheet)
    data.append(COLUMNS)
    for row in rows:
        data.append(row)
    book.save(path)
    return path


def sheet_sums(rows: list[list[Any]], item: str) -> dict[dt.date, float]:
    sums: dict[dt.date, float] = {}
    for row in rows:
        if row[1] == "United States" and item in str(row[6]) and row[4] and row[7] is not None:
            sums[row[4].date()] = sums.get(row[4].date(), 0) + row[7]
    return sums


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return workbook(tmp_path / "Ukraine_Support_Tracker.xlsx", ROWS)


def test_kiel_workbook_tranches(book: Path) -> None:
    result = run(f"kiel {book} --donor 'United States' --item m777 --as deliveries --holder us")
    name, entry = only_entry(parsed(result), "donations")
    assert name == "kiel_us_m777_tranches"
    assert (entry["from"], entry["to"], entry["item"]) == ("us", "ukraine", "m777")
    expected = sheet_sums(ROWS, M777)
    assert entry["deliveries"] == expected
    assert entry["deliveries"] == {
        dt.date(2022, 4, 13): 18,
        dt.date(2022, 4, 21): 72,
        dt.date(2022, 5, 19): 18,
        dt.date(2022, 6, 15): 18,
        dt.date(2022, 10, 4): 16,
    }
    assert sum(entry["deliveries"].values()) == 142  # the NYT's count by Nov 2022
    assert "dates are announcements, not deliveries" in result.stdout
    assert "2022-04-21: 72  # rows 3, 4" in result.stdout  # sheet rows (row 1 is the header)
    assert "row(s) of 'm777' without an announcement_date" in result.stderr
    assert "rows 11" in result.stderr


def test_kiel_workbook_observations(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "m777_sent.csv"
    result = run(f"kiel {book} --donor 'United States' --item M777 --out {out}")
    _, entry = only_entry(parsed(result), "observations")
    assert (entry["of"], entry["bound"], entry["values"]) == ("sent", "at_most", {"file": str(out)})
    running, total = {}, 0.0
    for day, count in sorted(sheet_sums(ROWS, M777).items()):
        total += count
        running[day.isoformat()] = str(int(total))
    with out.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows == [["date", "value"], *map(list, running.items())]
    assert rows[-1] == ["2022-10-04", "142"]


def test_kiel_workbook_measures(tmp_path: Path) -> None:
    rows = [*ROWS, row(11, US, dt.datetime(2022, 4, 1), M777, 200, measure="Commitment")]
    path = workbook(tmp_path / "mixed.xlsx", rows)
    refused(
        run(f"kiel {path} --donor 'United States' --item M777"),
        rf"{path}: --measure: the rows of 'M777' mix Allocation, Commitment \(choose one .*\)",
    )
    entry = imported(f"kiel {path} --donor 'United States' --item M777 --measure commitment")[1]
    assert entry["values"] == {dt.date(2022, 4, 1): 200}
    refused(
        run(f"kiel {path} --donor 'United States' --item M777 --measure pledge"),
        rf"{path}: --measure: no rows with 'pledge' \(measures of 'M777' in the file: "
        r"Allocation, Commitment\)",
    )


def test_kiel_workbook_bad_cells_are_located(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][4] = "21 April"  # sheet row 3
    rows[3][7] = "many"  # sheet row 5
    path = workbook(tmp_path / "bad.xlsx", rows)
    refused(
        run(f"kiel {path} --donor 'United States' --item M777"),
        rf"{path}:3: announcement_date: expected a date, got '21 April'",
        rf"{path}:5: item_numb: expected a number of items, got 'many'",
    )


def test_kiel_workbook_layout_problems(tmp_path: Path) -> None:
    other = workbook(tmp_path / "other.xlsx", ROWS, sheet="Country Summary (€)")
    refused(
        run(f"kiel {other} --donor 'United States' --item M777"),
        rf"{other}: no sheet 'Bilateral Assistance, MAIN DATA' \(the sheets are: Read me, "
        r"Country Summary \(€\)\)",
    )
    fake = write(tmp_path / "fake.xlsx", "donor,item\n")
    refused(
        run(f"kiel {fake} --donor 'United States' --item M777"),
        rf"{fake}: not a readable Excel workbook \(\w+\)",
    )
    text = write(tmp_path / "tracker.txt", "x")
    refused(
        run(f"kiel {text} --donor 'United States' --item M777"),
        rf"{text}: not a Kiel tracker file I can read \(.*\)",
    )
    book = workbook(tmp_path / "book.xlsx", ROWS)
    refused(
        run(f"kiel {book} --donor 'United States' --item Abrams"),
        rf"{book}: --item: no rows with 'Abrams' \(items of United States in the file: "
        r"105mm howitzer, M777 howitzer\)",
    )


# drawdowns --------------------------------------------------------------------------------------


def notices(kind: str = "Presidential Document") -> Iterator[tuple[dt.date, float]]:
    """(date, dollars) of each notice of ``kind`` that names an amount: its largest, read here."""
    scale = {"million": 1e6, "billion": 1e9}
    with NOTICES.open(newline="", encoding="utf-8") as file:
        for row in csv.reader(file, delimiter="\t"):
            amounts = [
                float(a.split()[0][1:]) * scale[a.split()[1]] for a in row[3:] if a != "undefined"
            ]
            if row[1] == kind and amounts:
                yield dt.date.fromisoformat(row[0]), max(amounts)


def dollars(text: str) -> float:
    amount = parse_amount(text)
    assert isinstance(amount, Money) and amount.currency == "USD"
    return amount.amount.mean


@pytest.mark.parametrize("share", ["30%", "0.125", "1"])
def test_drawdown_tranches_are_the_share_of_each_package(share: str) -> None:
    fraction = float(share.rstrip("%")) / (100 if share.endswith("%") else 1)
    result = run(f"drawdowns {NOTICES} --share {share} --item shell_155")
    name, entry = only_entry(parsed(result), "donations")
    assert name == "pda_shell_155"
    assert list(entry) == ["from", "to", "item", "deliveries"]
    assert (entry["from"], entry["to"], entry["item"]) == ("us", "ukraine", "shell_155")
    expected: dict[dt.date, float] = {}
    for day, amount in notices():
        expected[day] = expected.get(day, 0.0) + fraction * amount
    got = {day: dollars(text) for day, text in entry["deliveries"].items()}
    assert got.keys() == expected.keys()
    assert all(got[d] == pytest.approx(expected[d], rel=1e-12) for d in expected)


def test_drawdowns_reproduce_the_published_figures() -> None:
    """$675M on 8 Sep 2022; the notices of May-Aug 2024 total ~$1.6B (public figures)."""
    result = run(
        f"drawdowns {NOTICES} --share 100% --item all_items --start 2024-05-01 --end 2024-08-31"
    )
    tranches = only_entry(parsed(result), "donations")[1]["deliveries"]
    assert sum(dollars(t) for t in tranches.values()) == pytest.approx(1.625e9)
    assert len(tranches) == 8
    one = run(f"drawdowns {NOTICES} --share 30% --item shell_155")
    assert "      2022-09-08: $202.5M  # 30% of $675M (2022-20112)\n" in one.stdout
    # the largest figure a document names is its package: $350M on 25 Feb 2022, not $250M
    names = "it names $250 million, $350 million"
    assert f"2022-02-25: $105M  # 30% of $350M (2022-05615; {names})" in one.stdout


def test_drawdowns_types_and_undated_amounts(tmp_path: Path) -> None:
    result = run(
        f"drawdowns {NOTICES} --share 1 --item x --type all --start 2022-04-01 --end 2022-04-30"
    )
    tranches = only_entry(parsed(result), "donations")[1]["deliveries"]
    assert dt.date(2022, 4, 18) in tranches  # a Notice, read with --type all
    assert "1 notice(s) without an amount were skipped (lines 10)" in result.stderr
    notice = run(f"drawdowns {NOTICES} --share 1 --item x --type notice")
    days = only_entry(parsed(notice), "donations")[1]["deliveries"]
    assert list(days) == sorted({d for d, _ in notices("Notice")})
    refused(
        run(f"drawdowns {NOTICES} --share 1 --item x --type Memo"),
        rf"{NOTICES}: --type: no rows with 'Memo' \(document types in the file: Notice, "
        r"Presidential Document\)",
    )


def test_drawdowns_csv_output(tmp_path: Path) -> None:
    out = tmp_path / "pda.csv"
    result = run(
        f"drawdowns {NOTICES} --share 50% --item shell_155 --end 2022-03-31 --start 2022-01-01 "
        f"--out {out}"
    )
    entry = only_entry(parsed(result), "donations")[1]
    assert entry["deliveries"] == {"file": str(out)}
    assert out.read_text() == (
        "date,quantity\n2022-02-25,$175M\n2022-03-12,$100M\n2022-03-16,$400M\n"
    )


def test_drawdowns_bad_files_and_shares(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "notices.csv",
        "2022-09-08\tPresidential Document\thttps://x/2022-20112.txt\t$675 million\n"
        "2022-09-3x\tPresidential Document\thttps://x/2.txt\t$1 billion\n"
        "2022-10-04\tPresidential Document\thttps://x/3.txt\tsix hundred\n"
        "2022-10-14\tPresidential Document\n",
    )
    refused(
        run(f"drawdowns {bad} --share 30% --item x"),
        rf"{bad}:2: date: expected a date such as 2022-04-21, got '2022-09-3x'",
        rf"{bad}:3: amount: cannot read 'six hundred' as an amount \(.*\)",
        rf"{bad}:4: 2 field\(s\) \(expected tab-separated date, .*\)",
    )
    for share, message in [
        ("150%", r"--share: must be above 0 and at most 100%, got 1.5"),
        ("0", r"--share: must be above 0 and at most 100%, got 0"),
    ]:
        refused(run(f"drawdowns {NOTICES} --share {share} --item x"), rf"{NOTICES}: {message}")
    refused(
        run(f"drawdowns {NOTICES} --share 'a third' --item x"),
        r"Error: --share: cannot read 'a third' as a fraction \(a share such as 30% or 0.3\)",
    )


# the fragments in a scenario --------------------------------------------------------------------

BASE = """\
name: imported tranches
start: 2022-02-24
end: 2023-02-24
items:
  shell_155: {unit: rounds, unit_cost: 5000}
  m777: {unit: systems}
holders:
  us: {stock: {shell_155: 10M, m777: 1000}}
  ukraine: {}
"""


def test_imported_tranches_load_and_ship_in_a_scenario(tmp_path: Path, book: Path) -> None:
    """Deliveries fragments are scenario text as they are: loaded, run, and the total shipped is
    the share of the packages at the item's price, and the tracker's 142 guns."""
    pda = run(
        f"drawdowns {NOTICES} --share 30% --item shell_155 --start 2022-02-24 --end 2023-02-24"
    )
    guns = run(f"kiel {book} --donor 'United States' --item M777 --as deliveries --holder us")
    assert pda.exit_code == 0 and guns.exit_code == 0
    both = pda.stdout + "".join(guns.stdout.partition("donations:\n")[2:])
    scenario = sim.load_scenario(write(tmp_path / "s.yaml", BASE + both))
    sent = sim.run(scenario, deterministic=True).dataset.sent.isel(run=0, time=-1)
    packages = sum(d for day, d in notices() if dt.date(2022, 2, 24) <= day <= dt.date(2023, 2, 24))
    assert float(sent.sel(holder="us", item="shell_155")) == pytest.approx(0.3 * packages / 5000)
    assert float(sent.sel(holder="us", item="m777")) == 142


# the docs ---------------------------------------------------------------------------------------

DOC_COMMANDS = [
    f"oryx-log {LOG} --country Ukraine --category 'towed artillery' --end 2022-04-19",
    f"kiel {WEAPONS} --donor 'United States' --item M777 --holder us",
    f"drawdowns {NOTICES} --share 30% --item shell_155 --start 2022-02-24",
]


def test_the_examples_in_the_docs_are_the_output() -> None:
    """Every line of docs/imports.md's YAML examples (but the elided ones) is printed by the
    command the section shows, on the committed excerpts."""
    doc = (DATA.parents[2] / "docs" / "imports.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.DOTALL)
    assert len(blocks) == len(DOC_COMMANDS)
    for block, command in zip(blocks, DOC_COMMANDS, strict=True):
        printed = run(command).stdout.replace(LOG.name, "log.csv").splitlines()
        for line in block.splitlines():
            if "..." not in line:
                assert line in printed, line


# the fragments themselves -----------------------------------------------------------------------


def test_names_from_a_file_cannot_break_the_yaml(tmp_path: Path) -> None:
    """A name holding a line break or a character YAML refuses stays inside its comment or its
    quoted source."""
    shutil.copy(DATA / "kiel" / "release_info.csv", tmp_path / "release_info.csv")
    odd = 'M777\nhowitzer: "x" \x85#'
    written = odd.replace('"', '""')  # as CSV writes it inside a quoted field
    text = WEAPONS.read_text(encoding="utf-8").replace("M777 howitzer (4)", f"{written} (4)")
    weapons = write(tmp_path / "weapons.csv", text)
    entry = imported(f"kiel {weapons} --donor Canada --item m777")[1]  # fmt: skip
    assert entry["values"] == {dt.date(2026, 4, 30): 4}
    assert f"{odd} (4)" in entry["source"]
    refused(run(f"kiel {weapons} --donor Canada --item ' '"),
            rf"{weapons}: --item: is empty \(.*\)")  # fmt: skip


@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(STATES), st.integers(-3, 9)),
                min_size=1, max_size=40))  # fmt: skip
def test_oryx_running_sums_of_any_log(changes: list[tuple[int, str, int]]) -> None:
    """Any log whose count never falls below 0: the importer's values are the running sums."""
    day, lines, total, expected = dt.date(2022, 2, 24), [HEADER], 0, {}
    for step, (gap, state, value) in enumerate(changes):
        value = max(value, -total)  # a log starts from zero and never goes below it
        total += value
        day += dt.timedelta(days=gap)
        lines.append(f"{day} {step // 60:02d}:{step % 60:02d}:00,Ukraine,tanks,{state},{value}\n")
        expected[day] = total
    with tempfile.TemporaryDirectory() as folder:
        log = write(Path(folder) / "log.csv", "".join(lines))
        fragment = oryx.observations(log, "Ukraine", "tanks").fragment
    assert {p.day: int(p.text) for p in fragment.points} == expected


@given(st.floats(1e-2, 1e13, allow_nan=False))
def test_money_is_written_as_the_grammar_reads_it(amount: float) -> None:
    assert dollars(money(amount)) == pytest.approx(amount, rel=1e-9)


def test_kiel_main_data_saved_as_csv(tmp_path: Path, book: Path) -> None:
    """The sheet saved as CSV reads as the workbook does, lines for rows."""
    saved = tmp_path / "main_data.csv"
    with saved.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(
            [COLUMNS, *([*r[:4], r[4] and r[4].date(), *r[5:]] for r in ROWS)]
        )
    command = "--donor 'United States' --item m777 --as deliveries --start 2022-05-01"
    from_csv = imported(f"kiel {saved} {command}", "donations")[1]
    assert from_csv == imported(f"kiel {book} {command}", "donations")[1]
    assert list(from_csv["deliveries"]) == [dt.date(2022, 5, 19), dt.date(2022, 6, 15),
                                            dt.date(2022, 10, 4)]  # fmt: skip


def test_options_name_the_scenario_ids() -> None:
    name, entry = imported(f"drawdowns {NOTICES} --share 1 --item shell --holder usa --to ua "
                           "--id pda --start 2022-09-08 --end 2022-09-08", "donations")  # fmt: skip
    assert name == "pda" and (entry["from"], entry["to"], entry["item"]) == ("usa", "ua", "shell")
    assert entry["deliveries"] == {dt.date(2022, 9, 8): "$675M"}


def test_many_problems_are_cut_short(tmp_path: Path) -> None:
    bad = write(tmp_path / "log.csv", HEADER + "2022-02-24,Ukraine,tanks,destroyed,x\n" * 60)
    result = run(f"oryx-log {bad} --country Ukraine --category tanks")
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 51
    assert lines[49] == f"{bad}:51: value: expected a whole number, got 'x'"
    assert lines[50] == f"{bad}: ... and 10 more problems"


def test_out_in_a_missing_folder(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such.csv"
    result = run(f"oryx-log {LOG} --country Russia --category tanks --out {out} --end 2022-03-01")
    assert result.exit_code == 2 and result.stdout == "" and not out.parent.exists()
    assert (
        result.stderr == f"Error: {out}: the folder {out.parent} does not exist (create it first)\n"
    )


def test_what_is_not_a_file(tmp_path: Path) -> None:
    refused(run(f"oryx-log {tmp_path} --country Ukraine --category tanks"),
            rf"{tmp_path}: not a file \(give a CSV file or a workbook\)")  # fmt: skip
    missing = tmp_path / "gone.xlsx"
    refused(run(f"kiel {missing} --donor Canada --item M777"),
            rf"{missing}: cannot read \(No such file or directory\)")  # fmt: skip
    huge = write(tmp_path / "log.csv", HEADER + "2022-02-24,Ukraine,tanks,destroyed,1e20\n"
                 "2022-02-24,Ukraine,tanks,destroyed,99999999999999999\n")  # fmt: skip
    refused(run(f"oryx-log {huge} --country Ukraine --category tanks"),
            rf"{huge}:2: value: expected a whole number, got '1e20'",
            rf"{huge}:3: value: 99999999999999999 is too large \(at most 1e\+15\)")  # fmt: skip


def test_every_other_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quote = write(tmp_path / "quote.csv", HEADER + '2022-02-24,"Ukraine"x,tanks,destroyed,1\n')
    refused(run(f"oryx-log {quote} --country Ukraine --category tanks"),
            rf"{quote}:2: not a readable CSV record \(.*\)")  # fmt: skip
    old = write(tmp_path / "old.csv", HEADER + "1500-02-24 10:00:00,Ukraine,tanks,destroyed,1\n")
    refused(run(f"oryx-log {old} --country Ukraine --category tanks"),
            rf"{old}:2: timestamp: 1500-02-24 is outside 1583-01-01 to 9999-12-31")  # fmt: skip
    monkeypatch.setattr("sim.imports.common.MAX_IMPORT_BYTES", 1000)
    refused(run(f"oryx-log {LOG} --country Ukraine --category tanks"),
            rf"{LOG}: larger than 0 MB")  # fmt: skip


def test_every_other_kiel_refusal(tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    shutil.copy(WEAPONS, folder / "weapons.csv")
    write(folder / "release_info.csv", '"release","period","date","label"\n"30","spring","",""\n')
    refused(run(f"kiel {folder / 'weapons.csv'} --donor Canada --item M777"),
            rf"{folder / 'release_info.csv'}:2: period: expected a period such as 04/2026 "
            r"\(or give --date\)")  # fmt: skip
    empty = workbook(tmp_path / "empty.xlsx", [])
    from openpyxl import load_workbook

    book = load_workbook(empty)
    book[SHEET].delete_rows(1)
    book.save(empty)
    refused(run(f"kiel {empty} --donor Canada --item M777"),
            rf"{empty}: the sheet 'Bilateral Assistance, MAIN DATA' is empty")  # fmt: skip
    undated = workbook(tmp_path / "undated.xlsx", [row(1, US, None, M777, 18)])
    refused(run(f"kiel {undated} --donor 'United States' --item M777"),
            rf"{undated}: --item: no row of 'M777' has both a date and a count \(rows without "
            r"one: 2\)")  # fmt: skip
    refused(run(f"kiel {undated} --donor 'United States' --item M777 --measure Allocation "
                "--start 2030-01-01"),
            rf"{undated}: --item: no row of 'M777' has both a date and a count .*")  # fmt: skip
    saved = write(tmp_path / "main.csv", "donor,announcement_date,item,item_numb\n"
                  "United States,2022-04-21,M777 howitzer,72\n")  # fmt: skip
    refused(run(f"kiel {saved} --donor 'United States' --item M777 --measure Allocation"),
            rf"{saved}:1: no column 'measure' in the file \(the header has: donor, "
            r"announcement_date, item, item_numb\)")  # fmt: skip
    dated = imported(f"kiel {saved} --donor 'United States' --item M777 --as deliveries",
                     "donations")[1]  # fmt: skip
    assert dated["deliveries"] == {dt.date(2022, 4, 21): 72}


def test_every_other_drawdowns_refusal(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.csv", "\n")
    refused(run(f"drawdowns {empty} --share 1 --item x"),
            rf"{empty}: no notices in the file \(expected tab-separated .*\)")  # fmt: skip
    refused(run(f"drawdowns {NOTICES} --share 1 --item x --type all --start 2022-04-15 "
                "--end 2022-04-15"),
            rf"{NOTICES}: no notice in the selection names an amount")  # fmt: skip
