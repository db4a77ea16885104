"""What chapter 6 quotes and shows of the race specification curve
(:func:`hflineage.race.speccurve.race_curve`): the design's size and the curve's slices as number
tables for :meth:`hflineage.chapter.report.Chapter.record_numbers` (:func:`design_numbers`,
:func:`slice_numbers`), and the summary and choice tables as the chapter shows them
(:func:`summary_table`, :func:`choice_table` and their layouts).

A share is recorded with the format ``".0%"``: ``Chapter.number`` widens it for a share below 1%
or above 99% (1 of 504 never reads "0%").  How a count and its total are written is passed in
(``said``, e.g. :func:`hflineage.chapter.sentences.count_share`), as this layer does not import
the chapter's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from ..lineage.headlines import number_table
from .speccurve import choice_effects, curve_summary, slice_count, slice_share
from .specs import CONGESTION, LABELS, PRIORITY

#: The choice dimensions of the curve in the chapter's words.
CHOICE_NAMES = {
    "relations": "entrant kinds",
    "congestion_days": "congestion window (days)",
    "min_derivatives": "entrants a race needs",
    "exposure": "log age (exposure)",
    "controls": "quality and prominence controls",
    "lag": "lag control",
}

#: Counts the chapter quotes: key -> (term, outcome or None for every outcome, sign).
COUNTS = {
    "rob_priority_loglikes_count": (PRIORITY, "log_likes", -1),
    "rob_congestion_loglikes_count": (CONGESTION, "log_likes", -1),
    "rob_congestion_pos_loglikes_count": (CONGESTION, "log_likes", 1),
    "rob_congestion_pos_count": (CONGESTION, None, 1),
}

#: Shares negative and significant the chapter quotes: key -> (term, outcome, lag, description).
SHARES = {
    "rob_priority_share_nolag_loglikes": (
        PRIORITY,
        "log_likes",
        False,
        "rank, log likes: share negative and significant without the lag control",
    ),
    "rob_priority_share_lag_loglikes": (
        PRIORITY,
        "log_likes",
        True,
        "rank, log likes: share negative and significant with the lag control",
    ),
    "rob_priority_share_lag": (
        PRIORITY,
        None,
        True,
        "rank: share negative and significant, lag-controlled specifications",
    ),
    "rob_priority_share_nolag": (
        PRIORITY,
        None,
        False,
        "rank: share negative and significant, specifications without the lag",
    ),
    "rob_congestion_share_lag": (
        CONGESTION,
        None,
        True,
        "congestion: share negative and significant, lag-controlled specifications",
    ),
    "rob_priority_share": (
        PRIORITY,
        None,
        None,
        "share of race specifications with a negative, significant rank coefficient",
    ),
    "rob_congestion_share": (
        CONGESTION,
        None,
        None,
        "share with a negative, significant congestion coefficient",
    ),
    "rob_priority_share_loglikes": (
        PRIORITY,
        "log_likes",
        None,
        "rank: share negative and significant, log likes",
    ),
    "rob_congestion_share_loglikes": (
        CONGESTION,
        "log_likes",
        None,
        "congestion: share negative and significant, log likes",
    ),
}


def ppml_sizes_text(ppml_min_derivatives: Sequence[int] | None) -> str:
    """Which race sizes got PPML fits, in words: "at every minimum race size" (``None``) or
    "only at a minimum race size of 10 and 25 entrants".
    """
    if ppml_min_derivatives is None:
        return "at every minimum race size"
    sizes = " and ".join(map(str, ppml_min_derivatives))
    return f"only at a minimum race size of {sizes} entrants"


def design_numbers(
    curve: pd.DataFrame,
    *,
    windows: Sequence[float],
    race_sizes: Sequence[int],
    entrant_kinds: Sequence[object],
    outcomes: Sequence[str],
    specs: Sequence[str],
    ppml_min_derivatives: Sequence[int] | None,
) -> pd.DataFrame:
    """The curve's design as the chapter quotes it: how many levels each choice has, the PPML
    fits, the number of specifications (fits of the rank term) and the run time, as a
    :func:`~hflineage.lineage.headlines.number_table`.

    Args:
        curve: :func:`hflineage.race.speccurve.race_curve` (``attrs["seconds"]``).
        windows: the congestion windows it was given (days).
        race_sizes: the minimum race sizes.
        entrant_kinds: the sets of competing derivative kinds.
        outcomes: the recognition measures.
        specs: the race specifications.
        ppml_min_derivatives: the race sizes with PPML fits (``None``: all).
    """
    rank = curve["term"] == PRIORITY
    return number_table(
        [
            ("rob_n_windows", len(windows), "congestion windows", None),
            (
                "rob_n_race_specs",
                len(specs),
                "race specifications per sample and outcome",
                None,
            ),
            (
                "rob_ppml_sizes",
                ppml_sizes_text(ppml_min_derivatives),
                "race sizes of the PPML fits",
                None,
            ),
            (
                "rob_n_ppml",
                int(((curve["estimator"] == "ppml") & rank).sum()),
                "PPML fits in the race curve",
                None,
            ),
            ("rob_n_min", len(race_sizes), "minimum race sizes", None),
            ("rob_n_relations", len(entrant_kinds), "sets of competing derivative kinds", None),
            ("rob_n_outcomes", len(outcomes), "recognition measures", None),
            ("rob_n_specs", int(rank.sum()), "race specifications estimated", ","),
            ("rob_race_seconds", curve.attrs["seconds"], "seconds for the race curve", ".0f"),
        ]
    )


def slice_numbers(
    curve: pd.DataFrame, alpha: float, *, said: Callable[[int, int], str]
) -> pd.DataFrame:
    """The curve's slices the chapter quotes: the counts of :data:`COUNTS` (significant at
    ``alpha`` with a sign, written by ``said``) and the shares negative and significant of
    :data:`SHARES` (format ``".0%"``), as a number table.

    Args:
        curve: :func:`hflineage.race.speccurve.race_curve`.
        alpha: significance level.
        said: how a count and its total are written (e.g.
            :func:`hflineage.chapter.sentences.count_share`: "59 of 216 (27%)").
    """
    rows = [
        (
            key,
            said(*slice_count(curve, term, outcome=outcome, sign=sign, alpha=alpha)),
            f"{term}, {outcome or 'every outcome'}: significant with sign {sign:+d} "
            "(count of specifications)",
            None,
        )
        for key, (term, outcome, sign) in COUNTS.items()
    ]
    rows += [
        (key, slice_share(curve, term, outcome=outcome, lag=lag, alpha=alpha), what, ".0%")
        for key, (term, outcome, lag, what) in SHARES.items()
    ]
    return number_table(rows)


def summary_table(curve: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """:func:`~hflineage.race.speccurve.curve_summary` with each term in words (``LABELS``)."""
    summary = curve_summary(curve, alpha)
    return summary.assign(term=summary["term"].map(lambda t: LABELS.get(t, t)))


def summary_layout(alpha: float) -> dict[str, object]:
    """The summary table's key columns and headers, for ``Chapter.table(..., **layout)``."""
    return {
        "first": [
            "term",
            "outcome",
            "specifications",
            "share_negative_significant",
            "share_positive_significant",
        ],
        "labels": {
            "share_negative": "negative",
            "share_negative_significant": f"negative, p < {alpha:g}",
            "share_positive_significant": f"positive, p < {alpha:g}",
            "median": "median estimate",
            "min": "lowest",
            "max": "highest",
        },
    }


def choice_table(curve: pd.DataFrame, alpha: float, outcome: str = "log_likes") -> pd.DataFrame:
    """Which choice moves the result: :func:`~hflineage.race.speccurve.choice_effects` of the
    rank and congestion terms on ``outcome``, choices in words (:data:`CHOICE_NAMES`), yes/no
    for a boolean level; columns term, choice, level, specifications, median and share negative
    and significant.
    """
    effects = pd.concat(
        [
            choice_effects(curve, t, outcome, alpha).assign(term=LABELS[t])
            for t in (PRIORITY, CONGESTION)
        ]
    )
    effects = effects.assign(
        choice=effects["choice"].map(lambda c: CHOICE_NAMES.get(c, c)),
        level=effects["level"].replace({"True": "yes", "False": "no"}),
    )
    cols = ["term", "choice", "level", "specifications", "median", "share_negative_significant"]
    return effects[cols]


def choice_labels(alpha: float) -> dict[str, str]:
    """The choice table's headers."""
    return {"median": "median estimate", "share_negative_significant": f"negative, p < {alpha:g}"}
