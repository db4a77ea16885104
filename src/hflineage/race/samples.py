"""Samples and clocks of the race panel: the LLM-base sample, equal base weights, the older
derivatives, recognition gained between two snapshots, the flexible lag controls (bins, spline)
and the three clocks (rank, lag, age) and how they move together within a base.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .specs import LAG_BIN_EDGES, LAG_SPLINE_KNOTS


def lag_bin_names(edges: Sequence[float] = LAG_BIN_EDGES) -> list[str]:
    """Names of the lag bins of ``edges``: ``"0-1d"``, ``"1-3d"``, ..., ``"730d+"``."""
    edges = [float(e) for e in edges]
    return [f"{a:g}-{b:g}d" for a, b in zip(edges[:-1], edges[1:], strict=True)] + [
        f"{edges[-1]:g}d+"
    ]


def lag_bins(
    lag_days: np.ndarray | pd.Series, edges: Sequence[float] = LAG_BIN_EDGES
) -> np.ndarray:
    """The lag bin of each lag (days since the base's release): ``"0-1d"``, ``"1-3d"``, ...,
    ``"730d+"`` for the default :data:`~hflineage.race.specs.LAG_BIN_EDGES` (each bin includes
    its lower edge; the last is open).
    """
    edges = [float(e) for e in edges]
    if (
        len(edges) < 2
        or edges[0] != 0
        or any(b <= a for a, b in zip(edges[:-1], edges[1:], strict=True))
    ):
        raise ParameterError(
            f"lag_bins={edges!r}; expected increasing edges in days starting at 0, e.g. "
            f"{LAG_BIN_EDGES}"
        )
    names = lag_bin_names(edges)
    idx = np.searchsorted(np.asarray(edges), np.asarray(lag_days, float), side="right") - 1
    return np.asarray(names, dtype=object)[np.clip(idx, 0, len(names) - 1)]


def lag_spline(
    lag_days: np.ndarray | pd.Series, knots: Sequence[float] = LAG_SPLINE_KNOTS
) -> np.ndarray:
    """The non-linear columns of a restricted cubic spline in ``x = log(1 + lag)``.

    Harrell (2015, *Regression Modeling Strategies*, section 2.4.5): with knots
    ``t_1 < ... < t_k`` (``log1p`` of ``knots``, in days), column ``j = 1 .. k-2`` is

    ``[(x - t_j)+^3 - (x - t_{k-1})+^3 (t_k - t_j)/(t_k - t_{k-1})
    + (x - t_k)+^3 (t_{k-1} - t_j)/(t_k - t_{k-1})] / (t_k - t_1)^2``;

    with ``x`` itself they span every cubic spline with these knots that is linear beyond the
    outer ones.
    """
    k = np.log1p(np.asarray([float(v) for v in knots]))
    if k.size < 3 or np.any(np.diff(k) <= 0):
        raise ParameterError(
            f"lag spline knots={list(knots)!r}; expected at least 3 increasing days, e.g. "
            f"{LAG_SPLINE_KNOTS}"
        )
    x = np.log1p(np.asarray(lag_days, float))[:, None]
    tj, tk1, tk = k[None, :-2], k[-2], k[-1]

    def cube(v: np.ndarray) -> np.ndarray:
        return np.clip(v, 0, None) ** 3

    out = (
        cube(x - tj)
        - cube(x - tk1) * (tk - tj) / (tk - tk1)
        + cube(x - tk) * (tk1 - tj) / (tk - tk1)
    )
    return out / (tk - k[0]) ** 2


def older_than(panel: pd.DataFrame, min_age_days: float = 180) -> pd.DataFrame:
    """The derivatives at least ``min_age_days`` old at the snapshot.

    Not a fixed horizon: the derivatives kept still differ in age (from ``min_age_days`` to the
    Hub's oldest), so exposure is only narrowed, not equalised.  Ranks and congestion keep their
    values from the full race.
    """
    if not min_age_days >= 0:
        raise ParameterError(f"min_age_days={min_age_days!r}; expected a number >= 0")
    out = panel[panel["age_days"] >= min_age_days].reset_index(drop=True)
    out.attrs = {**panel.attrs, "min_age_days": float(min_age_days)}
    return out


#: The race's primary sample: derivatives of bases whose Hub task is text generation (causal
#: language models), the LLM ecosystems paper 2 studies.
LLM_PIPELINE_TAGS = ("text-generation",)


def llm_sample(
    panel: pd.DataFrame, pipeline_tags: Sequence[str] | None = LLM_PIPELINE_TAGS
) -> pd.DataFrame:
    """The derivatives of LLM bases: whole races whose base's ``pipeline_tag`` is one of
    ``pipeline_tags`` (``None`` keeps every base: the whole Hub).  Ranks and congestion keep
    their values from the full race.
    """
    if pipeline_tags is None:
        return panel
    tags = [pipeline_tags] if isinstance(pipeline_tags, str) else list(pipeline_tags)
    if not tags:
        raise ParameterError(
            "pipeline_tags is empty; expected None (whole Hub) or tasks such as text-generation"
        )
    out = panel[panel["base_pipeline_tag"].isin(tags)].reset_index(drop=True)
    out.attrs = {**panel.attrs, "pipeline_tags": tags}
    return out


def with_base_weights(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with ``base_weight`` = 1 / (the base's rows): every base weighs the same in a
    weighted fit, however many derivatives it has.
    """
    n = panel.groupby("base_id")["base_id"].transform("size").to_numpy(float)
    return panel.assign(base_weight=1.0 / n)


#: The three clocks of a race (and the trailing and around-entry congestion counts beside them).
CLOCKS = ("log_entry_rank", "log_lag", "log_age")


def clock_correlations(
    panel: pd.DataFrame,
    columns: Sequence[str] = CLOCKS,
    min_rows: int = 3,
) -> pd.DataFrame:
    """How the race's clocks move together within a base.

    Args:
        panel: the race panel.
        columns: the variables to correlate pairwise (default: log entry rank, log lag since the
            base's release, log age at the snapshot).
        min_rows: bases with fewer rows are left out of the per-base median.

    Returns:
        One row per pair: ``pooled`` (the correlation of the two after removing each base's mean:
        the variation a base fixed effect leaves), ``median_base`` (the median over bases of the
        correlation within each base, bases where both vary), ``bases`` (how many entered the
        median).
    """
    missing = [c for c in (*columns, "base_id") if c not in panel.columns]
    if missing:
        raise ParameterError(
            f"clock_correlations: no column {missing[0]!r} in the panel; expected panel columns"
        )
    g, _ = pd.factorize(panel["base_id"])
    n_g = int(g.max()) + 1 if g.size else 0
    size = np.bincount(g, minlength=n_g).astype(float)
    dm = {}
    for c in columns:
        x = panel[c].to_numpy(float)
        dm[c] = x - (np.bincount(g, x, n_g) / np.maximum(size, 1))[g]
    rows = []
    for i, a in enumerate(columns):
        for b in columns[i + 1 :]:
            xa, xb = dm[a], dm[b]
            pooled = (xa * xb).sum() / np.sqrt((xa**2).sum() * (xb**2).sum())
            sab = np.bincount(g, xa * xb, n_g)
            saa = np.bincount(g, xa**2, n_g)
            sbb = np.bincount(g, xb**2, n_g)
            ok = (size >= min_rows) & (saa > 0) & (sbb > 0)
            per_base = sab[ok] / np.sqrt(saa[ok] * sbb[ok])
            rows.append(
                {
                    "pair": f"{a} ~ {b}",
                    "pooled": float(pooled),
                    "median_base": float(np.median(per_base)) if per_base.size else np.nan,
                    "bases": int(ok.sum()),
                }
            )
    return pd.DataFrame(rows)


def with_recognition(panel: pd.DataFrame, gained: pd.DataFrame) -> pd.DataFrame:
    """The panel with the recognition a later snapshot shows (two-snapshot design).

    Args:
        panel: the race panel.
        gained: :attr:`hflineage.data.recognition.Recognition.table` (``model_id``,
            ``likes_gained``, ``downloads_later``).

    Returns:
        The panel with ``in_later`` (the model still exists), ``likes_gained``,
        ``log_likes_gained`` (``log(1 + max(gain, 0))``: a withdrawn like counts as no gain)
        and ``downloads_later``; missing for deleted models, so fits on these outcomes use the
        survivors only.
    """
    for col in ("model_id", "likes_gained", "downloads_later"):
        if col not in gained.columns:
            raise ParameterError(
                f"with_recognition: no column {col!r}; expected the table of "
                "hflineage.data.recognition.recognition_between"
            )
    g = gained.set_index(gained["model_id"].astype(str))
    at = g.index.get_indexer(panel["model_id"].astype(str))
    found = at >= 0
    likes = np.where(found, g["likes_gained"].to_numpy(float)[np.maximum(at, 0)], np.nan)
    downloads = np.where(found, g["downloads_later"].to_numpy(float)[np.maximum(at, 0)], np.nan)
    return panel.assign(
        in_later=found,
        likes_gained=likes,
        log_likes_gained=np.log1p(np.clip(likes, 0, None)),
        downloads_later=downloads,
    )
