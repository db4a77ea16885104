"""Recognition over a common calendar interval: what two snapshots of the Hub show that one cannot.

With one snapshot, a model's likes are everything it collected since its creation, so an older
model has had longer to collect them (the *exposure* confound of the race chapter), and no
specification can fully separate "released later" from "had less time".  A later snapshot of the
same Hub gives every model present in both the likes it **gained between the two dates** — the
same calendar interval for all — and its downloads over the 30 days before the later date.

Models present in the main snapshot but not in the later one were deleted (or renamed: a rename
shows as one deletion and one new model, since the listing keeps no redirect).  Who is deleted is
not random (forgotten models go first), so the survivors are a selected sample: the counts are
reported as a result, split by whatever group the caller names (e.g. the race panel).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import DAY_SECONDS
from ..errors import HflineageError, SnapshotError
from .schema import snapshot_date

#: Columns both snapshots must have (the models-table schema of :mod:`hflineage.data.schema`).
NEEDED = ("model_id", "likes", "downloads")


@dataclass(frozen=True)
class Recognition:
    """Likes gained and later downloads of the models present in two snapshots.

    Attributes:
        table: one row per model present in both: ``model_id``, ``likes_main``, ``likes_later``,
            ``likes_gained`` (later minus main; negative if likes were withdrawn),
            ``downloads_later`` (the ~30 days before the later date), ``downloads_all_time_gained``
            (both snapshots' all-time downloads, where both have them; else missing).
        counts: ``main_models``, ``later_models``, ``in_both``, ``deleted`` (in the main snapshot
            only), ``new`` (in the later one only), ``likes_fell`` (models whose likes went down),
            ``interval_days``; with ``groups`` given, ``deleted_<group>`` and ``rows_<group>`` per
            group and ``deleted_other`` / ``rows_other`` for the rest.
        deleted: the ``model_id`` of every deleted model.
    """

    table: pd.DataFrame
    counts: dict[str, float] = field(default_factory=dict)
    deleted: pd.Series = field(default_factory=lambda: pd.Series(dtype="object"))


def _check(frame: pd.DataFrame, name: str) -> None:
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise HflineageError(
            f"{name} snapshot: no column {missing[0]!r}; expected a models table from "
            "hflineage.data.load_snapshot"
        )
    if frame["model_id"].duplicated().any():
        dup = frame.loc[frame["model_id"].duplicated(), "model_id"].iloc[0]
        raise HflineageError(
            f"{name} snapshot: model_id {dup!r} appears twice; expected unique ids"
        )


def recognition_between(
    main: pd.DataFrame,
    later: pd.DataFrame,
    *,
    groups: dict[str, Iterable[str]] | None = None,
) -> Recognition:
    """Compare a main snapshot with a later one of the same Hub.

    Args:
        main: the models table the book runs on.
        later: a models table taken later (its snapshot date must be after the main one's).
        groups: named sets of model ids (e.g. ``{"panel": race_panel_ids}``) whose deletions are
            counted apart: survivorship is a result, not an accident.

    Returns:
        A :class:`Recognition`.

    Raises:
        SnapshotError: the later snapshot is not later than the main one.
        HflineageError: a table lacks a needed column or repeats a model id.
    """
    _check(main, "main")
    _check(later, "later")
    d_main, d_later = snapshot_date(main), snapshot_date(later)
    if not d_later > d_main:
        raise SnapshotError(
            f"later snapshot is dated {d_later.isoformat()}, not after the main one "
            f"({d_main.isoformat()}); expected a snapshot taken later"
        )
    ids_main = main["model_id"].astype(str)
    ids_later = pd.Index(later["model_id"].astype(str))
    at = ids_later.get_indexer(ids_main)
    both = at >= 0
    likes_main = main["likes"].to_numpy(np.int64)[both]
    likes_later = later["likes"].to_numpy(np.int64)[at[both]]
    table = pd.DataFrame(
        {
            "model_id": ids_main.to_numpy()[both],
            "likes_main": likes_main,
            "likes_later": likes_later,
            "likes_gained": likes_later - likes_main,
            "downloads_later": later["downloads"].to_numpy(np.int64)[at[both]],
        }
    )
    if "downloads_all_time" in main.columns and "downloads_all_time" in later.columns:
        gained = (
            later["downloads_all_time"].astype("Float64").to_numpy()[at[both]]
            - main["downloads_all_time"].astype("Float64").to_numpy()[both]
        )
        table["downloads_all_time_gained"] = pd.array(gained, dtype="Float64")
    else:
        table["downloads_all_time_gained"] = pd.array([pd.NA] * len(table), dtype="Float64")
    deleted = ids_main[~both].reset_index(drop=True)
    counts: dict[str, float] = {
        "main_models": len(main),
        "later_models": len(later),
        "in_both": int(both.sum()),
        "deleted": int((~both).sum()),
        "new": int(len(later) - both.sum()),
        "likes_fell": int((table["likes_gained"] < 0).sum()),
        "interval_days": (d_later - d_main).total_seconds() / DAY_SECONDS,
    }
    if groups:
        in_any = np.zeros(len(ids_main), dtype=bool)
        for name, ids in groups.items():
            member = ids_main.isin(pd.Index(pd.Series(list(ids), dtype="object").astype(str)))
            member = member.to_numpy(bool)
            in_any |= member
            counts[f"rows_{name}"] = int(member.sum())
            counts[f"deleted_{name}"] = int((member & ~both).sum())
        counts["rows_other"] = int((~in_any).sum())
        counts["deleted_other"] = int((~in_any & ~both).sum())
    table.attrs = {"main_date": d_main.isoformat(), "later_date": d_later.isoformat()}
    return Recognition(table=table, counts=counts, deleted=deleted)
