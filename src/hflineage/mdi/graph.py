"""The MDI graph: timed, acyclic parent->child arrays in CSR form that every MDI variant reads, and
the sorted-array primitives (range counts, membership, unions) the engine is built from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..data.schema import RELATIONS, snapshot_date, unique_sorted
from ..errors import HflineageError, ParameterError, check_choice

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
    keys = unique_sorted(rows.astype(np.int64) * n + cols.astype(np.int64))
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
    in the CSR's ``indices``.
    """
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
    budget: int | None = None,
) -> np.ndarray:
    """For each focal i < k: the number of *distinct* members m with lo[i] <= m < hi[i] over the
    member lists of its sources (``source[j]`` belongs to focal ``owner[j]``, owner sorted).

    One source: a segment count.  Several sources: the window slices are materialised as
    (focal, member) keys and de-duplicated, in chunks of at most ``budget`` pairs.
    """
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
    budget = PAIR_BUDGET if budget is None else budget  # read at call time (tests lower it)
    chunk_of_focal = cum // max(budget, 1)
    chunk = chunk_of_focal[owner[multi]]
    for c in np.unique(chunk):
        sel = multi[chunk == c]
        own_idx, pos = _expand(start[sel], cnt[sel])
        foc = owner[sel][own_idx]
        pair = unique_sorted(foc * n + members.indices[pos].astype(np.int64))
        out += np.bincount(pair // n, minlength=k)
    return out


# ------------------------------------------------------------------------------------------------
# The MDI graph
# ------------------------------------------------------------------------------------------------
def _arrow_strings(values: pd.Series) -> pa.Array:
    """A pandas column of ids as one Arrow large_string array (no Python objects for Arrow-backed
    columns).
    """
    array = values.array
    if hasattr(array, "_pa_array"):
        chunked = array._pa_array
    else:
        chunked = pa.chunked_array([pa.array(np.asarray(values, dtype=object))])
    return chunked.cast(pa.large_string()).combine_chunks()


@dataclass
class MdiGraph:
    """The lineage graph prepared for the MDI: models in creation-time order, usable edges.

    Positions are ranks in creation-time order (ties broken by row order), so a CSR row with
    sorted column indices lists models in time order and a time window is a range of positions.
    Build it with :meth:`from_frames`; pass it to :func:`mdi` / :func:`mdi_all` as ``graph=`` to
    reuse it across windows or variants.
    """

    ids: pa.Array  #: model ids in time order (Arrow strings)
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
        """Number of models (nodes)."""
        return len(self.ids)

    @property
    def model_id(self) -> np.ndarray:
        """Model ids in time order as a numpy object array (made once, on first use)."""
        return self._get("model_id", lambda: self.ids.to_numpy(zero_copy_only=False))

    def ids_at(self, positions: np.ndarray) -> pd.Series:
        """Model ids at time-order ``positions`` as a string Series (no numpy object array)."""
        taken = self.ids.take(pa.array(np.asarray(positions, dtype=np.int64)))
        return pd.Series(taken, dtype=pd.ArrowDtype(pa.large_string())).astype("str")

    @classmethod
    def from_frames(
        cls, models: pd.DataFrame, edges: pd.DataFrame, relations: Iterable[str] | None = None
    ) -> MdiGraph:
        """Prepare the MDI graph from the models table and the lineage edges (rules in the
        module docstring).
        """
        _require(models, MODEL_REQUIRED, "models")
        _require(edges, EDGE_REQUIRED, "edges")
        relations = _check_relations(relations)
        ids = _arrow_strings(models["model_id"])
        n, n_e = len(ids), len(edges)
        # one hash pass over the model ids and every child and parent id (Arrow, no Python
        # objects): codes follow first appearance, so the ids are unique exactly when the first
        # n codes are 0..n-1, and an edge id with a code below n is the model in that row
        codes = pc.dictionary_encode(
            pa.concat_arrays([ids, _arrow_strings(edges["child"]), _arrow_strings(edges["parent"])])
        ).indices.to_numpy(zero_copy_only=False)
        codes = np.asarray(codes, dtype=np.int64)
        if not np.array_equal(codes[:n], np.arange(n)):
            raise HflineageError("models: duplicate model_id; expected one row per model")
        rows = np.where(codes[n:] < n, codes[n:], -1)
        child_row, parent_row = rows[:n_e], rows[n_e:]
        t = _micros(models["created_at"])
        order = np.lexsort((np.arange(n), t))
        pos_of_row = np.empty(n, dtype=np.int64)
        pos_of_row[order] = np.arange(n)
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
        n_unique = len(unique_sorted(c * n + p))
        counts = {
            "edges": len(edges),
            "child_not_in_models": int((~known_child).sum()),
            "parent_not_in_snapshot": int((known_child & ~in_snap).sum()),
            "parent_younger": int((known_child & in_snap & younger).sum()),
            "relation_excluded": int((known_child & in_snap & ~younger & ~rel_ok).sum()),
            "self_loop": int((~not_self).sum()),
            "duplicate": int(len(c) - n_unique),
        }
        cycle = _on_cycle(c, p, t[order], n)
        counts["cycle"] = int(len(unique_sorted((c * n + p)[cycle])))
        c, p = c[~cycle], p[~cycle]
        A = _csr_from_pairs(c, p, n)
        counts["used"] = int(A.nnz)
        return cls(
            ids=ids.take(pa.array(order)),
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
        """Sorted (child, parent) keys of the parent matrix, for membership tests."""
        return self._get("parent_keys", lambda: _keys(self.parents))

    @property
    def n_parents(self) -> np.ndarray:
        """Number of predecessors of each model in the MDI graph."""
        return np.diff(self.parents.indptr)

    def _members(self, m: sp.csr_array) -> tuple[sp.csr_array, np.ndarray]:
        """Transpose of a child→X relation, keeping only members with a reliable date."""
        coo = m.tocoo()
        ok = self.reliable[coo.row]
        t = _csr_from_pairs(coo.col[ok], coo.row[ok], self.n)
        return t, _keys(t)

    @property
    def children(self) -> tuple[sp.csr_array, np.ndarray]:
        """Parent → children (reliable dates only), children in time order; and its keys."""
        return self._get("children", lambda: self._members(self.parents))

    @property
    def ancestors(self) -> sp.csr_array:
        """Model → all its ancestors (any depth), n × n."""
        return self._get("ancestors", lambda: _reachability(self.parents))

    @property
    def ancestor_keys(self) -> np.ndarray:
        """Sorted (model, ancestor) keys of the ancestry matrix, for membership tests."""
        return self._get("ancestor_keys", lambda: _keys(self.ancestors))

    @property
    def descendants(self) -> tuple[sp.csr_array, np.ndarray]:
        """Model → all its descendants (reliable dates only), in time order; and its keys."""
        return self._get("descendants", lambda: self._members(self.ancestors))

    def window(
        self, window_days: float, censor_days: float | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
        """Focal positions and their successor windows as position ranges [lo, hi).

        A focal model is censored when ``censor_days`` (default: the window) after its creation
        passes the snapshot.
        """
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


def _on_cycle(c: np.ndarray, p: np.ndarray, times: np.ndarray, n: int) -> np.ndarray:
    """Per edge (child position ``c`` → parent position ``p``): whether it lies on a directed
    cycle (same-microsecond models declaring each other).

    When no edge points to a younger parent (what ``from_frames`` keeps), a cycle can only join
    models created at the same time, so strong components are computed on the equal-time edges
    alone (a handful) instead of the whole graph; otherwise on all edges.
    """
    cycle = np.zeros(len(c), dtype=bool)
    if len(c) == 0:
        return cycle
    tc, tp = times[c], times[p]
    sub = np.flatnonzero(tc == tp) if bool(np.all(tp <= tc)) else np.arange(len(c))
    if len(sub) == 0:
        return cycle
    m = sp.csr_array((np.ones(len(sub), dtype=np.int8), (c[sub], p[sub])), shape=(n, n))
    n_comp, label = connected_components(m, directed=True, connection="strong")
    if n_comp < n:
        cycle[sub] = label[c[sub]] == label[p[sub]]
    return cycle


def _reachability(A: sp.csr_array) -> sp.csr_array:
    """Ancestors at any depth: the union of A, A², A³, … as a binary CSR (A must be a DAG).

    Walks paths by length, keeping only the rows that still have a frontier; the number of
    sparse products is the length of the longest chain.  Values are float path counts reset to 1
    after each product (float sums of positive counts never cancel to an implicit zero).
    """
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
