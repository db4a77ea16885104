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
from .hub_stats import models_from_hub_stats
from .listing import normalise_listing
from .schema import end_of_day


def load_snapshot(path: str | Path | None = None, *, verify: bool = True) -> pd.DataFrame:
    """Return the models table (schema in the module docstring) from a snapshot file.

    ``path=None`` reads the embedded 2024-07-11 listing and, with ``verify=True``, checks its
    sha256 against ``data/manifest.json``.  Any problem raises :class:`SnapshotError` with a
    one-line message naming the file and what was expected.
    """
    path = resolve_snapshot(path)
    if not path.exists():
        raise SnapshotError(
            f"{path}: no such file or folder (expected a snapshot Parquet or JSONL)"
        )
    if path.is_dir() or path.suffix in {".jsonl", ".json", ".gz"}:
        return models_from_crawl(path)
    sha = None
    if verify and path.resolve().parent == SNAPSHOT_DIR.resolve():
        sha = verify_checksum(path)
    table = read_parquet(path)
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


def read_parquet(path: Path) -> pa.Table:
    """Read a Parquet file, turning a non-Parquet file into a one-line :class:`SnapshotError`."""
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SnapshotError(f"{path}: not a readable Parquet file ({first})") from None


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
