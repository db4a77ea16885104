"""Hill & Stein's links as fixed-effects designs: what each HS- claim regresses on what, the
fits, their table, the numbers the chapter quotes and the evidence the verdict rules read.

:data:`DESIGNS` declares the five designs of the chapter (``book/claims.yml`` declares the same
outcome, term and fixed effects for each HS- claim; the crowding design is a reading of
HS-quality, not a claim); :func:`fit_designs` fits them (:func:`fe_fit`, pyfixest with CRV1
standard errors); :func:`estimates_table` and :func:`design_table` show them;
:func:`claim_evidence` hands each claim's primary estimate to :mod:`hflineage.verdicts`.
:func:`residualise` and :func:`within_binscatter` show the variation a design uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..lineage.headlines import number_table
from ..verdicts import Evidence, Verdict, sign_rule
from .hillstein import check_frame
from .patterns import binscatter


@dataclass(frozen=True)
class FitDesign:
    """One fixed-effects design: the rows it uses (``frame``: ``"potential"``, the bases of
    :func:`~hflineage.race.hillstein.potential_frame`, or ``"entrants"``, the teams' first
    entries), the outcome, the regressors (the first is the term read), the fixed effects, the
    cluster and the estimator (``"ols"`` or ``"ppml"``).
    """

    frame: str
    outcome: str
    regressors: tuple[str, ...]
    fixed_effects: tuple[str, ...]
    cluster: str
    estimator: str = "ols"

    @property
    def term(self) -> str:
        """The regressor whose coefficient the design reads."""
        return self.regressors[0]


_POTENTIAL = ("log_prior_likes", "log_prior_models")
_CONTEST = ("log_rivals_early", *_POTENTIAL)
_ACCOUNT_FE = ("author", "release_month", "kind", "size_class")

#: The chapter's designs, in the order of the claims: potential before entry (the base
#: account's earlier likes and models; bases of one size class released in one month), the
#: race's early contest within an account, and maturation within a base and an account.
DESIGNS: dict[str, FitDesign] = {
    "HS-potential": FitDesign(
        "potential", "teams_h", _POTENTIAL, ("size_class", "release_month"), "author", "ppml"
    ),
    "HS-speed": FitDesign(
        "potential", "rmst_k", _POTENTIAL, ("size_class", "release_month"), "author"
    ),
    "HS-maturation": FitDesign("entrants", "log_lag", _CONTEST, _ACCOUNT_FE, "base_id"),
    "HS-quality": FitDesign(
        "entrants",
        "quality_index",
        ("log_lag",),
        ("base_id", "author", "created_month", "kind"),
        "base_id",
    ),
    "crowding (reading)": FitDesign("entrants", "quality_index", _CONTEST, _ACCOUNT_FE, "base_id"),
}

#: Each claim's subject and quantity in words (for the verdict's sentence) and where the
#: chapter shows it.
CLAIMS: dict[str, tuple[str, str, str]] = {
    "HS-potential": (
        "bases with more potential draw more competing teams",
        "the PPML coefficient of the base account's earlier likes",
        "fig-hs-binscatter",
    ),
    "HS-speed": (
        "bases with more potential draw their teams faster",
        "the coefficient of the base account's earlier likes on the days to the k-th team",
        "fig-hs-binscatter",
    ),
    "HS-maturation": (
        "in more contested races entrants release sooner",
        "the elasticity of maturation to the early contest",
        "fig-hs-binscatter",
    ),
    "HS-quality": (
        "entrants that mature less carry less quality",
        "the coefficient of log maturation on the quality index",
        "fig-hs-binscatter",
    ),
    "HS-credit": (
        "conditional on quality, earlier entrants get more recognition",
        "the coefficient of log entry rank with quality controls",
        "hs-credit",
    ),
}


def fe_fit(
    frame: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    fixed_effects: Sequence[str],
    *,
    cluster: str,
    estimator: str = "ols",
    min_clusters: int = 10,
) -> dict[str, float]:
    """One fixed-effects fit (pyfixest ``feols`` or ``fepois``, CRV1 by ``cluster``): the first
    regressor's ``estimate``, ``se``, ``p``, ``n`` and ``clusters``.  A fit the data cannot
    support (too few rows, fewer than ``min_clusters`` clusters — a clustered standard error
    from a handful of clusters is not to be trusted — no variation left, non-convergence)
    gives NaN, so that the verdict rule says "not testable".
    """
    import pyfixest as pf

    if estimator not in ("ols", "ppml"):
        raise ParameterError(f"fe_fit: estimator={estimator!r}; expected 'ols' or 'ppml'")
    cols = [outcome, *regressors, *fixed_effects, cluster]
    check_frame(frame, list(dict.fromkeys(cols)), "fe_fit")
    data = frame[list(dict.fromkeys(cols))].dropna()
    nan = {"estimate": np.nan, "se": np.nan, "p": np.nan, "n": len(data), "clusters": 0}
    if len(data) < 10 or data[cluster].nunique() < min_clusters:
        return nan
    formula = f"{outcome} ~ {' + '.join(regressors)}"
    if fixed_effects:
        formula += " | " + " + ".join(fixed_effects)
    try:
        fit_fn = pf.feols if estimator == "ols" else pf.fepois
        model = fit_fn(formula, data=data, vcov={"CRV1": cluster})
        tidy = model.tidy()
        row = tidy.loc[regressors[0]]
        n = int(model._N)
    except Exception:  # noqa: BLE001 — any failure of the fit means: not estimable here
        return nan
    out = {
        "estimate": float(row["Estimate"]),
        "se": float(row["Std. Error"]),
        "p": float(row["Pr(>|t|)"]),
        "n": n,
        "clusters": int(getattr(model, "_G", [data[cluster].nunique()])[0]),
    }
    if not np.isfinite(out["se"]) or out["se"] <= 0:
        return {**nan, "n": n}
    return out


def _fe_codes(frame: pd.DataFrame, fixed_effects: Sequence[str]) -> np.ndarray:
    return np.column_stack(
        [pd.factorize(frame[f].astype("object").fillna("(none)"))[0] for f in fixed_effects]
    ).astype(np.uint64)


def residualise(
    values: np.ndarray, frame: pd.DataFrame, fixed_effects: Sequence[str]
) -> np.ndarray:
    """``values`` (rows × columns) minus their projection on the ``fixed_effects`` of
    ``frame`` (pyfixest's alternating projections; unchanged when there are none).
    """
    from pyfixest.estimation import demean

    values = np.asarray(values, float)
    if not fixed_effects:
        return values - values.mean(axis=0)
    out, _ = demean(values, _fe_codes(frame, fixed_effects), np.ones(len(frame)), tol=1e-8)
    return out


def within_binscatter(
    frame: pd.DataFrame,
    x: str,
    y: str,
    fixed_effects: Sequence[str],
    *,
    bins: int = 20,
) -> pd.DataFrame:
    """Binned scatter of ``y`` against ``x`` after both are residualised on ``fixed_effects``
    (overall means added back, so the axes keep their units): the variation a fixed-effects
    design uses.  Columns of :func:`hflineage.race.patterns.binscatter` and the line's ``slope``
    (least squares on the residualised rows, equal to the fixed-effects estimate of a
    one-regressor design).
    """
    data = frame[[x, y, *fixed_effects]].dropna()
    if len(data) < 2:
        raise ParameterError(f"within_binscatter: fewer than 2 complete rows of {x!r} and {y!r}")
    raw = data[[x, y]].to_numpy(float)
    res = residualise(raw, data, fixed_effects)
    slope = float((res[:, 0] @ res[:, 1]) / max(res[:, 0] @ res[:, 0], 1e-300))
    shown = pd.DataFrame({x: res[:, 0] + raw[:, 0].mean(), y: res[:, 1] + raw[:, 1].mean()})
    return binscatter(shown, x, y, bins=bins, absorb=None).assign(slope=slope)


def _frames(potential: pd.DataFrame, entrants: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"potential": potential, "entrants": entrants}


def fit_designs(
    potential: pd.DataFrame,
    entrants: pd.DataFrame,
    designs: Mapping[str, FitDesign] | None = None,
) -> dict[str, dict[str, float]]:
    """Every design (default :data:`DESIGNS`) fitted by :func:`fe_fit` on its rows."""
    frames = _frames(potential, entrants)
    return {
        name: fe_fit(
            frames[d.frame],
            d.outcome,
            list(d.regressors),
            list(d.fixed_effects),
            cluster=d.cluster,
            estimator=d.estimator,
        )
        for name, d in (designs or DESIGNS).items()
    }


def design_table(designs: Mapping[str, FitDesign] | None = None) -> pd.DataFrame:
    """The designs as a reader compares them: rows, outcome, the term read, the other
    regressors, fixed effects, cluster and estimator.
    """
    return pd.DataFrame(
        [
            {
                "design": name,
                "rows": d.frame,
                "outcome": d.outcome,
                "term": d.term,
                "controls": ", ".join(d.regressors[1:]) or "–",
                "fixed effects": " + ".join(d.fixed_effects),
                "cluster": d.cluster,
                "estimator": d.estimator.upper() if d.estimator == "ppml" else "OLS",
            }
            for name, d in (designs or DESIGNS).items()
        ]
    )


def estimates_table(
    fits: Mapping[str, Mapping[str, float]], designs: Mapping[str, FitDesign] | None = None
) -> pd.DataFrame:
    """One row per fit: ``design``, ``outcome``, ``term``, ``fixed effects`` and the fit's
    ``estimate``, ``se``, ``p``, ``n``, ``clusters``.
    """
    designs = designs or DESIGNS
    return pd.DataFrame(
        [
            {
                "design": name,
                "outcome": designs[name].outcome,
                "term": designs[name].term,
                "fixed effects": " + ".join(designs[name].fixed_effects),
                **f,
            }
            for name, f in fits.items()
        ]
    )


def base_likes_reading(potential: pd.DataFrame) -> dict[str, float]:
    """HS-potential's design with the base's *own* likes (at the snapshot) as the term: a
    reading, not the measure (the likes grow with the entry they are supposed to predict).
    """
    check_frame(potential, ("base_likes",), "base_likes_reading")
    d = DESIGNS["HS-potential"]
    return fe_fit(
        potential.assign(log_base_likes=np.log1p(potential["base_likes"])),
        d.outcome,
        ["log_base_likes"],
        list(d.fixed_effects),
        cluster=d.cluster,
        estimator=d.estimator,
    )


#: FitDesign -> the key of its numbers (``hs_b_<key>`` and ``hs_b_<key>_se``).
ESTIMATE_KEYS = {
    "HS-potential": "potential",
    "HS-speed": "speed",
    "HS-maturation": "maturation",
    "HS-quality": "quality",
    "crowding (reading)": "crowding",
}


def estimate_numbers(
    fits: Mapping[str, Mapping[str, float]], base_likes: Mapping[str, float]
) -> pd.DataFrame:
    """The estimates the chapter quotes (a :func:`~hflineage.lineage.headlines.number_table`):
    each design's estimate and standard error (``hs_b_<key>``, ``hs_b_<key>_se``,
    :data:`ESTIMATE_KEYS`) and the reading on the base's own likes (``hs_b_base_likes``,
    :func:`base_likes_reading`).
    """
    rows = []
    for name, key in ESTIMATE_KEYS.items():
        rows.append((f"hs_b_{key}", fits[name]["estimate"], f"{name}: estimate", ".3f"))
        rows.append((f"hs_b_{key}_se", fits[name]["se"], f"{name}: standard error", ".3f"))
    rows.append(
        (
            "hs_b_base_likes",
            base_likes["estimate"],
            "PPML of teams on the base's own likes (reading)",
            ".2f",
        )
    )
    return number_table(rows)


def claim_evidence(
    fits: Mapping[str, Mapping[str, float]], credit: Mapping[str, float]
) -> dict[str, Evidence]:
    """Each HS- claim's primary estimate as the :class:`~hflineage.verdicts.Evidence` its rule
    reads: the four designs of :data:`CLAIMS` from ``fits`` and HS-credit from ``credit`` (the
    race panel's controlled entry-rank coefficient: ``estimate``, ``std_error``, ``p_value``,
    ``n_obs``, ``n_clusters``).
    """
    out = {
        name: Evidence(
            name,
            fits[name]["estimate"],
            se=fits[name]["se"],
            n=fits[name]["n"],
            clusters=fits[name]["clusters"],
            fmt=".3f",
        )
        for name in CLAIMS
        if name in fits
    }
    out["HS-credit"] = Evidence(
        "HS-credit",
        float(credit["estimate"]),
        se=float(credit["std_error"]),
        p=float(credit["p_value"]),
        n=int(credit["n_obs"]),
        clusters=int(credit["n_clusters"]),
        fmt=".3f",
    )
    return out


def verdict_table(verdicts: Mapping[str, Verdict]) -> pd.DataFrame:
    """One row per claim: ``claim``, ``verdict`` (the status) and ``in one sentence``."""
    return pd.DataFrame(
        [
            {"claim": k, "verdict": v.status, "in one sentence": v.sentence}
            for k, v in verdicts.items()
        ]
    )


def claim_verdicts(
    evidence: Mapping[str, Evidence], rules: Mapping[str, Mapping[str, object]]
) -> dict[str, Verdict]:
    """Each claim's verdict: :func:`hflineage.verdicts.sign_rule` on its evidence with the rule
    its declaration gives (``rules``: claim -> the keyword arguments ``book/claims.yml``
    declares, e.g. from :func:`hflineage.chapter.claims.declared_rule`) and its subject and
    quantity in words (:data:`CLAIMS`).
    """
    missing = [cid for cid in evidence if cid not in rules or cid not in CLAIMS]
    if missing:
        raise ParameterError(
            f"claim_verdicts: no declared rule or subject for {missing[0]!r}; expected one of "
            f"{', '.join(CLAIMS)} with its rule"
        )
    return {
        cid: sign_rule(
            ev,
            **rules[cid],
            subject=CLAIMS[cid][0],
            quantity=CLAIMS[cid][1],
            claimant="Hill and Stein's framework",
            says="predicts",
        )
        for cid, ev in evidence.items()
    }


def credit_numbers(credit: Mapping[str, float], check: str) -> pd.DataFrame:
    """The numbers the chapter quotes about HS-credit (a
    :func:`~hflineage.lineage.headlines.number_table`): the entry-rank coefficient with
    controls, its standard error, and ``check``, the estimate against chapter 05's record in
    words (:func:`hflineage.chapter.sentences.against_record`).
    """
    rows = [
        ("hs_credit_check", check, "HS-credit against chapter 05's recorded estimate", None),
        ("hs_b_credit", credit["estimate"], "HS-credit: log entry rank with controls", ".3f"),
        ("hs_b_credit_se", credit["std_error"], "its standard error", ".3f"),
    ]
    return number_table(rows)
