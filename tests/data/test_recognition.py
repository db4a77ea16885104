"""Two snapshots: likes gained, later downloads and deletions, by hand on a tiny pair and end to
end on a later snapshot aged from the ci slice (counts checked against the ageing's own record).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import make_models

from hflineage import race
from hflineage.data import load_snapshot
from hflineage.data.recognition import recognition_between
from hflineage.errors import HflineageError, SnapshotError
from hflineage.lineage import build_edges


def _pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    main = make_models(
        [
            {"id": "a/one", "createdAt": "2024-01-01", "likes": 3, "downloads": 10},
            {"id": "b/two", "createdAt": "2024-02-01", "likes": 0, "downloads": 5},
            {"id": "c/gone", "createdAt": "2024-03-01", "likes": 1, "downloads": 2},
            {"id": "d/fell", "createdAt": "2024-03-10", "likes": 4, "downloads": 0},
            {"id": "e/gone2", "createdAt": "2024-06-30", "likes": 0, "downloads": 0},
        ]
    )
    later = make_models(
        [
            {"id": "a/one", "createdAt": "2024-01-01", "likes": 10, "downloads": 7},
            {"id": "b/two", "createdAt": "2024-02-01", "likes": 2, "downloads": 40},
            {"id": "d/fell", "createdAt": "2024-03-10", "likes": 3, "downloads": 1},
            {"id": "f/new", "createdAt": "2024-09-15", "likes": 5, "downloads": 9},
        ]
    )
    return main, later


def test_recognition_by_hand():
    main, later = _pair()
    rec = recognition_between(main, later, groups={"panel": ["b/two", "c/gone", "x/absent"]})
    t = rec.table.set_index("model_id")
    assert t.index.tolist() == ["a/one", "b/two", "d/fell"]
    assert t["likes_main"].tolist() == [3, 0, 4]
    assert t["likes_later"].tolist() == [10, 2, 3]
    assert t["likes_gained"].tolist() == [7, 2, -1]
    assert t["downloads_later"].tolist() == [7, 40, 1]
    assert t["downloads_all_time_gained"].isna().all()  # listings have no all-time downloads
    k = rec.counts
    assert (k["main_models"], k["later_models"], k["in_both"]) == (5, 4, 3)
    assert (k["deleted"], k["new"], k["likes_fell"]) == (2, 1, 1)
    # end of 2024-06-30 to end of 2024-09-15: 77 days
    assert k["interval_days"] == pytest.approx(77)
    # panel: b/two (kept) and c/gone (deleted); x/absent is not in the main snapshot
    assert (k["rows_panel"], k["deleted_panel"]) == (2, 1)
    assert (k["rows_other"], k["deleted_other"]) == (3, 1)  # e/gone2 among a, d, e
    assert sorted(rec.deleted) == ["c/gone", "e/gone2"]


def test_recognition_refuses_an_earlier_or_bad_later_snapshot():
    main, later = _pair()
    with pytest.raises(SnapshotError, match="not after the main one"):
        recognition_between(later, main)
    with pytest.raises(HflineageError, match="later snapshot: no column 'likes'"):
        recognition_between(main, later.drop(columns="likes"))
    twice = pd.concat([later, later.iloc[:1]], ignore_index=True)
    twice.attrs = later.attrs
    with pytest.raises(HflineageError, match="'a/one' appears twice"):
        recognition_between(main, twice)


def test_with_recognition_adds_gains_to_the_panel():
    main, later = _pair()
    rec = recognition_between(main, later)
    panel = pd.DataFrame({"model_id": ["a/one", "c/gone", "d/fell"]})
    out = race.with_recognition(panel, rec.table)
    assert out["in_later"].tolist() == [True, False, True]
    np.testing.assert_allclose(out["likes_gained"], [7, np.nan, -1])
    # a withdrawn like counts as no gain: log(1 + max(-1, 0)) = 0
    np.testing.assert_allclose(out["log_likes_gained"], [np.log(8), np.nan, 0.0])
    np.testing.assert_allclose(out["downloads_later"], [7, np.nan, 1])


@pytest.fixture(scope="module")
def ci_pair(tmp_path_factory):
    """The ci slice (the profile's five families) and a snapshot aged 120 days from it."""
    from hflineage.config import REPO_ROOT
    from hflineage.publish import snapshot as book_snapshot
    from hflineage.publish.profiles import load_profile
    from hflineage.synthetic import age_snapshot

    tmp = tmp_path_factory.mktemp("ci")
    spec = load_profile("ci").slice
    path, _ = book_snapshot.make_slice(spec, tmp, REPO_ROOT)
    aged = age_snapshot(pq.read_table(path), days=120, seed=4)
    later_path = tmp / "synthetic-later.parquet"
    pq.write_table(aged, later_path)
    return load_snapshot(path), load_snapshot(later_path, allow_synthetic=True), aged


def test_recognition_end_to_end_on_an_aged_ci_slice(ci_pair):
    main, later, aged = ci_pair
    meta = aged.schema.metadata
    deleted, added = int(meta[b"hflineage.deleted"]), int(meta[b"hflineage.added"])
    panel = race.build_panel(main, build_edges(main))
    rec = recognition_between(main, later, groups={"panel": panel["model_id"]})
    k = rec.counts
    # the ageing's own record of what it did, an independent route to the counts
    assert k["deleted"] == deleted > 0
    assert k["new"] == added > 0
    assert k["in_both"] == len(main) - deleted
    assert k["interval_days"] == pytest.approx(120)
    assert k["deleted_panel"] + k["deleted_other"] == deleted
    assert k["rows_panel"] == len(panel)
    # every survivor's likes never fall in the ageing, and the gain is later - main
    t = rec.table
    assert (t["likes_gained"] >= 0).all() and k["likes_fell"] == 0
    ids = pd.Index(later["model_id"])
    assert (
        t["likes_later"].to_numpy() == later["likes"].to_numpy()[ids.get_indexer(t["model_id"])]
    ).all()
    # the panel with the later snapshot's recognition: deleted derivatives have no gain
    with_gain = race.with_recognition(panel, t)
    assert int((~with_gain["in_later"]).sum()) == k["deleted_panel"]
    assert with_gain.loc[with_gain["in_later"], "log_likes_gained"].notna().all()
