"""Lineage edges by phased parsing: every phase, resolution path, inference rule and flag, on
hand-written listings that go through the real schema (``normalise_listing``).  Expected values
are worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from conftest import listing_table, make_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hflineage import data, lineage
from hflineage.data import schema
from hflineage.errors import HflineageError, ParameterError
from hflineage.lineage import rules
from hflineage.lineage.edges import check_aliases

LATER = "2024-04-01T00:00:00Z"  # children are created after every parent unless said otherwise


def models_with(
    rows: list[dict],
    hub: dict | None = None,
    hub_relation: dict | None = None,
    card: dict | None = None,
    card_relation: dict | None = None,
) -> pd.DataFrame:
    """The models table for ``rows`` plus hub-stats and card lineage fields keyed by model id."""

    def lists(d: dict | None) -> pd.Series:
        d = d or {}
        return schema.list_series(
            pa.array([d.get(r["id"], []) for r in rows], pa.list_(pa.string()))
        )

    def rels(d: dict | None) -> pd.Series:
        d = d or {}
        return pd.Series([d.get(r["id"]) for r in rows], dtype="string")

    return data.normalise_listing(
        listing_table(rows),
        source="fixture",
        hub_parents=lists(hub),
        hub_relation=rels(hub_relation),
        card_parents=lists(card),
        card_relation=rels(card_relation),
    )


def child(name: str, *parents: str, tags: tuple[str, ...] = (), **extra) -> dict:
    row = {"id": name, "createdAt": LATER, "tags": [*tags, *(f"base_model:{p}" for p in parents)]}
    row.update(extra)
    return row


ROWS = [
    {"id": "openai-community/gpt2", "createdAt": "2022-03-02T23:29:04Z"},
    {"id": "google-bert/bert-base-uncased", "createdAt": "2022-03-02T23:29:04Z"},
    {"id": "Xenova/bert-base-uncased", "createdAt": "2023-05-01T00:00:00Z"},  # a copy
    {"id": "org/Base-Model", "createdAt": "2024-01-01T00:00:00Z"},
    {"id": "gina/tinykjv", "createdAt": "2024-01-05T00:00:00Z"},
    {"id": "unsloth/llama-3-8b-bnb-4bit", "createdAt": "2024-01-01T00:00:00Z"},
    child("alice/ft", "org/Base-Model", createdAt="2024-02-01T00:00:00Z"),  # exact, default
    child("bob/cased", "ORG/base-model"),  # case
    child("carol/gpt2-ft", "gpt2"),  # alias, canonical org
    child("dave/bert-ft", "bert-base-uncased"),  # alias, canonical org beats the Xenova copy
    child("hank/kjv-chat", "TinyKJV"),  # alias, the only model named tinykjv
    child("erin/orphan", "gone/deleted-model"),  # unresolved
    child("erin/local", "my-local-run"),  # unresolved
    child("frank/self", "frank/self"),  # self-reference, exact
    child("frank/self2", "FRANK/SELF2"),  # self-reference, case
    child("bilbo/clip-homer", "clip-homer"),  # a local name that resolves onto the child itself
    child("ivy/old-child", "alice/ft", createdAt="2023-01-01T00:00:00Z"),  # parent younger
    child("cyc/a", "cyc/b", createdAt="2024-03-01T00:00:00Z"),  # a 2-cycle; cyc/b is younger
    child("cyc/b", "cyc/a", createdAt="2024-03-02T00:00:00Z"),
    child("mm/merged", "org/Base-Model", "alice/ft"),  # several parents
    child("q/tagged", "org/Base-Model", tags=("gguf",)),  # quantisation tag
    child("q/lib", "org/Base-Model", library_name="mlx"),  # quantisation library
    child("q/Base-Model-GPTQ", "org/Base-Model"),  # quantisation marker in the own name
    child("u/llama-3-8b-bnb-4bit-book-review", "unsloth/llama-3-8b-bnb-4bit"),  # inherited marker
    child("u/llama-merged-16bit", "org/Base-Model"),  # 16 bit is not quantisation
    child("ad/lora", "org/Base-Model", tags=("lora",)),  # adapter tag
    child("ad/qlora", "org/Base-Model", tags=("4-bit",), library_name="peft"),  # QLoRA adapter
    child("mt/single", "org/Base-Model", tags=("merge", "mergekit")),  # merge tag, one parent
    child("typed/q", "quantized:org/Base-Model"),  # phase 1: typed tag
    child("hub/child", "org/Base-Model"),  # phase 1 (hub-stats) + the same edge in phase 2 (tag)
    child("card/child", "openai-community/gpt2"),  # tag + card (alice/ft, gpt2 = duplicate)
]
HUB = {"hub/child": ["org/Base-Model"]}
HUB_RELATION = {"hub/child": "adapter"}
CARD = {"card/child": ["alice/ft", "gpt2"]}
CARD_RELATION = {"card/child": "merge"}

#: (child, parent) → (resolution, relation, relation_source, phase), worked out by hand.
EXPECTED = {
    ("alice/ft", "org/Base-Model"): ("exact", "finetune", "inferred", "tag"),
    ("bob/cased", "org/Base-Model"): ("case", "finetune", "inferred", "tag"),
    ("carol/gpt2-ft", "openai-community/gpt2"): ("alias", "finetune", "inferred", "tag"),
    ("dave/bert-ft", "google-bert/bert-base-uncased"): ("alias", "finetune", "inferred", "tag"),
    ("hank/kjv-chat", "gina/tinykjv"): ("alias", "finetune", "inferred", "tag"),
    ("erin/orphan", "gone/deleted-model"): ("unresolved", "finetune", "inferred", "tag"),
    ("erin/local", "my-local-run"): ("unresolved", "finetune", "inferred", "tag"),
    ("ivy/old-child", "alice/ft"): ("exact", "finetune", "inferred", "tag"),
    ("cyc/a", "cyc/b"): ("exact", "finetune", "inferred", "tag"),
    ("cyc/b", "cyc/a"): ("exact", "finetune", "inferred", "tag"),
    ("mm/merged", "org/Base-Model"): ("exact", "merge", "inferred", "tag"),
    ("mm/merged", "alice/ft"): ("exact", "merge", "inferred", "tag"),
    ("q/tagged", "org/Base-Model"): ("exact", "quantized", "inferred", "tag"),
    ("q/lib", "org/Base-Model"): ("exact", "quantized", "inferred", "tag"),
    ("q/Base-Model-GPTQ", "org/Base-Model"): ("exact", "quantized", "inferred", "tag"),
    ("u/llama-3-8b-bnb-4bit-book-review", "unsloth/llama-3-8b-bnb-4bit"): (
        "exact",
        "finetune",
        "inferred",
        "tag",
    ),
    ("u/llama-merged-16bit", "org/Base-Model"): ("exact", "finetune", "inferred", "tag"),
    ("ad/lora", "org/Base-Model"): ("exact", "adapter", "inferred", "tag"),
    ("ad/qlora", "org/Base-Model"): ("exact", "adapter", "inferred", "tag"),
    ("mt/single", "org/Base-Model"): ("exact", "finetune", "inferred", "tag"),
    ("typed/q", "org/Base-Model"): ("exact", "quantized", "declared", "typed_tag"),
    ("hub/child", "org/Base-Model"): ("exact", "adapter", "declared", "hub_stats"),
    ("card/child", "openai-community/gpt2"): ("exact", "merge", "declared", "tag"),
    ("card/child", "alice/ft"): ("exact", "merge", "declared", "card"),
}


@pytest.fixture(scope="module")
def models() -> pd.DataFrame:
    return models_with(ROWS, HUB, HUB_RELATION, CARD, CARD_RELATION)


@pytest.fixture(scope="module")
def edges(models: pd.DataFrame) -> pd.DataFrame:
    return lineage.build_edges(models)


def test_columns_are_the_contract(edges):
    assert tuple(edges.columns) == lineage.EDGE_COLUMNS


def test_every_edge_as_worked_out_by_hand(edges):
    got = {
        (r.child, r.parent): (r.resolution, r.relation, r.relation_source, r.phase)
        for r in edges.itertuples()
    }
    assert got == EXPECTED


def test_declared_string_kept_beside_the_resolved_parent(edges):
    declared = edges.set_index(["child", "parent"])["declared"]
    assert declared[("bob/cased", "org/Base-Model")] == "ORG/base-model"
    assert declared[("carol/gpt2-ft", "openai-community/gpt2")] == "gpt2"
    assert declared[("hank/kjv-chat", "gina/tinykjv")] == "TinyKJV"
    assert declared[("erin/local", "my-local-run")] == "my-local-run"


def test_flags(edges):
    by_pair = edges.set_index(["child", "parent"])
    unresolved = {("erin/orphan", "gone/deleted-model"), ("erin/local", "my-local-run")}
    assert set(by_pair.index[~by_pair["parent_in_snapshot"]]) == unresolved
    # ivy/old-child (2023-01-01) declares alice/ft (2024-02-01); cyc/a (03-01) declares cyc/b (03-02)
    assert set(by_pair.index[by_pair["parent_younger"]]) == {
        ("ivy/old-child", "alice/ft"),
        ("cyc/a", "cyc/b"),
    }
    assert set(by_pair.index[by_pair["in_cycle"]]) == {("cyc/a", "cyc/b"), ("cyc/b", "cyc/a")}


def test_self_references_dropped_and_counted(edges):
    assert not (edges["child"] == edges["parent"]).any()
    assert not edges["child"].isin(["frank/self", "frank/self2", "bilbo/clip-homer"]).any()
    counts = edges.attrs["lineage_counts"]
    assert counts["self_loops_declared"] == 2  # frank/self exact, frank/self2 by case
    assert counts["self_loops_alias"] == 1  # bilbo/clip-homer declares "clip-homer"


def test_counts_of_phases_duplicates_and_rules(edges):
    c = edges.attrs["lineage_counts"]
    # tag pairs: 23 single-parent rows + mm/merged's two = 25; typed 1; hub 1; card 2
    assert (c["pairs_typed_tag"], c["pairs_hub_stats"], c["pairs_tag"], c["pairs_card"]) == (
        1,
        1,
        25,
        2,
    )
    assert c["pairs_total"] == 29
    # hub/child's tag repeats its hub edge; card/child's "gpt2" resolves onto its tag's parent
    assert c["duplicates"] == 2
    assert c["duplicates_by_phase"] == {"tag": 1, "card": 1}
    assert 29 - 3 - 2 == len(edges) == 24
    assert c["alias_by_rule"] == {"canonical": 2, "unique": 1}
    assert c["inference_by_rule"] == {
        "several_parents": 2,
        "adapter_marker": 2,
        "quantisation_marker": 3,
        "default": 13,
    }
    assert (c["cycles"], c["cycle_models"]) == (1, 2)


def test_funnel_table(models, edges):
    f = lineage.lineage_funnel(models, edges).set_index("step")
    assert f.loc["all phases: declared pairs", "count"] == 29
    assert f.loc["self-references dropped: declared (own id, up to case)", "count"] == 2
    assert f.loc["edges", "count"] == 24
    assert f.loc["resolved: exact", "count"] == 18
    assert f.loc["resolved: case-insensitive", "count"] == 1
    assert f.loc["resolved: alias (canonical)", "count"] == 2
    assert f.loc["resolved: alias (unique)", "count"] == 1
    assert f.loc["unresolved (external parent)", "count"] == 2
    assert f.loc["unresolved (external parent)", "share"] == pytest.approx(2 / 24)
    assert f.loc["parent in snapshot", "count"] == 22
    assert f.loc["declared: merge", "count"] == 2
    assert f.loc["declared: quantized", "count"] == 1
    assert f.loc["declared: adapter", "count"] == 1
    assert f.loc["all: finetune", "count"] == 13
    assert f.loc["all: merge", "count"] == 4
    assert f.loc["parent younger than child", "count"] == 2
    # without attrs the build-time counts are recomputed from the models table
    bare = edges.copy()
    bare.attrs = {}
    assert lineage.lineage_funnel(models, bare)["count"].tolist() == f["count"].tolist()


def test_phase_yields(edges):
    y = lineage.phase_yields(edges).set_index("phase")
    assert y.loc["typed_tag"].tolist() == [1, 1, 1, 0]
    assert y.loc["hub_stats"].tolist() == [1, 1, 1, 0]
    # tag: 25 pairs − 3 self-references − 1 duplicate = 21 edges, one (card/child) typed by card
    assert y.loc["tag"].tolist() == [25, 21, 1, 20]
    assert y.loc["card"].tolist() == [2, 1, 1, 0]


def test_brief_rules_differ_where_validation_said_so(models):
    e = lineage.build_edges(models, rules="brief").set_index("child")["relation"]
    assert e["mt/single"] == "merge"  # merge tag on a single-parent child
    assert e["ad/qlora"] == "quantized"  # quantisation before adapter
    assert e["u/llama-3-8b-bnb-4bit-book-review"] == "quantized"  # marker copied from the parent
    assert e["u/llama-merged-16bit"] == "quantized"  # any bit width


def test_canonical_only_alias_rule(models):
    e = lineage.build_edges(models, alias_rule="canonical").set_index("child")
    assert e.loc["hank/kjv-chat", "resolution"] == "unresolved"
    assert e.loc["hank/kjv-chat", "parent"] == "TinyKJV"
    # no unique-name rule: "clip-homer" no longer resolves onto bilbo/clip-homer itself
    assert e.loc["bilbo/clip-homer", "parent"] == "clip-homer"
    assert e.loc["carol/gpt2-ft", "parent"] == "openai-community/gpt2"


def test_hand_alias_is_only_a_fallback():
    # the canonical repo is absent (a slice): the hand list still maps gpt2, to an external node
    m = make_models([child("a/ft", "gpt2"), child("b/ft", "t5-base")])
    e = lineage.build_edges(m).set_index("child")
    assert e.loc["a/ft", "parent"] == "openai-community/gpt2"
    assert e.loc["a/ft", "resolution"] == "alias"
    assert not e.loc["a/ft", "parent_in_snapshot"]
    assert e.attrs["lineage_counts"]["alias_by_rule"] == {"hand": 2}
    assert e.loc["b/ft", "parent"] == "google-t5/t5-base"


def test_derived_aliases_agree_with_hand_list_where_both_exist(models):
    aliases = lineage.derive_aliases(models)
    got = dict(zip(aliases["key"], aliases["target"], strict=True))
    assert got["gpt2"] == "openai-community/gpt2"
    assert got["bert-base-uncased"] == "google-bert/bert-base-uncased"
    assert got["tinykjv"] == "gina/tinykjv"
    bad = check_aliases(aliases)
    # the fixture lacks most canonical repos: only those come back, as "hand" (not disagreements)
    assert set(bad["rule"]) == {"hand"}
    assert "gpt2" not in set(bad["key"])


def test_ambiguous_case_stays_unresolved():
    m = make_models(
        [
            {"id": "amb/Model"},
            {"id": "amb/MODEL"},
            child("c/ft", "amb/model"),
            child("d/ft", "amb/Model"),
        ]
    )
    e = lineage.build_edges(m).set_index("child")
    assert e.loc["c/ft", "resolution"] == "unresolved"
    assert e.loc["d/ft", "resolution"] == "exact"
    assert e.attrs["lineage_counts"]["ambiguous_case"] == 1


def test_no_edges():
    m = make_models([{"id": "a/x"}, {"id": "b/y", "tags": ["llama"]}])
    e = lineage.build_edges(m)
    assert len(e) == 0 and tuple(e.columns) == lineage.EDGE_COLUMNS


def test_bad_input_messages(models):
    with pytest.raises(HflineageError, match="missing column 'tags'"):
        lineage.build_edges(models.drop(columns="tags"))
    with pytest.raises(ParameterError, match="alias_rule"):
        lineage.build_edges(models, alias_rule="everything")
    with pytest.raises(ParameterError, match="'rules'"):
        lineage.build_edges(models, rules="clever")
    bad = (rules.InferenceRule("x", "distilled", "not a relation", min_parents=1),)
    with pytest.raises(ParameterError, match="distilled"):
        lineage.build_edges(models, rules=bad)


def test_quantisation_name_pattern_tokens():
    m = make_models(
        [{"id": "p/base"}]
        + [
            child(f"x/{n}", "p/base")
            for n in (
                "m-Q4_K_M",
                "m-4.0bpw-exl2",
                "m-1.58bit",
                "m-int8",
                "m-8bit",
                "m-32bit",
                "m-qwen",
                "mlxtra",
            )
        ]
    )
    rel = lineage.build_edges(m).set_index("child")["relation"]
    assert (
        rel[[f"x/m-{s}" for s in ("Q4_K_M", "4.0bpw-exl2", "1.58bit", "int8", "8bit")]]
        .eq("quantized")
        .all()
    )
    assert rel[["x/m-32bit", "x/m-qwen", "x/mlxtra"]].eq("finetune").all()


OWNERS = ["a", "B", "org"]
NAMES = ["x", "X", "y", "gpt2", "m-gguf"]
IDS = [f"{o}/{n}" for o in OWNERS for n in NAMES]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(IDS),
            st.lists(
                st.one_of(
                    st.sampled_from(IDS),
                    st.sampled_from(IDS).map(str.upper),
                    st.sampled_from(NAMES),
                    st.sampled_from(["finetune:", "merge:", "adapter:"]).flatmap(
                        lambda r: st.sampled_from(IDS).map(lambda i: r + i)
                    ),
                    st.text("abc/", min_size=1, max_size=4),
                ),
                max_size=4,
            ),
        ),
        min_size=1,
        max_size=10,
        unique_by=lambda t: t[0],
    )
)
def test_property_no_self_loops_and_complete_types(spec):
    m = make_models([child(i, *parents) for i, parents in spec])
    e = lineage.build_edges(m)
    assert not (e["child"] == e["parent"]).any()
    assert not e.duplicated(["child", "parent"]).any()
    assert e["relation"].isin(data.RELATIONS).all()
    assert e["relation_source"].isin(["declared", "inferred"]).all()
    assert e["resolution"].isin(lineage.RESOLUTIONS).all()
    assert (e["parent_in_snapshot"] == e["parent"].isin(set(m["model_id"]))).all()


@pytest.mark.slow
def test_embedded_snapshot_targets():
    """Targets of issue 3, on facts measured independently (provenance notes of the embedded file, not from this package)."""
    models = data.load_snapshot()
    edges = lineage.build_edges(models)
    c = edges.attrs["lineage_counts"]
    assert c["pairs_total"] == 126_650
    assert c["self_loops_declared"] == 669
    non_self = c["pairs_total"] - c["self_loops_declared"]
    resolved = int(edges["parent_in_snapshot"].sum()) + c["self_loops_alias"]
    assert resolved / non_self >= 0.96
    assert edges["relation"].isin(data.RELATIONS).all()
    assert edges["relation_source"].isin(["declared", "inferred"]).all()
    assert check_aliases(lineage.derive_aliases(models)).empty


# ------------------------------------------------------------------ declared relations and rules


def test_relation_agreement_on_the_fixture(models, edges):
    # declared edges: typed/q (quantized; its name "q" has no marker -> finetune), hub/child
    # (adapter; no marker -> finetune), card/child's two edges (merge; two parents -> merge)
    table = lineage.relation_agreement(edges, models).set_index("relation")
    assert table.loc["quantized", ["declared_edges", "inferred_finetune", "agreeing"]].tolist() == [
        1,
        1,
        0,
    ]
    assert table.loc["adapter", ["declared_edges", "inferred_finetune", "agreeing"]].tolist() == [
        1,
        1,
        0,
    ]
    assert table.loc["merge", ["declared_edges", "inferred_merge", "agreeing"]].tolist() == [
        2,
        2,
        2,
    ]
    assert table.loc["finetune", "declared_edges"] == 0 and pd.isna(table.loc["finetune", "share"])
    assert table.loc["all", ["declared_edges", "agreeing", "share"]].tolist() == [4, 2, 0.5]


def test_relation_agreement_worked_by_hand():
    base = {"id": "org/base", "createdAt": "2024-01-01T00:00:00Z"}
    rows = [
        base,
        child("a/lora-x", "org/base", tags=("lora",)),  # adapter, tagged lora -> adapter (agree)
        child("b/base-GGUF", "org/base"),  # quantized, "-gguf" left after cutting "base" -> agree
        child("c/chat", "org/base"),  # finetune, no marker -> finetune (agree)
        child(
            "d/chat-4bit", "org/base"
        ),  # finetune, "4bit" in its own name -> quantized (disagree)
        child("e/plain", "org/base"),  # adapter, no marker -> finetune (disagree)
    ]
    hub = {r["id"]: ["org/base"] for r in rows[1:]}
    rel = {
        "a/lora-x": "adapter",
        "b/base-GGUF": "quantized",
        "c/chat": "finetune",
        "d/chat-4bit": "finetune",
        "e/plain": "adapter",
    }
    models = models_with(rows, hub, rel)
    edges = lineage.build_edges(models)
    # declared relations are used as they are; the rules type nothing here
    assert (edges["relation_source"] == "declared").all()
    assert dict(zip(edges["child"], edges["relation"], strict=True)) == rel
    t = lineage.relation_agreement(edges, models).set_index("relation")
    assert t.loc[
        "adapter", ["declared_edges", "inferred_adapter", "inferred_finetune"]
    ].tolist() == [
        2,
        1,
        1,
    ]
    assert t.loc[
        "finetune", ["declared_edges", "inferred_finetune", "inferred_quantized"]
    ].tolist() == [
        2,
        1,
        1,
    ]
    assert t.loc["quantized", ["declared_edges", "agreeing"]].tolist() == [1, 1]
    shares = t["share"].round(4)
    assert shares.drop("merge").to_dict() == {
        "finetune": 0.5,
        "adapter": 0.5,
        "quantized": 1.0,
        "all": 0.6,
    }
    assert pd.isna(t.loc["merge", "share"])
    # the brief rules read the whole name: "base-gguf" still quantized; same answers here
    brief = lineage.relation_agreement(edges, models, rules="brief").set_index("relation")
    assert brief.loc["all", "agreeing"] == 3
    with pytest.raises(HflineageError, match="not models of this table"):
        lineage.relation_agreement(edges, models.iloc[:3])


def test_edge_rows_are_trusted_only_when_they_match_the_ids(tiny_listing):
    import numpy as np

    models = make_models(tiny_listing + [{"id": "org/other", "tags": ["base_model:ghost/x"]}])
    edges = lineage.build_edges(models)
    ids = models["model_id"].tolist()
    # by hand: each child and each found parent is the id in its row; -1 for an absent parent
    assert [ids[r] for r in edges["child_row"]] == edges["child"].tolist()
    found = edges["parent_row"].to_numpy() >= 0
    assert [ids[r] for r in edges.loc[found, "parent_row"]] == edges.loc[found, "parent"].tolist()
    assert edges.loc[~found, "parent"].tolist() == ["ghost/x"]
    slow = schema.edge_rows(models["model_id"], edges["child"], edges["parent"])
    fast = schema.frame_edge_rows(models, edges)
    for a, b in zip(slow[1:], fast[1:], strict=True):
        np.testing.assert_array_equal(a, b)
    # another table: reversed rows, or the absent parent now a model -> looked up by id
    for other in (
        models.iloc[::-1].reset_index(drop=True),
        make_models(tiny_listing + [{"id": "org/other"}, {"id": "ghost/x"}]),
    ):
        got = schema.frame_edge_rows(other, edges)
        want = schema.edge_rows(other["model_id"], edges["child"], edges["parent"])
        for a, b in zip(got[1:], want[1:], strict=True):
            np.testing.assert_array_equal(a, b)
    # the parent marked absent is the sixth model of the second table: found there
    assert got[2][~found].tolist() == [5]
