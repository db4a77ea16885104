"""The lineage network's headline numbers, one row per number as chapter 2 quotes them.

Each function returns a table with :data:`NUMBER_COLUMNS` (``key``, ``value``, ``description``,
``fmt``) that :meth:`hflineage.chapter.report.Chapter.record_numbers` records in one call:
:func:`funnel_numbers` (parsing and normalisation), :func:`relation_numbers` (relation types and
the rules' agreement) and :func:`network_numbers` (shape, concentration, families, growth).
Values are plain Python numbers and words (the ``value`` column has dtype object, so a count
stays a whole number beside a share).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..data.schema import RELATIONS
from ..errors import HflineageError
from .funnel import declared_resolution_share
from .network import LineageGraph
from .rules import VALIDATION_AGREEMENT

#: The columns of a table of quoted numbers.
NUMBER_COLUMNS = ("key", "value", "description", "fmt")


def number_table(rows: list[tuple[str, object, str, str | None]]) -> pd.DataFrame:
    """Rows of (key, value, description, format) as a table of :data:`NUMBER_COLUMNS` whose
    values keep their Python type (dtype object: 12 stays 12 beside 0.5).
    """
    return pd.DataFrame(rows, columns=list(NUMBER_COLUMNS), dtype=object)


def _counts(edges: pd.DataFrame) -> Mapping[str, object]:
    counts = edges.attrs.get("lineage_counts")
    if not counts:
        raise HflineageError(
            "edges: no lineage_counts in attrs; expected the edges build_edges returned"
        )
    return counts


def funnel_numbers(edges: pd.DataFrame, funnel: pd.DataFrame) -> pd.DataFrame:
    """What the parsing phases and the normalisation yield: declared pairs and edges, pairs by
    phase, self-references, how parents were resolved, external parents, younger parents and
    cycles.

    Args:
        edges: :func:`hflineage.lineage.edges.build_edges` (its ``attrs["lineage_counts"]``).
        funnel: :func:`hflineage.lineage.funnel.lineage_funnel` of the same edges.
    """
    counts = _counts(edges)
    step = funnel.set_index("step")
    alias = counts["alias_by_rule"]
    pairs = counts["pairs_total"]
    return number_table(
        [
            ("n_pairs", pairs, "declared (child, parent) pairs", ","),
            ("n_edges", len(edges), "lineage edges after normalisation", ","),
            (
                "n_typed_pairs",
                counts["pairs_typed_tag"] + counts["pairs_hub_stats"],
                "pairs with a declared relation type (phase 1)",
                ",",
            ),
            ("n_tag_pairs", counts["pairs_tag"], "pairs from untyped base_model tags", ","),
            ("n_self_declared", counts["self_loops_declared"], "self-references as declared", ","),
            ("n_self_alias", counts["self_loops_alias"], "self-references after alias", ","),
            (
                "share_resolved",
                declared_resolution_share(edges),
                "non-self declared pairs whose parent is a model of the snapshot",
                ".1%",
            ),
            ("share_exact", step.loc["resolved: exact", "share"], "edges resolved exactly", ".1%"),
            (
                "n_alias_canonical",
                alias.get("canonical", 0),
                "edges resolved by a canonical-org alias",
                ",",
            ),
            ("n_alias_unique", alias.get("unique", 0), "edges by a unique name", ","),
            ("n_case", step.loc["resolved: case-insensitive", "count"], "edges by case", ","),
            (
                "share_unresolved",
                step.loc["unresolved (external parent)", "share"],
                "edges whose parent is not in the snapshot",
                ".1%",
            ),
            (
                "n_external",
                int(edges.loc[~edges["parent_in_snapshot"], "parent"].nunique()),
                "distinct external parents",
                ",",
            ),
            ("n_younger", int(edges["parent_younger"].sum()), "edges with a younger parent", ","),
            ("n_cycles", counts["cycles"], "directed cycles (strong components)", ","),
            ("n_cycle_edges", int(edges["in_cycle"].sum()), "edges on a cycle", ","),
        ]
    )


def relation_numbers(edges: pd.DataFrame, agreement: pd.DataFrame) -> pd.DataFrame:
    """How the edges got their relation: declared or inferred, the rules' agreement with the
    Hub's later typing (:data:`~hflineage.lineage.rules.VALIDATION_AGREEMENT`), the share of each
    relation, and how many declared relations the rules reproduce on this snapshot (the share
    only when there are any).

    Args:
        edges: :func:`hflineage.lineage.edges.build_edges`.
        agreement: :func:`hflineage.lineage.funnel.relation_agreement` of the same edges.
    """
    source = edges["relation_source"]
    shares = edges["relation"].value_counts(normalize=True).reindex(list(RELATIONS), fill_value=0)
    overall = agreement.set_index("relation").loc["all"]
    rows = [
        (
            "n_declared_relation",
            int((source == "declared").sum()),
            "edges with a declared relation",
            ",",
        ),
        (
            "share_inferred",
            float((source == "inferred").mean()) if len(edges) else float("nan"),
            "edges whose relation is inferred",
            ".1%",
        ),
        (
            "validation_edges",
            VALIDATION_AGREEMENT["shared_edges"],
            "edges shared with the Hub's typed edges",
            ",",
        ),
        (
            "agreement_default",
            VALIDATION_AGREEMENT["default"],
            "agreement of the default rules",
            ".1%",
        ),
        (
            "agreement_brief",
            VALIDATION_AGREEMENT["brief"],
            "agreement of the rules as first specified",
            ".1%",
        ),
        *(
            (f"share_{rel}", float(shares[rel]), f"share of edges typed {rel}", ".1%")
            for rel in RELATIONS
        ),
        (
            "n_agreement_edges",
            int(overall["declared_edges"]),
            "edges with a declared relation, typed again by the rules",
            ",",
        ),
    ]
    if overall["declared_edges"]:
        rows.append(
            (
                "agreement_declared",
                overall["share"],
                "share of declared relations the rules reproduce",
                ".1%",
            )
        )
    return number_table(rows)


def network_numbers(
    graph: LineageGraph,
    *,
    summary: pd.DataFrame,
    concentration: pd.DataFrame,
    families: pd.DataFrame,
    depths: pd.DataFrame,
    growth: pd.DataFrame,
    top_share: float,
) -> pd.DataFrame:
    """The network's shape in the numbers the chapter quotes: models in a lineage, parents,
    families and depth (from ``summary``), the in-degree's concentration, the largest family,
    the share of lineage models one edge below a root, and the last full month's growth.

    Args:
        graph: :func:`hflineage.lineage.network.graph_arrays`.
        summary: :func:`~hflineage.lineage.network.network_summary` of ``graph``.
        concentration: :func:`~hflineage.lineage.network.concentration` (its ``top_share``
            row at the fraction the chapter shows).
        families: :func:`~hflineage.lineage.network.families`.
        depths: :func:`~hflineage.lineage.network.depth_distribution`.
        growth: :func:`~hflineage.lineage.network.monthly_growth`; its last month is partial
            (the snapshot's), so the last *full* month is quoted.
        top_share: the top fraction of parents ``concentration`` was computed at.
    """
    s = summary.set_index("measure")["value"]
    c = concentration.set_index("measure")["value"]
    in_lineage = s["models_in_lineage"] / s["models"]
    largest = (
        families.loc[families["size"].idxmax()]
        if len(families)
        else pd.Series({"top_root": "", "roots": 0})
    )
    lin = depths[depths["depth"] >= 0]
    depth1 = (
        float(lin.loc[lin["depth"] == 1, "shortest"].sum() / lin["shortest"].sum())
        if len(lin)
        else float("nan")
    )
    full = growth[growth["month"] < growth["month"].max()]
    last = growth.loc[(full if len(full) else growth)["month"].idxmax()]
    rows = [
        (
            "n_models_in_lineage",
            int(s["models_in_lineage"]),
            "models with a parent or child",
            ",",
        ),
        ("share_models_in_lineage", in_lineage, "share of models in some lineage", ".1%"),
        ("share_outside_lineage", 1 - in_lineage, "share of models in no lineage", ".1%"),
        ("n_parents_nodes", int(s["parents"]), "nodes with at least one derivative", ","),
        ("n_families", int(s["families"]), "families (weak components with an edge)", ","),
        ("largest_family", int(s["largest_family"]), "nodes in the largest family", ","),
        ("max_depth", int(s["max_depth_longest"]), "longest chain from a root (edges)", ","),
        ("gini_parents", c["gini_parents"], "Gini of in-degree among parents", ".2f"),
        ("gini_all", c["gini_all_models"], "Gini of in-degree over all models", ".3f"),
        ("top_share_edges", c["top_share"], "share of edges held by the top parents", ".1%"),
        ("top_share_label", f"{top_share:.0%}", "top fraction of parents", None),
        (
            "n_parents_models",
            int(c["n_parents"]),
            "models of the snapshot with at least one derivative",
            ",",
        ),
        (
            "max_in_degree",
            int(graph.in_degree.max()) if graph.n_nodes else 0,
            "largest in-degree",
            ",",
        ),
        ("largest_family_root", str(largest["top_root"]), "largest family's top root", None),
        ("largest_family_roots", int(largest["roots"]), "roots in the largest family", ","),
        ("share_depth1", depth1, "share of lineage models at shortest depth 1", ".1%"),
        ("growth_month", last["month"].strftime("%B %Y"), "last full month", None),
        ("growth_last_full", int(last["total"]), "new edges in the last full month", ","),
        (
            "growth_merge_share",
            float(last["merge"] / last["total"]) if last["total"] else float("nan"),
            "merge share of new edges in the last full month",
            ".0%",
        ),
    ]
    return number_table(rows)
