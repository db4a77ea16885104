"""The race figures draw what the data hold, legibly: values read back from the artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hflineage.chapter.report import legibility_problems, set_theme  # noqa: E402
from hflineage.race import plots  # noqa: E402


def _curve() -> pd.DataFrame:
    """Six specifications of one term and outcome (and one of another outcome, not drawn)."""
    rows = [
        # window, race size, lag, estimate, p
        (7, 5, "none", -0.30, 0.001),
        (7, 10, "spline", -0.05, 0.40),
        (30, 5, "none", -0.20, 0.010),
        (30, 10, "spline", 0.01, 0.90),
        (90, 5, "none", 0.15, 0.020),
        (90, 10, "spline", -0.10, 0.20),
    ]
    frame = pd.DataFrame(
        rows, columns=["congestion_days", "min_derivatives", "lag", "estimate", "p_value"]
    ).assign(term="log_entry_rank", outcome="log_likes", std_error=0.05, relations="all")
    other = frame.iloc[:1].assign(outcome="any_like", estimate=-9.0)
    return pd.concat([frame, other], ignore_index=True)


def test_specification_curve_sorts_estimates_and_marks_each_choice():
    set_theme()
    fig = plots.curve_plot(_curve(), "log_entry_rank", "log_likes", alpha=0.05)
    top, bottom = fig.axes[:2]
    drawn = sorted(
        (float(x), float(y))
        for c in top.containers
        for x, y in zip(*c.lines[0].get_data(), strict=True)
    )
    # sorted from lowest to highest: -0.30 at 0, -0.20 at 1, -0.10 at 2, -0.05 at 3, ...
    assert drawn == [(0, -0.30), (1, -0.20), (2, -0.10), (3, -0.05), (4, 0.01), (5, 0.15)]
    labels = sorted(c.get_label() for c in top.containers)
    # two negative and significant (p < .05), one positive and significant, three not
    assert labels == [
        "negative, p < 0.05 (2)",
        "not significant (3)",
        "positive, p < 0.05 (1)",
    ]
    rows = [t.get_text() for t in bottom.get_yticklabels()]
    # one row per level of each choice that varies (relations does not: no row)
    assert rows == [
        "window: 7 days",
        "window: 30 days",
        "window: 90 days",
        "race: ≥ 5 entrants",
        "race: ≥ 10",
        "lag: none",
        "lag: spline",
    ]
    marks = {
        int(np.unique(c.get_offsets()[:, 1])[0]): len(c.get_offsets()) for c in bottom.collections
    }
    # the "lag: spline" row (6) marks the specifications at sorted positions 2, 3, 4: three
    assert marks == {0: 2, 1: 2, 2: 2, 3: 3, 4: 3, 5: 3, 6: 3}
    spline_x = sorted(bottom.collections[6].get_offsets()[:, 0].tolist())
    assert spline_x == [2, 3, 4]  # -0.10, -0.05 and 0.01 are the spline specifications
    assert legibility_problems(fig, "curve") == []
    plt.close(fig)


def test_entry_plot_cumulates_arrivals_and_marks_day_30():
    set_theme()
    bases = pd.DataFrame({"n_derivatives": [1, 3, 10, 0], "likes": [0, 5, 100, 7]})
    panel = pd.DataFrame({"lag_days": [0, 2, 10, 29, 30, 31, 100, 400]})
    fig = plots.entry_plot(bases, panel, mark_days=30)
    right = fig.axes[1]  # left, right, then the colour bar
    x, y = right.lines[0].get_data()
    assert list(x) == [0, 2, 10, 29, 30, 31, 100, 400]
    assert list(y) == [k / 8 for k in range(1, 9)]  # the share arrived by each lag
    texts = sorted(t.get_text() for t in right.texts)
    # 5 of 8 by day 30 (0, 2, 10, 29, 30): 62.5%, shown "62%"; the median is (29 + 30) / 2 = 29.5,
    # shown as day "30"
    assert texts == ["62% by day 30", "half by day 30"]
    assert legibility_problems(fig, "entry") == []
    plt.close(fig)


def test_event_study_plot_one_panel_per_estimand_reference_at_zero():
    from hflineage.race.plots import event_study_plot

    rows = []
    for est in ("ppml", "lpm", "ols"):
        for k, label in enumerate(["1", "2–3", "4+"]):
            e = 0.0 if k == 0 else -0.5 * k
            rows.append(
                {
                    "estimator": est,
                    "bin": k,
                    "rank": label,
                    "reference": k == 0,
                    "estimate": e,
                    "low": e - 0.1,
                    "high": e + 0.1,
                }
            )
    fig = event_study_plot(pd.DataFrame(rows))
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 3 and len(fig.axes) == 4  # 2 x 2 grid, the fourth hidden
    assert [t.get_text() for t in shown[0].get_xticklabels()] == ["1", "2–3", "4+"]
    hollow = [ln for ln in shown[0].lines if ln.get_markerfacecolor() == "white"]
    assert hollow and list(hollow[0].get_ydata()) == [0.0]
    assert legibility_problems(fig, "event study") == []
