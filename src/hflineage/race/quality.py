"""Quality as the metadata shows it: Hill & Stein's *quality* on the Hub, measured with care.

Hill & Stein (2025) grade a structure by how well it is resolved; a Hub listing carries no such
grade.  What it carries are traces of care in the repository's metadata, the *proxies*
(:data:`TAG_PROXIES`, the quality columns of :data:`hflineage.race.constructs.MAPPING`):

- ``has_datasets``: a ``dataset:`` tag, the training data declared;
- ``has_license``: a ``license:`` tag;
- ``has_eval``: evaluation results (``model-index`` / ``eval-results`` tag);
- ``has_paper``: an ``arxiv:`` tag (often inherited from the base's card);
- ``has_library``: a library the Hub recognises (the files load with a known library).

A later snapshot (hub-stats) carries richer fields (:data:`RICHER_PROXIES`, read from the
models table of :mod:`hflineage.data.schema`): ``has_size`` (a parameter count from the
safetensors metadata, ``params``) and ``card_declares_base`` (the model card names its base,
``card_parents``).  A proxy *is available* in a snapshot when at least one model of it carries
the field; the 2024-07-11 listing has tags, not model cards, so there the richer proxies are
unavailable and the index is the share of the five tag proxies.  The same code reads them as soon
as a snapshot has them.

The **quality index** (:func:`with_quality`) is the share of available proxies a model carries
(0 to 1).  It is the declared primary measure (HS-quality) rather than one proxy because no
single tag is quality: each has its own habits by entrant kind (a quantized copy inherits its
base's licence and paper tags; an adapter often declares no data), and an equal-weight share lets
none of them decide alone.  What the proxies cannot see: whether the model is any good (no
benchmark is run), whether a declared dataset was really used, a card's prose, and when a tag was
added (tags are read at the snapshot, not at release).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data.schema import arrow_strings
from ..errors import ParameterError
from ..lineage.headlines import number_table
from .specs import QUALITY

#: The tag proxies of every snapshot (the quality columns of the race panel).
TAG_PROXIES: tuple[str, ...] = QUALITY

#: Proxies only a richer snapshot carries: proxy -> the models-table column it is read from.
RICHER_PROXIES: dict[str, str] = {"has_size": "params", "card_declares_base": "card_parents"}

#: What each proxy records, for the coverage table.
PROXY_LABELS: dict[str, str] = {
    "has_datasets": "training data declared",
    "has_license": "licence",
    "has_eval": "evaluation results",
    "has_paper": "paper (arxiv)",
    "has_library": "library recognised",
    "has_size": "parameter count (safetensors)",
    "card_declares_base": "card names its base",
}


def _present(models: pd.DataFrame, column: str) -> np.ndarray:
    """Per model: whether the richer ``column`` is filled (a number > 0, or a non-empty list)."""
    values = models[column]
    if column == "params":
        return pd.Series(values, dtype="Float64").fillna(0).to_numpy(float) > 0
    lengths = values.list.len() if isinstance(values.dtype, pd.ArrowDtype) else values.str.len()
    return lengths.fillna(0).to_numpy(float) > 0


def available_richer(models: pd.DataFrame) -> list[str]:
    """The richer proxies this snapshot carries (at least one model has the field)."""
    return [
        name
        for name, column in RICHER_PROXIES.items()
        if column in models.columns and len(models) and bool(_present(models, column).any())
    ]


def with_quality(
    panel: pd.DataFrame, models: pd.DataFrame | None = None, proxies: Sequence[str] | None = None
) -> pd.DataFrame:
    """``panel`` with the richer proxies the snapshot carries, ``quality_index`` and
    ``n_proxies``.

    Args:
        panel: rows with ``model_id`` and the tag proxies (:data:`TAG_PROXIES`), e.g. the race
            panel.
        models: the snapshot's models table; its richer fields (:data:`RICHER_PROXIES`) join
            the index where the snapshot carries them.  ``None``: tag proxies only.
        proxies: the proxies of the index (default: every tag proxy and every available richer
            one).

    Returns:
        A copy of ``panel`` with one boolean column per available richer proxy,
        ``quality_index`` (share of the proxies present, 0 to 1) and ``n_proxies``.
    """
    missing = [c for c in ("model_id", *TAG_PROXIES) if c not in panel.columns]
    if missing:
        raise ParameterError(
            f"with_quality: the panel has no column {missing[0]!r}; expected the race panel's "
            f"model_id and quality columns ({', '.join(TAG_PROXIES)})"
        )
    out = panel.copy()
    richer = available_richer(models) if models is not None else []
    if richer:
        ids = arrow_strings(models["model_id"])
        row = pc.index_in(pa.array(out["model_id"].astype(str).to_numpy(), pa.large_string()), ids)
        row = pc.fill_null(row, -1).to_numpy(zero_copy_only=False)
        for name in richer:
            flag = _present(models, RICHER_PROXIES[name])
            out[name] = np.where(row >= 0, flag[np.maximum(row, 0)], False)
    use = list(proxies) if proxies is not None else [*TAG_PROXIES, *richer]
    unknown = [p for p in use if p not in out.columns]
    if unknown or not use:
        raise ParameterError(
            f"with_quality: proxy {unknown[0] if unknown else None!r} is not available; expected "
            f"some of {', '.join([*TAG_PROXIES, *richer])}"
        )
    out["quality_index"] = out[use].to_numpy(float).mean(axis=1)
    out["n_proxies"] = len(use)
    return out


def index_proxies(frame: pd.DataFrame) -> list[str]:
    """The proxies present as columns of ``frame`` (tag proxies first)."""
    return [p for p in (*TAG_PROXIES, *RICHER_PROXIES) if p in frame.columns]


def coverage_table(
    frame: pd.DataFrame, *, kind: str = "relation", time: str = "created_at"
) -> pd.DataFrame:
    """Each proxy's coverage (share of rows carrying it) by creation year and by entrant kind.

    Args:
        frame: rows with the proxies (:func:`with_quality`), ``kind`` and ``time``.
        kind: the entrant-kind column (missing kinds become ``"(none)"``).
        time: the creation-time column (its year groups the rows).

    Returns:
        One row per group: ``by`` (``"year"``, ``"kind"`` or ``"all"``), ``group``, ``n`` and
        one column per proxy (a share in [0, 1]), plus ``quality_index`` when present.
    """
    for col in (kind, time):
        if col not in frame.columns:
            raise ParameterError(
                f"coverage_table: no column {col!r}; expected the entrant kind and creation time"
            )
    cols = index_proxies(frame) + (["quality_index"] if "quality_index" in frame.columns else [])
    if not cols:
        raise ParameterError(
            f"coverage_table: no quality proxy among the columns; expected {QUALITY}"
        )
    values = frame[cols].astype(float)
    parts = []
    for by, key in (
        ("year", frame[time].dt.year.astype("Int64").astype(str)),
        ("kind", frame[kind].astype("object").fillna("(none)")),
        ("all", pd.Series("all", index=frame.index)),
    ):
        g = values.groupby(key.to_numpy(), sort=True)
        t = g.mean()
        t.insert(0, "n", g.size())
        parts.append(t.rename_axis("group").reset_index().assign(by=by))
    out = pd.concat(parts, ignore_index=True)
    return out[["by", "group", "n", *cols]]


def coverage_numbers(coverage: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The numbers the chapter quotes about quality (``key``, ``value``, ``description``,
    ``fmt``): the index's proxies in words (``hs_proxies``) and the share with a paper and with
    a licence tag by entrant kind ("adapter 12%, finetune 30%"), from :func:`coverage_table`.
    """
    kinds = coverage[coverage["by"] == "kind"].set_index("group")
    rows = [
        (
            "hs_proxies",
            ", ".join(PROXY_LABELS[p] for p in index_proxies(frame)),
            "the proxies of the quality index",
            None,
        ),
        *(
            (
                f"hs_{word}_spread",
                ", ".join(f"{g} {v:.0%}" for g, v in kinds[column].items()),
                f"share with a {what} tag, by entrant kind",
                None,
            )
            for word, column, what in (
                ("paper", "has_paper", "paper"),
                ("license", "has_license", "licence"),
            )
        ),
    ]
    return number_table(rows)
