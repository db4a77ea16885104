"""Power and equivalence helpers (hflineage.verdict_stats), on hand-worked numbers.

Normal quantiles used below (tables; checked against scipy): z_0.95 = 1.644854,
z_0.975 = 1.959964, z_0.995 = 2.575829, z_0.80 = 0.841621, z_0.90 = 1.281552;
1 - Phi(3) = 0.0013499, Phi(-2) = 0.0227501, 1 - Phi(1.5) = 0.0668072, Phi(-1) = 0.1586553.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hflineage.errors import ParameterError
from hflineage.verdicts import equivalence_bounds, holm_adjust, minimum_detectable_effect, tost

# -- TOST ------------------------------------------------------------------------------------


def test_tost_worked_by_hand_normal():
    # estimate 0.01, se 0.02, sesoi 0.05:
    #   lower test, H0 theta <= -0.05: z = (0.01 + 0.05) / 0.02 = 3   -> p = 1 - Phi(3) = 0.0013499
    #   upper test, H0 theta >= +0.05: z = (0.01 - 0.05) / 0.02 = -2  -> p = Phi(-2)     = 0.0227501
    #   TOST p = max = 0.0227501 < 0.05: equivalent
    t = tost(0.01, 0.02, 0.05)
    assert t.p_lower == pytest.approx(0.0013499, abs=1e-7)
    assert t.p_upper == pytest.approx(0.0227501, abs=1e-7)
    assert t.p == pytest.approx(0.0227501, abs=1e-7)
    assert t.equivalent is True
    assert (t.sesoi, t.alpha) == (0.05, 0.05)
    # at alpha 0.02 the same numbers do not show equivalence (0.0228 >= 0.02)
    assert tost(0.01, 0.02, 0.05, alpha=0.02).equivalent is False


def test_tost_not_equivalent_by_hand():
    # estimate 0.01, se 0.04, sesoi 0.05: z_lower = 0.06 / 0.04 = 1.5 -> 0.0668072;
    # z_upper = -0.04 / 0.04 = -1 -> 0.1586553; TOST p = 0.1586553
    t = tost(0.01, 0.04, 0.05)
    assert (t.p_lower, t.p_upper, t.p) == pytest.approx((0.0668072, 0.1586553, 0.1586553), 1e-6)
    assert t.equivalent is False


def test_tost_is_symmetric_in_the_sign_of_the_estimate():
    a, b = tost(0.01, 0.02, 0.05), tost(-0.01, 0.02, 0.05)
    assert (a.p_lower, a.p_upper) == pytest.approx((b.p_upper, b.p_lower))


def test_tost_with_t_matches_statsmodels_one_sample_ttost():
    # an independent route: statsmodels' one-sample TOST on raw data, whose mean, se and df are
    # the estimate, se and df handed to tost
    from statsmodels.stats.weightstats import DescrStatsW

    x = np.array([0.1, 0.3, -0.2, 0.4, 0.15])
    d = DescrStatsW(x)
    p_sm, (_, p_low_sm, _), (_, p_upp_sm, _) = d.ttost_mean(-0.6, 0.6)
    t = tost(float(x.mean()), float(d.std_mean), 0.6, df=len(x) - 1)
    assert t.p_lower == pytest.approx(p_low_sm, rel=1e-9)
    assert t.p_upper == pytest.approx(p_upp_sm, rel=1e-9)
    assert t.p == pytest.approx(p_sm, rel=1e-9)


def test_tost_agrees_with_the_equivalence_interval():
    # TOST at alpha rejects iff the (1 - 2 alpha) interval lies inside (-sesoi, sesoi):
    # (0.01 -/+ 1.644854 * 0.02) = (-0.0228971, 0.0428971), inside +/-0.05 but not +/-0.04
    lo, hi = equivalence_bounds(0.01, 0.02, 0.05)
    assert (lo, hi) == pytest.approx((-0.0228971, 0.0428971), abs=1e-7)
    assert tost(0.01, 0.02, 0.05).equivalent and hi < 0.05
    assert not tost(0.01, 0.02, 0.04).equivalent and hi > 0.04
    # t: the half-width uses t_{0.95, 4} = 2.131847
    lo4, hi4 = equivalence_bounds(0.0, 1.0, 0.05, df=4)
    assert (lo4, hi4) == pytest.approx((-2.131847, 2.131847), abs=1e-6)


def test_tost_p_just_below_and_above_alpha():
    # sesoi 0.05, se 0.02: the upper test decides; TOST p = Phi((e - 0.05) / 0.02)
    # e = 0.0169: z = -1.655 -> 0.048962 < 0.05; e = 0.0173: z = -1.635 -> 0.051025 >= 0.05
    assert tost(0.0169, 0.02, 0.05).p == pytest.approx(0.048962, abs=1e-6)
    assert tost(0.0169, 0.02, 0.05).equivalent is True
    assert tost(0.0173, 0.02, 0.05).p == pytest.approx(0.051025, abs=1e-6)
    assert tost(0.0173, 0.02, 0.05).equivalent is False


def test_tost_on_a_failed_fit_is_nan_not_an_error():
    for est, se in ((float("nan"), 0.1), (0.1, 0.0), (0.1, float("nan"))):
        t = tost(est, se, 0.05)
        assert math.isnan(t.p) and math.isnan(t.p_lower) and t.equivalent is False
    assert all(math.isnan(b) for b in equivalence_bounds(0.1, 0.0, 0.05))


def test_tost_bad_input_is_a_one_line_error():
    with pytest.raises(ParameterError, match=r"sesoi \(smallest effect size of interest\) must "):
        tost(0.1, 0.1, -0.05)
    with pytest.raises(ParameterError, match=r"must be a number > 0; got 0"):
        tost(0.1, 0.1, 0)
    for alpha in (0, 1, 1.5, float("nan")):
        with pytest.raises(ParameterError, match=r"alpha must be a number in \(0, 1\)"):
            tost(0.1, 0.1, 0.05, alpha=alpha)
    with pytest.raises(ParameterError, match=r"standard error must be >= 0; got -0.1"):
        tost(0.1, -0.1, 0.05)
    with pytest.raises(ParameterError, match=r"df must be a number > 0"):
        tost(0.1, 0.1, 0.05, df=0)


# -- minimum detectable effect ---------------------------------------------------------------


def test_minimum_detectable_effect_by_hand():
    # (z_0.975 + z_0.80) * se = (1.959964 + 0.841621) * 1 = 2.801585
    assert minimum_detectable_effect(1.0) == pytest.approx(2.801585, abs=1e-6)
    assert minimum_detectable_effect(0.02) == pytest.approx(0.0560317, abs=1e-7)
    # (z_0.995 + z_0.90) * 0.5 = (2.575829 + 1.281552) * 0.5 = 1.928690
    assert minimum_detectable_effect(0.5, alpha=0.01, power=0.9) == pytest.approx(1.92869, 1e-5)
    # t with 10 df: t_0.975 = 2.228139, t_0.80 = 0.879058 -> 3.107197
    assert minimum_detectable_effect(1.0, df=10) == pytest.approx(3.107197, abs=1e-6)


def test_minimum_detectable_effect_has_the_declared_power():
    # independent route: the power of a two-sided z test when the true effect is the MDE
    se = 0.3
    mde = minimum_detectable_effect(se, alpha=0.05, power=0.8)
    crit = stats.norm.ppf(0.975)
    achieved = stats.norm.sf(crit - mde / se) + stats.norm.cdf(-crit - mde / se)
    assert achieved == pytest.approx(0.8, abs=1e-6)


def test_minimum_detectable_effect_edge_cases():
    assert math.isnan(minimum_detectable_effect(0.0))
    assert math.isnan(minimum_detectable_effect(float("nan")))
    with pytest.raises(ParameterError, match=r"power must be a number in \(0, 1\); got 1"):
        minimum_detectable_effect(1.0, power=1)
    with pytest.raises(ParameterError, match=r"standard error must be >= 0"):
        minimum_detectable_effect(-1.0)


# -- Holm ------------------------------------------------------------------------------------


def test_holm_adjust_by_hand_with_nan():
    # finite p (0.01, 0.04, 0.03), m = 3: sorted 0.01 * 3 = 0.03; 0.03 * 2 = 0.06;
    # 0.04 * 1 = 0.04 -> running max 0.06.  The NaN is not part of the family and stays NaN.
    got = holm_adjust([0.01, float("nan"), 0.04, 0.03])
    assert got[[0, 2, 3]] == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(got[1])
    # capped at 1: (0.6, 0.7) -> 0.6 * 2 = 1.2 -> 1; 0.7 -> max(1, 0.7) = 1
    assert holm_adjust([0.6, 0.7]).tolist() == [1.0, 1.0]
    assert holm_adjust([]).size == 0
    assert np.isnan(holm_adjust([float("nan")])).all()


def test_holm_adjust_equals_statsmodels_on_the_finite_values():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(7)
    p = rng.uniform(0, 0.2, 40)
    p[[3, 17, 30]] = np.nan
    p[5] = p[6]  # a tie
    got = holm_adjust(p)
    ok = np.isfinite(p)
    assert got[ok] == pytest.approx(multipletests(p[ok], method="holm")[1], abs=1e-12)
    assert np.isnan(got[~ok]).all()


def test_holm_adjust_rejects_a_p_outside_0_1():
    with pytest.raises(ParameterError, match=r"p-values must be in \[0, 1\]"):
        holm_adjust([0.1, 1.2])
