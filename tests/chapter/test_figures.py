"""Figures a reader can read: the size of every text as the book shows it, checked against the
width of the PNG that matplotlib actually writes (an independent route to the shrink factor).
"""

from __future__ import annotations

import io
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from hflineage.chapter.report import (  # noqa: E402
    COLUMN_PX,
    DPI,
    Chapter,
    displayed_text,
    legibility_problems,
    set_theme,
)


def _png_width(fig) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    buf.seek(0)
    return mpimg.imread(buf).shape[1]


def _figure(width: float, height: float, ticks: float):
    set_theme()
    fig, ax = plt.subplots(figsize=(width, height))
    ax.plot([0, 1, 2, 3], [3, 1, 2, 0])
    ax.set_xlabel("days", fontsize=ticks + 1)
    ax.set_ylabel("models", fontsize=ticks + 1)
    ax.tick_params(labelsize=ticks)
    fig.tight_layout()
    return fig


def test_a_wide_figure_with_small_ticks_is_flagged():
    fig = _figure(12, 4, ticks=8)
    width = _png_width(fig)
    assert width > COLUMN_PX  # shrunk by the column
    texts = displayed_text(fig)
    ticks = texts[texts["kind"] == "tick label"]
    # 8 pt at 150 dpi is 8 * 150 / 72 image px; shrunk by 770 / width; in CSS pt (x 72 / 96)
    expected = 8 * DPI / 72 * (COLUMN_PX / width) * 72 / 96
    assert ticks["shown_pt"].iloc[0] == pytest.approx(expected, rel=0.01)
    assert expected < 6  # far below 9 pt
    problems = legibility_problems(fig, "wide")
    assert len(problems) == 1
    assert problems[0].startswith("figure wide: ")
    assert "tick label" in problems[0] and "axis label" in problems[0]
    plt.close(fig)


def test_a_column_wide_figure_with_notebook_fonts_is_not_flagged():
    fig = _figure(7, 4, ticks=11)  # seaborn "notebook" ticks
    width = _png_width(fig)
    shown = 11 * DPI / 72 * min(1, COLUMN_PX / width) * 72 / 96
    assert shown > 9  # ~12 pt: legible
    assert legibility_problems(fig, "good") == []
    plt.close(fig)


def test_a_small_image_is_shown_at_its_own_size():
    fig = _figure(4, 3, ticks=8)
    assert _png_width(fig) < COLUMN_PX  # not shrunk: 8 pt shows at 8 * 150 / 96 = 12.5 pt
    texts = displayed_text(fig)
    assert texts.loc[texts["kind"] == "tick label", "shown_pt"].iloc[0] == pytest.approx(12.5)
    assert legibility_problems(fig, "small") == []
    plt.close(fig)


def test_overlapping_tick_labels_are_flagged():
    set_theme()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_xticks(range(8), [f"category {i}" for i in range(8)])
    ax.set_xlim(-0.5, 7.5)
    problems = legibility_problems(fig, "crowded")
    assert any("overlapping x tick labels of 'panel 1'" in p for p in problems)
    assert not any("y tick labels" in p for p in problems)
    plt.close(fig)


def test_chapter_figure_records_problems_for_the_lint(tmp_path):
    ch = Chapter("09_test", tmp_path, data_label="listing X (3 models)", glue=False)
    bad = _figure(12, 4, ticks=8)
    ch.figure(bad, "wide")
    good = _figure(7, 4, ticks=11)
    ch.figure(good, "good")  # its stamp is sized to be shown at 9 pt or more
    saved = json.loads((tmp_path / "numbers" / "09_test.json").read_text())
    assert len(saved["checks"]) == 1 and saved["checks"][0].startswith("figure wide: ")
    stamp = displayed_text(good)
    assert stamp.loc[stamp["text"].str.startswith("Data:"), "shown_pt"].iloc[0] >= 9
    plt.close("all")


def test_the_stamp_is_legible_when_a_legend_widens_the_image(tmp_path):
    ch = Chapter("09_test", tmp_path, data_label="listing X (3 models)", glue=False)
    set_theme()
    fig, ax = plt.subplots(figsize=(7.2, 4))
    for k in range(3):
        ax.plot([0, 1], [k, k + 1], label=f"a long legend entry {k}")
    # a figure legend right of the figure: tight_layout ignores it, the tight PNG includes it
    fig.legend(bbox_to_anchor=(1.0, 0.5), loc="center left")
    ch.figure(fig, "legend")
    texts = displayed_text(fig)
    assert texts["width_px"].iloc[0] > 7.2 * DPI
    assert texts.loc[texts["text"].str.startswith("Data:"), "shown_pt"].iloc[0] >= 9
    plt.close(fig)


def test_a_planted_7pt_data_footer_is_flagged():
    set_theme()
    fig = _figure(7, 4, ticks=11)
    fig.text(0.005, 0.005, "Data: listing X (3 models)", fontsize=7)
    width = _png_width(fig)
    # worked by hand: 7 pt at 150 dpi, shrunk to the 720-px column, in CSS points
    shown = 7 * 150 / 72 * (720 / width) * 72 / 96
    assert COLUMN_PX == 720 and 7 < shown < 8  # far below 9
    texts = displayed_text(fig)
    footer = texts[texts["kind"] == "data footer"]
    assert footer["shown_pt"].iloc[0] == pytest.approx(shown, rel=0.01)
    problems = legibility_problems(fig, "footer")
    assert len(problems) == 1 and "(data footer)" in problems[0]
    assert "'Data: listing X (3 models)'" in problems[0]
    plt.close(fig)


@pytest.mark.parametrize("width", [5.0, 7.0, 9.0, 12.0])
def test_the_data_footer_is_sized_to_show_at_9pt(tmp_path, width):
    ch = Chapter("09_test", tmp_path, data_label="listing X (3 models)", glue=False)
    fig = _figure(width, 4, ticks=14)
    ch.figure(fig, "wide")
    png = _png_width(fig)  # the saved image, read back: an independent route to the shrink
    scale = min(1.0, 720 / png)
    footer = next(t for t in fig.texts if t.get_text().startswith("Data: "))
    size = footer.get_fontsize()
    shown = size * 150 / 72 * scale * 72 / 96
    assert shown >= 9 - 1e-9
    # the smallest half point that does it (7 pt at least: a narrow image is shown unshrunk)
    assert size == 7 or (size - 0.5) * 150 / 72 * scale * 72 / 96 < 9
    saved = json.loads((tmp_path / "numbers" / "09_test.json").read_text())
    assert not any("data footer" in check for check in saved["checks"])
    plt.close(fig)
