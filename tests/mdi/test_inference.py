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


# ------------------------------------------------------------------------------------------------
# CR3 (leave-one-family-out jackknife) and the partial Spearman correlation
# ------------------------------------------------------------------------------------------------
def test_cr3_equals_the_jackknife_by_hand_and_pyfixest():
    import pyfixest as pf

    rng = np.random.default_rng(1)
    n, G = 400, 23
    g = rng.integers(0, G, n)
    x = rng.normal(size=n) + rng.normal(size=G)[g]
    d = (rng.random(n) < 0.3).astype(float)
    y = 0.2 * x + rng.normal(size=G)[g] + rng.normal(size=n)
    X = np.column_stack([np.ones(n), x, d])
    fit = I.cluster_ols(y, X, g, vcov="CR3", names=("c", "x", "d"))
    # by hand: refit without each cluster, (G-1)/G times the sum of squared deviations
    full = np.linalg.lstsq(X, y, rcond=None)[0]
    jack = np.array([np.linalg.lstsq(X[g != c], y[g != c], rcond=None)[0] for c in range(G)])
    by_hand = np.sqrt((G - 1) / G * ((jack - full) ** 2).sum(axis=0))
    np.testing.assert_allclose(fit.se[:, 0], by_hand, rtol=1e-10)
    # pyfixest's CRV3 without small-sample factors is the plain sum: ours times G/(G-1)
    df = pd.DataFrame({"y": y, "x": x, "d": d, "g": g})
    m = pf.feols("y ~ x + d", df, vcov={"CRV3": "g"}, ssc=pf.ssc(k_adj=False, G_adj=False))
    np.testing.assert_allclose(fit.se[:, 0] ** 2 * G / (G - 1), m.se().to_numpy() ** 2, rtol=1e-8)
    # p from t with G - 1 degrees of freedom
    t = fit.coef[1, 0] / fit.se[1, 0]
    assert fit.df == G - 1
    assert fit.p[1, 0] == pytest.approx(2 * stats.t(G - 1).sf(abs(t)))


def test_cr3_handles_many_outcomes_and_a_family_holding_a_column():
    rng = np.random.default_rng(2)
    n, G = 300, 12
    g = np.repeat(np.arange(G), n // G)
    only = (g == 0).astype(float)  # a dummy only family 0 has: dropping it leaves no variation
    X = np.column_stack([np.ones(n), rng.normal(size=n), only])
    Y = rng.normal(size=(n, 3))
    fit = I.cluster_ols(Y, X, g, vcov="CR3")
    for r in range(3):  # each outcome as its own fit gives the same numbers
        one = I.cluster_ols(Y[:, r], X, g, vcov="CR3")
        np.testing.assert_allclose(fit.se[:, r], one.se[:, 0])
    assert np.isfinite(fit.se).all()
    with pytest.raises(ParameterError, match="vcov must be one of"):
        I.cluster_ols(Y[:, 0], X, g, vcov="CR2")


def test_partial_spearman_compares_rows_with_the_same_given_value():
    rng = np.random.default_rng(3)
    n = 600
    g = rng.integers(0, 40, n)
    z = rng.integers(0, 3, n)
    x = z + rng.normal(size=n)
    y = z + rng.normal(size=n)  # x and y related only through z
    # one stratum: Spearman's rho itself
    one = I.partial_spearman(x, y, np.zeros(n), g)
    assert one.estimate == pytest.approx(stats.spearmanr(x, y)[0])
    # within strata: the correlation of ranks demeaned by stratum (independent route: np.corrcoef)
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    dm = lambda r: r - pd.Series(r).groupby(z).transform("mean").to_numpy()  # noqa: E731
    got = I.partial_spearman(x, y, z, g)
    assert got.estimate == pytest.approx(np.corrcoef(dm(rx), dm(ry))[0, 1])
    assert abs(got.estimate) < 0.15 < one.estimate  # the link through z is gone
    assert got.n == n and got.clusters == 40
