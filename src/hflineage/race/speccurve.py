"""Specification curves: every reasonable choice at once, for the race and for the MDI.

A single regression table shows one path through many defensible choices.  A specification curve
(Simonsohn, Simmons & Nelson 2020) estimates all combinations and reports the *distribution* of
the estimates, with the share that is negative and significant: a claim that holds in most of
them is robust to the choices the paper does not state; a claim that holds in a few is not.

Race choices (:func:`race_curve`): the congestion window, the minimum race size, which derivative
kinds count as entrants, the outcome (which fixes the estimator: OLS on log likes or downloads,
PPML on likes, LPM on any like) and the specification (exposure control, quality/prominence
controls, lag control); the sample is the LLM bases unless the caller asks for the whole Hub.
MDI choices (:func:`mdi_curve`): the window, the variant, and whether root models are kept; each
combination is scored on the paper's stylised facts by :func:`hflineage.mdi.facts.scorecard`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_choice
from . import panel as race
from . import regressions as rm
from . import sample
from .sample import LLM_PIPELINE_TAGS

#: Default race choices: congestion window (days), minimum entrants per base, entrant kinds.
RACE_WINDOWS = (7, 30, 90)


RACE_MIN_DERIVATIVES = (5, 10, 25, 50)


RACE_RELATIONS: tuple[tuple[str, ...] | None, ...] = (
    None,
    ("finetune", "adapter"),
    ("finetune",),
)


RACE_OUTCOMES = ("log_likes", "likes", "any_like", "log_downloads")


#: Default specifications of the race curve: with and without the exposure control and the
#: quality/prominence controls, and the lag-controlled ones (the primary and its controls
#: version).
RACE_SPECS = (
    "both",
    "both_exposure",
    "baseline",
    "baseline_exposure",
    rm.PRIMARY_SPEC,
    rm.CONTROLS_SPEC,
)


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
    specs: Sequence[str] = RACE_SPECS,
    terms: Sequence[str] = (rm.PRIORITY, rm.CONGESTION),
    ppml_specs: Sequence[str] | None = None,
    ppml_min_derivatives: Sequence[int] | None = None,
    pipeline_tags: Sequence[str] | None = LLM_PIPELINE_TAGS,
    congestion_window: str = "around",
    progress: bool = False,
) -> pd.DataFrame:
    """The priority and congestion coefficients under every combination of choices.

    One panel is built per (entrant kinds, window) at the smallest ``min_derivatives``; larger
    thresholds are subsets of it (ranks and congestion do not depend on the threshold, which only
    drops whole bases).  With ``pipeline_tags`` the panels are built from
    :func:`hflineage.race.panel.race_subset` (the models and edges of those bases' races only).  The sample is the derivatives of bases whose task is one of
    ``pipeline_tags`` (default: LLM bases; ``None``: the whole Hub).  OLS and LPM models go
    through :func:`hflineage.race.regressions.ols_many` (one demeaning per panel, checked against
    pyfixest in the tests), PPML through pyfixest.  Every combination with at least two bases is
    estimated; one with fewer is skipped.  ``ppml_specs`` restricts the PPML fits (seconds each
    on the embedded snapshot, against milliseconds for the OLS path) to some of ``specs``;
    ``None`` = all of them; ``ppml_min_derivatives`` restricts them to some race sizes (``None``:
    every one of ``min_derivatives``) — on 3 million models a PPML fit takes ~3 s.

    Returns:
        One row per (combination, term): ``relations``, ``congestion_days``,
        ``min_derivatives``, ``outcome``, ``estimator``, ``exposure``, ``controls``, ``lag``
        (``spline``, ``bins``, ``log`` or ``none``), ``spec``, ``term``, ``estimate``,
        ``std_error``, ``p_value``, ``n_obs``, ``n_clusters``; ``attrs["seconds"]`` is the run
        time.
    """
    if not windows or not min_derivatives or not relations or not outcomes or not specs:
        raise ParameterError("race_curve: every choice needs at least one value")
    for o in outcomes:
        rm.check_fit("both", o, None)
    for name in specs:
        check_choice("spec", name, tuple(rm.SPECS))
    start = time.perf_counter()
    floor = min(min_derivatives)
    jobs = list(itertools.product(relations, windows))
    ols_outcomes = [o for o in outcomes if rm.OUTCOMES[o][0] != "ppml"]
    ppml_outcomes = [o for o in outcomes if rm.OUTCOMES[o][0] == "ppml"]
    p_specs = list(specs) if ppml_specs is None else [s for s in specs if s in set(ppml_specs)]
    p_sizes = set(min_derivatives if ppml_min_derivatives is None else ppml_min_derivatives)
    unknown = sorted(p_sizes - set(min_derivatives))
    if unknown:
        raise ParameterError(
            f"ppml_min_derivatives: {unknown[0]!r} is not one of min_derivatives "
            f"({', '.join(map(str, min_derivatives))})"
        )
    n_fits = sum(
        len(specs) * len(ols_outcomes) + (m in p_sizes) * len(p_specs) * len(ppml_outcomes)
        for m in min_derivatives
    )
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs) * n_fits, desc="specifications")
    rows = []
    prior = race.author_prior_models(models).to_numpy()  # the same for every panel
    if pipeline_tags is not None:  # only the rows that decide the sampled races (same panels)
        models, edges, prior = race.race_subset(models, edges, pipeline_tags, prior)
    for rel, window in jobs:
        full = race.build_panel(
            models,
            edges,
            min_derivatives=floor,
            congestion_days=window,
            relations=rel,
            congestion_window=congestion_window,
            author_prior=prior,
        )
        full = sample.llm_sample(full, pipeline_tags)
        for m in min_derivatives:
            panel = full[full["base_n_derivatives"] >= m]
            if panel["base_id"].nunique() < 2:
                continue
            fits = []
            if ols_outcomes:  # one demeaning for every OLS/LPM spec and outcome
                fits.append(rm.ols_many(panel, list(specs), ols_outcomes))
            ppml_here = p_specs if m in p_sizes else []
            for outcome, spec in itertools.product(ppml_outcomes, ppml_here):
                try:
                    fits.append(rm.estimate(panel, spec, outcome))
                except ParameterError:
                    continue  # e.g. too few bases with any like
                except ValueError as exc:  # pyfixest: the fixed effects did not converge
                    if "Demeaning failed" not in str(exc):
                        raise
                    continue  # not estimable on this panel (seen on small synthetic panels)
            if bar is not None:
                bar.update(len(specs) * len(ols_outcomes) + len(ppml_here) * len(ppml_outcomes))
            tidy = pd.concat(fits, ignore_index=True)
            tidy = tidy[tidy["term"].isin(terms)]
            rows.append(
                tidy.assign(
                    relations=relations_label(rel),
                    congestion_days=window,
                    min_derivatives=m,
                    exposure=tidy["spec"].map(lambda n: rm.SPECS[n].exposure),
                    controls=tidy["spec"].map(lambda n: rm.SPECS[n].controls),
                    lag=tidy["spec"].map(lambda n: rm.SPECS[n].lag_control or "none"),
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
        "lag",
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
    out.attrs["pipeline_tags"] = None if pipeline_tags is None else list(pipeline_tags)
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
    dims = ("relations", "congestion_days", "min_derivatives", "exposure", "controls", "lag")
    for dim in (d for d in dims if d in sub.columns):
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


def robustness_rows(
    panel: pd.DataFrame,
    *,
    pipeline_tags: Sequence[str] | None = LLM_PIPELINE_TAGS,
    spec: str = rm.PRIMARY_SPEC,
    min_age_days: float = 180,
    ppml: bool = True,
    pair: tuple[str, str] | None = None,
    rank: str = "team",
) -> pd.DataFrame:
    """The race chapter's robustness rows: the primary specification with one choice changed.

    With ``pair`` (a revision-2 design × estimator of ``race.designs``, e.g. the calibrated
    simulation's primary) the rows are fitted on that pair and ``rank`` instead of ``spec``
    (:func:`hflineage.race.pair_robustness.pair_rows`: the same row labels where they apply, the
    other estimators of the design in place of the LPM and PPML rows, the lag-bins row only for
    the common spline, a ``note`` where a row cannot be fitted); ``spec`` and ``ppml`` are then
    not used.

    Rows (``row``): ``primary`` (for reference; not a robustness fit); ``bases weighted
    equally`` (each base's derivatives weigh 1 / its rows); ``SE two-way: base and author``;
    ``whole Hub`` (every base, not only ``pipeline_tags``); ``downloads (last 30 days)``
    (a flow, less exposed to age than cumulative likes); ``any like (LPM)``; ``likes (PPML)``
    (if ``ppml``); ``derivatives >= N days old`` (their ages still differ: not a fixed
    horizon); ``lag as bins`` (indicators instead of the spline).

    Args:
        panel: the whole-Hub race panel (:func:`hflineage.race.panel.build_panel`).
        pipeline_tags: the primary sample's base tasks (:func:`hflineage.race.sample.llm_sample`).
        spec: the primary specification.
        min_age_days: the age floor of the older-derivatives row.
        ppml: whether to fit the Poisson row (seconds on the embedded snapshot).
        pair: ``(design, estimator)``, or None for the revision-1 specification ``spec``.
        rank: the pair's rank reading (``team`` or ``release``).

    Returns:
        The tidy rows of the priority and congestion terms with a ``row`` label, in the order
        above.
    """
    if pair is not None:
        from .pair_robustness import pair_rows

        design, estimator = pair
        return pair_rows(
            panel,
            design,
            estimator,
            rank=rank,
            pipeline_tags=pipeline_tags,
            min_age_days=min_age_days,
        )
    llm = sample.with_base_weights(sample.llm_sample(panel, pipeline_tags))
    whole = "whole Hub (every base)" if pipeline_tags is not None else "whole Hub (same)"
    fits = [
        ("primary", llm, spec, "log_likes", {}),
        ("bases weighted equally", llm, spec, "log_likes", {"weights": "base_weight"}),
        ("SE two-way: base and author", llm, spec, "log_likes", {"cluster": "base_id+author"}),
        (whole, panel, spec, "log_likes", {}),
        ("downloads (last 30 days)", llm, spec, "log_downloads", {}),
        ("any like (LPM)", llm, spec, "any_like", {}),
        *([("likes (PPML)", llm, spec, "likes", {})] if ppml else []),
        (
            f"derivatives >= {min_age_days:g} days old (ages still differ)",
            sample.older_than(llm, min_age_days),
            spec,
            "log_likes",
            {},
        ),
        ("lag as bins (not a spline)", llm, "both_lagbins", "log_likes", {}),
    ]
    out = []
    for label, data, name, outcome, kwargs in fits:
        try:
            tidy = rm.estimate(data, name, outcome, **kwargs)
        except ParameterError:
            continue  # e.g. too few bases in a small sample
        out.append(tidy[tidy["term"].isin([rm.PRIORITY, rm.CONGESTION])].assign(row=label))
    cols = ["row", "spec", "outcome", "estimator", "term", "estimate", "std_error", "p_value"]
    cols += ["n_obs", "n_clusters"]
    return pd.concat(out, ignore_index=True)[cols]


def slice_count(
    curve: pd.DataFrame,
    term: str,
    *,
    outcome: str | None = None,
    lag: bool | None = None,
    sign: int = -1,
    alpha: float = 0.05,
) -> tuple[int, int]:
    """One slice of the specification curve (:func:`race_curve`): how many of ``term``'s fits
    (``outcome`` only, if given; with or without a lag control, if ``lag`` is given) are
    significant at ``alpha`` with the sign ``sign``, and how many fits the slice has.
    """
    if sign not in (-1, 1):
        raise ParameterError(f"slice_count: sign={sign!r}; expected -1 or 1")
    sub = curve[curve["term"] == term]
    sub = sub if outcome is None else sub[sub["outcome"] == outcome]
    sub = sub if lag is None else sub[(sub["lag"] != "none") == lag]
    hit = (np.sign(sub["estimate"]) == sign) & (sub["p_value"] < alpha)
    return int(hit.sum()), len(sub)


def slice_share(
    curve: pd.DataFrame,
    term: str,
    *,
    outcome: str | None = None,
    lag: bool | None = None,
    alpha: float = 0.05,
) -> float:
    """The share of a slice's fits negative and significant (:func:`slice_count`; NaN if empty)."""
    k, n = slice_count(curve, term, outcome=outcome, lag=lag, alpha=alpha)
    return k / n if n else float("nan")
