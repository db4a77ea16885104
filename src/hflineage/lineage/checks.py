"""The checks every consumer of the edges runs first: does the frame carry the columns it needs,
and is a ``relations`` choice one the lineage knows.

One check each, here, so that the graph (:mod:`hflineage.lineage.network`), the MDI and the race
panel refuse bad input with the same one-line message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from ..data.schema import RELATIONS
from ..errors import HflineageError, ParameterError, check_choice
from .edges import EDGE_COLUMNS

#: Columns of the edges frame the lineage graph needs (a subset of :data:`EDGE_COLUMNS`).
GRAPH_EDGE_COLUMNS = ("child", "parent", "relation", "parent_in_snapshot", "parent_younger")


def check_edges(edges: pd.DataFrame, columns: Sequence[str] = EDGE_COLUMNS) -> None:
    """Raise :class:`HflineageError` unless ``edges`` has every one of ``columns``.

    Args:
        edges: a frame meant to come from :func:`hflineage.lineage.edges.build_edges`.
        columns: the columns the caller reads (default: all of :data:`EDGE_COLUMNS`).

    Raises:
        HflineageError: naming the first missing column and the columns expected.
    """
    missing = [c for c in columns if c not in edges.columns]
    if missing:
        raise HflineageError(
            f"edges: missing column {missing[0]!r}; expected the frame of "
            f"hflineage.lineage.edges.build_edges with the columns {', '.join(columns)}"
        )


def check_relations(
    relations: Iterable[str] | str | None, *, allow_empty: bool = False
) -> tuple[str, ...] | None:
    """Validate a ``relations`` choice: None (all relations) or some of :data:`RELATIONS`.

    Args:
        relations: None, one relation name, or several.
        allow_empty: accept an empty selection (no edge kept) instead of refusing it.

    Returns:
        None, or the relations as a tuple (a single name becomes a one-element tuple).

    Raises:
        ParameterError: an unknown relation name, or an empty selection unless ``allow_empty``.
    """
    if relations is None:
        return None
    if isinstance(relations, str):
        relations = (relations,)
    relations = tuple(relations)
    if not relations and not allow_empty:
        raise ParameterError(
            "relations is empty; expected None (all) or some of: " + ", ".join(RELATIONS)
        )
    for rel in relations:
        check_choice("relations", rel, RELATIONS)
    return relations
