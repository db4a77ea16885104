"""The models table: one validated schema for every snapshot shape.

``load_snapshot`` reads one of three input shapes and returns the same table:

(a) the embedded 2024-07-11 ``/api/models`` listing (``data/snapshots/hf-models-2024-07-11.parquet``,
    the default; its sha256 is checked against ``data/manifest.json``);
(b) a ``cfahlgren1/hub-stats`` ``models.parquet`` (fields such as ``baseModels``, ``downloadsAllTime``,
    ``safetensors``, ``cardData``), see :mod:`hflineage.sources`;
(c) the JSONL cache written by ``hflineage fetch --source api`` (a ``.jsonl`` file or a folder of
    ``chunk-*.jsonl`` files), see :mod:`hflineage.sources`.

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

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import SnapshotError
from .files import sha256_file

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
SNAPSHOT_DIR = DATA_DIR / "snapshots"
MANIFEST = DATA_DIR / "manifest.json"
EMBEDDED_NAME = "hf-models-2024-07-11.parquet"
EMBEDDED_SNAPSHOT = SNAPSHOT_DIR / EMBEDDED_NAME

#: The Hub back-filled the creation date of repositories older than its ``createdAt`` field with
#: 2022-03-02 23:29 UTC (29,990 rows of the embedded snapshot).  Their true date is unknown.
BACKFILL_START = pd.Timestamp("2022-03-02 23:29:00", tz="UTC")
BACKFILL_END = pd.Timestamp("2022-03-02 23:30:00", tz="UTC")

#: Relation names as the Hub spells them in ``base_model:<relation>:<id>`` tags.
RELATIONS = ("finetune", "adapter", "quantized", "merge")

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


def load_snapshot(path: str | Path | None = None, *, verify: bool = True) -> pd.DataFrame:
    """Return the models table (schema in the module docstring) from a snapshot file.

    ``path=None`` reads the embedded 2024-07-11 listing and, with ``verify=True``, checks its
    sha256 against ``data/manifest.json``.  Any problem raises :class:`SnapshotError` with a
    one-line message naming the file and what was expected.
    """
    path = resolve_snapshot(path)
    if not path.exists():
        raise SnapshotError(
            f"{path}: no such file or folder (expected a snapshot Parquet or JSONL)"
        )
    if path.is_dir() or path.suffix in {".jsonl", ".json", ".gz"}:
        from .sources import models_from_crawl

        return models_from_crawl(path)
    sha = None
    if verify and path.resolve().parent == SNAPSHOT_DIR.resolve():
        sha = verify_checksum(path)
    table = read_parquet(path)
    names = set(table.column_names)
    if "baseModels" in names or "downloadsAllTime" in names:
        from .sources import models_from_hub_stats

        models = models_from_hub_stats(table, source=path)
    else:
        models = normalise_listing(table, source=path)
    meta = table.schema.metadata or {}
    if b"hflineage.snapshot_date" in meta:
        models.attrs["snapshot_date"] = pd.Timestamp(meta[b"hflineage.snapshot_date"].decode())
    if b"hflineage.subset" in meta:
        models.attrs["subset"] = meta[b"hflineage.subset"].decode()
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
    ``api:latest`` → the newest fetched file/folder in ``data/snapshots``; else the path itself."""
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


def read_parquet(path: Path) -> pa.Table:
    """Read a Parquet file, turning a non-Parquet file into a one-line :class:`SnapshotError`."""
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SnapshotError(f"{path}: not a readable Parquet file ({first})") from None


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


def _string(table: pa.Table, name: str) -> pd.Series:
    if name not in table.column_names:
        return pd.Series(pd.NA, index=range(table.num_rows), dtype="string")
    return (
        table[name].cast(pa.large_string()).to_pandas(types_mapper=pd.ArrowDtype).astype("string")
    )


def _count(table: pa.Table, name: str, source: object) -> pd.Series:
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


def _empty_lists(n: int) -> pd.Series:
    offsets = pa.array(np.zeros(n + 1, dtype=np.int64))
    return list_series(pa.LargeListArray.from_arrays(offsets, pa.array([], pa.large_string())))


def explode_lists(series: pd.Series) -> pd.DataFrame:
    """Long form of a list column: one row per element, with ``row`` (position) and ``value``."""
    array = (
        pa.array(series, type=LIST_TYPE)
        if not isinstance(series.dtype, pd.ArrowDtype)
        else (pa.chunked_array(series.array._pa_array).combine_chunks().cast(LIST_TYPE))
    )
    if array.null_count:
        array = pc.fill_null(array, pa.scalar([], LIST_TYPE))
    return pd.DataFrame(
        {
            "row": pc.list_parent_indices(array).to_numpy(),
            "value": pc.list_flatten(array).to_numpy(zero_copy_only=False),
        }
    )


def group_lists(values: np.ndarray, rows: np.ndarray, n: int) -> pd.Series:
    """Gather ``values`` into one list per row (``rows`` gives each value's row), order kept."""
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    flat = pa.array(values[order], type=pa.large_string())
    return list_series(pa.LargeListArray.from_arrays(pa.array(offsets), flat))


def parse_base_model_tags(tags: pa.ChunkedArray | pa.Array) -> tuple[pd.Series, pd.Series]:
    """Parse ``base_model:<id>`` and typed ``base_model:<relation>:<id>`` tags, vectorised.

    Returns ``(parents, relation)``: per row the list of declared parent ids (unique, in tag
    order) and the typed relation (the first typed tag's; null when no tag is typed).
    """
    n = len(tags)
    array = list_series(tags).array._pa_array.combine_chunks()
    flat = pc.list_flatten(array)
    mask = pc.starts_with(flat, "base_model:")
    # filter in Arrow: only the ~1.5% of tags that declare lineage become Python objects
    long = pd.DataFrame(
        {
            "row": pc.list_parent_indices(array).filter(mask).to_numpy(),
            "value": flat.filter(mask).to_numpy(zero_copy_only=False),
        }
    )
    if long.empty:
        return _empty_lists(n), pd.Series(pd.NA, index=range(n), dtype="string")
    body = long["value"].str.slice(11)
    parts = body.str.split(":", n=1, expand=True)
    if parts.shape[1] == 1:
        parts[1] = None
    typed = (parts[0].isin(RELATIONS) & parts[1].notna()).to_numpy(bool)
    frame = pd.DataFrame(
        {
            "row": long["row"].to_numpy(),
            "parent": np.where(typed, parts[1], body).astype(object),
            "relation": np.where(typed, parts[0], None).astype(object),
        }
    )
    frame = frame[frame["parent"].str.len() > 0].drop_duplicates(["row", "parent"])
    parents = group_lists(frame["parent"].to_numpy(object), frame["row"].to_numpy(), n)
    first_rel = frame.dropna(subset=["relation"]).drop_duplicates("row")
    rel = pd.Series(pd.NA, index=range(n), dtype="string")
    rel.iloc[first_rel["row"].to_numpy()] = first_rel["relation"].to_numpy()
    return parents, rel


def union_lists(*columns: pd.Series) -> pd.Series:
    """Per row, the ordered unique union of several list columns."""
    n = len(columns[0])
    both = pd.concat([explode_lists(c) for c in columns], ignore_index=True)
    both = both.drop_duplicates(["row", "value"])
    return group_lists(both["value"].to_numpy(object), both["row"].to_numpy(), n)


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
    ``downloads``, ``tags``, ...) into the models table; other shapes pass their extra fields."""
    require_columns(table, LISTING_REQUIRED, source)
    n = table.num_rows
    model_id = _string(table, "id")
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
    empty = _empty_lists(n)
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
            "likes": _count(table, "likes", source),
            "downloads": _count(table, "downloads", source),
            "downloads_all_time": (
                pd.Series(pd.NA, index=range(n), dtype="Int64")
                if downloads_all_time is None
                else downloads_all_time.reset_index(drop=True).astype("Int64")
            ),
            "pipeline_tag": _string(table, "pipeline_tag"),
            "library_name": _string(table, "library_name"),
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


def snapshot_date(models: pd.DataFrame) -> pd.Timestamp:
    """The time the snapshot was taken (UTC): ``attrs['snapshot_date']``, else the end of the day
    of the last creation time.  Windowed measures censor focal models whose window passes it."""
    date = models.attrs.get("snapshot_date")
    if date is not None and not pd.isna(date):
        return pd.Timestamp(date)
    return end_of_day(models["created_at"].max())


def end_of_day(moment: pd.Timestamp) -> pd.Timestamp:
    """23:59:59 UTC of the day of ``moment``: a listing taken that day saw everything before."""
    return moment.floor("D") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


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
    from .files import atomic_path

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
