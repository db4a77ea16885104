r"""Regressions of community recognition on priority and congestion (Liu, Kang & Yang 2026).

Every model has base-model and creation-month fixed effects and standard errors clustered by
base (CRV1, pyfixest's default small-sample correction), estimated with pyfixest:

.. math::

   y_{ib} = \beta_1 \log(\text{rank}_{ib}) + \beta_2 \log(1 + \text{congestion}_{ib})
            + \gamma' w_{ib} + \alpha_b + \tau_{m(i)} + \varepsilon_{ib}

with ``y`` one of the outcomes in :data:`OUTCOMES` (OLS on ``log1p`` likes/downloads, a linear
probability model on ``any_like``, Poisson pseudo-maximum likelihood on raw counts) and ``w`` the
controls of the specification in :data:`SPECS`.  The *exposure control* is ``log_age`` (log of
1 + days on the Hub at the snapshot): cumulative likes grow with age, and a late entrant is
younger, so without it "later gets fewer likes" is partly "younger has had less time".

Before fitting, singleton fixed-effect groups are dropped (iteratively), and for PPML also groups
whose outcome is zero throughout (they carry no information and would make the estimator drop them
with a warning): the same observations pyfixest would drop, counted in ``n_obs``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_choice
from .panel import permuted_ranks

PRIORITY = "log_entry_rank"


CONGESTION = "log_congestion"


EXPOSURE = "log_age"


QUALITY = ("has_datasets", "has_license", "has_eval", "has_paper", "has_library")


KIND = ("is_adapter", "is_quantized", "is_merge")


PROMINENCE = ("log_author_prior", "same_author_as_base")


CONTROLS = (*QUALITY, *KIND, *PROMINENCE)


BASE_FE = ("base_id", "created_month")


CLUSTER = "base_id"


_PANDAS_INPLACE = "The inplace keyword"


#: Outcome → (estimator, description).
OUTCOMES: dict[str, tuple[str, str]] = {
    "log_likes": ("ols", "log(1 + likes at the snapshot), OLS"),
    "likes": ("ppml", "likes at the snapshot, Poisson pseudo-maximum likelihood"),
    "any_like": ("lpm", "1 if the model has at least one like, linear probability model"),
    "log_downloads": ("ols", "log(1 + downloads in the last ~30 days), OLS"),
    "downloads": ("ppml", "downloads in the last ~30 days, Poisson pseudo-maximum likelihood"),
}


ESTIMATORS = ("ols", "lpm", "ppml")


#: Labels for publication tables and figures.
LABELS = {
    PRIORITY: "log entry rank (priority)",
    CONGESTION: "log(1 + congestion)",
    "log_lag": "log(1 + days since base release)",
    "early_entrant_30d": "entered within 30 days of base",
    EXPOSURE: "log(1 + age at snapshot, days)",
    "has_datasets": "declares training datasets",
    "has_license": "declares a licence",
    "has_eval": "reports evaluation results",
    "has_paper": "links an arXiv paper",
    "has_library": "declares a library",
    "is_adapter": "adapter (vs finetune)",
    "is_quantized": "quantized copy (vs finetune)",
    "is_merge": "merge (vs finetune)",
    "log_author_prior": "log(1 + author's earlier models)",
    "same_author_as_base": "same author as the base",
}


@dataclass(frozen=True)
class Spec:
    """A named regression specification: regressors, extra fixed effects, and what it tests."""

    name: str
    description: str
    terms: tuple[str, ...]
    fixed_effects: tuple[str, ...] = BASE_FE
    exposure: bool = False
    controls: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def regressors(self) -> tuple[str, ...]:
        """The terms, plus ``log_age`` when the specification has the exposure control."""
        return self.terms + ((EXPOSURE,) if self.exposure else ())


def _specs() -> dict[str, Spec]:
    core = {
        "priority": ((PRIORITY,), "priority alone: log entry rank among the base's derivatives"),
        "congestion": (
            (CONGESTION,),
            "congestion alone: log(1 + same-base entries in the window before entry)",
        ),
        "both": ((PRIORITY, CONGESTION), "priority and congestion together"),
        "baseline": (
            (PRIORITY, CONGESTION, *CONTROLS),
            "priority and congestion with quality proxies (datasets, licence, evaluation results,"
            " paper, library declared), the kind of entry (adapter, quantized, merge) and the"
            " author's prominence (earlier models, same author as the base): the paper's"
            " 'after accounting for model and ecosystem prominence' (base prominence is absorbed"
            " by the base fixed effect)",
        ),
        "lag": (
            ("log_lag",),
            "maturation: log(1 + days since the base's release); no exposure variant: within a"
            " base, lag + age at the snapshot is constant, so the two cannot be separated",
        ),
        "early": (
            ("early_entrant_30d",),
            "priority as a flag: entered within 30 days of the base's release",
        ),
    }
    out: dict[str, Spec] = {}
    for name, (terms, text) in core.items():
        controls = name == "baseline"
        out[name] = Spec(name, text, terms, BASE_FE, exposure=False, controls=controls)
        if name != "lag":
            out[f"{name}_exposure"] = Spec(
                f"{name}_exposure",
                text + "; plus the exposure control log(1 + age at the snapshot)",
                terms,
                BASE_FE,
                exposure=True,
                controls=controls,
            )
        if name in ("priority", "congestion", "both"):
            out[f"{name}_naive"] = Spec(
                f"{name}_naive",
                text + "; base fixed effect only: no creation-month fixed effect and no age"
                " control, so exposure is not controlled at all (for comparison)",
                terms,
                ("base_id",),
            )
    return out


#: Registry of specifications (name → :class:`Spec`); every one has base and month fixed effects.
SPECS: dict[str, Spec] = _specs()


def spec_table() -> pd.DataFrame:
    """The specification registry as a compact table: the regressors of interest, and whether the
    quality/kind/prominence controls, the exposure control and the creation-month fixed effect
    are in (every specification has the base fixed effect and clusters by base).  The full
    descriptions are in :data:`SPECS`.
    """
    return pd.DataFrame(
        [
            {
                "spec": s.name,
                "regressors of interest": ", ".join(
                    LABELS.get(t, t) for t in s.terms[:2] if t not in CONTROLS
                ),
                "controls": "yes" if s.controls else "",
                "log age": "yes" if s.exposure else "",
                "creation-month FE": "yes" if "created_month" in s.fixed_effects else "",
            }
            for s in SPECS.values()
        ]
    )


def estimation_sample(
    panel: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    fixed_effects: Sequence[str],
    estimator: str,
) -> pd.DataFrame:
    """The rows a fixed-effects model can use: complete cases, no singleton fixed-effect groups,
    and (PPML) no fixed-effect group whose outcome is zero throughout — dropped iteratively until
    stable, as pyfixest/ppmlhdfe would.
    """
    cols = [outcome, *regressors, *fixed_effects, CLUSTER]
    data = panel.loc[:, list(dict.fromkeys(cols))].dropna()
    while True:
        keep = np.ones(len(data), dtype=bool)
        for fe in fixed_effects:
            g = data[fe]
            keep &= g.map(g.value_counts()).to_numpy() > 1
            if estimator == "ppml":
                keep &= data.groupby(fe)[outcome].transform("sum").to_numpy() > 0
        if keep.all():
            return data
        data = data[keep]


def identified(
    data: pd.DataFrame, regressors: Sequence[str], fixed_effects: Sequence[str]
) -> list[str]:
    """The regressors that still vary once the fixed effects are partialled out (a control that is
    constant within every base — e.g. no adapter in a finetune-only panel — is left out, instead
    of pyfixest dropping it with a collinearity warning).
    """
    from pyfixest.estimation import demean

    x = data[list(regressors)].to_numpy(float)
    fe = np.column_stack([pd.factorize(data[f])[0] for f in fixed_effects]).astype(np.uint64)
    dm, _ = demean(x, fe, np.ones(len(data)), tol=1e-10)
    scale = np.maximum((x**2).sum(axis=0), 1e-300)
    keep = (dm**2).sum(axis=0) > 1e-9 * scale
    return [r for r, k in zip(regressors, keep, strict=True) if k]


def _check(spec: str, outcome: str, estimator: str | None) -> tuple[Spec, str]:
    check_choice("spec", spec, tuple(SPECS))
    check_choice("outcome", outcome, tuple(OUTCOMES))
    estimator = OUTCOMES[outcome][0] if estimator is None else estimator
    check_choice("estimator", estimator, ESTIMATORS)
    if estimator == "ppml" and outcome not in ("likes", "downloads"):
        raise ParameterError(
            f"estimator 'ppml' needs a count outcome; got {outcome!r}, expected likes or downloads"
        )
    return SPECS[spec], estimator


def fit(
    panel: pd.DataFrame,
    spec: str = "baseline",
    outcome: str = "log_likes",
    *,
    estimator: str | None = None,
) -> Any:
    """The fitted pyfixest model of ``spec`` for ``outcome`` (see :func:`estimate`)."""
    import pyfixest as pf

    s, estimator = _check(spec, outcome, estimator)
    missing = [c for c in (outcome, *s.regressors, *s.fixed_effects) if c not in panel.columns]
    if missing:
        raise ParameterError(
            f"panel has no column {missing[0]!r} needed by spec {spec!r}; build it with "
            "hflineage.race.panel.build_panel"
        )
    data = estimation_sample(panel, outcome, s.regressors, s.fixed_effects, estimator)
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
    vcov = {"CRV1": CLUSTER}
    fitter = pf.fepois if estimator == "ppml" else pf.feols
    with warnings.catch_warnings():
        # pyfixest 0.60 calls DataFrame.reset_index(inplace=True), deprecated in pandas 3.1: a
        # third-party deprecation notice, not a problem with the estimate.
        warnings.filterwarnings("ignore", message=_PANDAS_INPLACE, category=DeprecationWarning)
        return fitter(fml, data=data, vcov=vcov, copy_data=False), data


def estimate(
    panel: pd.DataFrame,
    spec: str = "baseline",
    outcome: str = "log_likes",
    *,
    estimator: str | None = None,
) -> pd.DataFrame:
    """Estimate one specification of the race regression; return a tidy frame.

    ``spec`` names an entry of :data:`SPECS` (priority alone, congestion alone, both, both with
    quality and prominence controls — ``baseline`` — each also with the exposure control:
    ``<name>_exposure``); ``outcome`` an entry of :data:`OUTCOMES`, which also fixes the estimator
    (OLS, LPM or PPML) unless ``estimator`` overrides it.  Base and creation-month fixed effects;
    standard errors clustered by base.

    Columns: ``term``, ``estimate``, ``std_error``, ``p_value``, ``conf_low``, ``conf_high``
    (95%, t with G − 1 degrees of freedom), ``n_obs``, ``n_clusters``, ``r2_within`` (NaN for
    PPML), ``spec``, ``outcome``, ``estimator``.
    """
    model, data = fit(panel, spec, outcome, estimator=estimator)
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
        ols = [o for o in outcomes if _check(specs[0], o, None)[1] != "ppml"]
        if ols:
            frames.append(ols_many(panel, specs, ols))
        outcomes = [o for o in outcomes if o not in ols]
    pairs = [(s, o) for o in outcomes for s in specs]
    if progress:
        from tqdm.auto import tqdm

        pairs = tqdm(pairs, desc="regressions")
    frames += [estimate(panel, s, o) for s, o in pairs]
    return pd.concat(frames, ignore_index=True)


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def regression_table(
    tidy: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    *,
    terms: Sequence[str] | None = None,
    headers: Sequence[str] | None = None,
    digits: int = 3,
) -> pd.DataFrame:
    """A publication-style table from tidy estimates: one column per (spec, outcome) in
    ``columns``; per term a coefficient row (stars: * p<0.05, ** p<0.01, *** p<0.001) and a
    standard-error row in parentheses; then the fixed-effect and control rows, N, clusters and
    within R².
    """
    headers = list(headers) if headers else [f"({i + 1})" for i in range(len(columns))]
    if terms is None:
        terms = list(dict.fromkeys(tidy["term"]))
    shown = tidy[tidy[["spec", "outcome"]].apply(tuple, axis=1).isin([tuple(c) for c in columns])]
    terms = [t for t in terms if t in set(shown["term"])]  # e.g. a control never identified
    body: dict[str, list[str]] = {}
    footer: dict[str, list[str]] = {
        k: []
        for k in (
            "Outcome",
            "Estimator",
            "Base FE",
            "Creation-month FE",
            "Quality, kind and prominence controls",
            "Exposure control",
            "Observations",
            "Clusters (bases)",
            "Within R²",
        )
    }
    rows: list[str] = []
    for term in terms:
        rows += [LABELS.get(term, term), f"{term} (se)"]
    cells = {r: [] for r in rows}
    for spec, outcome in columns:
        sub = tidy[(tidy["spec"] == spec) & (tidy["outcome"] == outcome)]
        if sub.empty:
            raise ParameterError(f"regression_table: no estimates for ({spec!r}, {outcome!r})")
        by = sub.set_index("term")
        for term in terms:
            if term in by.index:
                r = by.loc[term]
                cells[LABELS.get(term, term)].append(
                    f"{r['estimate']:.{digits}f}{_stars(r['p_value'])}"
                )
                cells[f"{term} (se)"].append(f"({r['std_error']:.{digits}f})")
            else:
                cells[LABELS.get(term, term)].append("")
                cells[f"{term} (se)"].append("")
        s = SPECS[spec]
        first = sub.iloc[0]
        footer["Outcome"].append(outcome)
        footer["Estimator"].append(str(first["estimator"]).upper())
        footer["Base FE"].append("Yes")
        footer["Creation-month FE"].append("")
        footer["Creation-month FE"][-1] = "Yes" if "created_month" in s.fixed_effects else "No"
        footer["Quality, kind and prominence controls"].append("Yes" if s.controls else "No")
        footer["Exposure control"].append("Yes" if s.exposure else "No")
        footer["Observations"].append(f"{int(first['n_obs']):,}")
        footer["Clusters (bases)"].append(f"{int(first['n_clusters']):,}")
        r2 = first["r2_within"]
        footer["Within R²"].append("–" if pd.isna(r2) else f"{r2:.3f}")
    body = {r: cells[r] for r in rows}
    body.update(footer)
    labels = [("" if r.endswith(" (se)") else r) for r in body]
    out = pd.DataFrame(list(body.values()), columns=headers)
    out.insert(0, "", labels)
    return out


def placebo(
    panel: pd.DataFrame,
    *,
    draws: int = 200,
    seed: int = 0,
    spec: str = "priority_exposure",
    outcome: str = "log_likes",
    ranks: np.ndarray | None = None,
) -> pd.DataFrame:
    """Placebo: the priority coefficient when entry order is shuffled within each base.

    Each draw reassigns a base's observed ranks to its entrants at random
    (:func:`hflineage.race.panel.permuted_ranks`) and re-estimates ``spec`` (OLS/LPM only) by
    Frisch–Waugh–Lovell: the outcome and all regressors are demeaned once for the fixed effects
    (pyfixest's alternating-projections demeaner), the permuted log ranks of all draws at once,
    and the priority coefficient and its CRV1 standard error (pyfixest's small-sample factor) are
    computed for every draw in matrix form.  Returns ``draw``, ``estimate``, ``std_error``.
    """
    from pyfixest.estimation import demean

    s, estimator = _check(spec, outcome, None)
    if estimator == "ppml":
        raise ParameterError("placebo: PPML is not supported; expected an OLS or LPM outcome")
    if PRIORITY not in s.terms:
        raise ParameterError(f"placebo: spec {spec!r} has no priority term {PRIORITY!r}")
    data = estimation_sample(panel, outcome, s.regressors, s.fixed_effects, estimator)
    rows = panel.index.get_indexer(data.index)
    if ranks is None:
        ranks = permuted_ranks(panel, draws=draws, seed=seed)
    x = np.log(ranks[rows].astype(float))
    controls = [c for c in s.regressors if c != PRIORITY]
    fe = np.column_stack([pd.factorize(data[f])[0] for f in s.fixed_effects]).astype(np.uint64)
    mat = np.column_stack(
        [data[outcome].to_numpy(float), data[controls].to_numpy(float).reshape(len(data), -1), x]
    )
    dm, ok = demean(mat, fe, np.ones(len(data)), tol=1e-10)
    y, w, xd = dm[:, 0], dm[:, 1 : 1 + len(controls)], dm[:, 1 + len(controls) :]
    if w.shape[1]:
        proj = np.linalg.lstsq(w, np.column_stack([y, xd]), rcond=None)[0]
        resid = np.column_stack([y, xd]) - w @ proj
        y, xd = resid[:, 0], resid[:, 1:]
    sxx = (xd**2).sum(axis=0)
    beta = xd.T @ y / sxx
    e = y[:, None] - xd * beta
    g, _ = pd.factorize(data[CLUSTER])
    n_g = g.max() + 1
    scores = np.zeros((n_g, xd.shape[1]))
    np.add.at(scores, g, xd * e)
    n = len(data)
    k = len(s.regressors)
    levels = {f: data[f].nunique() for f in s.fixed_effects}
    # pyfixest CRV1 with k_fixef="nonnested": the base FE is nested in the base cluster.
    df_k = k + sum(levels.values()) - (len(levels) - 1) - levels[CLUSTER] + 1
    ssc = (n_g / (n_g - 1)) * ((n - 1) / (n - df_k))
    se = np.sqrt(ssc * (scores**2).sum(axis=0)) / sxx
    return pd.DataFrame({"draw": np.arange(xd.shape[1]), "estimate": beta, "std_error": se})


def sign_verdict(rows: pd.DataFrame, alpha: float = 0.05) -> str:
    """Verdict on "X is associated with *weaker* recognition" from tidy rows of one term across
    several (spec, outcome) models: ``reproduced`` when every estimate is negative with
    p < ``alpha``, ``partly reproduced`` when at least one is, ``not reproduced`` otherwise (also
    when there are no rows).
    """
    hit = (rows["estimate"] < 0) & (rows["p_value"] < alpha)
    if len(rows) and hit.all():
        return "reproduced"
    if hit.any():
        return "partly reproduced"
    return "not reproduced"


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


def _cell(row: pd.Series, digits: int = 3) -> str:
    if pd.isna(row["estimate"]):
        return "–"
    return f"{row['estimate']:.{digits}f}{_stars(row['p_value'])} ({row['std_error']:.{digits}f})"


def comparison_table(
    rows: Sequence[tuple[str, pd.DataFrame, str]],
    outcomes: Sequence[str],
    terms: Sequence[str] = (PRIORITY, CONGESTION),
) -> pd.DataFrame:
    """A compact table of the same coefficients under different samples or specifications:
    ``rows`` are (label, tidy frame, spec); one line per (label, outcome), one column per term
    ("estimate*** (s.e.)"), and N.
    """
    out = []
    for label, tidy, spec in rows:
        for outcome in outcomes:
            line = {"specification": label, "outcome": outcome}
            n = np.nan
            for term in terms:
                r = coefficient(tidy, spec, outcome, term)
                line[LABELS.get(term, term)] = _cell(r)
                n = r["n_obs"] if pd.isna(n) else n
            line["N"] = "–" if pd.isna(n) else f"{int(n):,}"
            out.append(line)
    return pd.DataFrame(out)


def _crv1_factor(n: int, k: int, levels: dict[str, int], n_clusters: int) -> float:
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
    columns as :func:`estimate` (tests check they agree).
    """
    from pyfixest.estimation import demean
    from scipy import stats

    for o in outcomes:
        _, est = _check(next(iter(specs)), o, None)
        if est == "ppml":
            raise ParameterError(f"ols_many: outcome {o!r} is estimated by PPML; use estimate()")
    by_fe: dict[tuple[str, ...], list[Spec]] = {}
    for name in specs:
        s, _ = _check(name, outcomes[0], None)
        by_fe.setdefault(s.fixed_effects, []).append(s)
    frames = []
    for fes, group in by_fe.items():
        regs = list(dict.fromkeys(r for s in group for r in s.regressors))
        data = estimation_sample(panel, outcomes[0], regs, fes, "ols")
        data = data.join(panel.loc[data.index, [o for o in outcomes if o not in data.columns]])
        cols = [*outcomes, *regs]
        raw = data[cols].to_numpy(float)
        fe = np.column_stack([pd.factorize(data[f])[0] for f in fes]).astype(np.uint64)
        dm, _ = demean(raw, fe, np.ones(len(data)), tol=1e-10)
        col = {c: i for i, c in enumerate(cols)}
        g, _ = pd.factorize(data[CLUSTER])
        n_g = int(g.max()) + 1
        levels = {f: int(data[f].nunique()) for f in fes}
        n = len(data)
        ss_raw = np.maximum((raw**2).sum(axis=0), 1e-300)
        ok = (dm**2).sum(axis=0) > 1e-9 * ss_raw
        for s in group:
            keep = [r for r in s.regressors if ok[col[r]]]
            x = dm[:, [col[r] for r in keep]]
            y = dm[:, [col[o] for o in outcomes]]
            xtx_inv = np.linalg.inv(x.T @ x)
            beta = xtx_inv @ (x.T @ y)
            resid = y - x @ beta
            factor = _crv1_factor(n, len(keep), levels, n_g)
            tq = stats.t.ppf(0.975, n_g - 1)
            for j, outcome in enumerate(outcomes):
                scores = np.zeros((n_g, len(keep)))
                np.add.at(scores, g, x * resid[:, [j]])
                vcov = factor * xtx_inv @ (scores.T @ scores) @ xtx_inv
                se = np.sqrt(np.diag(vcov))
                b = beta[:, j]
                tstat = b / se
                frames.append(
                    pd.DataFrame(
                        {
                            "term": keep,
                            "estimate": b,
                            "std_error": se,
                            "p_value": 2 * stats.t.sf(np.abs(tstat), n_g - 1),
                            "conf_low": b - tq * se,
                            "conf_high": b + tq * se,
                            "n_obs": n,
                            "n_clusters": n_g,
                            "r2_within": 1 - (resid[:, j] ** 2).sum() / (y[:, j] ** 2).sum(),
                            "spec": s.name,
                            "outcome": outcome,
                            "estimator": OUTCOMES[outcome][0],
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True)
