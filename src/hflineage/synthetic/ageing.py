"""A later snapshot derived from an earlier one — new models, new likes, changed downloads,
deletions — for testing two-snapshot designs (benchmarks and tests only, never results).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import DAY_US, DAYS_PER_YEAR
from ..data.hub_stats import as_utc, base_models_column
from ..data.listing import parse_base_model_tags
from ..data.schema import end_of_day
from ..errors import ParameterError, SnapshotError
from .arrays import hex_ids, single_chunk
from .attachment import (
    attach_parents,
    attractiveness,
    creation_days,
    derivative_eligible,
    draw_relations,
)
from .calibration import ATTACHMENT, CALIBRATION, RELATIONS_ORDER, Attachment, Calibration
from .files import label_synthetic
from .generator import Draft, ExternalBases, assemble_table, shuffle_draft


# ------------------------------------------------------------------------------------------------
# A later snapshot
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ageing:
    """How a snapshot changes over ``days`` (assumptions, not measurements)."""

    deletion_per_year: float = 0.08  #: yearly deletion hazard of a model without likes
    liked_deletion_factor: float = 0.25  #: hazard of a liked model relative to that
    like_rate_decay: float = 0.5  #: a model keeps gaining likes at this share of its past rate
    like_base_per_year: float = 0.05  #: likes a year for any model (discovery)
    downloads_sigma: float = 0.6  #: log-normal noise of the next 30-day downloads


AGEING = Ageing()


def _table_date(table: pa.Table) -> pd.Timestamp:
    meta = table.schema.metadata or {}
    if b"hflineage.snapshot_date" in meta:
        return as_utc(meta[b"hflineage.snapshot_date"].decode())
    created = pc.max(table["createdAt"].cast(pa.timestamp("us", tz="UTC"))).as_py()
    return end_of_day(as_utc(created))


def _times_us(table: pa.Table) -> np.ndarray:
    """Creation times (UTC µs) of every row (text dates parsed as ISO 8601)."""
    col = table["createdAt"]
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.timestamp("us", tz="UTC" if col.type.tz else None))
        return pc.cast(col, pa.int64()).to_numpy()
    stamps = pd.to_datetime(col.to_pandas(), utc=True, format="ISO8601")
    return stamps.dt.as_unit("us").astype("int64").to_numpy()


def _in_degree(table: pa.Table) -> np.ndarray:
    """Declared-derivative count of every row (``baseModels`` if present, else base_model tags)."""
    ids = pd.Index(table["id"].to_numpy(zero_copy_only=False))
    if "baseModels" in table.column_names:
        parents, _ = base_models_column(table, "table")
    else:
        parents, _ = parse_base_model_tags(table["tags"])
    flat = pc.list_flatten(parents.array._pa_array.combine_chunks())
    pos = ids.get_indexer(flat.to_numpy(zero_copy_only=False))
    return np.bincount(pos[pos >= 0], minlength=len(ids))


def age_snapshot(
    table: pa.Table,
    days: float,
    seed: int = 0,
    *,
    calibration: Calibration = CALIBRATION,
    attachment: Attachment = ATTACHMENT,
    ageing: Ageing = AGEING,
) -> pa.Table:
    """The snapshot ``days`` later, derived from an earlier one (hub-stats or listing shaped).

    Between the two dates: models are deleted (hazard :class:`Ageing`, lower for liked models);
    every survivor gains likes (part of its past rate, plus a little discovery) and gets new
    30-day downloads (all-time downloads grow by them); new models are created at the calibrated
    growth rate, their bases drawn among every earlier surviving model (existing ones weighted by
    the derivatives they already have, new ones as in :func:`synthetic_hub_stats`).
    ``baseModels`` entries naming deleted models are dropped (their cards and tags still name
    them).  A listing-shaped input (no ``baseModels``) gets new rows whose every declared base is
    a ``base_model:`` tag, as in the 2024 listing.

    Returns the later table with the input's columns (input rows first, then the new models),
    labelled synthetic, with ``snapshot_date``, ``aged_from`` (the input's date), ``deleted`` and
    ``added`` in its Parquet metadata.
    """
    if not np.isfinite(days) or days <= 0:
        raise ParameterError(f"days must be a positive number, got {days!r}")
    for col in ("id", "createdAt", "likes", "downloads", "tags"):
        if col not in table.column_names:
            raise SnapshotError(f"age_snapshot: input table has no column {col!r}")
    listing = "baseModels" not in table.column_names
    if listing:
        calibration = replace(calibration, base_tags=1.0)
    table = table.combine_chunks()
    rng = np.random.default_rng(seed)
    start = _table_date(table)
    end = start + pd.Timedelta(days=float(days))
    start_us = start.value // 1000
    n_old = table.num_rows
    t_old = _times_us(table)
    age_days = np.maximum((start_us - t_old) / DAY_US, 0.0)
    likes = _counts(table, "likes")

    # deletions
    hazard = (ageing.deletion_per_year / DAYS_PER_YEAR) * np.where(
        likes > 0, ageing.liked_deletion_factor, 1.0
    )
    deleted = rng.random(n_old) < -np.expm1(-hazard * days)

    # likes and downloads of every existing model
    rate = ageing.like_rate_decay * likes / np.maximum(age_days, 30.0)
    new_likes = likes + rng.poisson(days * (rate + ageing.like_base_per_year / DAYS_PER_YEAR))
    dl = _counts(table, "downloads")
    decay = np.sqrt(np.maximum(age_days, 30.0) / (np.maximum(age_days, 30.0) + days))
    noise = np.exp(ageing.downloads_sigma * rng.standard_normal(n_old))
    new_dl = np.floor(dl * decay * noise).astype(np.int64)
    old = _set(table, "likes", new_likes)
    old = _set(old, "downloads", new_dl)
    if "downloadsAllTime" in old.column_names:
        before = pc.fill_null(old["downloadsAllTime"].cast(pa.int64()), 0).to_numpy()
        gained = np.floor((dl + new_dl) / 2 * days / 30.0).astype(np.int64)
        old = _set(old, "downloadsAllTime", before + gained)

    # new models, created in (start, end]; bases among every earlier surviving model
    n_new = int(rng.poisson(int((~deleted).sum()) * np.expm1(calibration.growth_per_day * days)))
    new_days = creation_days(n_new, float(days), calibration.growth_per_day, rng)
    is_child = rng.random(n_new) < calibration.with_base
    rel_c, n_par_c = draw_relations(int(is_child.sum()), calibration, rng)
    rel_new = np.full(n_new, -1, dtype=np.int64)
    rel_new[is_child] = rel_c
    n_par = np.zeros(n_new, dtype=np.int64)
    n_par[is_child] = n_par_c
    child_ok = derivative_eligible(rel_new, rng, attachment, calibration)
    w_new = np.where(is_child & ~child_ok, 0.0, attractiveness(n_new, rng, attachment))
    w_old = np.where(deleted, 0.0, _in_degree(table) + attractiveness(n_old, rng, attachment))
    old_days = (t_old - start_us) / DAY_US  # <= 0
    order_old = np.argsort(old_days, kind="stable")
    child, parent = attach_parents(
        np.concatenate([old_days[order_old], new_days]),
        np.concatenate([np.zeros(n_old, dtype=np.int64), n_par]),
        np.concatenate([w_old[order_old], w_new]),
        rng,
        attachment,
    )
    child -= n_old  # only new models draw bases
    # new-model positions 0..n_new-1; an existing base is n_new + its row in the input
    parent = np.where(
        parent < n_old, n_new + order_old[np.minimum(parent, n_old - 1)], parent - n_old
    )
    got = np.bincount(child, minlength=n_new)
    rel_new = np.where(is_child & (got == 0), -1, rel_new)
    merge, finetune = RELATIONS_ORDER.index("merge"), RELATIONS_ORDER.index("finetune")
    rel_new = np.where((rel_new == merge) & (got == 1), finetune, rel_new)
    new_times = np.maximum((start_us + np.round(new_days * DAY_US)).astype(np.int64), start_us + 1)
    draft = Draft(
        times_us=new_times,
        backfilled=np.zeros(n_new, dtype=bool),
        relation=rel_new,
        child=child,
        parent=parent,
        ghost=np.zeros(n_new, dtype=bool),
    )
    draft = shuffle_draft(draft, rng)
    task = (
        table["pipeline_tag"].cast(pa.string())
        if "pipeline_tag" in table.column_names
        else pa.nulls(n_old, pa.string())
    )
    external = ExternalBases(
        ids=table["id"].cast(pa.string()).combine_chunks(), task=single_chunk(task)
    )
    new = _conform(assemble_table(draft, rng, calibration, external), old.schema, rng)

    kept = old.filter(pa.array(~deleted))
    if not listing:
        kept = _drop_deleted_bases(kept, table["id"].filter(pa.array(deleted)))
    out = pa.concat_tables([kept, new])
    return label_synthetic(
        out, end, aged_from=start.isoformat(), deleted=int(deleted.sum()), added=n_new, seed=seed
    )


def _counts(table: pa.Table, name: str) -> np.ndarray:
    return pc.fill_null(table[name].cast(pa.int64()), 0).to_numpy().astype(np.int64)


def _set(table: pa.Table, name: str, values: np.ndarray) -> pa.Table:
    i = table.column_names.index(name)
    return table.set_column(
        i, table.schema.field(name), pa.array(values).cast(table.schema.field(name).type)
    )


def _conform(new: pa.Table, schema: pa.Schema, rng: np.random.Generator) -> pa.Table:
    """New rows in the earlier snapshot's schema: its columns, in its order, of its types
    (``_id``: fresh hex ids; ``private``: False; any other column we do not make: null).
    """
    columns = []
    n = new.num_rows
    for f in schema:
        if f.name in new.column_names and not pa.types.is_null(f.type):
            columns.append(single_chunk(new[f.name]).cast(f.type))
        elif f.name == "_id":
            columns.append(hex_ids(n, rng).cast(f.type))
        elif f.name == "private":
            columns.append(pa.array(np.zeros(n, dtype=bool)).cast(f.type))
        else:
            columns.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(columns, schema=schema.remove_metadata())


def _drop_deleted_bases(table: pa.Table, deleted_ids: pa.Array) -> pa.Table:
    """``baseModels.models`` without the entries that name a deleted model."""
    col = single_chunk(table["baseModels"])
    if not pa.types.is_struct(col.type) or col.type.get_field_index("models") < 0:
        return table
    models = pc.struct_field(col, "models")
    flat = pc.list_flatten(models)
    rows = pc.list_parent_indices(models).to_numpy()
    ids = pc.struct_field(flat, "id") if pa.types.is_struct(flat.type) else flat
    keep = pc.invert(pc.fill_null(pc.is_in(ids, value_set=single_chunk(deleted_ids)), False))
    keep_np = keep.to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(col) + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows[keep_np], minlength=len(col)), out=offsets[1:])
    new_models = pa.ListArray.from_arrays(
        pa.array(offsets), flat.filter(keep), mask=pc.is_null(models)
    ).cast(models.type)
    fields_ = [new_models if f.name == "models" else pc.struct_field(col, f.name) for f in col.type]
    rebuilt = pa.StructArray.from_arrays(fields_, fields=list(col.type), mask=pc.is_null(col))
    return table.set_column(table.column_names.index("baseModels"), "baseModels", rebuilt)
