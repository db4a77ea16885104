"""The revision-2 design grid as the race chapter shows it: one row per design × estimator ×
rank reading with the estimate, the identifying variation the design leaves (the rank's residual
variance share) and what the calibrated simulation found (bias, SE ratio, size, power, valid).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .designs import ESTIMATOR_LABELS

#: The columns of :func:`design_view`.
VIEW_COLUMNS = (
    "design",
    "estimator",
    "rank",
    "estimate",
    "se",
    "crv1_se",
    "p",
    "resid_share",
    "bias",
    "ratio",
    "size",
    "power",
    "simulation",
)


def design_view(
    fits: pd.DataFrame, selection: dict[str, object] | None = None, term: str = "rank"
) -> pd.DataFrame:
    """The design × estimator table of ``fits`` (:func:`~hflineage.race.designs.design_table`,
    one or several rank readings) for ``term``, joined with the selection's table
    (:func:`~hflineage.race.evidence.select_primary`) on design and estimator for the team-rank
    rows: ``simulation`` says "primary", "valid" or why a pair is not valid ("not simulated" when
    the chapter's simulation did not run it, "not estimated: ..." when the fit failed).

    Returns:
        The columns of :data:`VIEW_COLUMNS`, ``design`` as its label and ``estimator`` in words.
    """
    missing = [c for c in ("design", "label", "estimator", "rank", "term") if c not in fits]
    if missing:
        raise ParameterError(
            f"design_view: fits have no column {missing[0]!r}; expected design_table"
        )
    t = fits[fits["term"] == term].copy()
    sim_cols = ["bias", "ratio", "size", "power"]
    if selection is not None:
        sel = selection["table"][["design", "estimator", *sim_cols, "valid", "why_not"]]
        t = t.merge(sel.assign(rank="team"), on=["design", "estimator", "rank"], how="left")
        primary = selection["primary"]
        is_primary = [(d, e) == primary for d, e in zip(t["design"], t["estimator"], strict=True)]
        status = np.where(
            t["why_not"].isna(),
            "not simulated",
            np.where(t["valid"].fillna(False).astype(bool), "valid", t["why_not"].fillna("")),
        )
        status = np.where(status == "estimator not eligible", "valid (secondary estimand)", status)
        t["simulation"] = np.where(is_primary, "primary", status)
        t.loc[t["rank"] != "team", "simulation"] = "not simulated"
    else:
        for c in sim_cols:
            t[c] = np.nan
        t["simulation"] = "not simulated"
    failed = t["estimate"].isna() & t["note"].astype(str).ne("")
    t.loc[failed, "simulation"] = "not estimated: " + t.loc[failed, "note"].astype(str)
    if "crv1_se" not in t:  # fits read with pyfixest's CRV1 only
        t["crv1_se"] = t["se"]
    t["design"] = t["label"]
    t["estimator"] = t["estimator"].map(ESTIMATOR_LABELS)
    return t[list(VIEW_COLUMNS)].reset_index(drop=True)


#: The columns of an empty flag table (a simulation that could not run).
FLAG_COLUMNS = ("design", "estimator", "term", "draws", "bias", "mc_error", "real_se", "ratio")
FLAG_COLUMNS += ("calibrated", "size", "size_low", "size_high", "power", "flagged", "settled")


def simulated_flags(
    panel: pd.DataFrame,
    real: pd.DataFrame,
    *,
    draws: int = 20,
    max_draws: int | None = None,
    seed: int = 0,
    terms: tuple[str, ...] = ("rank",),
) -> pd.DataFrame:
    """The calibrated simulation's flag table for the chapter
    (:func:`hflineage.race.calibrate.simulation_table` on ``panel``'s rank, against ``real``:
    batches of ``draws`` until every pair is settled or has ``max_draws``, each of ``terms``),
    or, where the panel is too small for it (a singular fit on the ``ci`` slice), an empty flag
    table whose ``attrs["error"]`` says why — the selection then finds no primary and the
    verdicts say "not testable" with that reason.
    """
    import time

    from .calibrate import simulation_table

    start = time.perf_counter()
    try:
        return simulation_table(
            panel, real, draws=draws, max_draws=max_draws, seed=seed, terms=terms
        )
    except (np.linalg.LinAlgError, ParameterError, ValueError) as exc:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})
        empty.attrs = {
            "error": f"the simulation could not be fitted on this panel ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no message'})",
            "seconds": time.perf_counter() - start,
            "draws": int(draws),
        }
        return empty
