"""The Model Disruption Index: hand-worked toy graphs, root and censoring rules, the engine against
the set-based reference on random timestamped DAGs, and the literal index against ``cdindex``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hflineage.data import RELATIONS
from hflineage.errors import HflineageError, ParameterError
from hflineage.mdi import (
    VARIANTS,
    MdiGraph,
    derivation_type,
    exclusion_table,
    index_from_components,
    lineage_family,
    mass_points,
    mdi,
    mdi_all,
)
from hflineage.mdi.reference import mdi_reference

DAY0 = pd.Timestamp("2024-01-01", tz="UTC")


def make_graph(
    days: dict[str, float],
    edges: list[tuple[str, str]],
    *,
    snapshot_day: float,
    unreliable: tuple[str, ...] = (),
    relations: dict[tuple[str, str], str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A minimal models table and an edges table in the shape of ``lineage.build_edges``."""
    models = pd.DataFrame(
        {
            "model_id": list(days),
            "created_at": [DAY0 + pd.Timedelta(days=d) for d in days.values()],
            "created_at_reliable": [m not in unreliable for m in days],
        }
    )
    models.attrs["snapshot_date"] = DAY0 + pd.Timedelta(days=snapshot_day)
    frame = pd.DataFrame(edges, columns=["child", "parent"])
    frame["relation"] = [(relations or {}).get(e, "finetune") for e in edges]
    frame["parent_in_snapshot"] = frame["parent"].isin(days)
    frame["parent_younger"] = [p in days and days[p] > days[c] for c, p in edges]
    frame["in_cycle"] = False
    return models, frame


# The toy graph of the MDI chapter (days after 2024-01-01; edges child -> declared parent):
#
#   R(0) <- F(10) <- A(20) <- D(50)        Q(0) <- G(60)
#   R    <- B(30) -> F                     Z(12) -> "ghost/x" (not in the snapshot)
#   F    <- A2(25), E(200), H(250)         X(60) -> Y(70)     (parent younger than child)
#   R    <- C(40), C2(45), U(15, back-filled date)
#
# Snapshot at day 300, window 90 days.
TOY_DAYS = {
    "R": 0,
    "Q": 0,
    "F": 10,
    "Z": 12,
    "U": 15,
    "A": 20,
    "A2": 25,
    "B": 30,
    "C": 40,
    "C2": 45,
    "D": 50,
    "G": 60,
    "X": 60,
    "Y": 70,
    "E": 200,
    "H": 250,
}
TOY_EDGES = [
    ("F", "R"),
    ("U", "R"),
    ("A", "F"),
    ("A2", "F"),
    ("B", "F"),
    ("B", "R"),
    ("C", "R"),
    ("C2", "R"),
    ("D", "A"),
    ("G", "Q"),
    ("E", "F"),
    ("H", "F"),
    ("Z", "ghost/x"),
    ("X", "Y"),
]


@pytest.fixture
def toy():
    return make_graph(TOY_DAYS, TOY_EDGES, snapshot_day=300, unreliable=("U",))


def by_id(frame: pd.DataFrame) -> dict[str, tuple]:
    return {
        r.model_id: (r.n_i, r.n_j, r.n_k, None if math.isnan(r.mdi) else round(r.mdi, 6))
        for r in frame.itertuples()
    }


def test_direct_components_of_the_toy_graph(toy):
    models, edges = toy
    got = by_id(mdi(models, edges, variant="cd"))
    # F (day 10), window (10, 100]; P(F) = {R}.
    #   A (20), A2 (25): declare F only                 -> n_i = 2
    #   B (30): declares F and R                         -> n_j = 1
    #   C (40), C2 (45): declare R only                  -> n_k = 2
    #   U (15) declares R but its date is back-filled: never a successor
    #   D (50) declares A only: not a successor of F under direct edges
    #   E (200), H (250) are outside the window
    #   cd = (2 - 1) / (2 + 1 + 2) = 0.2
    assert got["F"] == (2, 1, 2, 0.2)
    # R (root, day 0), window (0, 90]: F, B, C, C2 declare R -> n_i = 4; cd = +1
    assert got["R"] == (4, 0, 0, 1.0)
    # A (20), window (20, 110], P(A) = {F}: D declares A -> n_i = 1;
    #   A2 (25), B (30) declare F -> n_k = 2; cd = 1 / 3
    assert got["A"] == (1, 0, 2, round(1 / 3, 6))
    # B (30), P(B) = {F, R}, window (30, 120]: no child; C, C2 declare R -> n_k = 2; cd = 0
    assert got["B"] == (0, 0, 2, 0.0)
    # E (200), window (200, 290]: H (250) declares F -> n_k = 1
    assert got["E"] == (0, 0, 1, 0.0)
    # D, G, C2, Z, X, Y have no successor; H's window passes the snapshot (250 + 90 > 300)
    assert set(got) == {"R", "Q", "F", "A", "A2", "B", "C", "E"}


def test_every_variant_on_the_toy_graph(toy):
    models, edges = toy
    out = mdi_all(models, edges)
    got = {v: by_id(d) for v, d in out.groupby("variant", observed=True)}
    # cd_nok drops n_k: F = (2 - 1) / (2 + 1) = 1/3; A = 1 / 1; B has n_i = n_j = 0 -> undefined
    assert got["cd_nok"]["F"][3] == round(1 / 3, 6)
    assert got["cd_nok"]["A"][3] == 1.0
    assert got["cd_nok"]["B"][3] is None
    # sibling: (n_i - n_k) / (n_i + n_j + n_k): F = (2 - 2) / 5 = 0; A = (1 - 2) / 3; B = -2 / 2
    assert got["sibling"]["F"][3] == 0.0
    assert got["sibling"]["A"][3] == round(-1 / 3, 6)
    assert got["sibling"]["B"][3] == -1.0
    # ancestral, P(F) = {R}, window (10, 100]: descendants of F: A, A2, B, D -- all of them
    #   also descend from R -> n_j = 4, n_i = 0; descendants of R not via F: C, C2 -> n_k = 2;
    #   (0 - 4) / 6 = -2/3
    assert got["ancestral"]["F"] == (0, 4, 2, round(-2 / 3, 6))
    # R: descendants in (0, 90]: F, A, A2, B, C, C2, D -> n_i = 7 (root), +1
    assert got["ancestral"]["R"] == (7, 0, 0, 1.0)
    # B: parents F and R, F descends from R. Descendants of F or R in (30, 120]: C, C2, D
    assert got["ancestral"]["B"] == (0, 0, 3, 0.0)
    # C2 (45): window (45, 135]: D (50) descends from R -> n_k = 1 (it was not a direct child)
    assert got["ancestral"]["C2"] == (0, 0, 1, 0.0)
    # the three direct variants share their components
    for v in ("cd_nok", "sibling"):
        assert {k: x[:3] for k, x in got[v].items()} == {k: x[:3] for k, x in got["cd"].items()}


def test_ancestral_with_all_ancestors_as_predecessors(toy):
    models, edges = toy
    got = by_id(mdi(models, edges, variant="ancestral", predecessors="ancestors"))
    # D (50), P(D) = ancestors {A, F, R}; window (50, 140]: descendants of R after day 50: G? no
    #   (G descends from Q). None -> D has no successor.
    assert "D" not in got
    # A (20), P(A) = {F, R}: descendants in (20, 110] of A: D -> n_j = 1;
    #   of F or R but not A: A2, B, C, C2 -> n_k = 4 (with P = {F} only it was 2)
    assert got["A"] == (0, 1, 4, -0.2)


def test_exclusion_counts_and_root_rule(toy):
    models, edges = toy
    out = mdi(models, edges, variant="cd")
    ex = out.attrs["excluded"]
    # 16 models; U back-filled; H censored (250 + 90 > 300); 14 focal
    assert (ex["models"], ex["unreliable_date"], ex["censored"], ex["focal"]) == (16, 1, 1, 14)
    # 14 focal, 8 with successors -> 6 without (Z, C2, D, G, X, Y)
    assert (ex["no_successors"], ex["scored"], ex["undefined"]) == (6, 8, 0)
    roots = out.set_index("model_id")["is_root"]
    assert roots[["R", "Q"]].all() and not roots[["F", "A", "B"]].any()
    assert not out.set_index("model_id").loc["R", "declares_parent"]
    # without roots R and Q go (and are counted)
    no_roots = mdi(models, edges, variant="cd", include_roots=False)
    assert set(no_roots["model_id"]) == {"F", "A", "A2", "B", "C", "E"}
    assert no_roots.attrs["excluded"]["roots_dropped"] == 2
    # Z declares a base outside the snapshot: no predecessor in the graph -> a root that
    # declares a parent; X declares a younger parent -> the same.
    models2, edges2 = make_graph(
        {"Z": 0, "K": 5, "X": 1, "Y": 2},
        [("Z", "ghost/x"), ("K", "Z"), ("X", "Y")],
        snapshot_day=300,
    )
    out2 = mdi(models2, edges2).set_index("model_id")
    assert out2.loc["Z", "is_root"] and out2.loc["Z", "declares_parent"]
    assert out2.loc["Z", "mdi"] == 1.0  # the zero-reference trap: K alone makes Z "disruptive"
    counts = out2.attrs["edges"]
    assert counts["parent_not_in_snapshot"] == 1 and counts["parent_younger"] == 1
    assert counts["used"] == 1
    table = exclusion_table(mdi_all(models, edges))
    assert table.set_index("variant").loc["cd_nok", "undefined"] == 4  # A2, B, C, E


def test_window_is_open_at_the_focal_time_and_closed_at_its_end():
    # F at day 0; S1 at day 0 (same time: not a successor), S2 at exactly day 30 (counted),
    # S3 at day 30 + 1 second (outside a 30-day window)
    models, edges = make_graph(
        {"F": 0, "S1": 0, "S2": 30, "S3": 30 + 1 / 86400},
        [("S1", "F"), ("S2", "F"), ("S3", "F")],
        snapshot_day=100,
    )
    got = by_id(mdi(models, edges, window_days=30))
    assert got["F"] == (1, 0, 0, 1.0)
    # snapshot at day 30: the windows of F and S1 end exactly at the snapshot (kept); those of
    # S2 and S3 pass it (censored)
    models.attrs["snapshot_date"] = DAY0 + pd.Timedelta(days=30)
    assert mdi(models, edges, window_days=30).attrs["excluded"]["censored"] == 2
    assert "F" in set(mdi(models, edges, window_days=30)["model_id"])


def test_censor_days_fixes_the_focal_models_across_windows(toy):
    models, edges = toy
    # snapshot at day 300; censoring at 200 days keeps only models created by day 100:
    # R, Q, F, Z, U (unreliable), A, A2, B, C, C2, D, G, X, Y -> 13 reliable focal models
    short = mdi(models, edges, window_days=30, censor_days=200)
    long = mdi(models, edges, window_days=200)
    assert short.attrs["excluded"]["focal"] == long.attrs["excluded"]["focal"] == 13
    assert short.attrs["excluded"]["censored"] == 2  # E (200), H (250)
    # F with a 30-day window (10, 40]: A, A2, B children (B also declares R); C (40) -> n_k
    assert by_id(short)["F"] == (2, 1, 1, 0.25)
    with pytest.raises(ParameterError, match="censor_days"):
        mdi(models, edges, window_days=90, censor_days=30)


def test_relations_restrict_the_whole_graph():
    # B is a quantization of R, C a finetune of R, D a finetune of B.
    days = {"R": 0, "B": 1, "C": 2, "D": 3}
    edges_list = [("B", "R"), ("C", "R"), ("D", "B")]
    rel = {("B", "R"): "quantized", ("C", "R"): "finetune", ("D", "B"): "finetune"}
    models, edges = make_graph(days, edges_list, snapshot_day=300, relations=rel)
    all_rel = by_id(mdi(models, edges))
    # all relations: B has parent R; D declares B -> n_i = 1; C declares R -> n_k = 1;
    # cd = (1 - 0) / (1 + 0 + 1) = 0.5
    assert all_rel["B"] == (1, 0, 1, 0.5)
    only_ft = mdi(models, edges, relations=["finetune"]).set_index("model_id")
    # finetune only: the B -> R edge is gone, so B is a root with one successor, D
    assert tuple(only_ft.loc["B", ["n_i", "n_j", "n_k", "mdi"]]) == (1, 0, 0, 1.0)
    assert only_ft.loc["B", "is_root"]
    assert only_ft.attrs["edges"]["relation_excluded"] == 1


def test_same_time_cycle_is_broken_and_counted():
    # P and Q were created in the same second and declare each other: no order, no edge
    models, edges = make_graph(
        {"P": 0, "Q": 0, "S": 5}, [("P", "Q"), ("Q", "P"), ("S", "P")], snapshot_day=300
    )
    out = mdi(models, edges, variant="ancestral")
    assert out.attrs["edges"]["cycle"] == 2
    assert by_id(out)["P"] == (1, 0, 0, 1.0)


def test_index_formulas_and_undefined():
    n_i, n_j, n_k = [3, 0, 0], [1, 0, 0], [2, 4, 0]
    np.testing.assert_allclose(index_from_components("cd", n_i, n_j, n_k), [2 / 6, 0, np.nan])
    np.testing.assert_allclose(
        index_from_components("cd_nok", n_i, n_j, n_k), [2 / 4, np.nan, np.nan]
    )
    np.testing.assert_allclose(index_from_components("sibling", n_i, n_j, n_k), [1 / 6, -1, np.nan])


def test_bad_parameters_and_inputs_get_one_line_errors(toy):
    models, edges = toy
    with pytest.raises(ParameterError, match="'variant'.*cd, cd_nok, ancestral, sibling"):
        mdi(models, edges, variant="CD")
    with pytest.raises(ParameterError, match="'relations'"):
        mdi(models, edges, relations=["fine-tune"])
    with pytest.raises(ParameterError, match="window_days"):
        mdi(models, edges, window_days=0)
    with pytest.raises(HflineageError, match="edges: missing column 'parent_younger'"):
        mdi(models, edges.drop(columns="parent_younger"))
    g = MdiGraph.from_frames(models, edges, relations=["merge"])
    with pytest.raises(ParameterError, match="relations"):
        mdi(models, edges, graph=g)


# ------------------------------------------------------------------------------------------------
# Engine == reference on random timestamped DAGs
# ------------------------------------------------------------------------------------------------
@st.composite
def timed_graphs(draw):
    n = draw(st.integers(1, 14))
    names = [f"m{i}" for i in range(n)]
    # days with ties; creation order = index order
    days = sorted(draw(st.lists(st.integers(0, 25), min_size=n, max_size=n)))
    unreliable = tuple(m for m in names if draw(st.booleans()) and draw(st.integers(0, 4)) == 0)
    edges = []
    for i in range(1, n):
        # merges = several parents; chains arise naturally
        for j in draw(st.sets(st.integers(0, i - 1), max_size=3)):
            edges.append((names[i], names[j]))
    # occasional odd edges: unresolved, younger parent, or a same-day back edge (cycle)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, n - 1))
        kind = draw(st.sampled_from(["ghost", "back"]))
        if kind == "ghost":
            edges.append((names[i], f"ghost/{i}"))
        elif i + 1 < n:
            j = draw(st.integers(i + 1, n - 1))
            edges.append((names[i], names[j]))
    edges = list(dict.fromkeys(edges))
    rels = {e: draw(st.sampled_from(RELATIONS)) for e in edges}
    snapshot_day = draw(st.integers(days[-1], days[-1] + 30))
    models, frame = make_graph(
        dict(zip(names, days, strict=True)),
        edges,
        snapshot_day=snapshot_day,
        unreliable=unreliable,
        relations=rels,
    )
    return models, frame


def _same(engine: pd.DataFrame, ref: pd.DataFrame) -> None:
    cols = ["model_id", "n_i", "n_j", "n_k", "mdi", "is_root", "declares_parent"]
    a = engine[cols].sort_values("model_id").reset_index(drop=True)
    b = ref[cols].sort_values("model_id").reset_index(drop=True)
    for c in ("n_i", "n_j", "n_k"):
        a[c], b[c] = a[c].astype("int64"), b[c].astype("int64")
    for c in ("is_root", "declares_parent"):
        a[c], b[c] = a[c].astype(bool), b[c].astype(bool)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert engine.attrs["excluded"] == ref.attrs["excluded"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graph=timed_graphs(),
    variant=st.sampled_from(VARIANTS),
    window=st.sampled_from([1, 3, 7, 30]),
    include_roots=st.booleans(),
    predecessors=st.sampled_from(["parents", "ancestors"]),
    relations=st.one_of(st.none(), st.sets(st.sampled_from(RELATIONS), min_size=1)),
    extra_censor=st.one_of(st.none(), st.integers(0, 10)),
)
def test_engine_matches_reference(
    graph, variant, window, include_roots, predecessors, relations, extra_censor
):
    models, edges = graph
    kw = dict(
        variant=variant,
        window_days=window,
        censor_days=None if extra_censor is None else window + extra_censor,
        include_roots=include_roots,
        predecessors=predecessors,
        relations=None if relations is None else sorted(relations),
    )
    _same(mdi(models, edges, **kw), mdi_reference(models, edges, **kw))


def test_union_counting_in_chunks_matches_one_pass(toy, monkeypatch):
    # a tiny pair budget forces one chunk per focal model in the multi-parent union
    from hflineage.mdi import graph

    models, edges = toy
    whole = mdi_all(models, edges)
    monkeypatch.setattr(graph, "PAIR_BUDGET", 1)
    chunked = mdi_all(models, edges)
    pd.testing.assert_frame_equal(whole, chunked)


# ------------------------------------------------------------------------------------------------
# The literal index against Funk's cdindex package (an independent C implementation)
# ------------------------------------------------------------------------------------------------
def test_cd_matches_the_cdindex_package():
    cdindex = pytest.importorskip("cdindex")
    rng = np.random.default_rng(7)
    n = 60
    days = np.sort(rng.integers(0, 200, n))
    names = [f"m{i}" for i in range(n)]
    edges = []
    for i in range(1, n):
        k = rng.choice([0, 1, 1, 1, 2, 3])
        for j in set(rng.integers(0, i, k).tolist()):
            if days[j] <= days[i]:
                edges.append((names[i], names[j]))
    models, frame = make_graph(
        dict(zip(names, days.tolist(), strict=True)), edges, snapshot_day=400
    )
    ours = mdi(models, frame, variant="cd", window_days=60).set_index("model_id")["mdi"]
    graph = cdindex.Graph()
    for name, d in zip(names, days, strict=True):
        graph.add_vertex(name, int(d) * 86400)
    for child, parent in edges:  # "child cites parent"
        graph.add_edge(child, parent)
    theirs = {m: graph.cdindex(m, 60 * 86400) for m in names}
    assert len(ours) > 20
    for m in names:
        if m in ours.index:
            assert theirs[m] == pytest.approx(ours[m], abs=1e-12), m
        else:
            assert theirs[m] is None, m  # no successor: cdindex's 0/0


# ------------------------------------------------------------------------------------------------
# Summaries: mass points, derivation type, lineage family (the scorecard: test_facts.py)
# ------------------------------------------------------------------------------------------------
def test_mass_points_count_exact_values_and_undefined():
    result = pd.DataFrame(
        {
            "variant": ["cd"] * 8,
            "model_id": list("abcdefgh"),
            "mdi": [-1, -0.5, -0.2, 0, 0.5, 1, 1, np.nan],
        }
    )
    got = mass_points(result).set_index("variant").loc["cd"]
    # 8 rows: one at -1, two in (-1, 0), one at 0, one in (0, 1), two at +1, one undefined
    assert got["rows"] == 8
    expected = {"−1": 1, "(−1, 0)": 2, "0": 1, "(0, 1)": 1, "+1": 2, "undefined": 1}
    for k, v in expected.items():
        assert got[k] == pytest.approx(v / 8), k
    # among the 7 defined values: 3 negative, 1 zero, 3 positive
    assert got["defined"] == 7
    assert got["share_negative"] == pytest.approx(3 / 7)
    assert got["share_zero"] == pytest.approx(1 / 7)
    assert got["share_positive"] == pytest.approx(3 / 7)


def test_derivation_type_and_lineage_family(toy):
    models, edges = toy
    edges = edges.copy()
    edges.loc[(edges["child"] == "B"), "relation"] = "merge"
    edges.loc[(edges["child"] == "A2"), "relation"] = "adapter"
    der = derivation_type(models, edges)
    assert der["R"] == "root" and der["Q"] == "root"
    assert der["B"] == "merge" and der["A2"] == "adapter" and der["F"] == "finetune"
    # Z declares a base outside the snapshot: still a finetune (it declares one)
    assert der["Z"] == "finetune"
    fam = lineage_family(MdiGraph.from_frames(models, edges))
    # D -> A -> F -> R; B -> {F, R}; G -> Q; U -> R; Z's base is outside the snapshot
    assert fam[["D", "A", "F", "B", "U", "C2"]].eq("R").all()
    assert fam["G"] == "Q" and fam["Z"] == "Z" and fam["R"] == "R"
    # X's declared parent is younger: no usable edge, its own family
    assert fam["X"] == "X"
