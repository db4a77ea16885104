"""The Model Disruption Index: the engine (:mod:`~hflineage.mdi.index` on the arrays of
:mod:`~hflineage.mdi.graph`), what its table says (:mod:`~hflineage.mdi.facts`), who disrupts
(:mod:`~hflineage.mdi.models`), the index over many readings (:mod:`~hflineage.mdi.robustness`)
and the chapter figures (:mod:`~hflineage.mdi.plots`).  :mod:`~hflineage.mdi.reference` is a
plain implementation kept for tests.
"""

from .facts import (
    DERIVATION_GROUPS,
    MASS_CATEGORIES,
    SIZE_GROUPS,
    component_summary,
    derivation_type,
    lineage_family,
    mass_category,
    mass_points,
    scorecard,
)
from .graph import BOOK_VARIANT, PREDECESSORS, RESULT_COLUMNS, VARIANTS, MdiGraph
from .index import exclusion_table, index_from_components, mdi, mdi_all

__all__ = [
    "BOOK_VARIANT",
    "DERIVATION_GROUPS",
    "MASS_CATEGORIES",
    "PREDECESSORS",
    "RESULT_COLUMNS",
    "SIZE_GROUPS",
    "VARIANTS",
    "MdiGraph",
    "component_summary",
    "derivation_type",
    "exclusion_table",
    "index_from_components",
    "lineage_family",
    "mass_category",
    "mass_points",
    "mdi",
    "mdi_all",
    "scorecard",
]
