"""The synthetic hub-stats generator: schema, calibration, attachment kernel, labelling and the
refusal to load it as data, and the ageing of a snapshot.  Expected values are the calibration
figures (stated in the module) or worked out by hand from the kernel's formula."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import listing_table

from hflineage import synthetic
from hflineage.cli import main
from hflineage.data import load_snapshot
from hflineage.data.hub_stats import models_from_hub_stats
from hflineage.data.synthetic_label import ALLOW_ENV
from hflineage.errors import ParameterError, SnapshotError
from hflineage.synthetic import (
    Attachment,
    age_snapshot,
    attach_parents,
    synthetic_hub_stats,
    write_synthetic,
)

N = 20_000


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return synthetic_hub_stats(N, seed=3)


@pytest.fixture(scope="module")
def models(table: pa.Table) -> pd.DataFrame:
    return models_from_hub_stats(table, source="synthetic")


@pytest.fixture(autouse=True)
def _no_benchmark_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)


# ----------------------------------------------------------------------------- the attachment


def test_only_eligible_earlier_models_are_chosen() -> None:
    rng = np.random.default_rng(0)
    # model 1 is the only eligible base; model 3 wants two bases but can only get one
    child, parent = attach_parents([0, 1, 2, 3], [0, 0, 1, 2], [0, 5, 0, 0], rng)
    assert list(zip(child, parent, strict=True)) == [(2, 1), (3, 1)]
    # nobody before model 0: it gets nothing even if it asks
    child, parent = attach_parents([0, 1], [1, 0], [1, 1], rng)
    assert len(child) == 0
    with pytest.raises(ParameterError, match="ascending"):
        attach_parents([1, 0], [0, 1], [1, 1], rng)


def test_flat_kernel_picks_in_proportion_to_attractiveness() -> None:
    # weights 1 and 3 before the children: P(base = model 1) = 3 / 4
    k = 40_000
    times = np.arange(k + 2, dtype=float)
    n_par = np.r_[0, 0, np.ones(k, dtype=int)]
    weight = np.r_[1.0, 3.0, np.zeros(k)]
    att = Attachment(recency_share=0.0)
    _, parent = attach_parents(times, n_par, weight, np.random.default_rng(1), att)
    share = (parent == 1).mean()
    assert abs(share - 0.75) < 4 * math.sqrt(0.75 * 0.25 / k)


def test_recency_kernel_discounts_by_the_age_of_the_base() -> None:
    # bases at days 0 and 10 (weight 1 each), children at day 20, recency 10 days:
    # P(base at day 0) = e^-2 / (e^-2 + e^-1) = 1 / (1 + e)
    k = 40_000
    times = np.r_[0.0, 10.0, np.full(k, 20.0)]
    n_par = np.r_[0, 0, np.ones(k, dtype=int)]
    weight = np.r_[1.0, 1.0, np.zeros(k)]
    att = Attachment(recency_share=1.0, recency_days=10.0)
    _, parent = attach_parents(times, n_par, weight, np.random.default_rng(2), att)
    p = 1 / (1 + math.e)
    assert abs((parent == 0).mean() - p) < 4 * math.sqrt(p * (1 - p) / k)


def test_a_merge_gets_distinct_bases() -> None:
    # two eligible bases, weights 5 and 1; 2,000 merges asking for two bases each
    k = 2000
    times = np.arange(k + 2, dtype=float)
    n_par = np.r_[0, 0, np.full(k, 2)]
    weight = np.r_[5.0, 1.0, np.zeros(k)]
    att = Attachment(recency_share=0.0)
    # one round: two draws are distinct with probability 2 * 5/6 * 1/6 = 0.278
    child, _ = attach_parents(times, n_par, weight, np.random.default_rng(3), att, rounds=1)
    two = (np.bincount(child, minlength=k + 2)[2:] == 2).mean()
    assert abs(two - 10 / 36) < 4 * math.sqrt(0.278 * 0.722 / k)
    # redraws: a merge misses its second base only if 80 rounds all repeat the first one
    child, parent = attach_parents(times, n_par, weight, np.random.default_rng(3), att, rounds=80)
    assert (np.bincount(child, minlength=k + 2)[2:] == 2).all()
    assert set(parent) == {0, 1}


# ----------------------------------------------------------------------------- the table


def test_schema_is_the_hub_stats_schema(table: pa.Table, models: pd.DataFrame) -> None:
    assert table.num_rows == N
    assert table.column_names == [
        "id",
        "author",
        "createdAt",
        "lastModified",
        "likes",
        "downloads",
        "downloadsAllTime",
        "trendingScore",
        "tags",
        "pipeline_tag",
        "library_name",
        "baseModels",
        "safetensors",
        "cardData",
    ]
    bm = table.schema.field("baseModels").type
    assert bm.field("relation").type == pa.string()
    item = bm.field("models").type.value_type
    assert [item.field(i).name for i in range(item.num_fields)] == ["_id", "id"]
    assert table.schema.field("safetensors").type.field("total").type == pa.int64()
    assert table.schema.field("cardData").type == pa.string()  # JSON text
    assert table.schema.metadata[b"hflineage.synthetic"] == b"true"
    assert models.attrs["shape"] == "hub-stats"
    assert models["model_id"].is_unique
    assert (models["author"] == models["model_id"].str.split("/").str[0]).all()


def test_calibration_figures_are_reproduced(models: pd.DataFrame) -> None:
    cal = synthetic.CALIBRATION
    has_base = models["hub_parents"].list.len() > 0
    assert abs(has_base.mean() - cal.with_base) < 0.01
    shares = models.loc[has_base, "hub_relation"].value_counts(normalize=True)
    for rel, want in zip(synthetic.RELATIONS_ORDER, cal.relation_shares, strict=True):
        assert abs(shares[rel] - want) < 0.015, rel
    params = models["params"].dropna().astype(float)
    assert abs(len(params) / N - cal.with_safetensors) < 0.01
    assert abs(params.median() / cal.params_median - 1) < 0.15
    assert abs(params.quantile(0.75) / cal.params_p75 - 1) < 0.15
    assert params.max() <= cal.params_max
    # the download and like shares are exact by construction (the top share of a score)
    assert (models["downloads"] > 0).mean() == pytest.approx(cal.downloads_positive, abs=1e-4)
    assert (models["downloads_all_time"] > 0).mean() == pytest.approx(
        cal.downloads_all_time_positive, abs=1e-4
    )
    assert (models["likes"] > 0).mean() == pytest.approx(cal.likes_positive, abs=1e-4)
    assert (models["downloads"] <= models["downloads_all_time"]).all()
    assert (~models["created_at_reliable"]).mean() == pytest.approx(cal.backfilled, abs=1e-4)


def test_lineage_is_timed_typed_and_consistent(models: pd.DataFrame) -> None:
    ids = pd.Index(models["model_id"])
    long = models["hub_parents"].explode().dropna()
    child = long.index.to_numpy()
    parent = ids.get_indexer(long.to_numpy())
    assert (parent >= 0).all()  # baseModels name models of the snapshot
    created = models["created_at"].to_numpy()
    assert (created[parent] <= created[child]).all()  # bases are older
    n_par = models["hub_parents"].list.len()
    merge = models["hub_relation"] == "merge"
    assert (n_par[merge] >= 2).all() and (n_par[~merge & (n_par > 0)] == 1).all()
    # the Hub's tags and the card agree with baseModels where they are present
    tagged = models["tag_relation"].notna()
    assert (models.loc[tagged, "tag_relation"] == models.loc[tagged, "hub_relation"]).all()
    assert 0.8 < tagged.sum() / (n_par > 0).sum() < 0.9
    card = models["card_relation"].notna()
    assert (models.loc[card, "card_relation"] == models.loc[card, "hub_relation"]).all()
    # ghosts: a card base no model holds, without baseModels
    ghost = (models["card_parents"].list.len() > 0) & (n_par == 0)
    assert 0.003 < ghost.mean() < 0.02


def test_heavy_tailed_in_degree_and_growth(models: pd.DataFrame) -> None:
    indeg = models["hub_parents"].explode().dropna().value_counts()
    # most bases have few derivatives, a few have very many
    assert indeg.max() > 50 * indeg.median()
    top = indeg.sort_values(ascending=False)
    assert top.iloc[: max(len(top) // 100, 1)].sum() / top.sum() > 0.2  # uniform: about 0.01
    # creation dates grow at the calibrated rate: monthly counts double in ~311 days
    reliable = models.loc[models["created_at_reliable"], "created_at"]
    months = reliable.dt.tz_convert(None).dt.to_period("M").value_counts().sort_index()
    months = months.iloc[1:-1]  # whole months only
    slope = np.polyfit(np.arange(len(months)), np.log(months.to_numpy()), 1)[0]
    assert abs(slope / (synthetic.CALIBRATION.growth_per_day * 30.44) - 1) < 0.15


def test_same_seed_same_table_other_seed_other_table(table: pa.Table) -> None:
    assert synthetic_hub_stats(N, seed=3).equals(table)
    assert not synthetic_hub_stats(N, seed=4).equals(table)
    with pytest.raises(ParameterError, match="n_models"):
        synthetic_hub_stats(3)


# ----------------------------------------------------------------------------- labelling


def test_written_file_is_labelled_and_refused_as_data(
    tmp_path: Path, table: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_synthetic(table, tmp_path)
    assert path.name == f"synthetic-hub-stats-{N}.parquet"
    assert pq.read_schema(path).metadata[b"hflineage.synthetic"] == b"true"
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    assert "synthetic benchmark file" in str(err.value) and "\n" not in str(err.value)
    assert str(path) in str(err.value)
    models = load_snapshot(path, allow_synthetic=True)
    assert len(models) == N and models.attrs["synthetic"] is True
    assert models.attrs["snapshot_date"] == pd.Timestamp("2026-03-19 23:59:59", tz="UTC")
    # renamed: the metadata still says so; the environment variable lets a benchmark read it
    renamed = tmp_path / "hub-stats-models-000000000000.parquet"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(SnapshotError, match="synthetic"):
        load_snapshot(renamed)
    monkeypatch.setenv(ALLOW_ENV, "1")
    assert len(load_snapshot(renamed)) == N
    # allow_synthetic=False wins over the environment
    with pytest.raises(SnapshotError, match="synthetic"):
        load_snapshot(renamed, allow_synthetic=False)


def test_the_name_alone_marks_a_file_synthetic(tmp_path: Path) -> None:
    plain = pa.table({"id": ["a/b"]})
    path = tmp_path / "synthetic-hub-stats-1.parquet"
    pq.write_table(plain, path)  # no metadata
    with pytest.raises(SnapshotError, match="synthetic"):
        load_snapshot(path)
    with pytest.raises(ParameterError, match="synthetic-\\*.parquet"):
        write_synthetic(synthetic_hub_stats(10), tmp_path / "hub.parquet")
    with pytest.raises(ParameterError, match="not labelled synthetic"):
        write_synthetic(plain, tmp_path / "synthetic-x.parquet")


def test_cli_synth_then_info_needs_benchmark(tmp_path: Path, capsys) -> None:
    assert main(["synth", "--models", "500", "--out", str(tmp_path), "--seed", "1"]) == 0
    path = tmp_path / "synthetic-hub-stats-500.parquet"
    assert "SYNTHETIC" in capsys.readouterr().out and path.exists()
    assert main(["info", "--snapshot", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--benchmark" in err and err.count("\n") == 1
    assert main(["info", "--snapshot", str(path), "--benchmark"]) == 0
    assert re.search(r"^models\s+500$", capsys.readouterr().out, re.M)


# ----------------------------------------------------------------------------- ageing


def test_age_snapshot_of_a_hub_stats_table(table: pa.Table) -> None:
    later = age_snapshot(table, days=90, seed=5)
    meta = later.schema.metadata
    assert meta[b"hflineage.synthetic"] == b"true"
    start = pd.Timestamp("2026-03-19 23:59:59", tz="UTC")
    assert pd.Timestamp(meta[b"hflineage.snapshot_date"].decode()) == start + pd.Timedelta(days=90)
    assert pd.Timestamp(meta[b"hflineage.aged_from"].decode()) == start
    deleted, added = int(meta[b"hflineage.deleted"]), int(meta[b"hflineage.added"])
    assert later.num_rows == N - deleted + added
    # deletions: hazard 8%/year (2%/year when liked) over 90 days -> about 1.8% of 20,000
    assert 200 < deleted < 500
    # growth: the survivors times (e^(0.00223 * 90) - 1) = 22.1%, Poisson
    expect = (N - deleted) * math.expm1(synthetic.CALIBRATION.growth_per_day * 90)
    assert abs(added - expect) < 5 * math.sqrt(expect)
    before = table.to_pandas().set_index("id")
    after = later.to_pandas().set_index("id")
    assert after.index.is_unique
    kept = before.index.intersection(after.index)
    assert len(kept) == N - deleted
    assert (after.loc[kept, "likes"] >= before.loc[kept, "likes"]).all()
    assert (after.loc[kept, "downloadsAllTime"] >= before.loc[kept, "downloadsAllTime"]).all()
    assert (after.loc[kept, "likes"] > before.loc[kept, "likes"]).mean() > 0.01
    new = after.index.difference(before.index)
    created = after.loc[new, "createdAt"]
    assert (created > start).all() and (created <= start + pd.Timedelta(days=90)).all()
    # bases of new models: earlier models that still exist (no deleted model is chosen)
    models = models_from_hub_stats(later, source="later")
    ids = pd.Index(models["model_id"])
    long = models["hub_parents"].explode().dropna()
    pos = ids.get_indexer(long.to_numpy())
    assert (pos >= 0).all()  # baseModels of deleted parents were dropped
    is_new = models["model_id"].isin(new).to_numpy()
    new_child = is_new[long.index.to_numpy()]
    assert new_child.sum() > 0.2 * is_new.sum()  # new derivatives exist
    assert (~is_new[pos[new_child]]).any()  # some build on existing models
    created_all = models["created_at"].to_numpy()
    assert (created_all[pos] <= created_all[long.index.to_numpy()]).all()
    gone = set(before.index.difference(after.index))
    declared = set(models["card_parents"].explode().dropna())
    assert gone & declared  # cards still name deleted bases
    assert load_snapshot_from(later).attrs["snapshot_date"] == start + pd.Timedelta(days=90)


def load_snapshot_from(table: pa.Table) -> pd.DataFrame:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write_synthetic(table, Path(folder) / "synthetic-later.parquet")
        return load_snapshot(path, allow_synthetic=True)


def test_age_snapshot_of_a_listing_keeps_its_shape() -> None:
    rows = [
        {"id": f"org/m{i}", "createdAt": f"2024-0{1 + i % 6}-01", "likes": i % 3, "tags": []}
        for i in range(300)
    ]
    listing = listing_table(rows)
    later = age_snapshot(listing, days=365, seed=1)
    assert later.schema.remove_metadata() == listing.schema.remove_metadata()
    added = int(later.schema.metadata[b"hflineage.added"])
    # a year at 0.223%/day: e^0.814 - 1 = 126% of the survivors
    assert 250 < added < 450
    new = later.slice(later.num_rows - added)
    tags = pc.list_flatten(new["tags"])
    typed = pc.sum(pc.starts_with(tags, "base_model:")).as_py()
    assert typed > 0  # declared bases are tags in a listing
    with pytest.raises(ParameterError, match="days"):
        age_snapshot(listing, days=0)
