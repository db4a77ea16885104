"""The race to release: a panel of derivative models competing for recognition on one base.

Liu, Kang & Yang (2026) carry Hill & Stein's race-to-the-bottom framework (QJE 2025) from
scientific projects to Hugging Face; :data:`hflineage.race.constructs.MAPPING` says which
panel column carries which of their constructs.

The three clocks of a race — entry rank, lag since the base's release, age at the snapshot — move
together within a base (lag + age is the base's own age); :func:`hflineage.race.timing.clock_correlations` measures
how much.

Sample rules of :func:`build_panel` (each one is counted in the sample funnel,
:func:`hflineage.race.sample.funnel_table`):

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
import pyarrow as pa
import pyarrow.compute as pc

from ..config import DAY_MS, DAY_SECONDS
from ..data.schema import (
    arrow_strings,
    explode_lists,
    frame_edge_rows,
    snapshot_date,
    string_codes,
)
from ..errors import HflineageError, ParameterError, check_choice
from ..lineage import checks
from .sample import Funnel
from .specs import LAG_BIN_EDGES, LAG_BINS, LAG_SPLINE, LAG_SPLINE_KNOTS
from .timing import (
    CONGESTION_WINDOWS,
    entry_counts,
    epoch_ms,
    lag_bin_names,
    lag_bins,
    lag_spline,
    team_counts,
)

#: What happens to an account's later uploads on a base it already entered: they ``share`` its
#: first entry's team rank (the default: every derivative stays a row, and its team's priority is
#: its priority) or are dropped (``drop``: one row per team, the team's first upload).  Either way
#: they are not rivals of their own account in ``team_rank`` and ``team_congestion``.
LATER_UPLOADS = ("share", "drop")


#: Columns of the edges frame the race reads (contract of :func:`hflineage.lineage.edges.build_edges`;
#: checked by the lineage package's one edge check, :func:`hflineage.lineage.checks.check_edges`).
RACE_EDGE_COLUMNS = (
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
    "team_rank",
    "team_upload",
    "team_congestion",
    "base_n_teams",
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
    "log_team_rank",
    "log_team_congestion",
    "log_lag",
    *LAG_SPLINE,
    "log_age",
    "log_author_prior",
)


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
    models without an owner prefix get 0).  Vectorised: authors coded by Arrow, one sort of
    (author, creation time) keys and two running maxima.

    Back-filled dates (2022-03-02) are kept: the true dates are earlier still, so those models are
    correctly counted as earlier than any model with a reliable date.
    """
    authors = arrow_strings(models["author"])
    code = np.where(pc.is_null(authors).to_numpy(zero_copy_only=False), -1, string_codes(authors))
    t = epoch_ms(models["created_at"])
    t = t - t.min() if t.size else t
    span = int(t.max()) + 1 if t.size else 1
    key = code.astype(np.int64) * span + t
    # In (author, time) order, a model's earlier models are those from the start of its
    # author's run to the start of its own tie run (models created at the same instant are not
    # earlier than each other): one sort, no binary searches (3 million unsorted look-ups: 4 s).
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    sorted_code = code[order]
    pos = np.arange(len(key))
    new_tie = np.ones(len(key), dtype=bool)
    new_tie[1:] = sorted_key[1:] != sorted_key[:-1]
    new_author = np.ones(len(key), dtype=bool)
    new_author[1:] = sorted_code[1:] != sorted_code[:-1]
    tie_start = np.maximum.accumulate(np.where(new_tie, pos, 0))
    author_start = np.maximum.accumulate(np.where(new_author, pos, 0))
    prior = np.empty(len(key), dtype=np.int64)
    prior[order] = tie_start - author_start
    return pd.Series(np.where(code >= 0, prior, 0).astype(np.int64), index=models.index)


def race_subset(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    pipeline_tags: Sequence[str],
    author_prior: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The models and edges that decide the races of bases whose task is one of
    ``pipeline_tags``, and the authors' prior counts of those models.

    Kept: every edge of every model that declares at least one such base (all of its edges,
    resolved or not: they decide whether it declares a single parent) and the models at either
    end of them; the snapshot date of ``models`` goes with them.  :func:`build_panel` on the
    subset, restricted to those bases (:func:`hflineage.race.sample.llm_sample`), gives the same
    panel as on the whole snapshot (tested): ranks, congestion and race sizes only count a base's
    own derivatives.  ``author_prior`` (:func:`author_prior_models` of the whole ``models``)
    must come from the whole snapshot: an author's earlier models may lie outside the subset.
    At 3 million models the LLM races need about a tenth of the rows.

    Returns:
        ``(models subset, edges subset, author_prior of the subset's rows)``.
    """
    checks.check_edges(edges, RACE_EDGE_COLUMNS)
    tags = [pipeline_tags] if isinstance(pipeline_tags, str) else list(pipeline_tags)
    if not tags:
        raise ParameterError(
            "pipeline_tags is empty; expected tasks such as text-generation (or build the whole "
            "panel)"
        )
    if author_prior is None:
        author_prior = author_prior_models(models).to_numpy()
    # Arrow's hash sets: pandas' isin on millions of strings takes seconds, these milliseconds.
    model_ids = arrow_strings(models["model_id"])
    is_base = pc.is_in(arrow_strings(models["pipeline_tag"]), pa.array(tags, pa.large_string()))
    bases = model_ids.filter(pc.fill_null(is_base, False))
    child = arrow_strings(edges["child"])
    declares = child.filter(pc.is_in(arrow_strings(edges["parent"]), bases))
    sub_edges = edges[np.asarray(pc.is_in(child, declares), dtype=bool)]
    ends = pa.concat_arrays([arrow_strings(sub_edges["child"]), arrow_strings(sub_edges["parent"])])
    keep = np.asarray(pc.is_in(model_ids, ends), dtype=bool)
    sub_models = models[keep]
    sub_models.attrs = {**models.attrs, "snapshot_date": snapshot_date(models)}
    return sub_models, sub_edges, np.asarray(author_prior)[keep]


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
    later_uploads: str = "share",
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
    :func:`hflineage.race.regressions.estimate` (``log_entry_rank = log(rank)``, the others
    ``log1p``).  ``author_prior`` may pass :func:`author_prior_models` of ``models`` (as an
    array) when several panels are built from one snapshot.  The sample funnel is in
    ``panel.attrs["funnel"]`` (see :func:`funnel_table`).
    """
    checks.check_edges(edges, RACE_EDGE_COLUMNS)
    if int(min_derivatives) != min_derivatives or min_derivatives < 2:
        raise ParameterError(
            f"min_derivatives={min_derivatives!r}; expected an integer >= 2 (a race needs two "
            "entrants)"
        )
    if not congestion_days > 0:
        raise ParameterError(f"congestion_days={congestion_days!r}; expected a positive number")
    check_choice("congestion_window", congestion_window, CONGESTION_WINDOWS)
    check_choice("later_uploads", later_uploads, LATER_UPLOADS)
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
    relations = checks.check_relations(relations)
    snap = snapshot_date(models)

    # Every edge is followed by its position ``idx`` and integer codes (Arrow hashing): pandas'
    # string indexes and per-step frame copies cost ~15 s at 3 million models.
    _, child_row, parent_row = frame_edge_rows(models, edges)
    child_a = arrow_strings(edges["child"])
    parent_a = arrow_strings(edges["parent"])
    parent_code = string_codes(parent_a)
    child_code = string_codes(child_a)
    funnel = Funnel(child_code, parent_code)
    idx = np.flatnonzero(np.asarray(pc.not_equal(child_a, parent_a), dtype=bool))
    # Number of parents each child declares (all edges, resolved or not): decides row eligibility.
    n_declared = np.bincount(child_code[idx], minlength=len(child_a))[child_code]
    funnel.add("declared parent edges (self-loops dropped)", idx)

    def flag(column: str) -> np.ndarray:
        return edges[column].to_numpy(dtype=bool)[idx]

    resolved = edges["resolution"].to_numpy(dtype=object)[idx] != "unresolved"
    idx = idx[resolved & flag("parent_in_snapshot")]
    funnel.add("parent resolved to a model in the snapshot", idx)
    idx = idx[~flag("parent_younger")]
    funnel.add("parent created before the child", idx)
    idx = idx[~flag("in_cycle")]
    funnel.add("not in a declaration cycle", idx)

    reliable = models["created_at_reliable"].to_numpy(bool)
    missing = child_row[idx] < 0
    if missing.any():
        bad = child_a[int(idx[missing][0])].as_py()
        raise HflineageError(
            f"edges frame: child {bad!r} is not in the models table; expected edges built from "
            "the same snapshot"
        )
    idx = idx[reliable[child_row[idx]]]
    funnel.add("derivative has a reliable creation date", idx)
    idx = idx[reliable[parent_row[idx]]]
    funnel.add("base has a reliable creation date", idx)
    relation_all = edges["relation"].to_numpy(dtype=object)
    if relations is not None:
        idx = idx[np.isin(relation_all[idx], np.asarray(relations, dtype=object))]
        funnel.add(f"relation in {', '.join(relations)}", idx)

    t_ms = epoch_ms(models["created_at"])
    counts = entry_counts(
        parent_code[idx], t_ms[child_row[idx]], congestion_days, congestion_window
    )
    # teams: an account is one team (a model without an owner prefix is its own)
    author_a = arrow_strings(models["author"])
    team_of_row = np.where(
        pc.is_null(author_a).to_numpy(zero_copy_only=False),
        len(models) + np.arange(len(models)),
        string_codes(author_a),
    )
    counts.update(
        team_counts(
            parent_code[idx],
            team_of_row[child_row[idx]],
            t_ms[child_row[idx]],
            congestion_days,
            congestion_window,
        )
    )
    keep = counts["n"] >= min_derivatives
    idx = idx[keep]
    counts = {k: v[keep] for k, v in counts.items()}
    funnel.add(f"base has at least {min_derivatives} entrants (competitor set)", idx)

    single = n_declared[idx] == 1
    idx = idx[single]
    counts = {k: v[single] for k, v in counts.items()}
    funnel.add("derivative declares a single parent (panel rows)", idx)
    if congestion_window == "around":
        half = pd.Timedelta(days=congestion_days / 2)
        keep = (models["created_at"].iloc[child_row[idx]] <= snap - half).to_numpy(bool)
        idx = idx[keep]
        counts = {k: v[keep] for k, v in counts.items()}
        funnel.add(
            f"created at least {congestion_days / 2:g} days before the snapshot (congestion "
            "window complete)",
            idx,
        )
    if later_uploads == "drop":
        keep = counts["team_upload"] == 1
        idx = idx[keep]
        counts = {k: v[keep] for k, v in counts.items()}
        funnel.add("the account's first upload on the base (later uploads dropped)", idx)
    # Rows in their final order (base, entry rank, derivative id), sorted by Arrow.
    order = pc.sort_indices(
        pa.table(
            {
                "base": parent_a.take(pa.array(idx)),
                "rank": counts["rank"],
                "child": child_a.take(pa.array(idx)),
            }
        ),
        sort_keys=[("base", "ascending"), ("rank", "ascending"), ("child", "ascending")],
    ).to_numpy()
    idx = idx[order]
    counts = {k: v[order] for k, v in counts.items()}
    crow, prow = child_row[idx], parent_row[idx]
    relation = relation_all[idx]

    created = models["created_at"].iloc[crow].reset_index(drop=True)
    base_created = models["created_at"].iloc[prow].reset_index(drop=True)
    lag_days = (t_ms[crow] - t_ms[prow]) / DAY_MS
    lag_bin = lag_bins(lag_days, lag_bin_edges)
    bin_names = lag_bin_names(lag_bin_edges)
    age_days = (snap - created).dt.total_seconds().to_numpy() / DAY_SECONDS
    rank = counts["rank"].astype(np.int64)
    n = counts["n"].astype(np.int64)
    likes = models["likes"].to_numpy()[crow]
    downloads = models["downloads"].to_numpy()[crow]
    child_ids = pd.Series(child_a.take(pa.array(idx)).to_numpy(zero_copy_only=False))
    author = models["author"].iloc[crow].reset_index(drop=True).astype("object")
    author = author.where(author.notna(), child_ids)  # no owner prefix: its own author
    base_author = models["author"].iloc[prow].reset_index(drop=True)
    if author_prior is None:
        author_prior = author_prior_models(models).to_numpy()
    prior = np.asarray(author_prior)[crow]
    flags = _tag_flags(models["tags"].iloc[crow].reset_index(drop=True))
    library = models["library_name"].iloc[crow].astype("object").fillna("(none)")
    relation_source = (
        edges["relation_source"].to_numpy(dtype=object)[idx]
        if "relation_source" in edges.columns
        else np.full(len(idx), None, dtype=object)
    )
    panel = pd.DataFrame(
        {
            "base_id": parent_a.take(pa.array(idx)).to_numpy(zero_copy_only=False),
            "model_id": child_ids.to_numpy(),
            "relation": relation,
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
            "team_rank": counts["team_rank"].astype(np.int64),
            "team_upload": counts["team_upload"].astype(np.int64),
            "team_congestion": counts["team_congestion"].astype(np.int64),
            "base_n_teams": counts["n_teams"].astype(np.int64),
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
            "is_adapter": relation == "adapter",
            "is_quantized": relation == "quantized",
            "is_merge": relation == "merge",
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
            "log_team_rank": np.log(counts["team_rank"]),
            "log_team_congestion": np.log1p(counts["team_congestion"]),
            "log_lag": np.log1p(lag_days),
            **dict(zip(LAG_SPLINE, lag_spline(lag_days, lag_spline_knots).T, strict=True)),
            "log_age": np.log1p(age_days),
            "log_author_prior": np.log1p(prior),
        }
    )
    panel.attrs = {
        "snapshot_date": snap.isoformat(),
        "min_derivatives": int(min_derivatives),
        "congestion_days": float(congestion_days),
        "congestion_window": congestion_window,
        "lag_bin_edges": [float(x) for x in lag_bin_edges],
        "lag_spline_knots": [float(x) for x in lag_spline_knots],
        "relations": list(relations) if relations else None,
        "later_uploads": later_uploads,
        "funnel": funnel.rows,
    }
    return panel
