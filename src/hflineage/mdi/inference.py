"""Inference for the MDI claims with errors clustered by lineage family.

Derivatives of one base model share shocks — the base's popularity, licence and release date —
so the ~60,000 focal models of the snapshot are not independent draws: they come in about 3,000
families (:func:`hflineage.mdi.covariates.lineage_family`).  Every test of the MDI chapters therefore
uses a cluster-robust (sandwich) variance with families as clusters:

- :func:`cluster_ols` — least squares for one or many outcomes sharing one design, with the
  CR1 sandwich (small-sample factor G/(G−1)·(n−1)/(n−k), as Stata and statsmodels use) and
  normal p-values; the i.i.d. standard errors beside them, to show what ignoring families does;
- :func:`share_gap` — the difference of two shares (e.g. of MDI > 0 among large and smaller
  models) as the slope of a linear probability model on a group indicator;
- :func:`clustered_spearman` — Spearman's rank correlation as the slope of standardised ranks
  on standardised ranks, with a clustered standard error; :func:`bootstrap_spearman` resamples
  whole families instead (an independent check of that standard error);
- :func:`between_family_sd` — the ANOVA estimate of the spread of family means, the size of the
  shared shocks (used by the simulation of :mod:`hflineage.mdi.simulate`).

Everything is vectorised over observations; :func:`cluster_ols` loops only over outcomes
(simulation draws), each one sparse product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ..errors import HflineageError, ParameterError


@dataclass(frozen=True)
class ClusterFit:
    """Least-squares estimates of one or many outcomes on one design.

    Arrays are ``k`` (coefficients) × ``r`` (outcomes); a single outcome gives ``r = 1``.
    ``se`` is clustered (CR1), ``se_iid`` the classical one; ``p`` and ``p_iid`` two-sided
    normal p-values.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    se_iid: np.ndarray
    n: int
    clusters: int

    @property
    def p(self) -> np.ndarray:
        """Two-sided p-values from the clustered standard errors (normal)."""
        return _two_sided(self.coef, self.se)

    @property
    def p_iid(self) -> np.ndarray:
        """Two-sided p-values from the i.i.d. standard errors (normal)."""
        return _two_sided(self.coef, self.se_iid)

    def term(self, name: str) -> pd.DataFrame:
        """One coefficient across the outcomes: ``coef``, ``se``, ``p``, ``se_iid``, ``p_iid``."""
        if name not in self.names:
            raise HflineageError(
                f"term {name!r} is not in the design; expected one of {self.names}"
            )
        k = self.names.index(name)
        return pd.DataFrame(
            {
                "coef": self.coef[k],
                "se": self.se[k],
                "p": self.p[k],
                "se_iid": self.se_iid[k],
                "p_iid": self.p_iid[k],
            }
        )


def _two_sided(coef: np.ndarray, se: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, 2 * stats.norm.sf(np.abs(coef / se)), np.nan)


def _codes(groups: np.ndarray | pd.Series) -> tuple[np.ndarray, int]:
    groups = np.asarray(groups)
    if groups.dtype.kind in "iu":  # integer codes already (millions of rows: no objects)
        uniques, codes = np.unique(groups, return_inverse=True)
        return codes.astype(np.int64), len(uniques)
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups, dtype=object)), sort=False)
    if (codes < 0).any():
        raise HflineageError("groups: missing cluster labels; expected one family per row")
    return codes, len(uniques)


def cluster_ols(
    y: np.ndarray,
    X: np.ndarray,
    groups: np.ndarray | pd.Series,
    *,
    names: tuple[str, ...] | None = None,
) -> ClusterFit:
    """Least squares of ``y`` (n, or n × r for r outcomes) on ``X`` (n × k) with standard errors
    clustered by ``groups``.

    The variance of each outcome's coefficients is the CR1 sandwich
    ``c · (X'X)⁻¹ (Σ_g s_g s_g') (X'X)⁻¹`` with ``s_g = X_g' u_g`` and
    ``c = G/(G−1) · (n−1)/(n−k)``: what ``statsmodels`` (``cov_type="cluster"``) and Stata
    report.

    Args:
        y: outcome(s), one row per observation.
        X: the design (include a column of ones for an intercept).
        groups: the cluster of each row (any hashable labels).
        names: a name per column of ``X`` (default ``x0``, ``x1``, ...).

    Returns:
        A :class:`ClusterFit`.
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(y, dtype=float)
    Y = Y[:, None] if Y.ndim == 1 else Y
    n, k = X.shape
    if Y.shape[0] != n:
        raise ParameterError(f"y has {Y.shape[0]} rows; expected one per row of X ({n})")
    if not (np.isfinite(X).all() and np.isfinite(Y).all()):
        raise ParameterError("cluster_ols: X and y must be finite; drop missing rows first")
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(k))
    if len(names) != k:
        raise ParameterError(f"names has {len(names)} entries; expected one per column ({k})")
    codes, G = _codes(groups)
    if len(codes) != n:
        raise ParameterError(f"groups has {len(codes)} labels; expected one per row ({n})")
    if n <= k or G < 2:
        raise HflineageError(
            f"cluster_ols: {n} rows and {G} clusters for {k} coefficients; need n > k and 2+ clusters"
        )
    xtx = X.T @ X
    if np.linalg.matrix_rank(xtx) < k:
        raise HflineageError("cluster_ols: the design is collinear; drop a redundant column")
    bread = np.linalg.inv(xtx)
    coef = bread @ (X.T @ Y)
    U = Y - X @ coef
    member = sp.csr_array((np.ones(n), (codes, np.arange(n))), shape=(G, n))
    corr = G / (G - 1) * (n - 1) / (n - k)
    se = np.empty_like(coef)
    for r in range(Y.shape[1]):
        scores = member @ (X * U[:, [r]])  # G × k
        V = corr * bread @ (scores.T @ scores) @ bread
        se[:, r] = np.sqrt(np.clip(np.diag(V), 0, None))
    s2 = (U**2).sum(axis=0) / (n - k)
    se_iid = np.sqrt(np.outer(np.diag(bread), s2))
    return ClusterFit(names, coef, se, se_iid, n, G)


@dataclass(frozen=True)
class Estimate:
    """One clustered estimate: value, standard error, two-sided p, rows and clusters."""

    estimate: float
    se: float
    p: float
    n: int
    clusters: int


NAN_ESTIMATE = Estimate(np.nan, np.nan, np.nan, 0, 0)


def share_gap(
    positive: np.ndarray, in_a: np.ndarray, in_b: np.ndarray, groups: np.ndarray
) -> Estimate:
    """Share of ``positive`` in group a minus the share in group b, with a clustered SE.

    The slope of a linear probability model of ``positive`` on 1[a] among the rows of a or b: the
    difference of the two shares exactly, with the variance clustered by ``groups``.  NaN when a
    group is empty or the outcome does not vary.
    """
    positive, in_a, in_b = (np.asarray(v, dtype=bool) for v in (positive, in_a, in_b))
    if (in_a & in_b).any():
        raise ParameterError("share_gap: groups a and b overlap; expected disjoint groups")
    rows = in_a | in_b
    y = positive[rows].astype(float)
    if not (in_a.any() and in_b.any()) or np.ptp(y) == 0:
        return Estimate(np.nan, np.nan, np.nan, int(rows.sum()), 0)
    X = np.column_stack([np.ones(rows.sum()), in_a[rows]])
    g = np.asarray(groups, dtype=object)[rows]
    if len(pd.unique(g)) < 2:
        return Estimate(np.nan, np.nan, np.nan, int(rows.sum()), 1)
    fit = cluster_ols(y, X, g)
    return Estimate(
        float(fit.coef[1, 0]), float(fit.se[1, 0]), float(fit.p[1, 0]), fit.n, fit.clusters
    )


def _standard_ranks(x: np.ndarray) -> np.ndarray:
    r = stats.rankdata(x)
    return (r - r.mean()) / r.std()


def clustered_spearman(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Estimate:
    """Spearman's rank correlation of ``x`` and ``y`` with a standard error clustered by
    ``groups``.

    The slope of the standardised (average) ranks of ``y`` on those of ``x`` equals Spearman's
    rho; its CR1 sandwich variance treats each cluster as one independent draw.  Rows with a
    missing value are dropped.  NaN when either variable is constant.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, g = x[ok], y[ok], np.asarray(groups, dtype=object)[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0 or len(pd.unique(g)) < 2:
        return Estimate(np.nan, np.nan, np.nan, len(x), len(pd.unique(g)))
    zx, zy = _standard_ranks(x), _standard_ranks(y)
    fit = cluster_ols(zy, np.column_stack([np.ones(len(zx)), zx]), g)
    return Estimate(
        float(fit.coef[1, 0]), float(fit.se[1, 0]), float(fit.p[1, 0]), fit.n, fit.clusters
    )


def bootstrap_spearman(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, *, draws: int = 200, seed: int = 0
) -> np.ndarray:
    """Spearman's rho over ``draws`` cluster-bootstrap samples: whole families are drawn with
    replacement (as many as there are), their rows kept together, and rho recomputed.

    Returns the ``draws`` bootstrap values; their standard deviation is the bootstrap SE.
    """
    if draws < 2:
        raise ParameterError(f"draws must be at least 2; got {draws!r}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    codes, G = _codes(np.asarray(groups, dtype=object)[ok])
    order = np.argsort(codes, kind="stable")
    size = np.bincount(codes, minlength=G)
    start = np.cumsum(size) - size
    # Ranks of a resample from counts of each distinct value (average ranks for ties, as
    # scipy's spearmanr): no sort per draw (200 draws of 500,000 rows: 10 s -> 3 s).
    ux, cx = np.unique(x, return_inverse=True)
    uy, cy = np.unique(y, return_inverse=True)
    rng = np.random.default_rng(seed)
    out = np.empty(draws)
    for b in range(draws):
        pick = rng.integers(0, G, G)
        cnt = size[pick]
        first = np.repeat(start[pick] - (np.cumsum(cnt) - cnt), cnt)
        rows = order[first + np.arange(cnt.sum())]
        out[b] = _pearson(_avg_ranks(cx[rows], len(ux)), _avg_ranks(cy[rows], len(uy)))
    return out


def _avg_ranks(codes: np.ndarray, k: int) -> np.ndarray:
    """Average ranks (1-based, ties averaged) of values given as codes of ``k`` sorted values."""
    count = np.bincount(codes, minlength=k)
    below = np.cumsum(count) - count
    return (below + (count + 1) / 2)[codes]


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / den) if den > 0 else np.nan


def between_family_sd(y: np.ndarray, groups: np.ndarray) -> float:
    """ANOVA (method-of-moments) estimate of the standard deviation of family means:
    sqrt(max(0, (MSB − MSW) / n0)) with n0 = (n − Σ n_g² / n) / (G − 1).
    """
    y = np.asarray(y, dtype=float)
    codes, G = _codes(groups)
    n = len(y)
    if G < 2 or n <= G:
        raise HflineageError(f"between_family_sd: {n} rows in {G} families; need 2+ families")
    size = np.bincount(codes, minlength=G)
    mean_g = np.bincount(codes, weights=y, minlength=G) / size
    msb = (size * (mean_g - y.mean()) ** 2).sum() / (G - 1)
    msw = ((y - mean_g[codes]) ** 2).sum() / (n - G)
    n0 = (n - (size**2).sum() / n) / (G - 1)
    return float(np.sqrt(max(0.0, (msb - msw) / n0)))
