"""Entry into races: how derivatives concentrate on prominent bases (P2-entry)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schema import frame_edge_rows
from ..lineage.checks import check_edges
from .panel import RACE_EDGE_COLUMNS


def base_entry(models: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Every model of the snapshot as a potential base: its ``likes`` and ``downloads`` and its
    number of direct derivatives ``n_derivatives`` (resolved, time-consistent, non-cyclic edges
    whose child has a reliable date).  ``created_reliable`` flags the base's own date.
    """
    check_edges(edges, RACE_EDGE_COLUMNS)
    ok = (
        (edges["resolution"] != "unresolved")
        & edges["parent_in_snapshot"].astype(bool)
        & ~edges["parent_younger"].astype(bool)
        & ~edges["in_cycle"].astype(bool)
    )
    _, crow, prow = frame_edge_rows(models, edges)
    ok = ok.to_numpy(bool)
    crow, prow = crow[ok], prow[ok]
    keep = (crow >= 0) & (prow >= 0)
    keep[keep] = models["created_at_reliable"].to_numpy(bool)[crow[keep]]
    counts = np.bincount(prow[keep], minlength=len(models))
    return pd.DataFrame(
        {
            "model_id": models["model_id"].reset_index(drop=True),
            "likes": models["likes"].to_numpy(),
            "downloads": models["downloads"].to_numpy(),
            "n_derivatives": counts,
            "created_reliable": models["created_at_reliable"].to_numpy(bool),
        }
    )


def entry_concentration(bases: pd.DataFrame, top_share: float = 0.01) -> dict[str, float]:
    """How concentrated derivative entry is on prominent bases (claim P2-entry), from
    :func:`base_entry`.

    ``top_bases_share``: share of all derivatives that go to the top ``top_share`` of bases (among
    models with at least one derivative); ``top_liked_share``: share of all derivatives that go to
    the ``top_share`` most-liked models of the snapshot; ``spearman_likes_derivatives``: rank
    correlation of a base's likes with its number of derivatives (models with at least one).
    Likes are cumulative at the snapshot, so part of this association runs from derivatives to
    likes, not only the other way.
    """
    n = bases["n_derivatives"].to_numpy(float)
    total = n.sum()
    with_children = bases[bases["n_derivatives"] > 0]
    k_bases = max(1, int(np.ceil(top_share * len(with_children))))
    top_bases = np.sort(with_children["n_derivatives"].to_numpy(float))[::-1][:k_bases].sum()
    k_liked = max(1, int(np.ceil(top_share * len(bases))))
    liked = bases.sort_values("likes", ascending=False, kind="stable").head(k_liked)
    return {
        "n_bases": int(len(with_children)),
        "n_derivatives": int(total),
        "top_bases_share": float(top_bases / total) if total else np.nan,
        "top_liked_share": float(liked["n_derivatives"].sum() / total) if total else np.nan,
        "spearman_likes_derivatives": float(
            with_children["likes"].rank().corr(with_children["n_derivatives"].rank())
        ),
    }


def entry_numbers(
    entry: dict[str, float], all_edges: pd.Series, panel: pd.DataFrame
) -> pd.DataFrame:
    """The entry numbers chapter 5 quotes, as a number table for ``Chapter.record_numbers``.

    Args:
        entry: :func:`entry_concentration`.
        all_edges: the lineage chapter's concentration over all declared edges
            (``hflineage.lineage.network.concentration`` indexed by ``measure``: ``top_share``).
        panel: the race panel (``early_entrant_30d``, ``lag_days``).
    """
    from ..lineage.headlines import number_table

    return number_table(
        [
            (
                "race_entry_top_share",
                entry["top_bases_share"],
                "share of derivatives going to the top 1% of bases",
                ".1%",
            ),
            (
                "race_entry_top_liked",
                entry["top_liked_share"],
                "share of derivatives going to the 1% most-liked models",
                ".1%",
            ),
            (
                "race_entry_spearman",
                entry["spearman_likes_derivatives"],
                "Spearman correlation of base likes and derivatives",
                ".2f",
            ),
            (
                "race_entry_n_bases",
                entry["n_bases"],
                "models with at least one timed derivative",
                ",",
            ),
            (
                "race_entry_top_share_all",
                all_edges["top_share"],
                "share of all declared edges to models held by the top 1% of parents "
                "(lineage chapter)",
                ".1%",
            ),
            (
                "race_share_first_30d",
                panel["early_entrant_30d"].mean(),
                "share of panel entrants arriving within 30 days of the base",
                ".1%",
            ),
            ("race_median_lag", panel["lag_days"].median(), "median entry lag (days)", ".0f"),
        ]
    )
