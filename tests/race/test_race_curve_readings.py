"""Chapter 6's numbers and tables of the race specification curve, checked by hand on a curve of
four specifications."""

from __future__ import annotations

import pandas as pd
import pytest

from hflineage.lineage.headlines import NUMBER_COLUMNS
from hflineage.race import curve_readings
from hflineage.race.specs import CONGESTION, LABELS, PRIORITY


def _curve() -> pd.DataFrame:
    """Four specifications, each with a rank and a congestion row.

    rank:       log_likes none -0.5 (p .01, neg sig), log_likes spline -0.2 (p .2),
                log_likes spline -0.3 (p .001, neg sig), likes (PPML) none -0.1 (p .04, neg sig)
    congestion: log_likes none +0.3 (p .01, pos sig), log_likes spline -0.4 (p .03, neg sig),
                log_likes spline +0.1 (p .5), likes (PPML) none +0.2 (p .001, pos sig)
    """
    spec = pd.DataFrame(
        {
            "outcome": ["log_likes", "log_likes", "log_likes", "likes"],
            "estimator": ["ols", "ols", "ols", "ppml"],
            "lag": ["none", "spline", "spline", "none"],
            "exposure": [True, False, True, True],
        }
    )
    rank = spec.assign(
        term=PRIORITY, estimate=[-0.5, -0.2, -0.3, -0.1], p_value=[0.01, 0.2, 0.001, 0.04]
    )
    cong = spec.assign(
        term=CONGESTION, estimate=[0.3, -0.4, 0.1, 0.2], p_value=[0.01, 0.03, 0.5, 0.001]
    )
    out = pd.concat([rank, cong], ignore_index=True)
    out.attrs["seconds"] = 12.5
    return out


def _said(k: int, n: int) -> str:
    return f"{k}/{n}"


def test_design_numbers_by_hand():
    t = curve_readings.design_numbers(
        _curve(),
        windows=[7, 30],
        race_sizes=[5],
        entrant_kinds=[None],
        outcomes=["log_likes", "likes"],
        specs=["both", "both_lagspline"],
        ppml_min_derivatives=None,
    )
    assert list(t.columns) == list(NUMBER_COLUMNS)
    got = dict(zip(t["key"], t["value"], strict=True))
    assert got == {
        "rob_n_windows": 2,
        "rob_n_race_specs": 2,
        "rob_ppml_sizes": "at every minimum race size",
        "rob_n_ppml": 1,  # one PPML fit of the rank term
        "rob_n_min": 1,
        "rob_n_relations": 1,
        "rob_n_outcomes": 2,
        "rob_n_specs": 4,  # rank rows only, not congestion's
        "rob_race_seconds": 12.5,
    }
    assert isinstance(got["rob_n_specs"], int)
    fmt = dict(zip(t["key"], t["fmt"], strict=True))
    assert fmt["rob_n_specs"] == "," and fmt["rob_race_seconds"] == ".0f"
    assert fmt["rob_n_windows"] is None


def test_ppml_sizes_text():
    assert curve_readings.ppml_sizes_text(None) == "at every minimum race size"
    assert curve_readings.ppml_sizes_text([10]) == "only at a minimum race size of 10 entrants"
    assert (
        curve_readings.ppml_sizes_text([10, 25])
        == "only at a minimum race size of 10 and 25 entrants"
    )


def test_slice_numbers_by_hand():
    t = curve_readings.slice_numbers(_curve(), 0.05, said=_said).set_index("key")
    counts = {
        "rob_priority_loglikes_count": "2/3",  # -0.5 and -0.3 of three log-likes fits
        "rob_congestion_loglikes_count": "1/3",  # -0.4
        "rob_congestion_pos_loglikes_count": "1/3",  # +0.3
        "rob_congestion_pos_count": "2/4",  # +0.3 and the PPML +0.2
    }
    for key, value in counts.items():
        assert t.loc[key, "value"] == value and t.loc[key, "fmt"] is None
    assert t.loc["rob_congestion_pos_count", "description"] == (
        "log_congestion, every outcome: significant with sign +1 (count of specifications)"
    )
    shares = {
        "rob_priority_share_nolag_loglikes": 1.0,  # -0.5 alone
        "rob_priority_share_lag_loglikes": 0.5,  # -0.3 of the two spline fits
        "rob_priority_share_lag": 0.5,
        "rob_priority_share_nolag": 1.0,  # -0.5 and PPML -0.1
        "rob_congestion_share_lag": 0.5,  # -0.4 of the two spline fits
        "rob_priority_share": 0.75,
        "rob_congestion_share": 0.25,
        "rob_priority_share_loglikes": 2 / 3,
        "rob_congestion_share_loglikes": 1 / 3,
    }
    for key, value in shares.items():
        assert t.loc[key, "value"] == pytest.approx(value) and t.loc[key, "fmt"] == ".0%"
    assert len(t) == len(counts) + len(shares)


def test_slice_numbers_follow_alpha():
    t = curve_readings.slice_numbers(_curve(), 0.02, said=_said).set_index("key")
    assert t.loc["rob_priority_share", "value"] == pytest.approx(0.5)  # p .04 drops out
    assert t.loc["rob_congestion_pos_count", "value"] == "2/4"  # p .01 and .001 stay


def test_summary_table_labels_terms():
    t = curve_readings.summary_table(_curve(), 0.05).set_index(["term", "outcome"])
    row = t.loc[(LABELS[PRIORITY], "log_likes")]
    assert row["specifications"] == 3
    assert row["share_negative_significant"] == pytest.approx(2 / 3)
    assert row["median"] == pytest.approx(-0.3)
    layout = curve_readings.summary_layout(0.05)
    assert layout["labels"]["share_positive_significant"] == "positive, p < 0.05"


def test_choice_table_by_hand():
    t = curve_readings.choice_table(_curve(), 0.05)
    assert list(t.columns) == [
        "term",
        "choice",
        "level",
        "specifications",
        "median",
        "share_negative_significant",
    ]
    rank = t[t["term"] == LABELS[PRIORITY]].set_index(["choice", "level"])
    # exposure: no = the -0.2 fit; yes = -0.5 and -0.3
    assert rank.loc[("log age (exposure)", "no"), "median"] == pytest.approx(-0.2)
    assert rank.loc[("log age (exposure)", "yes"), "median"] == pytest.approx(-0.4)
    assert rank.loc[("log age (exposure)", "yes"), "share_negative_significant"] == 1.0
    # lag: none = -0.5 (significant); spline = -0.2 and -0.3 (one significant)
    assert rank.loc[("lag control", "spline"), "median"] == pytest.approx(-0.25)
    assert rank.loc[("lag control", "spline"), "share_negative_significant"] == 0.5
    cong = t[t["term"] == LABELS[CONGESTION]].set_index(["choice", "level"])
    assert cong.loc[("lag control", "spline"), "median"] == pytest.approx(-0.15)
    assert cong.loc[("log age (exposure)", "no"), "share_negative_significant"] == 1.0
    assert curve_readings.choice_labels(0.1)["share_negative_significant"] == "negative, p < 0.1"


def test_share_format_recorded_as_the_chapter_did(tmp_path):
    """The ".0%" of slice_numbers, recorded by Chapter.record_numbers, writes each share as the
    chapter's former fmt=share_format(value, digits=0) did: 1 of 504 never reads "0%"."""
    from hflineage.chapter.report import Chapter
    from hflineage.chapter.sentences import share_format

    ch = Chapter("t", tmp_path, glue=False)
    values = {"a": 1 / 504, "b": 503 / 504, "c": 0.27314814814814814, "d": 1.0, "e": 0.0}
    ch.record_numbers(values, fmt=".0%")
    for key, v in values.items():
        assert ch.numbers[key]["text"] == format(v, share_format(v, digits=0))
    assert ch.numbers["a"]["text"] == "0.20%" and ch.numbers["b"]["text"] == "99.80%"
    assert ch.numbers["c"]["text"] == "27%"
