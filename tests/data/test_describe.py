"""Descriptives checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import make_models

from hflineage.data import describe


def test_models_per_month_splits_back_filled_dates():
    models = make_models(
        [
            {"id": "a/1", "createdAt": "2022-03-02T23:29:04Z"},  # back-filled
            {"id": "a/2", "createdAt": "2022-03-15T10:00:00Z"},
            {"id": "a/3", "createdAt": "2022-05-01T00:00:00Z"},
            {"id": "a/4", "createdAt": "2022-05-31T23:59:59Z"},
        ]
    )
    out = describe.models_per_month(models)
    assert out["month"].dt.strftime("%Y-%m").tolist() == ["2022-03", "2022-05"]
    assert out["reliable"].tolist() == [1, 2]
    assert out["back_filled"].tolist() == [1, 0]


def test_ccdf_by_hand():
    # values 1,1,2,5 (zeros dropped): P(X>=1)=1, P(X>=2)=2/4, P(X>=5)=1/4
    out = describe.ccdf(np.array([0, 1, 1, 2, 5]))
    assert out["x"].tolist() == [1, 2, 5]
    assert out["ccdf"].tolist() == [1.0, 0.5, 0.25]


def test_concentration_top_share():
    # 200 units: one holds 100, the rest 1 each; top 1% = 2 units = 100 + 1 of 299
    values = np.array([100] + [1] * 199)
    assert describe.concentration(values, 0.01) == (101 / 299)


def test_top_values_pools_the_rest():
    s = pd.Series(["x", "x", "y", None, "z"], dtype="string")
    out = describe.top_values(s, n=2)
    assert out["value"].tolist() == ["x", "y", "(other)"]
    assert out["models"].tolist() == [2, 1, 2]
    assert out["share"].tolist() == [0.4, 0.2, 0.4]
