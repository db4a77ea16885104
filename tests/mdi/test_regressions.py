"""Who-disrupts regressions: separation handling, clustered OLS against a hand-computed sandwich,
the evidence each claim's rule receives (primary, robustness with contrary fits counted), and the
simulation's design against the formula's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hflineage.mdi import evidence as E
from hflineage.mdi import inference as I
from hflineage.mdi import regressions as M
from hflineage.verdicts import sign_rule


def test_separated_levels_are_dropped_until_none_is_left():
    frame = pd.DataFrame(
        {
            # level "root" is always disruptive; "merge" never; "finetune" varies
            "derivation": ["root", "root", "merge", "finetune", "finetune", "finetune", "finetune"],
            "pipeline": ["a", "a", "a", "a", "a", "b", "b"],
            "year": [2023] * 7,
            "disruptive": [1, 1, 0, 1, 0, 0, 0],
        }
    )
    out, dropped = M._drop_separated(frame, ("derivation", "pipeline", "year"))
    # pass 1: root (2 rows) and merge (1 row) go; pipeline b (two zeros) goes too.
    # pass 2: the two finetunes of pipeline a remain, with outcomes 1 and 0: stable.
    assert dropped == 5
    assert out.index.tolist() == [3, 4]


def test_clustered_ols_matches_a_hand_sandwich():
    rng = np.random.default_rng(3)
    n, groups = 400, 40
    frame = pd.DataFrame(
        {
            "log10_params": rng.uniform(8, 11, n),
            "derivation": rng.choice(["finetune", "adapter", "quantized", "merge", "root"], n),
            "log_in_degree": np.log1p(rng.poisson(2, n)),
            "pipeline": rng.choice(["text-generation", "none", "other"], n),
            "year": rng.choice([2022, 2023, 2024], n),
            "family": rng.integers(0, groups, n),
        }
    )
    shock = rng.normal(0, 0.3, groups)[frame["family"]]
    frame["mdi"] = (
        0.05 * frame["log10_params"]
        - 0.2 * (frame["derivation"] == "adapter")
        + 0.1 * frame["log_in_degree"]
        + shock
        + rng.normal(0, 0.1, n)
    )
    frame["disruptive"] = (frame["mdi"] > frame["mdi"].median()).astype(int)
    table, info = M.fit_one(frame, "ols_mdi", M.RHS + M.FIXED_EFFECTS, vcov="CR1")
    assert info["n"] == n and info["clusters"] == groups
    # independent route: the design matrix by hand, least squares, CR1 sandwich
    cols = {"Intercept": np.ones(n)}
    for lvl in ["adapter", "merge", "quantized", "root"]:
        cols[f"d_{lvl}"] = (frame["derivation"] == lvl).to_numpy(float)
    for lvl in ["other", "text-generation"]:
        cols[f"p_{lvl}"] = (frame["pipeline"] == lvl).to_numpy(float)
    for lvl in [2023, 2024]:
        cols[f"y_{lvl}"] = (frame["year"] == lvl).to_numpy(float)
    cols["log10_params"] = frame["log10_params"].to_numpy()
    cols["log_in_degree"] = frame["log_in_degree"].to_numpy()
    X = np.column_stack(list(cols.values()))
    y = frame["mdi"].to_numpy()
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    u = y - X @ beta
    bread = np.linalg.inv(X.T @ X)
    meat = np.zeros((X.shape[1], X.shape[1]))
    for g in range(groups):
        s = X[frame["family"].to_numpy() == g].T @ u[frame["family"].to_numpy() == g]
        meat += np.outer(s, s)
    k = X.shape[1]
    V = bread @ meat @ bread * groups / (groups - 1) * (n - 1) / (n - k)
    se = np.sqrt(np.diag(V))
    t = table.set_index("term")
    for name, idx in (("log10_params", -2), ("log_in_degree", -1)):
        assert t.loc[name, "coef"] == pytest.approx(beta[idx], rel=1e-8)
        assert t.loc[name, "se"] == pytest.approx(se[idx], rel=1e-6)
    adapter = "C(derivation, Treatment('finetune'))[T.adapter]"
    assert t.loc[adapter, "coef"] == pytest.approx(beta[1], rel=1e-8)
    assert t.loc[adapter, "se"] == pytest.approx(se[1], rel=1e-6)


def test_logit_with_a_constant_outcome_is_reported_not_estimable():
    frame = pd.DataFrame(
        {
            "log10_params": [9.0, 9.5, 10.0, 10.5],
            "derivation": ["finetune", "finetune", "merge", "root"],
            "log_in_degree": [0.0, 1.0, 0.0, 2.0],
            "pipeline": ["none"] * 4,
            "year": [2023] * 4,
            "family": [0, 0, 1, 2],
            "mdi": [-1.0, -1.0, -1.0, 1.0],
            "disruptive": [0, 0, 0, 1],
        }
    )
    table, info = M.fit_one(frame, "logit")
    assert table.empty and info["note"].startswith("not estimable")
    assert info["dropped_separation"] == 4


def test_lpm_where_only_roots_are_disruptive_is_not_estimable():
    # the ancestral variant's situation: MDI > 0 exactly for roots
    frame = pd.DataFrame(
        {
            "log10_params": [9.0, 9.5, 10.0, 10.5, 9.2],
            "derivation": ["finetune", "adapter", "merge", "root", "root"],
            "log_in_degree": [0.0, 1.0, 0.0, 2.0, 1.0],
            "pipeline": ["none"] * 5,
            "year": [2023] * 5,
            "family": [0, 0, 1, 2, 3],
            "mdi": [-0.5, -1.0, 0.0, 1.0, 1.0],
            "disruptive": [0, 0, 0, 1, 1],
        }
    )
    table, info = M.fit_one(frame, "lpm")
    assert table.empty and "non-root" in info["note"]


def coef_table(rows):
    """coefs and fits frames in the shape of fit_all from (variant, model, term, coef, se) rows."""
    coefs = pd.DataFrame(rows, columns=["variant", "model", "term", "coef", "se"])
    coefs["p"] = 2 * stats.norm.sf(np.abs(coefs["coef"] / coefs["se"]))
    coefs["n"], coefs["clusters"] = 1000, 100
    fits = coefs[["variant", "model"]].drop_duplicates().assign(n=1000, clusters=100)
    return coefs, fits.reset_index(drop=True)


def test_size_evidence_primary_decides_robustness_counts_contrary():
    coefs, fits = coef_table(
        [
            ("cd", "lpm", "log10_params", 0.03, 0.005),  # the primary: z = 6
            ("cd", "logit", "log10_params", 0.5, 0.1),  # z = 5: support after Holm
            ("sibling", "lpm", "log10_params", -0.02, 0.004),  # z = -5: contrary
            ("sibling", "logit", "log10_params", 0.1, 0.1),  # z = 1: neither
        ]
    )
    # a fit that could not be estimated has no coefficient row, only a fits row
    fits = pd.concat([fits, pd.DataFrame([{"variant": "ancestral", "model": "lpm", "n": 9}])])
    primary, rob = E.size_evidence(coefs, fits)
    assert primary.label == "cd, roots out, LPM, family-clustered"
    assert (primary.estimate, primary.se, primary.n, primary.clusters) == (0.03, 0.005, 1000, 100)
    # Holm over the three testable others: p(z=5) * 3 and p(z=-5) * 2 stay far below 0.05; the
    # fits are counted in families: cd's other estimators (logit: support), the sibling reading
    # (one contrary, one neither: no majority, so neither) and ancestral (not estimable)
    outcomes = {f["label"]: f["outcome"] for f in rob.fits}
    assert outcomes["sibling, roots out, LPM, family-clustered"] == "contrary"
    assert [f["family"] for f in rob.families] == [
        "cd reading, other estimators",
        "sibling reading",
        "ancestral reading",
    ]
    assert (rob.n, rob.support, rob.contrary, rob.untestable, rob.n_fits) == (3, 1, 0, 1, 4)
    verdict = sign_rule(primary, expected="positive", min_effect=0.01, robustness=rob)
    assert verdict.status == "partly reproduced"  # 1 of 3 families support: below one half


def test_finetune_evidence_counts_pairwise_contrasts_the_right_way_round():
    ft, ft_fits = coef_table(
        [("cd", "lpm", "finetune", 0.05, 0.01), ("cd", "logit", "finetune", 0.4, 0.2)]
    )
    adapter, quantized, merge = M.OTHER_DERIVATIONS
    coefs, fits = coef_table(
        [
            ("cd", "lpm", adapter, -0.08, 0.01),  # finetune - adapter = +0.08: support
            ("cd", "lpm", quantized, -0.001, 0.01),  # neither
            ("cd", "lpm", merge, 0.2, 0.02),  # finetune - merge = -0.2: contrary
        ]
    )
    primary, rob = E.finetune_evidence(ft, ft_fits, coefs, fits)
    assert primary.estimate == 0.05 and primary.label.startswith("cd, roots out, LPM")
    got = {f["label"].split(", ")[-1]: f for f in rob.fits}
    assert got["finetune vs adapter"]["estimate"] == pytest.approx(0.08)
    assert got["finetune vs merge"]["outcome"] == "contrary"
    assert got["finetune vs quantized"]["outcome"] == "neither"
    # the logit's finetune dummy, z = 2, p = 0.0455: Holm multiplies it by 4 -> neither
    assert got["family-clustered"]["outcome"] == "neither"
    assert (rob.n, rob.support, rob.contrary) == (4, 1, 1)


def test_readings_apply_the_minimum_effect_to_lpm_fits_only():
    coefs, fits = coef_table(
        [
            ("cd", "lpm", "log10_params", 0.005, 0.001),  # significant, below 0.01
            ("cd", "logit", "log10_params", 0.005, 0.001),  # same numbers, log-odds scale
            ("sibling", "lpm", "log10_params", -0.05, 0.01),
        ]
    )
    got = E.readings(coefs, fits, "log10_params", min_effect=0.01).set_index(["variant", "model"])
    assert (
        got.loc[("cd", "lpm"), "verdict"] == "inconclusive"
    )  # significant but below the floor, no sesoi
    assert got.loc[("cd", "logit"), "verdict"] == "reproduced"
    assert got.loc[("sibling", "lpm"), "verdict"] == "contradicted"


def test_regression_frame_joins_covariates_and_marks_graph_roots():
    result = pd.DataFrame(
        {
            "variant": ["cd", "cd", "cd", "sibling"],
            "model_id": ["a", "b", "c", "a"],
            "mdi": [0.5, np.nan, -1.0, -1.0],
            "is_root": [False, False, True, False],
        }
    )
    cov = pd.DataFrame(
        {
            "log10_params": [9.0, 9.5, np.nan],
            "derivation": ["finetune", "adapter", "merge"],
            "log_in_degree": [0.0, 1.0, 2.0],
            "in_degree_snapshot": [3.0, 0.0, 1.0],
            "family": ["f", "f", "g"],
            "pipeline_tag": ["text-generation", "none", "none"],
            "year": [2024, 2024, 2023],
        },
        index=pd.Index(["a", "b", "c"], name="model_id"),
    )
    frame = M.regression_frame(result, cov)
    # b has no MDI, c no size: one row per variant for a
    assert frame["model_id"].tolist() == ["a", "a"]
    assert frame["disruptive"].tolist() == [1, 0] and frame["finetune"].tolist() == [1, 1]
    assert frame["log_in_degree_snapshot"].iloc[0] == pytest.approx(np.log(4))
    assert frame.attrs["dropped"]["cd"] == {"undefined_mdi": 1, "unknown_size": 1}
    # a graph root (c) is its own derivation level whatever it declares
    cov.loc["c", "log10_params"] = 10.0
    again = M.regression_frame(result, cov)
    assert again.set_index(["variant", "model_id"]).loc[("cd", "c"), "derivation"] == "root"


def test_the_simulation_design_is_the_formula_design():
    # the simulation fits cluster_ols on patsy's design: the same numbers as statsmodels' formula
    rng = np.random.default_rng(2)
    n = 300
    frame = pd.DataFrame(
        {
            "log10_params": rng.uniform(8, 11, n),
            "derivation": rng.choice(["finetune", "adapter", "quantized", "merge"], n),
            "log_in_degree": np.log1p(rng.poisson(1, n)),
            "family": rng.integers(0, 30, n),
        }
    )
    frame["disruptive"] = (rng.random(n) < 0.3 + 0.05 * (frame["log10_params"] - 9.5)).astype(int)
    frame["mdi"] = frame["disruptive"] - 0.5
    table, info = M.fit_one(frame, "lpm")
    X, names = M.design(frame)
    y = frame["disruptive"].to_numpy(float)
    ours = I.cluster_ols(y, X, frame["family"], names=names, vcov="CR3")  # fit_one: CR3
    t = table.set_index("term")
    np.testing.assert_allclose(ours.coef[:, 0], t.loc[list(names), "coef"], rtol=1e-10)
    np.testing.assert_allclose(ours.se[:, 0], t.loc[list(names), "se"], rtol=1e-8)


def test_bare_categoricals_give_patsys_design_of_the_c_terms():
    import patsy

    rng = np.random.default_rng(5)
    n = 500
    frame = pd.DataFrame(
        {
            "log10_params": rng.uniform(8, 11, n),
            "derivation": rng.choice(["finetune", "adapter", "quantized", "merge", "root"], n),
            "log_in_degree": np.log1p(rng.poisson(1, n)),
            "pipeline": rng.choice(["text-generation", "none", "other", "fill-mask"], n),
            "year": rng.choice([2022, 2023, 2024], n),
        }
    )
    rhs = M.RHS + M.FIXED_EFFECTS
    want = patsy.dmatrix(rhs, frame, return_type="dataframe")  # the C(...) formula itself
    X, names = M.design(frame, rhs)
    assert names == tuple(want.columns)
    np.testing.assert_array_equal(X, want.to_numpy())
    # no finetune left: the formula goes to patsy unchanged, which names the missing reference
    data, fast, rename = M.categorical_formula(frame[frame["derivation"] != "finetune"], M.RHS)
    assert (fast, rename) == (M.RHS, {})


def test_within_family_fit_matches_pyfixest_fixed_effects():
    import pyfixest as pf

    rng = np.random.default_rng(5)
    n, G = 600, 30
    fam = rng.integers(0, G, n)
    shock = rng.normal(0, 0.2, G)[fam]
    size = rng.normal(10, 1, n) + 0.8 * rng.normal(size=G)[fam]
    deriv = rng.choice(["finetune", "adapter", "merge"], n)
    p = np.clip(0.4 + 0.05 * (size - 10) + shock, 0, 1)
    frame = pd.DataFrame(
        {
            "disruptive": (rng.random(n) < p).astype(int),
            "log10_params": size,
            "derivation": deriv,
            "log_in_degree": np.log1p(rng.poisson(1, n)),
            "family": [f"f{f}" for f in fam],
        }
    )
    got = M.within_family_fit(frame, vcov="CR1")
    ref = pf.feols(
        "disruptive ~ log10_params + C(derivation, contr.treatment(base='finetune'))"
        " + log_in_degree | family",
        frame,
        vcov={"CRV1": "family"},
        ssc=pf.ssc(k_adj=False, G_adj=False),
    )
    assert got.estimate == pytest.approx(ref.coef()["log10_params"], rel=1e-8)
    # CR1 factor G/(G-1)(n-1)/(n-k) against pyfixest without adjustments (k: the 4 slopes)
    k = 4
    factor = G / (G - 1) * (n - 1) / (n - k)
    assert got.se**2 == pytest.approx(factor * ref.se()["log10_params"] ** 2, rel=1e-6)
    # CR3 by default: larger than CR1 here, same estimate
    cr3 = M.within_family_fit(frame)
    assert cr3.estimate == pytest.approx(got.estimate) and cr3.se > 0


def test_raw_shares_and_summary_by_hand():
    frame = pd.DataFrame(
        {
            "variant": ["cd"] * 6,
            "mdi": [1.0, 0.0, 0.5, 0.0, 0.0, 1.0],
            "disruptive": [1, 0, 1, 0, 0, 1],
            "log10_params": [9.5, 9.5, 10.5, 10.5, 9.0, 9.0],
            "derivation": ["finetune", "finetune", "finetune", "merge", "merge", "root"],
            "family": ["a", "a", "b", "b", "c", "c"],
        }
    )
    frame.attrs["dropped"] = {"cd": {"undefined_mdi": 2, "unknown_size": 1}}
    gap = M.raw_share_gap(frame, "cd")
    assert gap == {"finetune": pytest.approx(2 / 3), "other": 0.0}  # roots left out
    summary = M.sample_summary(frame).iloc[0]
    assert (summary["rows"], summary["families"], summary["unknown_size"]) == (6, 3, 1)
    assert summary["share_disruptive"] == pytest.approx(0.5)
    raw = M.raw_shares(frame, "cd").set_index("derivation")
    assert raw.loc["finetune", "1–10B"] == pytest.approx(0.5)  # 9.5: 1 of 2


def test_fit_columns_lays_out_the_journal_table():
    coefs, fits = coef_table(
        [
            ("cd", "lpm", "log10_params", 0.03, 0.005),
            ("cd", "logit", "log10_params", 0.5, 0.1),
            ("sibling", "lpm", "log10_params", -0.02, 0.004),
        ]
    )
    fits = fits.assign(note="")
    shown = M.shown_fits("cd", ("cd", "sibling"))
    assert shown == [("cd", "lpm"), ("cd", "logit"), ("cd", "ols_mdi"), ("sibling", "lpm")]
    fits.loc[len(fits)] = {"variant": "cd", "model": "ols_mdi", "n": 9, "note": "not estimable"}
    columns, footer = M.fit_columns(coefs, fits, shown)
    assert list(columns) == ["cd, LPM (primary)", "cd, logit", "cd, OLS of the MDI", "sibling, LPM"]
    assert columns["cd, OLS of the MDI"].empty and {"n_obs", "n_clusters"} <= set(
        columns["cd, logit"]
    )
    assert footer == {
        "Outcome": ["MDI > 0", "MDI > 0", "MDI", "MDI > 0"],
        "Estimable": ["yes", "yes", "no", "yes"],
    }
