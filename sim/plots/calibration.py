"""Calibration charts: each calibrated input's prior against its posterior, and a backtest's
forecasts against the observations that followed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from sim.plots import style

MAX_PANELS = 12  # inputs drawn (the most shrunk first)
BINS = 40


def _shrinkage(calibration: xr.Dataset) -> np.ndarray:
    weight = calibration["weight"].values
    values = calibration["posterior"].transpose("sample", "input").values
    mean = weight @ values
    sd = np.sqrt(weight @ (values - mean) ** 2)
    prior = calibration["prior_sd"].values
    return np.where(prior > 0, 1 - sd / np.where(prior > 0, prior, 1), 0.0)


def posterior_inputs(calibration: xr.Dataset) -> Figure:
    """One panel per calibrated input (the most shrunk first, at most ``MAX_PANELS``): the
    prior's histogram (grey) under the posterior's (blue, by weight), in the input's units."""
    shrink = _shrinkage(calibration)
    order = np.argsort(-shrink, kind="stable")[:MAX_PANELS]
    cols = min(3, len(order)) or 1
    rows = math.ceil(len(order) / cols) or 1
    weight = calibration["weight"].values
    with style.briefing_style():
        fig = Figure(figsize=style.FIGSIZE, dpi=100, layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.ravel()[len(order) :]:
            ax.set_visible(False)
        for ax, k in zip(axes.ravel(), order, strict=False):
            prior = calibration["prior"].values[:, k]
            post = calibration["posterior"].values[:, k]
            low, high = np.nanmin([prior.min(), post.min()]), np.nanmax([prior.max(), post.max()])
            edges = np.linspace(low, high if high > low else low + 1, BINS + 1)
            ax.hist(prior, bins=edges, density=True, color=style.GRID, label="prior")
            ax.hist(post, bins=edges, weights=weight, density=True, color=style.BLUE,
                    alpha=0.75, label="posterior")  # fmt: skip
            path = str(calibration["input"].values[k])
            ax.set_title(f"{path}\nshrinkage {shrink[k]:.0%}", fontsize=8, fontweight="normal")
            ax.set_yticks([])
            ax.grid(visible=False)
            ax.tick_params(labelsize=7)
        axes.ravel()[0].legend(fontsize=7, loc="upper right")
        scenario = str(calibration.attrs.get("scenario", ""))
        observations = ", ".join(_list(calibration.attrs.get("observations", "[]")))
        style.decorate(
            fig, _note(calibration), title=f"{scenario}: inputs before and after calibration",
            subtitle=f"Calibrated against {observations}; ESS "
            f"{float(calibration.attrs.get('ess', 0)):,.0f} of "
            f"{int(calibration.attrs.get('particles', 0)):,} particles.", bands=False,
        )  # fmt: skip
    return fig


def backtest(table: pd.DataFrame, dataset: xr.Dataset, as_of: str) -> Figure:
    """Per later observed point: the prior's and the calibrated forecast's p10-p90 (bars) and
    p50 (ticks), and the observed value (a diamond; a triangle for a bound)."""
    with style.briefing_style():
        fig = Figure(figsize=style.FIGSIZE, dpi=100, layout="constrained")
        ax = fig.add_subplot()
        labels = [f"{o} {d}" for o, d in zip(table["observation"], table["date"], strict=True)]
        y = np.arange(len(table))[::-1]
        for offset, prefix, colour, name in ((0.18, "prior_", style.GRID, "prior"),
                                             (-0.18, "", style.BLUE, "calibrated")):  # fmt: skip
            low, mid, high = (table[f"{prefix}p{q}"].to_numpy(float) for q in (10, 50, 90))
            ax.barh(y + offset, high - low, left=low, height=0.3, color=colour,
                    label=f"{name} p10-p90")  # fmt: skip
            ax.plot(mid, y + offset, "|", color=style.INK, markersize=10)
        marker = ["D" if b == "exact" else ("^" if b == "at_least" else "v")
                  for b in table["bound"]]  # fmt: skip
        for k, m in enumerate(marker):
            ax.plot(table["observed"].iloc[k], y[k], m, color=style.VERMILLION,
                    label="observed" if k == 0 else None)  # fmt: skip
        ax.set_yticks(y, labels, fontsize=8.5)
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        style.thousands(ax, "x")
        ax.legend(loc="lower right")
        scenario = str(dataset.attrs.get("scenario", ""))
        style.decorate(
            fig, _note(dataset), title=f"{scenario}: backtest from {as_of}",
            subtitle="Forecasts of the values reported after the cut-off, from the prior "
            "and after calibrating on the values up to it.", bands=False,
        )  # fmt: skip
    return fig


def _note(dataset: xr.Dataset) -> xr.Dataset:
    """The dataset with the attributes the footnote reads (runs: the sampler's)."""
    attrs: dict[str, Any] = dict(dataset.attrs)
    attrs["runs"] = int(attrs.get("runs", 0))
    return xr.Dataset(attrs=attrs)


def _list(raw: object) -> list[str]:
    import json

    try:
        value = json.loads(str(raw))
    except json.JSONDecodeError:
        return [str(raw)]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
