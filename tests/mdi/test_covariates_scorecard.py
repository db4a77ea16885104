"""The covariates every MDI test uses (in-degree after the window vs at the snapshot, by hand on
the toy graph) and the family-clustered scorecard on a hand-built result."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_index import TOY_DAYS, TOY_EDGES, make_graph

from hflineage.errors import HflineageError
from hflineage.lineage.network import graph_arrays
from hflineage.mdi import (
    MdiGraph,
    consolidative_verdict,
    covariates,
    in_degree,
    scorecard,
    spearman_evidence,
    with_indegree,
)
from hflineage.mdi import inference as I


@pytest.fixture
def toy():
    return make_graph(TOY_DAYS, TOY_EDGES, snapshot_day=300, unreliable=("U",))


def by_id(models: pd.DataFrame, values: np.ndarray) -> dict[str, float]:
    return dict(zip(models["model_id"], values, strict=True))


def test_in_degree_after_the_window_by_hand(toy):
    models, edges = toy
    snap = by_id(models, in_degree(models, edges, reading="snapshot"))
    after = by_id(models, in_degree(models, edges, window_days=90, reading="after_window"))
    # F (day 10) has children A(20), A2(25), B(30), E(200), H(250): 5 at the snapshot; its window
    # (10, 100] holds A, A2, B, so only E and H come after it
    assert (snap["F"], after["F"]) == (5, 2)
    # R (day 0): F, U, B, C, C2 -- all inside (0, 90] or back-filled (U): none after
    assert (snap["R"], after["R"]) == (5, 0)
    # A (20): D (50) is inside its window; Y (70): X (60) declares it but is older
    assert (snap["A"], after["A"]) == (1, 0) and (snap["Y"], after["Y"]) == (1, 0)
    # H (250): window ends at 340, after the snapshot (300): undefined; U: back-filled date
    assert math.isnan(after["H"]) and math.isnan(after["U"])
    assert snap["H"] == 0 and snap["U"] == 0
    # a longer window: F's window (10, 210] keeps E, H (250) comes after; E's window is open
    long = by_id(models, in_degree(models, edges, window_days=200))
    assert long["F"] == 1 and math.isnan(long["E"])
    # independent route for the snapshot reading: the lineage network's in-degree
    ga = graph_arrays(models, edges).in_degree[: len(models)]
    assert np.array_equal(ga, np.array(list(snap.values())))


def test_covariates_on_the_toy_graph(toy):
    models, edges = toy
    cov = covariates(models, edges, window_days=90)
    assert list(cov.index) == list(models["model_id"])
    assert cov.loc["F", "in_degree"] == 2 and cov.loc["F", "in_degree_snapshot"] == 5
    assert cov.loc["F", "log_in_degree"] == pytest.approx(math.log(3))
    old = covariates(models, edges, MdiGraph.from_frames(models, edges), indegree="snapshot")
    assert old.loc["F", "in_degree"] == 5 and old.loc["F", "log_in_degree"] == pytest.approx(
        math.log(6)
    )
    assert old.attrs["indegree"] == "snapshot" and cov.attrs["window_days"] == 90
    # switching the reading of a built frame gives the frame built with that reading
    switched = with_indegree(cov, "snapshot")
    pd.testing.assert_frame_equal(switched, old)
    assert switched.attrs["indegree"] == "snapshot"
    # roots of the MDI graph: no usable predecessor (R, Q declare none; Z's base is outside the
    # snapshot; X's declared base is younger; Y declares none); U's base R is in the graph
    assert set(cov.index[cov["is_root"]]) == {"R", "Q", "Z", "X", "Y"}
    assert cov.loc["Z", "derivation"] == "finetune" and cov.loc["R", "derivation"] == "root"
    assert cov.loc["D", "family"] == "R" and cov.loc["G", "family"] == "Q"
    assert (cov["pipeline_tag"] == "none").all()
    assert (cov["year"] == 2024).all()


def test_covariates_refuse_an_unknown_reading_in_one_line(toy):
    models, edges = toy
    with pytest.raises(HflineageError, match="indegree") as err:
        covariates(models, edges, indegree="later")
    assert "\n" not in str(err.value) and "after_window" in str(err.value)
    with pytest.raises(HflineageError, match="window_days"):
        in_degree(models, edges, window_days=0)
    other = MdiGraph.from_frames(
        models.iloc[:5], edges[edges["child"].isin(models["model_id"][:5])]
    )
    with pytest.raises(HflineageError, match="graph: built from other models"):
        covariates(models, edges, other)


def hand_result():
    """210 focal models in 22 families (see the comments in the test)."""
    ids = [f"m{i}" for i in range(210)]
    # large finetunes: families L0-L4 all +1 (50); L5-L9 six +1, four -1 (30 +1, 20 -1)
    # smaller merges:  families S0-S4 four +1, six -1 (20 +1, 30 -1); S5-S9 all -1 (50)
    # roots of unknown size: 10 at +1, families R0, R1
    block = lambda k: [1.0] * k  # noqa: E731
    mdi = (
        block(50)
        + (block(6) + [-1.0] * 4) * 5
        + (block(4) + [-1.0] * 6) * 5
        + [-1.0] * 50
        + block(10)
    )
    family = [f"L{i // 10}" for i in range(100)] + [f"S{i // 10}" for i in range(100)]
    family += ["R0"] * 5 + ["R1"] * 5
    mdi = np.array(mdi)
    in_deg = np.where(mdi > 0, 1 + np.arange(210) % 3, np.arange(210) % 2)
    cov = pd.DataFrame(
        {
            "params": np.r_[np.full(100, 7e10), np.full(100, 1e9), np.full(10, np.nan)],
            "derivation": ["finetune"] * 100 + ["merge"] * 100 + ["root"] * 10,
            "in_degree": in_deg.astype(float),
            "family": family,
        },
        index=ids,
    )
    return ids, mdi, cov


def test_scorecard_on_a_hand_built_result():
    ids, mdi, cov = hand_result()
    result = pd.concat(
        [
            pd.DataFrame({"variant": "x", "model_id": ids, "mdi": mdi}),
            pd.DataFrame({"variant": "flip", "model_id": ids, "mdi": -mdi}),
            pd.DataFrame({"variant": "y", "model_id": ids, "mdi": -np.ones(210)}),
        ]
    )
    card = scorecard(result, cov, vcov="CR1").set_index("variant")
    x, flip, y = card.loc["x"], card.loc["flip"], card.loc["y"]
    # pattern 1: 100 of 210 negative, 110 positive: more than half above 0 -> contradicted
    assert x["share_negative"] == pytest.approx(100 / 210)
    assert x["share_positive"] == pytest.approx(110 / 210)
    assert x["status_1"] == "contradicted" and not x["pattern_1"]
    # 2a: large 80/100 vs smaller 20/100 (roots have no size): gap 0.6.  Families nest in the
    # groups; each family's summed residual is +-2 (e.g. L0: 10 * (1 - 0.8)), so
    # V = c * (10 * 4 / 100^2 + 10 * 4 / 100^2), c = 20/19 * 199/198
    assert (x["n_large"], x["n_smaller"]) == (100, 100)
    assert x["gap_2a"] == pytest.approx(0.6)
    se = math.sqrt(20 / 19 * 199 / 198 * 0.008)
    assert x["se_2a"] == pytest.approx(se, rel=1e-10)
    assert x["p_2a"] == pytest.approx(2 * stats.norm.sf(0.6 / se), rel=1e-6)
    assert x["status_2a"] == "reproduced" and x["pattern_2a"]
    # 2b: finetunes 80/100 vs the other derivations (the merges) 20/100; roots are not "other"
    assert (x["share_positive_finetune"], x["share_positive_other_derivation"]) == (0.8, 0.2)
    assert x["n_other_derivation"] == 100 and x["gap_2b"] == pytest.approx(0.6)
    # 3: Spearman's rho as scipy computes it, with the clustered SE of the inference module
    rho = stats.spearmanr(mdi, cov["in_degree"])[0]
    assert x["spearman_rho"] == pytest.approx(rho)
    ref = I.clustered_spearman(mdi, cov["in_degree"].to_numpy(), cov["family"].to_numpy())
    assert x["se_3"] == pytest.approx(ref.se) and x["status_3"] == "reproduced"
    # CR3 (the default): the share gap's SE is the leave-one-family-out jackknife, by a loop
    cr3 = scorecard(result, cov).set_index("variant").loc["x"]
    params, fam = cov["params"].to_numpy(), cov["family"].to_numpy()
    big, small, pos = params >= 1e10, params < 1e10, mdi > 0
    gaps = [
        pos[big & (fam != f)].mean() - pos[small & (fam != f)].mean()
        for f in pd.unique(fam[big | small])
    ]
    G = len(gaps)
    want = math.sqrt((G - 1) / G * ((np.array(gaps) - 0.6) ** 2).sum())
    assert cr3["se_2a"] == pytest.approx(want, rel=1e-10)
    assert cr3["gap_2a"] == pytest.approx(0.6)
    assert x["n_reproduced"] == 3 and x["n_contradicted"] == 1
    assert x["families"] == 22
    ev = spearman_evidence(card.reset_index(), "x", label="rho")
    assert (ev.estimate, ev.se, ev.n, ev.clusters) == (x["spearman_rho"], x["se_3"], 210, 22)
    with pytest.raises(HflineageError, match="no variant 'cd'"):
        spearman_evidence(card.reset_index(), "cd", label="rho")
    # flip: every sign reversed -> 2a, 2b and 3 contradicted; 110 of 210 negative (52%) is more
    # than half -> pattern 1 reproduced
    assert flip["status_1"] == "reproduced"
    assert (flip["status_2a"], flip["status_2b"], flip["status_3"]) == ("contradicted",) * 3
    assert flip["n_reproduced"] == 1 and flip["n_contradicted"] == 3
    # y: all negative -> pattern 1 only; nothing varies, so nothing else can be tested
    assert y["share_negative"] == 1.0 and y["status_1"] == "reproduced"
    assert (y["status_2a"], y["status_2b"], y["status_3"]) == ("not testable",) * 3
    assert y["n_reproduced"] == 1 and y["n_contradicted"] == 0


def test_scorecard_minimum_effect_and_graph_roots():
    ids, mdi, cov = hand_result()
    result = pd.DataFrame({"variant": "x", "model_id": ids, "mdi": mdi, "is_root": False})
    # a gap of 0.6 is significant but smaller than a declared minimum of 0.7: inconclusive (no sesoi)
    strict = scorecard(result, cov, min_gap=0.7).iloc[0]
    assert strict["status_2a"] == "inconclusive" and strict["status_2b"] == "inconclusive"
    # finetunes that are roots of the MDI graph (a +1 by construction) leave comparison 2b:
    # flag the 20 large finetunes at -1 (families L5-L9)
    flagged = result.copy()
    flagged.loc[(flagged["mdi"] < 0) & (np.arange(210) < 100), "is_root"] = True
    row = scorecard(flagged, cov).iloc[0]
    assert row["share_positive_finetune"] == 1.0 and row["n_finetune"] == 80


def test_scorecard_joins_by_model_row_or_by_id():
    ids, mdi, cov = hand_result()
    by_id = pd.DataFrame({"variant": "x", "model_id": ids, "mdi": mdi})
    want = scorecard(by_id, cov)
    rows = np.arange(210)
    pd.testing.assert_frame_equal(scorecard(by_id.assign(model_row=rows), cov), want)
    # rows of another models table (here: reversed) are not trusted: the ids decide
    pd.testing.assert_frame_equal(scorecard(by_id.assign(model_row=rows[::-1]), cov), want)
    pd.testing.assert_frame_equal(scorecard(by_id.assign(model_row=rows + 500), cov), want)
    # ... and the result is the same whatever the covariates' row order
    pd.testing.assert_frame_equal(scorecard(by_id, cov.iloc[::-1]), want)
    # a variant whose values are all undefined keeps its row (n = 0): every spec is counted
    empty = pd.DataFrame({"variant": "none", "model_id": ids, "mdi": np.nan})
    card = scorecard(pd.concat([by_id, empty], ignore_index=True), cov).set_index("variant")
    assert card.loc["none", "n"] == 0 and card.loc["none", "status_1"] == "not testable"
    with pytest.raises(HflineageError, match="no row for model 'ghost'"):
        scorecard(by_id.assign(model_id=["ghost", *ids[1:]]), cov)


def test_consolidative_verdict_follows_the_declared_threshold():
    assert consolidative_verdict(0.9, 0.05).status == "reproduced"
    assert consolidative_verdict(0.5, 0.1).status == "absent"  # not *more* than half
    got = consolidative_verdict(0.002, 0.031, label="cd, roots out")
    assert got.status == "absent" and "0.20%" in got.sentence  # two digits below 1%
    assert consolidative_verdict(0.02, 0.93).status == "contradicted"
    assert consolidative_verdict(float("nan"), 0.5).status == "not testable"
