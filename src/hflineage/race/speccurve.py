"""Specification curves: every reasonable choice at once, for the race and for the MDI.

A single regression table shows one path through many defensible choices.  A specification curve
(Simonsohn, Simmons & Nelson 2020) estimates all combinations and reports the *distribution* of
the estimates, with the share that is negative and significant: a claim that holds in most of
them is robust to the choices the paper does not state; a claim that holds in a few is not.

Race choices (:func:`race_curve`): the congestion window, the minimum race size, which derivative
kinds count as entrants, the outcome (which fixes the estimator: OLS on log likes or downloads,
PPML on likes, LPM on any like), the exposure control, and the quality/prominence controls.
MDI choices (:func:`mdi_curve`): the window, the variant, and whether root models are kept; each
combination is scored on the paper's stylised facts by :func:`hflineage.mdi.facts.scorecard`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence

import pandas as pd

from ..errors import ParameterError
from . import models as rm
from . import panel as race

#: Default race choices: congestion window (days), minimum entrants per base, entrant kinds.
RACE_WINDOWS = (7, 30, 90)


RACE_MIN_DERIVATIVES = (5, 10, 25, 50)


RACE_RELATIONS: tuple[tuple[str, ...] | None, ...] = (
    None,
    ("finetune", "adapter"),
    ("finetune",),
)


RACE_OUTCOMES = ("log_likes", "likes", "any_like", "log_downloads")


#: (exposure control, controls) → specification of :data:`hflineage.race.models.SPECS`.
RACE_SPECS = {
    (False, False): "both",
    (True, False): "both_exposure",
    (False, True): "baseline",
    (True, True): "baseline_exposure",
}


SPEC_EXPOSURE = {spec: flags[0] for flags, spec in RACE_SPECS.items()}


SPEC_CONTROLS = {spec: flags[1] for flags, spec in RACE_SPECS.items()}


def relations_label(relations: Sequence[str] | None) -> str:
    """A short label of an entrant-kind choice (``all`` for None)."""
    return "all" if relations is None else "+".join(relations)


def race_curve(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    windows: Sequence[float] = RACE_WINDOWS,
    min_derivatives: Sequence[int] = RACE_MIN_DERIVATIVES,
    relations: Sequence[Sequence[str] | None] = RACE_RELATIONS,
    outcomes: Sequence[str] = RACE_OUTCOMES,
    exposure: Sequence[bool] = (False, True),
    controls: Sequence[bool] = (False, True),
    terms: Sequence[str] = (rm.PRIORITY, rm.CONGESTION),
    ppml_specs: Sequence[str] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """The priority and congestion coefficients under every combination of choices.

    One panel is built per (entrant kinds, window) at the smallest ``min_derivatives``; larger
    thresholds are subsets of it (ranks and congestion do not depend on the threshold, which only
    drops whole bases).  OLS and LPM models go through :func:`hflineage.race.models.ols_many`
    (one demeaning per panel, checked against pyfixest in the tests), PPML through pyfixest.
    Every combination with at least two bases is estimated; one with fewer is skipped.
    ``ppml_specs`` restricts the PPML fits (about 2 s each on the embedded snapshot, against
    milliseconds for the OLS path) to some of the exposure/controls specifications, e.g.
    ``("both_exposure", "baseline_exposure")``; None = all of them.  Returns one row per (combination, term): ``relations``, ``congestion_days``,
    ``min_derivatives``, ``outcome``, ``estimator``, ``exposure``, ``controls``, ``spec``,
    ``term``, ``estimate``, ``std_error``, ``p_value``, ``n_obs``, ``n_clusters``;
    ``attrs["seconds"]`` is the run time.
    """
    if not windows or not min_derivatives or not relations or not outcomes:
        raise ParameterError("race_curve: every choice needs at least one value")
    for o in outcomes:
        rm._check("both", o, None)
    start = time.perf_counter()
    floor = min(min_derivatives)
    jobs = list(itertools.product(relations, windows))
    n_specs = len(exposure) * len(controls)
    n_ppml = n_specs if ppml_specs is None else len(set(ppml_specs) & set(RACE_SPECS.values()))
    n_ppml *= sum(rm.OUTCOMES[o][0] == "ppml" for o in outcomes)
    n_ols = n_specs * sum(rm.OUTCOMES[o][0] != "ppml" for o in outcomes)
    n_fits = len(min_derivatives) * (n_ols + n_ppml)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs) * n_fits, desc="specifications")
    ols_outcomes = [o for o in outcomes if rm.OUTCOMES[o][0] != "ppml"]
    ppml_outcomes = [o for o in outcomes if rm.OUTCOMES[o][0] == "ppml"]
    specs = [RACE_SPECS[(bool(e), bool(c))] for e, c in itertools.product(exposure, controls)]
    p_specs = specs if ppml_specs is None else [s for s in specs if s in set(ppml_specs)]
    rows = []
    for rel, window in jobs:
        full = race.build_panel(
            models, edges, min_derivatives=floor, congestion_days=window, relations=rel
        )
        for m in min_derivatives:
            panel = full[full["base_n_derivatives"] >= m]
            if panel["base_id"].nunique() < 2:
                continue
            fits = []
            if ols_outcomes:  # one demeaning for every OLS/LPM spec and outcome
                fits.append(rm.ols_many(panel, specs, ols_outcomes))
            for outcome, spec in itertools.product(ppml_outcomes, p_specs):
                try:
                    fits.append(rm.estimate(panel, spec, outcome))
                except ParameterError:
                    continue  # e.g. too few bases with any like
            if bar is not None:
                bar.update(len(specs) * len(ols_outcomes) + len(p_specs) * len(ppml_outcomes))
            tidy = pd.concat(fits, ignore_index=True)
            tidy = tidy[tidy["term"].isin(terms)]
            rows.append(
                tidy.assign(
                    relations=relations_label(rel),
                    congestion_days=window,
                    min_derivatives=m,
                    exposure=tidy["spec"].map(SPEC_EXPOSURE),
                    controls=tidy["spec"].map(SPEC_CONTROLS),
                )
            )
    if bar is not None:
        bar.close()
    cols = [
        "relations",
        "congestion_days",
        "min_derivatives",
        "outcome",
        "estimator",
        "exposure",
        "controls",
        "spec",
        "term",
        "estimate",
        "std_error",
        "p_value",
        "n_obs",
        "n_clusters",
    ]
    out = pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)
    out.attrs["seconds"] = time.perf_counter() - start
    return out


def curve_summary(curve: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per (term, outcome): how many specifications, the share with a negative estimate, the
    share negative *and* significant at ``alpha``, the share positive and significant, and the
    median, minimum and maximum estimate.
    """
    c = curve.assign(
        negative=curve["estimate"] < 0,
        neg_sig=(curve["estimate"] < 0) & (curve["p_value"] < alpha),
        pos_sig=(curve["estimate"] > 0) & (curve["p_value"] < alpha),
    )
    out = c.groupby(["term", "outcome"], sort=False).agg(
        specifications=("estimate", "size"),
        share_negative=("negative", "mean"),
        share_negative_significant=("neg_sig", "mean"),
        share_positive_significant=("pos_sig", "mean"),
        median=("estimate", "median"),
        min=("estimate", "min"),
        max=("estimate", "max"),
    )
    return out.reset_index()


def choice_effects(
    curve: pd.DataFrame, term: str, outcome: str, alpha: float = 0.05
) -> pd.DataFrame:
    """For one term and outcome: per choice dimension and level, the median estimate and the
    share negative and significant — which choice moves the result.
    """
    sub = curve[(curve["term"] == term) & (curve["outcome"] == outcome)]
    rows = []
    for dim in ("relations", "congestion_days", "min_derivatives", "exposure", "controls"):
        for level, g in sub.groupby(dim, sort=True):
            rows.append(
                {
                    "choice": dim,
                    "level": str(level),
                    "specifications": len(g),
                    "median": g["estimate"].median(),
                    "share_negative_significant": float(
                        ((g["estimate"] < 0) & (g["p_value"] < alpha)).mean()
                    ),
                }
            )
    return pd.DataFrame(rows)
