"""The synthetic Hub itself: :func:`synthetic_hub_stats` draws a whole hub-stats
``models.parquet`` table (what it is calibrated to: :mod:`hflineage.synthetic.calibration`), and
:func:`assemble_table` turns a :class:`Draft` of models and edges into its Arrow columns (the
ageing assembles its new models with it too).  Benchmarks and tests only, never results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import DAY_US, DAYS_PER_YEAR
from ..data.hub_stats import as_utc
from ..data.schema import end_of_day
from ..errors import ParameterError
from .arrays import (
    base36,
    choice_strings,
    hex_ids,
    join_strings,
    list_from_long,
    ms_timestamps,
    positive_share,
    single_chunk,
)
from .attachment import (
    attach_parents,
    attractiveness,
    creation_days,
    derivative_eligible,
    draw_relations,
)
from .calibration import (
    ATTACHMENT,
    BACKFILL_TIME,
    CALIBRATION,
    DEFAULT_MODELS,
    DEFAULT_SNAPSHOT_DATE,
    FIRST_DATE,
    RELATIONS_ORDER,
    Attachment,
    Calibration,
)
from .files import label_synthetic
from .vocabulary import LICENSES, NAME_MARKERS, ROOT_LIBRARIES, ROOT_TASKS, STEMS


@dataclass
class Draft:
    """Per-model arrays in time order, before they become Arrow columns (the generator's and the
    ageing's common intermediate: :func:`assemble_table` turns it into the hub-stats columns).
    """

    times_us: np.ndarray
    backfilled: np.ndarray
    relation: np.ndarray  # index into RELATIONS_ORDER, -1 for an original model
    child: np.ndarray  # edge arrays (positions)
    parent: np.ndarray
    ghost: np.ndarray  # bool per model: declares a base that does not exist


def synthetic_hub_stats(
    n_models: int = DEFAULT_MODELS,
    *,
    seed: int = 0,
    snapshot_date: str | pd.Timestamp = DEFAULT_SNAPSHOT_DATE,
    calibration: Calibration = CALIBRATION,
    attachment: Attachment = ATTACHMENT,
) -> pa.Table:
    """A synthetic hub-stats ``models.parquet`` table of ``n_models`` models (see the module
    docstring for what is calibrated to what), labelled synthetic in its schema metadata.

    Rows are in random order (as a real listing is not in creation order); the same ``seed``
    gives the same table.  ``snapshot_date`` is the day the synthetic listing was "taken": every
    model is created before its end.  Vectorised: 3,000,000 models take seconds.
    """
    if int(n_models) < 10:
        raise ParameterError(f"n_models must be at least 10, got {n_models!r}")
    n = int(n_models)
    rng = np.random.default_rng(seed)
    end = end_of_day(as_utc(snapshot_date))
    first = pd.Timestamp(FIRST_DATE, tz="UTC")
    if end <= first:
        raise ParameterError(f"snapshot_date must be after {FIRST_DATE}, got {snapshot_date!r}")
    draft = shuffle_draft(_draft(n, first, end, calibration, attachment, rng), rng)
    table = assemble_table(draft, rng, calibration)
    return label_synthetic(table, end, models=n, seed=seed)


def _draft(n, first, end, calibration, attachment, rng) -> Draft:
    span = (end - first) / pd.Timedelta(days=1)
    n_bf = int(round(calibration.backfilled * n))
    days = np.concatenate(
        [np.full(n_bf, -1.0), creation_days(n - n_bf, span, calibration.growth_per_day, rng)]
    )
    backfilled = np.arange(n) < n_bf
    # derivatives: chosen among reliable models so that `with_base` of all models end up with one
    # (the first models have no eligible predecessor and stay originals: drawn a little more)
    p_child = min(calibration.with_base / max(1 - calibration.backfilled, 1e-9), 1.0)
    is_child = ~backfilled & (rng.random(n) < p_child)
    rel = np.full(n, -1, dtype=np.int64)
    rel_c, n_par_c = draw_relations(int(is_child.sum()), calibration, rng)
    rel[is_child] = rel_c
    n_par = np.zeros(n, dtype=np.int64)
    n_par[is_child] = n_par_c
    weight = attractiveness(n, rng, attachment)
    factor = np.ones(n)
    factor[backfilled] = attachment.backfill_weight
    child_ok = derivative_eligible(rel, rng, attachment, calibration)
    weight = np.where(is_child & ~child_ok, 0.0, weight * factor)
    child, parent = attach_parents(np.maximum(days, -1.0), n_par, weight, rng, attachment)
    got = np.bincount(child, minlength=n)
    # a merge whose draws landed on one parent, or a derivative without a predecessor
    rel = np.where(is_child & (got == 0), -1, rel)
    merge = RELATIONS_ORDER.index("merge")
    rel = np.where((rel == merge) & (got == 1), RELATIONS_ORDER.index("finetune"), rel)
    ghost = (rel < 0) & ~backfilled & (rng.random(n) < calibration.ghost_parent)
    # times in µs; back-filled legacy repos share the 2022-03-02 23:29:04 stamp
    start_us = first.value // 1000
    times_us = (start_us + np.round(days * DAY_US)).astype(np.int64)
    times_us[backfilled] = pd.Timestamp(BACKFILL_TIME, tz="UTC").value // 1000
    return Draft(times_us, backfilled, rel, child, parent, ghost)


def shuffle_draft(d: Draft, rng: np.random.Generator) -> Draft:
    """The draft with its models in random row order (a listing is not in creation order);
    edge positions follow, positions of external bases (>= n) are kept.
    """
    n = len(d.times_us)
    row = rng.permutation(n)  # row[i]: output row of the model at time position i
    inv = np.empty(n, dtype=np.int64)
    inv[row] = np.arange(n)
    parent = np.where(d.parent < n, row[np.minimum(d.parent, n - 1)], d.parent)
    return Draft(
        times_us=d.times_us[inv],
        backfilled=d.backfilled[inv],
        relation=d.relation[inv],
        child=row[d.child],
        parent=parent,
        ghost=d.ghost[inv],
    )


@dataclass
class ExternalBases:
    """Bases that are not rows of the table being assembled (models of an earlier snapshot): their
    ``ids`` and ``task`` (``pipeline_tag``), which a derivative inherits.
    """

    ids: pa.Array
    task: pa.Array


def assemble_table(
    d: Draft, rng: np.random.Generator, cal: Calibration, external: ExternalBases | None = None
) -> pa.Table:
    """The Arrow columns of the hub-stats schema from a draft (rows shuffled at the end).

    ``d.parent`` positions ``>= n`` refer to ``external`` rows (position - n).
    """
    n = len(d.times_us)
    is_child = d.relation >= 0
    rel_names = pa.array(RELATIONS_ORDER, pa.string())
    rel_of = rel_names.take(pa.array(np.maximum(d.relation, 0)))
    n_ext = 0 if external is None else len(external.ids)

    # authors: a heavy tail of prolific accounts
    n_authors = max(n // 4, 1)
    author_no = np.minimum(rng.zipf(1.6, size=n) - 1, n_authors - 1)
    author_no = (author_no + rng.integers(0, n_authors, size=n) * (rng.random(n) < 0.5)) % (
        n_authors
    )
    authors = join_strings("user-", base36(author_no, 5))

    # names: a stem (a derivative takes its first parent's stem), a relation marker, a unique tag
    stem_idx = rng.integers(0, len(STEMS), size=n)
    first_parent = np.full(n, -1, dtype=np.int64)
    first_of_child = np.unique(d.child, return_index=True)[1]
    first_parent[d.child[first_of_child]] = d.parent[first_of_child]
    internal = (first_parent >= 0) & (first_parent < n)
    stem_idx = np.where(internal, stem_idx[np.clip(first_parent, 0, n - 1)], stem_idx)
    stems = pa.array(STEMS, pa.string()).take(pa.array(stem_idx))
    all_markers = ("", *[m for choices, _ in NAME_MARKERS.values() for m in choices])
    marker = np.zeros(n, dtype=np.int64)
    first_code = 1
    for r, (choices, share) in NAME_MARKERS.items():  # four relations, vectorised over models
        rows = np.flatnonzero((d.relation == RELATIONS_ORDER.index(r)) & (rng.random(n) < share))
        marker[rows] = first_code + rng.integers(0, len(choices), len(rows))
        first_code += len(choices)
    serial = rng.permutation(n) + rng.integers(0, 36**6 // 2)
    markers = pa.array(all_markers, pa.string()).take(pa.array(marker))
    names = join_strings(stems, markers, "-", base36(serial, 6))
    ids = join_strings(authors, "/", names)

    # library and task: originals from the embedded mix; derivatives follow their relation
    lib_names = [v for v, _ in ROOT_LIBRARIES if v is not None]
    lib_names += [
        v for v in ("peft", "gguf", "mlx", "transformers", "diffusers") if v not in lib_names
    ]
    code = {name: i for i, name in enumerate(lib_names)}
    p = np.array([w for _, w in ROOT_LIBRARIES])
    root_codes = np.array([-1 if v is None else code[v] for v, _ in ROOT_LIBRARIES])
    library = root_codes[rng.choice(len(p), size=n, p=p / p.sum())]
    u = rng.random(n)
    peft, gguf, mlx, tf, diff = (
        code[v] for v in ("peft", "gguf", "mlx", "transformers", "diffusers")
    )
    lib_by_rel = {  # the library of a derivative follows its relation
        "adapter": np.where(u < 0.85, peft, tf),
        "finetune": np.where(u < 0.85, tf, np.where(u < 0.95, diff, -1)),
        "quantized": np.where(u < 0.55, gguf, np.where(u < 0.85, tf, np.where(u < 0.95, mlx, -1))),
        "merge": np.where(u < 0.95, tf, -1),
    }
    for r, values in lib_by_rel.items():  # four relations
        rows = d.relation == RELATIONS_ORDER.index(r)
        library[rows] = values[rows]
    library_arr = pa.array(lib_names, pa.string()).take(pa.array(library, mask=library < 0))
    own_task = choice_strings(ROOT_TASKS, n, rng)
    all_task = own_task if external is None else pa.concat_arrays([own_task, external.task])
    inherited = all_task.take(pa.array(np.clip(first_parent, 0, n + n_ext - 1)))
    task = pc.if_else(pa.array(first_parent >= 0), inherited, own_task)

    # tags: library (so peft/gguf/mlx appear as tags too), task, license, relation markers,
    # base_model tags
    long_rows: list[np.ndarray] = []
    long_vals: list[pa.Array] = []

    def add(rows: np.ndarray, values: pa.Array | str) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if isinstance(values, str):
            values = pa.array(np.full(len(rows), values, dtype=object), pa.string())
        long_rows.append(rows)
        long_vals.append(values)

    has_lib = np.flatnonzero(pc.is_valid(library_arr).to_numpy(zero_copy_only=False))
    add(has_lib, library_arr.take(pa.array(has_lib)))
    has_task = np.flatnonzero(pc.is_valid(task).to_numpy(zero_copy_only=False))
    add(has_task, task.take(pa.array(has_task)))
    lic = pa.array(LICENSES, pa.string()).take(pa.array(rng.integers(0, len(LICENSES), n)))
    add(np.arange(n), join_strings("license:", lic))
    u = rng.random(n)
    ad, ft, qu, me = (d.relation == RELATIONS_ORDER.index(r) for r in RELATIONS_ORDER)
    add(np.flatnonzero(ad & (u < 0.6)), "lora")
    add(np.flatnonzero(qu & (library == tf) & (u < 0.5)), "4-bit")
    add(np.flatnonzero(qu & (library == tf) & (u >= 0.5)), "gptq")
    add(np.flatnonzero(me & (u < 0.9)), "merge")
    add(np.flatnonzero(me & (u < 0.8)), "mergekit")
    add(np.flatnonzero(ft & (u < 0.03)), "lora")  # an adapter merged into its base
    add(np.flatnonzero(ft & (u > 0.97)), "merge")  # a finetune of a merge copies its card

    order = np.argsort(d.child, kind="stable")
    e_child, e_parent = d.child[order], d.parent[order]
    all_ids = ids if external is None else pa.concat_arrays([ids, external.ids.cast(pa.string())])
    parent_ids = all_ids.take(pa.array(e_parent))
    edge_rel = rel_of.take(pa.array(e_child))
    e_tag = (rng.random(n) < cal.base_tags)[e_child]
    tag_ids = parent_ids.filter(pa.array(e_tag))
    add(e_child[e_tag], join_strings("base_model:", tag_ids))
    add(e_child[e_tag], join_strings("base_model:", edge_rel.filter(pa.array(e_tag)), ":", tag_ids))
    tags = list_from_long(
        np.concatenate(long_rows), pa.concat_arrays([single_chunk(v) for v in long_vals]), n
    )

    # baseModels {models: [{_id, id}], relation}
    row_hex_ids = hex_ids(n + n_ext, rng)
    items = pa.StructArray.from_arrays(
        [row_hex_ids.take(pa.array(e_parent)), parent_ids], names=["_id", "id"]
    )
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(e_child, minlength=n), out=offsets[1:])
    mask = pa.array(~is_child)
    models_list = pa.ListArray.from_arrays(pa.array(offsets), items, mask=mask)
    base_models = pa.StructArray.from_arrays(
        [models_list, rel_of], names=["models", "relation"], mask=mask
    )

    # cardData: JSON text; the base model as a string (one parent) or a list (a merge)
    per_child = pa.ListArray.from_arrays(pa.array(offsets), join_strings('"', parent_ids, '"'))
    joined = pc.binary_join(per_child, ", ")
    value = pc.if_else(pa.array(np.diff(offsets) > 1), join_strings("[", joined, "]"), joined)
    ghost_value = join_strings('"gone-', base36(serial, 6), "/", stems, '"')
    value = pc.if_else(pa.array(d.ghost), ghost_value, value)
    card_base = (is_child & (rng.random(n) < cal.card_base)) | d.ghost
    card_rel = is_child & (rng.random(n) < cal.card_relation)
    base_part = pc.if_else(pa.array(card_base), join_strings(', "base_model": ', value), "")
    rel_part = pc.if_else(
        pa.array(card_rel), join_strings(', "base_model_relation": "', rel_of, '"'), ""
    )
    card = join_strings('{"license": "', lic, '"', base_part, rel_part, "}")
    no_card = ~card_base & (rng.random(n) < 0.3)
    card = pc.if_else(pa.array(no_card), pa.scalar(None, pa.string()), card)

    # safetensors {parameters: {BF16, F32}, total}: log-normal through the median and p75
    sigma = np.log(cal.params_p75 / cal.params_median) / 0.6744897501960817
    total = np.exp(np.log(cal.params_median) + sigma * rng.standard_normal(n))
    total = np.clip(np.round(total), 1e4, cal.params_max).astype(np.int64)
    no_gguf = library != gguf
    has_st = (rng.random(n) < cal.with_safetensors / max(no_gguf.mean(), 1e-9)) & no_gguf
    f32 = np.where(rng.random(n) < 0.2, total // 100, 0)
    params = pa.StructArray.from_arrays(
        [pa.array(total - f32), pa.array(f32)], names=["BF16", "F32"]
    )
    safetensors = pa.StructArray.from_arrays(
        [params, pa.array(total)], names=["parameters", "total"], mask=pa.array(~has_st)
    )

    # popularity: a latent score, higher for models with many derivatives and for older ones
    indeg = np.bincount(d.parent[d.parent < n], minlength=n)
    age_years = (d.times_us.max() - d.times_us) / (DAY_US * DAYS_PER_YEAR)
    z = rng.standard_normal(n) + 0.5 * np.log1p(indeg) + 0.2 * age_years
    likes = positive_share(z, cal.likes_positive, scale=2.0, rng=rng)
    z_all = z + 0.8 * rng.standard_normal(n)
    all_time = positive_share(z_all, cal.downloads_all_time_positive, scale=2.0, rng=rng)
    recent = z_all + 0.5 * rng.standard_normal(n) - 0.5 * age_years
    recent = np.where(all_time > 0, recent, -np.inf)
    downloads = np.minimum(
        positive_share(recent, cal.downloads_positive, scale=1.5, rng=rng), all_time
    )
    trending = np.where(likes > 0, rng.poisson(0.05 * likes), 0)

    end_us = d.times_us.max()
    modified_us = np.minimum(d.times_us + rng.exponential(30.0, n) * DAY_US, end_us)
    modified_us = np.maximum(modified_us, d.times_us).astype(np.int64)

    table = pa.table(
        {
            "id": ids,
            "author": authors,
            "createdAt": ms_timestamps(d.times_us),
            "lastModified": ms_timestamps(modified_us),
            "likes": pa.array(likes, pa.int64()),
            "downloads": pa.array(downloads, pa.int64()),
            "downloadsAllTime": pa.array(all_time, pa.int64()),
            "trendingScore": pa.array(trending, pa.int64()),
            "tags": tags,
            "pipeline_tag": task,
            "library_name": library_arr,
            "baseModels": base_models,
            "safetensors": safetensors,
            "cardData": card,
        }
    )
    return table
