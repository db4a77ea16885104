"""The timing placebo and the robustness rows on a revision-2 design × estimator pair (issue 17,
item 6): pseudo-base team ranks worked by hand, the placebo's actual coefficient against
``fit_design`` (pyfixest), a planted rank effect against pure decay, the pair's robustness rows
against independent routes, and the sentences that read them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hflineage.errors import ParameterError
from hflineage.race import designs as rd
from hflineage.race import placebo as pl
from hflineage.race import readings, speccurve
from hflineage.race.pair_robustness import fit_fast, fit_pair
from hflineage.race.timing import lag_spline


def team_race(n_bases: int = 80, seed: int = 0, rank_effect: float = 0.0) -> pd.DataFrame:
    """A small race panel with the columns the designs, the placebo and the robustness rows read:
    bases released over 400 days with 25-70 entrants each (exponential lags, base-specific
    means), accounts that upload several times to a base (team rank = the account's first entry
    among the base's accounts), likes from a Poisson with each base's own decay in log lag and,
    with ``rank_effect``, a slope in log team rank.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(25, 70, n_bases)
    base = np.repeat(np.arange(n_bases), sizes)
    lag = rng.exponential(np.exp(rng.uniform(np.log(3), np.log(200), n_bases))[base])
    order = np.lexsort((lag, base))
    base, lag = base[order], lag[order]
    start = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.arange(len(base)) - start[base] + 1
    author = rng.integers(0, len(base) // 3, len(base))
    first = pd.DataFrame({"b": base, "a": author, "lag": lag}).groupby(["b", "a"])["lag"]
    first_lag = first.transform("min")
    team = (
        pd.DataFrame({"b": base, "f": first_lag})
        .groupby("b")["f"]
        .rank(method="dense")
        .to_numpy(int)
    )
    key = base * 1e6 + lag
    congestion = np.searchsorted(key, key + 15, "right") - np.searchsorted(key, key - 15) - 1
    released = rng.uniform(0, 400, n_bases)
    age = np.maximum(820 - released[base] - lag, 1.0)
    bins = np.searchsorted([0, 1, 3, 7, 14, 30, 60, 90, 180, 365, 730], lag, "right")
    decay = rng.normal(-0.3, 0.2, n_bases)[base]
    eta = 0.5 + rng.normal(0, 0.5, n_bases)[base] + decay * np.log1p(lag)
    eta += rank_effect * np.log(team)
    frame = pd.DataFrame(
        {
            "base_id": [f"b{b:03d}" for b in base],
            "author": [f"a{a}" for a in author],
            "base_created_at": pd.Timestamp("2023-01-01", tz="UTC")
            + pd.to_timedelta(released[base], unit="D"),
            "lag_days": lag,
            "age_days": age,
            "created_month": ((820 - age) // 30).astype(int),
            "lag_bin": bins,
            "entry_rank": rank,
            "team_rank": team,
            "base_n_derivatives": sizes[base],
            "base_n_teams": pd.Series(team).groupby(base).transform("max").to_numpy(),
            "base_pipeline_tag": np.where(base % 4 == 3, "text-to-image", "text-generation"),
            "log_entry_rank": np.log(rank),
            "log_team_rank": np.log(team),
            "log_congestion": np.log1p(congestion),
            "log_team_congestion": np.log1p(congestion / 2),
            "log_age": np.log1p(age),
            "log_lag": np.log1p(lag),
        }
    )
    spline = lag_spline(lag)
    for j in range(spline.shape[1]):
        frame[f"lag_rcs{j + 1}"] = spline[:, j]
    frame["likes"] = rng.poisson(np.exp(eta))
    frame["downloads"] = rng.poisson(5 * np.exp(eta))
    return frame


@pytest.fixture(scope="module")
def race() -> pd.DataFrame:
    return team_race()


def hand_panel() -> pd.DataFrame:
    """Two bases a day apart. A: entrants at lags 1, 2, 3 by accounts x, y, x (release ranks 1,
    2, 3; team ranks 1, 2, 1). B: entrants at lags 2.5, 4 by z, w (ranks 1, 2)."""
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "base_id": ["A", "A", "A", "B", "B"],
            "base_created_at": [t0] * 3 + [t0 + pd.Timedelta(days=1)] * 2,
            "lag_days": [1.0, 2.0, 3.0, 2.5, 4.0],
            "entry_rank": [1, 2, 3, 1, 2],
            "team_rank": [1, 2, 1, 1, 2],
            "base_n_derivatives": [3, 3, 3, 2, 2],
            "base_n_teams": [2, 2, 2, 2, 2],
        }
    )


def test_pseudo_base_ranks_by_hand():
    p = hand_panel()
    # one neighbour: A's pseudo-base is B and B's is A, whatever the draw
    raw = pl.pseudo_base_ranks(p, draws=2, neighbours=1, rescale=False)
    # A at lag 1, 2: no B entrant yet -> 1; lag 3: B's rank-1 entrant (2.5) before -> 2.
    # B at lag 2.5: A's entrants at 1 and 2 -> 3; lag 4: all three -> 4
    assert raw[:, 0].tolist() == [1, 1, 2, 3, 4]
    assert (raw[:, 1] == raw[:, 0]).all()
    # the default is the release rank, unchanged
    assert np.array_equal(raw, pl.pseudo_base_ranks(p, 2, 0, 1, False, rank_column="entry_rank"))
    # rescaled: 1 + (rank - 1) / (n_pseudo - 1) * (n_own - 1), the share capped at 1
    scaled = pl.pseudo_base_ranks(p, draws=1, neighbours=1)[:, 0]
    assert scaled.tolist() == [1, 1, 1 + 1 / 1 * 2, 1 + 2 / 2 * 1, 1 + 1 * 1]
    # team rank: before lag 4 in A the accounts entered are x (1) and y (2); the last entrant
    # (x again, team rank 1) is not the highest -> 3, not 2; before 2.5 -> 3 as well
    team = pl.pseudo_base_ranks(p, draws=1, neighbours=1, rescale=False, rank_column="team_rank")
    assert team[:, 0].tolist() == [1, 1, 2, 3, 3]


def test_pseudo_base_ranks_name_a_bad_rank_column():
    with pytest.raises(ParameterError, match="rank_column"):
        pl.pseudo_base_ranks(hand_panel(), rank_column="log_team_rank")


@pytest.mark.parametrize(
    ("design", "estimator", "rel"),
    [
        ("spline", "ols", 1e-6),
        ("lagbin5", "lpm", 1e-6),
        ("day", "ppml", 1e-4),
        ("spline", "ppml", 1e-4),
    ],
)
def test_pair_placebo_actual_is_fit_design(race, design, estimator, rel):
    draws, s = pl.pair_placebo(race, design, estimator, draws=3, seed=1)
    want = rd.fit_design(race, design, "likes", estimator, "team")
    assert s["actual"] == pytest.approx(want["estimate"], rel=rel)
    # the CRV1 standard errors agree to 0.1% (pyfixest's Poisson small-sample factor with base ×
    # day fixed effects, nested in the base cluster, differs from sim_fit's by 3e-4 here)
    assert s["actual_se"] == pytest.approx(want["se"], rel=1e-3)
    assert (s["design"], s["estimator"], s["rank"], s["draws"]) == (design, estimator, "team", 3)
    assert len(draws) == 3 and draws["draw"].tolist() == [0, 1, 2]


def test_a_placebo_draw_is_the_pair_fitted_with_the_pseudo_ranks(race):
    # draw 0 by hand: the panel with log team rank replaced by the first pseudo-base ranks
    draws, _ = pl.pair_placebo(race, "lagbin5", "ppml", draws=2, seed=4)
    pseudo = pl.pseudo_base_ranks(race, draws=2, seed=4, rank_column="team_rank")
    swapped = race.assign(log_team_rank=np.log(pseudo[:, 0]))
    want = rd.fit_design(swapped, "lagbin5", "likes", "ppml", "team")
    assert draws["estimate"].iloc[0] == pytest.approx(want["estimate"], rel=1e-4)


def test_pair_placebo_refuses_ppml_with_slopes(race):
    with pytest.raises(ParameterError, match="slopes"):
        pl.pair_placebo(race, "slopes", "ppml", draws=2)


def test_a_planted_rank_effect_lies_beyond_the_placebo_and_decay_does_not():
    ranked = team_race(n_bases=120, seed=5, rank_effect=-0.5)
    _, s = pl.pair_placebo(ranked, "spline", "ppml", draws=40, seed=0)
    assert s["p_timing"] < 0.05
    decay = team_race(n_bases=120, seed=5, rank_effect=0.0)
    _, s = pl.pair_placebo(decay, "spline", "ppml", draws=40, seed=0)
    assert s["p_timing"] > 0.05


ROWS = [
    "primary",
    "bases weighted equally",
    "SE two-way: base and author",
    "whole Hub (every base)",
    "downloads (last 30 days)",
    "OLS log(1 + likes) (same design)",
    "LPM any like (same design)",
    "OLS log likes, liked (same design)",
    "derivatives >= 180 days old (ages still differ)",
    "lag as bins (not a spline)",
]


def test_pair_rows_labels_samples_and_reasons(race):
    rows = speccurve.robustness_rows(race, pair=("day", "ppml"))
    assert list(dict.fromkeys(rows["row"])) == ROWS
    rank = rows[rows["term"] == "log_team_rank"].set_index("row")
    llm = race[race["base_pipeline_tag"] == "text-generation"]
    for row, data, outcome, est in (
        ("primary", llm, "likes", "ppml"),
        ("whole Hub (every base)", race, "likes", "ppml"),
        ("downloads (last 30 days)", llm, "downloads", "ppml"),
        ("LPM any like (same design)", llm, "likes", "lpm"),
        (
            "derivatives >= 180 days old (ages still differ)",
            llm[llm["age_days"] >= 180],
            "likes",
            "ppml",
        ),
    ):
        want = rd.fit_design(data.reset_index(drop=True), "day", outcome, est, "team")
        rel = 1e-4 if est == "ppml" else 1e-6  # PPML: two iterative routes
        assert rank.loc[row, "estimate"] == pytest.approx(want["estimate"], rel=rel), row
        assert rank.loc[row, "n_obs"] == want["n"], row
    # two-way clustering changes the standard error, not the estimate
    two = rank.loc["SE two-way: base and author"]
    assert two["estimate"] == pytest.approx(rank.loc["primary", "estimate"], rel=1e-9)
    assert two["std_error"] != pytest.approx(rank.loc["primary", "std_error"], rel=1e-3)
    # the lag-bins row does not apply to base × day: kept, NaN, with the reason
    assert np.isnan(rank.loc["lag as bins (not a spline)", "estimate"])
    assert rank.loc["lag as bins (not a spline)", "note"].startswith("not applicable")
    # with base slopes pyfixest cannot weight, and there is no Poisson fit: reasons, not numbers
    slopes = speccurve.robustness_rows(race, pair=("slopes", "ols"))
    s = slopes[slopes["term"] == "log_team_rank"].set_index("row")
    assert np.isnan(s.loc["bases weighted equally", "estimate"])
    assert "slopes" in s.loc["bases weighted equally", "note"]
    assert "not available" in s.loc["PPML (same design)", "note"]
    want = rd.fit_design(
        race[race["base_pipeline_tag"] == "text-generation"], "slopes", "likes", "ols"
    )
    assert s.loc["primary", "estimate"] == pytest.approx(want["estimate"], rel=1e-6)
    assert np.isfinite(s.loc["SE two-way: base and author", "std_error"])


def test_weights_are_frequency_like_and_two_way_collapses_to_one_way(race):
    llm = race[race["base_pipeline_tag"] == "text-generation"].reset_index(drop=True)
    # integer weights give the estimate of the panel with each row repeated that many times
    w = 1 + (np.arange(len(llm)) % 3 == 0)
    repeated = llm.loc[np.repeat(np.arange(len(llm)), w)].reset_index(drop=True)
    for design, est in (("spline", "ols"), ("lagbin5", "ppml")):
        got = fit_pair(llm.assign(w=w.astype(float)), design, est, weights="w")["rank"]
        want = rd.fit_design(repeated, design, "likes", est, "team")
        assert got["estimate"] == pytest.approx(want["estimate"], rel=1e-5)
    # with the account equal to the base, two-way clustering is one-way clustering
    same = llm.assign(author=llm["base_id"])
    two = fit_pair(same, "spline", "ols", cluster="base_id+author")["rank"]
    one = rd.fit_design(same, "spline", "likes", "ols", "team")
    assert two["se"] == pytest.approx(one["se"], rel=1e-6)


@pytest.mark.parametrize(("design", "estimator"), [("spline", "ols"), ("lagbin5", "ppml")])
def test_fast_route_two_way_is_pyfixest_two_way(race, design, estimator):
    llm = race[race["base_pipeline_tag"] == "text-generation"].reset_index(drop=True)
    fast = fit_fast(llm, design, estimator, cluster="base+author")
    slow = fit_pair(llm, design, estimator, cluster="base_id+author")
    rel = 1e-4 if estimator == "ppml" else 1e-6
    for term in ("rank", "congestion"):
        assert fast[term]["estimate"] == pytest.approx(slow[term]["estimate"], rel=rel)
        assert fast[term]["se"] == pytest.approx(slow[term]["se"], rel=1e-3)
        assert fast[term]["n"] == slow[term]["n"]


@pytest.mark.parametrize("fit", [fit_pair, fit_fast])
def test_lag_bins_row_is_the_spline_replaced_by_bin_indicators(race, fit):
    llm = race[race["base_pipeline_tag"] == "text-generation"].reset_index(drop=True)
    got = fit(llm, "spline", "ols", lag_bins=True)["rank"]["estimate"]
    # independent route: base and month absorbed by alternating projections, the bins as
    # indicators (one left out), least squares
    bins = pd.get_dummies(llm["lag_bin"], drop_first=True).to_numpy(float)
    x = np.column_stack([llm[["log_team_rank", "log_team_congestion", "log_age"]], bins])
    y = np.log1p(llm["likes"].to_numpy(float))
    codes = [pd.factorize(llm[c])[0] for c in ("base_id", "created_month")]
    dm = rd.absorb(np.column_stack([y, x]), codes, tol=1e-13, maxiter=100_000)
    beta = np.linalg.lstsq(dm[:, 1:], dm[:, 0], rcond=None)[0]
    assert got == pytest.approx(beta[0], rel=1e-6)


def test_placebo_sentences_name_the_pair_or_the_fallback():
    pair = {"p_timing": 0.01, "z": -2.54, "design": "day", "estimator": "ppml", "rank": "team"}
    s = readings.placebo_sentence(pair)
    assert s == (
        "On the primary (base × day since release × PPML, team rank), the actual rank "
        "coefficient lies 2.5 placebo standard deviations below the placebo mean; 1.0% of the "
        "pseudo-base draws are at or below it: beyond what ranks made of timing alone produce"
    )
    fallback = readings.placebo_sentence({"p_timing": 0.4, "z": 0.2}, no_primary=True)
    assert fallback.startswith(
        "No design × estimator passes the declared rule for the rank on this run, so on the revision-1 "
        "specification (release rank, OLS of log(1 + likes)) the actual rank coefficient lies "
        "0.2 placebo standard deviations above"
    )
    assert fallback.endswith("cannot tell a rank effect from timing")


def _pair_rows() -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "row": ["primary"] * 2 + ["whole Hub (every base)"] * 2 + ["lag as bins"] * 2,
            "term": ["log_team_rank", "log_team_congestion"] * 3,
            "estimate": [-0.6, 0.1, 0.2, 0.0, np.nan, np.nan],
            "std_error": [0.2, 0.1, 0.05, 0.1, np.nan, np.nan],
            "p_value": [0.003, 0.3, 0.0001, 1.0, np.nan, np.nan],
            "n_obs": [7574, 7574, 15077, 15077, np.nan, np.nan],
            "note": ["", "", "", "", "not applicable: no spline", "not applicable: no spline"],
        }
    )
    rows.attrs.update(design="day", estimator="ppml", rank="team")
    return rows


def test_robustness_sentence_and_view_on_a_pair():
    s = readings.robustness_sentence(_pair_rows())
    assert s == (
        "On the primary (base × day since release × PPML, team rank), the log-team-rank "
        "coefficient of the primary row is -0.600 (p 0.00); 0 of 1 other rows are negative and "
        "significant at 5% and 1 positive and significant: whole Hub (every base) 0.200 (0.050); "
        "not fitted: lag as bins (not applicable: no spline)"
    )
    view = readings.robustness_view(_pair_rows())
    assert view.columns.tolist() == [
        "robustness row",
        "log team rank",
        "log team congestion",
        "N",
        "not fitted because",
    ]
    assert view.iloc[0, 1] == "-0.600** (0.200)"
    assert view.iloc[2].tolist()[1:] == ["–", "–", "–", "not applicable: no spline"]
    nums = readings.robustness_numbers(_pair_rows(), 180).set_index("key")["value"]
    assert (nums["race_rob_whole"], nums["race_rob_whole_se"]) == (0.2, 0.05)
    assert np.isnan(nums["race_rob_ppml"])  # the pair is PPML: no other PPML row


def test_robustness_sentence_says_when_there_is_no_primary():
    rows = _pair_rows()
    rows.attrs.clear()
    rows["term"] = rows["term"].map({"log_team_rank": "log_entry_rank"}).fillna("log_congestion")
    s = readings.robustness_sentence(rows, no_primary=True)
    assert s.startswith(
        "No design × estimator passes the declared rule for the rank on this run, so on the revision-1 "
        "specification (release rank, OLS of log(1 + likes)) the log-entry-rank coefficient of "
        "the primary row is -0.600 (p 0.00); "
    )


def test_reading_on_and_caption_name_the_pair_or_the_fallback():
    assert readings.reading_on(("spline", "ppml")) == (
        "the primary, common lag spline (rev. 1 primary) × PPML (team rank)"
    )
    assert readings.reading_on(None) == (
        "the revision-1 specification (release rank, OLS of log(1 + likes)), as no design × "
        "estimator passes the declared rule for the rank on this run"
    )
    assert readings.robustness_caption(("day", "ppml")).startswith(
        "The primary (base × day since release × PPML, team rank) with one choice changed"
    )
    none = readings.robustness_caption(None)
    assert none.startswith("The revision-1 primary (release rank, OLS of log(1 + likes); no ")
    assert none.endswith("Outcome log(1 + likes) unless the row says otherwise.")


def test_a_singular_fit_is_a_reason_not_a_crash():
    from hflineage.race.pair_robustness import _attempt

    assert _attempt(lambda: np.linalg.inv(np.zeros((2, 2)))) == (
        {},
        "the regressors are collinear on this sample",
    )
