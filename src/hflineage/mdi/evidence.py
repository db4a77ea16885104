"""From MDI estimates to the numbers the verdict rules take (:mod:`hflineage.verdicts`).

The chapters estimate each claim's declared primary and its robustness fits; these helpers only
package them, as :mod:`hflineage.race.evidence` does for paper 2: pattern 1 by the declared
threshold rule (:func:`consolidative_verdict`), the Spearman correlation of a scorecard row
(:func:`spearman_evidence`), one coefficient of one regression (:func:`term_evidence`), and the
primary and Holm-adjusted robustness share of P1-size and P1-finetune (:func:`size_evidence`,
:func:`finetune_evidence`); :func:`readings` gives the verdict each fit would get if it were the
primary.  The rules and their parameters live in :mod:`hflineage.verdicts` and
``book/claims.yml``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import HflineageError
from ..verdicts import (
    Design,
    Evidence,
    Robustness,
    Verdict,
    construct_check,
    fmt_number,
    method_verdict,
    robustness_share,
    sign_rule,
    threshold_rule,
)
from . import inference as I
from .graph import PRIMARY_VARIANT
from .regressions import OTHER_DERIVATIONS, PRIMARY_ESTIMATOR, fit_label

#: The scorecard's patterns: claim, what the paper says (a clause for the verdict sentence).
PATTERNS = {
    "1": ("P1-most-consolidative", "most MDI values are negative"),
    "2a": ("P1-size", "large models are more often disruptive (MDI > 0)"),
    "2b": ("P1-finetune", "finetunes are more often disruptive than other derivatives"),
    "3": ("P1-indegree", "the MDI rises with in-degree"),
}


def consolidative_verdict(
    share_negative: float,
    share_positive: float,
    *,
    label: str = "",
    threshold: float = 0.5,
    above: bool = True,
    inclusive: bool = False,
    contrary: float = 0.5,
) -> Verdict:
    """Pattern 1 (P1-most-consolidative) by the declared threshold rule
    (:func:`hflineage.verdicts.threshold_rule`): with the defaults, reproduced if more than half of
    the defined values are negative, contradicted if more than half are positive.

    Args:
        share_negative: share of defined MDI values below 0.
        share_positive: share of defined MDI values above 0 (the opposite pattern).
        label: the reading, e.g. ``"cd, roots out"``, for the sentence.
        threshold: share of negative values the claim needs.
        above: the claim is that the share is high.
        inclusive: whether a share equal to ``threshold`` passes.
        contrary: share of positive values beyond which the data say the opposite.
    """
    tail = f" ({label})" if label else ""
    return threshold_rule(
        share_negative,
        threshold=threshold,
        above=above,
        inclusive=inclusive,
        contrary=contrary,
        opposite=share_positive,
        opposite_label="share of MDI values above 0" + tail,
        label="share of MDI values below 0" + tail,
        subject=PATTERNS["1"][1],
        fmt=".2%" if 0 < share_negative < 0.01 else ".1%",  # 0.22%, not 0.2%: as the chapter
    )


def spearman_evidence(
    card: pd.DataFrame, variant: str = PRIMARY_VARIANT, *, label: str
) -> Evidence:
    """Pattern 3 of a :func:`scorecard` row as :class:`~hflineage.verdicts.Evidence`: Spearman's
    rho of ``variant`` with its family-clustered SE, p-value, rows and families.
    """
    rows = card[card["variant"].astype(str) == variant]
    if rows.empty:
        raise HflineageError(f"scorecard has no variant {variant!r}; expected one of its rows")
    r = rows.iloc[0]
    return Evidence(
        label,
        float(r["spearman_rho"]),
        float(r["se_3"]),
        float(r["p_3"]),
        int(r["n_3"]),
        int(r["clusters_3"]),
    )


def _lookup(coefs: pd.DataFrame, variant: str, model: str, term: str) -> pd.Series | None:
    hit = coefs[(coefs["variant"] == variant) & (coefs["model"] == model) & (coefs["term"] == term)]
    return hit.iloc[0] if len(hit) else None


def term_evidence(
    coefs: pd.DataFrame,
    fits: pd.DataFrame,
    term: str,
    variant: str,
    model: str,
    *,
    sample: str = "roots out",
    sign: float = 1.0,
    contrast: str = "",
) -> Evidence:
    """One coefficient of one fit as :class:`~hflineage.verdicts.Evidence` (NaN if the fit was
    not estimable).  ``sign=-1`` flips it (a contrast read the other way round).
    """
    row = _lookup(coefs, variant, model, term)
    info = fits[(fits["variant"] == variant) & (fits["model"] == model)]
    label = fit_label(variant, model, sample) + (f", {contrast}" if contrast else "")
    if row is None:
        n = int(info["n"].iloc[0]) if len(info) else None
        return Evidence(label, float("nan"), float("nan"), float("nan"), n, None)
    return Evidence(
        label,
        sign * float(row["coef"]),
        float(row["se"]),
        float(row["p"]),
        int(row["n"]),
        int(row["clusters"]),
    )


def _robustness(
    evidence: list[Evidence], families: list[str], expected: str, alpha: float, adjust: str
) -> Robustness:
    return robustness_share(
        [e.estimate for e in evidence],
        [e.se for e in evidence],
        p=[e.p for e in evidence],
        expected=expected,
        alpha=alpha,
        adjust=adjust,
        labels=[e.label for e in evidence],
        families=families,
    )


def reading_family(variant: str, primary_variant: str = PRIMARY_VARIANT) -> str:
    """The robustness family of a fit of ``variant`` (claims.yml ``robustness_families``): the
    primary reading's other estimators form one family, each other reading another.
    """
    return (
        f"{variant} reading, other estimators"
        if variant == primary_variant
        else f"{variant} reading"
    )


def size_evidence(
    coefs: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    variant: str = PRIMARY_VARIANT,
    model: str = PRIMARY_ESTIMATOR,
    alpha: float = 0.05,
    adjust: str = "holm",
    sample: str = "roots out",
) -> tuple[Evidence, Robustness]:
    """P1-size: the ``log10_params`` coefficient of the primary fit, and the robustness share
    of the same coefficient in every other (variant × estimator) fit of ``fits``, counted in
    families (:func:`reading_family`: one per reading).
    """
    primary, others, families = _across_readings(
        coefs, fits, "log10_params", variant, model, sample
    )
    return primary, _robustness(others, families, "positive", alpha, adjust)


def _across_readings(
    coefs: pd.DataFrame, fits: pd.DataFrame, term: str, variant: str, model: str, sample: str
) -> tuple[Evidence, list[Evidence], list[str]]:
    """``term`` in the primary fit, in every other fit, and each other fit's family."""
    primary = term_evidence(coefs, fits, term, variant, model, sample=sample)
    pairs = [
        (v, m)
        for v, m in fits[["variant", "model"]].itertuples(index=False)
        if (v, m) != (variant, model)
    ]
    others = [term_evidence(coefs, fits, term, v, m, sample=sample) for v, m in pairs]
    return primary, others, [reading_family(v, variant) for v, _ in pairs]


def finetune_evidence(
    coefs_finetune: pd.DataFrame,
    fits_finetune: pd.DataFrame,
    coefs: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    variant: str = PRIMARY_VARIANT,
    model: str = PRIMARY_ESTIMATOR,
    alpha: float = 0.05,
    adjust: str = "holm",
    sample: str = "roots out",
) -> tuple[Evidence, Robustness]:
    """P1-finetune: the ``finetune`` coefficient of the primary fit of :data:`RHS_FINETUNE`;
    robustness = the same coefficient in every other (variant × estimator) fit, and the pairwise
    contrasts finetune − adapter / quantized / merge of every :data:`RHS` fit (the negative of
    each derivation's coefficient against finetune).  Families: one per reading
    (:func:`reading_family`) and one per contrast ("finetune vs merge" over every fit).
    """
    primary, others, families = _across_readings(
        coefs_finetune, fits_finetune, "finetune", variant, model, sample
    )
    for v, m in fits[["variant", "model"]].itertuples(index=False):
        for term in OTHER_DERIVATIONS:
            level = term.rsplit("[T.", 1)[1].rstrip("]")
            ev = term_evidence(
                coefs, fits, term, v, m, sample=sample, sign=-1.0, contrast=f"finetune vs {level}"
            )
            others.append(ev)
            families.append(f"finetune vs {level}")
    return primary, _robustness(others, families, "positive", alpha, adjust)


def readings(
    coefs: pd.DataFrame,
    fits: pd.DataFrame,
    term: str,
    *,
    expected: str = "positive",
    alpha: float = 0.05,
    min_effect: float = 0.0,
    sample: str = "roots out",
) -> pd.DataFrame:
    """Which reading would reproduce the paper: the verdict :func:`hflineage.verdicts.sign_rule`
    would give if each (variant × estimator) fit were the primary.  ``min_effect`` applies to
    LPM fits only (it is a probability); logit and OLS-of-MDI fits need significance and sign.
    """
    rows = []
    for v, m in fits[["variant", "model"]].itertuples(index=False):
        ev = term_evidence(coefs, fits, term, v, m, sample=sample)
        floor = min_effect if m == "lpm" else 0.0
        status = (
            "not testable"
            if not np.isfinite(ev.estimate)
            else sign_rule(ev, expected=expected, alpha=alpha, min_effect=floor).status
        )
        rows.append(
            {
                "variant": v,
                "model": m,
                "coef": ev.estimate,
                "se": ev.se,
                "p": ev.p,
                "verdict": status,
            }
        )
    return pd.DataFrame(rows)


def most_consolidative_verdict(
    mass: pd.Series,
    could_be_negative: float,
    *,
    rule: dict,
    construct: dict,
    label: str = "cd, roots out",
) -> Verdict:
    """P1-most-consolidative as claims.yml declares it: the construct check first
    (:func:`hflineage.verdicts.construct_check` on the share of focal models that could be
    negative), then the threshold rule (:func:`consolidative_verdict`) on the shares of ``mass``
    (a :func:`~hflineage.mdi.summaries.mass_points` row).
    """
    blocked = construct_check(
        could_be_negative,
        **construct,
        what="models with n_j > 0 (a successor declaring both the model and its base), the "
        "only ones whose literal index can be below 0",
        population=f"focal models ({label})",
        subject=PATTERNS["1"][1],
        measure="the literal disruption index",
    )
    if blocked is not None:
        return blocked
    return consolidative_verdict(
        float(mass["share_negative"]), float(mass["share_positive"]), label=label, **rule
    )


def contrary_clause(robustness: Robustness, raw: dict[str, float], fmt: str = ".3f") -> str:
    """P1-finetune's added clause (claims.yml ``sentence``): every family with a fit
    significantly against the claim — how many of its fits, and the most contrary estimate —
    and the raw shares with MDI > 0 among finetunes and the other derivations (``raw``:
    :func:`hflineage.mdi.regressions.raw_share_gap` of the regression sample).
    """
    parts = []
    for family in dict.fromkeys(f["family"] for f in robustness.fits):
        fits = [f for f in robustness.fits if f["family"] == family]
        against = [f for f in fits if f["outcome"] == "contrary"]
        if against:
            # shown: the primary reading's LPM when it is among them (a probability), else the
            # first (estimators differ in scale, so no minimum across them)
            lpm = [
                f
                for f in against
                if f["label"].startswith(f"{PRIMARY_VARIANT},") and ", LPM" in f["label"]
            ]
            shown = (lpm or against)[0]
            parts.append(
                f"{family}: {len(against)} of {len(fits)} fits, e.g. {shown['label']}: "
                f"{fmt_number(shown['estimate'], fmt)}"
            )
    head = (
        "Fits significantly against it (Holm-adjusted): " + "; ".join(parts) + "."
        if parts
        else "No fit is significantly against it."
    )
    return (
        f"{head} In the regression sample, before any control, "
        f"{fmt_number(raw['finetune'], '.1%')} of finetunes and "
        f"{fmt_number(raw['other'], '.1%')} of the other derivations have MDI > 0."
    )


def with_clause(verdict: Verdict, clause: str) -> Verdict:
    """The verdict with a generated clause added to its sentence (the status is the rule's)."""
    return replace(verdict, sentence=f"{verdict.sentence} {clause}".strip())


def indegree_verdict(
    primary: Evidence | I.Estimate, check: I.Estimate, *, rule: dict, check_label: str
) -> Verdict:
    """P1-indegree as claims.yml declares it: the sign rule on the primary Spearman correlation,
    with the partial correlation given the window's children as a declared design (valid by
    declaration): "design-dependent" when the primary supports the claim and the check does not.
    ``rule`` is the declared rule's parameters (:func:`hflineage.chapter.claims.declared_rule`,
    with the declared ``sesoi``).
    """
    design = Design(
        check_label,
        check.estimate,
        check.se,
        check.p,
        valid=True,
        note="declared check against mechanical persistence",
    )
    return sign_rule(
        primary,
        **rule,
        designs=[design] if np.isfinite(check.estimate) else None,
        subject="the MDI rises with in-degree",
        quantity="Spearman's correlation of the literal MDI with in-degree after the window",
    )


def window_statuses(sens: pd.DataFrame, rule: dict, variant: str = PRIMARY_VARIANT) -> dict:
    """What P1-most-consolidative's threshold rule alone (:func:`consolidative_verdict` with the
    declared ``rule``) gives at each window of :func:`hflineage.mdi.robustness.window_mass_points`.
    """
    rows = sens[sens["variant"] == variant].set_index("window_days")
    return {
        w: consolidative_verdict(
            float(r["share_negative"]), float(r["share_positive"]), **rule
        ).status
        for w, r in rows.iterrows()
    }


def persistence_checks(
    primary: pd.DataFrame, covariates: pd.DataFrame, *, draws: int = 200, seed: int = 0
) -> dict[str, I.Estimate | float]:
    """P1-indegree's checks on the primary sample (one variant's rows, roots out): the partial
    Spearman correlation of the MDI and log(1 + in-degree after the window) among models with the
    same number of children in the window (``partial``: the declared check against mechanical
    persistence), the plain correlation among models with n_i > 0 (``children``), both CR3, and
    the family-bootstrap SE of the primary correlation (``bootstrap_se``, ``draws`` resamples).
    """
    cov = covariates.reindex(primary["model_id"])
    x = primary["mdi"].to_numpy(float)
    deg = cov["log_in_degree"].to_numpy(float)
    fam = cov["family_row"].to_numpy() if "family_row" in cov else cov["family"].to_numpy(object)
    n_i = primary["n_i"].to_numpy(float)
    child = n_i > 0
    boot = I.bootstrap_spearman(x, deg, fam, draws=draws, seed=seed)
    return {
        "partial": I.partial_spearman(x, deg, n_i, fam, vcov="CR3"),
        "children": I.clustered_spearman(x[child], deg[child], fam[child], vcov="CR3"),
        "bootstrap_se": float(np.std(boot, ddof=1)),
    }


def size_verdict(
    coefs: pd.DataFrame,
    fits: pd.DataFrame,
    within: I.Estimate,
    *,
    rule: dict,
    within_valid: bool,
    within_note: str = "",
) -> Verdict:
    """P1-size as claims.yml declares it: the sign rule on the primary (:func:`size_evidence`,
    robustness in families) with the within-family design (:func:`hflineage.mdi.regressions.
    within_family_fit`) as a declared design, valid as the size simulation finds it.
    """
    primary, rob = size_evidence(coefs, fits, alpha=rule.get("alpha", 0.05))
    design = Design(
        "within-family LPM (lineage-family fixed effects), CR3",
        within.estimate,
        within.se,
        within.p,
        valid=bool(within_valid),
        note=within_note,
    )
    return sign_rule(
        primary,
        **rule,
        robustness=rob,
        designs=[design] if np.isfinite(within.estimate) else None,
        subject="large models are more often disruptive",
        quantity="the change in P(MDI > 0) per tenfold size (literal MDI, roots out, LPM)",
    )


def finetune_verdict(
    coefs_finetune: pd.DataFrame,
    fits_finetune: pd.DataFrame,
    coefs: pd.DataFrame,
    fits: pd.DataFrame,
    raw: dict[str, float],
    *,
    rule: dict,
) -> Verdict:
    """P1-finetune as claims.yml declares it: the sign rule on the primary
    (:func:`finetune_evidence`, robustness in families), its sentence followed by
    :func:`contrary_clause` (the fits against it and the raw shares ``raw``).
    """
    primary, rob = finetune_evidence(
        coefs_finetune, fits_finetune, coefs, fits, alpha=rule.get("alpha", 0.05)
    )
    verdict = sign_rule(
        primary,
        **rule,
        robustness=rob,
        subject="finetunes are more often disruptive than other derivatives",
        quantity="the finetune-vs-all-other-derivations difference in P(MDI > 0) "
        "(literal MDI, roots out, LPM)",
    )
    return with_clause(verdict, contrary_clause(rob, raw))


def robustness_fits(verdicts: dict[str, Verdict]) -> pd.DataFrame:
    """Every robustness fit behind the verdicts (claim id -> verdict), one row per fit with its
    ``claim``, ``family``, ``label``, estimate, SE, p, Holm-adjusted p and outcome.
    """
    cols = ["claim", "family", "label", "estimate", "se", "p", "p_adjusted", "outcome"]
    frames = [pd.DataFrame(v.robustness.fits).assign(claim=c) for c, v in verdicts.items()]
    return pd.concat(frames, ignore_index=True)[cols]


def window_verdict(
    window_days: float, windows: list[float], statuses: str, low: str, high: str
) -> Verdict:
    """P1-window (a method): the window is a parameter set to the paper's ``window_days``; with
    each window of ``windows`` scoring its own focal models, the literal index (roots out) has
    ``low``–``high`` negative values (the chapter's share texts), and the most-consolidative
    threshold rule alone gives ``statuses`` (the chapter's words).
    """
    return method_verdict(
        f"The MDI is computed over a window that is a parameter, set to the paper's "
        f"{window_days:g} days; with each window scoring its own focal models, the literal index "
        f"(roots out) has {low}–{high} negative values over windows of {min(windows)}–"
        f"{max(windows)} days, and the most-consolidative threshold rule alone (before its "
        f"construct check) gives {statuses}"
    )
