"""The lineage chapter's quoted numbers (hflineage.lineage.headlines) on test_network's
hand-built network, every value worked out by hand from its picture::

    r ← a ← b ← c          chain; c is tagged gguf (quantized), b lora (adapter)
    r ← d → b              d declares r and b (a merge)
    gone/x ← e             e's parent is not in the snapshot (external node)
    p ⇄ q,  p ← s          a 2-cycle (q declares p, p declares q) and s below it
    i                      isolated
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_models
from test_network import ROWS

from hflineage import lineage
from hflineage.errors import HflineageError
from hflineage.lineage import headlines, network


@pytest.fixture(scope="module")
def built():
    models = make_models(ROWS)
    edges = lineage.build_edges(models)
    return models, edges, network.graph_arrays(models, edges)


def _values(table: pd.DataFrame) -> dict:
    assert list(table.columns) == list(headlines.NUMBER_COLUMNS)
    assert table["key"].is_unique
    return dict(zip(table["key"], table["value"], strict=True))


def test_funnel_numbers_by_hand(built):
    models, edges, _ = built
    v = _values(headlines.funnel_numbers(edges, lineage.lineage_funnel(models, edges)))
    # nine untyped base_model tags, nine edges; no self-reference, case or alias
    assert (v["n_pairs"], v["n_edges"], v["n_typed_pairs"], v["n_tag_pairs"]) == (9, 9, 0, 9)
    assert (v["n_self_declared"], v["n_self_alias"], v["n_case"]) == (0, 0, 0)
    assert (v["n_alias_canonical"], v["n_alias_unique"]) == (0, 0)
    # eight parents are models of the snapshot, gone/x is not
    assert v["share_resolved"] == pytest.approx(8 / 9)
    assert v["share_exact"] == pytest.approx(8 / 9)
    assert v["share_unresolved"] == pytest.approx(1 / 9) and v["n_external"] == 1
    # p (May 1) declares q (May 2): one younger parent; p ⇄ q is one cycle of two edges
    assert (v["n_younger"], v["n_cycles"], v["n_cycle_edges"]) == (1, 1, 2)
    assert isinstance(v["n_pairs"], int) and isinstance(v["n_external"], int)


def test_funnel_numbers_need_the_build_counts(built):
    models, edges, _ = built
    bare = edges.copy()
    bare.attrs = {}
    with pytest.raises(HflineageError, match="no lineage_counts"):
        headlines.funnel_numbers(bare, lineage.lineage_funnel(models, edges))


def test_relation_numbers_by_hand(built):
    models, edges, _ = built
    table = headlines.relation_numbers(edges, lineage.relation_agreement(edges, models))
    v = _values(table)
    # every relation is inferred: d's two edges merge, b adapter, c quantized, five finetunes
    assert v["n_declared_relation"] == 0 and v["share_inferred"] == 1.0
    assert v["share_finetune"] == pytest.approx(5 / 9)
    assert v["share_merge"] == pytest.approx(2 / 9)
    assert v["share_adapter"] == pytest.approx(1 / 9) == v["share_quantized"]
    assert v["validation_edges"] == lineage.VALIDATION_AGREEMENT["shared_edges"]
    # nothing declared, so nothing to check and no agreement share
    assert v["n_agreement_edges"] == 0 and "agreement_declared" not in v
    assert set(table.loc[table["key"].str.startswith("share_"), "fmt"]) == {".1%"}


def test_network_numbers_by_hand(built):
    models, _, graph = built
    v = _values(
        headlines.network_numbers(
            graph,
            summary=network.network_summary(graph),
            concentration=network.concentration(graph, 0.01),
            families=network.families(graph),
            depths=network.depth_distribution(graph),
            growth=network.monthly_growth(graph),
            top_share=0.01,
        )
    )
    # every model but i is in a lineage
    assert v["n_models_in_lineage"] == 9
    assert v["share_models_in_lineage"] == pytest.approx(0.9)
    assert v["share_outside_lineage"] == pytest.approx(0.1)
    # parents r, a, b, p, q and the external gone/x; families {r,a,b,c,d}, {e,gone/x}, {p,q,s}
    assert (v["n_parents_nodes"], v["n_families"], v["largest_family"]) == (6, 3, 5)
    assert v["largest_family_root"] == "t/r" and v["largest_family_roots"] == 1
    assert v["max_depth"] == 3  # r ← a ← b ← c
    # in-degree of the five model parents: 1, 1, 2, 2, 2 -> Gini (-4-2+0+4+8) / (5 * 8) = 0.15
    assert v["gini_parents"] == pytest.approx(0.15)
    assert (v["n_parents_models"], v["max_in_degree"], v["top_share_label"]) == (5, 2, "1%")
    # shortest depths of the models with a root: r 0; a, d, e 1; b 2; c 3 -> 3 of 6
    assert v["share_depth1"] == pytest.approx(0.5)
    # June 2023 (s) is the last, partial month; May 2023 holds p's and q's edges, no merge
    assert v["growth_month"] == "May 2023" and v["growth_last_full"] == 2
    assert v["growth_merge_share"] == 0.0


def test_number_table_keeps_whole_numbers_whole():
    table = headlines.number_table([("a", 12, "a count", ","), ("b", 0.5, "a share", ".1%")])
    assert table["value"].tolist() == [12, 0.5] and isinstance(table["value"].iloc[0], int)
