"""The race panel and regressions, checked against values worked out by hand and by independent
routes (statsmodels with dummy variables; a known data-generating process; pyfixest itself for
the matrix-form placebo)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_models

from hflineage import race
from hflineage.chapter.tables import regression_table
from hflineage.data.schema import snapshot_date
from hflineage.errors import HflineageError, ParameterError
from hflineage.race import regressions as rm

DAY = 86_400


def _models() -> pd.DataFrame:
    rows = [
        # the race on org/base (created 2024-01-01 00:00)
        {"id": "org/base", "createdAt": "2024-01-01T00:00:00Z", "likes": 50, "downloads": 1000},
        {"id": "a/early", "createdAt": "2023-12-01T00:00:00Z"},  # a's first model, no parent
        {
            "id": "a/d1",
            "createdAt": "2024-01-02T00:00:00Z",
            "likes": 5,
            "downloads": 7,
            "library_name": "transformers",
            "tags": ["dataset:squad", "license:mit", "arxiv:2401.00001"],
        },
        {"id": "b/d2", "createdAt": "2024-01-05T00:00:00Z"},
        {"id": "c/d3", "createdAt": "2024-01-05T00:00:00Z", "likes": 2},  # same time as b/d2
        {"id": "m/merge", "createdAt": "2024-01-20T00:00:00Z", "likes": 9},  # two parents
        {"id": "a/d4", "createdAt": "2024-02-10T00:00:00Z", "likes": 1, "tags": ["model-index"]},
        {"id": "org/d5", "createdAt": "2024-03-20T00:00:00Z", "likes": 10},  # base's own author
        {"id": "org/other", "createdAt": "2024-01-01T00:00:00Z"},
        # a small race (2 entrants) and a base with a back-filled date
        {"id": "org/small", "createdAt": "2024-01-01T00:00:00Z"},
        {"id": "s/1", "createdAt": "2024-02-01T00:00:00Z"},
        {"id": "s/2", "createdAt": "2024-02-02T00:00:00Z"},
        {"id": "legacy-base", "createdAt": "2022-03-02T23:29:04Z"},
        {"id": "l/1", "createdAt": "2024-02-01T00:00:00Z"},
        {"id": "l/2", "createdAt": "2024-02-02T00:00:00Z"},
        {"id": "l/3", "createdAt": "2024-02-03T00:00:00Z"},
        # edges that must be dropped
        {"id": "x/u", "createdAt": "2024-02-01T00:00:00Z"},  # unresolved parent
        {"id": "y/young", "createdAt": "2023-06-01T00:00:00Z"},  # older than its base
        {"id": "q/late", "createdAt": "2024-06-30T12:00:00Z"},  # fixes the snapshot date
    ]
    return make_models(rows)


def _edge(child, parent, relation="finetune", **flags):
    row = {
        "child": child,
        "parent": parent,
        "declared": parent,
        "resolution": "exact",
        "relation": relation,
        "relation_source": "inferred",
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
            _edge("a/d1", "org/base"),
            _edge("b/d2", "org/base"),
            _edge("c/d3", "org/base"),
            _edge("a/d4", "org/base", "adapter"),
            _edge("org/d5", "org/base"),
            _edge("m/merge", "org/base", "merge"),
            _edge("m/merge", "org/other", "merge"),
            _edge("s/1", "org/small"),
            _edge("s/2", "org/small"),
            _edge("l/1", "legacy-base"),
            _edge("l/2", "legacy-base"),
            _edge("l/3", "legacy-base"),
            _edge("x/u", "ghost/model", resolution="unresolved", parent_in_snapshot=False),
            _edge("y/young", "org/base", parent_younger=True),
        ]
    )


@pytest.fixture
def panel() -> pd.DataFrame:
    return race.build_panel(_models(), _edges(), min_derivatives=3, congestion_days=30)


def test_panel_rows_ranks_lags_by_hand(panel):
    # Entrants of org/base: d1 (01-02), d2 and d3 (01-05, tied), merge (01-20), d4 (02-10),
    # d5 (03-20) -> n = 6.  Ranks with ties sharing the lower rank: 1, 2, 2, 4, 5, 6.  The merge
    # declares two parents: it competes (counts in ranks) but is not a row.
    assert panel["model_id"].tolist() == ["a/d1", "b/d2", "c/d3", "a/d4", "org/d5"]
    assert set(panel["base_id"]) == {"org/base"}
    assert panel["entry_rank"].tolist() == [1, 2, 2, 5, 6]
    assert panel["base_n_derivatives"].tolist() == [6] * 5
    # percentile (rank - 1) / (n - 1)
    assert panel["entry_pct"].tolist() == pytest.approx([0, 0.2, 0.2, 0.8, 1.0])
    # days since 2024-01-01: 1, 4, 4, 40 (Jan 31 + Feb 9), 79 (31 + 29 + 19; 2024 is a leap year)
    assert panel["lag_days"].tolist() == pytest.approx([1, 4, 4, 40, 79])
    assert panel["early_entrant_7d"].tolist() == [True, True, True, False, False]
    assert panel["early_entrant_30d"].tolist() == [True, True, True, False, False]
    assert panel["created_month"].tolist() == ["2024-01"] * 3 + ["2024-02", "2024-03"]


def test_panel_congestion_by_hand(panel):
    # Default: rivals of the same base within 15 days either side (ties count, itself not).
    # d1 (01-02): d2, d3 -> 2; d2 (01-05): d1, d3 and the merge (01-20 00:00, exactly 15 days
    # later: the window's last instant) -> 3; d3 likewise -> 3; d4 (02-10, window 01-26..02-25)
    # and d5 (03-20) -> 0.
    assert panel["congestion"].tolist() == [2, 3, 3, 0, 0]
    assert panel["log_congestion"].tolist() == pytest.approx(np.log1p([2, 3, 3, 0, 0]))
    # Trailing window, [t - 30 days, t), strictly before (a tie is not congestion): d1: none;
    # d2: d1; d3: d1 (d2 is simultaneous); d4 (02-10): window starts 01-11 -> merge (01-20)
    # only; d5 (03-20): window starts 02-19 -> none (d4 is 39 days earlier).
    assert panel["congestion_trailing"].tolist() == [0, 1, 1, 1, 0]
    before = race.build_panel(
        _models(), _edges(), min_derivatives=3, congestion_days=30, congestion_window="before"
    )
    assert before["congestion"].tolist() == [0, 1, 1, 1, 0]
    wide = race.build_panel(
        _models(), _edges(), min_derivatives=3, congestion_days=60, congestion_window="before"
    )
    # 60 days: d4 sees d1, d2, d3, merge (all after 2023-12-12); d5 (window from 01-20) sees
    # merge (01-20 00:00, the window's first instant) and d4.
    assert wide["congestion"].tolist() == [0, 1, 1, 4, 2]


def test_around_window_drops_rows_whose_window_passes_the_snapshot():
    # The snapshot is 2024-06-30 23:59:59 (q/late).  A derivative of org/base created on
    # 2024-06-20 is 10.5 days old: with a 30-day window (15 days after entry) its rivals after
    # entry cannot all be seen yet, so it is not a row -- but it still competes (it is counted
    # in the entrants of the base).  With a 20-day window (10 days after) it is a row.
    models = _models()
    extra = make_models([{"id": "z/recent", "createdAt": "2024-06-20T00:00:00Z", "likes": 3}])
    models = pd.concat([models, extra], ignore_index=True)
    edges = pd.concat([_edges(), pd.DataFrame([_edge("z/recent", "org/base")])])
    out = race.build_panel(models, edges, min_derivatives=3, congestion_days=30)
    assert "z/recent" not in set(out["model_id"])
    assert out["base_n_derivatives"].iloc[0] == 7
    assert race.funnel_table(out)["dropped"].iloc[-1] == 1
    short = race.build_panel(models, edges, min_derivatives=3, congestion_days=20)
    assert "z/recent" in set(short["model_id"])
    trailing = race.build_panel(
        models, edges, min_derivatives=3, congestion_days=30, congestion_window="before"
    )
    assert "z/recent" in set(trailing["model_id"])


def test_lag_bins_and_spline_by_hand(panel):
    # lags 1, 4, 4, 40, 79 days: bins [1, 3), [3, 7), [3, 7), [30, 60), [60, 90)
    assert panel["lag_bin"].tolist() == ["1-3d", "3-7d", "3-7d", "30-60d", "60-90d"]
    assert panel["lag_bin1"].tolist() == [True, False, False, False, False]
    assert panel["lag_bin5"].tolist() == [False, False, False, True, False]
    assert race.timing.lag_bins([0, 0.5, 730, 5000]).tolist() == ["0-1d", "0-1d", "730d+", "730d+"]
    # restricted cubic spline: zero below the first knot (log 2), and for x between the first
    # two knots only the first column is non-zero: (x - t1)^3 / (t5 - t1)^2
    t = np.log1p([1, 7, 30, 90, 365])
    x = np.log1p(4.0)
    assert panel["lag_rcs1"].iloc[1] == pytest.approx((x - t[0]) ** 3 / (t[4] - t[0]) ** 2)
    assert panel["lag_rcs2"].iloc[1] == 0 and panel["lag_rcs3"].iloc[1] == 0
    assert race.timing.lag_spline([0.5]).tolist() == [[0.0, 0.0, 0.0]]
    # beyond the last knot the spline is linear in x: equal steps in x give equal steps
    far = race.timing.lag_spline(np.expm1([7.0, 8.0, 9.0]))
    np.testing.assert_allclose(far[2] - far[1], far[1] - far[0], rtol=1e-9)
    with pytest.raises(ParameterError, match="lag spline knots"):
        race.timing.lag_spline([1.0], knots=(7, 1, 30))


def test_llm_sample_weights_and_older_than(panel):
    frame = pd.DataFrame(
        {
            "base_id": ["a", "a", "b", "c", "c", "c"],
            "base_pipeline_tag": ["text-generation"] * 2 + ["text-to-image"] + [None] * 3,
            "age_days": [10, 200, 300, 179.9, 180, 181],
        }
    )
    assert race.llm_sample(frame)["base_id"].tolist() == ["a", "a"]
    assert len(race.llm_sample(frame, None)) == 6
    assert race.llm_sample(frame, ["text-to-image"])["base_id"].tolist() == ["b"]
    with pytest.raises(ParameterError, match="pipeline_tags is empty"):
        race.llm_sample(frame, [])
    assert race.with_base_weights(frame)["base_weight"].tolist() == pytest.approx(
        [0.5, 0.5, 1, 1 / 3, 1 / 3, 1 / 3]
    )
    assert race.older_than(frame, 180)["age_days"].tolist() == [200, 300, 180, 181]
    assert panel["base_pipeline_tag"].isna().all()  # the fixture's base has no task


def test_clock_correlations_by_hand():
    # base a: x = 0, 1, 2; y = 0, 2, 1 -> centred (-1, 0, 1), (-1, 1, 0): r = 1 / 2
    # base b: x = 5, 6, 7; y = 3, 2, 1 -> r = -1.  Pooled (sums over both): (1 - 2) / sqrt(4*4)
    frame = pd.DataFrame(
        {"base_id": list("aaabbb"), "x": [0, 1, 2, 5, 6, 7], "y": [0, 2, 1, 3, 2, 1]}
    )
    out = race.clock_correlations(frame, ["x", "y"]).iloc[0]
    assert out["pair"] == "x ~ y"
    assert out["pooled"] == pytest.approx(-0.25)
    assert out["median_base"] == pytest.approx((0.5 - 1) / 2)
    assert out["bases"] == 2
    # within a base, lag + age is constant: in levels the two clocks correlate at exactly -1
    frame["lag"] = [1.0, 5, 9, 2, 3, 30]
    frame["age"] = np.where(frame["base_id"] == "a", 100, 50) - frame["lag"]
    assert race.clock_correlations(frame, ["lag", "age"])["pooled"].iloc[0] == pytest.approx(-1)


def test_panel_age_controls_outcomes_by_hand(panel):
    # Snapshot: end of the day of the last creation time, 2024-06-30 23:59:59.  d1 was created
    # 2024-01-02 00:00: 29 + 29 + 31 + 30 + 31 + 30 = 180 days before June 30, plus 86,399 s.
    assert panel["age_days"].iloc[0] == pytest.approx(180 + 86_399 / DAY)
    assert panel["log_age"].iloc[0] == pytest.approx(np.log1p(180 + 86_399 / DAY))
    # author a: a/early (2023-12-01) before d1; a/early and d1 before d4.  Author org: org/base,
    # org/other and org/small (all 2024-01-01) before org/d5.
    assert panel["author_prior_models"].tolist() == [1, 0, 0, 2, 3]
    assert panel["same_author_as_base"].tolist() == [False, False, False, False, True]
    assert panel["has_datasets"].tolist() == [True, False, False, False, False]
    assert panel["has_license"].tolist() == [True, False, False, False, False]
    assert panel["has_paper"].tolist() == [True, False, False, False, False]
    assert panel["has_eval"].tolist() == [False, False, False, True, False]
    assert panel["has_library"].tolist() == [True, False, False, False, False]
    assert panel["is_adapter"].tolist() == [False, False, False, True, False]
    assert panel["likes"].tolist() == [5, 0, 2, 1, 10]
    assert panel["log_likes"].tolist() == pytest.approx(np.log1p([5, 0, 2, 1, 10]))
    assert panel["any_like"].tolist() == [1, 0, 1, 1, 1]
    assert panel["downloads"].tolist() == [7, 0, 0, 0, 0]
    assert panel["base_likes"].tolist() == [50] * 5
    assert panel["base_downloads"].tolist() == [1000] * 5
    assert panel["log_entry_rank"].tolist() == pytest.approx(np.log([1, 2, 2, 5, 6]))


def test_author_prior_counts_strictly_earlier_models_and_ties_share():
    prior = race.panel.author_prior_models(_models())
    by_id = dict(zip(_models()["model_id"], prior, strict=True))
    # org/base, org/other and org/small share one instant: none is earlier than another
    assert [by_id[m] for m in ("org/base", "org/other", "org/small", "org/d5")] == [0, 0, 0, 3]
    assert [by_id[m] for m in ("a/early", "a/d1", "a/d4")] == [0, 1, 2]
    assert by_id["legacy-base"] == 0  # no owner prefix


def test_race_subset_gives_the_same_llm_panel():
    models = _models()
    models.loc[models["model_id"] == "org/base", "pipeline_tag"] = "text-generation"
    edges = _edges()
    sub_models, sub_edges, prior = race.race_subset(models, edges, ["text-generation"])
    # org/base's race: every model that declares it (y/young too: its edge is dropped later),
    # all their edges (the merge's second parent decides that it is not a row) and both ends
    assert sorted(sub_models["model_id"]) == sorted(
        ["org/base", "a/d1", "b/d2", "c/d3", "a/d4", "org/d5", "m/merge", "org/other", "y/young"]
    )
    assert len(sub_edges) == 8
    assert "a/early" not in set(sub_models["model_id"])  # ... but still counts for a's prior
    assert dict(zip(sub_models["model_id"], prior, strict=True))["a/d4"] == 2
    assert str(snapshot_date(sub_models)) == "2024-06-30 23:59:59+00:00"  # q/late's
    whole = race.llm_sample(race.build_panel(models, edges, min_derivatives=3), ["text-generation"])
    part = race.build_panel(sub_models, sub_edges, min_derivatives=3, author_prior=prior)
    part = race.llm_sample(part, ["text-generation"])
    assert len(whole) == 5 and whole["base_n_derivatives"].tolist() == [6] * 5  # merge competes
    pd.testing.assert_frame_equal(part, whole)


def test_race_subset_on_the_embedded_snapshot():
    from hflineage.data import load_snapshot
    from hflineage.lineage import build_edges

    models = load_snapshot()
    edges = build_edges(models)
    prior = race.panel.author_prior_models(models).to_numpy()
    sub = race.race_subset(models, edges, ["text-generation"], prior)
    assert len(sub[0]) < len(models) / 10  # the point: a tenth of the rows or fewer
    for relations in (None, ["finetune"]):
        whole = race.build_panel(models, edges, relations=relations, author_prior=prior)
        part = race.build_panel(sub[0], sub[1], relations=relations, author_prior=sub[2])
        pd.testing.assert_frame_equal(
            race.llm_sample(part, ["text-generation"]), race.llm_sample(whole, ["text-generation"])
        )


def test_funnel_counts_each_rule(panel):
    funnel = race.funnel_table(panel)
    # 14 edges; - unresolved (x/u) = 13; - parent younger (y/young) = 12; no cycle; no back-filled
    # derivative; - the legacy base's 3 = 9; - org/small (2) and org/other (1) below 3 entrants
    # = 6 (org/base); - the merge's edge to org/base (two declared parents) = 5 rows.
    # Then every row is at least 15 days older than the snapshot: none dropped.
    assert funnel["edges"].tolist() == [14, 13, 12, 12, 12, 9, 6, 5, 5]
    assert funnel["dropped"].tolist() == [0, 1, 1, 0, 0, 3, 3, 1, 0]
    assert funnel["bases"].tolist()[-1] == 1


def test_relations_restrict_the_competitor_set():
    out = race.build_panel(_models(), _edges(), min_derivatives=3, relations=["finetune"])
    # Only finetunes compete: d1, d2, d3, d5 (the adapter d4 and the merge are out).
    assert out["model_id"].tolist() == ["a/d1", "b/d2", "c/d3", "org/d5"]
    assert out["entry_rank"].tolist() == [1, 2, 2, 4]
    assert out["congestion"].tolist() == [2, 2, 2, 0]  # d1, d2, d3 within 15 days of each other
    assert out["congestion_trailing"].tolist() == [0, 1, 1, 0]
    # with min_derivatives=5 no base is left
    assert race.build_panel(_models(), _edges(), min_derivatives=5, relations="finetune").empty


def test_bad_input_is_named():
    with pytest.raises(ParameterError, match="relations.*finetune"):
        race.build_panel(_models(), _edges(), relations=["finetuned"])
    with pytest.raises(ParameterError, match="min_derivatives"):
        race.build_panel(_models(), _edges(), min_derivatives=1)
    with pytest.raises(ParameterError, match="congestion_window.*around"):
        race.build_panel(_models(), _edges(), congestion_window="after")
    with pytest.raises(ParameterError, match="lag_bin_edges"):
        race.build_panel(_models(), _edges(), lag_bin_edges=(0, 7, 30))
    with pytest.raises(HflineageError, match="missing column 'in_cycle'"):
        race.build_panel(_models(), _edges().drop(columns="in_cycle"))
    with pytest.raises(ParameterError, match="spec.*priority_exposure"):
        rm.estimate(pd.DataFrame(), spec="nope")
    with pytest.raises(ParameterError, match="outcome.*log_likes"):
        rm.estimate(pd.DataFrame(), outcome="stars")


def test_binscatter_within_base_by_hand():
    # Two bases; within each, y rises by 2 per unit of x; base b is shifted up by 10 in both.
    frame = pd.DataFrame(
        {
            "base_id": ["a"] * 4 + ["b"] * 4,
            "x": [0, 1, 2, 3, 10, 11, 12, 13],
            "y": [0, 2, 4, 6, 30, 32, 34, 36],
        }
    )
    out = race.binscatter(frame, "x", "y", bins=4)
    # demeaned x: -1.5, -0.5, 0.5, 1.5 in each base, + overall mean 6.5; y: -3,-1,1,3 + 18
    assert out["x"].tolist() == pytest.approx([5.0, 6.0, 7.0, 8.0])
    assert out["y"].tolist() == pytest.approx([15.0, 17.0, 19.0, 21.0])
    assert out["n"].tolist() == [2, 2, 2, 2]


# --------------------------------------------------------------------------------------------
# regressions
# --------------------------------------------------------------------------------------------
def _simulated(n_bases=120, per_base=40, seed=0, beta_rank=-0.3, beta_cong=-0.2, poisson=False):
    """A panel with known effects: y = a_b + t_m + beta_rank*log rank + beta_cong*log(1+cong)
    (+ 0.1 log age) + noise, with base effects correlated with the regressors."""
    rng = np.random.default_rng(seed)
    base = np.repeat(np.arange(n_bases), per_base)
    rank = np.tile(np.arange(1, per_base + 1), n_bases)
    month = rng.integers(0, 12, base.size)
    a = rng.normal(0, 1, n_bases)
    cong = rng.poisson(np.exp(1 + 0.5 * a[base]))
    age = rng.uniform(10, 400, base.size)
    x1, x2 = np.log(rank), np.log1p(cong)
    eta = a[base] + 0.05 * month + beta_rank * x1 + beta_cong * x2 + 0.1 * np.log1p(age)
    frame = pd.DataFrame(
        {
            "base_id": [f"b{i}" for i in base],
            "created_month": [f"2024-{m + 1:02d}" for m in month],
            "log_entry_rank": x1,
            "entry_rank": rank,
            "log_congestion": x2,
            "log_age": np.log1p(age),
        }
    )
    if poisson:
        frame["likes"] = rng.poisson(np.exp(eta - 1.0))
    else:
        frame["log_likes"] = eta + rng.normal(0, 0.5, base.size)
    return frame


def test_ols_recovers_known_effects():
    frame = _simulated()
    tidy = rm.estimate(frame, "both_exposure", "log_likes").set_index("term")
    assert tidy.loc["log_entry_rank", "estimate"] == pytest.approx(-0.3, abs=0.03)
    assert tidy.loc["log_congestion", "estimate"] == pytest.approx(-0.2, abs=0.03)
    assert tidy.loc["log_age", "estimate"] == pytest.approx(0.1, abs=0.03)
    assert tidy["n_obs"].iloc[0] == 120 * 40
    assert tidy["n_clusters"].iloc[0] == 120
    assert 0 < tidy["r2_within"].iloc[0] < 1
    assert set(tidy["spec"]) == {"both_exposure"} and set(tidy["estimator"]) == {"ols"}


def test_ppml_recovers_known_effects():
    frame = _simulated(n_bases=200, per_base=50, seed=3, poisson=True)
    tidy = rm.estimate(frame, "both_exposure", "likes").set_index("term")
    assert tidy.loc["log_entry_rank", "estimate"] == pytest.approx(-0.3, abs=0.05)
    assert tidy.loc["log_congestion", "estimate"] == pytest.approx(-0.2, abs=0.05)
    assert tidy["estimator"].iloc[0] == "ppml"
    assert np.isnan(tidy["r2_within"].iloc[0])


def test_ols_agrees_with_statsmodels_dummies():
    """statsmodels OLS with base and month dummies gives the same coefficients; its raw
    cluster-robust sandwich times fixest's CRV1 factor gives the same standard errors.

    fixest's factor is G/(G-1) * (N-1)/(N-df_k).  With ``k_fixef="nonnested"`` the base fixed
    effect, nested in the base cluster, does not count, the second fixed effect counts its levels
    minus the one absorbed by the first: df_k = k + (G_b + G_m - 1) - G_b + 1 = k + G_m.
    """
    import statsmodels.formula.api as smf

    frame = _simulated(n_bases=25, per_base=12, seed=7)
    ours = rm.estimate(frame, "both", "log_likes").set_index("term")
    sm = smf.ols(
        "log_likes ~ log_entry_rank + log_congestion + C(base_id) + C(created_month)", frame
    ).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(frame["base_id"])[0], "use_correction": False},
    )
    n, k, g_b, g_m = len(frame), 2, 25, frame["created_month"].nunique()
    factor = g_b / (g_b - 1) * (n - 1) / (n - (k + g_m))
    for term in ("log_entry_rank", "log_congestion"):
        assert ours.loc[term, "estimate"] == pytest.approx(sm.params[term], rel=1e-8)
        assert ours.loc[term, "std_error"] == pytest.approx(
            np.sqrt(factor) * sm.bse[term], rel=1e-6
        )


def test_regression_columns_feed_the_book_table():
    frame = _simulated(n_bases=30, per_base=10, seed=4)
    tidy = pd.concat(
        [rm.estimate(frame, s, "log_likes") for s in ("priority", "priority_exposure")]
    )
    fits, rows = rm.regression_columns(
        tidy, [("priority", "log_likes"), ("priority_exposure", "log_likes")]
    )
    table = regression_table(
        fits,
        {rm.PRIORITY: rm.LABELS[rm.PRIORITY]},
        fixed_effects={"Base FE": "base_id", "Creation-month FE": "created_month"},
        rows=rows,
        cluster_label="Clusters (bases)",
    )
    assert table.columns.tolist() == ["", "(1)", "(2)"]
    assert table.iloc[0, 0] == rm.LABELS[rm.PRIORITY]
    by_hand = tidy[(tidy["spec"] == "priority") & (tidy["term"] == rm.PRIORITY)].iloc[0]
    assert table.iloc[0, 1].startswith(f"{by_hand['estimate']:.3f}")
    assert table.iloc[1, 1] == f"({by_hand['std_error']:.3f})" and table.iloc[1, 0] == ""
    labels = table[""].tolist()
    assert table.loc[labels.index("Exposure control (log age)"), ["(1)", "(2)"]].tolist() == [
        "No",
        "Yes",
    ]
    # both specifications have base and creation-month fixed effects
    assert table.loc[labels.index("Base FE"), ["(1)", "(2)"]].tolist() == ["Yes", "Yes"]
    assert table.loc[labels.index("Creation-month FE"), "(1)"] == "Yes"
    assert table.loc[labels.index("Observations"), "(1)"] == "300"
    assert table.loc[labels.index("Clusters (bases)"), "(1)"] == "30"
    with pytest.raises(ParameterError, match="no estimates"):
        rm.regression_columns(tidy, [("both", "log_likes")])


def test_base_entry_and_concentration_by_hand():
    bases = race.base_entry(_models(), _edges()).set_index("model_id")
    # org/base: d1, d2, d3, d4, d5, merge (y/young is older than its base: excluded) -> 6;
    # org/other 1 (the merge), org/small 2, legacy-base 3 (its own date does not matter here).
    assert bases["n_derivatives"].to_dict() == {
        **dict.fromkeys(bases.index, 0),
        "org/base": 6,
        "org/other": 1,
        "org/small": 2,
        "legacy-base": 3,
    }
    facts = race.entry_concentration(bases.reset_index(), top_share=0.25)
    # 4 bases with children, top 25% = 1 base (org/base): 6 of 12 derivatives.  Top 25% of the
    # 19 models by likes = 5 models: org/base (50 likes, 6 derivatives), org/d5, m/merge, a/d1,
    # c/d3 (no derivatives) -> 6 of 12.
    assert facts["top_bases_share"] == pytest.approx(0.5)
    assert facts["top_liked_share"] == pytest.approx(0.5)
    # Spearman among the 4: like ranks (4, 2, 2, 2), derivative ranks (4, 1, 2, 3):
    # centred (1.5, -.5, -.5, -.5) and (1.5, -1.5, -.5, .5): cov 3, var 3 and 5 -> 3/sqrt(15)
    assert facts["spearman_likes_derivatives"] == pytest.approx(3 / np.sqrt(15))


def test_ols_many_matches_pyfixest_fits():
    frame = _simulated(n_bases=40, per_base=12, seed=9)
    rng = np.random.default_rng(0)
    frame["any_like"] = (frame["log_likes"] > frame["log_likes"].median()).astype(int)
    for c in rm.CONTROLS:
        frame[c] = rng.random(len(frame)) < 0.3
    frame["is_merge"] = False  # never varies: left out by both routes
    specs = ["priority", "both_exposure", "both_naive", "baseline_exposure"]
    fast = rm.ols_many(frame, specs, ["log_likes", "any_like"])
    slow = rm.estimate_many(frame, specs, ["log_likes", "any_like"])
    key = ["spec", "outcome", "term"]
    merged = slow.merge(fast, on=key, suffixes=("", "_fast"), validate="1:1")
    assert len(merged) == len(slow) == len(fast)
    assert "is_merge" not in set(fast["term"])
    for col in ("estimate", "std_error", "p_value", "conf_low", "conf_high", "r2_within"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_fast"], rtol=1e-6, atol=1e-10)
    assert (merged["n_obs"] == merged["n_obs_fast"]).all()
    assert (merged["n_clusters"] == merged["n_clusters_fast"]).all()


def test_estimate_many_fast_path_matches():
    frame = _simulated(n_bases=30, per_base=10, seed=5, poisson=True)
    frame["log_likes"] = np.log1p(frame["likes"])
    slow = rm.estimate_many(frame, ["both", "both_exposure"], ["log_likes", "likes"])
    fast = rm.estimate_many(frame, ["both", "both_exposure"], ["log_likes", "likes"], fast=True)
    merged = slow.merge(fast, on=["spec", "outcome", "term"], suffixes=("", "_f"))
    assert len(merged) == len(slow) == len(fast) == 2 * 2 * 2 + 2  # log_age in *_exposure
    np.testing.assert_allclose(merged["estimate"], merged["estimate_f"], rtol=1e-6)
    np.testing.assert_allclose(merged["std_error"], merged["std_error_f"], rtol=1e-5)


def test_independent_drops_collinear_and_tiny_columns():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    dm = np.column_stack([x, 2 * x, y, 1e-7 * rng.normal(size=50)])
    # 2x is x again; the last column's sum of squares (~5e-13) is below pyfixest's 1e-10
    keep = rm.independent(dm, (dm**2).sum(axis=0))
    assert keep.tolist() == [True, False, True, False]
    # a column with no variation left after the fixed effects (demeaned to ~0) is dropped too
    assert rm.independent(np.column_stack([x, 1e-9 * x]), np.array([50.0, 50.0])).tolist() == [
        True,
        False,
    ]


def test_two_way_clustering_matches_the_cgm_formula_by_hand():
    """Two-way (base and author) standard errors: Cameron-Gelbach-Miller V_base + V_author -
    V_intersection from statsmodels' raw cluster sandwiches with dummies, times fixest's
    small-sample factor G_min/(G_min - 1) * (N - 1)/(N - df_k), df_k = k + G_month (the base
    fixed effect is nested in the base cluster)."""
    import statsmodels.formula.api as smf

    frame = _simulated(n_bases=25, per_base=12, seed=7)
    frame["author"] = [f"a{i}" for i in np.random.default_rng(1).integers(0, 15, len(frame))]
    ours = rm.estimate(frame, "both", "log_likes", cluster="base_id+author").set_index("term")
    model = smf.ols(
        "log_likes ~ log_entry_rank + log_congestion + C(base_id) + C(created_month)", frame
    )
    g_base = pd.factorize(frame["base_id"])[0]
    g_author = pd.factorize(frame["author"])[0]
    g_both = pd.factorize(frame["base_id"] + "|" + frame["author"])[0]

    def var(groups):
        cov = {"groups": groups, "use_correction": False}
        return model.fit(cov_type="cluster", cov_kwds=cov).bse ** 2

    v = var(g_base) + var(g_author) - var(g_both)
    n, g_min = len(frame), min(25, len(set(g_author)))
    factor = g_min / (g_min - 1) * (n - 1) / (n - (2 + frame["created_month"].nunique()))
    for term in ("log_entry_rank", "log_congestion"):
        assert ours.loc[term, "std_error"] == pytest.approx(np.sqrt(factor * v[term]), rel=1e-6)
    with pytest.raises(ParameterError, match="cluster"):
        rm.estimate(frame, "both", "log_likes", cluster="author")


def test_bases_weighted_equally_match_weighted_least_squares():
    import statsmodels.formula.api as smf

    frame = _simulated(n_bases=20, per_base=10, seed=3)
    frame = frame.iloc[: len(frame) - 37].reset_index(drop=True)  # unequal base sizes
    frame = race.with_base_weights(frame)
    ours = rm.estimate(frame, "both", "log_likes", weights="base_weight").set_index("term")
    wls = smf.wls(
        "log_likes ~ log_entry_rank + log_congestion + C(base_id) + C(created_month)",
        frame,
        weights=frame["base_weight"],
    ).fit()
    for term in ("log_entry_rank", "log_congestion"):
        assert ours.loc[term, "estimate"] == pytest.approx(wls.params[term], rel=1e-7)
    unweighted = rm.estimate(frame, "both", "log_likes").set_index("term")
    assert ours.loc["log_entry_rank", "estimate"] != pytest.approx(
        unweighted.loc["log_entry_rank", "estimate"], rel=1e-3
    )


def test_hill_stein_mapping_names_only_panel_columns(panel):
    """The mapping is written once (race.constructs) and every column it names is built."""
    named = race.constructs.mapped_columns()
    assert "base_id" in named and "congestion" in named
    assert set(named) <= set(race.PANEL_COLUMNS)
    assert set(named) <= set(panel.columns)
    table = race.mapping_table()
    assert table.columns.tolist() == ["Hill & Stein", "on the Hub", "panel column(s)"]
    assert len(table) == len(race.MAPPING)


def test_panel_team_ranks_by_hand(panel):
    """On org/base, accounts enter a (Jan 2), b and c (Jan 5, tied), m (Jan 20, a merge: a rival
    though not a row) and org (Mar 20); a's second upload (a/d4, Feb 10) keeps a's rank 1."""
    p = panel[panel["base_id"] == "org/base"].set_index("model_id")
    assert p["team_rank"].to_dict() == {"a/d1": 1, "b/d2": 2, "c/d3": 2, "a/d4": 1, "org/d5": 5}
    assert p["team_upload"].to_dict() == {"a/d1": 1, "b/d2": 1, "c/d3": 1, "a/d4": 2, "org/d5": 1}
    assert (p["base_n_teams"] == 5).all()
    assert p.loc["a/d4", "entry_rank"] == 5  # the release rank counts a's own first upload
    assert p["log_team_rank"].to_numpy() == pytest.approx(np.log(p["team_rank"].to_numpy()))
