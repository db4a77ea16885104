r"""Regressions of community recognition on priority and congestion (Liu, Kang & Yang 2026).

Every model has the base fixed effect and standard errors clustered by base (CRV1, pyfixest's
default small-sample correction), estimated with pyfixest:

.. math::

   y_{ib} = \beta_1 \log(\text{rank}_{ib}) + \beta_2 \log(1 + \text{congestion}_{ib})
            + \gamma' w_{ib} + \delta \log(1 + \text{age}_{ib})
            + \lambda(\text{lag}_{ib}) + \alpha_b + \tau_{m(i)} + \varepsilon_{ib}

with ``y`` one of the outcomes in :data:`~hflineage.race.specs.OUTCOMES` (OLS on ``log1p``
likes/downloads, a linear probability model on ``any_like``, Poisson pseudo-maximum likelihood on
raw counts), ``w`` the controls, :math:`\tau` creation-month fixed effects and
:math:`\lambda(\text{lag})` a flexible function of the lag since the base's release (a spline or
bin indicators), as the specification of :data:`~hflineage.race.specs.SPECS` says.

Before fitting, singleton fixed-effect groups are dropped (iteratively), and for PPML also groups
whose outcome is zero throughout (they carry no information and would make the estimator drop them
with a warning): the same observations pyfixest would drop, counted in ``n_obs``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_choice
from .specs import (
    BASE_FE,
    CLUSTER,
    CONGESTION,
    CONTROLS,
    CONTROLS_SPEC,
    ESTIMATORS,
    EXPOSURE,
    KIND,
    LABELS,
    LADDER,
    LAG,
    LAG_BINS,
    LAG_SPLINE,
    OUTCOMES,
    PRIMARY_SPEC,
    PRIORITY,
    PROMINENCE,
    QUALITY,
    SPECS,
    Spec,
    spec_table,
)

__all__ = [
    "BASE_FE",
    "CLUSTER",
    "CONGESTION",
    "CONTROLS",
    "CONTROLS_SPEC",
    "ESTIMATORS",
    "EXPOSURE",
    "KIND",
    "LABELS",
    "LADDER",
    "LAG",
    "LAG_BINS",
    "LAG_SPLINE",
    "OUTCOMES",
    "PRIMARY_SPEC",
    "PRIORITY",
    "PROMINENCE",
    "QUALITY",
    "SPECS",
    "Spec",
    "check_fit",
    "coefficient",
    "crv1_factor",
    "estimate",
    "estimate_many",
    "fit",
    "estimation_sample",
    "identified",
    "independent",
    "ols_many",
    "regression_columns",
    "spec_table",
]

_PANDAS_INPLACE = "The inplace keyword"


def estimation_sample(
    panel: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    fixed_effects: Sequence[str],
    estimator: str,
    extra: Sequence[str] = (),
) -> pd.DataFrame:
    """The rows a fixed-effects model can use: complete cases, no singleton fixed-effect groups,
    and (PPML) no fixed-effect group whose outcome is zero throughout — dropped iteratively until
    stable, as pyfixest/ppmlhdfe would.  ``extra`` columns (cluster variables, weights) are
    carried along.
    """
    cols = [outcome, *regressors, *fixed_effects, CLUSTER, *extra]
    data = panel.loc[:, list(dict.fromkeys(cols))].dropna()
    # integer codes once (mapping value counts over string columns cost seconds per fit)
    codes = [pd.factorize(data[fe])[0] for fe in fixed_effects]
    y = data[outcome].to_numpy(float)
    rows = np.arange(len(data))
    while True:
        keep = np.ones(len(rows), dtype=bool)
        for code in codes:
            c = code[rows]
            keep &= np.bincount(c)[c] > 1
            if estimator == "ppml":
                keep &= np.bincount(c, weights=y[rows])[c] > 0
        if keep.all():
            return data.iloc[rows] if len(rows) < len(data) else data
        rows = rows[keep]


def identified(
    data: pd.DataFrame, regressors: Sequence[str], fixed_effects: Sequence[str]
) -> list[str]:
    """The regressors that still vary once the fixed effects are partialled out (a control that is
    constant within every base — e.g. no adapter in a finetune-only panel — is left out, instead
    of pyfixest dropping it with a collinearity warning).
    """
    from pyfixest.estimation import demean

    if len(data) == 0 or not regressors:
        return []  # pyfixest's demeaning aborts the process on an empty sample
    x = data[list(regressors)].to_numpy(float)
    fe = np.column_stack([pd.factorize(data[f])[0] for f in fixed_effects]).astype(np.uint64)
    dm, _ = demean(x, fe, np.ones(len(data)), tol=1e-10)
    keep = independent(dm, (x**2).sum(axis=0))
    return [r for r, k in zip(regressors, keep, strict=True) if k]


#: pyfixest's (and fixest's) collinearity tolerance: a demeaned regressor whose residual sum of
#: squares, after the regressors before it, is below this (in absolute terms) is dropped.
COLLIN_TOL = 1e-10


def independent(dm: np.ndarray, scale: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Which demeaned columns to keep, in order: a column is left out when what remains of it
    after the fixed effects and the columns kept before it is below ``tol`` of its raw sum of
    squares ``scale`` (no variation within the fixed effects) or below :data:`COLLIN_TOL` in
    absolute terms (collinear with earlier regressors, pyfixest's own rule — e.g. a spline
    column that never bends in a small subsample).
    """
    keep = np.zeros(dm.shape[1], dtype=bool)
    for j in range(dm.shape[1]):  # a loop over a handful of regressors, not over models
        col = dm[:, j]
        kept = dm[:, keep]
        if kept.shape[1]:
            col = col - kept @ np.linalg.lstsq(kept, col, rcond=None)[0]
        ss = float((col**2).sum())
        keep[j] = ss > tol * max(float(scale[j]), 1e-300) and ss >= COLLIN_TOL
    return keep


def check_fit(spec: str, outcome: str, estimator: str | None) -> tuple[Spec, str]:
    """The :class:`Spec` of ``spec`` and the estimator of ``outcome`` (its own when ``estimator``
    is None), or a one-line error naming the bad choice (PPML needs a count outcome).
    """
    check_choice("spec", spec, tuple(SPECS))
    check_choice("outcome", outcome, tuple(OUTCOMES))
    estimator = OUTCOMES[outcome][0] if estimator is None else estimator
    check_choice("estimator", estimator, ESTIMATORS)
    if estimator == "ppml" and outcome not in ("likes", "downloads"):
        raise ParameterError(
            f"estimator 'ppml' needs a count outcome; got {outcome!r}, expected likes or downloads"
        )
    return SPECS[spec], estimator


#: Clusterings of the standard errors: by base (the default), or two-way by base and author.
CLUSTERINGS = (CLUSTER, f"{CLUSTER}+author")


def fit(
    panel: pd.DataFrame,
    spec: str = "baseline",
    outcome: str = "log_likes",
    *,
    estimator: str | None = None,
    cluster: str = CLUSTER,
    weights: str | None = None,
) -> Any:
    """The fitted pyfixest model of ``spec`` for ``outcome`` and its data (see :func:`estimate`)."""
    import pyfixest as pf

    s, estimator = check_fit(spec, outcome, estimator)
    check_choice("cluster", cluster, CLUSTERINGS)
    extra = [c for c in cluster.split("+") if c != CLUSTER] + ([weights] if weights else [])
    needed = (outcome, *s.regressors, *s.fixed_effects, *extra)
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise ParameterError(
            f"panel has no column {missing[0]!r} needed by spec {spec!r}; build it with "
            "hflineage.race.panel.build_panel"
        )
    data = estimation_sample(panel, outcome, s.regressors, s.fixed_effects, estimator, extra)
    if data[CLUSTER].nunique() < 2:
        raise ParameterError(
            f"spec {spec!r} on {outcome!r}: fewer than 2 bases left after dropping singletons; "
            "expected a panel with several bases"
        )
    regressors = identified(data, s.regressors, s.fixed_effects)
    if not regressors:
        raise ParameterError(
            f"spec {spec!r} on {outcome!r}: no regressor varies within the fixed effects"
        )
    fml = f"{outcome} ~ {' + '.join(regressors)} | {' + '.join(s.fixed_effects)}"
    fitter = pf.fepois if estimator == "ppml" else pf.feols
    kwargs = {"weights": weights} if weights else {}
    with warnings.catch_warnings():
        # pyfixest 0.60 calls DataFrame.reset_index(inplace=True), deprecated in pandas 3.1: a
        # third-party deprecation notice, not a problem with the estimate.
        warnings.filterwarnings("ignore", message=_PANDAS_INPLACE, category=DeprecationWarning)
        model = fitter(fml, data=data, vcov={"CRV1": cluster}, copy_data=False, **kwargs)
    return model, data


def estimate(
    panel: pd.DataFrame,
    spec: str = "baseline",
    outcome: str = "log_likes",
    *,
    estimator: str | None = None,
    cluster: str = CLUSTER,
    weights: str | None = None,
) -> pd.DataFrame:
    """Estimate one specification of the race regression; return a tidy frame.

    Args:
        panel: the race panel (:func:`hflineage.race.panel.build_panel`).
        spec: an entry of :data:`SPECS`.
        outcome: an entry of :data:`OUTCOMES`, which also fixes the estimator (OLS, LPM or PPML).
        estimator: overrides the outcome's estimator.
        cluster: ``"base_id"`` (default) or ``"base_id+author"`` (two-way clustered).
        weights: a column of observation weights (e.g. one over the base's rows, so that every
            base weighs the same), or ``None``.

    Returns:
        Columns ``term``, ``estimate``, ``std_error``, ``p_value``, ``conf_low``, ``conf_high``
        (95%, t with G − 1 degrees of freedom), ``n_obs``, ``n_clusters`` (bases),
        ``r2_within`` (NaN for PPML), ``spec``, ``outcome``, ``estimator``.
    """
    model, data = fit(panel, spec, outcome, estimator=estimator, cluster=cluster, weights=weights)
    est = SPECS[spec]
    estimator = OUTCOMES[outcome][0] if estimator is None else estimator
    tidy = model.tidy().reset_index()
    r2 = getattr(model, "_r2_within", np.nan) if estimator != "ppml" else np.nan
    return pd.DataFrame(
        {
            "term": tidy["Coefficient"].astype(str),
            "estimate": tidy["Estimate"].to_numpy(float),
            "std_error": tidy["Std. Error"].to_numpy(float),
            "p_value": tidy["Pr(>|t|)"].to_numpy(float),
            "conf_low": tidy["2.5%"].to_numpy(float),
            "conf_high": tidy["97.5%"].to_numpy(float),
            "n_obs": int(model._N),
            "n_clusters": int(data[CLUSTER].nunique()),
            "r2_within": float(r2) if r2 is not None else np.nan,
            "spec": est.name,
            "outcome": outcome,
            "estimator": estimator,
        }
    )


def estimate_many(
    panel: pd.DataFrame,
    specs: Iterable[str] | None = None,
    outcomes: Iterable[str] = ("log_likes",),
    *,
    fast: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """:func:`estimate` for every (spec, outcome) pair; one tidy frame.

    ``fast=True`` sends the OLS and LPM pairs through :func:`ols_many` (one demeaning for all of
    them; same numbers to ~1e-6, see the tests) and only the PPML pairs through pyfixest.
    """
    specs = list(specs if specs is not None else SPECS)
    outcomes = list(outcomes)
    frames = []
    if fast:
        ols = [o for o in outcomes if check_fit(specs[0], o, None)[1] != "ppml"]
        if ols:
            frames.append(ols_many(panel, specs, ols))
        outcomes = [o for o in outcomes if o not in ols]
    pairs = [(s, o) for o in outcomes for s in specs]
    if progress:
        from tqdm.auto import tqdm

        pairs = tqdm(pairs, desc="regressions")
    frames += [estimate(panel, s, o) for s, o in pairs]
    return pd.concat(frames, ignore_index=True)


def regression_columns(
    tidy: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    *,
    headers: Sequence[str] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """What :func:`hflineage.chapter.tables.regression_table` needs to show race fits in the
    journal layout: one fit per (spec, outcome) of ``columns``, and the race's footer rows.

    Returns:
        ``(fits, rows)``: ``fits`` maps each header (default "(1)", "(2)", ...) to the tidy
        rows of that fit, with a ``fixed_effects`` column ("base_id+created_month") for the
        fixed-effect rows; ``rows`` maps a footer label (outcome, estimator, controls, exposure,
        lag, within R²) to one value per fit.
    """
    headers = list(headers) if headers else [f"({i + 1})" for i in range(len(columns))]
    if len(headers) != len(columns):
        raise ParameterError(
            f"regression_columns: {len(headers)} headers for {len(columns)} columns; expected one each"
        )
    fits: dict[str, pd.DataFrame] = {}
    rows: dict[str, list[str]] = {
        "Outcome": [],
        "Estimator": [],
        "Quality, kind and prominence controls": [],
        "Exposure control (log age)": [],
        "Lag since base release": [],
        "Within R²": [],
    }
    for header, (spec, outcome) in zip(headers, columns, strict=True):
        sub = tidy[(tidy["spec"] == spec) & (tidy["outcome"] == outcome)]
        if sub.empty:
            raise ParameterError(f"regression_columns: no estimates for ({spec!r}, {outcome!r})")
        s = SPECS[spec]
        fits[header] = sub.assign(fixed_effects="+".join(s.fixed_effects))
        first = sub.iloc[0]
        rows["Outcome"].append(outcome)
        rows["Estimator"].append(str(first["estimator"]).upper())
        rows["Quality, kind and prominence controls"].append("Yes" if s.controls else "No")
        rows["Exposure control (log age)"].append("Yes" if s.exposure else "No")
        rows["Lag since base release"].append(
            {"bins": "Bins", "spline": "Spline", "log": "Log"}.get(s.lag_control, "No")
        )
        r2 = first["r2_within"]
        rows["Within R²"].append("–" if pd.isna(r2) else f"{r2:.3f}")
    return fits, rows


def coefficient(tidy: pd.DataFrame, spec: str, outcome: str, term: str = PRIORITY) -> pd.Series:
    """One row of a tidy frame (``estimate``, ``std_error``, ``p_value``, ...); NaNs when the
    model does not have the term (e.g. a control left out as unidentified).
    """
    row = tidy[(tidy["spec"] == spec) & (tidy["outcome"] == outcome) & (tidy["term"] == term)]
    if row.empty:
        return pd.Series(
            {"estimate": np.nan, "std_error": np.nan, "p_value": np.nan, "n_obs": np.nan}
        )
    return row.iloc[0]


def crv1_factor(n: int, k: int, levels: dict[str, int], n_clusters: int) -> float:
    """Pyfixest's CRV1 small-sample factor G/(G-1) · (N-1)/(N-df_k) with ``k_fixef="nonnested"``:
    the base fixed effect is nested in the base cluster and does not count, each further fixed
    effect counts its levels minus one: df_k = k + Σ levels − (n_fe − 1) − G_b + 1.
    """
    df_k = k + sum(levels.values()) - (len(levels) - 1) - levels[CLUSTER] + 1
    return (n_clusters / (n_clusters - 1)) * ((n - 1) / (n - df_k))


def ols_many(panel: pd.DataFrame, specs: Sequence[str], outcomes: Sequence[str]) -> pd.DataFrame:
    """:func:`estimate` for many OLS/LPM (spec, outcome) pairs, by one demeaning per set of fixed
    effects instead of one pyfixest fit per pair (the specification curve's fast path).

    Outcomes and regressors are demeaned together (pyfixest's demeaner, tolerance 1e-10); each
    spec is then a small least-squares problem on the demeaned columns, with CRV1 standard errors
    by base and pyfixest's small-sample factor, p-values and 95% intervals from t with G − 1
    degrees of freedom.  Same sample rules, same left-out unidentified regressors, same tidy
    columns as :func:`estimate` (tests check they agree).  All outcomes share one sample (rows
    complete in every outcome).  Besides the outcomes of :data:`OUTCOMES`, any numeric column
    of the panel can be an outcome (OLS), e.g. the simulated outcomes of
    :mod:`hflineage.race.simulate`.
    """
    from pyfixest.estimation import demean
    from scipy import sparse, stats

    outcomes = list(outcomes)
    labels = {}
    for o in outcomes:
        if o in OUTCOMES:
            labels[o] = OUTCOMES[o][0]
            if labels[o] == "ppml":
                raise ParameterError(
                    f"ols_many: outcome {o!r} is estimated by PPML; use estimate()"
                )
        elif o in panel.columns and pd.api.types.is_numeric_dtype(panel[o]):
            labels[o] = "ols"  # e.g. a simulated outcome (hflineage.race.simulate)
        else:
            raise ParameterError(
                f"ols_many: outcome {o!r} is neither one of {', '.join(OUTCOMES)} nor a numeric "
                "column of the panel"
            )
    by_fe: dict[tuple[str, ...], list[Spec]] = {}
    for name in specs:
        check_choice("spec", name, tuple(SPECS))
        s = SPECS[name]
        by_fe.setdefault(s.fixed_effects, []).append(s)
    frames = []
    for fes, group in by_fe.items():
        regs = list(dict.fromkeys(r for s in group for r in s.regressors))
        data = estimation_sample(panel, outcomes[0], regs, fes, "ols", extra=outcomes[1:])
        cols = [*outcomes, *regs]
        raw = data[cols].to_numpy(float)
        fe = np.column_stack([pd.factorize(data[f])[0] for f in fes]).astype(np.uint64)
        dm, _ = demean(raw, fe, np.ones(len(data)), tol=1e-10)
        col = {c: i for i, c in enumerate(cols)}
        g, _ = pd.factorize(data[CLUSTER])
        n_g = int(g.max()) + 1
        n = len(data)
        by_cluster = sparse.csr_matrix((np.ones(n), (g, np.arange(n))), shape=(n_g, n))
        levels = {f: int(data[f].nunique()) for f in fes}
        ss_raw = (raw**2).sum(axis=0)
        y = dm[:, : len(outcomes)]
        tq = stats.t.ppf(0.975, n_g - 1)
        for s in group:
            idx = [col[r] for r in s.regressors]
            ok = independent(dm[:, idx], ss_raw[idx])
            keep = [r for r, k in zip(s.regressors, ok, strict=True) if k]
            k, n_y = len(keep), len(outcomes)
            x = dm[:, [col[r] for r in keep]]
            xtx_inv = np.linalg.inv(x.T @ x)
            beta = xtx_inv @ (x.T @ y)  # k x outcomes
            resid = y - x @ beta
            # cluster scores of every outcome at once: (G, k, outcomes)
            scores = (by_cluster @ (x[:, :, None] * resid[:, None, :]).reshape(n, -1)).reshape(
                n_g, k, n_y
            )
            meat = np.einsum("gkj,glj->jkl", scores, scores)
            vcov = crv1_factor(n, k, levels, n_g) * (xtx_inv @ meat @ xtx_inv)
            se = np.sqrt(np.diagonal(vcov, axis1=1, axis2=2)).T  # k x outcomes
            r2 = 1 - (resid**2).sum(axis=0) / (y**2).sum(axis=0)
            frames.append(
                pd.DataFrame(
                    {
                        "term": np.tile(keep, n_y),
                        "estimate": beta.T.ravel(),
                        "std_error": se.T.ravel(),
                        "p_value": 2 * stats.t.sf(np.abs(beta / se).T.ravel(), n_g - 1),
                        "conf_low": (beta - tq * se).T.ravel(),
                        "conf_high": (beta + tq * se).T.ravel(),
                        "n_obs": n,
                        "n_clusters": n_g,
                        "r2_within": np.repeat(r2, k),
                        "spec": s.name,
                        "outcome": np.repeat(outcomes, k),
                        "estimator": np.repeat([labels[o] for o in outcomes], k),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
