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

#: Every verdict a claim can get, strongest first; "method" = implemented, not a finding.
STATUSES = (
    "reproduced",
    "partly reproduced",
    "not reproduced",
    "contradicted",
    "not testable",
    "method",
)


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
    if not (_finite(alpha) and 0 < alpha < 1):
        raise ParameterError(f"alpha must be a number in (0, 1); got {alpha!r}")


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
class Robustness:
    """The other fits of one claim, counted for and against it after a multiple-testing adjustment.

    Attributes:
        n: how many fits (including any that could not be estimated).
        support: significant (after adjustment) in the expected direction.
        contrary: significant (after adjustment) in the opposite direction; counts against.
        share_support: ``support / n``.
        adjustment: ``"holm"`` or ``"none"``.
        alpha: the level the adjusted p-values are compared with.
        untestable: fits with no finite estimate / p (neither support nor contrary).
        fits: one dict per fit: label, estimate, se, p, p_adjusted, outcome
            (``"support"``, ``"contrary"``, ``"neither"`` or ``"untestable"``).
    """

    n: int
    support: int
    contrary: int
    share_support: float
    adjustment: str
    alpha: float = 0.05
    untestable: int = 0
    fits: tuple[dict[str, Any], ...] = field(default=())

    def text(self) -> str:
        """``3 of 6 other fits support it, 1 points the other way (Holm-adjusted, 5%)``."""
        adj = "Holm-adjusted" if self.adjustment == "holm" else "unadjusted"
        out = f"{self.support} of {self.n} other fits support it"
        out += f", {self.contrary} significantly the other way" if self.contrary else ""
        if self.untestable:
            out += f", {self.untestable} could not be estimated"
        return out + f" ({adj}, {fmt_number(self.alpha, '.0%')} level)"

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
    """

    status: str
    sentence: str
    rule: str
    primary: Evidence | None = None
    robustness: Robustness | None = None

    def __post_init__(self) -> None:
        """Check the status."""
        check_choice("status", self.status, STATUSES)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: status, sentence, rule, primary (dict or None), robustness (dict or None)."""
        return {
            "status": self.status,
            "sentence": self.sentence,
            "rule": self.rule,
            "primary": self.primary.to_dict() if self.primary is not None else None,
            "robustness": self.robustness.to_dict() if self.robustness is not None else None,
        }
