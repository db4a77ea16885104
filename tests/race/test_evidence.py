"""From race estimates to verdict inputs: the primary row, the other fits (the primary's own
combination left out) and the Holm-adjusted share, by hand; the robustness rows' samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_simulate import _timed_race

from hflineage import race
from hflineage.errors import ParameterError
from hflineage.race import evidence as ev
from hflineage.race import regressions as rm
from hflineage.race import speccurve
from hflineage.verdicts import sign_rule


def _tidy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "spec": ["p", "p", "q"],
            "term": [rm.PRIORITY, rm.CONGESTION, rm.PRIORITY],
            "estimate": [-0.12, 0.01, -0.3],
            "std_error": [0.02, 0.02, 0.1],
            "p_value": [1e-6, 0.6, 0.01],
            "n_obs": [100, 100, 90],
            "n_clusters": [10, 10, 9],
        }
    )


def test_primary_evidence_by_hand():
    e = ev.primary_evidence(_tidy(), "p", rm.PRIORITY, "label")
    assert (e.estimate, e.se, e.p, e.n, e.clusters) == (-0.12, 0.02, 1e-6, 100, 10)
    missing = ev.primary_evidence(_tidy(), "q", rm.CONGESTION, "label")
    assert np.isnan(missing.estimate)
    assert sign_rule(missing, expected="negative").status == "not testable"


def test_robustness_fits_leave_out_the_primary_combination():
    rows = pd.DataFrame(
        {
            "row": ["primary", "whole Hub", "primary", "whole Hub"],
            "term": [rm.PRIORITY, rm.PRIORITY, rm.CONGESTION, rm.CONGESTION],
            "estimate": [-0.1, -0.2, 0.0, 0.1],
            "std_error": [0.01] * 4,
            "p_value": [0.001] * 4,
        }
    )
    curve = pd.DataFrame(
        {
            "relations": ["all", "all", "finetune", "all"],
            "congestion_days": [30, 30, 30, 7],
            "min_derivatives": [10, 10, 10, 10],
            "outcome": ["log_likes"] * 4,
            "spec": ["s", "c", "s", "s"],
            "term": [rm.PRIORITY] * 4,
            "estimate": [-0.1, -0.05, 0.2, -0.3],
            "std_error": [0.01, 0.1, 0.05, 0.1],
            "p_value": [0.001, 0.62, 6e-5, 0.003],
        }
    )
    primary = {
        "relations": "all",
        "congestion_days": 30.0,  # a float from a profile still matches the curve's 30
        "min_derivatives": 10,
        "outcome": "log_likes",
        "spec": "s",
    }
    fits = ev.robustness_fits(rows, curve, rm.PRIORITY, primary=primary)
    # the primary row and the curve's copy of the primary (row 0) are left out
    assert fits["estimate"].tolist() == [-0.2, -0.05, 0.2, -0.3]
    assert fits["label"].iloc[0] == "whole Hub"
    assert fits["label"].iloc[2] == "curve: s, log_likes, finetune, window 30, min 10"
    only_s = ev.robustness_fits(None, curve, rm.PRIORITY, primary=primary, specs=("s",))
    assert only_s["estimate"].tolist() == [0.2, -0.3]
    # Holm over the four p-values (0.001, 0.62, 6e-5, 0.003): sorted 6e-5*4, 0.001*3, 0.003*2,
    # 0.62 -> all but 0.62 below 0.05; support: -0.2 and -0.3; contrary: +0.2
    rob = ev.robustness(fits, "negative")
    assert (rob.n, rob.support, rob.contrary) == (4, 2, 1)
    assert ev.robustness(fits.iloc[:0], "negative") is None
    with pytest.raises(ParameterError, match="primary has no 'congestion_days'"):
        ev.robustness_fits(None, curve, rm.PRIORITY, primary={"relations": "all"})


def test_robustness_rows_use_the_right_samples():
    panel = _timed_race(n_bases=60, seed=3)
    bases = sorted(panel["base_id"].unique())
    llm_bases = set(bases[::2])
    panel["base_pipeline_tag"] = np.where(
        panel["base_id"].isin(llm_bases), "text-generation", "text-to-image"
    )
    rows = speccurve.robustness_rows(panel, ppml=False)
    labels = list(dict.fromkeys(rows["row"]))
    assert labels == [
        "primary",
        "bases weighted equally",
        "SE two-way: base and author",
        "whole Hub (every base)",
        "downloads (last 30 days)",
        "any like (LPM)",
        "derivatives >= 180 days old (ages still differ)",
        "lag as bins (not a spline)",
    ]
    by = rows[rows["term"] == rm.PRIORITY].set_index("row")
    llm = race.llm_sample(panel)
    primary = rm.estimate(llm, rm.PRIMARY_SPEC, "log_likes").set_index("term")
    assert by.loc["primary", "estimate"] == pytest.approx(primary.loc[rm.PRIORITY, "estimate"])
    # two-way clustering changes the standard error, not the estimate
    assert by.loc["SE two-way: base and author", "estimate"] == pytest.approx(
        by.loc["primary", "estimate"]
    )
    assert by.loc["whole Hub (every base)", "n_clusters"] > by.loc["primary", "n_clusters"]
    old = by.loc["derivatives >= 180 days old (ages still differ)", "n_obs"]
    assert old <= int((llm["age_days"] >= 180).sum()) < by.loc["primary", "n_obs"]
    assert by.loc["lag as bins (not a spline)", "spec"] == "both_lagbins"


def test_select_primary_by_hand():
    """Four design x estimator rows: one biased, one with too wide a size, one not calibrated;
    of the two valid ones the higher power wins (ties broken by smaller |bias|)."""
    flags = pd.DataFrame(
        {
            "design": ["spline", "day", "lagbin5", "slopes", "author"],
            "estimator": ["ppml", "ppml", "ols", "ols", "ppml"],
            "bias": [0.08, 0.01, -0.02, 0.00, 0.005],
            "mc_error": [0.01, 0.01, 0.01, 0.01, 0.01],
            "real_se": [0.1, 0.1, 0.1, 0.1, 0.1],
            "size_low": [0.03, 0.04, 0.20, 0.04, 0.04],
            "size_high": [0.07, 0.06, 0.30, 0.06, 0.06],
            "power": [0.9, 0.7, 0.95, 0.99, 0.7],
            "calibrated": [True, True, True, False, True],
        }
    )
    out = ev.select_primary(flags)
    # spline: |0.08| >= 0.5 * 0.1 -> biased; lagbin5: size off; slopes: not calibrated
    assert out["table"]["why_not"].tolist() == ["biased", "", "size off", "not calibrated", ""]
    assert out["valid"] == [("author", "ppml"), ("day", "ppml")]  # equal power, smaller bias
    assert out["primary"] == ("author", "ppml")
    assert ev.select_primary(flags.assign(bias=1.0))["primary"] is None
    with pytest.raises(ParameterError, match="power"):
        ev.select_primary(flags.drop(columns="power"))
