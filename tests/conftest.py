"""Shared fixtures: small hand-written listings that go through the real schema."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pytest

from hflineage.data import normalise_listing


def listing_table(rows: Sequence[dict]) -> pa.Table:
    """An /api/models-listing-shaped Arrow table from dicts (id, createdAt, tags, ...)."""
    cols = {
        "id": [r["id"] for r in rows],
        "createdAt": pa.array(
            [pd.Timestamp(r.get("createdAt", "2024-01-01"), tz="UTC") for r in rows],
            pa.timestamp("us", tz="UTC"),
        ),
        "likes": [r.get("likes", 0) for r in rows],
        "downloads": [r.get("downloads", 0) for r in rows],
        "pipeline_tag": [r.get("pipeline_tag") for r in rows],
        "library_name": [r.get("library_name") for r in rows],
        "tags": pa.array([r.get("tags", []) for r in rows], pa.list_(pa.string())),
    }
    return pa.table(cols)


def make_models(rows: Sequence[dict], source: str = "fixture") -> pd.DataFrame:
    """The models table (real schema) for a handful of hand-written rows."""
    return normalise_listing(listing_table(rows), source=source)


@pytest.fixture
def tiny_listing() -> list[dict]:
    return [
        {"id": "org/base", "createdAt": "2024-01-01T00:00:00Z", "likes": 10, "tags": ["llama"]},
        {
            "id": "alice/ft",
            "createdAt": "2024-02-01T12:00:00Z",
            "likes": 3,
            "tags": ["base_model:org/base", "license:mit"],
        },
        {
            "id": "bob/merged",
            "createdAt": "2024-03-01T00:00:00Z",
            "tags": ["base_model:org/base", "base_model:alice/ft", "base_model:org/base"],
        },
        {
            "id": "carol/typed",
            "createdAt": "2022-03-02T23:29:04Z",
            "tags": ["base_model:quantized:org/base"],
        },
    ]
