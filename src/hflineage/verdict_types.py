"""What a verdict is made of: the verdict categories, one estimate (:class:`Evidence`), the
robustness set of a claim (:class:`Robustness`), the :class:`Verdict` itself, and the number
formats the generated sentences use.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from .errors import ParameterError, check_choice
from .verdict_stats import check_alpha

#: Every verdict a claim can get, strongest first; "method" = implemented, not a finding.
STATUSES = (
    "reproduced",
    "partly reproduced",
    "absent",
    "inconclusive",
    "contradicted",
    "design-dependent",
    "not testable",
    "not testable (construct)",
    "method",
)


#: What each status means, in plain words (for a status page; one entry per :data:`STATUSES`).
STATUS_MEANINGS = {
    "reproduced": "the declared primary estimate is significant at the declared level "
    "(two-sided), has the paper's sign and at least the declared minimum size, and the "
    "robustness families agree; or a descriptive statistic that passes its declared threshold.",
    "partly reproduced": "the primary estimate holds, but fewer robustness families support it "
    "than the rule asks, or too many are significant the other way; or a statistic between its "
    "partial and full threshold.",
    "absent": "the effect is shown to be smaller than the declared smallest effect size of "
    "interest: the primary estimate does not support the paper and an equivalence test (TOST) "
    "at the declared level rejects effects that large; or a descriptive statistic of the whole "
    "snapshot short of its declared threshold.",
    "inconclusive": "the primary estimate is not significant (or smaller than the declared "
    "minimum), and equivalence is not shown (or no smallest effect size of interest is "
    "declared): the data can neither confirm nor rule out the effect.",
    "contradicted": "the primary estimate is significant with the opposite sign, or the data "
    "show the opposite pattern.",
    "design-dependent": "declared designs that a simulation finds valid disagree: one is "
    "significant in the paper's direction, another is not significant or significant the "
    "other way.",
    "not testable": "this run's data cannot decide the claim (for example, a snapshot older "
    "than the paper's data, or a fit that cannot be computed on a small slice).",
    "not testable (construct)": "a declared check shows the measure cannot show the pattern: "
    "too few units could take the values the claim is about, whatever the data.",
    "method": "a method the book implements and shows (a window, a parsing procedure, a "
    "measure); not a finding that data could confirm or refute.",
}


#: The two signs a finding can predict.
SIGNS = ("positive", "negative")


#: Multiple-testing adjustments of a robustness share ("holm": Holm 1979, via statsmodels).
ADJUSTMENTS = ("holm", "none")


MINUS = "\u2212"


def fmt_number(x: float | None, fmt: str | None = None) -> str:
    """A number as the book's sentences show it: two significant digits, a true minus sign.

    ``fmt`` (a format spec such as ``".1%"`` or ``",.0f"``) overrides the default.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "undefined"
    x = float(x)
    if fmt:
        text = format(x, fmt)
    elif x == 0:
        text = "0"
    elif abs(x) >= 100:
        text = f"{x:,.0f}"
    elif abs(x) >= 1:
        text = f"{x:.2f}"
    elif abs(x) >= 0.001:
        text = f"{x:.2g}"
    else:
        text = f"{x:.1e}"
    return text.replace("-", MINUS)


def fmt_p(p: float | None) -> str:
    """A p-value in words: ``p < 0.001`` or ``p = 0.042``."""
    if p is None or math.isnan(p):
        return "p undefined"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2g}"


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(float(x))


def two_sided_p(estimate: float, se: float) -> float:
    """Two-sided normal p-value of ``estimate / se``; NaN when either is not finite or se is 0."""
    if not (_finite(estimate) and _finite(se)) or se <= 0:
        return float("nan")
    return float(2 * stats.norm.sf(abs(estimate / se)))


def _check_alpha(alpha: float) -> None:
    check_alpha(alpha)


def _plain(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, tuples to lists (recursively)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Evidence:
    """One estimate: the primary result of a claim, or one fit of its robustness set.

    Attributes:
        label: the specification in words, e.g. ``"cd, roots out, LPM, family-clustered"``.
        estimate: the coefficient or statistic.
        se: its standard error (``None`` if the fit gives none).
        p: two-sided p-value; computed from ``estimate / se`` (normal) when ``None`` and ``se``
            is given.
        n: observations.
        clusters: clusters behind ``se`` (``None`` if not clustered).
        fmt: how to show the numbers (a format spec such as ``".1%"``; ``None``: two
            significant digits).
    """

    label: str
    estimate: float
    se: float | None = None
    p: float | None = None
    n: int | None = None
    clusters: int | None = None
    fmt: str | None = None

    def __post_init__(self) -> None:
        """Check se and p; fill ``p`` from ``estimate / se`` when it is not given."""
        if self.se is not None and _finite(self.se) and self.se < 0:
            raise ParameterError(
                f"evidence {self.label!r}: standard error must be >= 0; got {self.se!r}"
            )
        if self.p is not None and _finite(self.p) and not 0 <= self.p <= 1:
            raise ParameterError(f"evidence {self.label!r}: p must be in [0, 1]; got {self.p!r}")
        if self.p is None and self.se is not None:
            object.__setattr__(self, "p", two_sided_p(self.estimate, self.se))

    def text(self, fmt: str | None = None) -> str:
        """``−0.12 (SE 0.017, p < 0.001)``: the estimate with what is known of its precision."""
        fmt = fmt or self.fmt
        inside = []
        if self.se is not None:
            inside.append(f"SE {fmt_number(self.se, fmt)}")
        if self.p is not None:
            inside.append(fmt_p(self.p))
        est = fmt_number(self.estimate, fmt)
        return f"{est} ({', '.join(inside)})" if inside else est

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields (NaN as ``None``)."""
        return _plain(asdict(self))


@dataclass(frozen=True)
class Design:
    """Another declared design of a claim's primary test, with a simulation's verdict on it.

    Attributes:
        label: the design in words, e.g. ``"share gap, family-clustered"``.
        estimate: its estimate, in the primary's units and sign convention.
        se: its standard error (``None`` if it gives a p-value only).
        p: two-sided p-value; from ``estimate / se`` (normal) when ``None`` and ``se`` is given.
        valid: whether a simulation finds the design valid (size and sign recovered); a design
            that is not valid is ignored by the rule and reported as such.
        note: what the simulation found, for the record (e.g. ``"size 0.31 under the null"``).
    """

    label: str
    estimate: float
    se: float | None = None
    p: float | None = None
    valid: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        """Check se, p and ``valid``; fill ``p`` from ``estimate / se`` when it is not given."""
        if not isinstance(self.valid, (bool, np.bool_)):
            raise ParameterError(
                f"design {self.label!r}: valid must be True or False; got {self.valid!r}"
            )
        if self.se is None and self.p is None:
            raise ParameterError(f"design {self.label!r} has neither se nor p; give one")
        try:  # the same checks of se and p as an estimate's
            Evidence(self.label, self.estimate, self.se, self.p)
        except ParameterError as err:
            raise ParameterError(str(err).replace("evidence ", "design ", 1)) from None
        if self.p is None:
            object.__setattr__(self, "p", two_sided_p(self.estimate, self.se))

    def evidence(self) -> Evidence:
        """The design's numbers as :class:`Evidence` (for :meth:`Evidence.text`)."""
        return Evidence(self.label, self.estimate, self.se, self.p)


@dataclass(frozen=True)
class Robustness:
    """The other fits of one claim, counted for and against it after a multiple-testing adjustment.

    With declared families (:func:`~hflineage.verdicts.robustness_share`), each family of fits
    counts once and the counts below are of families; without, each fit is its own family.

    Attributes:
        n: how many families (or fits) are counted: all but those whose every fit was excluded
            as biased (families that could not be estimated are counted).
        support: families (fits) supporting the claim.
        contrary: families (fits) significantly the other way; counts against.
        share_support: ``support / n``.
        adjustment: ``"holm"`` or ``"none"``.
        alpha: the level the adjusted p-values are compared with.
        untestable: families (fits) that could not be estimated (neither for nor against).
        fits: one dict per fit: label, family, estimate, se, p, p_adjusted, outcome
            (``"support"``, ``"contrary"``, ``"neither"``, ``"not estimable"`` or
            ``"excluded (biased)"``).
        unit: ``"fits"`` (each fit counts once) or ``"families"`` (each family counts once).
        excluded: fits excluded because a simulation flags them as biased.
        n_fits: all fits handed in, excluded ones included (``None``: same as ``n``).
        families: one dict per family (``unit == "families"``): family, fits, testable,
            support, contrary, excluded, outcome.
    """

    n: int
    support: int
    contrary: int
    share_support: float
    adjustment: str
    alpha: float = 0.05
    untestable: int = 0
    fits: tuple[dict[str, Any], ...] = field(default=())
    unit: str = "fits"
    excluded: int = 0
    n_fits: int | None = None
    families: tuple[dict[str, Any], ...] = field(default=())

    def text(self) -> str:
        """``3 of 6 other fits support it, 1 points the other way (Holm-adjusted, 5%)``."""
        adj = "Holm-adjusted" if self.adjustment == "holm" else "unadjusted"
        what = "families of other fits" if self.unit == "families" else "other fits"
        out = f"{self.support} of {self.n} {what} support it"
        out += f", {self.contrary} significantly the other way" if self.contrary else ""
        if self.untestable:
            out += f", {self.untestable} could not be estimated"
        extra = []
        if self.unit == "families" and self.n_fits is not None:
            extra.append(f"{self.n_fits} fits; a family counts once, by the majority of its fits")
        if self.excluded:
            fits = "fit" if self.excluded == 1 else "fits"
            extra.append(f"{self.excluded} {fits} excluded as biased by the simulation")
        extra.append(f"{adj}, {fmt_number(self.alpha, '.0%')} level")
        return out + f" ({'; '.join(extra)})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields (NaN as ``None``)."""
        return _plain(asdict(self))


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict, the rule that gave it, and the numbers behind it.

    Attributes:
        status: one of :data:`STATUSES`.
        sentence: one plain sentence a non-specialist understands, built from the numbers.
        rule: the rule's name and parameters in words.
        primary: the primary result (``None`` for methods and untestable claims).
        robustness: the robustness share (``None`` if the claim has no robustness set).
        mde: minimum detectable effect of the primary test (two-sided at the rule's alpha,
            the rule's power), in the estimate's units; ``None`` if not computed.
        sesoi: the declared smallest effect size of interest, or ``None``.
        tost_p: p-value of the equivalence test (TOST) against ``+/- sesoi``, or ``None``.
        equivalence_bounds: the (1 - 2 alpha) confidence interval the TOST compares with
            ``+/- sesoi``, or ``None``.
        designs: one dict per declared design, the primary first: label, estimate, se, p,
            valid, note, primary (bool), outcome (``"support"``, ``"not significant"``,
            ``"opposite"``, ``"too small"``, ``"not estimable"`` or ``"ignored (not valid)"``).
    """

    status: str
    sentence: str
    rule: str
    primary: Evidence | None = None
    robustness: Robustness | None = None
    mde: float | None = None
    sesoi: float | None = None
    tost_p: float | None = None
    equivalence_bounds: tuple[float, float] | None = None
    designs: tuple[dict[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        """Check the status."""
        check_choice("status", self.status, STATUSES)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: status, sentence, rule, primary (dict or None), robustness (dict or None),
        mde, sesoi, tost_p, equivalence_bounds (list or None) and designs (list of dicts).
        """
        return {
            "status": self.status,
            "sentence": self.sentence,
            "rule": self.rule,
            "primary": self.primary.to_dict() if self.primary is not None else None,
            "robustness": self.robustness.to_dict() if self.robustness is not None else None,
            "mde": _plain(self.mde),
            "sesoi": _plain(self.sesoi),
            "tost_p": _plain(self.tost_p),
            "equivalence_bounds": _plain(self.equivalence_bounds),
            "designs": _plain(list(self.designs)),
        }
