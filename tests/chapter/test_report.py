"""The chapter record: numbers, claims, tables and figures land where the pipeline expects them."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from hflineage.chapter.report import CLAIM_STATUSES, Chapter, snapshot_label  # noqa: E402
from hflineage.errors import ParameterError  # noqa: E402
from hflineage.verdicts import Evidence, sign_rule  # noqa: E402


def test_numbers_and_claims_are_written_as_plain_json(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    assert ch.number("share", np.float64(0.125), "a share", fmt=".1%") == 0.125
    ch.number("missing", float("nan"), "undefined")
    ch.number("count", np.int64(7))
    # z = 0.03 / 0.01 = 3 -> two-sided p = 0.0027 < 0.05, positive as expected: reproduced
    verdict = sign_rule(
        Evidence("cd, roots out, LPM", np.float64(0.03), 0.01, n=100, clusters=20),
        expected="positive",
        subject="larger models disrupt more",
    )
    ch.claim("P1-size", verdict, "fig-x")
    saved = json.loads((tmp_path / "numbers" / "09_test.json").read_text())
    assert saved["numbers"]["share"] == {"value": 0.125, "description": "a share", "text": "12.5%"}
    assert saved["numbers"]["missing"]["value"] is None
    assert saved["numbers"]["count"]["value"] == 7
    claim = saved["claims"]["P1-size"]
    assert claim["status"] == "reproduced"
    assert claim["chapter"] == "09_test" and claim["where"] == "fig-x"
    assert claim["sentence"].startswith("As the paper says, larger models disrupt more: ")
    assert claim["primary"]["estimate"] == 0.03 and claim["primary"]["clusters"] == 20
    assert claim["primary"]["p"] == pytest.approx(0.0026998, abs=1e-6)
    assert claim["robustness"] is None
    assert claim["rule"].startswith("sign: expected positive, alpha 0.05")


def test_claim_refuses_a_status_string(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    with pytest.raises(ParameterError, match=r"claim 'P1-size': expected a hflineage.verdicts"):
        ch.claim("P1-size", "reproduced", "fig-x")
    assert ch.claims == {}


def test_claim_statuses_are_the_verdict_rules_statuses():
    assert CLAIM_STATUSES == (
        "reproduced",
        "partly reproduced",
        "absent",
        "inconclusive",
        "contradicted",
        "design-dependent",
        "not testable",
        "not testable (construct)",
        "method",
    )


def test_table_writes_csv_and_html(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, None]})
    ch.table(frame, "t", caption="A caption")
    assert pd.read_csv(tmp_path / "tables" / "t.csv")["a"].tolist() == [1, 2]
    html = (tmp_path / "tables" / "t.html").read_text()
    assert "A caption" in html and "–" in html  # missing value shown as a dash


def test_a_small_share_is_never_glued_as_zero(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    ch.number("backfilled", 2 / 5175, "2 of 5,175", fmt=".1%")  # 0.0386%
    ch.number("large", 0.557, "a share", fmt=".1%")
    ch.number("almost_all", 503 / 504, "503 of 504", fmt=".0%")
    ch.number("count", 12205, "a count", fmt=",")
    texts = {k: v["text"] for k, v in ch.numbers.items()}
    assert texts == {
        "backfilled": "0.039%",
        "large": "55.7%",
        "almost_all": "99.80%",
        "count": "12,205",
    }
    assert ch.numbers["backfilled"]["value"] == pytest.approx(2 / 5175)  # the number is kept


def test_table_shows_named_pvalue_columns_as_pvalues(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    frame = pd.DataFrame({"p_adjusted": [1.8e-90, 0.4082]})
    shown = ch.table(frame, "t", pvalues=["p_adjusted"]).data  # the Styler's frame of strings
    assert shown.iloc[:, 0].tolist() == ["< 0.001", "0.408"]
    assert ch.table(frame, "u").data.iloc[0, 0] == "1.8e-90"  # not a p-value by its name


def test_figure_is_stamped_with_its_data_and_saved(tmp_path):
    ch = Chapter("09_test", tmp_path, data_label="listing X (3 models)", glue=False)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    assert ch.figure(fig, "line") is None
    assert (tmp_path / "figures" / "line.png").stat().st_size > 0
    assert any(t.get_text() == "Data: listing X (3 models)" for t in fig.texts)
    plt.close(fig)


def test_snapshot_label_names_shape_day_and_size():
    models = pd.DataFrame({"model_id": ["a/b", "c/d"]})
    models.attrs = {
        "shape": "listing",
        "snapshot_date": pd.Timestamp("2024-07-11 23:59:59", tz="UTC"),
    }
    assert snapshot_label(models) == "Hub /api/models listing of 2024-07-11 (2 models)"
