"""The Model Disruption Index: the engine (:mod:`~hflineage.mdi.index` on the arrays of
:mod:`~hflineage.mdi.graph`), what its table says and the covariates every test uses
(:mod:`~hflineage.mdi.facts`), family-clustered inference (:mod:`~hflineage.mdi.inference`), who
disrupts (:mod:`~hflineage.mdi.models`), whether that regression finds a planted effect
(:mod:`~hflineage.mdi.simulate`), the index over many readings (:mod:`~hflineage.mdi.robustness`)
and the chapter figures (:mod:`~hflineage.mdi.plots`).  :mod:`~hflineage.mdi.reference` is a
plain implementation kept for tests.

The verdicts use the literal index (:data:`PRIMARY_VARIANT`, roots out); the other variants are
readings shown beside it.
"""

from .facts import (
    DERIVATION_GROUPS,
    INDEGREE_READINGS,
    MASS_CATEGORIES,
    PATTERNS,
    PRIMARY_INCLUDE_ROOTS,
    PRIMARY_VARIANT,
    SIZE_GROUPS,
    component_summary,
    consolidative_verdict,
    covariates,
    derivation_type,
    in_degree,
    lineage_family,
    mass_category,
    mass_points,
    scorecard,
    spearman_evidence,
    with_indegree,
)
from .graph import PREDECESSORS, RESULT_COLUMNS, VARIANTS, MdiGraph
from .index import exclusion_table, index_from_components, mdi, mdi_all

__all__ = [
    "DERIVATION_GROUPS",
    "INDEGREE_READINGS",
    "MASS_CATEGORIES",
    "PATTERNS",
    "PREDECESSORS",
    "PRIMARY_INCLUDE_ROOTS",
    "PRIMARY_VARIANT",
    "RESULT_COLUMNS",
    "SIZE_GROUPS",
    "VARIANTS",
    "MdiGraph",
    "component_summary",
    "consolidative_verdict",
    "covariates",
    "derivation_type",
    "exclusion_table",
    "in_degree",
    "index_from_components",
    "lineage_family",
    "mass_category",
    "mass_points",
    "mdi",
    "mdi_all",
    "scorecard",
    "spearman_evidence",
    "with_indegree",
]
