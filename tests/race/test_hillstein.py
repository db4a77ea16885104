"""Hill & Stein's measures (hflineage.race.hillstein, hillstein_fits, hillstein_sim) on small races worked out by hand, and the
simulation's recover / flag behaviour on synthetic races where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from conftest import make_models

from hflineage import race
from hflineage.errors import ParameterError
from hflineage.race import hillstein as hs
from hflineage.race import hillstein_fits as hf
from hflineage.race import hillstein_plots as hplots
from hflineage.race import hillstein_sim as hsim
from hflineage.race import quality as q


def _models() -> pd.DataFrame:
    tg = "text-generation"
    rows = [
        {"id": "org/early", "createdAt": "2023-06-01T00:00:00Z", "likes": 7},
        {"id": "org/early2", "createdAt": "2023-09-01T00:00:00Z", "likes": 3},
        {"id": "org/base", "createdAt": "2024-01-01T00:00:00Z", "likes": 100, "pipeline_tag": tg},
        {"id": "org/other", "createdAt": "2024-01-01T00:00:00Z", "likes": 1, "pipeline_tag": tg},
        {"id": "a/q1", "createdAt": "2024-01-02T00:00:00Z", "likes": 4},  # team a, lag 1
        {"id": "a/q2", "createdAt": "2024-01-10T00:00:00Z", "likes": 9},  # team a again
        {"id": "org/own", "createdAt": "2024-01-03T00:00:00Z"},  # the base's own account
        {"id": "b/f1", "createdAt": "2024-01-05T00:00:00Z"},  # team b, lag 4
        {"id": "c/f1", "createdAt": "2024-02-15T00:00:00Z"},  # team c, lag 45
        {"id": "d/m1", "createdAt": "2024-05-01T00:00:00Z"},  # team d, lag 121, a merge
        {"id": "x/u", "createdAt": "2024-02-01T00:00:00Z"},  # unresolved parent: dropped
        {"id": "y/young", "createdAt": "2023-12-01T00:00:00Z"},  # older than its base
        {"id": "q/late", "createdAt": "2024-07-01T00:00:00Z"},  # fixes the snapshot date
    ]
    return make_models(rows)


def _edge(child, parent, relation="finetune", **flags):
    row = {
        "child": child,
        "parent": parent,
        "declared": parent,
        "resolution": "exact",
        "relation": relation,
        "relation_source": "tag",
        "phase": "tag",
        "parent_in_snapshot": True,
        "parent_younger": False,
        "in_cycle": False,
    }
    row.update(flags)
    return row


def _edges() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _edge("a/q1", "org/base", "quantized"),
            _edge("a/q2", "org/base", "quantized"),
            _edge("org/own", "org/base"),
            _edge("b/f1", "org/base"),
            _edge("c/f1", "org/base", "adapter"),
            _edge("d/m1", "org/base", "merge"),
            _edge("d/m1", "org/other", "merge"),
            _edge("x/u", "org/base", resolution="unresolved"),
            _edge("y/young", "org/base", parent_younger=True),
        ]
    )


def test_team_entries_count_each_rival_account_once_at_its_first_entry():
    models = _models()
    entries = hs.team_entries(models, _edges())
    ids = models["model_id"].to_numpy()
    base = entries[ids[entries["base_row"]] == "org/base"]
    # teams a, b, c, d: a's second upload, the base's own account, the unresolved and the
    # too-young edges do not count
    assert base["lag_days"].tolist() == [1.0, 4.0, 45.0, 121.0]
    assert base["relation"].tolist() == ["quantized", "finetune", "adapter", "merge"]
    other = entries[ids[entries["base_row"]] == "org/other"]
    assert other["lag_days"].tolist() == [121.0]  # the merge enters both races


def test_race_teams_by_hand():
    models = _models()
    bases = hs.base_table(models, _edges())
    b = bases.set_index("base_id").loc["org/base"]
    assert (b["teams_total"], b["teams_h"], b["teams_early"]) == (4, 3, 2)
    assert b["days_to_k"] == 45.0 and b["rmst_k"] == 45.0  # the 3rd team, c, at day 45
    assert bases.set_index("base_id").loc["org/other", "rmst_k"] == 90.0  # one team: censored
    # potential measured before entry: org's earlier models have 7 + 3 likes
    assert b["prior_likes"] == 10 and b["log_prior_likes"] == pytest.approx(np.log(11))
    assert b["log_prior_models"] == pytest.approx(np.log(3))


def test_race_teams_edges_of_the_windows():
    # lags exactly on the early (30) and horizon (90) edges count; just past them do not
    entries = pd.DataFrame(
        {"base_row": [0, 0, 0, 0, 1], "lag_days": [30.0, 30.001, 90.0, 90.5, 2.0]}
    )
    t = hs.race_teams(entries, 3, horizon=90, k=4, early=30)
    assert t["teams_early"].tolist() == [1, 1, 0]
    assert t["teams_h"].tolist() == [3, 1, 0]
    assert t["teams_total"].tolist() == [4, 1, 0]
    # the 4th team arrives at 90.5 days: past the horizon, so the restricted time is 90
    assert t["days_to_k"].iloc[0] == 90.5 and t["rmst_k"].tolist() == [90.0, 90.0, 90.0]
    assert np.isnan(t["days_to_k"].iloc[1])
    t2 = hs.race_teams(entries, 3, horizon=90, k=3, early=30)
    assert t2["rmst_k"].tolist() == [90.0, 90.0, 90.0] and t2["days_to_k"].iloc[0] == 90.0
    with pytest.raises(ParameterError, match="k=0"):
        hs.race_teams(entries, 3, k=0)


def test_author_prior_likes_excludes_ties_and_later_models():
    models = make_models(
        [
            {"id": "a/1", "createdAt": "2024-01-01T00:00:00Z", "likes": 5},
            {"id": "a/2", "createdAt": "2024-01-02T00:00:00Z", "likes": 7},
            {"id": "a/3", "createdAt": "2024-01-02T00:00:00Z", "likes": 11},  # tied with a/2
            {"id": "a/4", "createdAt": "2024-01-03T00:00:00Z", "likes": 1},
            {"id": "b/1", "createdAt": "2024-01-05T00:00:00Z", "likes": 100},
        ]
    )
    prior = dict(zip(models["model_id"], hs.author_prior_likes(models), strict=True))
    assert prior == {"a/1": 0, "a/2": 5, "a/3": 5, "a/4": 23, "b/1": 0}


def test_potential_frame_keeps_old_enough_bases_of_the_task():
    bases = hs.base_table(_models(), _edges())
    pot = hs.potential_frame(bases)
    # both text-generation models are 182 days old at the 2024-07-01 snapshot (>= 90)
    assert sorted(pot["base_id"]) == ["org/base", "org/other"]
    young = hs.potential_frame(hs.base_table(_models(), _edges(), horizon=200))
    assert young.empty


def test_entrant_frame_first_entries_and_leave_one_out_contest():
    models, edges = _models(), _edges()
    panel = race.build_panel(models, edges, min_derivatives=2)
    ent = hs.entrant_frame(panel, hs.base_table(models, edges))
    # org/own (the base's account) and a/q2 (a's second upload) go; d/m1 has two parents
    assert ent["model_id"].tolist() == ["a/q1", "b/f1", "c/f1"]
    # two teams (a, b) in the first 30 days: a and b each see the other, c sees both
    assert ent["rivals_early"].tolist() == [1, 1, 2]
    assert ent["kind"].tolist() == ["quantized", "finetune", "adapter"]
    assert ent["log_prior_likes"].tolist() == pytest.approx([np.log(11)] * 3)


def _synthetic(seed=0, n_bases=80, per_base=25, n_accounts=60):
    """Races whose bases differ in how fast they fill; accounts differ in how fast they enter."""
    rng = np.random.default_rng(seed)
    base = np.repeat(np.arange(n_bases), per_base)
    speed = rng.normal(0, 1, n_bases)[base]
    account = rng.integers(0, n_accounts, len(base))
    habit = rng.normal(0, 0.5, n_accounts)[account]
    log_lag = np.clip(3.5 - 0.8 * speed + habit + rng.normal(0, 0.8, len(base)), 0, None)
    return pd.DataFrame(
        {
            "base_id": base.astype(str),
            "author": account.astype(str),
            "created_month": rng.integers(0, 6, len(base)).astype(str),
            "kind": rng.choice(["finetune", "adapter", "quantized"], len(base)),
            "log_lag": log_lag,
            "quality_index": np.clip(0.4 + 0.1 * rng.normal(0, 1, n_bases)[base], 0, 1)
            + 0.1 * rng.normal(0, 1, n_accounts)[account]
            + rng.normal(0, 0.1, len(base)),
        }
    )


def test_simulation_recovers_the_declared_design_and_flags_the_ones_that_ignore_confounds():
    sim = hsim.simulate_quality(
        _synthetic(), beta=0.05, draws=100, seed=1, tolerance=0.02, potential_corr=0.8
    ).set_index("design")
    declared, no_base, no_account = sim.index
    assert sim.loc[declared, "recovered"] and not sim.loc[declared, "flagged"]
    assert abs(sim.loc[declared, "bias"]) < 3 * sim.loc[declared, "mc_error"] + 0.005
    # potential raises quality where entry is fast: without base FE the slope is pulled down
    assert sim.loc[no_base, "flagged"] and sim.loc[no_base, "bias"] < -0.02
    # fast accounts cut corners: without account FE the slope is pushed up
    assert sim.loc[no_account, "flagged"] and sim.loc[no_account, "bias"] > 0.02
    assert sim["mc_error"].to_numpy() == pytest.approx(sim["sd"].to_numpy() / 10)


def test_simulation_without_confounds_flags_nothing():
    sim = hsim.simulate_quality(
        _synthetic(),
        beta=0.05,
        draws=100,
        seed=2,
        tolerance=0.02,
        potential_corr=0.0,
        account_corr=0.0,
    )
    assert sim["recovered"].all() and not sim["flagged"].any()


def test_within_binscatter_slope_is_the_fixed_effects_estimate():
    data = _synthetic(seed=3)
    fes = ["base_id", "author"]
    shown = hf.within_binscatter(data, "log_lag", "quality_index", fes, bins=10)
    model = pf.feols("quality_index ~ log_lag | base_id + author", data=data)
    assert shown["slope"].iloc[0] == pytest.approx(float(model.coef()["log_lag"]), abs=1e-6)
    assert len(shown) == 10 and shown["n"].sum() == len(data)
    fit = hf.fe_fit(data, "quality_index", ["log_lag"], fes, cluster="base_id")
    assert fit["estimate"] == pytest.approx(float(model.coef()["log_lag"]), abs=1e-9)
    assert fit["clusters"] == 80


def test_fe_fit_too_small_is_not_estimable_and_bad_input_is_named():
    data = _synthetic().head(5)
    few = _synthetic()[lambda d: d["base_id"].isin(["0", "1", "2"])]  # 3 clusters: too few
    assert np.isnan(hf.fe_fit(few, "quality_index", ["log_lag"], [], cluster="base_id")["estimate"])
    assert np.isfinite(
        hf.fe_fit(few, "quality_index", ["log_lag"], [], cluster="base_id", min_clusters=3)["se"]
    )
    assert np.isnan(
        hf.fe_fit(data, "quality_index", ["log_lag"], ["base_id"], cluster="base_id")["estimate"]
    )
    with pytest.raises(ParameterError, match="no column 'nope'"):
        hf.fe_fit(data, "nope", ["log_lag"], [], cluster="base_id")
    with pytest.raises(ParameterError, match="estimator='logit'"):
        hf.fe_fit(data, "quality_index", ["log_lag"], [], cluster="base_id", estimator="logit")


def test_base_table_for_some_tasks_is_the_full_table_filtered():
    models, edges = _models(), _edges()
    full = hs.base_table(models, edges)
    some = hs.base_table(models, edges, pipeline_tags=["text-generation"])
    assert some["base_id"].tolist() == ["org/base", "org/other"]
    expected = full[full["pipeline_tag"] == "text-generation"].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, expected)
    assert some["release_month"].tolist() == ["2024-01", "2024-01"]
    # the LLM panel's bases are all in the smaller table
    panel = race.build_panel(models, edges, min_derivatives=2)
    assert len(hs.entrant_frame(panel, some)) == 3
    with pytest.raises(ParameterError, match="pipeline_tags covering the panel's bases"):
        hs.entrant_frame(panel, hs.base_table(models, edges, pipeline_tags=["fill-mask"]))


def test_race_numbers_by_hand():
    models, edges = _models(), _edges()
    bases = hs.base_table(models, edges)
    panel = race.build_panel(models, edges, min_derivatives=2)
    potential = hs.potential_frame(bases)
    table = hs.race_numbers(
        potential, hs.entrant_frame(panel, bases), panel, min_derivatives=2, said="{}/{}".format
    )
    v = _values(table)
    assert (v["hs_min_derivatives"], v["hs_horizon"], v["hs_k"], v["hs_early"]) == (
        2,
        90,
        "3rd",
        30,
    )
    # org/base: teams a, b, c within 90 days (c, the 3rd, at day 45); org/other: d at day 121
    assert (v["hs_n_potential"], v["hs_raced"], v["hs_reached_k"]) == (2, "1/2", "1/2")
    # first entries a/q1 (lag 1), b/f1 (4), c/f1 (45) into one base by three accounts
    assert (v["hs_entrants"], v["hs_entrant_bases"], v["hs_entrant_accounts"]) == (3, 1, 3)
    assert v["hs_median_lag"] == 4.0
    assert isinstance(v["hs_horizon"], int)


def _values(table: pd.DataFrame) -> dict:
    return dict(zip(table["key"], table["value"], strict=True))


def _fit(estimate, se, n=100, clusters=20):
    return {"estimate": estimate, "se": se, "p": 0.01, "n": n, "clusters": clusters}


FITS = {
    "HS-potential": _fit(0.7, 0.05),
    "HS-speed": _fit(-2.0, 0.5),
    "HS-maturation": _fit(-0.1, 0.02),
    "HS-quality": _fit(0.01, 0.02),
    "crowding (reading)": _fit(np.nan, np.nan, clusters=0),
}
CREDIT = {"estimate": -0.2, "std_error": 0.05, "p_value": 0.0001, "n_obs": 500, "n_clusters": 40}


def test_estimates_and_estimate_numbers_from_the_fits():
    table = hf.estimates_table(FITS)
    assert table["design"].tolist() == list(hf.DESIGNS)
    assert table.loc[2, "term"] == "log_rivals_early" and table.loc[3, "term"] == "log_lag"
    assert table.loc[3, "fixed effects"] == "base_id + author + created_month + kind"
    v = _values(hf.estimate_numbers(FITS, _fit(1.25, 0.1)))
    assert (v["hs_b_speed"], v["hs_b_speed_se"], v["hs_b_base_likes"]) == (-2.0, 0.5, 1.25)
    assert np.isnan(v["hs_b_crowding"])
    designs = hf.design_table().set_index("design")
    assert designs.loc["HS-potential", "estimator"] == "PPML"
    assert designs.loc["HS-quality", "controls"] == "–"
    assert designs.loc["HS-maturation", "controls"] == "log_prior_likes, log_prior_models"


def test_claim_evidence_and_verdicts_read_the_primary_fits():
    evidence = hf.claim_evidence(FITS, CREDIT)
    assert list(evidence) == [*list(FITS)[:4], "HS-credit"]  # the crowding reading is no claim
    assert (evidence["HS-credit"].estimate, evidence["HS-credit"].clusters) == (-0.2, 40)
    rules = {
        "HS-potential": {"expected": "positive"},
        "HS-speed": {"expected": "negative"},
        "HS-maturation": {"expected": "negative"},
        "HS-quality": {"expected": "positive"},
        "HS-credit": {"expected": "negative"},
    }
    verdicts = hf.claim_verdicts(evidence, rules)
    # z = 14, -4, -5 and -4 with the expected sign; HS-quality's z = 0.5 is not significant
    assert [verdicts[c].status for c in ("HS-potential", "HS-speed", "HS-credit")] == [
        "reproduced"
    ] * 3
    assert verdicts["HS-quality"].status != "reproduced"
    assert verdicts["HS-potential"].sentence.startswith(
        "As Hill and Stein's framework predicts, bases with more potential draw more competing teams"
    )
    table = hf.verdict_table(verdicts)
    assert table.columns.tolist() == ["claim", "verdict", "in one sentence"]
    with pytest.raises(ParameterError, match="no declared rule or subject for 'HS-credit'"):
        hf.claim_verdicts(evidence, {k: r for k, r in rules.items() if k != "HS-credit"})
    credit = _values(hf.credit_numbers(CREDIT, "equal"))
    assert credit == {"hs_credit_check": "equal", "hs_b_credit": -0.2, "hs_b_credit_se": 0.05}


def test_simulation_numbers_say_what_the_simulation_found():
    sim = hsim.simulate_quality(
        _synthetic(), beta=0.05, draws=100, seed=1, tolerance=0.02, potential_corr=0.8
    )
    v = _values(hsim.simulation_numbers(sim))
    assert (v["hs_sim_draws"], v["hs_sim_beta"], v["hs_sim_rho_b"], v["hs_sim_rho_a"]) == (
        100,
        0.05,
        0.8,
        0.5,
    )
    assert v["hs_sim_bias"] == sim["bias"].iloc[0] and v["hs_sim_sd"] == sim["sd"].iloc[0]
    # the two designs that each ignore a confound are flagged (as in the test above)
    assert v["hs_sim_flagged"] == ", ".join(sim["design"].iloc[1:])
    assert v["hs_sim_sentence"].startswith("Against a planted effect of 0.0500")
    assert v["hs_sim_seconds"] > 0


def test_binscatter_panels_say_each_fit():
    models, edges = _models(), _edges()
    bases = hs.base_table(models, edges)
    panel = race.build_panel(models, edges, min_derivatives=2)
    panels = hplots.binscatter_panels(
        hs.potential_frame(bases), q.with_quality(hs.entrant_frame(panel, bases)), FITS, bins=5
    )
    assert [p["title"] for p in panels] == [
        "potential → teams",
        "potential → speed",
        "contest → maturation",
        "maturation → quality",
    ]
    assert panels[0]["estimate"] == "PPML estimate 0.700 (SE 0.050)"
    assert panels[1]["y"] == "days to the team 3 (max 90)"
    assert all(p["points"] is None for p in panels)  # a handful of rows: fewer than 2 per bin
