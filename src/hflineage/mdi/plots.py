"""Figures and the worked example of the MDI chapters (03, 04): kept out of the notebooks so the
chapters stay thin.  Every function returns a matplotlib figure with labelled axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .regressions import OTHER_DERIVATIONS, TERM_LABELS
from .summaries import MASS_CATEGORIES

#: Colours of the roles a successor can play for the focal model of the worked example (Okabe &
#: Ito hues, as the book's theme: blue, orange and reddish purple are told apart by every kind of
#: colour vision; orange and vermillion were not).
ROLE_COLOURS = {
    "focal F": "#000000",
    "P(F)": "#7f7f7f",
    "n_i": "#0072B2",
    "n_j": "#E69F00",
    "n_k": "#CC79A7",
    "not a successor": "#d9d9d9",
}


#: The worked example: creation day of each model (days after 2024-01-01), declared base models,
#: and a row (lane) for drawing.  F is the focal model, R its base.
TOY_MODELS = {
    # name: (day, lane)
    "R": (0, 0.0),
    "F": (10, 1.0),
    "A": (20, 2.0),
    "A2": (25, 1.6),
    "B": (30, 0.5),
    "C": (40, -0.8),
    "C2": (45, -1.4),
    "D": (50, 2.4),
    "E": (120, 1.0),
}


TOY_EDGES = [
    ("F", "R"),
    ("A", "F"),
    ("A2", "F"),
    ("B", "F"),
    ("B", "R"),
    ("C", "R"),
    ("C2", "R"),
    ("D", "A"),
    ("E", "F"),
]


def toy_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The worked example of chapter 3 as a models table and an edges table (the shape of
    :func:`hflineage.lineage.edges.build_edges`); snapshot on day 300, all dates reliable.
    """
    day0 = pd.Timestamp("2024-01-01", tz="UTC")
    models = pd.DataFrame(
        {
            "model_id": list(TOY_MODELS),
            "created_at": [day0 + pd.Timedelta(days=d) for d, _ in TOY_MODELS.values()],
            "created_at_reliable": True,
        }
    )
    models.attrs["snapshot_date"] = day0 + pd.Timedelta(days=300)
    edges = pd.DataFrame(TOY_EDGES, columns=["child", "parent"])
    edges["relation"] = "finetune"
    edges["parent_in_snapshot"] = True
    edges["parent_younger"] = False
    edges["in_cycle"] = False
    return models, edges


def toy_roles(focal: str = "F", window_days: float = 90) -> dict[str, str]:
    """Role of every model of the worked example for ``focal`` under direct edges."""
    models, edges = toy_example()
    day = {m: d for m, (d, _) in TOY_MODELS.items()}
    parents = edges.groupby("child")["parent"].apply(set).to_dict()
    preds = parents.get(focal, set())
    roles = {}
    for m in models["model_id"]:
        ps = parents.get(m, set())
        inside = day[focal] < day[m] <= day[focal] + window_days
        if m == focal:
            roles[m] = "focal F"
        elif m in preds:
            roles[m] = "P(F)"
        elif inside and focal in ps:
            roles[m] = "n_j" if ps & preds else "n_i"
        elif inside and ps & preds:
            roles[m] = "n_k"
        else:
            roles[m] = "not a successor"
    return roles


def draw_toy(focal: str = "F", window_days: float = 90) -> Figure:
    """Draw the worked example on a time axis: arrows from each model to its declared base
    model, colours by role for the focal model, the window shaded.
    """
    import networkx as nx

    models, edges = toy_example()
    graph = nx.DiGraph(list(zip(edges["child"], edges["parent"], strict=True)))
    pos = {m: (d, lane) for m, (d, lane) in TOY_MODELS.items()}
    roles = toy_roles(focal, window_days)
    fig, ax = plt.subplots(figsize=(7.8, 3.6))
    t0 = TOY_MODELS[focal][0]
    ax.axvspan(t0, t0 + window_days, color="#0173b2", alpha=0.07, lw=0)
    ax.text(t0 + window_days / 2, 2.95, f"window ({t0}, {t0 + window_days}] days", ha="center")
    nx.draw_networkx_edges(
        graph,
        pos,
        ax=ax,
        arrows=True,
        arrowstyle="-|>",
        arrowsize=14,
        edge_color="0.45",
        node_size=650,
    )
    nx.draw_networkx_nodes(
        graph, pos, ax=ax, node_size=650, node_color=[ROLE_COLOURS[roles[m]] for m in graph]
    )
    nx.draw_networkx_labels(graph, pos, ax=ax, font_color="white", font_size=10, font_weight="bold")
    for role, colour in ROLE_COLOURS.items():
        ax.scatter([], [], color=colour, s=80, label=role)
    ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set_xlabel("creation time (days after the first model)")
    ax.set_ylabel("")
    ax.set_yticks([])
    ax.set_ylim(-2.0, 3.3)
    ax.set_xlim(-8, 130)
    ax.tick_params(left=False, bottom=True, labelbottom=True)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return fig


def share_label(value: float) -> str:
    """A share as a bar label: "98.5%" from 1%, two significant digits below ("0.033%"), "0"
    for an exact zero, "" when missing.
    """
    if not np.isfinite(value):
        return ""
    if value == 0:
        return "0"
    if value < 0.01:
        return f"{100 * value:.2g}%"
    return f"{value:.1%}"


def plot_mass_points(
    with_roots: pd.DataFrame, without_roots: pd.DataFrame, primary: str | None = "cd"
) -> Figure:
    """Share of focal models in each MDI category (mass points −1, 0, +1, the open intervals
    between them, undefined) per variant, without and with roots (tables of
    :func:`mass_points`): one panel per variant, two per row, horizontal bars on a **log** scale
    so that a share of 0.2% stays as visible as one of 95%, every bar labelled with its share
    (an exact 0 has no bar and reads "0").  ``primary`` names the variant whose without-roots
    bars are the declared primary (its panel title says so).
    """
    categories = list(MASS_CATEGORIES)
    variants = list(dict.fromkeys(without_roots["variant"].astype(str)))
    values = {}
    for label, frame in (("without roots", without_roots), ("with roots", with_roots)):
        table = frame.assign(variant=frame["variant"].astype(str)).set_index("variant")
        values[label] = table.reindex(variants)[categories].to_numpy(float)
    floor = _log_floor(*values.values())
    ncols = min(2, len(variants))
    nrows = -(-len(variants) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(7.0, 0.36 * len(categories) * nrows + 0.9 * nrows + 0.5),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for ax in axes.flat[len(variants) :]:
        ax.set_visible(False)
    y = np.arange(len(categories))
    height = 0.4
    for j, (ax, variant) in enumerate(zip(axes.flat, variants, strict=False)):
        for k, (label, colour) in enumerate((("without roots", "C0"), ("with roots", "C1"))):
            _log_bars(ax, y + (k - 0.5) * height, values[label][j], floor, height, colour, label)
        _log_axis(ax, floor)
        ax.set_yticks(y, categories)
        ax.set_ylim(len(categories) - 0.5, -0.5)
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{variant} (primary: without roots)" if variant == primary else variant)
    for ax in axes[-1, :]:
        ax.set_xlabel("share of focal models (log scale)")
    for ax in axes[:, 0]:
        ax.set_ylabel("MDI value")
    _legend_above(fig, axes.flat[0], ncols=2)
    return fig


def plot_components(summary: pd.DataFrame) -> Figure:
    """Share of focal models with at least one n_i, n_j and n_k successor, per variant (a table
    of :func:`component_summary`): horizontal bars on a log scale, each labelled with its value
    (a share of 0.1% stays visible beside one of 99.7%).
    """
    frame = summary.set_index("variant")[["has_n_i", "has_n_j", "has_n_k"]]
    labels = ["n_i > 0 (builds on F only)", "n_j > 0 (on F and its base)", "n_k > 0 (base only)"]
    colours = [ROLE_COLOURS["n_i"], ROLE_COLOURS["n_j"], ROLE_COLOURS["n_k"]]
    values = frame.to_numpy(float)
    floor = _log_floor(values)
    fig, ax = plt.subplots(figsize=(7.5, 0.85 * len(frame) + 1.4))
    y = np.arange(len(frame))
    height = 0.28
    for k, (label, colour) in enumerate(zip(labels, colours, strict=True)):
        _log_bars(ax, y + (k - 1) * height, values[:, k], floor, height, colour, label, size=10)
    _log_axis(ax, floor)
    ax.set_yticks(y, frame.index.astype(str))
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("share of focal models with a successor (log scale)")
    ax.set_ylabel("variant")
    ax.legend(frameon=False, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=10)
    return fig


def _legend_above(fig: Figure, ax: plt.Axes, ncols: int, title: str | None = None) -> None:
    """One legend for the whole figure, centred above it, from ``ax``'s labelled artists."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        frameon=False,
        ncols=ncols,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        title=title,
    )


def _log_floor(*arrays: np.ndarray) -> float:
    """Left end of a log share axis: a third of the smallest positive share (at most 0.1%)."""
    positive = np.concatenate([np.asarray(a, float).ravel() for a in arrays])
    positive = positive[positive > 0]
    return min(1e-3, float(positive.min()) / 3) if positive.size else 1e-3


def _log_bars(
    ax: plt.Axes,
    ys: np.ndarray,
    shares: np.ndarray,
    floor: float,
    height: float,
    colour: str,
    label: str,
    size: float = 9,
) -> None:
    """Horizontal bars of ``shares`` from the axis' left end (``floor``) on a log scale, each
    labelled (:func:`share_label`): inside the bar in white from 20%, else right of it; an
    exact zero has no bar and reads "0".
    """
    ax.barh(  # from the axis' left end to the share itself
        ys,
        np.where(shares > floor, shares - floor, np.nan),
        height=height,
        left=floor,
        color=colour,
        label=label,
    )
    for yy, v in zip(ys, shares, strict=True):
        if not np.isfinite(v):
            continue
        inside = v >= 0.2
        ax.annotate(
            share_label(v),
            (max(v, floor), yy),
            xytext=(-5 if inside else 6, 0),
            textcoords="offset points",
            va="center",
            ha="right" if inside else "left",
            fontsize=size,
            color="white" if inside else "0.15",
        )


def _log_axis(ax: plt.Axes, floor: float) -> None:
    """A log share axis from ``floor`` to 100%, ticks as percentages."""
    ax.set_xscale("log")
    ax.set_xlim(floor, 1.0)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:g}%"))


#: Panels of the coefficient figure of chapter 4: title -> {term: label}, one scale per panel
#: (the size coefficient per tenfold size is ten times smaller than the derivation contrasts).
CLAIM_PANELS = {
    "P1-size: log10 parameters": {"log10_params": "per tenfold size"},
    "P1-finetune: how the model was derived": {
        "finetune": "finetune (vs all others)",
        **{term: TERM_LABELS[term] for term in OTHER_DERIVATIONS},
    },
}


def plot_coefficients(
    coefs: pd.DataFrame,
    panels: dict[str, dict[str, str]] | None = None,
    *,
    model: str = "lpm",
    primary: str = "cd",
) -> Figure:
    """The claim terms of one estimator (``model``, default the primary LPM) across MDI
    readings: one panel per group of terms on one scale (:data:`CLAIM_PANELS`: the size
    coefficient alone, the derivation contrasts together), panels stacked; per term one dot and
    95% interval (clustered by lineage family) per reading, the ``primary`` reading first and
    filled, the others hollow.  A reading without the term (not estimable) has no dot.

    ``coefs``: rows of :func:`hflineage.mdi.regressions.fit_all` (``variant``, ``model``, ``term``,
    ``coef``, ``ci_low``, ``ci_high``); the finetune-vs-all-others coefficient comes from its own
    regression (same sample and controls), concatenated by the caller.
    """
    panels = panels or CLAIM_PANELS
    frame = coefs[coefs["model"] == model]
    order = list(dict.fromkeys(coefs["variant"].astype(str)))  # one colour per reading, always
    variants = [v for v in order if v in set(frame["variant"].astype(str))]
    if primary in variants:
        variants = [primary, *[v for v in variants if v != primary]]
    sizes = [len(t) for t in panels.values()]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(7.6, 0.62 * sum(sizes) + 1.1 * len(panels) + 0.6),
        height_ratios=sizes,
        squeeze=False,
    )
    offsets = np.linspace(-0.27, 0.27, len(variants)) if len(variants) > 1 else np.zeros(1)
    for ax, (title, terms) in zip(axes[:, 0], panels.items(), strict=True):
        labels = list(terms.values())
        for k, v in enumerate(variants):
            d = frame[frame["variant"].astype(str) == v].set_index("term").reindex(list(terms))
            y = np.arange(len(terms)) + offsets[k]
            err = np.vstack([d["coef"] - d["ci_low"], d["ci_high"] - d["coef"]])
            ax.errorbar(
                d["coef"],
                y,
                xerr=err,
                fmt="o",
                ms=6,
                capsize=3,
                color=f"C{order.index(v)}",
                mfc=f"C{order.index(v)}" if v == primary else "white",
                label=f"{v} (primary)" if v == primary else v,
            )
        ax.axvline(0, color="0.3", lw=0.9)
        ax.grid(axis="y", visible=False)
        for sep in np.arange(len(terms) - 1) + 0.5:
            ax.axhline(sep, color="0.85", lw=0.6)
        ax.set_yticks(np.arange(len(terms)), labels)
        ax.set_ylim(len(terms) - 0.5, -0.5)
        ax.set_title(title, loc="left")
        ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    axes[-1, 0].set_xlabel(
        "change in P(MDI > 0) (LPM; 95% interval clustered by lineage family)"
        if model == "lpm"
        else f"{model} coefficient (95% interval clustered by lineage family)"
    )
    _legend_above(fig, axes[0, 0], ncols=len(variants), title="MDI reading")
    return fig


def mdi_curve_plot(curve: pd.DataFrame) -> Figure:
    """How many of the paper's four MDI stylised facts each (variant, roots) × window
    specification reproduces, as an annotated heat map.
    """
    grid = curve.assign(
        row=curve["variant"] + np.where(curve["include_roots"], " · with roots", " · no roots")
    ).pivot_table(index="row", columns="window_days", values="n_reproduced", aggfunc="first")
    fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.42 * len(grid)))
    im = ax.imshow(grid.to_numpy(float), cmap="Greens", vmin=0, vmax=4, aspect="auto")
    for (r, c), v in np.ndenumerate(grid.to_numpy(float)):
        if np.isfinite(v):
            ax.text(
                c, r, f"{int(v)}", ha="center", va="center", color="black" if v < 3 else "white"
            )
    ax.set_xticks(range(grid.shape[1]), [f"{int(w)}" for w in grid.columns])
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.set_xlabel("MDI window (days)")
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="stylised facts reproduced (of 4)", ticks=range(5))
    return fig


def plot_indegree_readings(table: pd.DataFrame) -> Figure:
    """Spearman's rho of the MDI with log(1 + in-degree) and its 95% interval (clustered by
    family), per variant, for in-degree counted after the window and at the snapshot
    (``table``: ``variant``, ``reading``, ``rho``, ``se``).
    """
    readings = list(dict.fromkeys(table["reading"]))
    variants = list(dict.fromkeys(table["variant"].astype(str)))
    fig, ax = plt.subplots(figsize=(7.0, 0.55 * len(variants) + 1.6))
    offsets = np.linspace(-0.15, 0.15, len(readings)) if len(readings) > 1 else np.zeros(1)
    for k, reading in enumerate(readings):
        d = table[table["reading"] == reading].set_index("variant").reindex(variants)
        y = np.arange(len(variants)) + offsets[k]
        ax.errorbar(
            d["rho"], y, xerr=1.96 * d["se"], fmt="o", ms=5, capsize=3, color=f"C{k}", label=reading
        )
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(np.arange(len(variants)), variants)
    ax.set_ylim(len(variants) - 0.5, -0.5)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("Spearman's rho of MDI with in-degree (95% interval, family-clustered)")
    ax.set_ylabel("variant")
    ax.legend(frameon=False, title="in-degree counted", loc="upper left", bbox_to_anchor=(1, 1))
    return fig


def plot_simulation(sims: pd.DataFrame) -> Figure:
    """Estimates of the planted effect over simulated draws, one panel per truth: a histogram
    of the estimates, the truth (solid) and the mean estimate (dashed).
    """
    truths = sorted(sims["truth"].unique())
    fig, axes = plt.subplots(1, len(truths), figsize=(3.7 * len(truths), 3.4), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, truth in zip(axes, truths, strict=True):
        est = sims.loc[sims["truth"] == truth, "estimate"]
        ax.hist(est, bins=20, color="C0", alpha=0.7)
        ax.axvline(truth, color="black", lw=1.5, label="planted effect")
        ax.axvline(est.mean(), color="C1", lw=1.5, ls="--", label="mean estimate")
        ax.set_title(f"planted effect {truth:g}")
        ax.set_xlabel("estimated coefficient")
        ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axes[0].set_ylabel("simulated draws")
    _legend_above(fig, axes[0], ncols=2)
    return fig
