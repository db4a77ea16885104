r"""Today's Hub in the models-table schema: a ``cfahlgren1/hub-stats`` parquet or an API crawl.

Both readers end in :func:`hflineage.data.listing.normalise_listing`, so the lineage code sees one schema
whatever the source.  What each source adds to the plain ``/api/models`` listing:

``hub_parents`` / ``hub_relation``
    the Hub's own resolved parents, ``baseModels = {relation, models: [{_id, id}, ...]}`` (one
    relation per model, one or more parents).
``card_parents`` / ``card_relation``
    the model card's YAML ``base_model`` (a string *or* a list of strings) and
    ``base_model_relation`` (a string: ``finetune``, ``adapter``, ``quantized``, ``merge``).
``params``
    ``safetensors.total``, the parameter count the Hub computed from the safetensors headers.
``downloads_all_time``
    ``downloadsAllTime``.

What was verified about the real ``models.parquet`` (and where):

* columns ``id, author, createdAt, lastModified, likes, downloads, downloadsAllTime,
  trendingScore, tags, pipeline_tag, library_name, baseModels, safetensors, cardData`` appear in
  public DuckDB/pandas code that reads the file;
* ``baseModels`` is a struct ``{models: list<{_id, id}>, relation}`` (DuckDB code uses
  ``baseModels.relation`` and ``unnest(baseModels.models).id``; an October 2025 analysis of the
  file shows the same structure and the relation values finetune/adapter/quantized/merge);
* ``safetensors`` is a struct ``{parameters: {dtype: count}, total}``;
* ``cardData`` is queried with ``json_extract(cardData, '$.datasets')``, i.e. stored as **JSON
  text** (a Parquet struct could not hold ``base_model`` as both a string and a list).

Assumptions, coded defensively: ``cardData`` may also arrive as a struct (``base_model`` string or
list); ``safetensors`` may arrive as JSON text; snake-case column names (``created_at``,
``downloads_all_time``, ``base_models``, ``card_data``) are accepted as aliases.

Card fields are pulled out of the JSON text with vectorised regular expressions (pyarrow/RE2),
never with a Python loop over millions of rows.  The expressions match a top-level-looking key
(``{`` or ``,`` before ``"base_model"``), so text *inside* a string value (where quotes are
escaped) never matches; ``\uXXXX`` escapes inside a model id are not decoded (Hub ids are ASCII).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SnapshotError
from ..files import sha256_file
from .listing import normalise_listing
from .schema import (
    LISTING_REQUIRED,
    explode_arrow,
    first_pairs,
    group_lists,
    list_series,
    require_columns,
)

#: snake_case spellings seen in derived copies of hub-stats -> the API's camelCase names.
ALIASES = {
    "modelId": "id",
    "created_at": "createdAt",
    "downloads_all_time": "downloadsAllTime",
    "base_models": "baseModels",
    "card_data": "cardData",
    "pipelineTag": "pipeline_tag",
    "libraryName": "library_name",
}


BASE_MODELS_TYPE = pa.struct(
    [("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))]
)


_BASE_MODEL_RE = r'[{,]\s*"base_model"\s*:\s*(?P<v>\[[^\]]*\]|"(?:[^"\\]|\\.)*")'


_BASE_MODEL_RELATION_RE = r'[{,]\s*"base_model_relation"\s*:\s*"(?P<v>[^"\\]*)"'


_TOTAL_RE = r'[{,]\s*"total"\s*:\s*(?P<v>[0-9]+)'


def models_with_extras(
    table: pa.Table,
    source: object,
    card_parents: pd.Series,
    card_relation: pd.Series,
    *,
    shape: str,
) -> pd.DataFrame:
    """The models table of a listing-shaped ``table`` plus the fields only hub-stats and the crawl
    carry: ``baseModels``, the card's ``base_model``, ``safetensors`` totals, all-time downloads.
    """
    hub_parents, hub_relation = base_models_column(table, source)
    models = normalise_listing(
        table,
        source=source,
        hub_parents=hub_parents,
        hub_relation=hub_relation,
        card_parents=card_parents,
        card_relation=card_relation,
        params=_safetensors_total(table, source),
        downloads_all_time=_optional_int(table, "downloadsAllTime", source),
    )
    models.attrs["shape"] = shape
    return models


def models_from_hub_stats(table: pa.Table, *, source: object) -> pd.DataFrame:
    """The models table from a ``cfahlgren1/hub-stats`` ``models.parquet`` (as an Arrow table).

    Parents are taken from three declarations, kept apart so the lineage chapter can report how
    often each was used: ``base_model:`` tags (``tag_parents``), the Hub's resolved ``baseModels``
    (``hub_parents``/``hub_relation``) and the card's ``base_model`` (``card_parents``/
    ``card_relation``); ``declared_parents`` is their ordered union.  ``params`` is
    ``safetensors.total`` (null where the repo has no safetensors weights).

    If ``source`` is a file with a ``<file>.json`` sidecar written by
    :func:`hflineage.data.fetch.fetch_hub_stats`, the file's sha256 is checked against it and the
    pinned revision and its date are put in ``attrs`` (``revision``, ``snapshot_date``).
    """
    table = _apply_aliases(table)
    require_columns(table, LISTING_REQUIRED, source)
    card_parents, card_relation = _card_fields(table, source)
    models = models_with_extras(table, source, card_parents, card_relation, shape="hub-stats")
    _apply_sidecar(models, source)
    return models


def _apply_aliases(table: pa.Table) -> pa.Table:
    names = table.column_names
    renamed = [
        ALIASES[n] if n in ALIASES and ALIASES[n] not in names else n for n in table.column_names
    ]
    return table.rename_columns(renamed) if renamed != names else table


def _apply_sidecar(models: pd.DataFrame, source: object) -> None:
    if not isinstance(source, str | Path):
        return
    path = Path(source)
    sidecar = path.with_name(path.name + ".json")
    if not path.is_file() or not sidecar.is_file():
        return
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(
            f"{sidecar}: unreadable provenance sidecar ({exc}); expected the JSON written by "
            "`hflineage fetch --source hub-stats`"
        ) from None

    expected = meta.get("sha256")
    if expected:
        actual = sha256_file(path)
        if actual != expected:
            raise SnapshotError(
                f"{path}: checksum mismatch (sha256 {actual[:12]}…, {sidecar.name} expects "
                f"{expected[:12]}…); the file is damaged or was replaced: fetch it again"
            )
        models.attrs["sha256"] = actual
    for key in ("repo", "revision", "fetched_at"):
        if meta.get(key):
            models.attrs[key] = meta[key]
    date = meta.get("revision_date") or meta.get("fetched_at")
    if date:
        models.attrs["snapshot_date"] = as_utc(date)


def as_utc(moment: object) -> pd.Timestamp:
    """``moment`` as a UTC timestamp (a tz-naive one is taken to be UTC)."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _column(table: pa.Table, name: str) -> pa.Array | None:
    if name not in table.column_names:
        return None
    col = table[name]
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _is_text(type_: pa.DataType) -> bool:
    return pa.types.is_string(type_) or pa.types.is_large_string(type_)


def _is_list(type_: pa.DataType) -> bool:
    return pa.types.is_list(type_) or pa.types.is_large_list(type_)


def _na_strings(n: int) -> pd.Series:
    return pd.Series(pd.NA, index=range(n), dtype="string")


def _strings(array: pa.Array) -> pd.Series:
    """A pandas ``string`` Series from an Arrow string array (nulls and '' become NA)."""
    array = array.cast(pa.large_string())
    array = pc.if_else(pc.equal(pc.utf8_trim_whitespace(array), ""), None, array)
    return pd.Series(array, dtype=pd.ArrowDtype(pa.large_string())).astype("string")


def _lists_from_long(rows: np.ndarray, values: pa.Array, n: int) -> pd.Series:
    """Per-row ordered unique lists from (row, value) pairs; blank values are dropped."""
    values = pc.utf8_trim_whitespace(values.cast(pa.large_string()))
    values = pc.replace_substring(values, "\\/", "/")  # a JSON-escaped slash
    keep = pc.fill_null(pc.greater(pc.utf8_length(values), 0), False).to_numpy(zero_copy_only=False)
    rows = np.asarray(rows, dtype=np.int64)[keep]
    values = values.filter(pa.array(keep))
    first = first_pairs(rows, values)
    return group_lists(values.take(pa.array(first)), rows[first], n)


def _list_column(array: pa.Array, n: int) -> pd.Series:
    """Ordered unique non-blank strings per row from a list<string> array."""
    rows, values = explode_arrow(list_series(array.cast(pa.large_list(pa.large_string()))))
    return _lists_from_long(rows, values, n)


def base_models_column(
    table: pa.Table, source: object
) -> tuple[pd.Series | None, pd.Series | None]:
    """``hub_parents`` and ``hub_relation`` from ``baseModels {relation, models: [{id}]}``."""
    array = _column(table, "baseModels")
    if array is None:
        return None, None
    n = len(array)
    if pa.types.is_null(array.type):
        return None, None
    if not pa.types.is_struct(array.type) or array.type.get_field_index("models") < 0:
        raise SnapshotError(
            f"{source}: column 'baseModels' is {array.type}, expected a struct "
            "{relation: string, models: list<struct<id: string>>}"
        )
    models = pc.struct_field(array, "models")
    if not _is_list(models.type):
        raise SnapshotError(
            f"{source}: baseModels.models is {models.type}, expected a list of {{id}} structs"
        )
    flat = pc.list_flatten(models)
    rows = pc.list_parent_indices(models).to_numpy()
    if pa.types.is_struct(flat.type):
        if flat.type.get_field_index("id") < 0:
            raise SnapshotError(f"{source}: baseModels.models items have no 'id' field")
        flat = pc.struct_field(flat, "id")
    parents = _lists_from_long(rows, flat, n)
    if array.type.get_field_index("relation") >= 0:
        relation = _strings(pc.utf8_lower(pc.struct_field(array, "relation").cast(pa.string())))
        relation = relation.where(parents.list.len().to_numpy() > 0, pd.NA)
    else:
        relation = _na_strings(n)
    return parents, relation


def _card_fields(table: pa.Table, source: object) -> tuple[pd.Series | None, pd.Series | None]:
    """``card_parents`` and ``card_relation`` from ``cardData`` (JSON text or a struct)."""
    array = _column(table, "cardData")
    if array is None or pa.types.is_null(array.type):
        return None, None
    if _is_text(array.type):
        return card_fields_from_text(array)
    if pa.types.is_struct(array.type):
        n = len(array)
        parents = relation = None
        if array.type.get_field_index("base_model") >= 0:
            field = pc.struct_field(array, "base_model")
            if _is_text(field.type):
                field = pc.if_else(
                    pc.is_null(field),
                    pa.scalar(None, pa.large_list(pa.large_string())),
                    pa.LargeListArray.from_arrays(
                        pa.array(np.arange(n + 1, dtype=np.int64)),
                        pc.fill_null(field.cast(pa.large_string()), ""),
                    ),
                )
            if not _is_list(field.type):
                raise SnapshotError(
                    f"{source}: cardData.base_model is {field.type}, expected a string or a list "
                    "of strings"
                )
            parents = _list_column(field, n)
        if array.type.get_field_index("base_model_relation") >= 0:
            field = pc.struct_field(array, "base_model_relation")
            relation = (
                _strings(pc.utf8_lower(field.cast(pa.string())))
                if _is_text(field.type)
                else _na_strings(n)
            )
        return parents, relation
    raise SnapshotError(
        f"{source}: column 'cardData' is {array.type}, expected JSON text or a struct"
    )


def card_fields_from_text(text: pa.Array) -> tuple[pd.Series, pd.Series]:
    """``card_parents`` and ``card_relation`` from JSON text holding a card's metadata.

    ``text`` is one JSON document per row (a hub-stats ``cardData`` value, or a whole
    ``/api/models`` record).  ``base_model`` may be a string or a list of strings;
    ``base_model_relation`` a string.  Vectorised with RE2 expressions (no Python per row).
    """
    return card_fields_from_values(*extract_card_values(text))


def extract_card_values(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Per row, the raw JSON text of the card's ``base_model`` value (``'"a/b"'`` or
    ``'["a/b", "c/d"]'``) and the ``base_model_relation`` string; null where absent.
    """
    text = text.cast(pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    # the regular expressions run only on the texts that mention the key at all (a literal
    # search is several times faster than a regex; most cards declare no base model)
    has = pc.fill_null(pc.match_substring(text, '"base_model'), False)
    rows = np.flatnonzero(has.to_numpy(zero_copy_only=False))
    some = text.take(pa.array(rows))
    value = pc.struct_field(pc.extract_regex(some, _BASE_MODEL_RE), "v")
    relation = pc.struct_field(pc.extract_regex(some, _BASE_MODEL_RELATION_RE), "v")
    where = np.full(len(text), -1, dtype=np.int64)
    where[rows] = np.arange(len(rows))
    index = pa.array(np.maximum(where, 0), mask=where < 0)
    return value.take(index), relation.take(index)


def card_fields_from_values(value: pa.Array, relation: pa.Array) -> tuple[pd.Series, pd.Series]:
    """``card_parents`` and ``card_relation`` from :func:`extract_card_values` output."""
    n = len(value)
    # '["a/b", "c/d"]' or '"a/b"': the quoted strings are the odd pieces between '"' characters
    # (model ids contain no quotes; ``null`` and numbers fall in the even pieces and are dropped).
    pieces = pc.split_pattern(value.cast(pa.large_string()), '"')
    flat = pc.list_flatten(pieces)
    parent = pc.list_parent_indices(pieces).to_numpy()
    offsets = pieces.offsets.to_numpy()[:-1]
    position = np.arange(len(flat)) - offsets[parent] if len(flat) else np.array([], np.int64)
    odd = position % 2 == 1
    parents = _lists_from_long(parent[odd], flat.filter(pa.array(odd)), n)
    return parents, _strings(pc.utf8_lower(relation.cast(pa.large_string())))


def _safetensors_total(table: pa.Table, source: object) -> pd.Series | None:
    array = _column(table, "safetensors")
    if array is None or pa.types.is_null(array.type):
        return None
    if pa.types.is_struct(array.type):
        if array.type.get_field_index("total") < 0:
            return None
        total = pc.struct_field(array, "total")
    elif _is_text(array.type):
        total = pc.struct_field(pc.extract_regex(array.cast(pa.large_string()), _TOTAL_RE), "v")
    else:
        raise SnapshotError(
            f"{source}: column 'safetensors' is {array.type}, expected a struct {{total, ...}}"
        )
    try:
        total = total.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise SnapshotError(
            f"{source}: safetensors.total is not numeric (expected a parameter count)"
        ) from None
    return pd.Series(total, dtype=pd.ArrowDtype(pa.float64())).astype("Float64")


def _optional_int(table: pa.Table, name: str, source: object) -> pd.Series | None:
    array = _column(table, name)
    if array is None:
        return None
    try:
        array = array.cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise SnapshotError(
            f"{source}: column {name!r} has non-integer values (expected download counts)"
        ) from None
    return pd.Series(array, dtype=pd.ArrowDtype(pa.int64())).astype("Int64")
