"""From race estimates to the numbers the verdict rules take (:mod:`hflineage.verdicts`).

The chapter estimates the declared primary specification and its robustness fits; these helpers
only package them: the primary row as an :class:`~hflineage.verdicts.Evidence`, the other fits
(robustness rows and the lag-controlled specification curve, without the primary's own
combination) as a Holm-adjusted :class:`~hflineage.verdicts.Robustness`.  The rules and their
parameters live in :mod:`hflineage.verdicts` and ``book/claims.yml``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..verdicts import (
    Design,
    Evidence,
    Robustness,
    Verdict,
    not_testable,
    robustness_share,
    sign_rule,
)
from .selection import (  # re-exported: the chapter reads the selection through this module
    ESTIMATOR_WORDS,  # noqa: F401
    SELECTION,  # noqa: F401
    SESOI_ESTIMATORS,
    SelectionRule,  # noqa: F401
    no_primary_reason,
    select_by_term,  # noqa: F401
    select_primary,  # noqa: F401
    valid_pairs,  # noqa: F401
)


def primary_evidence(tidy: pd.DataFrame, spec: str, term: str, label: str) -> Evidence:
    """The estimate of ``term`` in ``spec`` as the primary :class:`Evidence` (the p-value is the
    fit's own, t with G - 1 degrees of freedom; NaN when the term was not estimated).
    """
    row = tidy[(tidy["spec"] == spec) & (tidy["term"] == term)]
    if row.empty:
        return Evidence(label, float("nan"), float("nan"))
    r = row.iloc[0]
    return Evidence(
        label,
        float(r["estimate"]),
        float(r["std_error"]),
        p=float(r["p_value"]),
        n=int(r["n_obs"]),
        clusters=int(r["n_clusters"]),
    )


#: The specification curve's choices that, all at their primary value, are the primary itself.
PRIMARY_CHOICES = ("relations", "congestion_days", "min_derivatives", "outcome", "spec")


def robustness_fits(
    rows: pd.DataFrame | None,
    curve: pd.DataFrame | None,
    term: str,
    *,
    primary: dict[str, object],
    specs: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """The other fits of one claim: robustness rows (not the ``primary`` row) and the curve's
    rows of ``specs`` (default all), without the combination equal to ``primary`` (a dict of
    :data:`PRIMARY_CHOICES`).

    Returns:
        ``label``, ``estimate``, ``std_error``, ``p_value`` per fit.
    """
    parts = []
    if rows is not None and not rows.empty:
        r = rows[(rows["term"] == term) & (rows["row"] != "primary")]
        parts.append(r.assign(label=r["row"])[["label", "estimate", "std_error", "p_value"]])
    if curve is not None and not curve.empty:
        missing = [k for k in PRIMARY_CHOICES if k not in primary]
        if missing:
            raise ParameterError(
                f"robustness_fits: primary has no {missing[0]!r}; expected {PRIMARY_CHOICES}"
            )
        c = curve[curve["term"] == term]
        if specs is not None:
            c = c[c["spec"].isin(specs)]
        same = pd.Series(True, index=c.index)
        for k in PRIMARY_CHOICES:
            value = primary[k]
            if isinstance(value, (int, float)) and pd.api.types.is_numeric_dtype(c[k]):
                same &= c[k].astype(float) == float(value)
            else:
                same &= c[k].astype(str) == str(value)
        c = c[~same]
        label = (
            "curve: "
            + c["spec"].astype(str)
            + ", "
            + c["outcome"].astype(str)
            + ", "
            + c["relations"].astype(str)
            + ", window "
            + c["congestion_days"].astype(str)
            + ", min "
            + c["min_derivatives"].astype(str)
        )
        parts.append(c.assign(label=label)[["label", "estimate", "std_error", "p_value"]])
    if not parts:
        return pd.DataFrame(columns=["label", "estimate", "std_error", "p_value"])
    return pd.concat(parts, ignore_index=True)


def robustness(fits: pd.DataFrame, expected: str, alpha: float = 0.05) -> Robustness | None:
    """The Holm-adjusted robustness share of :func:`robustness_fits` (``None`` if there is none)."""
    if fits.empty:
        return None
    return robustness_share(
        fits["estimate"].to_numpy(float),
        fits["std_error"].to_numpy(float),
        p=fits["p_value"].to_numpy(float),
        expected=expected,
        alpha=alpha,
        labels=fits["label"].tolist(),
    )


def real_table(fits: pd.DataFrame, term: str | tuple[str, ...] = "rank") -> pd.DataFrame:
    """The real estimates of a design table (:func:`hflineage.race.designs.design_table`, one
    rank reading) as the simulation's flag table takes them: ``design``, ``estimator``,
    ``real_estimate``, ``real_se`` for ``term`` — or, for several terms (a tuple), with a
    ``term`` column.
    """
    terms = (term,) if isinstance(term, str) else tuple(term)
    t = fits[fits["term"].isin(terms)]
    if "rank" in t and t["rank"].nunique() > 1:
        raise ParameterError("real_table: fits hold several rank readings; expected one")
    cols = ["design", "estimator", "real_estimate", "real_se"]
    if not isinstance(term, str):
        cols.append("term")
    return t.rename(columns={"estimate": "real_estimate", "se": "real_se"})[cols].reset_index(
        drop=True
    )


def declared_designs(
    fits: pd.DataFrame, selection: dict[str, object], term: str = "rank"
) -> tuple[Evidence | None, list[Design]]:
    """The primary pair's estimate of ``term`` as :class:`Evidence` (``None`` without a
    primary) and every other fitted pair as a :class:`Design`, valid when the simulation
    passes it (its only failing being an estimator not eligible as primary still counts as
    valid); a pair the chapter's simulation did not run is not valid ("not simulated").
    """
    from .designs import pair_label

    t = selection["table"].set_index(["design", "estimator"])
    primary_pair = selection["primary"]
    rows = fits[fits["term"] == term]
    primary, others = None, []
    for _, r in rows.iterrows():  # a few dozen pairs, not models
        pair = (r["design"], r["estimator"])
        label = pair_label(*pair)
        est, se, p = float(r["estimate"]), float(r["se"]), float(r["p"])
        if pair == primary_pair:
            primary = Evidence(label, est, se, p=p, n=int(r["n"]), clusters=int(r["clusters"]))
            continue
        if not (np.isfinite(est) and np.isfinite(se) and se > 0):
            continue
        if pair in t.index:
            why = str(t.loc[pair, "why_not"])
            valid, note = why in ("", "estimator not eligible"), why
        else:
            valid, note = False, "not simulated"
        others.append(Design(label, est, se, p=p, valid=valid, note=note))
    return primary, others


def design_verdict(
    fits: pd.DataFrame,
    selection: dict[str, object],
    rule: dict[str, object],
    *,
    term: str = "rank",
    subject: str = "",
    quantity: str = "",
    robustness: Robustness | None = None,
    estimators: tuple[str, ...] = SESOI_ESTIMATORS,
) -> Verdict:
    """A P2 finding's verdict on its revision-2 primary: "not testable" with the pairs' reasons
    when the declared selection (:func:`select_primary` restricted to ``estimators``) finds no
    valid pair, else :func:`~hflineage.verdicts.sign_rule` on the primary with the declared
    ``rule`` (from ``declared_rule``, sesoi included) and the other pairs as designs.
    """
    from .designs import pair_label

    primary, designs = declared_designs(fits, selection, term)
    if selection["primary"] is None:
        return not_testable(
            no_primary_reason(
                selection,
                estimators,
                fits=fits,
                term=term,
                quantity=quantity,
                sesoi=rule.get("sesoi"),
                alpha=float(rule.get("alpha", 0.05)),
            )
        )
    if primary is None:
        return not_testable(
            f"The primary pair ({pair_label(*selection['primary'])}) could not be fitted for "
            "this claim on this run"
        )
    verdict = sign_rule(
        primary,
        **rule,
        robustness=robustness,
        designs=designs,
        subject=subject,
        quantity=quantity,
    )
    term_words = {"rank": "the rank", "congestion": "the congestion"}.get(term, term)
    lead = (
        f"On {primary.label}, the pair the calibrated simulation picked for {term_words} "
        "as the primary: "
    )
    return replace(verdict, sentence=lead + verdict.sentence[:1].lower() + verdict.sentence[1:])


def pair_robustness(
    fits: pd.DataFrame,
    selection: dict[str, object],
    *,
    term: str = "rank",
    expected: str = "negative",
    alpha: float = 0.05,
) -> Robustness | None:
    """The primary's robustness on the revision-2 grid: every other fitted pair of ``fits``,
    Holm-adjusted, one family per estimator (the same estimand under other time designs counts
    once), the pairs the simulation flags (``flagged``) excluded as biased; ``None`` when there
    is no primary or no other pair.
    """
    from .designs import ESTIMATOR_LABELS, pair_label

    primary = selection["primary"]
    if primary is None:
        return None
    rows = fits[(fits["term"] == term)]
    rows = rows[[(d, e) != primary for d, e in zip(rows["design"], rows["estimator"], strict=True)]]
    if rows.empty:
        return None
    flags = selection["table"].set_index(["design", "estimator"])["flagged"].astype(bool)
    pairs = list(zip(rows["design"], rows["estimator"], strict=True))
    return robustness_share(
        rows["estimate"].to_numpy(float),
        rows["se"].to_numpy(float),
        p=rows["p"].to_numpy(float),
        expected=expected,
        alpha=alpha,
        labels=[pair_label(*pr) for pr in pairs],
        families=[ESTIMATOR_LABELS[e] for _, e in pairs],
        biased=[bool(flags.get(pr, False)) for pr in pairs],
    )


#: The revision-2 race findings: claim → (term, which fits, what the paper claims, the estimate
#: in words).  ``fits`` names the design table: ``team`` (the grid on team rank) or ``controls``
#: (the valid pairs refitted with the P2-controls claim's controls).
P2_CLAIMS: dict[str, tuple[str, str, str, str]] = {
    "P2-priority": (
        "rank",
        "team",
        "a derivative released later than its rivals gets fewer likes",
        "the coefficient of log team rank",
    ),
    "P2-congestion": (
        "congestion",
        "team",
        "a derivative released into a crowd of rivals gets fewer likes",
        "the coefficient of log(1 + rival accounts around entry)",
    ),
    "P2-controls": (
        "rank",
        "controls",
        "a later release gets fewer likes after accounting for quality, kind and prominence",
        "the coefficient of log team rank with the controls",
    ),
}


def race_verdicts(
    fits: dict[str, pd.DataFrame],
    selection: dict[str, object],
    rules: dict[str, dict[str, object]],
) -> dict[str, Verdict]:
    """The verdicts of :data:`P2_CLAIMS` from their fits (``{"team": ..., "controls": ...}``),
    the simulation's selection and each claim's declared rule (``declared_rule``): each by
    :func:`design_verdict` with :func:`pair_robustness` as its robustness.

    ``selection`` is one :func:`select_primary` result (every claim judged on the rank's
    simulation) or, from :func:`~hflineage.race.selection.select_by_term`, one per term: each
    claim is then judged on the simulation of its own coefficient (P2-congestion on the
    congestion's bias, size and power).
    """
    by_term = selection if "primary" not in selection else {"rank": selection}
    out = {}
    for claim_id, (term, which, subject, quantity) in P2_CLAIMS.items():
        rule = rules[claim_id]
        f = fits[which]
        sel = by_term.get(term, by_term.get("rank"))
        if sel is None:
            raise ParameterError(f"race_verdicts: no selection for the {term!r} term")
        robust = pair_robustness(
            f, sel, term=term, expected=str(rule["expected"]), alpha=float(rule["alpha"])
        )
        out[claim_id] = design_verdict(
            f, sel, rule, term=term, subject=subject, quantity=quantity, robustness=robust
        )
    return out


def verdict_table(verdicts: dict[str, Verdict]) -> pd.DataFrame:
    """One row per claim: ``claim``, ``verdict``, ``in one sentence``, ``rule``."""
    return pd.DataFrame(
        [
            {"claim": k, "verdict": v.status, "in one sentence": v.sentence, "rule": v.rule}
            for k, v in verdicts.items()
        ]
    )
