"""The lineage network as compact arrays, and its descriptives (paper 1's network section).

:func:`graph_arrays` turns the models table and the edges of :func:`hflineage.lineage.edges.build_edges`
into a :class:`LineageGraph`: integer node ids (the models in table order, then the *external*
nodes — declared parents that resolve to no model of the snapshot), creation times as int64,
parent/child index arrays and two CSR adjacency matrices.  Every descriptive below works on those
arrays with numpy/scipy (breadth-first searches run frontier by frontier over the CSR, never node
by node in Python).

Direction and names, as in a citation network: a child *declares* (cites) its parent, so a model's
**in-degree** is its number of direct derivatives (children) and its out-degree its number of
declared parents.  :func:`to_networkx` uses the same direction (edge child → parent), so
``G.in_degree(m)`` is the number of derivatives of ``m``.

Unless said otherwise, distributions are taken over the **models of the snapshot**: external
nodes (deleted repos, local paths) have no creation time, likes or children of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..data.describe import ccdf
from ..data.describe import concentration as top_share_of_total
from ..data.schema import RELATIONS, arrow_strings, lookup_rows, unique_sorted
from ..errors import HflineageError
from .checks import GRAPH_EDGE_COLUMNS, check_edges

if TYPE_CHECKING:
    import networkx as nx

#: int64 value of NaT: the creation time of external nodes.
NO_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True, eq=False)
class LineageGraph:
    """The lineage network in arrays.

    ``node_ids[i]`` is node ``i``'s id; nodes ``0 … n_models-1`` are the rows of the models table
    (same order), the rest external parents.  ``created_at`` is µs since the Unix epoch (UTC),
    :data:`NO_TIME` for external nodes; ``reliable`` is False for external nodes and back-filled
    dates.  Per edge: ``child``, ``parent`` (node indices), ``relation``, ``parent_younger``.
    ``to_parents`` (rows = children) and ``to_children`` (rows = parents) are ``n × n`` CSR
    matrices with a 1 per edge.
    """

    node_ids: np.ndarray
    n_models: int
    created_at: np.ndarray
    reliable: np.ndarray
    child: np.ndarray
    parent: np.ndarray
    relation: np.ndarray
    parent_younger: np.ndarray
    to_parents: csr_matrix
    to_children: csr_matrix

    @property
    def n_nodes(self) -> int:
        """Models plus external parents."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return len(self.child)

    @property
    def in_degree(self) -> np.ndarray:
        """Number of direct derivatives (children) of every node."""
        return np.diff(self.to_children.indptr)

    @property
    def out_degree(self) -> np.ndarray:
        """Number of declared parents of every node."""
        return np.diff(self.to_parents.indptr)

    @property
    def in_snapshot(self) -> np.ndarray:
        """True for the nodes that are models of the snapshot."""
        return np.arange(self.n_nodes) < self.n_models


def graph_arrays(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    exclude_younger: bool = False,
    relations: tuple[str, ...] | None = None,
) -> LineageGraph:
    """Compact arrays of the lineage network (see :class:`LineageGraph`).

    ``exclude_younger`` drops edges whose parent was created after the child (required for any
    timed measure); ``relations`` keeps only edges of those relation types.  Duplicate
    (child, parent) pairs raise: ``build_edges`` never makes them.
    """
    check_edges(edges, GRAPH_EDGE_COLUMNS)
    ids = models["model_id"].astype(str).to_numpy(object)
    n_models = len(ids)
    keep = np.ones(len(edges), dtype=bool)
    if exclude_younger:
        keep &= ~edges["parent_younger"].to_numpy(bool)
    if relations is not None:
        keep &= edges["relation"].isin(relations).to_numpy(bool)
    e = edges.loc[keep]
    id_arrow = arrow_strings(models["model_id"])  # look-ups in Arrow: no hashing of 3M objects
    child = lookup_rows(arrow_strings(e["child"]), id_arrow)
    if (child < 0).any():
        bad = e["child"].to_numpy(object)[child < 0][0]
        raise HflineageError(
            f"edges: child {bad!r} is not a model of the models table; "
            "build the edges from the same snapshot"
        )
    parents = e["parent"].astype(str).to_numpy(object)
    parent = lookup_rows(arrow_strings(e["parent"]), id_arrow)
    external = unique_sorted(parents[parent < 0])
    parent[parent < 0] = n_models + np.searchsorted(external, parents[parent < 0])
    node_ids = np.concatenate([ids, external]).astype(object)
    n = len(node_ids)
    created = np.full(n, NO_TIME, dtype=np.int64)
    created[:n_models] = models["created_at"].to_numpy("datetime64[us]").astype(np.int64)
    reliable = np.zeros(n, dtype=bool)
    reliable[:n_models] = models["created_at_reliable"].to_numpy(bool)
    ones = np.ones(len(child), dtype=np.int32)
    to_parents = csr_matrix((ones, (child, parent)), shape=(n, n))
    if to_parents.nnz != len(child):
        raise HflineageError("edges: duplicate (child, parent) pairs; expected one row per pair")
    to_children = csr_matrix((ones, (parent, child)), shape=(n, n))
    return LineageGraph(
        node_ids=node_ids,
        n_models=n_models,
        created_at=created,
        reliable=reliable,
        child=child.astype(np.int64),
        parent=parent.astype(np.int64),
        relation=e["relation"].astype(str).to_numpy(object),
        parent_younger=e["parent_younger"].to_numpy(bool),
        to_parents=to_parents,
        to_children=to_children,
    )


def to_networkx(edges: pd.DataFrame) -> nx.DiGraph:
    """The edges as a ``networkx.DiGraph`` for exploration: edge child → parent ("declares as
    base model"), so ``in_degree`` counts derivatives; edge attributes are the other columns.
    """
    import networkx as nx

    check_edges(edges, GRAPH_EDGE_COLUMNS)
    attrs = [c for c in edges.columns if c not in ("child", "parent", "child_row", "parent_row")]
    return nx.from_pandas_edgelist(
        edges, source="child", target="parent", edge_attr=attrs or None, create_using=nx.DiGraph
    )


# --------------------------------------------------------------------------------------------
# frontier-by-frontier traversal over CSR
# --------------------------------------------------------------------------------------------
def _neighbours(matrix: csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (row, column) pairs stored in ``rows`` of a CSR matrix, vectorised.

    Returns ``(which, cols)``: ``which[k]`` is the position in ``rows`` that ``cols[k]`` came from.
    """
    starts = matrix.indptr[rows]
    lens = matrix.indptr[rows + 1] - starts
    total = int(lens.sum())
    which = np.repeat(np.arange(len(rows)), lens)
    offsets = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    return which, matrix.indices[np.repeat(starts, lens) + offsets]


def roots(graph: LineageGraph) -> np.ndarray:
    """Nodes with no declared parent (bases, and every model outside any lineage)."""
    return np.flatnonzero(graph.out_degree == 0)


def depth(graph: LineageGraph) -> pd.DataFrame:
    """Generation depth of every node, counted in edges from a root (a node without parents).

    ``shortest``: length of the shortest parent chain up to any root (multi-source BFS from all
    roots, frontier by frontier).  ``longest``: length of the longest chain (a node's level once
    all its parents have one, i.e. Kahn's topological levels).  Roots have depth 0.  A node on or
    below a directed cycle gets ``longest = -1`` (undefined); a node reachable from no root gets
    ``shortest = -1``.
    """
    n = graph.n_nodes
    shortest = np.full(n, -1, dtype=np.int64)
    frontier = roots(graph)
    shortest[frontier] = 0
    level = 0
    while frontier.size:
        _, nxt = _neighbours(graph.to_children, frontier)
        nxt = unique_sorted(nxt[shortest[nxt] < 0])
        level += 1
        shortest[nxt] = level
        frontier = nxt

    longest = np.full(n, -1, dtype=np.int64)
    remaining = graph.out_degree.astype(np.int64)
    frontier = np.flatnonzero(remaining == 0)
    longest[frontier] = 0
    level = 0
    while frontier.size:
        _, nxt = _neighbours(graph.to_children, frontier)
        remaining -= np.bincount(nxt, minlength=n)
        nxt = unique_sorted(nxt)
        nxt = nxt[remaining[nxt] == 0]
        level += 1
        longest[nxt] = level
        frontier = nxt
    return pd.DataFrame(
        {
            "node": graph.node_ids,
            "in_snapshot": graph.in_snapshot,
            "in_lineage": (graph.in_degree + graph.out_degree) > 0,
            "shortest": shortest,
            "longest": longest,
        }
    )


def depth_distribution(graph: LineageGraph, *, in_snapshot_only: bool = True) -> pd.DataFrame:
    """Number of nodes at each depth (shortest and longest chain from a root), over the nodes
    that take part in the lineage (at least one parent or child); ``-1`` = undefined (cycles).
    """
    d = depth(graph)
    d = d[d["in_lineage"] & (d["in_snapshot"] | (not in_snapshot_only))]
    out = pd.concat(
        [
            d["shortest"].value_counts().rename("shortest"),
            d["longest"].value_counts().rename("longest"),
        ],
        axis=1,
    )
    return out.fillna(0).astype(int).rename_axis("depth").sort_index().reset_index()


def descendants(graph: LineageGraph, sources: np.ndarray | list[int]) -> np.ndarray:
    """Number of distinct descendants (children, their children, ...) of each source node.

    A block BFS: all sources advance together, frontier by frontier, over the child CSR; each
    (source, node) pair is visited once.
    """
    sources = np.asarray(sources, dtype=np.int64)
    n = graph.n_nodes
    out = np.zeros(len(sources), dtype=np.int64)
    block = max(1, 20_000_000 // max(n, 1))
    for start in range(0, len(sources), block):  # blocks bound memory to ~20 MB
        src = sources[start : start + block]
        seen = np.zeros(len(src) * n, dtype=bool)
        seen[np.arange(len(src)) * n + src] = True
        who, node = np.arange(len(src)), src
        while node.size:
            which, nxt = _neighbours(graph.to_children, node)
            key = unique_sorted(who[which] * n + nxt)
            key = key[~seen[key]]
            seen[key] = True
            who, node = key // n, key % n
        out[start : start + len(src)] = seen.reshape(len(src), n).sum(axis=1) - 1
    return out


# --------------------------------------------------------------------------------------------
# degree and concentration
# --------------------------------------------------------------------------------------------
def degree_table(graph: LineageGraph) -> pd.DataFrame:
    """Per node: id, whether it is a model of the snapshot, in-degree (direct derivatives) and
    out-degree (declared parents).
    """
    return pd.DataFrame(
        {
            "node": graph.node_ids,
            "in_snapshot": graph.in_snapshot,
            "in_degree": graph.in_degree,
            "out_degree": graph.out_degree,
        }
    )


def in_degree_ccdf(graph: LineageGraph, *, include_external: bool = False) -> pd.DataFrame:
    """Log-log CCDF data of the in-degree: ``x`` (number of direct derivatives ≥ 1) and
    ``ccdf`` = P(in-degree ≥ x) among the parents (nodes with at least one derivative).
    """
    deg = graph.in_degree if include_external else graph.in_degree[: graph.n_models]
    return ccdf(deg)


def gini(values: np.ndarray | pd.Series) -> float:
    """Gini coefficient of non-negative values: 0 = all equal, → 1 = one unit holds everything.

    G = Σᵢ (2i − n − 1)·x₍ᵢ₎ / (n·Σx), with x sorted ascending and i = 1…n.
    """
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return float("nan")
    if x[0] < 0:
        raise HflineageError("gini: negative values; expected counts or other non-negative values")
    i = np.arange(1, x.size + 1)
    return float(((2 * i - x.size - 1) * x).sum() / (x.size * x.sum()))


def concentration(graph: LineageGraph, top_share: float = 0.01) -> pd.DataFrame:
    """How unequally derivatives are spread over models (in-degree concentration).

    Rows: Gini of the in-degree over the models that have at least one derivative ("parents");
    Gini over all models of the snapshot (zeros included — dominated by the many models nobody
    builds on); the share of edges held by the top ``top_share`` of parents; and the counts behind
    them.  Edges to external parents are left out of every row.
    """
    deg = graph.in_degree[: graph.n_models]
    parents = deg[deg > 0]
    pct = f"{top_share:.0%}"
    rows = [
        ("gini_parents", gini(parents), "Gini of in-degree over models with ≥ 1 derivative"),
        ("gini_all_models", gini(deg), "Gini of in-degree over all models (zeros included)"),
        (
            "top_share",
            top_share_of_total(parents, top_share),
            f"share of edges to models held by the top {pct} of parents",
        ),
        ("n_parents", float(parents.size), "models with ≥ 1 derivative"),
        ("n_models", float(deg.size), "models in the snapshot"),
        ("edges_to_models", float(parents.sum()), "edges whose parent is a model of the snapshot"),
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "meaning"])


# --------------------------------------------------------------------------------------------
# families, growth, top parents, summary
# --------------------------------------------------------------------------------------------
def families(graph: LineageGraph) -> pd.DataFrame:
    """Model families: weakly connected components of the lineage graph with at least one edge.

    One row per family: ``family`` (component label), ``size`` (nodes, external ones included),
    ``models`` (nodes that are models of the snapshot), ``edges``, ``roots`` (nodes without a
    parent; merges can join several roots into one family) and ``top_root`` (the root with the
    most direct derivatives), largest family first.
    """
    _, labels = connected_components(graph.to_parents, directed=True, connection="weak")
    size = np.bincount(labels)
    n_edges = np.bincount(labels[graph.child], minlength=len(size))
    fam = np.flatnonzero(n_edges > 0)
    models = np.bincount(labels[: graph.n_models], minlength=len(size))
    is_root = (graph.out_degree == 0) & ((graph.in_degree + graph.out_degree) > 0)
    root_nodes = np.flatnonzero(is_root)
    root_table = pd.DataFrame(
        {"family": labels[root_nodes], "node": root_nodes, "deg": graph.in_degree[root_nodes]}
    ).sort_values(["family", "deg", "node"], ascending=[True, False, True])
    top = root_table.drop_duplicates("family").set_index("family")["node"]
    n_roots = np.bincount(labels[root_nodes], minlength=len(size))
    out = pd.DataFrame(
        {
            "family": fam,
            "size": size[fam],
            "models": models[fam],
            "edges": n_edges[fam],
            "roots": n_roots[fam],
        }
    )
    top_node = top.reindex(fam).to_numpy()
    has_top = ~pd.isna(top_node)
    names = np.full(len(fam), None, dtype=object)
    names[has_top] = graph.node_ids[top_node[has_top].astype(np.int64)]
    out["top_root"] = names
    return out.sort_values(["size", "family"], ascending=[False, True]).reset_index(drop=True)


def family_size_distribution(graph: LineageGraph) -> pd.DataFrame:
    """How many families have each size (nodes): ``size``, ``families``, and the CCDF."""
    fams = families(graph)
    counts = fams["size"].value_counts().sort_index()
    out = counts.rename_axis("size").reset_index(name="families")
    out["ccdf"] = out["families"][::-1].cumsum()[::-1] / out["families"].sum()
    return out


def monthly_growth(graph: LineageGraph, *, reliable_only: bool = True) -> pd.DataFrame:
    """New lineage edges per calendar month of the child's creation, by relation type.

    Columns: ``month`` (first day, UTC-naive), one column per relation of
    :data:`~hflineage.data.schema.RELATIONS`, and ``total``.  With ``reliable_only`` edges whose child has
    a back-filled creation date (2022-03-02) are left out: their month is unknown.
    """
    keep = graph.reliable[graph.child] if reliable_only else np.ones(graph.n_edges, dtype=bool)
    when = graph.created_at[graph.child[keep]].astype("datetime64[us]")
    month = pd.Series(when).dt.to_period("M").dt.to_timestamp()
    frame = pd.DataFrame({"month": month.to_numpy(), "relation": graph.relation[keep]})
    wide = pd.crosstab(frame["month"], frame["relation"]).reindex(
        columns=list(RELATIONS), fill_value=0
    )
    wide.columns.name = None
    wide["total"] = wide.sum(axis=1)
    return wide.rename_axis("month").reset_index()


def top_parents(
    graph: LineageGraph, n: int = 20, models: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The ``n`` nodes with the most direct derivatives.

    Columns: ``parent``, ``in_snapshot``, ``derivatives`` (in-degree), ``share`` (of all edges),
    one count per relation type, ``descendants`` (all generations, block BFS), ``created_at``; and
    ``likes``/``downloads`` when ``models`` (the table the graph was built from) is given.
    """
    deg = graph.in_degree
    order = np.lexsort((np.arange(graph.n_nodes), -deg))[:n]
    order = order[deg[order] > 0]
    out = pd.DataFrame(
        {
            "parent": graph.node_ids[order],
            "in_snapshot": order < graph.n_models,
            "derivatives": deg[order],
            "share": deg[order] / max(graph.n_edges, 1),
        }
    )
    mine = np.isin(graph.parent, order)
    rel = pd.crosstab(graph.parent[mine], graph.relation[mine])
    rel = rel.reindex(index=order, columns=list(RELATIONS), fill_value=0)
    for r in RELATIONS:
        out[r] = rel[r].to_numpy()
    out["descendants"] = descendants(graph, order)
    created = graph.created_at[order].astype("datetime64[us]")
    out["created_at"] = pd.to_datetime(created).tz_localize("UTC")
    if models is not None:
        inside = order < graph.n_models
        for col in ("likes", "downloads"):
            vals = pd.array(np.zeros(len(order), dtype=np.int64), dtype="Int64")
            vals[inside] = models[col].to_numpy()[order[inside]]
            vals[~inside] = pd.NA
            out[col] = vals
    return out


def network_summary(graph: LineageGraph) -> pd.DataFrame:
    """The network's shape in a few counts: nodes, models, external parents, edges, parents,
    children, roots of lineages, isolated models, families, the largest family, depth.
    """
    deg_in, deg_out = graph.in_degree, graph.out_degree
    in_lineage = (deg_in + deg_out) > 0
    models = graph.in_snapshot
    fams = families(graph)
    d = depth(graph)
    lin = d[d["in_lineage"]]
    rows = [
        ("nodes", graph.n_nodes, "models plus external parents"),
        ("models", graph.n_models, "models in the snapshot"),
        ("external_parents", graph.n_nodes - graph.n_models, "declared parents not in it"),
        ("edges", graph.n_edges, "child → parent declarations"),
        ("models_in_lineage", int((in_lineage & models).sum()), "models with a parent or child"),
        ("isolated_models", int((~in_lineage & models).sum()), "models with neither"),
        ("parents", int((deg_in > 0).sum()), "nodes with ≥ 1 derivative"),
        ("children", int((deg_out > 0).sum()), "models with ≥ 1 declared parent"),
        ("lineage_roots", int(((deg_out == 0) & (deg_in > 0)).sum()), "parents with no parent"),
        ("families", len(fams), "weakly connected components with ≥ 1 edge"),
        ("largest_family", int(fams["size"].max()) if len(fams) else 0, "nodes"),
        ("max_depth_shortest", int(lin["shortest"].max()) if len(lin) else 0, "edges"),
        ("max_depth_longest", int(lin["longest"].max()) if len(lin) else 0, "edges"),
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "meaning"])
