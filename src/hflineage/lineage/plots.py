"""The lineage chapter's figures: who gets built on (in-degree), how big families are and how
deep they go, and how fast edges of each relation type arrive.

Each function takes what a :mod:`hflineage.lineage.network` descriptive returns and gives back a
matplotlib figure in the active theme's colours (the book's palette once
:class:`hflineage.chapter.report.Chapter` has set its theme).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ..data.plots import MONTH_BAR_DAYS, month_axis, plot_ccdf, thousands
from ..data.schema import RELATIONS, require_columns


def plot_in_degree_ccdf(dist: pd.DataFrame) -> Figure:
    """P(in-degree >= x) among models with at least one derivative, log-log.

    Args:
        dist: :func:`hflineage.lineage.network.in_degree_ccdf` (``x``, ``ccdf``).
    """
    return plot_ccdf(
        {"in-degree": dist},
        xlabel="x (direct derivatives of a model)",
        ylabel="P(in-degree ≥ x) among models with ≥ 1",
        markersize=4,
    )


def plain_log_ticks(axis: Axis, span: float, label: Callable[[float], str]) -> None:
    """Log-axis ticks written as plain numbers (``label``), with more ticks per decade when the
    data span few decades (``span``: largest / smallest value shown).
    """
    if span < 30:
        subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if span < 3 else (1.0, 2.0, 5.0)
        axis.set_major_locator(LogLocator(subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: label(v)))
    axis.set_minor_formatter(NullFormatter())


def plot_families_depth(family_sizes: pd.DataFrame, depths: pd.DataFrame) -> Figure:
    """Two panels: the CCDF of family sizes (log-log), and models per depth along the shortest and
    the longest chain from a root (log counts; nodes on or below a cycle, depth -1, left out).

    Args:
        family_sizes: :func:`hflineage.lineage.network.family_size_distribution` (``size``,
            ``ccdf``).
        depths: :func:`hflineage.lineage.network.depth_distribution` (``depth``, ``shortest``,
            ``longest``).
    """
    require_columns(family_sizes, ("size", "ccdf"), "family_sizes")
    require_columns(depths, ("depth", "shortest", "longest"), "depths")
    fig, axes = plt.subplots(1, 2, figsize=(7.8, 3.6))
    sizes, ccdf = family_sizes["size"], family_sizes["ccdf"]
    axes[0].loglog(sizes, ccdf, marker="o", markersize=4, linestyle="none")
    plain_log_ticks(axes[0].xaxis, sizes.max() / max(sizes.min(), 1), lambda v: f"{v:,.0f}")
    plain_log_ticks(axes[0].yaxis, 1 / max(ccdf.min(), 1e-12), lambda v: f"{100 * v:g}%")
    axes[0].set_xlabel("family size (nodes)")
    axes[0].set_ylabel("families at least this size")
    shown = depths[depths["depth"] >= 0]
    axes[1].bar(shown["depth"] - 0.2, shown["shortest"], width=0.4, label="shortest chain")
    axes[1].bar(shown["depth"] + 0.2, shown["longest"], width=0.4, label="longest chain")
    axes[1].set_yscale("log")
    axes[1].yaxis.set_major_formatter(FuncFormatter(thousands))
    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].set_xlabel("depth (edges from a root)")
    axes[1].set_ylabel("models in a lineage")
    axes[1].legend(frameon=False)
    return fig


def plot_monthly_growth(growth: pd.DataFrame) -> Figure:
    """New lineage edges per month of the child's creation, stacked by relation type in the
    order of :data:`~hflineage.data.schema.RELATIONS`.

    Args:
        growth: :func:`hflineage.lineage.network.monthly_growth` (``month`` and one column per
            relation).
    """
    require_columns(growth, ("month", *RELATIONS), "growth")
    fig, ax = plt.subplots(figsize=(8, 4))
    bottom = np.zeros(len(growth))
    for rel in RELATIONS:
        ax.bar(growth["month"], growth[rel], bottom=bottom, width=MONTH_BAR_DAYS, label=rel)
        bottom += growth[rel].to_numpy()
    month_axis(ax, "child's creation month (UTC)", "new lineage edges per month")
    ax.legend(frameon=False)
    return fig
