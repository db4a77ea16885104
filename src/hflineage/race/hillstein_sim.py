"""The simulation that checks the maturation → quality design (HS-quality) on the panel's real
structure: every team's first entry keeps its base, account, month, kind and maturation; only the
quality outcome is drawn, with a planted maturation effect and base potential and account habits
that go with entry speed, so that a design that ignores them is fooled
(:func:`simulate_quality`).  :func:`simulation_sentence` and :func:`simulation_numbers` say what
it found.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..lineage.headlines import number_table
from .hillstein import check_frame
from .hillstein_fits import residualise

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
    check_frame(frame, needed, "simulate_quality")
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
    started = time.perf_counter()
    data = frame[needed].dropna().reset_index(drop=True)
    settings = {
        "rows": len(data),
        "draws": int(draws),
        "potential_corr": potential_corr,
        "account_corr": account_corr,
    }
    if len(data) < 10 or data["base_id"].nunique() < 3:  # too little data: nothing to say
        nan = dict.fromkeys(("mean", "bias", "sd", "mc_error"), np.nan)
        out = pd.DataFrame(
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
        out.attrs = settings
        return out
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
    out.attrs = {**settings, "noise_sd": noise_sd, "seconds": time.perf_counter() - started}
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


def simulation_numbers(sim: pd.DataFrame) -> pd.DataFrame:
    """The numbers the chapter quotes about the simulation (a
    :func:`~hflineage.lineage.headlines.number_table`): its run time, its settings (draws,
    planted effect, the two correlations), the sentence, and the declared design's (first
    row's) bias, Monte-Carlo error and spread; the designs it flags.
    """
    check_frame(sim, ("design", "truth", "bias", "mc_error", "sd", "flagged"), "simulation_numbers")
    first = sim.iloc[0]
    rows = [
        ("hs_sim_seconds", sim.attrs.get("seconds"), "seconds for the simulation", ".1f"),
        ("hs_sim_draws", sim.attrs.get("draws"), "simulated outcomes", None),
        ("hs_sim_beta", first["truth"], "planted maturation effect", "g"),
        (
            "hs_sim_rho_b",
            sim.attrs.get("potential_corr"),
            "correlation of potential with fast entry",
            "g",
        ),
        (
            "hs_sim_rho_a",
            sim.attrs.get("account_corr"),
            "correlation of corner-cutting with speed",
            "g",
        ),
        ("hs_sim_sentence", simulation_sentence(sim), "what the simulation found", None),
        ("hs_sim_bias", first["bias"], "bias of the declared design (simulation)", "+.5f"),
        ("hs_sim_mc", first["mc_error"], "its Monte-Carlo error", ".5f"),
        ("hs_sim_sd", first["sd"], "spread of the declared design's estimate over draws", ".4f"),
        (
            "hs_sim_flagged",
            ", ".join(sim.loc[sim["flagged"].astype(bool), "design"]) or "no design",
            "designs the simulation flags as biased",
            None,
        ),
    ]
    return number_table(rows)
