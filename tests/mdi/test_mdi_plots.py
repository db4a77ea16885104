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


def test_mass_points_draw_every_share_on_a_log_axis_and_label_it():
    set_theme()
    # cd: 0.2% negative (the bar that vanished on a linear axis), 97.8% at 0, 2% positive
    without = _mass_points({"cd": [0.0, 0.002, 0.978, 0.01, 0.01, 0.0]})
    with_roots = _mass_points({"cd": [0.0, 0.002, 0.92, 0.01, 0.068, 0.0]})
    fig = plots.plot_mass_points(with_roots, without)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    bars = [p for p in ax.patches if np.isfinite(p.get_width())]
    # a bar runs from the axis' left end to the share: its right edge is the share
    rights = sorted(round(p.get_x() + p.get_width(), 6) for p in bars)
    assert rights == sorted([0.002, 0.978, 0.01, 0.01, 0.002, 0.92, 0.01, 0.068])
    # the axis starts below the smallest share (a third of 0.2%), so that bar is visible
    assert ax.get_xlim()[0] == pytest.approx(0.002 / 3)
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("0") == 4  # −1 and undefined, without and with roots: no bar, "0"
    assert "0.2%" in labels and "97.8%" in labels and "6.8%" in labels
    assert ax.get_title() == "cd (primary: without roots)"
    assert legibility_problems(fig, "mass points") == []
    plt.close(fig)


def test_components_are_labelled_on_a_log_axis():
    set_theme()
    summary = pd.DataFrame(
        {"variant": ["cd", "sibling"], "has_n_i": [0.015, 0.015], "has_n_j": [0.001, 0.001]}
    ).assign(has_n_k=[0.997, 0.997])
    fig = plots.plot_components(summary)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert sorted(t.get_text() for t in ax.texts) == sorted(["1.5%", "0.1%", "99.7%"] * 2)
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
