"""On hub-stats data the lineage takes what the Hub declares — typed relations, safetensors
parameter counts — and infers only where the declaration is missing.  Checked on a small
synthetic hub-stats table (every row's declarations are known from the table itself)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hflineage.data.hub_stats import models_from_hub_stats
from hflineage.lineage import build_edges
from hflineage.lineage.size import model_size
from hflineage.synthetic import synthetic_hub_stats


@pytest.fixture(scope="module")
def models() -> pd.DataFrame:
    return models_from_hub_stats(synthetic_hub_stats(8000, seed=11), source="synthetic")


def test_declared_relations_are_used_and_rules_only_fill_gaps(models):
    edges = build_edges(models)
    declared = models.set_index("model_id")["declared_relation"]
    own = declared.reindex(edges["child"]).to_numpy(object)
    has = ~pd.isna(own)
    assert has.sum() > 1000 and (~has).sum() > 10  # both kinds occur (ghost bases: card only)
    src = edges["relation_source"].to_numpy(object)
    assert (src[has] == "declared").all() and (src[~has] == "inferred").all()
    assert (edges["relation"].to_numpy(object)[has] == own[has]).all()
    # hub-stats baseModels name the bases: every declared base of a typed child is found
    assert edges.loc[has, "parent_in_snapshot"].all()


def test_safetensors_counts_are_used_where_present(models):
    sizes = model_size(models)
    params = models["params"].astype("float64").to_numpy()
    present = ~np.isnan(params) & (params > 0)
    assert present.sum() > 1000
    assert (sizes["size_source"].to_numpy(object)[present] == "data").all()
    np.testing.assert_array_equal(sizes["params"].to_numpy()[present], params[present])
    assert not (sizes["size_source"].to_numpy(object)[~present] == "data").any()
