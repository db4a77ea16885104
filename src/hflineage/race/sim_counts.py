"""Count outcomes a race design can fail on (issue 17, item 5): a negative-binomial process for
likes on the race panel's real structure (its bases, accounts, entry times, ranks), with
base-attention decay that differs by base, and its calibration to the real likes.

The decay of a base's attention comes from one of two sources (:attr:`CountProcess.decay_source`):

* ``"random"``: per-base slopes in log(1 + lag) drawn around a mean, correlated with the base's
  fill speed (:func:`fill_speed`) — a stress case whose correlation is a choice;
* ``"real"``: each base's own slope estimated from the real likes (:func:`base_decay_slopes`,
  a per-base Poisson regression on log(1 + lag), shrunk by empirical Bayes) and drawn from its
  posterior in every simulated draw — so the slopes keep their real joint distribution with
  everything else about the base: its fill speed, its size and the way its ranks spread over
  lags (its *rank composition*).

Either way a launch burst ``exp(-lag / h_b)`` with a base-specific half-life is added: a decay
shape that no design's common lag control spans.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_choice
from .specs import PRIORITY

#: The smallest effect of interest by default: a 10% proportional drop in expected likes per
#: doubling of (team) rank, until ``book/claims.yml`` declares a ``sesoi`` for P2-priority.
SESOI_DROP_PER_DOUBLING = 0.10

#: The largest dispersion :func:`calibrate_counts` tries (near Poisson: the gamma barely mixes).
DISPERSION_MAX = 100.0

#: Where a base's decay slope comes from (:class:`CountProcess`).
DECAY_SOURCES = ("random", "real")


def rank_slope(drop_per_doubling: float = SESOI_DROP_PER_DOUBLING) -> float:
    """The coefficient of log rank on log expected likes that gives a proportional drop of
    ``drop_per_doubling`` per doubling of rank: ``log(1 - drop) / log(2)`` (-0.152 for 10%).
    """
    if not 0 <= drop_per_doubling < 1:
        raise ParameterError(f"drop_per_doubling={drop_per_doubling!r}; expected a share in [0, 1)")
    return float(np.log1p(-drop_per_doubling) / np.log(2.0))


@dataclass(frozen=True)
class CountProcess:
    """A negative-binomial process for likes on the panel's real structure.

    ``likes ~ Poisson(G · exp(eta))``, ``G ~ Gamma(dispersion, 1 / dispersion)`` (so likes are
    negative binomial given ``eta``), with

    ``eta = intercept + u_base + u_author + v_(base, month) + slope_b · log(1 + lag)
    + burst_b · exp(-lag / h_b) + exposure · log(1 + age) + rank_effect · log(rank)
    + congestion_effect · log(1 + congestion)``.

    Attributes:
        intercept: the level of log expected likes (set by :func:`calibrate_counts` to the real
            share of zeros).
        dispersion: the negative binomial's shape (small: heavy tail; set by
            :func:`calibrate_counts` to the real top-1% share of likes).
        base_sd: sd of the base random effect (every design absorbs it; it shapes zeros and tail).
        author_sd: sd of the account random effect, shared by an account's uploads on every
            base: noise correlated within a base wherever an account uploads there repeatedly.
        period_sd: sd of a base × creation-month shock ``v``: noise shared by the entrants of
            one base in one month (a base's news cycle), which no design absorbs wholly.
        exposure: coefficient of log(1 + age in days).
        decay_source: ``"random"`` (slopes drawn from ``decay_mean``, ``decay_sd``,
            ``decay_fill_corr``) or ``"real"`` (each base's slope drawn from its posterior
            given the real likes, :func:`base_decay_slopes`; the three ``decay_*`` values
            are then unused).
        decay_mean: mean per-base slope of log expected likes in log(1 + lag); -0.24 is the
            log-lag coefficient of the revision-1 baseline on the embedded snapshot.
        decay_sd: sd of the per-base slopes (issue 17: 0.35 after removing sampling noise).
        decay_fill_corr: correlation of a base's slope with its fill speed
            (:func:`fill_speed`); positive (fast-filling bases' attention fades more slowly): the
            sign of the raw per-base correlation on the embedded snapshot (+0.04 to +0.11),
            its size a stress choice.
        decay_composition_corr: correlation of a base's slope with its rank composition (the
            within-base covariance of log rank and log(1 + lag), standardised across bases:
            large where late ranks arrive late, small where a base fills in a rush); the real
            per-base slopes of log(1 + likes) go with it at -0.34 on the embedded snapshot.
        burst: mean launch bonus (log scale) at lag 0 decaying as ``exp(-lag / h_b)``; its
            amplitude is drawn per base (exponential with this mean): a shape no common lag
            control spans.
        burst_days: median of the base-specific time constant ``h_b`` (days).
        burst_days_sd: sd of log ``h_b`` across bases.
        rank_effect: the true coefficient of log rank (0: the null; :func:`rank_slope` for an
            effect size).
        congestion_effect: the true coefficient of log(1 + congestion), counted the way the
            rank is (:data:`CONGESTION_COLUMN`; 0: the null).
        base_source: ``"random"`` (base effects drawn with sd ``base_sd``) or ``"real"`` (each
            base's own level of likes, :func:`base_decay_slopes`' ``level``: the real
            concentration of likes on a few bases — a quarter of the embedded LLM panel's likes
            fall on two bases — which sets how much of the tail every base-FE design absorbs;
            ``base_sd`` is then unused).
    """

    intercept: float = -2.0
    dispersion: float = 0.1
    base_sd: float = 1.0
    author_sd: float = 1.0
    period_sd: float = 0.0
    exposure: float = 0.3
    decay_source: str = "random"
    decay_mean: float = -0.24
    decay_sd: float = 0.35
    decay_fill_corr: float = 0.5
    decay_composition_corr: float = 0.0
    burst: float = 0.5
    burst_days: float = 14.0
    burst_days_sd: float = 0.8
    rank_effect: float = 0.0
    base_source: str = "random"
    congestion_effect: float = 0.0

    def __post_init__(self) -> None:
        """Reject out-of-range parameters with a one-line error."""
        for name in ("dispersion", "burst_days"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"CountProcess.{name}={getattr(self, name)!r}; expected > 0")
        for name in ("base_sd", "author_sd", "period_sd", "decay_sd", "burst", "burst_days_sd"):
            if not getattr(self, name) >= 0:
                raise ParameterError(f"CountProcess.{name}={getattr(self, name)!r}; expected >= 0")
        if not self.decay_fill_corr**2 + self.decay_composition_corr**2 <= 1:
            raise ParameterError(
                f"CountProcess.decay_fill_corr={self.decay_fill_corr!r}, decay_composition_corr="
                f"{self.decay_composition_corr!r}; expected squares summing to at most 1"
            )
        check_choice("decay_source", self.decay_source, DECAY_SOURCES)
        check_choice("base_source", self.base_source, DECAY_SOURCES)


#: Rank column → its congestion column (rivals counted the same way as the rank).
CONGESTION_COLUMN = {"log_team_rank": "log_team_congestion", "log_entry_rank": "log_congestion"}

#: The panel columns the count process reads (the rank column is chosen by the caller).
STRUCTURE = ("base_id", "author", "lag_days", "age_days")


def rank_column(panel: pd.DataFrame, rank: str | None = None) -> str:
    """The log-rank column: ``rank`` if given, else ``log_team_rank`` when the panel has it,
    else ``log_entry_rank``.
    """
    name = rank or ("log_team_rank" if "log_team_rank" in panel else PRIORITY)
    if name not in panel:
        raise ParameterError(f"panel has no rank column {name!r}; expected a log-rank column")
    return name


def _codes(panel: pd.DataFrame, column: str) -> tuple[np.ndarray, int]:
    missing = [c for c in STRUCTURE if c not in panel]
    if missing:
        raise ParameterError(
            f"panel has no column {missing[0]!r}; expected a race panel (race.build_panel)"
        )
    codes, uniques = pd.factorize(panel[column], use_na_sentinel=False)
    return codes, len(uniques)


def fill_speed(panel: pd.DataFrame) -> np.ndarray:
    """Each row's base's fill speed, standardised across bases (each base once): minus the log
    of 1 + the median lag (days) of the base's entrants — large for a base that fills fast.
    """
    base, n_bases = _codes(panel, "base_id")
    med = panel.groupby(base, sort=True)["lag_days"].median().to_numpy(float)
    f = -np.log1p(med)
    sd = f.std()
    return ((f - f.mean()) / (sd if sd > 0 else 1.0))[base]


def rank_composition(panel: pd.DataFrame, rank: str | None = None) -> np.ndarray:
    """Each base's rank composition (one value per base, in ``pd.factorize`` order): the
    within-base covariance of log rank and log(1 + lag), standardised across bases.
    """
    base, n_b = _codes(panel, "base_id")
    n = np.bincount(base, minlength=n_b).astype(float)
    r = panel[rank_column(panel, rank)].to_numpy(float)
    x = np.log1p(panel["lag_days"].to_numpy(float))
    rc = r - (np.bincount(base, r, n_b) / n)[base]
    xc = x - (np.bincount(base, x, n_b) / n)[base]
    cov = np.bincount(base, rc * xc, n_b) / n
    sd = cov.std()
    return (cov - cov.mean()) / (sd if sd > 0 else 1.0)


def _poisson_slopes(base, n_b, x, y, offset, iterations: int = 60):
    """Per-group Poisson regression of ``y`` on an intercept and ``x`` (centred within the
    group) with ``offset``, by Newton steps vectorised over groups: (slope, its variance:
    the larger of the sandwich and the overdispersed model-based one).
    """

    def gsum(v):
        return np.bincount(base, v, n_b)

    n = gsum(np.ones_like(x))
    xc = x - (gsum(x) / np.maximum(n, 1))[base]
    total = gsum(y)
    a = np.log((total + 0.5) / np.maximum(gsum(np.exp(offset)), 1e-300))
    s = np.zeros(n_b)
    for _ in range(iterations):
        mu = np.exp(np.clip(a[base] + s[base] * xc + offset, -50, 50))
        r = y - mu
        h00, h01, h11 = gsum(mu), gsum(mu * xc), gsum(mu * xc * xc)
        det = np.maximum(h00 * h11 - h01**2, 1e-12)
        g0, g1 = gsum(r), gsum(r * xc)
        a += np.clip((h11 * g0 - h01 * g1) / det, -3, 3)
        s += np.clip((h00 * g1 - h01 * g0) / det, -1, 1)
        s = np.clip(s, -8, 8)
    mu = np.exp(np.clip(a[base] + s[base] * xc + offset, -50, 50))
    r = y - mu
    h00, h01, h11 = gsum(mu), gsum(mu * xc), gsum(mu * xc * xc)
    det = np.maximum(h00 * h11 - h01**2, 1e-12)
    i01, i11 = -h01 / det, h00 / det  # the slope's row of the inverse Hessian
    m00, m01, m11 = gsum(r * r), gsum(r * r * xc), gsum(r * r * xc * xc)
    sandwich = i01**2 * m00 + 2 * i01 * i11 * m01 + i11**2 * m11
    pearson = gsum(r * r / np.maximum(mu, 1e-12)) / np.maximum(n - 2, 1)
    model = i11 * np.maximum(pearson, 1.0)
    informative = (total > 0) & (n >= 5) & (gsum(xc * xc) > 1e-6)
    return (
        np.where(informative, s, np.nan),
        np.where(informative, np.maximum(sandwich, model), np.inf),
        a,
    )


def base_decay_slopes(
    panel: pd.DataFrame, exposure: float = 0.3, outcome: str = "likes"
) -> pd.DataFrame:
    """Each base's decay slope on the real likes: a Poisson regression of ``outcome`` on log(1 +
    lag) within the base (offset ``exposure · log(1 + age)``, the part :class:`CountProcess`
    plants separately), shrunk towards the precision-weighted mean by empirical Bayes with the
    DerSimonian-Laird between-base variance ``tau2``.

    The slopes are estimated *without* the rank: a true rank effect, which lowers likes along
    lag within a base by as much as rank and lag move together there, is part of them.  Planted
    back under no rank effect they make a null that reproduces the real lag gradients, whatever
    their source.

    Returns:
        One row per base, in the order of ``pd.factorize(panel["base_id"])``: ``base_id``,
        ``n``, ``slope`` (NaN: a base with no likes, fewer than 5 entrants or one lag),
        ``se``, ``shrunk`` (posterior mean), ``post_sd`` (posterior sd), ``fill_speed``,
        ``rank_lag_cov`` (within-base covariance of log rank and log(1 + lag): the rank
        composition), ``level`` (the base's log expected likes at its mean log(1 + lag), from
        the same regression, relative to the panel's pooled level), ``mean_log_lag`` and, in
        ``attrs``, ``mean`` and ``tau``.
    """
    base, n_b = _codes(panel, "base_id")
    if outcome not in panel:
        raise ParameterError(f"panel has no column {outcome!r}; expected the real likes")
    x = np.log1p(panel["lag_days"].to_numpy(float))
    y = panel[outcome].to_numpy(float)
    offset = exposure * np.log1p(panel["age_days"].to_numpy(float))
    slope, var, level = _poisson_slopes(base, n_b, x, y, offset)
    ok = np.isfinite(slope)
    if ok.sum() < 3:
        raise ParameterError("base_decay_slopes: fewer than 3 bases with likes; expected a panel")
    w = 1 / var[ok]
    mean = float(np.average(slope[ok], weights=w))
    q = float((w * (slope[ok] - mean) ** 2).sum())
    tau2 = max((q - (ok.sum() - 1)) / (w.sum() - (w**2).sum() / w.sum()), 0.0)
    mean = float(np.average(slope[ok], weights=1 / (var[ok] + tau2)))
    reliability = np.where(ok, tau2 / (tau2 + var), 0.0)
    shrunk = mean + reliability * np.where(ok, slope - mean, 0.0)
    n = np.bincount(base, minlength=n_b).astype(float)
    fill = np.zeros(n_b)
    fill[base] = fill_speed(panel)
    r = panel[rank_column(panel)].to_numpy(float)
    rc = r - (np.bincount(base, r, n_b) / n)[base]
    xc = x - (np.bincount(base, x, n_b) / n)[base]
    out = pd.DataFrame(
        {
            "base_id": pd.factorize(panel["base_id"], use_na_sentinel=False)[1],
            "n": n.astype(int),
            "slope": slope,
            "se": np.sqrt(var),
            "shrunk": shrunk,
            "post_sd": np.sqrt(tau2 * (1 - reliability)),
            "fill_speed": fill,
            "rank_lag_cov": np.bincount(base, rc * xc, n_b) / n,
            "level": level - np.log((y.sum() + 0.5) / np.exp(offset).sum()),
            "mean_log_lag": np.bincount(base, x, n_b) / n,
        }
    )
    out.attrs = {"mean": mean, "tau": float(np.sqrt(tau2))}
    return out


def _slopes(panel, process: CountProcess, fill_b, rng, size, est=None) -> np.ndarray:
    p = process
    if p.decay_source == "real":
        z = rng.standard_normal(size)
        return est["shrunk"].to_numpy()[:, None] + est["post_sd"].to_numpy()[:, None] * z
    comp = rank_composition(panel)[:, None] if p.decay_composition_corr else 0.0
    rest = np.sqrt(max(1 - p.decay_fill_corr**2 - p.decay_composition_corr**2, 0.0))
    return p.decay_mean + p.decay_sd * (
        p.decay_fill_corr * fill_b[:, None]
        + p.decay_composition_corr * comp
        + rest * rng.standard_normal(size)
    )


def log_mean(
    panel: pd.DataFrame,
    process: CountProcess = CountProcess(),
    *,
    draws: int = 1,
    seed: int = 0,
    rank: str | None = None,
    slopes: pd.DataFrame | None = None,
) -> np.ndarray:
    """``eta``, the log expected likes of every row in every draw (rows × ``draws``): fresh base,
    account and base × month effects, per-base decay slopes and launch bursts in each draw (see
    :class:`CountProcess`).  ``slopes``: :func:`base_decay_slopes` of ``panel`` at the process's
    exposure, when the caller has it already (a "real" source reads it; computed when absent).
    """
    if int(draws) != draws or draws < 1:
        raise ParameterError(f"draws={draws!r}; expected an integer >= 1")
    base, n_b = _codes(panel, "base_id")
    author, n_a = _codes(panel, "author")
    lag = panel["lag_days"].to_numpy(float)
    p = process
    rng = np.random.default_rng([int(seed), 17])
    fill = fill_speed(panel)
    fill_b = np.zeros(n_b)
    fill_b[base] = fill
    size = (n_b, int(draws))
    est = slopes
    if est is None and "real" in (p.decay_source, p.base_source):
        est = base_decay_slopes(panel, p.exposure)
    slope = _slopes(panel, p, fill_b, rng, size, est)
    burst = p.burst * rng.exponential(1.0, size)
    days = p.burst_days * np.exp(p.burst_days_sd * rng.standard_normal(size))
    level = p.base_sd * rng.standard_normal(size)
    if p.base_source == "real":
        level = est["level"].to_numpy()[:, None] - slope * est["mean_log_lag"].to_numpy()[:, None]
    eta = (
        p.intercept
        + level[base]
        + p.author_sd * rng.standard_normal((n_a, int(draws)))[author]
        + slope[base] * np.log1p(lag)[:, None]
        + burst[base] * np.exp(-lag[:, None] / days[base])
    )
    eta += (p.exposure * np.log1p(panel["age_days"].to_numpy(float)))[:, None]
    if p.period_sd:
        month = panel["created_month"] if "created_month" in panel else np.floor(lag / 30)
        cell, n_c = pd.factorize(
            pd.Series(base).astype(str) + "|" + pd.Series(month).astype(str).to_numpy()
        )
        period_rng = np.random.default_rng([int(seed), 19])  # other parts' draws stay the same
        eta += p.period_sd * period_rng.standard_normal((len(n_c), int(draws)))[cell]
    if p.rank_effect:
        eta += (p.rank_effect * panel[rank_column(panel, rank)].to_numpy(float))[:, None]
    if p.congestion_effect:
        name = CONGESTION_COLUMN.get(rank_column(panel, rank), "log_congestion")
        if name not in panel:
            raise ParameterError(f"panel has no column {name!r}; expected a race panel")
        eta += (p.congestion_effect * panel[name].to_numpy(float))[:, None]
    return eta


def draw_counts(
    panel: pd.DataFrame,
    process: CountProcess = CountProcess(),
    *,
    draws: int = 1,
    seed: int = 0,
    rank: str | None = None,
    slopes: pd.DataFrame | None = None,
) -> np.ndarray:
    """Simulated likes (rows × ``draws``, integers): negative binomial given :func:`log_mean`
    (``slopes`` passed on), drawn as a gamma-Poisson mixture in one vectorised call per array.
    """
    eta = log_mean(panel, process, draws=draws, seed=seed, rank=rank, slopes=slopes)
    rng = np.random.default_rng([int(seed), 18])
    theta = process.dispersion
    lam = np.exp(np.minimum(eta, 30.0)) * rng.gamma(theta, 1.0 / theta, eta.shape)
    return rng.poisson(lam)


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
    slopes = (  # one per-base Poisson fit for the ~26 draws of the search
        base_decay_slopes(panel, process.exposure)
        if "real" in (process.decay_source, process.base_source)
        else None
    )
    eta0 = log_mean(
        panel, replace(process, intercept=0.0), draws=draws, seed=seed, rank=rank, slopes=slopes
    )

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
        likes = draw_counts(panel, p, draws=draws, seed=seed, rank=rank, slopes=slopes)
        return count_shape(likes)["top_share"]

    lo, hi = (
        np.log(1e-3),
        np.log(DISPERSION_MAX),
    )  # top share falls as the dispersion parameter grows
    for _ in range(25):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if top_for(mid) > t else (lo, mid)
    theta = float(np.exp((lo + hi) / 2))
    return replace(process, intercept=intercept_for(theta), dispersion=theta)
