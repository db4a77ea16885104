"""The MDI figures draw what their tables hold, legibly: values read back from the artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from hflineage.chapter.report import PALETTE, legibility_problems, set_theme  # noqa: E402
from hflineage.mdi import plots  # noqa: E402
from hflineage.mdi.summaries import MASS_CATEGORIES  # noqa: E402


def _mass_points(shares: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"variant": v, **dict(zip(MASS_CATEGORIES, s, strict=True))} for v, s in shares.items()]
    )


def test_share_label_by_hand():
    assert plots.share_label(0.985) == "98.5%"
    assert plots.share_label(0.0022) == "0.22%"
    assert plots.share_label(1 / 3033) == "0.033%"
    assert plots.share_label(0.0) == "0"
    assert plots.share_label(float("nan")) == ""


def test_share_break_by_hand():
    # largest small share 2.8% -> zoom to the first limit >= 1.5 * 2.8% = 4.2%: 5%; smallest
    # large share 96.7% -> floor((96.7% - 3%) / 5%) * 5% = 90%
    assert plots.share_break(np.array([0.028, 0.002, 0.967, 0.9995])) == pytest.approx((0.05, 0.9))
    # no share reaches 50%: no break, the axis stops at the zoom
    assert plots.share_break(np.array([0.1, 0.02])) == (0.2, None)
    # 40% and 60%: the parts would meet, so one plain 0-100% axis
    assert plots.share_break(np.array([0.4, 0.6])) == (1.0, None)


def _bar_rights(ax) -> list[float]:
    return [round(p.get_x() + p.get_width(), 6) for p in ax.patches if np.isfinite(p.get_width())]


def test_mass_points_on_a_linear_broken_axis_every_share_labelled():
    set_theme()
    # cd: 0.2% in (-1, 0) beside 96.7% at 0 (on a log axis the 0.2% bar looked a third as long)
    mass = _mass_points(
        {
            "cd": [0.0, 0.002, 0.967, 0.025, 0.006, 0.0],
            "sibling": [0.967, 0.024, 0.002, 0.002, 0.005, 0.0],
        }
    )
    fig = plots.plot_mass_points(mass)
    cd_small, cd_large, sib_small, _ = fig.axes
    for ax in fig.axes:
        assert ax.get_xscale() == "linear"
    # the break: 0-4% (1.5 x 2.5% = 3.75% -> 4%) and 90%-100% (96.7% - 3% -> 90%)
    assert cd_small.get_xlim() == pytest.approx((0.0, 0.04))
    assert cd_large.get_xlim() == pytest.approx((0.9, 1.0))
    # left of the break a bar is its share (cut at the break); right of it, from 90% to the share
    assert _bar_rights(cd_small) == pytest.approx([0.0, 0.002, 0.04, 0.025, 0.006, 0.0])
    assert _bar_rights(cd_large) == pytest.approx([0.967])
    # the 0.2% bar is 0.2 / 96.7 of the 96.7% bar's length in data units, on a linear axis
    widths = {round(p.get_width(), 6) for p in cd_small.patches}
    assert 0.002 in widths
    assert [t.get_text() for t in cd_small.texts] == ["0", "0.2%", "2.5%", "0.6%", "0"]
    assert [t.get_text() for t in cd_large.texts] == ["96.7%"]
    assert [t.get_text() for t in sib_small.texts] == ["2.4%", "0.2%", "0.2%", "0.5%", "0"]
    assert cd_small.get_title(loc="left") == "cd (the primary)"
    # the left part has no tick at the break (it would collide with the right part's 90%)
    assert max(cd_small.get_xticks()) < 0.04
    assert legibility_problems(fig, "mass points") == []
    plt.close(fig)


def test_components_one_row_per_distinct_reading_on_a_linear_axis():
    set_theme()
    summary = pd.DataFrame(
        {
            "variant": ["cd", "ancestral", "sibling"],
            "has_n_i": [0.031, 0.0, 0.031],
            "has_n_j": [0.0055, 0.033, 0.0055],
            "has_n_k": [0.994, 0.995, 0.994],
        }
    )
    fig = plots.plot_components(summary)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["cd, sibling", "", "ancestral", ""]  # cd and sibling share their counts
    assert all(ax.get_xscale() == "linear" for ax in fig.axes)
    assert _bar_rights(fig.axes[0]) == pytest.approx([0.031, 0.0055, 0.05])
    assert fig.axes[1].get_xlim() == pytest.approx((0.95, 1.0))  # floor((99.4% - 3%) / 5%)
    assert [t.get_text() for t in fig.axes[0].texts] == ["3.1%", "0.55%"]
    assert [t.get_text() for t in fig.axes[3].texts] == ["99.5%"]
    assert legibility_problems(fig, "components") == []
    plt.close(fig)


def test_role_colours_are_distinct_okabe_ito_hues():
    roles = [plots.ROLE_COLOURS[r] for r in ("n_i", "n_j", "n_k")]
    assert len(set(roles)) == 3
    assert set(roles) <= set(PALETTE)  # the book's colour-blind-safe palette
    assert plots.ROLE_COLOURS["n_k"] != "#D55E00"  # vermillion beside orange: the old mistake


def test_toy_roles_by_hand():
    roles = plots.toy_roles("F", window_days=90)
    # A and A2 declare F only; B declares F and its base R; C and C2 declare R only; D builds on
    # A (not a direct successor); E comes after the window closes (day 120 > 10 + 90).
    assert roles == {
        "R": "P(F)",
        "F": "focal F",
        "A": "n_i",
        "A2": "n_i",
        "B": "n_j",
        "C": "n_k",
        "C2": "n_k",
        "D": "not a successor",
        "E": "not a successor",
    }


def test_coefficients_one_scale_per_panel_primary_filled():
    set_theme()
    rows = []
    for variant, size, merge in (("cd", 0.026, 0.2), ("sibling", 0.006, 0.02)):
        for term, coef in (("log10_params", size), (plots.OTHER_DERIVATIONS[2], merge)):
            rows.append(
                {"variant": variant, "model": "lpm", "term": term, "coef": coef}
                | {"ci_low": coef - 0.01, "ci_high": coef + 0.01}
            )
    rows.append(  # another estimator: not drawn
        {"variant": "cd", "model": "logit", "term": "log10_params", "coef": 0.6}
        | {"ci_low": 0.3, "ci_high": 0.9}
    )
    fig = plots.plot_coefficients(pd.DataFrame(rows))
    size_ax, deriv_ax = fig.axes[:2]
    xs = sorted(float(x) for line in size_ax.lines for x in np.atleast_1d(line.get_xdata()))
    assert [x for x in xs if x in (0.006, 0.026)] == [0.006, 0.026]
    assert 0.6 not in xs  # the logit fit is not on the LPM scale
    markers = {c.get_label(): c.lines[0].get_markerfacecolor() for c in size_ax.containers}
    assert markers["cd (primary)"] != "white" and markers["sibling"] == "white"
    # the derivation panel has its own axis: the merge contrast of 0.2 does not squeeze size
    assert size_ax.get_xlim()[1] < 0.1 < deriv_ax.get_xlim()[1]
    assert legibility_problems(fig, "coefficients") == []
    plt.close(fig)
