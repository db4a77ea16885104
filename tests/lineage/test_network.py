"""Network arrays and descriptives, checked against values worked out by hand.

The fixture (built through the real schema and ``build_edges``)::

    r ← a ← b ← c          chain; c is tagged gguf (quantized), b lora (adapter)
    r ← d → b              d declares r and b (a merge)
    gone/x ← e             e's parent is not in the snapshot (external node)
    p ⇄ q,  p ← s          a 2-cycle (q declares p, p declares q) and s below it
    i                      isolated

in-degree (direct derivatives): r 2, a 1, b 2, p 2, q 1, gone/x 1, others 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_models

from hflineage import lineage
from hflineage.errors import HflineageError
from hflineage.lineage import network

ROWS = [
    {"id": "t/r", "createdAt": "2023-01-01T00:00:00Z"},
    {"id": "t/a", "createdAt": "2023-02-10T00:00:00Z", "tags": ["base_model:t/r"]},
    {"id": "t/b", "createdAt": "2023-03-05T00:00:00Z", "tags": ["lora", "base_model:t/a"]},
    {"id": "t/c", "createdAt": "2023-03-20T00:00:00Z", "tags": ["gguf", "base_model:t/b"]},
    {
        "id": "t/d",
        "createdAt": "2023-04-01T00:00:00Z",
        "tags": ["base_model:t/r", "base_model:t/b"],
    },
    {"id": "t/e", "createdAt": "2023-04-15T00:00:00Z", "tags": ["base_model:gone/x"]},
    {"id": "t/p", "createdAt": "2023-05-01T00:00:00Z", "tags": ["base_model:t/q"]},
    {"id": "t/q", "createdAt": "2023-05-02T00:00:00Z", "tags": ["base_model:t/p"]},
    {"id": "t/s", "createdAt": "2023-06-01T00:00:00Z", "tags": ["base_model:t/p"]},
    {"id": "t/i", "createdAt": "2023-01-01T00:00:00Z"},
]


@pytest.fixture(scope="module")
def models() -> pd.DataFrame:
    return make_models(ROWS)


@pytest.fixture(scope="module")
def edges(models) -> pd.DataFrame:
    return lineage.build_edges(models)


@pytest.fixture(scope="module")
def graph(models, edges) -> network.LineageGraph:
    return network.graph_arrays(models, edges)


def by_id(graph: network.LineageGraph, values: np.ndarray) -> dict[str, int]:
    return dict(zip(graph.node_ids, values.tolist(), strict=True))


def test_graph_arrays(graph):
    assert graph.n_models == 10 and graph.n_nodes == 11 and graph.n_edges == 9
    assert graph.node_ids[10] == "gone/x"
    assert graph.created_at[10] == network.NO_TIME and not graph.reliable[10]
    assert graph.created_at[0] == pd.Timestamp("2023-01-01", tz="UTC").value // 1000  # µs
    assert by_id(graph, graph.in_degree) == {
        "t/r": 2,
        "t/a": 1,
        "t/b": 2,
        "t/c": 0,
        "t/d": 0,
        "t/e": 0,
        "t/p": 2,
        "t/q": 1,
        "t/s": 0,
        "t/i": 0,
        "gone/x": 1,
    }
    assert by_id(graph, graph.out_degree)["t/d"] == 2
    # p (05-01) declares q (05-02): the one younger-parent edge
    younger = [
        (graph.node_ids[c], graph.node_ids[p])
        for c, p in zip(graph.child, graph.parent, strict=True)
    ]
    assert [pair for pair, y in zip(younger, graph.parent_younger, strict=True) if y] == [
        ("t/p", "t/q")
    ]


def test_exclude_younger_and_relations(models, edges):
    g = network.graph_arrays(models, edges, exclude_younger=True)
    assert g.n_edges == 8
    d = network.depth(g).set_index("node")
    # without p → q the cycle is gone: p is a root, q and s its children
    assert d.loc[["t/p", "t/q", "t/s"], "shortest"].tolist() == [0, 1, 1]
    only_merge = network.graph_arrays(models, edges, relations=("merge",))
    assert only_merge.n_edges == 2  # d → r, d → b


def test_depth_by_hand(graph):
    d = network.depth(graph).set_index("node")
    assert d["shortest"].to_dict() == {
        "t/r": 0,
        "t/a": 1,
        "t/b": 2,
        "t/c": 3,
        "t/d": 1,  # via r
        "t/e": 1,
        "t/p": -1,  # on a cycle, no root above
        "t/q": -1,
        "t/s": -1,
        "t/i": 0,
        "gone/x": 0,
    }
    assert d["longest"].to_dict() == {
        "t/r": 0,
        "t/a": 1,
        "t/b": 2,
        "t/c": 3,
        "t/d": 3,  # via r → a → b → d
        "t/e": 1,
        "t/p": -1,
        "t/q": -1,
        "t/s": -1,
        "t/i": 0,
        "gone/x": 0,
    }


def test_depth_distribution(graph):
    dist = network.depth_distribution(graph).set_index("depth")
    # models in a lineage: r a b c d e p q s (i is isolated, gone/x external)
    assert dist["shortest"].to_dict() == {-1: 3, 0: 1, 1: 3, 2: 1, 3: 1}
    assert dist["longest"].to_dict() == {-1: 3, 0: 1, 1: 2, 2: 1, 3: 2}


def test_depth_of_a_long_chain():
    rows = [{"id": "c/m0"}] + [
        {"id": f"c/m{k}", "tags": [f"base_model:c/m{k - 1}"]} for k in range(1, 50)
    ]
    m = make_models(rows)
    d = network.depth(network.graph_arrays(m, lineage.build_edges(m))).set_index("node")
    assert d.loc["c/m49", "shortest"] == 49 and d.loc["c/m49", "longest"] == 49
    assert d.loc["c/m17", "shortest"] == 17


def test_descendants(graph):
    idx = {n: i for i, n in enumerate(graph.node_ids)}
    got = network.descendants(
        graph, [idx["t/r"], idx["t/b"], idx["t/p"], idx["t/c"], idx["gone/x"]]
    )
    # r: a b c d; b: c d; p: q s (p itself, reached again through q, is not its own descendant)
    assert got.tolist() == [4, 2, 2, 0, 1]


def test_gini_known_vectors():
    assert network.gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert network.gini([1, 1, 1, 1]) == 0
    # Σ(2i−n−1)x = −3·1 −1·2 +1·3 +3·4 = 10; 10 / (4·10) = 0.25
    assert network.gini([4, 1, 3, 2]) == pytest.approx(0.25)
    assert np.isnan(network.gini([])) and np.isnan(network.gini([0, 0]))
    with pytest.raises(HflineageError, match="negative"):
        network.gini([-1, 2])


def test_concentration_by_hand(graph):
    c = network.concentration(graph).set_index("measure")["value"]
    # parents (models): r2 a1 b2 p2 q1 → sorted 1 1 2 2 2; Σ(2i−6)x = −4 −2 +0 +4 +8 = 6; 6/(5·8)
    assert c["gini_parents"] == pytest.approx(6 / 40)
    # all 10 models: 0×5, 1 1 2 2 2 at i = 6…10: Σ(2i−11)x = 1 +3 +10 +14 +18 = 46; 46/(10·8)
    assert c["gini_all_models"] == pytest.approx(46 / 80)
    # top 1% of 5 parents = 1 parent with 2 of the 8 edges to models
    assert c["top_share"] == pytest.approx(2 / 8)
    assert (c["n_parents"], c["n_models"], c["edges_to_models"]) == (5, 10, 8)


def test_in_degree_ccdf(graph):
    out = network.in_degree_ccdf(graph)
    # model in-degrees ≥ 1: 2 1 2 2 1 → P(≥1) = 1, P(≥2) = 3/5
    assert out["x"].tolist() == [1, 2] and out["ccdf"].tolist() == [1.0, 0.6]
    ext = network.in_degree_ccdf(graph, include_external=True)
    assert ext["ccdf"].tolist() == [1.0, 0.5]  # gone/x adds a 1: 3 of 6


def test_families(graph):
    f = network.families(graph)
    assert f[["size", "models", "edges", "roots"]].values.tolist() == [
        [5, 5, 5, 1],
        [3, 3, 3, 0],
        [2, 1, 1, 1],
    ]
    top = f["top_root"].tolist()
    assert top[0] == "t/r" and pd.isna(top[1]) and top[2] == "gone/x"  # the cycle has no root
    dist = network.family_size_distribution(graph)
    assert dist["size"].tolist() == [2, 3, 5]
    assert dist["ccdf"].tolist() == pytest.approx([1, 2 / 3, 1 / 3])


def test_monthly_growth(graph):
    g = network.monthly_growth(graph).set_index("month")
    assert g.index.strftime("%Y-%m").tolist() == [
        "2023-02",
        "2023-03",
        "2023-04",
        "2023-05",
        "2023-06",
    ]
    assert g["finetune"].tolist() == [1, 0, 1, 2, 1]  # a; e; p and q; s
    assert g["adapter"].tolist() == [0, 1, 0, 0, 0]  # b
    assert g["quantized"].tolist() == [0, 1, 0, 0, 0]  # c
    assert g["merge"].tolist() == [0, 0, 2, 0, 0]  # d's two edges
    assert g["total"].sum() == 9


def test_monthly_growth_leaves_out_back_filled_children():
    m = make_models(
        [
            {"id": "x/base", "createdAt": "2021-01-01T00:00:00Z"},
            {"id": "x/old", "createdAt": "2022-03-02T23:29:04Z", "tags": ["base_model:x/base"]},
            {"id": "x/new", "createdAt": "2022-03-15T00:00:00Z", "tags": ["base_model:x/base"]},
        ]
    )
    g = network.graph_arrays(m, lineage.build_edges(m))
    assert network.monthly_growth(g)["total"].tolist() == [1]
    assert network.monthly_growth(g, reliable_only=False)["total"].tolist() == [2]


def test_top_parents(graph, models):
    top = network.top_parents(graph, n=3, models=models)
    # ties at 2 derivatives are broken by node order: r, b, p
    assert top["parent"].tolist() == ["t/r", "t/b", "t/p"]
    assert top["derivatives"].tolist() == [2, 2, 2]
    assert top["share"].tolist() == pytest.approx([2 / 9] * 3)
    assert top[["finetune", "adapter", "quantized", "merge"]].values.tolist() == [
        [1, 0, 0, 1],  # a finetune, d merge
        [0, 0, 1, 1],  # c quantized, d merge
        [2, 0, 0, 0],  # q, s
    ]
    assert top["descendants"].tolist() == [4, 2, 2]
    assert top["likes"].tolist() == [0, 0, 0]


def test_network_summary(graph):
    s = network.network_summary(graph).set_index("measure")["value"].to_dict()
    assert s == {
        "nodes": 11,
        "models": 10,
        "external_parents": 1,
        "edges": 9,
        "models_in_lineage": 9,
        "isolated_models": 1,
        "parents": 6,
        "children": 8,
        "lineage_roots": 2,
        "families": 3,
        "largest_family": 5,
        "max_depth_shortest": 3,
        "max_depth_longest": 3,
    }


def test_to_networkx(edges):
    g = network.to_networkx(edges)
    assert g.number_of_edges() == 9
    assert g.in_degree("t/r") == 2 and g.out_degree("t/d") == 2
    assert g.edges["t/c", "t/b"]["relation"] == "quantized"


def test_bad_edges(models, edges):
    with pytest.raises(HflineageError, match="missing column 'parent_younger'"):
        network.graph_arrays(models, edges.drop(columns="parent_younger"))
    with pytest.raises(HflineageError, match="not a model"):
        network.graph_arrays(models[models["model_id"] != "t/s"], edges)
    with pytest.raises(HflineageError, match="duplicate"):
        network.graph_arrays(models, pd.concat([edges, edges.iloc[:1]]))
