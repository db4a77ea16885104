"""The lineage chapter's tables (rules, relation mix, resolution share) and figures, checked on
``test_network``'s hand-built network and read back from the drawn artists.

    r <- a <- b <- c        b is tagged lora (adapter), c gguf (quantized)
    r <- d -> b             d declares two bases (a merge)
    gone/x <- e             e's base is not in the snapshot
    p <-> q,  p <- s        a 2-cycle and s below it;  i isolated

Edges: a->r, e->gone/x, p->q, q->p, s->p finetune (no rule matched), b->a adapter, c->b
quantized, d->r and d->b merge: 9 edges, 8 of them to models of the snapshot.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import make_models  # noqa: E402
from test_network import ROWS  # noqa: E402

from hflineage import lineage  # noqa: E402
from hflineage.chapter.report import PALETTE, legibility_problems, set_theme  # noqa: E402
from hflineage.data.schema import RELATIONS  # noqa: E402
from hflineage.errors import HflineageError  # noqa: E402
from hflineage.lineage import network  # noqa: E402
from hflineage.lineage.funnel import (  # noqa: E402
    AGREEMENT_LABELS,
    declared_resolution_share,
    relation_mix,
    rule_table,
)
from hflineage.lineage.plots import (  # noqa: E402
    plot_depths,
    plot_family_sizes,
    plot_in_degree_ccdf,
    plot_monthly_growth,
)


@pytest.fixture(scope="module")
def built() -> tuple[pd.DataFrame, pd.DataFrame, network.LineageGraph]:
    """The models, edges and graph of ``test_network``'s hand-built network."""
    models = make_models(ROWS)
    edges = lineage.build_edges(models)
    return models, edges, network.graph_arrays(models, edges)


@pytest.fixture(autouse=True)
def theme():
    set_theme()
    yield
    plt.close("all")


def test_rule_table_counts_the_edges_each_rule_typed(built):
    _, edges, _ = built
    table = rule_table(edges)
    assert table["rule"].tolist() == [
        "several_parents",
        "adapter_marker",
        "quantisation_marker",
        lineage.DEFAULT_RULE,
    ]
    assert table["edges"].tolist() == [2, 1, 1, 5]  # d's two edges; b; c; a, e, p, q, s
    assert table["relation"].tolist() == ["merge", "adapter", "quantized", "finetune"]
    assert table["when"].iloc[-1] == "no rule matched"
    assert table["edges"].sum() == len(edges) == 9


def test_relation_mix_and_resolution_share(built):
    _, edges, _ = built
    mix = relation_mix(edges).set_index("relation")
    assert mix.index.tolist() == list(RELATIONS)
    assert mix["edges"].to_dict() == {"finetune": 5, "adapter": 1, "quantized": 1, "merge": 2}
    assert mix.loc["merge", "share of edges"] == pytest.approx(2 / 9)
    assert mix["declared"].sum() == 0 and mix["inferred"].sum() == 9  # untyped tags only
    assert declared_resolution_share(edges) == pytest.approx(8 / 9)  # all but gone/x
    with pytest.raises(HflineageError, match="edges: missing column 'relation_source'"):
        relation_mix(edges.drop(columns="relation_source"))


def test_agreement_labels_name_every_column_of_the_agreement_table(built):
    models, edges, _ = built
    table = lineage.relation_agreement(edges, models)
    assert list(AGREEMENT_LABELS) == table.columns.tolist()
    assert AGREEMENT_LABELS["inferred_merge"] == "rules: merge"


def test_in_degree_ccdf_figure(built):
    graph = built[2]
    fig = plot_in_degree_ccdf(network.in_degree_ccdf(graph))
    line = fig.axes[0].get_lines()[0]
    # in-degree of the models with a derivative: r 2, a 1, b 2, p 2, q 1 -> P(>= 2) = 3/5
    np.testing.assert_allclose(line.get_xdata(), [1, 2])
    np.testing.assert_allclose(line.get_ydata(), [1, 3 / 5])
    assert fig.axes[0].get_legend() is None
    assert legibility_problems(fig, "indegree") == []


def test_monthly_growth_is_stacked_by_relation(built):
    growth = network.monthly_growth(built[2])
    fig = plot_monthly_growth(growth)
    bars = dict(zip(RELATIONS, fig.axes[0].containers, strict=True))
    # children by month: Feb a; Mar b (adapter), c (quantized); Apr d (2 merges), e; May p, q;
    # Jun s (finetune unless said)
    assert [b.get_height() for b in bars["finetune"]] == [1, 0, 1, 2, 1]
    assert [b.get_height() for b in bars["merge"]] == [0, 0, 2, 0, 0]
    assert [b.get_y() for b in bars["merge"]] == [1, 2, 1, 2, 1]  # on the three below
    for k, rel in enumerate(RELATIONS):
        assert mcolors.to_hex(bars[rel][0].get_facecolor()).upper() == PALETTE[k]
    assert legibility_problems(fig, "growth") == []


def test_family_sizes_figure(built):
    sizes = network.family_size_distribution(built[2])  # {r, a, b, c, d}, {p, q, s}, {e, gone/x}
    fig = plot_family_sizes(sizes)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [2, 3, 5])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1, 2 / 3, 1 / 3])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert legibility_problems(fig, "families") == []


def test_depth_figure_lines_not_hairline_bars():
    depths = pd.DataFrame(
        {"depth": [-1, 0, 1, 2, 3], "shortest": [1, 3, 4, 1, 0], "longest": [1, 3, 2, 3, 1]}
    )
    fig = plot_depths(depths)
    (ax,) = fig.axes
    shortest, longest = ax.get_lines()
    assert len(ax.patches) == 0  # no bars at all: one line with a dot per depth and reading
    np.testing.assert_allclose(shortest.get_xdata(), [0, 1, 2, 3])  # depth -1 (a cycle) left out
    np.testing.assert_allclose(shortest.get_ydata(), [3, 4, 1, np.nan])  # no model: a gap
    np.testing.assert_allclose(longest.get_ydata(), [3, 2, 3, 1])
    assert shortest.get_marker() == "o" and shortest.get_linewidth() >= 1.5
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "shortest chain",
        "longest chain",
    ]
    assert legibility_problems(fig, "depths") == []
