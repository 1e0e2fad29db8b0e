"""Property test: random small scenarios keep stock >= 0 and the ledger balanced everywhere."""

from __future__ import annotations

import numpy as np
from builders import dense, give, holder, lose, make, pledge, rate, run, scenario, tranches, use
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.distributions import Distribution, Fixed, Normal, Uniform
from sim.flows import FLOWS, INFLOWS, OUTFLOWS
from sim.processes.attrition import Attrition
from sim.processes.consumption import Consumption
from sim.processes.donations import Donation
from sim.processes.production import Production
from sim.scenario.model import Holder, Scenario

HOLDERS, ITEMS = ("a", "b"), ("x", "y")


@st.composite
def value(draw: st.DrawFn, high: float = 200.0) -> Distribution:
    low = draw(st.floats(0.0, high))
    kind = draw(st.sampled_from(["fixed", "uniform", "normal"]))
    if kind == "fixed":
        return Fixed(low)
    if kind == "uniform":
        return Uniform(low, low + draw(st.floats(0.0, high)))
    return Normal(low, draw(st.floats(0.0, high)))  # may be clipped below 0


@st.composite
def holders(draw: st.DrawFn) -> list[Holder]:
    return [
        holder(
            h,
            stock={i: draw(value(500.0)) for i in ITEMS if draw(st.booleans())},
            floor={i: draw(value(100.0)) for i in ITEMS if draw(st.booleans())},
        )
        for h in HOLDERS
    ]


@st.composite
def process(draw: st.DrawFn, index: int) -> Production | Donation | Attrition | Consumption:
    kind = draw(st.sampled_from(["make", "tranches", "give", "pledge", "lose", "use"]))
    pid, item = f"p{index}", draw(st.sampled_from(ITEMS))
    here, there = draw(st.permutations(HOLDERS))
    every = draw(st.sampled_from([1.0, 3.0, 7.0, 10.5]))
    delay = draw(st.one_of(st.none(), value(15.0)))
    if kind == "make":
        other = "y" if item == "x" else "x"
        inputs = {other: draw(value(2.0))} if draw(st.booleans()) else {}
        to = here if draw(st.booleans()) else {here: 0.25, there: 0.75}
        slip = draw(st.one_of(st.none(), value(20.0)))
        ramp = {0: draw(value(50.0)), draw(st.floats(1.0, 40.0)): draw(value(50.0))}
        return make(pid, item, to, ramp, slip=slip, inputs=inputs, every=every,
                    yield_=draw(value(1.0)))  # fmt: skip
    if kind in ("tranches", "give", "pledge"):
        options = {"transit": delay, "keep_floor": draw(st.booleans()),
                   "cap": draw(st.one_of(st.none(), value(1000.0)))}  # fmt: skip
        if kind == "tranches":
            dated = {draw(st.floats(0.0, 60.0)): draw(value(300.0)) for _ in range(3)}
            return tranches(pid, here, there, item, dated, **options)
        if kind == "give":
            return give(pid, here, there, item, draw(value(50.0)), every_days=every, **options)
        return pledge(pid, here, there, item, draw(value(800.0)), every_days=every,
                      max_rate=draw(st.one_of(st.none(), value(100.0))), **options)  # fmt: skip
    if kind == "lose":
        count = draw(st.booleans())
        amount = draw(value(30.0)) if count else draw(value(0.9))
        return lose(pid, here, item, rate(amount, draw(st.sampled_from([1.0, 7.0, 30.0]))),
                    count=count, repairable=draw(value(1.0)), repair_time=delay,
                    repair_to=draw(st.sampled_from(HOLDERS)), every=every)  # fmt: skip
    return use(pid, here, item, draw(value(40.0)), every=every)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(1, 6))
    parts = [draw(process(k)) for k in range(count)]
    end = draw(st.floats(10.0, 90.0))
    report = draw(st.sampled_from([1.0, 5.0, 7.0]))
    return scenario(*draw(holders()), *parts, items=ITEMS, end=end, report=report)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_stock_non_negative_and_ledger_balanced(s: Scenario, seed: int) -> None:
    r = run(s, runs=6, seed=seed)
    series = {name: dense(r, name) for name in r.slabs}
    stock = series["stock"]
    assert stock.min() >= 0.0
    balance = stock[:, :1] + sum(series[f] for f in INFLOWS) - sum(series[f] for f in OUTFLOWS)
    scale = 1.0 + max(float(np.abs(series[f]).max()) for f in (*FLOWS, "stock"))
    assert np.allclose(stock, balance, rtol=0.0, atol=1e-9 * scale)
    for name in ("in_transit", "in_repair"):
        assert series[name].min() >= -1e-9 * scale
    for name in FLOWS:
        assert np.all(np.diff(series[name], axis=1) >= -1e-9 * scale), name
        assert np.all(series[name][:, 0] == 0.0)
    assert np.all(r.metrics["trough"] <= stock[:, 0] + 0.0)
