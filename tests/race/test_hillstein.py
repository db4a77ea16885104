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
from hflineage.race import hillstein_sim as hsim


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
