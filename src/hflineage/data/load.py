"""Load a snapshot from any of its three shapes into the models table, with the checksum of the
embedded file verified on every load.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import EMBEDDED_SNAPSHOT, MANIFEST, SNAPSHOT_DIR
from ..errors import SnapshotError
from ..files import sha256_file
from .crawl import models_from_crawl
from .hub_stats import ALIASES, models_from_hub_stats
from .listing import normalise_listing
from .schema import end_of_day
from .synthetic import check_synthetic

#: The columns the models table is made from (a hub-stats file has more: they are not read).
READ_COLUMNS = (
    "id",
    "createdAt",
    "likes",
    "downloads",
    "downloadsAllTime",
    "tags",
    "pipeline_tag",
    "library_name",
    "baseModels",
    "safetensors",
    "cardData",
    *ALIASES,
)


def load_snapshot(
    path: str | Path | None = None, *, verify: bool = True, allow_synthetic: bool | None = None
) -> pd.DataFrame:
    """Return the models table (schema in the module docstring) from a snapshot file.

    ``path=None`` reads the embedded 2024-07-11 listing and, with ``verify=True``, checks its
    sha256 against ``data/manifest.json``.  A synthetic benchmark file
    (:mod:`hflineage.data.synthetic`) is refused unless ``allow_synthetic=True`` or, when
    ``allow_synthetic`` is None, the environment variable ``HFLINEAGE_ALLOW_SYNTHETIC=1`` says it is
    a benchmark; its table then has ``attrs["synthetic"] = True``.  Only the columns the models
    table needs are read.  Any problem raises :class:`SnapshotError` with a one-line message
    naming the file and what was expected.
    """
    path = resolve_snapshot(path)
    if not path.exists():
        raise SnapshotError(
            f"{path}: no such file or folder (expected a snapshot Parquet or JSONL)"
        )
    if path.is_dir() or path.suffix in {".jsonl", ".json", ".gz"}:
        check_synthetic(path, allow=allow_synthetic)
        return models_from_crawl(path)
    sha = None
    if verify and path.resolve().parent == SNAPSHOT_DIR.resolve():
        sha = verify_checksum(path)
    check_synthetic(path, _schema(path), allow=allow_synthetic)
    table = read_parquet(path, columns=READ_COLUMNS)
    names = set(table.column_names)
    if "baseModels" in names or "downloadsAllTime" in names:
        models = models_from_hub_stats(table, source=path)
    else:
        models = normalise_listing(table, source=path)
    meta = table.schema.metadata or {}
    if b"hflineage.snapshot_date" in meta:
        models.attrs["snapshot_date"] = pd.Timestamp(meta[b"hflineage.snapshot_date"].decode())
    if b"hflineage.subset" in meta:
        models.attrs["subset"] = meta[b"hflineage.subset"].decode()
    if meta.get(b"hflineage.synthetic") == b"true":
        models.attrs["synthetic"] = True
    if sha:
        models.attrs["sha256"] = sha
        date = _manifest().get(path.name, {}).get("snapshot_date")
        if date:
            models.attrs["snapshot_date"] = end_of_day(pd.Timestamp(date, tz="UTC"))
    return models


#: Names that stand for "the newest fetched snapshot" of a kind (used by ``params/full.yaml``).
LATEST = {
    "hub-stats:latest": ("hub-stats-models-*.parquet", "hflineage fetch --source hub-stats"),
    "api:latest": ("hub-api-crawl", "hflineage fetch --source api"),
}


def resolve_snapshot(spec: str | Path | None) -> Path:
    """Turn a snapshot spec into a path: ``None`` → the embedded listing; ``hub-stats:latest`` /
    ``api:latest`` → the newest fetched file/folder in ``data/snapshots``; else the path itself.
    """
    if spec is None:
        return EMBEDDED_SNAPSHOT
    if str(spec) in LATEST:
        pattern, command = LATEST[str(spec)]
        found = sorted(SNAPSHOT_DIR.glob(pattern), key=lambda p: p.stat().st_mtime)
        if not found:
            raise SnapshotError(
                f"no fetched snapshot for {spec!r} in {SNAPSHOT_DIR} (expected {pattern}); "
                f"run `{command}` first (needs internet)"
            )
        return found[-1]
    return Path(spec)


def read_parquet(path: Path, columns: tuple[str, ...] | None = None) -> pa.Table:
    """Read a Parquet file (only ``columns`` that it has, if given), turning a non-Parquet file
    into a one-line :class:`SnapshotError`.
    """
    try:
        if columns is not None:
            names = set(pq.read_schema(path).names)
            columns = [c for c in columns if c in names]
        return pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SnapshotError(f"{path}: not a readable Parquet file ({first})") from None


def _schema(path: Path) -> pa.Schema | None:
    """The Parquet schema of ``path`` (None when it is not Parquet: read_parquet says so)."""
    try:
        return pq.read_schema(path)
    except (pa.ArrowInvalid, OSError):
        return None


def _manifest() -> dict:
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8")).get("snapshots", {})


def verify_checksum(path: Path) -> str:
    """Check a snapshot file against the sha256 recorded in ``data/manifest.json``; return it."""
    expected = _manifest().get(path.name, {}).get("sha256")
    actual = sha256_file(path)
    if expected and actual != expected:
        raise SnapshotError(
            f"{path}: checksum mismatch (sha256 {actual[:12]}…, manifest expects {expected[:12]}…); "
            "the file is damaged or was replaced: restore it with `git checkout -- data/snapshots`"
        )
    return actual
