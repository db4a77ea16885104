"""The scorecard of paper 1's stylised facts: each MDI reading (variant, with or without roots)
tested on the paper's patterns with family-clustered tests (:func:`scorecard`), and which
readings would reproduce each pattern (:func:`readers`, :func:`best_readings`).  The scorecard
answers "which reading would reproduce the paper"; it decides no verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schema import arrow_strings, require_columns, string_codes, unique_sorted
from ..verdicts import Evidence, sign_rule
from . import inference as I
from .covariates import covariate_rows
from .evidence import PATTERNS, consolidative_verdict


def _status(est: I.Estimate, label: str, alpha: float, min_effect: float) -> str:
    """The sign rule's status for one scorecard cell (expected positive, no sesoi)."""
    if not np.isfinite(est.estimate) or not np.isfinite(est.p):
        return "not testable"
    ev = Evidence(label, est.estimate, est.se, est.p, est.n, est.clusters)
    return sign_rule(ev, expected="positive", alpha=alpha, min_effect=min_effect).status


def scorecard(
    result: pd.DataFrame,
    covariates: pd.DataFrame,
    *,
    large: float = 1e10,
    alpha: float = 0.05,
    min_gap: float = 0.01,
    min_rho: float = 0.05,
    vcov: str = "CR3",
) -> pd.DataFrame:
    """The paper's three stylised facts, tested per variant of an :func:`mdi_all` result with
    standard errors clustered by lineage family.

    ``covariates`` is :func:`covariates` (``params``, ``derivation``, ``in_degree``,
    ``family``).  On the rows with a defined MDI:

    - **pattern 1** (P1-most-consolidative): more than half of the values below 0
      (:func:`consolidative_verdict`; contradicted if more than half are above 0);
    - **pattern 2a** (P1-size): share with MDI > 0 among models of at least ``large`` parameters
      minus the share among smaller models of known size (:func:`~hflineage.mdi.inference.share_gap`);
    - **pattern 2b** (P1-finetune): share with MDI > 0 among finetunes minus among the other
      derivations (adapter, quantized, merge); roots and MDI-graph roots (``is_root``: a +1 by
      construction) are left out;
    - **pattern 3** (P1-indegree): Spearman's correlation of MDI with in-degree
      (:func:`~hflineage.mdi.inference.clustered_spearman`).

    Patterns 2a, 2b and 3 go through :func:`hflineage.verdicts.sign_rule` (expected positive,
    two-sided at ``alpha``, at least ``min_gap`` / ``min_rho``, standard errors ``vcov``: CR3 by
    default, :func:`~hflineage.mdi.inference.cluster_ols`); ``status_*`` is what each reading
    would get, ``pattern_*`` is True where it is "reproduced".  Patterns 2a and 2b are *raw*
    differences of shares, not chapter 4's regression with controls that decides P1-size and
    P1-finetune, so a cell can differ from those claims' verdicts.  ``n_reproduced``
    counts the patterns reproduced, ``n_contradicted`` those significantly the other way.
    """
    require_columns(covariates, ("params", "derivation", "in_degree", "family"), "covariates")
    frame = result if "variant" in result.columns else result.assign(variant="mdi")
    at = covariate_rows(frame, covariates)
    defined = frame["mdi"].notna().to_numpy(bool)
    # the covariates as arrays, families as integer codes (3 million strings: taken once)
    params_all = covariates["params"].to_numpy(float)
    deriv = covariates["derivation"].astype(object).to_numpy()
    derived_all, fine_all = deriv != "root", deriv == "finetune"
    family_all = (
        covariates["family_row"].to_numpy(np.int64)
        if "family_row" in covariates.columns
        else string_codes(arrow_strings(covariates["family"]))
    )
    degree_all = covariates["in_degree"].to_numpy(float)
    rows = []
    for variant, where in frame.groupby("variant", observed=True, sort=False).indices.items():
        where = where[defined[where]]  # a variant whose values are all undefined keeps its row
        d = frame.iloc[where]
        at_v = at[where]
        x = d["mdi"].to_numpy(float)
        pos = x > 0
        fam = family_all[at_v]
        row = {"variant": str(variant), "n": len(d), "families": len(unique_sorted(fam))}
        row["share_negative"] = float((x < 0).mean()) if len(x) else np.nan
        row["share_zero"] = float((x == 0).mean()) if len(x) else np.nan
        row["share_positive"] = float(pos.mean()) if len(x) else np.nan
        row["status_1"] = consolidative_verdict(row["share_negative"], row["share_positive"]).status

        params = params_all[at_v]
        known = ~np.isnan(params)
        big, small = known & (params >= large), known & (params < large)
        gap = I.share_gap(pos, big, small, fam, vcov=vcov)
        row.update(
            {
                "share_positive_large": pos[big].mean() if big.any() else np.nan,
                "share_positive_smaller": pos[small].mean() if small.any() else np.nan,
                "n_large": int(big.sum()),
                "n_smaller": int(small.sum()),
                "gap_2a": gap.estimate,
                "se_2a": gap.se,
                "p_2a": gap.p,
                "status_2a": _status(gap, "share gap, large − smaller", alpha, min_gap),
            }
        )
        root = d["is_root"].to_numpy(bool) if "is_root" in d.columns else np.zeros(len(d), bool)
        derived = derived_all[at_v] & ~root
        fine = derived & fine_all[at_v]
        gap = I.share_gap(pos, fine, derived & ~fine, fam, vcov=vcov)
        row.update(
            {
                "share_positive_finetune": pos[fine].mean() if fine.any() else np.nan,
                "share_positive_other_derivation": pos[derived & ~fine].mean()
                if (derived & ~fine).any()
                else np.nan,
                "n_finetune": int(fine.sum()),
                "n_other_derivation": int((derived & ~fine).sum()),
                "gap_2b": gap.estimate,
                "se_2b": gap.se,
                "p_2b": gap.p,
                "status_2b": _status(gap, "share gap, finetune − other", alpha, min_gap),
            }
        )
        rho = I.clustered_spearman(x, degree_all[at_v], fam, vcov=vcov)
        row.update(
            {
                "spearman_rho": rho.estimate,
                "se_3": rho.se,
                "p_3": rho.p,
                "n_3": rho.n,
                "clusters_3": rho.clusters,
                "status_3": _status(rho, "Spearman rho", alpha, min_rho),
            }
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    keys = list(PATTERNS)
    for k in keys:
        out[f"pattern_{k}"] = out[f"status_{k}"] == "reproduced"
    out["n_reproduced"] = out[[f"pattern_{k}" for k in keys]].sum(axis=1).astype(int)
    out["n_contradicted"] = (
        (out[[f"status_{k}" for k in keys]] == "contradicted").sum(axis=1).astype(int)
    )
    out.attrs = {
        "large": large,
        "alpha": alpha,
        "min_gap": min_gap,
        "min_rho": min_rho,
        "vcov": vcov,
    }
    return out


def readers(cards: pd.DataFrame, key: str) -> list[tuple[str, str]]:
    """The readings that would reproduce pattern ``key`` ("1", "2a", "2b", "3") in a scorecard
    with a ``roots`` column: ``(variant, "without and with roots")`` pairs in order of first
    appearance (the chapter words them with :func:`hflineage.chapter.sentences.grouped`).
    """
    hits = cards[cards[f"pattern_{key}"].astype(bool)]
    return [
        (str(v), " and ".join(sorted(set(hits.loc[hits["variant"] == v, "roots"]))) + " roots")
        for v in dict.fromkeys(hits["variant"])
    ]


def best_readings(cards: pd.DataFrame) -> pd.DataFrame:
    """Every reading tied at the most patterns reproduced, fewest contradicted first (then in
    the scorecard's order): ``variant``, ``roots``, ``n_reproduced``, ``n_contradicted``.
    """
    top = cards[cards["n_reproduced"] == cards["n_reproduced"].max()]
    cols = ["variant", "roots", "n_reproduced", "n_contradicted"]
    return top.sort_values("n_contradicted", kind="stable")[cols].reset_index(drop=True)


#: Readable names of the scorecard's status columns (what each reading would get).
STATUS_LABELS = {
    "status_1": "(1) most negative",
    "status_2a": "(2a) large models (raw)",
    "status_2b": "(2b) finetunes (raw)",
    "status_3": "(3) in-degree",
}


#: The scorecard's numbers (shares, share differences, Spearman's rho and their SEs), in order.
NUMBER_COLUMNS = [
    "share_negative",
    "share_positive",
    "share_positive_large",
    "share_positive_smaller",
    "gap_2a",
    "se_2a",
    "share_positive_finetune",
    "share_positive_other_derivation",
    "gap_2b",
    "se_2b",
    "spearman_rho",
    "se_3",
]


#: Readable names of every scorecard column a chapter shows.
LABELS = {
    **STATUS_LABELS,
    "n": "focal models",
    "families": "lineage families",
    "n_reproduced": "reproduced (of 4)",
    "n_contradicted": "contradicted (of 4)",
    "share_negative": "(1) negative",
    "share_positive": "positive",
    "gap_2a": "(2a) large − smaller",
    "se_2a": "(2a) SE",
    "share_positive_large": "positive, large",
    "share_positive_smaller": "positive, smaller",
    "gap_2b": "(2b) finetune − other",
    "se_2b": "(2b) SE",
    "share_positive_finetune": "positive, finetunes",
    "share_positive_other_derivation": "positive, other derivations",
    "spearman_rho": "(3) Spearman's rho",
    "se_3": "(3) SE",
}
