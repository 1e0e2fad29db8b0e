"""What `stockpile run` prints: the whole summary table, clipped draws, the time it took."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

LONG = """\
name: A scenario whose ids are long
start: 2024-01-01
horizon: 26w
items: {a_very_long_item_identifier_for_shells: {unit: rounds}}
holders:
  a_donor_holder_with_a_long_identifier: {stock: {a_very_long_item_identifier_for_shells: 1k}}
  a_receiving_holder_with_a_long_identifier: {}
donations:
  a_pledge_with_a_long_identifier_too:
    from: a_donor_holder_with_a_long_identifier
    to: a_receiving_holder_with_a_long_identifier
    item: a_very_long_item_identifier_for_shells
    pledge: 500 to 2000
    max_rate: 50/w
"""


def run(tmp_path: Path, text: str) -> str:
    (tmp_path / "s.yaml").write_text(text)
    args = ["run", str(tmp_path / "s.yaml"), "--runs", "50", "--no-charts",
            "--out", str(tmp_path / "out")]  # fmt: skip
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    return done.output


def test_the_table_is_never_cut(tmp_path: Path) -> None:
    output = run(tmp_path, LONG)
    assert "…" not in output
    for text in ("a_receiving_holder_with_a_long_identifier",
                 "pledge_fulfilled_at:a_pledge_with_a_long_identifier_too",
                 "a_very_long_item_identifier_for_shells"):  # fmt: skip
        assert text in output


@pytest.mark.slow
def test_clipped_draws_are_reported_on_screen(tmp_path: Path) -> None:
    output = run(tmp_path, LONG)  # "500 to 2000" is lognormal: no clip
    assert "note: draws clipped" not in output
    output = run(tmp_path, LONG.replace("pledge: 500 to 2000", "pledge: normal(100, 200)"))
    assert "note: draws clipped to their field's valid range: " in output
    assert "donations.a_pledge_with_a_long_identifier_too.pledge (" in output


def test_the_time_printed_is_the_whole_command(tmp_path: Path) -> None:
    last = run(tmp_path, LONG).strip().splitlines()[-1]
    assert last.startswith("Wrote ") and last.endswith(" s in all)")


RARE = """\
name: A depletion that happens in few runs
start: 2024-01-01
horizon: 20w
items: {shell: {unit: rounds}}
holders:
  army: {stock: {shell: 'normal(1000, 100)'}, floor: {shell: 10}}
consumption:
  fire: {holder: army, item: shell, rate: 6/d}
"""


def test_a_rare_events_mean_date_is_not_printed(tmp_path: Path) -> None:
    """6 a day over 140 days is 840: the stock (1000, sd 100) hits its floor of 10 in the few
    runs that start below 850, about 7% (the normal's tail beyond 1.5 sd)."""
    from sim.cli.run import MEAN_DATE_FROM

    output = run(tmp_path, RARE)
    row = next(line for line in output.splitlines() if "depleted_at" in line)
    cells = re.split(r"\s{2,}", row.strip())  # columns: two spaces or more apart
    assert cells[:4] == ["depleted_at", "after end", "after end", "after end"]
    [chance] = cells[4:]  # and no mean date between p90 and the chance
    assert 0 < int(chance.rstrip("%")) / 100 < MEAN_DATE_FROM
