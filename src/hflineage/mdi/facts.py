"""What the MDI table says: mass points (-1, 0, +1, undefined), component summaries, derivation
types, lineage families, and the scorecard of paper 1's stylised facts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schema import RELATIONS
from .graph import MdiGraph, _require

# ------------------------------------------------------------------------------------------------
# Summaries for the chapters: mass points, covariates, the stylised-facts scorecard
# ------------------------------------------------------------------------------------------------
#: Categories of an MDI value: the three mass points, the open intervals between, and undefined.
MASS_CATEGORIES = ("−1", "(−1, 0)", "0", "(0, 1)", "+1", "undefined")


#: Group names of the scorecard's pattern-2 comparisons (column suffixes).
SIZE_GROUPS = ("large", "smaller")


DERIVATION_GROUPS = ("finetune", "other_derivation")


def mass_category(values: pd.Series | np.ndarray) -> pd.Categorical:
    """Each MDI value's category in :data:`MASS_CATEGORIES` (exact −1, 0 and +1 are mass points)."""
    x = np.asarray(values, dtype=float)
    conds = [x == -1, (x > -1) & (x < 0), x == 0, (x > 0) & (x < 1), x == 1, np.isnan(x)]
    codes = np.select(conds, np.arange(len(MASS_CATEGORIES)), default=-1)
    return pd.Categorical.from_codes(codes, categories=list(MASS_CATEGORIES))


def mass_points(result: pd.DataFrame) -> pd.DataFrame:
    """Per variant: focal models with a successor (``rows``), the share of rows in each
    :data:`MASS_CATEGORIES`, and the shares negative / zero / positive among *defined* values
    (``share_negative`` etc.; the paper's "most models are consolidative" is a statement about
    these).
    """
    frame = result if "variant" in result.columns else result.assign(variant="mdi")
    cat = mass_category(frame["mdi"])
    counts = pd.crosstab(pd.Categorical(frame["variant"]), cat, dropna=False).reindex(
        columns=list(MASS_CATEGORIES), fill_value=0
    )
    out = counts.div(counts.sum(axis=1), axis=0)
    out.insert(0, "rows", counts.sum(axis=1))
    x = frame["mdi"]
    grouped = x.groupby(frame["variant"], observed=True)
    out["defined"] = grouped.count()
    out["share_negative"] = (x < 0).groupby(frame["variant"], observed=True).sum() / out["defined"]
    out["share_zero"] = (x == 0).groupby(frame["variant"], observed=True).sum() / out["defined"]
    out["share_positive"] = (x > 0).groupby(frame["variant"], observed=True).sum() / out["defined"]
    out.index.name = "variant"
    return out.reset_index()


def derivation_type(models: pd.DataFrame, edges: pd.DataFrame) -> pd.Series:
    """How each model was derived, in the paper's "through finetuning strategies" sense: the
    relation of its declared base-model edges (finetune, adapter, quantized, merge), or ``root``
    when it declares no base model.  Indexed by ``model_id``, in the order of ``models``.  A
    model whose edges carry several relations gets the most frequent (ties: :data:`RELATIONS`
    order).
    """
    _require(edges, ("child", "relation"), "edges")
    rank = {r: i for i, r in enumerate(RELATIONS)}
    counts = edges.groupby(["child", "relation"], observed=True).size().rename("k").reset_index()
    counts["order"] = counts["relation"].map(rank).fillna(len(rank))
    counts = counts.sort_values(["child", "k", "order"], ascending=[True, False, True])
    first = counts.drop_duplicates("child").set_index("child")["relation"]
    ids = models["model_id"].astype(str)
    out = first.reindex(ids).fillna("root")
    out.index.name = "model_id"
    return pd.Series(
        pd.Categorical(out.to_numpy(), categories=["root", *RELATIONS]),
        index=out.index,
        name="derivation",
    )


def lineage_family(graph: MdiGraph) -> pd.Series:
    """Each model's lineage family: its earliest ancestor without a parent in the MDI graph (the
    model itself for a root).  Used to cluster standard errors: derivatives of one base model
    share shocks.  Indexed by ``model_id`` (time order).
    """
    anc = graph.ancestors
    coo = anc.tocoo()
    top = graph.n_parents[coo.col] == 0
    rows, cols = coo.row[top], coo.col[top]
    family = np.arange(graph.n)
    if len(rows):
        # positions are in time order, so the smallest root position is the earliest root
        first = pd.Series(cols).groupby(rows).min()
        family[first.index.to_numpy()] = first.to_numpy()
    return pd.Series(graph.model_id[family], index=pd.Index(graph.model_id, name="model_id"))


def _compare_shares(
    pos: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float, key: str, names: tuple[str, str]
) -> dict:
    """Share of ``pos`` in groups a and b, and a one-sided two-proportion z-test of a > b."""
    from statsmodels.stats.proportion import proportions_ztest

    na, nb = int(a.sum()), int(b.sum())
    ka, kb = int(pos[a].sum()), int(pos[b].sum())
    sa = ka / na if na else np.nan
    sb = kb / nb if nb else np.nan
    p = np.nan
    if na and nb and 0 < ka + kb < na + nb:
        _, p = proportions_ztest([ka, kb], [na, nb], alternative="larger")
    return {
        f"share_positive_{names[0]}": sa,
        f"share_positive_{names[1]}": sb,
        f"n_{names[0]}": na,
        f"n_{names[1]}": nb,
        f"pattern_{key}_p": float(p),
        f"pattern_{key}": bool(np.isfinite(p) and p < alpha and sa > sb),
    }


def scorecard(
    result: pd.DataFrame,
    covariates: pd.DataFrame,
    *,
    large: float = 1e10,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The paper's three stylised facts, tested per variant on an :func:`mdi_all` result.

    ``covariates`` is indexed by ``model_id`` with ``params`` (NaN = unknown), ``derivation``
    (:func:`derivation_type`) and ``in_degree`` (number of direct derivatives at the snapshot).
    On the rows with a defined MDI:

    - **pattern 1** (P1-most-consolidative): share with MDI < 0 is above one half;
    - **pattern 2a** (P1-size): share with MDI > 0 is higher among models of at least ``large``
      parameters than among smaller models of known size (one-sided two-proportion z-test at
      ``alpha``);
    - **pattern 2b** (P1-finetune): share with MDI > 0 is higher among finetunes than among the
      other derivations (adapter, quantized, merge), same test; roots are excluded, and so are
      models that are roots of the MDI graph (``is_root``: their declared bases are outside the
      snapshot or younger), whose +1 is mechanical;
    - **pattern 3** (P1-indegree): Spearman correlation of MDI with in-degree is positive, with a
      one-sided p-value below ``alpha``.

    One row per variant with the shares, group sizes, statistics, a boolean per pattern and
    ``reproduced`` (how many of the four hold).
    """
    from scipy.stats import spearmanr

    _require(covariates, ("params", "derivation", "in_degree"), "covariates")
    frame = result if "variant" in result.columns else result.assign(variant="mdi")
    rows = []
    for variant, d in frame.groupby("variant", observed=True, sort=False):
        d = d[d["mdi"].notna()]
        cov = covariates.reindex(d["model_id"].astype(str))
        pos = (d["mdi"].to_numpy() > 0).astype(int)
        params = cov["params"].to_numpy(dtype=float)
        deriv = cov["derivation"].astype(object).to_numpy()
        row = {"variant": variant, "n": len(d), "share_negative": float((d["mdi"] < 0).mean())}
        row["pattern_1"] = row["share_negative"] > 0.5

        known = ~np.isnan(params)
        row.update(
            _compare_shares(
                pos, known & (params >= large), known & (params < large), alpha, "2a", SIZE_GROUPS
            )
        )
        root = d["is_root"].to_numpy(bool) if "is_root" in d.columns else np.zeros(len(d), bool)
        derived = (deriv != "root") & ~root
        fine = derived & (deriv == "finetune")
        row.update(_compare_shares(pos, fine, derived & ~fine, alpha, "2b", DERIVATION_GROUPS))
        indeg = cov["in_degree"].to_numpy(dtype=float)
        ok = ~np.isnan(indeg)
        rho, p = (np.nan, np.nan)
        if ok.sum() > 2 and np.ptp(indeg[ok]) > 0 and np.ptp(d["mdi"].to_numpy()[ok]) > 0:
            rho, p = spearmanr(d["mdi"].to_numpy()[ok], indeg[ok], alternative="greater")
        row["spearman_rho"], row["spearman_p"] = float(rho), float(p)
        row["pattern_3"] = bool(np.isfinite(p) and p < alpha and rho > 0)
        rows.append(row)
    out = pd.DataFrame(rows)
    flags = ["pattern_1", "pattern_2a", "pattern_2b", "pattern_3"]
    out["reproduced"] = out[flags].sum(axis=1).astype(int)
    return out


def component_summary(result: pd.DataFrame) -> pd.DataFrame:
    """Per variant: how often each component is non-zero and its share of all successors.

    ``has_n_i`` etc. are shares of focal models with that component > 0; ``n_i_share`` etc. are
    the component's share of all (focal, successor) pairs; ``mean_successors`` is the mean of
    n_i + n_j + n_k.  Under "declares as base model" n_j > 0 needs a successor that declares F
    *and* F's own base, which Hugging Face cards rarely do: the reason the literal index is
    almost never negative.
    """
    frame = result if "variant" in result.columns else result.assign(variant="mdi")
    g = frame.groupby("variant", observed=True, sort=False)
    total = g[["n_i", "n_j", "n_k"]].sum()
    succ = total.sum(axis=1)
    out = pd.DataFrame(
        {
            "rows": g.size(),
            "has_n_i": g["n_i"].apply(lambda s: (s > 0).mean()),
            "has_n_j": g["n_j"].apply(lambda s: (s > 0).mean()),
            "has_n_k": g["n_k"].apply(lambda s: (s > 0).mean()),
            "n_i_share": total["n_i"] / succ,
            "n_j_share": total["n_j"] / succ,
            "n_k_share": total["n_k"] / succ,
            "mean_successors": succ / g.size(),
        }
    )
    return out.reset_index()
