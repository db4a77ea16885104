"""The design registry and fit_design, checked by hand and against pyfixest/numpy routes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hflineage.errors import ParameterError
from hflineage.race import designs as ds


def _panel(n_bases=40, per=30, rank_effect=-0.3, seed=1):
    rng = np.random.default_rng(seed)
    base = np.repeat(np.arange(n_bases), per)
    lag = rng.exponential(60, len(base))
    rank = np.concatenate([np.argsort(np.argsort(lag[base == b])) + 1 for b in range(n_bases)])
    alpha = rng.normal(0, 0.5, n_bases)[base]
    eta = 0.5 + alpha + rank_effect * np.log(rank) - 0.1 * np.log1p(lag)
    likes = rng.poisson(np.exp(eta))
    age = 3000 - lag + rng.uniform(0, 5, len(base))
    return pd.DataFrame(
        {
            "base_id": [f"b{b}" for b in base],
            "created_month": (age // 300).astype(int).astype(str),
            "author": [f"a{a}" for a in rng.integers(0, 200, len(base))],
            "lag_days": lag,
            "lag_bin": np.where(lag < 30, "0-30", "30+"),
            "log_team_rank": np.log(rank),
            "log_entry_rank": np.log(rank),
            "log_team_congestion": np.log1p(rng.poisson(3, len(base))),
            "log_congestion": np.log1p(rng.poisson(3, len(base))),
            "log_age": np.log1p(age),
            "log_lag": np.log1p(lag),
            "lag_rcs1": np.clip(np.log1p(lag) - 2, 0, None) ** 3,
            "lag_rcs2": np.clip(np.log1p(lag) - 3, 0, None) ** 3,
            "lag_rcs3": np.clip(np.log1p(lag) - 4, 0, None) ** 3,
            "likes": likes,
        }
    )


def test_outcome_values_by_hand():
    counts = np.array([0, 1, 4])
    assert ds.outcome_values(counts, "ppml")[0].tolist() == [0, 1, 4]
    assert ds.outcome_values(counts, "ols")[0] == pytest.approx(np.log([1, 2, 5]))
    assert ds.outcome_values(counts, "lpm")[0].tolist() == [0, 1, 1]
    y, rows = ds.outcome_values(counts, "ols_liked")
    assert rows.tolist() == [False, True, True] and y[rows] == pytest.approx(np.log([1, 4]))
    with pytest.raises(ParameterError, match="estimator"):
        ds.outcome_values(counts, "tobit")


def test_absorb_by_hand():
    codes = np.array([0, 0, 1, 1, 1])
    m = np.array([1.0, 3.0, 2.0, 4.0, 9.0])
    assert ds.absorb(m, [codes])[:, 0] == pytest.approx([-1, 1, -3, -1, 4])
    # with a slope: the residuals of a line fitted within each group (numpy's polyfit)
    x = np.array([0.0, 1.0, 0.0, 1.0, 3.0])
    out = ds.absorb(m, [codes], slope=x)[:, 0]
    fit = np.polyfit(x[2:], m[2:], 1)
    assert out[:2] == pytest.approx([0, 0], abs=1e-12)
    assert out[2:] == pytest.approx(m[2:] - np.polyval(fit, x[2:]))


def test_design_frame_codes():
    p = _panel(n_bases=2, per=3)
    p["lag_days"] = [0.2, 0.9, 8.0, 0.5, 40.0, 400.0]
    f = ds.design_frame(p)
    assert f["base_day"].tolist() == [0, 0, 1, 2, 3, 4]  # rows 0 and 1: base 0, day 0
    assert f["base_bin5"].tolist() == [0, 0, 1, 2, 3, 4]  # bins from 0, 7, 30, 90, 365 days


def test_projected_route_equals_pyfixest_and_ppml_recovers_the_effect():
    p = _panel()
    d = ds.DESIGNS["spline"]
    data, regs = ds._frame(p, d, "likes", "ols", "team")
    mine, _, absorbed = ds._projected(data, d, regs, "ols")
    theirs, _, _ = ds._pyfixest(data, d, regs, "ols")
    # the alternating projections (the slopes design's route) equal pyfixest's demeaning
    codes = [data[a].to_numpy(np.int64) for a in d.absorb]
    by_hand = ds.absorb(data[regs].to_numpy(float), codes)
    assert np.allclose(by_hand, absorbed, atol=1e-7)
    assert mine["log_team_rank"][0] == pytest.approx(theirs["log_team_rank"][0], rel=1e-6)
    assert mine["log_team_rank"][1] == pytest.approx(theirs["log_team_rank"][1], rel=1e-4)
    r = ds.fit_design(p, "spline", "likes", "ppml")
    assert r["estimate"] == pytest.approx(-0.3, abs=3 * r["se"])
    assert r["clusters"] == 40 and 0 < r["resid_share"] < 1


def test_resid_share_is_one_without_controls_beyond_the_base():
    """With only the base absorbed and nothing else varying, the rank keeps all its within-base
    variance: the design leaves every bit of it."""
    p = _panel()
    d = ds.Design("b", "b", "base only", (), ("base",))
    data, regs = ds._frame(
        p.assign(log_team_congestion=0.0, log_age=0.0), d, "likes", "ols", "team"
    )
    assert ds._resid_share(data, d, regs) == pytest.approx(1.0)


def test_ppml_with_slopes_is_refused_in_one_line():
    with pytest.raises(ParameterError, match="slopes"):
        ds.fit_design(_panel(), "slopes", "likes", "ppml")
