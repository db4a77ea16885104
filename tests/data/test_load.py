"""The models table: schema, parsing of declared parents, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import listing_table, make_models

from hflineage import config, data
from hflineage.cli import main
from hflineage.data import load, schema
from hflineage.errors import SnapshotError
from hflineage.files import sha256_file


def test_schema_and_values_of_a_hand_written_listing(tiny_listing):
    models = make_models(tiny_listing)
    assert tuple(models.columns) == data.SCHEMA_COLUMNS
    assert models["model_id"].tolist() == ["org/base", "alice/ft", "bob/merged", "carol/typed"]
    assert models["author"].tolist() == ["org", "alice", "bob", "carol"]
    # duplicates within a model's tags collapse; order of first appearance is kept
    assert [list(p) for p in models["declared_parents"]] == [
        [],
        ["org/base"],
        ["org/base", "alice/ft"],
        ["org/base"],
    ]
    # only the typed tag carries a declared relation
    assert models["declared_relation"].isna().tolist() == [True, True, True, False]
    assert models.loc[3, "declared_relation"] == "quantized"
    # 2022-03-02 23:29 is the Hub's back-fill minute
    assert models["created_at_reliable"].tolist() == [True, True, True, False]
    assert str(models["created_at"].dtype) == "datetime64[us, UTC]"
    assert models["likes"].tolist() == [10, 3, 0, 0]
    assert models["downloads_all_time"].isna().all() and models["params"].isna().all()
    # snapshot date: end of the day of the last creation time
    assert data.snapshot_date(models) == pd.Timestamp("2024-03-01 23:59:59", tz="UTC")


def test_owner_less_legacy_id_has_no_author():
    models = make_models([{"id": "gpt2"}, {"id": "a/b"}])
    assert models["author"].isna().tolist() == [True, False]


def test_string_dates_are_parsed_and_bad_ones_named(tmp_path):
    table = listing_table([{"id": "a/x"}, {"id": "a/y"}])
    table = table.set_column(1, "createdAt", pa.array(["2024-05-01T10:00:00.000Z", "yesterday"]))
    with pytest.raises(
        SnapshotError, match=r"1 unparsable dates in column 'createdAt' \(e.g. 'yesterday'"
    ):
        data.normalise_listing(table, source="f.parquet")
    ok = table.set_column(1, "createdAt", pa.array(["2024-05-01T10:00:00.000Z", "2024-05-02"]))
    models = data.normalise_listing(ok, source="f.parquet")
    assert models["created_at"].tolist() == [
        pd.Timestamp("2024-05-01 10:00", tz="UTC"),
        pd.Timestamp("2024-05-02", tz="UTC"),
    ]


def write(tmp_path, rows, name="snap.parquet", drop=None):
    table = listing_table(rows)
    if drop:
        table = table.drop_columns([drop])
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def test_duplicate_model_id_is_an_error(tmp_path):
    path = write(tmp_path, [{"id": "a/x"}, {"id": "a/x"}, {"id": "a/y"}])
    with pytest.raises(SnapshotError, match=r"duplicate model_id \(1 ids repeated, e.g. 'a/x'\)"):
        data.load_snapshot(path)


def test_missing_column_is_named(tmp_path):
    path = write(tmp_path, [{"id": "a/x"}], drop="tags")
    with pytest.raises(SnapshotError, match=r"missing required column 'tags'"):
        data.load_snapshot(path)


def test_not_parquet_is_one_line(tmp_path):
    path = tmp_path / "models.parquet"
    path.write_text("id,createdAt\na/x,2024-01-01\n")
    with pytest.raises(SnapshotError) as err:
        data.load_snapshot(path)
    assert "not a readable Parquet file" in str(err.value) and "\n" not in str(err.value)


def test_checksum_mismatch_is_detected(tmp_path, monkeypatch):
    snapdir = tmp_path / "snapshots"
    snapdir.mkdir()
    path = write(snapdir, [{"id": "a/x"}], name="hf-models-test.parquet")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"snapshots": {path.name: {"sha256": "0" * 64}}}))
    monkeypatch.setattr(load, "SNAPSHOT_DIR", snapdir)
    monkeypatch.setattr(load, "MANIFEST", manifest)
    with pytest.raises(SnapshotError, match="checksum mismatch"):
        data.load_snapshot(path)
    # with the right checksum it loads, and the manifest's date becomes the snapshot date
    sha = sha256_file(path)
    manifest.write_text(
        json.dumps({"snapshots": {path.name: {"sha256": sha, "snapshot_date": "2024-07-11"}}})
    )
    models = data.load_snapshot(path)
    assert models.attrs["sha256"] == sha
    assert models.attrs["snapshot_date"] == pd.Timestamp("2024-07-11 23:59:59", tz="UTC")


def test_cli_reports_bad_input_in_one_line_and_exits_2(tmp_path, capsys):
    path = write(tmp_path, [{"id": "a/x"}, {"id": "a/x"}])
    assert main(["info", "--snapshot", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "duplicate model_id" in err and "\n" not in err
    assert main(["info", "--snapshot", str(tmp_path / "missing.parquet")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_slice_keeps_the_source_snapshot_date(tmp_path, tiny_listing):
    src = write(tmp_path, tiny_listing, name="full.parquet")
    out = data.write_listing_slice(
        ["org/base", "alice/ft"], tmp_path / "s.parquet", label="2 models", source=src
    )
    models = data.load_snapshot(out)
    assert models["model_id"].tolist() == ["org/base", "alice/ft"]
    # the full listing's last model was created 2024-03-01: the slice keeps that snapshot date
    assert data.snapshot_date(models) == pd.Timestamp("2024-03-01 23:59:59", tz="UTC")
    assert models.attrs["subset"] == "2 models"


def test_union_lists_keeps_first_appearance_order():
    a = schema.list_series(pa.array([["x", "y"], [], ["z"]]))
    b = schema.list_series(pa.array([["y", "w"], ["v"], []]))
    assert [list(v) for v in schema.union_lists(a, b)] == [["x", "y", "w"], ["v"], ["z"]]


@pytest.mark.slow
def test_embedded_snapshot_facts():
    """Facts measured independently on the raw file (the data's provenance notes, not from this package)."""
    models = data.load_snapshot()
    assert len(models) == 760_000 and models["model_id"].is_unique
    n = models["declared_parents"].list.len()
    assert int((n > 0).sum()) == 117_155  # models declaring at least one base model
    assert int((n > 1).sum()) == 5_526  # models declaring several
    assert int(n.sum()) == 126_650  # declared pairs
    assert int((~models["created_at_reliable"]).sum()) == 29_990
    assert (
        models.attrs["sha256"] == "ce39004a3e8615979ac6d503c10925ef52b0135e07895c85b8cb71da9dd07118"
    )


def test_latest_fetched_snapshot_is_resolved_or_explained(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "SNAPSHOT_DIR", tmp_path)
    with pytest.raises(SnapshotError, match=r"run `hflineage fetch --source hub-stats` first"):
        data.resolve_snapshot("hub-stats:latest")
    old = tmp_path / "hub-stats-models-aaaaaaaaaaaa.parquet"
    new = tmp_path / "hub-stats-models-bbbbbbbbbbbb.parquet"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    import os

    os.utime(old, (1_000_000, 1_000_000))
    assert data.resolve_snapshot("hub-stats:latest") == new
    assert data.resolve_snapshot(None) == config.EMBEDDED_SNAPSHOT
    assert data.resolve_snapshot("some/file.parquet") == Path("some/file.parquet")


def test_typed_tag_after_the_untyped_one_keeps_its_relation():
    # the Hub writes both tags for one base, untyped first (hub-stats and /api/models)
    models = make_models(
        [
            {"id": "org/base"},
            {"id": "a/ft", "tags": ["base_model:org/base", "base_model:finetune:org/base"]},
            {"id": "b/q", "tags": ["base_model:quantized:org/base", "base_model:org/base"]},
            {
                "id": "c/m",
                "tags": ["base_model:org/base", "base_model:x/y", "base_model:merge:x/y"],
            },
        ]
    )
    assert [list(p) for p in models["tag_parents"]] == [
        [],
        ["org/base"],
        ["org/base"],
        ["org/base", "x/y"],
    ]
    assert models["tag_relation"].tolist()[1:] == ["finetune", "quantized", "merge"]
    assert pd.isna(models["tag_relation"].iloc[0])


def test_cache_serves_the_same_table_until_the_file_or_code_changes(tmp_path, monkeypatch):
    from test_sources import hub_stats_table

    monkeypatch.setattr(load, "CACHE_DIR", tmp_path / "cache")
    path = tmp_path / "hub.parquet"
    pq.write_table(hub_stats_table(), path)
    fresh = load.load_snapshot(path, cache=False)
    assert not (tmp_path / "cache").exists()  # cache=False writes nothing
    first = load.load_snapshot(path, cache=True)  # builds and writes the cache
    [cached_file] = (tmp_path / "cache").glob("models-*.arrow")
    pd.testing.assert_frame_equal(first, fresh)

    def no_reading(*args, **kwargs):
        raise AssertionError("the Parquet file was read again")

    monkeypatch.setattr(load, "_load_parquet", no_reading)
    again = load.load_snapshot(path, cache=True)
    pd.testing.assert_frame_equal(again, fresh)  # values and dtypes, list columns included
    assert again.attrs == fresh.attrs
    assert str(again["tags"].dtype) == str(fresh["tags"].dtype)

    # a rewritten file (new size and time) is read again, and its old cache goes
    monkeypatch.undo()
    monkeypatch.setattr(load, "CACHE_DIR", tmp_path / "cache")
    pq.write_table(hub_stats_table().slice(0, 3), path)
    assert len(load.load_snapshot(path, cache=True)) == 3
    assert not cached_file.exists() and len(list((tmp_path / "cache").glob("*.arrow"))) == 1
    # a damaged cache file is rebuilt, not served
    [cached_file] = (tmp_path / "cache").glob("models-*.arrow")
    cached_file.write_bytes(b"not arrow")
    assert len(load.load_snapshot(path, cache=True)) == 3
    # small files are not cached by default
    other = tmp_path / "small.parquet"
    pq.write_table(hub_stats_table(), other)
    load.load_snapshot(other)
    assert len(list((tmp_path / "cache").glob("*.arrow"))) == 1
