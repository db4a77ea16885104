"""The robustness share of a claim: its other fits, Holm-adjusted, counted once per family.

A claim's robustness fits are correlated: the same estimator on four nearly identical samples
is one piece of evidence, not four.  :func:`robustness_share` therefore takes a declared
*family* per fit (e.g. ``"estimator"``, ``"design"``, ``"sample"``, ``"outcome"``) and counts
each family once, and it drops fits a simulation flags as *biased*.  Without families every fit
is its own family, which is the count the book used before families existed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from .errors import ParameterError, check_choice
from .verdict_stats import holm_adjust
from .verdict_types import ADJUSTMENTS, SIGNS, Robustness, _check_alpha, _plain

#: Outcomes of one fit, and of one family of fits.
FIT_OUTCOMES = ("support", "contrary", "neither", "not estimable", "excluded (biased)")


def _family_outcome(outcomes: list[str]) -> str:
    """A family's outcome from its fits' outcomes (see :func:`robustness_share`)."""
    kept = [o for o in outcomes if o != "excluded (biased)"]
    if not kept:
        return "excluded (biased)"
    testable = [o for o in kept if o != "not estimable"]
    if not testable:
        return "not estimable"
    for outcome in ("support", "contrary"):
        if 2 * testable.count(outcome) > len(testable):
            return outcome
    return "neither"


def _check_lengths(k: int, **arrays: Sequence | np.ndarray | None) -> None:
    for name, arr in arrays.items():
        if arr is not None and len(arr) != k:
            raise ParameterError(f"{name} has {len(arr)} values; expected {k} (one per estimate)")


def robustness_share(
    estimates: Sequence[float],
    ses: Sequence[float] | None,
    *,
    expected: str,
    alpha: float = 0.05,
    adjust: str = "holm",
    labels: Sequence[str] | None = None,
    p: Sequence[float] | None = None,
    families: Sequence[str] | None = None,
    biased: Sequence[bool] | None = None,
) -> Robustness:
    """Count a claim's other fits for and against it, Holm-adjusted, each family once.

    1. Each fit's two-sided p-value comes from ``p`` if given, else from ``estimate / se``
       (normal).
    2. A fit flagged in ``biased`` is *excluded (biased)*: left out of the adjustment and of
       every count (it is still listed in ``fits``).
    3. The other fits with a finite estimate and p form one family of tests: their p-values
       are adjusted together (``adjust="holm"``: :func:`~hflineage.verdict_stats.holm_adjust`,
       Holm's step-down method).  A fit is *support* if its adjusted p-value is below
       ``alpha`` and its sign is ``expected``; *contrary* if significant with the opposite sign;
       else *neither*.  A fit with no finite estimate or p is *not estimable*.
    4. A family's outcome (``families`` given): among its fits that are neither excluded nor
       not estimable, *support* if strictly more than half support, *contrary* if strictly
       more than half are contrary, else *neither*; *not estimable* if none of its fits could
       be estimated; *excluded (biased)* if all its fits are excluded (the family is then not
       counted).  Without ``families`` each fit is its own family.
    5. ``n`` counts the families not excluded; ``share_support = support / n`` — a family
       that could not be estimated lowers the share, as an untestable fit always did.

    Args:
        estimates: one estimate per fit.
        ses: standard errors (same length), or ``None`` when ``p`` is given.
        expected: ``"positive"`` or ``"negative"``, the sign the claim predicts.
        alpha: significance level for the adjusted p-values (two-sided).
        adjust: ``"holm"`` or ``"none"``.
        labels: a label per fit (default ``"fit 1"``, ...).
        p: two-sided p-values per fit, for fits whose inference is not a normal z.
        families: a declared family label per fit (e.g. ``"estimator"``, ``"sample"``), or
            ``None`` (each fit its own family).
        biased: per fit, whether a simulation flags it as biased (excluded), or ``None``.

    Returns:
        The :class:`Robustness` record, with one dict per fit in ``fits`` and, with
        ``families``, one dict per family in ``families``.
    """
    check_choice("expected", expected, SIGNS)
    check_choice("adjust", adjust, ADJUSTMENTS)
    _check_alpha(alpha)
    est = np.asarray(estimates, dtype=float).ravel()
    k = est.size
    if k == 0:
        raise ParameterError("robustness_share needs at least one fit; got no estimates")
    if ses is None and p is None:
        raise ParameterError("robustness_share needs standard errors (ses) or p-values (p)")
    se = np.full(k, np.nan) if ses is None else np.asarray(ses, dtype=float).ravel()
    pv_in = None if p is None else np.asarray(p, dtype=float).ravel()
    _check_lengths(k, ses=se, p=pv_in, labels=labels, families=families, biased=biased)
    if np.any(se[np.isfinite(se)] < 0):
        raise ParameterError("standard errors must be >= 0; got a negative one in ses")
    if pv_in is not None:
        finite_p = pv_in[np.isfinite(pv_in)]
        if np.any((finite_p < 0) | (finite_p > 1)):
            raise ParameterError("p-values must be in [0, 1]; got one outside in p")
        pv = pv_in
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            pv = np.where(se > 0, 2 * stats.norm.sf(np.abs(est / se)), np.nan)
    if biased is not None and not all(isinstance(b, (bool, np.bool_)) for b in biased):
        raise ParameterError("biased must hold True or False per fit; got another value")
    names = list(labels) if labels is not None else [f"fit {i + 1}" for i in range(k)]
    out_b = np.zeros(k, bool) if biased is None else np.asarray(biased, dtype=bool)

    ok = np.isfinite(est) & np.isfinite(pv) & ~out_b
    p_adj = np.full(k, np.nan)
    if ok.any():
        p_adj[ok] = pv[ok] if adjust == "none" else holm_adjust(pv[ok])
    sig = ok & (p_adj < alpha)
    sign = 1.0 if expected == "positive" else -1.0
    supp = sig & (np.sign(est) == sign)
    contra = sig & (np.sign(est) == -sign)
    outcome = np.where(supp, "support", np.where(contra, "contrary", "neither"))
    outcome = np.where(ok, outcome, "not estimable")
    outcome = np.where(out_b, "excluded (biased)", outcome)
    fam = [str(f) for f in families] if families is not None else [None] * k
    fits = tuple(
        _plain(
            {
                "label": lab,
                "family": f,
                "estimate": e,
                "se": s,
                "p": q,
                "p_adjusted": qa,
                "outcome": str(o),
            }
        )
        for lab, f, e, s, q, qa, o in zip(names, fam, est, se, pv, p_adj, outcome, strict=True)
    )
    if families is None:
        units = [[str(o)] for o in outcome]
        fam_rows: tuple = ()
    else:
        order = list(dict.fromkeys(fam))
        units = [[str(o) for f, o in zip(fam, outcome, strict=True) if f == g] for g in order]
        fam_rows = tuple(
            {
                "family": g,
                "fits": len(u),
                "testable": sum(o in ("support", "contrary", "neither") for o in u),
                "support": u.count("support"),
                "contrary": u.count("contrary"),
                "excluded": u.count("excluded (biased)"),
                "outcome": _family_outcome(u),
            }
            for g, u in zip(order, units, strict=True)
        )
    unit_outcomes = [_family_outcome(u) for u in units]
    counted = [o for o in unit_outcomes if o != "excluded (biased)"]
    n = len(counted)
    support = counted.count("support")
    return Robustness(
        n=n,
        support=support,
        contrary=counted.count("contrary"),
        share_support=float(support / n) if n else float("nan"),
        adjustment=adjust,
        alpha=alpha,
        untestable=counted.count("not estimable"),
        fits=fits,
        unit="fits" if families is None else "families",
        excluded=int(out_b.sum()),
        n_fits=k,
        families=fam_rows,
    )
