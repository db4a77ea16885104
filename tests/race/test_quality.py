"""The quality index and the proxies' coverage (hflineage.race.quality), by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_models

from hflineage.errors import ParameterError
from hflineage.race import quality as q


def _panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_id": ["a/1", "b/1", "c/1", "d/1"],
            "relation": ["finetune", "finetune", "quantized", None],
            "created_at": pd.to_datetime(
                ["2023-05-01", "2024-01-01", "2024-02-01", "2024-03-01"], utc=True
            ),
            "has_datasets": [True, False, False, True],
            "has_license": [True, True, False, True],
            "has_eval": [False, False, False, True],
            "has_paper": [False, False, False, True],
            "has_library": [True, True, True, True],
        }
    )


def test_index_is_the_share_of_tag_proxies_on_a_listing():
    models = make_models([{"id": m, "createdAt": "2024-01-01T00:00:00Z"} for m in ("a/1", "b/1")])
    out = q.with_quality(_panel(), models)
    # the listing has no parameter counts and no card: only the five tag proxies count
    assert "has_size" not in out and "card_declares_base" not in out
    assert out["quality_index"].tolist() == [0.6, 0.4, 0.2, 1.0]
    assert out["n_proxies"].unique().tolist() == [5]


def test_richer_snapshot_fields_join_the_index():
    models = make_models([{"id": m, "createdAt": "2024-01-01T00:00:00Z"} for m in ("a/1", "b/1")])
    models["params"] = pd.array([7e9, None], dtype="Float64")  # a hub-stats parameter count
    assert q.available_richer(models) == ["has_size"]
    out = q.with_quality(_panel(), models)
    # a/1 carries 3 tag proxies and a size: 4 of 6; d/1 is not in the models table: no size
    assert out["has_size"].tolist() == [True, False, False, False]
    assert out["quality_index"].tolist() == pytest.approx([4 / 6, 2 / 6, 1 / 6, 5 / 6])


def test_coverage_by_year_and_kind_by_hand():
    cov = q.coverage_table(q.with_quality(_panel())).set_index(["by", "group"])
    assert cov.loc[("year", "2023"), "n"] == 1 and cov.loc[("year", "2024"), "n"] == 3
    assert cov.loc[("year", "2024"), "has_license"] == pytest.approx(2 / 3)
    assert cov.loc[("kind", "finetune"), "has_datasets"] == 0.5
    assert cov.loc[("kind", "(none)"), "quality_index"] == 1.0
    assert cov.loc[("all", "all"), "has_eval"] == 0.25
    assert cov.loc[("all", "all"), "quality_index"] == pytest.approx((0.6 + 0.4 + 0.2 + 1) / 4)


def test_bad_input_is_named():
    with pytest.raises(ParameterError, match="no column 'has_eval'"):
        q.with_quality(_panel().drop(columns="has_eval"))
    with pytest.raises(ParameterError, match="proxy 'has_size' is not available"):
        q.with_quality(_panel(), proxies=["has_size"])
    with pytest.raises(ParameterError, match="no column 'kind'"):
        q.coverage_table(_panel(), kind="kind")


def test_coverage_numbers_by_hand():
    panel = q.with_quality(_panel())
    table = q.coverage_numbers(q.coverage_table(panel), panel)
    v = dict(zip(table["key"], table["value"], strict=True))
    assert v["hs_proxies"] == (
        "training data declared, licence, evaluation results, paper (arxiv), library recognised"
    )
    # kinds in sorted order; only d/1 (no kind) has a paper; a/1 and b/1 (finetunes) a licence
    assert v["hs_paper_spread"] == "(none) 100%, finetune 0%, quantized 0%"
    assert v["hs_license_spread"] == "(none) 100%, finetune 100%, quantized 0%"
