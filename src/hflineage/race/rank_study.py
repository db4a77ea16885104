"""Rank's shape and who gains (issue 17, item 4): the raw pattern by team-rank bin, a rank-bin
event study with the first entrant as reference for each estimand, and the rank effect by entrant
kind and by account type — all within the chapter's time designs (:mod:`hflineage.race.designs`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_choice
from .designs import DESIGNS, ESTIMATORS, RANKS, design_frame, outcome_values
from .regressions import estimation_sample, identified
from .specs import CLUSTER

#: Lower edges of the rank bins: 1 (the first entrant, the reference), 2-3, 4-10, 11-30,
#: 31-100, 101 and later.
RANK_EDGES = (1, 2, 4, 11, 31, 101)

#: Entrant kinds of the heterogeneity study (``kind`` of :func:`entrant_kind`).
KINDS = ("quantized", "finetune", "adapter", "merge")

#: Account types of the heterogeneity study (:func:`account_type`).
ACCOUNT_TYPES = ("base's own organisation", "frequent quantizer", "other account")


def bin_labels(edges: tuple[int, ...] = RANK_EDGES) -> list[str]:
    """``["1", "2–3", "4–10", ..., "101+"]``: one label per bin of ``edges``."""
    if list(edges) != sorted(set(edges)) or edges[0] != 1:
        raise ParameterError(
            f"rank edges {edges!r}: expected increasing whole numbers starting at 1"
        )
    out = []
    for lo, hi in zip(edges, (*edges[1:], None), strict=True):
        out.append(f"{lo}+" if hi is None else (str(lo) if hi == lo + 1 else f"{lo}–{hi - 1}"))
    return out


def rank_bin(ranks: pd.Series | np.ndarray, edges: tuple[int, ...] = RANK_EDGES) -> np.ndarray:
    """The bin (0 = the first entrant's) of each rank."""
    bin_labels(edges)
    return np.searchsorted(np.asarray(edges, float), np.asarray(ranks, float), side="right") - 1


def rank_pattern(
    panel: pd.DataFrame, rank: str = "team", edges: tuple[int, ...] = RANK_EDGES
) -> pd.DataFrame:
    """The raw pattern before any model: per rank bin, ``derivatives``, ``mean_likes``,
    ``share_liked`` (any like) and ``share_of_likes`` (of all likes in the panel).
    """
    check_choice("rank", rank, tuple(RANKS))
    col = "team_rank" if rank == "team" else "entry_rank"
    b = rank_bin(panel[col], edges)
    likes = panel["likes"].to_numpy(float)
    g = pd.DataFrame({"bin": b, "likes": likes, "liked": likes > 0})
    out = g.groupby("bin").agg(
        derivatives=("likes", "size"),
        mean_likes=("likes", "mean"),
        share_liked=("liked", "mean"),
        total=("likes", "sum"),
    )
    out = out.reindex(range(len(edges)), fill_value=0)
    out["share_of_likes"] = out["total"] / max(float(likes.sum()), 1e-300)
    out.insert(0, "rank", bin_labels(edges))
    return out.drop(columns="total").reset_index(drop=True)


def _fit(panel, design, estimator, rank, extra: pd.DataFrame, drop_rank: bool):
    """Pyfixest fit of ``design`` × ``estimator`` with ``extra`` regressors; coefficient table."""
    import pyfixest as pf

    d = DESIGNS[design]
    if d.slope:
        raise ParameterError(
            f"{design!r}: base slopes are not available here; expected a FE design"
        )
    rank_col, cong_col, _ = RANKS[rank]
    regs = ([] if drop_rank else [rank_col]) + [cong_col, "log_age", *d.lag]
    y, rows = outcome_values(panel["likes"].to_numpy(float), estimator)
    data = pd.concat(
        [
            design_frame(panel),
            panel[regs].astype(float),
            extra.astype(float),
            pd.DataFrame({"y": y, CLUSTER: panel[CLUSTER].to_numpy()}, index=panel.index),
        ],
        axis=1,
    )[rows]
    names = [*extra.columns, *regs]
    absorb_extra = [] if "base" in d.absorb else ["base"]
    kind = "ppml" if estimator == "ppml" else "ols"
    data = estimation_sample(data, "y", names, d.absorb, kind, absorb_extra)
    kept = identified(data, names, d.absorb)
    if not kept:
        # nothing left to estimate (a small or degenerate panel): no coefficient, and the
        # callers report each one as not estimable (NaN) instead of a fit that cannot run
        return pd.DataFrame(columns=["Estimate", "Std. Error"], dtype=float), data
    fml = f"y ~ {' + '.join(kept)} | {' + '.join(d.absorb)}"
    fitter = pf.fepois if estimator == "ppml" else pf.feols
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        model = fitter(fml, data=data, vcov={"CRV1": CLUSTER}, copy_data=False)
    tidy = model.tidy()
    return tidy, data


def event_study(
    panel: pd.DataFrame,
    *,
    design: str = "spline",
    estimators: tuple[str, ...] = ("ppml", "lpm", "ols_liked", "ols"),
    rank: str = "team",
    edges: tuple[int, ...] = RANK_EDGES,
    z: float = 1.96,
) -> pd.DataFrame:
    """Rank-bin coefficients against the first entrant, per estimator, in ``design``: an
    indicator per bin after the first replaces log rank (the first entrant is the reference,
    reported with estimate 0 and no interval); congestion, log age and the design's lag
    control and fixed effects as in :func:`hflineage.race.designs.fit_design`.

    Returns:
        ``estimator``, ``bin`` (0 = first entrant), ``rank`` (its label), ``reference``,
        ``estimate``, ``se``, ``low``, ``high`` (±``z`` SE), ``derivatives`` (rows of the bin in
        the fit).
    """
    check_choice("design", design, tuple(DESIGNS))
    col = "team_rank" if rank == "team" else "entry_rank"
    b = rank_bin(panel[col], edges)
    labels = bin_labels(edges)
    dummies = pd.DataFrame(
        {f"rank_bin{k}": (b == k).astype(float) for k in range(1, len(edges))}, index=panel.index
    )
    rows = []
    for estimator in estimators:
        check_choice("estimator", estimator, tuple(ESTIMATORS))
        tidy, data = _fit(panel, design, estimator, rank, dummies, drop_rank=True)
        counts = np.bincount(b[panel.index.get_indexer(data.index)], minlength=len(edges))
        for k, label in enumerate(labels):
            name = f"rank_bin{k}"
            est, se = (0.0, 0.0) if k == 0 else (np.nan, np.nan)
            if k and name in tidy.index:
                est, se = float(tidy.loc[name, "Estimate"]), float(tidy.loc[name, "Std. Error"])
            rows.append(
                {
                    "estimator": estimator,
                    "bin": k,
                    "rank": label,
                    "reference": k == 0,
                    "estimate": est,
                    "se": se if k else np.nan,
                    "low": est - z * se if k else np.nan,
                    "high": est + z * se if k else np.nan,
                    "derivatives": int(counts[k]),
                }
            )
    return pd.DataFrame(rows)


def entrant_kind(panel: pd.DataFrame) -> pd.Series:
    """``merge`` where the derivative is tagged a merge, else its declared relation
    (``quantized``, ``finetune``, ``adapter``).
    """
    kind = panel["relation"].astype(str).where(~panel["is_merge"].astype(bool), "merge")
    return kind.rename("kind")


def account_type(panel: pd.DataFrame, frequent_quantizer_min: int = 20) -> pd.Series:
    """``base's own organisation`` (the derivative's account published the base), ``frequent
    quantizer`` (an account with at least ``frequent_quantizer_min`` quantized uploads in the
    panel), else ``other account``.
    """
    if not (isinstance(frequent_quantizer_min, (int, np.integer)) and frequent_quantizer_min >= 1):
        raise ParameterError(
            f"frequent_quantizer_min={frequent_quantizer_min!r}; expected a whole number >= 1"
        )
    quantized = panel["is_quantized"].astype(bool)
    per_author = quantized.groupby(panel["author"]).transform("sum")
    out = np.where(
        panel["same_author_as_base"].astype(bool),
        ACCOUNT_TYPES[0],
        np.where(per_author >= frequent_quantizer_min, ACCOUNT_TYPES[1], ACCOUNT_TYPES[2]),
    )
    return pd.Series(out, index=panel.index, name="account")


def group_effects(
    panel: pd.DataFrame,
    groups: pd.Series,
    *,
    design: str = "spline",
    estimator: str = "ppml",
    rank: str = "team",
    order: tuple[str, ...] = (*KINDS, *ACCOUNT_TYPES),
) -> pd.DataFrame:
    """The log-rank coefficient by group in one fit: log rank × each group's indicator (no
    common rank term), the groups' own levels as indicators (the first group's absorbed by the
    fixed effects' constant), in ``design`` × ``estimator``.

    Returns:
        ``group``, ``estimate``, ``se``, ``p`` (normal), ``derivatives`` and ``share_of_likes``
        of the group in the panel, groups in ``order`` first.
    """
    from scipy import stats

    rank_col = RANKS[rank][0]
    g = groups.astype(str)
    present = [level for level in pd.unique(g) if level]
    levels = [o for o in order if o in present] + [p for p in present if p not in order]
    extra = {}
    for k, level in enumerate(levels):
        extra[f"rank_x{k}"] = panel[rank_col].astype(float) * (g == level)
        if k:
            extra[f"group{k}"] = (g == level).astype(float)
    tidy, _ = _fit(panel, design, estimator, rank, pd.DataFrame(extra), drop_rank=True)
    likes = panel["likes"].to_numpy(float)
    rows = []
    for k, level in enumerate(levels):
        name = f"rank_x{k}"
        est, se = (
            (float(tidy.loc[name, "Estimate"]), float(tidy.loc[name, "Std. Error"]))
            if name in tidy.index
            else (np.nan, np.nan)
        )
        inside = (g == level).to_numpy()
        rows.append(
            {
                "group": level,
                "estimate": est,
                "se": se,
                "p": float(2 * stats.norm.sf(abs(est / se))) if se > 0 else np.nan,
                "derivatives": int(inside.sum()),
                "share_of_likes": float(likes[inside].sum() / max(likes.sum(), 1e-300)),
            }
        )
    return pd.DataFrame(rows)
