"""Can the primary regression find a size effect that is there, and stay quiet when it is not?

A simulation on the real data's structure: the focal models, their sizes, derivations,
in-degrees and lineage families are kept exactly as observed; only the outcome is drawn anew,

    P(MDI > 0)_i = baseline + effect · (log10 params_i − mean) + u_family(i),
    u_f ~ Normal(0, family_sd), independent across families,

clipped to [0, 1], then 1[MDI > 0]_i ~ Bernoulli.  Every draw is fitted with the primary
specification (the LPM of :data:`hflineage.mdi.regressions.RHS`, errors clustered by family, by
:func:`hflineage.mdi.inference.cluster_ols` on the patsy design statsmodels builds from the same
formula).  ``effect = 0`` is the null: a test at ``alpha`` should reject in about ``alpha`` of the
draws; i.i.d. standard errors, which ignore the shared family shocks, are kept beside to show
how often they would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import HflineageError, ParameterError
from . import inference as I
from .regressions import RHS, categorical_formula

#: Simulated outcomes fitted at once (memory: rows × CHUNK floats, a few times over).
CHUNK = 50


def design(frame: pd.DataFrame, rhs: str = RHS) -> tuple[np.ndarray, tuple[str, ...]]:
    """The design matrix of ``rhs`` on ``frame`` (intercept first) and its column names, built by
    patsy exactly as the statsmodels formula API builds it.
    """
    import patsy

    data, fast_rhs, rename = categorical_formula(frame, rhs)  # same design, read by codes
    X = patsy.dmatrix(fast_rhs, data, return_type="dataframe")
    if len(X) != len(frame):
        raise HflineageError("design: rows with missing values; drop them from the frame first")
    return X.to_numpy(float), tuple(rename.get(c, c) for c in X.columns)


def simulate_effect(
    frame: pd.DataFrame,
    *,
    effect: float = 0.03,
    term: str = "log10_params",
    rhs: str = RHS,
    draws: int = 100,
    baseline: float = 0.5,
    family_sd: float | None = None,
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw ``draws`` outcomes with a planted effect of ``term`` and fit the primary model to
    each.

    Args:
        frame: one variant's rows of :func:`hflineage.mdi.regressions.regression_frame` (the real
            covariates and families).
        effect: the planted change in P(MDI > 0) per unit of ``term`` (0 = the null).
        term: the regressor that carries the effect.
        rhs: the right-hand side fitted (the primary specification).
        draws: number of simulated outcomes.
        baseline: P(MDI > 0) at the mean of ``term`` before family shocks; 0.5 keeps every
            probability far from the bounds (no clipping bends the planted slope) and gives the
            noisiest Bernoulli outcome, the hard case.
        family_sd: SD of the family shocks; ``None`` = the between-family SD of the real outcome
            (:func:`hflineage.mdi.inference.between_family_sd`), so clustering is as strong as in
            the data.
        alpha: two-sided level of the test of ``term``.
        seed: random seed.

    Returns:
        One row per draw: ``truth``, ``estimate``, ``se`` and ``p`` (clustered), ``se_iid`` and
        ``p_iid``, ``reject`` / ``reject_iid`` (p < alpha), ``covered`` (truth inside the 95%
        clustered interval), and ``clipped`` (share of probabilities clipped to [0, 1]).
        ``attrs`` records the parameters.
    """
    if draws < 1:
        raise ParameterError(f"draws must be at least 1; got {draws!r}")
    if not 0 < baseline < 1:
        raise ParameterError(f"baseline must be a probability in (0, 1); got {baseline!r}")
    X, names = design(frame, rhs)
    if term not in names:
        raise HflineageError(f"term {term!r} is not in the design of {rhs!r}")
    groups = frame["family"].to_numpy(object)
    codes, G = pd.factorize(pd.Series(groups))
    if family_sd is None:
        family_sd = I.between_family_sd(frame["disruptive"].to_numpy(float), codes)
    rng = np.random.default_rng(seed)
    x = frame[term].to_numpy(float)
    slope = effect * (x - x.mean())
    k = names.index(term)
    parts = []
    for start in range(0, draws, CHUNK):  # bounded memory: n × CHUNK outcomes at a time
        m = min(CHUNK, draws - start)
        p_true = baseline + slope[:, None] + rng.normal(0.0, family_sd, size=(len(G), m))[codes]
        y = (rng.random(p_true.shape) < np.clip(p_true, 0, 1)).astype(float)
        fit = I.cluster_ols(y, X, codes, names=names)
        parts.append(
            pd.DataFrame(
                {
                    "estimate": fit.coef[k],
                    "se": fit.se[k],
                    "p": fit.p[k],
                    "se_iid": fit.se_iid[k],
                    "p_iid": fit.p_iid[k],
                    "clipped": ((p_true < 0) | (p_true > 1)).mean(axis=0),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    z = stats.norm.ppf(0.975)
    out.insert(0, "draw", np.arange(draws))
    out.insert(1, "truth", float(effect))
    out["reject"] = out["p"] < alpha
    out["reject_iid"] = out["p_iid"] < alpha
    lo, hi = out["estimate"] - z * out["se"], out["estimate"] + z * out["se"]
    out["covered"] = (lo <= effect) & (effect <= hi)
    out.attrs = {
        "baseline": baseline,
        "family_sd": float(family_sd),
        "alpha": alpha,
        "n": len(frame),
        "clusters": len(G),
        "term": term,
    }
    return out


def simulation_summary(sims: pd.DataFrame) -> pd.DataFrame:
    """Per planted effect (``truth``): draws, mean and SD of the estimates, bias, mean clustered
    SE, rejection rates with clustered and i.i.d. errors, coverage of the 95% interval, and the
    mean share of clipped probabilities.
    """
    g = sims.groupby("truth", sort=True)
    out = pd.DataFrame(
        {
            "draws": g.size(),
            "mean_estimate": g["estimate"].mean(),
            "sd_estimate": g["estimate"].std(),
            "mean_se": g["se"].mean(),
            "mean_se_iid": g["se_iid"].mean(),
            "rejection_rate": g["reject"].mean(),
            "rejection_rate_iid": g["reject_iid"].mean(),
            "coverage": g["covered"].mean(),
            "clipped": g["clipped"].mean(),
        }
    )
    out.insert(2, "bias", out["mean_estimate"] - out.index.to_numpy(float))
    return out.reset_index()
