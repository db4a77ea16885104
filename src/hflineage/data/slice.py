"""Write a subset of a listing snapshot as a new Parquet file (the ``ci`` slice), keeping the
source's schema, snapshot date and a label saying it is a subset.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..config import EMBEDDED_SNAPSHOT
from ..files import atomic_path
from .load import load_snapshot, read_parquet
from .schema import snapshot_date


def write_listing_slice(
    model_ids: pd.Series | list[str],
    out: str | Path,
    *,
    label: str,
    source: str | Path | None = None,
) -> Path:
    """Write the raw listing rows of ``model_ids`` to ``out`` (atomically), keeping the source's
    snapshot date and a ``label`` for figure captions in the Parquet metadata.

    Used for the small *real* CI profile: a slice loads with :func:`load_snapshot` exactly like
    the full listing, and windowed measures still censor at the original snapshot date.
    """
    source = EMBEDDED_SNAPSHOT if source is None else Path(source)
    full = load_snapshot(source)
    table = read_parquet(source)
    keep = pc.is_in(table["id"], value_set=pa.array(list(model_ids), pa.large_string()))
    sliced = table.filter(keep)
    meta = dict(sliced.schema.metadata or {})
    meta[b"hflineage.snapshot_date"] = snapshot_date(full).isoformat().encode()
    meta[b"hflineage.subset"] = label.encode()
    sliced = sliced.replace_schema_metadata(meta)
    with atomic_path(out) as tmp:
        pq.write_table(sliced, tmp, compression="zstd")
    return Path(out)
