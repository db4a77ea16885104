"""Publication tables: every cell string below was worked out by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hflineage.chapter.tables import (
    format_number,
    format_p,
    format_share,
    format_table,
    header,
    regression_table,
    sample_accounting,
)
from hflineage.errors import ParameterError


def test_cells_counts_shares_and_p_values():
    assert format_number(12205.0) == "12,205"  # a count held as float: never 12,205.000
    assert format_number(np.int64(760000)) == "760,000"
    assert format_number(0.12345) == "0.123"
    assert format_number(-0.00002) == "-0.00002"  # would print as -0.000
    assert format_number(0.000329) == "0.00033"  # two significant digits
    assert format_number(3.5e-15) == "3.5e-15"  # a numerical zero keeps its exponent
    assert format_number(float("nan")) == "–"
    assert format_number(True) == "yes"
    assert format_share(22 / 760_000) == "0.0029%"  # not "0.0%": two significant digits
    assert format_share(0.557) == "55.7%"
    assert format_share(0.0) == "0.0%"  # exact: a non-zero share never prints as 0.0%
    assert format_share(0.99995) == "99.9950%"  # 1 - 0.00005: not "100.0%"
    assert format_share(1.0) == "100.0%"
    assert format_p(0.0004) == "< 0.001"
    assert format_p(0.0456) == "0.046"


def test_headers_readable_and_symbols_kept():
    assert header("share_negative") == "share negative"
    assert header("n_obs") == "N"
    assert header("n_i") == "n_i"  # the glossary's symbol, not "n i"
    assert header("cd_nok", {"cd_nok": "cd without k"}) == "cd without k"


def test_format_table_types_key_first_and_headers():
    frame = pd.DataFrame(
        {
            "n_models": [12205.0, 3.0],
            "share_negative": [22 / 760_000, 0.557],
            "p_value": [0.0001, 0.0456],
            "mdi_mean": [0.12345, np.nan],
            "variant": ["cd", "cd_nok"],
            "share_pct_points": [12.0, 55.7],  # named like a share but not in [0, 1]
        }
    )
    shown = format_table(frame, first=["variant"], labels={"mdi_mean": "mean MDI"})
    assert list(shown.columns) == [
        "variant",
        "models",
        "share negative",
        "p",
        "mean MDI",
        "share pct points",
    ]
    assert shown.iloc[0].tolist() == ["cd", "12,205", "0.0029%", "< 0.001", "0.123", "12.000"]
    assert shown.iloc[1].tolist() == ["cd_nok", "3", "55.7%", "0.046", "–", "55.700"]
    with pytest.raises(ParameterError, match="no column 'nope' to show first"):
        format_table(frame, first=["nope"])


def test_regression_table_from_tidy_frames():
    a = pd.DataFrame(
        {
            "term": ["x", "z"],
            "estimate": [0.1234, -2.0],
            "std_error": [0.0456, 0.5],
            "p_value": [0.004, 0.2],
            "n_obs": 56027,
            "n_clusters": 803,
            "fixed_effects": "base_id + created_month",
        }
    )
    b = pd.DataFrame({"term": ["x"], "coef": [-0.5], "se": [0.1], "p": [0.0000001], "n_obs": 100})
    table = regression_table(
        {"(1)": a, "(2)": b},
        {"x": "log entry rank", "z": "log congestion"},
        fixed_effects={"Base FE": "base_id", "Month FE": "created_month"},
        rows={"Controls": ["Yes", "No"]},
    )
    assert table.columns.tolist() == ["", "(1)", "(2)"]
    assert table.values.tolist() == [
        ["log entry rank", "0.123**", "-0.500***"],
        ["", "(0.046)", "(0.100)"],
        ["log congestion", "-2.000", ""],
        ["", "(0.500)", ""],
        ["Base FE", "Yes", "No"],
        ["Month FE", "Yes", "No"],
        ["Controls", "Yes", "No"],
        ["Observations", "56,027", "100"],
        ["Clusters", "803", "–"],
    ]
    assert table.attrs["note"] == (
        "Standard errors in parentheses. * p < 0.05, ** p < 0.01, *** p < 0.001."
    )
    with pytest.raises(ParameterError, match="row 'Controls' has 1 values; expected one per"):
        regression_table({"(1)": a, "(2)": b}, ["x"], rows={"Controls": ["Yes"]})


def test_regression_table_reads_a_statsmodels_fit():
    import statsmodels.formula.api as smf

    # slope by hand: x = 0..3, y = 1, 3, 2, 5: Sxy = 5.5, Sxx = 5 -> 1.1; intercept 1.1;
    # residuals -0.1, 0.8, -1.3, 0.6: SSR 2.7, s^2 = 1.35, se = sqrt(1.35 / 5) = 0.520; t = 2.12
    # on 2 df: p = 0.17, no star
    data = pd.DataFrame({"x": [0, 1, 2, 3], "y": [1.0, 3.0, 2.0, 5.0]})
    fit = smf.ols("y ~ x", data).fit()
    table = regression_table({"OLS": fit}, {"x": "x"})
    assert table["OLS"].tolist() == ["1.100", "(0.520)", "4"]


def _panel() -> pd.DataFrame:
    """12 rows, bases A-F; the steps worked out by hand in the test below."""
    rows = [
        # base, month, y, x
        ("A", "m1", 1.0, 0.3),
        ("A", "m1", 2.0, 1.1),
        ("A", "m2", 0.5, 2.0),
        ("A", "m2", 3.0, 0.2),
        ("B", "m1", 1.5, 1.7),
        ("B", "m2", 2.5, 0.9),
        ("B", "m3", 0.7, 1.4),  # m3 is shared only with F's row
        ("C", "m1", 1.2, 0.8),  # base C: a singleton
        ("D", "m1", 2.2, np.nan),  # missing x ...
        ("D", "m2", 0.4, 1.9),  # ... leaves D a singleton
        ("E", "m1", np.nan, 1.0),  # missing y
        ("F", "m3", 1.1, 0.6),  # base F: a singleton; once gone, month m3 is one too (B's row)
    ]
    return pd.DataFrame(rows, columns=["base", "month", "y", "x"])


def test_sample_accounting_names_every_dropped_row():
    import pyfixest as pf

    panel = _panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest announces the singletons it drops
        fit = pf.feols("y ~ x | base + month", data=panel, vcov={"CRV1": "base"})
    steps = sample_accounting(fit, panel)
    assert steps["step"].tolist() == [
        "rows in the panel",
        "missing y",
        "missing x",
        "singleton fixed-effect groups (base, month; repeated until none)",
    ]
    # 12 rows; E's row lacks y; D's first row lacks x; C, D's second row, F, and then B's m3 row
    assert steps["rows dropped"].tolist() == [0, 1, 1, 4]
    assert steps["rows left"].tolist() == [12, 11, 10, 6]
    assert steps["clusters left"].tolist() == [6, 5, 5, 2]  # A and B remain
    assert int(fit._N) == 6  # pyfixest agrees: no "other" row


def test_sample_accounting_poisson_zero_groups():
    import pyfixest as pf

    panel = pd.DataFrame(
        {
            "base": ["A"] * 3 + ["B"] * 3 + ["G"] * 2,
            "y": [1, 0, 3, 2, 2, 0, 0, 0],  # G never has a positive outcome
            "x": [0.1, 0.5, 0.9, 0.2, 0.4, 0.8, 0.3, 0.6],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.fepois("y ~ x | base", data=panel, vcov={"CRV1": "base"})
    steps = sample_accounting(fit, panel)
    assert steps["step"].tolist() == [
        "rows in the panel",
        "fixed-effect groups with zero outcome throughout (Poisson)",
    ]
    assert steps["rows left"].tolist() == [8, 6]
    assert int(fit._N) == 6


def test_sample_accounting_refuses_what_is_not_a_pyfixest_fit():
    with pytest.raises(ParameterError, match="expected a pyfixest fit; got a DataFrame"):
        sample_accounting(pd.DataFrame(), _panel())


def test_chapter_table_shows_the_formatted_view_and_keeps_the_numbers(tmp_path):
    from hflineage.chapter.report import Chapter

    ch = Chapter("09_test", tmp_path, glue=False)
    frame = pd.DataFrame(
        {"n_models": [12205.0, 19.0], "share_root": [0.5571, 19 / 760_000], "variant": ["a", "b"]},
        index=[0, 0],  # a repeated index label (e.g. after a concat) must not break the view
    )
    frame.attrs["note"] = "A note."
    styled = ch.table(frame, "t", caption="Caption.", first=["variant"])
    html = (tmp_path / "tables" / "t.html").read_text()
    assert "12,205" in html and "12,205.000" not in html
    assert "0.0025%" in html and "55.7%" in html  # 19 / 760,000, two significant digits
    assert "Caption. A note." in html
    assert styled.data.columns.tolist() == ["variant", "models", "share root"]
    assert "td.col1" in html and "text-align: right" in html  # counts right-aligned
    assert pd.read_csv(tmp_path / "tables" / "t.csv")["n_models"].tolist() == [12205.0, 19.0]


def test_a_share_has_one_format_in_tables_and_sentences(tmp_path):
    """The negative MDI share was "0.2%" in a table and "0.22%" in a sentence (issue 19): a table
    cell (format_table), a glued number (Chapter.number(fmt=".1%")) and a count phrase
    (count_share) now print one share identically.
    """
    from hflineage.chapter.report import Chapter
    from hflineage.chapter.sentences import share_text

    values = [0.0, 22 / 760_000, 0.0022, 0.0096, 0.031, 0.557, 0.967, 0.998, 1.0]
    cells = format_table(pd.DataFrame({"share_negative": values}))["share negative"].tolist()
    ch = Chapter("09_test", tmp_path, glue=False)
    for i, v in enumerate(values):
        ch.number(f"s{i}", v, fmt=".1%")
    glued = [ch.numbers[f"s{i}"]["text"] for i in range(len(values))]
    # worked by hand: one decimal from 1% to 99%, two significant digits of the gap outside
    assert cells == [
        "0.0%",
        "0.0029%",
        "0.22%",
        "0.96%",
        "3.1%",
        "55.7%",
        "96.7%",
        "99.80%",
        "100.0%",
    ]
    assert glued == cells
    assert share_text(22, 10_000, digits=1) == "0.22%" == cells[2]


def test_folded_table_shows_the_head_and_folds_the_rest(tmp_path):
    import re

    from hflineage.chapter.report import Chapter
    from hflineage.chapter.tables import folded_table

    frame = pd.DataFrame(
        {"variant": list("abcdefg"), "n_models": range(1000, 8000, 1000), "share_neg": [0.5] * 7}
    )
    ch = Chapter("09_test", tmp_path, glue=False)
    folded = folded_table(ch.table(frame, "long", caption="Seven readings."), head=3)
    html_text = folded._repr_html_()
    summary, rest = html_text.split("<details", 1)
    # the caption comes first, outside every scroll box, and says how much is shown
    assert summary.index('<p class="hfl-caption">') < summary.index('<div class="hfl-scroll">')
    assert "Seven readings. The first 3 of 7 rows; all of them below." in summary
    assert summary.count("<tr>") == 1 + 3 and rest.count("<tr>") == 1 + 7
    assert "Show all 7 rows" in rest
    # the cells as Chapter.table formats them: counts with separators (right-aligned), shares
    assert re.findall(r'<td class="hfl-num">([^<]*)</td>', summary)[:2] == ["1,000", "50.0%"]
    assert "<td>a</td>" in summary and "<td>g</td>" not in summary and "<td>g</td>" in rest
    assert (folded.shown, folded.total) == (3, 7)
    # a short table is shown whole, without a fold; a frame is formatted here
    short = folded_table(frame.head(2), head=3, caption="Two.", labels={"n_models": "models"})
    assert "<details" not in short.html and "<th>models</th>" in short.html
    assert '<p class="hfl-caption">Two.</p>' in short.html
    with pytest.raises(ParameterError, match="head=0; expected a whole number >= 1"):
        folded_table(frame, head=0)
