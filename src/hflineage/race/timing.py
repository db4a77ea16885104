"""The clocks of a race: days and milliseconds, lag bins and the lag spline, per-base entry
counts (rank, race size, congestion windows) and how rank, lag and age move together within a
base.

Every entrant carries three clocks — its entry rank among the base's rivals, the lag since the
base's release and its age at the snapshot — and within a base lag + age is the base's own age.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..config import DAY_MS
from ..errors import HflineageError, ParameterError, check_choice
from .specs import LAG_BIN_EDGES, LAG_SPLINE_KNOTS


def epoch_ms(times: pd.Series) -> np.ndarray:
    """Milliseconds since the epoch (UTC) of a datetime Series (the listing's resolution)."""
    return times.dt.tz_convert("UTC").dt.as_unit("ms").astype("int64").to_numpy()


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


def race_keys(base_code: np.ndarray, t_ms: np.ndarray, pad_ms: int) -> tuple[np.ndarray, int]:
    """One sortable int64 key per entrant: ``base_code * span + t`` (time relative to the first).

    ``span`` exceeds the time range plus ``pad_ms``, so ``key - pad_ms`` never reaches into the
    previous base: searching a sorted key array then answers per-base time-window questions for
    every entrant at once.
    """
    t_rel = t_ms - t_ms.min() if t_ms.size else t_ms
    span = int(t_rel.max() if t_rel.size else 0) + int(pad_ms) + 1
    if base_code.size and int(base_code.max()) + 1 > np.iinfo(np.int64).max // span:
        raise HflineageError(
            "race panel: too many bases for one int64 time key; use fewer bases or a shorter period"
        )
    return base_code.astype(np.int64) * span + t_rel, span


#: Where the congestion window sits: ``around`` entry (the default) or strictly ``before`` it.
CONGESTION_WINDOWS = ("around", "before")


def entry_counts(
    base_code: np.ndarray, t_ms: np.ndarray, window_days: float, window: str = "around"
) -> dict[str, np.ndarray]:
    """Per entrant: ``rank`` (1 = first; ties share the lower rank), ``n`` (entrants of its base),
    ``congestion`` and ``congestion_trailing``.

    ``congestion_trailing`` counts the entrants of the same base created in
    ``[t - window, t)``; ``congestion`` is that count for ``window="before"``, and for
    ``window="around"`` the other entrants of the same base created in
    ``[t - window / 2, t + window / 2]`` (ties included: simultaneous releases are rivals).
    """
    check_choice("congestion_window", window, CONGESTION_WINDOWS)
    window_ms = int(round(window_days * DAY_MS))
    half_ms = window_ms // 2
    key, span = race_keys(base_code, t_ms, window_ms)
    sorted_key = np.sort(key)
    start_key = base_code.astype(np.int64) * span
    first = np.searchsorted(sorted_key, start_key, side="left")
    end = np.searchsorted(sorted_key, start_key + span, side="left")
    before = np.searchsorted(sorted_key, key, side="left")
    trailing = before - np.searchsorted(sorted_key, key - window_ms, side="left")
    if window == "before":
        congestion = trailing
    else:
        congestion = (
            np.searchsorted(sorted_key, key + half_ms, side="right")
            - np.searchsorted(sorted_key, key - half_ms, side="left")
            - 1
        )
    return {
        "rank": before - first + 1,
        "n": end - first,
        "congestion": congestion,
        "congestion_trailing": trailing,
    }


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


def team_counts(
    base_code: np.ndarray,
    team_code: np.ndarray,
    t_ms: np.ndarray,
    window_days: float,
    window: str = "around",
) -> dict[str, np.ndarray]:
    """Per entrant, the race counted in teams (accounts) instead of uploads.

    A team enters a base with its first upload there.  ``team_rank`` is 1 + the number of other
    teams whose first entry on the base came strictly earlier (teams entering at the same instant
    share the lower rank); every upload of a team shares its first entry's rank.
    ``n_teams`` counts the teams of the base.  ``team_upload`` numbers a team's uploads on the
    base (1 = its first; uploads at the same instant share the number).  ``team_congestion``
    counts the *other* teams whose first entry falls in the congestion window of the upload:
    ``[t - window / 2, t + window / 2]`` (``around``) or ``[t - window, t)`` (``before``), the
    windows of :func:`entry_counts`.
    """
    check_choice("congestion_window", window, CONGESTION_WINDOWS)
    window_ms = int(round(window_days * DAY_MS))
    half_ms = window_ms // 2
    base_code = np.asarray(base_code, np.int64)
    n_teams_codes = int(np.max(team_code)) + 1 if len(team_code) else 1
    pair, _ = pd.factorize(base_code * n_teams_codes + np.asarray(team_code, np.int64))
    n_pairs = int(pair.max()) + 1 if pair.size else 0
    first = np.full(n_pairs, np.iinfo(np.int64).max)
    np.minimum.at(first, pair, t_ms)
    pair_base = np.zeros(n_pairs, np.int64)
    pair_base[pair] = base_code
    # the teams' first entries as entrants of their bases: rank among teams and teams per base
    firsts = entry_counts(pair_base, first, window_days, "before")
    t0 = t_ms.min() if t_ms.size else 0
    span = int(t_ms.max() - t0 if t_ms.size else 0) + window_ms + 1  # every upload's window
    sorted_key = np.sort(pair_base * span + (first - t0))
    own = base_code * span + (t_ms - t0)
    if window == "around":
        lo = np.searchsorted(sorted_key, own - half_ms, side="left")
        hi = np.searchsorted(sorted_key, own + half_ms, side="right")
        own_in = (t_ms - first[pair]) <= half_ms
    else:
        lo = np.searchsorted(sorted_key, own - window_ms, side="left")
        hi = np.searchsorted(sorted_key, own, side="left")
        own_in = (first[pair] < t_ms) & (t_ms - first[pair] <= window_ms)
    # a team's uploads numbered in time (ties share the lower number)
    pkey, pspan = race_keys(pair.astype(np.int64), t_ms - t0, 0)
    psorted = np.sort(pkey)
    upload = (
        np.searchsorted(psorted, pkey, side="left")
        - np.searchsorted(psorted, pair.astype(np.int64) * pspan, side="left")
        + 1
    )
    return {
        "team_rank": firsts["rank"][pair],
        "n_teams": firsts["n"][pair],
        "team_congestion": hi - lo - own_in.astype(np.int64),
        "team_upload": upload,
    }
