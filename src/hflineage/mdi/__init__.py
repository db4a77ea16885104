"""The Model Disruption Index: the engine (:mod:`~hflineage.mdi.index` on the arrays of
:mod:`~hflineage.mdi.graph`), the per-model covariates every test uses
(:mod:`~hflineage.mdi.covariates`), what an MDI table says (:mod:`~hflineage.mdi.summaries`),
the paper's patterns under every reading (:mod:`~hflineage.mdi.patterns`), family-clustered
inference (:mod:`~hflineage.mdi.inference`), who disrupts (:mod:`~hflineage.mdi.regressions`),
whether that regression finds a planted effect (:mod:`~hflineage.mdi.simulate`), the numbers the
verdict rules take (:mod:`~hflineage.mdi.evidence`), the index over many readings
(:mod:`~hflineage.mdi.robustness`) and the chapter figures (:mod:`~hflineage.mdi.plots`).
:mod:`~hflineage.mdi.reference` is a plain implementation kept for tests.

The verdicts use the literal index (:data:`PRIMARY_VARIANT`, roots out); the other variants are
readings shown beside it.
"""

from .covariates import (
    INDEGREE_READINGS,
    covariate_rows,
    covariates,
    derivation_type,
    in_degree,
    lineage_family,
    with_indegree,
)
from .evidence import PATTERNS, consolidative_verdict, spearman_evidence
from .graph import (
    PREDECESSORS,
    PRIMARY_INCLUDE_ROOTS,
    PRIMARY_VARIANT,
    RESULT_COLUMNS,
    VARIANTS,
    MdiGraph,
)
from .index import exclusion_table, index_from_components, mdi, mdi_all
from .patterns import scorecard
from .summaries import MASS_CATEGORIES, component_summary, mass_category, mass_points

__all__ = [
    "INDEGREE_READINGS",
    "MASS_CATEGORIES",
    "PATTERNS",
    "PREDECESSORS",
    "PRIMARY_INCLUDE_ROOTS",
    "PRIMARY_VARIANT",
    "RESULT_COLUMNS",
    "VARIANTS",
    "MdiGraph",
    "component_summary",
    "consolidative_verdict",
    "covariate_rows",
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
