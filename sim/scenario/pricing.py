"""An item's price held within bounds on every day of the horizon (docs/limits.md): no amount
in money buys more than the largest quantity, and values (units x price) stay finite.

An item whose amounts in money reach ``M`` (a far tail; a rate over the whole horizon) costs at
least ``M / MAX_QUANTITY`` a unit (``Price.lowest``, never below ``MIN_PRICE``), and at most
``MAX_PRICE``. A price known exactly (fixed milestones, fixed or no escalation) that leaves these
bounds is refused here, located at its field; an uncertain one is clipped per run and counted
(``sim.processes.prices.draw_path``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.currency import symbol
from sim.distributions import Fixed
from sim.limits import MAX_PRICE, MAX_QUANTITY, MIN_PRICE
from sim.scenario import model

if TYPE_CHECKING:
    from sim.scenario.build import Builder


def bounded(b: Builder, item: model.Item) -> model.Item:
    """``item`` with its price's lowest value set; a fixed price outside the bounds reported."""
    if item.price is None:
        return item
    spent = b.spent.get(item.id, [])
    where, most = max(spent, key=lambda pair: pair[1], default=((), 0.0))
    price = replace(item.price, lowest=max(MIN_PRICE, most / MAX_QUANTITY))
    if _known(price):
        problem = _outside(b, item, price, ".".join(where), most)
        if problem is not None:
            field, message, hint = problem
            b.out.error(("items", item.id, field), message, hint)
    return replace(item, price=price)


def _known(price: model.Price) -> bool:
    fixed = all(isinstance(value, Fixed) for value in price.values)
    return fixed and (price.escalation is None or isinstance(price.escalation, Fixed))


def _outside(
    b: Builder, item: model.Item, price: model.Price, where: str, most: float
) -> tuple[str, str, str] | None:
    """(field, message, hint) when the known price leaves its bounds over the horizon."""
    values = [v.value for v in price.values if isinstance(v, Fixed)]
    growth = 0.0  # log of the escalation's factor over the horizon
    if isinstance(price.escalation, Fixed):
        growth = math.log1p(price.escalation.value) * b.end_day / price.escalation_days
    low, high = min(values), max(values)
    end = "" if b.start is None else f" by {b.start + dt.timedelta(days=b.end_day)}"
    if low < price.lowest:
        return "unit_cost", *_too_cheap(b, item, math.log(low), price.lowest, where, most)
    if math.log(low) + growth < math.log(price.lowest):
        message, hint = _too_cheap(b, item, math.log(low) + growth, price.lowest, where, most)
        return "escalation", f"the escalation takes the price down{end}: {message}", hint
    if math.log(high) + growth > math.log(MAX_PRICE):
        shown = _power(math.log(high) + growth)
        message = f"the escalation takes the price up to {shown}{end}, beyond {MAX_PRICE:g}"
        return "escalation", message, "a smaller escalation or a shorter horizon"
    return None


def _too_cheap(
    b: Builder, item: model.Item, log_price: float, lowest: float, where: str, most: float
) -> tuple[str, str]:
    shown = _power(log_price)
    if lowest <= MIN_PRICE:
        return f"a price of {shown} is below the lowest price, {MIN_PRICE:g}", (
            f"a price of at least {MIN_PRICE:g} on every day of the horizon"
        )
    money = f"{symbol(b.currency) or b.currency + ' '}{most:g}"
    units = _power(math.log(most) - log_price)
    return (
        f"at a price of {shown}, {money} ({where}) would buy {units} {item.unit}, beyond "
        f"{MAX_QUANTITY:g}",
        f"a price of at least {lowest:g} on every day of the horizon",
    )


def _power(log_value: float) -> str:
    """``exp(log_value)`` for a message, even where it underflows or overflows a float."""
    if -700 < log_value < 700:
        return f"{math.exp(log_value):g}"
    return f"1e{log_value / math.log(10):+.0f}"
