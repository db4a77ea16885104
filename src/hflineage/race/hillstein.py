"""Hill & Stein's own predictions on the Hub: potential draws teams, competition shortens
maturation, and shorter maturation lowers quality (claims HS-* of ``book/claims.yml``).

Hill & Stein (2025, QJE 140(2)) model scientific projects whose *potential* draws competing
teams; competition shortens each team's *maturation* and so lowers the *quality* of what it
releases, and the first team takes most of the credit.  :data:`hflineage.race.constructs.MAPPING`
maps those constructs onto the Hub; this module measures the links between them:

- **teams** (:func:`team_entries`): a team is a distinct account (the model's owner) entering a
  base; it counts once, at its first derivative of that base, and the base's own account is
  not a rival.  Derivatives of every kind count (the competitor set of the race panel, merges
  included), with reliable dates, on time-consistent, non-cyclic edges;
- **race measures** (:func:`race_teams`): per base, the teams within ``horizon`` days of its
  release, the teams in its first ``early`` days, and the days until the ``k``-th team (the
  restricted mean time: a base that ``k`` teams never reach within ``horizon`` counts
  ``horizon``);
- **potential before entry** (:func:`base_table`): the likes, at the snapshot, of the models
  the base's account had created *before* the base (:func:`author_prior_likes`), its earlier
  model count, the base's size class from its name; never the base's own likes, which grow with
  entry;
- **entrants** (:func:`entrant_frame`): the first entry of each team in the race panel, with its
  maturation (``log_lag``), its race's early contest (rival teams in the first ``early`` days,
  the entrant left out) and its base's potential;
- **the numbers the chapter quotes** about the races (:func:`race_numbers`).

The designs and their fits are in :mod:`hflineage.race.hillstein_fits`, the simulation that
checks them in :mod:`hflineage.race.hillstein_sim`, the binned scatters in
:mod:`hflineage.race.hillstein_plots`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import DAY_MS, DAY_SECONDS
from ..data.schema import arrow_strings, frame_edge_rows, snapshot_date, string_codes
from ..errors import ParameterError
from ..lineage.checks import check_edges
from ..lineage.headlines import number_table
from ..lineage.size import model_size
from .panel import RACE_EDGE_COLUMNS, author_prior_models
from .timing import epoch_ms

#: Days after a base's release in which its teams are counted (equal follow-up for every base).
HORIZON_DAYS = 90

#: The team whose arrival times the race's speed (the third rival account).
KTH_TEAM = 3

#: Days of a race's opening in which its early contest is counted.
EARLY_DAYS = 30

#: Size class of a base whose name states no size.
UNKNOWN_SIZE = "unknown"


def check_frame(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a one-line :class:`ParameterError` naming the first of ``columns`` ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"{what}: no column {missing[0]!r}; expected {', '.join(columns)}")


def _author_codes(models: pd.DataFrame) -> np.ndarray:
    """An integer per account; a model without an owner prefix is its own account."""
    authors = arrow_strings(models["author"])
    code = string_codes(authors)
    null = pc.is_null(authors).to_numpy(zero_copy_only=False)
    return np.where(null, code.max(initial=0) + 1 + np.arange(len(code)), code)


def author_prior_likes(models: pd.DataFrame, codes: np.ndarray | None = None) -> pd.Series:
    """Per model: the likes (at the snapshot) of the models its account created *strictly
    before* it (models created at the same instant are not earlier than each other; 0 for an
    account's first model).  Vectorised: one sort of (account, time) and a cumulative sum.
    ``codes``: the accounts' integer codes if already computed (:func:`_author_codes`).
    """
    code = _author_codes(models) if codes is None else codes
    t = epoch_ms(models["created_at"])
    order = np.lexsort((t, code))
    sc, st = code[order], t[order]
    pos = np.arange(len(order))
    new_tie = np.ones(len(order), bool)
    new_tie[1:] = (sc[1:] != sc[:-1]) | (st[1:] != st[:-1])
    new_author = np.ones(len(order), bool)
    new_author[1:] = sc[1:] != sc[:-1]
    tie_start = np.maximum.accumulate(np.where(new_tie, pos, 0))
    author_start = np.maximum.accumulate(np.where(new_author, pos, 0))
    cum = np.concatenate([[0], np.cumsum(models["likes"].to_numpy(np.int64)[order])])
    prior = np.empty(len(order), np.int64)
    prior[order] = cum[tie_start] - cum[author_start]
    return pd.Series(prior, index=models.index, name="author_prior_likes")


def team_entries(
    models: pd.DataFrame, edges: pd.DataFrame, codes: np.ndarray | None = None
) -> pd.DataFrame:
    """Each rival team's first entry into each base (rules in the module docstring);
    ``codes`` as in :func:`author_prior_likes`.

    Returns:
        One row per (base, team), sorted by base and lag: ``base_row`` (row of the base in
        ``models``), ``author_code``, ``lag_days`` (days from the base's creation to the team's
        first derivative of it) and ``relation`` of that derivative.
    """
    check_edges(edges, RACE_EDGE_COLUMNS)
    ok = (
        (edges["resolution"] != "unresolved").to_numpy(bool)
        & edges["parent_in_snapshot"].to_numpy(bool)
        & ~edges["parent_younger"].to_numpy(bool)
        & ~edges["in_cycle"].to_numpy(bool)
    )
    _, crow, prow = frame_edge_rows(models, edges)
    ok &= (crow >= 0) & (prow >= 0) & (crow != prow)
    reliable = models["created_at_reliable"].to_numpy(bool)
    idx = np.flatnonzero(ok)
    idx = idx[reliable[crow[idx]] & reliable[prow[idx]]]
    author = _author_codes(models) if codes is None else codes
    c, p = crow[idx], prow[idx]
    rival = author[c] != author[p]
    idx, c, p = idx[rival], c[rival], p[rival]
    t = epoch_ms(models["created_at"])
    lag = (t[c] - t[p]) / DAY_MS
    order = np.lexsort((lag, author[c], p))
    p_s, a_s = p[order], author[c][order]
    first = np.ones(len(order), bool)
    first[1:] = (p_s[1:] != p_s[:-1]) | (a_s[1:] != a_s[:-1])
    keep = order[first]
    out = pd.DataFrame(
        {
            "base_row": p[keep],
            "author_code": author[c][keep],
            "lag_days": lag[keep],
            "relation": edges["relation"].to_numpy(dtype=object)[idx[keep]],
        }
    )
    return out.sort_values(["base_row", "lag_days"], kind="stable").reset_index(drop=True)


def race_teams(
    entries: pd.DataFrame,
    n_bases: int,
    *,
    horizon: float = HORIZON_DAYS,
    k: int = KTH_TEAM,
    early: float = EARLY_DAYS,
) -> pd.DataFrame:
    """Per base (rows ``0 .. n_bases - 1``, the rows of ``models``): ``teams_total``,
    ``teams_h`` (first entries within ``horizon`` days, inclusive), ``teams_early`` (within
    ``early`` days, inclusive), ``days_to_k`` (lag of the ``k``-th team, NaN if fewer than ``k``
    teams) and ``rmst_k`` (``min(days_to_k, horizon)``; ``horizon`` when never reached).
    """
    check_frame(entries, ("base_row", "lag_days"), "race_teams")
    if int(k) != k or k < 1 or not horizon > 0 or not early > 0:
        raise ParameterError(
            f"race_teams: k={k!r}, horizon={horizon!r}, early={early!r}; expected a whole k >= 1 "
            "and positive day counts"
        )
    e = entries.sort_values(["base_row", "lag_days"], kind="stable")
    b = e["base_row"].to_numpy(np.int64)
    lag = e["lag_days"].to_numpy(float)
    out = pd.DataFrame(
        {
            "teams_total": np.bincount(b, minlength=n_bases),
            "teams_h": np.bincount(b[lag <= horizon], minlength=n_bases),
            "teams_early": np.bincount(b[lag <= early], minlength=n_bases),
        }
    )
    start = np.searchsorted(b, np.arange(n_bases))
    has_k = out["teams_total"].to_numpy() >= k
    days = np.full(n_bases, np.nan)
    days[has_k] = lag[start[has_k] + int(k) - 1]
    out["days_to_k"] = days
    out["rmst_k"] = np.where(has_k, np.minimum(days, horizon), horizon)
    return out


def base_table(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    horizon: float = HORIZON_DAYS,
    k: int = KTH_TEAM,
    early: float = EARLY_DAYS,
    pipeline_tags: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Models of the snapshot as potential bases: their potential measured before entry and
    their race (one row per model, in the order of ``models``).

    Args:
        models: the snapshot's models table.
        edges: its lineage edges.
        horizon: days after release in which teams are counted (:func:`race_teams`).
        k: the team whose arrival times the race.
        early: days of the race's opening.
        pipeline_tags: keep only the models whose task is one of these (``None``: every model).
            Teams and potential are always counted on the whole snapshot (an account's earlier
            models of any task); only the rows kept are described, which saves the name parsing
            and date formatting of the others.

    Columns: ``base_id``, ``author`` (an integer per account), ``pipeline_tag``, ``reliable``,
    ``age_days`` (at the snapshot), ``release_month``, ``prior_likes`` / ``log_prior_likes``
    (:func:`author_prior_likes`), ``log_prior_models``, ``size_class`` (from the name;
    :data:`UNKNOWN_SIZE` when it states none), ``base_likes`` (at the snapshot: grows with
    entry, a reading only) and the columns of :func:`race_teams`.
    """
    codes = _author_codes(models)
    entries = team_entries(models, edges, codes)
    teams = race_teams(entries, len(models), horizon=horizon, k=k, early=early)
    prior = author_prior_likes(models, codes).to_numpy()
    prior_models = author_prior_models(models).to_numpy()
    tag = models["pipeline_tag"].astype("object").to_numpy()
    keep = (
        np.arange(len(models))
        if pipeline_tags is None
        else np.flatnonzero(pd.Series(tag).isin(list(pipeline_tags)).to_numpy())
    )
    kept = models.iloc[keep]
    size = model_size(kept[["model_id"]])["size_bin"].astype("object").fillna(UNKNOWN_SIZE)
    created = kept["created_at"].reset_index(drop=True)
    month = epoch_ms(created).astype("datetime64[ms]").astype("datetime64[M]")
    out = pd.DataFrame(
        {
            "base_id": kept["model_id"].astype(str).to_numpy(),
            "author": codes[keep],
            "pipeline_tag": tag[keep],
            "reliable": kept["created_at_reliable"].to_numpy(bool),
            "age_days": (snapshot_date(models) - created).dt.total_seconds().to_numpy()
            / DAY_SECONDS,
            "release_month": np.datetime_as_string(month, unit="M").astype(object),
            "prior_likes": prior[keep],
            "log_prior_likes": np.log1p(prior[keep]),
            "log_prior_models": np.log1p(prior_models[keep]),
            "size_class": size.to_numpy(),
            "base_likes": kept["likes"].to_numpy(),
        }
    )
    out = pd.concat([out, teams.iloc[keep].reset_index(drop=True)], axis=1)
    out.attrs = {"horizon": float(horizon), "k": int(k), "early": float(early)}
    out.attrs["entries"] = entries
    return out


def potential_frame(
    bases: pd.DataFrame, pipeline_tags: Sequence[str] = ("text-generation",)
) -> pd.DataFrame:
    """The bases of HS-potential and HS-speed: models whose task is one of ``pipeline_tags``,
    with a reliable creation date, at least the table's ``horizon`` days old at the snapshot.
    """
    check_frame(bases, ("pipeline_tag", "reliable", "age_days"), "potential_frame")
    keep = (
        bases["pipeline_tag"].isin(list(pipeline_tags)).to_numpy(bool)
        & bases["reliable"].to_numpy(bool)
        & (bases["age_days"].to_numpy(float) >= bases.attrs.get("horizon", HORIZON_DAYS))
    )
    out = bases[keep].reset_index(drop=True)
    out.attrs = {k: v for k, v in bases.attrs.items() if k != "entries"}
    return out


def entrant_frame(panel: pd.DataFrame, bases: pd.DataFrame) -> pd.DataFrame:
    """The first entry of each rival team in ``panel`` (a race panel, e.g. the LLM one), with
    its base's potential and early contest.

    Kept: rows whose account is not the base's own, the first (lowest entry rank) of each
    (base, account).  Added: ``rivals_early`` (rival teams of the base in its first ``early``
    days, this entrant's own team left out), ``log_rivals_early``, ``log_prior_likes``,
    ``log_prior_models``, ``size_class``, ``release_month`` (the base's) and ``kind`` (the
    relation; ``"(none)"`` when undeclared).
    """
    check_frame(
        panel,
        ("base_id", "author", "entry_rank", "same_author_as_base", "lag_days"),
        "entrant_frame",
    )
    early = bases.attrs.get("early", EARLY_DAYS)
    rows = panel[~panel["same_author_as_base"].to_numpy(bool)]
    rows = rows.sort_values(["base_id", "entry_rank"], kind="stable")
    rows = rows.drop_duplicates(["base_id", "author"], keep="first").reset_index(drop=True)
    ids = pa.array(bases["base_id"].to_numpy(), pa.large_string())
    where = pc.index_in(pa.array(rows["base_id"].astype(str).to_numpy(), pa.large_string()), ids)
    where = pc.fill_null(where, -1).to_numpy(zero_copy_only=False)
    if (where < 0).any():
        raise ParameterError(
            "entrant_frame: a base of the panel is not in the base table; expected both from "
            "the same snapshot, and the table's pipeline_tags covering the panel's bases"
        )
    b = bases.iloc[where].reset_index(drop=True)
    own_early = rows["lag_days"].to_numpy(float) <= early
    rivals = np.maximum(b["teams_early"].to_numpy() - own_early, 0)
    out = rows.assign(
        rivals_early=rivals,
        log_rivals_early=np.log1p(rivals),
        log_prior_likes=b["log_prior_likes"].to_numpy(),
        log_prior_models=b["log_prior_models"].to_numpy(),
        size_class=b["size_class"].to_numpy(),
        release_month=b["release_month"].to_numpy(),
        kind=rows["relation"].astype("object").fillna("(none)").to_numpy(),
    )
    return out


def _whole(x: float) -> float | int:
    """A day count as the parameter was given: 90.0 is 90."""
    return int(x) if float(x).is_integer() else float(x)


def race_numbers(
    potential: pd.DataFrame,
    entrants: pd.DataFrame,
    panel: pd.DataFrame,
    *,
    min_derivatives: int,
    said: Callable[[int, int], str],
) -> pd.DataFrame:
    """The numbers the chapter quotes about its races, one row per number (a
    :func:`~hflineage.lineage.headlines.number_table`).

    Args:
        potential: :func:`potential_frame` (its ``attrs`` carry the horizon, k and early window).
        entrants: :func:`entrant_frame` of ``panel``.
        panel: the race panel the entrants come from (e.g. the LLM one).
        min_derivatives: entrants a base needs in the race panel.
        said: how a count and its total are written (e.g.
            :func:`hflineage.chapter.sentences.count_share`: "12 of 40 (30%)").
    """
    check_frame(potential, ("teams_h", "days_to_k"), "race_numbers")
    check_frame(entrants, ("base_id", "author", "lag_days"), "race_numbers")
    horizon = _whole(potential.attrs.get("horizon", HORIZON_DAYS))
    k = int(potential.attrs.get("k", KTH_TEAM))
    n = len(potential)
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")
    rows = [
        ("hs_min_derivatives", min_derivatives, "entrants a base needs (race panel)", None),
        ("hs_horizon", horizon, "days after release in which teams are counted", None),
        ("hs_k", ordinal, "the rival team whose arrival times a race", None),
        (
            "hs_early",
            _whole(potential.attrs.get("early", EARLY_DAYS)),
            "days of a race's opening (early contest)",
            None,
        ),
        ("hs_n_potential", n, "potential bases (text-generation, old enough)", ","),
        (
            "hs_raced",
            said(int((potential["teams_h"] > 0).sum()), n),
            "potential bases entered by at least one rival team within the horizon",
            None,
        ),
        (
            "hs_reached_k",
            said(int((potential["days_to_k"] <= horizon).sum()), n),
            "potential bases reached by the k-th team within the horizon",
            None,
        ),
        ("hs_llm_rows", len(panel), "derivatives in the LLM race panel", ","),
        ("hs_entrants", len(entrants), "first entries of rival teams in the LLM race panel", ","),
        ("hs_entrant_bases", entrants["base_id"].nunique(), "bases of those entries", ","),
        ("hs_entrant_accounts", entrants["author"].nunique(), "accounts among those entries", ","),
        (
            "hs_median_lag",
            entrants["lag_days"].median(),
            "median maturation of a team's first entry (days)",
            ".0f",
        ),
    ]
    return number_table(rows)
