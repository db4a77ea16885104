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

- **The MDI graph.**  From the lineage edges (:func:`hflineage.lineage.build_edges`) it keeps the
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
  (:func:`hflineage.data.snapshot_date`).  Models with unreliable dates are never successors
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

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .data import RELATIONS, snapshot_date
from .errors import HflineageError, ParameterError, check_choice

VARIANTS = ("cd", "cd_nok", "ancestral", "sibling")
PREDECESSORS = ("parents", "ancestors")
#: The variant the book reports when it shows one: chapter 3 picks the variant that reproduces
#: most of the paper's stylised facts on the embedded snapshot (ties go to the variant listed
#: first in :data:`VARIANTS`, the literal index first) and checks this constant against it.
BOOK_VARIANT = "sibling"
EDGE_REQUIRED = ("child", "parent", "relation", "parent_in_snapshot", "parent_younger")
MODEL_REQUIRED = ("model_id", "created_at", "created_at_reliable")
RESULT_COLUMNS = ("model_id", "n_i", "n_j", "n_k", "mdi", "is_root", "declares_parent")
#: Largest number of (focal, successor) pairs materialised at once when counting the distinct
#: successors of a focal model with several predecessors (memory: ~16 bytes per pair).
PAIR_BUDGET = 20_000_000
_US_PER_DAY = 86_400 * 1_000_000


# ------------------------------------------------------------------------------------------------
# Input checks and time handling
# ------------------------------------------------------------------------------------------------
def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise HflineageError(
            f"{what}: missing column {missing[0]!r}; expected at least {', '.join(columns)}"
        )


def _micros(values: pd.Series) -> np.ndarray:
    """UTC microseconds since the epoch as int64 (tz-naive times are taken as UTC)."""
    s = pd.Series(values)
    if s.isna().any():
        raise HflineageError(f"models: {int(s.isna().sum())} rows have no 'created_at'")
    s = pd.to_datetime(s, utc=True).dt.as_unit("us")
    return s.astype("int64").to_numpy()


def _timestamp_us(moment: pd.Timestamp) -> int:
    """UTC microseconds since the epoch of one timestamp (tz-naive taken as UTC)."""
    moment = pd.Timestamp(moment)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return int(moment.value // 1000)  # .value is always nanoseconds


def _window_us(window_days: float) -> int:
    if not np.isfinite(window_days) or window_days <= 0:
        raise ParameterError(f"window_days must be a positive number of days, got {window_days!r}")
    return int(round(window_days * _US_PER_DAY))


def _check_relations(relations: Iterable[str] | None) -> tuple[str, ...] | None:
    if relations is None:
        return None
    if isinstance(relations, str):
        relations = (relations,)
    relations = tuple(relations)
    for rel in relations:
        check_choice("relations", rel, RELATIONS)
    return relations


# ------------------------------------------------------------------------------------------------
# Sparse helpers (all vectorised)
# ------------------------------------------------------------------------------------------------
def _csr_from_pairs(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_array:
    """Binary n×n CSR with sorted, unique column indices in every row."""
    keys = np.unique(rows.astype(np.int64) * n + cols.astype(np.int64))
    r, c = np.divmod(keys, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    idx = np.int32 if max(n, len(c)) < np.iinfo(np.int32).max else np.int64
    data = np.ones(len(c), dtype=np.float32)
    return sp.csr_array((data, c.astype(idx), indptr.astype(idx)), shape=(n, n))


def _keys(m: sp.csr_array) -> np.ndarray:
    """Globally sorted int64 keys ``row * ncols + col`` of a CSR with sorted indices."""
    n = m.shape[1]
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    return rows * n + m.indices.astype(np.int64)


def _range_count(
    keys: np.ndarray, ncols: int, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each i: how many columns of row ``rows[i]`` lie in [lo[i], hi[i]), and where they start
    in the CSR's ``indices``."""
    base = rows.astype(np.int64) * ncols
    start = np.searchsorted(keys, base + lo, side="left")
    stop = np.searchsorted(keys, base + hi, side="left")
    return stop - start, start


def _expand(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ranges [start_i, start_i + count_i) as flat (owner i, position) arrays."""
    count = count.astype(np.int64)
    total = int(count.sum())
    owner = np.repeat(np.arange(len(count), dtype=np.int64), count)
    first = np.cumsum(count) - count
    pos = np.arange(total, dtype=np.int64) - first[owner] + start.astype(np.int64)[owner]
    return owner, pos


def _contains(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Membership of ``query`` keys in sorted ``keys``."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=bool)
    at = np.searchsorted(keys, query)
    at = np.minimum(at, len(keys) - 1)
    return keys[at] == query


def _union_count(
    members: sp.csr_array,
    member_keys: np.ndarray,
    owner: np.ndarray,
    source: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    k: int,
    budget: int = PAIR_BUDGET,
) -> np.ndarray:
    """For each focal i < k: the number of *distinct* members m with lo[i] <= m < hi[i] over the
    member lists of its sources (``source[j]`` belongs to focal ``owner[j]``, owner sorted).

    One source: a segment count.  Several sources: the window slices are materialised as
    (focal, member) keys and de-duplicated, in chunks of at most ``budget`` pairs."""
    n = members.shape[1]
    cnt, start = _range_count(member_keys, n, source, lo[owner], hi[owner])
    n_src = np.bincount(owner, minlength=k)
    out = np.bincount(owner, weights=cnt, minlength=k).astype(np.int64)
    multi = np.flatnonzero((n_src[owner] > 1) & (cnt > 0))
    if len(multi) == 0:
        return out
    focal_multi = np.flatnonzero(n_src > 1)
    out[focal_multi] = 0
    per_focal = np.bincount(owner[multi], weights=cnt[multi], minlength=k).astype(np.int64)
    # chunk boundaries at focal boundaries: cumulative pair count over focal models
    cum = np.cumsum(per_focal)
    chunk_of_focal = cum // max(budget, 1)
    chunk = chunk_of_focal[owner[multi]]
    for c in np.unique(chunk):
        sel = multi[chunk == c]
        own_idx, pos = _expand(start[sel], cnt[sel])
        foc = owner[sel][own_idx]
        pair = np.unique(foc * n + members.indices[pos].astype(np.int64))
        out += np.bincount(pair // n, minlength=k)
    return out


# ------------------------------------------------------------------------------------------------
# The MDI graph
# ------------------------------------------------------------------------------------------------
@dataclass
class MdiGraph:
    """The lineage graph prepared for the MDI: models in creation-time order, usable edges.

    Positions are ranks in creation-time order (ties broken by row order), so a CSR row with
    sorted column indices lists models in time order and a time window is a range of positions.
    Build it with :meth:`from_frames`; pass it to :func:`mdi` / :func:`mdi_all` as ``graph=`` to
    reuse it across windows or variants.
    """

    model_id: np.ndarray  #: model ids in time order
    times: np.ndarray  #: creation time (UTC µs), ascending
    reliable: np.ndarray  #: creation date reliable
    declares_parent: np.ndarray  #: declares at least one base model (any resolution)
    parents: sp.csr_array  #: child → parent (usable edges), n × n
    snapshot_us: int  #: snapshot time (UTC µs)
    relations: tuple[str, ...] | None
    edge_counts: dict[str, int]
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.model_id)

    @classmethod
    def from_frames(
        cls, models: pd.DataFrame, edges: pd.DataFrame, relations: Iterable[str] | None = None
    ) -> MdiGraph:
        """Prepare the MDI graph from the models table and the lineage edges (rules in the
        module docstring)."""
        _require(models, MODEL_REQUIRED, "models")
        _require(edges, EDGE_REQUIRED, "edges")
        relations = _check_relations(relations)
        ids = models["model_id"].astype(str).to_numpy(object)
        t = _micros(models["created_at"])
        order = np.lexsort((np.arange(len(t)), t))
        pos_of_row = np.empty(len(t), dtype=np.int64)
        pos_of_row[order] = np.arange(len(t))
        index = pd.Index(ids)
        if not index.is_unique:
            raise HflineageError("models: duplicate model_id; expected one row per model")
        n = len(ids)

        child_row = index.get_indexer(edges["child"].astype(str))
        parent_row = index.get_indexer(edges["parent"].astype(str))
        in_snap = edges["parent_in_snapshot"].fillna(False).to_numpy(bool) & (parent_row >= 0)
        younger = edges["parent_younger"].fillna(False).to_numpy(bool)
        known_child = child_row >= 0
        rel_ok = (
            np.ones(len(edges), dtype=bool)
            if relations is None
            else edges["relation"].isin(relations).fillna(False).to_numpy(bool)
        )
        declares = np.zeros(n, dtype=bool)
        declares[pos_of_row[child_row[known_child]]] = True
        keep = known_child & in_snap & ~younger & rel_ok
        c = pos_of_row[child_row[keep]]
        p = pos_of_row[parent_row[keep]]
        not_self = c != p
        c, p = c[not_self], p[not_self]
        n_unique = len(np.unique(c * n + p))
        counts = {
            "edges": len(edges),
            "child_not_in_models": int((~known_child).sum()),
            "parent_not_in_snapshot": int((known_child & ~in_snap).sum()),
            "parent_younger": int((known_child & in_snap & younger).sum()),
            "relation_excluded": int((known_child & in_snap & ~younger & ~rel_ok).sum()),
            "self_loop": int((~not_self).sum()),
            "duplicate": int(len(c) - n_unique),
        }
        # break surviving cycles (same-microsecond models declaring each other)
        cycle = np.zeros(len(c), dtype=bool)
        if len(c):
            m = sp.csr_array((np.ones(len(c), dtype=np.int8), (c, p)), shape=(n, n))
            n_comp, label = connected_components(m, directed=True, connection="strong")
            if n_comp < n:
                cycle = label[c] == label[p]
        counts["cycle"] = int(len(np.unique((c * n + p)[cycle])))
        c, p = c[~cycle], p[~cycle]
        A = _csr_from_pairs(c, p, n)
        counts["used"] = int(A.nnz)
        return cls(
            model_id=ids[order],
            times=t[order],
            reliable=models["created_at_reliable"].fillna(False).to_numpy(bool)[order],
            declares_parent=declares,
            parents=A,
            snapshot_us=_timestamp_us(snapshot_date(models)),
            relations=relations,
            edge_counts=counts,
        )

    # -- derived structures, built once ----------------------------------------------------------
    def _get(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def parent_keys(self) -> np.ndarray:
        return self._get("parent_keys", lambda: _keys(self.parents))

    @property
    def n_parents(self) -> np.ndarray:
        return np.diff(self.parents.indptr)

    def _members(self, m: sp.csr_array) -> tuple[sp.csr_array, np.ndarray]:
        """Transpose of a child→X relation, keeping only members with a reliable date."""
        coo = m.tocoo()
        ok = self.reliable[coo.row]
        t = _csr_from_pairs(coo.col[ok], coo.row[ok], self.n)
        return t, _keys(t)

    @property
    def children(self) -> tuple[sp.csr_array, np.ndarray]:
        """parent → children (reliable dates only), children in time order; and its keys."""
        return self._get("children", lambda: self._members(self.parents))

    @property
    def ancestors(self) -> sp.csr_array:
        """model → all its ancestors (any depth), n × n."""
        return self._get("ancestors", lambda: _reachability(self.parents))

    @property
    def ancestor_keys(self) -> np.ndarray:
        return self._get("ancestor_keys", lambda: _keys(self.ancestors))

    @property
    def descendants(self) -> tuple[sp.csr_array, np.ndarray]:
        """model → all its descendants (reliable dates only), in time order; and its keys."""
        return self._get("descendants", lambda: self._members(self.ancestors))

    def window(
        self, window_days: float, censor_days: float | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
        """Focal positions and their successor windows as position ranges [lo, hi).

        A focal model is censored when ``censor_days`` (default: the window) after its creation
        passes the snapshot."""
        w = _window_us(window_days)
        c = w if censor_days is None else _window_us(censor_days)
        if c < w:
            raise ParameterError(
                f"censor_days ({censor_days}) must be at least window_days ({window_days})"
            )
        censored = self.reliable & (self.times + c > self.snapshot_us)
        focal = np.flatnonzero(self.reliable & ~censored)
        t = self.times[focal]
        lo = np.searchsorted(self.times, t, side="right")
        hi = np.searchsorted(self.times, t + w, side="right")
        counts = {
            "models": self.n,
            "unreliable_date": int((~self.reliable).sum()),
            "censored": int(censored.sum()),
            "focal": len(focal),
        }
        return focal, lo, hi, counts


def _reachability(A: sp.csr_array) -> sp.csr_array:
    """Ancestors at any depth: the union of A, A², A³, … as a binary CSR (A must be a DAG).

    Walks paths by length, keeping only the rows that still have a frontier; the number of
    sparse products is the length of the longest chain.  Values are float path counts reset to 1
    after each product (float sums of positive counts never cancel to an implicit zero)."""
    n = A.shape[0]
    rows = np.flatnonzero(np.diff(A.indptr) > 0)
    front = A[rows]
    found_r = [rows[np.repeat(np.arange(len(rows)), np.diff(front.indptr))]]
    found_c = [front.indices.astype(np.int64)]
    for _ in range(n):
        nxt = front @ A
        nxt.sum_duplicates()
        nxt.data[:] = 1
        keep = np.flatnonzero(np.diff(nxt.indptr) > 0)
        if len(keep) == 0:
            break
        rows = rows[keep]
        front = nxt[keep]
        found_r.append(rows[np.repeat(np.arange(len(rows)), np.diff(front.indptr))])
        found_c.append(front.indices.astype(np.int64))
    else:  # pragma: no cover - from_frames breaks every cycle
        raise HflineageError("lineage graph has a cycle; ancestry is undefined")
    return _csr_from_pairs(np.concatenate(found_r), np.concatenate(found_c), n)


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
    cnt_c, start_c = _range_count(ckeys, n, focal, lo, hi)
    pair_owner, pos = _expand(start_c, cnt_c)
    succ = C.indices[pos].astype(np.int64)
    # n_j: children S of F that also declare one of F's parents (triangles S→F→p, S→p)
    f_of_pair = focal[pair_owner]
    tri_pair, ppos = _expand(A.indptr[f_of_pair], deg[f_of_pair])
    hit = _contains(g.parent_keys, succ[tri_pair] * n + A.indices[ppos])
    pair_hit = np.bincount(tri_pair[hit], minlength=len(succ)) > 0
    n_j = np.bincount(pair_owner[pair_hit], minlength=k).astype(np.int64)
    n_i = cnt_c - n_j
    # n_k: distinct S in the window that declare some parent of F, minus those counted in n_j
    src_owner, spos = _expand(A.indptr[focal], deg[focal])
    union = _union_count(C, ckeys, src_owner, A.indices[spos], lo, hi, k)
    return n_i, n_j, union - n_j


def _ancestral_components(
    g: MdiGraph, focal, lo, hi, predecessors: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n_i, n_j, n_k with "builds on" = is a descendant of.

    Every descendant of F is a descendant of each of F's parents, so for a non-root F all of
    its windowed descendants are n_j and n_i = 0; n_k is the number of distinct windowed
    descendants of F's predecessors minus F's own.  The union over predecessors only needs the
    maximal ones: a parent that descends from another parent of F adds nobody (for
    ``predecessors="ancestors"`` the maximal ancestors are F's ancestors without parents)."""
    n, k = g.n, len(focal)
    D, dkeys = g.descendants
    A = g.parents
    anc, akeys = g.ancestors, g.ancestor_keys
    cnt_d, _ = _range_count(dkeys, n, focal, lo, hi)
    root = g.n_parents[focal] == 0
    if predecessors == "parents":
        own, pos = _expand(A.indptr[focal], g.n_parents[focal])
        src = A.indices[pos].astype(np.int64)
        # drop a parent p if another parent q of the same focal model is an ancestor of p
        multi = np.flatnonzero(np.bincount(own, minlength=k)[own] > 1)
        if len(multi):
            start = A.indptr[focal][own[multi]]
            cnt = g.n_parents[focal][own[multi]]
            j, qpos = _expand(start, cnt)
            p_of, q_of = src[multi][j], A.indices[qpos].astype(np.int64)
            covered = (p_of != q_of) & _contains(akeys, p_of * n + q_of)
            drop = multi[np.bincount(j[covered], minlength=len(multi)) > 0]
            keep = np.ones(len(src), dtype=bool)
            keep[drop] = False
            own, src = own[keep], src[keep]
    else:
        own, pos = _expand(anc.indptr[focal], np.diff(anc.indptr)[focal])
        src = anc.indices[pos].astype(np.int64)
        top = g.n_parents[src] == 0
        own, src = own[top], src[top]
    union = _union_count(D, dkeys, own, src, lo, hi, k)
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


def _frame(
    g: MdiGraph,
    variant: str,
    focal,
    comps,
    counts: dict,
    include_roots: bool,
) -> pd.DataFrame:
    n_i, n_j, n_k = comps
    has = (n_i + n_j + n_k) > 0
    root = g.n_parents[focal] == 0
    excluded = dict(counts)
    excluded["no_successors"] = int((~has).sum())
    excluded["roots_dropped"] = 0 if include_roots else int((has & root).sum())
    keep = has & (include_roots | ~root)
    f = focal[keep]
    out = pd.DataFrame(
        {
            "model_id": g.model_id[f],
            "n_i": n_i[keep],
            "n_j": n_j[keep],
            "n_k": n_k[keep],
            "mdi": index_from_components(variant, n_i[keep], n_j[keep], n_k[keep]),
            "is_root": root[keep],
            "declares_parent": g.declares_parent[f],
        }
    )
    excluded["undefined"] = int(out["mdi"].isna().sum())
    excluded["scored"] = int(out["mdi"].notna().sum())
    out.attrs["excluded"] = excluded
    return out


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
    variant's denominator is 0), ``is_root`` (P(F) empty in the MDI graph) and
    ``declares_parent``.  ``variant`` is one of :data:`VARIANTS`; ``relations`` keeps only edges
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
    relations = _check_relations(relations)
    if graph is None:
        graph = MdiGraph.from_frames(models, edges, relations)
    elif graph.relations != relations:
        raise ParameterError(
            f"graph was built with relations={graph.relations!r}, not {relations!r}"
        )
    focal, lo, hi, counts = graph.window(window_days, censor_days)
    frames, excluded = [], {}
    direct = None
    for v in variants:
        if v == "ancestral":
            comps = _ancestral_components(graph, focal, lo, hi, predecessors)
        else:
            if direct is None:
                direct = _direct_components(graph, focal, lo, hi)
            comps = direct
        fr = _frame(graph, v, focal, comps, counts, include_roots)
        excluded[v] = fr.attrs["excluded"]
        fr.insert(0, "variant", v)
        frames.append(fr)
    out = pd.concat(frames, ignore_index=True)
    out["variant"] = pd.Categorical(out["variant"], categories=list(variants))
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
    without successors, roots dropped, undefined values, scored rows."""
    ex = result.attrs.get("excluded")
    if ex is None:
        raise HflineageError("result has no attrs['excluded']: pass the frame mdi() returned")
    if "models" in ex:  # a single variant
        ex = {result.attrs.get("params", {}).get("variant", "mdi"): ex}
    return pd.DataFrame.from_dict(ex, orient="index").rename_axis("variant").reset_index()


# ------------------------------------------------------------------------------------------------
# Reference implementation (plain Python sets) — for tests and benchmarks only
# ------------------------------------------------------------------------------------------------
def mdi_reference(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    variant: str = "cd",
    window_days: float = 90,
    relations: Iterable[str] | None = None,
    include_roots: bool = True,
    predecessors: str = "parents",
    focal_ids: Iterable[str] | None = None,
    censor_days: float | None = None,
) -> pd.DataFrame:
    """The MDI computed literally from the definition with Python sets, one focal model at a
    time.  Slow; it exists to check :func:`mdi` (same arguments, same rows and columns).
    ``focal_ids`` restricts the focal models (for timing on a subsample); ``attrs["timing"]``
    splits the run into the one-off set-up and the per-focal loop."""
    import networkx as nx

    started = time.perf_counter()
    check_choice("variant", variant, VARIANTS)
    check_choice("predecessors", predecessors, PREDECESSORS)
    relations = _check_relations(relations)
    ids = [str(x) for x in models["model_id"]]
    when = dict(zip(ids, pd.to_datetime(models["created_at"], utc=True), strict=True))
    reliable = dict(zip(ids, models["created_at_reliable"].fillna(False), strict=True))
    known = set(ids)
    window = timedelta(days=window_days)
    censor = window if censor_days is None else timedelta(days=censor_days)
    snap = snapshot_date(models)

    # the MDI graph: usable edges only
    parents: dict[str, set[str]] = {m: set() for m in ids}
    declares: set[str] = set()
    for row in edges.itertuples(index=False):
        child, parent = str(row.child), str(row.parent)
        if child not in known:
            continue
        declares.add(child)
        if not bool(row.parent_in_snapshot) or parent not in known or child == parent:
            continue
        if bool(row.parent_younger):
            continue
        if relations is not None and row.relation not in relations:
            continue
        parents[child].add(parent)
    dg = nx.DiGraph((c, p) for c, ps in parents.items() for p in ps)
    for comp in nx.strongly_connected_components(dg):
        if len(comp) > 1:
            for c in comp:
                parents[c] -= comp

    ancestors: dict[str, set[str]] = {}

    def ancestors_of(m: str) -> set[str]:
        if m not in ancestors:
            found: set[str] = set()
            stack = list(parents[m])
            while stack:
                x = stack.pop()
                if x not in found:
                    found.add(x)
                    stack.extend(parents[x])
            ancestors[m] = found
        return ancestors[m]

    ancestral = variant == "ancestral"
    builds_on = {s: (ancestors_of(s) if ancestral else parents[s]) for s in ids}
    followers: dict[str, set[str]] = defaultdict(set)
    for s, xs in builds_on.items():
        for x in xs:
            followers[x].add(s)

    setup_done = time.perf_counter()
    counts = {"models": len(ids), "unreliable_date": 0, "censored": 0, "focal": 0}
    counts["unreliable_date"] = sum(not reliable[m] for m in ids)
    counts["censored"] = sum(bool(reliable[m] and when[m] + censor > snap) for m in ids)
    rows = []
    no_succ = dropped = 0
    candidates = ids if focal_ids is None else [str(x) for x in focal_ids]
    for f in candidates:
        t_f = when[f]
        if not reliable[f] or t_f + censor > snap:
            continue
        counts["focal"] += 1
        all_anc = ancestral and predecessors == "ancestors"
        preds = ancestors_of(f) if all_anc else parents[f]
        pool = set(followers[f])
        for p in preds:
            pool |= followers[p]
        succ = [s for s in pool if reliable[s] and t_f < when[s] <= t_f + window]
        n_i = sum(1 for s in succ if f in builds_on[s] and not (builds_on[s] & preds))
        n_j = sum(1 for s in succ if f in builds_on[s] and (builds_on[s] & preds))
        n_k = sum(1 for s in succ if f not in builds_on[s] and (builds_on[s] & preds))
        if n_i + n_j + n_k == 0:
            no_succ += 1
            continue
        is_root = not parents[f]
        if is_root and not include_roots:
            dropped += 1
            continue
        if variant == "cd_nok":
            num, den = n_i - n_j, n_i + n_j
        elif variant == "sibling":
            num, den = n_i - n_k, n_i + n_j + n_k
        else:
            num, den = n_i - n_j, n_i + n_j + n_k
        rows.append(
            {
                "model_id": f,
                "n_i": n_i,
                "n_j": n_j,
                "n_k": n_k,
                "mdi": num / den if den else float("nan"),
                "is_root": is_root,
                "declares_parent": f in declares,
            }
        )
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    counts.update(
        no_successors=no_succ,
        roots_dropped=dropped,
        undefined=int(out["mdi"].isna().sum()),
        scored=int(out["mdi"].notna().sum()),
    )
    out.attrs["excluded"] = counts
    out.attrs["timing"] = {
        "setup_s": setup_done - started,
        "focal_s": time.perf_counter() - setup_done,
    }
    return out


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
    these)."""
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
    order)."""
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
    share shocks.  Indexed by ``model_id`` (time order)."""
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
    almost never negative."""
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
