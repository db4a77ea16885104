"""The binned scatters of Hill & Stein's links as the declared designs see them: one panel per
claim, both axes purged of the design's fixed effects, the design's estimate beside it
(:func:`binscatter_panels`, drawn by :func:`binscatter_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .hillstein import EARLY_DAYS, HORIZON_DAYS, KTH_TEAM
from .hillstein_fits import DESIGNS, FitDesign, within_binscatter


def _points(frame: pd.DataFrame, d: FitDesign, bins: int) -> pd.DataFrame | None:
    """The within-design binned scatter of ``d``'s term and outcome; ``None`` when there are
    fewer than two complete rows per bin.
    """
    usable = frame[[d.term, d.outcome, *d.fixed_effects]].dropna()
    if len(usable) < 2 * bins:
        return None
    return within_binscatter(usable, d.term, d.outcome, list(d.fixed_effects), bins=bins)


def _said(fit: Mapping[str, float]) -> str:
    if not np.isfinite(fit["estimate"]):
        return "not estimable"
    return f"estimate {fit['estimate']:.3f} (SE {fit['se']:.3f})"


def binscatter_panels(
    potential: pd.DataFrame,
    entrants: pd.DataFrame,
    fits: Mapping[str, Mapping[str, float]],
    *,
    bins: int = 20,
) -> list[dict[str, object]]:
    """The four claims' panels for :func:`binscatter_figure`: potential → teams and → speed (on
    ``potential``), contest → maturation and maturation → quality (on ``entrants``), each with
    its axis labels (the windows from ``potential.attrs``) and its fit in words.
    """
    horizon = potential.attrs.get("horizon", HORIZON_DAYS)
    k = potential.attrs.get("k", KTH_TEAM)
    early = potential.attrs.get("early", EARLY_DAYS)
    frames = {"potential": potential, "entrants": entrants}
    likes = "log(1 + likes of the account's earlier models)"
    shown = {
        "HS-potential": (
            likes,
            f"rival teams within {horizon:g} days",
            "potential → teams",
            "PPML ",
        ),
        "HS-speed": (likes, f"days to the team {k} (max {horizon:g})", "potential → speed", ""),
        "HS-maturation": (
            f"log(1 + rival teams, first {early:g} days)",
            "maturation: log(1 + days after the base)",
            "contest → maturation",
            "",
        ),
        "HS-quality": (
            "log(1 + days after the base)",
            "quality index (share of proxies)",
            "maturation → quality",
            "",
        ),
    }
    return [
        {
            "points": _points(frames[DESIGNS[name].frame], DESIGNS[name], bins),
            "x": x,
            "y": y,
            "title": title,
            "estimate": prefix + _said(fits[name]),
        }
        for name, (x, y, title, prefix) in shown.items()
    ]


def binscatter_figure(panels: Sequence[Mapping]) -> object:
    """One binned-scatter panel per entry of ``panels`` (keys ``points`` from
    :func:`within_binscatter` or ``None``, ``x``, ``y`` axis labels, ``title`` and ``estimate``,
    the design's estimate in words), two to a row; the line has the design's slope.
    """
    import matplotlib.pyplot as plt

    cols = min(2, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.9 * cols, 3.5 * rows), squeeze=False)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    for j, (ax, p) in enumerate(zip(axes.ravel(), panels, strict=False)):
        pts = p.get("points")
        ax.set_xlabel(p["x"])
        ax.set_ylabel(p["y"])
        ax.set_title(p.get("title", ""), fontsize=11)
        ax.xaxis.label.set_size(10.5)
        ax.yaxis.label.set_size(10.5)
        if pts is None or pts.empty:
            ax.text(
                0.5,
                0.5,
                "not estimable\non this run's data",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=10.5,
            )
            continue
        ax.plot(pts["x"], pts["y"], "o", color=f"C{j}", ms=5)
        slope = float(pts["slope"].iloc[0])
        mx = np.average(pts["x"], weights=pts["n"])
        my = np.average(pts["y"], weights=pts["n"])
        grid = np.linspace(pts["x"].min(), pts["x"].max(), 2)
        ax.plot(grid, my + slope * (grid - mx), "-", color="0.35", lw=1)
        ax.text(
            0.03,
            0.97,
            p.get("estimate", ""),
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=10.5,
            bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9},
        )
    return fig
