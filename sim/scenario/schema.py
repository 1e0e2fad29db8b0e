"""The raw shape of a scenario file (docs/scenario.md) as pydantic models.

These check structure only: which keys exist, which are required, which hold mappings, text,
whole numbers or booleans. Value fields keep the text or number the user wrote; the grammar
(``values``) reads them in ``build``. The same models generate the JSON Schema for editors.

The top level, items and holders are here; each process section's entry model is declared by
its kind (``sim.processes.registry``), and ``scenario_spec()`` puts them together.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    create_model,
)

from sim.limits import (
    MAX_DESCRIPTION_CHARS,
    MAX_LABEL_CHARS,
    MAX_NAME_CHARS,
    MAX_SOURCE_CHARS,
    MAX_SOURCES,
)

if TYPE_CHECKING:
    from sim.processes.kind import Kind

_DATE_KEY = r"^(\d{4}-\d{2}-\d{2}|\+.+)$"
#: A schedule's key: a milestone's date, or ``from DATE`` for a factor (``x1.5``).
_MILESTONE_KEY = r"^(from )?(\d{4}-\d{2}-\d{2}|\+.+)$"
_ID = r"^[a-z][a-z0-9_]*$"
_IDS: dict[str, Any] = {"propertyNames": {"pattern": _ID}}


def _scalar(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float | dt.date):
        raise ValueError("expected a single value, not a list, mapping or true/false")
    return value


def _scalar_or_mapping(value: Any) -> Any:
    if isinstance(value, dict):
        for item in value.values():
            _scalar(item)
        return value
    return _scalar(value)


def _mapping(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of dates to values")
    for item in value.values():
        _scalar(item)
    return value


_NUMBER_OR_TEXT: dict[str, Any] = {"type": ["number", "string"]}


def _json(examples: list[Any], json_type: str | list[str]) -> WithJsonSchema:
    return WithJsonSchema({"type": json_type, "examples": examples})


_SCALAR = BeforeValidator(_scalar)
_NUMBER_OR_TEXT_TYPE = ["number", "string"]
#: Raw values: a number or text, read later by the value grammar.
Quantity = Annotated[
    Any, _SCALAR, _json([7000, "14.4k", "1.5M to 3M", "uniform(3k, 5k)"], _NUMBER_OR_TEXT_TYPE)
]
Fraction = Annotated[
    Any, _SCALAR, _json([0.6, "60%", "50% to 70%", "beta(2, 5)"], _NUMBER_OR_TEXT_TYPE)
]
Duration = Annotated[
    Any, _SCALAR, _json(["32mo", "6 w", "3 to 12 mo", "triangular(30, 60, 120) d"], "string")
]
#: A duration known exactly (``every``, ``horizon``, ``report_every``).
FixedDuration = Annotated[Any, _SCALAR, _json(["1w", "1mo", "5y"], "string")]
RateText = Annotated[Any, _SCALAR, _json(["14.4k/mo", "1200/y", "4k to 7k /d", "3%/y"], "string")]
#: A quantity of an item in units or in money (where money is accepted: a priced item).
AmountText = Annotated[
    Any,
    _SCALAR,
    _json([7000, "14.4k", "1.5M to 3M", "$675M", "$600M to $750M"], _NUMBER_OR_TEXT_TYPE),
]
#: A rate of an item in units or in money per period.
AmountRateText = Annotated[
    Any, _SCALAR, _json(["14.4k/mo", "4k to 7k /d", "$1.2B/y", "$40M to $60M /mo"], "string")
]
DateText = Annotated[
    Any,
    BeforeValidator(_scalar),
    WithJsonSchema({"type": "string", "pattern": _DATE_KEY, "examples": ["2024-09-01", "+32mo"]}),
]
#: The scenario's first day: an ISO date only (offsets count from it).
StartDate = Annotated[
    Any,
    BeforeValidator(_scalar),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2022-02-24"]}),
]


def _schedule(examples: list[Any]) -> WithJsonSchema:
    """The JSON Schema of a rate or a mapping date -> rate, with ``examples``."""
    rate = {"type": "string", "examples": [examples[0]]}
    dated = {
        "type": "object",
        "propertyNames": {"pattern": _MILESTONE_KEY},
        "additionalProperties": rate,
    }
    return WithJsonSchema({"anyOf": [rate, dated], "examples": examples})


_RATE_OR_DATED = BeforeValidator(_scalar_or_mapping)
#: A rate, or a schedule date -> rate, in units per period (a kind without money).
ScheduleText = Annotated[
    Any, _RATE_OR_DATED, _schedule(["18k/mo", {"2022-03-01": "100k/mo", "2023-01-01": "60k/mo"}])
]
#: A rate, or a schedule date -> rate, of an item in units or in money (all milestones alike).
AmountScheduleText = Annotated[
    Any,
    _RATE_OR_DATED,
    _schedule(
        [
            "18k/mo",
            "$1.5B/y",
            {"2022-03-01": "100k/mo", "2023-01-01": "60k/mo"},
            {"2024-05-01": "$2B/y", "2026-10-01": "$0/y"},
        ]
    ),
]
#: A rate, or a schedule date -> rate, of fractions per period (proportional attrition).
ShareScheduleText = Annotated[
    Any,
    _RATE_OR_DATED,
    _schedule(["33%/9mo", {"2022-03-01": "33%/9mo", "2023-01-01": "20%/9mo"}]),
]
#: A reference to a holder or item by its id.
Ref = Annotated[str, WithJsonSchema({"type": "string", "pattern": _ID, "examples": ["us"]})]
#: A price: one value, or a mapping date -> value (linear in between).
PriceText = Annotated[
    Any,
    _RATE_OR_DATED,
    WithJsonSchema(
        {
            "anyOf": [
                _NUMBER_OR_TEXT,
                {
                    "type": "object",
                    "propertyNames": {"pattern": _DATE_KEY},
                    "additionalProperties": _NUMBER_OR_TEXT,
                },
            ],
            "examples": [8000, "$8.5k", "6k to 9k", {"2022-02-24": "2k", "2024-01-01": "8.5k"}],
        }
    ),
]
Deliveries = Annotated[
    Any,
    BeforeValidator(_mapping),
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": _DATE_KEY},
            "additionalProperties": _NUMBER_OR_TEXT,
            "examples": [{"2022-04-21": 90, "2022-05-19": 18}, {"2022-09-08": "$675M"}],
        }
    ),
]
#: Tranches inline (date -> quantity), or a data file: {file: data/x.csv}.
DeliveriesOrFile = Annotated[
    Any,
    BeforeValidator(_mapping),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "object",
                    "propertyNames": {"pattern": _DATE_KEY},
                    "additionalProperties": _NUMBER_OR_TEXT,
                },
                {
                    "type": "object",
                    "properties": {"file": {"type": "string"}},
                    "required": ["file"],
                    "additionalProperties": False,
                },
            ],
            # a data file is not an example here: it must exist beside the scenario
            "examples": [{"2022-04-21": 90, "2022-05-19": 18}],
        }
    ),
]
Shares = Annotated[
    Any,
    BeforeValidator(_scalar_or_mapping),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _ID},
                {"type": "object", "additionalProperties": _NUMBER_OR_TEXT},
            ],
            "examples": ["us", {"us": "70%", "ukraine": "30%"}],
        }
    ),
]
PerItem = dict[str, Quantity]
PerItemAmount = dict[str, AmountText]
Interpolate = Literal["linear", "step"]


class Strict(BaseModel):
    """A mapping whose keys are all known: an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ItemSpec(Strict):
    """A kind of materiel."""

    label: str | None = Field(
        None,
        max_length=MAX_LABEL_CHARS,
        description="Name shown in tables and charts (default: id).",
    )
    unit: str = Field("units", description="What one unit is: rounds, systems, sets.")
    unit_cost: PriceText | None = Field(
        None,
        description=(
            "Price per unit in the scenario's currency (optional): a value (8000, $8.5k, "
            "6k to 9k: drawn once per run) or a dated schedule {date: value}, linear between "
            "milestones. Enables value outputs (stock value, flow values, replacement cost) "
            "and amounts of this item in money, converted at the price of the day."
        ),
    )
    escalation: RateText | None = Field(
        None,
        description=(
            "Compound price growth from start on top of unit_cost: 3%/y (a distribution such "
            "as 2% to 5% /y is drawn once per run). Needs unit_cost."
        ),
    )


class HolderSpec(Strict):
    """An owner of stocks (a country's army, a depot, a repair hub)."""

    label: str | None = Field(
        None,
        max_length=MAX_LABEL_CHARS,
        description="Name shown in tables and charts (default: id).",
    )
    stock: PerItemAmount = Field(
        default_factory=dict,
        description=(
            "Initial on-hand stock per item (units, or money at the price on start; default 0), "
            "drawn once per run."
        ),
    )
    floor: PerItemAmount = Field(
        default_factory=dict,
        description=(
            "Per item (units, or money at the price on start; default 0): donors never give "
            "below it; the stock is depleted when it falls to it."
        ),
    )
    target: PerItemAmount = Field(
        default_factory=dict,
        description=(
            "Per item: the stock is replenished when back at this level (units, or money at "
            "the price on start; default: the starting stock)."
        ),
    )


class _Scenario(Strict):
    """A stockpile scenario (format v1)."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, title="stockpile scenario (format v1)"
    )

    name: str = Field(
        max_length=MAX_NAME_CHARS, description="Title of the scenario, shown on charts."
    )
    description: str = Field(
        "", max_length=MAX_DESCRIPTION_CHARS, description="What the scenario models."
    )
    sources: list[Annotated[str, StringConstraints(max_length=MAX_SOURCE_CHARS)]] = Field(
        default_factory=list,
        max_length=MAX_SOURCES,
        description="Where the numbers come from (printed under charts).",
    )
    start: StartDate = Field(description="First day (ISO date): the initial state.")
    end: DateText | None = Field(
        None,
        description="Last day (ISO date or +offset from start); give exactly one of end and "
        "horizon.",
    )
    horizon: FixedDuration | None = Field(
        None, description="Length instead of end (5y); give exactly one of end and horizon."
    )
    report_every: FixedDuration = Field("1w", description="Time between stored snapshots.")
    runs: StrictInt = Field(1000, gt=0, description="Monte Carlo runs.")
    seed: StrictInt = Field(0, ge=0, description="Random seed.")
    currency: Annotated[Any, _SCALAR, _json(["USD", "EUR", "$", "€"], "string")] = Field(
        "USD",
        description=(
            "Currency of every price and amount in money: an ISO code (USD, EUR, GBP) or a "
            "symbol ($, €, £). Amounts written with another currency are errors."
        ),
    )
    items: dict[str, ItemSpec] = Field(description="Item id -> item.", json_schema_extra=_IDS)
    holders: dict[str, HolderSpec] = Field(
        description="Holder id -> holder.", json_schema_extra=_IDS
    )


def scenario_spec() -> type[Strict]:
    """The model of a whole scenario file: the top level plus a section per process kind."""
    from sim.processes.registry import kinds

    return _with_sections(kinds())


@cache
def _with_sections(kinds: tuple[Kind, ...]) -> type[Strict]:
    from sim.scenario.observations import SECTION, ObservationSpec

    sections: dict[str, Any] = {
        k.section: (
            dict[str, k.spec],  # type: ignore[name-defined]
            Field(default_factory=dict, description=k.description, json_schema_extra=_IDS),
        )
        for k in kinds
    }
    sections[SECTION] = (
        dict[str, ObservationSpec],
        Field(
            default_factory=dict,
            description="Observation id -> values of a level or flow seen on dates, compared "
            "with the runs (stockpile check); they change no run.",
            json_schema_extra=_IDS,
        ),
    )
    model: type[Strict] = create_model("ScenarioSpec", __base__=_Scenario, **sections)
    model.__doc__ = _Scenario.__doc__
    return model


def sections() -> dict[str, type[BaseModel]]:
    """The model of each section's entries, by section name (items, holders, processes)."""
    from sim.processes.registry import kinds
    from sim.scenario.observations import SECTION, ObservationSpec

    return {
        "items": ItemSpec,
        "holders": HolderSpec,
        **{k.section: k.spec for k in kinds()},
        SECTION: ObservationSpec,
    }


def field_names(model: type[BaseModel]) -> list[str]:
    """The keys a user may write for ``model`` (aliases where a field has one)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors (yaml-language-server) and docs."""
    schema = scenario_spec().model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def takes_schedule(section: str, name: str) -> bool:
    """Whether field ``name`` of an entry of ``section`` takes a schedule (milestones and
    factors ``from DATE: x1.5``), not just one rate."""
    return json.dumps(_MILESTONE_KEY)[1:-1] in json.dumps(_entry_fields(section).get(name, {}))


@cache
def _entry_fields(section: str) -> dict[str, Any]:
    schema = json_schema()
    ref = schema["properties"].get(section, {}).get("additionalProperties", {}).get("$ref", "")
    fields: dict[str, Any] = schema["$defs"].get(ref.rpartition("/")[2], {}).get("properties", {})
    return fields
