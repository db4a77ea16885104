"""What the MDI table says: mass points (-1, 0, +1, undefined), component summaries, derivation
types, lineage families, the per-model covariates every MDI chapter uses (:func:`covariates`),
and the scorecard of paper 1's stylised facts with family-clustered tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data.schema import (
    RELATIONS,
    arrow_strings,
    frame_edge_rows,
    lookup_rows,
    snapshot_date,
    string_codes,
    unique_sorted,
)
from ..errors import HflineageError, check_choice
from ..lineage.size import model_size
from ..verdicts import Evidence, Verdict, sign_rule, threshold_rule
from . import inference as I
from .graph import MdiGraph

# ------------------------------------------------------------------------------------------------
# The primary reading and the summaries for the chapters
# ------------------------------------------------------------------------------------------------
#: The MDI every verdict uses: the literal index (the CD index with "cites" read as "declares as
#: base model"), the one the literature defines.  The other variants are readings reported beside
#: it ("which reading would reproduce the paper"), never the verdict.
PRIMARY_VARIANT = "cd"


#: Roots of the MDI graph score +1 whenever they have a successor (Holst et al.'s zero-reference
#: trap), so the primary sample leaves them out.
PRIMARY_INCLUDE_ROOTS = False


#: How in-degree (direct derivatives) is counted: ``after_window`` counts only children created
#: after the focal model's window closes — the window's own children are the MDI's numerator, so
#: counting them makes "MDI rises with in-degree" mechanical; ``snapshot`` counts every child at
#: the snapshot date (the old reading, kept to show the difference).
INDEGREE_READINGS = ("after_window", "snapshot")


#: Categories of an MDI value: the three mass points, the open intervals between, and undefined.
MASS_CATEGORIES = ("−1", "(−1, 0)", "0", "(0, 1)", "+1", "undefined")


#: Group names of the scorecard's pattern-2 comparisons (column suffixes).
SIZE_GROUPS = ("large", "smaller")


DERIVATION_GROUPS = ("finetune", "other_derivation")


def mass_category(values: pd.Series | np.ndarray) -> pd.Categorical:
    """Each MDI value's category in :data:`MASS_CATEGORIES` (exact −1, 0 and +1 are mass points)."""
    x = np.asarray(values, dtype=float)
    conds = [x == -1, (x > -1) & (x < 0), x == 0, (x > 0) & (x < 1), x == 1, np.isnan(x)]
    codes = np.select(conds, np.arange(len(MASS_CATEGORIES)), default=-1)
    return pd.Categorical.from_codes(codes, categories=list(MASS_CATEGORIES))


def mass_points(result: pd.DataFrame) -> pd.DataFrame:
    """Per variant: focal models with a successor (``rows``), the share of rows in each
    :data:`MASS_CATEGORIES`, and the shares negative / zero / positive among *defined* values
    (``share_negative`` etc.; the paper's "most models are consolidative" is a statement about
    these).
    """
    frame = result if "variant" in result.columns else result.assign(variant="mdi")
    variant = pd.Categorical(frame["variant"])
    k, n_cat = len(variant.categories), len(MASS_CATEGORIES)
    # one bincount over (variant, category) codes: crosstab and groupbys took seconds at 10M rows
    counts = np.bincount(
        variant.codes.astype(np.int64) * n_cat + mass_category(frame["mdi"]).codes,
        minlength=k * n_cat,
    ).reshape(k, n_cat)
    rows = counts.sum(axis=1)
    out = pd.DataFrame(
        counts / np.where(rows > 0, rows, np.nan)[:, None],
        index=pd.CategoricalIndex(
            variant.categories, categories=variant.categories, name="variant"
        ),
        columns=list(MASS_CATEGORIES),
    )
    out.insert(0, "rows", rows)
    x = frame["mdi"].to_numpy(float)
    by_variant = lambda mask: np.bincount(variant.codes[mask], minlength=k)  # noqa: E731
    defined = by_variant(~np.isnan(x))
    out["defined"] = defined
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_negative"] = by_variant(x < 0) / defined
        out["share_zero"] = by_variant(x == 0) / defined
        out["share_positive"] = by_variant(x > 0) / defined
    return out.reset_index()


def derivation_type(models: pd.DataFrame, edges: pd.DataFrame) -> pd.Series:
    """How each model was derived, in the paper's "through finetuning strategies" sense: the
    relation of its declared base-model edges (finetune, adapter, quantized, merge), or ``root``
    when it declares no base model.  Indexed by ``model_id``, in the order of ``models``.  A
    model whose edges carry several relations gets the most frequent (ties: :data:`RELATIONS`
    order).
    """
    _require(edges, ("child", "relation"), "edges")
    ids = arrow_strings(models["model_id"])
    return _derivation(ids, lookup_rows(arrow_strings(edges["child"]), ids), edges["relation"])


def _derivation(ids: pa.Array, child_row: np.ndarray, relation: pd.Series) -> pd.Series:
    """:func:`derivation_type` from the rows of the edges' children (-1: not a model)."""
    # relation codes in RELATIONS order (ties go to the first); anything else gets the last code
    rel = pc.index_in(arrow_strings(relation), pa.array(RELATIONS, pa.large_string()))
    rel = pc.fill_null(rel, len(RELATIONS)).to_numpy(zero_copy_only=False).astype(np.int64)
    k = len(RELATIONS) + 1
    ok = child_row >= 0
    counts = np.bincount(child_row[ok] * k + rel[ok], minlength=len(ids) * k).reshape(len(ids), k)
    code = np.where(counts.any(axis=1), counts.argmax(axis=1) + 1, 0)  # 0 = root
    code[code == k] = -1  # an unknown relation wins: undefined, as a category it cannot be
    return pd.Series(
        pd.Categorical.from_codes(code, categories=["root", *RELATIONS]),
        index=pd.Index(ids.to_numpy(zero_copy_only=False), name="model_id"),
        name="derivation",
    )


def lineage_family(graph: MdiGraph) -> pd.Series:
    """Each model's lineage family: its earliest ancestor without a parent in the MDI graph (the
    model itself for a root).  Used to cluster standard errors: derivatives of one base model
    share shocks.  Indexed by ``model_id`` (time order).
    """
    family = _family_positions(graph)
    return pd.Series(graph.model_id[family], index=pd.Index(graph.model_id, name="model_id"))


def _family_positions(graph: MdiGraph) -> np.ndarray:
    """Per graph position, the position of its lineage family's root (:func:`lineage_family`)."""
    coo = graph.ancestors.tocoo()
    top = graph.n_parents[coo.col] == 0
    rows, cols = coo.row[top], coo.col[top]
    family = np.arange(graph.n)
    if len(rows):
        # positions are in time order, so the smallest root position is the earliest root
        first = np.full(graph.n, graph.n, dtype=np.int64)
        np.minimum.at(first, rows, cols)
        has = first < graph.n
        family[has] = first[has]
    return family


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise HflineageError(
            f"{what}: missing column {missing[0]!r}; expected at least {', '.join(columns)}"
        )


_US_PER_DAY = 86_400 * 1_000_000


def in_degree(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    window_days: float = 90,
    reading: str = "after_window",
    rows: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Each model's number of direct derivatives (children declaring it as a base), aligned with
    ``models``.

    ``reading="snapshot"`` counts every child at the snapshot date (as
    :func:`hflineage.lineage.network.graph_arrays` does).  ``reading="after_window"`` counts only
    the children with a reliable creation date after ``t_F + window_days``, the end of the model's
    MDI window; it is NaN for a model with an unreliable date or whose window has not closed by
    the snapshot (never focal models).

    Args:
        models: the models table (``model_id``, ``created_at``, ``created_at_reliable``).
        edges: lineage edges (``child``, ``parent``) from
            :func:`hflineage.lineage.edges.build_edges`.
        window_days: the MDI window in days.
        reading: one of :data:`INDEGREE_READINGS`.
        rows: the rows of the edges' children and parents in ``models``
            (:func:`hflineage.data.schema.edge_rows`), when several windows share them.

    Returns:
        A float array, one value per row of ``models``.
    """
    check_choice("reading", reading, INDEGREE_READINGS)
    return _in_degrees(models, edges, window_days, rows)[reading]


def _in_degrees(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    window_days: float,
    rows: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Both readings of :func:`in_degree` in one pass (``rows``: the rows of the edges' children
    and parents, from :func:`hflineage.data.schema.edge_rows`, if made).
    """
    _require(models, ("model_id", "created_at", "created_at_reliable"), "models")
    _require(edges, ("child", "parent"), "edges")
    if not (np.isfinite(window_days) and window_days > 0):
        raise HflineageError(f"window_days must be a positive number of days; got {window_days!r}")
    if rows is None:
        _, child, parent = frame_edge_rows(models, edges)
    else:
        child, parent = rows
    ok = (child >= 0) & (parent >= 0) & (child != parent)
    n = len(models)
    keys = unique_sorted(child[ok].astype(np.int64) * n + parent[ok])
    c, p = np.divmod(keys, n)
    t = pd.to_datetime(models["created_at"], utc=True).dt.as_unit("us").astype("int64").to_numpy()
    reliable = models["created_at_reliable"].fillna(False).to_numpy(bool)
    w = int(round(window_days * _US_PER_DAY))
    after = reliable[c] & (t[c] > t[p] + w)
    out = np.bincount(p[after], minlength=n).astype(float)
    snap = pd.Timestamp(snapshot_date(models))
    snap = snap.tz_localize("UTC") if snap.tzinfo is None else snap
    closed = reliable & (t + w <= snap.value // 1000)
    out[~closed] = np.nan
    return {"snapshot": np.bincount(p, minlength=n).astype(float), "after_window": out}


def with_indegree(covariates: pd.DataFrame, reading: str) -> pd.DataFrame:
    """The :func:`covariates` frame with ``in_degree`` / ``log_in_degree`` switched to another
    reading of :data:`INDEGREE_READINGS` (both raw counts are in every covariates frame).
    """
    check_choice("reading", reading, INDEGREE_READINGS)
    deg = covariates[f"in_degree_{reading}"].to_numpy(float)
    out = covariates.assign(in_degree=deg, log_in_degree=np.log1p(deg))
    out.attrs = {**covariates.attrs, "indegree": reading}
    return out


def covariates(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    graph: MdiGraph | None = None,
    *,
    window_days: float = 90,
    inherit_size: bool = True,
    indegree: str = "after_window",
) -> pd.DataFrame:
    """The per-model covariates of every MDI test (scorecard, who-disrupts regressions, the
    robustness curve), built once.

    One row per model, indexed by ``model_id`` in the order of ``models``:

    - ``params``, ``log10_params``, ``size_source``: :func:`hflineage.lineage.size.model_size`
      (NaN when unknown; inherited from the base when ``inherit_size``);
    - ``derivation``: :func:`derivation_type` (root, finetune, adapter, quantized, merge);
    - ``is_root``: no predecessor in the MDI graph (``graph``), so n_j = n_k = 0;
    - ``in_degree_snapshot`` and ``in_degree_after_window`` (:func:`in_degree`), and
      ``in_degree`` / ``log_in_degree`` = log(1 + in-degree) under the reading ``indegree``;
    - ``pipeline_tag`` (``none`` if missing) and ``year`` (of creation), for fixed effects;
    - ``family``: :func:`lineage_family`, the cluster of every standard error, and
      ``family_row``, its root's row in ``models`` (an integer code of the same clusters).

    Args:
        models: the models table.
        edges: lineage edges from :func:`hflineage.lineage.edges.build_edges`.
        graph: the :class:`MdiGraph` of ``models`` and ``edges`` (built if ``None``).
        window_days: the MDI window; in-degree after the window counts children created later.
        inherit_size: a derivative without a size in its name takes its base's.
        indegree: which in-degree goes in ``in_degree``: one of :data:`INDEGREE_READINGS`.

    Returns:
        The covariates frame; ``attrs`` records ``window_days`` and ``indegree``.
    """
    check_choice("indegree", indegree, INDEGREE_READINGS)
    if graph is None:
        graph = MdiGraph.from_frames(models, edges)
    _require(edges, ("child", "parent", "relation"), "edges")
    ids, child_row, parent_row = frame_edge_rows(models, edges)
    if not ids.equals(graph.ids):
        raise HflineageError("graph: built from other models; pass the MdiGraph of these models")
    size = model_size(models, edges, inherit=inherit_size)
    deg = _in_degrees(models, edges, window_days, (child_row, parent_row))
    at = graph.position_of_row  # each row's position in the MDI graph
    family_row = graph.row_of[_family_positions(graph)[at]]
    family = graph.ids.take(pa.array(family_row))
    tags = (
        models["pipeline_tag"].astype(object).fillna("none").to_numpy()
        if "pipeline_tag" in models.columns
        else np.full(len(models), "none", dtype=object)
    )
    out = pd.DataFrame(
        {
            "params": size["params"].to_numpy(),
            "log10_params": size["log10_params"].to_numpy(),
            "size_source": size["size_source"].to_numpy(),
            "derivation": _derivation(ids, child_row, edges["relation"]).to_numpy(),
            "is_root": (graph.n_parents == 0)[at],
            "in_degree_snapshot": deg["snapshot"],
            "in_degree_after_window": deg["after_window"],
            "in_degree": deg[indegree],
            "log_in_degree": np.log1p(deg[indegree]),
            "pipeline_tag": tags,
            "year": pd.to_datetime(models["created_at"], utc=True).dt.year.to_numpy(),
            "family": family.to_numpy(zero_copy_only=False),
            "family_row": family_row,
        },
        index=pd.Index(ids.to_numpy(zero_copy_only=False), name="model_id"),
    )
    out.attrs = {"window_days": window_days, "indegree": indegree, "inherit_size": inherit_size}
    return out


#: The scorecard's patterns: claim, what the paper says (a clause for the verdict sentence).
PATTERNS = {
    "1": ("P1-most-consolidative", "most MDI values are negative"),
    "2a": ("P1-size", "large models are more often disruptive (MDI > 0)"),
    "2b": ("P1-finetune", "finetunes are more often disruptive than other derivatives"),
    "3": ("P1-indegree", "the MDI rises with in-degree"),
}


def consolidative_verdict(
    share_negative: float,
    share_positive: float,
    *,
    label: str = "",
    threshold: float = 0.5,
    above: bool = True,
    inclusive: bool = False,
    contrary: float = 0.5,
) -> Verdict:
    """Pattern 1 (P1-most-consolidative) by the declared threshold rule
    (:func:`hflineage.verdicts.threshold_rule`): with the defaults, reproduced if more than half of
    the defined values are negative, contradicted if more than half are positive.

    Args:
        share_negative: share of defined MDI values below 0.
        share_positive: share of defined MDI values above 0 (the opposite pattern).
        label: the reading, e.g. ``"cd, roots out"``, for the sentence.
        threshold: share of negative values the claim needs.
        above: the claim is that the share is high.
        inclusive: whether a share equal to ``threshold`` passes.
        contrary: share of positive values beyond which the data say the opposite.
    """
    tail = f" ({label})" if label else ""
    return threshold_rule(
        share_negative,
        threshold=threshold,
        above=above,
        inclusive=inclusive,
        contrary=contrary,
        opposite=share_positive,
        opposite_label="share of MDI values above 0" + tail,
        label="share of MDI values below 0" + tail,
        subject=PATTERNS["1"][1],
        fmt=".1%",
    )


def _status(est: I.Estimate, label: str, alpha: float, min_effect: float) -> str:
    if not np.isfinite(est.estimate) or not np.isfinite(est.p):
        return "not testable"
    ev = Evidence(label, est.estimate, est.se, est.p, est.n, est.clusters)
    return sign_rule(ev, expected="positive", alpha=alpha, min_effect=min_effect).status


def covariate_rows(result: pd.DataFrame, covariates: pd.DataFrame) -> np.ndarray:
    """The row of :func:`covariates` of each row of an MDI result: its ``model_row`` when the
    covariates were built from the same models table (checked id by id, in Arrow), else by id.
    """
    cov_ids = arrow_strings(pd.Series(covariates.index))
    ids = arrow_strings(result["model_id"])
    if "model_row" in result.columns:
        rows = result["model_row"].to_numpy(np.int64)
        if (rows < len(cov_ids)).all() and cov_ids.take(pa.array(rows)).equals(ids):
            return rows
    rows = lookup_rows(ids, cov_ids)
    if (rows < 0).any():
        bad = ids[int(np.flatnonzero(rows < 0)[0])].as_py()
        raise HflineageError(f"covariates: no row for model {bad!r}; build them from these models")
    return rows


def scorecard(
    result: pd.DataFrame,
    covariates: pd.DataFrame,
    *,
    large: float = 1e10,
    alpha: float = 0.05,
    min_gap: float = 0.01,
    min_rho: float = 0.05,
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
    two-sided at ``alpha``, at least ``min_gap`` / ``min_rho``); ``status_*`` is the verdict each
    reading would get, ``pattern_*`` is True where it is "reproduced".  ``n_reproduced``
    counts the patterns reproduced, ``n_contradicted`` those significantly the other way.
    """
    _require(covariates, ("params", "derivation", "in_degree", "family"), "covariates")
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
        gap = I.share_gap(pos, big, small, fam)
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
        gap = I.share_gap(pos, fine, derived & ~fine, fam)
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
        rho = I.clustered_spearman(x, degree_all[at_v], fam)
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
    out.attrs = {"large": large, "alpha": alpha, "min_gap": min_gap, "min_rho": min_rho}
    return out


def spearman_evidence(
    card: pd.DataFrame, variant: str = PRIMARY_VARIANT, *, label: str
) -> Evidence:
    """Pattern 3 of a :func:`scorecard` row as :class:`~hflineage.verdicts.Evidence`: Spearman's
    rho of ``variant`` with its family-clustered SE, p-value, rows and families.
    """
    rows = card[card["variant"].astype(str) == variant]
    if rows.empty:
        raise HflineageError(f"scorecard has no variant {variant!r}; expected one of its rows")
    r = rows.iloc[0]
    return Evidence(
        label,
        float(r["spearman_rho"]),
        float(r["se_3"]),
        float(r["p_3"]),
        int(r["n_3"]),
        int(r["clusters_3"]),
    )


def component_summary(result: pd.DataFrame) -> pd.DataFrame:
    """Per variant: how often each component is non-zero and its share of all successors.

    ``has_n_i`` etc. are shares of focal models with that component > 0; ``n_i_share`` etc. are
    the component's share of all (focal, successor) pairs; ``mean_successors`` is the mean of
    n_i + n_j + n_k.  Under "declares as base model" n_j > 0 needs a successor that declares F
    *and* F's own base, which Hugging Face cards rarely do: the reason the literal index is
    almost never negative.
    """
    frame = result if "variant" in result.columns else result.assign(variant="mdi")
    g = frame.groupby("variant", observed=True, sort=False)
    total = g[["n_i", "n_j", "n_k"]].sum()
    succ = total.sum(axis=1)
    out = pd.DataFrame(
        {
            "rows": g.size(),
            "has_n_i": g["n_i"].apply(lambda s: (s > 0).mean()),
            "has_n_j": g["n_j"].apply(lambda s: (s > 0).mean()),
            "has_n_k": g["n_k"].apply(lambda s: (s > 0).mean()),
            "n_i_share": total["n_i"] / succ,
            "n_j_share": total["n_j"] / succ,
            "n_k_share": total["n_k"] / succ,
            "mean_successors": succ / g.size(),
        }
    )
    return out.reset_index()
