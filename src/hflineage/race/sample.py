"""The samples of the race: the funnel that counts what each rule of
:func:`hflineage.race.panel.build_panel` drops, the entrant kinds that compete, the LLM-base
sample, equal base weights, the older derivatives, and the recognition a later snapshot shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import HflineageError, ParameterError


class Funnel:
    """Counts edges, derivatives and bases left after each sample rule (edges given by their
    positions; derivatives and bases counted by integer codes).
    """

    def __init__(self, child_code: np.ndarray, parent_code: np.ndarray) -> None:
        """Start an empty funnel over edges with these child and parent codes."""
        self.rows: list[dict] = []
        self.child_code = child_code
        self.parent_code = parent_code

    @staticmethod
    def _distinct(codes: np.ndarray) -> int:
        return int(np.count_nonzero(np.bincount(codes))) if codes.size else 0

    def add(self, step: str, idx: np.ndarray) -> None:
        """Record the edges ``idx`` left after ``step`` (and how many it dropped)."""
        prev = self.rows[-1]["edges"] if self.rows else len(idx)
        self.rows.append(
            {
                "step": step,
                "edges": len(idx),
                "derivatives": self._distinct(self.child_code[idx]),
                "bases": self._distinct(self.parent_code[idx]),
                "dropped": prev - len(idx),
            }
        )


def funnel_table(panel: pd.DataFrame) -> pd.DataFrame:
    """The sample funnel of a panel: edges, derivatives and bases left after each rule, and how
    many edges each rule dropped.
    """
    rows = panel.attrs.get("funnel")
    if not rows:
        raise HflineageError("panel has no funnel in attrs; build it with race.build_panel")
    return pd.DataFrame(rows)


def older_than(panel: pd.DataFrame, min_age_days: float = 180) -> pd.DataFrame:
    """The derivatives at least ``min_age_days`` old at the snapshot.

    Not a fixed horizon: the derivatives kept still differ in age (from ``min_age_days`` to the
    Hub's oldest), so exposure is only narrowed, not equalised.  Ranks and congestion keep their
    values from the full race.
    """
    if not min_age_days >= 0:
        raise ParameterError(f"min_age_days={min_age_days!r}; expected a number >= 0")
    out = panel[panel["age_days"] >= min_age_days].reset_index(drop=True)
    out.attrs = {**panel.attrs, "min_age_days": float(min_age_days)}
    return out


#: The race's primary sample: derivatives of bases whose Hub task is text generation (causal
#: language models), the LLM ecosystems paper 2 studies.
LLM_PIPELINE_TAGS = ("text-generation",)


def llm_sample(
    panel: pd.DataFrame, pipeline_tags: Sequence[str] | None = LLM_PIPELINE_TAGS
) -> pd.DataFrame:
    """The derivatives of LLM bases: whole races whose base's ``pipeline_tag`` is one of
    ``pipeline_tags`` (``None`` keeps every base: the whole Hub).  Ranks and congestion keep
    their values from the full race.
    """
    if pipeline_tags is None:
        return panel
    tags = [pipeline_tags] if isinstance(pipeline_tags, str) else list(pipeline_tags)
    if not tags:
        raise ParameterError(
            "pipeline_tags is empty; expected None (whole Hub) or tasks such as text-generation"
        )
    out = panel[panel["base_pipeline_tag"].isin(tags)].reset_index(drop=True)
    out.attrs = {**panel.attrs, "pipeline_tags": tags}
    return out


def with_base_weights(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with ``base_weight`` = 1 / (the base's rows): every base weighs the same in a
    weighted fit, however many derivatives it has.
    """
    n = panel.groupby("base_id")["base_id"].transform("size").to_numpy(float)
    return panel.assign(base_weight=1.0 / n)


def with_recognition(panel: pd.DataFrame, gained: pd.DataFrame) -> pd.DataFrame:
    """The panel with the recognition a later snapshot shows (two-snapshot design).

    Args:
        panel: the race panel.
        gained: :attr:`hflineage.data.recognition.Recognition.table` (``model_id``,
            ``likes_gained``, ``downloads_later``).

    Returns:
        The panel with ``in_later`` (the model still exists), ``likes_gained``,
        ``log_likes_gained`` (``log(1 + max(gain, 0))``: a withdrawn like counts as no gain)
        and ``downloads_later``; missing for deleted models, so fits on these outcomes use the
        survivors only.
    """
    for col in ("model_id", "likes_gained", "downloads_later"):
        if col not in gained.columns:
            raise ParameterError(
                f"with_recognition: no column {col!r}; expected the table of "
                "hflineage.data.recognition.recognition_between"
            )
    g = gained.set_index(gained["model_id"].astype(str))
    at = g.index.get_indexer(panel["model_id"].astype(str))
    found = at >= 0
    likes = np.where(found, g["likes_gained"].to_numpy(float)[np.maximum(at, 0)], np.nan)
    downloads = np.where(found, g["downloads_later"].to_numpy(float)[np.maximum(at, 0)], np.nan)
    return panel.assign(
        in_later=found,
        likes_gained=likes,
        log_likes_gained=np.log1p(np.clip(likes, 0, None)),
        downloads_later=downloads,
    )
