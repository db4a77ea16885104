"""The race to release: a panel of derivative models competing for recognition on one base.

Liu, Kang & Yang (2026) carry Hill & Stein's race-to-the-bottom framework (QJE 2025) from
scientific projects to Hugging Face.  The mapping used here:

=====================  ===================================  ======================================
Hill & Stein           on the Hub                           panel column(s)
=====================  ===================================  ======================================
project                a base model                         ``base_id``
competing teams        its direct derivatives (entrants)    ``model_id``
project potential      base prominence (absorbed by the     ``base_likes``, ``base_downloads``,
                       base fixed effect)                   ``base_n_derivatives``
priority               entry order and timing               ``entry_rank``, ``entry_pct``,
                                                            ``lag_days``, ``early_entrant_*``
competition            same-base entries around entry       ``congestion``
maturation             time taken before release            ``lag_days``
quality                what the metadata shows              ``has_datasets``, ``has_license``,
                                                            ``has_eval``, ``has_paper``,
                                                            ``has_library``
kind of entry          declared or inferred relation        ``relation``, ``is_adapter``,
                                                            ``is_quantized``, ``is_merge``
entrant prominence     the author's earlier models          ``author_prior_models``,
                                                            ``same_author_as_base``
recognition            likes (cumulative) and downloads     ``likes``, ``log_likes``, ``any_like``,
                       (last ~30 days)                      ``downloads``, ``log_downloads``
exposure (confound)    age at the snapshot                  ``age_days``, ``log_age``,
                                                            ``created_month``
attention (confound)   the base's attention decays with     ``lag_days``, ``lag_bin``
                       the lag since its release
=====================  ===================================  ======================================

The three clocks of a race — entry rank, lag since the base's release, age at the snapshot — move
together within a base (lag + age is the base's own age); :func:`clock_correlations` measures how
much.

Sample rules of :func:`build_panel` (each one is counted in the sample funnel,
:func:`funnel_table`):

* **edges** come from :func:`hflineage.lineage.edges.build_edges`.  Dropped: unresolved parents and parents
  not in the snapshot (no creation date, no likes to describe the base), edges whose parent is
  *younger* than the child (impossible timing: renamed or re-created repositories), and edges in a
  declaration cycle.
* **dates**: derivatives with the back-filled 2022-03-02 creation date are dropped, and so are
  *bases* with that date — their early derivatives are back-filled too, so entry order cannot be
  known for them.
* **relations**: ``relations`` restricts which derivative kinds count as entrants at all (e.g. only
  finetunes; quantized copies are then neither rows nor competitors).
* **competitor set**: every remaining derivative of a base is an entrant in that base's race and
  counts in ranks, congestion and ``base_n_derivatives`` — including derivatives that declare
  several parents (a merge of A and B competes in both races).  Bases with fewer than
  ``min_derivatives`` entrants are dropped.
* **rows**: only derivatives that declare exactly **one** parent (counted over all their declared
  parents, resolved or not) become panel rows.  A multi-parent model's likes cannot be attributed
  to one race, and repeating it in several bases would duplicate its outcome across clusters.
* **congestion** counts the rivals of the same base created within ``congestion_days / 2``
  before or after entry (``congestion_window="around"``, the default): the crowd a release
  meets.  The trailing count of the ``congestion_days`` strictly *before* entry
  (``congestion_window="before"``; always kept as ``congestion_trailing``) equals ``rank - 1``
  for every entrant whose base's earlier entrants all fall in the window — the whole opening
  rush — so there it is entry rank by another name.  With the window around entry, derivatives
  created less than ``congestion_days / 2`` before the snapshot are not rows (their rivals after
  entry cannot be seen yet); they still compete.
* **ties in time**: derivatives created at the same millisecond share the lower rank
  (``rank(method="min")``: two entrants tied for first both get rank 1); they are rivals in a
  window around entry, not in the trailing window (which counts entries *strictly before*).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.schema import RELATIONS, explode_lists, snapshot_date
from ..errors import HflineageError, ParameterError, check_choice
from .samples import lag_bin_names, lag_bins, lag_spline
from .specs import LAG_BIN_EDGES, LAG_BINS, LAG_SPLINE, LAG_SPLINE_KNOTS

#: Hill & Stein's constructs, their reading on the Hub, and the panel columns that carry them.
MAPPING = (
    ("project", "a base model", "base_id"),
    ("competing teams", "its direct derivatives (entrants)", "model_id"),
    (
        "project potential",
        "base prominence (absorbed by the base fixed effect)",
        "base_likes, base_downloads, base_n_derivatives",
    ),
    ("priority", "entry order and timing", "entry_rank, entry_pct, early_entrant_7d/30d"),
    ("competition", "same-base entries around entry", "congestion"),
    ("maturation", "time between the base's release and entry", "lag_days"),
    (
        "quality",
        "what the metadata shows",
        "has_datasets, has_license, has_eval, has_paper, has_library",
    ),
    ("kind of output", "declared or inferred relation", "is_adapter, is_quantized, is_merge"),
    ("team prominence", "the author's earlier models", "author_prior_models, same_author_as_base"),
    (
        "recognition",
        "likes (cumulative) and downloads (last ~30 days)",
        "likes, log_likes, any_like, downloads, log_downloads",
    ),
    ("(confound) exposure", "age at the snapshot", "age_days, log_age, created_month"),
    ("(confound) attention", "the base's attention decays after its release", "lag_days, lag_bin"),
)


#: Columns of the edges frame the panel needs (contract of :func:`hflineage.lineage.edges.build_edges`).
EDGE_COLUMNS = (
    "child",
    "parent",
    "resolution",
    "relation",
    "parent_in_snapshot",
    "parent_younger",
    "in_cycle",
)


#: Tags read as quality signals; ``eval-results`` does not occur in the 2024-07-11 listing but is
#: what newer Hub snapshots use, so both count.
EVAL_TAGS = ("model-index", "eval-results")


PANEL_COLUMNS = (
    "base_id",
    "model_id",
    "relation",
    "relation_source",
    "created_at",
    "created_month",
    "entry_rank",
    "entry_pct",
    "lag_days",
    "lag_bin",
    *LAG_BINS,
    "early_entrant_7d",
    "early_entrant_30d",
    "congestion",
    "congestion_trailing",
    "age_days",
    "base_created_at",
    "base_pipeline_tag",
    "base_library",
    "base_likes",
    "base_downloads",
    "base_n_derivatives",
    "has_datasets",
    "has_license",
    "has_eval",
    "has_paper",
    "has_library",
    "library",
    "is_adapter",
    "is_quantized",
    "is_merge",
    "author",
    "author_prior_models",
    "same_author_as_base",
    "likes",
    "log_likes",
    "any_like",
    "downloads",
    "log_downloads",
    "log_entry_rank",
    "log_congestion",
    "log_congestion_trailing",
    "log_lag",
    *LAG_SPLINE,
    "log_age",
    "log_author_prior",
)


_DAY_MS = 86_400_000


def _epoch_ms(times: pd.Series) -> np.ndarray:
    """Milliseconds since the epoch (UTC) of a datetime Series (the listing's resolution)."""
    return times.dt.tz_convert("UTC").dt.as_unit("ms").astype("int64").to_numpy()


def check_relations(relations: Sequence[str] | str | None) -> tuple[str, ...] | None:
    """Validate a ``relations`` choice: None (all) or a non-empty subset of :data:`RELATIONS`."""
    if relations is None:
        return None
    if isinstance(relations, str):
        relations = (relations,)
    relations = tuple(relations)
    if not relations:
        raise ParameterError(
            "relations is empty; expected None (all) or some of: " + ", ".join(RELATIONS)
        )
    for rel in relations:
        check_choice("relations", rel, RELATIONS)
    return relations


def _check_edges(edges: pd.DataFrame) -> None:
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise HflineageError(
            f"edges frame: missing column {missing[0]!r}; expected the columns of "
            f"hflineage.lineage.edges.build_edges ({', '.join(EDGE_COLUMNS)})"
        )


class _Funnel:
    """Counts edges, derivatives and bases left after each sample rule."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, step: str, frame: pd.DataFrame, child: str = "child", base: str = "parent"):
        prev = self.rows[-1]["edges"] if self.rows else len(frame)
        self.rows.append(
            {
                "step": step,
                "edges": len(frame),
                "derivatives": int(frame[child].nunique()),
                "bases": int(frame[base].nunique()),
                "dropped": prev - len(frame),
            }
        )


def race_keys(base_code: np.ndarray, t_ms: np.ndarray, pad_ms: int) -> tuple[np.ndarray, int]:
    """One sortable int64 key per entrant: ``base_code * span + t`` (time relative to the first).

    ``span`` exceeds the time range plus ``pad_ms``, so ``key - pad_ms`` never reaches into the
    previous base: searching a sorted key array then answers per-base time-window questions for
    every entrant at once.
    """
    t_rel = t_ms - t_ms.min() if t_ms.size else t_ms
    span = int(t_rel.max() if t_rel.size else 0) + int(pad_ms) + 1
    if base_code.size and int(base_code.max()) + 1 > np.iinfo(np.int64).max // span:
        raise HflineageError(
            "race panel: too many bases for one int64 time key; use fewer bases or a shorter period"
        )
    return base_code.astype(np.int64) * span + t_rel, span


#: Where the congestion window sits: ``around`` entry (the default) or strictly ``before`` it.
CONGESTION_WINDOWS = ("around", "before")


def entry_counts(
    base_code: np.ndarray, t_ms: np.ndarray, window_days: float, window: str = "around"
) -> dict[str, np.ndarray]:
    """Per entrant: ``rank`` (1 = first; ties share the lower rank), ``n`` (entrants of its base),
    ``congestion`` and ``congestion_trailing``.

    ``congestion_trailing`` counts the entrants of the same base created in
    ``[t - window, t)``; ``congestion`` is that count for ``window="before"``, and for
    ``window="around"`` the other entrants of the same base created in
    ``[t - window / 2, t + window / 2]`` (ties included: simultaneous releases are rivals).
    """
    check_choice("congestion_window", window, CONGESTION_WINDOWS)
    window_ms = int(round(window_days * _DAY_MS))
    half_ms = window_ms // 2
    key, span = race_keys(base_code, t_ms, window_ms)
    sorted_key = np.sort(key)
    start_key = base_code.astype(np.int64) * span
    first = np.searchsorted(sorted_key, start_key, side="left")
    end = np.searchsorted(sorted_key, start_key + span, side="left")
    before = np.searchsorted(sorted_key, key, side="left")
    trailing = before - np.searchsorted(sorted_key, key - window_ms, side="left")
    if window == "before":
        congestion = trailing
    else:
        congestion = (
            np.searchsorted(sorted_key, key + half_ms, side="right")
            - np.searchsorted(sorted_key, key - half_ms, side="left")
            - 1
        )
    return {
        "rank": before - first + 1,
        "n": end - first,
        "congestion": congestion,
        "congestion_trailing": trailing,
    }


def _tag_flags(tags: pd.Series) -> pd.DataFrame:
    """Quality flags from the tags of each row (vectorised over the exploded tags)."""
    long = explode_lists(tags)
    value = pd.Series(long["value"], dtype="string")
    rows = long["row"].to_numpy()
    n = len(tags)
    out = {}
    for name, hit in {
        "has_datasets": value.str.startswith("dataset:"),
        "has_license": value.str.startswith("license:"),
        "has_eval": value.isin(EVAL_TAGS),
        "has_paper": value.str.startswith("arxiv:"),
    }.items():
        flag = np.zeros(n, dtype=bool)
        flag[rows[hit.fillna(False).to_numpy(bool)]] = True
        out[name] = flag
    return pd.DataFrame(out)


def author_prior_models(models: pd.DataFrame) -> pd.Series:
    """Per model: how many models its author had created *strictly before* it (0 for the first;
    models without an owner prefix get 0).  Vectorised: one sort of (author, creation time) keys
    and two binary searches per model.

    Back-filled dates (2022-03-02) are kept: the true dates are earlier still, so those models are
    correctly counted as earlier than any model with a reliable date.
    """
    code, _ = pd.factorize(models["author"].astype("object"), use_na_sentinel=True)
    t = _epoch_ms(models["created_at"])
    t = t - t.min() if t.size else t
    span = int(t.max()) + 1 if t.size else 1
    key = code.astype(np.int64) * span + t
    sorted_key = np.sort(key)
    prior = np.searchsorted(sorted_key, key, side="left") - np.searchsorted(
        sorted_key, code.astype(np.int64) * span, side="left"
    )
    return pd.Series(np.where(code >= 0, prior, 0).astype(np.int64), index=models.index)


def build_panel(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    min_derivatives: int = 10,
    congestion_days: float = 30,
    relations: Sequence[str] | str | None = None,
    congestion_window: str = "around",
    lag_bin_edges: Sequence[float] = LAG_BIN_EDGES,
    lag_spline_knots: Sequence[float] = LAG_SPLINE_KNOTS,
    author_prior: np.ndarray | None = None,
) -> pd.DataFrame:
    """The race panel: one row per direct, single-parent derivative of a base model that has at
    least ``min_derivatives`` entrants (sample rules in the module docstring).

    Priority is the derivative's ``entry_rank`` among its base's entrants (1 = first) and its
    within-base percentile ``entry_pct`` (0 = first, 1 = last), ``lag_days`` since the base was
    created (its bin ``lag_bin``, edges ``lag_bin_edges``, and the restricted cubic spline
    columns ``lag_rcs*`` of :func:`lag_spline`, knots ``lag_spline_knots``) and ``early_entrant_7d``/``_30d``;
    competition is ``congestion``, the rivals of the same base created within
    ``congestion_days / 2`` of it (``congestion_window="around"``) or in the ``congestion_days``
    before it (``"before"``; see the module docstring for why the default is "around"); exposure
    is ``age_days`` at the snapshot (:func:`hflineage.data.schema.snapshot_date`).  Quality
    proxies, the author's prominence, the base's prominence and task (``base_pipeline_tag``) and
    the recognition outcomes follow; ``log_*`` columns are the regressors used by
    :func:`hflineage.race.models.estimate` (``log_entry_rank = log(rank)``, the others
    ``log1p``).  ``author_prior`` may pass :func:`author_prior_models` of ``models`` (as an
    array) when several panels are built from one snapshot.  The sample funnel is in
    ``panel.attrs["funnel"]`` (see :func:`funnel_table`).
    """
    _check_edges(edges)
    if int(min_derivatives) != min_derivatives or min_derivatives < 2:
        raise ParameterError(
            f"min_derivatives={min_derivatives!r}; expected an integer >= 2 (a race needs two "
            "entrants)"
        )
    if not congestion_days > 0:
        raise ParameterError(f"congestion_days={congestion_days!r}; expected a positive number")
    check_choice("congestion_window", congestion_window, CONGESTION_WINDOWS)
    lag_bins(np.zeros(0), lag_bin_edges)  # checks the edges
    if len(lag_bin_edges) != len(LAG_BIN_EDGES):
        raise ParameterError(
            f"lag_bin_edges={list(lag_bin_edges)!r}; expected {len(LAG_BIN_EDGES)} edges (the "
            "specifications name the bins' indicator columns)"
        )
    if len(lag_spline_knots) != len(LAG_SPLINE_KNOTS):
        raise ParameterError(
            f"lag_spline_knots={list(lag_spline_knots)!r}; expected {len(LAG_SPLINE_KNOTS)} "
            "knots (the specifications name the spline's columns)"
        )
    relations = check_relations(relations)
    snap = snapshot_date(models)

    ids = pd.Index(models["model_id"].astype(str))
    funnel = _Funnel()
    e = edges.loc[:, [c for c in (*EDGE_COLUMNS, "relation_source") if c in edges.columns]]
    e = e[e["child"].astype(str) != e["parent"].astype(str)]
    # Number of parents each child declares (all edges, resolved or not): decides row eligibility.
    n_declared = e.groupby("child").size()
    funnel.add("declared parent edges (self-loops dropped)", e)

    e = e[(e["resolution"] != "unresolved") & e["parent_in_snapshot"].astype(bool)]
    funnel.add("parent resolved to a model in the snapshot", e)
    e = e[~e["parent_younger"].astype(bool)]
    funnel.add("parent created before the child", e)
    e = e[~e["in_cycle"].astype(bool)]
    funnel.add("not in a declaration cycle", e)

    crow = ids.get_indexer(e["child"].astype(str))
    prow = ids.get_indexer(e["parent"].astype(str))
    if (crow < 0).any():
        bad = e["child"].to_numpy()[crow < 0][0]
        raise HflineageError(
            f"edges frame: child {bad!r} is not in the models table; expected edges built from "
            "the same snapshot"
        )
    reliable = models["created_at_reliable"].to_numpy(bool)
    keep = reliable[crow]
    e, crow, prow = e[keep], crow[keep], prow[keep]
    funnel.add("derivative has a reliable creation date", e)
    keep = reliable[prow]
    e, crow, prow = e[keep], crow[keep], prow[keep]
    funnel.add("base has a reliable creation date", e)
    if relations is not None:
        keep = e["relation"].isin(relations).to_numpy(bool)
        e, crow, prow = e[keep], crow[keep], prow[keep]
        funnel.add(f"relation in {', '.join(relations)}", e)

    t_ms = _epoch_ms(models["created_at"])
    base_code, _ = pd.factorize(e["parent"].astype(str))
    counts = entry_counts(base_code, t_ms[crow], congestion_days, congestion_window)
    keep = counts["n"] >= min_derivatives
    e, crow, prow = e[keep], crow[keep], prow[keep]
    counts = {k: v[keep] for k, v in counts.items()}
    funnel.add(f"base has at least {min_derivatives} entrants (competitor set)", e)

    single = n_declared.reindex(e["child"].to_numpy()).to_numpy() == 1
    e, crow, prow = e[single], crow[single], prow[single]
    counts = {k: v[single] for k, v in counts.items()}
    funnel.add("derivative declares a single parent (panel rows)", e)
    if congestion_window == "around":
        half = pd.Timedelta(days=congestion_days / 2)
        keep = (models["created_at"].iloc[crow] <= snap - half).to_numpy(bool)
        e, crow, prow = e[keep], crow[keep], prow[keep]
        counts = {k: v[keep] for k, v in counts.items()}
        funnel.add(
            f"created at least {congestion_days / 2:g} days before the snapshot (congestion "
            "window complete)",
            e,
        )

    created = models["created_at"].iloc[crow].reset_index(drop=True)
    base_created = models["created_at"].iloc[prow].reset_index(drop=True)
    lag_days = (t_ms[crow] - t_ms[prow]) / _DAY_MS
    lag_bin = lag_bins(lag_days, lag_bin_edges)
    bin_names = lag_bin_names(lag_bin_edges)
    age_days = (snap - created).dt.total_seconds().to_numpy() / 86_400
    rank = counts["rank"].astype(np.int64)
    n = counts["n"].astype(np.int64)
    likes = models["likes"].to_numpy()[crow]
    downloads = models["downloads"].to_numpy()[crow]
    child_ids = e["child"].astype(str).reset_index(drop=True)
    author = models["author"].iloc[crow].reset_index(drop=True).astype("object")
    author = author.where(author.notna(), child_ids)  # no owner prefix: its own author
    base_author = models["author"].iloc[prow].reset_index(drop=True)
    if author_prior is None:
        author_prior = author_prior_models(models).to_numpy()
    prior = np.asarray(author_prior)[crow]
    flags = _tag_flags(models["tags"].iloc[crow].reset_index(drop=True))
    library = models["library_name"].iloc[crow].astype("object").fillna("(none)")
    relation_source = (
        e["relation_source"].to_numpy()
        if "relation_source" in e.columns
        else np.full(len(e), None, dtype=object)
    )
    panel = pd.DataFrame(
        {
            "base_id": e["parent"].astype(str).to_numpy(),
            "model_id": e["child"].astype(str).to_numpy(),
            "relation": e["relation"].astype("object").to_numpy(),
            "relation_source": relation_source,
            "created_at": created,
            "created_month": created.dt.strftime("%Y-%m"),
            "entry_rank": rank,
            "entry_pct": (rank - 1) / (n - 1),
            "lag_days": lag_days,
            "lag_bin": lag_bin,
            **{c: lag_bin == name for c, name in zip(LAG_BINS, bin_names[1:], strict=True)},
            "early_entrant_7d": lag_days <= 7,
            "early_entrant_30d": lag_days <= 30,
            "congestion": counts["congestion"].astype(np.int64),
            "congestion_trailing": counts["congestion_trailing"].astype(np.int64),
            "age_days": age_days,
            "base_created_at": base_created,
            "base_pipeline_tag": models["pipeline_tag"].iloc[prow].astype("object").to_numpy(),
            "base_library": models["library_name"].iloc[prow].astype("object").to_numpy(),
            "base_likes": models["likes"].to_numpy()[prow],
            "base_downloads": models["downloads"].to_numpy()[prow],
            "base_n_derivatives": n,
            **{c: flags[c].to_numpy() for c in flags.columns},
            "has_library": (library != "(none)").to_numpy(bool),
            "library": library.to_numpy(),
            "is_adapter": (e["relation"] == "adapter").to_numpy(bool),
            "is_quantized": (e["relation"] == "quantized").to_numpy(bool),
            "is_merge": (e["relation"] == "merge").to_numpy(bool),
            "author": author.to_numpy(),
            "author_prior_models": prior,
            "same_author_as_base": (author == base_author.astype("object"))
            .fillna(False)
            .to_numpy(bool),
            "likes": likes,
            "log_likes": np.log1p(likes),
            "any_like": (likes > 0).astype(np.int64),
            "downloads": downloads,
            "log_downloads": np.log1p(downloads),
            "log_entry_rank": np.log(rank),
            "log_congestion": np.log1p(counts["congestion"]),
            "log_congestion_trailing": np.log1p(counts["congestion_trailing"]),
            "log_lag": np.log1p(lag_days),
            **dict(zip(LAG_SPLINE, lag_spline(lag_days, lag_spline_knots).T, strict=True)),
            "log_age": np.log1p(age_days),
            "log_author_prior": np.log1p(prior),
        }
    )
    panel = panel.sort_values(["base_id", "entry_rank", "model_id"], ignore_index=True)
    panel.attrs = {
        "snapshot_date": snap.isoformat(),
        "min_derivatives": int(min_derivatives),
        "congestion_days": float(congestion_days),
        "congestion_window": congestion_window,
        "lag_bin_edges": [float(x) for x in lag_bin_edges],
        "lag_spline_knots": [float(x) for x in lag_spline_knots],
        "relations": list(relations) if relations else None,
        "funnel": funnel.rows,
    }
    return panel


def funnel_table(panel: pd.DataFrame) -> pd.DataFrame:
    """The sample funnel of a panel: edges, derivatives and bases left after each rule, and how
    many edges each rule dropped.
    """
    rows = panel.attrs.get("funnel")
    if not rows:
        raise HflineageError("panel has no funnel in attrs; build it with race.build_panel")
    return pd.DataFrame(rows)
