"""Chapter 5's sentences and tables built from numbers, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hflineage.race import readings
from hflineage.race.specs import CONGESTION, PRIORITY


def test_rank_sentence_by_hand():
    t = pd.DataFrame(
        {
            "rank": ["1", "2–3", "4+"],
            "derivatives": [10, 30, 60],
            "mean_likes": [8.0, 2.0, 0.5],
            "share_liked": [0.5, 0.2, 0.05],
            "share_of_likes": [0.4, 0.35, 0.25],
        }
    )
    assert readings.rank_sentence(t) == (
        "First entrants average 8.0 likes, entrants of rank 2–3 2.0 and of rank 4+ 0.5; 50% of "
        "first entrants have any like against 5% at rank 4+. First entrants are 10% of the "
        "derivatives and hold 40% of their likes"
    )


def test_placebo_sentence_reads_both_sides():
    low = readings.placebo_sentence({"p_timing": 0.005, "z": -3.46})
    assert low.startswith("The actual rank coefficient lies 3.5 placebo standard deviations below")
    assert "0.5% of the pseudo-base draws" in low and "true rank effect" in low
    high = readings.placebo_sentence({"p_timing": 0.4, "z": 0.2})
    assert "above the placebo mean" in high and "cannot tell" in high


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": ["primary", "primary", "likes (PPML)", "likes (PPML)", "older", "older"],
            "term": [PRIORITY, CONGESTION] * 3,
            "estimate": [-0.016, -0.013, -0.593, 0.1, 0.2, 0.0],
            "std_error": [0.024, 0.02, 0.134, 0.1, 0.05, 0.1],
            "p_value": [0.5, 0.5, 0.00001, 0.3, 0.0001, 1.0],
            "n_obs": [31103, 31103, 31000, 31000, 9000, 9000],
        }
    )


def test_robustness_view_and_sentence_by_hand():
    view = readings.robustness_view(_rows())
    assert view["robustness row"].tolist() == ["primary", "likes (PPML)", "older"]
    assert view.iloc[1, 1] == "-0.593*** (0.134)"
    assert view["N"].tolist() == ["31,103", "31,000", "9,000"]
    s = readings.robustness_sentence(_rows())
    assert s == (
        "On the log-entry-rank term the primary row gives -0.016 (p 0.50); 1 of 2 other rows are "
        "negative and significant at 5% and 1 positive and significant: likes (PPML) -0.593 "
        "(0.134); older 0.200 (0.050)"
    )


def test_estimand_text_renders_mappings_and_strings():
    text = readings.estimand_text(
        {"estimand": "the effect", "secondary_estimands": [{"extensive": "any like"}, "plain"]}
    )
    assert text == (
        "**Estimand.** The effect.\n\nDeclared beside it:\n\n- *extensive*: any like\n- plain"
    )
    assert readings.estimand_text({}) == "No estimand is declared for this claim."


def test_priority_sentence_by_hand():
    study = pd.DataFrame(
        {
            "estimator": ["ppml"] * 3,
            "bin": [0, 1, 2],
            "rank": ["1", "2–3", "4+"],
            "reference": [True, False, False],
            "estimate": [0.0, np.log(0.5), np.log(0.2)],
            "high": [np.nan, 0.1, -0.5],
        }
    )
    kinds = pd.DataFrame({"group": ["quantized"], "estimate": [-1.0], "p": [0.001]})
    accounts = pd.DataFrame({"group": ["own"], "estimate": [0.3], "p": [0.48]})
    assert readings.priority_sentence(study, kinds, accounts) == (
        "On these data priority is a gap to the first entrant: expected likes fall by 50% at rank "
        "2–3 and by 80% at rank 4+ (PPML, against rank 1), the interval clear of zero from rank "
        "4+. Its log-team-rank coefficient (PPML): by entrant kind, quantized -1.00; by account "
        "type, own +0.30 (p 0.48, not significantly negative)"
    )


def test_later_paragraph_without_a_later_snapshot():
    assert readings.later_paragraph(None, None).startswith("No later snapshot was given")


def test_simulation_sentence_by_hand():
    flags = pd.DataFrame(
        {
            "real_se": [0.1, 0.02, np.nan],
            "calibrated": [False, True, False],
            "flagged": [True, False, True],
        }
    )
    flags.attrs = {
        "draws": 10,
        "sim_zero_share": 0.899,
        "real_zero_share": 0.901,
        "sim_top_share": 0.68,
        "real_top_share": 0.78,
    }
    assert readings.simulation_sentence(flags, {"primary": None}) == (
        "Over 10 draws per scenario and pair (more where the declared rule was not yet settled) "
        "the simulated likes have 89.9% zeros (real 90.1%) and the top 1% hold 68% of likes (real "
        "78%); 1 of 2 pairs have a rank standard error within the calibration band of the real "
        "one, 2 of 3 pair-terms are flagged by the declared rule; for the rank no FE-Poisson pair "
        "passes the declared rule"
    )
    # draws in batches: the range; one selection per term
    flags["draws"] = [20, 40, 20]
    two = {"rank": {"primary": None}, "congestion": {"primary": ("day", "ppml")}}
    assert readings.simulation_sentence(flags, two).startswith("Over 20 to 40 draws")
    assert readings.simulation_sentence(flags, two).endswith(
        "for the rank no FE-Poisson pair passes the declared rule; for the congestion the "
        "declared rule picks day × ppml as the primary"
    )
    flags.attrs = {"error": "boom"}
    assert readings.simulation_sentence(flags, {}).endswith("boom")


def test_clock_numbers_by_hand():
    clocks = pd.DataFrame(
        {
            "pair": [
                "log_entry_rank ~ log_lag",
                "log_entry_rank ~ log_age",
                "log_lag ~ log_age",
                "log_entry_rank ~ log_congestion",
                "log_entry_rank ~ log_congestion_trailing",
            ],
            "pooled": [0.8, -0.7, -0.9, 0.1, 0.6],
        }
    )
    panel = pd.DataFrame(
        {
            "entry_rank": [1, 2, 3, 4],
            "congestion": [0, 0, 2, 1],
            "congestion_trailing": [0, 1, 2, 3],
        }
    )
    t = readings.clock_numbers(clocks, panel).set_index("key")
    assert t.loc["race_corr_rank_lag", "value"] == 0.8
    assert t.loc["race_corr_rank_cong_trailing", "value"] == 0.6
    # trailing congestion = rank - 1 on all 4 rows, congestion around entry on rows 1 and 3
    assert t.loc["race_cong_is_rank_trailing", "value"] == 1.0
    assert t.loc["race_cong_is_rank", "value"] == 0.5


def test_sample_numbers_by_hand():
    panel = pd.DataFrame({"base_id": ["a", "a", "b", "c"], "base_n_derivatives": [2, 2, 5, 9]})
    funnel = pd.DataFrame(
        {
            "step": [
                "base has a reliable creation date",
                "derivative declares a single parent (panel rows)",
                "complete congestion window",
            ],
            "dropped": [7, 3, 2],
        }
    )
    t = readings.sample_numbers(
        panel,
        panel.iloc[:2],
        funnel,
        congestion_days=30,
        min_derivatives=10,
        llm_tags=["text-generation"],
        congestion_window="around",
    ).set_index("key")
    assert t.loc["race_llm_share", "value"] == 0.5
    assert t.loc["race_n_bases", "value"] == 3 and t.loc["race_llm_bases", "value"] == 1
    assert t.loc["race_dropped_backfilled_base", "value"] == 7
    assert t.loc["race_dropped_recent", "value"] == 2
    assert t.loc["race_median_entrants", "value"] == 5.0
    assert t.loc["race_congestion_half", "value"] == 15.0


def test_robustness_and_placebo_numbers_by_hand():
    rows = pd.DataFrame(
        {
            "row": ["likes (PPML)", "whole Hub (every base)", "likes (PPML)"],
            "term": [PRIORITY, PRIORITY, CONGESTION],
            "estimate": [-0.593, 0.004, 0.5],
            "std_error": [0.134, 0.014, 0.2],
        }
    )
    t = readings.robustness_numbers(rows, 180).set_index("key")["value"]
    assert t["race_min_age"] == 180
    assert (t["race_rob_ppml"], t["race_rob_ppml_se"]) == (-0.593, 0.134)
    assert (t["race_rob_whole"], t["race_rob_whole_se"]) == (0.004, 0.014)
    assert np.isnan(t["race_rob_weighted"])  # no such row: NaN, not an error
    p = readings.placebo_numbers({"mean": 0.1, "sd": 0.02, "p_timing": 0.005, "z": -3.5}, 200)
    assert p.set_index("key")["value"].to_dict() == {
        "race_placebo_draws": 200,
        "race_placebo_mean": 0.1,
        "race_placebo_sd": 0.02,
        "race_placebo_p": 0.005,
        "race_placebo_z": -3.5,
    }


def test_entry_numbers_by_hand():
    from hflineage import race

    entry = {
        "n_bases": 40,
        "top_bases_share": 0.5,
        "top_liked_share": 0.25,
        "spearman_likes_derivatives": 0.3,
    }
    all_edges = pd.Series({"top_share": 0.6, "n_parents": 50})
    # four entrants, two within 30 days; lags 1, 10, 40, 100 days: median (10 + 40) / 2 = 25
    panel = pd.DataFrame(
        {"early_entrant_30d": [True, True, False, False], "lag_days": [1.0, 10.0, 40.0, 100.0]}
    )
    t = race.entry_numbers(entry, all_edges, panel).set_index("key")
    assert t.loc["race_entry_top_share", "value"] == 0.5
    assert t.loc["race_entry_top_liked", "value"] == 0.25
    assert t.loc["race_entry_n_bases", "value"] == 40
    assert t.loc["race_entry_top_share_all", "value"] == 0.6
    assert t.loc["race_share_first_30d", "value"] == 0.5
    assert t.loc["race_median_lag", "value"] == 25.0
    assert t.loc["race_median_lag", "fmt"] == ".0f"
    assert t.loc["race_entry_spearman", "fmt"] == ".2f"


def test_drop_sentence_by_hand():
    from hflineage.chapter.sentences import count_share

    # the primary: 100 rows of 10 bases -> 97 rows, 9 bases: 1 row missing, 2 singletons
    # (the second fit's rows are not read)
    acc = pd.DataFrame(
        {
            "step": ["LLM panel", "missing log_age", "singleton base", "LLM panel"],
            "rows dropped": [0, 1, 2, 0],
            "rows left": [100, 99, 97, 100],
            "clusters left": [10, 10, 9, 10],
            "fit": ["primary (a)", "primary (a)", "primary (a)", "with controls (b)"],
        }
    )
    assert readings.drop_sentence(acc, count_share) == (
        f"{count_share(3, 100)} rows and {count_share(1, 10)} bases drop out: "
        "1 for missing log_age; 2 for singleton base"
    )
    same = acc.assign(**{"rows dropped": 0, "rows left": 100, "clusters left": 10})
    assert readings.drop_sentence(same, count_share) == "no row drops out"


def test_regressions_shown_match_each_fit_and_pass_the_table_its_columns():
    from test_simulate import _timed_race

    from hflineage.race import regressions as rm

    panel = _timed_race(n_bases=40, seed=5)
    seen = {}

    def maker(fits, labels, **kw):  # records what the chapter's regression_table would get
        seen.update(fits=fits, labels=labels, **kw)
        return pd.DataFrame({"n": [len(fits)]})

    tidy, table = readings.regressions_shown(panel, maker)
    assert set(tidy["spec"]) == set(readings.SHOWN_SPECS)
    # the primary's rank coefficient is the one rm.estimate gives on its own
    own = rm.estimate(panel, rm.PRIMARY_SPEC, "log_likes").set_index("term")
    mine = tidy[(tidy["spec"] == rm.PRIMARY_SPEC) & (tidy["term"] == PRIORITY)].iloc[0]
    assert mine["estimate"] == pytest.approx(own.loc[PRIORITY, "estimate"], rel=1e-6)
    assert table["n"].iloc[0] == len(readings.TABLE_SPECS) == 6
    assert seen["cluster_label"] == "Clusters (bases)"
    assert seen["fixed_effects"] == {"Base FE": "base_id", "Creation-month FE": "created_month"}
    assert PRIORITY in seen["labels"] and CONGESTION in seen["labels"]
