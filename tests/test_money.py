"""Money: prices, amounts in money converted at the price of the day, values of stocks and flows.

Every expectation is computed here from the rules in docs/model.md (exact arithmetic or a
closed form), never read back from the engine.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.cli.run import summary_table
from sim.distributions import Fixed
from sim.engine import ChunkResult, simulate_chunk
from sim.errors import ScenarioError
from sim.flows import BY_NAME, FLOWS, LEVELS, VALUES, value_name
from sim.processes.prices import Funded, PricePath
from sim.processes.schedule import DrawnSchedule
from sim.scenario import load_scenario_text
from sim.scenario.model import DAYS_PER_YEAR, Money, Rate
from sim.scenario.values import GrammarError, parse_amount, parse_rate, split_currency
from sim.values import value_block

HEAD = """\
name: money
start: 2022-01-01
horizon: 1y
report_every: 1w
"""


def chunk(text: str, runs: int = 1, seed: int = 0, deterministic: bool = True) -> ChunkResult:
    """One chunk in float64 (the engine's own arithmetic, no float32 storage)."""
    scenario = load_scenario_text(HEAD + text)
    return simulate_chunk(scenario, runs, np.random.SeedSequence(seed), deterministic=deterministic)


def series(result: ChunkResult, name: str, holder: str, item: str) -> np.ndarray:
    """``(runs, T)`` of a level, flow or value of one cell."""
    h, i = result.holders.index(holder), result.items.index(item)
    if name in VALUES:
        return value_block(result, name, h, i)
    flat = h * len(result.items) + i
    rows = np.flatnonzero(result.columns[name] == flat)
    if rows.size == 0:
        return np.zeros((result.runs, len(result.report_days)))
    return np.asarray(result.slabs[name][result.slots[name][:, rows[0]]].T, dtype=np.float64)


# -- the grammar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$675M", Money(Fixed(675e6), "USD")),
        ("US$ 1.2B", Money(Fixed(1.2e9), "USD")),
        ("€500M", Money(Fixed(500e6), "EUR")),
        ("675M USD", Money(Fixed(675e6), "USD")),
        ("£2k", Money(Fixed(2e3), "GBP")),
        (7000, Fixed(7000.0)),
        ("14.4k", Fixed(14400.0)),
    ],
)
def test_amounts_in_units_or_money(raw: object, expected: object) -> None:
    assert parse_amount(raw) == expected


def test_money_distributions_and_rates() -> None:
    assert split_currency("$600M to $750M") == ("600M to 750M", "USD")
    money = parse_amount("$600M to $750M")
    assert isinstance(money, Money) and money.amount.quantile(0.05) == pytest.approx(600e6)
    assert parse_rate("$1.2B/y", money=True) == Rate(Fixed(1.2e9), DAYS_PER_YEAR, "USD")
    assert parse_rate("14.4k/mo", money=True).currency == ""


def test_money_where_it_is_not_accepted_says_so() -> None:
    with pytest.raises(GrammarError, match="an amount in money is not accepted here"):
        parse_rate("$1.2B/y")  # a rate whose field takes no money (attrition's fraction...)
    with pytest.raises(GrammarError, match="more than one currency"):
        parse_amount("$1M to €2M")


# -- conversion at the price of the day ----------------------------------------------------------


def test_a_675m_tranche_at_a_1m_unit_price_ships_675() -> None:
    result = chunk("""\
items: {gun: {unit: systems, unit_cost: 1M}}
holders: {us: {stock: {gun: 1000}}, ua: {}}
donations:
  pda: {from: us, to: ua, item: gun, deliveries: {2022-09-08: $675M}}
""")
    assert series(result, "sent", "us", "gun")[0, -1] == 675.0
    assert series(result, "sent_value", "us", "gun")[0, -1] == 675e6


def test_a_tranche_buys_at_the_price_on_its_day_in_every_run() -> None:
    # the price rises linearly from 1M to 2M over 2022; a $675M tranche on 2022-07-02 (day 182)
    result = chunk(
        """\
items: {gun: {unit: systems, unit_cost: {2022-01-01: 0.8M to 1.2M, 2023-01-01: 2M}}}
holders: {us: {stock: {gun: 10k}}, ua: {}}
donations:
  pda: {from: us, to: ua, item: gun, deliveries: {2022-07-02: $675M}}
""",
        runs=50,
        deterministic=False,
    )
    price = result.prices["gun"]  # (T, runs) at the reported days: day 182 is week 26
    assert result.report_days[26] == 182.0
    sent = series(result, "sent", "us", "gun")[:, -1]
    np.testing.assert_allclose(sent * price[26], 675e6, rtol=1e-12)
    np.testing.assert_allclose(series(result, "sent_value", "us", "gun")[:, -1], 675e6, rtol=1e-12)
    w = 182 / 365
    start = price[0]  # the drawn price on start
    np.testing.assert_allclose(price[26], (1 - w) * start + w * 2e6, rtol=1e-12)


def test_a_funded_line_under_escalation_makes_the_closed_form() -> None:
    # B per day at p0 escalating by g a year: B*y/(p0*ln(1+g)) * (1 - (1+g)^(-t/y)) units by t
    result = chunk("""\
items: {shell: {unit: rounds, unit_cost: 2500, escalation: 4%/y}}
holders: {us: {}}
production:
  line: {item: shell, to: us, rate: $1.5B/y}
""")
    b, y, p0, g = 1.5e9 / DAYS_PER_YEAR, DAYS_PER_YEAR, 2500.0, 0.04
    t = np.floor(result.report_days / 7 + 1e-9) * 7  # the weekly credit last made by each time
    closed = b * y / (p0 * math.log1p(g)) * (1 - (1 + g) ** (-t / y))
    np.testing.assert_allclose(series(result, "produced", "us", "shell")[0], closed, rtol=1e-12)
    assert closed[-1] < 1.5e9 / p0  # escalation buys fewer shells than the money at p0


def test_a_funded_line_with_a_slip_and_a_price_ramp_matches_quadrature() -> None:
    """Kinks of the funds (moved per run by the slip) and of the price are integrated piece by
    piece: the units bought over a year equal a fine midpoint sum of funds / price."""
    funds = np.array([[1e6, 1e6], [3e6, 3e6]])  # per day, two runs
    slipped = np.array([[0.0, 0.0], [100.0, 137.3]])  # milestone days per run
    schedule = DrawnSchedule.build(slipped, funds, linear=False)
    price = PricePath(np.array([0.0, 200.0]), np.array([[1e3, 1e3], [3e3, 2e3]]),
                      np.full(2, math.log1p(0.1) / DAYS_PER_YEAR))  # fmt: skip
    stepper = Funded(schedule, price, 0.0)
    bought = sum(stepper.step(float(d)) for d in np.arange(7.0, 365.0, 7.0))
    grid = (np.arange(364 * 400) + 0.5) / 400  # midpoints of 1/400-day steps
    for run in range(2):
        rate = np.where(grid < slipped[1, run], funds[0, run], funds[1, run])
        base = np.interp(grid, [0.0, 200.0], price.values[:, run])
        cost = base * np.exp(price.growth[run] * grid)
        assert bought[run] == pytest.approx(np.sum(rate / cost) / 400, rel=1e-6)


@pytest.mark.parametrize("every", [1.0, 7.0, 91.0, 365.25])
def test_funds_over_a_steep_price_ramp_match_adaptive_quadrature(every: float) -> None:
    """A ramp of funds (to day 50) over a price rising tenfold in 60 days, escalating 20% a
    year: the units bought by any action interval match scipy's adaptive quadrature."""
    from scipy import integrate

    schedule = DrawnSchedule.build(np.array([0.0, 50.0]), np.array([[1e6], [5e6]]), linear=True)
    growth = math.log1p(0.2) / DAYS_PER_YEAR
    price = PricePath(np.array([0.0, 60.0]), np.array([[1e3], [1e4]]), np.array([growth]))
    stepper = Funded(schedule, price)
    days = np.arange(every, 730.0 + 1e-9, every)
    bought = sum(float(stepper.step(float(d))[0]) for d in days)

    def units(t: float) -> float:
        funds = 1e6 + 4e6 * min(t, 50.0) / 50.0
        return funds / ((1e3 + 9e3 * min(t, 60.0) / 60.0) * math.exp(growth * t))

    pieces = [(0.0, 50.0), (50.0, 60.0), (60.0, float(days[-1]))]
    exact = sum(integrate.quad(units, a, b, epsabs=0, epsrel=1e-13, limit=200)[0]
                for a, b in pieces)  # fmt: skip
    assert bought == pytest.approx(exact, rel=1e-12)


def test_stock_floor_and_target_in_money_are_bought_at_the_price_on_start() -> None:
    result = chunk("""\
items: {shell: {unit: rounds, unit_cost: {2022-01-01: 2k, 2023-01-01: 8k}}}
holders: {us: {stock: {shell: $1B}, floor: {shell: $200M}, target: {shell: $1.2B}}}
""")
    assert series(result, "stock", "us", "shell")[0, 0] == 500_000.0
    assert result.floor[0, 0, 0] == 100_000.0 and result.target[0, 0, 0] == 600_000.0


def test_a_pledge_in_money_counts_each_shipment_at_its_price() -> None:
    # $10M pledged, at most 1000 rounds a week, price 2000 rising by 10 a day from day 0:
    # each week ships min(1000, what is left / price of the day)
    result = chunk("""\
items: {shell: {unit: rounds, unit_cost: {2022-01-01: 2k, 2023-01-01: 5650}}}
holders: {de: {stock: {shell: 100k}}, ua: {}}
donations:
  eu: {from: de, to: ua, item: shell, pledge: $10M, max_rate: 1000/w}
""")
    left, shipped, fulfilled = 10e6, [], None
    for day in np.arange(7.0, 366.0, 7.0):
        price = 2000 + 10 * day
        units = min(1000.0, left / price)
        shipped.append(units)
        left = max(left - units * price, 0.0)
        if left <= 1e-6 and fulfilled is None:
            fulfilled = day
    sent = series(result, "sent", "de", "shell")[0]
    np.testing.assert_allclose(sent[1 : len(shipped) + 1], np.cumsum(shipped), rtol=1e-12)
    assert result.pledge_fulfilled_at["eu"][0] == fulfilled
    assert result.pledge_total["eu"][0] == 10e6  # the total as pledged, in money


def test_a_cap_and_a_max_rate_in_money() -> None:
    # 1000 a week asked; the cap stops at $5M counted at each shipment's price (2000 + 10/d);
    # a pledge with max_rate $2M/w at a constant 2000 ships 1000 a week
    result = chunk("""\
items:
  shell: {unit: rounds, unit_cost: {2022-01-01: 2k, 2023-01-01: 5650}}
  gun: {unit: systems, unit_cost: 2000}
holders: {de: {stock: {shell: 100k, gun: 100k}}, ua: {}}
donations:
  aid: {from: de, to: ua, item: shell, rate: 1000/w, cap: $5M}
  guns: {from: de, to: ua, item: gun, pledge: 5000, max_rate: $2M/w}
""")
    left, total = 5e6, 0.0
    for day in np.arange(7.0, 366.0, 7.0):
        price = 2000 + 10 * day
        units = min(1000.0, left / price)
        total += units
        left -= units * price
    sent = series(result, "sent", "de", "shell")[0, -1]
    assert sent == pytest.approx(total, rel=1e-12)
    assert series(result, "sent_value", "de", "shell")[0, -1] == pytest.approx(5e6, rel=1e-12)
    guns = series(result, "sent", "de", "gun")[0, 1:7]
    np.testing.assert_allclose(guns, [1000, 2000, 3000, 4000, 5000, 5000], rtol=1e-12)


def test_rates_in_money_for_donations_consumption_and_losses() -> None:
    # constant price 500: $3.5M a week is 7000 a week; $1k/d of losses is 2 a day (Poisson
    # mean, deterministic); fires $0.5M/d is 1000 a day
    result = chunk("""\
items: {shell: {unit: rounds, unit_cost: 500}}
holders: {us: {stock: {shell: 1M}}, ua: {stock: {shell: 1M}}}
donations:
  aid: {from: us, to: ua, item: shell, rate: $3.5M/w}
attrition:
  depot: {holder: us, item: shell, losses: $1k/d}
consumption:
  fires: {holder: ua, item: shell, rate: $0.5M/d}
""")
    assert series(result, "sent", "us", "shell")[0, 1] == pytest.approx(7000.0, rel=1e-12)
    assert series(result, "lost", "us", "shell")[0, 1] == pytest.approx(14.0, rel=1e-12)
    assert series(result, "consumed", "ua", "shell")[0, 1] == pytest.approx(7000.0, rel=1e-12)


# -- values ---------------------------------------------------------------------------------------

PRICED = """\
items: {shell: {unit: rounds, unit_cost: {2022-01-01: 1k to 1.5k, 2022-07-01: 3k to 4k},
                escalation: 10%/y}}
holders: {us: {stock: {shell: 1M}, target: {shell: 1.1M}}, ua: {}}
production:
  line: {item: shell, to: us, rate: 2k/w}
donations:
  aid: {from: us, to: ua, item: shell, rate: 7k/w}
consumption:
  fires: {holder: ua, item: shell, rate: 500/d, every: 1w}
"""


def test_the_value_of_a_flow_is_units_times_the_price_of_each_action() -> None:
    # every action here is weekly, on a reported day: value += units moved x price that day
    result = chunk(PRICED, runs=30, deterministic=False)
    price = result.prices["shell"].T  # (runs, T)
    for holder, flow in (("us", "produced"), ("us", "sent"), ("ua", "received"),
                         ("ua", "consumed"), ("ua", "unmet")):  # fmt: skip
        units = np.diff(series(result, flow, holder, "shell"), axis=1)
        expected = np.cumsum(units * price[:, 1:], axis=1)
        value = series(result, value_name(flow), holder, "shell")
        assert value[:, 0].tolist() == [0.0] * 30
        np.testing.assert_allclose(value[:, 1:], expected, rtol=1e-12, atol=1e-6)


def test_the_price_path_is_the_schedule_times_escalation() -> None:
    # linear from the first milestone's value to the second's (day 181), then held; times
    # 1.1 ** (t / y)
    result = chunk(PRICED)
    days = result.report_days
    price = result.prices["shell"][:, 0]
    first, ramp = price[0], price[days <= 181.0]
    w = days[days <= 181.0] / 181.0
    growth = 1.1 ** (days / DAYS_PER_YEAR)
    last = price[-1] / growth[-1]
    np.testing.assert_allclose(ramp, ((1 - w) * first + w * last) * growth[: len(w)], rtol=1e-12)
    np.testing.assert_allclose(price[days >= 181.0] / growth[days >= 181.0], last, rtol=1e-12)


def test_replacement_cost_is_the_shortfall_below_target_at_the_price_of_the_day() -> None:
    result = chunk(PRICED, runs=20, deterministic=False)
    stock = series(result, "stock", "us", "shell")
    price = result.prices["shell"].T
    expected = np.maximum(1.1e6 - stock, 0.0) * price
    np.testing.assert_allclose(series(result, "replacement_cost", "us", "shell"), expected,
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(series(result, "stock_value", "us", "shell"), stock * price,
                               rtol=1e-12)  # fmt: skip
    assert series(result, "replacement_cost", "us", "shell")[:, 0].min() == pytest.approx(
        1e5 * price[:, 0].min()
    )


CONSTANT = """\
items:
  shell: {unit: rounds, unit_cost: 2k to 3k}
  charge: {unit: sets, unit_cost: 400}
  gun: {unit: systems, unit_cost: 4M}
holders:
  us: {stock: {shell: 50k to 80k, charge: 40k, gun: 300}, floor: {shell: 10k}}
  ua: {stock: {gun: 20}}
  hub: {}
production:
  plant: {item: shell, to: us, rate: 2k to 4k /mo, slip: 1 to 3 mo, inputs: {charge: 1},
          yield: 95%}
donations:
  aid: {from: us, to: ua, item: shell, rate: $30M/mo, transit: 'uniform(3, 20) d'}
  guns: {from: us, to: ua, item: gun, deliveries: {2022-03-01: $200M, 2022-06-01: 30}}
attrition:
  fire: {holder: ua, item: gun, rate: 33%/9mo, repairable: 60%, repair_time: 1 to 2 mo,
         repair_to: hub}
consumption:
  fires: {holder: ua, item: shell, rate: 200 to 400 /d}
"""


def test_with_constant_prices_values_balance_like_units() -> None:
    result = chunk(CONSTANT, runs=40, seed=3, deterministic=False)
    for holder in result.holders:
        for item in result.items:
            stock = series(result, "stock_value", holder, item)
            moved = sum(BY_NAME[f].sign * series(result, value_name(f), holder, item)
                        for f in FLOWS)  # fmt: skip
            scale = 1.0 + np.abs(stock).max()
            np.testing.assert_allclose(stock, stock[:, :1] + moved, atol=1e-9 * scale)
            assert np.abs(moved).max() >= 0.0


def test_every_level_and_flow_has_a_value_and_unpriced_items_have_none() -> None:
    scenario = load_scenario_text(HEAD + CONSTANT.replace("  charge: {unit: sets, unit_cost: 400}",
                                                          "  charge: {unit: sets}"))  # fmt: skip
    dataset = sim.run(scenario, runs=20, seed=1).dataset
    for name in (*LEVELS, *FLOWS):
        assert value_name(name) in dataset
    assert "replacement_cost" in dataset and dataset.attrs["currency"] == "USD"
    assert dataset["stock_value"].sel(item="charge").isnull().all()
    assert not dataset["stock_value"].sel(item="shell").isnull().any()
    unpriced = load_scenario_text(HEAD + "items: {x: {}}\nholders: {a: {stock: {x: 1}}}\n")
    plain = sim.run(unpriced, runs=5).dataset
    assert not any(name in plain for name in (*VALUES, "unit_price"))


def test_deterministic_values_are_at_the_means() -> None:
    scenario = load_scenario_text(HEAD + CONSTANT)
    dataset = sim.run(scenario, deterministic=True).dataset
    price = dataset["unit_price"].sel(item="shell").values[0]
    mean = float(np.exp(np.log(2e3 * 3e3) / 2 + (np.log(1.5) / (2 * 1.6448536269514722)) ** 2 / 2))
    np.testing.assert_allclose(price, mean, rtol=1e-12)
    sent = dataset["sent"].sel(holder="us", item="shell").values[0]
    np.testing.assert_allclose(dataset["sent_value"].sel(holder="us", item="shell").values[0],
                               sent * mean, rtol=1e-12)  # fmt: skip


def test_summary_rows_and_the_cli_table_in_the_currency() -> None:
    scenario = load_scenario_text(HEAD + CONSTANT)
    results = sim.run(scenario, runs=50, seed=2)
    table = results.summary().set_index(["holder", "item", "metric"])
    for row in (("us", "shell", "sent_value_total"), ("us", "gun", "sent_value_total"),
                ("ua", "gun", "lost_value_total"), ("us", "shell", "replacement_cost_at_end"),
                ("us", "all", "sent_value_total")):  # fmt: skip
        assert row in table.index, row
    guns = table.loc[("us", "gun", "sent_value_total")]
    assert guns["p50"] == pytest.approx(200e6 + 30 * 4e6, rel=1e-6)  # float32 storage
    shells = table.loc[("us", "shell", "sent_value_total")]
    everything = table.loc[("us", "all", "sent_value_total")]
    assert everything["mean"] == pytest.approx(shells["mean"] + guns["mean"], rel=1e-6)
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(summary_table(results, results.summary()))
    text = console.export_text()
    assert "values in USD ($)" in text and "$320M" in text


def test_summary_only_values_agree_with_the_full_run() -> None:
    scenario = load_scenario_text(HEAD + PRICED)
    full = sim.run(scenario, runs=300, seed=5).dataset
    kept = sim.run(scenario, runs=300, seed=5, keep="summary").dataset  # one chunk: same runs
    for name in ("stock_value", "sent_value", "produced_value", "replacement_cost"):
        exact = full[name].astype(np.float64).quantile([0.1, 0.5, 0.9], "run")
        found = kept[name].sel(quantile=[0.1, 0.5, 0.9])
        np.testing.assert_allclose(found.values, exact.values, rtol=2e-6, atol=1e-3)
    total = full["sent_value"].sum("item").astype(np.float64)
    np.testing.assert_allclose(kept["sent_value_by_holder"].sel(quantile=1.0).values,
                               total.max("run").values, rtol=2e-6)  # fmt: skip


# -- errors ---------------------------------------------------------------------------------------


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(HEAD + text, "m.yaml")
    return [str(p) for p in info.value.problems]


def test_money_for_an_item_without_a_price_is_a_located_error() -> None:
    found = problems("""\
items: {gun: {unit: systems}}
holders: {us: {stock: {gun: 10}}, ua: {}}
donations:
  pda: {from: us, to: ua, item: gun, deliveries: {2022-09-08: $675M}}
""")
    assert found == [
        "m.yaml:8: donations.pda.deliveries.2022-09-08: an amount in money needs a price for "
        "item 'gun' (give items.gun.unit_cost (a value or a dated schedule))"
    ]


def test_a_currency_mismatch_is_a_located_error() -> None:
    found = problems("""\
currency: EUR
items: {gun: {unit: systems, unit_cost: €3M}}
holders: {us: {stock: {gun: 10}}, ua: {}}
donations:
  pda:
    from: us
    to: ua
    item: gun
    rate: $10M/mo
""")
    assert found == [
        "m.yaml:13: donations.pda.rate: an amount in USD ($), but the scenario's currency is "
        "EUR (€) (write it in €, or set currency: USD at the top of the file)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("currency: Dollars\nitems: {x: {}}\nholders: {a: {}}\n",
         "m.yaml:5: currency: cannot read 'Dollars' as a currency"),
        ("items: {x: {unit_cost: €2k}}\nholders: {a: {}}\n",
         "m.yaml:5: items.x.unit_cost: a price in EUR (€), but the scenario's currency is USD"),
        ("items: {x: {escalation: 3%/y}}\nholders: {a: {}}\n",
         "m.yaml:5: items.x.escalation: escalation needs a unit_cost"),
        ("items: {x: {unit_cost: 2k, escalation: -100%/y}}\nholders: {a: {}}\n",
         "m.yaml:5: items.x.escalation: escalation must be above -100% a period"),
        ("items: {x: {unit_cost: {2022-01-01: 2k, +0d: 3k}}}\nholders: {a: {}}\n",
         "m.yaml:5: items.x.unit_cost.+0d: two prices on the same day"),
        ("items: {x: {unit_cost: 2k}}\nholders: {a: {}}\nconsumption:\n"
         "  f: {holder: a, item: x, rate: {2022-01-01: 5/d, 2022-06-01: $1k/d}}\n",
         "m.yaml:8: consumption.f.rate.2022-01-01: a schedule is in money or in units"),
        ("items: {x: {unit_cost: 2k}}\nholders: {a: {stock: {x: 5}}}\nattrition:\n"
         "  f: {holder: a, item: x, rate: $1k/d}\n",
         "m.yaml:8: attrition.f.rate: an amount in money is not accepted here"),
    ],
)  # fmt: skip
def test_bad_prices_and_currencies(text: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


# -- charts and the command line ------------------------------------------------------------------


@pytest.mark.slow
def test_the_value_chart_and_write_charts(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    from sim import plots
    from sim.plots.value import LINES

    results = sim.run(load_scenario_text(HEAD + CONSTANT), runs=40, seed=1)
    fig = plots.value(results, "us")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 3 and len(ax.collections) == 3  # a median and a band each
    assert len({str(dashes) for *_, dashes in LINES}) == 3  # told apart without colour
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [text for _, text, *_ in LINES]
    assert ax.get_yticklabels()[1].get_text().startswith("$")
    assert not any(t.get_parse_math() for t in fig.texts)  # "$1.5k and $4k" is not mathtext
    written = {p.name for p in plots.write_charts(results, tmp_path)}
    assert "value_us.png" in written and "value_ua.png" not in written
    plain = sim.run(load_scenario_text(HEAD + "items: {x: {}}\nholders: {a: {stock: {x: 1}}}\n"))
    with pytest.raises(plots.ChartError, match="no item has a price"):
        plots.value(plain, "a")


@pytest.mark.slow
def test_cli_chart_kind_value(tmp_path: Path) -> None:
    source = tmp_path / "s.yaml"
    source.write_text(HEAD + CONSTANT)
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["run", str(source), "--runs", "30", "--out", str(out),
                                     "--no-charts"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "sent_value_total" in done.output and "$" in done.output
    chart = tmp_path / "v.png"
    done = CliRunner().invoke(main, ["chart", str(out / "results.nc"), "--kind", "value",
                                     "--holder", "us", "--out", str(chart)])  # fmt: skip
    assert done.exit_code == 0, done.output and chart.is_file()
    done = CliRunner().invoke(main, ["chart", str(out / "results.nc"), "--kind", "value"])
    assert done.exit_code == 2 and "needs --holder" in done.output


@pytest.mark.slow
def test_money_on_a_dask_cluster_and_local_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    import xarray as xr

    import sim.runner

    monkeypatch.setattr(sim.runner, "CHUNK_RUNS", 100)
    scenario = load_scenario_text(HEAD + PRICED)
    local = sim.run(scenario, runs=300, seed=8)
    processes = sim.run(scenario, runs=300, seed=8, workers=2)
    xr.testing.assert_identical(local.dataset.drop_attrs(), processes.dataset.drop_attrs())
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        remote = sim.run(scenario, runs=300, seed=8, scheduler=client)
        summary = sim.run(scenario, runs=300, seed=8, scheduler=client, keep="summary")
    xr.testing.assert_identical(local.dataset.drop_attrs(), remote.dataset.drop_attrs())
    here = sim.run(scenario, runs=300, seed=8, keep="summary")
    xr.testing.assert_identical(here.dataset.drop_attrs(), summary.dataset.drop_attrs())
