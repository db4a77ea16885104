"""Chapter 5's table views leave every value as it is and show the columns their text names."""

from __future__ import annotations

import pandas as pd

from hflineage.race import table_text as tt


def test_simulation_view_drops_only_the_hidden_columns():
    flags = pd.DataFrame(
        {"design": ["spline"], "bias": [0.01], "real_estimate": [-0.2], "size_low": [0.0]}
    )
    view = tt.simulation_view(flags)
    assert list(view.columns) == ["design", "bias"]  # size_high and error absent: skipped
    assert view["bias"].iloc[0] == 0.01
    assert set(tt.SIMULATION["labels"]) == {"mc_error", "sim_se", "real_se", "ratio"}
    # with a label: the label is the design, the estimator in words
    named = flags.assign(label="common lag spline", estimator="ppml")
    view = tt.simulation_view(named)
    assert list(view.columns) == ["bias", "design", "estimator"]
    assert view.iloc[0][["design", "estimator"]].tolist() == ["common lag spline", "PPML"]


def test_sim_placebo_view_keeps_the_shown_columns_in_order():
    sp = pd.DataFrame(
        {
            "process": ["decay"],
            "p_timing": [0.4],
            "sd": [0.02],
            "mean": [-0.1],
            "actual": [-0.09],
            "draw": [0],
            "process_label": ["attention decay"],
            "z": [0.5],
        }
    )
    view = tt.sim_placebo_view(sp)
    assert list(view.columns) == ["process_label", "draw", "actual", "mean", "sd", "p_timing"]
    assert view.iloc[0].tolist() == ["attention decay", 0, -0.09, -0.1, 0.02, 0.4]
    assert set(tt.SIM_PLACEBO["labels"]) <= set(view.columns)


def test_heterogeneity_view_stacks_kinds_over_accounts():
    kinds = pd.DataFrame({"group": ["finetune", "adapter"], "estimate": [-0.3, -0.1]})
    accounts = pd.DataFrame({"group": ["base org"], "estimate": [0.05]})
    view = tt.heterogeneity_view(kinds, accounts)
    assert view["by"].tolist() == ["entrant kind", "entrant kind", "account type"]
    assert view["estimate"].tolist() == [-0.3, -0.1, 0.05]
    assert set(tt.HETEROGENEITY["first"]) <= set(view.columns)


def test_every_caption_is_a_sentence():
    for text in (tt.DESIGNS, tt.SIMULATION, tt.SIM_PLACEBO, tt.HETEROGENEITY):
        assert text["caption"][0].isupper() and text["caption"].endswith(".")
