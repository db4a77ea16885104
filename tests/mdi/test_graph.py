"""The MDI graph's bookkeeping that the engine's speed rests on (tests/mdi/test_index.py checks
the index itself): positions and rows, packed time order, shared-member restrictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hflineage.mdi import MdiGraph
from hflineage.mdi.graph import _time_order

DAY0 = pd.Timestamp("2024-01-01", tz="UTC")


def graph_of(days: dict[str, float], edges: list[tuple[str, str]]) -> MdiGraph:
    models = pd.DataFrame(
        {
            "model_id": list(days),
            "created_at": [DAY0 + pd.Timedelta(days=d) for d in days.values()],
            "created_at_reliable": True,
        }
    )
    models.attrs["snapshot_date"] = DAY0 + pd.Timedelta(days=400)
    frame = pd.DataFrame(edges, columns=["child", "parent"])
    frame["relation"] = "finetune"
    frame["parent_in_snapshot"] = frame["parent"].isin(days)
    frame["parent_younger"] = [days.get(p, 0) > days[c] for c, p in edges]
    return MdiGraph.from_frames(models, frame)


def test_positions_follow_creation_time_ties_by_row():
    # rows: c (day 5), a (day 1), b (day 1), d (day 0) -> time order d, a, b, c
    g = graph_of({"c": 5, "a": 1, "b": 1, "d": 0}, [("c", "a")])
    assert list(g.model_id) == ["d", "a", "b", "c"]
    assert list(g.position_of_row) == [3, 1, 2, 0]
    assert list(g.ids_at(np.array([3, 0]))) == ["c", "d"]


@pytest.mark.parametrize("step", [1, 1000, 86_400_000_000])
def test_packed_time_order_equals_lexsort(step):
    rng = np.random.default_rng(step)
    t = rng.integers(0, 50, 2000).astype(np.int64) * step + 1_700_000_000_000_000
    np.testing.assert_array_equal(_time_order(t), np.lexsort((np.arange(len(t)), t)))
    # a span too wide to pack falls back to lexsort
    wide = np.array([0, 2**62, 5, 5], dtype=np.int64)
    np.testing.assert_array_equal(_time_order(wide), [0, 2, 3, 1])


def test_shared_members_are_the_models_that_two_sources_can_list():
    # m merges a and b; c descends from m; d is a plain chain under a
    g = graph_of(
        {"a": 0, "b": 1, "m": 2, "c": 3, "d": 4},
        [("m", "a"), ("m", "b"), ("c", "m"), ("d", "a")],
    )
    shared_children, _ = g.shared_children
    pos = dict(zip(g.model_id, range(g.n), strict=True))
    # only m has several parents: it is the only child two parents can share
    assert sorted(g.model_id[shared_children.indices]) == ["m", "m"]
    shared_desc, _ = g.shared_descendants
    # m and its descendant c have a merge in their ancestry; d's ancestry is a chain
    assert sorted(set(g.model_id[shared_desc.indices])) == ["c", "m"]
    assert shared_desc[[pos["a"]]].nnz == 2  # a -> m, c
