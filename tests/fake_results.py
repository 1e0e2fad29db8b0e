"""A synthetic results Dataset that follows the results contract, for chart and CLI tests.

Not a model of anything: a small vectorised stock ledger (weekly steps, a run axis) that makes
the shapes the charts must show: a US 155mm stock drawn down by donations and refilled by a
slipping production ramp (some runs not refilled by the end), a Javelin stock refilled slowly,
M777s sent as tranches and never replaced, Ukrainian M777s lost and repaired (``in_repair``),
and a cell that nothing touches (all zeros). The ledger balances exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from sim.flows import FLOWS, LEVELS

HOLDERS = ("us", "ukraine")
HOLDER_LABELS = ("United States", "Armed Forces of Ukraine")
ITEMS = ("shell_155", "javelin", "m777", "charge_155")
ITEM_LABELS = ("155mm artillery shell", "Javelin missile", "M777 towed howitzer", "Charge set")
ITEM_UNITS = ("rounds", "missiles", "systems", "sets")
ITEM_COSTS = (8000.0, 240_000.0, 3.9e6, np.nan)
MONTH = 365.25 / 12


def fake_results(
    runs: int = 200, seed: int = 1, start: str = "2022-02-24", end: str = "2027-12-31"
) -> xr.Dataset:
    """Return a contract-conforming Dataset with ``runs`` runs on a weekly grid."""
    rng = np.random.default_rng(seed)
    time = pd.date_range(start, end, freq="7D")
    days = np.asarray((time - time[0]).days, dtype=float)
    shape = (runs, len(time), len(HOLDERS), len(ITEMS))
    data = {name: np.zeros(shape) for name in LEVELS + FLOWS}
    floor = np.zeros((runs, len(HOLDERS), len(ITEMS)))
    initial = np.zeros_like(floor)
    _simulate(rng, days, data, initial, floor)
    return _dataset(time, data, initial, floor, runs, seed)


def _simulate(
    rng: np.random.Generator,
    days: np.ndarray,
    data: dict[str, np.ndarray],
    initial: np.ndarray,
    floor: np.ndarray,
) -> None:
    runs = initial.shape[0]
    us, ua = 0, 1
    shell, jav, m777, charge = range(4)
    initial[:, us, shell] = rng.uniform(1.5e6, 3e6, runs)
    initial[:, us, jav] = rng.uniform(20_000, 26_000, runs)
    initial[:, us, m777] = 1000.0
    initial[:, us, charge] = rng.uniform(1e6, 2e6, runs)
    floor[:, us, shell] = 500_000.0
    floor[:, us, jav] = 12_000.0
    floor[:, us, m777] = 700.0
    slip = rng.uniform(3, 24, runs) * MONTH
    fire = rng.uniform(4000, 7000, runs)
    attrition = 1 - (1 - 0.33) ** (7 / (9 * MONTH))
    stock = initial.copy()
    transit = np.zeros_like(stock)
    repair_queue = np.zeros((runs, len(days) + 30))
    run_index = np.arange(runs)
    m777_tranches = {56.0: 90.0, 84.0: 18.0, 175.0: 16.0, 224.0: 16.0}
    for k, day in enumerate(days):
        step = {name: np.zeros_like(stock) for name in FLOWS}
        if k > 0:
            # arrivals from last step's shipments and due repairs
            step["received"] += transit
            stock += transit
            transit = np.zeros_like(stock)
            step["repaired"][:, ua, m777] = repair_queue[:, k]
            stock[:, ua, m777] += repair_queue[:, k]
            # production: the shell ramp is limited by charge sets on hand
            shells_per_month = np.interp(day - np.where(day > 500, slip, 0), _ramp_days, _ramp)
            made = np.minimum(shells_per_month * 7 / MONTH, stock[:, us, charge])
            step["produced"][:, us, shell] = made
            step["used"][:, us, charge] = made
            step["produced"][:, us, charge] = 18_000 * 7 / MONTH
            jav_per_year = np.interp(day, [0, 970, 1500], [2100, 2100, 4000])
            step["produced"][:, us, jav] = np.where(day > 100, jav_per_year * 7 / 365.25, 0)
            stock += step["produced"] - step["used"]
            # donations, limited to the stock above the floor
            _ship(step, stock, transit, floor, us, ua, shell, _shell_rate(day) * 7 / MONTH)
            _ship(step, stock, transit, floor, us, ua, jav, 900.0 if day < 70 else 0.0)
            tranche = sum(q for d, q in m777_tranches.items() if day - 7 < d <= day)
            _ship(step, stock, transit, floor, us, ua, m777, tranche)
            # attrition with repair, then consumption
            lost = rng.binomial(stock[:, ua, m777].astype(np.int64), attrition).astype(float)
            fixable = rng.binomial(lost.astype(np.int64), 0.6).astype(float)
            due = k + rng.integers(4, 18, runs)
            np.add.at(repair_queue, (run_index, due), fixable)
            step["lost"][:, ua, m777] = lost
            stock[:, ua, m777] -= lost
            demand = np.where(day < 710, fire, 2000.0) * 7
            step["consumed"][:, ua, shell] = np.minimum(demand, stock[:, ua, shell])
            step["unmet"][:, ua, shell] = demand - step["consumed"][:, ua, shell]
            stock -= step["consumed"]
            for name in FLOWS:
                data[name][:, k] = data[name][:, k - 1] + step[name]
        data["stock"][:, k] = stock
        data["in_transit"][:, k] = transit
        data["in_repair"][:, k, ua, m777] = repair_queue[:, k + 1 :].sum(axis=1)


_ramp_days = np.array([0.0, 523.0, 920.0, 1315.0])
_ramp = np.array([14_400.0, 24_000.0, 40_000.0, 50_000.0])


def _shell_rate(day: float) -> float:
    return 100_000.0 if day < 311 else (60_000.0 if day < 850 else 0.0)


def _ship(
    step: dict[str, np.ndarray],
    stock: np.ndarray,
    transit: np.ndarray,
    floor: np.ndarray,
    donor: int,
    receiver: int,
    item: int,
    wanted: float,
) -> None:
    shipped = np.clip(stock[:, donor, item] - floor[:, donor, item], 0, wanted)
    stock[:, donor, item] -= shipped
    transit[:, receiver, item] += shipped
    step["sent"][:, donor, item] += shipped
    step["unfilled"][:, receiver, item] += wanted - shipped


def _dataset(
    time: pd.DatetimeIndex,
    data: dict[str, np.ndarray],
    initial: np.ndarray,
    floor: np.ndarray,
    runs: int,
    seed: int,
) -> xr.Dataset:
    dims4 = ("run", "time", "holder", "item")
    dims3 = ("run", "holder", "item")
    stock = data["stock"]
    target = initial
    metrics = _metrics(time, stock, floor, target)
    variables: dict[str, tuple[tuple[str, ...], np.ndarray]] = {
        name: (dims4, values) for name, values in data.items()
    }
    variables.update({"floor": (dims3, floor), "target": (dims3, target)})
    variables.update({name: (dims3, values) for name, values in metrics.items()})
    variables["pledge_fulfilled_at"] = (("run", "pledge"), np.empty((runs, 0), "datetime64[s]"))
    variables["pledge_by"] = (("pledge",), np.empty(0, "datetime64[s]"))
    variables["pledge_total"] = (("run", "pledge"), np.empty((runs, 0)))
    coords_pledge = {"pledge_holder": ("pledge", np.array([], str)),
                     "pledge_item": ("pledge", np.array([], str))}  # fmt: skip
    coords = {
        "run": np.arange(runs),
        "time": time.values.astype("datetime64[s]"),
        "holder": list(HOLDERS),
        "item": list(ITEMS),
        "pledge": np.array([], dtype=str),
        "holder_label": ("holder", list(HOLDER_LABELS)),
        "item_label": ("item", list(ITEM_LABELS)),
        "item_unit": ("item", list(ITEM_UNITS)),
        "item_unit_cost": ("item", np.array(ITEM_COSTS)),
        **coords_pledge,
    }
    attrs = {
        "scenario": "Synthetic 155mm, Javelin and M777 drawdown",
        "description": "Test data shaped like the US support scenario; not a model.",
        "sources": json.dumps(["Synthetic test data", "Shapes after public reporting 2022-2024"]),
        "start": str(time[0].date()),
        "end": str(time[-1].date()),
        "report_every_days": 7.0,
        "scenario_sha256": "0" * 64,
        "seed": seed,
        "runs": runs,
        "deterministic": int(runs == 1),
        "sim_version": "0.0.0+fake",
        "created": "2024-01-01T00:00:00",
        "fleets": json.dumps([["ukraine", "m777", []]]),  # Ukraine's M777s are repaired
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _metrics(
    time: pd.DatetimeIndex, stock: np.ndarray, floor: np.ndarray, target: np.ndarray
) -> dict[str, np.ndarray]:
    """Depletion, replenishment and trough dates from the reported stock series."""
    times = time.values.astype("datetime64[s]")
    below_floor = stock <= floor[:, None] + 1e-9
    above_floor = ~below_floor
    was_above = np.maximum.accumulate(above_floor, axis=1)
    depleted = below_floor & np.roll(was_above, 1, axis=1)
    depleted[:, 0] = False
    below_target = stock < target[:, None] - 1e-9
    was_below = np.maximum.accumulate(below_target, axis=1)
    replenished = ~below_target & np.roll(was_below, 1, axis=1)
    replenished[:, 0] = False
    trough_index = stock.argmin(axis=1)
    return {
        "trough": stock.min(axis=1),
        "trough_at": times[trough_index],
        "depleted_at": _first_time(depleted, times),
        "replenished_at": _first_time(replenished, times),
    }


def _first_time(flags: np.ndarray, times: np.ndarray) -> np.ndarray:
    first = flags.argmax(axis=1)
    return np.where(flags.any(axis=1), times[first], np.datetime64("NaT", "ns"))
