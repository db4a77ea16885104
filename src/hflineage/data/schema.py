"""The models table: one validated schema for every snapshot shape.

``hflineage.data.load.load_snapshot`` reads one of three input shapes and returns the same table:

(a) the embedded 2024-07-11 ``/api/models`` listing (``data/snapshots/hf-models-2024-07-11.parquet``,
    the default; its sha256 is checked against ``data/manifest.json``);
(b) a ``cfahlgren1/hub-stats`` ``models.parquet`` (fields such as ``baseModels``, ``downloadsAllTime``,
    ``safetensors``, ``cardData``), see :mod:`hflineage.data.hub_stats`;
(c) the JSONL cache written by ``hflineage fetch --source api`` (a ``.jsonl`` file or a folder of
    ``chunk-*.jsonl`` files), see :mod:`hflineage.data.hub_stats`.

Schema (one row per model; a duplicate ``model_id`` is an error):

==========================  ==================  ===================================================
column                      dtype               meaning
==========================  ==================  ===================================================
model_id                    str                 repo id ``owner/name``
author                      str (nullable)      the owner part of ``model_id``
created_at                  datetime64[us, UTC] repo creation time
created_at_reliable         bool                False for the 2022-03-02 23:29 back-filled dates
likes                       int64               cumulative likes at the snapshot
downloads                   int64               downloads in the ~30 days before the snapshot
downloads_all_time          Int64 (nullable)    all-time downloads (hub-stats only)
pipeline_tag                str (nullable)      task, e.g. ``text-generation``
library_name                str (nullable)      e.g. ``transformers``, ``peft``, ``gguf``
tags                        list[str]           all Hub tags
declared_parents            list[str]           every declared base model, in source order, unique
declared_relation           str (nullable)      relation declared by the Hub (typed tag, hub-stats
                                                ``baseModels.relation`` or card ``base_model_relation``)
tag_parents                 list[str]           parents from ``base_model:[<rel>:]<id>`` tags
tag_relation                str (nullable)      relation of the typed tags (null when untyped)
hub_parents                 list[str]           parents from hub-stats ``baseModels.models``
hub_relation                str (nullable)      hub-stats ``baseModels.relation``
card_parents                list[str]           parents from the card's ``base_model`` field
card_relation               str (nullable)      the card's ``base_model_relation``
params                      Float64 (nullable)  parameter count where the data has it (safetensors)
==========================  ==================  ===================================================

The table's ``attrs`` carry ``snapshot_date`` (UTC timestamp the listing was taken), ``source``
(file path), ``shape`` (``listing``, ``hub-stats``, ``crawl``) and ``sha256`` where known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SnapshotError

#: The Hub back-filled the creation date of repositories older than its ``createdAt`` field with
#: 2022-03-02 23:29 UTC (29,990 rows of the embedded snapshot).  Their true date is unknown.
BACKFILL_START = pd.Timestamp("2022-03-02 23:29:00", tz="UTC")


BACKFILL_END = pd.Timestamp("2022-03-02 23:30:00", tz="UTC")


#: Relation names as the Hub spells them in ``base_model:<relation>:<id>`` tags.
RELATIONS = ("finetune", "adapter", "quantized", "merge")


#: The Hub's per-model fields the models table is made from (besides ``id``), in the order the
#: API crawl asks for them (``/api/models?expand=...``) and a snapshot file is read by.
#: ``baseModels`` is the Hub's resolved ``{relation, models: [{id}]}``; ``cardData`` carries the
#: card's ``base_model`` / ``base_model_relation``; ``safetensors.total`` the parameter count.
HUB_FIELDS = (
    "createdAt",
    "likes",
    "downloads",
    "downloadsAllTime",
    "tags",
    "pipeline_tag",
    "library_name",
    "cardData",
    "safetensors",
    "baseModels",
)


#: Columns an API-listing-shaped table must have.
LISTING_REQUIRED = ("id", "createdAt", "likes", "downloads", "tags")


SCHEMA_COLUMNS = (
    "model_id",
    "author",
    "created_at",
    "created_at_reliable",
    "likes",
    "downloads",
    "downloads_all_time",
    "pipeline_tag",
    "library_name",
    "tags",
    "declared_parents",
    "declared_relation",
    "tag_parents",
    "tag_relation",
    "hub_parents",
    "hub_relation",
    "card_parents",
    "card_relation",
    "params",
)


def require_columns(
    table: pa.Table | pd.DataFrame, columns: tuple[str, ...], source: object
) -> None:
    """Raise :class:`SnapshotError` naming the first missing column."""
    names = table.column_names if isinstance(table, pa.Table) else list(table.columns)
    missing = [c for c in columns if c not in names]
    if missing:
        raise SnapshotError(
            f"{source}: missing required column {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + f"; expected at least {', '.join(columns)}"
        )


def string_column(table: pa.Table, name: str) -> pd.Series:
    """Column ``name`` of ``table`` as a pandas string Series (all missing if there is none)."""
    if name not in table.column_names:
        return pd.Series(pd.NA, index=range(table.num_rows), dtype="string")
    return (
        table[name].cast(pa.large_string()).to_pandas(types_mapper=pd.ArrowDtype).astype("string")
    )


def count_column(table: pa.Table, name: str, source: object) -> pd.Series:
    """Column ``name`` as integer counts, missing as 0 (``source`` names the file in errors)."""
    col = table[name]
    if not pa.types.is_integer(col.type) and not pa.types.is_floating(col.type):
        try:
            col = pc.cast(col, pa.int64())
        except pa.ArrowInvalid:
            raise SnapshotError(
                f"{source}: column {name!r} has non-numeric values (expected integer counts)"
            ) from None
    return pd.Series(col.to_numpy(zero_copy_only=False), dtype="float64").fillna(0).astype("int64")


def parse_created_at(values: pa.ChunkedArray | pa.Array, source: object, column: str) -> pd.Series:
    """Parse creation times to UTC; raise :class:`SnapshotError` naming an unparsable value."""
    if pa.types.is_timestamp(values.type):
        series = values.to_pandas()
        if series.dt.tz is None:
            series = series.dt.tz_localize("UTC")
        return series.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    raw = pd.Series(values.to_pandas(), dtype="object")
    parsed = pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        example = raw[bad].iloc[0]
        raise SnapshotError(
            f"{source}: {int(bad.sum())} unparsable dates in column {column!r} "
            f"(e.g. {example!r}; expected ISO 8601 timestamps)"
        )
    return parsed.astype("datetime64[us, UTC]")


LIST_TYPE = pa.large_list(pa.large_string())


def list_series(array: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Wrap an Arrow list-of-strings array as a pandas Series (Arrow-backed: no per-row objects)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(LIST_TYPE)
    if array.null_count:
        array = pc.fill_null(array, pa.scalar([], LIST_TYPE))
    return pd.Series(array, dtype=pd.ArrowDtype(LIST_TYPE))


def empty_lists(n: int) -> pd.Series:
    """``n`` empty string lists (the list column of a table that has none)."""
    offsets = pa.array(np.zeros(n + 1, dtype=np.int64))
    return list_series(pa.LargeListArray.from_arrays(offsets, pa.array([], pa.large_string())))


def list_array(series: pd.Series) -> pa.LargeListArray:
    """A list column as one Arrow ``large_list<large_string>`` array (nulls as empty lists)."""
    array = (
        pa.array(series, type=LIST_TYPE)
        if not isinstance(series.dtype, pd.ArrowDtype)
        else (pa.chunked_array(series.array._pa_array).combine_chunks().cast(LIST_TYPE))
    )
    if array.null_count:
        array = pc.fill_null(array, pa.scalar([], LIST_TYPE))
    return array


def explode_arrow(series: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Long form of a list column without Python objects: (row of each element, elements)."""
    array = list_array(series)
    return pc.list_parent_indices(array).to_numpy().astype(np.int64), pc.list_flatten(array)


def explode_lists(series: pd.Series) -> pd.DataFrame:
    """Long form of a list column: one row per element, with ``row`` (position) and ``value``."""
    rows, values = explode_arrow(series)
    return pd.DataFrame({"row": rows, "value": values.to_numpy(zero_copy_only=False)})


def group_lists(values: np.ndarray | pa.Array, rows: np.ndarray, n: int) -> pd.Series:
    """Gather ``values`` into one list per row (``rows`` gives each value's row), order kept."""
    rows = np.asarray(rows, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        flat = values.cast(pa.large_string()).take(pa.array(order))
        if isinstance(flat, pa.ChunkedArray):
            flat = flat.combine_chunks()
    else:
        flat = pa.array(values[order], type=pa.large_string())
    return list_series(pa.LargeListArray.from_arrays(pa.array(offsets), flat))


def first_pairs(rows: np.ndarray, values: pa.Array, extra: np.ndarray | None = None) -> np.ndarray:
    """Positions of the first occurrence of every distinct (row, value[, extra]) combination,
    ascending (the order of the input is kept): strings are coded by Arrow, pairs found by one
    sort.  ``extra`` is a small non-negative integer code (e.g. a phase) that is part of the key.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.where(pc.is_null(values).to_numpy(zero_copy_only=False), -1, codes) + 1
    key = rows * (int(codes.max()) + 1) + codes
    if extra is not None:
        extra = np.asarray(extra, dtype=np.int64)
        key = key * (int(extra.max()) + 1) + extra
    _, first = np.unique(key, return_index=True)  # the sorting form (fast)
    return np.sort(first)


def union_lists(*columns: pd.Series) -> pd.Series:
    """Per row, the ordered unique union of several list columns."""
    n = len(columns[0])
    parts = [explode_arrow(c) for c in columns]
    rows = np.concatenate([r for r, _ in parts])
    values = pa.concat_arrays([v.cast(pa.large_string()) for _, v in parts])
    keep = first_pairs(rows, values)
    return group_lists(values.take(pa.array(keep)), rows[keep], n)


def arrow_strings(values: pd.Series | np.ndarray) -> pa.Array:
    """A pandas string column (or object array) as one Arrow ``large_string`` array (zero-copy
    where the column is Arrow-backed already).
    """
    if isinstance(values, pd.Series) and not isinstance(values.dtype, np.dtype):
        # the column's array, not the Series: pa.array(Series) asks the Series for
        # ``__arrow_array__``, and pandas answers by hashing the index (seconds at 3M ids)
        arr = pa.array(values.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return arr.cast(pa.large_string())
    return pa.array(np.asarray(values, dtype=object), pa.large_string())


def lookup_rows(values: pa.Array, ids: pa.Array) -> np.ndarray:
    """Position in ``ids`` (unique) of each of ``values``; -1 where absent.

    Arrow hash sets on the distinct values only: ``pd.Index(ids).get_indexer(values)`` on 3
    million model ids spends seconds hashing Python strings.
    """
    cand = np.flatnonzero(pc.is_in(ids, value_set=pc.unique(values)).to_numpy(zero_copy_only=False))
    hit = pc.fill_null(pc.index_in(values, value_set=ids.take(pa.array(cand))), -1)
    hit = hit.to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(hit >= 0, cand[np.maximum(hit, 0)] if len(cand) else -1, -1)


def _arrow_chunks(values: pd.Series) -> list[pa.Array]:
    """A pandas column of ids as Arrow large_string chunks (no copy for Arrow-backed columns)."""
    array = values.array
    if hasattr(array, "_pa_array"):
        chunked = array._pa_array
    else:
        chunked = pa.chunked_array([pa.array(np.asarray(values, dtype=object), pa.large_string())])
    if chunked.type != pa.large_string():
        chunked = chunked.cast(pa.large_string())
    return list(chunked.chunks) or [pa.array([], pa.large_string())]


def frame_edge_rows(
    models: pd.DataFrame, edges: pd.DataFrame
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """:func:`edge_rows` of a models table and its edges, trusting the edges' own ``child_row``
    / ``parent_row`` (written by :func:`hflineage.lineage.edges.build_edges`) once they are
    checked against these ids: every child and every found parent is the id in its row, and no
    parent marked absent is a model here (3 million models: 0.2 s, against 1.3-1.7 s for the
    hash pass).  Edges of another table (a subset, another order) fail the check and are
    looked up by id.
    """
    ids = pa.chunked_array(_arrow_chunks(models["model_id"]), pa.large_string()).combine_chunks()
    if "child_row" in edges.columns and "parent_row" in edges.columns:
        c = edges["child_row"].to_numpy(np.int64)
        p = edges["parent_row"].to_numpy(np.int64)
        n = len(ids)
        if len(c) == 0 or (c.min() >= 0 and c.max() < n and p.max() < n):
            child = pa.chunked_array(_arrow_chunks(edges["child"]), pa.large_string())
            parent = pa.chunked_array(_arrow_chunks(edges["parent"]), pa.large_string())
            have = p >= 0
            absent = parent.filter(pa.array(~have))
            if (
                ids.take(pa.array(c)).equals(child.combine_chunks())
                and ids.take(pa.array(p[have])).equals(
                    parent.filter(pa.array(have)).combine_chunks()
                )
                and not pc.any(pc.is_in(ids, value_set=pc.unique(absent))).as_py()
            ):
                return ids, c, p
    return edge_rows(models["model_id"], edges["child"], edges["parent"])


def edge_rows(
    model_id: pd.Series, child: pd.Series, parent: pd.Series
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """The model ids as one Arrow array, and the row of each edge's child and parent among them
    (-1 where the id is not a model), in one hash pass over all three columns.

    Arrow's dictionary codes follow first appearance, so the ids are unique exactly when the
    first ``n`` codes are ``0 .. n-1``, and an edge id with a code below ``n`` is the model in
    that row (3 million models, 0.9 million edges: 1.7 s, against 1.2 s per separate look-up).

    Raises:
        SnapshotError: a model id appears twice.
    """
    id_chunks = _arrow_chunks(model_id)
    ids = pa.chunked_array(id_chunks, pa.large_string()).combine_chunks()
    n, n_e = len(ids), len(child)
    encoded = pc.dictionary_encode(
        pa.chunked_array(
            id_chunks + _arrow_chunks(child) + _arrow_chunks(parent), pa.large_string()
        )
    )
    codes = np.concatenate(
        [np.zeros(0, dtype=np.int64)]
        + [c.indices.to_numpy(zero_copy_only=False).astype(np.int64) for c in encoded.chunks]
    )
    if not np.array_equal(codes[:n], np.arange(n)):
        raise SnapshotError("models: duplicate model_id; expected one row per model")
    rows = np.where(codes[n:] < n, codes[n:], -1)
    return ids, rows[:n_e], rows[n_e:]


def string_codes(values: pa.Array) -> np.ndarray:
    """Integer codes of a string array by one Arrow hash pass (equal strings, equal codes, in
    order of first appearance; nulls share one code).
    """
    encoded = pc.dictionary_encode(pc.fill_null(values, ""))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """Sorted unique values of an integer array, by one sort and a mask.

    Same result as ``np.unique(values)``, which numpy >= 2.3 computes with a hash table that is
    pathologically slow on large int64 keys (10 million (row * n + col) keys: 31 s, against 0.2 s
    here); the ``return_index``/``return_inverse`` forms still sort and are fine.
    """
    values = np.sort(np.asarray(values), kind="quicksort")
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def snapshot_date(models: pd.DataFrame) -> pd.Timestamp:
    """The time the snapshot was taken (UTC): ``attrs['snapshot_date']``, else the end of the day
    of the last creation time.  Windowed measures censor focal models whose window passes it.
    """
    date = models.attrs.get("snapshot_date")
    if date is not None and not pd.isna(date):
        return pd.Timestamp(date)
    return end_of_day(models["created_at"].max())


def end_of_day(moment: pd.Timestamp) -> pd.Timestamp:
    """23:59:59 UTC of the day of ``moment``: a listing taken that day saw everything before."""
    return moment.floor("D") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
