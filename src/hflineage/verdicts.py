"""Verdict rules: numbers in, one replication verdict out, with a sentence built from the numbers.

A chapter never types a verdict.  It estimates the claim's *declared primary specification*
(``book/claims.yml``), wraps the result in :class:`Evidence`, and hands it to one of the rules:

- :func:`sign_rule` — a finding with an expected sign: the primary estimate decides (significant
  at ``alpha``, the expected sign, at least ``min_effect`` in size).  A primary that does not
  support the paper is "absent" when an equivalence test (:func:`tost`) rules out effects as
  large as the declared ``sesoi``, else "inconclusive" (the sentence gives the minimum
  detectable effect, :func:`minimum_detectable_effect`).  Other declared designs that a
  simulation finds valid (:class:`Design`) make it "design-dependent" when they disagree.  The
  other fits of the claim form a :class:`Robustness` share (:func:`robustness_share`,
  Holm-adjusted, each declared family counted once, biased fits excluded) in which significant
  results of the *opposite* sign count against the claim; it can turn "reproduced" into
  "partly reproduced";
- :func:`threshold_rule` — a descriptive claim: a statistic against a declared threshold;
- :func:`construct_check` — whether the measure can show the pattern at all ("not testable
  (construct)" when too few units could take the values the claim is about);
- :func:`data_scale_rule` — the size of the data set a paper used against this run's snapshot;
- :func:`method_verdict` — a method the book implements (not a finding data could refute);
- :func:`not_testable` — this run's data cannot test the claim (reason given).

Bad input.  A caller's mistake — an unknown ``expected``, a negative standard error or
``sesoi``, ``alpha`` outside (0, 1), a p-value outside [0, 1], thresholds in the wrong order,
lists of different lengths — raises a one-line :class:`~hflineage.errors.ParameterError`.  A
number the data could not produce — a NaN or infinite estimate, a NaN or zero standard error (a
fit that failed or degenerated, e.g. on the small ``ci`` slice) — is not a mistake: the rule
returns "not testable" and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ParameterError, check_choice
from .verdict_designs import (
    as_design,
    design_rows,
    design_sentence,
    disagree,
    outcome_of,
    power_clause,
)
from .verdict_robustness import robustness_share
from .verdict_stats import (
    Tost,
    check_alpha,
    check_sesoi,
    equivalence_bounds,
    holm_adjust,
    minimum_detectable_effect,
    tost,
)
from .verdict_types import (
    SIGNS,
    STATUS_MEANINGS,
    STATUSES,
    Design,
    Evidence,
    Robustness,
    Verdict,
    _finite,
    fmt_number,
    fmt_p,
    two_sided_p,
)

#: The module's API: the rules, and the types, formats and tests they use (held in
#: :mod:`hflineage.verdict_types`, :mod:`hflineage.verdict_stats` and
#: :mod:`hflineage.verdict_robustness`).
__all__ = [
    "STATUSES",
    "STATUS_MEANINGS",
    "Design",
    "Evidence",
    "Robustness",
    "Tost",
    "Verdict",
    "construct_check",
    "data_scale_rule",
    "equivalence_bounds",
    "fmt_number",
    "fmt_p",
    "holm_adjust",
    "method_verdict",
    "minimum_detectable_effect",
    "not_testable",
    "robustness_share",
    "sign_rule",
    "threshold_rule",
    "tost",
    "two_sided_p",
]


def _but(subject: str, claimant: str = "the paper", says: str = "says") -> str:
    """The opening of a sentence that disagrees with the claim's source (the paper by default)."""
    if not subject:
        return (
            "Unlike the paper's claim,"
            if claimant == "the paper"
            else f"Unlike what {claimant} {says},"
        )
    return f"{claimant[:1].upper()}{claimant[1:]} {says} {subject}, but"


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
    sesoi: float | None = None,
    designs: Sequence[Design | Mapping[str, Any]] | None = None,
    power: float = 0.8,
    claimant: str = "the paper",
    says: str = "says",
) -> Verdict:
    """A finding with an expected sign, decided by its declared primary estimate.

    Each design (the primary, then each declared design) gets an outcome: *support*
    (``p < alpha``, two-sided, the expected sign, ``|estimate| >= min_effect``), *too small*
    (significant, expected sign, smaller than ``min_effect``), *opposite* (significant, the other
    sign), *not significant*, or *not estimable*; a design whose ``valid`` is ``False`` is
    *ignored (not valid)*.  Then, in order:

    - a primary with no finite estimate or p: "not testable";
    - the primary and the valid designs disagree (one *support*, another *not significant* or
      *opposite*): "design-dependent";
    - primary *support*: "reproduced" if ``robustness`` is ``None``, has no family left (all
      excluded as biased), or (``share_support >= min_support`` and
      ``contrary <= max_contrary * n``); else "partly reproduced";
    - primary *opposite*: "contradicted" (whatever its size);
    - primary *not significant* or *too small*: "absent" if ``sesoi`` is given and the TOST at
      ``alpha`` (:func:`tost`, normal) rejects effects of ``+/- sesoi`` (TOST p < ``alpha``);
      else "inconclusive".  Robustness never upgrades it.

    The record carries the minimum detectable effect (``mde``: two-sided at ``alpha`` with
    ``power``), the TOST p-value and the (1 - 2 alpha) interval when ``sesoi`` is given, and the
    designs' outcomes; the sentence states them when the primary does not support the paper.

    Args:
        primary: the declared primary estimate (needs ``se`` or ``p``; the MDE and the TOST
            need ``se``).
        expected: ``"positive"`` or ``"negative"``.
        alpha: two-sided significance level of the primary test, and level of the TOST.
        min_effect: smallest ``|estimate|`` that counts as the effect (in the estimate's units).
        robustness: the other fits (:func:`robustness_share`), or ``None``.
        min_support: share of robustness families that must support the claim.
        max_contrary: largest share of robustness families allowed to be significantly
            contrary.
        subject: what the paper claims, as a clause, e.g. ``"a derivative released later gets
            fewer likes"``; used in the sentence.
        quantity: what the estimate is, e.g. ``"the coefficient of log entry rank"`` (default:
            the primary's label).
        sesoi: the declared smallest effect size of interest (> 0, the estimate's units), or
            ``None`` (then a primary that does not support the paper is "inconclusive").
        designs: other declared designs (:class:`Design` or mappings of its fields), each with
            the simulation's ``valid`` flag.
        power: the power at which the minimum detectable effect is computed.
        claimant: who makes the claim, as the sentence names it ("the paper"; an extension
            passes e.g. "Hill and Stein's framework").
        says: the verb the sentence gives the claimant ("says"; e.g. "predicts").

    Returns:
        The :class:`Verdict`.
    """
    check_choice("expected", expected, SIGNS)
    check_alpha(alpha)
    check_alpha(power, "power")
    if not (_finite(min_effect) and min_effect >= 0):
        raise ParameterError(f"min_effect must be a number >= 0; got {min_effect!r}")
    for name, val in (("min_support", min_support), ("max_contrary", max_contrary)):
        if not (_finite(val) and 0 <= val <= 1):
            raise ParameterError(f"{name} must be a share in [0, 1]; got {val!r}")
    if sesoi is not None:
        check_sesoi(sesoi)
    if primary.se is None and primary.p is None:
        raise ParameterError(
            f"primary evidence {primary.label!r} has neither se nor p; the sign rule needs one"
        )
    others = [as_design(d) for d in designs or ()]
    rule = f"sign: expected {expected}, alpha {alpha:g} (two-sided), min effect {min_effect:g}" + (
        f"; robustness: at least {min_support:.0%} of other {robustness.unit} support, at most "
        f"{max_contrary:.0%} contrary ({robustness.adjustment}-adjusted)"
        if robustness is not None
        else ""
    )
    if sesoi is not None:
        rule += f"; absent if a TOST at {alpha:g} rules out effects of \u00b1{sesoi:g}, else inconclusive"
    if others:
        rule += f"; design-dependent if valid designs disagree ({len(others)} other declared)"
    fmt = primary.fmt
    what = quantity or f"the estimate ({primary.label})"
    se = primary.se if primary.se is not None and _finite(primary.se) and primary.se > 0 else None
    mde = minimum_detectable_effect(se, alpha, power) if se is not None else None
    t = tost(primary.estimate, se, sesoi, alpha) if sesoi is not None and se is not None else None
    bounds = equivalence_bounds(primary.estimate, se, alpha) if t is not None else None
    sign = 1.0 if expected == "positive" else -1.0
    rows = design_rows(primary, others, sign, alpha, min_effect) if others else []
    record = {
        "mde": mde,
        "sesoi": sesoi,
        "tost_p": t.p if t is not None else None,
        "equivalence_bounds": bounds,
        "designs": tuple(rows),
    }

    def verdict(status: str, sentence: str) -> Verdict:
        return Verdict(status, sentence, rule, primary, robustness, **record)

    if not (_finite(primary.estimate) and _finite(primary.p)):
        return verdict(
            "not testable",
            f"{_but(subject, claimant, says)} {what} could not be computed on this run's data.",
        )
    if rows and disagree(rows):
        return verdict("design-dependent", design_sentence(subject, rows, fmt))
    outcome = outcome_of(primary.estimate, primary.p, sign, alpha, min_effect)
    shown = f"{what} is {primary.text()}"
    if outcome == "opposite":
        return verdict(
            "contradicted", f"{_but(subject, claimant, says)} here the opposite holds: {shown}."
        )
    if outcome in ("not significant", "too small"):
        status = "absent" if t is not None and t.equivalent else "inconclusive"
        why = (
            f"not distinguishable from zero at the {alpha:.0%} level"
            if outcome == "not significant"
            else f"significant but smaller than the {fmt_number(min_effect, fmt)} the rule requires"
        )
        tail = power_clause(mde, power, t, bounds, sesoi, alpha, fmt)
        return verdict(status, f"{_but(subject, claimant, says)} here {shown}: {why}{tail}.")
    head = (
        f"As {claimant} {says}, {subject}: {shown}" if subject else f"As {claimant} {says}, {shown}"
    )
    if robustness is None:
        return verdict("reproduced", head + ".")
    if robustness.n == 0:
        return verdict(
            "reproduced",
            head + f"; every robustness fit ({robustness.excluded}) is excluded as biased by "
            "the simulation, so the primary decides.",
        )
    holds = (
        robustness.share_support >= min_support
        and robustness.contrary <= max_contrary * robustness.n
    )
    joint = "; and " if holds else "; but only "
    return verdict(
        "reproduced" if holds else "partly reproduced", head + joint + robustness.text() + "."
    )


def construct_check(
    share_could_show: float,
    *,
    min_share: float,
    what: str,
    population: str = "the units",
    subject: str = "",
    measure: str = "the measure",
    fmt: str | None = ".2%",
) -> Verdict | None:
    """Whether the measure can show the claimed pattern at all, by construction.

    Some patterns cannot appear whatever the data: the literal disruption index can be negative
    only for a model with ``n_j > 0``, so if only 0.55% of focal models have ``n_j > 0`` then
    "most values are negative" is impossible.  A chapter computes the share of units that could
    possibly show the pattern and calls this check before the claim's rule:
    ``construct_check(share, **declared) or threshold_rule(...)``.

    Args:
        share_could_show: share of ``population`` that could show the pattern, in [0, 1].
        min_share: the declared smallest share that lets the pattern appear, in (0, 1]; e.g.
            0.5 for "most values are negative".
        what: the units that could show it, as a noun phrase, e.g. ``"models with n_j > 0,
            the only ones whose literal disruption index can be negative"``.
        population: the units the share is of, e.g. ``"focal models"``.
        subject: what the paper claims, as a clause; used in the sentence.
        measure: the measure in words, e.g. ``"the literal disruption index"``.
        fmt: format spec for the shares in the sentence.

    Returns:
        A "not testable (construct)" :class:`Verdict` when ``share_could_show < min_share``
        (strictly); ``None`` when the measure can show the pattern (the claim's rule decides).
        A NaN share (no units) gives "not testable".
    """
    if isinstance(min_share, bool) or not (_finite(min_share) and 0 < min_share <= 1):
        raise ParameterError(f"min_share must be a share in (0, 1]; got {min_share!r}")
    if not what.strip():
        raise ParameterError("construct_check needs 'what': the units that could show the pattern")
    if _finite(share_could_show) and not 0 <= share_could_show <= 1:
        raise ParameterError(
            f"share_could_show must be a share in [0, 1]; got {share_could_show!r}"
        )
    whole = fmt is not None and fmt.endswith("%") and float(min_share * 100).is_integer()
    least = fmt_number(min_share, ".0%" if whole else fmt)  # "50%", not "50.00%"
    rule = f"construct: not testable (construct) if fewer than {least} of {population} are {what}"
    label = f"share of {population} that are {what}"
    ev = Evidence(label=label, estimate=float(share_could_show), fmt=fmt)
    if not _finite(share_could_show):
        return Verdict(
            "not testable",
            f"{_but(subject)} the {label} is undefined on this run's data.",
            rule,
            ev,
        )
    if share_could_show >= min_share:
        return None
    return Verdict(
        "not testable (construct)",
        f"{_but(subject)} {measure} cannot show that by construction: only "
        f"{fmt_number(share_could_show, fmt)} of {population} are {what}, below the "
        f"{least} the pattern needs.",
        rule,
        ev,
    )


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
    - otherwise "absent": a statistic of the whole snapshot (no sampling error) short of its
      threshold, i.e. the pattern is not there at the declared size;
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
        "absent",
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
