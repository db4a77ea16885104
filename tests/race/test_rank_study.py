"""Rank's shape and who gains: bins, the raw pattern, the event study (first entrant as the
reference) and group effects, by hand and against a dense least-squares route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_designs import _panel

from hflineage.errors import ParameterError
from hflineage.race import rank_study as rs


def _with_ranks(p: pd.DataFrame) -> pd.DataFrame:
    rank = np.exp(p["log_team_rank"]).round().astype(int)
    return p.assign(team_rank=rank, entry_rank=rank)


def test_bins_and_labels_by_hand():
    assert rs.bin_labels((1, 2, 4, 11)) == ["1", "2–3", "4–10", "11+"]
    assert rs.rank_bin([1, 2, 3, 4, 10, 11, 500], (1, 2, 4, 11)).tolist() == [0, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ParameterError, match="starting at 1"):
        rs.bin_labels((2, 4))


def test_rank_pattern_by_hand():
    p = pd.DataFrame({"team_rank": [1, 1, 2, 3, 5], "likes": [4, 0, 2, 0, 4]})
    t = rs.rank_pattern(p, edges=(1, 2, 4))
    assert t["rank"].tolist() == ["1", "2–3", "4+"]
    assert t["derivatives"].tolist() == [2, 2, 1]
    assert t["mean_likes"].tolist() == [2.0, 1.0, 4.0]
    assert t["share_liked"].tolist() == [0.5, 0.5, 1.0]
    assert t["share_of_likes"].tolist() == [0.4, 0.2, 0.4]


def _dense_ols(p: pd.DataFrame, cols: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    """OLS with base and month dummies built by hand (the first of each dropped)."""
    base = pd.get_dummies(p["base_id"], drop_first=False).to_numpy(float)
    month = pd.get_dummies(p["created_month"], drop_first=True).to_numpy(float)
    x = np.column_stack([*cols, p["log_team_congestion"], p["log_age"], base, month])
    return np.linalg.lstsq(x, y, rcond=None)[0]


def test_event_study_reference_is_the_first_entrant():
    p = _with_ranks(_panel())
    edges = (1, 2, 4, 11)
    es = rs.event_study(p, design="nolag", estimators=("ols",), edges=edges)
    ref = es[es["reference"]]
    assert ref["bin"].tolist() == [0] and ref["rank"].tolist() == ["1"]
    assert ref["estimate"].tolist() == [0.0] and ref["se"].isna().all()
    # by hand: indicators of bins 1..3 (not of the first entrant's bin) beside congestion, log age
    b = rs.rank_bin(p["team_rank"], edges)
    beta = _dense_ols(p, [(b == k).astype(float) for k in (1, 2, 3)], np.log1p(p["likes"]))
    assert es.loc[~es["reference"], "estimate"].to_numpy() == pytest.approx(beta[:3], abs=1e-8)
    # a later rank gets fewer likes in this panel (true log-rank effect -0.3)
    assert (es.loc[~es["reference"], "estimate"] < 0).all()
    assert es.loc[es["bin"] == 0, "derivatives"].iloc[0] == int((b == 0).sum())


def test_group_effects_equal_interactions_by_hand():
    p = _with_ranks(_panel())
    groups = pd.Series(np.where(np.arange(len(p)) % 3 == 0, "quantized", "finetune"), index=p.index)
    out = rs.group_effects(p, groups, design="nolag", estimator="ols")
    assert out["group"].tolist() == ["quantized", "finetune"]  # the declared order
    q = (groups == "quantized").to_numpy(float)
    r = p["log_team_rank"].to_numpy(float)
    beta = _dense_ols(p, [r * q, r * (1 - q), 1 - q], np.log1p(p["likes"]))
    assert out["estimate"].to_numpy() == pytest.approx(beta[:2], abs=1e-8)
    assert out["derivatives"].sum() == len(p)


def test_entrant_kind_and_account_type_by_hand():
    p = pd.DataFrame(
        {
            "relation": ["finetune", "quantized", "quantized", "adapter", "finetune"],
            "is_merge": [True, False, False, False, False],
            "is_quantized": [False, True, True, False, False],
            "author": ["org", "q", "q", "q", "x"],
            "same_author_as_base": [True, False, False, False, False],
        }
    )
    assert rs.entrant_kind(p).tolist() == ["merge", "quantized", "quantized", "adapter", "finetune"]
    # "q" has 2 quantized uploads: a frequent quantizer at a threshold of 2 (all its rows), not at 3
    assert rs.account_type(p, 2).tolist() == [
        "base's own organisation",
        "frequent quantizer",
        "frequent quantizer",
        "frequent quantizer",
        "other account",
    ]
    assert rs.account_type(p, 3).tolist()[1] == "other account"
    with pytest.raises(ParameterError, match="frequent_quantizer_min"):
        rs.account_type(p, 0)


def test_identified_on_an_empty_sample_is_empty_not_a_crash():
    # pyfixest's demeaning aborts the whole process on zero rows (a Rust panic): the fit's
    # regressors are then none, and the callers report NaN coefficients
    from hflineage.race.regressions import identified

    empty = pd.DataFrame({"x": pd.Series([], dtype=float), "base": pd.Series([], dtype=int)})
    assert identified(empty, ["x"], ["base"]) == []
    one = pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0], "base": [0, 0, 1, 1]})
    assert identified(one, ["x"], ["base"]) == ["x"]
