"""What chapter 5 says in words about its numbers: the raw rank pattern, what "priority" is on
these data, the timing placebo and the robustness rows, the estimand as declared, and the
robustness table's cells — each sentence built from the numbers (no number is typed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .robustness_readings import (  # noqa: F401  (the chapter reads them from here)
    REVISION_1,
    placebo_numbers,
    placebo_sentence,
    reading_on,
    robustness_caption,
    robustness_numbers,
    robustness_sentence,
    robustness_view,
)
from .specs import CONGESTION, CONTROLS_SPEC, EXPOSURE, LABELS, LAG, PRIMARY_SPEC, PRIORITY


def rank_sentence(pattern: pd.DataFrame) -> str:
    """The raw pattern in one sentence: the first entrants' mean likes and share liked against
    the next bins and the last (:func:`hflineage.race.rank_study.rank_pattern`).
    """
    t = pattern.reset_index(drop=True)
    if len(t) < 3 or t["derivatives"].iloc[0] == 0:
        return "Too few races on this run to show likes by rank."
    first, second, third, last = t.iloc[0], t.iloc[1], t.iloc[2], t.iloc[-1]
    return (
        f"First entrants average {first['mean_likes']:.1f} likes, entrants of rank "
        f"{second['rank']} {second['mean_likes']:.1f} and of rank {third['rank']} "
        f"{third['mean_likes']:.1f}; {first['share_liked']:.0%} of first entrants have any like "
        f"against {last['share_liked']:.0%} at rank {last['rank']}. First entrants are "
        f"{first['derivatives'] / t['derivatives'].sum():.0%} of the derivatives and hold "
        f"{first['share_of_likes']:.0%} of their likes"
    )


def priority_sentence(
    study: pd.DataFrame, kinds: pd.DataFrame, accounts: pd.DataFrame, alpha: float = 0.05
) -> str:
    """What "priority" is on these data: where the PPML event study's gap to the first entrant
    opens and how far it goes (:func:`~hflineage.race.rank_study.event_study`), and which entrant
    kinds and account types carry the rank gradient (:func:`~hflineage.race.rank_study.
    group_effects`, significant at ``alpha`` or not).
    """
    es = study[(study["estimator"] == "ppml") & ~study["reference"]].sort_values("bin")
    es = es[np.isfinite(es["estimate"])]
    if es.empty:
        return "The event study could not be estimated on this run."
    sig = es[es["high"] < 0]
    opens = sig["rank"].iloc[0] if len(sig) else None
    head = (
        f"On these data priority is a gap to the first entrant: expected likes fall by "
        f"{1 - np.exp(es['estimate'].iloc[0]):.0%} at rank {es['rank'].iloc[0]} and by "
        f"{1 - np.exp(es['estimate'].iloc[-1]):.0%} at rank {es['rank'].iloc[-1]} (PPML, against "
        "rank 1)"
        + (
            f", the interval clear of zero from rank {opens}"
            if opens
            else ", no interval clear of zero"
        )
    )

    def groups(t: pd.DataFrame, what: str) -> str:
        ok = t[np.isfinite(t["estimate"])]
        strong = ok[(ok["p"] < alpha) & (ok["estimate"] < 0)]
        weak = ok[~ok.index.isin(strong.index)]
        cells = [f"{g} {e:+.2f}" for g, e in zip(strong["group"], strong["estimate"], strict=True)]
        cells += [
            f"{g} {e:+.2f} (p {p:.2f}, not significantly negative)"
            for g, e, p in zip(weak["group"], weak["estimate"], weak["p"], strict=True)
        ]
        return f"by {what}, {', '.join(cells)}" if cells else ""

    tail = "; ".join(
        x for x in (groups(kinds, "entrant kind"), groups(accounts, "account type")) if x
    )
    return head + (f". Its log-team-rank coefficient (PPML): {tail}" if tail else "")


def estimand_text(claim: Mapping[str, object]) -> str:
    """A claim's declared estimand and secondary estimands as Markdown (``book/claims.yml``)."""
    main = str(claim.get("estimand", "")).strip()
    if not main:
        return "No estimand is declared for this claim."
    second = claim.get("secondary_estimands") or []

    def item(s: object) -> str:
        if isinstance(s, Mapping):
            return "; ".join(f"*{k}*: {v}" for k, v in s.items())
        return str(s)

    items = "\n".join(f"- {item(s)}" for s in second)
    return f"**Estimand.** {main[0].upper()}{main[1:]}." + (
        f"\n\nDeclared beside it:\n\n{items}" if items else ""
    )


def later_paragraph(counts: Mapping[str, float] | None, gained: pd.DataFrame | None) -> str:
    """The two-snapshot paragraph: what the design would show (``counts`` is ``None``: no later
    snapshot) or what it shows (the deletion counts of ``recognition_between`` and the primary
    fitted on the likes gained, a tidy table indexed by term).
    """
    if counts is None or gained is None:
        return (
            "No later snapshot was given (`later_snapshot=None`). With one snapshot, a model's "
            "likes are everything it collected since its creation; log age and the creation-month "
            "fixed effect compare models of similar age, but within a base age is the base's age "
            "minus the lag, so the age control and the lag control share one clock, and how likes "
            "accrue with age cannot be told apart from how they depend on when the model came. "
            "Given a snapshot taken later (`-p later_snapshot=...`), this section estimates the "
            "primary specification on the likes every derivative gained between the two dates — "
            "the same calendar interval for all, so a late entrant is no longer compared on a "
            "shorter life — and counts the models deleted in between, inside and outside the race "
            "panel (survivorship is a result)."
        )
    k, g = counts, gained
    return (
        f"Between the two snapshots ({k['interval_days']:.0f} days), {k['deleted']:,} of "
        f"{k['main_models']:,} models were deleted — {k['deleted_panel']:,} of the "
        f"{k['rows_panel']:,} race-panel derivatives and {k['deleted_other']:,} of the "
        f"{k['rows_other']:,} other models — and {k['new']:,} were created. On the likes gained "
        f"in that interval by the {int(g['n_obs'].iloc[0]):,} surviving LLM-panel derivatives, the "
        f"primary specification gives a log-entry-rank coefficient of "
        f"{g.loc[PRIORITY, 'estimate']:.3f} (s.e. {g.loc[PRIORITY, 'std_error']:.3f}) and a "
        f"congestion coefficient of {g.loc[CONGESTION, 'estimate']:.3f} "
        f"(s.e. {g.loc[CONGESTION, 'std_error']:.3f})."
    )


def simulation_sentence(flags: pd.DataFrame, selection: Mapping[str, object]) -> str:
    """The calibrated simulation in words: draws (the range the batches took), count shape
    against the real one, how many pairs are calibrated (simulated SE within the rule's band of
    the real one), how many are flagged, and what the selection finds for each term
    (``selection``: one :func:`hflineage.race.evidence.select_primary` result, or one per term
    from :func:`~hflineage.race.selection.select_by_term`).
    """
    a = flags.attrs
    if a.get("error"):
        return f"The calibrated simulation could not run on this panel: {a['error']}"
    by_term = {"rank": selection} if "primary" in selection else dict(selection)
    rank = flags[flags["term"] == "rank"] if "term" in flags else flags
    sim = rank[np.isfinite(rank["real_se"].astype(float))]
    n_cal = int(sim["calibrated"].astype(bool).sum())
    n_flag = int(flags["flagged"].astype(bool).sum())
    counts = flags["draws"] if "draws" in flags else pd.Series([a.get("draws", 0)])
    lo, hi = int(counts.min()), int(counts.max())
    draws = f"{lo}" if lo == hi else f"{lo} to {hi}"
    words = {"rank": "the rank", "congestion": "the congestion"}
    chosen = "; ".join(
        (
            f"for {words.get(t, t)} the declared rule picks {sel['primary'][0]} × "
            f"{sel['primary'][1]} as the primary"
            if sel.get("primary")
            else f"for {words.get(t, t)} no FE-Poisson pair passes the declared rule"
        )
        for t, sel in by_term.items()
    )
    return (
        f"Over {draws} draws per scenario and pair (more where the declared rule was not yet "
        f"settled) the simulated likes have {a.get('sim_zero_share', np.nan):.1%} zeros (real "
        f"{a.get('real_zero_share', np.nan):.1%}) and the top 1% hold "
        f"{a.get('sim_top_share', np.nan):.0%} of likes (real {a.get('real_top_share', np.nan):.0%}); "
        f"{n_cal} of {len(sim)} pairs have a rank standard error within the calibration band of "
        f"the real one, {n_flag} of {len(flags)} pair-terms are flagged by the declared rule; "
        f"{chosen}"
    )


def null_draw_sentence(
    flags: pd.DataFrame, *, term: str = "rank", estimators: Sequence[str] = ("ppml",)
) -> str:
    """The real estimates of ``term`` by ``estimators`` read against the simulation's own null
    draws (the flag table's ``null_p``: the share of no-effect draws at least as far from zero
    as the real estimate, ``(1 + count) / (1 + draws)``) rather than against their standard
    errors — the reading that survives a standard error the simulation finds too small.  It
    was not declared, and the sentence says that it does not change the verdict.
    """
    from .designs import pair_label

    need = ("design", "estimator", "term", "draws", "real_estimate", "null_p")
    if flags.empty or any(c not in flags for c in need):
        return "The simulation's null draws are not available on this run"
    t = flags[(flags["term"] == term) & flags["estimator"].isin(estimators)]
    t = t[np.isfinite(t["null_p"].astype(float))]
    if t.empty:
        return "No simulated pair of this estimator has a real estimate to read"
    parts = []
    for _, r in t.iterrows():  # a few pairs
        n = int(r["draws"])
        hits = int(round(float(r["null_p"]) * (1 + n) - 1))
        side = "negative" if float(r["real_estimate"]) < 0 else "positive"
        where = (
            f"beyond every one of its {n} null draws (p = {float(r['null_p']):.3f})"
            if hits == 0
            else f"{hits} of its {n} null draws as {side} (p = {float(r['null_p']):.3f})"
        )
        parts.append(
            f"{pair_label(r['design'], r['estimator'])} {float(r['real_estimate']):+.3f}: {where}"
        )
    extreme = (t["null_p"].astype(float) * (1 + t["draws"]) - 1).round().eq(0).all()
    head = (
        "Read against the simulation's own null draws instead of their standard errors, every "
        "real estimate lies beyond all of its draws with no effect"
        if extreme
        else "Read against the simulation's own null draws instead of their standard errors"
    )
    return (
        f"{head} — {'; '.join(parts)}; this reading was not declared before the numbers were "
        "seen, so it does not change the verdict"
    )


def clock_numbers(clocks: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """The three clocks' within-base correlations (:func:`hflineage.race.timing.
    clock_correlations`, pooled) and how often congestion equals rank - 1, as a number table for
    :meth:`~hflineage.chapter.report.Chapter.record_numbers`.
    """
    from ..lineage.headlines import number_table

    c = clocks.set_index("pair")["pooled"]
    rows = [
        (key, float(c[pair]), what, ".2f")
        for key, pair, what in (
            ("race_corr_rank_lag", "log_entry_rank ~ log_lag", "log rank and log lag (LLM)"),
            ("race_corr_rank_age", "log_entry_rank ~ log_age", "log rank and log age (LLM)"),
            ("race_corr_lag_age", "log_lag ~ log_age", "log lag and log age (LLM)"),
            (
                "race_corr_rank_cong",
                "log_entry_rank ~ log_congestion",
                "log rank and congestion around entry",
            ),
            (
                "race_corr_rank_cong_trailing",
                "log_entry_rank ~ log_congestion_trailing",
                "log rank and trailing congestion",
            ),
        )
    ]
    rows = [(k, v, f"within-base correlation, {w}", f) for k, v, w, f in rows]
    rank_1 = panel["entry_rank"] - 1
    rows += [
        (
            "race_cong_is_rank_trailing",
            float((panel["congestion_trailing"] == rank_1).mean()),
            "share of rows where trailing congestion = rank - 1",
            ".1%",
        ),
        (
            "race_cong_is_rank",
            float((panel["congestion"] == rank_1).mean()),
            "share of rows where congestion around entry = rank - 1",
            ".1%",
        ),
    ]
    return number_table(rows)


#: The revision-1 coefficients chapter 5 quotes: key → (spec, term, what).
COEFFICIENTS = {
    "race_b_priority": ("priority", PRIORITY, "log entry rank"),
    "race_b_priority_old": ("baseline_exposure", PRIORITY, "log entry rank"),
    "race_b_priority_loglag": ("both_loglag", PRIORITY, "log entry rank"),
    "race_b_loglag": ("both_loglag", LAG, "log lag"),
    "race_b_priority_primary": (PRIMARY_SPEC, PRIORITY, "log entry rank"),
    "race_b_congestion_primary": (PRIMARY_SPEC, CONGESTION, "congestion"),
    "race_b_priority_controls": (CONTROLS_SPEC, PRIORITY, "log entry rank"),
    "race_b_congestion_controls": (CONTROLS_SPEC, CONGESTION, "congestion"),
    "race_b_congestion_alone": ("congestion_exposure", CONGESTION, "congestion"),
    "race_b_age_primary": (PRIMARY_SPEC, EXPOSURE, "log age"),
}


def coefficient_numbers(tidy: pd.DataFrame, outcome: str = "log_likes") -> pd.DataFrame:
    """The estimate, standard error and p-value of each of :data:`COEFFICIENTS` in ``tidy``
    (:func:`hflineage.race.regressions.estimate_many`), and the primary's observations and
    clusters, as a number table.
    """
    from ..lineage.headlines import number_table
    from .regressions import coefficient

    rows = []
    for key, (spec, term, what) in COEFFICIENTS.items():
        r = coefficient(tidy, spec, outcome, term)
        rows += [
            (key, r["estimate"], f"{what} coefficient ({spec}, LLM bases)", ".3f"),
            (f"{key}_se", r["std_error"], f"{what} standard error ({spec})", ".3f"),
            (f"{key}_p", r["p_value"], f"{what} p-value ({spec})", ".2g"),
        ]
    prim = coefficient(tidy, PRIMARY_SPEC, outcome)
    rows += [
        ("race_n_obs", int(prim["n_obs"]), "observations in the primary", ","),
        ("race_n_clusters", int(prim["n_clusters"]), "bases (clusters) in the primary", ","),
    ]
    return number_table(rows)


def sample_numbers(
    panel: pd.DataFrame,
    llm: pd.DataFrame,
    funnel: pd.DataFrame,
    *,
    congestion_days: float,
    min_derivatives: int,
    llm_tags: list[str],
    congestion_window: str,
) -> pd.DataFrame:
    """The race panel's sample numbers chapter 5 quotes (sizes, the LLM share, the funnel's
    largest cuts, the median race), as a number table.
    """
    from ..lineage.headlines import number_table

    dropped = funnel.set_index("step")["dropped"]
    recent = int(funnel["dropped"].iloc[-1]) if congestion_window == "around" else 0
    return number_table(
        [
            ("race_congestion_days", congestion_days, "congestion window (days)", None),
            (
                "race_congestion_half",
                congestion_days / 2,
                "congestion: days either side of entry",
                "g",
            ),
            ("race_min_derivatives", min_derivatives, "entrants a base needs", None),
            ("race_n_rows", len(panel), "derivatives in the race panel (whole Hub)", ","),
            (
                "race_n_bases",
                panel["base_id"].nunique(),
                "bases in the race panel (whole Hub)",
                ",",
            ),
            ("race_llm_rows", len(llm), "derivatives of LLM bases", ","),
            ("race_llm_bases", llm["base_id"].nunique(), "LLM bases in the race panel", ","),
            (
                "race_llm_share",
                len(llm) / max(len(panel), 1),
                "share of panel rows on LLM bases",
                ".1%",
            ),
            ("race_llm_tags", ", ".join(llm_tags), "Hub tasks of the LLM bases", None),
            (
                "race_dropped_backfilled_base",
                int(dropped["base has a reliable creation date"]),
                "edges dropped: base with a back-filled date",
                ",",
            ),
            (
                "race_dropped_multi_parent",
                int(dropped["derivative declares a single parent (panel rows)"]),
                "entrants kept as competitors only (several parents)",
                ",",
            ),
            (
                "race_dropped_recent",
                recent,
                "entrants too recent for a complete congestion window",
                ",",
            ),
            (
                "race_median_entrants",
                panel.groupby("base_id")["base_n_derivatives"].first().median(),
                "median entrants per base",
                ",.0f",
            ),
        ]
    )


def top_races(panel: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """The ``n`` largest races of the panel: base, its Hub task and its derivatives."""
    return (
        panel.groupby(["base_id", "base_pipeline_tag"], dropna=False)
        .size()
        .rename("derivatives")
        .reset_index()
        .sort_values("derivatives", ascending=False)
        .head(n)
    )


def later_numbers(counts: Mapping[str, float], gained: pd.DataFrame) -> pd.DataFrame:
    """The two-snapshot design's numbers: deletions between the snapshots and the primary on the
    likes gained (``gained`` a tidy table indexed by term).
    """
    from ..lineage.headlines import number_table

    k, g = counts, gained
    return number_table(
        [
            ("race_later_interval", k["interval_days"], "days between the snapshots", ".0f"),
            ("race_later_deleted", k["deleted"], "models deleted between the snapshots", ","),
            ("race_later_deleted_panel", k["deleted_panel"], "panel derivatives deleted", ","),
            ("race_later_deleted_llm", k["deleted_llm"], "LLM-panel derivatives deleted", ","),
            ("race_later_new", k["new"], "models new in the later snapshot", ","),
            (
                "race_later_b_rank",
                g.loc[PRIORITY, "estimate"],
                "log entry rank on likes gained",
                ".3f",
            ),
            ("race_later_b_rank_se", g.loc[PRIORITY, "std_error"], "its standard error", ".3f"),
            (
                "race_later_b_cong",
                g.loc[CONGESTION, "estimate"],
                "congestion on likes gained",
                ".3f",
            ),
            ("race_later_b_cong_se", g.loc[CONGESTION, "std_error"], "its standard error", ".3f"),
        ]
    )


#: The fits whose regression sample the chapter accounts for: (name, specification).
ACCOUNTED_FITS = (("primary", PRIMARY_SPEC), ("with controls", CONTROLS_SPEC))


def accounting_table(
    llm: pd.DataFrame,
    account: Callable[..., pd.DataFrame],
    fits: Sequence[tuple[str, str]] = ACCOUNTED_FITS,
) -> pd.DataFrame:
    """From the LLM panel to each fit's regression sample, step by step: ``account`` (the
    chapter's ``hflineage.chapter.tables.sample_accounting``, passed in: this layer does not
    import the chapter's) on the OLS of log(1 + likes) of each (name, specification) of
    ``fits``, with the specification's regressors as needed variables; ``fit`` names the fit.
    """
    from .regressions import SPECS, fit

    parts = []
    for name, spec in fits:  # two fits
        model, _ = fit(llm, spec, "log_likes")
        steps = account(model, llm, variables=list(SPECS[spec].regressors))
        parts.append(steps.assign(fit=f"{name} ({spec})"))
    return pd.concat(parts, ignore_index=True)


def drop_sentence(accounting: pd.DataFrame, count_share: Callable[[int, int], str]) -> str:
    """Why the primary regression uses fewer rows than the LLM panel, from
    :func:`accounting_table`'s "primary" rows: "no row drops out", or the rows and bases lost
    (``count_share``: the chapter's "k of n (share)" words) and the rows each step dropped.
    """
    steps = accounting[accounting["fit"].str.startswith("primary")]
    rows, bases = steps["rows left"].astype(int), steps["clusters left"].astype(int)
    rows_lost, bases_lost = rows.iloc[0] - rows.iloc[-1], bases.iloc[0] - bases.iloc[-1]
    if rows_lost == 0:
        return "no row drops out"
    lost = steps.iloc[1:]
    return (
        f"{count_share(int(rows_lost), int(rows.iloc[0]))} rows and "
        f"{count_share(int(bases_lost), int(bases.iloc[0]))} bases drop out: "
        + "; ".join(
            f"{int(r['rows dropped']):,} for {r['step']}"
            for _, r in lost.iterrows()
            if r["rows dropped"]
        )
    )


#: The revision-1 specifications chapter 5 estimates (OLS of log(1 + likes), LLM bases) and the
#: ones its regression table shows as columns, from the paper-style ones to the declared primaries.
SHOWN_SPECS = ("priority_naive", "priority", "priority_exposure", "both_exposure")
SHOWN_SPECS += ("baseline_exposure", "both_loglag", PRIMARY_SPEC, CONTROLS_SPEC)
SHOWN_SPECS += ("congestion_exposure",)
TABLE_SPECS = ("priority", "both_exposure", "baseline_exposure", "both_loglag")
TABLE_SPECS += (PRIMARY_SPEC, CONTROLS_SPEC)


def regressions_shown(
    llm: pd.DataFrame, table_maker: Callable[..., pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The revision-1 regressions of :data:`SHOWN_SPECS` on ``llm`` (tidy: one row per
    specification × term) and the table of :data:`TABLE_SPECS` as ``table_maker`` (the chapter's
    ``hflineage.chapter.tables.regression_table``, passed in) lays it out: the terms present,
    base and creation-month fixed effects, clusters (bases).
    """
    from .regressions import estimate_many, regression_columns
    from .specs import CLUSTER, CONTROLS

    tidy = estimate_many(llm, list(SHOWN_SPECS), ["log_likes"], fast=True)
    fits, footer = regression_columns(tidy, [(s, "log_likes") for s in TABLE_SPECS])
    present = set(tidy["term"])
    terms = [t for t in (PRIORITY, CONGESTION, EXPOSURE, LAG, *CONTROLS) if t in present]
    table = table_maker(
        fits,
        {t: LABELS.get(t, t) for t in terms},
        rows=footer,
        fixed_effects={"Base FE": CLUSTER, "Creation-month FE": "created_month"},
        cluster_label="Clusters (bases)",
    )
    return tidy, table
