"""What an MDI table says, in summaries the chapters show: the mass points (−1, 0, +1,
undefined) per variant (:func:`mass_points`) and how often each component is non-zero
(:func:`component_summary`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..lineage.size import SIZE_BINS, size_bin

#: Categories of an MDI value: the three mass points, the open intervals between, and undefined.
MASS_CATEGORIES = ("−1", "(−1, 0)", "0", "(0, 1)", "+1", "undefined")


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
    variant = pd.Categorical(frame["variant"])
    k, n_cat = len(variant.categories), len(MASS_CATEGORIES)
    # one bincount over (variant, category) codes: crosstab and groupbys took seconds at 10M rows
    counts = np.bincount(
        variant.codes.astype(np.int64) * n_cat + mass_category(frame["mdi"]).codes,
        minlength=k * n_cat,
    ).reshape(k, n_cat)
    rows = counts.sum(axis=1)
    out = pd.DataFrame(
        counts / np.where(rows > 0, rows, np.nan)[:, None],
        index=pd.CategoricalIndex(
            variant.categories, categories=variant.categories, name="variant"
        ),
        columns=list(MASS_CATEGORIES),
    )
    out.insert(0, "rows", rows)
    x = frame["mdi"].to_numpy(float)
    by_variant = lambda mask: np.bincount(variant.codes[mask], minlength=k)  # noqa: E731
    defined = by_variant(~np.isnan(x))
    out["defined"] = defined
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_negative"] = by_variant(x < 0) / defined
        out["share_zero"] = by_variant(x == 0) / defined
        out["share_positive"] = by_variant(x > 0) / defined
    return out.reset_index()


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


def indegree_readings(primary: pd.DataFrame, covariates: pd.DataFrame) -> pd.DataFrame:
    """The primary sample's children by when a child counts: one row per in-degree reading
    (``at the snapshot``, ``after the window``) with the focal models that have a child and the
    children counted.

    Args:
        primary: one variant's rows of an MDI result (``model_id``, ``n_i``, ``n_j``).
        covariates: :func:`hflineage.mdi.covariates.covariates` of the same models.

    Returns:
        The table; ``attrs`` holds ``in_window_share`` (share of the focal models' children at
        the snapshot created inside their own window, n_i + n_j), ``rows`` and ``families``.
    """
    cov = covariates.reindex(primary["model_id"])
    snap = cov["in_degree_snapshot"].to_numpy(float)
    after = cov["in_degree_after_window"].to_numpy(float)
    out = pd.DataFrame(
        {
            "in-degree counted": ["at the snapshot", "after the window"],
            "focal models with a child": [int((snap > 0).sum()), int((after > 0).sum())],
            "children": [int(np.nansum(snap)), int(np.nansum(after))],
        }
    )
    in_window = float((primary["n_i"] + primary["n_j"]).sum())
    total = float(np.nansum(snap))
    out.attrs = {
        "in_window_share": in_window / total if total else float("nan"),
        "rows": len(primary),
        "families": int(cov["family"].nunique()),
    }
    return out


def root_trap(result: pd.DataFrame) -> pd.DataFrame:
    """Per variant: the scored models, the roots among them (declaring no base, or a base outside
    the snapshot), the share of the +1 values that are roots and the share of roots at +1 — a
    root has n_j = n_k = 0, so any successor makes it +1 (the zero-reference trap).
    """
    rows = []
    for v, d in result.groupby("variant", observed=True, sort=False):
        root = d["is_root"].to_numpy(bool)
        declares = d["declares_parent"].to_numpy(bool)
        plus = d["mdi"].to_numpy(float) == 1
        rows.append(
            {
                "variant": str(v),
                "rows": len(d),
                "roots": int(root.sum()),
                "roots declaring no base": int((root & ~declares).sum()),
                "roots whose base is outside the snapshot": int((root & declares).sum()),
                "share of +1 that are roots": float(root[plus].mean()) if plus.any() else np.nan,
                "roots at +1": float(plus[root].mean()) if root.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def most_disruptive(
    result: pd.DataFrame, covariates: pd.DataFrame, *, variant: str, min_successors: int = 10
) -> pd.DataFrame:
    """One variant's focal models with at least ``min_successors`` successors (n_i + n_j +
    n_k), most disruptive first (MDI, then n_i, descending), with both in-degree readings.
    """
    if min_successors < 0:
        raise ParameterError(f"min_successors must be a count >= 0; got {min_successors!r}")
    d = result[result["variant"] == variant]
    d = d.assign(successors=d[["n_i", "n_j", "n_k"]].sum(axis=1))
    d = d[d["successors"] >= min_successors]
    deg = covariates[["in_degree_after_window", "in_degree_snapshot"]]
    d = d.join(deg, on="model_id")
    cols = ["model_id", "n_i", "n_j", "n_k", "mdi", "in_degree_after_window"]
    cols += ["in_degree_snapshot", "is_root"]
    return d.sort_values(["mdi", "n_i"], ascending=False, kind="stable")[cols].reset_index(
        drop=True
    )


def construct_shares(result: pd.DataFrame) -> pd.DataFrame:
    """Per variant, what the index can show by construction: the share of scored models that could
    be negative (n_j > 0; n_k > 0 for ``sibling``, whose numerator is n_i − n_k), P(MDI > 0 | n_i > 0) and
    P(n_i > 0 | MDI > 0) (a positive literal index means "had a child of its own in the window").
    """
    frame = result if "variant" in result.columns else result.assign(variant="mdi")
    rows = []
    for v, d in frame.groupby("variant", observed=True, sort=False):
        x = d["mdi"].to_numpy(float)
        has_i = d["n_i"].to_numpy() > 0
        # the subtracted component: n_j for cd, cd_nok and ancestral, n_k for sibling
        has_minus = d["n_k" if str(v) == "sibling" else "n_j"].to_numpy() > 0
        pos = x > 0
        rows.append(
            {
                "variant": str(v),
                "rows": len(d),
                "could_be_negative": float(has_minus.mean()) if len(d) else np.nan,
                "positive_given_child": float(pos[has_i].mean()) if has_i.any() else np.nan,
                "child_given_positive": float(has_i[pos].mean()) if pos.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def window_table(sens: pd.DataFrame, variant: str) -> pd.DataFrame:
    """Share of negative values per variant (rows) and window (columns "30 days", ...) from
    :func:`hflineage.mdi.robustness.window_mass_points`, with a last row giving ``variant``'s
    focal models at each window (each window scores its own).
    """
    negative = sens.pivot_table(
        index="variant", columns="window_days", values="share_negative", sort=False, dropna=False
    )
    negative.columns = [f"{w:g} days" for w in negative.columns]
    rows = sens[sens["variant"] == variant].set_index("window_days")["rows"]
    count = {
        "variant": f"focal models ({variant})",
        **{f"{w:g} days": int(n) for w, n in rows.items()},
    }
    return pd.concat([negative.reset_index(), pd.DataFrame([count])], ignore_index=True)


def size_bins(covariates: pd.DataFrame) -> pd.DataFrame:
    """Models per size bin (:data:`hflineage.lineage.size.SIZE_BINS`, every bin even when
    empty) of the ``params`` of :func:`hflineage.mdi.covariates.covariates`: ``size bin``,
    ``models``.
    """
    bins = size_bin(covariates["params"]).value_counts().reindex(list(SIZE_BINS), fill_value=0)
    return pd.DataFrame({"size bin": bins.index, "models": bins.to_numpy()})
