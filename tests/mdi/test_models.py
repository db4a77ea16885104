"""Who-disrupts regressions: separation handling, clustered OLS against a hand-computed sandwich,
and the claim rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hflineage.mdi import models as M


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
    table, info = M.fit_one(frame, "ols_mdi")
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


def test_claim_checks_follow_the_stated_rules():
    rows = []
    for model, size, fine in (
        ("logit", (0.3, 0.01), (-0.5, 0.01)),
        ("lpm", (0.01, 0.2), (-0.1, 0.2)),
    ):
        rows.append({"model": model, "term": "log10_params", "coef": size[0], "p": size[1]})
        for term in M.OTHER_DERIVATIONS:
            rows.append({"model": model, "term": term, "coef": fine[0], "p": fine[1]})
    coefs = pd.DataFrame(rows).assign(variant="cd")
    got = M.claim_checks(coefs).set_index("model")
    # logit: size positive at p = 0.01 and every other derivation negative at p = 0.01
    assert got.loc["logit", "P1-size"] and got.loc["logit", "P1-finetune"]
    # lpm: the same signs at p = 0.2: neither holds
    assert not got.loc["lpm", "P1-size"] and not got.loc["lpm", "P1-finetune"]
    assert got.loc["logit", "finetune_beats"] == 3 and got.loc["lpm", "finetune_beats"] == 0
    # one derivation positive: finetune claim fails, two of three still beaten
    coefs.loc[coefs["term"] == M.OTHER_DERIVATIONS[0], "coef"] = 0.5
    again = M.claim_checks(coefs).set_index("model").loc["logit"]
    assert not again["P1-finetune"] and again["finetune_beats"] == 2
