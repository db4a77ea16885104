"""Who disrupts: regressions of the MDI on model size, derivation type and in-degree (claims
P1-size and P1-finetune), with pipeline-tag and creation-year fixed effects.

:func:`regression_frame` builds one row per (variant, focal model with a defined MDI):

- ``disruptive`` = 1 if MDI > 0, and ``mdi`` itself;
- ``log10_params``: log10 of the parameter count (:func:`hflineage.lineage.size.model_size`; rows of
  unknown size are dropped, and counted);
- ``derivation``: finetune (reference level), adapter, quantized, merge
  (:func:`hflineage.mdi.facts.derivation_type`), or ``root`` for every model without a
  predecessor in the MDI graph (``is_root``: no declared base, or only bases outside the snapshot
  or younger than the model) — roots score +1 mechanically, so they stay in as their own level
  and the size effect is estimated *within* derivation type, not from the root trap;
- ``log_in_degree``: log(1 + number of direct derivatives at the snapshot);
- ``pipeline``: the ``top_tags`` most frequent pipeline tags of the sample, else ``other``, or
  ``none``; ``year``: creation year — both as fixed effects;
- ``family``: the lineage family (earliest root ancestor), the cluster for standard errors:
  derivatives of one base model share shocks (the base's popularity, its licence, its release
  date), so errors are correlated within a family.

:func:`fit_all` fits, per variant, a logit and a linear probability model of ``disruptive`` and
an OLS of ``mdi`` (statsmodels formula API), all with standard errors clustered by family.  A
logit whose outcome does not vary within a level of a categorical regressor is not identified
(quasi-separation); as Stata does, those rows are dropped first (and counted), and a variant
whose outcome then no longer varies is reported as not estimable; so is any fit whose outcome
does not vary among non-root models (the root dummy would fit it exactly).  Warnings raised while
fitting are not hidden: they are kept in the ``note`` column.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import HflineageError, check_choice
from ..lineage.size import model_size
from .facts import derivation_type, lineage_family
from .graph import MdiGraph

ESTIMATORS = ("logit", "lpm", "ols_mdi")


#: Right-hand side of every model (statsmodels formula).
RHS = "log10_params + C(derivation, Treatment('finetune')) + log_in_degree + C(pipeline) + C(year)"


#: The same without in-degree: in-degree counts derivatives, and a large model may be more
#: disruptive *because* it has more of them (a mediator, not a confounder).
RHS_NO_INDEGREE = RHS.replace(" + log_in_degree", "")


#: Readable labels of the coefficients the chapter discusses.
TERM_LABELS = {
    "log10_params": "log10 parameters",
    "log_in_degree": "log(1 + in-degree)",
    "C(derivation, Treatment('finetune'))[T.adapter]": "adapter (vs finetune)",
    "C(derivation, Treatment('finetune'))[T.quantized]": "quantized (vs finetune)",
    "C(derivation, Treatment('finetune'))[T.merge]": "merge (vs finetune)",
    "C(derivation, Treatment('finetune'))[T.root]": "root (vs finetune)",
}


OTHER_DERIVATIONS = tuple(
    k for k in TERM_LABELS if "derivation" in k and not k.endswith("[T.root]")
)


def regression_frame(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    result: pd.DataFrame,
    *,
    in_degree: np.ndarray,
    graph: MdiGraph | None = None,
    inherit_size: bool = True,
    top_tags: int = 12,
) -> pd.DataFrame:
    """The regression data (columns in the module docstring), one row per (variant, focal model
    with a defined MDI and a known size).  ``result`` is an :func:`~hflineage.mdi.index.mdi_all`
    frame; ``in_degree`` is aligned with ``models`` (e.g. ``graph_arrays(...).in_degree``).
    ``attrs["dropped"]`` counts, per variant, rows without a defined MDI or a known size.
    """
    if len(in_degree) < len(models):
        raise HflineageError(
            f"in_degree has {len(in_degree)} values, expected one per model ({len(models)})"
        )
    if graph is None:
        graph = MdiGraph.from_frames(models, edges)
    ids = models["model_id"].astype(str)
    size = model_size(models, edges, inherit=inherit_size)
    cov = pd.DataFrame(
        {
            "log10_params": size["log10_params"].to_numpy(),
            "derivation": derivation_type(models, edges).astype(str).to_numpy(),
            "log_in_degree": np.log1p(np.asarray(in_degree[: len(models)], dtype=float)),
            "pipeline_tag": models["pipeline_tag"].astype(object).to_numpy()
            if "pipeline_tag" in models.columns
            else None,
            "year": pd.to_datetime(models["created_at"], utc=True).dt.year.to_numpy(),
        },
        index=ids,
    )
    cov["family"] = lineage_family(graph).reindex(ids).to_numpy()
    frame = result[["variant", "model_id", "mdi", "is_root"]].join(cov, on="model_id")
    frame.loc[frame["is_root"].to_numpy(bool), "derivation"] = "root"
    frame = frame.drop(columns="is_root")
    dropped = {}
    for v, d in frame.groupby("variant", observed=True):
        dropped[str(v)] = {
            "undefined_mdi": int(d["mdi"].isna().sum()),
            "unknown_size": int((d["mdi"].notna() & d["log10_params"].isna()).sum()),
        }
    frame = frame[frame["mdi"].notna() & frame["log10_params"].notna()].copy()
    tags = frame["pipeline_tag"].fillna("none")
    keep = tags[tags != "none"].value_counts().head(top_tags).index
    frame["pipeline"] = np.where(tags.isin(keep) | (tags == "none"), tags, "other")
    frame["disruptive"] = (frame["mdi"] > 0).astype(int)
    frame = frame.drop(columns="pipeline_tag").reset_index(drop=True)
    frame.attrs["dropped"] = dropped
    return frame


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


def fit_one(frame: pd.DataFrame, estimator: str, rhs: str = RHS) -> tuple[pd.DataFrame, dict]:
    """Fit one estimator on one variant's rows; return the coefficient table and facts about
    the fit (rows, clusters, rows dropped for separation, note).
    """
    import statsmodels.formula.api as smf

    check_choice("estimator", estimator, ESTIMATORS)
    info = {"n": len(frame), "clusters": 0, "dropped_separation": 0, "note": ""}
    data = frame
    if estimator == "logit":
        data, info["dropped_separation"] = _drop_separated(
            frame, ("derivation", "pipeline", "year")
        )
        info["n"] = len(data)
        if data.empty or data["disruptive"].nunique() < 2:
            info["note"] = "not estimable: the outcome does not vary once separated levels go"
            return pd.DataFrame(), info
        if "finetune" not in set(data["derivation"]):
            info["note"] = "not estimable: no finetune left as reference level"
            return pd.DataFrame(), info
    outcome = "mdi" if estimator == "ols_mdi" else "disruptive"
    if data.loc[data["derivation"] != "root", outcome].nunique() < 2:
        # e.g. the ancestral variant: MDI > 0 exactly for roots, so the root dummy fits the
        # outcome perfectly and every other coefficient is numerical noise
        info["note"] = "not estimable: the outcome does not vary among non-root models"
        return pd.DataFrame(), info
    formula = f"{outcome} ~ {rhs}"
    groups = pd.factorize(data["family"])[0]
    info["clusters"] = int(groups.max() + 1) if len(groups) else 0
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
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
    ci = fit.conf_int()
    table = pd.DataFrame(
        {
            "term": fit.params.index,
            "coef": fit.params.to_numpy(),
            "se": fit.bse.to_numpy(),
            "ci_low": ci[0].to_numpy(),
            "ci_high": ci[1].to_numpy(),
            "p": fit.pvalues.to_numpy(),
        }
    )
    return table, info


def fit_all(
    frame: pd.DataFrame, *, estimators: tuple[str, ...] = ESTIMATORS, rhs: str = RHS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every estimator for every variant of a :func:`regression_frame`.

    Returns ``(coefs, fits)``: ``coefs`` has one row per (variant, model, term) with ``coef``,
    ``se``, ``ci_low``, ``ci_high``, ``p`` (clustered by family) and ``label`` (from
    :data:`TERM_LABELS`, else the raw term); ``fits`` one row per (variant, model) with ``n``,
    ``clusters``, ``dropped_separation`` and ``note``.
    """
    coefs, fits = [], []
    for variant, d in frame.groupby("variant", observed=True, sort=False):
        for est in estimators:
            table, info = fit_one(d, est, rhs)
            fits.append({"variant": str(variant), "model": est, **info})
            if not table.empty:
                coefs.append(table.assign(variant=str(variant), model=est))
    coefs_frame = (
        pd.concat(coefs, ignore_index=True)
        if coefs
        else pd.DataFrame(
            columns=["term", "coef", "se", "ci_low", "ci_high", "p", "variant", "model"]
        )
    )
    coefs_frame["label"] = coefs_frame["term"].map(TERM_LABELS).fillna(coefs_frame["term"])
    cols = ["variant", "model", "term", "label", "coef", "se", "ci_low", "ci_high", "p"]
    return coefs_frame[cols], pd.DataFrame(fits)


def claim_checks(coefs: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per (variant, model) of a disruption outcome (logit, lpm): does the fit support P1-size
    (``log10_params`` positive and significant at ``alpha``) and P1-finetune (every other
    derivation — adapter, quantized, merge — *less* likely disruptive than finetune, each
    negative and significant)?  ``finetune_beats`` counts the other derivations that are
    significantly less often disruptive than finetunes (0–3).
    """
    rows = []
    sub = coefs[coefs["model"].isin(["logit", "lpm"])]
    for (variant, model), d in sub.groupby(["variant", "model"], sort=False):
        t = d.set_index("term")
        size_ok = bool(
            "log10_params" in t.index
            and t.loc["log10_params", "coef"] > 0
            and t.loc["log10_params", "p"] < alpha
        )
        present = [k for k in OTHER_DERIVATIONS if k in t.index]
        beaten = [k for k in present if t.loc[k, "coef"] < 0 and t.loc[k, "p"] < alpha]
        fine_ok = len(beaten) == len(OTHER_DERIVATIONS)
        rows.append(
            {
                "variant": variant,
                "model": model,
                "size_coef": t["coef"].get("log10_params", np.nan),
                "size_p": t["p"].get("log10_params", np.nan),
                "P1-size": size_ok,
                "finetune_beats": len(beaten),
                "P1-finetune": fine_ok,
            }
        )
    return pd.DataFrame(rows)
