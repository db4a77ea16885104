"""Chapter 3 and 4's quoted numbers as tables: keys, values worked out by hand, formats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hflineage.lineage.headlines import NUMBER_COLUMNS
from hflineage.mdi import headlines as H
from hflineage.mdi.evidence import robustness_fits
from hflineage.mdi.inference import Estimate
from hflineage.mdi.summaries import MASS_CATEGORIES, size_bins
from hflineage.verdicts import Evidence, Robustness, Verdict


def _row(table: pd.DataFrame, key: str) -> pd.Series:
    assert list(table.columns) == list(NUMBER_COLUMNS)
    assert not table["key"].duplicated().any()
    return table.set_index("key").loc[key]


def test_mass_modes_by_hand():
    mass = pd.DataFrame(
        [
            {
                "variant": "cd",
                **dict(zip(MASS_CATEGORIES, [0, 0.002, 0.967, 0.025, 0.006, 0], strict=True)),
            },
            {
                "variant": "sibling",
                **dict(zip(MASS_CATEGORIES, [0.967, 0.02, 0, 0, 0.013, 0], strict=True)),
            },
        ]
    )
    assert H.mass_modes(mass) == {"cd": "0", "sibling": "−1"}


def test_root_numbers_by_hand():
    trap = pd.DataFrame(
        {
            "variant": ["cd"],
            "roots": [40],
            "share of +1 that are roots": [0.8],
            "roots whose base is outside the snapshot": [7],
        }
    )
    # 3 rows, the first two roots: share of roots among the first 2 = 100%, among 3 = 2/3
    top = pd.DataFrame({"model_id": ["r1", "r2", "d1"], "is_root": [True, True, False]})
    t = H.root_numbers(trap, top, min_successors=10, top_n=2)
    assert _row(t, "mdi_roots_cd")["value"] == 40 and _row(t, "mdi_roots_cd")["fmt"] == ","
    assert _row(t, "mdi_plus_roots_cd")["fmt"] == ".0%"
    assert _row(t, "mdi_top_root_share")["value"] == 1.0
    assert H.root_numbers(trap, top, min_successors=10, top_n=3).set_index("key").loc[
        "mdi_top_root_share", "value"
    ] == pytest.approx(2 / 3)
    assert _row(t, "mdi_top_first")["value"] == "r1"
    assert _row(t, "mdi_top_derived_first")["value"] == "d1"
    empty = H.root_numbers(trap, top.iloc[:0], min_successors=10, top_n=2)
    assert _row(empty, "mdi_top_first")["value"] == "none"
    assert np.isnan(_row(empty, "mdi_top_root_share")["value"])


def test_scorecard_numbers_sibling_shares_by_hand():
    cards = pd.DataFrame({"variant": ["cd", "sibling"], "n_reproduced": [1, 3]})
    primary = pd.DataFrame({"variant": ["cd"], "n_reproduced": [1]})
    # four sibling rows: two without an own successor (n_i + n_j = 0), two with one, of which
    # one is negative -> leaf share 1/2, negative among own 1/2
    result = pd.DataFrame(
        {
            "variant": ["sibling"] * 4 + ["cd"],
            "n_i": [0, 0, 1, 0, 5],
            "n_j": [0, 0, 0, 2, 0],
            "mdi": [-1.0, -1.0, 0.5, -0.25, 1.0],
        }
    )
    t = H.scorecard_numbers(cards, primary, result)
    assert _row(t, "mdi_best_reproduced")["value"] == 3
    assert _row(t, "mdi_primary_reproduced")["value"] == 1
    assert _row(t, "mdi_sibling_leaf_share")["value"] == 0.5
    assert _row(t, "mdi_sibling_neg_own")["value"] == 0.5


def test_indegree_numbers_iid_se_by_hand():
    primary = Evidence("primary", 0.2, 0.05, 0.001, 101, 40)
    checks = {
        "partial": Estimate(0.1, 0.04, 0.01, 101, 40),
        "children": Estimate(0.3, 0.1, 0.01, 12, 9),
        "bootstrap_se": 0.06,
    }
    card = pd.DataFrame(
        {"variant": ["cd", "sibling"], "spearman_rho": [0.2, -0.123], "status_3": ["a", "b"]}
    )
    t = H.indegree_numbers(primary, checks, Estimate(0.5, 0.1, 0.0, 101, 40), card, draws=200)
    assert _row(t, "mdi_rho_iid_se")["value"] == pytest.approx(0.1)  # 1 / sqrt(101 - 1)
    assert _row(t, "mdi_rho_children_n")["value"] == 12
    assert _row(t, "mdi_rho_others")["value"] == "sibling -0.12 (b)"
    assert _row(t, "mdi_rho_snapshot")["value"] == 0.5


def test_size_numbers_and_bins_by_hand():
    cov = pd.DataFrame(
        {
            "size_source": ["name", "name", "parent", "none", "data"],
            "params": [7e9, 7e10, 5e8, np.nan, 1e10],
        }
    )
    t = H.size_numbers(cov)
    assert _row(t, "size_known_share")["value"] == pytest.approx(0.8)  # 4 of 5
    assert (_row(t, "size_from_name")["value"], _row(t, "size_from_parent")["value"]) == (2, 1)
    bins = size_bins(cov)
    # <1B: 5e8; 1-10B: 7e9; 10-50B: 1e10 (left-closed); >50B: 7e10
    assert bins["models"].tolist() == [1, 1, 1, 1]


def _verdict(fits: list[dict]) -> Verdict:
    rob = Robustness(
        n=4,
        support=2,
        contrary=1,
        share_support=0.5,
        adjustment="holm",
        untestable=1,
        fits=tuple(fits),
        n_fits=len(fits),
    )
    return Verdict(
        status="inconclusive",
        sentence="It is not.",
        rule="sign rule",
        primary=Evidence("p", 0.012, 0.004, 0.01, 100, 20),
        robustness=rob,
    )


def test_claim_numbers_and_robustness_fits():
    fit = {"family": "f", "label": "l", "estimate": 1.0, "se": 0.5, "p": 0.05}
    fit |= {"p_adjusted": 0.1, "outcome": "support"}
    v = _verdict([fit, fit | {"label": "m"}])
    t = H.claim_numbers({"size": v})
    assert _row(t, "who_size_fits")["value"] == 4 and _row(t, "who_size_fits")["fmt"] == "d"
    assert _row(t, "who_size_n_fits")["value"] == 2
    assert _row(t, "who_size_coef")["fmt"] == ".3f"
    assert _row(t, "p1_size_status")["value"] == "inconclusive"
    fits = robustness_fits({"P1-size": v})
    assert fits["claim"].tolist() == ["P1-size", "P1-size"]
    assert fits.columns[0] == "claim" and fits["label"].tolist() == ["l", "m"]
