"""The MDI graph: timed, acyclic parent->child arrays in CSR form that every MDI variant reads, and
the sorted-array primitives (range counts, membership, unions) the engine is built from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..config import DAY_US
from ..data.schema import frame_edge_rows, snapshot_date, unique_sorted
from ..errors import HflineageError, ParameterError
from ..lineage import checks as lineage_checks
from ..lineage.checks import GRAPH_EDGE_COLUMNS, check_edges

VARIANTS = ("cd", "cd_nok", "ancestral", "sibling")


#: The MDI every verdict uses: the literal index (the CD index with "cites" read as "declares as
#: base model"), the one the literature defines.  The other variants are readings reported beside
#: it ("which reading would reproduce the paper"), never the verdict.
PRIMARY_VARIANT = "cd"


#: Roots of the MDI graph score +1 whenever they have a successor (Holst et al.'s zero-reference
#: trap), so the primary sample leaves them out.
PRIMARY_INCLUDE_ROOTS = False


PREDECESSORS = ("parents", "ancestors")


#: The edge columns the graph reads (the lineage package's graph edge columns).
EDGE_REQUIRED = GRAPH_EDGE_COLUMNS


MODEL_REQUIRED = ("model_id", "created_at", "created_at_reliable")


RESULT_COLUMNS = ("model_id", "n_i", "n_j", "n_k", "mdi", "is_root", "declares_parent")


#: Largest number of (focal, successor) pairs materialised at once when counting the distinct
#: successors of a focal model with several predecessors (memory: ~16 bytes per pair).
PAIR_BUDGET = 20_000_000


_US_PER_DAY = DAY_US


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


def check_relations(relations: Iterable[str] | str | None) -> tuple[str, ...] | None:
    """The relations an MDI graph keeps (``None``: every relation; a single string is one
    relation; an empty selection keeps no edge): the lineage package's one relation check.
    """
    return lineage_checks.check_relations(relations, allow_empty=True)


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


def range_count(
    keys: np.ndarray,
    ncols: int,
    rows: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    indptr: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each i: how many columns of row ``rows[i]`` lie in [lo[i], hi[i]), and where they start
    in the CSR's ``indices`` (0 where the count is 0).  With the CSR's ``indptr``, only rows that
    have columns are searched (most models have no derivative).
    """
    rows = np.asarray(rows, dtype=np.int64)
    has = slice(None) if indptr is None else np.flatnonzero(indptr[rows + 1] > indptr[rows])
    lo_key = rows[has] * ncols + lo[has]
    hi_key = lo_key - lo[has] + hi[has]
    count = np.zeros(len(rows), dtype=np.int64)
    start = np.zeros(len(rows), dtype=np.int64)
    if len(lo_key) > 1 and np.any(lo_key[1:] < lo_key[:-1]):
        # numpy's binary search is faster on ascending queries (it narrows from the last hit)
        order = np.argsort(lo_key)
        found = np.empty(len(lo_key), dtype=np.int64)
        found[order] = np.searchsorted(keys, lo_key[order], side="left")
        start[has] = found
        found[order] = np.searchsorted(keys, hi_key[order], side="left")
        count[has] = found - start[has]
    else:
        start[has] = np.searchsorted(keys, lo_key, side="left")
        count[has] = np.searchsorted(keys, hi_key, side="left") - start[has]
    return count, start


def expand_ranges(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ranges [start_i, start_i + count_i) as flat (owner i, position) arrays."""
    count = count.astype(np.int64)
    total = int(count.sum())
    owner = np.repeat(np.arange(len(count), dtype=np.int64), count)
    first = np.cumsum(count) - count
    pos = np.arange(total, dtype=np.int64) - first[owner] + start.astype(np.int64)[owner]
    return owner, pos


def sorted_contains(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Membership of ``query`` keys in sorted ``keys``."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=bool)
    at = np.searchsorted(keys, query)
    at = np.minimum(at, len(keys) - 1)
    return keys[at] == query


def union_count(
    members: sp.csr_array,
    member_keys: np.ndarray,
    owner: np.ndarray,
    source: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    k: int,
    budget: int | None = None,
    shared: tuple[sp.csr_array, np.ndarray] | None = None,
) -> np.ndarray:
    """For each focal i < k: the number of *distinct* members m with lo[i] <= m < hi[i] over the
    member lists of its sources (``source[j]`` belongs to focal ``owner[j]``, owner sorted).

    The sum of the sources' window counts counts a member once per source that lists it, so the
    distinct count is that sum minus, over the members listed by several of the focal model's
    sources, (times listed - 1).  Only members in ``shared`` (the same lists restricted to the
    members that *can* be listed twice: a model with several parents, or with a merge among its
    ancestors) can be, so only their window slices are materialised, as (focal, member) keys
    whose count minus their distinct count is the overcount; in chunks of at most ``budget``
    pairs.  ``shared=None`` takes every member.
    """
    n = members.shape[1]
    cnt, _ = range_count(member_keys, n, source, lo[owner], hi[owner], members.indptr)
    out = np.bincount(owner, weights=cnt, minlength=k).astype(np.int64)
    n_src = np.bincount(owner, minlength=k)
    multi = np.flatnonzero(n_src[owner] > 1)
    if len(multi) == 0:
        return out
    sub, sub_keys = (members, member_keys) if shared is None else shared
    cnt_s, start_s = range_count(
        sub_keys, n, source[multi], lo[owner[multi]], hi[owner[multi]], sub.indptr
    )
    nz = cnt_s > 0
    multi, cnt_s, start_s = multi[nz], cnt_s[nz], start_s[nz]
    if len(multi) == 0:
        return out
    per_focal = np.bincount(owner[multi], weights=cnt_s, minlength=k).astype(np.int64)
    # chunk boundaries at focal boundaries: cumulative pair count over focal models
    cum = np.cumsum(per_focal)
    budget = PAIR_BUDGET if budget is None else budget  # read at call time (tests lower it)
    chunk = (cum // max(budget, 1))[owner[multi]]
    for c in unique_sorted(chunk):  # one pass unless the pairs exceed the budget
        sel = chunk == c
        own_idx, pos = expand_ranges(start_s[sel], cnt_s[sel])
        foc = owner[multi[sel]][own_idx]
        pair = unique_sorted(foc * n + sub.indices[pos].astype(np.int64))
        out -= np.bincount(foc, minlength=k) - np.bincount(pair // n, minlength=k)
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

    ids: pa.Array  #: model ids in the models table's row order (Arrow strings)
    row_of: np.ndarray  #: row in the models table of each position (time order)
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
        return self._get(
            "model_id", lambda: self.ids.take(pa.array(self.row_of)).to_numpy(zero_copy_only=False)
        )

    @property
    def position_of_row(self) -> np.ndarray:
        """Position in the graph (time order) of each row of the models table it was built from:
        ``position_of_row[i]`` is row ``i``'s position, so no id look-up is needed.
        """

        def make() -> np.ndarray:
            pos = np.empty(self.n, dtype=np.int64)
            pos[self.row_of] = np.arange(self.n)
            return pos

        return self._get("position_of_row", make)

    def ids_at(self, positions: np.ndarray) -> pd.Series:
        """Model ids at time-order ``positions`` as a string Series (no numpy object array)."""
        taken = self.ids.take(pa.array(self.row_of[np.asarray(positions, dtype=np.int64)]))
        return pd.Series(taken, dtype=pd.ArrowDtype(pa.large_string())).astype("str")

    @classmethod
    def from_frames(
        cls, models: pd.DataFrame, edges: pd.DataFrame, relations: Iterable[str] | None = None
    ) -> MdiGraph:
        """Prepare the MDI graph from the models table and the lineage edges (rules in the
        module docstring).
        """
        _require(models, MODEL_REQUIRED, "models")
        check_edges(edges, EDGE_REQUIRED)
        relations = check_relations(relations)
        ids, child_row, parent_row = frame_edge_rows(models, edges)
        n = len(ids)
        t = _micros(models["created_at"])
        order = _time_order(t)
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
            ids=ids,
            row_of=order,
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

    def _members(
        self, m: sp.csr_array, among: np.ndarray | None = None
    ) -> tuple[sp.csr_array, np.ndarray]:
        """Transpose of a child→X relation, keeping only members with a reliable date (and, if
        given, in the boolean mask ``among``).
        """
        coo = m.tocoo()
        ok = self.reliable[coo.row]
        if among is not None:
            ok &= among[coo.row]
        t = _csr_from_pairs(coo.col[ok], coo.row[ok], self.n)
        return t, _keys(t)

    @property
    def shared_children(self) -> tuple[sp.csr_array, np.ndarray]:
        """:attr:`children` restricted to models with several parents: the only children two
        parents of a focal model can share.
        """
        return self._get("shared_children", lambda: self._members(self.parents, self.n_parents > 1))

    @property
    def shared_descendants(self) -> tuple[sp.csr_array, np.ndarray]:
        """:attr:`descendants` restricted to models with a merge (several parents) among
        themselves and their ancestors: a model whose ancestry is a single chain descends from
        no two incomparable models, so no two sources of a focal model share it.
        """

        def make() -> tuple[sp.csr_array, np.ndarray]:
            anc = self.ancestors
            merge = self.n_parents > 1
            rows = np.repeat(np.arange(self.n), np.diff(anc.indptr))
            has = merge | (np.bincount(rows[merge[anc.indices]], minlength=self.n) > 0)
            return self._members(self.ancestors, has)

        return self._get("shared_descendants", make)

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


def _time_order(t: np.ndarray) -> np.ndarray:
    """Positions sorted by time, ties by row (``np.lexsort((rows, t))``), by one sort of packed
    ``time * n + row`` keys when they fit in 63 bits (times are divided by their common step,
    e.g. 1,000 for millisecond dates): numpy's argsort of 3 million int64 takes about 1 s, its
    sort 0.1 s.
    """
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rel = t - t.min()
    step = int(np.gcd.reduce(rel)) or 1
    rel //= step
    if int(rel.max()) < (2**62) // max(n, 1):
        keys = np.sort(rel * n + np.arange(n, dtype=np.int64))
        return keys % n
    return np.lexsort((np.arange(n), t))


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
