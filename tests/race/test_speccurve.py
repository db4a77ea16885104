"""Specification curves: the fast paths reproduce one-at-a-time estimates, summaries by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_models

from hflineage import race
from hflineage.errors import ParameterError
from hflineage.race import regressions as rm
from hflineage.race import speccurve


def _race_data():
    """Five bases with 6-14 single-parent derivatives each, spread over six months."""
    rng = np.random.default_rng(42)
    rows, edges = [], []
    for b in range(5):
        base = f"org/base{b}"
        rows.append({"id": base, "createdAt": f"2023-0{b + 1}-01T00:00:00Z", "likes": 100})
        for d in range(6 + 2 * b):
            day = pd.Timestamp(f"2023-0{b + 1}-02", tz="UTC") + pd.Timedelta(
                days=int(rng.integers(0, 180))
            )
            child = f"u{d % 4}/b{b}-d{d}"
            rows.append(
                {
                    "id": child,
                    "createdAt": day.isoformat(),
                    "likes": int(rng.poisson(3)),
                    "downloads": int(rng.poisson(20)),
                    "tags": ["license:mit"] if d % 3 == 0 else [],
                }
            )
            edges.append(
                {
                    "child": child,
                    "parent": base,
                    "declared": base,
                    "resolution": "exact",
                    "relation": "adapter" if d % 4 == 0 else "finetune",
                    "relation_source": "inferred",
                    "phase": "tag",
                    "parent_in_snapshot": True,
                    "parent_younger": False,
                    "in_cycle": False,
                }
            )
    return make_models(rows), pd.DataFrame(edges)


def test_race_curve_rows_match_single_estimates():
    models, edges = _race_data()
    curve = speccurve.race_curve(
        models,
        edges,
        windows=(30,),
        min_derivatives=(6, 10),
        relations=(None,),
        outcomes=("log_likes", "any_like"),
        specs=("both", "both_exposure", "baseline", "baseline_exposure"),
        pipeline_tags=None,
    )
    # 2 thresholds x 2 outcomes x 4 (exposure, controls) specs x 2 terms
    assert len(curve) == 2 * 2 * 4 * 2
    assert set(curve["lag"]) == {"none"}
    # the default sample is the LLM bases: the fixture's bases have no task, so nothing is left
    assert speccurve.race_curve(models, edges, windows=(30,), relations=(None,)).empty
    for m in (6, 10):
        panel = race.build_panel(models, edges, min_derivatives=m, congestion_days=30)
        ref = rm.estimate(panel, "baseline_exposure", "any_like").set_index("term")
        got = curve[
            (curve["min_derivatives"] == m)
            & (curve["outcome"] == "any_like")
            & curve["exposure"]
            & curve["controls"]
        ].set_index("term")
        assert got["spec"].iloc[0] == "baseline_exposure"
        for term in (rm.PRIORITY, rm.CONGESTION):
            assert got.loc[term, "estimate"] == pytest.approx(ref.loc[term, "estimate"])
            # the fast path demeans to 1e-10, pyfixest to its own (looser) default tolerance
            assert got.loc[term, "std_error"] == pytest.approx(ref.loc[term, "std_error"], rel=1e-4)
            assert got.loc[term, "n_obs"] == ref.loc[term, "n_obs"]
    # min 10 keeps the bases with 10, 12 and 14 entrants: 3 clusters
    assert set(curve.loc[curve["min_derivatives"] == 10, "n_clusters"]) == {3}


def test_ppml_fits_only_at_the_chosen_race_sizes():
    models, edges = _race_data()
    kw = dict(windows=(30,), min_derivatives=(6, 10), relations=(None,), pipeline_tags=None)
    curve = speccurve.race_curve(
        models,
        edges,
        outcomes=("log_likes", "likes"),
        specs=("baseline",),
        ppml_min_derivatives=(10,),
        **kw,
    )
    ppml = curve[curve["estimator"] == "ppml"]
    assert set(ppml["min_derivatives"]) == {10}
    assert set(curve.loc[curve["estimator"] == "ols", "min_derivatives"]) == {6, 10}
    panel = race.build_panel(models, edges, min_derivatives=10, congestion_days=30)
    ref = rm.estimate(panel, "baseline", "likes").set_index("term")
    got = ppml.set_index("term")
    assert got.loc[rm.PRIORITY, "estimate"] == pytest.approx(ref.loc[rm.PRIORITY, "estimate"])
    with pytest.raises(ParameterError, match="ppml_min_derivatives: 7 is not one of"):
        speccurve.race_curve(models, edges, outcomes=("likes",), ppml_min_derivatives=(7,), **kw)


def test_curve_summary_by_hand():
    curve = pd.DataFrame(
        {
            "term": ["t"] * 4,
            "outcome": ["y"] * 4,
            "estimate": [-0.3, -0.1, 0.2, 0.4],
            "p_value": [0.01, 0.20, 0.01, 0.5],
        }
    )
    out = speccurve.curve_summary(curve).iloc[0]
    assert out["specifications"] == 4
    assert out["share_negative"] == 0.5  # -0.3, -0.1
    assert out["share_negative_significant"] == 0.25  # -0.3 only
    assert out["share_positive_significant"] == 0.25  # 0.2
    assert out["median"] == pytest.approx(0.05)


def test_slice_count_and_share_by_hand():
    from hflineage.race.speccurve import slice_count, slice_share

    curve = pd.DataFrame(
        {
            "term": ["r", "r", "r", "r", "c"],
            "outcome": ["log_likes", "log_likes", "any_like", "log_likes", "log_likes"],
            "lag": ["none", "spline", "spline", "bins", "none"],
            "estimate": [-0.2, -0.1, 0.3, -0.05, -0.4],
            "p_value": [0.01, 0.2, 0.001, 0.04, 0.001],
        }
    )
    # rank, every outcome: negative and p < 0.05 are rows 0 and 3 of 4
    assert slice_count(curve, "r") == (2, 4)
    assert slice_count(curve, "r", sign=1) == (1, 4)
    # with a lag control (spline, bins) and log likes: rows 1 (p 0.2) and 3 -> 1 of 2
    assert slice_count(curve, "r", outcome="log_likes", lag=True) == (1, 2)
    assert slice_share(curve, "r", lag=False) == 1.0
    assert np.isnan(slice_share(curve, "x"))
