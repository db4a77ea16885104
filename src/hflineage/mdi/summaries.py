"""What an MDI table says, in summaries the chapters show: the mass points (−1, 0, +1,
undefined) per variant (:func:`mass_points`) and how often each component is non-zero
(:func:`component_summary`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
