"""The declared selection rule of revision 2 and its reasons in words.

:class:`SelectionRule` (:data:`SELECTION`, the numbers ``book/claims.yml`` declares for
P2-priority, -congestion and -controls) is read through :func:`rule_failures` by both the
simulation's flag table (:func:`hflineage.race.calibrate.flag_table`) and
:func:`select_primary`: one rule.  :func:`no_primary_reason` says, when no pair of the
estimand's estimator is valid, each pair's estimate and every part of the rule it fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError


@dataclass(frozen=True)
class SelectionRule:
    """The declared selection rule of revision 2 (``book/claims.yml``, P2-priority's
    ``primary.estimator``): a design × estimator is *valid* when its mean bias under the
    calibrated null is below ``tolerance`` real standard errors, with a Monte-Carlo error below
    ``mc_share`` of that, its rejection rate at ``alpha`` is within ``size_band`` (its Monte-Carlo
    interval overlapping it) and its simulated standard error is within ``calibration`` of the
    real one; the primary is the valid one with the highest power at the sesoi.  The simulation's
    flag table (:func:`hflineage.race.calibrate.flag_table`) and :func:`select_primary` both read
    it through :func:`rule_failures`: one rule, one set of numbers.
    """

    tolerance: float = 0.5
    mc_share: float = 0.5
    size_band: tuple[float, float] = (0.025, 0.10)
    alpha: float = 0.05
    calibration: float = 0.25


#: The variance estimator revision 3 declares for the race findings (``book/claims.yml``: base
#: clusters, leave-one-base-out jackknife): every real and simulated fit the selection and the
#: verdicts read uses it.
VCOV = "CR3"

#: The declared rule's numbers (claims.yml: |bias| < 0.5 real SE, MC error below half of that,
#: size within [2.5%, 10%], simulated SE within ±25% of the real one).
SELECTION = SelectionRule()

#: The failures of :func:`rule_failures`, in the order the declared rule states them.
FAILURES = ("not estimable", "biased", "Monte-Carlo error too large", "size off", "not calibrated")

#: Failures that mark a pair's inference as wrong under the null (the flag table's ``flagged``;
#: the robustness count leaves these pairs out); the others mean it cannot be certified.
FLAGGING = ("biased", "size off")


def tolerance(t: pd.DataFrame, rule: SelectionRule = SELECTION) -> pd.Series:
    """The bias each pair may have: ``rule.tolerance`` real standard errors (the simulated one
    where the real one is missing).
    """
    unit = t["real_se"].astype(float)
    if "sim_se" in t:
        unit = unit.fillna(t["sim_se"].astype(float))
    return rule.tolerance * unit


def rule_failures(t: pd.DataFrame, rule: SelectionRule = SELECTION) -> pd.DataFrame:
    """Which parts of the declared rule each design × estimator fails (one boolean column per
    :data:`FAILURES`, same index as ``t``).

    ``t`` holds ``bias``, ``mc_error``, ``size_low``/``size_high`` and ``real_se`` (its
    ``sim_se`` stands in where ``real_se`` is missing) and, if present, ``calibrated``.  A pair
    with no finite bias (its fits failed) is "not estimable" and fails nothing else.
    """
    bias = t["bias"].astype(float)
    tol = tolerance(t, rule)
    estimable = np.isfinite(bias)
    lo, hi = rule.size_band
    out = pd.DataFrame(index=t.index)
    out["not estimable"] = ~estimable
    out["biased"] = estimable & (bias.abs() >= tol)
    out["Monte-Carlo error too large"] = estimable & (
        t["mc_error"].astype(float) >= rule.mc_share * tol
    )
    out["size off"] = estimable & (
        (t["size_high"].astype(float) < lo) | (t["size_low"].astype(float) > hi)
    )
    if "calibrated" in t:
        out["not calibrated"] = estimable & ~t["calibrated"].fillna(False).astype(bool)
    else:
        out["not calibrated"] = False
    return out[list(FAILURES)]


def settled(t: pd.DataFrame, failures: pd.DataFrame, rule: SelectionRule = SELECTION) -> pd.Series:
    """Whether more draws could change a pair's standing under the declared rule: settled when
    its Monte-Carlo error is below the rule's limit (``mc_share`` × tolerance), when it fails
    the rule beyond Monte-Carlo doubt (bias beyond the tolerance by more than 2 Monte-Carlo
    errors, or a size interval wholly outside the band) or when it cannot be estimated.

    Args:
        t: the flag table's columns (``bias``, ``mc_error``, ``real_se``, ``sim_se``).
        failures: :func:`rule_failures` of ``t``.
        rule: the declared rule.
    """
    bias, mc = t["bias"].astype(float), t["mc_error"].astype(float)
    clear_bias = bias.abs() - 2 * mc >= tolerance(t, rule)
    return (
        failures["not estimable"]
        | ~failures["Monte-Carlo error too large"]
        | clear_bias
        | failures["size off"]
    )


def failure_words(failures: pd.DataFrame, errors: pd.Series | None = None) -> list[str]:
    """Every failure of each row of :func:`rule_failures`, joined by "; " ("" when none); a
    "not estimable" row names its fit's error (``errors``, the flag table's ``error``) after a
    colon.
    """
    names = np.array(failures.columns)
    words = ["; ".join(names[row]) for row in failures.to_numpy(bool)]
    if errors is None:
        return words
    return [
        f"{w}: {e}" if w == "not estimable" and isinstance(e, str) and e else w
        for w, e in zip(words, errors, strict=True)
    ]


def select_primary(
    flags: pd.DataFrame,
    *,
    rule: SelectionRule = SELECTION,
    estimators: tuple[str, ...] | None = None,
) -> dict[str, object]:
    """The revision-2 primary chosen from the calibrated simulation's results table.

    Args:
        flags: one row per design × estimator (:func:`hflineage.race.calibrate.flag_table`):
            ``design``, ``estimator``, ``bias`` and ``mc_error`` (under no rank effect),
            ``real_se``, ``size_low``/``size_high`` (interval of the rejection rate at 5%),
            ``power`` (at the sesoi) and, if present, ``calibrated``.
        rule: the declared rule (:data:`SELECTION`).
        estimators: the estimators eligible as primary (default: all in the table).

    Returns:
        ``primary`` (``(design, estimator)`` or ``None``), ``valid`` (every valid pair, best
        first) and ``table`` (``flags`` with ``valid`` and ``why_not``: every part of the rule
        a pair fails, "; "-joined, or "estimator not eligible" for a pair that passes it all
        but is not read by ``estimators``).
    """
    need = ("design", "estimator", "bias", "mc_error", "real_se", "size_low", "size_high", "power")
    missing = [c for c in need if c not in flags.columns]
    if missing:
        raise ParameterError(
            f"select_primary: no column {missing[0]!r}; expected the simulation's flag table"
        )
    t = flags.copy()
    words = failure_words(rule_failures(t, rule), t.get("error"))
    reasons = pd.Series(words, index=t.index, dtype=object)
    if estimators is not None:
        reasons[(reasons == "") & ~t["estimator"].isin(estimators)] = "estimator not eligible"
    t["valid"] = reasons == ""
    t["why_not"] = reasons
    ranked = t[t["valid"]]
    ranked = ranked.iloc[np.lexsort((ranked["bias"].abs().to_numpy(), -ranked["power"].to_numpy()))]
    valid = list(zip(ranked["design"], ranked["estimator"], strict=True))
    return {"primary": valid[0] if valid else None, "valid": valid, "table": t}


def select_by_term(
    flags: pd.DataFrame,
    *,
    rule: SelectionRule = SELECTION,
    estimators: tuple[str, ...] | None = None,
    terms: tuple[str, ...] = ("rank", "congestion"),
) -> dict[str, dict[str, object]]:
    """:func:`select_primary` for each of ``terms`` on its rows of the flag table (``term``; a
    table without ``term`` reads the rank): each finding is judged on the simulation of its
    own coefficient.  A term with no rows (a simulation that could not run) gets a selection
    with no primary whose table carries the flag table's ``attrs`` (its ``error``).
    """
    if "term" not in flags:
        flags = flags.assign(term="rank")
    out = {}
    for term in terms:
        t = flags[flags["term"] == term].reset_index(drop=True)
        sel = select_primary(t, rule=rule, estimators=estimators)
        sel["table"].attrs = dict(flags.attrs)
        out[term] = sel
    return out


#: The estimators whose units match the declared sesoi of P2-priority, -congestion and -controls
#: (PPML: the proportional effect on expected likes, the declared estimand); the primary is
#: chosen among their pairs, the other estimators read the secondary estimands.
SESOI_ESTIMATORS = ("ppml",)


def valid_pairs(selection: dict[str, object]) -> list[tuple[str, str]]:
    """Every pair the simulation passes, the primary first: the eligible valid ones, then those
    whose only failing is an estimator not eligible as primary (they read the secondary
    estimands).
    """
    t = selection["table"]
    other = t[t["why_not"] == "estimator not eligible"]
    return list(selection["valid"]) + list(zip(other["design"], other["estimator"], strict=True))


#: Estimator → the estimand it reads, in a few words (for sentences).
ESTIMATOR_WORDS = {
    "ppml": "FE-Poisson (PPML)",
    "ols": "OLS of log(1 + likes)",
    "lpm": "the linear probability model",
    "ols_liked": "OLS of log likes among liked derivatives",
}


#: A failure of :func:`rule_failures` → its wording, with the numbers.
FAILURE_WORDS = {
    "biased": "bias beyond tolerance (mean {bias:+.3f} under no rank effect, tolerance {tol:.3f})",
    "Monte-Carlo error too large": "Monte-Carlo error too large ({mc_error:.3f}, limit {mc_tol:.3f})",
    "size off": (
        "size interval outside the band (rejects a true null in {size:.0%} of draws, interval "
        "[{size_low:.1%}, {size_high:.1%}] against [{band_lo:.1%}, {band_hi:.1%}])"
    ),
    "not calibrated": (
        "SE not calibrated (simulated {ratio:.2f} times the real one, band ±{calibration:.0%})"
    ),
}


def pair_failures(row: pd.Series, rule: SelectionRule = SELECTION) -> str:
    """Every part of the declared rule one pair fails (its ``why_not``), each with its numbers,
    comma-separated: "bias beyond tolerance (mean +0.080 ..., tolerance 0.057), SE not
    calibrated (...)"; a reason without numbers (e.g. "not estimable: ...") is kept as it is.
    """
    tol = rule.tolerance * float(row["real_se"])
    numbers = {
        "bias": row["bias"],
        "tol": tol,
        "mc_error": row["mc_error"],
        "mc_tol": rule.mc_share * tol,
        "size": row.get("size", np.nan),
        "size_low": row.get("size_low", np.nan),
        "size_high": row.get("size_high", np.nan),
        "band_lo": rule.size_band[0],
        "band_hi": rule.size_band[1],
        "ratio": row.get("ratio", np.nan),
        "calibration": rule.calibration,
    }
    reasons = [r for r in str(row.get("why_not", "")).split("; ") if r]
    return ", ".join(
        FAILURE_WORDS[r].format(**numbers) if r in FAILURE_WORDS else r for r in reasons
    )


def estimates_reading(
    rows: pd.DataFrame, *, sesoi: float | None = None, alpha: float = 0.05
) -> str:
    """How a set of estimates reads, from their numbers: sign ("negative", "positive", "of
    mixed sign"), size against the sesoi ("large" when every one is at least the sesoi,
    "small" when none is) and how many are significant at ``alpha``:
    "large and negative (each at least the sesoi of 0.152; 3 of 3 significant at 5%)".

    Args:
        rows: ``estimate`` and ``p`` per fit.
        sesoi: the declared smallest effect size of interest (optional).
        alpha: the significance level.
    """
    est = rows["estimate"].to_numpy(float)
    p = rows["p"].to_numpy(float)
    sign = "negative" if (est < 0).all() else "positive" if (est > 0).all() else "of mixed sign"
    size, notes = "", []
    if sesoi is not None and sesoi > 0:
        big = np.abs(est) >= sesoi
        if big.all():
            size, note = "large", f"each at least the sesoi of {sesoi:g}"
        elif not big.any():
            size, note = "small", f"each below the sesoi of {sesoi:g}"
        else:
            note = f"{int(big.sum())} of {len(est)} at least the sesoi of {sesoi:g}"
        notes.append(note)
    notes.append(f"{int((p < alpha).sum())} of {len(est)} significant at {alpha:.0%}")
    head = f"{size} and {sign}" if size else sign
    return f"{head} ({'; '.join(notes)})"


def no_primary_reason(
    selection: dict[str, object],
    estimators: tuple[str, ...] = SESOI_ESTIMATORS,
    *,
    fits: pd.DataFrame | None = None,
    term: str = "rank",
    quantity: str = "",
    sesoi: float | None = None,
    alpha: float = 0.05,
    rule: SelectionRule = SELECTION,
) -> str:
    """Why no design × estimator of ``estimators`` is valid: the estimates of ``term`` those
    pairs give in ``fits`` (``race.designs.design_table``: ``design``, ``estimator``, ``term``,
    ``estimate``, ``se``, ``p``), read by :func:`estimates_reading`, then, pair by pair, every
    part of the declared rule it fails (:func:`pair_failures`) — e.g. "large negative
    estimates, but the simulation does not certify their inference".
    """
    from .designs import pair_label

    t = selection["table"]
    mine = t[t["estimator"].isin(estimators)]
    named = " or ".join(ESTIMATOR_WORDS.get(e, e) for e in estimators)
    if mine.empty and t.attrs.get("error"):
        return f"The declared selection rule has no candidate: {t.attrs['error']}"
    if mine.empty:
        return (
            f"No design read by {named} — the estimand's estimator, in the units of the "
            "declared sesoi — was simulated, so the declared selection rule has no candidate"
        )
    draws = f" ({int(mine['draws'].min())} draws per pair)" if "draws" in mine else ""
    head = (
        f"No design read by {named} — the estimand's estimator, in the units of the declared "
        f"sesoi — passes the calibrated simulation{draws}"
    )
    failures = "; ".join(
        f"{pair_label(r['design'], r['estimator'])}: {pair_failures(r, rule)}"
        for _, r in mine.iterrows()
    )
    est = pd.DataFrame()
    if fits is not None:
        f = fits[(fits["term"] == term) & fits["estimator"].isin(estimators)]
        est = f[np.isfinite(f["estimate"].astype(float))]
        simulated = set(zip(mine["design"], mine["estimator"], strict=True))
        missed = [
            pair_label(d, e)
            for d, e in zip(est["design"], est["estimator"], strict=True)
            if (d, e) not in simulated
        ]
        failures += "".join(f"; {m}: not simulated" for m in missed)
    if est.empty:
        body = f"{head}: {failures}"
    else:
        quoted = ", ".join(
            f"{pair_label(r['design'], r['estimator'])} {r['estimate']:+.3f} (SE {r['se']:.3f})"
            for _, r in est.iterrows()
        )
        of = f" of {quantity}" if quantity else ""
        body = (
            f"{head}. Its estimates{of} are {estimates_reading(est, sesoi=sesoi, alpha=alpha)} — "
            f"{quoted} — but the simulation does not certify their inference: {failures}"
        )
    others = [pair_label(d, e) for d, e in valid_pairs(selection)]
    tail = (
        f"; the pairs that pass ({', '.join(others)}) read other estimands, in other units than "
        "the sesoi"
        if others
        else "; no other pair passes either"
    )
    return body + tail
