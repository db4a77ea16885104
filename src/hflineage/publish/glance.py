"""Results at a glance: the introduction's findings-first box.

One figure — every finding's declared primary estimate as a z-statistic turned so that right is
the direction the paper claims, with its 95% interval — and one table of the final verdicts,
linked to the chapters.  Built at render time from ``numbers.json`` and ``book/claims.yml``, like
the status page, so it always shows this run's numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..chapter.report import set_theme
from .markdown import _doc, list_table, md_escape
from .status import NOT_ASSESSED, badge, final_verdict

#: Two-sided 5% critical value of the normal distribution.
Z95 = 1.959964

#: Colour of each verdict in the figure (Okabe-Ito hues, as the book's theme).
VERDICT_COLOURS = {
    "reproduced": "#009E73",
    "partly reproduced": "#E69F00",
    "not reproduced": "#56B4E9",
    "contradicted": "#D55E00",
    "not testable": "#999999",
    "method": "#999999",
    NOT_ASSESSED: "#999999",
}


def glance_rows(claims: dict[str, Any], numbers: dict[str, Any]) -> pd.DataFrame:
    """One row per claim: id, paper, claim, kind, final verdict, its sentence and chapter, and —
    for findings judged by a sign rule — the primary estimate as ``z`` in the paper's direction
    (``z = estimate / se``, negated when the paper expects a negative sign) with its interval.
    """
    recorded = numbers.get("claims", {})
    rows = []
    for claim in claims["claims"]:
        chosen, _ = final_verdict(claim, recorded.get(claim["id"], []))
        expected = (claim.get("rule", {}).get("params") or {}).get("expected")
        primary = (chosen or {}).get("primary") or {}
        est, se = primary.get("estimate"), primary.get("se")
        z = np.nan
        if expected and est is not None and se:
            z = (est / se) * (1.0 if expected == "positive" else -1.0)
        rows.append(
            {
                "id": claim["id"],
                "paper": claim["paper"],
                "claim": claim["claim"],
                "kind": claim["kind"],
                "status": chosen["status"] if chosen else NOT_ASSESSED,
                "sentence": (chosen or {}).get("sentence", ""),
                "chapter": (chosen or {}).get("chapter") or claim["primary"].get("chapter", ""),
                "estimate": est,
                "se": se,
                "expected": expected,
                "z": z,
                "z_low": z - Z95,
                "z_high": z + Z95,
            }
        )
    return pd.DataFrame(rows)


def glance_figure(rows: pd.DataFrame, data_label: str) -> Figure | None:
    """Forest plot of the findings' primary estimates in the paper's direction (None when no
    finding has one): right of the band is significant support, left of it significant
    contradiction.
    """
    found = rows[np.isfinite(rows["z"].to_numpy(dtype=float))].iloc[::-1]
    if found.empty:
        return None
    set_theme()
    # a Figure of its own, not pyplot: no backend is chosen (importing this module must not
    # switch a chapter's kernel away from the inline backend, which would drop every figure)
    fig = Figure(figsize=(8, 0.55 * len(found) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(found))
    lim = max(4.0, float(np.nanmax(np.abs(found[["z_low", "z_high"]].to_numpy()))) + 0.5)
    ax.axvspan(-Z95, Z95, color="0.92", zorder=0)
    ax.axvline(0, color="0.4", lw=1)
    for yi, (_, row) in zip(y, found.iterrows(), strict=True):
        colour = VERDICT_COLOURS.get(row["status"], "#999999")
        ax.plot([row["z_low"], row["z_high"]], [yi, yi], color=colour, lw=2.5)
        ax.plot(row["z"], yi, "o", color=colour, ms=8)
    ax.set_yticks(y, [f"{i}" for i in found["id"]])
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("our primary estimate / its SE, in the direction the paper claims")
    ax.text(lim * 0.97, len(found) - 0.4, "supports the paper →", ha="right", va="bottom")
    ax.text(-lim * 0.97, len(found) - 0.4, "← against the paper", ha="left", va="bottom")
    ax.set_ylim(-0.6, len(found) + 0.2)
    handles = [
        Line2D([], [], color=c, marker="o", lw=2.5, label=s)
        for s, c in VERDICT_COLOURS.items()
        if s in set(found["status"])
    ]
    ax.legend(handles=handles, loc="lower right", frameon=True)
    fig.text(0.005, 0.005, f"Data: {data_label}", fontsize=9, color="0.3", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def glance_page(rows: pd.DataFrame, figure: str | None, *, data_label: str) -> str:
    """The Markdown of the box: the figure (if any) and the verdict table with chapter links."""
    counts = rows["status"].value_counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in VERDICT_COLOURS if s in counts)
    parts = [
        "`````{admonition} Results at a glance",
        ":class: tip",
        "",
        f"This run ({md_escape(data_label)}): {len(rows)} claims — {summary}. Each verdict is a "
        "declared rule applied to a declared primary specification ({doc}`status` explains the "
        "rules; the chapters show the numbers).",
        "",
    ]
    if figure:
        parts += [
            "```{figure} " + figure,
            ":name: fig-glance",
            ":alt: For each finding, our primary estimate divided by its standard error, turned so "
            "that right is the direction the paper claims, with a 95% interval; the grey band is "
            "not significant.",
            "",
            "**Right of the grey band: our primary estimate supports the paper; inside it: no "
            "significant effect; left of it: significantly the other way.** Each finding's "
            f"primary estimate / SE with its 95% interval. Data: {md_escape(data_label)}.",
            "```",
            "",
        ]
    table = []
    for _, row in rows.iterrows():
        link = _doc(row["chapter"], short=True) if row["chapter"] else ""
        table.append(
            [
                f"**{row['id']}**",
                md_escape(row["claim"]),
                badge(row["status"]),
                md_escape(row["sentence"]) + (f" ({link})" if link else "")
                if row["sentence"]
                else "—",
            ]
        )
    parts.append(
        list_table(
            ["claim", "the paper says", "our verdict", "why"],
            table,
            [15, 27, 13, 45],
            css="hfl-status",
        )
    )
    parts.append("`````")
    return "\n".join(parts) + "\n"


def write_glance(
    claims: dict[str, Any], numbers: dict[str, Any], dest: Path, *, data_label: str
) -> Path:
    """Write ``glance.md`` (and ``glance.png``) into ``dest``; return the Markdown file."""
    rows = glance_rows(claims, numbers)
    fig = glance_figure(rows, data_label)
    figure = None
    dest.mkdir(parents=True, exist_ok=True)
    if fig is not None:
        fig.savefig(dest / "glance.png", dpi=150, bbox_inches="tight")
        figure = "glance.png"
    path = dest / "glance.md"
    path.write_text(glance_page(rows, figure, data_label=data_label), encoding="utf-8")
    return path
