"""Chapter.record_numbers records many numbers in one call exactly as Chapter.number records each, and
Chapter.recorded reads another chapter's record of this run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hflineage.chapter.report import Chapter
from hflineage.errors import ParameterError

#: (key, value, description, format): an int with a thousands separator, a small share (two
#: significant digits), a share near one, a float with a fixed format, a word, a NaN, no format.
ROWS = [
    ("n_pairs", np.int64(12345), "declared pairs", ","),
    ("share_small", 0.0022, "a small share", ".1%"),
    ("share_big", 503 / 504, "a share near one", ".1%"),
    ("gini", np.float64(0.8765), "a Gini", ".2f"),
    ("root", "meta-llama/Llama-2-7b-hf", "a name", None),
    ("missing", float("nan"), "undefined", ".1%"),
    ("count", 7, "no format", None),
]


def _saved(path):
    return json.loads((path / "numbers" / "09_test.json").read_text())["numbers"]


def _one_by_one(tmp_path):
    ch = Chapter("09_test", tmp_path / "single", glue=False)
    for key, value, description, fmt in ROWS:
        ch.number(key, value, description, fmt=fmt)
    return _saved(tmp_path / "single")


def test_numbers_from_a_mapping_land_as_number_puts_them(tmp_path):
    ch = Chapter("09_test", tmp_path / "batch", glue=False)
    out = ch.record_numbers(
        {k: v for k, v, _, _ in ROWS},
        {k: d for k, _, d, _ in ROWS},
        fmt={k: f for k, _, _, f in ROWS if f},
    )
    assert list(out) == [k for k, *_ in ROWS]
    saved = _saved(tmp_path / "batch")
    assert saved == _one_by_one(tmp_path)
    # by hand: 12,345; 0.0022 is 0.22% (two significant digits); 503/504 = 99.80%; NaN -> null
    assert saved["n_pairs"] == {"value": 12345, "description": "declared pairs", "text": "12,345"}
    assert saved["share_small"]["text"] == "0.22%"
    assert saved["share_big"]["text"] == "99.80%"
    assert saved["gini"]["text"] == "0.88"
    assert saved["missing"]["value"] is None
    assert "text" not in saved["root"] and saved["count"] == {
        "value": 7,
        "description": "no format",
    }


def test_numbers_from_a_table_with_object_values(tmp_path):
    table = pd.DataFrame(ROWS, columns=["key", "value", "description", "fmt"], dtype=object)
    Chapter("09_test", tmp_path / "batch", glue=False).record_numbers(table)
    assert _saved(tmp_path / "batch") == _one_by_one(tmp_path)


def test_one_format_for_all_and_a_table_format_wins(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    ch.record_numbers({"a": 1234, "b": 5678}, fmt=",")
    assert [v["text"] for v in _saved(tmp_path).values()] == ["1,234", "5,678"]
    table = pd.DataFrame(
        {"key": ["c", "d"], "value": [0.5, 0.25], "fmt": [".0%", None]}, dtype=object
    )
    ch.record_numbers(table, fmt=".2f")
    saved = _saved(tmp_path)
    assert saved["c"]["text"] == "50%" and saved["d"]["text"] == "0.25"


def test_numbers_refuses_a_stray_description_and_a_bad_table(tmp_path):
    ch = Chapter("09_test", tmp_path, glue=False)
    with pytest.raises(ParameterError, match="'typo' has a description or format but no value"):
        ch.record_numbers({"a": 1}, {"typo": "x"})
    with pytest.raises(ParameterError, match="columns 'key'"):
        ch.record_numbers(pd.DataFrame({"name": ["a"], "value": [1]}))
    with pytest.raises(ParameterError, match="each key once"):
        ch.record_numbers(pd.DataFrame({"key": ["a", "a"], "value": [1, 2]}))


def test_recorded_reads_another_chapters_number(tmp_path):
    Chapter("05_race", tmp_path, glue=False).number("race_b", -0.125, "an estimate")
    ch = Chapter("07_x", tmp_path, glue=False)
    assert ch.recorded("05_race", "race_b") == -0.125
    assert ch.recorded("05_race", "absent") is None
    assert ch.recorded("04_none", "race_b") is None
