"""The Model Disruption Index (MDI): the CD index of Funk & Owen-Smith (2017) / Wu, Wang & Evans
(2019) with "cites" replaced by "declares as base model".

For a focal model F created at t_F with predecessors P(F), the *successors* are the models S
created in the window (t_F, t_F + window] that build on F or on some p in P(F):

- n_i: S that build on F but on no p in P(F)          (they use F *instead of* its bases)
- n_j: S that build on F and on some p in P(F)        (they use F *together with* its bases)
- n_k: S that build on some p in P(F) but not on F    (they keep using F's bases, ignoring F)

Variants (all first-class, :data:`VARIANTS`):

==========  ==============================================  =====================================
variant     index                                           "S builds on X"
==========  ==============================================  =====================================
cd          (n_i - n_j) / (n_i + n_j + n_k)                 S declares X as a base model (edge)
cd_nok      (n_i - n_j) / (n_i + n_j)                       edge
ancestral   (n_i - n_j) / (n_i + n_j + n_k)                 X is an ancestor of S at any depth
sibling     (n_i - n_k) / (n_i + n_j + n_k)                 edge
==========  ==============================================  =====================================

P(F) is F's direct parents.  For ``ancestral``, ``predecessors="ancestors"`` takes all of F's
ancestors instead (n_k then also counts later models built on F's grandparents' other branches).
Note that with "builds on" = ancestry every descendant of F is also a descendant of F's parents,
so for a non-root F n_i = 0 and the ancestral MDI lies in [-1, 0] *by construction*; only roots
can be positive.  The book reports this rather than hiding it.

Rules the paper does not state, chosen here and documented in the MDI chapter:

- **The MDI graph.**  From the lineage edges (:func:`hflineage.lineage.edges.build_edges`) it keeps the
  edges whose parent is a model of the snapshot (``parent_in_snapshot``) and is not younger than
  the child (``parent_younger`` edges cannot be timed), optionally only some ``relations``.
  ``in_cycle`` edges are kept when they are timed; a cycle that survives (possible only among
  models created in the same microsecond) is broken by dropping the edges inside it.  Counts of
  every dropped kind are in ``result.attrs["edges"]``.  ``relations`` restricts the whole graph:
  P(F) and "builds on" are read from the same restricted edges.
- **Roots.**  ``is_root``: F has no predecessor in the MDI graph (P(F) is empty), so n_j = n_k = 0
  and F scores +1 whenever it has a successor (the zero-reference trap of Holst et al. 2024).
  ``declares_parent`` separates true roots (declare nothing) from models whose declared bases are
  outside the snapshot, unresolved or younger.  ``include_roots=False`` drops every ``is_root``
  row (and counts them).
- **Censoring.**  A focal model is excluded (and counted) if its creation date is unreliable
  (``created_at_reliable == False``) or its window ends after the snapshot date
  (:func:`hflineage.data.schema.snapshot_date`).  Models with unreliable dates are never successors
  either (their position in time is unknown); they stay in the graph as bases and as links of
  ancestry chains.
- **Rows.**  One row per focal model with at least one successor (n_i + n_j + n_k > 0).  An
  undefined index (denominator 0: only ``cd_nok``, when all successors are n_k) is NaN and
  counted.  Focal models without successors are counted, not listed.

``result.attrs["excluded"]`` holds the counts (see :func:`exclusion_table`).

The engine works on sorted arrays and scipy.sparse matrices, with no Python loop over models or
edges; :func:`mdi_reference` is a plain set-based implementation kept for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import HflineageError, ParameterError, check_choice
from .graph import (
    PREDECESSORS,
    VARIANTS,
    MdiGraph,
    check_relations,
    expand_ranges,
    range_count,
    sorted_contains,
    union_count,
)


# ------------------------------------------------------------------------------------------------
# Components
# ------------------------------------------------------------------------------------------------
def _direct_components(g: MdiGraph, focal, lo, hi) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n_i, n_j, n_k with "builds on" = declares as base model."""
    n, k = g.n, len(focal)
    C, ckeys = g.children
    A = g.parents
    deg = g.n_parents
    # F's children in its window: the S that build on F (n_i + n_j)
    cnt_c, start_c = range_count(ckeys, n, focal, lo, hi, C.indptr)
    pair_owner, pos = expand_ranges(start_c, cnt_c)
    succ = C.indices[pos].astype(np.int64)
    # n_j: children S of F that also declare one of F's parents (triangles S→F→p, S→p)
    f_of_pair = focal[pair_owner]
    tri_pair, ppos = expand_ranges(A.indptr[f_of_pair], deg[f_of_pair])
    hit = sorted_contains(g.parent_keys, succ[tri_pair] * n + A.indices[ppos])
    pair_hit = np.bincount(tri_pair[hit], minlength=len(succ)) > 0
    n_j = np.bincount(pair_owner[pair_hit], minlength=k).astype(np.int64)
    n_i = cnt_c - n_j
    # n_k: distinct S in the window that declare some parent of F, minus those counted in n_j
    src_owner, spos = expand_ranges(A.indptr[focal], deg[focal])
    union = union_count(C, ckeys, src_owner, A.indices[spos], lo, hi, k, shared=g.shared_children)
    return n_i, n_j, union - n_j


def _ancestral_components(
    g: MdiGraph, focal, lo, hi, predecessors: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n_i, n_j, n_k with "builds on" = is a descendant of.

    Every descendant of F is a descendant of each of F's parents, so for a non-root F all of
    its windowed descendants are n_j and n_i = 0; n_k is the number of distinct windowed
    descendants of F's predecessors minus F's own.  The union over predecessors only needs the
    maximal ones: a parent that descends from another parent of F adds nobody (for
    ``predecessors="ancestors"`` the maximal ancestors are F's ancestors without parents).
    """
    n, k = g.n, len(focal)
    D, dkeys = g.descendants
    A = g.parents
    anc, akeys = g.ancestors, g.ancestor_keys
    cnt_d, _ = range_count(dkeys, n, focal, lo, hi, D.indptr)
    root = g.n_parents[focal] == 0
    if predecessors == "parents":
        own, pos = expand_ranges(A.indptr[focal], g.n_parents[focal])
        src = A.indices[pos].astype(np.int64)
        # drop a parent p if another parent q of the same focal model is an ancestor of p
        multi = np.flatnonzero(np.bincount(own, minlength=k)[own] > 1)
        if len(multi):
            start = A.indptr[focal][own[multi]]
            cnt = g.n_parents[focal][own[multi]]
            j, qpos = expand_ranges(start, cnt)
            p_of, q_of = src[multi][j], A.indices[qpos].astype(np.int64)
            covered = (p_of != q_of) & sorted_contains(akeys, p_of * n + q_of)
            drop = multi[np.bincount(j[covered], minlength=len(multi)) > 0]
            keep = np.ones(len(src), dtype=bool)
            keep[drop] = False
            own, src = own[keep], src[keep]
    else:
        own, pos = expand_ranges(anc.indptr[focal], np.diff(anc.indptr)[focal])
        src = anc.indices[pos].astype(np.int64)
        top = g.n_parents[src] == 0
        own, src = own[top], src[top]
    union = union_count(D, dkeys, own, src, lo, hi, k, shared=g.shared_descendants)
    n_i = np.where(root, cnt_d, 0)
    n_j = np.where(root, 0, cnt_d)
    n_k = np.where(root, 0, union - cnt_d)
    return n_i.astype(np.int64), n_j.astype(np.int64), n_k.astype(np.int64)


def index_from_components(variant: str, n_i, n_j, n_k) -> np.ndarray:
    """The MDI of ``variant`` from its components (NaN where the denominator is 0)."""
    check_choice("variant", variant, VARIANTS)
    n_i, n_j, n_k = (np.asarray(x, dtype=float) for x in (n_i, n_j, n_k))
    if variant == "cd_nok":
        num, den = n_i - n_j, n_i + n_j
    elif variant == "sibling":
        num, den = n_i - n_k, n_i + n_j + n_k
    else:
        num, den = n_i - n_j, n_i + n_j + n_k
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _rows(variant: str, focal, comps, root, counts: dict, include_roots: bool) -> tuple[dict, dict]:
    """The scored rows of one variant (focal positions and columns) and its exclusion counts;
    ``root``: whether each focal model has no predecessor in the graph.
    """
    n_i, n_j, n_k = comps
    has = (n_i + n_j + n_k) > 0
    excluded = dict(counts)
    excluded["no_successors"] = len(has) - int(np.count_nonzero(has))
    excluded["roots_dropped"] = 0 if include_roots else int(np.count_nonzero(has & root))
    keep = np.flatnonzero(has if include_roots else has & ~root)
    rows = {"focal": focal[keep], "n_i": n_i[keep], "n_j": n_j[keep], "n_k": n_k[keep]}
    value = index_from_components(variant, rows["n_i"], rows["n_j"], rows["n_k"])
    rows["mdi"] = value
    rows["is_root"] = root[keep]
    undefined = int(np.isnan(value).sum())
    excluded["undefined"] = undefined
    excluded["scored"] = int(len(value) - undefined)
    return rows, excluded


def _params(variant, window_days, relations, include_roots, predecessors) -> dict:
    return {
        "variant": variant,
        "window_days": window_days,
        "relations": None if relations is None else list(relations),
        "include_roots": include_roots,
        "predecessors": predecessors,
    }


def mdi(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    variant: str = "cd",
    window_days: float = 90,
    relations: Iterable[str] | None = None,
    include_roots: bool = True,
    predecessors: str = "parents",
    graph: MdiGraph | None = None,
    censor_days: float | None = None,
) -> pd.DataFrame:
    """The Model Disruption Index of every focal model with a successor in its window.

    Returns one row per focal model F that has at least one successor S created in
    (t_F, t_F + ``window_days``]: ``model_id``, ``n_i``, ``n_j``, ``n_k``, ``mdi`` (NaN when the
    variant's denominator is 0), ``is_root`` (P(F) empty in the MDI graph),
    ``declares_parent`` and ``model_row`` (the focal model's row in ``models``: joins without
    hashing ids).  ``variant`` is one of :data:`VARIANTS`; ``relations`` keeps only edges
    of those relations (None = all); ``predecessors`` ("parents" or "ancestors") sets P(F) for
    the ``ancestral`` variant.  ``graph`` reuses an :class:`MdiGraph` built from the same
    ``models``, ``edges`` and ``relations``.  ``censor_days`` (default: ``window_days``)
    censors focal models created less than that many days before the snapshot: set it to the
    longest window when comparing windows, so that every window scores the same focal models.

    ``result.attrs["excluded"]`` counts models with an unreliable date, censored windows, focal
    models without successors, roots dropped, undefined values and scored rows;
    ``result.attrs["edges"]`` counts edges by why they were used or dropped.
    """
    check_choice("variant", variant, VARIANTS)
    out = mdi_all(
        models,
        edges,
        variants=(variant,),
        window_days=window_days,
        relations=relations,
        include_roots=include_roots,
        predecessors=predecessors,
        graph=graph,
        censor_days=censor_days,
    )
    attrs = dict(out.attrs)
    out = out.drop(columns="variant")
    out.attrs = attrs
    return out


def mdi_all(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    variants: Sequence[str] = VARIANTS,
    window_days: float = 90,
    relations: Iterable[str] | None = None,
    include_roots: bool = True,
    predecessors: str = "parents",
    graph: MdiGraph | None = None,
    censor_days: float | None = None,
) -> pd.DataFrame:
    """The MDI under several variants at once, sharing the graph, the windows and the components
    (``cd``, ``cd_nok`` and ``sibling`` use the same direct n_i, n_j, n_k).

    Returns the rows of :func:`mdi` for every variant stacked, with a ``variant`` column;
    ``attrs["excluded"]`` maps each variant to its counts, ``attrs["edges"]`` counts edges.
    """
    variants = tuple(variants)
    for v in variants:
        check_choice("variant", v, VARIANTS)
    check_choice("predecessors", predecessors, PREDECESSORS)
    relations = check_relations(relations)
    if graph is None:
        graph = MdiGraph.from_frames(models, edges, relations)
    elif graph.relations != relations:
        raise ParameterError(
            f"graph was built with relations={graph.relations!r}, not {relations!r}"
        )
    focal, lo, hi, counts = graph.window(window_days, censor_days)
    root = graph.n_parents[focal] == 0
    parts, excluded = [], {}
    direct = None
    for v in variants:
        if v == "ancestral":
            comps = _ancestral_components(graph, focal, lo, hi, predecessors)
        else:
            if direct is None:
                direct = _direct_components(graph, focal, lo, hi)
            comps = direct
        rows, excluded[v] = _rows(v, focal, comps, root, counts, include_roots)
        parts.append(rows)
    # one frame for all variants (ids taken once, no concatenation of frames)
    col = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    sizes = [len(p["focal"]) for p in parts]
    codes = np.repeat(np.arange(len(variants), dtype=np.int8), sizes)
    out = pd.DataFrame(
        {
            "variant": pd.Categorical.from_codes(codes, categories=list(variants)),
            "model_id": graph.ids_at(col["focal"]),
            "n_i": col["n_i"].astype(np.int64),
            "n_j": col["n_j"].astype(np.int64),
            "n_k": col["n_k"].astype(np.int64),
            "mdi": col["mdi"].astype(float),
            "is_root": col["is_root"].astype(bool),
            "declares_parent": graph.declares_parent[col["focal"]],
            "model_row": graph.row_of[col["focal"]],
        }
    )
    if len(variants) == 1:
        out.attrs["excluded"] = excluded[variants[0]]
    else:
        out.attrs["excluded"] = excluded
    out.attrs["edges"] = dict(graph.edge_counts)
    out.attrs["params"] = _params(
        variants[0] if len(variants) == 1 else list(variants),
        window_days,
        relations,
        include_roots,
        predecessors,
    )
    out.attrs["params"]["censor_days"] = window_days if censor_days is None else censor_days
    return out


def exclusion_table(result: pd.DataFrame) -> pd.DataFrame:
    """The ``attrs["excluded"]`` counts of an :func:`mdi` / :func:`mdi_all` result as a table,
    one row per variant: models, unreliable dates, censored windows, focal models, focal models
    without successors, roots dropped, undefined values, scored rows.
    """
    ex = result.attrs.get("excluded")
    if ex is None:
        raise HflineageError("result has no attrs['excluded']: pass the frame mdi() returned")
    if "models" in ex:  # a single variant
        ex = {result.attrs.get("params", {}).get("variant", "mdi"): ex}
    return pd.DataFrame.from_dict(ex, orient="index").rename_axis("variant").reset_index()
