"""Power and equivalence helpers for the verdict rules: pure functions of numbers.

- :func:`tost` — the two one-sided tests (Schuirmann 1987; Lakens 2017) of an estimate against
  a declared smallest effect size of interest ``sesoi``: equivalence is shown at level ``alpha``
  when both one-sided nulls ``theta <= -sesoi`` and ``theta >= +sesoi`` are rejected;
- :func:`equivalence_bounds` — the (1 - 2 alpha) confidence interval; TOST at ``alpha`` rejects
  exactly when this interval lies strictly inside ``(-sesoi, +sesoi)``;
- :func:`minimum_detectable_effect` — the true effect a two-sided test at ``alpha`` detects with
  probability ``power``: ``(z_{1-alpha/2} + z_{power}) * se``;
- :func:`holm_adjust` — Holm's (1979) step-down adjustment of a column of p-values (NaN kept).

All use the normal distribution by default and Student's t with ``df`` degrees of freedom when
``df`` is given.  Bad input (``alpha`` outside (0, 1), a negative ``se`` or ``sesoi``, a p-value
outside [0, 1]) raises :class:`~hflineage.errors.ParameterError`; a NaN estimate or a zero or
NaN standard error (a fit that failed) gives NaN results, not an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .errors import ParameterError

__all__ = [
    "Tost",
    "equivalence_bounds",
    "holm_adjust",
    "minimum_detectable_effect",
    "tost",
]


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(float(x))


def check_alpha(alpha: float, name: str = "alpha") -> None:
    """Raise :class:`ParameterError` unless ``alpha`` is a number in (0, 1)."""
    if isinstance(alpha, bool) or not (_finite(alpha) and 0 < alpha < 1):
        raise ParameterError(f"{name} must be a number in (0, 1); got {alpha!r}")


def check_sesoi(sesoi: float) -> None:
    """Raise :class:`ParameterError` unless ``sesoi`` is a finite number > 0."""
    if isinstance(sesoi, bool) or not (_finite(sesoi) and sesoi > 0):
        raise ParameterError(
            f"sesoi (smallest effect size of interest) must be a number > 0; got {sesoi!r}"
        )


def _check_se(se: float | None) -> None:
    if se is not None and _finite(se) and se < 0:
        raise ParameterError(f"standard error must be >= 0; got {se!r}")


def _check_df(df: float | None) -> None:
    if df is not None and not (_finite(df) and df > 0):
        raise ParameterError(f"df must be a number > 0 (or None for the normal); got {df!r}")


def _dist(df: float | None) -> stats.rv_continuous:
    return stats.norm if df is None else stats.t(df)


def _usable(estimate: float | None, se: float | None) -> bool:
    return _finite(estimate) and _finite(se) and float(se) > 0


@dataclass(frozen=True)
class Tost:
    """The result of :func:`tost`.

    Attributes:
        p_lower: one-sided p-value of ``H0: theta <= -sesoi`` (small when the estimate is well
            above ``-sesoi``): ``1 - F((estimate + sesoi) / se)``.
        p_upper: one-sided p-value of ``H0: theta >= +sesoi``: ``F((estimate - sesoi) / se)``.
        p: the TOST p-value, ``max(p_lower, p_upper)``; equivalence is shown when ``p < alpha``.
        sesoi: the smallest effect size of interest tested against.
        alpha: the level.
        equivalent: ``p < alpha`` (``False`` when ``p`` is NaN).
    """

    p_lower: float
    p_upper: float
    p: float
    sesoi: float
    alpha: float
    equivalent: bool


def tost(
    estimate: float,
    se: float,
    sesoi: float,
    alpha: float = 0.05,
    df: float | None = None,
) -> Tost:
    """Two one-sided tests of ``|theta| >= sesoi`` against equivalence ``|theta| < sesoi``.

    Args:
        estimate: the estimate of ``theta``.
        se: its standard error (> 0; 0 or NaN gives NaN p-values).
        sesoi: the smallest effect size of interest (> 0), in the estimate's units.
        alpha: level of each one-sided test (the TOST is a level-``alpha`` test).
        df: degrees of freedom of a t reference distribution; ``None``: the normal.

    Returns:
        A :class:`Tost` with both one-sided p-values and their maximum.

    Raises:
        ParameterError: ``sesoi`` not > 0, ``alpha`` outside (0, 1), ``se`` < 0 or ``df`` <= 0.
    """
    check_sesoi(sesoi)
    check_alpha(alpha)
    _check_se(se)
    _check_df(df)
    if not _usable(estimate, se):
        nan = float("nan")
        return Tost(nan, nan, nan, float(sesoi), float(alpha), False)
    d = _dist(df)
    p_lower = float(d.sf((estimate + sesoi) / se))
    p_upper = float(d.cdf((estimate - sesoi) / se))
    p = max(p_lower, p_upper)
    return Tost(p_lower, p_upper, p, float(sesoi), float(alpha), bool(p < alpha))


def equivalence_bounds(
    estimate: float, se: float, alpha: float = 0.05, df: float | None = None
) -> tuple[float, float]:
    """The (1 - 2 alpha) confidence interval: ``estimate -/+ q_{1-alpha} * se``.

    TOST at ``alpha`` shows equivalence exactly when this interval lies strictly inside
    ``(-sesoi, +sesoi)``.

    Args:
        estimate: the estimate.
        se: its standard error.
        alpha: the TOST level (the interval's coverage is ``1 - 2 * alpha``).
        df: degrees of freedom of a t reference distribution; ``None``: the normal.

    Returns:
        ``(low, high)``; ``(nan, nan)`` when the estimate or se is not usable.
    """
    check_alpha(alpha)
    _check_se(se)
    _check_df(df)
    if not _usable(estimate, se):
        return (float("nan"), float("nan"))
    half = float(_dist(df).ppf(1 - alpha)) * se
    return (float(estimate - half), float(estimate + half))


def minimum_detectable_effect(
    se: float, alpha: float = 0.05, power: float = 0.8, df: float | None = None
) -> float:
    """The smallest true effect a two-sided test at ``alpha`` detects with probability ``power``.

    ``(q_{1 - alpha/2} + q_{power}) * se`` with ``q`` the normal quantile (Student's t with
    ``df`` degrees of freedom when given; the usual approximation of the noncentral t).  With
    the defaults, ``(1.95996 + 0.84162) * se = 2.8016 * se``.

    Args:
        se: standard error of the estimate.
        alpha: two-sided level of the test.
        power: probability of detection, in (0, 1).
        df: degrees of freedom of a t reference distribution; ``None``: the normal.

    Returns:
        The minimum detectable effect (NaN when ``se`` is NaN or 0).
    """
    check_alpha(alpha)
    check_alpha(power, "power")
    _check_se(se)
    _check_df(df)
    if not (_finite(se) and se > 0):
        return float("nan")
    d = _dist(df)
    return float((d.ppf(1 - alpha / 2) + d.ppf(power)) * se)


def holm_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values of one family of tests; NaN entries stay NaN.

    The finite p-values form the family (``m`` of them).  Sorted ascending,
    ``p_(i)`` becomes ``min(1, max_{j <= i} (m - j + 1) * p_(j))``; the result is returned in
    input order.  Equal to ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``
    on the finite entries.

    Args:
        p_values: p-values in [0, 1] (NaN for a test that could not be done).

    Returns:
        The adjusted p-values, same length and order, as a float array.

    Raises:
        ParameterError: a finite value outside [0, 1].
    """
    p = np.asarray(p_values, dtype=float).ravel()
    out = np.full(p.size, np.nan)
    ok = np.isfinite(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ParameterError("p-values must be in [0, 1]; got one outside in p_values")
    m = int(ok.sum())
    if m == 0:
        return out
    finite = p[ok]
    order = np.argsort(finite, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * finite[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    out[ok] = adjusted
    return out
