"""Running the race designs on simulated likes: bias, Monte-Carlo error, size, power, calibration
and the flags of a rule declared before the real estimates are seen (issue 17, item 5).

The outcomes come from :func:`hflineage.race.sim_counts.draw_counts` on the real panel (its
bases, entry times, ranks and accounts are kept).  A *design* (:class:`SimDesign`) is a set of
regressors, the fixed effects it absorbs (and, optionally, base-specific slopes); an
*estimator* is one of :data:`ESTIMATORS`.  Every design × estimator is fitted to the draws by
:func:`hflineage.race.sim_fit.fit_draws` (OLS and LPM: all draws in one demeaning; OLS among
liked rows and PPML: draw by draw), CRV1 standard errors clustered by base.

:func:`calibrate_noise` is the declared calibration: the base × month shock's sd is bisected
until the primary's simulated OLS standard error equals its real one (the count shape re-fitted
at every step); every other design × estimator's simulated/real ratio is then reported as it
comes (:func:`flag_table`'s ``ratio`` and ``calibrated``).

:func:`flag_table` applies the declared rule (:data:`hflineage.race.selection.SELECTION`, the
same numbers and function :func:`~hflineage.race.selection.select_primary` uses): a design ×
estimator is flagged when its mean bias under the null reaches ``tolerance`` real standard
errors or its size at 5% lies, Monte-Carlo interval and all, outside ``size_band``; its
``reason`` also names a Monte-Carlo error too large and a simulated SE not calibrated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_choice
from .selection import FLAGGING, SELECTION, SelectionRule, failure_words, rule_failures
from .sim_counts import (  # count_shape: re-exported
    DISPERSION_MAX,
    SESOI_DROP_PER_DOUBLING,
    CountProcess,
    calibrate_counts,
    count_shape,
    draw_counts,
    rank_column,
    rank_slope,
)
from .sim_fit import (  # re-exported: the fitter's public names
    ESTIMATORS,
    LAG_EDGES_5,  # noqa: F401
    SimDesign,
    default_designs,
    demean,  # noqa: F401
    design_frame,
    fit_draws,
    spline_variant,  # noqa: F401
)

#: Design × estimator pairs left out of :func:`default_grid`: PPML with base-specific lag slopes
#: separates (a base whose likes all fall early drives its slope to minus infinity: IRLS does
#: not converge), and PPML with account fixed effects is too slow to repeat (a dense system of
#: ~660 base and month indicators per IRLS step).
SKIPPED = (("slopes", "ppml"), ("author", "ppml"))


def default_grid(designs: Sequence[SimDesign]) -> list[tuple[SimDesign, str]]:
    """Every design × estimator, except :data:`SKIPPED`."""
    return [(d, e) for d in designs for e in ESTIMATORS if (d.name, e) not in SKIPPED]


#: The process the chapter simulates: each base's real decay slope (posterior draws), the
#: base × month shock and the count shape as :func:`calibrate_noise` set them on the embedded
#: snapshot's LLM panel (``benchmarks/bench_race_sim.py``, seed 0: period_sd 2.16, primary's
#: OLS SE ratio 0.85; zero share 90.3% vs 90.1%, top-1% share 80.7% vs 78.3%).
CALIBRATED = CountProcess(intercept=-2.035, dispersion=8.12, period_sd=2.156, decay_source="real")

#: The PPML designs the chapter fits: every PPML pair of ``race.designs.CHAPTER_PAIRS``, so each
#: one the chapter estimates can be judged (PPML costs 0.1-1 s per draw, base × day ~0.1 s; the
#: benchmark fits them all).
CHAPTER_PPML = ("spline", "lagbin5", "day")

#: Pairs the chapter leaves to the benchmark: account FE refitted per draw cost 0.6-0.7 s each.
CHAPTER_SKIPPED = (("author", "lpm"), ("author", "ols_liked"))


def chapter_grid(rank: str = "log_entry_rank") -> list[tuple[SimDesign, str]]:
    """The chapter's grid (its 40-second budget): every design with OLS, LPM and OLS among
    liked rows except :data:`CHAPTER_SKIPPED`, PPML for :data:`CHAPTER_PPML` (the benchmark
    runs :func:`default_grid`).
    """
    return [
        (d, e)
        for d, e in default_grid(default_designs(rank))
        if (e != "ppml" or d.name in CHAPTER_PPML) and (d.name, e) not in CHAPTER_SKIPPED
    ]


def simulation_table(
    panel: pd.DataFrame,
    real: pd.DataFrame,
    *,
    process: CountProcess = CALIBRATED,
    grid: Sequence[tuple[SimDesign, str]] | None = None,
    draws: int = 10,
    seed: int = 0,
    drop_per_doubling: float = SESOI_DROP_PER_DOUBLING,
    rule: SelectionRule = SELECTION,
) -> pd.DataFrame:
    """The chapter's simulation in one call: ``process`` under the null and with a true drop of
    ``drop_per_doubling`` per doubling of rank (the power scenario), every design × estimator
    of ``grid`` (default :func:`chapter_grid`) on ``draws`` draws each, and :func:`flag_table`
    against ``real`` (:func:`real_estimates`).  ``attrs`` hold the simulated count shape
    (``zero_share``, ``top_share``), the real one, ``draws`` and ``seconds``.
    """
    import time

    start = time.perf_counter()
    rank = rank_column(panel)
    grid = chapter_grid(rank) if grid is None else list(grid)
    sims = simulate_designs(
        panel,
        process,
        effect=rank_slope(drop_per_doubling),
        grid=grid,
        draws=draws,
        seed=seed,
        rank=rank,
    )
    table = flag_table(sims, real, rule)
    shape = count_shape(draw_counts(panel, process, draws=2, seed=seed + 7, rank=rank))
    truth = count_shape(panel["likes"].to_numpy(float))
    table.attrs = {
        "sim_zero_share": shape["zero_share"],
        "sim_top_share": shape["top_share"],
        "real_zero_share": truth["zero_share"],
        "real_top_share": truth["top_share"],
        "draws": int(draws),
        "sesoi_drop": float(drop_per_doubling),
        "seconds": time.perf_counter() - start,
    }
    return table


def simulate_designs(
    panel: pd.DataFrame,
    process: CountProcess,
    *,
    effect: float | None = None,
    grid: Sequence[tuple[SimDesign, str]] | None = None,
    draws: int = 20,
    seed: int = 0,
    rank: str | None = None,
) -> pd.DataFrame:
    """Every design × estimator of ``grid`` on ``draws`` outcomes drawn under ``process`` with no
    rank effect (``scenario`` "null") and, if ``effect`` is given, with a true log-rank
    coefficient ``effect`` on log expected likes ("effect"; same seeds).

    Returns:
        One row per (scenario, design, estimator, draw): :func:`fit_or_reason`'s columns plus
        ``scenario``, ``design``, ``label``, ``estimator``, ``seconds`` (per fit).
    """
    import time

    rank = rank_column(panel, rank)
    frame = design_frame(panel, rank)
    grid = default_grid(default_designs(rank)) if grid is None else list(grid)
    scenarios = {"null": 0.0} if effect is None else {"null": 0.0, "effect": float(effect)}
    out = []
    for scenario, beta in scenarios.items():
        p = replace(process, rank_effect=beta)
        likes = draw_counts(panel, p, draws=draws, seed=seed, rank=rank)
        for design, estimator in grid:
            start = time.perf_counter()
            fits = fit_or_reason(frame, design, likes, estimator)
            sec = (time.perf_counter() - start) / draws
            out.append(
                fits.assign(
                    scenario=scenario,
                    design=design.name,
                    label=design.label,
                    estimator=estimator,
                    seconds=sec,
                )
            )
    return pd.concat(out, ignore_index=True)


def fit_or_reason(
    frame: pd.DataFrame, design: SimDesign, likes: np.ndarray, estimator: str
) -> pd.DataFrame:
    """:func:`fit_draws`, or — where the design cannot be fitted on this panel (a singular
    system, as among the few liked rows of a small slice, or a rank term with no variation
    within the fixed effects) — one row per draw with NaN estimates and the reason in
    ``error`` ("" for a fitted pair): the pair is then "not estimable", the others go on.
    """
    try:
        return fit_draws(frame, design, likes, estimator).assign(error="")
    except (np.linalg.LinAlgError, ParameterError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else "no message"
        kind = "singular design" if isinstance(exc, np.linalg.LinAlgError) else "no variation"
        n = np.asarray(likes).reshape(len(frame), -1).shape[1]
        nan = np.full(n, np.nan)
        return pd.DataFrame(
            {
                "draw": np.arange(n),
                "estimate": nan,
                "std_error": nan,
                "n_clusters": 0,
                "n_obs": 0,
                "p_value": nan,
                "error": f"{kind} on this panel ({type(exc).__name__}: {msg})",
            }
        )


#: Rank column → the rank reading of ``race.designs.fit_design``.
RANK_READING = {"log_team_rank": "team", "log_entry_rank": "release"}


def real_estimates(
    panel: pd.DataFrame,
    grid: Sequence[tuple[SimDesign, str]] | None = None,
    rank: str | None = None,
    *,
    via: str = "fit_draws",
) -> pd.DataFrame:
    """Every design × estimator of ``grid`` on the panel's real likes: ``design``,
    ``estimator``, ``real_estimate``, ``real_se``.

    Args:
        panel: the race panel.
        grid: design × estimator pairs (default :func:`default_grid`).
        rank: the log-rank column (default :func:`~hflineage.race.sim_counts.rank_column`).
        via: ``"fit_draws"`` (the simulation's own fitter) or ``"fit_design"`` (the chapter's
            ``race.designs.fit_design``, pyfixest; the two agree, see the tests).
    """
    check_choice("via", via, ("fit_draws", "fit_design"))
    rank = rank_column(panel, rank)
    grid = default_grid(default_designs(rank)) if grid is None else list(grid)
    rows = []
    if via == "fit_design":
        from .designs import fit_design

        reading = RANK_READING.get(rank)
        if reading is None:
            raise ParameterError(f"rank={rank!r}; fit_design reads {sorted(RANK_READING)}")
        for design, estimator in grid:
            fit = fit_design(panel, design.name, "likes", estimator, reading)
            rows.append((design.name, estimator, fit["estimate"], fit["se"]))
    else:
        frame = design_frame(panel, rank)
        likes = panel["likes"].to_numpy(float)[:, None]
        for design, estimator in grid:
            fit = fit_draws(frame, design, likes, estimator).iloc[0]
            rows.append((design.name, estimator, fit["estimate"], fit["std_error"]))
    return pd.DataFrame(rows, columns=["design", "estimator", "real_estimate", "real_se"])


def calibrate_noise(
    panel: pd.DataFrame,
    process: CountProcess,
    real_se: float,
    *,
    design: SimDesign | None = None,
    estimator: str = "ols",
    bounds: tuple[float, float] = (0.0, 3.0),
    steps: int = 6,
    draws: int = 8,
    seed: int = 0,
    rank: str | None = None,
) -> tuple[CountProcess, pd.DataFrame]:
    """The declared calibration: bisect the base × month shock's sd (``period_sd``, within
    ``bounds``, ``steps`` halvings) until the mean simulated standard error of ``design`` ×
    ``estimator`` (default: the revision-1 primary, OLS) under the null equals ``real_se``;
    at every step :func:`calibrate_counts` re-sets the intercept and dispersion, so the share
    of zeros and the top-1% share stay the real ones.  The standard error grows with the shock
    (it is noise shared by a base's entrants of one month, which go with rank).  A shock so
    large that no dispersion keeps the top-1% share (the dispersion at its bound) counts as too
    large: the count shape comes first, so the OLS ratio may stay below 1.

    Returns:
        The calibrated process (the step closest to the real SE that keeps the shape) and the
        search's path: ``period_sd``, ``sim_se``, ``ratio`` (simulated / real),
        ``dispersion``, ``intercept``, ``shape_lost`` per step.
    """
    check_choice("estimator", estimator, tuple(ESTIMATORS))
    if not (real_se > 0 and 0 <= bounds[0] < bounds[1] and steps >= 1):
        raise ParameterError(
            f"calibrate_noise: real_se={real_se!r}, bounds={bounds!r}, steps={steps!r}; "
            "expected a positive SE, 0 <= low < high and steps >= 1"
        )
    rank = rank_column(panel, rank)
    design = default_designs(rank)[0] if design is None else design
    frame = design_frame(panel, rank)
    lo, hi = bounds
    path = []
    best = None
    for _ in range(int(steps)):
        mid = (lo + hi) / 2
        p = calibrate_counts(panel, replace(process, period_sd=mid), seed=seed, rank=rank)
        likes = draw_counts(panel, p, draws=draws, seed=seed + 1, rank=rank)
        se = float(fit_draws(frame, design, likes, estimator)["std_error"].mean())
        shape_lost = p.dispersion > 0.99 * DISPERSION_MAX  # the top-1% share is out of reach
        path.append((mid, se, se / real_se, p.dispersion, p.intercept, shape_lost))
        closer = best is None or abs(np.log(se / real_se)) < abs(np.log(best[1] / real_se))
        if not shape_lost and closer:
            best = (p, se)
        lo, hi = (mid, hi) if se < real_se and not shape_lost else (lo, mid)
    if best is None:
        raise ParameterError("calibrate_noise: no shock in bounds keeps the count shape")
    cols = ["period_sd", "sim_se", "ratio", "dispersion", "intercept", "shape_lost"]
    return best[0], pd.DataFrame(path, columns=cols)


def wilson(successes: np.ndarray, trials: np.ndarray, z: float = 1.96) -> tuple:
    """Wilson score interval of a binomial share (vectorised)."""
    k, n = np.asarray(successes, float), np.asarray(trials, float)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def flag_table(
    sims: pd.DataFrame, real: pd.DataFrame | None = None, rule: SelectionRule = SELECTION
) -> pd.DataFrame:
    """The declared rule (:data:`hflineage.race.selection.SELECTION`, the one
    :func:`~hflineage.race.selection.select_primary` applies, through the same
    :func:`~hflineage.race.selection.rule_failures`) on :func:`simulate_designs` (and
    :func:`real_estimates`).

    Returns:
        One row per design × estimator: ``design``, ``label``, ``estimator``, ``draws``,
        ``bias`` (mean estimate under the null: the truth is 0 for every estimator),
        ``mc_error`` (its Monte-Carlo standard error), ``sim_se`` (mean SE under the null),
        ``real_se``, ``ratio`` (simulated / real), ``calibrated``, ``size`` (share of null
        draws with p < alpha) and its Wilson interval ``size_low``, ``size_high``, ``power``
        (share of effect draws with p < alpha and a negative estimate; NaN without an effect
        scenario), ``flagged`` (biased or size off by the declared rule), ``reason`` (every
        part of the rule the pair fails, as ``select_primary``'s ``why_not``; "not estimable:
        <error>" when its fits failed).  Without ``real`` the tolerance is in simulated SEs.
    """
    keys = ["design", "estimator"]
    if "error" not in sims:
        sims = sims.assign(error="")
    null = sims[sims["scenario"] == "null"].assign(rej=lambda t: t["p_value"] < rule.alpha)
    out = null.groupby(keys, sort=False).agg(
        label=("label", "first"),
        draws=("estimate", "size"),
        bias=("estimate", "mean"),
        sd=("estimate", "std"),
        sim_se=("std_error", "mean"),
        rejections=("rej", "sum"),
        error=("error", "first"),
    )
    out["mc_error"] = out["sd"] / np.sqrt(out["draws"])
    eff = sims[sims["scenario"] == "effect"]
    hit = (eff["p_value"] < rule.alpha) & (eff["estimate"] < 0)
    out["power"] = hit.groupby([eff["design"], eff["estimator"]], sort=False).mean()
    out = out.reset_index()
    if real is not None:
        out = out.merge(real, on=keys, how="left")
    else:
        out["real_estimate"] = np.nan
        out["real_se"] = np.nan
    out["ratio"] = out["sim_se"] / out["real_se"]
    out["calibrated"] = (out["ratio"] - 1).abs() <= rule.calibration
    out["size"] = out["rejections"] / out["draws"]
    out["size_low"], out["size_high"] = wilson(out["rejections"], out["draws"])
    failures = rule_failures(out, rule)
    out["flagged"] = failures[list(FLAGGING)].any(axis=1)
    out["reason"] = failure_words(failures, out["error"])
    cols = ["design", "label", "estimator", "draws", "bias", "mc_error", "sim_se", "real_se"]
    cols += ["ratio", "calibrated", "size", "size_low", "size_high", "power", "flagged"]
    return out[[*cols, "real_estimate", "reason", "error"]]
