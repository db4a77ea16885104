"""The lineage chapter's figures: who gets built on (in-degree), how big families are and how
deep they go (one figure each), and how fast edges of each relation type arrive.

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


def plot_family_sizes(family_sizes: pd.DataFrame) -> Figure:
    """The CCDF of family sizes: the share of families with at least x nodes, log-log.

    Args:
        family_sizes: :func:`hflineage.lineage.network.family_size_distribution` (``size``,
            ``ccdf``).
    """
    require_columns(family_sizes, ("size", "ccdf"), "family_sizes")
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    sizes, ccdf = family_sizes["size"], family_sizes["ccdf"]
    ax.loglog(sizes, ccdf, marker="o", markersize=5, linestyle="none")
    plain_log_ticks(ax.xaxis, sizes.max() / max(sizes.min(), 1), lambda v: f"{v:,.0f}")
    plain_log_ticks(ax.yaxis, 1 / max(ccdf.min(), 1e-12), lambda v: f"{100 * v:g}%")
    ax.set_xlabel("family size (nodes)")
    ax.set_ylabel("families at least this size")
    return fig


def plot_depths(depths: pd.DataFrame) -> Figure:
    """Models at each depth (edges from a root) along the shortest and the longest chain, one
    line with a dot per depth for each, counts on a log axis (nodes on or below a cycle, depth
    -1, left out).

    Args:
        depths: :func:`hflineage.lineage.network.depth_distribution` (``depth``, ``shortest``,
            ``longest``).
    """
    require_columns(depths, ("depth", "shortest", "longest"), "depths")
    shown = depths[depths["depth"] >= 0]
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for col, label in (("shortest", "shortest chain"), ("longest", "longest chain")):
        counts = shown[col].where(shown[col] > 0)  # no model at a depth: a gap, not a zero
        ax.plot(shown["depth"], counts, marker="o", markersize=5, linewidth=1.5, label=label)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("depth (edges from a root)")
    ax.set_ylabel("models in a lineage")
    ax.legend(frameon=False)
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
