"""Descriptives of the models table for the data chapter: growth, tasks, libraries, back-fill,
and the heavy-tailed likes/downloads distributions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def models_per_month(models: pd.DataFrame) -> pd.DataFrame:
    """New repositories per calendar month (UTC), split by whether the date is reliable.

    Back-filled dates (``created_at_reliable == False``) pile up in March 2022: the spike is an
    artefact of the Hub's ``createdAt`` field, not a burst of activity.
    """
    month = models["created_at"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()
    frame = pd.DataFrame({"month": month, "reliable": models["created_at_reliable"].to_numpy()})
    out = frame.groupby(["month", "reliable"]).size().unstack("reliable", fill_value=0)
    out = out.reindex(columns=[True, False], fill_value=0)
    out.columns = ["reliable", "back_filled"]
    return out.reset_index()


def top_values(
    series: pd.Series, n: int = 12, other: str = "(other)", missing: str = "(none)"
) -> pd.DataFrame:
    """Counts and shares of the ``n`` most frequent values; the rest pooled as ``other``."""
    counts = series.value_counts(dropna=False)  # in Arrow for Arrow-backed columns
    counts = pd.Series(
        counts.to_numpy(dtype=np.int64),
        index=pd.Index(counts.index.to_numpy(dtype=object, na_value=missing), dtype=object),
    )
    head = counts.head(n)
    rest = int(counts.iloc[n:].sum())
    if rest:
        head = pd.concat([head, pd.Series({other: rest})])
    out = head.rename_axis("value").reset_index(name="models")
    out["share"] = out["models"] / len(series)
    return out


def ccdf(values: pd.Series | np.ndarray) -> pd.DataFrame:
    """Complementary cumulative distribution P(X ≥ x) at each distinct positive value ``x``."""
    arr = np.asarray(values, dtype=float)
    arr = arr[arr > 0]
    if arr.size == 0:
        return pd.DataFrame({"x": [], "ccdf": []})
    xs, counts = np.unique(arr, return_counts=True)
    # number of observations >= x, over all positive observations
    ge = counts[::-1].cumsum()[::-1]
    return pd.DataFrame({"x": xs, "ccdf": ge / arr.size})


def concentration(values: pd.Series | np.ndarray, top_share: float = 0.01) -> float:
    """Share of the total held by the top ``top_share`` fraction of units (e.g. top 1% of models)."""
    arr = np.sort(np.asarray(values, dtype=float))[::-1]
    total = arr.sum()
    if total == 0:
        return float("nan")
    k = max(1, int(np.ceil(top_share * arr.size)))
    return float(arr[:k].sum() / total)


def engagement_summary(models: pd.DataFrame) -> pd.DataFrame:
    """Share of zeros, median, 99th percentile, maximum and top-1% share for likes and downloads."""
    rows = []
    for col in ("likes", "downloads"):
        x = models[col].to_numpy()
        rows.append(
            {
                "measure": col,
                "share_zero": float((x == 0).mean()),
                "median": float(np.median(x)),
                "p99": float(np.percentile(x, 99)),
                "max": int(x.max()),
                "top1pct_share": concentration(x, 0.01),
            }
        )
    return pd.DataFrame(rows)
