"""From race estimates to the numbers the verdict rules take (:mod:`hflineage.verdicts`).

The chapter estimates the declared primary specification and its robustness fits; these helpers
only package them: the primary row as an :class:`~hflineage.verdicts.Evidence`, the other fits
(robustness rows and the lag-controlled specification curve, without the primary's own
combination) as a Holm-adjusted :class:`~hflineage.verdicts.Robustness`.  The rules and their
parameters live in :mod:`hflineage.verdicts` and ``book/claims.yml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..verdicts import Evidence, Robustness, robustness_share


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


#: The declared selection rule of revision 2 (book/claims.yml, P2-priority): a design ×
#: estimator is *valid* when its mean bias under the calibrated null is below ``tolerance`` real
#: standard errors with a Monte-Carlo error below half of that, its rejection rate at 5% is
#: within ``size_band`` (Monte-Carlo interval overlapping it) and its simulated standard error
#: is calibrated; the primary is the valid one with the highest power at the sesoi.
SELECTION = {"tolerance": 0.5, "size_band": (0.025, 0.10)}


def select_primary(
    flags: pd.DataFrame,
    *,
    tolerance: float = SELECTION["tolerance"],
    size_band: tuple[float, float] = SELECTION["size_band"],
    estimators: tuple[str, ...] | None = None,
) -> dict[str, object]:
    """The revision-2 primary chosen from the calibrated simulation's results table.

    Args:
        flags: one row per design × estimator (:func:`hflineage.race.calibrate.flag_table`):
            ``design``, ``estimator``, ``bias`` and ``mc_error`` (under no rank effect),
            ``real_se``, ``size_low``/``size_high`` (interval of the rejection rate at 5%),
            ``power`` (at the sesoi) and, if present, ``calibrated``.
        tolerance: largest |bias| allowed, in real standard errors.
        size_band: the rejection rates at 5% that count as correct size.
        estimators: the estimators eligible as primary (default: all in the table).

    Returns:
        ``primary`` (``(design, estimator)`` or ``None``), ``valid`` (every valid pair, best
        first) and ``table`` (``flags`` with ``valid`` and the reason a pair is not).
    """
    need = ("design", "estimator", "bias", "mc_error", "real_se", "size_low", "size_high", "power")
    missing = [c for c in need if c not in flags.columns]
    if missing:
        raise ParameterError(
            f"select_primary: no column {missing[0]!r}; expected the simulation's flag table"
        )
    t = flags.copy()
    unit = tolerance * t["real_se"].astype(float)
    reasons = pd.Series("", index=t.index)
    reasons[t["bias"].abs() >= unit] = "biased"
    reasons[(reasons == "") & (t["mc_error"] >= unit / 2)] = "Monte-Carlo error too large"
    off = (t["size_high"] < size_band[0]) | (t["size_low"] > size_band[1])
    reasons[(reasons == "") & off] = "size off"
    if "calibrated" in t.columns:
        reasons[(reasons == "") & ~t["calibrated"].astype(bool)] = "not calibrated"
    if estimators is not None:
        reasons[(reasons == "") & ~t["estimator"].isin(estimators)] = "estimator not eligible"
    t["valid"] = reasons == ""
    t["why_not"] = reasons
    ranked = t[t["valid"]]
    ranked = ranked.iloc[np.lexsort((ranked["bias"].abs().to_numpy(), -ranked["power"].to_numpy()))]
    valid = list(zip(ranked["design"], ranked["estimator"], strict=True))
    return {"primary": valid[0] if valid else None, "valid": valid, "table": t}
