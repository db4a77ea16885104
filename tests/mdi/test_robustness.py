"""The MDI over many readings: the stylised-facts summary, checked by hand."""

from __future__ import annotations

import pandas as pd

from hflineage.mdi import robustness


def test_mdi_summary_by_hand():
    curve = pd.DataFrame(
        {
            "variant": ["cd", "cd", "sibling", "sibling"],
            "pattern_1": [False, False, True, True],
            "pattern_2a": [True, False, False, False],
            "pattern_2b": [True, True, True, False],
            "pattern_3": [True, True, True, True],
        }
    )
    out = robustness.mdi_summary(curve).set_index("claim")
    assert out.loc["P1-most-consolidative", "share_holding"] == 0.5
    assert out.loc["P1-most-consolidative", "holds_sibling"] == "2/2"
    assert out.loc["P1-size", "holds_cd"] == "1/2"
    assert out.loc["P1-finetune", "share_holding"] == 0.75
    assert out.loc["P1-indegree", "share_holding"] == 1.0
