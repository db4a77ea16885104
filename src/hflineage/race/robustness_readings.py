"""What chapter 5 says in words about its timing placebo and its robustness rows, on the
revision-1 specification or on a revision-2 design × estimator pair (issue 17): each sentence
built from the numbers (no number is typed); :mod:`hflineage.race.readings` re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .specs import CONGESTION, LABELS, PRIORITY


def _stars(p: float) -> str:
    return (
        ""
        if not np.isfinite(p)
        else "***"
        if p < 0.001
        else "**"
        if p < 0.01
        else "*"
        if p < 0.05
        else ""
    )


#: What the chapter reads when no design × estimator passes the declared rule.
REVISION_1 = "the revision-1 specification (release rank, OLS of log(1 + likes))"


def _on(what: Mapping | pd.DataFrame, no_primary: bool) -> str:
    """The words "On the primary (<design × estimator>, team rank), " for a pair's results (a summary with
    ``design`` and ``estimator``, or rows whose ``spec`` is the pair); the revision-1 fallback
    said plainly with ``no_primary``; "" otherwise.
    """
    from .designs import pair_label

    if isinstance(what, pd.DataFrame):
        pair = what.attrs.get("design"), what.attrs.get("estimator")
        rank = what.attrs.get("rank", "team")
    else:
        pair, rank = (what.get("design"), what.get("estimator")), what.get("rank", "team")
    if pair[0] and pair[1]:
        return f"On the primary ({pair_label(*pair)}, {rank} rank), "
    if no_primary:
        return f"No design × estimator passes the declared rule for the rank on this run, so on {REVISION_1} "
    return ""


def placebo_sentence(placebo: Mapping[str, float], *, no_primary: bool = False) -> str:
    """The timing placebo read in words: where the actual coefficient lies among the pseudo-base
    draws and what that means.  A summary of ``placebo.pair_placebo`` (it names its pair) is read
    on that pair; with ``no_primary`` the sentence says that the revision-1 reading stands in.
    """
    p, z = float(placebo["p_timing"]), float(placebo["z"])
    if not np.isfinite(p):
        return "The timing placebo could not be computed on this run."
    side = "below" if z < 0 else "above"
    on = _on(placebo, no_primary)
    if p < 0.05:
        reading = (
            "beyond what ranks made of timing alone produce"
            if "design" in placebo
            else "the pattern the simulation shows under a true rank effect, not under timing alone"
        )
    else:
        reading = (
            "where timing alone would put it, so the placebo cannot tell a rank effect from timing"
        )
    head = "the actual rank coefficient" if on else "The actual rank coefficient"
    return (
        f"{on}{head} lies {abs(z):.1f} placebo standard deviations {side} the placebo mean; "
        f"{p:.1%} of the pseudo-base draws are at or below it: {reading}"
    )


#: The log-rank terms a robustness row can carry (release rank, team rank).
RANK_TERMS = (PRIORITY, "log_team_rank")


def _terms(rows: pd.DataFrame) -> tuple[str, str]:
    """The rank and congestion terms of robustness rows (revision 1 or a team-rank pair)."""
    rank = next((t for t in rows["term"] if t in RANK_TERMS), PRIORITY)
    return rank, CONGESTION if rank == PRIORITY else "log_team_congestion"


def robustness_view(rows: pd.DataFrame) -> pd.DataFrame:
    """The robustness rows as the chapter shows them: per row, the rank and congestion cells
    ``estimate*** (se)`` ("–" where not fitted), the number of observations and, for a pair's
    rows, why a row was not fitted.
    """
    out = {"robustness row": list(dict.fromkeys(rows["row"]))}
    for term in _terms(rows):
        t = rows[rows["term"] == term].set_index("row")
        t = t[np.isfinite(t["estimate"].astype(float))]
        out[LABELS.get(term, term.replace("_", " "))] = [
            f"{t.loc[r, 'estimate']:.3f}{_stars(t.loc[r, 'p_value'])} ({t.loc[r, 'std_error']:.3f})"
            if r in t.index
            else "–"
            for r in out["robustness row"]
        ]
    n = rows.groupby("row", sort=False)["n_obs"].first()
    out["N"] = [f"{int(n[r]):,}" if np.isfinite(n[r]) else "–" for r in out["robustness row"]]
    if "note" in rows and rows["note"].astype(bool).any():
        note = rows.groupby("row", sort=False)["note"].first()
        out["not fitted because"] = [note[r] for r in out["robustness row"]]
    return pd.DataFrame(out)


def robustness_sentence(
    rows: pd.DataFrame, primary_row: str = "primary", *, no_primary: bool = False
) -> str:
    """The robustness rows on the rank term read in one sentence: which rows keep the primary's
    sign and significance, with each row's estimate; a pair's rows (``speccurve.robustness_rows``
    with ``pair``) are read on that pair and name the rows it could not fit; with ``no_primary``
    the sentence says that the revision-1 reading stands in.
    """
    rank, _ = _terms(rows)
    t = rows[rows["term"] == rank]
    fitted = t[np.isfinite(t["estimate"].astype(float))]
    if fitted.empty:
        return "No robustness row could be estimated on this run."
    prim = fitted[fitted["row"] == primary_row]
    others = fitted[fitted["row"] != primary_row]
    sig = others[others["p_value"] < 0.05]
    neg, pos = sig[sig["estimate"] < 0], sig[sig["estimate"] > 0]
    on = _on(rows, no_primary)
    term = rank.replace("log_", "log-").replace("_", "-")
    est = f"{prim['estimate'].iloc[0]:.3f} (p {prim['p_value'].iloc[0]:.2f})" if len(prim) else ""
    if on:
        head = f"{on}the {term} coefficient of the primary row is {est}; " if est else on
    else:
        head = f"On the {term} term the primary row gives {est}; " if est else ""
    listed = "; ".join(
        f"{r} {e:.3f} ({s:.3f})"
        for r, e, s in zip(others["row"], others["estimate"], others["std_error"], strict=True)
    )
    missing = t[~t["row"].isin(fitted["row"])]
    left = (
        "; not fitted: "
        + "; ".join(f"{r} ({why})" for r, why in zip(missing["row"], missing["note"], strict=True))
        if len(missing) and "note" in t
        else ""
    )
    return (
        head + f"{len(neg)} of {len(others)} other rows are negative and significant at 5% and "
        f"{len(pos)} positive and significant: {listed}{left}"
    )


def robustness_numbers(rows: pd.DataFrame, min_age_days: int) -> pd.DataFrame:
    """The robustness rows chapter 5 quotes (the rank term: bases weighted equally, downloads,
    PPML, the whole Hub; estimate and SE, NaN when a row is missing or not fitted) and the age
    floor; a pair's rows (``speccurve.robustness_rows`` with ``pair``) give the PPML row as
    "PPML (same design)".
    """
    from ..lineage.headlines import number_table

    t = rows[rows["term"] == _terms(rows)[0]]

    def pick(mask: pd.Series) -> tuple[float, float]:
        r = t[mask]
        return (
            (float(r["estimate"].iloc[0]), float(r["std_error"].iloc[0]))
            if len(r)
            else (np.nan, np.nan)
        )

    out = [("race_min_age", min_age_days, "age floor of the older-derivatives row (days)", None)]
    for key, label in (
        ("weighted", "bases weighted equally"),
        ("downloads", "downloads (last 30 days)"),
        ("ppml", "likes (PPML)"),
    ):
        e, s = pick(t["row"].isin([label, "PPML (same design)"] if key == "ppml" else [label]))
        out += [
            (f"race_rob_{key}", e, f"rank coefficient, robustness row: {label}", ".3f"),
            (f"race_rob_{key}_se", s, "its standard error", ".3f"),
        ]
    e, s = pick(t["row"].str.startswith("whole Hub"))
    out += [
        ("race_rob_whole", e, "rank coefficient, whole Hub", ".3f"),
        ("race_rob_whole_se", s, "its standard error", ".3f"),
    ]
    return number_table(out)


def placebo_numbers(placebo: Mapping[str, float], draws: int) -> pd.DataFrame:
    """The timing placebo's summary (:func:`hflineage.race.placebo.timing_placebo`) as numbers."""
    from ..lineage.headlines import number_table

    return number_table(
        [
            ("race_placebo_draws", draws, "placebo draws", None),
            ("race_placebo_mean", placebo["mean"], "placebo mean", ".3f"),
            ("race_placebo_sd", placebo["sd"], "placebo sd", ".3f"),
            (
                "race_placebo_p",
                placebo["p_timing"],
                "share of placebo draws at or below the actual estimate",
                ".3f",
            ),
            ("race_placebo_z", placebo["z"], "actual minus placebo mean, in placebo sds", ".1f"),
        ]
    )


def reading_on(primary: tuple[str, str] | None, rank: str = "team") -> str:
    """What the placebo and the robustness rows are read on, in words: the primary pair, or the
    revision-1 specification when no pair passes the declared rule (``primary`` is None).
    """
    from .designs import pair_label

    if primary:
        return f"the primary, {pair_label(*primary)} ({rank} rank)"
    return (
        f"{REVISION_1}, as no design × estimator passes the declared rule for the rank on this run"
    )


def robustness_caption(primary: tuple[str, str] | None, rank: str = "team") -> str:
    """The robustness table's caption for the pair's rows or the revision-1 rows."""
    from .designs import pair_label

    if primary:
        head = f"The primary ({pair_label(*primary)}, {rank} rank)"
        outcome = (
            "Outcome likes, read by the pair's estimator, unless the row says otherwise; a row "
            "the pair cannot fit says why. Base-clustered standard errors are the "
            "leave-one-base-out jackknife (CR3) of revision 3, except the weighted row (CRV1, "
            "through pyfixest)."
        )
    else:
        head = (
            "The revision-1 primary (release rank, OLS of log(1 + likes); no design × estimator "
            "passes the declared rule for the rank on this run)"
        )
        outcome = "Outcome log(1 + likes) unless the row says otherwise."
    return (
        f"{head} with one choice changed (coefficient and standard error clustered by base, "
        f"except the two-way row; * p < 0.05, ** p < 0.01, *** p < 0.001). {outcome}"
    )
