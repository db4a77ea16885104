"""Summaries, scorecard readings and the evidence that feeds the verdict rules, on hand-built
MDI results (every expected value worked out by hand)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hflineage.mdi import evidence as E
from hflineage.mdi import simulate as S
from hflineage.mdi import summaries
from hflineage.mdi.inference import Estimate
from hflineage.mdi.patterns import best_readings, readers
from hflineage.verdicts import Evidence, robustness_share


def hand_result() -> pd.DataFrame:
    """Five cd rows: two roots (one declaring a base outside the snapshot), three derived."""
    return pd.DataFrame(
        {
            "variant": ["cd"] * 5 + ["sibling"] * 2,
            "model_id": ["r1", "r2", "a", "b", "c", "a", "b"],
            "n_i": [2, 1, 1, 0, 0, 1, 0],
            "n_j": [0, 0, 1, 1, 0, 1, 0],
            "n_k": [0, 0, 0, 3, 4, 0, 2],
            "mdi": [1.0, 1.0, 0.0, -0.25, 0.0, 0.5, -1.0],
            "is_root": [True, True, False, False, False, False, False],
            "declares_parent": [False, True, True, True, True, True, True],
        }
    )


def test_root_trap_counts_roots_and_their_share_of_plus_one():
    trap = summaries.root_trap(hand_result()).set_index("variant").loc["cd"]
    assert (trap["rows"], trap["roots"]) == (5, 2)
    assert trap["roots declaring no base"] == 1
    assert trap["roots whose base is outside the snapshot"] == 1
    assert trap["share of +1 that are roots"] == 1.0 and trap["roots at +1"] == 1.0


def test_construct_shares_by_hand():
    got = summaries.construct_shares(hand_result()).set_index("variant")
    cd = got.loc["cd"]
    assert cd["could_be_negative"] == pytest.approx(2 / 5)  # a and b have n_j > 0
    assert cd["positive_given_child"] == pytest.approx(2 / 3)  # r1, r2 positive; a (n_i=1) is 0
    assert cd["child_given_positive"] == 1.0
    # sibling: n_i - n_k, so only b (n_k = 2) could be negative
    assert got.loc["sibling", "could_be_negative"] == pytest.approx(1 / 2)


def test_most_disruptive_sorts_by_mdi_then_children_and_filters_successors():
    cov = pd.DataFrame(
        {"in_degree_after_window": [5.0, 1, 0, 0, 2], "in_degree_snapshot": [7.0, 2, 1, 1, 3]},
        index=pd.Index(["r1", "r2", "a", "b", "c"], name="model_id"),
    )
    top = summaries.most_disruptive(hand_result(), cov, variant="cd", min_successors=2)
    assert list(top["model_id"]) == ["r1", "a", "c", "b"]  # r2 has 1 successor; c (0) before b
    assert top["in_degree_snapshot"].tolist() == [7.0, 1, 3, 1]


def test_indegree_readings_counts_children_and_the_window_share():
    primary = hand_result().query("variant == 'cd' and not is_root")
    cov = pd.DataFrame(
        {
            "in_degree_after_window": [0.0, 1, 0],
            "in_degree_snapshot": [4.0, 2, 0],
            "family": ["f", "f", "g"],
        },
        index=pd.Index(["a", "b", "c"], name="model_id"),
    )
    got = summaries.indegree_readings(primary, cov)
    assert got["focal models with a child"].tolist() == [2, 1]
    assert got["children"].tolist() == [6, 1]
    assert got.attrs["in_window_share"] == pytest.approx(3 / 6)  # n_i + n_j = 2 + 1 + 0
    assert (got.attrs["rows"], got.attrs["families"]) == (3, 2)


def test_best_readings_names_every_tie_fewest_contradictions_first():
    cards = pd.DataFrame(
        {
            "variant": ["cd", "cd_nok", "sibling", "cd"],
            "roots": ["without", "with", "with", "with"],
            "n_reproduced": [1, 3, 3, 2],
            "n_contradicted": [0, 1, 0, 0],
            "pattern_1": [False, True, True, False],
        }
    )
    best = best_readings(cards)
    assert list(best["variant"]) == ["sibling", "cd_nok"]
    assert readers(cards, "1") == [("cd_nok", "with roots"), ("sibling", "with roots")]


def test_most_consolidative_verdict_checks_the_construct_first():
    mass = pd.Series({"share_negative": 0.0022, "share_positive": 0.031})
    rule = {"threshold": 0.5, "above": True, "inclusive": False, "contrary": 0.5}
    blocked = E.most_consolidative_verdict(mass, 0.0055, rule=rule, construct={"min_share": 0.5})
    assert blocked.status == "not testable (construct)" and "0.55%" in blocked.sentence
    # a measure that can show the pattern goes to the threshold rule (short of it: absent)
    passed = E.most_consolidative_verdict(mass, 0.6, rule=rule, construct={"min_share": 0.5})
    assert passed.status == "absent" and "0.22%" in passed.sentence
    # the boundary: exactly the declared share lets the rule decide
    assert (
        E.most_consolidative_verdict(mass, 0.5, rule=rule, construct={"min_share": 0.5}).status
        == "absent"
    )


def test_indegree_verdict_is_design_dependent_when_the_check_fails():
    rule = {"expected": "positive", "alpha": 0.05, "min_effect": 0.05, "sesoi": 0.05}
    primary = Evidence("rho", 0.19, 0.03, 2 * stats.norm.sf(0.19 / 0.03))
    null = Estimate(-0.03, 0.016, 2 * stats.norm.sf(0.03 / 0.016), 100, 10)
    got = E.indegree_verdict(primary, null, rule=rule, check_label="given n_i")
    assert got.status == "design-dependent" and "given n_i" in got.sentence
    holds = Estimate(0.12, 0.02, 1e-9, 100, 10)
    assert E.indegree_verdict(primary, holds, rule=rule, check_label="c").status == "reproduced"


def test_contrary_clause_names_families_with_contrary_fits_and_raw_shares():
    rob = robustness_share(
        [0.05, -0.2, 0.001, 0.04],
        [0.01, 0.02, 0.01, 0.5],
        expected="positive",
        labels=["a", "b", "c", "d"],
        families=["cd reading", "finetune vs merge", "finetune vs merge", "finetune vs merge"],
    )
    text = E.contrary_clause(rob, {"finetune": 0.088, "other": 0.042})
    assert "finetune vs merge: 1 of 3 fits, e.g. b: \u22120.200" in text
    assert "8.8% of finetunes and 4.2% of the other derivations" in text


def test_wilson_interval_by_hand():
    lo, hi = S.wilson_interval(5, 100)
    z = stats.norm.ppf(0.975)
    centre = (0.05 + z**2 / 200) / (1 + z**2 / 100)
    half = z * math.sqrt(0.05 * 0.95 / 100 + z**2 / 40000) / (1 + z**2 / 100)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    with pytest.raises(Exception, match="0 <= k <= n"):
        S.wilson_interval(5, 4)


def test_simulation_checks_apply_the_band():
    summary = pd.DataFrame(
        {
            "truth": [0.0, 0.03],
            "draws": [100, 100],
            "sd_estimate": [0.01, 0.01],
            "bias": [0.001, -0.002],
        }
    )
    size = pd.DataFrame(
        {
            "test": list(S.SIZE_TESTS),
            "seed": ["all"] * 3,
            "rate": [0.072, 0.08, 0.3],
            "mc_low": [0.06, 0.07, 0.28],
            "mc_high": [0.085, 0.09, 0.32],
        }
    )
    got = S.simulation_checks(summary, size, alpha=0.05, tolerance=0.02)
    assert got["recovered"] and got["worst_bias_mc"] == pytest.approx(2.0)  # 0.002 / 0.001
    assert not got["level_ok"]  # 7.2% is above 5% + 2 points
    assert S.simulation_checks(summary, size.assign(rate=[0.07, 0.08, 0.3]))["level_ok"]


def test_size_study_counts_rejections_per_seed_and_overall():
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "log10_params": rng.normal(9.5, 0.5, n),
            "derivation": rng.choice(["finetune", "adapter", "merge"], n),
            "log_in_degree": np.log1p(rng.poisson(1, n)),
            "family": rng.integers(0, 40, n),
            "disruptive": (rng.random(n) < 0.3).astype(int),
        }
    )
    got = S.size_study(frame, seeds=[1, 2], draws=30)
    cr3 = got[got["test"] == next(iter(S.SIZE_TESTS))].set_index("seed")
    # the overall row adds the seeds' rejections; each seed equals its own simulation
    assert cr3.loc["all", "rejections"] == cr3.loc["1", "rejections"] + cr3.loc["2", "rejections"]
    one = S.simulate_effect(frame, effect=0.0, draws=30, seed=2)
    assert cr3.loc["2", "rejections"] == int(one["reject"].sum())
    assert cr3.loc["all", "draws"] == 60


def test_window_table_and_statuses_by_hand():
    sens = pd.DataFrame(
        {
            "variant": ["cd", "sibling", "cd", "sibling"],
            "window_days": [30, 30, 90, 90],
            "rows": [100, 100, 60, 60],
            "share_negative": [0.002, 0.9, 0.0, 0.8],
            "share_positive": [0.03, 0.05, 0.6, 0.1],
        }
    )
    table = summaries.window_table(sens, "cd").set_index("variant")
    assert list(table.columns) == ["30 days", "90 days"]
    assert table.loc["sibling", "90 days"] == 0.8
    assert table.loc["focal models (cd)"].tolist() == [100, 60]
    rule = {"threshold": 0.5, "above": True, "inclusive": False, "contrary": 0.5}
    # 30 days: 0.2% negative -> absent; 90 days: 60% positive -> contradicted
    assert E.window_statuses(sens, rule) == {30: "absent", 90: "contradicted"}


def test_describe_study_follows_the_numbers():
    checks = {
        "recovered": True,
        "level_ok": True,
        "rate": 0.056,
        "mc_low": 0.046,
        "mc_high": 0.067,
        "rate_cr1": 0.079,
        "rate_iid": 0.31,
        "low": 0.03,
        "high": 0.07,
    }
    within = {**checks, "rate": 0.12, "level_ok": False}
    words = S.describe_study(checks, within)
    assert "keeps its level: it rejects a true null in 5.6%" in words["level"]
    assert "4.6%–6.7%" in words["level"] and "3%–7% band" in words["level"]
    assert "CR1 sandwich would reject in 7.9% — too often —" in words["others"]
    assert "outside the band" in words["within"] and "not a valid design" in words["within"]
    bad = S.describe_study({**checks, "level_ok": False, "rate": 0.09}, checks)
    assert "but its CR3 test rejects a true null in 9.0%" in bad["level"]


def test_persistence_checks_are_the_inference_functions_on_the_primary_rows():
    from hflineage.mdi import inference as I

    rng = np.random.default_rng(4)
    n = 300
    ids = [f"m{i}" for i in range(n)]
    n_i = rng.poisson(0.3, n)
    mdi = np.where(n_i > 0, rng.uniform(0, 1, n), rng.choice([0.0, -0.2], n))
    primary = pd.DataFrame({"model_id": ids, "mdi": mdi, "n_i": n_i})
    cov = pd.DataFrame(
        {"log_in_degree": np.log1p(rng.poisson(n_i + 0.2)), "family_row": rng.integers(0, 30, n)},
        index=pd.Index(ids[::-1], name="model_id"),  # another order: joined by id
    ).iloc[::-1]
    got = E.persistence_checks(primary, cov, draws=20)
    deg, fam = cov["log_in_degree"].to_numpy(), cov["family_row"].to_numpy()
    want = I.partial_spearman(primary["mdi"], deg, n_i, fam, vcov="CR3")
    assert np.isfinite(want.estimate)
    assert got["partial"].estimate == pytest.approx(want.estimate)
    assert got["partial"].se == pytest.approx(want.se)
    child = n_i > 0
    assert got["children"].n == int(child.sum())
    assert got["bootstrap_se"] > 0
