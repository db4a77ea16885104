"""The guard :func:`hflineage.data.load.load_snapshot` needs: what marks a synthetic benchmark
file (its name, its Parquet metadata) and the refusal to read one as a book snapshot unless a
benchmark flag allows it.  The generator that writes such files is :mod:`hflineage.synthetic`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import SnapshotError

#: Parquet metadata key that marks a synthetic file.
SYNTHETIC_KEY = b"hflineage.synthetic"


#: Environment variable that lets :func:`hflineage.data.load.load_snapshot` read a synthetic file
#: (``hflineage run --benchmark`` sets it for the chapters it runs).
ALLOW_ENV = "HFLINEAGE_ALLOW_SYNTHETIC"


#: File name prefix of every synthetic snapshot.
FILE_PREFIX = "synthetic-hub-stats-"


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
