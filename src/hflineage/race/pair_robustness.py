"""The race chapter's robustness rows on a revision-2 design × estimator pair (issue 17).

:func:`hflineage.race.speccurve.robustness_rows` changes one choice of the revision-1 formula
specification at a time; :func:`pair_rows` does the same for a pair of ``race.designs`` on the
team rank (or the release rank).  What each row becomes with a pair:

- ``primary``: the pair itself, on ``fit_design``'s sample (:func:`fit_fast`: the pair through
  ``race.sim_fit.fit_draws``, pyfixest's estimates in a fraction of the time where its Poisson
  fixed effects converge slowly);
- ``bases weighted equally``: the pair in pyfixest with observation weights (``weights=``,
  analytic weights, for ``feols`` and ``fepois`` alike: :func:`fit_pair`), which ``fit_design``
  and ``fit_draws`` do not offer; not available with base-specific slopes (fitted outside
  pyfixest);
- ``SE two-way: base and author``: CRV1 clustered by base and account (``fit_draws``'
  ``cluster="base+author"``, checked against pyfixest's ``vcov={"CRV1": "base_id+author"}``);
- ``whole Hub``, ``downloads (last 30 days)`` (the estimator reads downloads as it reads likes:
  PPML the count, OLS log(1 + downloads), LPM any download) and ``derivatives >= N days old``:
  the pair on another sample or outcome;
- the revision-1 rows ``any like (LPM)`` and ``likes (PPML)`` become the **other estimators of the
  same design** (PPML not with base slopes);
- ``lag as bins``: with the common spline, the spline replaced by common lag-bin fixed effects
  (the panel's 11 bins); the other designs hold the lag by base × bin or base × day fixed effects
  (or base slopes), so the row does not apply and is listed with that reason.

A row that cannot be fitted keeps its place with NaN and a ``note`` saying why.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError, check_choice
from . import designs as rd
from . import sample
from .regressions import CLUSTERINGS, identified
from .sample import LLM_PIPELINE_TAGS
from .selection import VCOV
from .specs import CLUSTER

#: The columns of :func:`pair_rows` (those of ``speccurve.robustness_rows`` and ``note``).
COLUMNS = ("row", "spec", "outcome", "estimator", "term", "estimate", "std_error", "p_value")
COLUMNS += ("n_obs", "n_clusters", "note")

#: Why a row is left out with base-specific slopes (fitted by projection outside pyfixest).
_NO_PYFIXEST = "not available: base-specific slopes are fitted outside pyfixest (no weights)"

#: Why the PPML row is left out with base-specific slopes.
_NO_POISSON = "not available: base-specific slopes in a Poisson fit"

#: Why the lag-bins row does not apply to a design other than the common spline.
_NO_BINS = "not applicable: the design holds the lag by fixed effects or slopes, not a spline"


def fit_pair(
    panel: pd.DataFrame,
    design: str,
    estimator: str,
    rank: str = "team",
    *,
    outcome: str = "likes",
    weights: str | None = None,
    cluster: str = CLUSTER,
    lag_bins: bool = False,
) -> dict[str, dict[str, float]]:
    """A design × estimator fitted in pyfixest on ``fit_design``'s sample, with what
    ``fit_design`` does not offer: observation ``weights`` (a column of ``panel``), a two-way
    ``cluster`` (``"base_id+author"``) or, with ``lag_bins``, the design's lag controls replaced
    by common fixed effects of the panel's ``lag_bin``.

    Returns:
        Per term (``rank``, ``congestion``): ``estimate``, ``se``, ``p`` (t with G − 1 degrees of
        freedom, G the bases), ``n``, ``clusters`` — the keys of ``fit_design``.
    """
    import pyfixest as pf

    check_choice("design", design, tuple(rd.DESIGNS))
    check_choice("cluster", cluster, CLUSTERINGS)
    d = rd.DESIGNS[design]
    if d.slope:
        raise ParameterError(f"fit_pair: {design!r} is {_NO_PYFIXEST}")
    if lag_bins:
        d = replace(d, lag=())
    data, regs = rd._frame(panel, d, outcome, estimator, rank)  # fit_design's sample
    absorb = list(d.absorb)
    if "author" in cluster:
        data["author"] = pd.factorize(panel.loc[data.index, "author"])[0]
    if lag_bins:
        data["lag_bin"] = pd.factorize(panel.loc[data.index, "lag_bin"])[0]
        absorb.append("lag_bin")
    if weights is not None:
        if weights not in panel.columns:
            raise ParameterError(f"fit_pair: panel has no weights column {weights!r}")
        data["w"] = panel.loc[data.index, weights].to_numpy(float)
    kept = identified(data, regs, absorb)
    fitter = pf.fepois if estimator == "ppml" else pf.feols
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
        model = fitter(
            f"y ~ {' + '.join(kept)} | {' + '.join(absorb)}",
            data=data,
            vcov={"CRV1": cluster},
            weights=None if weights is None else "w",
            copy_data=False,
            fixef_tol=rd.FIXEF_TOL,
            fixef_maxiter=rd.FIXEF_MAXITER,
        )
    tidy = model.tidy()
    n_g = int(data[CLUSTER].nunique())
    out = {}
    for term, col in zip(rd.TERMS, regs[:2], strict=True):
        b, se = (
            (float(tidy.loc[col, "Estimate"]), float(tidy.loc[col, "Std. Error"]))
            if col in tidy.index
            else (np.nan, np.nan)
        )
        p = float(2 * stats.t.sf(abs(b / se), n_g - 1)) if se > 0 else np.nan
        out[term] = {"estimate": b, "se": se, "p": p, "n": int(model._N), "clusters": n_g}
    return out


def fit_fast(
    panel: pd.DataFrame,
    design: str,
    estimator: str,
    rank: str = "team",
    *,
    outcome: str = "likes",
    cluster: str = "base",
    lag_bins: bool = False,
    vcov: str | None = None,
    controls: tuple[str, ...] = (),
) -> dict[str, dict[str, float]]:
    """A design × estimator on ``fit_design``'s sample through
    :func:`hflineage.race.sim_fit.fit_draws` (exact fixed-effect projections, PPML by
    iteratively reweighted least squares): the same estimates as pyfixest's (the tests check)
    in a fraction of the time where pyfixest's Poisson fixed effects converge slowly (base × 5
    lag bins next to the month: ~8 s a fit on the embedded LLM panel against ~0.5 s), with base
    slopes too, and clustered by base or two ways (``cluster="base+author"``).  ``lag_bins`` as
    in :func:`fit_pair`; ``controls`` as in ``fit_design``.  ``vcov``: ``"CRV1"`` or ``"CR3"``
    (default: the declared :data:`~hflineage.race.selection.VCOV` when clustered by base, CRV1
    when two-way).

    Returns:
        Per term (``rank``, ``congestion``): ``estimate``, ``se``, ``p``, ``n``, ``clusters``.
    """
    from . import sim_fit as sf

    check_choice("design", design, tuple(rd.DESIGNS))
    d = rd.DESIGNS[design]
    if d.slope and estimator == "ppml":
        raise ParameterError(
            f"fit_fast: {design!r} × 'ppml' is not available (base-specific slopes in a Poisson "
            "fit); expected ols, lpm or ols_liked"
        )
    if lag_bins:
        d = replace(d, lag=())
    data, regs = rd._frame(panel, d, outcome, estimator, rank, controls)  # fit_design's sample
    sub = panel.iloc[panel.index.get_indexer(data.index)]
    frame = sf.design_frame(sub, regs[0])
    for c in controls:
        frame[c] = sub[c].to_numpy(float)
    if vcov is None:
        vcov = VCOV if cluster == "base" else "CRV1"
    absorb = d.absorb
    if lag_bins:
        frame["lag_bin"] = pd.factorize(sub["lag_bin"])[0]
        absorb = (*absorb, "lag_bin")
    fits = sf.fit_draws(
        frame,
        sf.SimDesign(design, d.label, tuple(regs), absorb, d.slope),
        sub[outcome].to_numpy(float)[:, None],
        estimator,
        terms=rd.TERMS,
        cluster=cluster,
        vcov=vcov,
    ).set_index("term")
    return {
        t: {
            "estimate": float(fits.loc[t, "estimate"]),
            "se": float(fits.loc[t, "std_error"]),
            "p": float(fits.loc[t, "p_value"]),
            "n": int(fits.loc[t, "n_obs"]),
            "clusters": int(fits.loc[t, "n_clusters"]),
        }
        for t in rd.TERMS
    }


def read_with_vcov(
    panel: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    vcov: str = VCOV,
    controls: tuple[str, ...] = (),
) -> pd.DataFrame:
    """``fits`` (``race.designs.design_table``, CRV1 from pyfixest) with every pair's standard
    errors and p-values re-read with ``vcov`` (default: the declared
    :data:`~hflineage.race.selection.VCOV`, the leave-one-base-out jackknife) by
    :func:`fit_fast` on the same sample; the estimates are kept and checked against the
    re-fit (relative 1e-3: a pair that disagrees keeps NaN standard errors and says so in
    ``note``).  ``crv1_se`` keeps the CRV1 standard error and ``vcov`` says which one ``se``
    is.
    """
    out = fits.copy()
    out["crv1_se"] = out["se"]
    out["vcov"] = vcov
    keys = ["design", "estimator", "rank"]
    for (design, estimator, rank), rows in out.groupby(keys, sort=False):  # a few dozen pairs
        if not np.isfinite(rows["estimate"].astype(float)).any():
            continue
        try:
            fit = fit_fast(panel, design, estimator, rank, vcov=vcov, controls=controls)
        except (ParameterError, np.linalg.LinAlgError) as exc:
            out.loc[rows.index, ["se", "p"]] = np.nan
            out.loc[rows.index, "note"] = f"{vcov} not available: {str(exc).splitlines()[0]}"
            continue
        for i, r in rows.iterrows():
            new = fit[r["term"]]
            same = np.isclose(new["estimate"], r["estimate"], rtol=1e-3, atol=1e-6)
            if not np.isfinite(r["estimate"]):
                continue
            if same:
                out.loc[i, ["se", "p"]] = [new["se"], new["p"]]
            else:
                out.loc[i, ["se", "p"]] = np.nan
                out.loc[i, "note"] = (
                    f"{vcov} not available: the re-fit gives {new['estimate']:.4f}, not "
                    f"{r['estimate']:.4f}"
                )
    return out


def _attempt(fit: Callable[[], dict]) -> tuple[dict, str]:
    """A fit's terms, or no terms and the reason it could not be fitted."""
    try:
        return fit(), ""
    except ParameterError as exc:
        return {}, str(exc)
    except np.linalg.LinAlgError:  # e.g. a regressor constant on a small sample
        return {}, "the regressors are collinear on this sample"
    except ValueError as exc:  # pyfixest: the Poisson fixed effects did not converge
        if "Demeaning failed" not in str(exc):
            raise
        return {}, "the Poisson fixed effects did not converge"


def pair_rows(
    panel: pd.DataFrame,
    design: str,
    estimator: str,
    *,
    rank: str = "team",
    pipeline_tags: Sequence[str] | None = LLM_PIPELINE_TAGS,
    min_age_days: float = 180,
    estimators: Sequence[str] = tuple(rd.ESTIMATORS),
) -> pd.DataFrame:
    """The robustness rows of ``design`` × ``estimator`` (the module's docstring says what each
    row becomes), in the order of ``speccurve.robustness_rows``.

    Args:
        panel: the whole-Hub race panel.
        design: a name of ``race.designs.DESIGNS``.
        estimator: a name of ``race.designs.ESTIMATORS``.
        rank: ``team`` or ``release``.
        pipeline_tags: the primary sample's base tasks (``race.sample.llm_sample``).
        min_age_days: the age floor of the older-derivatives row.
        estimators: the estimators of the "other estimators" rows (the pair's own is skipped).

    Returns:
        :data:`COLUMNS`: two rows (rank and congestion terms, named by their regressors) per
        robustness row; NaN and a ``note`` where the row cannot be fitted with the pair.
    """
    check_choice("design", design, tuple(rd.DESIGNS))
    check_choice("estimator", estimator, tuple(rd.ESTIMATORS))
    check_choice("rank", rank, tuple(rd.RANKS))
    llm = sample.with_base_weights(sample.llm_sample(panel, pipeline_tags))
    whole = "whole Hub (every base)" if pipeline_tags is not None else "whole Hub (same)"
    pyfixest_ok = rd.DESIGNS[design].slope is None

    def on(data: pd.DataFrame, est: str = estimator, outcome: str = "likes", **kw) -> Callable:
        return lambda: fit_fast(data, design, est, rank, outcome=outcome, **kw)

    weighted = (
        (lambda: fit_pair(llm, design, estimator, rank, weights="base_weight"))
        if pyfixest_ok
        else _NO_PYFIXEST
    )

    # (row, estimator, outcome, the fit or why the row cannot be fitted with the pair)
    fits: list[tuple[str, str, str, Callable | str]] = [
        ("primary", estimator, "likes", on(llm)),
        ("bases weighted equally", estimator, "likes", weighted),
        ("SE two-way: base and author", estimator, "likes", on(llm, cluster="base+author")),
        (whole, estimator, "likes", on(panel)),
        ("downloads (last 30 days)", estimator, "downloads", on(llm, outcome="downloads")),
    ]
    for other in (e for e in estimators if e != estimator):
        fit = _NO_POISSON if other == "ppml" and not pyfixest_ok else on(llm, other)
        fits.append((f"{rd.ESTIMATOR_LABELS[other]} (same design)", other, "likes", fit))
    older = sample.older_than(llm, min_age_days)
    fits.append(
        (
            f"derivatives >= {min_age_days:g} days old (ages still differ)",
            estimator,
            "likes",
            on(older),
        )
    )
    bins = on(llm, lag_bins=True) if design == "spline" else _NO_BINS
    fits.append(("lag as bins (not a spline)", estimator, "likes", bins))
    rank_col, cong_col, _ = rd.RANKS[rank]
    rows = []
    for label, est, outcome, fit in fits:  # about ten fits
        terms, note = ({}, fit) if isinstance(fit, str) else _attempt(fit)
        for term, col in (("rank", rank_col), ("congestion", cong_col)):
            r = terms.get(term, {})
            rows.append(
                {
                    "row": label,
                    "spec": rd.pair_label(design, est),
                    "outcome": outcome,
                    "estimator": est,
                    "term": col,
                    "estimate": r.get("estimate", np.nan),
                    "std_error": r.get("se", np.nan),
                    "p_value": r.get("p", np.nan),
                    "n_obs": r.get("n", np.nan),
                    "n_clusters": r.get("clusters", np.nan),
                    "note": note,
                }
            )
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out.attrs.update(design=design, estimator=estimator, rank=rank)
    return out
