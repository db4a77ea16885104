"""The MDI over many readings: the stylised-facts summary by hand, and each specification of the
curve against the same scorecard built directly for its window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_index import TOY_DAYS, TOY_EDGES, make_graph

from hflineage.mdi import covariates, mdi_all, robustness, scorecard


def test_mdi_summary_by_hand():
    curve = pd.DataFrame(
        {
            "variant": ["cd", "cd", "sibling", "sibling"],
            "pattern_1": [False, False, True, True],
            "pattern_2a": [True, False, False, False],
            "pattern_2b": [True, True, True, False],
            "pattern_3": [True, True, True, True],
            "status_1": ["contradicted", "absent", "reproduced", "reproduced"],
        }
    )
    out = robustness.mdi_summary(curve).set_index("claim")
    assert out.loc["P1-most-consolidative", "share_holding"] == 0.5
    assert out.loc["P1-most-consolidative", "share_contradicted"] == 0.25
    assert out.loc["P1-most-consolidative", "holds_sibling"] == "2/2"
    assert out.loc["P1-size", "holds_cd"] == "1/2"
    assert np.isnan(out.loc["P1-size", "share_contradicted"])  # no status column given
    assert out.loc["P1-finetune", "share_holding"] == 0.75
    assert out.loc["P1-indegree", "share_holding"] == 1.0


def test_each_specification_is_the_scorecard_of_its_own_window():
    # a denser toy: the chapter-3 graph plus later children of F and R, so in-degree after the
    # window differs between windows
    days = {**TOY_DAYS, "K1": 120, "K2": 130, "K3": 215}
    edges_list = [*TOY_EDGES, ("K1", "F"), ("K2", "R"), ("K3", "A")]
    models, edges = make_graph(days, edges_list, snapshot_day=400, unreliable=("U",))
    curve = robustness.mdi_curve(models, edges, windows=[30, 90], include_roots=[True])
    assert len(curve) == 2 * 4 and curve.attrs["seconds"] > 0
    for w in (30, 90):
        direct = scorecard(
            mdi_all(models, edges, window_days=w), covariates(models, edges, window_days=w)
        )
        got = curve[curve["window_days"] == w].reset_index(drop=True)
        for col in ("n", "share_negative", "share_positive", "spearman_rho"):
            assert got[col].to_numpy() == pytest.approx(direct[col].to_numpy(), nan_ok=True), (
                w,
                col,
            )
        assert got["status_3"].tolist() == direct["status_3"].tolist()
    # the in-degree used depends on the window: R (day 0) has children F (10), B (30), C (40),
    # C2 (45), K2 (130) and U (back-filled): after day 30 come C, C2, K2; after day 90 only K2
    cov30 = covariates(models, edges, window_days=30)
    cov90 = covariates(models, edges, window_days=90)
    assert (cov30.loc["R", "in_degree"], cov90.loc["R", "in_degree"]) == (3, 1)


def test_window_mass_points_score_each_window_on_its_own_focal_models():
    days = {**TOY_DAYS, "K1": 120, "K2": 130, "K3": 215}
    models, edges = make_graph(
        days,
        [*TOY_EDGES, ("K1", "F"), ("K2", "R"), ("K3", "A")],
        snapshot_day=400,
        unreliable=("U",),
    )
    from hflineage.mdi import mass_points

    got = robustness.window_mass_points(models, edges, [30, 90])
    for w in (30, 90):
        direct = mdi_all(models, edges, window_days=w, include_roots=False)
        want = mass_points(direct)
        have = got[got["window_days"] == w].drop(columns="window_days").reset_index(drop=True)
        pd.testing.assert_frame_equal(have, want, check_dtype=False, check_categorical=False)
