"""Verdict rules: numbers in, one replication verdict out, with a sentence built from the numbers.

A chapter never types a verdict.  It estimates the claim's *declared primary specification*
(``book/claims.yml``), wraps the result in :class:`Evidence`, and hands it to one of the rules:

- :func:`sign_rule` — a finding with an expected sign: the primary estimate decides (significant
  at ``alpha``, the expected sign, at least ``min_effect`` in size); the other fits of the claim
  form a :class:`Robustness` share (:func:`robustness_share`, Holm-adjusted) in which significant
  results of the *opposite* sign count against the claim.  Robustness can turn "reproduced" into
  "partly reproduced", never "not reproduced" into anything better;
- :func:`threshold_rule` — a descriptive claim: a statistic against a declared threshold;
- :func:`data_scale_rule` — the size of the data set a paper used against this run's snapshot;
- :func:`method_verdict` — a method the book implements (not a finding data could refute);
- :func:`not_testable` — this run's data cannot test the claim (reason given).

Bad input.  A caller's mistake — an unknown ``expected``, a negative standard error, ``alpha``
outside (0, 1), a p-value outside [0, 1], thresholds in the wrong order — raises a one-line
:class:`~hflineage.errors.ParameterError`.  A number the data could not produce — a NaN or
infinite estimate, a NaN or zero standard error (a fit that failed or degenerated, e.g. on the
small ``ci`` slice) — is not a mistake: the rule returns "not testable" and says why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from .errors import ParameterError, check_choice
from .verdict_types import (
    ADJUSTMENTS,
    SIGNS,
    STATUSES,
    Evidence,
    Robustness,
    Verdict,
    _check_alpha,
    _finite,
    _plain,
    fmt_number,
    fmt_p,
    two_sided_p,
)

#: The module's API: the rules, and the types and formats they use (held in
#: :mod:`hflineage.verdict_types`).
__all__ = [
    "STATUSES",
    "Evidence",
    "Robustness",
    "Verdict",
    "data_scale_rule",
    "fmt_number",
    "fmt_p",
    "method_verdict",
    "not_testable",
    "robustness_share",
    "sign_rule",
    "threshold_rule",
    "two_sided_p",
]


def robustness_share(
    estimates: Sequence[float],
    ses: Sequence[float] | None,
    *,
    expected: str,
    alpha: float = 0.05,
    adjust: str = "holm",
    labels: Sequence[str] | None = None,
    p: Sequence[float] | None = None,
) -> Robustness:
    """Count a claim's other fits for and against it, Holm-adjusted across the fits.

    Each fit's two-sided p-value comes from ``p`` if given, else from ``estimate / se``
    (normal).  Fits with a finite p form one family of tests; their p-values are adjusted
    together (``adjust="holm"``: Holm's step-down method via
    :func:`statsmodels.stats.multitest.multipletests`).  A fit is *support* if its adjusted
    p-value is below ``alpha`` and its sign is ``expected``; *contrary* if significant with the
    opposite sign.  Fits with no finite estimate or p are *untestable*: counted in ``n`` (so
    they lower the share), neither for nor against.

    Args:
        estimates: one estimate per fit.
        ses: standard errors (same length), or ``None`` when ``p`` is given.
        expected: ``"positive"`` or ``"negative"``, the sign the claim predicts.
        alpha: significance level for the adjusted p-values (two-sided).
        adjust: ``"holm"`` or ``"none"``.
        labels: a label per fit (default ``"fit 1"``, ...).
        p: two-sided p-values per fit, for fits whose inference is not a normal z.

    Returns:
        The :class:`Robustness` record, with one dict per fit in ``fits``.
    """
    from statsmodels.stats.multitest import multipletests

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
    for name, arr in (("ses", se), ("p", None if p is None else np.asarray(p, float).ravel())):
        if arr is not None and arr.size != k:
            raise ParameterError(f"{name} has {arr.size} values; expected {k} (one per estimate)")
    if np.any(se[np.isfinite(se)] < 0):
        raise ParameterError("standard errors must be >= 0; got a negative one in ses")
    if p is not None:
        pv = np.asarray(p, dtype=float).ravel()
        finite_p = pv[np.isfinite(pv)]
        if np.any((finite_p < 0) | (finite_p > 1)):
            raise ParameterError("p-values must be in [0, 1]; got one outside in p")
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            pv = np.where(se > 0, 2 * stats.norm.sf(np.abs(est / se)), np.nan)
    names = list(labels) if labels is not None else [f"fit {i + 1}" for i in range(k)]
    if len(names) != k:
        raise ParameterError(f"labels has {len(names)} values; expected {k} (one per estimate)")

    ok = np.isfinite(est) & np.isfinite(pv)
    p_adj = np.full(k, np.nan)
    if ok.any():
        p_adj[ok] = pv[ok] if adjust == "none" else multipletests(pv[ok], method="holm")[1]
    sig = ok & (p_adj < alpha)
    sign = 1.0 if expected == "positive" else -1.0
    supp = sig & (np.sign(est) == sign)
    contra = sig & (np.sign(est) == -sign)
    outcome = np.where(supp, "support", np.where(contra, "contrary", "neither"))
    outcome = np.where(ok, outcome, "untestable")
    fits = tuple(
        _plain({"label": lab, "estimate": e, "se": s, "p": q, "p_adjusted": qa, "outcome": str(o)})
        for lab, e, s, q, qa, o in zip(names, est, se, pv, p_adj, outcome, strict=True)
    )
    return Robustness(
        n=k,
        support=int(supp.sum()),
        contrary=int(contra.sum()),
        share_support=float(supp.sum() / k),
        adjustment=adjust,
        alpha=alpha,
        untestable=int((~ok).sum()),
        fits=fits,
    )


def _but(subject: str) -> str:
    """The opening of a sentence that disagrees with the paper."""
    return f"The paper says {subject}, but" if subject else "Unlike the paper's claim,"


def sign_rule(
    primary: Evidence,
    *,
    expected: str,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    robustness: Robustness | None = None,
    min_support: float = 0.5,
    max_contrary: float = 0.0,
    subject: str = "",
    quantity: str = "",
) -> Verdict:
    """A finding with an expected sign, decided by its declared primary estimate.

    - primary significant (``p < alpha``, two-sided) with the expected sign and
      ``|estimate| >= min_effect``: "reproduced" if ``robustness`` is ``None`` or
      (``share_support >= min_support`` and ``contrary <= max_contrary * n``), else
      "partly reproduced";
    - primary significant with the opposite sign: "contradicted" (whatever its size);
    - otherwise "not reproduced": a primary that is not significant, or smaller than
      ``min_effect``, decides — robustness fits never upgrade it;
    - a primary with no finite estimate or p: "not testable".

    Args:
        primary: the declared primary estimate (needs ``se`` or ``p``).
        expected: ``"positive"`` or ``"negative"``.
        alpha: two-sided significance level of the primary test.
        min_effect: smallest ``|estimate|`` that counts as the effect (in the estimate's units).
        robustness: the other fits (:func:`robustness_share`), or ``None``.
        min_support: share of robustness fits that must support the claim.
        max_contrary: largest share of robustness fits allowed to be significantly contrary.
        subject: what the paper claims, as a clause, e.g. ``"a derivative released later gets
            fewer likes"``; used in the sentence.
        quantity: what the estimate is, e.g. ``"the coefficient of log entry rank"`` (default:
            the primary's label).

    Returns:
        The :class:`Verdict`.
    """
    check_choice("expected", expected, SIGNS)
    _check_alpha(alpha)
    if not (_finite(min_effect) and min_effect >= 0):
        raise ParameterError(f"min_effect must be a number >= 0; got {min_effect!r}")
    for name, val in (("min_support", min_support), ("max_contrary", max_contrary)):
        if not (_finite(val) and 0 <= val <= 1):
            raise ParameterError(f"{name} must be a share in [0, 1]; got {val!r}")
    if primary.se is None and primary.p is None:
        raise ParameterError(
            f"primary evidence {primary.label!r} has neither se nor p; the sign rule needs one"
        )
    rule = f"sign: expected {expected}, alpha {alpha:g} (two-sided), min effect {min_effect:g}" + (
        f"; robustness: at least {min_support:.0%} of other fits support, at most "
        f"{max_contrary:.0%} contrary ({robustness.adjustment}-adjusted)"
        if robustness is not None
        else ""
    )
    what = quantity or f"the estimate ({primary.label})"
    if not (_finite(primary.estimate) and _finite(primary.p)):
        return Verdict(
            "not testable",
            f"{_but(subject)} {what} could not be computed on this run's data.",
            rule,
            primary,
            robustness,
        )
    sign = 1.0 if expected == "positive" else -1.0
    significant = primary.p < alpha
    shown = f"{what} is {primary.text()}"
    if significant and np.sign(primary.estimate) == -sign:
        return Verdict(
            "contradicted",
            f"{_but(subject)} here the opposite holds: {shown}.",
            rule,
            primary,
            robustness,
        )
    if not significant:
        return Verdict(
            "not reproduced",
            f"{_but(subject)} here {shown}: not distinguishable from zero at the "
            f"{alpha:.0%} level.",
            rule,
            primary,
            robustness,
        )
    if abs(primary.estimate) < min_effect:
        return Verdict(
            "not reproduced",
            f"{_but(subject)} here {shown}: significant but smaller than the "
            f"{fmt_number(min_effect)} the rule requires.",
            rule,
            primary,
            robustness,
        )
    head = f"As the paper says, {subject}: {shown}" if subject else f"As the paper says, {shown}"
    if robustness is None:
        return Verdict("reproduced", head + ".", rule, primary, None)
    holds = (
        robustness.share_support >= min_support
        and robustness.contrary <= max_contrary * robustness.n
    )
    status = "reproduced" if holds else "partly reproduced"
    joint = "; and " if holds else "; but only "
    return Verdict(status, head + joint + robustness.text() + ".", rule, primary, robustness)


def _passes(x: float, t: float, above: bool, inclusive: bool) -> bool:
    if above:
        return x >= t if inclusive else x > t
    return x <= t if inclusive else x < t


def threshold_rule(
    value: float,
    *,
    threshold: float,
    above: bool = True,
    label: str,
    subject: str = "",
    partly: float | None = None,
    contrary: float | None = None,
    inclusive: bool = True,
    opposite: float | None = None,
    opposite_label: str = "",
    fmt: str | None = None,
) -> Verdict:
    """A descriptive claim: one statistic against a declared threshold.

    With ``above=True`` (``False`` mirrors every comparison):

    - "reproduced" if ``value >= threshold`` (``> threshold`` when ``inclusive=False``);
    - "contradicted" if ``contrary`` is given and either ``opposite`` (a second statistic
      measuring the opposite pattern, e.g. the share of MDI values > 0 beside the share < 0)
      is strictly above ``contrary``, or, without ``opposite``, ``value`` is strictly below
      ``contrary``;
    - "partly reproduced" if ``partly`` is given and ``value`` passes it (it must be weaker than
      ``threshold``);
    - otherwise "not reproduced";
    - a NaN or infinite ``value``: "not testable".

    Args:
        value: the statistic.
        threshold: the level the claim needs.
        above: the claim is that ``value`` is high (``True``) or low (``False``).
        label: what ``value`` is, e.g. ``"share of edges held by the top 1% of parents"``.
        subject: what the paper claims, as a clause; used in the sentence.
        partly: a weaker level that earns "partly reproduced", or ``None``.
        contrary: the level beyond which the data say the opposite, or ``None``.
        inclusive: whether ``value == threshold`` (and ``== partly``) passes.
        opposite: the statistic of the opposite pattern, compared with ``contrary``.
        opposite_label: what ``opposite`` is, for the sentence.
        fmt: format spec for the numbers in the sentence (e.g. ``".1%"``).

    Returns:
        The :class:`Verdict` (``primary`` holds ``value`` as an :class:`Evidence` with no se).
    """
    if not _finite(threshold):
        raise ParameterError(f"threshold must be a finite number; got {threshold!r}")
    weaker = (lambda a, b: a < b) if above else (lambda a, b: a > b)
    if partly is not None and not (_finite(partly) and weaker(partly, threshold)):
        raise ParameterError(
            f"partly must be {'below' if above else 'above'} threshold {threshold:g}; "
            f"got {partly!r}"
        )
    if contrary is not None and not _finite(contrary):
        raise ParameterError(f"contrary must be a finite number; got {contrary!r}")
    if contrary is not None and opposite is None:
        floor = partly if partly is not None else threshold
        if not weaker(contrary, floor):
            raise ParameterError(
                f"contrary must be {'below' if above else 'above'} {floor:g} (threshold or "
                f"partly) when no opposite statistic is given; got {contrary!r}"
            )
    side, other = ("at least", "below") if above else ("at most", "above")
    if not inclusive:
        side = "above" if above else "below"
    rule = f"threshold: {label} {side} {fmt_number(threshold, fmt)}"
    if partly is not None:
        rule += f"; partly if {side} {fmt_number(partly, fmt)}"
    if contrary is not None:
        rule += (
            f"; contradicted if {opposite_label or 'the opposite statistic'} "
            f"{'above' if above else 'below'} {fmt_number(contrary, fmt)}"
            if opposite is not None
            else f"; contradicted if {other} {fmt_number(contrary, fmt)}"
        )
    ev = Evidence(
        label=label, estimate=float(value) if value is not None else float("nan"), fmt=fmt
    )
    lead = _but(subject)
    shown = f"the {label} is {fmt_number(value, fmt)}"
    if not _finite(value):
        return Verdict(
            "not testable", f"{lead} the {label} is undefined on this run's data.", rule, ev
        )
    if _passes(value, threshold, above, inclusive):
        head = f"As the paper says, {subject}: " if subject else "As the paper says, "
        return Verdict(
            "reproduced",
            f"{head}{shown}, {side} the {fmt_number(threshold, fmt)} the rule requires.",
            rule,
            ev,
        )
    if contrary is not None:
        if opposite is not None and _finite(opposite):
            beyond = opposite > contrary if above else opposite < contrary
            if beyond:
                what = opposite_label or "the opposite statistic"
                return Verdict(
                    "contradicted",
                    f"{lead} here the opposite holds: the {what} is "
                    f"{fmt_number(opposite, fmt)} ({shown}).",
                    rule,
                    ev,
                )
        if opposite is None and (value < contrary if above else value > contrary):
            return Verdict(
                "contradicted",
                f"{lead} here the opposite holds: {shown}, {other} {fmt_number(contrary, fmt)}.",
                rule,
                ev,
            )
    if partly is not None and _passes(value, partly, above, inclusive):
        return Verdict(
            "partly reproduced",
            f"{lead} here {shown}: past the {fmt_number(partly, fmt)} for a partial match, "
            f"short of the {fmt_number(threshold, fmt)} the rule requires.",
            rule,
            ev,
        )
    return Verdict(
        "not reproduced",
        f"{lead} here {shown}, {other if inclusive else 'not ' + side} the "
        f"{fmt_number(threshold, fmt)} the rule requires.",
        rule,
        ev,
    )


def data_scale_rule(
    n_models: int,
    *,
    paper_models: int,
    snapshot_label: str = "this run's snapshot",
    subset: str | None = None,
) -> Verdict:
    """A paper's data-set size against this run's snapshot.

    A snapshot with fewer models than the paper used predates the paper's data (the Hub only
    grows), so it cannot test the claim: "not testable".  A snapshot at least as large holds a
    listing of the paper's scale: "reproduced".  A subset of a snapshot (``subset`` names it, e.g.
    the ``ci`` slice) says nothing about the Hub's size: "not testable".

    Args:
        n_models: models in this run's snapshot.
        paper_models: models the paper reports.
        snapshot_label: the snapshot in words, for the sentence.
        subset: what subset of a snapshot this run uses, or ``None`` for a whole snapshot.

    Returns:
        The :class:`Verdict` (``primary`` holds ``n_models``).
    """
    if not (_finite(n_models) and n_models >= 0):
        raise ParameterError(f"n_models must be a count >= 0; got {n_models!r}")
    if not (_finite(paper_models) and paper_models > 0):
        raise ParameterError(f"paper_models must be a count > 0; got {paper_models!r}")
    rule = (
        f"data scale: not testable if the snapshot has fewer than the paper's "
        f"{paper_models:,} models (it predates the paper's data), else reproduced"
    )
    ev = Evidence(label="models in the snapshot", estimate=float(n_models), fmt=",.0f")
    if subset:
        return Verdict(
            "not testable",
            f"The paper used {paper_models:,} models; this run uses a subset of a snapshot "
            f"({subset}, {n_models:,} models), whose size says nothing about the paper's data.",
            rule + "; not testable on a subset",
            ev,
        )
    if n_models < paper_models:
        return Verdict(
            "not testable",
            f"The paper used {paper_models:,} models; {snapshot_label} has {n_models:,}, so it "
            "predates the paper's data and cannot test the claim.",
            rule,
            ev,
        )
    return Verdict(
        "reproduced",
        f"The paper used {paper_models:,} models; {snapshot_label} has {n_models:,}, a listing "
        "of at least the paper's scale.",
        rule,
        ev,
    )


def method_verdict(what: str) -> Verdict:
    """A method the book implements and shows: not a finding that data could confirm or refute.

    Args:
        what: one sentence saying what is implemented and where its effect is shown.
    """
    text = what.strip()
    if not text:
        raise ParameterError("method_verdict needs a sentence saying what is implemented")
    return Verdict(
        "method",
        text if text.endswith(".") else text + ".",
        "method: implemented and shown, not a finding data could confirm or refute",
    )


def not_testable(reason: str) -> Verdict:
    """A claim this run's data cannot test.

    Args:
        reason: one sentence saying why.
    """
    text = reason.strip()
    if not text:
        raise ParameterError("not_testable needs a reason")
    return Verdict(
        "not testable",
        text if text.endswith(".") else text + ".",
        "not testable: the data of this run cannot decide the claim",
    )
