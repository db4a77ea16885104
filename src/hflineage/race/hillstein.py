"""Hill & Stein's own predictions on the Hub: potential draws teams, competition shortens
maturation, and shorter maturation lowers quality (claims HS-* of ``book/claims.yml``).

Hill & Stein (2025, QJE 140(2)) model scientific projects whose *potential* draws competing
teams; competition shortens each team's *maturation* and so lowers the *quality* of what it
releases, and the first team takes most of the credit.  :data:`hflineage.race.constructs.MAPPING`
maps those constructs onto the Hub; this module measures the links between them:

- **teams** (:func:`team_entries`): a team is a distinct account (the model's owner) entering a
  base; it counts once, at its first derivative of that base, and the base's own account is
  not a rival.  Derivatives of every kind count (the competitor set of the race panel, merges
  included), with reliable dates, on time-consistent, non-cyclic edges;
- **race measures** (:func:`race_teams`): per base, the teams within ``horizon`` days of its
  release, the teams in its first ``early`` days, and the days until the ``k``-th team (the
  restricted mean time: a base that ``k`` teams never reach within ``horizon`` counts
  ``horizon``);
- **potential before entry** (:func:`base_table`): the likes, at the snapshot, of the models
  the base's account had created *before* the base (:func:`author_prior_likes`), its earlier
  model count, the base's size class from its name; never the base's own likes, which grow with
  entry;
- **entrants** (:func:`entrant_frame`): the first entry of each team in the race panel, with its
  maturation (``log_lag``), its race's early contest (rival teams in the first ``early`` days,
  the entrant left out) and its base's potential;
- **fits** (:func:`fe_fit`) and the **within-design binned scatter** (:func:`within_binscatter`);
- **the simulation** (:func:`simulate_quality`): the real entrants, bases, accounts and entry
  times; only the quality outcome is drawn, with a planted maturation effect and potential and
  account effects that go with entry speed, so that a design that ignores them is fooled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data.schema import arrow_strings, frame_edge_rows, snapshot_date, string_codes
from ..errors import ParameterError
from ..lineage.size import model_size
from .panel import author_prior_models, check_edges
from .patterns import binscatter
from .timing import DAY_MS, epoch_ms

#: Days after a base's release in which its teams are counted (equal follow-up for every base).
HORIZON_DAYS = 90

#: The team whose arrival times the race's speed (the third rival account).
KTH_TEAM = 3

#: Days of a race's opening in which its early contest is counted.
EARLY_DAYS = 30

#: Size class of a base whose name states no size.
UNKNOWN_SIZE = "unknown"


def _check(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"{what}: no column {missing[0]!r}; expected {', '.join(columns)}")


def _author_codes(models: pd.DataFrame) -> np.ndarray:
    """An integer per account; a model without an owner prefix is its own account."""
    authors = arrow_strings(models["author"])
    code = string_codes(authors)
    null = pc.is_null(authors).to_numpy(zero_copy_only=False)
    return np.where(null, code.max(initial=0) + 1 + np.arange(len(code)), code)


def author_prior_likes(models: pd.DataFrame) -> pd.Series:
    """Per model: the likes (at the snapshot) of the models its account created *strictly
    before* it (models created at the same instant are not earlier than each other; 0 for an
    account's first model).  Vectorised: one sort of (account, time) and a cumulative sum.
    """
    code = _author_codes(models)
    t = epoch_ms(models["created_at"])
    order = np.lexsort((t, code))
    sc, st = code[order], t[order]
    pos = np.arange(len(order))
    new_tie = np.ones(len(order), bool)
    new_tie[1:] = (sc[1:] != sc[:-1]) | (st[1:] != st[:-1])
    new_author = np.ones(len(order), bool)
    new_author[1:] = sc[1:] != sc[:-1]
    tie_start = np.maximum.accumulate(np.where(new_tie, pos, 0))
    author_start = np.maximum.accumulate(np.where(new_author, pos, 0))
    cum = np.concatenate([[0], np.cumsum(models["likes"].to_numpy(np.int64)[order])])
    prior = np.empty(len(order), np.int64)
    prior[order] = cum[tie_start] - cum[author_start]
    return pd.Series(prior, index=models.index, name="author_prior_likes")


def team_entries(models: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Each rival team's first entry into each base (rules in the module docstring).

    Returns:
        One row per (base, team), sorted by base and lag: ``base_row`` (row of the base in
        ``models``), ``author_code``, ``lag_days`` (days from the base's creation to the team's
        first derivative of it) and ``relation`` of that derivative.
    """
    check_edges(edges)
    ok = (
        (edges["resolution"] != "unresolved").to_numpy(bool)
        & edges["parent_in_snapshot"].to_numpy(bool)
        & ~edges["parent_younger"].to_numpy(bool)
        & ~edges["in_cycle"].to_numpy(bool)
    )
    _, crow, prow = frame_edge_rows(models, edges)
    ok &= (crow >= 0) & (prow >= 0) & (crow != prow)
    reliable = models["created_at_reliable"].to_numpy(bool)
    idx = np.flatnonzero(ok)
    idx = idx[reliable[crow[idx]] & reliable[prow[idx]]]
    author = _author_codes(models)
    c, p = crow[idx], prow[idx]
    rival = author[c] != author[p]
    idx, c, p = idx[rival], c[rival], p[rival]
    t = epoch_ms(models["created_at"])
    lag = (t[c] - t[p]) / DAY_MS
    order = np.lexsort((lag, author[c], p))
    p_s, a_s = p[order], author[c][order]
    first = np.ones(len(order), bool)
    first[1:] = (p_s[1:] != p_s[:-1]) | (a_s[1:] != a_s[:-1])
    keep = order[first]
    out = pd.DataFrame(
        {
            "base_row": p[keep],
            "author_code": author[c][keep],
            "lag_days": lag[keep],
            "relation": edges["relation"].to_numpy(dtype=object)[idx[keep]],
        }
    )
    return out.sort_values(["base_row", "lag_days"], kind="stable").reset_index(drop=True)


def race_teams(
    entries: pd.DataFrame,
    n_bases: int,
    *,
    horizon: float = HORIZON_DAYS,
    k: int = KTH_TEAM,
    early: float = EARLY_DAYS,
) -> pd.DataFrame:
    """Per base (rows ``0 .. n_bases - 1``, the rows of ``models``): ``teams_total``,
    ``teams_h`` (first entries within ``horizon`` days, inclusive), ``teams_early`` (within
    ``early`` days, inclusive), ``days_to_k`` (lag of the ``k``-th team, NaN if fewer than ``k``
    teams) and ``rmst_k`` (``min(days_to_k, horizon)``; ``horizon`` when never reached).
    """
    _check(entries, ("base_row", "lag_days"), "race_teams")
    if int(k) != k or k < 1 or not horizon > 0 or not early > 0:
        raise ParameterError(
            f"race_teams: k={k!r}, horizon={horizon!r}, early={early!r}; expected a whole k >= 1 "
            "and positive day counts"
        )
    e = entries.sort_values(["base_row", "lag_days"], kind="stable")
    b = e["base_row"].to_numpy(np.int64)
    lag = e["lag_days"].to_numpy(float)
    out = pd.DataFrame(
        {
            "teams_total": np.bincount(b, minlength=n_bases),
            "teams_h": np.bincount(b[lag <= horizon], minlength=n_bases),
            "teams_early": np.bincount(b[lag <= early], minlength=n_bases),
        }
    )
    start = np.searchsorted(b, np.arange(n_bases))
    has_k = out["teams_total"].to_numpy() >= k
    days = np.full(n_bases, np.nan)
    days[has_k] = lag[start[has_k] + int(k) - 1]
    out["days_to_k"] = days
    out["rmst_k"] = np.where(has_k, np.minimum(days, horizon), horizon)
    return out


def base_table(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    horizon: float = HORIZON_DAYS,
    k: int = KTH_TEAM,
    early: float = EARLY_DAYS,
) -> pd.DataFrame:
    """Every model of the snapshot as a potential base: its potential measured before entry and
    its race (one row per model, in the order of ``models``).

    Columns: ``base_id``, ``author`` (an integer per account), ``pipeline_tag``, ``reliable``, ``age_days`` (at the snapshot),
    ``release_month``, ``prior_likes`` / ``log_prior_likes`` (:func:`author_prior_likes`),
    ``log_prior_models``, ``size_class`` (from the name; :data:`UNKNOWN_SIZE` when it states
    none), ``base_likes`` (at the snapshot: grows with entry, a reading only) and the columns
    of :func:`race_teams`.
    """
    entries = team_entries(models, edges)
    teams = race_teams(entries, len(models), horizon=horizon, k=k, early=early)
    prior = author_prior_likes(models).to_numpy()
    size = model_size(models[["model_id"]])["size_bin"].astype("object").fillna(UNKNOWN_SIZE)
    created = models["created_at"].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "base_id": models["model_id"].astype(str).to_numpy(),
            "author": np.asarray(_author_codes(models)),
            "pipeline_tag": models["pipeline_tag"].astype("object").to_numpy(),
            "reliable": models["created_at_reliable"].to_numpy(bool),
            "age_days": (snapshot_date(models) - created).dt.total_seconds().to_numpy() / 86_400,
            "release_month": created.dt.strftime("%Y-%m").to_numpy(),
            "prior_likes": prior,
            "log_prior_likes": np.log1p(prior),
            "log_prior_models": np.log1p(author_prior_models(models).to_numpy()),
            "size_class": size.to_numpy(),
            "base_likes": models["likes"].to_numpy(),
        }
    )
    out = pd.concat([out, teams], axis=1)
    out.attrs = {"horizon": float(horizon), "k": int(k), "early": float(early)}
    out.attrs["entries"] = entries
    return out


def potential_frame(
    bases: pd.DataFrame, pipeline_tags: Sequence[str] = ("text-generation",)
) -> pd.DataFrame:
    """The bases of HS-potential and HS-speed: models whose task is one of ``pipeline_tags``,
    with a reliable creation date, at least the table's ``horizon`` days old at the snapshot.
    """
    _check(bases, ("pipeline_tag", "reliable", "age_days"), "potential_frame")
    keep = (
        bases["pipeline_tag"].isin(list(pipeline_tags)).to_numpy(bool)
        & bases["reliable"].to_numpy(bool)
        & (bases["age_days"].to_numpy(float) >= bases.attrs.get("horizon", HORIZON_DAYS))
    )
    out = bases[keep].reset_index(drop=True)
    out.attrs = {k: v for k, v in bases.attrs.items() if k != "entries"}
    return out


def entrant_frame(panel: pd.DataFrame, bases: pd.DataFrame) -> pd.DataFrame:
    """The first entry of each rival team in ``panel`` (a race panel, e.g. the LLM one), with
    its base's potential and early contest.

    Kept: rows whose account is not the base's own, the first (lowest entry rank) of each
    (base, account).  Added: ``rivals_early`` (rival teams of the base in its first ``early``
    days, this entrant's own team left out), ``log_rivals_early``, ``log_prior_likes``,
    ``log_prior_models``, ``size_class``, ``release_month`` (the base's) and ``kind`` (the
    relation; ``"(none)"`` when undeclared).
    """
    _check(
        panel,
        ("base_id", "author", "entry_rank", "same_author_as_base", "lag_days"),
        "entrant_frame",
    )
    early = bases.attrs.get("early", EARLY_DAYS)
    rows = panel[~panel["same_author_as_base"].to_numpy(bool)]
    rows = rows.sort_values(["base_id", "entry_rank"], kind="stable")
    rows = rows.drop_duplicates(["base_id", "author"], keep="first").reset_index(drop=True)
    ids = pa.array(bases["base_id"].to_numpy(), pa.large_string())
    where = pc.index_in(pa.array(rows["base_id"].astype(str).to_numpy(), pa.large_string()), ids)
    where = pc.fill_null(where, -1).to_numpy(zero_copy_only=False)
    if (where < 0).any():
        raise ParameterError(
            "entrant_frame: a base of the panel is not in the base table; expected both from "
            "the same snapshot"
        )
    b = bases.iloc[where].reset_index(drop=True)
    own_early = rows["lag_days"].to_numpy(float) <= early
    rivals = np.maximum(b["teams_early"].to_numpy() - own_early, 0)
    out = rows.assign(
        rivals_early=rivals,
        log_rivals_early=np.log1p(rivals),
        log_prior_likes=b["log_prior_likes"].to_numpy(),
        log_prior_models=b["log_prior_models"].to_numpy(),
        size_class=b["size_class"].to_numpy(),
        release_month=b["release_month"].to_numpy(),
        kind=rows["relation"].astype("object").fillna("(none)").to_numpy(),
    )
    return out


def fe_fit(
    frame: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    fixed_effects: Sequence[str],
    *,
    cluster: str,
    estimator: str = "ols",
    min_clusters: int = 10,
) -> dict[str, float]:
    """One fixed-effects fit (pyfixest ``feols`` or ``fepois``, CRV1 by ``cluster``): the first
    regressor's ``estimate``, ``se``, ``p``, ``n`` and ``clusters``.  A fit the data cannot
    support (too few rows, fewer than ``min_clusters`` clusters — a clustered standard error
    from a handful of clusters is not to be trusted — no variation left, non-convergence)
    gives NaN, so that the verdict rule says "not testable".
    """
    import pyfixest as pf

    if estimator not in ("ols", "ppml"):
        raise ParameterError(f"fe_fit: estimator={estimator!r}; expected 'ols' or 'ppml'")
    cols = [outcome, *regressors, *fixed_effects, cluster]
    _check(frame, list(dict.fromkeys(cols)), "fe_fit")
    data = frame[list(dict.fromkeys(cols))].dropna()
    nan = {"estimate": np.nan, "se": np.nan, "p": np.nan, "n": len(data), "clusters": 0}
    if len(data) < 10 or data[cluster].nunique() < min_clusters:
        return nan
    formula = f"{outcome} ~ {' + '.join(regressors)}"
    if fixed_effects:
        formula += " | " + " + ".join(fixed_effects)
    try:
        fit_fn = pf.feols if estimator == "ols" else pf.fepois
        model = fit_fn(formula, data=data, vcov={"CRV1": cluster})
        tidy = model.tidy()
        row = tidy.loc[regressors[0]]
        n = int(model._N)
    except Exception:  # noqa: BLE001 — any failure of the fit means: not estimable here
        return nan
    out = {
        "estimate": float(row["Estimate"]),
        "se": float(row["Std. Error"]),
        "p": float(row["Pr(>|t|)"]),
        "n": n,
        "clusters": int(getattr(model, "_G", [data[cluster].nunique()])[0]),
    }
    if not np.isfinite(out["se"]) or out["se"] <= 0:
        return {**nan, "n": n}
    return out


def _fe_codes(frame: pd.DataFrame, fixed_effects: Sequence[str]) -> np.ndarray:
    return np.column_stack(
        [pd.factorize(frame[f].astype("object").fillna("(none)"))[0] for f in fixed_effects]
    ).astype(np.uint64)


def residualise(
    values: np.ndarray, frame: pd.DataFrame, fixed_effects: Sequence[str]
) -> np.ndarray:
    """``values`` (rows × columns) minus their projection on the ``fixed_effects`` of
    ``frame`` (pyfixest's alternating projections; unchanged when there are none).
    """
    from pyfixest.estimation import demean

    values = np.asarray(values, float)
    if not fixed_effects:
        return values - values.mean(axis=0)
    out, _ = demean(values, _fe_codes(frame, fixed_effects), np.ones(len(frame)), tol=1e-8)
    return out


def within_binscatter(
    frame: pd.DataFrame,
    x: str,
    y: str,
    fixed_effects: Sequence[str],
    *,
    bins: int = 20,
) -> pd.DataFrame:
    """Binned scatter of ``y`` against ``x`` after both are residualised on ``fixed_effects``
    (overall means added back, so the axes keep their units): the variation a fixed-effects
    design uses.  Columns of :func:`hflineage.race.patterns.binscatter` and the line's ``slope``
    (least squares on the residualised rows, equal to the fixed-effects estimate of a
    one-regressor design).
    """
    data = frame[[x, y, *fixed_effects]].dropna()
    if len(data) < 2:
        raise ParameterError(f"within_binscatter: fewer than 2 complete rows of {x!r} and {y!r}")
    raw = data[[x, y]].to_numpy(float)
    res = residualise(raw, data, fixed_effects)
    slope = float((res[:, 0] @ res[:, 1]) / max(res[:, 0] @ res[:, 0], 1e-300))
    shown = pd.DataFrame({x: res[:, 0] + raw[:, 0].mean(), y: res[:, 1] + raw[:, 1].mean()})
    return binscatter(shown, x, y, bins=bins, absorb=None).assign(slope=slope)


#: Designs the simulation compares: the declared one (HS-quality) and two that each ignore one
#: confound.
SIM_DESIGNS: dict[str, tuple[str, ...]] = {
    "declared: base + account + month + kind FE": ("base_id", "author", "created_month", "kind"),
    "ignores potential: account + month + kind FE": ("author", "created_month", "kind"),
    "ignores accounts: base + month + kind FE": ("base_id", "created_month", "kind"),
}


def _zscore(frame: pd.DataFrame, group: str, x: np.ndarray) -> np.ndarray:
    m = pd.Series(x).groupby(frame[group].to_numpy()).transform("mean").to_numpy()
    sd = m.std()
    return (m - m.mean()) / sd if sd > 0 else np.zeros_like(m)


def simulate_quality(
    frame: pd.DataFrame,
    *,
    beta: float,
    draws: int = 200,
    seed: int = 0,
    potential_corr: float = 0.5,
    account_corr: float = 0.5,
    tolerance: float,
    designs: Mapping[str, Sequence[str]] | None = None,
    x: str = "log_lag",
    y: str = "quality_index",
) -> pd.DataFrame:
    """The maturation → quality design on the real panel structure, with only the outcome drawn.

    Each draw keeps every entrant's base, account, creation month, kind and lag and draws
    ``quality = potential_base + habit_account + norm_month + beta * x + noise``:

    - ``potential_base`` has the spread of the real base means of ``y`` and correlates
      ``-potential_corr`` with the base's mean ``x`` (bases that draw fast entry have more
      potential, and potential raises quality);
    - ``habit_account`` has the spread of the real account means of ``y`` and correlates
      ``+account_corr`` with the account's mean ``x`` (accounts that race cut corners);
    - ``norm_month`` is the real mean of ``y`` by creation month (the Hub's norms);
    - noise is normal with the real residual spread of ``y`` under the declared design.

    Every design (fixed effects, :data:`SIM_DESIGNS`) is fitted to every draw at once: ``x`` is
    demeaned once per design and each draw's estimate is one inner product.

    Returns:
        One row per design: ``design``, ``truth``, ``mean``, ``bias``, ``sd`` (over draws),
        ``mc_error`` (``sd / sqrt(draws)``), ``tolerance``, ``recovered`` (``|bias| <=
        tolerance``) and ``flagged`` (``|bias| > tolerance`` and beyond 3 Monte-Carlo errors).
    """
    designs = dict(designs or SIM_DESIGNS)
    needed = list(dict.fromkeys([x, y, *(f for fes in designs.values() for f in fes)]))
    _check(frame, needed, "simulate_quality")
    if int(draws) != draws or draws < 2 or not tolerance > 0:
        raise ParameterError(
            f"simulate_quality: draws={draws!r}, tolerance={tolerance!r}; expected a whole "
            "number >= 2 and a positive tolerance"
        )
    for name, r in (("potential_corr", potential_corr), ("account_corr", account_corr)):
        if not -1 <= r <= 1:
            raise ParameterError(
                f"simulate_quality: {name}={r!r}; expected a correlation in [-1, 1]"
            )
    data = frame[needed].dropna().reset_index(drop=True)
    if len(data) < 10 or data["base_id"].nunique() < 3:  # too little data: nothing to say
        nan = dict.fromkeys(("mean", "bias", "sd", "mc_error"), np.nan)
        return pd.DataFrame(
            [
                {
                    "design": d,
                    "truth": beta,
                    **nan,
                    "tolerance": tolerance,
                    "recovered": False,
                    "flagged": False,
                }
                for d in designs
            ]
        ).assign(**{"rows": len(data)})
    rng = np.random.default_rng(seed)
    xv = data[x].to_numpy(float)
    yv = data[y].to_numpy(float)
    spread = {
        g: pd.Series(yv).groupby(data[g].to_numpy()).transform("mean").std()
        for g in ("base_id", "author")
    }
    declared = next(iter(designs.values()))
    res = residualise(np.column_stack([yv, xv]), data, declared)
    b_real = (res[:, 0] @ res[:, 1]) / max(res[:, 1] @ res[:, 1], 1e-300)
    noise_sd = float(np.std(res[:, 0] - b_real * res[:, 1]))
    month = pd.Series(yv).groupby(data["created_month"].to_numpy()).transform("mean").to_numpy()

    def group_effect(group: str, corr: float) -> np.ndarray:
        codes, uniques = pd.factorize(data[group])
        z = _zscore(data, group, xv)
        u = rng.standard_normal((len(uniques), draws))[codes]
        return spread[group] * (corr * z[:, None] + np.sqrt(1 - corr**2) * u)

    y_sim = (
        group_effect("base_id", -potential_corr)
        + group_effect("author", account_corr)
        + (month - month.mean())[:, None]
        + beta * xv[:, None]
        + noise_sd * rng.standard_normal((len(data), draws))
    )
    rows = []
    for name, fes in designs.items():
        # the residual-maker M is symmetric and idempotent: x'M y = (M x)' y, so only x is
        # demeaned, once per design, and every draw is one product
        xt = residualise(xv[:, None], data, fes)[:, 0]
        est = (xt @ y_sim) / max(xt @ xt, 1e-300)
        mean, sd = float(est.mean()), float(est.std(ddof=1))
        mc = sd / np.sqrt(draws)
        bias = mean - beta
        rows.append(
            {
                "design": name,
                "truth": beta,
                "mean": mean,
                "bias": bias,
                "sd": sd,
                "mc_error": mc,
                "tolerance": tolerance,
                "recovered": abs(bias) <= tolerance,
                "flagged": abs(bias) > tolerance and abs(bias) > 3 * mc,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs = {"rows": len(data), "draws": int(draws), "noise_sd": noise_sd}
    return out


def simulation_sentence(sim: pd.DataFrame, fmt: str = ".4f") -> str:
    """What :func:`simulate_quality` found, in words built from its numbers."""
    first = sim.iloc[0]
    if not np.isfinite(first["mean"]):
        return "The simulation could not run: this run's data have too few entrants."

    def said(r: pd.Series) -> str:
        verdict = (
            "within the tolerance"
            if r["recovered"]
            else "biased beyond the tolerance" + ("" if r["flagged"] else " (within 3 MC errors)")
        )
        return (
            f"{r['design']}: mean {r['mean']:{fmt}}, bias {r['bias']:+{fmt}} "
            f"(Monte-Carlo error {r['mc_error']:{fmt}}), {verdict}"
        )

    return (
        f"Against a planted effect of {first['truth']:{fmt}} and a tolerance of "
        f"{first['tolerance']:{fmt}}: " + "; ".join(said(r) for _, r in sim.iterrows()) + "."
    )


def binscatter_figure(panels: Sequence[Mapping]) -> object:
    """One binned-scatter panel per entry of ``panels`` (keys ``points`` from
    :func:`within_binscatter` or ``None``, ``x``, ``y`` axis labels, ``title`` and ``estimate``,
    the design's estimate in words), two to a row; the line has the design's slope.
    """
    import matplotlib.pyplot as plt

    cols = min(2, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.9 * cols, 3.5 * rows), squeeze=False)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    for j, (ax, p) in enumerate(zip(axes.ravel(), panels, strict=False)):
        pts = p.get("points")
        ax.set_xlabel(p["x"])
        ax.set_ylabel(p["y"])
        ax.set_title(p.get("title", ""), fontsize=11)
        ax.xaxis.label.set_size(10.5)
        ax.yaxis.label.set_size(10.5)
        if pts is None or pts.empty:
            ax.text(
                0.5,
                0.5,
                "not estimable\non this run's data",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=10.5,
            )
            continue
        ax.plot(pts["x"], pts["y"], "o", color=f"C{j}", ms=5)
        slope = float(pts["slope"].iloc[0])
        mx = np.average(pts["x"], weights=pts["n"])
        my = np.average(pts["y"], weights=pts["n"])
        grid = np.linspace(pts["x"].min(), pts["x"].max(), 2)
        ax.plot(grid, my + slope * (grid - mx), "-", color="0.35", lw=1)
        ax.text(
            0.03,
            0.97,
            p.get("estimate", ""),
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=10.5,
            bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9},
        )
    return fig
