"""hub-stats parquet and API-crawl JSONL -> the models table, checked against hand-worked values."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hflineage.data import SCHEMA_COLUMNS, load_snapshot
from hflineage.data.crawl import models_from_crawl
from hflineage.data.hub_stats import card_fields_from_text, models_from_hub_stats
from hflineage.errors import SnapshotError
from hflineage.files import write_json

FIXTURES = Path(__file__).parents[1] / "fixtures"

BASE_MODELS = pa.struct(
    [
        ("models", pa.list_(pa.struct([("_id", pa.string()), ("id", pa.string())]))),
        ("relation", pa.string()),
    ]
)
SAFETENSORS = pa.struct(
    [("parameters", pa.struct([("BF16", pa.int64()), ("F32", pa.int64())])), ("total", pa.int64())]
)


def hub_stats_table(card_as_struct: bool = False) -> pa.Table:
    """Five models in the hub-stats ``models.parquet`` shape (``baseModels`` struct, ``cardData``
    JSON text, ``safetensors`` struct, timestamp ``createdAt``)."""
    cards = [
        '{"license": "apache-2.0"}',
        '{"base_model": "org/base", "base_model_relation": "finetune"}',
        '{"base_model": ["org/base", "alice/ft"], "tags": ["merge"]}',
        '{"base_model":"alice/ft","base_model_relation":"Quantized"}',
        None,
    ]
    if card_as_struct:
        card = pa.array(
            [
                {"license": "apache-2.0"},
                {"base_model": ["org/base"], "base_model_relation": "finetune"},
                {"base_model": ["org/base", "alice/ft"]},
                {"base_model": ["alice/ft"], "base_model_relation": "Quantized"},
                None,
            ],
            pa.struct(
                [
                    ("license", pa.string()),
                    ("base_model", pa.list_(pa.string())),
                    ("base_model_relation", pa.string()),
                ]
            ),
        )
    else:
        card = pa.array(cards, pa.string())
    return pa.table(
        {
            "id": ["org/base", "alice/ft", "bob/merge", "carol/quant", "dave/nocard"],
            "author": ["org", "alice", "bob", "carol", "dave"],
            "createdAt": pa.array(
                [
                    pd.Timestamp(t, tz="UTC")
                    for t in (
                        "2024-01-01",
                        "2024-02-01 12:00",
                        "2024-03-01",
                        "2024-03-05",
                        "2024-04-01",
                    )
                ],
                pa.timestamp("ms", tz="UTC"),
            ),
            "likes": [10, 3, 0, 1, 0],
            "downloads": [100, 5, 0, 2, 0],
            "downloadsAllTime": pa.array([5000, 42, None, 7, 0], pa.int64()),
            "trendingScore": [1, 0, 0, 0, 0],
            "tags": pa.array(
                [
                    ["transformers"],
                    ["base_model:finetune:org/base"],
                    [],
                    ["base_model:quantized:alice/ft"],
                    [],
                ],
                pa.list_(pa.string()),
            ),
            "pipeline_tag": ["text-generation", "text-generation", None, None, None],
            "library_name": ["transformers", "transformers", None, "gguf", None],
            "baseModels": pa.array(
                [
                    None,
                    {"models": [{"_id": "a1", "id": "org/base"}], "relation": "finetune"},
                    {
                        "models": [
                            {"_id": "a1", "id": "org/base"},
                            {"_id": "a2", "id": "alice/ft"},
                        ],
                        "relation": "merge",
                    },
                    None,
                    {"models": [], "relation": "adapter"},
                ],
                BASE_MODELS,
            ),
            "safetensors": pa.array(
                [
                    {"parameters": {"BF16": 7_000_000_000, "F32": None}, "total": 7_000_000_000},
                    {"parameters": {"BF16": 6_000_000_000, "F32": 1000}, "total": 6_000_001_000},
                    None,
                    None,
                    None,
                ],
                SAFETENSORS,
            ),
            "cardData": card,
        }
    )


def lists(series: pd.Series) -> list[list[str]]:
    return [list(v) for v in series]


def values(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


@pytest.mark.parametrize("card_as_struct", [False, True], ids=["card-json-text", "card-struct"])
def test_hub_stats_fields_worked_by_hand(card_as_struct: bool) -> None:
    models = models_from_hub_stats(hub_stats_table(card_as_struct), source="fixture")
    assert tuple(models.columns) == SCHEMA_COLUMNS
    assert models.attrs["shape"] == "hub-stats"
    assert lists(models["hub_parents"]) == [[], ["org/base"], ["org/base", "alice/ft"], [], []]
    # dave/nocard: baseModels has a relation but no models -> no relation either.
    assert values(models["hub_relation"]) == [None, "finetune", "merge", None, None]
    assert lists(models["card_parents"]) == [
        [],
        ["org/base"],
        ["org/base", "alice/ft"],
        ["alice/ft"],
        [],
    ]
    assert values(models["card_relation"]) == [None, "finetune", None, "quantized", None]
    assert values(models["params"]) == [7e9, 6_000_001_000.0, None, None, None]
    assert values(models["downloads_all_time"]) == [5000, 42, None, 7, 0]
    assert lists(models["declared_parents"]) == [
        [],
        ["org/base"],
        ["org/base", "alice/ft"],
        ["alice/ft"],
        [],
    ]
    # Typed tag first, then hub-stats, then card.
    assert values(models["declared_relation"]) == [None, "finetune", "merge", "quantized", None]
    assert models["created_at"].iloc[1] == pd.Timestamp("2024-02-01 12:00", tz="UTC")


def test_hub_stats_card_struct_with_string_base_model() -> None:
    card = pa.array(
        [
            None,
            {"base_model": "org/base", "base_model_relation": "Finetune"},
            {"base_model": None, "base_model_relation": None},
            {"base_model": "alice/ft", "base_model_relation": None},
            {"base_model": "  ", "base_model_relation": None},
        ],
        pa.struct([("base_model", pa.string()), ("base_model_relation", pa.string())]),
    )
    table = hub_stats_table()
    table = table.set_column(table.column_names.index("cardData"), "cardData", card)
    models = models_from_hub_stats(table, source="fixture")
    assert lists(models["card_parents"]) == [[], ["org/base"], [], ["alice/ft"], []]
    assert values(models["card_relation"]) == [None, "finetune", None, None, None]


def test_hub_stats_snake_case_aliases() -> None:
    table = hub_stats_table().rename_columns(
        [
            {"createdAt": "created_at", "downloadsAllTime": "downloads_all_time"}.get(n, n)
            for n in hub_stats_table().column_names
        ]
    )
    models = models_from_hub_stats(table, source="alias")
    assert values(models["downloads_all_time"]) == [5000, 42, None, 7, 0]


def test_hub_stats_bad_base_models_type_is_one_line() -> None:
    table = hub_stats_table()
    table = table.set_column(
        table.column_names.index("baseModels"), "baseModels", pa.array(["org/base"] * 5)
    )
    with pytest.raises(SnapshotError) as err:
        models_from_hub_stats(table, source="bad.parquet")
    assert "bad.parquet" in str(err.value) and "'baseModels'" in str(err.value)
    assert "\n" not in str(err.value)


def test_card_text_ignores_quoted_keys_and_handles_spacing() -> None:
    text = pa.array(
        [
            '{"widget": [{"text": "\\"base_model\\": \\"evil/x\\""}], "base_model" : [ "a/b" ,"c/d", null ]}',
            '{"description": "the base_model is great", "license": "mit"}',
            '{"base_model": "https:\\/\\/huggingface.co\\/a\\/b"}',
            '{"base_model": ""}',
            None,
        ]
    )
    parents, relation = card_fields_from_text(text)
    assert lists(parents) == [["a/b", "c/d"], [], ["https://huggingface.co/a/b"], [], []]
    assert values(relation) == [None] * 5


def test_load_snapshot_reads_hub_stats_with_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "hub-stats-models-0123456789ab.parquet"
    pq.write_table(hub_stats_table(), path)
    from hflineage.files import sha256_file

    sidecar = {
        "repo": "cfahlgren1/hub-stats",
        "revision": "0123456789ab" + "0" * 28,
        "revision_date": "2026-11-03T06:00:00+00:00",
        "sha256": sha256_file(path),
    }
    write_json(path.with_name(path.name + ".json"), sidecar)
    models = load_snapshot(path)
    assert models.attrs["shape"] == "hub-stats"
    assert models.attrs["revision"].startswith("0123456789ab")
    assert models.attrs["snapshot_date"] == pd.Timestamp("2026-11-03 06:00", tz="UTC")
    assert lists(models["hub_parents"])[2] == ["org/base", "alice/ft"]

    # A file replaced after the fetch no longer matches its sidecar.
    write_json(path.with_name(path.name + ".json"), sidecar | {"sha256": "f" * 64})
    with pytest.raises(SnapshotError, match="checksum mismatch"):
        load_snapshot(path)


# ---------------------------------------------------------------------------------- crawl


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


THREE = [
    json.dumps(
        {
            "_id": "1",
            "id": "org/base",
            "createdAt": "2024-01-01T00:00:00.000Z",
            "likes": 10,
            "downloads": 100,
            "downloadsAllTime": 1000,
            "tags": ["transformers"],
            "pipeline_tag": "text-generation",
            "library_name": "transformers",
            "gated": False,
            "cardData": {"license": "mit"},
            "safetensors": {"parameters": {"BF16": 7000}, "total": 7000},
        }
    ),
    json.dumps(
        {
            "_id": "2",
            "id": "alice/ft",
            "createdAt": "2024-02-01T12:00:00.000Z",
            "likes": 3,
            "downloads": 5,
            "tags": ["base_model:org/base", "base_model:finetune:org/base"],
            "gated": "manual",
            "cardData": {"base_model": "org/base", "base_model_relation": "finetune"},
            "baseModels": {"relation": "finetune", "models": [{"_id": "1", "id": "org/base"}]},
        }
    ),
    json.dumps(
        {
            "_id": "3",
            "id": "bob/merge",
            "createdAt": "2022-03-02T23:29:04.000Z",
            "likes": 0,
            "downloads": 0,
            "tags": [],
            "cardData": {"base_model": ["org/base", "alice/ft"]},
            "baseModels": {
                "relation": "merge",
                "models": [{"_id": "1", "id": "org/base"}, {"_id": "2", "id": "alice/ft"}],
            },
        }
    ),
]


def test_crawl_three_lines_worked_by_hand(tmp_path: Path) -> None:
    models = models_from_crawl(write_lines(tmp_path / "c.jsonl", THREE))
    assert tuple(models.columns) == SCHEMA_COLUMNS
    assert models.attrs["shape"] == "crawl"
    assert list(models["model_id"]) == ["org/base", "alice/ft", "bob/merge"]
    assert list(models["author"]) == ["org", "alice", "bob"]
    assert list(models["likes"]) == [10, 3, 0]
    assert values(models["downloads_all_time"]) == [1000, None, None]
    assert values(models["params"]) == [7000.0, None, None]
    assert list(models["created_at_reliable"]) == [True, True, False]
    assert lists(models["tag_parents"]) == [[], ["org/base"], []]
    assert lists(models["hub_parents"]) == [[], ["org/base"], ["org/base", "alice/ft"]]
    assert lists(models["card_parents"]) == [[], ["org/base"], ["org/base", "alice/ft"]]
    assert values(models["declared_relation"]) == [None, "finetune", "merge"]
    assert values(models["card_relation"]) == [None, "finetune", None]
    assert values(models["pipeline_tag"]) == ["text-generation", None, None]


def test_crawl_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    # line 1 ok, line 2 blank (ignored), line 3 ok, line 4 truncated
    path = write_lines(tmp_path / "chunk-00000.jsonl", [THREE[0], "", THREE[1], THREE[2][:40]])
    with pytest.raises(SnapshotError) as err:
        models_from_crawl(path)
    message = str(err.value)
    assert f"{path}:4:" in message and "malformed JSON" in message
    assert "\n" not in message


def test_crawl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", [THREE[0], "[1, 2]"])
    with pytest.raises(SnapshotError, match=r"x\.jsonl:2: a JSON list"):
        models_from_crawl(path)


def test_crawl_folder_without_state_and_duplicates(tmp_path: Path) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    write_lines(folder / "chunk-00000.jsonl", THREE[:2])
    newer = json.loads(THREE[1]) | {"likes": 4}
    write_lines(folder / "chunk-00001.jsonl", [json.dumps(newer), THREE[2]])
    models = load_snapshot(folder)
    assert list(models["model_id"]) == ["org/base", "alice/ft", "bob/merge"]
    assert list(models["likes"]) == [10, 4, 0]  # the later record of alice/ft wins
    assert models.attrs["duplicates_dropped"] == 1


def test_crawl_state_is_the_commit_log(tmp_path: Path) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    write_lines(folder / "chunk-00000.jsonl", THREE[:2])
    write_lines(folder / "chunk-00001.jsonl", THREE[2:])  # written, never committed
    state = {
        "chunks": [{"file": "chunk-00000.jsonl", "rows": 2}],
        "complete": False,
        "updated_at": "2026-11-04T10:00:00+00:00",
    }
    write_json(folder / "state.json", state)
    models = models_from_crawl(folder)
    assert list(models["model_id"]) == ["org/base", "alice/ft"]
    assert models.attrs["complete"] is False
    assert models.attrs["snapshot_date"] == pd.Timestamp("2026-11-04 10:00", tz="UTC")

    state["chunks"][0]["rows"] = 3
    write_json(folder / "state.json", state)
    with pytest.raises(SnapshotError, match=r"2 records, but state.json recorded 3"):
        models_from_crawl(folder)


def test_crawl_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no chunk-"):
        models_from_crawl(tmp_path)
