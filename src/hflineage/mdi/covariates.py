"""The per-model covariates every MDI test reads, built once (:func:`covariates`): size, how a
model was derived (:func:`derivation_type`), its lineage family (:func:`lineage_family`, the
cluster of every standard error) and its in-degree under two readings (:func:`in_degree`).
:func:`covariate_rows` aligns an MDI result with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import DAY_US
from ..data.schema import (
    RELATIONS,
    arrow_strings,
    frame_edge_rows,
    lookup_rows,
    require_columns,
    snapshot_date,
    unique_sorted,
)
from ..errors import HflineageError, check_choice
from ..lineage.size import model_size
from .graph import MdiGraph

#: How in-degree (direct derivatives) is counted: ``after_window`` counts only children created
#: after the focal model's window closes — the window's own children are the MDI's numerator, so
#: counting them makes "MDI rises with in-degree" mechanical; ``snapshot`` counts every child at
#: the snapshot date (the old reading, kept to show the difference).
INDEGREE_READINGS = ("after_window", "snapshot")


def derivation_type(models: pd.DataFrame, edges: pd.DataFrame) -> pd.Series:
    """How each model was derived, in the paper's "through finetuning strategies" sense: the
    relation of its declared base-model edges (finetune, adapter, quantized, merge), or ``root``
    when it declares no base model.  Indexed by ``model_id``, in the order of ``models``.  A
    model whose edges carry several relations gets the most frequent (ties: :data:`RELATIONS`
    order).
    """
    require_columns(edges, ("child", "relation"), "edges")
    ids = arrow_strings(models["model_id"])
    return derivation_codes(ids, lookup_rows(arrow_strings(edges["child"]), ids), edges["relation"])


def derivation_codes(ids: pa.Array, child_row: np.ndarray, relation: pd.Series) -> pd.Series:
    """:func:`derivation_type` from the rows of the edges' children (-1: not a model)."""
    # relation codes in RELATIONS order (ties go to the first); anything else gets the last code
    rel = pc.index_in(arrow_strings(relation), pa.array(RELATIONS, pa.large_string()))
    rel = pc.fill_null(rel, len(RELATIONS)).to_numpy(zero_copy_only=False).astype(np.int64)
    k = len(RELATIONS) + 1
    ok = child_row >= 0
    counts = np.bincount(child_row[ok] * k + rel[ok], minlength=len(ids) * k).reshape(len(ids), k)
    code = np.where(counts.any(axis=1), counts.argmax(axis=1) + 1, 0)  # 0 = root
    code[code == k] = -1  # an unknown relation wins: undefined, as a category it cannot be
    return pd.Series(
        pd.Categorical.from_codes(code, categories=["root", *RELATIONS]),
        index=pd.Index(ids.to_numpy(zero_copy_only=False), name="model_id"),
        name="derivation",
    )


def lineage_family(graph: MdiGraph) -> pd.Series:
    """Each model's lineage family: its earliest ancestor without a parent in the MDI graph (the
    model itself for a root).  Used to cluster standard errors: derivatives of one base model
    share shocks.  Indexed by ``model_id`` (time order).
    """
    family = family_positions(graph)
    return pd.Series(graph.model_id[family], index=pd.Index(graph.model_id, name="model_id"))


def family_positions(graph: MdiGraph) -> np.ndarray:
    """Per graph position, the position of its lineage family's root (:func:`lineage_family`)."""
    coo = graph.ancestors.tocoo()
    top = graph.n_parents[coo.col] == 0
    rows, cols = coo.row[top], coo.col[top]
    family = np.arange(graph.n)
    if len(rows):
        # positions are in time order, so the smallest root position is the earliest root
        first = np.full(graph.n, graph.n, dtype=np.int64)
        np.minimum.at(first, rows, cols)
        has = first < graph.n
        family[has] = first[has]
    return family


_US_PER_DAY = DAY_US


def in_degree(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    window_days: float = 90,
    reading: str = "after_window",
    rows: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Each model's number of direct derivatives (children declaring it as a base), aligned with
    ``models``.

    ``reading="snapshot"`` counts every child at the snapshot date (as
    :func:`hflineage.lineage.network.graph_arrays` does).  ``reading="after_window"`` counts only
    the children with a reliable creation date after ``t_F + window_days``, the end of the model's
    MDI window; it is NaN for a model with an unreliable date or whose window has not closed by
    the snapshot (never focal models).

    Args:
        models: the models table (``model_id``, ``created_at``, ``created_at_reliable``).
        edges: lineage edges (``child``, ``parent``) from
            :func:`hflineage.lineage.edges.build_edges`.
        window_days: the MDI window in days.
        reading: one of :data:`INDEGREE_READINGS`.
        rows: the rows of the edges' children and parents in ``models``
            (:func:`hflineage.data.schema.edge_rows`), when several windows share them.

    Returns:
        A float array, one value per row of ``models``.
    """
    check_choice("reading", reading, INDEGREE_READINGS)
    return in_degrees(models, edges, window_days, rows)[reading]


def in_degrees(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    window_days: float,
    rows: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Both readings of :func:`in_degree` in one pass (``rows``: the rows of the edges' children
    and parents, from :func:`hflineage.data.schema.edge_rows`, if made).
    """
    require_columns(models, ("model_id", "created_at", "created_at_reliable"), "models")
    require_columns(edges, ("child", "parent"), "edges")
    if not (np.isfinite(window_days) and window_days > 0):
        raise HflineageError(f"window_days must be a positive number of days; got {window_days!r}")
    if rows is None:
        _, child, parent = frame_edge_rows(models, edges)
    else:
        child, parent = rows
    ok = (child >= 0) & (parent >= 0) & (child != parent)
    n = len(models)
    keys = unique_sorted(child[ok].astype(np.int64) * n + parent[ok])
    c, p = np.divmod(keys, n)
    t = pd.to_datetime(models["created_at"], utc=True).dt.as_unit("us").astype("int64").to_numpy()
    reliable = models["created_at_reliable"].fillna(False).to_numpy(bool)
    w = int(round(window_days * _US_PER_DAY))
    after = reliable[c] & (t[c] > t[p] + w)
    out = np.bincount(p[after], minlength=n).astype(float)
    snap = pd.Timestamp(snapshot_date(models))
    snap = snap.tz_localize("UTC") if snap.tzinfo is None else snap
    closed = reliable & (t + w <= snap.value // 1000)
    out[~closed] = np.nan
    return {"snapshot": np.bincount(p, minlength=n).astype(float), "after_window": out}


def with_indegree(covariates: pd.DataFrame, reading: str) -> pd.DataFrame:
    """The :func:`covariates` frame with ``in_degree`` / ``log_in_degree`` switched to another
    reading of :data:`INDEGREE_READINGS` (both raw counts are in every covariates frame).
    """
    check_choice("reading", reading, INDEGREE_READINGS)
    deg = covariates[f"in_degree_{reading}"].to_numpy(float)
    out = covariates.assign(in_degree=deg, log_in_degree=np.log1p(deg))
    out.attrs = {**covariates.attrs, "indegree": reading}
    return out


def covariates(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    graph: MdiGraph | None = None,
    *,
    window_days: float = 90,
    inherit_size: bool = True,
    indegree: str = "after_window",
) -> pd.DataFrame:
    """The per-model covariates of every MDI test (scorecard, who-disrupts regressions, the
    robustness curve), built once.

    One row per model, indexed by ``model_id`` in the order of ``models``:

    - ``params``, ``log10_params``, ``size_source``: :func:`hflineage.lineage.size.model_size`
      (NaN when unknown; inherited from the base when ``inherit_size``);
    - ``derivation``: :func:`derivation_type` (root, finetune, adapter, quantized, merge);
    - ``is_root``: no predecessor in the MDI graph (``graph``), so n_j = n_k = 0;
    - ``in_degree_snapshot`` and ``in_degree_after_window`` (:func:`in_degree`), and
      ``in_degree`` / ``log_in_degree`` = log(1 + in-degree) under the reading ``indegree``;
    - ``pipeline_tag`` (``none`` if missing) and ``year`` (of creation), for fixed effects;
    - ``family``: :func:`lineage_family`, the cluster of every standard error, and
      ``family_row``, its root's row in ``models`` (an integer code of the same clusters).

    Args:
        models: the models table.
        edges: lineage edges from :func:`hflineage.lineage.edges.build_edges`.
        graph: the :class:`MdiGraph` of ``models`` and ``edges`` (built if ``None``).
        window_days: the MDI window; in-degree after the window counts children created later.
        inherit_size: a derivative without a size in its name takes its base's.
        indegree: which in-degree goes in ``in_degree``: one of :data:`INDEGREE_READINGS`.

    Returns:
        The covariates frame; ``attrs`` records ``window_days`` and ``indegree``.
    """
    check_choice("indegree", indegree, INDEGREE_READINGS)
    if graph is None:
        graph = MdiGraph.from_frames(models, edges)
    require_columns(edges, ("child", "parent", "relation"), "edges")
    ids, child_row, parent_row = frame_edge_rows(models, edges)
    if not ids.equals(graph.ids):
        raise HflineageError("graph: built from other models; pass the MdiGraph of these models")
    size = model_size(models, edges, inherit=inherit_size)
    deg = in_degrees(models, edges, window_days, (child_row, parent_row))
    at = graph.position_of_row  # each row's position in the MDI graph
    family_row = graph.row_of[family_positions(graph)[at]]
    family = graph.ids.take(pa.array(family_row))
    tags = (
        models["pipeline_tag"].astype(object).fillna("none").to_numpy()
        if "pipeline_tag" in models.columns
        else np.full(len(models), "none", dtype=object)
    )
    out = pd.DataFrame(
        {
            "params": size["params"].to_numpy(),
            "log10_params": size["log10_params"].to_numpy(),
            "size_source": size["size_source"].to_numpy(),
            "derivation": derivation_codes(ids, child_row, edges["relation"]).to_numpy(),
            "is_root": (graph.n_parents == 0)[at],
            "in_degree_snapshot": deg["snapshot"],
            "in_degree_after_window": deg["after_window"],
            "in_degree": deg[indegree],
            "log_in_degree": np.log1p(deg[indegree]),
            "pipeline_tag": tags,
            "year": pd.to_datetime(models["created_at"], utc=True).dt.year.to_numpy(),
            "family": family.to_numpy(zero_copy_only=False),
            "family_row": family_row,
        },
        index=pd.Index(ids.to_numpy(zero_copy_only=False), name="model_id"),
    )
    out.attrs = {"window_days": window_days, "indegree": indegree, "inherit_size": inherit_size}
    return out


def covariate_rows(result: pd.DataFrame, covariates: pd.DataFrame) -> np.ndarray:
    """The row of :func:`covariates` of each row of an MDI result: its ``model_row`` when the
    covariates were built from the same models table (checked id by id, in Arrow), else by id.
    """
    cov_ids = arrow_strings(pd.Series(covariates.index))
    ids = arrow_strings(result["model_id"])
    if "model_row" in result.columns:
        rows = result["model_row"].to_numpy(np.int64)
        if (rows < len(cov_ids)).all() and cov_ids.take(pa.array(rows)).equals(ids):
            return rows
    rows = lookup_rows(ids, cov_ids)
    if (rows < 0).any():
        bad = ids[int(np.flatnonzero(rows < 0)[0])].as_py()
        raise HflineageError(f"covariates: no row for model {bad!r}; build them from these models")
    return rows
