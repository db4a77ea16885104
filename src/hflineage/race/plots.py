"""Figures of the race chapters (05, 06), kept out of the notebooks so the chapters stay thin.
Every function returns a matplotlib figure with labelled axes (units in the labels).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .patterns import binscatter
from .specs import LABELS, LADDER

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
) -> Figure:
    """Binned scatters (within base) of each outcome in ``ys`` against each of ``xs``: one panel
    per (y, x); each point is the mean of one quantile bin of the within-base ``x``.
    """
    fig, axes = plt.subplots(
        len(ys), len(xs), figsize=(3.9 * len(xs), 3.1 * len(ys)), squeeze=False
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


def coefficient_plot(
    tidy: pd.DataFrame,
    outcome: str = "log_likes",
    terms: tuple[str, ...] = ("log_entry_rank", "log_congestion"),
    ladder=LADDER,
) -> Figure:
    """Point estimates and 95% confidence intervals (clustered by base) of each term in its own
    panel, down a ladder of specifications (:data:`LADDER`): alone or together, with no time
    control, the creation-month fixed effect, the log-age exposure control, and the controls.
    """
    fig, axes = plt.subplots(
        1,
        len(terms),
        figsize=(3.9 * len(terms), 0.9 + 0.42 * len(ladder)),
        sharey=True,
        squeeze=False,
    )
    for ax, term in zip(axes[0], terms, strict=True):
        for i, (_, specs) in enumerate(ladder):
            row = tidy[
                (tidy["outcome"] == outcome)
                & (tidy["term"] == term)
                & (tidy["spec"] == specs.get(term))
            ]
            if row.empty:
                continue
            r = row.iloc[0]
            ax.errorbar(
                r["estimate"],
                i,
                xerr=[[r["estimate"] - r["conf_low"]], [r["conf_high"] - r["estimate"]]],
                fmt="o",
                color="C0" if i < 3 else "C1" if i < 6 else "C2" if i < 8 else "C3",
                capsize=3,
            )
        ax.axvline(0, color="0.3", lw=0.8)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.set_title(LABELS.get(term, term), fontsize=10)
        ax.set_xlabel("coefficient (95% CI)")
    axes[0, 0].set_yticks(range(len(ladder)), [label for label, _ in ladder])
    axes[0, 0].invert_yaxis()
    return fig


def placebo_plot(draws: pd.DataFrame, actual: float, actual_se: float) -> Figure:
    """Timing-placebo priority coefficients (ranks from pseudo-bases released at a similar date):
    their histogram beside the actual estimate (line) and its 95% interval (shaded).
    """
    fig, ax = plt.subplots(figsize=(7.8, 3.6))
    est = draws["estimate"].to_numpy()
    ax.hist(est, bins=25, color="C0", label="pseudo-base ranks (timing kept)")
    ax.axvline(actual, color="C3", lw=2, label="actual ranks (95% CI shaded)")
    ax.axvspan(actual - 1.96 * actual_se, actual + 1.96 * actual_se, color="C3", alpha=0.15)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_xlabel("coefficient on log entry rank")
    ax.set_ylabel("placebo draws")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2)
    return fig


def _plain(axis: Any) -> None:
    """Plain numbers (1, 10, 100, 1,000) on a log axis instead of powers of ten."""
    axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(plt.NullFormatter())


def _log_hexbin(
    fig: Figure,
    ax: Any,
    x: np.ndarray,
    y: np.ndarray,
    labels: tuple[str, str, str],
    gridsize: int = 30,
) -> None:
    """Hexagonal bins of (x, y) on log-log axes with plain tick numbers and a log colour bar;
    ``labels``: x axis, y axis, colour bar.
    """
    hb = ax.hexbin(
        x, y, gridsize=gridsize, bins="log", cmap="Blues", mincnt=1, xscale="log", yscale="log"
    )
    bar = fig.colorbar(hb, ax=ax, label=labels[2])
    for axis in (bar.ax.yaxis, ax.xaxis, ax.yaxis):
        _plain(axis)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])


def entry_plot(bases: pd.DataFrame, panel: pd.DataFrame, mark_days: float = 30) -> Figure:
    """Left: a base's likes against its number of derivatives (models with at least one
    derivative; log scales, hexagonal bins). Right: when the race panel's entrants arrive — the
    cumulative share that has arrived by each day since the base's release, with the share by
    ``mark_days`` and the median lag marked (a cumulative curve: a histogram with an open last
    bin makes "a year or more" look like the busiest week).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.8, 3.6))
    sub = bases[bases["n_derivatives"] > 0]
    _log_hexbin(
        fig,
        left,
        sub["n_derivatives"].to_numpy(float),
        sub["likes"].to_numpy(float) + 1,
        ("derivatives of the base", "1 + likes of the base", "bases per cell"),
        gridsize=28,
    )
    lag = np.sort(panel["lag_days"].to_numpy(float))
    share = np.arange(1, len(lag) + 1) / max(len(lag), 1)
    right.plot(lag, share, color="C0", lw=2)
    if len(lag):
        by_mark = float(np.mean(lag <= mark_days))
        median = float(np.median(lag))
        right.axvline(mark_days, color="0.4", lw=0.8, ls=":")
        right.plot([mark_days], [by_mark], "o", color="C1")
        right.annotate(
            f"{by_mark:.0%} by day {mark_days:g}",
            (mark_days, by_mark),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
        )
        right.plot([median], [0.5], "o", color="C1")
        right.annotate(
            f"half by day {median:,.0f}",
            (median, 0.5),
            xytext=(8, -2),
            textcoords="offset points",
            va="top",
            fontsize=10,
        )
    right.set_ylim(0, 1.02)
    right.set_xlim(0, max(float(lag.max()) if len(lag) else 1.0, 1.0))
    right.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    right.set_xlabel("days since the base's release")
    right.set_ylabel("entrants arrived")
    return fig


#: The choices a specification makes, as rows of the curve's lower panel: column -> (row label,
#: {value: shown level}); levels keep the order of the mapping (values not listed come after).
CHOICES = {
    "congestion_days": ("window", {7: "7 days", 30: "30 days", 90: "90 days"}),
    "min_derivatives": ("race", {5: "≥ 5 entrants", 10: "≥ 10", 25: "≥ 25", 50: "≥ 50"}),
    "relations": (
        "entrants",
        {"all": "all kinds", "finetune+adapter": "finetune + adapter", "finetune": "finetune"},
    ),
    "lag": ("lag", {"none": "none", "log": "log", "bins": "bins", "spline": "spline"}),
    "exposure": ("log age", {False: "no", True: "yes"}),
    "controls": ("controls", {False: "no", True: "yes"}),
}

#: Colours of the three kinds of estimate (Okabe & Ito: vermillion, grey, blue).
SIGNIFICANCE_COLOURS = {
    "negative": "#D55E00",
    "not significant": "0.6",
    "positive": "#0072B2",
}


def curve_plot(
    curve: pd.DataFrame,
    term: str = "log_entry_rank",
    outcome: str = "log_likes",
    alpha: float = 0.05,
) -> Figure:
    """A specification curve in Simonsohn, Simmons and Nelson's layout, for one ``term`` and
    ``outcome``: top, every specification's estimate sorted from lowest to highest with its 95%
    interval, coloured by sign and significance at ``alpha``; below, aligned with it, one row
    per level of each choice (:data:`CHOICES`) with a mark where the specification makes that
    choice — so a reader sees which choices sit under the significant estimates.
    """
    sub = curve[(curve["term"] == term) & (curve["outcome"] == outcome)]
    sub = sub.sort_values("estimate", kind="stable").reset_index(drop=True)
    dims = [d for d in CHOICES if d in sub.columns and sub[d].nunique() > 1]
    levels: list[tuple[str, object, str]] = []  # (column, value, label)
    for d in dims:
        shown = CHOICES[d][1]
        present = list(dict.fromkeys(sub[d].tolist()))
        ordered = [v for v in shown if v in present] + sorted(
            (v for v in present if v not in shown), key=lambda v: (str(type(v)), v)
        )
        levels += [(d, v, str(shown.get(v, v))) for v in ordered]
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(7.4, 2.9 + 0.24 * len(levels) + 0.6),
        height_ratios=(2.9, 0.24 * max(len(levels), 1)),
        sharex=True,
    )
    x = np.arange(len(sub))
    est = sub["estimate"].to_numpy(float)
    sig = sub["p_value"].to_numpy(float) < alpha
    kind = np.where(sig & (est < 0), "negative", np.where(sig, "positive", "not significant"))
    for label, colour in SIGNIFICANCE_COLOURS.items():
        m = kind == label
        if m.any():
            top.errorbar(
                x[m],
                est[m],
                yerr=1.96 * sub["std_error"].to_numpy(float)[m],
                fmt="o",
                ms=2.5,
                lw=0.6,
                color=colour,
                label=f"{label}{'' if label == 'not significant' else f', p < {alpha:g}'}"
                f" ({int(m.sum())})",
            )
    top.axhline(0, color="0.2", lw=0.8)
    top.set_ylabel(f"{LABELS.get(term, term)}\n(95% CI)")
    top.grid(axis="x", visible=False)
    top.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=10)
    rows = np.arange(len(levels))
    for r, (d, v, _) in enumerate(levels):
        hit = (sub[d] == v).to_numpy()
        bottom.scatter(x[hit], np.full(hit.sum(), r), marker="|", s=40, color="0.25", lw=1)
    bottom.set_yticks(rows, [f"{CHOICES[d][0]}: {lab}" for d, _, lab in levels], fontsize=10)
    bottom.set_ylim(len(levels) - 0.5, -0.5)
    # a thin line between choices
    starts = [r for r in range(1, len(levels)) if levels[r][0] != levels[r - 1][0]]
    for r in starts:
        bottom.axhline(r - 0.5, color="0.8", lw=0.8)
    bottom.grid(False)
    bottom.set_xlabel(f"{len(sub)} specifications, sorted by the estimate")
    bottom.set_xlim(-1, max(len(sub), 1))
    bottom.tick_params(axis="x", bottom=False, labelbottom=False)
    return fig


#: Short labels of the three clocks and the two congestion counts, for the clocks figure.
CLOCK_LABELS = {
    "log_entry_rank": "rank",
    "log_lag": "lag",
    "log_age": "age",
    "log_congestion": "cong. (around)",
    "log_congestion_trailing": "cong. (trailing)",
}


def clocks_plot(panel: pd.DataFrame, correlations: pd.DataFrame) -> Figure:
    """The three clocks of a race.

    Left: log entry rank against log(1 + days since the base's release), every derivative
    (hexagonal bins): within a base the two rise together, but at the same lag the rank differs
    from base to base — the variation that separates priority from the base's life cycle.
    Right: the within-base (pooled, base means removed) correlations of
    :func:`hflineage.race.timing.clock_correlations` among the clocks, and of each congestion
    count with the rank.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.8, 3.6), width_ratios=(1.15, 1))
    _log_hexbin(
        fig,
        left,
        panel["lag_days"].to_numpy(float) + 1,
        panel["entry_rank"].to_numpy(float),
        ("1 + days since the base's release", "entry rank (1 = first)", "derivatives per cell"),
        gridsize=35,
    )
    clocks = {"log_entry_rank", "log_lag", "log_age"}
    split = correlations["pair"].str.split(" ~ ")
    shown = [
        (a in clocks and b in clocks) or (a == "log_entry_rank" and b.startswith("log_congestion"))
        for a, b in split.tolist()
    ]
    pairs = correlations[shown].copy()  # the clocks, and how each congestion count tracks rank
    names = pairs["pair"].str.split(" ~ ")
    pairs["label"] = [
        f"{CLOCK_LABELS.get(a, a)} ~ {CLOCK_LABELS.get(b, b)}" for a, b in names.tolist()
    ]
    y = np.arange(len(pairs))
    right.barh(y, pairs["pooled"], color=np.where(pairs["pooled"] < 0, "C3", "C0"))
    for yy, v in zip(y, pairs["pooled"], strict=True):  # the value beside zero, across from its bar
        right.annotate(
            f"{v:.2f}".replace("-", "−"),
            (0, yy),
            xytext=(-4 if v >= 0 else 4, 0),
            textcoords="offset points",
            va="center",
            ha="right" if v >= 0 else "left",
            fontsize=10,
        )
    right.set_yticks(y, pairs["label"], fontsize=10)
    right.invert_yaxis()
    right.axvline(0, color="0.3", lw=0.8)
    right.set_xlim(-1, 1)
    right.set_xlabel("correlation within base")
    return fig


def simulation_plot(study: pd.DataFrame, term: str = "log_entry_rank") -> Figure:
    """The simulation study: per process (panels), each candidate specification's mean estimate
    of ``term`` over the draws (dot) with ± 1.96 mean standard errors, against the truth (red
    line). A specification that lacks the term has no dot.
    """
    sub = study[study["term"] == term]
    processes = list(dict.fromkeys(sub["process"]))
    ncol = 2
    nrow = int(np.ceil(len(processes) / ncol))
    labels = list(dict.fromkeys(sub["label"]))
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(7.8, 0.6 + nrow * (0.3 * len(labels) + 0.9)),
        sharey=True,
        squeeze=False,
    )
    y = np.arange(len(labels))
    for ax, process in zip(axes.ravel(), processes, strict=False):
        rows = sub[sub["process"] == process].set_index("label").reindex(labels)
        ax.errorbar(
            rows["mean"], y, xerr=1.96 * rows["mean_se"], fmt="o", color="C0", capsize=2, ms=4
        )
        ax.axvline(float(rows["truth"].dropna().iloc[0]), color="C3", lw=1.5)
        ax.axvline(0, color="0.5", lw=0.6, ls=":")
        ax.set_title(str(rows["process_label"].dropna().iloc[0]), fontsize=10)
        ax.set_xlabel(f"estimated {LABELS.get(term, term)}")
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
    for ax in axes.ravel()[len(processes) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(y, labels, fontsize=9)
    axes[0, 0].invert_yaxis()
    return fig


#: Panel titles of :func:`event_study_plot`: what each estimator's coefficient measures.
EVENT_TITLES = {
    "ppml": "expected likes (PPML, log points)",
    "lpm": "probability of any like (LPM)",
    "ols_liked": "log likes among liked (OLS)",
    "ols": "log(1 + likes) (OLS, paper-style)",
}


def event_study_plot(study: pd.DataFrame) -> Figure:
    """Rank-bin coefficients against the first entrant (:func:`hflineage.race.rank_study.
    event_study`): one panel per estimator, a point and 95% interval per bin, the reference bin
    drawn hollow at zero.
    """
    estimators = list(dict.fromkeys(study["estimator"]))
    ncols = 2 if len(estimators) > 1 else 1
    nrows = int(np.ceil(len(estimators) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.4, 2.9 * nrows), squeeze=False)
    for ax, est in zip(axes.ravel(), estimators, strict=False):
        t = study[study["estimator"] == est].sort_values("bin")
        x = np.arange(len(t))
        ref = t["reference"].to_numpy(bool)
        yerr = np.vstack([t["estimate"] - t["low"], t["high"] - t["estimate"]])[:, ~ref]
        ax.errorbar(x[~ref], t["estimate"][~ref], yerr=yerr, fmt="o", color="C0", capsize=3)
        ax.plot(x[ref], t["estimate"][ref], "o", mfc="white", color="C0", label="reference")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xticks(x, t["rank"].tolist(), fontsize=9.5)
        ax.set_title(EVENT_TITLES.get(est, est), fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("team rank (1 = first entrant)")
    for ax in axes[:, 0]:
        ax.set_ylabel("difference from rank 1")
    for ax in axes.ravel()[len(estimators) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
