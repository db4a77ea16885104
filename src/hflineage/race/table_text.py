"""What chapter 5's wider result tables show and how they are headed: the columns a reader sees
(views that select or stack the analysis output without changing a value) and each table's
caption and column labels, passed to :meth:`hflineage.chapter.report.Chapter.table` as
``ch.table(view, key, **TEXT)``. The chapter keeps the analysis calls in view; this module keeps
the presentation text out of them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: The every-design table (:func:`hflineage.race.design_report.design_view`).
DESIGNS: dict[str, Any] = {
    "caption": "Every time design × estimator on team rank (and a few on release rank): the "
    "log-rank coefficient, its base-clustered SE and p (leave-one-base-out jackknife, CR3: "
    "revision 3; the CRV1 SE beside it), the share of the rank's within-base "
    "variance the design leaves (resid share), and the calibrated simulation under no rank "
    "effect: mean bias, simulated/real SE, rejection rate at 5%, power at a 10% drop per "
    "doubling, and whether the declared rule finds the pair valid.",
    "labels": {
        "resid_share": "resid share",
        "ratio": "SE ratio",
        "simulation": "simulation says",
        "se": "SE (CR3)",
        "crv1_se": "SE (CRV1)",
    },
}

#: The calibrated simulation's table (:func:`simulation_view`).
SIMULATION: dict[str, Any] = {
    "caption": "The calibrated simulation, team rank: per design × estimator and term (the "
    "rank; its congestion), the draws it took to settle the declared rule, mean bias under no "
    "effect and its Monte-Carlo error, simulated and real SE and their ratio, rejection rate at "
    "5% (size), power at a 10% drop per doubling, and the declared rule's flags; every SE is "
    "the leave-one-base-out jackknife (CR3) of revision 3.",
    "labels": {
        "mc_error": "MC error",
        "sim_se": "simulated SE",
        "real_se": "real SE",
        "ratio": "SE ratio",
    },
}

#: The timing placebo on simulated outcomes (:func:`sim_placebo_view`).
SIM_PLACEBO: dict[str, Any] = {
    "caption": "The timing placebo on simulated outcomes (primary specification): the actual "
    "coefficient, the mean and sd of the placebo coefficients, and p_timing, the share of "
    "placebo draws at or below the actual one.",
    "labels": {
        "process_label": "process",
        "actual": "actual",
        "mean": "placebo mean",
        "sd": "placebo sd",
        "p_timing": "p (timing)",
    },
}

#: The rank coefficient by entrant kind and account type (:func:`heterogeneity_view`).
HETEROGENEITY: dict[str, Any] = {
    "caption": "The log-team-rank coefficient (PPML, common lag spline) by entrant kind and by "
    "account type, each from one fit with rank × group terms; derivatives and share of all likes "
    "per group.",
    "first": ["by", "group"],
    "labels": {"share_of_likes": "share of likes"},
    "shares": ["share_of_likes"],
}

#: Columns of the calibrated simulation's flags that the table leaves out (the real estimate is
#: in the every-design table; the size interval and the error are diagnostics).
SIMULATION_HIDDEN = ("real_estimate", "size_low", "size_high", "error", "settled")

#: Columns of :func:`hflineage.race.simulate.placebo_study` the table shows, in order.
SIM_PLACEBO_SHOWN = ("process_label", "draw", "actual", "mean", "sd", "p_timing")


def simulation_view(flags: pd.DataFrame) -> pd.DataFrame:
    """The calibrated simulation's flags (:func:`hflineage.race.design_report.simulated_flags`)
    without the columns of :data:`SIMULATION_HIDDEN` (those absent are skipped); where the
    table has both, the design's ``label`` replaces its short name and the estimator is named
    as in the design table.
    """
    from .designs import ESTIMATOR_LABELS

    view = flags.drop(columns=list(SIMULATION_HIDDEN), errors="ignore")
    if "label" in view and "design" in view:
        view = view.drop(columns="design").rename(columns={"label": "design"})
    if "estimator" in view:
        view["estimator"] = view["estimator"].map(lambda e: ESTIMATOR_LABELS.get(e, e))
    return view


def sim_placebo_view(sim_placebo: pd.DataFrame) -> pd.DataFrame:
    """The columns of :data:`SIM_PLACEBO_SHOWN` of the simulated timing placebo."""
    return sim_placebo[list(SIM_PLACEBO_SHOWN)]


def heterogeneity_view(kinds: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """The rank coefficient by entrant kind over by account type
    (:func:`hflineage.race.rank_study.group_effects`, one table each), a ``by`` column naming
    the grouping.
    """
    return pd.concat([kinds.assign(by="entrant kind"), accounts.assign(by="account type")])
