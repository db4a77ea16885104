"""A **synthetic** Hub in the exact ``cfahlgren1/hub-stats`` ``models.parquet`` schema, for
benchmarks and tests only — never for results.

:func:`synthetic_hub_stats` draws ``n_models`` models (default 3,000,000, about today's Hub) with
the columns :func:`hflineage.data.hub_stats.models_from_hub_stats` reads: ``id``, ``author``,
``createdAt``, ``lastModified``, ``likes``, ``downloads``, ``downloadsAllTime``,
``trendingScore``, ``tags``, ``pipeline_tag``, ``library_name``, ``baseModels`` (struct
``{models: list<{_id, id}>, relation}``), ``safetensors`` (struct ``{parameters, total}``) and
``cardData`` (JSON text).  :func:`age_snapshot` derives a *later* snapshot from an earlier one
(new models, new likes, changed downloads, deletions) for two-snapshot designs.

Every file written here is labelled synthetic twice: its name (``synthetic-hub-stats-<N>.parquet``)
and its Parquet metadata (``hflineage.synthetic=true``).
:func:`hflineage.data.load.load_snapshot` refuses such a file unless the caller says it is a
benchmark (``allow_synthetic=True`` or the environment variable ``HFLINEAGE_ALLOW_SYNTHETIC=1``,
which ``hflineage run --benchmark`` sets).

Calibration (:data:`CALIBRATION`): the figures published for today's ``models.parquet`` (an
analysis of 2025-10-23, 2,161,698 models):

* ``baseModels`` populated for 28.1% of models; relations adapter 42.6%, finetune 35.9%,
  quantized 19.2%, merge 2.3% (a merge declares 2 or more parents, every other relation one);
* ``safetensors.total`` for 23.4% of models: median 0.76B parameters, 75th percentile 6.7B,
  maximum 685B (a log-normal through the median and the 75th percentile, cut at the maximum);
* ``downloads`` (last 30 days) > 0 for 35.5%, ``downloadsAllTime`` > 0 for 59.7%.

From the embedded 2024-07-11 listing (760,000 models): growth of the Hub (760,000 models on
2024-07-11 and 2,161,698 on 2025-10-23 give an exponential rate of 0.00223 per day, a doubling
every 311 days; creation dates grow at that rate from 2022-03-03 to ``snapshot_date``), the
share of models with likes (9.4%), the 2022-03-02 23:29 back-filled dates of legacy repos (29,990,
held at about 1% of today's Hub), and the **attachment kernel** (:data:`ATTACHMENT`) that decides
which earlier model a derivative declares as its base: each model is *eligible* as a base with a
small probability and then has a Pareto-distributed attractiveness; a derivative picks an earlier
eligible model with probability proportional to its attractiveness, either uniformly over the past
or discounted by an exponential in the time since its creation.  Its parameters were fitted by
``benchmarks/fit_synthetic.py`` to the embedded snapshot's in-degree distribution and
parent-to-child delays (the figures they reproduce are in :data:`ATTACHMENT`'s comment).

Other choices (assumptions, stated so nobody mistakes them for findings): markers of the
relation (``peft`` library, ``lora``/``gguf``/``merge`` tags, ``-GGUF``/``-4bit`` names) follow
the declared relation most of the time, so the inference rules agree with it on most but not all
edges; 85% of derivatives also carry the Hub's ``base_model:`` tags, 95% state the base in their
card, 40% state the relation there; 1% of models declare a base that no longer exists on the Hub
(an unresolved parent); parameter counts are independent of the lineage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ParameterError
from .schema import unique_sorted
from .synthetic_label import label_synthetic
from .synthetic_parts import (
    LICENSES,
    NAME_MARKERS,
    ROOT_LIBRARIES,
    ROOT_TASKS,
    STEMS,
    _chunk,
    _positive_share,
)

#: Default size: about today's Hub (2,161,698 models on 2025-10-23, growing 0.223% a day).
DEFAULT_MODELS = 3_000_000


#: Default snapshot day: when the Hub reaches 3 million models at the calibrated growth rate
#: (2025-10-23 + ln(3,000,000 / 2,161,698) / 0.00223 days).
DEFAULT_SNAPSHOT_DATE = "2026-03-19"


#: First reliable creation date on the Hub (the ``createdAt`` field starts on 2022-03-02).
FIRST_DATE = "2022-03-03"


#: The back-filled creation time of legacy repos (see :data:`hflineage.data.schema.BACKFILL_START`).
BACKFILL_TIME = "2022-03-02 23:29:04"


RELATIONS_ORDER = ("adapter", "finetune", "quantized", "merge")


@dataclass(frozen=True)
class Calibration:
    """Shares and distributions the generator reproduces (figures in the module docstring)."""

    with_base: float = 0.281  #: share of models with ``baseModels`` (a resolved parent)
    relation_shares: tuple[float, float, float, float] = (0.426, 0.359, 0.192, 0.023)
    with_safetensors: float = 0.234  #: share with ``safetensors.total``
    params_median: float = 0.76e9  #: median ``safetensors.total``
    params_p75: float = 6.7e9  #: 75th percentile
    params_max: float = 685e9  #: largest model
    downloads_positive: float = 0.355  #: share with downloads (last 30 days) > 0
    downloads_all_time_positive: float = 0.597  #: share with all-time downloads > 0
    likes_positive: float = 0.094  #: share with likes > 0 (embedded snapshot: 71,229 / 760,000)
    growth_per_day: float = 0.00223  #: ln(2,161,698 / 760,000) / 469 days
    backfilled: float = 0.01  #: share with the 2022-03-02 back-filled date
    ghost_parent: float = 0.01  #: share declaring (in the card only) a base that no longer exists
    base_tags: float = 0.85  #: derivatives that carry ``base_model:`` tags
    card_base: float = 0.95  #: derivatives whose card states ``base_model``
    card_relation: float = 0.40  #: derivatives whose card states ``base_model_relation``
    merge_extra_parents: float = 0.30  #: a merge has 2 + Geometric(1 - this) parents (embedded:


CALIBRATION = Calibration()


@dataclass(frozen=True)
class Attachment:
    """Which earlier model a derivative declares as its base (module docstring).

    Fitted by ``benchmarks/fit_synthetic.py`` on the embedded snapshot (its own creation times,
    the 116,468 models that declare a base there and their parent counts; 121,675 timed edges).
    Medians of five fresh draws against the embedded figures (synthetic / embedded): distinct
    parents 10,863 / 12,105; in-degree median 2 / 2, 90th percentile 12 / 9, 99th 101 / 137,
    99.9th 977 / 1,230, maximum 10,150 / 5,239 (one draw from a heavy tail); days from a parent's
    creation to its child's: 25th percentile 20 / 21, median 64 / 86, 75th 220 / 233; share of
    edges whose parent itself declares a base 8.2% / 12.6%; share of edges to back-filled legacy
    parents 28.2% / 28.8%.
    """

    eligible: float = 0.0196  #: probability that a model can be chosen as a base at all
    pareto_alpha: float = 1.003  #: tail index of the attractiveness of eligible models
    child_weight: float = 0.896  #: eligibility of a derivative relative to an original model
    backfill_weight: float = 9.33  #: attractiveness multiplier of back-filled legacy repos
    recency_days: float = 25.2  #: time scale of the recency discount (days)
    recency_share: float = 0.278  #: share of derivatives that pick with the recency discount


ATTACHMENT = Attachment()


#: Eligibility of a derivative as a base, by its relation, relative to ``child_weight``: a
#: quantized file is almost never finetuned again, an adapter rarely.  Scaled so that their mean
#: over the relation shares is 1 (the fit sees derivatives of every relation together).
RELATION_BASE_WEIGHT = {"adapter": 0.3, "finetune": 1.0, "quantized": 0.05, "merge": 1.5}


def _derivative_eligible(
    relation: np.ndarray, rng: np.random.Generator, attachment: Attachment, cal: Calibration
) -> np.ndarray:
    """Per model with a relation (index >= 0): whether it may be chosen as a base."""
    weights = np.array([RELATION_BASE_WEIGHT[r] for r in RELATIONS_ORDER])
    shares = np.asarray(cal.relation_shares) / np.sum(cal.relation_shares)
    weights = weights / float(weights @ shares)
    p = attachment.child_weight * weights[np.maximum(relation, 0)]
    return rng.random(len(relation)) < p


_US_PER_DAY = 86_400_000_000


# ------------------------------------------------------------------------------------------------
# Parent attachment (shared by the generator, the ageing and the fit)
# ------------------------------------------------------------------------------------------------
def attach_parents(
    times_days: np.ndarray,
    n_parents: np.ndarray,
    weight: np.ndarray,
    rng: np.random.Generator,
    attachment: Attachment = ATTACHMENT,
    rounds: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the bases of every derivative: (child, parent) positions, parent earlier than child.

    ``times_days`` must be ascending (positions are time order); model ``i`` gets up to
    ``n_parents[i]`` distinct bases; ``weight`` is each model's attractiveness (0 = never a
    base).  A draw picks an earlier model ``j`` with probability proportional to ``weight[j]``
    (flat kernel) or to ``weight[j] * exp(-(t_i - t_j) / recency_days)`` (recency kernel, for a
    share ``recency_share`` of derivatives): both are prefix sums, so one ``searchsorted`` per
    draw.  A draw that repeats a base already chosen is drawn again, up to ``rounds`` times (a
    merge of a very popular base with itself is not a merge).  A model with no eligible
    predecessor gets none.  Returns the edges sorted by (child, parent).
    """
    times_days = np.asarray(times_days, dtype=np.float64)
    n = len(times_days)
    if n and np.any(np.diff(times_days) < 0):
        raise ParameterError("attach_parents: times_days must be ascending")
    weight = np.asarray(weight, dtype=np.float64)
    want = np.asarray(n_parents, dtype=np.int64)
    if n == 0 or not want.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    flat = np.cumsum(weight)
    recent = np.cumsum(weight * np.exp((times_days - times_days[-1]) / attachment.recency_days))
    use_recent = rng.random(n) < attachment.recency_share
    prev = np.arange(n, dtype=np.int64) - 1
    at = np.maximum(prev, 0)
    total = np.where(use_recent, recent[at], flat[at])
    able = (prev >= 0) & (total > 0)
    keys = np.zeros(0, dtype=np.int64)
    need = np.where(able, want, 0)
    for _ in range(max(int(rounds), 1)):  # a few rounds of redraws, each vectorised
        child = np.repeat(np.arange(n, dtype=np.int64), need)
        if len(child) == 0:
            break
        target = rng.random(len(child)) * total[child]
        rec = use_recent[child]
        parent = np.empty(len(child), dtype=np.int64)
        parent[rec] = np.searchsorted(recent, target[rec], side="right")
        parent[~rec] = np.searchsorted(flat, target[~rec], side="right")
        ok = parent < child  # guards against rounding at the top of a prefix sum
        keys = unique_sorted(np.concatenate([keys, child[ok] * n + parent[ok]]))
        need = np.where(able, want - np.bincount(keys // n, minlength=n), 0)
        need = np.maximum(need, 0)
    return keys // n, keys % n


def attractiveness(
    n: int, rng: np.random.Generator, attachment: Attachment = ATTACHMENT
) -> np.ndarray:
    """Per model: 0 (not eligible as a base) or a Pareto(``pareto_alpha``) attractiveness >= 1."""
    eligible = rng.random(n) < attachment.eligible
    pareto = (1.0 - rng.random(n)) ** (-1.0 / attachment.pareto_alpha)
    return np.where(eligible, pareto, 0.0)


# ------------------------------------------------------------------------------------------------
# Vectorised string helpers
# ------------------------------------------------------------------------------------------------
_B36 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _base36(values: np.ndarray, width: int) -> pa.Array:
    """Fixed-width base-36 text of non-negative integers."""
    values = np.asarray(values, dtype=np.int64)
    digits = np.empty((len(values), width), dtype=np.uint8)
    rest = values.copy()
    for k in range(width - 1, -1, -1):  # a handful of digit positions, vectorised over rows
        digits[:, k] = _B36[rest % 36]
        rest //= 36
    return _chunk(pa.array(digits.view(f"S{width}").ravel())).cast(pa.string())


def _hex_ids(n: int, rng: np.random.Generator) -> pa.Array:
    """24-hex-digit ids like the Hub's ``_id`` (random)."""
    raw = rng.integers(0, 16, size=(n, 24), dtype=np.uint8)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[raw]
    return _chunk(pa.array(chars.view("S24").ravel())).cast(pa.string())


def _choice_strings(table: tuple, n: int, rng: np.random.Generator) -> pa.Array:
    """``n`` draws from a ((value or None), weight) table, as an Arrow string array."""
    values = [v for v, _ in table]
    p = np.array([w for _, w in table], dtype=float)
    idx = rng.choice(len(values), size=n, p=p / p.sum())
    return pa.array(values, pa.string()).take(pa.array(idx))


def _join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of arrays and literal strings (null if any array is null)."""
    return pc.binary_join_element_wise(*parts, "")


def _list_from_long(rows: np.ndarray, values: pa.Array, n: int) -> pa.Array:
    """A ``list<string>`` array (one list per row, possibly empty) from (row, value) pairs."""
    order = np.argsort(rows, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


# ------------------------------------------------------------------------------------------------
# The generator
# ------------------------------------------------------------------------------------------------
def _creation_days(n: int, span_days: float, growth: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` sorted times in [0, span_days] with density proportional to exp(growth * t)."""
    u = rng.random(n)
    t = np.log1p(u * np.expm1(growth * span_days)) / growth
    return np.sort(t)


def _relations(n_children: int, calibration: Calibration, rng: np.random.Generator):
    """Relation (index into :data:`RELATIONS_ORDER`) and number of parents of each derivative."""
    shares = np.asarray(calibration.relation_shares, dtype=float)
    rel = rng.choice(len(shares), size=n_children, p=shares / shares.sum())
    extra = rng.geometric(1.0 - calibration.merge_extra_parents, size=n_children) - 1
    n_par = np.where(rel == RELATIONS_ORDER.index("merge"), 2 + np.minimum(extra, 8), 1)
    return rel, n_par


@dataclass
class _Draft:
    """Per-model arrays in time order, before they become Arrow columns."""

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
    end = (
        pd.Timestamp(snapshot_date, tz="UTC")
        if pd.Timestamp(snapshot_date).tzinfo is None
        else (pd.Timestamp(snapshot_date).tz_convert("UTC"))
    )
    end = end.floor("D") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    first = pd.Timestamp(FIRST_DATE, tz="UTC")
    if end <= first:
        raise ParameterError(f"snapshot_date must be after {FIRST_DATE}, got {snapshot_date!r}")
    draft = _shuffle(_draft(n, first, end, calibration, attachment, rng), rng)
    table = _assemble(draft, rng, calibration)
    return label_synthetic(table, end, models=n, seed=seed)


def _draft(n, first, end, calibration, attachment, rng) -> _Draft:
    span = (end - first) / pd.Timedelta(days=1)
    n_bf = int(round(calibration.backfilled * n))
    days = np.concatenate(
        [np.full(n_bf, -1.0), _creation_days(n - n_bf, span, calibration.growth_per_day, rng)]
    )
    backfilled = np.arange(n) < n_bf
    # derivatives: chosen among reliable models so that `with_base` of all models end up with one
    # (the first models have no eligible predecessor and stay originals: drawn a little more)
    p_child = min(calibration.with_base / max(1 - calibration.backfilled, 1e-9), 1.0)
    is_child = ~backfilled & (rng.random(n) < p_child)
    rel = np.full(n, -1, dtype=np.int64)
    rel_c, n_par_c = _relations(int(is_child.sum()), calibration, rng)
    rel[is_child] = rel_c
    n_par = np.zeros(n, dtype=np.int64)
    n_par[is_child] = n_par_c
    weight = attractiveness(n, rng, attachment)
    factor = np.ones(n)
    factor[backfilled] = attachment.backfill_weight
    child_ok = _derivative_eligible(rel, rng, attachment, calibration)
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
    times_us = (start_us + np.round(days * _US_PER_DAY)).astype(np.int64)
    times_us[backfilled] = pd.Timestamp(BACKFILL_TIME, tz="UTC").value // 1000
    return _Draft(times_us, backfilled, rel, child, parent, ghost)


def _shuffle(d: _Draft, rng: np.random.Generator) -> _Draft:
    """The draft with its models in random row order (a listing is not in creation order);
    edge positions follow, positions of external bases (>= n) are kept.
    """
    n = len(d.times_us)
    row = rng.permutation(n)  # row[i]: output row of the model at time position i
    inv = np.empty(n, dtype=np.int64)
    inv[row] = np.arange(n)
    parent = np.where(d.parent < n, row[np.minimum(d.parent, n - 1)], d.parent)
    return _Draft(
        times_us=d.times_us[inv],
        backfilled=d.backfilled[inv],
        relation=d.relation[inv],
        child=row[d.child],
        parent=parent,
        ghost=d.ghost[inv],
    )


@dataclass
class _External:
    """Bases that are not rows of the table being assembled (models of an earlier snapshot)."""

    ids: pa.Array
    task: pa.Array


def _assemble(
    d: _Draft, rng: np.random.Generator, cal: Calibration, external: _External | None = None
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
    authors = _join("user-", _base36(author_no, 5))

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
    names = _join(stems, markers, "-", _base36(serial, 6))
    ids = _join(authors, "/", names)

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
    own_task = _choice_strings(ROOT_TASKS, n, rng)
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
    add(np.arange(n), _join("license:", lic))
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
    add(e_child[e_tag], _join("base_model:", tag_ids))
    add(e_child[e_tag], _join("base_model:", edge_rel.filter(pa.array(e_tag)), ":", tag_ids))
    tags = _list_from_long(
        np.concatenate(long_rows), pa.concat_arrays([_chunk(v) for v in long_vals]), n
    )

    # baseModels {models: [{_id, id}], relation}
    hex_ids = _hex_ids(n + n_ext, rng)
    items = pa.StructArray.from_arrays(
        [hex_ids.take(pa.array(e_parent)), parent_ids], names=["_id", "id"]
    )
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(e_child, minlength=n), out=offsets[1:])
    mask = pa.array(~is_child)
    models_list = pa.ListArray.from_arrays(pa.array(offsets), items, mask=mask)
    base_models = pa.StructArray.from_arrays(
        [models_list, rel_of], names=["models", "relation"], mask=mask
    )

    # cardData: JSON text; the base model as a string (one parent) or a list (a merge)
    per_child = pa.ListArray.from_arrays(pa.array(offsets), _join('"', parent_ids, '"'))
    joined = pc.binary_join(per_child, ", ")
    value = pc.if_else(pa.array(np.diff(offsets) > 1), _join("[", joined, "]"), joined)
    ghost_value = _join('"gone-', _base36(serial, 6), "/", stems, '"')
    value = pc.if_else(pa.array(d.ghost), ghost_value, value)
    card_base = (is_child & (rng.random(n) < cal.card_base)) | d.ghost
    card_rel = is_child & (rng.random(n) < cal.card_relation)
    base_part = pc.if_else(pa.array(card_base), _join(', "base_model": ', value), "")
    rel_part = pc.if_else(pa.array(card_rel), _join(', "base_model_relation": "', rel_of, '"'), "")
    card = _join('{"license": "', lic, '"', base_part, rel_part, "}")
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
    age_years = (d.times_us.max() - d.times_us) / (_US_PER_DAY * 365.25)
    z = rng.standard_normal(n) + 0.5 * np.log1p(indeg) + 0.2 * age_years
    likes = _positive_share(z, cal.likes_positive, scale=2.0, rng=rng)
    z_all = z + 0.8 * rng.standard_normal(n)
    all_time = _positive_share(z_all, cal.downloads_all_time_positive, scale=2.0, rng=rng)
    recent = z_all + 0.5 * rng.standard_normal(n) - 0.5 * age_years
    recent = np.where(all_time > 0, recent, -np.inf)
    downloads = np.minimum(
        _positive_share(recent, cal.downloads_positive, scale=1.5, rng=rng), all_time
    )
    trending = np.where(likes > 0, rng.poisson(0.05 * likes), 0)

    end_us = d.times_us.max()
    modified_us = np.minimum(d.times_us + rng.exponential(30.0, n) * _US_PER_DAY, end_us)
    modified_us = np.maximum(modified_us, d.times_us).astype(np.int64)

    table = pa.table(
        {
            "id": ids,
            "author": authors,
            "createdAt": _ms(d.times_us),
            "lastModified": _ms(modified_us),
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


def _ms(micros: np.ndarray) -> pa.Array:
    """UTC millisecond timestamps (the hub-stats type) from microseconds."""
    return pa.array(np.asarray(micros, dtype=np.int64) // 1000, pa.int64()).cast(
        pa.timestamp("ms", tz="UTC")
    )
