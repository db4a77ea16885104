"""The lineage funnel: how many declarations each phase and resolution step yields or drops."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schema import RELATIONS
from .edges import PHASES, build_edges
from .rules import DEFAULT_RULE, INFERENCE_RULES


# --------------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------------
def lineage_funnel(models: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """The phased-parsing funnel as a table: yield of each phase and of each normalisation step.

    Columns: ``stage`` (phases / normalisation / relation / checks), ``step``, ``count``,
    ``share`` and ``of`` (what the share is of: declared pairs or edges).  Counts that exist only
    while building (self-references, duplicates, alias and inference rules, cycles) come from
    ``edges.attrs["lineage_counts"]``; when ``edges`` lost its attrs they are recomputed from
    ``models`` with the default parameters.  Everything else is counted on ``edges`` as passed.
    """
    counts = edges.attrs.get("lineage_counts")
    if not counts:
        counts = build_edges(models).attrs["lineage_counts"]
    n_pairs = counts["pairs_total"]
    n_edges = len(edges)
    rows: list[tuple[str, str, int, float, str]] = []

    def add(stage: str, step: str, count: int, base: int, of: str) -> None:
        rows.append((stage, step, int(count), count / base if base else float("nan"), of))

    for phase in PHASES:
        add("phases", f"{phase}: declared pairs", counts[f"pairs_{phase}"], n_pairs, "pairs")
    add("phases", "all phases: declared pairs", n_pairs, n_pairs, "pairs")
    add(
        "normalisation",
        "self-references dropped: declared (own id, up to case)",
        counts["self_loops_declared"],
        n_pairs,
        "pairs",
    )
    add(
        "normalisation",
        "self-references dropped: after alias resolution",
        counts["self_loops_alias"],
        n_pairs,
        "pairs",
    )
    add(
        "normalisation",
        "duplicates dropped (found earlier)",
        counts["duplicates"],
        n_pairs,
        "pairs",
    )
    for phase in PHASES:
        add("normalisation", f"{phase}: new edges", counts[f"edges_{phase}"], n_edges, "edges")
    add("normalisation", "edges", n_edges, n_edges, "edges")
    res = edges["resolution"].value_counts()
    add("normalisation", "resolved: exact", res.get("exact", 0), n_edges, "edges")
    add("normalisation", "resolved: case-insensitive", res.get("case", 0), n_edges, "edges")
    for rule in ("canonical", "unique", "hand"):
        add(
            "normalisation",
            f"resolved: alias ({rule})",
            counts["alias_by_rule"].get(rule, 0),
            n_edges,
            "edges",
        )
    add("normalisation", "unresolved (external parent)", res.get("unresolved", 0), n_edges, "edges")
    add("normalisation", "  of which ambiguous case", counts["ambiguous_case"], n_edges, "edges")
    add("normalisation", "parent in snapshot", edges["parent_in_snapshot"].sum(), n_edges, "edges")
    declared = edges["relation_source"] == "declared"
    for rel in RELATIONS:
        add(
            "relation",
            f"declared: {rel}",
            (declared & (edges["relation"] == rel)).sum(),
            n_edges,
            "edges",
        )
    for rule in [*counts.get("rules", [r.name for r in INFERENCE_RULES]), DEFAULT_RULE]:
        add(
            "relation",
            f"inferred: {rule}",
            counts["inference_by_rule"].get(rule, 0),
            n_edges,
            "edges",
        )
    for rel in RELATIONS:
        add("relation", f"all: {rel}", (edges["relation"] == rel).sum(), n_edges, "edges")
    add("checks", "parent younger than child", edges["parent_younger"].sum(), n_edges, "edges")
    add("checks", "edges on a cycle", edges["in_cycle"].sum(), n_edges, "edges")
    add("checks", "cycles (strong components)", counts["cycles"], 0, "components")
    add("checks", "models on a cycle", counts["cycle_models"], 0, "models")
    out = pd.DataFrame(rows, columns=["stage", "step", "count", "share", "of"])
    return out


def resolution_rate(edges: pd.DataFrame) -> float:
    """Share of (non-self) edges whose parent resolves to a model of the snapshot."""
    return float(edges["parent_in_snapshot"].mean()) if len(edges) else float("nan")


def phase_yields(edges: pd.DataFrame) -> pd.DataFrame:
    """Per parsing phase: declared pairs, new edges kept, and how their relation was obtained."""
    counts = edges.attrs.get("lineage_counts", {})
    out = (
        pd.crosstab(edges["phase"], edges["relation_source"])
        .reindex(index=list(PHASES), columns=["declared", "inferred"], fill_value=0)
        .rename_axis(index="phase", columns=None)
        .reset_index()
    )
    out.insert(1, "declared_pairs", [counts.get(f"pairs_{p}", np.nan) for p in PHASES])
    out.insert(2, "new_edges", out["declared"] + out["inferred"])
    return out.rename(columns={"declared": "relation_declared", "inferred": "relation_inferred"})
