"""Descriptives of the models table for the data chapter: its schema, growth, tasks, libraries,
back-fill, lineage declarations and the heavy-tailed likes/downloads distributions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .schema import SCHEMA_COLUMNS, require_columns


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


def schema_table(models: pd.DataFrame, example_chars: int = 48) -> pd.DataFrame:
    """The models table described column by column: dtype, non-null count and the first row's
    value cut to ``example_chars`` characters (the chapter's schema table).

    Args:
        models: the models table of :func:`hflineage.data.load.load_snapshot`.
        example_chars: how much of the example value to show (long tag lists are cut).

    Returns:
        One row per column of :data:`~hflineage.data.schema.SCHEMA_COLUMNS`: ``column``,
        ``dtype`` (without pandas' ``[pyarrow]`` suffix), ``non-null`` and ``example``.
    """
    require_columns(models, SCHEMA_COLUMNS, "models table")
    if example_chars < 1:
        raise ParameterError(f"example_chars must be at least 1, got {example_chars!r}")
    columns = list(SCHEMA_COLUMNS)
    return pd.DataFrame(
        {
            "column": columns,
            "dtype": [str(models[c].dtype).replace("[pyarrow]", "") for c in columns],
            "non-null": [int(models[c].notna().sum()) for c in columns],
            "example": [
                str(models[c].iloc[0])[:example_chars] if len(models) else "" for c in columns
            ],
        }
    )


def declarations(models: pd.DataFrame) -> pd.Series:
    """How the models declare their bases: ``n_declaring`` (models naming at least one base),
    ``share_declaring``, ``n_declared_pairs`` (child, base) pairs, ``n_multi_parent`` (models
    naming several) and ``n_typed`` (models whose declaration carries a relation).
    """
    n_parents = models["declared_parents"].list.len()
    declaring = n_parents > 0
    return pd.Series(
        {
            "n_declaring": int(declaring.sum()),
            "share_declaring": float(declaring.mean()),
            "n_declared_pairs": int(n_parents.sum()),
            "n_multi_parent": int((n_parents > 1).sum()),
            "n_typed": int(models["declared_relation"].notna().sum()),
        },
        dtype=object,
    )
