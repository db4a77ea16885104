"""A simulation study on the race panel's real timing: which specification can tell priority from time?

Within a base, entry rank, the lag since the base's release and age at the snapshot move together
(:func:`hflineage.race.samples.clock_correlations`), so a negative rank coefficient could come from
any of them.  This module keeps everything real about the panel — its bases, creation times,
ranks, congestion, lags, ages and controls — and replaces only the outcome with one generated
under a known process:

======================  ========================================================================
process                 outcome ``y = base effect + f + noise``, ``f`` =
======================  ========================================================================
(a) ``exposure``        ``exposure · log(1 + age)``: likes accrue with time on the Hub
(b) ``decay``           ``decay · log(1 + lag)``: the base's attention fades after its release
(b') ``burst``          ``burst · exp(-lag / burst_days)``: a launch burst of another shape
(c) ``rank``            ``rank · log(entry rank)``: a true priority effect
(d) ``congestion``      ``congestion · log(1 + congestion)``: a true congestion effect
(e) ``rank+decay``      (c) + (b)
======================  ========================================================================

The base effect is the base's mean real ``log(1 + likes)`` (any value would do: every
specification has base fixed effects); the noise is normal with the within-base standard
deviation of the real ``log(1 + likes)``; the controls have no effect.  Each candidate
specification of :data:`CANDIDATES` is fitted to every simulated outcome through the one-demeaning
fast path :func:`hflineage.race.regressions.ols_many`, and :func:`simulation_study` reports the mean
estimate over the draws (and its spread) against the truth.  :func:`recovery_table` applies the
selection rule: a specification qualifies if it recovers a true rank and a true congestion effect
and is fooled neither by exposure nor by either shape of base-attention decay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError, check_choice
from .placebo import placebo_fits, placebo_test, pseudo_base_ranks
from .regressions import ols_many
from .specs import CONGESTION, CONTROLS, EXPOSURE, LAG, PRIORITY, SPECS

#: Process name → (short label, what generates the outcome).
PROCESSES: dict[str, tuple[str, str]] = {
    "exposure": ("(a) pure exposure", "likes accrue with age at the snapshot"),
    "decay": ("(b) base-attention decay", "likes fall with log(1 + lag) since the base's release"),
    "burst": (
        "(b') launch burst",
        "likes fall exponentially with the lag since the base's release",
    ),
    "rank": ("(c) rank effect", "likes fall with log entry rank"),
    "congestion": ("(d) congestion effect", "likes fall with log(1 + congestion)"),
    "rank+decay": ("(e) rank effect + decay", "(c) and (b) together"),
}


#: Candidate specifications, simplest first: (label, name in :data:`~hflineage.race.specs.SPECS`).
CANDIDATES: tuple[tuple[str, str], ...] = (
    ("rank alone (base FE)", "priority_naive"),
    ("+ log age", "priority_age"),
    ("+ creation-month FE", "priority_exposure"),
    ("+ congestion", "both_exposure"),
    ("old baseline (+ controls)", "baseline_exposure"),
    ("+ log lag (linear)", "both_loglag"),
    ("+ lag bins (flexible)", "both_lagbins"),
    ("+ lag spline (flexible)", "both_lagspline"),
    ("+ lag bins + controls", "baseline_lagbins"),
    ("+ lag spline + controls", "baseline_lagspline"),
)


@dataclass(frozen=True)
class Effects:
    """The sizes of the simulated effects (on the log(1 + likes) scale).

    Attributes:
        exposure: per unit of log(1 + age in days); positive: older models have more likes.
        decay: per unit of log(1 + lag in days); -0.24 is the log-lag coefficient the book's old
            baseline gets on the embedded snapshot when log lag is added.
        burst: the launch bonus of an entrant at lag 0 in the ``burst`` process.
        burst_days: its time constant (days).
        rank: per unit of log entry rank (the true priority effect).
        congestion: per unit of log(1 + congestion).
        noise_sd: the noise's standard deviation; ``None``: the within-base standard deviation
            of the panel's real log(1 + likes).
    """

    exposure: float = 0.3
    decay: float = -0.24
    burst: float = 0.6
    burst_days: float = 30.0
    rank: float = -0.15
    congestion: float = -0.10
    noise_sd: float | None = None


def truth(process: str, effects: Effects = Effects()) -> dict[str, float]:
    """The true coefficients of log entry rank and log(1 + congestion) under ``process``."""
    check_choice("process", process, tuple(PROCESSES))
    return {
        PRIORITY: effects.rank if process in ("rank", "rank+decay") else 0.0,
        CONGESTION: effects.congestion if process == "congestion" else 0.0,
    }


def systematic(panel: pd.DataFrame, process: str, effects: Effects = Effects()) -> np.ndarray:
    """The systematic part ``f`` of the outcome under ``process`` (module docstring table)."""
    check_choice("process", process, tuple(PROCESSES))
    if process == "exposure":
        return effects.exposure * panel[EXPOSURE].to_numpy(float)
    if process == "rank":
        return effects.rank * panel[PRIORITY].to_numpy(float)
    if process == "congestion":
        return effects.congestion * panel[CONGESTION].to_numpy(float)
    lag = panel["lag_days"].to_numpy(float)
    if process == "burst":
        return effects.burst * np.exp(-lag / effects.burst_days)
    decay = effects.decay * np.log1p(lag)
    return decay if process == "decay" else effects.rank * panel[PRIORITY].to_numpy(float) + decay


def _noise_sd(panel: pd.DataFrame, effects: Effects) -> float:
    if effects.noise_sd is not None:
        if not effects.noise_sd > 0:
            raise ParameterError(f"noise_sd={effects.noise_sd!r}; expected a positive number")
        return float(effects.noise_sd)
    y = panel["log_likes"].to_numpy(float)
    within = y - panel.groupby("base_id")["log_likes"].transform("mean").to_numpy(float)
    sd = float(np.sqrt((within**2).mean()))
    return sd if sd > 0 else 1.0


def simulate_outcomes(
    panel: pd.DataFrame,
    process: str,
    *,
    draws: int = 5,
    seed: int = 0,
    effects: Effects = Effects(),
) -> np.ndarray:
    """Outcomes generated under ``process`` on the panel's real timing (rows × ``draws``).

    ``y = base effect + f + noise``: the base effect is the base's mean real log(1 + likes),
    ``f`` is :func:`systematic`, the noise normal (sd ``effects.noise_sd``).  Seeded per process,
    so adding a process does not change the others' draws.
    """
    if int(draws) != draws or draws < 1:
        raise ParameterError(f"draws={draws!r}; expected an integer >= 1")
    k = list(PROCESSES).index(process) if process in PROCESSES else -1
    f = systematic(panel, process, effects)
    base = panel.groupby("base_id")["log_likes"].transform("mean").to_numpy(float)
    rng = np.random.default_rng([int(seed), k])
    noise = rng.normal(0.0, _noise_sd(panel, effects), size=(len(panel), int(draws)))
    return (base + f)[:, None] + noise


def _sim_frame(panel: pd.DataFrame, specs: Sequence[str]) -> pd.DataFrame:
    needed = {"base_id", "log_likes", "lag_days", PRIORITY, CONGESTION, EXPOSURE, LAG}
    for name in specs:
        check_choice("spec", name, tuple(SPECS))
        s = SPECS[name]
        needed |= set(s.regressors) | set(s.fixed_effects)
    missing = sorted(needed - set(panel.columns))
    if missing:
        raise ParameterError(
            f"simulation: panel has no column {missing[0]!r}; build it with "
            "hflineage.race.panel.build_panel"
        )
    cols = [c for c in panel.columns if c in needed]
    frame = panel.loc[:, cols].reset_index(drop=True)
    for c in CONTROLS:
        if c in frame:
            frame[c] = frame[c].astype(float)
    return frame


def simulation_study(
    panel: pd.DataFrame,
    *,
    processes: Sequence[str] = tuple(PROCESSES),
    candidates: Sequence[tuple[str, str]] = CANDIDATES,
    draws: int = 5,
    seed: int = 0,
    effects: Effects = Effects(),
) -> pd.DataFrame:
    """Every candidate specification on outcomes simulated under every process.

    Args:
        panel: the race panel (its real timing is kept).
        processes: names of :data:`PROCESSES`.
        candidates: (label, specification) pairs, default :data:`CANDIDATES`.
        draws: simulated outcomes per process (the estimates are averaged over them).
        seed: random seed.
        effects: the simulated effect sizes.

    Returns:
        One row per (process, specification, term) for the terms log entry rank and
        log(1 + congestion): ``process``, ``process_label``, ``spec``, ``label``, ``term``,
        ``truth``, ``mean`` (mean estimate over the draws; NaN when the specification does not
        have the term), ``sd`` (its spread over the draws), ``min``, ``max``, ``mean_se`` (mean
        clustered standard error), ``reject`` (share of draws with p < 0.05), ``draws``.
    """
    for p in processes:
        check_choice("process", p, tuple(PROCESSES))
    names = [spec for _, spec in candidates]
    frame = _sim_frame(panel, names)
    outcome_cols = []
    meta = {}
    sims = {}
    for p in processes:
        y = simulate_outcomes(frame, p, draws=draws, seed=seed, effects=effects)
        for d in range(y.shape[1]):
            col = f"sim_{p}_{d}"
            sims[col] = y[:, d]
            outcome_cols.append(col)
            meta[col] = p
    frame = pd.concat([frame, pd.DataFrame(sims)], axis=1)
    tidy = ols_many(frame, names, outcome_cols)
    tidy = tidy[tidy["term"].isin([PRIORITY, CONGESTION])].assign(
        process=lambda t: t["outcome"].map(meta)
    )
    stats = (
        tidy.assign(sig=tidy["p_value"] < 0.05)
        .groupby(["process", "spec", "term"], sort=False)
        .agg(
            mean=("estimate", "mean"),
            sd=("estimate", "std"),
            min=("estimate", "min"),
            max=("estimate", "max"),
            mean_se=("std_error", "mean"),
            reject=("sig", "mean"),
            draws=("estimate", "size"),
        )
    )
    labels = dict((spec, label) for label, spec in candidates)
    rows = []
    for p in processes:
        t = truth(p, effects)
        for spec in names:
            for term in (PRIORITY, CONGESTION):
                key = (p, spec, term)
                row = stats.loc[key].to_dict() if key in stats.index else {}
                rows.append(
                    {
                        "process": p,
                        "process_label": PROCESSES[p][0],
                        "spec": spec,
                        "label": labels[spec],
                        "term": term,
                        "truth": t[term],
                        "mean": row.get("mean", np.nan),
                        "sd": row.get("sd", np.nan),
                        "min": row.get("min", np.nan),
                        "max": row.get("max", np.nan),
                        "mean_se": row.get("mean_se", np.nan),
                        "reject": row.get("reject", np.nan),
                        "draws": int(row.get("draws", 0)),
                    }
                )
    out = pd.DataFrame(rows)
    out.attrs = {"effects": effects.__dict__, "draws": int(draws), "seed": int(seed)}
    return out


def recovery_table(
    study: pd.DataFrame, *, tol_effect: float = 0.05, tol_null: float = 0.03
) -> pd.DataFrame:
    """The selection rule applied to a :func:`simulation_study`.

    A specification *recovers* a term under a process if its mean estimate is within
    ``tol_effect`` of a non-zero truth, or within ``tol_null`` of a zero truth (it is not
    fooled).  A term the specification does not estimate fails where the truth is non-zero and
    is not counted where it is zero.

    Returns:
        One row per specification (in the study's order): ``spec``, ``label``, one column per
        (process, term) checked, ``True``/``False``; ``recovered`` (how many checks pass),
        ``checks``, ``max_error`` (the largest |mean - truth| over the checks) and
        ``qualifies`` (every check passes).
    """
    if not (tol_effect > 0 and tol_null > 0):
        raise ParameterError("recovery_table: tolerances must be positive numbers")
    err = (study["mean"] - study["truth"]).abs()
    tol = np.where(study["truth"] != 0, tol_effect, tol_null)
    ok = err <= tol
    counted = study["mean"].notna() | (study["truth"] != 0)
    sub = study.assign(ok=ok.to_numpy(bool))[counted.to_numpy(bool)]
    short = {PRIORITY: "rank", CONGESTION: "congestion"}
    sub = sub.assign(
        check=sub["process_label"].str.split(" ").str[0] + " " + sub["term"].map(short)
    )
    wide = sub.pivot_table(index="spec", columns="check", values="ok", aggfunc="first", sort=False)
    order = list(dict.fromkeys(study["spec"]))
    wide = wide.reindex(order)
    checks = wide.notna().sum(axis=1)
    passed = wide.fillna(False).astype(bool).sum(axis=1)
    out = wide.astype(object).where(wide.notna(), "")
    out.insert(0, "label", study.drop_duplicates("spec").set_index("spec").loc[order, "label"])
    out["recovered"] = passed.astype(int)
    out["checks"] = checks.astype(int)
    out["max_error"] = (
        sub.assign(err=err[counted.to_numpy(bool)]).groupby("spec")["err"].max().reindex(order)
    )
    out["qualifies"] = (passed == checks).to_numpy(bool)
    out.columns.name = None
    return out.reset_index()


def select_primary(recovery: pd.DataFrame) -> str | None:
    """The selection rule's choice: of the specifications that qualify (:func:`recovery_table`),
    the ones that control the lag flexibly (a spline or bins: no assumed shape for the
    base-attention decay) and add no controls, the one with the smallest largest error; ``None``
    if none qualifies.
    """
    flexible = recovery["spec"].map(lambda n: SPECS[n].lag_control in ("spline", "bins"))
    plain = recovery["spec"].map(lambda n: not SPECS[n].controls)
    ok = recovery[recovery["qualifies"].astype(bool) & flexible & plain]
    if ok.empty:
        return None
    return str(ok.sort_values("max_error", kind="stable")["spec"].iloc[0])


def placebo_study(
    panel: pd.DataFrame,
    *,
    processes: Sequence[str] = ("decay", "rank"),
    spec: str = "priority_exposure",
    sim_draws: int = 2,
    placebo_draws: int = 100,
    seed: int = 0,
    neighbours: int = 5,
    effects: Effects = Effects(),
) -> pd.DataFrame:
    """The timing placebo (:mod:`hflineage.race.placebo`) on simulated outcomes.

    For each process and simulated draw: the priority coefficient of ``spec`` with the real
    ranks (``actual``) and with ``placebo_draws`` pseudo-base ranks (one set of pseudo-base
    ranks, shared by every outcome), and :func:`~hflineage.race.placebo.placebo_test`.

    Returns:
        One row per (process, draw): ``process``, ``process_label``, ``spec``, ``draw``,
        ``actual``, ``mean``, ``sd``, ``z``, ``p_timing`` (large: timing alone produces the
        estimate, so the priority reading is rejected).
    """
    frame = _sim_frame(panel, [spec])
    for c in ("base_created_at", "entry_rank", "base_n_derivatives"):
        frame[c] = panel[c].to_numpy()
    ranks = np.column_stack(
        [
            frame["entry_rank"].to_numpy(float),
            pseudo_base_ranks(frame, draws=placebo_draws, seed=seed, neighbours=neighbours),
        ]
    )
    sims = {}
    for p in processes:
        y = simulate_outcomes(frame, p, draws=sim_draws, seed=seed, effects=effects)
        sims.update({(p, d): y[:, d] for d in range(y.shape[1])})
    names = {key: f"sim_{key[0]}_{key[1]}" for key in sims}
    frame = pd.concat(
        [frame, pd.DataFrame({names[k]: v for k, v in sims.items()}, index=frame.index)], axis=1
    )
    fits = placebo_fits(frame, ranks, spec=spec, outcome=list(names.values()))
    rows = []
    for (p, d), col in names.items():
        est = fits.loc[fits["outcome"] == col, "estimate"].to_numpy()
        test = placebo_test(float(est[0]), est[1:])
        rows.append(
            {"process": p, "process_label": PROCESSES[p][0], "spec": spec, "draw": d, **test}
        )
    return pd.DataFrame(rows)


# Revision 2 (issue 17, item 5) lives in :mod:`hflineage.race.sim_counts` (the count process)
# and :mod:`hflineage.race.calibrate` (designs on every draw, calibration, flags); its names are
# re-exported here so that ``simulate.CountProcess`` etc. keep working.
from .sim_counts import (  # noqa: E402
    SESOI_DROP_PER_DOUBLING,
    STRUCTURE,
    CountProcess,
    base_decay_slopes,
    draw_counts,
    fill_speed,
    log_mean,
    rank_column,
    rank_composition,
    rank_slope,
)

__all__ = [
    "CANDIDATES",
    "PROCESSES",
    "SESOI_DROP_PER_DOUBLING",
    "STRUCTURE",
    "CountProcess",
    "Effects",
    "base_decay_slopes",
    "draw_counts",
    "fill_speed",
    "log_mean",
    "placebo_study",
    "rank_column",
    "rank_composition",
    "rank_slope",
    "recovery_table",
    "select_primary",
    "simulate_outcomes",
    "simulation_study",
    "systematic",
    "truth",
]
