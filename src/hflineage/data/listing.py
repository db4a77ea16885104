"""The ``/api/models`` listing shape (the embedded snapshot) -> the models table: base-model tags
parsed inside Arrow, creation dates checked, list columns kept Arrow-backed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SnapshotError
from .schema import (
    BACKFILL_END,
    BACKFILL_START,
    LISTING_REQUIRED,
    RELATIONS,
    count_column,
    empty_lists,
    end_of_day,
    first_pairs,
    group_lists,
    list_series,
    parse_created_at,
    require_columns,
    string_column,
    union_lists,
)

_TYPED_TAG = "^(?:" + "|".join(RELATIONS) + "):"


def parse_base_model_tags(tags: pa.ChunkedArray | pa.Array) -> tuple[pd.Series, pd.Series]:
    """Parse ``base_model:<id>`` and typed ``base_model:<relation>:<id>`` tags, vectorised.

    Returns ``(parents, relation)``: per row the list of declared parent ids (unique, in tag
    order) and the typed relation (the first typed tag's; null when no tag is typed).  The Hub
    writes both tags for one base (``base_model:org/x`` then ``base_model:finetune:org/x``): the
    relation is taken before duplicate parents are dropped.  All in Arrow (no Python per tag).
    """
    n = len(tags)
    array = list_series(tags).array._pa_array.combine_chunks()
    flat = pc.list_flatten(array)
    mask = pc.starts_with(flat, "base_model:")
    rows = pc.list_parent_indices(array).filter(mask).to_numpy().astype(np.int64)
    if len(rows) == 0:
        return empty_lists(n), pd.Series(pd.NA, index=range(n), dtype="string")
    body = pc.utf8_slice_codeunits(flat.filter(mask), 11)
    typed = pc.match_substring_regex(body, _TYPED_TAG)
    head = pc.list_element(pc.split_pattern(body, ":", max_splits=1), 0)
    relation = pc.if_else(typed, head, pa.scalar(None, head.type))
    parent = pc.if_else(typed, pc.replace_substring_regex(body, _TYPED_TAG, ""), body)
    ok = pc.greater(pc.utf8_length(parent), 0).to_numpy(zero_copy_only=False)
    rows, parent, relation = rows[ok], parent.filter(pa.array(ok)), relation.filter(pa.array(ok))
    # the first typed tag's relation, before de-duplicating parents
    has_rel = np.flatnonzero(pc.is_valid(relation).to_numpy(zero_copy_only=False))
    rel_rows, first = np.unique(rows[has_rel], return_index=True)
    which = np.full(n, -1, dtype=np.int64)
    which[rel_rows] = has_rel[first]
    rel = pd.Series(
        relation.take(pa.array(np.maximum(which, 0), mask=which < 0)),
        dtype=pd.ArrowDtype(relation.type),
    ).astype("string")
    keep = first_pairs(rows, parent)
    parents = group_lists(parent.take(pa.array(keep)), rows[keep], n)
    return parents, rel


def normalise_listing(
    table: pa.Table,
    *,
    source: object,
    hub_parents: pd.Series | None = None,
    hub_relation: pd.Series | None = None,
    card_parents: pd.Series | None = None,
    card_relation: pd.Series | None = None,
    params: pd.Series | None = None,
    downloads_all_time: pd.Series | None = None,
) -> pd.DataFrame:
    """Turn an ``/api/models``-listing-shaped table (``id``, ``createdAt``, ``likes``,
    ``downloads``, ``tags``, ...) into the models table; other shapes pass their extra fields.
    """
    require_columns(table, LISTING_REQUIRED, source)
    n = table.num_rows
    model_id = string_column(table, "id")
    if model_id.isna().any():
        raise SnapshotError(f"{source}: {int(model_id.isna().sum())} rows have no 'id'")
    dup = model_id.duplicated(keep=False)
    if dup.any():
        example = model_id[dup].iloc[0]
        raise SnapshotError(
            f"{source}: duplicate model_id ({int(model_id[dup].nunique())} ids repeated, "
            f"e.g. {example!r}); expected one row per model"
        )
    created = parse_created_at(table["createdAt"], source, "createdAt")
    tags = table["tags"]
    if not pa.types.is_list(tags.type) and not pa.types.is_large_list(tags.type):
        raise SnapshotError(f"{source}: column 'tags' is {tags.type}, expected a list of strings")
    tag_parents, tag_relation = parse_base_model_tags(tags)
    empty = empty_lists(n)
    hub_parents = empty if hub_parents is None else hub_parents.reset_index(drop=True)
    card_parents = empty if card_parents is None else card_parents.reset_index(drop=True)
    na = pd.Series(pd.NA, index=range(n), dtype="string")
    hub_relation = na if hub_relation is None else hub_relation.reset_index(drop=True)
    card_relation = na if card_relation is None else card_relation.reset_index(drop=True)
    ids = table["id"].cast(pa.large_string())
    owner = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    author = pd.Series(
        pc.if_else(pc.match_substring(ids, "/"), owner, pa.scalar(None, pa.large_string())),
        dtype=pd.ArrowDtype(pa.large_string()),
    ).astype("string")
    models = pd.DataFrame(
        {
            "model_id": model_id.astype(str),
            "author": author,
            "created_at": created,
            "created_at_reliable": ~created.between(BACKFILL_START, BACKFILL_END, inclusive="left"),
            "likes": count_column(table, "likes", source),
            "downloads": count_column(table, "downloads", source),
            "downloads_all_time": (
                pd.Series(pd.NA, index=range(n), dtype="Int64")
                if downloads_all_time is None
                else downloads_all_time.reset_index(drop=True).astype("Int64")
            ),
            "pipeline_tag": string_column(table, "pipeline_tag"),
            "library_name": string_column(table, "library_name"),
            "tags": list_series(tags),
            "declared_parents": union_lists(tag_parents, hub_parents, card_parents),
            "declared_relation": tag_relation.fillna(hub_relation).fillna(card_relation),
            "tag_parents": tag_parents,
            "tag_relation": tag_relation,
            "hub_parents": hub_parents,
            "hub_relation": hub_relation,
            "card_parents": card_parents,
            "card_relation": card_relation,
            "params": (
                pd.Series(pd.NA, index=range(n), dtype="Float64")
                if params is None
                else params.reset_index(drop=True).astype("Float64")
            ),
        }
    )
    models.attrs.update(
        {
            "source": str(source),
            "shape": "listing",
            # The listing was taken on the day of the last creation time it holds.
            "snapshot_date": end_of_day(created.max()) if n else pd.NaT,
        }
    )
    return models
