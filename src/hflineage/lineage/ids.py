"""Model ids as Arrow arrays: names, owners and position look-ups used by the edge builder and the
relation rules.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


# Arrow compute: hashing 760,000 strings through pandas costs seconds.  The id look-ups
# (arrow_strings, lookup_rows) live in hflineage.data.schema: the race panel uses them too.
def name_part(ids: pa.Array) -> pa.Array:
    """Lower-cased repo name: the part after the owner (``org/Name`` → ``name``)."""
    return pc.replace_substring_regex(pc.utf8_lower(ids), r"^.*/", "")


def owner_part(ids: pa.Array) -> pa.Array:
    """Owner part of ``owner/name`` ids (null for un-namespaced ids)."""
    owner = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    return pc.if_else(pc.match_substring(ids, "/"), owner, pa.scalar(None, pa.large_string()))


def to_numpy(values: pa.Array) -> np.ndarray:
    """An Arrow array as a numpy array (copied when Arrow cannot share its memory)."""
    return values.to_numpy(zero_copy_only=False)
