"""Can the primary regression find a size effect that is there, and stay quiet when it is not?

A simulation on the real data's structure: the focal models, their sizes, derivations,
in-degrees and lineage families are kept exactly as observed; only the outcome is drawn anew,

    P(MDI > 0)_i = baseline + effect · (log10 params_i − mean) + u_family(i),
    u_f ~ Normal(0, family_sd), independent across families,

clipped to [0, 1], then 1[MDI > 0]_i ~ Bernoulli.  Every draw is fitted with the primary
specification (the LPM of :data:`hflineage.mdi.regressions.RHS`, errors clustered by family, by
:func:`hflineage.mdi.inference.cluster_ols` on the patsy design statsmodels builds from the same
formula), or, with ``within_family=True``, with family fixed effects (the within-family design
of P1-size).  ``effect = 0`` is the null: a test at ``alpha`` should reject in about ``alpha``
of the draws.  Each draw is tested three ways: CR3 (the leave-one-family-out jackknife, t with
G − 1 degrees of freedom: the book's inference), CR1 (the usual sandwich, which over-rejects
with a few large families) and i.i.d. errors (which ignore the family shocks).
:func:`size_study` repeats the null over several seeds and gives each rejection rate with its
Monte Carlo interval; :func:`simulation_checks` says whether the planted effect is recovered
and the level kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import HflineageError, ParameterError
from . import inference as I
from .regressions import RHS, design

#: Simulated outcomes fitted at once (memory: rows × CHUNK floats, a few times over).
CHUNK = 150


def simulate_effect(
    frame: pd.DataFrame,
    *,
    effect: float = 0.03,
    term: str = "log10_params",
    rhs: str = RHS,
    draws: int = 100,
    baseline: float = 0.5,
    family_sd: float | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    within_family: bool = False,
) -> pd.DataFrame:
    """Draw ``draws`` outcomes with a planted effect of ``term`` and fit the primary model to
    each.

    Args:
        frame: one variant's rows of :func:`hflineage.mdi.regressions.regression_frame` (the real
            covariates and families).
        effect: the planted change in P(MDI > 0) per unit of ``term`` (0 = the null).
        term: the regressor that carries the effect.
        rhs: the right-hand side fitted (the primary specification).
        draws: number of simulated outcomes.
        baseline: P(MDI > 0) at the mean of ``term`` before family shocks; 0.5 keeps every
            probability far from the bounds (no clipping bends the planted slope) and gives the
            noisiest Bernoulli outcome, the hard case.
        family_sd: SD of the family shocks; ``None`` = the between-family SD of the real outcome
            (:func:`hflineage.mdi.inference.between_family_sd`), so clustering is as strong as in
            the data.
        alpha: two-sided level of the test of ``term``.
        seed: random seed.
        within_family: fit with family fixed effects (outcome and design demeaned within
            families, Frisch–Waugh–Lovell) instead of the pooled design.

    Returns:
        One row per draw: ``truth``, ``estimate``, ``se`` and ``p`` (CR3, t with G − 1 df),
        ``se_cr1`` and ``p_cr1`` (CR1, normal), ``se_iid`` and ``p_iid``, ``reject`` /
        ``reject_cr1`` / ``reject_iid`` (p < alpha), ``covered`` (truth inside the 95% CR3
        interval), and ``clipped`` (share of probabilities clipped to [0, 1]).  ``attrs``
        records the parameters.
    """
    if draws < 1:
        raise ParameterError(f"draws must be at least 1; got {draws!r}")
    if not 0 < baseline < 1:
        raise ParameterError(f"baseline must be a probability in (0, 1); got {baseline!r}")
    X, names = design(frame, rhs)
    if term not in names:
        raise HflineageError(f"term {term!r} is not in the design of {rhs!r}")
    groups = frame["family"].to_numpy(object)
    codes, G = pd.factorize(pd.Series(groups))
    if family_sd is None:
        family_sd = I.between_family_sd(frame["disruptive"].to_numpy(float), codes)
    rng = np.random.default_rng(seed)
    x = frame[term].to_numpy(float)
    slope = effect * (x - x.mean())
    size = np.bincount(codes)
    if within_family:  # family fixed effects: everything demeaned within families
        X, names = X[:, 1:], names[1:]
        X = X - _family_means(X, codes, size)
    k = names.index(term)
    parts = []
    for start in range(0, draws, CHUNK):  # bounded memory: n × CHUNK outcomes at a time
        m = min(CHUNK, draws - start)
        p_true = baseline + slope[:, None] + rng.normal(0.0, family_sd, size=(len(G), m))[codes]
        y = (rng.random(p_true.shape) < np.clip(p_true, 0, 1)).astype(float)
        if within_family:
            y = y - _family_means(y, codes, size)
        fit = I.cluster_ols(y, X, codes, names=names, vcov="CR3")
        cr1 = I.cluster_ols(y, X, codes, names=names)
        parts.append(
            pd.DataFrame(
                {
                    "estimate": fit.coef[k],
                    "se": fit.se[k],
                    "p": fit.p[k],
                    "se_cr1": cr1.se[k],
                    "p_cr1": cr1.p[k],
                    "se_iid": fit.se_iid[k],
                    "p_iid": fit.p_iid[k],
                    "clipped": ((p_true < 0) | (p_true > 1)).mean(axis=0),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    z = stats.t(len(G) - 1).ppf(0.975)
    out.insert(0, "draw", np.arange(draws))
    out.insert(1, "truth", float(effect))
    out["reject"] = out["p"] < alpha
    out["reject_cr1"] = out["p_cr1"] < alpha
    out["reject_iid"] = out["p_iid"] < alpha
    lo, hi = out["estimate"] - z * out["se"], out["estimate"] + z * out["se"]
    out["covered"] = (lo <= effect) & (effect <= hi)
    out.attrs = {
        "baseline": baseline,
        "family_sd": float(family_sd),
        "alpha": alpha,
        "n": len(frame),
        "clusters": len(G),
        "term": term,
        "seed": seed,
        "within_family": within_family,
    }
    return out


def _family_means(values: np.ndarray, codes: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Each row's family mean of every column of ``values`` (n × m)."""
    v = values[:, None] if values.ndim == 1 else values
    sums = np.stack([np.bincount(codes, weights=v[:, j]) for j in range(v.shape[1])], axis=1)
    means = (sums / size[:, None])[codes]
    return means[:, 0] if values.ndim == 1 else means


def simulation_summary(sims: pd.DataFrame) -> pd.DataFrame:
    """Per planted effect (``truth``): draws, mean and SD of the estimates, bias, mean clustered
    SE, rejection rates with CR3, CR1 and i.i.d. errors, coverage of the 95% interval, and the
    mean share of clipped probabilities.
    """
    g = sims.groupby("truth", sort=True)
    out = pd.DataFrame(
        {
            "draws": g.size(),
            "mean_estimate": g["estimate"].mean(),
            "sd_estimate": g["estimate"].std(),
            "mean_se": g["se"].mean(),
            "mean_se_iid": g["se_iid"].mean(),
            "rejection_rate": g["reject"].mean(),
            "rejection_rate_cr1": g["reject_cr1"].mean(),
            "rejection_rate_iid": g["reject_iid"].mean(),
            "coverage": g["covered"].mean(),
            "clipped": g["clipped"].mean(),
        }
    )
    out.insert(2, "bias", out["mean_estimate"] - out.index.to_numpy(float))
    return out.reset_index()


#: The tests a size study compares (columns of :func:`simulate_effect`).
SIZE_TESTS = {
    "CR3 (jackknife, t with G − 1 df)": "reject",
    "CR1": "reject_cr1",
    "i.i.d.": "reject_iid",
}


def size_study(
    frame: pd.DataFrame,
    *,
    seeds: Sequence[int] = (0, 1, 2, 3, 4, 5),
    draws: int = 300,
    alpha: float = 0.05,
    **kwargs: Any,
) -> pd.DataFrame:
    """The null (no planted effect) over several seeds: each test's rejection rate per seed and
    over all draws, with a 95% Monte Carlo (Wilson) interval.

    Args:
        frame: one variant's rows of :func:`hflineage.mdi.regressions.regression_frame`.
        seeds: random seeds, one batch of ``draws`` each.
        draws: null draws per seed.
        alpha: level of the tests.
        **kwargs: passed to :func:`simulate_effect` (``baseline``, ``family_sd``,
            ``within_family``, ...).

    Returns:
        One row per (test, seed) and one per test with ``seed = "all"``: ``rejections``,
        ``draws``, ``rate``, ``mc_low``, ``mc_high``.
    """
    if len(seeds) < 1:
        raise ParameterError("size_study needs at least one seed")
    sims = [
        simulate_effect(frame, effect=0.0, draws=draws, alpha=alpha, seed=s, **kwargs)
        for s in seeds
    ]
    rows = []
    for test, col in SIZE_TESTS.items():
        counts = [(str(s), int(d[col].sum()), len(d)) for s, d in zip(seeds, sims, strict=True)]
        counts.append(("all", sum(c[1] for c in counts), sum(c[2] for c in counts)))
        for seed, k, n in counts:
            lo, hi = wilson_interval(k, n)
            rows.append(
                {
                    "test": test,
                    "seed": seed,
                    "rejections": k,
                    "draws": n,
                    "rate": k / n,
                    "mc_low": lo,
                    "mc_high": hi,
                }
            )
    out = pd.DataFrame(rows)
    out.attrs = {"alpha": alpha, **sims[0].attrs}
    return out


def route_gap(frame: pd.DataFrame, coefs: pd.DataFrame, *, variant: str = "cd") -> float:
    """How far the simulation's own fitting route is from statsmodels on the real outcome: the
    absolute difference of the size coefficient of :func:`~hflineage.mdi.inference.cluster_ols`
    on the primary design of ``frame`` (one variant's regression rows) and the LPM coefficient of
    ``variant`` in ``coefs`` (:func:`hflineage.mdi.regressions.fit_all`).
    """
    X, names = design(frame)
    route = I.cluster_ols(
        frame["disruptive"].to_numpy(float), X, frame["family"].to_numpy(object), names=names
    )
    mine = float(route.term("log10_params")["coef"].iloc[0])
    theirs = coefs.query("variant == @variant and model == 'lpm' and term == 'log10_params'")
    return abs(mine - float(theirs["coef"].iloc[0]))


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n`` (a Monte Carlo interval)."""
    if n < 1 or not 0 <= k <= n:
        raise ParameterError(f"wilson_interval needs 0 <= k <= n and n >= 1; got k={k}, n={n}")
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return float(centre - half), float(centre + half)


def simulation_checks(
    summary: pd.DataFrame, size: pd.DataFrame, *, alpha: float = 0.05, tolerance: float = 0.02
) -> dict[str, Any]:
    """Whether the design can decide its claim: the planted effects recovered (every mean
    estimate within three Monte Carlo SEs of its truth, from :func:`simulation_summary`) and the
    level kept (the CR3 rejection rate over all null draws of :func:`size_study` within
    ``alpha ± tolerance``).

    Returns:
        ``recovered``, ``level_ok`` (bools), ``rate``, ``mc_low``, ``mc_high`` (CR3, all seeds),
        ``rate_cr1`` and ``rate_iid``, ``low`` and ``high`` (the band), ``worst_bias_mc`` (the
        largest |bias| in Monte Carlo SEs).
    """
    mc = summary["sd_estimate"] / np.sqrt(summary["draws"])
    worst = float((summary["bias"].abs() / mc).max())
    overall = size[size["seed"] == "all"].set_index("test")
    cr3 = overall.loc[next(iter(SIZE_TESTS))]
    low, high = alpha - tolerance, alpha + tolerance
    return {
        "recovered": bool(worst <= 3),
        "worst_bias_mc": worst,
        "rate": float(cr3["rate"]),
        "mc_low": float(cr3["mc_low"]),
        "mc_high": float(cr3["mc_high"]),
        "rate_cr1": float(overall.loc["CR1", "rate"]),
        "rate_iid": float(overall.loc["i.i.d.", "rate"]),
        "low": low,
        "high": high,
        "level_ok": bool(low <= cr3["rate"] <= high),
    }


#: Readable column names of :func:`simulation_summary` and :func:`size_study` tables.
LABELS = {
    "truth": "planted effect",
    "mean_estimate": "mean estimate",
    "sd_estimate": "SD of estimates",
    "mean_se": "mean SE (CR3)",
    "mean_se_iid": "mean SE (i.i.d.)",
    "rejection_rate": "rejects 0 (CR3)",
    "rejection_rate_cr1": "rejects 0 (CR1)",
    "rejection_rate_iid": "rejects 0 (i.i.d.)",
    "coverage": "95% CI covers the truth",
    "clipped": "clipped probabilities",
    "mc_low": "Monte Carlo 95% low",
    "mc_high": "Monte Carlo 95% high",
}


def design_study(
    frame: pd.DataFrame,
    designs: dict[str, bool],
    *,
    effect: float,
    draws: int,
    null_seeds: Sequence[int],
    null_draws: int,
    alpha: float = 0.05,
    tolerance: float = 0.02,
    baseline: float = 0.5,
    secondary_seeds: int = 2,
) -> dict[str, dict[str, Any]]:
    """Whether each design can decide P1-size: per design (name -> ``within_family``), the
    planted-effect and null draws (:func:`simulate_effect`, seeds after ``null_seeds[0]``), their
    :func:`simulation_summary`, the :func:`size_study` of the null (the first design over every
    seed of ``null_seeds``, the others over the first ``secondary_seeds``) and the
    :func:`simulation_checks`.

    Returns:
        name -> ``{"sims", "summary", "size", "checks"}``.
    """
    out = {}
    first = null_seeds[0]
    for k, (name, within) in enumerate(designs.items()):
        kw = {"baseline": baseline, "alpha": alpha, "within_family": within}
        sims = pd.concat(
            [
                simulate_effect(frame, effect=effect, draws=draws, seed=first + 100, **kw),
                simulate_effect(frame, effect=0.0, draws=draws, seed=first + 200, **kw),
            ],
            ignore_index=True,
        )
        seeds = list(null_seeds) if k == 0 else list(null_seeds)[:secondary_seeds]
        size = size_study(frame, seeds=seeds, draws=null_draws, **kw)
        summary = simulation_summary(sims)
        checks = simulation_checks(summary, size, alpha=alpha, tolerance=tolerance)
        out[name] = {"sims": sims, "summary": summary, "size": size, "checks": checks}
    return out


def describe_study(checks: dict[str, Any], within: dict[str, Any]) -> dict[str, str]:
    """The simulation in words, from the numbers of :func:`simulation_checks` of the primary
    design (``checks``) and of the within-family design (``within``): ``level`` (recovery and
    level of the CR3 test), ``others`` (CR1 and i.i.d.) and ``within``.
    """
    c = checks
    band = f"{c['low']:.0%}–{c['high']:.0%} band"
    interval = (
        f"{c['rate']:.1%} of the draws (Monte Carlo interval {c['mc_low']:.1%}–{c['mc_high']:.1%})"
    )
    level = (
        "The primary's mean estimates lie within three Monte Carlo standard errors of the planted effects"
        if c["recovered"]
        else "The primary's mean estimates miss the planted effects by more than three Monte Carlo standard errors"
    ) + (
        f", and its CR3 test keeps its level: it rejects a true null in {interval}, inside the {band}."
        if c["level_ok"]
        else f", but its CR3 test rejects a true null in {interval}, outside the {band}."
    )
    too_often = " — too often —" if c["rate_cr1"] > c["high"] else ""
    others = (
        f"The usual CR1 sandwich would reject in {c['rate_cr1']:.1%}{too_often} and i.i.d. "
        f"errors, which ignore the families, in {c['rate_iid']:.1%}."
    )
    valid = within["recovered"] and within["level_ok"]
    within_text = (
        f"The within-family design {'recovers' if within['recovered'] else 'does not recover'} the "
        f"planted effect and rejects a true null in {within['rate']:.1%} of its draws "
        f"({'inside' if within['level_ok'] else 'outside'} the band): it is "
        f"{'a valid' if valid else 'not a valid'} design for P1-size."
    )
    return {"level": level, "others": others, "within": within_text}


def study_numbers(study: dict[str, dict[str, Any]], effect: float) -> dict[str, tuple]:
    """The numbers a chapter quotes from a :func:`design_study` (its first design the primary,
    then ``"within family"``): key -> ``(value, description, format)``, sentences from
    :func:`describe_study` included.
    """
    first = next(iter(study.values()))
    c, s = first["checks"], first["summary"].set_index("truth")
    size = first["size"]
    per_seed = size[(size["seed"] != "all") & (size["test"] == next(iter(SIZE_TESTS)))]["rate"]
    within = study["within family"]["checks"] if "within family" in study else c
    words = describe_study(c, within)
    null = size[(size["seed"] == "all") & (size["test"] == next(iter(SIZE_TESTS)))].iloc[0]
    return {
        "sim_effect": (effect, "planted size effect", "g"),
        "sim_band": (
            c["high"] - size.attrs["alpha"],
            "tolerated distance of the null rate from alpha",
            ".0%",
        ),
        "sim_null_total": (int(null["draws"]), "null draws (primary design)", ","),
        "sim_null_batches": (len(per_seed), "seeds of the null batches", None),
        "sim_family_sd": (
            size.attrs["family_sd"],
            "SD of the family shocks (real outcome, ANOVA)",
            ".3f",
        ),
        "sim_mean_null": (float(s.loc[0.0, "mean_estimate"]), "mean estimate, no effect", ".4f"),
        "sim_mean_effect": (
            float(s.loc[effect, "mean_estimate"]),
            "mean estimate, planted effect",
            ".4f",
        ),
        "sim_power": (
            float(s.loc[effect, "rejection_rate"]),
            "draws rejecting zero, planted effect",
            ".0%",
        ),
        "sim_size": (c["rate"], "null rejection rate, CR3, all seeds", ".1%"),
        "sim_size_low": (c["mc_low"], "its Monte Carlo 95% interval, low", ".1%"),
        "sim_size_high": (c["mc_high"], "its Monte Carlo 95% interval, high", ".1%"),
        "sim_size_cr1": (c["rate_cr1"], "null rejection rate, CR1", ".1%"),
        "sim_size_iid": (c["rate_iid"], "null rejection rate, i.i.d.", ".1%"),
        "sim_within_size": (
            within["rate"],
            "null rejection rate, within-family design (CR3)",
            ".1%",
        ),
        "sim_size_seeds": (
            f"{per_seed.min():.1%}–{per_seed.max():.1%}",
            "CR3 null rate, range over seeds",
            None,
        ),
        "sim_verdict": (words["level"], "simulation: recovery and level, in words", None),
        "sim_cr1_sentence": (words["others"], "simulation: CR1 and i.i.d., in words", None),
        "sim_within_sentence": (words["within"], "within-family design, in words", None),
        "sim_within_valid": (
            bool(within["recovered"] and within["level_ok"]),
            "within-family design valid",
            None,
        ),
    }
