"""Results at a glance: the introduction's findings-first box.

First the findings in words — one generated line per finding: what the paper says, what we find
(the verdict's own sentence) and the verdict. Then one figure covering every claim that has a
number: each on its own axis in its own units (an effect with its 95% interval, the paper's
direction named, the declared smallest effect of interest shaded, the robustness fits counted
in the panel's title; or a statistic beside its declared threshold). Claims without a number (methods,
claims the data cannot test) are listed beside it. Built at render time from ``numbers.json``
and ``book/claims.yml``, like the status page, so it always shows this run's numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..chapter.report import FOOTER_PREFIX, footer_size, set_theme
from .markdown import _doc, list_table, md_escape
from .status import NOT_ASSESSED, anchor, badge, final_verdict, is_finite_number

#: The figure sits in the introduction's admonition box, ~680 px wide at a 1,400-px window:
#: a figure this many inches wide is shown at about its own size there, so 9-pt text stays
#: 9 pt (shown size = points x column px / (96 x width in)).
GLANCE_COLUMN_PX = 680
GLANCE_WIDTH_IN = 6.8

#: Two-sided 5% critical value of the normal distribution.
Z95 = 1.959964

#: Colour of each verdict in the figure (Okabe-Ito hues, as the book's theme).
VERDICT_COLOURS = {
    "reproduced": "#009E73",
    "partly reproduced": "#E69F00",
    "absent": "#0072B2",
    "inconclusive": "#56B4E9",
    "contradicted": "#D55E00",
    "design-dependent": "#CC79A7",
    "not testable": "#999999",
    "not testable (construct)": "#999999",
    "method": "#999999",
    NOT_ASSESSED: "#999999",
}


def glance_rows(claims: dict[str, Any], numbers: dict[str, Any]) -> pd.DataFrame:
    """One row per claim: id, paper, claim, kind, final verdict, its sentence and chapter, the
    primary estimate with its 95% interval (findings) or statistic and threshold (descriptive
    claims), the paper's expected sign, the declared sesoi, the robustness record, and ``z`` (the estimate over its SE in the paper's direction).
    """
    recorded = numbers.get("claims", {})
    rows = []
    for claim in claims["claims"]:
        chosen, _ = final_verdict(claim, recorded.get(claim["id"], []))
        params = claim.get("rule", {}).get("params") or {}
        expected = params.get("expected")
        primary = (chosen or {}).get("primary") or {}
        est, se = primary.get("estimate"), primary.get("se")
        direction = 1.0 if expected != "negative" else -1.0
        z = low = high = np.nan
        if expected and is_finite_number(est) and is_finite_number(se) and se > 0:
            z = est / se * direction
            low, high = est - Z95 * se, est + Z95 * se
        sesoi = claim.get("sesoi")
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
                "low": low,
                "high": high,
                "fmt": primary.get("fmt"),
                "expected": expected,
                "threshold": params.get("threshold"),
                "sesoi": float(sesoi["value"]) if isinstance(sesoi, dict) else np.nan,
                "robustness": (chosen or {}).get("robustness") or {},
                "label": primary.get("label") or "",
                "z": z,
            }
        )
    return pd.DataFrame(rows)


def plotted(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows the figure shows: findings with an estimate and SE, descriptive claims with a
    statistic and a threshold.
    """
    has_ci = np.isfinite(rows["low"].to_numpy(dtype=float))
    has_stat = (rows["kind"] == "descriptive") & rows["estimate"].map(is_finite_number)
    has_stat &= rows["threshold"].map(is_finite_number)
    return rows[has_ci | has_stat]


def _axis_text(row: pd.Series) -> str:
    if row["kind"] == "descriptive":
        return "statistic (dot) against its declared threshold (dashed)"
    towards = "below 0" if row["expected"] == "negative" else "above 0"
    who = "Hill & Stein expect" if row["paper"] == "HS" else "the paper expects"
    return f"{who} {towards}"


def _robustness_text(row: pd.Series) -> str:
    rob = row.get("robustness") or {}
    if not rob or not rob.get("n"):
        return ""
    unit = rob.get("unit") or "fits"
    return (
        f"; robustness: {rob.get('support', 0)} of {rob['n']} {unit} for, "
        f"{rob.get('contrary', 0)} against"
    )


def glance_figure(rows: pd.DataFrame, data_label: str) -> Figure | None:
    """One small panel per claim with a number, each on its own scale (None when none has one).

    A finding: its primary estimate (dot, verdict colour) with the 95% interval, zero (black),
    the side the paper expects (an arrow), the declared smallest effect of interest (shaded
    band ±sesoi); the title counts the robustness fits for and against (fits of other
    estimators are in other units, so they are not drawn on the primary's axis). A descriptive claim: its statistic and
    the declared threshold (dashed).
    """
    shown = plotted(rows)
    if shown.empty:
        return None
    set_theme()
    # a Figure of its own, not pyplot: importing this module must not switch a chapter's
    # kernel away from the inline backend
    fig = Figure(figsize=(GLANCE_WIDTH_IN, 1.2 * len(shown) + 0.9))
    FigureCanvasAgg(fig)  # a renderer to measure text with, without choosing pyplot's backend
    axes = np.atleast_1d(fig.subplots(len(shown), 1))
    for ax, (_, row) in zip(axes, shown.iterrows(), strict=True):
        colour = VERDICT_COLOURS.get(row["status"], "#999999")
        ax.set_yticks([])
        ax.spines[["left", "right", "top"]].set_visible(False)
        values = [float(row["estimate"])]
        if row["kind"] == "descriptive":
            thr = float(row["threshold"])
            ax.axvline(thr, color="0.2", ls="--", lw=1.2)
            ax.plot(row["estimate"], 0, "o", color=colour, ms=9)
            values.append(thr)
        else:
            if is_finite_number(row["sesoi"]):
                ax.axvspan(-row["sesoi"], row["sesoi"], color="0.9", zorder=0)
                values += [-row["sesoi"], row["sesoi"]]
            ax.axvline(0, color="0.2", lw=1)
            values.append(0.0)  # zero is always on the axis: the test is against it
            ax.plot([row["low"], row["high"]], [0, 0], color=colour, lw=3)
            ax.plot(row["estimate"], 0, "o", color=colour, ms=9)
            values += [row["low"], row["high"]]
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        pad = 0.15 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.2
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(-0.6, 0.6)
        ax.set_title(
            f"{row['id']} — {row['status']}\n{_axis_text(row)}{_robustness_text(row)}",
            loc="left",
            fontsize=9.5,
            color=colour,
        )
        ax.tick_params(axis="x", labelsize=9)
    footer = fig.text(0.005, 0.003, f"{FOOTER_PREFIX}{data_label}", color="0.3", ha="left")
    fig.tight_layout(rect=(0, 0.03, 1, 1), h_pad=0.6)
    footer_size(fig, footer, column_px=GLANCE_COLUMN_PX)
    return fig


def finding_lines(rows: pd.DataFrame) -> list[str]:
    """One line per finding, generated: the paper's claim, what we find, the verdict, a link."""
    lines = []
    for _, row in rows[rows["kind"] == "finding"].iterrows():
        found = md_escape(row["sentence"]) if row["sentence"] else "not yet assessed."
        link = f"{{ref}}`details <{anchor(row['id'])}>`"
        who = "*Hill & Stein's framework (an extension beyond both papers):*"
        if row["paper"] != "HS":
            who = "*the paper:*"
        lines.append(
            f"- {badge(row['status'])} **{row['id']}** — {who} {md_escape(row['claim'])}. "
            f"*We find:* {found} ({link})"
        )
    return lines


def glance_page(rows: pd.DataFrame, figure: str | None, *, data_label: str) -> str:
    """The Markdown of the box: the findings in words, the figure, and every claim's verdict."""
    counts = rows["status"].value_counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in VERDICT_COLOURS if s in counts)
    shown = plotted(rows)
    missing = rows[~rows["id"].isin(shown["id"])]
    parts = [
        "`````{admonition} Findings at a glance",
        ":class: tip",
        "",
        f"This run ({md_escape(data_label)}): {len(rows)} claims — {summary}. Each verdict is a "
        "declared rule applied to a declared primary specification ({doc}`status` explains the "
        "rules and lists every fit).",
        "",
        *finding_lines(rows),
        "",
    ]
    if figure:
        no_number = ", ".join(f"{r['id']} ({r['status']})" for _, r in missing.iterrows()) or "none"
        parts += [
            "```{figure} " + figure,
            ":name: fig-glance",
            ":alt: One small panel per claim with a number, each on its own scale: the primary "
            "estimate with its 95% interval, zero, the smallest effect of interest as a grey "
            "band, the robustness fits counted in the title; or a statistic beside its threshold.",
            "",
            "**Where each estimate lies against zero, the paper's direction and the smallest "
            "effect that would matter.** One panel per claim with a number, on its own scale "
            "(units of the claim's primary estimate): dot and bar, the primary estimate and its "
            "95% interval, coloured by verdict; grey band, ± the declared smallest effect of "
            "interest; each title counts the robustness fits for and against; dashed line, a "
            "descriptive claim's "
            f"threshold. Claims without a number: {md_escape(no_number)}.",
            "```",
            "",
        ]
    table = []
    for _, row in rows.iterrows():
        link = _doc(row["chapter"], short=True) if row["chapter"] else ""
        table.append(
            [
                f"**{row['id']}**",
                badge(row["status"]),
                md_escape(row["claim"]),
                md_escape(row["sentence"]) + (f" ({link})" if link else "")
                if row["sentence"]
                else "—",
            ]
        )
    parts += [
        "::::{dropdown} Every claim's verdict, with its reason",
        "",
        list_table(
            ["claim", "our verdict", "the paper says", "why"],
            table,
            [14, 14, 27, 45],
            css="hfl-status",
        ),
        "::::",
        "`````",
    ]
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


__all__ = [
    "VERDICT_COLOURS",
    "finding_lines",
    "glance_figure",
    "glance_page",
    "glance_rows",
    "plotted",
    "write_glance",
]
