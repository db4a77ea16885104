"""Model ids as Arrow arrays: names, owners and position look-ups used by the edge builder and the
relation rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


# --------------------------------------------------------------------------------------------
# helpers (Arrow compute: hashing 760,000 strings through pandas costs seconds)
# --------------------------------------------------------------------------------------------
def _arrow_str(values: pd.Series | np.ndarray) -> pa.Array:
    """A pandas string column (or object array) as one Arrow ``large_string`` array."""
    if isinstance(values, pd.Series) and not isinstance(values.dtype, np.dtype):
        arr = pa.array(values)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return arr.cast(pa.large_string())
    return pa.array(np.asarray(values, dtype=object), pa.large_string())


def _name_part(ids: pa.Array) -> pa.Array:
    """Lower-cased repo name: the part after the owner (``org/Name`` → ``name``)."""
    return pc.replace_substring_regex(pc.utf8_lower(ids), r"^.*/", "")


def _owner(ids: pa.Array) -> pa.Array:
    """Owner part of ``owner/name`` ids (null for un-namespaced ids)."""
    owner = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    return pc.if_else(pc.match_substring(ids, "/"), owner, pa.scalar(None, pa.large_string()))


def _np(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _lookup(values: pa.Array, ids: pa.Array) -> np.ndarray:
    """Position in ``ids`` (unique) of each of ``values``; -1 where absent."""
    cand = np.flatnonzero(_np(pc.is_in(ids, value_set=pc.unique(values))))
    hit = _np(pc.fill_null(pc.index_in(values, value_set=ids.take(pa.array(cand))), -1))
    hit = hit.astype(np.int64)
    return np.where(hit >= 0, cand[np.maximum(hit, 0)] if len(cand) else -1, -1)
