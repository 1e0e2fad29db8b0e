"""Orders with lead times: each arrives after its lead time at the delivery rate."""

from __future__ import annotations

import numpy as np
import pytest

import sim

ORDERS = """name: T
start: 2024-01-01
horizon: 2y
report_every: 1d
items: {mbt: {unit: systems}}
holders: {army: {stock: {mbt: 50}}}
orders:
  tanks: {item: mbt, to: army, placed: PLACED, lead_time: LEAD, deliver: 2/w, every: 1d}
"""


def load(placed: str = "{2024-01-01: 100}", lead: str = "70 d") -> sim.Scenario:
    return sim.load_scenario_text(ORDERS.replace("PLACED", placed).replace("LEAD", lead))


def test_an_order_is_complete_at_placed_plus_lead_time_plus_quantity_over_rate() -> None:
    """100 tanks placed on day 0, 70 days' lead time, 2 a week: complete on day 70 + 350."""
    ds = sim.run(load(), deterministic=True).dataset.isel(run=0)
    delivered = ds.delivered.sel(holder="army", item="mbt").values
    days = (ds.time.values - ds.time.values[0]) / np.timedelta64(1, "D")
    np.testing.assert_allclose(delivered, np.clip((days - 70) * 2 / 7, 0, 100), rtol=1e-6)
    complete = days[np.argmax(delivered >= 100 - 1e-6)]
    assert complete == 420.0
    assert ds.ordered.sel(holder="army", item="mbt").values[-1] == 100.0
    on_order = ds.on_order.sel(holder="army", item="mbt").values
    # (the snapshot on day 0 is the initial state, before the order is placed)
    np.testing.assert_allclose(on_order[1:], 100 - delivered[1:], rtol=1e-6, atol=1e-4)
    stock = ds.stock.sel(holder="army", item="mbt").values
    np.testing.assert_allclose(stock, 50 + delivered, rtol=1e-6)


def test_each_order_arrives_after_its_own_drawn_lead_time() -> None:
    """Two orders, lead times drawn per run and order: in every run the deliveries by the end
    are min(q, rate × (T − placed − lead)) summed over the orders, with the kept inputs."""
    scenario = load("{2024-01-01: 300, 2024-06-01: 200}", "100 to 300 d")
    ds = sim.run(scenario, runs=100, seed=4).dataset
    end = (ds.time.values[-1] - ds.time.values[0]) / np.timedelta64(1, "D")
    end = np.floor(end)  # the last daily delivery (the end, 730.5 d, is reported too)
    expected = np.zeros(100)
    for placed, quantity in ((0.0, 300.0), (152.0, 200.0)):
        day = (np.datetime64("2024-01-01") + np.timedelta64(int(placed), "D")).astype(str)
        lead = ds.inputs.sel(input=f"orders.tanks.lead_time.{day}").values
        expected += np.minimum(quantity, 2 / 7 * np.maximum(end - placed - lead, 0.0))
    delivered = ds.delivered.sel(holder="army", item="mbt").isel(time=-1).values
    np.testing.assert_allclose(delivered, expected, rtol=1e-5, atol=1e-4)
    assert len(np.unique(np.round(delivered, 3))) > 10  # the lead times differ between runs


def test_the_summary_shows_the_order_book() -> None:
    summary = sim.run(load(), deterministic=True).summary()
    metrics = set(summary[summary.holder == "army"].metric)
    assert {"ordered_total", "delivered_total", "on_order_at_end"} <= metrics
    row = summary[(summary.holder == "army") & (summary.metric == "on_order_at_end")]
    assert abs(float(row.p50.iloc[0])) < 1e-9  # complete on day 420, before the end


@pytest.mark.parametrize(
    ("placed", "lead", "says"),
    [
        ("{2024-01-01: 100}", "banana", "cannot read 'banana' as a duration"),
        ("{2024-13-01: 100}", "70 d", "cannot read '2024-13-01' as a date"),
        ("{}", "70 d", "no order placed"),
    ],
)
def test_bad_orders_are_located(placed: str, lead: str, says: str) -> None:
    text = ORDERS.replace("PLACED", placed).replace("LEAD", lead)
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario_text(text, "s.yaml")
    assert any(says in str(p) and p.line == 8 for p in caught.value.problems), caught.value
