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


#: Colour of each MDI category (Okabe & Ito hues): negative values orange/vermillion, zero
#: grey, positive blues, undefined light grey.
CATEGORY_COLOURS = {
    "−1": "#D55E00",
    "(−1, 0)": "#E69F00",
    "0": "#7f7f7f",
    "(0, 1)": "#56B4E9",
    "+1": "#0072B2",
    "undefined": "#bbbbbb",
}

#: Right ends a zoomed share axis may take (the small shares, left of the break).
ZOOM_LIMITS = (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4)

#: Size (pt) of the share written beside each bar.
BAR_LABEL_PT = 10.0


def share_break(values: np.ndarray) -> tuple[float, float | None]:
    """Where a linear share axis is broken so that small and large shares both read.

    Returns:
        The right end of the zoomed part (from :data:`ZOOM_LIMITS`, with room for a label
        beside the largest share under 50%) and the left end of the part that holds the shares
        of 50% and more (at least 3 points below the smallest, on a 5-point step); ``(1.0,
        None)`` when the two parts would meet (one plain 0-100% axis), ``(zoom, None)`` when no
        share reaches 50%.
    """
    v = np.asarray(values, float).ravel()
    v = v[np.isfinite(v)]
    small, large = v[v < 0.5], v[v >= 0.5]
    top = float(small.max()) if small.size else 0.0
    low = next((z for z in ZOOM_LIMITS if z >= 1.5 * top), 1.0)
    if not large.size:
        return low, None
    high = float(np.floor((float(large.min()) - 0.03) / 0.05) * 0.05)
    if high <= low + 0.05:
        return 1.0, None
    return low, high


def _percent_axis(ax: plt.Axes) -> None:
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.3g}%"))


def _share_panel(
    axes: list[plt.Axes],
    labels: list[str],
    shares: np.ndarray,
    colours: list[str],
    *,
    low: float,
    high: float | None,
    title: str,
) -> None:
    """One row of horizontal share bars on a **linear** axis, broken at ``low``/``high``
    (:func:`share_break`; ``axes``: one axis, or two when broken): the left part runs from 0
    to ``low`` and shows the small shares, the right part from ``high`` to 100% the large
    ones; a bar that crosses the break is drawn in both.  Every bar carries its share
    (:func:`share_label`; an exact 0 has no bar and reads "0").
    """
    ax = axes[0]
    y = np.arange(len(labels))
    ax.barh(y, np.minimum(shares, low), color=colours, height=0.7)
    ax.set_xlim(0, low)
    ticks = plt.MaxNLocator(5).tick_values(0, low)
    ax.set_xticks([t for t in ticks if 0 <= t < (0.97 * low if high is not None else 1.001 * low)])
    ax.set_yticks(y, labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_title(title, loc="left")
    for yy, v in zip(y, shares, strict=True):
        if np.isfinite(v) and v <= low:
            ax.annotate(
                share_label(v),
                (v, yy),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=BAR_LABEL_PT,
                color="0.15",
            )
    if high is not None:
        right = axes[1]
        big = np.where(shares >= high, shares - high, np.nan)
        right.barh(y, big, left=high, color=colours, height=0.7)
        right.set_xlim(high, 1.0)
        right.xaxis.set_major_locator(plt.MultipleLocator(0.05))
        right.set_ylim(len(labels) - 0.5, -0.5)
        right.tick_params(axis="y", left=False, labelleft=False)
        for yy, v in zip(y, shares, strict=True):
            if np.isfinite(v) and v >= high:
                right.annotate(
                    share_label(v),
                    (v, yy),
                    xytext=(-4, 0),
                    textcoords="offset points",
                    va="center",
                    ha="right",
                    fontsize=BAR_LABEL_PT,
                    color="white",
                )
        ax.spines["right"].set_visible(False)
        right.spines["left"].set_visible(False)
        marks = {"marker": [(-1, -1.5), (1, 1.5)], "markersize": 10, "linestyle": "none"}
        marks |= {"color": "0.4", "mec": "0.4", "mew": 1, "clip_on": False}
        ax.plot([1, 1], [0, 1], transform=ax.transAxes, **marks)
        right.plot([0, 0], [0, 1], transform=right.transAxes, **marks)
    for a in axes:
        a.grid(axis="y", visible=False)
        _percent_axis(a)


def _share_rows(
    panels: dict[str, np.ndarray], labels: list[str], colours: list[str], xlabel: str
) -> Figure:
    """One :func:`_share_panel` per title of ``panels`` (its shares in the order of
    ``labels``), stacked, all on one broken linear axis (:func:`share_break`).
    """
    low, high = share_break(np.concatenate(list(panels.values())))
    fig, axes = plt.subplots(
        len(panels),
        1 if high is None else 2,
        figsize=(7.5, len(panels) * (0.3 * len(labels) + 0.75) + 0.7),
        width_ratios=None if high is None else (3.2, 1.0),
        squeeze=False,
    )
    for row, (title, values) in zip(axes, panels.items(), strict=True):
        _share_panel(list(row), labels, values, colours, low=low, high=high, title=title)
    for a in axes[:-1].ravel():
        a.tick_params(axis="x", labelbottom=False)
    axes[-1, 0].set_xlabel(xlabel, loc="left")
    fig.tight_layout(w_pad=0.3)
    return fig


def plot_mass_points(mass: pd.DataFrame, primary: str | None = "cd") -> Figure:
    """Share of focal models in each MDI category (mass points −1, 0, +1, the open intervals
    between them, undefined), one row per variant of a
    :func:`~hflineage.mdi.summaries.mass_points` table (the chapter passes roots out):
    horizontal bars on a **linear** share axis broken where the small shares end
    (:func:`share_break`), so that 0.2% stays a sliver beside 96.7% yet can be read; every bar
    labelled with its share.  ``primary`` names the declared primary variant (its title says
    so).
    """
    categories = list(MASS_CATEGORIES)
    table = mass.assign(variant=mass["variant"].astype(str)).set_index("variant")
    panels = {
        f"{v} (the primary)" if v == primary else v: table.loc[v, categories].to_numpy(float)
        for v in dict.fromkeys(table.index)
    }
    colours = [CATEGORY_COLOURS[c] for c in categories]
    return _share_rows(panels, categories, colours, "share of focal models with a successor")


def plot_components(summary: pd.DataFrame) -> Figure:
    """Share of focal models with at least one n_i, n_j and n_k successor (a
    :func:`~hflineage.mdi.summaries.component_summary` table), one row per group of variants
    with the same shares (cd, cd_nok and sibling count the same direct successors): bars on a
    **linear** axis broken where the small shares end (:func:`share_break`), each labelled.
    """
    cols = ["has_n_i", "has_n_j", "has_n_k"]
    frame = summary.assign(variant=summary["variant"].astype(str))
    key = frame[cols].round(12).astype(str).agg("|".join, axis=1)
    panels = {
        ", ".join(group["variant"]): group[cols].iloc[0].to_numpy(float)
        for _, group in frame.groupby(key, sort=False)
    }
    labels = ["n_i > 0: builds on F only", "n_j > 0: on F and its base", "n_k > 0: base only"]
    colours = [ROLE_COLOURS["n_i"], ROLE_COLOURS["n_j"], ROLE_COLOURS["n_k"]]
    return _share_rows(panels, labels, colours, "share of focal models with a successor")


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
