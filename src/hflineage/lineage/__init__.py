"""The lineage network: typed parent->child edges by phased parsing, the graph built from them,
and model sizes (from names, safetensors counts, or inherited from the base).

``build_edges(models)`` is the entry point; :mod:`hflineage.lineage.network` turns its edges into
graph arrays and descriptives; :mod:`hflineage.lineage.size` sizes the models.
"""

from .edges import EDGE_COLUMNS, PHASES, RESOLUTIONS, build_edges, declared_pairs, derive_aliases
from .funnel import lineage_funnel, phase_yields, relation_agreement, resolution_rate
from .rules import (
    DEFAULT_RELATION,
    DEFAULT_RULE,
    INFERENCE_RULES,
    RULE_SETS,
    VALIDATION_AGREEMENT,
    infer_relations,
)

__all__ = [
    "DEFAULT_RELATION",
    "DEFAULT_RULE",
    "EDGE_COLUMNS",
    "INFERENCE_RULES",
    "PHASES",
    "RESOLUTIONS",
    "RULE_SETS",
    "VALIDATION_AGREEMENT",
    "build_edges",
    "declared_pairs",
    "derive_aliases",
    "infer_relations",
    "lineage_funnel",
    "phase_yields",
    "relation_agreement",
    "resolution_rate",
]
