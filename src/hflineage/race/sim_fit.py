"""Fitting a race design to every simulated draw at once (issue 17, item 5): the designs
(:class:`SimDesign`, :func:`default_designs`, mirroring ``race.designs.DESIGNS``), their fixed
effects (:func:`design_frame`), an exact weighted fixed-effect projection (:func:`demean`) and
:func:`fit_draws`: OLS and LPM for all draws in one demeaning, OLS among liked rows and PPML
(iteratively reweighted least squares) draw by draw, CRV1 standard errors clustered by base
with pyfixest's small-sample factor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ..errors import ParameterError, check_choice
from .sim_counts import CONGESTION_COLUMN, rank_column

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


_SPLINE = ("log_lag", "lag_rcs1", "lag_rcs2", "lag_rcs3")

#: Rank column → its congestion column (rivals counted the same way as the rank).
CONGESTION_OF = CONGESTION_COLUMN

#: Clustering → the :func:`design_frame` codes it clusters by (two: two-way).
CLUSTERINGS = {"base": ("base",), "base+author": ("base", "author")}

#: A term the simulation reads → its position among a design's regressors (the rank first,
#: its congestion second: :func:`default_designs`).
TERM_POSITION = {"rank": 0, "congestion": 1}


def default_designs(rank: str = "log_entry_rank") -> tuple[SimDesign, ...]:
    """The candidate designs of issue 17, as race-est's registry (``race.designs.DESIGNS``)
    defines them: every one has the rank term ``rank``, its congestion (:data:`CONGESTION_OF`),
    log(1 + age) and creation-month fixed effects; they differ in the time control: the
    revision-1 primary (common lag spline, base FE); base × 5 or × 11 lag-bin FE and base ×
    day-since-release FE (no spline: the common decay within a bin is left in); base-specific
    lag slopes on top of the spline; the spline with account FE; no lag control (reference).
    """
    core = (rank, CONGESTION_OF.get(rank, "log_congestion"), "log_age")
    return (
        SimDesign("spline", "common lag spline (rev. 1)", (*core, *_SPLINE), ("base", "month")),
        SimDesign("lagbin5", "base × 5 lag bins", core, ("base_bin5", "month")),
        SimDesign("lagbin11", "base × 11 lag bins", core, ("base_bin11", "month")),
        SimDesign("day", "base × day since release", core, ("base_day", "month")),
        SimDesign("slopes", "base lag slopes", (*core, *_SPLINE), ("base", "month"), "log_lag"),
        SimDesign("author", "spline + account FE", (*core, *_SPLINE), ("base", "month", "author")),
        SimDesign("nolag", "no lag control", core, ("base", "month")),
    )


def spline_variant(design: SimDesign) -> SimDesign:
    """``design`` with the common lag spline added (``<name>+spline``): the bins' remedy for
    the common decay left inside a bin.
    """
    regs = design.regressors + tuple(c for c in _SPLINE if c not in design.regressors)
    return SimDesign(f"{design.name}+spline", f"{design.label} + spline", regs, design.absorb)


#: Edges (days since the base's release) of the 5 coarse lag bins; the 11 are the panel's.
LAG_EDGES_5 = (0, 7, 30, 90, 365)


def design_frame(panel: pd.DataFrame, rank: str | None = None) -> pd.DataFrame:
    """The numeric columns the designs use, and integer codes of every fixed effect: ``base``,
    ``month``, ``author``, ``base_bin5`` (base × :data:`LAG_EDGES_5`), ``base_bin11`` (base ×
    the panel's ``lag_bin``) and ``base_day`` (base × whole days since release).
    """
    rank = rank_column(panel, rank)
    numeric = [rank, CONGESTION_OF.get(rank, "log_congestion"), "log_age", *_SPLINE]
    need = [*numeric, "base_id", "created_month", "author", "lag_days", "lag_bin"]
    missing = [c for c in need if c not in panel]
    if missing:
        raise ParameterError(f"panel has no column {missing[0]!r}; expected a race panel")
    out = panel.loc[:, numeric].astype(float).reset_index(drop=True)
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


def _cluster_sum(xd, wr, codes) -> np.ndarray:
    """Cluster sums of the scores (clusters × k × columns)."""
    n, k = xd.shape
    g_codes = np.unique(codes, return_inverse=True)[1]
    g_n = int(g_codes.max()) + 1
    s = sparse.csr_matrix((np.ones(n), (g_codes, np.arange(n))), shape=(g_n, n))
    return (s @ (xd[:, :, None] * wr[:, None, :]).reshape(n, -1)).reshape(g_n, k, -1)


def _crv1(
    xd, resid, w, xtwx, cluster: np.ndarray, df_fe: int = 0, at: Sequence[int] = (0,)
) -> tuple[np.ndarray, int, int]:
    """CRV1 standard errors of the coefficients at positions ``at`` (one row each) for every
    column of ``resid``, clustered by ``cluster`` — one code per row (the base) or two columns
    (base and account: two-way, Cameron, Gelbach & Miller 2011, ``V_1 + V_2 - V_12``, floored at
    zero) — with pyfixest's factor Gmin/(Gmin-1)·(n-1)/(n-k-``df_fe``), Gmin the smaller number
    of clusters and ``df_fe`` the levels of the fixed effects not nested in the first
    clustering (:func:`_df_fe`).  Returns (SEs, Gmin, n).
    """
    n, k = xd.shape
    cluster = np.asarray(cluster).reshape(n, -1)
    wr = w[:, None] * resid
    bread = np.linalg.inv(xtwx)[list(at)]  # the reported terms' rows

    def part(codes):
        b_s = np.einsum("tk,gkr->tgr", bread, _cluster_sum(xd, wr, codes))
        return (b_s**2).sum(axis=1), len(np.unique(codes))

    var, g_n = part(cluster[:, 0])
    if cluster.shape[1] == 2:
        v2, g2 = part(cluster[:, 1])
        pair = np.unique(cluster, axis=0, return_inverse=True)[1].reshape(-1)
        v12, _ = part(pair)
        var = np.maximum(var + v2 - v12, 0.0)
        g_n = min(g_n, g2)
    factor = g_n / max(g_n - 1, 1) * (n - 1) / max(n - k - df_fe, 1)
    return np.sqrt(factor * var), g_n, n


def _cr3(xd, resid, w, xtwx, cluster: np.ndarray, at: Sequence[int] = (0,)) -> np.ndarray:
    """Leave-one-cluster-out (jackknife, CR3) standard errors of the coefficients at ``at`` for
    every column of ``resid``: ``sqrt((G-1)/G · Σ_g Δ_g²)``, centred at the full-sample
    estimate, with ``Δ_g = (H - H_g)^{-1} s_g``, ``H`` = X'WX and ``H_g``, ``s_g`` = X_g'W_g r_g
    cluster g's shares (MacKinnon, Nielsen & Webb 2023; for PPML the one-step version at the
    final weights).  The fixed effects are projected out on the whole sample first: exact for
    effects nested in the cluster (the base), a close approximation for the others (a test
    puts it within 5% of refits without each base).  ``H - H_g`` gets a ridge of 1e-12 of
    ``H``'s mean diagonal, for a cluster that holds all of a column's variation.
    """
    n, k = xd.shape
    codes = np.unique(np.asarray(cluster).reshape(n, -1)[:, 0], return_inverse=True)[1]
    g_n = int(codes.max()) + 1
    s = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(g_n, n))
    h_g = (s @ (w[:, None, None] * xd[:, :, None] * xd[:, None, :]).reshape(n, -1)).reshape(
        g_n, k, k
    )
    scores = _cluster_sum(xd, w[:, None] * resid, codes)  # g × k × columns
    minus = xtwx[None] - h_g
    minus += np.eye(k)[None] * 1e-12 * np.trace(xtwx) / k  # a cluster holding all of a column
    delta = np.linalg.solve(minus, scores)[:, list(at), :]  # g × terms × columns
    return np.sqrt((g_n - 1) / g_n * (delta**2).sum(axis=0))


def fit_draws(
    frame: pd.DataFrame,
    design: SimDesign,
    likes: np.ndarray,
    estimator: str,
    *,
    tol: float = 1e-8,
    terms: Sequence[str] = ("rank",),
    cluster: str = "base",
    vcov: str = "CRV1",
) -> pd.DataFrame:
    """The coefficients of ``terms`` (:data:`TERM_POSITION`: the rank, its congestion) of
    ``design`` × ``estimator`` on every column of ``likes``.

    OLS of log(1 + likes) and the LPM share one sample across draws: one demeaning of the
    regressors and all the draws' outcomes.  OLS among liked rows and PPML fit each draw on its
    own rows (PPML by iteratively reweighted least squares until the deviance changes by less
    than ``tol``, relative).  Singleton fixed-effect groups carry no information and are left
    out of the per-draw samples, as pyfixest does.  A term the design cannot identify (dropped
    as collinear) gets NaN.  ``cluster`` is :data:`CLUSTERINGS`' ``"base"`` (CRV1 by base) or
    ``"base+author"`` (two-way by base and account); ``vcov`` ``"CR3"`` replaces CRV1 by the
    leave-one-base-out jackknife (:func:`_cr3`; one-way by base only).

    Returns:
        One row per draw and term (terms in the order given, draws within each): ``draw``,
        ``term``, ``estimate``, ``std_error`` (by ``vcov`` and ``cluster``), ``p_value`` (t
        with G − 1 degrees of freedom, G the smaller number of clusters), ``n_obs``,
        ``n_clusters``.
    """
    check_choice("estimator", estimator, tuple(ESTIMATORS))
    check_choice("cluster", cluster, CLUSTERINGS)
    check_choice("vcov", vcov, ("CRV1", "CR3"))
    if vcov == "CR3" and cluster != "base":
        raise ParameterError(f"vcov='CR3' with cluster={cluster!r}; expected cluster='base'")
    for t in terms:
        check_choice("term", t, tuple(TERM_POSITION))
    likes = np.asarray(likes, float).reshape(len(frame), -1)
    regs = _identified(frame, design)
    names = [design.regressors[TERM_POSITION[t]] for t in terms]
    at = [regs.index(n) if n in regs else 0 for n in names]
    known = np.array([n in regs for n in names])
    x = frame[regs].to_numpy(float)
    base = frame[list(CLUSTERINGS[cluster])].to_numpy(np.int64)
    k = x.shape[1]
    if estimator in ("ols", "lpm"):  # one sample for every draw: demean once
        y = np.log1p(likes) if estimator == "ols" else (likes > 0).astype(float)
        w = np.ones(len(x))
        absorbers = _absorbers(frame, design)
        d = demean(np.hstack([x, y]), w, absorbers)
        beta, xtwx = _wls(d[:, :k], d[:, k:], w)
        resid = d[:, k:] - d[:, :k] @ beta
        se, g, n = _crv1(d[:, :k], resid, w, xtwx, base, _df_fe(absorbers, base[:, 0]), at)
        if vcov == "CR3":
            se = _cr3(d[:, :k], resid, w, xtwx, base, at)
        est = beta[at]  # terms × draws
        g_n, n_obs = np.full(likes.shape[1], g), np.full(likes.shape[1], n)
    else:
        fits = [_fit_one(frame, design, x, y, base, estimator, tol, at, vcov) for y in likes.T]
        est = np.column_stack([f[0] for f in fits])
        se = np.column_stack([f[1] for f in fits])
        g_n = np.array([f[2] for f in fits])
        n_obs = np.array([f[3] for f in fits])
    est = np.where(known[:, None], est, np.nan)
    se = np.where(known[:, None], se, np.nan)
    n_draws = likes.shape[1]
    out = pd.DataFrame(
        {
            "draw": np.tile(np.arange(n_draws), len(terms)),
            "term": np.repeat(list(terms), n_draws),
            "estimate": est.ravel(),
            "std_error": se.ravel(),
            "n_clusters": np.tile(g_n, len(terms)),
            "n_obs": np.tile(n_obs, len(terms)),
        }
    )
    out["p_value"] = 2 * stats.t.sf(
        np.abs(out["estimate"] / out["std_error"]), np.maximum(out["n_clusters"] - 1, 1)
    )
    return out


def _fit_one(frame, design, x, y, base, estimator, tol, at=(0,), vcov="CRV1", maxiter: int = 100):
    """OLS among liked rows or PPML on one draw: (coefficients at ``at``, their SEs, G, n)."""
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
    se, g, n = _crv1(xd, resid[:, None], w, xtwx, base, _df_fe(absorbers, base[:, 0]), at)
    if vcov == "CR3":
        se = _cr3(xd, resid[:, None], w, xtwx, base, at)
    return beta[list(at)], se[:, 0], g, n
