"""Running the race designs on simulated likes: bias, Monte-Carlo error, size, power, calibration
and the flags of a rule declared before the real estimates are seen (issue 17, item 5).

The outcomes come from :func:`hflineage.race.simulate.draw_counts` on the real panel (its bases,
entry times, ranks and accounts are kept).  A *design* (:class:`SimDesign`) is a set of
regressors, the fixed effects it absorbs (and, optionally, base-specific slopes); an
*estimator* is one of :data:`ESTIMATORS`.  Every design × estimator is fitted to all draws at
once by :func:`fit_draws`: one weighted alternating-projections demeaning for the whole array
of draws (per-draw weights where the sample or the weights differ by draw: the liked rows, the
Poisson weights), CRV1 standard errors clustered by base.  PPML is iteratively reweighted least
squares run on all draws together (the cost of one pyfixest fit per draw was the reason the old
simulation had no PPML).

:func:`flag_table` applies the declared :class:`FlagRule`: a design × estimator is flagged when
its mean bias under the null exceeds ``tolerance`` real standard errors by more than its
Monte-Carlo error (``z`` MC standard errors), or its size at 5% lies, Monte-Carlo interval and
all, outside ``size_band``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ..errors import ParameterError, check_choice
from .simulate import CountProcess, draw_counts, log_mean, rank_column

#: Estimator → (outcome made from the likes, description).
ESTIMATORS: dict[str, str] = {
    "ols": "OLS of log(1 + likes)",
    "ppml": "FE-Poisson (PPML) of likes",
    "lpm": "LPM of any like",
    "ols_liked": "OLS of log likes among liked derivatives",
}


@dataclass(frozen=True)
class SimDesign:
    """A design the simulation fits: regressors (the rank term first), absorbed fixed effects
    (columns of :func:`design_frame`) and, optionally, base-specific slopes in ``slope``.
    """

    name: str
    label: str
    regressors: tuple[str, ...]
    absorb: tuple[str, ...]
    slope: str | None = None


_CORE = ("log_congestion", "log_age")
_SPLINE = ("log_lag", "lag_rcs1", "lag_rcs2", "lag_rcs3")


def default_designs(rank: str = "log_entry_rank") -> tuple[SimDesign, ...]:
    """The candidate designs of issue 17 (rank term ``rank``; every one has log(1 + age), log(1 +
    congestion) and creation-month fixed effects): the revision-1 primary (common lag spline,
    base FE); the spline plus base × 5 or × 11 lag-bin FE or base × day-since-release FE (bins
    alone leave the common decay within a bin, which goes with rank: biased by construction);
    base-specific lag slopes; the primary with account FE; no lag control at all (reference).
    """
    core = (rank, *_CORE)
    return (
        SimDesign("spline", "common lag spline (rev. 1)", (*core, *_SPLINE), ("base", "month")),
        SimDesign("lagbin5", "+ base × 5 lag bins", (*core, *_SPLINE), ("base_bin5", "month")),
        SimDesign("lagbin11", "+ base × 11 lag bins", (*core, *_SPLINE), ("base_bin11", "month")),
        SimDesign("day", "+ base × day since release", (*core, *_SPLINE), ("base_day", "month")),
        SimDesign("slopes", "base lag slopes", (*core, *_SPLINE), ("base", "month"), "log_lag"),
        SimDesign("author", "spline + account FE", (*core, *_SPLINE), ("base", "month", "author")),
        SimDesign("nolag", "no lag control", core, ("base", "month")),
    )


#: Edges (days since the base's release) of the 5 coarse lag bins; the 11 are the panel's.
LAG_EDGES_5 = (0, 7, 30, 90, 365)


def design_frame(panel: pd.DataFrame, rank: str | None = None) -> pd.DataFrame:
    """The numeric columns the designs use, and integer codes of every fixed effect: ``base``,
    ``month``, ``author``, ``base_bin5`` (base × :data:`LAG_EDGES_5`), ``base_bin11`` (base ×
    the panel's ``lag_bin``) and ``base_day`` (base × whole days since release).
    """
    rank = rank_column(panel, rank)
    need = [rank, *_CORE, *_SPLINE, "base_id", "created_month", "author", "lag_days", "lag_bin"]
    missing = [c for c in need if c not in panel]
    if missing:
        raise ParameterError(f"panel has no column {missing[0]!r}; expected a race panel")
    out = panel.loc[:, [rank, *_CORE, *_SPLINE]].astype(float).reset_index(drop=True)
    base = pd.factorize(panel["base_id"])[0]
    lag = panel["lag_days"].to_numpy(float)
    bin5 = np.searchsorted(np.asarray(LAG_EDGES_5, float), lag, side="right")
    for name, key in (
        ("base", base),
        ("month", pd.factorize(panel["created_month"])[0]),
        ("author", pd.factorize(panel["author"])[0]),
        ("base_bin5", base * 8 + bin5),
        ("base_bin11", base * 64 + pd.factorize(panel["lag_bin"])[0]),
        ("base_day", base.astype(np.int64) * 100_000 + np.floor(lag).astype(np.int64)),
    ):
        out[name] = pd.factorize(key)[0]
    return out


def _absorbers(frame: pd.DataFrame, design: SimDesign, rows: np.ndarray | None = None) -> list:
    """(codes, group-sum matrix, slope variable or None) of each absorbed fixed effect on
    ``rows`` (default all), the largest first: it is projected out group by group, the others
    (months, bases) by their indicators.
    """
    out = []
    for name in design.absorb:
        codes = frame[name].to_numpy(np.int64)
        slope = frame[design.slope].to_numpy(float) if design.slope and name == "base" else None
        if rows is not None:
            codes = codes[rows]
            slope = None if slope is None else slope[rows]
        codes = np.unique(codes, return_inverse=True)[1]
        n = len(codes)
        s = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(codes.max() + 1, n))
        out.append((codes, s, slope))
    size = [o[1].shape[0] * (1 if o[2] is None else 2) for o in out]
    big = int(np.argmax(size))
    return [out[big], *(o for i, o in enumerate(out) if i != big)]


def _within(a: np.ndarray, w: np.ndarray, absorber: tuple) -> np.ndarray:
    """``a`` (rows × columns) minus its ``w``-weighted group means (or, with a slope variable,
    group lines in it).
    """
    codes, s, x = absorber
    s_w = (s @ w)[:, None]
    wa = w[:, None] * a
    s_wa = s @ wa
    if x is None:
        return a - (s_wa / np.where(s_w > 0, s_w, 1.0))[codes]
    s_wx = (s @ (w * x))[:, None]
    s_wxx = (s @ (w * x**2))[:, None]
    det = s_w * s_wxx - s_wx**2
    det = np.where(det > 1e-9 * np.maximum(s_w * s_wxx, 1e-300), det, np.inf)
    b = (s_w * (s @ (wa * x[:, None])) - s_wx * s_wa) / det
    m = (s_wa - b * s_wx) / np.where(s_w > 0, s_w, 1.0)
    return a - m[codes] - b[codes] * x[:, None]


def demean(m: np.ndarray, w: np.ndarray, absorbers: list) -> np.ndarray:
    """``m`` (rows × columns) minus its ``w``-weighted least-squares projection on the fixed
    effects, exactly (no iteration): the first absorber is projected out group by group, the
    indicators of the others (all but one level each) are projected out with it and their small
    normal equations solved (Frisch-Waugh-Lovell).
    """
    mt = _within(m, w, absorbers[0])
    if len(absorbers) == 1:
        return mt
    d = _within(np.hstack([s.T[:, 1:].toarray() for _, s, _ in absorbers[1:]]), w, absorbers[0])
    wd = w[:, None] * d
    return mt - d @ (np.linalg.pinv(wd.T @ d, rcond=1e-10, hermitian=True) @ (wd.T @ mt))


def _identified(frame: pd.DataFrame, design: SimDesign) -> list[str]:
    from .regressions import independent

    x = frame[list(design.regressors)].to_numpy(float)
    dm = demean(x, np.ones(len(x)), _absorbers(frame, design))
    keep = independent(dm, (x**2).sum(axis=0))
    if not keep[0]:
        raise ParameterError(
            f"design {design.name!r}: the rank term does not vary within its fixed effects"
        )
    return [r for r, k in zip(design.regressors, keep, strict=True) if k]


def _rows(
    frame: pd.DataFrame, design: SimDesign, y: np.ndarray, positive_groups: bool
) -> np.ndarray:
    """The rows a per-draw fit uses: ``y > 0`` (liked) or, for PPML, rows outside fixed-effect
    groups whose likes are all zero; then no singleton groups; iterated until stable.
    """
    codes = [frame[name].to_numpy(np.int64) for name in design.absorb]
    keep = np.ones(len(y), bool) if positive_groups else y > 0
    while True:
        new = keep.copy()
        for c in codes:
            new &= np.bincount(c, weights=new.astype(float))[c] > 1
            if positive_groups:
                new &= np.bincount(c, weights=y * new)[c] > 0
        if (new == keep).all():
            return np.flatnonzero(keep)
        keep = new


def _df_fe(absorbers: list, base: np.ndarray) -> int:
    """Levels of the fixed effects not nested in the base cluster, minus one per such fixed
    effect beyond the first (pyfixest's ``k_fixef="nonnested"``).
    """
    levels = []
    for codes, s, _ in absorbers:
        per_group = np.unique(np.column_stack([codes, base]), axis=0)[:, 0]
        if len(per_group) > len(np.unique(per_group)):  # a group spans several bases
            levels.append(s.shape[0])
    return sum(levels) - max(len(levels) - 1, 0)


def _wls(xd: np.ndarray, zd: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares of every column of ``zd`` on ``xd``: (k × columns, X'WX)."""
    wx = w[:, None] * xd
    xtwx = wx.T @ xd
    return np.linalg.solve(xtwx, wx.T @ zd), xtwx


def _crv1(xd, resid, w, xtwx, cluster: np.ndarray, df_fe: int = 0) -> tuple[np.ndarray, int, int]:
    """CRV1 standard errors of the first coefficient, clustered by base, for every column of
    ``resid``; pyfixest's factor G/(G-1)·(n-1)/(n-k-``df_fe``), ``df_fe`` counting the levels of
    the fixed effects not nested in the base (:func:`_df_fe`).
    """
    n, k = xd.shape
    g_codes, g_n = np.unique(cluster, return_inverse=True)[1], len(np.unique(cluster))
    s = sparse.csr_matrix((np.ones(n), (g_codes, np.arange(n))), shape=(g_n, n))
    wr = w[:, None] * resid
    scores = (s @ (xd[:, :, None] * wr[:, None, :]).reshape(n, -1)).reshape(g_n, k, -1)
    bread = np.linalg.inv(xtwx)[0]  # the rank term's row
    b_s = np.einsum("k,gkr->gr", bread, scores)
    factor = g_n / max(g_n - 1, 1) * (n - 1) / max(n - k - df_fe, 1)
    return np.sqrt(factor * (b_s**2).sum(axis=0)), g_n, n


def fit_draws(
    frame: pd.DataFrame, design: SimDesign, likes: np.ndarray, estimator: str, *, tol: float = 1e-8
) -> pd.DataFrame:
    """The rank coefficient of ``design`` × ``estimator`` on every column of ``likes``.

    OLS of log(1 + likes) and the LPM share one sample across draws: one demeaning of the
    regressors and all the draws' outcomes.  OLS among liked rows and PPML fit each draw on its
    own rows (PPML by iteratively reweighted least squares until the deviance changes by less
    than ``tol``, relative).  Singleton fixed-effect groups carry no information and are left
    out of the per-draw samples, as pyfixest does.

    Returns:
        One row per draw: ``draw``, ``estimate``, ``std_error`` (CRV1 by base), ``p_value``
        (t with G − 1 degrees of freedom), ``n_obs``, ``n_clusters``.
    """
    check_choice("estimator", estimator, tuple(ESTIMATORS))
    likes = np.asarray(likes, float).reshape(len(frame), -1)
    regs = _identified(frame, design)
    x = frame[regs].to_numpy(float)
    base = frame["base"].to_numpy(np.int64)
    k = x.shape[1]
    if estimator in ("ols", "lpm"):  # one sample for every draw: demean once
        y = np.log1p(likes) if estimator == "ols" else (likes > 0).astype(float)
        w = np.ones(len(x))
        absorbers = _absorbers(frame, design)
        d = demean(np.hstack([x, y]), w, absorbers)
        beta, xtwx = _wls(d[:, :k], d[:, k:], w)
        resid = d[:, k:] - d[:, :k] @ beta
        se, g, n = _crv1(d[:, :k], resid, w, xtwx, base, _df_fe(absorbers, base))
        rows = [(b, s, g, n) for b, s in zip(beta[0], se, strict=True)]
    else:
        rows = [_fit_one(frame, design, x, y, base, estimator, tol) for y in likes.T]
    out = pd.DataFrame(rows, columns=["estimate", "std_error", "n_clusters", "n_obs"])
    out.insert(0, "draw", np.arange(len(out)))
    out["p_value"] = 2 * stats.t.sf(
        np.abs(out["estimate"] / out["std_error"]), np.maximum(out["n_clusters"] - 1, 1)
    )
    return out


def _fit_one(frame, design, x, y, base, estimator, tol, maxiter: int = 100):
    """OLS among liked rows or PPML on one draw."""
    rows = _rows(frame, design, y, positive_groups=estimator == "ppml")
    absorbers = _absorbers(frame, design, rows)
    x, y, base = x[rows], y[rows], base[rows]
    k = x.shape[1]

    def wls(z, w):
        d = demean(np.column_stack([x, z]), w, absorbers)
        beta, xtwx = _wls(d[:, :k], d[:, k:], w)
        return beta[:, 0], xtwx, d[:, k] - d[:, :k] @ beta[:, 0], d[:, :k]

    if estimator == "ols_liked":
        w = np.ones(len(y))
        beta, xtwx, resid, xd = wls(np.log(y), w)
    else:
        mu = (y + y.mean()) / 2
        eta, dev_old = np.log(mu), np.inf
        for _ in range(maxiter):
            z = eta + (y - mu) / mu
            beta, xtwx, resid, xd = wls(z, mu)
            w = mu
            eta = z - resid
            mu = np.exp(np.clip(eta, -50, 50))
            dev = 2 * float(
                (np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0) - (y - mu)).sum()
            )
            if abs(dev - dev_old) / (0.1 + abs(dev)) < tol:
                break
            dev_old = dev
    se, g, n = _crv1(xd, resid[:, None], w, xtwx, base, _df_fe(absorbers, base))
    return beta[0], se[0], g, n


def count_shape(likes: np.ndarray, top_share: float = 0.01) -> dict[str, float]:
    """The share of zeros and the share of all likes held by the top ``top_share`` of rows,
    averaged over the columns of ``likes`` (one column: the real likes).
    """
    y = np.asarray(likes, float).reshape(len(likes), -1)
    k = max(int(round(top_share * len(y))), 1)
    top = -np.partition(-y, k - 1, axis=0)[:k].sum(axis=0)
    total = y.sum(axis=0)
    return {
        "zero_share": float((y == 0).mean()),
        "top_share": float(np.mean(top / np.where(total > 0, total, 1.0))),
        "mean": float(y.mean()),
    }


def calibrate_counts(
    panel: pd.DataFrame,
    process: CountProcess | None = None,
    *,
    zero_share: float | None = None,
    top_share: float | None = None,
    draws: int = 4,
    seed: int = 0,
    rank: str | None = None,
) -> CountProcess:
    """``process`` with its intercept and dispersion set so that the simulated likes have the
    target share of zeros and share of likes in the top 1% of rows (default: the panel's real
    ones).

    For a dispersion, the intercept solves the expected zero share
    ``mean((theta / (theta + exp(eta)))**theta) = zero_share`` (bisection; exact given the
    drawn ``eta``); the dispersion is then bisected in log until the simulated top-1% share
    (``draws`` seeded draws) is on target.  The match is reported by :func:`count_shape` on a
    fresh draw.
    """
    process = CountProcess() if process is None else process
    real = count_shape(panel["likes"].to_numpy(float))
    z = real["zero_share"] if zero_share is None else float(zero_share)
    t = real["top_share"] if top_share is None else float(top_share)
    if not (0 < z < 1 and 0 < t < 1):
        raise ParameterError(f"zero_share={z!r}, top_share={t!r}; expected shares in (0, 1)")
    eta0 = log_mean(panel, replace(process, intercept=0.0), draws=draws, seed=seed, rank=rank)

    def intercept_for(theta: float) -> float:
        lo, hi = -30.0, 30.0
        for _ in range(60):
            mid = (lo + hi) / 2
            p0 = np.mean((theta / (theta + np.exp(np.minimum(eta0 + mid, 50.0)))) ** theta)
            lo, hi = (mid, hi) if p0 > z else (lo, mid)
        return (lo + hi) / 2

    def top_for(log_theta: float) -> float:
        theta = float(np.exp(log_theta))
        p = replace(process, intercept=intercept_for(theta), dispersion=theta)
        return count_shape(draw_counts(panel, p, draws=draws, seed=seed, rank=rank))["top_share"]

    lo, hi = np.log(1e-3), np.log(1e2)  # top share falls as the dispersion parameter grows
    for _ in range(25):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if top_for(mid) > t else (lo, mid)
    theta = float(np.exp((lo + hi) / 2))
    return replace(process, intercept=intercept_for(theta), dispersion=theta)


#: Design × estimator pairs left out of :func:`default_grid`: PPML with base-specific lag slopes
#: separates (a base whose likes all fall early drives its slope to minus infinity: IRLS does
#: not converge), and PPML with account fixed effects is too slow to repeat (a dense system of
#: ~660 base and month indicators per IRLS step).
SKIPPED = (("slopes", "ppml"), ("author", "ppml"))


def default_grid(designs: Sequence[SimDesign]) -> list[tuple[SimDesign, str]]:
    """Every design × estimator, except :data:`SKIPPED`."""
    return [(d, e) for d in designs for e in ESTIMATORS if (d.name, e) not in SKIPPED]


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
        One row per (scenario, design, estimator, draw): :func:`fit_draws`'s columns plus
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
            fits = fit_draws(frame, design, likes, estimator)
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


def real_estimates(
    panel: pd.DataFrame,
    grid: Sequence[tuple[SimDesign, str]] | None = None,
    rank: str | None = None,
) -> pd.DataFrame:
    """Every design × estimator of ``grid`` on the panel's real likes (same fitter as the draws;
    it agrees with pyfixest, see the tests): ``design``, ``estimator``, ``real_estimate``,
    ``real_se``.
    """
    rank = rank_column(panel, rank)
    frame = design_frame(panel, rank)
    grid = default_grid(default_designs(rank)) if grid is None else list(grid)
    likes = panel["likes"].to_numpy(float)[:, None]
    rows = []
    for design, estimator in grid:
        fit = fit_draws(frame, design, likes, estimator).iloc[0]
        rows.append((design.name, estimator, fit["estimate"], fit["std_error"]))
    return pd.DataFrame(rows, columns=["design", "estimator", "real_estimate", "real_se"])


@dataclass(frozen=True)
class FlagRule:
    """The rule that flags a design × estimator, declared before the real estimates are seen.

    Attributes:
        tolerance: largest acceptable |mean bias| under the null, in real standard errors.
        z: Monte-Carlo margin: the bias must exceed the tolerance by ``z`` MC standard errors.
        alpha: the test's level.
        size_band: acceptable rejection rate under the null at ``alpha``; flagged when its
            Wilson 95% Monte-Carlo interval lies wholly outside.
        calibration: a simulated SE within this share of the real one counts as calibrated.
    """

    tolerance: float = 0.5
    z: float = 1.96
    alpha: float = 0.05
    size_band: tuple[float, float] = (0.025, 0.075)
    calibration: float = 0.25


def wilson(successes: np.ndarray, trials: np.ndarray, z: float = 1.96) -> tuple:
    """Wilson score interval of a binomial share (vectorised)."""
    k, n = np.asarray(successes, float), np.asarray(trials, float)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def flag_table(
    sims: pd.DataFrame, real: pd.DataFrame | None = None, rule: FlagRule = FlagRule()
) -> pd.DataFrame:
    """The declared rule applied to :func:`simulate_designs` (and :func:`real_estimates`).

    Returns:
        One row per design × estimator: ``design``, ``label``, ``estimator``, ``draws``,
        ``bias`` (mean estimate under the null: the truth is 0 for every estimator),
        ``mc_error`` (its Monte-Carlo standard error), ``sim_se`` (mean SE under the null),
        ``real_se``, ``se_ratio`` (simulated / real), ``calibrated``, ``size`` (share of null
        draws with p < alpha) and its Wilson interval ``size_low``, ``size_high``, ``power``
        (share of effect draws with p < alpha and a negative estimate; NaN without an effect
        scenario), ``flagged``, ``reason``.  Without ``real`` the tolerance is in simulated SEs.
    """
    keys = ["design", "estimator"]
    null = sims[sims["scenario"] == "null"].assign(rej=lambda t: t["p_value"] < rule.alpha)
    out = null.groupby(keys, sort=False).agg(
        label=("label", "first"),
        draws=("estimate", "size"),
        bias=("estimate", "mean"),
        sd=("estimate", "std"),
        sim_se=("std_error", "mean"),
        rejections=("rej", "sum"),
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
    out["se_ratio"] = out["sim_se"] / out["real_se"]
    out["calibrated"] = (out["se_ratio"] - 1).abs() <= rule.calibration
    out["size"] = out["rejections"] / out["draws"]
    out["size_low"], out["size_high"] = wilson(out["rejections"], out["draws"])
    unit = out["real_se"].fillna(out["sim_se"])
    biased = out["bias"].abs() - rule.z * out["mc_error"] > rule.tolerance * unit
    lo, hi = rule.size_band
    bad_size = (out["size_high"] < lo) | (out["size_low"] > hi)
    out["flagged"] = biased | bad_size
    out["reason"] = [
        "; ".join(
            r
            for r, on in (
                (f"|bias| > {rule.tolerance:g} SE beyond MC error", b),
                (f"size outside [{lo:.1%}, {hi:.1%}]", s),
            )
            if on
        )
        for b, s in zip(biased, bad_size, strict=True)
    ]
    cols = ["design", "label", "estimator", "draws", "bias", "mc_error", "sim_se", "real_se"]
    cols += ["se_ratio", "calibrated", "size", "size_low", "size_high", "power", "flagged"]
    return out[[*cols, "real_estimate", "reason"]]
