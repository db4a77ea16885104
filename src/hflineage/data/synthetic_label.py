"""How a synthetic benchmark file is labelled (file name and Parquet metadata) and refused as a
book snapshot unless a benchmark flag allows it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ParameterError, SnapshotError
from ..files import atomic_path

#: Parquet metadata key that marks a synthetic file.
SYNTHETIC_KEY = b"hflineage.synthetic"


#: Environment variable that lets :func:`hflineage.data.load.load_snapshot` read a synthetic file
#: (``hflineage run --benchmark`` sets it for the chapters it runs).
ALLOW_ENV = "HFLINEAGE_ALLOW_SYNTHETIC"


#: File name prefix of every synthetic snapshot.
FILE_PREFIX = "synthetic-hub-stats-"


# ------------------------------------------------------------------------------------------------
# Labelling
# ------------------------------------------------------------------------------------------------
def synthetic_path(folder: str | Path, n_models: int, suffix: str = "") -> Path:
    """``folder/synthetic-hub-stats-<n_models><suffix>.parquet``: the name says what it is."""
    return Path(folder) / f"{FILE_PREFIX}{int(n_models)}{suffix}.parquet"


def is_synthetic(path: str | Path, schema: pa.Schema | None = None) -> bool:
    """Whether a snapshot file is synthetic: its name starts with ``synthetic-`` or its Parquet
    metadata has ``hflineage.synthetic=true`` (``schema``: the file's schema, if already read).
    """
    path = Path(path)
    if path.name.startswith("synthetic-"):
        return True
    if schema is None:
        if not path.is_file() or path.suffix != ".parquet":
            return False
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError):
            return False
    meta = schema.metadata or {}
    return meta.get(SYNTHETIC_KEY, b"").lower() == b"true"


def synthetic_allowed(allow: bool | None = None) -> bool:
    """``allow`` if given, else whether ``HFLINEAGE_ALLOW_SYNTHETIC`` is 1/true/yes."""
    if allow is not None:
        return bool(allow)
    return os.environ.get(ALLOW_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def check_synthetic(
    path: str | Path, schema: pa.Schema | None = None, allow: bool | None = None
) -> None:
    """Raise :class:`SnapshotError` (one line) if ``path`` is synthetic and not allowed."""
    if is_synthetic(path, schema) and not synthetic_allowed(allow):
        raise SnapshotError(
            f"{path}: a synthetic benchmark file, not Hub data; pass allow_synthetic=True, set "
            f"{ALLOW_ENV}=1 or run `hflineage run --benchmark` to use it for a benchmark"
        )


def label_synthetic(table: pa.Table, snapshot_date: pd.Timestamp, **extra: object) -> pa.Table:
    """``table`` with the synthetic mark and its snapshot date in the Parquet metadata."""
    meta = dict(table.schema.metadata or {})
    meta[SYNTHETIC_KEY] = b"true"
    meta[b"hflineage.snapshot_date"] = pd.Timestamp(snapshot_date).isoformat().encode()
    for key, value in extra.items():
        meta[f"hflineage.{key}".encode()] = str(value).encode()
    return table.replace_schema_metadata(meta)


def write_synthetic(table: pa.Table, path: str | Path) -> Path:
    """Write a synthetic table atomically; ``path`` must be named ``synthetic-*.parquet`` (or be a
    folder: the standard name :func:`synthetic_path` is used).  Returns the path written.
    """
    path = Path(path)
    if path.is_dir() or path.suffix == "":
        path = synthetic_path(path, table.num_rows)
    if not path.name.startswith("synthetic-") or path.suffix != ".parquet":
        raise ParameterError(
            f"{path}: a synthetic snapshot must be named synthetic-*.parquet (so that nobody "
            "takes it for Hub data), e.g. " + synthetic_path(path.parent, table.num_rows).name
        )
    if (table.schema.metadata or {}).get(SYNTHETIC_KEY) != b"true":
        raise ParameterError("table is not labelled synthetic: build it with synthetic_hub_stats")
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, row_group_size=256_000)
    return path
