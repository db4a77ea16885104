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

import numpy as np
import pandas as pd

from ..errors import HflineageError
from ..verdicts import Evidence, Robustness, Verdict, robustness_share, sign_rule, threshold_rule
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
        fmt=".1%",
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


def _robustness(evidence: list[Evidence], expected: str, alpha: float, adjust: str) -> Robustness:
    return robustness_share(
        [e.estimate for e in evidence],
        [e.se for e in evidence],
        p=[e.p for e in evidence],
        expected=expected,
        alpha=alpha,
        adjust=adjust,
        labels=[e.label for e in evidence],
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
    of the same coefficient in every other (variant × estimator) fit of ``fits``.
    """
    primary = term_evidence(coefs, fits, "log10_params", variant, model, sample=sample)
    others = [
        term_evidence(coefs, fits, "log10_params", v, m, sample=sample)
        for v, m in fits[["variant", "model"]].itertuples(index=False)
        if (v, m) != (variant, model)
    ]
    return primary, _robustness(others, "positive", alpha, adjust)


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
    each derivation's coefficient against finetune).
    """
    primary = term_evidence(
        coefs_finetune, fits_finetune, "finetune", variant, model, sample=sample
    )
    others = [
        term_evidence(coefs_finetune, fits_finetune, "finetune", v, m, sample=sample)
        for v, m in fits_finetune[["variant", "model"]].itertuples(index=False)
        if (v, m) != (variant, model)
    ]
    for v, m in fits[["variant", "model"]].itertuples(index=False):
        for term in OTHER_DERIVATIONS:
            level = term.rsplit("[T.", 1)[1].rstrip("]")
            ev = term_evidence(
                coefs, fits, term, v, m, sample=sample, sign=-1.0, contrast=f"finetune vs {level}"
            )
            others.append(ev)
    return primary, _robustness(others, "positive", alpha, adjust)


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
