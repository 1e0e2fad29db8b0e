"""Every level and cumulative flow of the stock ledger, declared once.

The ledger, the results, the summaries, the charts and the tests read this table; nothing else
lists flow names. A level is an amount held at a time (``stock``, or items on their way back:
``in_transit``, ``in_repair``); a flow is cumulative since start. ``sign`` is the flow's place in
the balance identity that holds in every run, cell and reported time::

    stock = stock(start) + sum(sign * flow for every flow)

so ``unmet`` and ``unfilled`` (demand or deliveries that did not happen) have sign 0.

Where items have a price, every level and flow also has a value in money (``VALUES``): a
level's at the price of the day, a flow's at the price of the day each movement happened
(``sim.processes.prices``, ``sim.values``), and ``replacement_cost``.

>>> [q.name for q in QUANTITIES if q.sign > 0]
['produced', 'delivered', 'received', 'repaired']
"""

from __future__ import annotations

from dataclasses import dataclass

Dashes = str | tuple[float, tuple[float, ...]]


@dataclass(frozen=True)
class Quantity:
    """One level or cumulative flow, in the item's unit.

    ``arrives_by``: for a level of items on their way (pending), the flow by which they land in
    stock. ``out_of_action``: items in this level belong to a fleet but cannot be used.
    ``summary_total``: the summary table shows its total at the end where it is not zero;
    ``summary_value``: likewise its value in money, where the item has a price.
    ``colour`` and ``dashes`` draw it on the flows chart (inflows solid, outflows dashed).
    """

    name: str
    level: bool
    label: str
    description: str
    sign: int = 0
    colour: str = "#595959"
    dashes: Dashes = "-"
    arrives_by: str = ""
    out_of_action: bool = False
    summary_total: bool = False
    chart: bool = True
    summary_value: bool = False


# Okabe-Ito hues that differ in lightness too (readable in greyscale).
_BLUE, _SKY, _GREEN = "#0072B2", "#56B4E9", "#009E73"
_VERMILLION, _ORANGE, _PURPLE = "#D55E00", "#E69F00", "#CC79A7"
_MUTED, _INK = "#595959", "#1a1a1a"
_DASHED, _DOTTED = (0, (5, 2)), (0, (1, 1.2))

QUANTITIES: tuple[Quantity, ...] = (
    Quantity("stock", True, "on hand", "Items on hand.", chart=False),
    Quantity("in_transit", True, "in transit", "Donated items on their way to the receiver.",
             arrives_by="received", chart=False),
    Quantity("in_repair", True, "in repair",
             "Items being repaired, counted at the holder they return to.",
             arrives_by="repaired", out_of_action=True, chart=False),
    Quantity("awaiting_repair", True, "awaiting repair",
             "Repairable items queued for a repair slot (repair_capacity), not yet in work.",
             out_of_action=True, chart=False),
    Quantity("on_order", True, "on order", "Items ordered and not yet delivered.", chart=False),
    Quantity("produced", False, "produced", "Items made and accepted.", +1, _BLUE),
    Quantity("ordered", False, "ordered", "Items ordered (counted when placed).",
             summary_total=True, chart=False),
    Quantity("delivered", False, "delivered (orders)", "Ordered items delivered into stock.",
             +1, _GREEN, _DOTTED, summary_total=True),
    Quantity("used", False, "used to make other items",
             "Items taken from stock as production inputs.", -1, _MUTED,
             (0, (5, 1.5, 1, 1.5))),
    Quantity("received", False, "received (donations in)", "Donated items arrived into stock.",
             +1, _GREEN),
    Quantity("sent", False, "sent (donations out)", "Items donated: left the donor's stock.",
             -1, _VERMILLION, _DASHED, summary_value=True),
    Quantity("lost", False, "lost (incl. repairable)",
             "Items lost to attrition, repairable or not.", -1, _PURPLE, _DOTTED,
             summary_value=True),
    Quantity("repaired", False, "back from repair", "Repaired items returned into stock.",
             +1, _SKY),
    Quantity("consumed", False, "consumed (fired, used up)", "Items used up by consumption.",
             -1, _ORANGE, _DASHED),
    Quantity("unmet", False, "demand not met (not taken)",
             "Consumption demand the stock could not meet.", 0, _INK, (0, (1, 2.5)),
             summary_total=True),
    Quantity("unfilled", False, "deliveries not made",
             "Donation quantities the donor could not ship (recorded at the receiver); a donor "
             "that keeps no stock (a hub with no target) owes nothing.",
             summary_total=True, chart=False),
)  # fmt: skip

BY_NAME = {q.name: q for q in QUANTITIES}
LEVELS = tuple(q.name for q in QUANTITIES if q.level)
FLOWS = tuple(q.name for q in QUANTITIES if not q.level)
INFLOWS = tuple(q.name for q in QUANTITIES if not q.level and q.sign > 0)
OUTFLOWS = tuple(q.name for q in QUANTITIES if not q.level and q.sign < 0)
#: Pending level -> the flow by which its items arrive.
PENDING = {q.name: q.arrives_by for q in QUANTITIES if q.arrives_by}
#: Levels of items waiting that no arrival empties (a repair queue, an order book): moved by
#: their process with ``Ledger.hold``.
QUEUES = tuple(q.name for q in QUANTITIES if q.level and q.name != "stock" and not q.arrives_by)
#: Levels whose items count as out of action in a fleet.
OUT_OF_ACTION = tuple(q.name for q in QUANTITIES if q.out_of_action)
#: Quantities derived from others, observable but not kept: name -> the levels it sums.
DERIVED = {"out_of_action": OUT_OF_ACTION}
#: Flows whose total the summary shows where it is not zero.
SUMMARY_TOTALS = tuple(q.name for q in QUANTITIES if q.summary_total)
#: Flows drawn on the flows chart, in legend order (inflows first).
CHARTED = tuple(
    q.name for q in sorted(QUANTITIES, key=lambda q: -q.sign) if q.chart and not q.level
)


def value_name(name: str) -> str:
    """The variable holding the value in money of a level or flow: ``sent`` -> ``sent_value``."""
    return f"{name}_value"


#: What it costs, at the price of the day, to bring a stock back up to its target.
REPLACEMENT_COST = "replacement_cost"
#: Values in money of every level and flow (where the item has a price), in table order, and
#: the replacement cost: ``stock_value``, ``in_transit_value``, ..., ``replacement_cost``.
VALUES = (*(value_name(q.name) for q in QUANTITIES), REPLACEMENT_COST)
#: Value -> the level or flow it is the value of (none for the replacement cost).
VALUE_OF = {value_name(q.name): q.name for q in QUANTITIES}
#: Flows whose value the summary shows where the item has a price (``sent``, ``lost``).
SUMMARY_VALUES = tuple(q.name for q in QUANTITIES if q.summary_value)


def balance(initial: float, flows: dict[str, float]) -> float:
    """The stock the balance identity gives from the initial stock and the cumulative flows.

    >>> balance(100.0, {"produced": 20.0, "sent": 50.0, "unmet": 7.0})
    70.0
    """
    return initial + sum(BY_NAME[name].sign * value for name, value in flows.items())
