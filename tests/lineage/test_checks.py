"""The one edge check and the one relation check every consumer of the edges runs."""

from __future__ import annotations

import pandas as pd
import pytest

from hflineage.data.schema import RELATIONS
from hflineage.errors import HflineageError, ParameterError
from hflineage.lineage.checks import GRAPH_EDGE_COLUMNS, check_edges, check_relations
from hflineage.lineage.edges import EDGE_COLUMNS


def test_check_edges_names_the_first_missing_column_of_the_callers_list():
    full = pd.DataFrame(columns=list(EDGE_COLUMNS))
    check_edges(full)  # all twelve columns: passes
    # the graph needs five columns: a frame with only those passes its check, not the full one
    graph_only = pd.DataFrame(columns=list(GRAPH_EDGE_COLUMNS))
    check_edges(graph_only, GRAPH_EDGE_COLUMNS)
    with pytest.raises(HflineageError, match="^edges: missing column 'declared';"):
        check_edges(graph_only)  # 'declared' is the first of EDGE_COLUMNS not among the five
    with pytest.raises(HflineageError, match="missing column 'in_cycle'"):
        check_edges(
            full.drop(columns=["in_cycle", "child_row"]), ("child", "in_cycle", "child_row")
        )


def test_graph_columns_are_part_of_the_build_edges_contract():
    assert set(GRAPH_EDGE_COLUMNS) <= set(EDGE_COLUMNS)


def test_check_relations_normalises_and_refuses():
    assert check_relations(None) is None
    assert check_relations("finetune") == ("finetune",)
    assert check_relations(["merge", "adapter"]) == ("merge", "adapter")
    assert check_relations((), allow_empty=True) == ()
    with pytest.raises(ParameterError, match="relations is empty; expected None"):
        check_relations([])
    with pytest.raises(ParameterError, match="unknown value 'fine' for parameter 'relations'"):
        check_relations(["finetune", "fine"])
    assert set(RELATIONS) >= {"finetune", "merge", "adapter", "quantized"}
