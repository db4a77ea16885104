"""Chapter 6's numbers of the MDI specification curve, checked by hand on a curve of four
specifications."""

from __future__ import annotations

import pandas as pd

from hflineage.lineage.headlines import NUMBER_COLUMNS
from hflineage.mdi import curve_readings


def _curve() -> pd.DataFrame:
    """cd without roots at 30 and 90 days (the primary reading), cd with roots at 30 days and
    sibling with roots at 30 days (the first with the most facts, 3)."""
    out = pd.DataFrame(
        {
            "variant": ["cd", "cd", "cd", "sibling"],
            "include_roots": [False, False, True, True],
            "window_days": [30, 90, 30, 30],
            "n_reproduced": [1, 2, 3, 3],
            "status_1": ["absent", "absent", "reproduced", "reproduced"],
            "status_2a": ["inconclusive"] * 4,
            "status_2b": ["inconclusive", "reproduced", "reproduced", "reproduced"],
            "status_3": ["reproduced", "reproduced", "reproduced", "absent"],
        }
    )
    out.attrs["seconds"] = 3.8
    return out


def _by_value(mapping, *, unit, every):
    """A plain stand-in for chapter.sentences.by_value: the mapping as written, or all-equal."""
    values = set(mapping.values())
    if len(values) == 1:
        return f"{values.pop()} at {every}"
    return ", ".join(f"{v} at {k} {unit}" for k, v in mapping.items())


def test_curve_numbers_by_hand():
    t = curve_readings.curve_numbers(_curve(), by_value=_by_value)
    assert list(t.columns) == list(NUMBER_COLUMNS)
    got = dict(zip(t["key"], t["value"], strict=True))
    assert got["rob_mdi_specs"] == 4
    assert got["rob_mdi_seconds"] == 3.8
    # the first of the two with 3 facts, in the curve's order
    assert got["rob_mdi_best"] == "cd, 30 days, with roots (3 of 4)"
    assert got["rob_mdi_all_four"] == 0
    assert got["rob_mdi_by_variant"] == "cd 2.0, sibling 3.0"  # (1 + 2 + 3) / 3 and 3
    assert got["rob_mdi_primary_windows"] == (
        "most MDI values are negative: absent at every window; "
        "large models are more often disruptive (MDI > 0): inconclusive at every window; "
        "finetunes are more often disruptive than other derivatives: "
        "inconclusive at 30 days, reproduced at 90 days; "
        "the MDI rises with in-degree: reproduced at every window"
    )
    fmt = dict(zip(t["key"], t["fmt"], strict=True))
    assert fmt["rob_mdi_seconds"] == ".0f" and fmt["rob_mdi_specs"] is None


def test_best_and_all_four_when_one_reproduces_everything():
    c = _curve()
    c.loc[3, "n_reproduced"] = 4
    t = curve_readings.curve_numbers(c, by_value=_by_value).set_index("key")["value"]
    assert t["rob_mdi_best"] == "sibling, 30 days, with roots (4 of 4)"
    assert t["rob_mdi_all_four"] == 1


def test_primary_windows_of_another_reading():
    text = curve_readings.primary_windows_text(
        _curve(), _by_value, variant="sibling", include_roots=True
    )
    assert text.startswith("most MDI values are negative: reproduced at every window;")
    assert text.endswith("the MDI rises with in-degree: absent at every window")


def test_summary_layout_names_every_variant():
    labels = curve_readings.summary_layout()["labels"]
    assert labels["holds_cd_nok"] == "cd_nok: holds"
    assert labels["share_holding"] == "share where it holds"


def test_primary_windows_with_the_chapter_wording():
    from hflineage.chapter.sentences import by_value

    c = pd.concat([_curve(), _curve().iloc[[1]].assign(window_days=180)], ignore_index=True)
    text = curve_readings.primary_windows_text(c, by_value)
    assert "other derivatives: inconclusive at 30 days, reproduced at 90 and 180 days;" in text
