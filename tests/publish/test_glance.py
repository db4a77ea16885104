"""Results at a glance: rows, directions and the box, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hflineage.chapter.claims import load_claims
from hflineage.config import REPO_ROOT
from hflineage.publish import glance
from hflineage.verdicts import Evidence, method_verdict, sign_rule


@pytest.fixture(scope="module")
def claims():
    return load_claims(REPO_ROOT / "book" / "claims.yml")


def _recorded(chapter: str, verdict) -> list[dict]:
    return [{"chapter": chapter, "where": "", **verdict.to_dict()}]


def test_rows_turn_z_to_the_papers_direction(claims):
    numbers = {
        "claims": {
            # the paper expects a negative rank effect: -0.30 / 0.10 = -3 -> +3 in its direction
            "P2-priority": _recorded(
                "05_race",
                sign_rule(Evidence("rank", -0.30, 0.10), expected="negative"),
            ),
            # the paper expects a positive size effect: -0.02 / 0.01 = -2 -> -2 (against it)
            "P1-size": _recorded(
                "04_who_disrupts",
                sign_rule(Evidence("size", -0.02, 0.01), expected="positive"),
            ),
            "P1-lineage": _recorded("02_lineage", method_verdict("phased parsing")),
        }
    }
    rows = glance.glance_rows(claims, numbers).set_index("id")
    assert len(rows) == 13
    assert rows.loc["P2-priority", "z"] == pytest.approx(3.0)
    assert rows.loc["P2-priority", "status"] == "reproduced"
    assert rows.loc["P1-size", "z"] == pytest.approx(-2.0)
    assert rows.loc["P1-size", "status"] == "contradicted"
    assert rows.loc["P1-size", "z_high"] == pytest.approx(-2.0 + 1.959964)
    assert np.isnan(rows.loc["P1-lineage", "z"]) and rows.loc["P1-lineage", "status"] == "method"
    assert rows.loc["P1-data", "status"] == "not yet assessed"


def test_box_has_the_figure_and_one_badge_per_claim(claims, tmp_path):
    numbers = {
        "claims": {
            "P2-priority": _recorded(
                "05_race", sign_rule(Evidence("rank", -0.30, 0.10), expected="negative")
            )
        }
    }
    path = glance.write_glance(claims, numbers, tmp_path, data_label="test data")
    text = path.read_text()
    assert (tmp_path / "glance.png").exists()
    assert "```{figure} glance.png" in text and "Data: test data" in text
    assert text.count("{bdg-") == 13
    assert "1 reproduced, 12 not yet assessed" in text
    assert "{doc}`05_race </notebooks/05_race>`" in text


def test_no_finding_no_figure(claims, tmp_path):
    path = glance.write_glance(claims, {"claims": {}}, tmp_path, data_label="x")
    assert not (tmp_path / "glance.png").exists()
    assert "{figure}" not in path.read_text()
