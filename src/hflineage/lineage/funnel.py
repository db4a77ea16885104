"""The lineage funnel: how many declarations each phase and resolution step yields or drops, and
how often the inference rules agree with the relations the Hub declares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..data.schema import RELATIONS, arrow_strings, frame_edge_rows
from ..errors import HflineageError, check_choice
from .checks import check_edges
from .edges import PHASES, build_edges
from .rules import (
    DEFAULT_RELATION,
    DEFAULT_RULE,
    INFERENCE_RULES,
    RULE_SETS,
    InferenceRule,
    infer_relations,
)


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


#: Reader-facing column names of :func:`relation_agreement`'s table.
AGREEMENT_LABELS = {
    "relation": "declared relation",
    "declared_edges": "edges declared",
    **{f"inferred_{rel}": f"rules: {rel}" for rel in RELATIONS},
    "agreeing": "rules agree",
    "share": "share agreeing",
}


def relation_agreement(
    edges: pd.DataFrame,
    models: pd.DataFrame,
    rules: tuple[InferenceRule, ...] | str | None = None,
) -> pd.DataFrame:
    """How often the inference rules agree with the relations the Hub declares.

    For every edge whose relation is declared (``relation_source == "declared"``: a typed
    ``base_model`` tag, hub-stats ``baseModels`` or the card's ``base_model_relation``), the rules
    are applied as if the relation were missing (phase 3 of
    :func:`hflineage.lineage.edges.build_edges`: the child's tags, library, name and number of
    parents).  One row per declared relation and a final ``all`` row: ``declared_edges``, one
    count column per inferred relation (a confusion table), ``agreeing`` and ``share`` (agreeing /
    declared edges; NaN without declared edges).  ``rules`` defaults to the rules the edges were
    built with (``edges.attrs``), else :data:`~hflineage.lineage.rules.INFERENCE_RULES`.
    """
    check_edges(edges, ("child", "parent", "relation", "relation_source"))
    if "model_id" not in models.columns:
        raise HflineageError("models: missing column 'model_id'")
    rules = _rules_of(edges, rules)
    _, child_pos, _ = frame_edge_rows(models, edges)
    if (child_pos < 0).any():
        raise HflineageError(
            "edges: some children are not models of this table; pass the models the edges were "
            "built from"
        )
    n_parents = np.bincount(child_pos, minlength=len(models))[child_pos]
    declared = (edges["relation_source"] == "declared").to_numpy(bool)
    inferred, _ = infer_relations(
        models,
        child_pos[declared],
        n_parents[declared],
        arrow_strings(edges["parent"]).filter(pa.array(declared)),
        rules,
    )
    table = pd.crosstab(
        pd.Categorical(edges.loc[declared, "relation"].to_numpy(object), categories=RELATIONS),
        pd.Categorical(inferred, categories=RELATIONS),
        dropna=False,
    ).reindex(index=list(RELATIONS), columns=list(RELATIONS), fill_value=0)
    out = table.rename(columns=lambda r: f"inferred_{r}").rename_axis(index="relation")
    out.columns.name = None
    out.loc["all"] = out.sum()
    out.insert(0, "declared_edges", out.sum(axis=1))
    agree = np.diag(table.to_numpy())
    out["agreeing"] = np.r_[agree, agree.sum()]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = out["agreeing"] / out["declared_edges"].where(out["declared_edges"] > 0)
    return out.reset_index()


def rule_table(
    edges: pd.DataFrame, rules: tuple[InferenceRule, ...] | str | None = None
) -> pd.DataFrame:
    """The relation-inference rules in the order they are tried, and how many edges each typed.

    Args:
        edges: the frame of :func:`hflineage.lineage.edges.build_edges` (its ``attrs`` hold the
            count of edges each rule typed).
        rules: a name of :data:`~hflineage.lineage.rules.RULE_SETS` or the rules themselves;
            default: the rules the edges were built with.

    Returns:
        One row per rule and a last row for the fallback (no rule matched): ``rule``,
        ``relation`` (what the rule assigns), ``when`` (its description), ``edges``.
    """
    by_rule = (edges.attrs.get("lineage_counts") or {}).get("inference_by_rule", {})
    rows = [(r.name, r.relation, r.description) for r in _rules_of(edges, rules)]
    rows.append((DEFAULT_RULE, DEFAULT_RELATION, "no rule matched"))
    out = pd.DataFrame(rows, columns=["rule", "relation", "when"])
    out["edges"] = [int(by_rule.get(name, 0)) for name in out["rule"]]
    return out


def relation_mix(edges: pd.DataFrame) -> pd.DataFrame:
    """Edges per relation type, and how each relation was obtained (declared or inferred).

    Returns:
        One row per relation of :data:`~hflineage.data.schema.RELATIONS`: ``relation``,
        ``edges``, ``share of edges`` (of all edges; 0 without edges), ``declared`` and
        ``inferred`` (edges whose relation the data declared or the rules inferred).
    """
    check_edges(edges, ("relation", "relation_source"))
    mix = pd.crosstab(edges["relation"], edges["relation_source"]).reindex(
        index=list(RELATIONS), columns=["declared", "inferred"], fill_value=0
    )
    mix.columns.name = None
    mix.insert(0, "edges", mix.sum(axis=1))
    mix.insert(1, "share of edges", mix["edges"] / max(len(edges), 1))
    return mix.rename_axis("relation").reset_index()


def declared_resolution_share(edges: pd.DataFrame) -> float:
    """Share of the declared (child, parent) pairs, self-references as declared left out, whose
    parent is a model of the snapshot; a pair that turns into a self-reference after alias
    resolution counts as resolved (its parent is the model itself).  NaN without such pairs.
    """
    counts = edges.attrs.get("lineage_counts") or {}
    non_self = counts.get("pairs_total", 0) - counts.get("self_loops_declared", 0)
    resolved = int(edges["parent_in_snapshot"].sum()) + counts.get("self_loops_alias", 0)
    return resolved / non_self if non_self else float("nan")


def _rules_of(edges: pd.DataFrame, rules) -> tuple[InferenceRule, ...]:
    """``rules`` as a tuple: a name of RULE_SETS, the set the edges were built with, or default."""
    if isinstance(rules, str):
        check_choice("rules", rules, tuple(RULE_SETS))
        return RULE_SETS[rules]
    if rules is not None:
        return tuple(rules)
    names = (edges.attrs.get("lineage_counts") or {}).get("rules")
    for candidate in RULE_SETS.values():
        if names == [r.name for r in candidate] and names is not None:
            return candidate
    return INFERENCE_RULES
