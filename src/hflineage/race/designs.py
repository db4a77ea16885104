r"""The time designs and estimators the race chapter compares (issue 17), and one function that
fits any of them: :func:`fit_design`.

A **design** says how the three clocks of a race are held apart: every design has the rank
term, log(1 + congestion), log(1 + age) and creation-month fixed effects, and clusters by base;
they differ in how the base's attention decay is controlled (:data:`DESIGNS`).  An
**estimator** says which estimand is read (:data:`ESTIMATORS`): the proportional effect on
expected likes (FE-Poisson, PPML), the extensive margin (any like, LPM), the intensive margin
(log likes among liked derivatives, OLS) or the paper-style log(1 + likes) (OLS).  The rank is
the **team rank** (among distinct accounts) or the **release rank** (among uploads):
:data:`RANKS`.

Fits go through pyfixest (``feols``/``fepois``, CRV1 by base) except the design with
base-specific lag slopes, which pyfixest cannot absorb: there the outcome and regressors are
projected on the absorbed effects by alternating projections (:func:`absorb`) and fitted by least
squares with the same CRV1 small-sample factor (tests check this route against pyfixest where both
apply); PPML with base-specific slopes is not available.  Every fit also reports ``resid_share``:
the variance of the rank term left after the design's fixed effects, slopes and other
regressors, as a share of its within-base variance — the identifying variation the design
leaves.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ..errors import ParameterError, check_choice
from .regressions import crv1_factor, estimation_sample, independent
from .specs import CLUSTER, LAG, LAG_SPLINE

#: Estimator → (what it reads, in words).
ESTIMATORS: dict[str, str] = {
    "ppml": "FE-Poisson (PPML) of likes: the proportional effect on expected likes",
    "ols": "OLS of log(1 + likes): the paper-style reading (no percentage reading)",
    "lpm": "linear probability model of any like: the extensive margin",
    "ols_liked": "OLS of log likes among liked derivatives: the intensive margin",
}

#: Rank reading → (rank column, congestion column, in words).
RANKS: dict[str, tuple[str, str, str]] = {
    "team": (
        "log_team_rank",
        "log_team_congestion",
        "rank among the distinct accounts that entered the base; congestion in rival accounts",
    ),
    "release": (
        "log_entry_rank",
        "log_congestion",
        "rank among all uploads, an account's own later uploads counted as rivals",
    ),
}

#: pyfixest's demeaning tolerance and iteration cap: base × lag-bin cells next to the month fixed
#: effect converge slowly in PPML (10,000 sweeps were not enough for the 11 bins).
FIXEF_TOL = 1e-7
FIXEF_MAXITER = 100_000

#: The two terms a fit reports (the rank and the congestion of :data:`RANKS`).
TERMS = ("rank", "congestion")

#: What :func:`fit_design` returns.
FIT_KEYS = ("estimate", "se", "p", "n", "clusters", "resid_share")

#: Edges (days since the base's release) of the 5 coarse lag bins; the 11 are the panel's own.
LAG_EDGES_5 = (0, 7, 30, 90, 365)


@dataclass(frozen=True)
class Design:
    """A time design: extra regressors ``lag`` (besides rank, congestion and log age), the fixed
    effects it absorbs (columns of :func:`design_frame`) and an optional base-specific slope.
    """

    name: str
    label: str
    words: str
    lag: tuple[str, ...]
    absorb: tuple[str, ...]
    slope: str | None = None
    candidate: bool = True


_SPLINE = (LAG, *LAG_SPLINE)

#: The designs (name → :class:`Design`); ``nolag`` is a reference, not a candidate.
DESIGNS: dict[str, Design] = {
    d.name: d
    for d in (
        Design(
            "spline",
            "common lag spline (rev. 1 primary)",
            "one restricted cubic spline in log(1 + lag) shared by every base, base FE",
            _SPLINE,
            ("base", "month"),
        ),
        Design(
            "lagbin5",
            "base × 5 lag bins",
            "base × lag-bin fixed effects, bins starting at 0, 7, 30, 90 and 365 days",
            (),
            ("base_bin5", "month"),
        ),
        Design(
            "lagbin11",
            "base × 11 lag bins",
            "base × lag-bin fixed effects, the panel's 11 bins (0, 1, 3, 7, ... 730 days)",
            (),
            ("base_bin11", "month"),
        ),
        Design(
            "day",
            "base × day since release",
            "base × whole-day-since-release fixed effects: only the order among entrants of the"
            " same base on the same day is left (with team rank an account's batch uploads share"
            " one rank, so they are not rivals); a base-day fixes the calendar month, so no month"
            " fixed effect is needed",
            (),
            ("base_day",),
        ),
        Design(
            "slopes",
            "base-specific lag slopes",
            "the common spline plus a slope in log(1 + lag) for every base",
            _SPLINE,
            ("base", "month"),
            slope=LAG,
        ),
        Design(
            "author",
            "spline + account FE",
            "the common spline with account fixed effects: the same account entering different"
            " races early or late",
            _SPLINE,
            ("base", "month", "author"),
        ),
        Design(
            "nolag",
            "no lag control",
            "base and month fixed effects only (for reference: base-attention decay is not held)",
            (),
            ("base", "month"),
            candidate=False,
        ),
    )
}


def design_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """Integer codes of every fixed effect the designs absorb, one row per panel row: ``base``,
    ``month``, ``author``, ``base_bin5`` (base × :data:`LAG_EDGES_5`), ``base_bin11`` (base ×
    the panel's ``lag_bin``) and ``base_day`` (base × whole days since release).
    """
    need = ("base_id", "created_month", "author", "lag_days", "lag_bin")
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise ParameterError(
            f"designs: panel has no column {missing[0]!r}; build it with race.build_panel"
        )
    base = pd.factorize(panel["base_id"])[0].astype(np.int64)
    lag = panel["lag_days"].to_numpy(float)
    bin5 = np.searchsorted(np.asarray(LAG_EDGES_5, float), lag, side="right")
    keys = {
        "base": base,
        "month": pd.factorize(panel["created_month"])[0],
        "author": pd.factorize(panel["author"])[0],
        "base_bin5": base * 8 + bin5,
        "base_bin11": base * 64 + pd.factorize(panel["lag_bin"])[0],
        "base_day": base * 100_000 + np.floor(lag).astype(np.int64),
    }
    return pd.DataFrame({k: pd.factorize(v)[0] for k, v in keys.items()}, index=panel.index)


def outcome_values(counts: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """The outcome an estimator reads from counts (likes) and the rows it uses: ``ppml`` the
    counts, ``ols`` log(1 + counts), ``lpm`` 1[counts > 0], ``ols_liked`` log(counts) on the
    rows with counts > 0.
    """
    check_choice("estimator", estimator, tuple(ESTIMATORS))
    y = np.asarray(counts, float)
    rows = np.isfinite(y)
    if estimator == "ppml":
        return y, rows
    if estimator == "ols":
        return np.log1p(y), rows
    if estimator == "lpm":
        return (y > 0).astype(float), rows
    rows &= y > 0
    return np.log(np.where(rows, y, 1.0)), rows


def absorb(
    m: np.ndarray,
    codes: list[np.ndarray],
    *,
    slope: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    tol: float = 1e-10,
    maxiter: int = 10_000,
) -> np.ndarray:
    """``m`` (rows × columns) minus its weighted projection on the fixed effects ``codes``, by
    alternating projections; with ``slope`` the first fixed effect gets a slope in it too
    (group intercept and group slope, by weighted least squares within each group).
    """
    r = np.array(m, float, copy=True).reshape(len(m), -1)
    w = np.ones(len(r)) if weights is None else np.asarray(weights, float)
    mats = [
        sparse.csr_matrix((w, (c, np.arange(len(c)))), shape=(int(c.max()) + 1, len(c)))
        for c in codes
    ]
    scale = np.sqrt((w[:, None] * r**2).sum(axis=0)) + 1e-300
    for _ in range(maxiter):
        before = r.copy()
        for j, (c, s) in enumerate(zip(codes, mats, strict=True)):
            s0 = np.asarray(s.sum(axis=1)).ravel()
            sy = s @ r
            if j == 0 and slope is not None:
                x = slope
                s1 = s @ x
                s2 = s @ (x * x)
                sxy = s @ (x[:, None] * r)
                det = s0 * s2 - s1**2
                ok = det > 1e-12 * np.maximum(s0 * s2, 1e-300)
                b = np.where(ok[:, None], (s0[:, None] * sxy - s1[:, None] * sy), 0.0)
                b = b / np.where(ok, det, 1.0)[:, None]
                a = (sy - b * s1[:, None]) / np.maximum(s0, 1e-300)[:, None]
                r -= a[c] + b[c] * x[:, None]
            else:
                r -= (sy / np.maximum(s0, 1e-300)[:, None])[c]
        if len(codes) == 1 and slope is None:
            break
        if (np.sqrt((w[:, None] * (r - before) ** 2).sum(axis=0)) / scale).max() < tol:
            break
    return r


def _frame(
    panel: pd.DataFrame,
    design: Design,
    outcome: str,
    estimator: str,
    rank: str,
    controls: tuple[str, ...] = (),
):
    check_choice("rank", rank, tuple(RANKS))
    rank_col, cong_col, _ = RANKS[rank]
    regs = [rank_col, cong_col, "log_age", *design.lag, *controls]
    missing = [c for c in (outcome, *regs) if c not in panel.columns]
    if missing:
        raise ParameterError(
            f"fit_design: panel has no column {missing[0]!r}; build it with race.build_panel"
            + (" (team columns need the current panel)" if "team" in missing[0] else "")
        )
    y, rows = outcome_values(panel[outcome].to_numpy(float), estimator)
    data = pd.concat(
        [
            design_frame(panel),
            panel[regs].astype(float),
            pd.DataFrame({"y": y, CLUSTER: panel[CLUSTER].to_numpy()}, index=panel.index),
        ],
        axis=1,
    )[rows]
    extra = [] if "base" in design.absorb else ["base"]
    data = estimation_sample(
        data, "y", regs, design.absorb, "ppml" if estimator == "ppml" else "ols", extra
    )
    return data, regs


def _demeaned(data: pd.DataFrame, design: Design, m: np.ndarray) -> np.ndarray:
    """``m`` after the design's fixed effects (and base slopes): pyfixest's demeaning where it
    applies (fast), alternating projections (:func:`absorb`) with base-specific slopes.
    """
    if design.slope:
        codes = [data[a].to_numpy(np.int64) for a in design.absorb]
        return absorb(m, codes, slope=data[design.slope].to_numpy(float))
    from pyfixest.estimation import demean

    fe = np.column_stack([data[a].to_numpy(np.int64) for a in design.absorb]).astype(np.uint64)
    out, _ = demean(np.ascontiguousarray(m, dtype=float), fe, np.ones(len(m)), tol=1e-10)
    return out


def _resid_share(
    data: pd.DataFrame, design: Design, regs: list[str], dm: np.ndarray | None = None
) -> float:
    """Variance of the rank left after the design's controls, over its within-base variance
    (``dm``: the regressors already absorbed, if at hand).
    """
    x = data[regs].to_numpy(float)
    dm = _demeaned(data, design, x) if dm is None else dm
    rank, others = dm[:, 0], dm[:, 1:]
    keep = independent(others, (x[:, 1:] ** 2).sum(axis=0)) if others.shape[1] else []
    if np.any(keep):
        o = others[:, keep]
        rank = rank - o @ np.linalg.lstsq(o, rank, rcond=None)[0]
    within = absorb(x[:, :1], [data["base"].to_numpy(np.int64)])[:, 0]
    return float((rank**2).sum() / (within**2).sum()) if (within**2).sum() > 0 else np.nan


def _pyfixest(data: pd.DataFrame, design: Design, regs: list[str], estimator: str):
    import pyfixest as pf

    from .regressions import identified

    kept = identified(data, regs, design.absorb)
    fml = f"y ~ {' + '.join(kept)} | {' + '.join(design.absorb)}"
    fitter = pf.fepois if estimator == "ppml" else pf.feols
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
        model = fitter(
            fml,
            data=data,
            vcov={"CRV1": CLUSTER},
            copy_data=False,
            fixef_tol=FIXEF_TOL,
            fixef_maxiter=FIXEF_MAXITER,
        )
    tidy = model.tidy()
    return (
        {
            t: (float(tidy.loc[t, "Estimate"]), float(tidy.loc[t, "Std. Error"]))
            for t in kept
            if t in tidy.index
        },
        int(model._N),
        None,
    )


def _projected(
    data: pd.DataFrame,
    design: Design,
    regs: list[str],
    estimator: str,
    dm: np.ndarray | None = None,
):
    """OLS on the absorbed columns (Frisch-Waugh-Lovell), CRV1 by base (pyfixest's factor);
    ``dm``: the regressors already absorbed on these rows (then only the outcome is).
    """
    y = data["y"].to_numpy(float)
    x_raw = data[regs].to_numpy(float)
    if dm is None:
        d = _demeaned(data, design, np.column_stack([y, x_raw]))
        yt, dm = d[:, 0], d[:, 1:]
    else:
        yt = _demeaned(data, design, y[:, None])[:, 0]
    keep = independent(dm, (x_raw**2).sum(axis=0))
    kept = [r for r, k in zip(regs, keep, strict=True) if k]
    xs = dm[:, keep]
    w = np.ones(len(y))
    beta = np.linalg.lstsq(xs, yt, rcond=None)[0]
    resid = yt - xs @ beta
    g = pd.factorize(data[CLUSTER])[0]
    n_g = int(g.max()) + 1
    bread = np.linalg.inv(xs.T @ (w[:, None] * xs))
    scores = sparse.csr_matrix((np.ones(len(g)), (g, np.arange(len(g)))), shape=(n_g, len(g)))
    sc = scores @ (xs * resid[:, None])
    levels = {CLUSTER: n_g, **{a: int(data[a].nunique()) for a in design.absorb if a != "base"}}
    factor = crv1_factor(len(y), len(kept), levels, n_g)
    vcov = factor * bread @ (sc.T @ sc) @ bread
    se = np.sqrt(np.diag(vcov))
    coefs = {t: (float(b), float(s)) for t, b, s in zip(kept, beta, se, strict=True)}
    return coefs, len(y), dm


def fit_terms(
    panel: pd.DataFrame,
    design: str,
    outcome: str = "likes",
    estimator: str = "ppml",
    rank: str = "team",
    *,
    controls: tuple[str, ...] = (),
    shares: dict | None = None,
) -> dict[str, dict[str, float]]:
    """One fit of ``design`` × ``estimator``; per term of :data:`TERMS` the dict that
    :func:`fit_design` returns.  ``controls`` are extra regressors (e.g. the P2-controls
    claim's quality, kind and prominence controls); ``shares`` a dict in which the rank's
    residual share (and, with base slopes, the absorbed regressors) is kept per design and
    sample, so that OLS and LPM (same rows) compute it once.
    """
    check_choice("design", design, tuple(DESIGNS))
    d = DESIGNS[design]
    data, regs = _frame(panel, d, outcome, estimator, rank, tuple(controls))
    n_g = int(data[CLUSTER].nunique())
    if n_g < 2:
        raise ParameterError(
            f"fit_design: fewer than 2 bases left for {design!r} × {estimator!r}; expected a "
            "panel with several bases"
        )
    if d.slope and estimator == "ppml":
        raise ParameterError(
            f"fit_design: {design!r} × 'ppml' is not available (pyfixest cannot absorb "
            "base-specific slopes in a Poisson fit); expected ols, lpm or ols_liked"
        )
    key = (design, rank, tuple(controls), estimator if estimator in ("ppml", "ols_liked") else "")
    shares = {} if shares is None else shares
    if d.slope:
        coefs, n, dm = _projected(data, d, regs, estimator, shares.get((*key, "absorbed")))
        shares[(*key, "absorbed")] = dm
    else:
        coefs, n, dm = _pyfixest(data, d, regs, estimator)
    if key not in shares:
        shares[key] = _resid_share(data, d, regs, dm)
    share = shares[key]
    out = {}
    for term, col in zip(TERMS, regs[:2], strict=True):
        b, se = coefs.get(col, (np.nan, np.nan))
        p = float(2 * stats.t.sf(abs(b / se), n_g - 1)) if se > 0 else np.nan
        out[term] = {
            "estimate": b,
            "se": se,
            "p": p,
            "n": n,
            "clusters": n_g,
            "resid_share": share if term == "rank" else np.nan,
        }
    return out


def fit_design(
    panel: pd.DataFrame,
    design: str,
    outcome: str,
    estimator: str,
    rank: str = "team",
    *,
    term: str = "rank",
    controls: tuple[str, ...] = (),
) -> dict[str, float]:
    """Fit one design × estimator on the race panel and return the rank (or congestion) term.

    Args:
        panel: the race panel (:func:`hflineage.race.panel.build_panel`), or one whose
            ``outcome`` column holds simulated counts.
        design: a name of :data:`DESIGNS`.
        outcome: a count column (``likes``, or a simulated count); the estimator transforms it.
        estimator: a name of :data:`ESTIMATORS`.
        rank: ``team`` or ``release`` (:data:`RANKS`).
        term: ``rank`` or ``congestion``.
        controls: extra regressors (e.g. ``race.specs.CONTROLS``).

    Returns:
        ``estimate``, ``se`` (CRV1 by base), ``p`` (t with G − 1 degrees of freedom), ``n``
        (rows used), ``clusters`` (bases), ``resid_share`` (variance of the rank left after
        the design's controls over its within-base variance; NaN for the congestion term).
    """
    check_choice("term", term, TERMS)
    return fit_terms(panel, design, outcome, estimator, rank, controls=controls)[term]


#: The pairs the race chapter fits (its runtime budget): OLS, LPM and OLS among liked rows on
#: every candidate design, PPML where it converges in seconds (the common spline, base × 5 lag
#: bins, base × day).  On the embedded snapshot PPML with base × 11 lag bins or account FE did not
#: converge within pyfixest's iteration cap (104 s and 35 s before giving up: thousands of small
#: cells whose likes are nearly all zero), and PPML cannot absorb base slopes;
#: ``benchmarks/bench_race_designs.py`` tries the full grid.
CHAPTER_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (d, e)
    for d in ("spline", "lagbin5", "lagbin11", "day", "slopes", "author")
    for e in ESTIMATORS
    if e != "ppml" or d in ("spline", "lagbin5", "day")
)

#: Short names of the estimators, for tables and sentences.
ESTIMATOR_LABELS = {
    "ppml": "PPML",
    "ols": "OLS log(1 + likes)",
    "lpm": "LPM any like",
    "ols_liked": "OLS log likes, liked",
}


def pair_label(design: str, estimator: str) -> str:
    """``"common lag spline (rev. 1 primary) × PPML"``: a design × estimator in words."""
    return f"{DESIGNS[design].label} × {ESTIMATOR_LABELS[estimator]}"


def design_table(
    panel: pd.DataFrame,
    designs: tuple[str, ...] = tuple(DESIGNS),
    estimators: tuple[str, ...] = tuple(ESTIMATORS),
    ranks: tuple[str, ...] = ("team", "release"),
    outcome: str = "likes",
    *,
    pairs: tuple[tuple[str, str], ...] | None = None,
    controls: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Every design × estimator × rank reading: one row per term with :func:`fit_design`'s
    values (NaN and a ``note`` where a pair cannot be fitted: PPML with base slopes, or a
    Poisson fit whose fixed effects do not converge), a loop over a few dozen fits.

    Args:
        panel: the race panel.
        designs: names of :data:`DESIGNS` (ignored when ``pairs`` is given).
        estimators: names of :data:`ESTIMATORS` (ignored when ``pairs`` is given).
        ranks: rank readings of :data:`RANKS`.
        outcome: the count column.
        pairs: explicit (design, estimator) pairs, e.g. :data:`CHAPTER_PAIRS`.
        controls: extra regressors of every fit (see :func:`fit_terms`).
    """
    grid = list(pairs) if pairs is not None else [(d, e) for d in designs for e in estimators]
    shares: dict = {}
    rows = []
    for rank in ranks:
        for design, estimator in grid:
            try:
                fits = fit_terms(
                    panel, design, outcome, estimator, rank, controls=controls, shares=shares
                )
                note = ""
            except ParameterError as exc:
                fits, note = {}, str(exc)
            except ValueError as exc:  # pyfixest: the fixed effects did not converge
                if "Demeaning failed" not in str(exc):
                    raise
                fits, note = {}, "the Poisson fixed effects did not converge"
            for term in TERMS:
                r = fits.get(term, dict.fromkeys(FIT_KEYS, np.nan))
                rows.append(
                    {
                        "design": design,
                        "label": DESIGNS[design].label,
                        "estimator": estimator,
                        "rank": rank,
                        "term": term,
                        **r,
                        "note": note,
                    }
                )
    return pd.DataFrame(rows)
