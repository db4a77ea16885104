"""The data chapter's schema table, declaration counts and figures, checked against values worked
out by hand and read back from the drawn artists (bar heights, bottoms, colours, labels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import make_models  # noqa: E402

from hflineage.chapter.report import PALETTE, legibility_problems, set_theme  # noqa: E402
from hflineage.data import describe  # noqa: E402
from hflineage.data.plots import (  # noqa: E402
    plot_ccdf,
    plot_models_per_month,
    plot_top_values,
    thousands,
)
from hflineage.data.schema import SCHEMA_COLUMNS  # noqa: E402
from hflineage.errors import HflineageError, ParameterError  # noqa: E402


@pytest.fixture
def models(tiny_listing) -> pd.DataFrame:
    return make_models(tiny_listing)


@pytest.fixture(autouse=True)
def theme():
    set_theme()
    yield
    plt.close("all")


def hex_of(artist) -> str:
    return mcolors.to_hex(artist.get_facecolor()).upper()


def test_schema_table_lists_every_column_with_its_coverage(models):
    table = describe.schema_table(models, example_chars=5)
    assert table["column"].tolist() == list(SCHEMA_COLUMNS)
    row = table.set_index("column")
    # four hand-written models: every id and date present, no pipeline tag anywhere
    assert row.loc["model_id", "non-null"] == 4 and row.loc["pipeline_tag", "non-null"] == 0
    assert row.loc["model_id", "example"] == "org/b"  # "org/base" cut to 5 characters
    assert row.loc["tags", "dtype"] == "large_list<item: large_string>"  # no "[pyarrow]"
    with pytest.raises(ParameterError, match="example_chars must be at least 1"):
        describe.schema_table(models, example_chars=0)
    with pytest.raises(HflineageError, match="missing required column 'params'"):
        describe.schema_table(models.drop(columns="params"))


def test_declarations_count_by_hand(models):
    # base: none; ft: org/base; merged: org/base twice + alice/ft (2 distinct); carol: typed, 1
    got = describe.declarations(models)
    assert got["n_declaring"] == 3 and got["share_declaring"] == pytest.approx(0.75)
    assert got["n_declared_pairs"] == 1 + 2 + 1
    assert got["n_multi_parent"] == 1 and got["n_typed"] == 1


def test_models_per_month_stacks_back_filled_on_reliable_in_the_second_colour():
    per_month = pd.DataFrame(
        {
            "month": pd.to_datetime(["2022-03-01", "2022-04-01"]),
            "reliable": [5, 7],
            "back_filled": [30, 0],
        }
    )
    fig = plot_models_per_month(per_month)
    ax = fig.axes[0]
    reliable, back_filled = ax.containers
    assert [b.get_height() for b in reliable] == [5, 7]
    assert [b.get_height() for b in back_filled] == [30, 0]
    assert [b.get_y() for b in back_filled] == [5, 7]  # stacked on the reliable bars
    assert hex_of(reliable[0]) == PALETTE[0].upper() and hex_of(back_filled[0]) == PALETTE[1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "reliable date",
        "back-filled (2022-03-02)",
    ]
    assert thousands(12000.0) == "12,000"
    assert legibility_problems(fig, "growth") == []


def test_top_values_bars_are_the_shares_with_their_labels():
    series = pd.Series(["a", "a", "a", "b", "b", None, "c", "d"])
    frame = describe.top_values(series, 2)  # a 3/8, b 2/8, (other) 3/8 (None, c, d)
    fig = plot_top_values({"task": frame}, bar_label=lambda v: f"{100 * v:.1f} pc")
    ax = fig.axes[0]
    widths = [b.get_width() for b in ax.containers[0]]
    assert widths == pytest.approx([3 / 8, 2 / 8, 3 / 8])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "(other)"]
    assert [t.get_text() for t in ax.texts] == [" 37.5 pc", " 25.0 pc", " 37.5 pc"]
    assert ax.get_xlim()[1] == pytest.approx(3 / 8 * 1.2)
    assert ax.yaxis_inverted() and ax.get_title() == "task"
    assert legibility_problems(fig, "tasks") == []
    # one panel per idea: the figure is as tall as its bars need (0.3 in a bar, 1.1 in a panel)
    assert fig.get_figheight() == pytest.approx(0.3 * 3 + 1.1 + 0.3)
    # the thinnest bar (25% of a 45% axis) is drawn at least a tenth of the axis wide
    assert min(widths) / ax.get_xlim()[1] > 0.1
    with pytest.raises(ParameterError, match="panels is empty"):
        plot_top_values({}, bar_label=str)


def test_ccdf_points_and_legend():
    likes = pd.Series([0, 1, 1, 2, 5])  # positive: 1, 1, 2, 5 -> P(X >= 1, 2, 5) = 1, 1/2, 1/4
    fig = plot_ccdf(
        {"likes": describe.ccdf(likes), "downloads": describe.ccdf(pd.Series([3]))},
        xlabel="x",
        ylabel="P",
    )
    ax = fig.axes[0]
    first = ax.get_lines()[0]
    np.testing.assert_allclose(first.get_xdata(), [1, 2, 5])
    np.testing.assert_allclose(first.get_ydata(), [1, 0.5, 0.25])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["likes", "downloads"]
    single = plot_ccdf({"likes": describe.ccdf(likes)}, xlabel="x", ylabel="P")
    assert single.axes[0].get_legend() is None  # one curve: no legend
    with pytest.raises(HflineageError, match="curve 'bad': missing required column 'ccdf'"):
        plot_ccdf({"bad": pd.DataFrame({"x": [1]})}, xlabel="x", ylabel="P")
