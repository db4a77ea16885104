"""Figures of the race chapters (05, 06), kept out of the notebooks so the chapters stay thin.
Every function returns a matplotlib figure with labelled axes (units in the labels)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .race import binscatter
from .race_models import LABELS

#: Axis labels of the variables drawn in binned scatters.
AXIS = {
    "entry_rank": "entry rank among the base's derivatives (1 = first)",
    "log_entry_rank": "log entry rank (within base)",
    "congestion": "same-base entries in the window before entry (count)",
    "log_congestion": "log(1 + congestion) (within base)",
    "log_likes": "log(1 + likes at the snapshot)",
    "any_like": "share with at least one like",
    "log_downloads": "log(1 + downloads, last ~30 days)",
}


def binscatter_grid(
    panel: pd.DataFrame,
    xs: tuple[str, ...] = ("log_entry_rank", "log_congestion"),
    ys: tuple[str, ...] = ("log_likes", "any_like"),
    bins: int = 20,
):
    """Binned scatters (within base) of each outcome in ``ys`` against each of ``xs``: one panel
    per (y, x); each point is the mean of one quantile bin of the within-base ``x``."""
    fig, axes = plt.subplots(
        len(ys), len(xs), figsize=(4.4 * len(xs), 3.3 * len(ys)), squeeze=False
    )
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            ax = axes[i, j]
            pts = binscatter(panel, x, y, bins=bins)
            ax.plot(pts["x"], pts["y"], "o", color=f"C{j}", ms=5)
            slope, intercept = np.polyfit(pts["x"], pts["y"], 1, w=pts["n"])
            grid = np.linspace(pts["x"].min(), pts["x"].max(), 2)
            ax.plot(grid, intercept + slope * grid, "-", color="0.4", lw=1)
            ax.set_xlabel(AXIS.get(x, x))
            ax.set_ylabel(AXIS.get(y, y))
    return fig


def coefficient_plot(tidy: pd.DataFrame, terms: tuple[str, ...], specs: list[str], outcome: str):
    """Point estimates and 95% confidence intervals of ``terms`` across ``specs`` for one
    outcome: one row per term, one marker per specification."""
    sub = tidy[(tidy["outcome"] == outcome) & tidy["term"].isin(terms) & tidy["spec"].isin(specs)]
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.55 * len(terms) * len(specs)))
    y = 0.0
    ticks, labels = [], []
    for term in terms:
        for k, spec in enumerate(specs):
            row = sub[(sub["term"] == term) & (sub["spec"] == spec)]
            if row.empty:
                continue
            r = row.iloc[0]
            ax.errorbar(
                r["estimate"],
                y,
                xerr=[[r["estimate"] - r["conf_low"]], [r["conf_high"] - r["estimate"]]],
                fmt="o",
                color=f"C{k}",
                capsize=3,
                label=spec if term == terms[0] else None,
            )
            ticks.append(y)
            labels.append(f"{LABELS.get(term, term)} · {spec}")
            y -= 1
        y -= 0.6
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(ticks, labels)
    ax.set_xlabel(f"coefficient on {outcome} (95% CI, clustered by base)")
    return fig


def placebo_plot(draws: pd.DataFrame, actual: float, actual_se: float):
    """Histogram of placebo priority coefficients (entry order shuffled within base) with the
    actual estimate and its 95% interval marked."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.hist(draws["estimate"], bins=30, color="C0", alpha=0.8, label="shuffled entry order")
    ax.axvline(actual, color="C3", lw=2, label="actual order")
    ax.axvspan(actual - 1.96 * actual_se, actual + 1.96 * actual_se, color="C3", alpha=0.15)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("coefficient on log entry rank (log likes, base and month FE, log age)")
    ax.set_ylabel("placebo draws")
    ax.legend(frameon=False)
    return fig
