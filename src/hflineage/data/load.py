"""Load a snapshot from any of its three shapes into the models table, with the checksum of the
embedded file verified on every load.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from ..config import DATA_DIR, EMBEDDED_SNAPSHOT, MANIFEST, PACKAGE_DIR, SNAPSHOT_DIR
from ..errors import SnapshotError
from ..files import atomic_path, sha256_file, source_digest
from .crawl import models_from_crawl
from .hub_stats import ALIASES, models_from_hub_stats
from .listing import normalise_listing
from .schema import HUB_FIELDS, end_of_day
from .synthetic_label import check_synthetic

#: The columns the models table is made from (a hub-stats file has more: they are not read).
READ_COLUMNS = ("id", *HUB_FIELDS, *ALIASES)


def load_snapshot(
    path: str | Path | None = None,
    *,
    verify: bool = True,
    allow_synthetic: bool | None = None,
    cache: bool | None = None,
) -> pd.DataFrame:
    """Return the models table (schema in the module docstring) from a snapshot file.

    ``path=None`` reads the embedded 2024-07-11 listing and, with ``verify=True``, checks its
    sha256 against ``data/manifest.json``.  A synthetic benchmark file
    (:mod:`hflineage.synthetic`) is refused unless ``allow_synthetic=True`` or, when
    ``allow_synthetic`` is None, the environment variable ``HFLINEAGE_ALLOW_SYNTHETIC=1`` says it is
    a benchmark; its table then has ``attrs["synthetic"] = True``.  Only the columns the models
    table needs are read.  Any problem raises :class:`SnapshotError` with a one-line message
    naming the file and what was expected.

    ``cache`` keeps the finished table of a Parquet snapshot in ``data/cache`` (Arrow IPC, lz4)
    and reads it back on the next call, about six times faster (every chapter loads the
    snapshot): ``None`` caches files of at least :data:`CACHE_MIN_BYTES` (a fetched Hub, not the
    embedded listing), ``True`` always, ``False`` never.  The cache is keyed by the file's path,
    size and modification time and by the code of :mod:`hflineage.data`, so a changed file or
    reader never serves an old table.
    """
    path = resolve_snapshot(path)
    if not path.exists():
        raise SnapshotError(
            f"{path}: no such file or folder (expected a snapshot Parquet or JSONL)"
        )
    if path.is_dir() or path.suffix in {".jsonl", ".json", ".gz"}:
        check_synthetic(path, allow=allow_synthetic)
        return models_from_crawl(path)
    check_synthetic(path, _schema(path), allow=allow_synthetic)
    use_cache = path.stat().st_size >= CACHE_MIN_BYTES if cache is None else bool(cache)
    key = _cache_key(path) if use_cache else None
    if key is not None:
        cached = _read_cache(key)
        if cached is not None:
            return cached
    models = _load_parquet(path, verify)
    if key is not None:
        _write_cache(key, path, models)
    return models


def _load_parquet(path: Path, verify: bool) -> pd.DataFrame:
    sha = None
    if verify and path.resolve().parent == SNAPSHOT_DIR.resolve() and path.name in _manifest():
        sha = verify_checksum(path)
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


# ------------------------------------------------------------------------------------ the cache
#: Where finished models tables are kept (not under version control).
CACHE_DIR = DATA_DIR / "cache"


#: Parquet snapshots at least this large are cached by default (a fetched Hub is ~0.2-0.5 GB;
#: the embedded listing, 24 MB, loads in seconds and is checksum-verified on every load).
CACHE_MIN_BYTES = 100_000_000


#: Bump when the cache format changes.
CACHE_VERSION = "1"


def _cache_key(path: Path) -> str:
    """The file's identity (resolved path, size, modification time) and the reader's code."""
    st = path.stat()
    ident = [CACHE_VERSION, str(path.resolve()), st.st_size, st.st_mtime_ns]
    ident.append(source_digest(PACKAGE_DIR / "data"))
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()


def _cache_path(key: str) -> Path:
    return CACHE_DIR / f"models-{key[:20]}.arrow"


def _read_cache(key: str) -> pd.DataFrame | None:
    path = _cache_path(key)
    if not path.exists():
        return None
    try:
        table = feather.read_table(path, memory_map=True)
        meta = json.loads(table.schema.metadata[b"hflineage.models"])
    except (pa.ArrowInvalid, OSError, KeyError, json.JSONDecodeError):
        return None  # a damaged cache file is rebuilt
    columns = {}
    for name in table.column_names:
        col, dtype = table[name], meta["dtypes"][name]
        if dtype.endswith("[pyarrow]"):
            columns[name] = pd.Series(col, dtype=pd.ArrowDtype(col.type))
        else:
            columns[name] = col.to_pandas().astype(dtype)
    models = pd.DataFrame(columns)
    models.attrs = {k: _attr_in(v) for k, v in meta["attrs"].items()}
    return models


def _write_cache(key: str, source: Path, models: pd.DataFrame) -> None:
    """Write the table; older caches of the same source file go."""
    meta = {
        "source": str(source.resolve()),
        "dtypes": {c: str(models[c].dtype) for c in models.columns},
        "attrs": {k: _attr_out(v) for k, v in models.attrs.items()},
    }
    plain = models.copy(deep=False)
    plain.attrs = {}  # kept in our own metadata (pandas cannot serialise timestamps there)
    table = pa.Table.from_pandas(plain, preserve_index=False)
    table = table.replace_schema_metadata({b"hflineage.models": json.dumps(meta).encode()})
    target = _cache_path(key)
    try:
        with atomic_path(target) as tmp:
            feather.write_feather(table, tmp, compression="lz4")
    except OSError:
        return  # no room or no permission: the cache is an optimisation
    for old in CACHE_DIR.glob("models-*.arrow"):
        if old != target and _cached_source(old) == meta["source"]:
            old.unlink(missing_ok=True)


def _cached_source(path: Path) -> str | None:
    try:
        meta = feather.read_table(path, memory_map=True).schema.metadata or {}
        return json.loads(meta[b"hflineage.models"]).get("source")
    except (pa.ArrowInvalid, OSError, KeyError, json.JSONDecodeError):
        return None


def _attr_out(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return {"timestamp": value.isoformat()}
    return value


def _attr_in(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"timestamp"}:
        return pd.Timestamp(value["timestamp"])
    return value
