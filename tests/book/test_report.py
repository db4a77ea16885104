"""The chapter record: numbers, claims, tables and figures land where the pipeline expects them."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from hflineage.book.report import Chapter, snapshot_label  # noqa: E402
from hflineage.errors import ParameterError  # noqa: E402


def test_numbers_and_claims_are_written_as_plain_json(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    assert ch.number("share", np.float64(0.125), "a share", fmt=".1%") == 0.125
    ch.number("missing", float("nan"), "undefined")
    ch.number("count", np.int64(7))
    ch.claim("P1-size", "partly reproduced", "2 of 4 variants", "fig-x")
    saved = json.loads((tmp_path / "numbers" / "09_test.json").read_text())
    assert saved["numbers"]["share"] == {"value": 0.125, "description": "a share", "text": "12.5%"}
    assert saved["numbers"]["missing"]["value"] is None
    assert saved["numbers"]["count"]["value"] == 7
    assert saved["claims"]["P1-size"]["status"] == "partly reproduced"
    with pytest.raises(ParameterError, match="unknown value 'maybe' for parameter 'status'"):
        ch.claim("P1-size", "maybe", "")


def test_table_writes_csv_and_html(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, None]})
    ch.table(frame, "t", caption="A caption")
    assert pd.read_csv(tmp_path / "tables" / "t.csv")["a"].tolist() == [1, 2]
    html = (tmp_path / "tables" / "t.html").read_text()
    assert "A caption" in html and "–" in html  # missing value shown as a dash


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
