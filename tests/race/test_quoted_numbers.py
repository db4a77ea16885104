"""Chapter 5's bookkeeping number tables, checked against values worked out by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hflineage.lineage.headlines import NUMBER_COLUMNS
from hflineage.race import quoted_numbers as qn
from hflineage.race import readings
from hflineage.race.specs import CONGESTION, CONTROLS_SPEC, PRIMARY_SPEC, PRIORITY


def _values(table: pd.DataFrame) -> dict:
    assert list(table.columns) == list(NUMBER_COLUMNS)
    assert not table["key"].duplicated().any()
    return dict(zip(table["key"], table["value"], strict=True))


def test_setting_numbers_quote_the_declared_specs_and_settings():
    t = qn.setting_numbers(placebo_neighbours=5, bins=20, frequent_quantizer_min=20)
    assert _values(t) == {
        "race_primary_spec": PRIMARY_SPEC,
        "race_controls_spec": CONTROLS_SPEC,
        "race_placebo_neighbours": 5,
        "race_bins": 20,
        "race_frequent_quantizer_min": 20,
    }
    assert t["fmt"].isna().all()


def test_rank_numbers_share_of_later_uploads_by_hand():
    pattern = pd.DataFrame(
        {
            "rank": ["1", "2–3", "4+"],
            "derivatives": [10, 30, 60],
            "mean_likes": [8.0, 2.0, 0.5],
            "share_liked": [0.5, 0.2, 0.05],
            "share_of_likes": [0.4, 0.35, 0.25],
        }
    )
    # uploads 1, 2, 1, 3: two of four rows are an account's later upload
    v = _values(qn.rank_numbers(pattern, pd.DataFrame({"team_upload": [1, 2, 1, 3]})))
    assert v["race_team_later_share"] == 0.5
    assert v["race_rank_sentence"] == readings.rank_sentence(pattern)
    assert math.isnan(
        _values(qn.rank_numbers(pattern, pd.DataFrame({"x": [1]})))["race_team_later_share"]
    )


def test_sim_placebo_numbers_take_min_under_decay_and_max_under_rank():
    sp = pd.DataFrame(
        {
            "process": ["decay", "decay", "rank", "rank", "burst"],
            "p_timing": [0.40, 0.25, 0.01, 0.03, 0.9],
        }
    )
    t = qn.sim_placebo_numbers(sp, 12.5)
    assert _values(t) == {
        "race_sim_placebo_seconds": 12.5,
        "race_sim_placebo_p_decay": 0.25,
        "race_sim_placebo_p_rank": 0.03,
    }
    assert list(t["fmt"]) == [".0f", ".2f", ".2f"]
    with pytest.raises(KeyError):
        qn.sim_placebo_numbers(sp[sp["process"] != "rank"], 1.0)


def test_design_numbers_read_seconds_and_sentence():
    flags = pd.DataFrame(
        {"real_se": [0.1, np.nan], "calibrated": [True, False], "flagged": [False, True]}
    )
    flags.attrs = {
        "seconds": 7.0,
        "draws": 10,
        "sim_zero_share": 0.5,
        "real_zero_share": 0.6,
        "sim_top_share": 0.4,
        "real_top_share": 0.5,
    }
    v = _values(qn.design_numbers(3.0, flags, {"primary": ("spline", "ppml")}))
    assert v["race_design_seconds"] == 3.0
    assert v["race_design_sim_seconds"] == 7.0
    assert v["race_simulation_sentence"].endswith(
        "1 of 1 pairs have a rank standard error within the calibration band of the real one, "
        "1 of 2 pair-terms are flagged by the declared rule; for the rank the declared rule picks "
        "spline × ppml as the primary"
    )


def test_later_table_without_and_with_a_later_snapshot():
    assert _values(qn.later_table(None, None)) == {
        "race_later_text": readings.later_paragraph(None, None)
    }
    counts = {
        "interval_days": 30.0,
        "deleted": 5,
        "main_models": 100,
        "deleted_panel": 2,
        "rows_panel": 40,
        "deleted_other": 3,
        "rows_other": 60,
        "deleted_llm": 1,
        "new": 7,
    }
    gained = pd.DataFrame(
        {"estimate": [-0.2, 0.05], "std_error": [0.04, 0.02], "n_obs": [39, 39]},
        index=[PRIORITY, CONGESTION],
    )
    v = _values(qn.later_table(counts, gained))
    assert v["race_later_deleted_panel"] == 2
    assert v["race_later_b_rank"] == -0.2
    assert v["race_later_b_cong_se"] == 0.02
    assert "coefficient of -0.200 (s.e. 0.040)" in v["race_later_text"]
    assert qn.two_snapshot_numbers(pd.DataFrame(), None, pd.DataFrame(), pd.DataFrame()).equals(
        qn.later_table(None, None)
    )


def test_verdict_numbers_strip_the_claim_prefix():
    verdicts = {
        "P2-priority": SimpleNamespace(status="supported", sentence="Later is worse."),
        "P2-controls": SimpleNamespace(status="absent", sentence="No gap."),
    }
    t = qn.verdict_numbers(verdicts, ["P2-priority", "P2-controls"])
    assert _values(t) == {
        "race_status_priority": "supported",
        "race_sentence_priority": "Later is worse.",
        "race_status_controls": "absent",
        "race_sentence_controls": "No gap.",
    }
    assert list(t["description"])[:2] == ["P2-priority verdict", "P2-priority in one sentence"]


def test_entry_verdict_applies_the_threshold_and_measure_is_a_method():
    assert qn.entry_verdict({"top_liked_share": 0.30}, {"threshold": 0.2}).status == "reproduced"
    assert qn.entry_verdict({"top_liked_share": 0.10}, {"threshold": 0.2}).status == "absent"
    assert "30.0%" in qn.entry_verdict({"top_liked_share": 0.30}, {"threshold": 0.2}).sentence
    assert "downloads in the last 30 days" in qn.measure_verdict().sentence


def test_drop_numbers_by_hand():
    # 100 rows of 10 bases -> 97 rows of 9 bases: 1 row missing, 2 singletons
    acc = pd.DataFrame(
        {
            "step": ["LLM panel", "missing log_age", "singleton base"],
            "rows dropped": [0, 1, 2],
            "rows left": [100, 99, 97],
            "clusters left": [10, 10, 9],
            "fit": ["primary (a)"] * 3,
        }
    )

    def words(k: int, n: int) -> str:  # stands in for the chapter's count_share
        return f"{k}/{n}"

    assert _values(qn.drop_numbers(acc, words)) == {
        "race_drop_sentence": "3/100 rows and 1/10 bases drop out: 1 for missing log_age; "
        "2 for singleton base"
    }


def test_entry_comparison_numbers_on_a_small_hub():
    from conftest import make_models

    from hflineage import lineage

    models = make_models(
        [
            {"id": "t/r", "createdAt": "2023-01-01T00:00:00Z"},
            {"id": "t/a", "createdAt": "2023-02-01T00:00:00Z", "tags": ["base_model:t/r"]},
            {"id": "t/b", "createdAt": "2023-03-01T00:00:00Z", "tags": ["base_model:t/r"]},
            {"id": "t/c", "createdAt": "2023-04-01T00:00:00Z", "tags": ["base_model:t/a"]},
            {"id": "t/e", "createdAt": "2023-05-01T00:00:00Z", "tags": ["base_model:gone/x"]},
        ]
    )
    # in-degree among models: r 2, a 1 (gone/x is external): 2 parents, 3 edges; the top half
    # is one parent (r) with 2 of the 3 edges
    entry = {
        "n_bases": 4,
        "top_bases_share": 0.5,
        "top_liked_share": 0.25,
        "spearman_likes_derivatives": 0.3,
    }
    panel = pd.DataFrame({"early_entrant_30d": [True, False], "lag_days": [10.0, 30.0]})
    asked = []

    def compare(n: int, other: int, what: str) -> str:
        asked.append((n, other))
        return f"{n} against {other} {what}"

    t = qn.entry_comparison_numbers(
        models, lineage.build_edges(models), entry, panel, top_share=0.5, compare=compare
    )
    v = _values(t)
    assert asked == [(4, 2)]
    assert v["race_entry_compare"] == (
        "4 against 2 that the lineage chapter counts over all declared edges"
    )
    assert v["race_entry_top_share_all"] == pytest.approx(2 / 3)
    assert v["race_median_lag"] == 20.0
