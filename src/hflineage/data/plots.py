"""The data chapter's figures: growth of the Hub by month, what the models are for, and the
heavy-tailed attention they get.

Each function takes the frame a :mod:`hflineage.data.describe` helper returns and gives back a
matplotlib figure; colours come from the active theme's cycle (``C0``, ``C1``: the book's
palette once :class:`hflineage.chapter.report.Chapter` has set its theme).  :func:`month_axis`
and :func:`plot_ccdf` serve the lineage chapter's figures too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..errors import ParameterError
from .schema import require_columns

#: Width of a monthly bar (days): a month minus a gap.
MONTH_BAR_DAYS = 25


def thousands(value: float, _position: object = None) -> str:
    """A tick label with a thousands separator and no decimals (``12000.0`` -> ``"12,000"``)."""
    return f"{value:,.0f}"


def month_axis(ax: Axes, xlabel: str, ylabel: str) -> None:
    """Label a monthly bar chart: a date tick every January and July (``Jan 2024``), counts with
    a thousands separator.
    """
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[1, 7]))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def plot_models_per_month(per_month: pd.DataFrame) -> Figure:
    """New repositories per creation month, reliable dates below and back-filled ones stacked on
    top (in the second colour).

    Args:
        per_month: :func:`hflineage.data.describe.models_per_month` (``month``, ``reliable``,
            ``back_filled``).
    """
    require_columns(per_month, ("month", "reliable", "back_filled"), "per_month")
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.bar(per_month["month"], per_month["reliable"], width=MONTH_BAR_DAYS, label="reliable date")
    ax.bar(
        per_month["month"],
        per_month["back_filled"],
        width=MONTH_BAR_DAYS,
        bottom=per_month["reliable"],
        label="back-filled (2022-03-02)",
    )
    month_axis(ax, "creation month (UTC; the last month is partial)", "new models per month")
    ax.legend(frameon=False)
    return fig


def plot_top_values(
    panels: Mapping[str, pd.DataFrame], *, bar_label: Callable[[float], str]
) -> Figure:
    """One horizontal bar panel per frame of :func:`hflineage.data.describe.top_values`, stacked,
    the largest value on top, each bar labelled with its share.

    Args:
        panels: panel title -> frame with ``value`` and ``share``.
        bar_label: how a share is written beside its bar (the book passes
            :func:`hflineage.chapter.tables.format_share`).
    """
    if not panels:
        raise ParameterError("panels is empty; expected at least one title -> top_values frame")
    for title, frame in panels.items():
        require_columns(frame, ("value", "share"), f"panel {title!r}")
    rows = [len(frame) for frame in panels.values()]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(7.4, 0.3 * sum(rows) + 1.1 * len(panels) + 0.3),
        height_ratios=rows,
        squeeze=False,
    )
    for ax, (title, frame) in zip(axes[:, 0], panels.items(), strict=True):
        y = np.arange(len(frame))
        ax.barh(y, frame["share"], color="C0")
        for yy, v in zip(y, frame["share"], strict=True):
            ax.text(v, yy, f" {bar_label(v)}", va="center", fontsize=10)
        ax.set_yticks(y, frame["value"])
        ax.invert_yaxis()
        ax.set_xlim(0, frame["share"].max() * 1.2)
        ax.set_xlabel("share of models")
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    return fig


def plot_ccdf(
    curves: Mapping[str, pd.DataFrame],
    *,
    xlabel: str,
    ylabel: str,
    markersize: float = 3,
    figsize: tuple[float, float] = (6.5, 4.2),
) -> Figure:
    """Complementary cumulative distributions on log-log axes, one marker series per curve (a
    legend only when there are several).

    Args:
        curves: label -> frame of :func:`hflineage.data.describe.ccdf` (``x``, ``ccdf``).
        xlabel: what ``x`` counts.
        ylabel: what the probability is taken over.
        markersize: marker size in points.
        figsize: the figure's size in inches.
    """
    if not curves:
        raise ParameterError("curves is empty; expected at least one label -> ccdf frame")
    fig, ax = plt.subplots(figsize=figsize)
    for label, dist in curves.items():
        require_columns(dist, ("x", "ccdf"), f"curve {label!r}")
        ax.loglog(
            dist["x"],
            dist["ccdf"],
            marker=".",
            linestyle="none",
            markersize=markersize,
            label=label,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(curves) > 1:
        ax.legend(frameon=False)
    return fig
