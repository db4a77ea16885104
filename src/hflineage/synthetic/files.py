"""How the synthetic generator labels what it makes: the file name and the Parquet metadata that
:mod:`hflineage.data.synthetic_label` recognises, and the atomic write of a labelled table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..data.synthetic_label import FILE_PREFIX, SYNTHETIC_KEY
from ..errors import ParameterError
from ..files import atomic_path


def synthetic_path(folder: str | Path, n_models: int, suffix: str = "") -> Path:
    """``folder/synthetic-hub-stats-<n_models><suffix>.parquet``: the name says what it is."""
    return Path(folder) / f"{FILE_PREFIX}{int(n_models)}{suffix}.parquet"


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
