"""Who disrupts: the regressions of the MDI on model size, derivation type and in-degree (claims
P1-size and P1-finetune), with standard errors clustered by lineage family.

:func:`regression_frame` joins an :func:`~hflineage.mdi.index.mdi_all` result with the
covariates of :func:`hflineage.mdi.covariates.covariates`, one row per (variant, focal model with a
defined MDI and a known size):

- ``disruptive`` = 1 if MDI > 0, and ``mdi`` itself;
- ``log10_params``: log10 of the parameter count (rows of unknown size are dropped, and counted);
- ``derivation``: finetune (reference level), adapter, quantized, merge, or ``root`` for a model
  without a predecessor in the MDI graph (only when roots are kept: they score +1 mechanically,
  so they get their own level); ``finetune`` = 1[derivation is finetune];
- ``log_in_degree``: log(1 + in-degree) under the covariates' reading (by default children
  created *after* the window, so the window's own children — the MDI's numerator — do not
  count), and ``log_in_degree_snapshot`` (every child at the snapshot, the old reading);
- ``pipeline`` (the ``top_tags`` most frequent pipeline tags, else ``other``, or ``none``) and
  ``year`` of creation, for the fixed-effects specification;
- ``family``: the lineage family, the cluster of every standard error.

The declared primary specification (``book/claims.yml``) is the linear probability model (LPM)
of ``disruptive`` under the literal index (``cd``, roots out) on :data:`RHS`: P1-size reads the
``log10_params`` coefficient, P1-finetune the ``finetune`` coefficient of :data:`RHS_FINETUNE`
(finetune against every other derivation).  :mod:`hflineage.mdi.evidence` turns
the fits into the primary :class:`~hflineage.verdicts.Evidence` and the robustness share of every
other (variant × estimator) fit.

:func:`fit_all` fits a logit, an LPM and an OLS of ``mdi`` (statsmodels formula API) per variant.
A logit whose outcome does not vary within a level of a categorical regressor is not identified
(quasi-separation): those rows are dropped first (and counted), as Stata does; a fit whose
outcome does not vary among non-root models is reported as not estimable.  Warnings raised while
fitting are kept in the ``note`` column.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import HflineageError, check_choice
from ..lineage.size import SIZE_BINS, size_bin
from . import inference as I
from .covariates import covariate_rows

ESTIMATORS = ("logit", "lpm", "ols_mdi")


#: The primary estimator: a linear probability model, whose coefficient is a change in the
#: probability of MDI > 0 (the scale of the declared minimum effect).
PRIMARY_ESTIMATOR = "lpm"


#: Readable names of the estimators, for labels.
ESTIMATOR_LABELS = {"logit": "logit", "lpm": "LPM", "ols_mdi": "OLS of the MDI"}


#: Right-hand side of the primary specification (statsmodels formula): size, derivation dummies
#: (finetune the reference) and log(1 + in-degree after the window).
RHS = "log10_params + C(derivation, Treatment('finetune')) + log_in_degree"


#: The same with one dummy for finetune against every other derivation (P1-finetune's term).
RHS_FINETUNE = "log10_params + finetune + log_in_degree"


#: Task and creation-year fixed effects, added in a specification shown beside the primary.
FIXED_EFFECTS = " + C(pipeline) + C(year)"


#: Specifications shown beside the primary (not part of any verdict): what the controls do.
SIDE_SPECS = {
    "primary": RHS,
    "plus task and year fixed effects": RHS + FIXED_EFFECTS,
    "without in-degree": RHS.replace(" + log_in_degree", ""),
    "in-degree at the snapshot (old reading)": RHS.replace(
        "log_in_degree", "log_in_degree_snapshot"
    ),
}


_DERIV = "C(derivation, Treatment('finetune'))"


#: Readable labels of the coefficients the chapter discusses.
TERM_LABELS = {
    "log10_params": "log10 parameters",
    "finetune": "finetune (vs all other derivations)",
    "log_in_degree": "log(1 + in-degree after the window)",
    "log_in_degree_snapshot": "log(1 + in-degree at the snapshot)",
    f"{_DERIV}[T.adapter]": "adapter (vs finetune)",
    f"{_DERIV}[T.quantized]": "quantized (vs finetune)",
    f"{_DERIV}[T.merge]": "merge (vs finetune)",
    f"{_DERIV}[T.root]": "root (vs finetune)",
}


#: The derivation contrasts against finetune (a negative coefficient: less often disruptive).
OTHER_DERIVATIONS = tuple(f"{_DERIV}[T.{r}]" for r in ("adapter", "quantized", "merge"))


def regression_frame(
    result: pd.DataFrame, covariates: pd.DataFrame, *, top_tags: int = 12
) -> pd.DataFrame:
    """The regression data (columns in the module docstring), one row per (variant, focal model
    with a defined MDI and a known size).

    Args:
        result: an :func:`~hflineage.mdi.index.mdi_all` frame (with or without roots).
        covariates: :func:`hflineage.mdi.covariates.covariates` of the same models.
        top_tags: pipeline tags kept as their own fixed-effect level; the rest pooled as "other".

    Returns:
        The frame; ``attrs["dropped"]`` counts, per variant, rows without a defined MDI or a
        known size.
    """
    need = ("log10_params", "derivation", "log_in_degree", "in_degree_snapshot", "family")
    missing = [c for c in need if c not in covariates.columns]
    if missing:
        raise HflineageError(
            f"covariates: missing column {missing[0]!r}; expected the frame of "
            "hflineage.mdi.covariates.covariates"
        )
    # join by row (no 3-million-string join) and keep the usable rows before taking strings
    at = covariate_rows(result, covariates)
    mdi = result["mdi"].to_numpy(float)
    log10_params = covariates["log10_params"].to_numpy(float)[at]
    undefined = np.isnan(mdi)
    unknown = ~undefined & np.isnan(log10_params)
    variant = result["variant"]
    dropped = {
        str(v): {"undefined_mdi": int(undefined[w].sum()), "unknown_size": int(unknown[w].sum())}
        for v, w in variant.groupby(variant, observed=True, sort=True).indices.items()
    }
    keep = np.flatnonzero(~undefined & ~unknown)
    rows = at[keep]
    derivation = covariates["derivation"].astype(object).to_numpy()[rows]
    derivation[result["is_root"].to_numpy(bool)[keep]] = "root"
    frame = pd.DataFrame(
        {
            "variant": variant.iloc[keep].reset_index(drop=True),
            "model_id": result["model_id"].iloc[keep].reset_index(drop=True),
            "mdi": mdi[keep],
            "log10_params": log10_params[keep],
            "derivation": derivation,
            "log_in_degree": covariates["log_in_degree"].to_numpy(float)[rows],
            "family": covariates["family"].iloc[rows].reset_index(drop=True),
            "pipeline_tag": covariates["pipeline_tag"].iloc[rows].reset_index(drop=True),
            "year": covariates["year"].to_numpy()[rows],
            "log_in_degree_snapshot": np.log1p(
                covariates["in_degree_snapshot"].to_numpy(float)[rows]
            ),
        }
    )
    tags = frame["pipeline_tag"].fillna("none")
    top = tags[tags != "none"].value_counts().head(top_tags).index
    frame["pipeline"] = np.where(tags.isin(top) | (tags == "none"), tags, "other")
    frame["disruptive"] = (frame["mdi"] > 0).astype(int)
    frame["finetune"] = (frame["derivation"] == "finetune").astype(int)
    frame = frame.drop(columns="pipeline_tag").reset_index(drop=True)
    frame.attrs["dropped"] = dropped
    return frame


def _categoricals(rhs: str) -> tuple[str, ...]:
    """The regressors of ``rhs`` whose levels can separate a logit (categoricals and dummies)."""
    terms = {t.strip() for t in rhs.split("+")}
    names = set(re.findall(r"C\((\w+)", rhs)) | ({"finetune"} & terms)
    return tuple(c for c in ("derivation", "finetune", "pipeline", "year") if c in names)


def _drop_separated(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """Drop rows in categorical levels where ``disruptive`` does not vary (until none is left)."""
    start = len(frame)
    while True:
        bad = np.zeros(len(frame), dtype=bool)
        for col in columns:
            spread = frame.groupby(col, observed=True)["disruptive"].transform("std").fillna(0)
            bad |= spread.to_numpy() == 0
        if not bad.any():
            return frame, start - len(frame)
        frame = frame[~bad]


_C_TERM = re.compile(r"C\((\w+)(?:,\s*Treatment\((['\"])(.+?)\2\))?\)")


def categorical_formula(data: pd.DataFrame, rhs: str) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """``rhs`` with every ``C(col)`` / ``C(col, Treatment('ref'))`` written as a bare pandas
    categorical column, and the map from the names patsy then gives the dummies back to the
    ``C(...)`` names.

    patsy boxes a ``C(...)`` column and tests every value for missingness in Python (600,000
    rows: ~1 s per categorical per fit); a bare pandas categorical is read by its codes.  The
    design is the same: the levels are the sorted observed values, the reference first (the
    first level is patsy's default reference), so the dummies keep patsy's order and values
    (tested against the formula with ``C(...)``).
    """
    rename: dict[str, str] = {}
    columns = {}
    for m in _C_TERM.finditer(rhs):
        col, ref = m.group(1), m.group(3)
        if col not in data.columns or col in columns:
            continue
        levels = sorted(pd.unique(data[col]))
        if ref is not None:
            hit = [v for v in levels if str(v) == ref]
            if not hit:
                return data, rhs, {}  # patsy will say that the reference level is missing
            levels = hit + [v for v in levels if str(v) != ref]
        columns[col] = pd.Categorical(data[col], categories=levels)
        rename.update({f"{col}[T.{v}]": f"{m.group(0)}[T.{v}]" for v in levels})
        rhs = rhs.replace(m.group(0), col)
    return (data.assign(**columns) if columns else data), rhs, rename


def fit_one(
    frame: pd.DataFrame, estimator: str, rhs: str = RHS, *, vcov: str = "CR3"
) -> tuple[pd.DataFrame, dict]:
    """Fit one estimator on one variant's rows, errors clustered by ``family``.

    The least-squares estimators (``lpm``, ``ols_mdi``) take their standard errors from
    ``vcov`` (:func:`hflineage.mdi.inference.cluster_ols`): CR3, the leave-one-family-out
    jackknife with t(G − 1) p-values and intervals, by default — with a few large families the
    usual CR1 rejects a true null too often (:func:`hflineage.mdi.simulate.size_study`).  The
    logit keeps statsmodels' CR1.

    Returns:
        The coefficient table (``term``, ``coef``, ``se``, ``ci_low``, ``ci_high``, ``p``) and
        facts about the fit (``n``, ``clusters``, ``dropped_separation``, ``note``).
    """
    import statsmodels.formula.api as smf

    check_choice("estimator", estimator, ESTIMATORS)
    info = {"n": len(frame), "clusters": 0, "dropped_separation": 0, "note": ""}
    data = frame
    uses_derivation = "C(derivation" in rhs
    if estimator == "logit":
        data, info["dropped_separation"] = _drop_separated(frame, _categoricals(rhs))
        info["n"] = len(data)
        if data.empty or data["disruptive"].nunique() < 2:
            info["note"] = "not estimable: the outcome does not vary once separated levels go"
            return pd.DataFrame(), info
        if uses_derivation and "finetune" not in set(data["derivation"]):
            info["note"] = "not estimable: no finetune left as reference level"
            return pd.DataFrame(), info
    outcome = "mdi" if estimator == "ols_mdi" else "disruptive"
    if data.loc[data["derivation"] != "root", outcome].nunique() < 2:
        # e.g. the ancestral variant: MDI > 0 exactly for roots
        info["note"] = "not estimable: the outcome does not vary among non-root models"
        return pd.DataFrame(), info
    groups = pd.factorize(data["family"])[0]
    info["clusters"] = int(groups.max() + 1) if len(groups) else 0
    if info["clusters"] < 2:
        info["note"] = "not estimable: fewer than two lineage families"
        return pd.DataFrame(), info
    data, fast_rhs, rename = categorical_formula(data, rhs)
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            formula = f"{outcome} ~ {fast_rhs}"
            if estimator == "logit":
                fit = smf.logit(formula, data).fit(disp=0, maxiter=200, method="newton", **kw)
            else:
                fit = smf.ols(formula, data).fit(**kw)
        except (np.linalg.LinAlgError, ValueError) as exc:
            info["note"] = f"not estimable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
            return pd.DataFrame(), info
    notes = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught})
    if estimator == "logit" and not fit.mle_retvals.get("converged", True):
        notes.append("did not converge")
    info["note"] = "; ".join(notes)
    info["vcov"] = "CR1"
    ci = fit.conf_int()
    se, p = fit.bse.to_numpy(), fit.pvalues.to_numpy()
    lo, hi = ci[0].to_numpy(), ci[1].to_numpy()
    if estimator != "logit" and vcov != "CR1":
        jack = I.cluster_ols(fit.model.endog, fit.model.exog, groups, vcov=vcov)
        se, p = jack.se[:, 0], jack.p[:, 0]
        half = stats.t(jack.df).ppf(0.975) * se
        lo, hi = fit.params.to_numpy() - half, fit.params.to_numpy() + half
        info["vcov"] = vcov
    table = pd.DataFrame(
        {
            "term": [rename.get(t, t) for t in fit.params.index],
            "coef": fit.params.to_numpy(),
            "se": se,
            "ci_low": lo,
            "ci_high": hi,
            "p": p,
        }
    )
    return table, info


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


def within_family_fit(
    frame: pd.DataFrame, term: str = "log10_params", rhs: str = RHS, *, vcov: str = "CR3"
) -> I.Estimate:
    """``term``'s coefficient in the LPM of ``disruptive`` on ``rhs`` with lineage-family fixed
    effects (outcome and design demeaned within families, Frisch–Waugh–Lovell): the comparison
    of models *within* one family, which a family's popularity cannot drive.  P1-size's declared
    within-family design.  Standard errors ``vcov`` clustered by family.
    """
    X, names = design(frame, rhs)
    if term not in names:
        raise HflineageError(f"term {term!r} is not in the design of {rhs!r}")
    codes, _ = pd.factorize(frame["family"])
    size = np.bincount(codes)

    def demean(v: np.ndarray) -> np.ndarray:
        v2 = v[:, None] if v.ndim == 1 else v
        sums = np.stack([np.bincount(codes, weights=v2[:, j]) for j in range(v2.shape[1])], 1)
        out = v2 - (sums / size[:, None])[codes]
        return out[:, 0] if v.ndim == 1 else out

    Xw = demean(X[:, 1:])
    keep = Xw.std(axis=0) > 1e-12  # a column constant within every family has no estimate
    names_w = tuple(n for n, k in zip(names[1:], keep, strict=True) if k)
    if term not in names_w:
        return I.NAN_ESTIMATE
    fit = I.cluster_ols(
        demean(frame["disruptive"].to_numpy(float)), Xw[:, keep], codes, names=names_w, vcov=vcov
    )
    k = names_w.index(term)
    return I.Estimate(
        float(fit.coef[k, 0]), float(fit.se[k, 0]), float(fit.p[k, 0]), fit.n, fit.clusters
    )


def sample_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per variant of a :func:`regression_frame`: rows, share with MDI > 0, lineage families and
    the rows dropped (MDI undefined, size unknown; from ``attrs["dropped"]``).
    """
    out = (
        frame.groupby("variant", observed=True)
        .agg(rows=("mdi", "size"), share_disruptive=("disruptive", "mean"))
        .join(frame.groupby("variant", observed=True)["family"].nunique().rename("families"))
        .reset_index()
    )
    out["variant"] = out["variant"].astype(str)
    drop = pd.DataFrame(frame.attrs.get("dropped", {})).T.rename_axis("variant").reset_index()
    return out.merge(drop, on="variant", how="left") if len(drop) else out


def raw_shares(frame: pd.DataFrame, variant: str) -> pd.DataFrame:
    """Share with MDI > 0 by derivation (rows) and size bin (columns, :data:`SIZE_BINS`) for one
    variant of a :func:`regression_frame`, before any control; NaN where a cell has no model.
    """
    d = frame[frame["variant"] == variant]
    bins = size_bin(10 ** d["log10_params"])
    out = (
        d.assign(size_bin=bins)
        .pivot_table(
            index="derivation",
            columns="size_bin",
            values="disruptive",
            aggfunc="mean",
            observed=False,
        )
        .reindex(columns=list(SIZE_BINS))
        .reset_index()
    )
    out.columns = [str(c) for c in out.columns]
    return out


def raw_share_gap(frame: pd.DataFrame, variant: str) -> dict[str, float]:
    """Share with MDI > 0 among finetunes and among all other derivations (roots excluded) of
    one variant of a :func:`regression_frame`: the raw numbers behind P1-finetune.
    """
    d = frame[(frame["variant"] == variant) & (frame["derivation"] != "root")]
    fine = d["derivation"] == "finetune"
    return {
        "finetune": float(d.loc[fine, "disruptive"].mean()),
        "other": float(d.loc[~fine, "disruptive"].mean()),
    }


COEF_COLUMNS = ["variant", "model", "term", "label", "coef", "se", "ci_low", "ci_high", "p"]


def fit_all(
    frame: pd.DataFrame, *, estimators: tuple[str, ...] = ESTIMATORS, rhs: str = RHS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every estimator for every variant of a :func:`regression_frame`.

    Returns:
        ``(coefs, fits)``: ``coefs`` has one row per (variant, model, term) with ``coef``,
        ``se``, ``ci_low``, ``ci_high``, ``p`` (clustered by family), ``label`` (from
        :data:`TERM_LABELS`, else the raw term), ``n`` and ``clusters``; ``fits`` one row per
        (variant, model) with ``n``, ``clusters``, ``dropped_separation`` and ``note``.
    """
    coefs, fits = [], []
    for variant, d in frame.groupby("variant", observed=True, sort=False):
        for est in estimators:
            table, info = fit_one(d, est, rhs)
            fits.append({"variant": str(variant), "model": est, **info})
            if not table.empty:
                coefs.append(table.assign(variant=str(variant), model=est))
    coefs_frame = (
        pd.concat(coefs, ignore_index=True) if coefs else pd.DataFrame(columns=COEF_COLUMNS)
    )
    coefs_frame["label"] = coefs_frame["term"].map(TERM_LABELS).fillna(coefs_frame["term"])
    fits_frame = pd.DataFrame(fits)
    coefs_frame = coefs_frame[COEF_COLUMNS].merge(
        fits_frame[["variant", "model", "n", "clusters"]], on=["variant", "model"], how="left"
    )
    return coefs_frame, fits_frame


def fit_label(variant: str, model: str, sample: str = "roots out") -> str:
    """``"cd, roots out, LPM, family-clustered"``: a fit in words."""
    return f"{variant}, {sample}, {ESTIMATOR_LABELS.get(model, model)}, family-clustered"


def side_fits(
    frame: pd.DataFrame,
    *,
    specs: dict[str, str] | None = None,
    estimator: str = PRIMARY_ESTIMATOR,
) -> pd.DataFrame:
    """The primary's two claim terms under the specifications of :data:`SIDE_SPECS` (shown
    beside the verdict, never part of it): the ``log10_params`` coefficient of each right-hand
    side, and the ``finetune`` coefficient of the same right-hand side with the derivation
    dummies replaced by the finetune dummy.

    Args:
        frame: one variant's rows of :func:`regression_frame`.
        specs: name -> right-hand side (default :data:`SIDE_SPECS`).
        estimator: one of :data:`ESTIMATORS`.

    Returns:
        One row per (specification, term): ``coef``, ``se``, ``p``, ``n``, ``clusters``, ``note``.
    """
    specs = SIDE_SPECS if specs is None else specs
    rows = []
    for name, rhs in specs.items():
        for term, formula in (
            ("log10_params", rhs),
            ("finetune", rhs.replace(f"{_DERIV}", "finetune")),
        ):
            table, info = fit_one(frame, estimator, formula)
            t = table.set_index("term") if len(table) else pd.DataFrame()
            hit = term in t.index
            rows.append(
                {
                    "specification": name,
                    "term": TERM_LABELS[term],
                    "coef": float(t.loc[term, "coef"]) if hit else np.nan,
                    "se": float(t.loc[term, "se"]) if hit else np.nan,
                    "p": float(t.loc[term, "p"]) if hit else np.nan,
                    "n": info["n"],
                    "clusters": info["clusters"],
                    "note": info["note"],
                }
            )
    return pd.DataFrame(rows)


def shown_fits(primary: str, variants: tuple[str, ...]) -> list[tuple[str, str]]:
    """The fits of the journal-style table: the primary reading under each estimator (LPM
    first), then every other reading under the LPM.
    """
    return [
        (primary, PRIMARY_ESTIMATOR),
        *[(primary, m) for m in ESTIMATORS if m != PRIMARY_ESTIMATOR],
        *[(v, PRIMARY_ESTIMATOR) for v in variants if v != primary],
    ]


def fit_columns(
    coefs: pd.DataFrame, fits: pd.DataFrame, shown: list[tuple[str, str]]
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """The columns of a journal-style regression table (header -> one fit's tidy rows, with
    ``n_obs`` and ``n_clusters`` as :func:`hflineage.chapter.tables.regression_table` reads them)
    and its footer rows (the outcome; whether each fit was estimable, when one was not).
    """
    tidy = coefs.rename(columns={"n": "n_obs", "clusters": "n_clusters"})
    columns = {}
    for v, m in shown:
        name = f"{v}, {ESTIMATOR_LABELS[m]}" + (" (primary)" if (v, m) == shown[0] else "")
        columns[name] = tidy[(tidy["variant"] == v) & (tidy["model"] == m)]
    notes = fits.set_index(["variant", "model"])["note"].fillna("")
    footer = {"Outcome": ["MDI" if m == "ols_mdi" else "MDI > 0" for _, m in shown]}
    if any(notes.get(f, "") for f in shown):
        footer["Estimable"] = ["no" if notes.get(f, "") else "yes" for f in shown]
    return columns, footer
