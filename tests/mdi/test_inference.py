"""Family-clustered inference: the sandwich against statsmodels, a share gap and a between-family
SD worked out by hand, Spearman's rho against scipy and its clustered SE against a cluster
bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from hflineage.errors import HflineageError, ParameterError
from hflineage.mdi import inference as I


def clustered_data(seed: int = 1, families: int = 150):
    """Rows in families of 1..30 members; x and y share family components (strong clustering)."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 31, families)
    fam = np.repeat(np.arange(families), size)
    n = len(fam)
    x_f, y_f = rng.normal(0, 1, families), rng.normal(0, 1, families)
    x = x_f[fam] + rng.normal(0, 0.5, n)
    y = 0.4 * x_f[fam] + y_f[fam] + rng.normal(0, 0.5, n)
    return x, y, fam


def test_cluster_ols_matches_statsmodels_for_each_outcome():
    x, _, fam = clustered_data()
    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(len(x)), x, rng.integers(0, 2, len(x))])
    Y = np.column_stack([x * 0.3 + rng.normal(0, 1, len(x)) for _ in range(3)])
    ours = I.cluster_ols(Y, X, fam, names=("const", "x", "d"))
    assert ours.coef.shape == (3, 3) and ours.clusters == 150
    for r in range(3):
        theirs = sm.OLS(Y[:, r], X).fit(cov_type="cluster", cov_kwds={"groups": fam})
        plain = sm.OLS(Y[:, r], X).fit()
        np.testing.assert_allclose(ours.coef[:, r], theirs.params, rtol=1e-10)
        np.testing.assert_allclose(ours.se[:, r], theirs.bse, rtol=1e-8)
        np.testing.assert_allclose(ours.p[:, r], theirs.pvalues, rtol=1e-6)
        np.testing.assert_allclose(ours.se_iid[:, r], plain.bse, rtol=1e-8)
    assert list(ours.term("x").columns) == ["coef", "se", "p", "se_iid", "p_iid"]


def test_cluster_ols_refuses_bad_input_in_one_line():
    X = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(ParameterError, match="expected one per row of X"):
        I.cluster_ols(np.ones(3), X, [0, 0, 1, 1])
    with pytest.raises(HflineageError, match="collinear"):
        I.cluster_ols(np.arange(4.0), np.column_stack([X, X[:, 1]]), [0, 0, 1, 1])
    with pytest.raises(HflineageError, match="2\\+ clusters"):
        I.cluster_ols(np.arange(4.0), X, [0, 0, 0, 0])


def test_share_gap_by_hand():
    # group a: family f1 = (1, 1), f2 = (0, 0)  -> share 1/2
    # group b: family f3 = (1, 0), f4 = (0, 0)  -> share 1/4;  gap = 1/4
    pos = np.array([1, 1, 0, 0, 1, 0, 0, 0], bool)
    in_a = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    fam = np.array(["f1", "f1", "f2", "f2", "f3", "f3", "f4", "f4"])
    got = I.share_gap(pos, in_a, ~in_a, fam)
    assert got.estimate == pytest.approx(0.25)
    # families nest in groups: V = c * (sum_a S_f^2 / n_a^2 + sum_b S_f^2 / n_b^2), S_f = the
    # family's summed residuals: a: +1, -1; b: +0.5, -0.5; n_a = n_b = 4;
    # c = G/(G-1) * (n-1)/(n-k) = 4/3 * 7/6
    v = 4 / 3 * 7 / 6 * ((1 + 1) / 16 + (0.25 + 0.25) / 16)
    assert got.se == pytest.approx(math.sqrt(v), rel=1e-12)
    assert got.p == pytest.approx(2 * stats.norm.sf(0.25 / math.sqrt(v)), rel=1e-9)
    assert (got.n, got.clusters) == (8, 4)
    # an empty group, or no variation: undefined, not an error
    assert math.isnan(I.share_gap(pos, in_a, np.zeros(8, bool), fam).estimate)
    assert math.isnan(I.share_gap(np.zeros(8, bool), in_a, ~in_a, fam).estimate)
    with pytest.raises(ParameterError, match="overlap"):
        I.share_gap(pos, in_a, in_a, fam)


def test_clustered_spearman_is_scipys_rho_with_a_clustered_se():
    x, y, fam = clustered_data()
    x = np.round(x)  # ties: average ranks, as scipy
    got = I.clustered_spearman(x, y, fam)
    assert got.estimate == pytest.approx(stats.spearmanr(x, y)[0], rel=1e-10)
    # the SE: statsmodels' clustered OLS of standardised ranks on standardised ranks
    zx = stats.zscore(stats.rankdata(x))
    zy = stats.zscore(stats.rankdata(y))
    fit = sm.OLS(zy, sm.add_constant(zx)).fit(cov_type="cluster", cov_kwds={"groups": fam})
    assert got.se == pytest.approx(fit.bse[1], rel=1e-8)
    # independent route: resampling whole families gives about the same SE ...
    boot = I.bootstrap_spearman(x, y, fam, draws=400, seed=3)
    assert 0.8 < got.se / boot.std() < 1.25
    # ... and ignoring the families would understate it by far (i.i.d. SE ~ 1/sqrt(n))
    assert got.se > 2.5 / math.sqrt(len(x))


def test_clustered_spearman_drops_missing_and_flags_constants():
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    y = np.array([2.0, 1.0, 3.0, 5.0, 4.0, 6.0])
    got = I.clustered_spearman(x, y, [0, 0, 1, 1, 2, 2])
    keep = ~np.isnan(x)
    assert got.n == 5 and got.estimate == pytest.approx(stats.spearmanr(x[keep], y[keep])[0])
    assert math.isnan(I.clustered_spearman(np.ones(6), y, [0, 0, 1, 1, 2, 2]).estimate)


def test_between_family_sd_by_hand_and_on_a_known_spread():
    # two families of 4: means 1 and 0; MSW = 0, MSB = 4*0.25*2 / 1 = 2, n0 = (8 - 32/8)/1 = 4
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0], float)
    assert I.between_family_sd(y, list("aaaabbbb")) == pytest.approx(math.sqrt(2 / 4))
    # no spread between families: 0 (the estimate is truncated at 0)
    assert I.between_family_sd(np.array([1, 0, 1, 0.0]), list("aabb")) == 0.0
    rng = np.random.default_rng(0)
    fam = np.repeat(np.arange(2000), rng.integers(2, 12, 2000))
    y = rng.normal(0, 0.3, 2000)[fam] + rng.normal(0, 1, len(fam))
    assert I.between_family_sd(y, fam) == pytest.approx(0.3, rel=0.1)


def test_bootstrap_draws_are_scipys_rho_of_each_family_resample():
    x, y, fam = clustered_data()
    x = np.round(x)  # ties
    got = I.bootstrap_spearman(x, y, fam, draws=30, seed=5)
    # the same resamples drawn by hand (whole families, as many as there are), scipy's rho
    codes, uniq = pd.factorize(pd.Series(np.asarray(fam, dtype=object)))
    rng = np.random.default_rng(5)
    members = [np.flatnonzero(codes == g) for g in range(len(uniq))]
    want = []
    for _ in range(30):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(uniq), len(uniq))])
        want.append(stats.spearmanr(x[rows], y[rows])[0])
    assert got == pytest.approx(np.array(want), rel=1e-9)


def test_bootstrap_keeps_families_together():
    # y = x within each family of identical rows: any resample keeps rho = 1
    x = np.repeat(np.arange(10.0), 3)
    fam = pd.Series(np.repeat(np.arange(10), 3))
    boot = I.bootstrap_spearman(x, x, fam, draws=20, seed=1)
    assert np.allclose(boot, 1.0)
    with pytest.raises(ParameterError, match="draws"):
        I.bootstrap_spearman(x, x, fam, draws=1)
