"""Hill & Stein's race framework on the Hub: which panel column carries which construct.

Liu, Kang & Yang (2026) carry Hill & Stein's race-to-the-bottom framework (QJE 2025) from
scientific projects to Hugging Face.  :data:`MAPPING` is the one statement of that mapping in the
book: the race panel's docstring points here, and chapter 5 renders it with :func:`mapping_table`
(a test checks that every column it names is a column of the panel).
"""

from __future__ import annotations

import pandas as pd

#: Hill & Stein's constructs, their reading on the Hub, and the panel columns that carry them.
MAPPING: tuple[tuple[str, str, str], ...] = (
    ("project", "a base model", "base_id"),
    (
        "competing teams",
        "the accounts that publish direct derivatives of it",
        "author, model_id, team_upload, base_n_teams",
    ),
    (
        "project potential",
        "base prominence (absorbed by the base fixed effect)",
        "base_likes, base_downloads, base_n_derivatives",
    ),
    (
        "priority",
        "entry order among teams (and among uploads) and timing",
        "team_rank, entry_rank, entry_pct, lag_days, early_entrant_7d, early_entrant_30d",
    ),
    (
        "competition",
        "rival teams (and uploads) entering the same base around entry",
        "team_congestion, congestion, congestion_trailing",
    ),
    ("maturation", "time between the base's release and entry", "lag_days"),
    (
        "quality",
        "what the metadata shows",
        "has_datasets, has_license, has_eval, has_paper, has_library",
    ),
    (
        "kind of entry",
        "declared or inferred relation",
        "relation, is_adapter, is_quantized, is_merge",
    ),
    ("team prominence", "the author's earlier models", "author_prior_models, same_author_as_base"),
    (
        "recognition",
        "likes (cumulative) and downloads (last ~30 days)",
        "likes, log_likes, any_like, downloads, log_downloads",
    ),
    ("(confound) exposure", "age at the snapshot", "age_days, log_age, created_month"),
    ("(confound) attention", "the base's attention decays after its release", "lag_days, lag_bin"),
)

#: Column headers of :func:`mapping_table`.
MAPPING_HEADERS = ("Hill & Stein", "on the Hub", "panel column(s)")


def mapping_table() -> pd.DataFrame:
    """:data:`MAPPING` as a table (one row per construct; headers :data:`MAPPING_HEADERS`)."""
    return pd.DataFrame(list(MAPPING), columns=list(MAPPING_HEADERS))


def mapped_columns() -> list[str]:
    """Every panel column :data:`MAPPING` names, in order, each once."""
    names = (c.strip() for _, _, cols in MAPPING for c in cols.split(","))
    return list(dict.fromkeys(names))
