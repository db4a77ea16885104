"""Results at a glance: rows, directions and the box, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hflineage.chapter.claims import load_claims
from hflineage.chapter.report import legibility_problems
from hflineage.config import REPO_ROOT
from hflineage.publish import glance
from hflineage.verdicts import Evidence, method_verdict, sign_rule, threshold_rule


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
    assert len(rows) == len(claims["claims"])
    assert rows.loc["P2-priority", "z"] == pytest.approx(3.0)
    assert rows.loc["P2-priority", "status"] == "reproduced"
    # the interval is on the estimate's own scale: -0.30 -+ 1.959964 * 0.10
    assert rows.loc["P2-priority", "low"] == pytest.approx(-0.4959964)
    assert rows.loc["P2-priority", "high"] == pytest.approx(-0.1040036)
    assert rows.loc["P1-size", "z"] == pytest.approx(-2.0)
    assert rows.loc["P1-size", "status"] == "contradicted"
    assert np.isnan(rows.loc["P1-lineage", "z"]) and rows.loc["P1-lineage", "status"] == "method"
    assert rows.loc["P1-data", "status"] == "not yet assessed"


def test_figure_panels_on_each_claims_own_scale(claims):
    conc = threshold_rule(0.62, threshold=0.5, label="share", fmt=".0%")
    numbers = {
        "claims": {
            "P2-priority": _recorded(
                "05_race", sign_rule(Evidence("rank", -0.30, 0.10), expected="negative")
            ),
            "P1-concentrated": _recorded("02_lineage", conc),
            "P1-lineage": _recorded("02_lineage", method_verdict("phased parsing")),
        }
    }
    rows = glance.glance_rows(claims, numbers)
    assert list(glance.plotted(rows)["id"]) == ["P1-concentrated", "P2-priority"]
    fig = glance.glance_figure(rows, "test data")
    conc_ax, rank_ax = fig.axes
    # the threshold is a dashed line at 0.5 and the statistic a dot at 0.62
    assert [ln.get_xdata()[0] for ln in conc_ax.lines if ln.get_linestyle() == "--"] == [0.5]
    assert any(list(ln.get_xdata()) == [0.62] for ln in conc_ax.lines)
    # the interval is drawn from -0.496 to -0.104 and the axis shows it, and zero
    bars = [ln for ln in rank_ax.lines if list(ln.get_ydata()) == [0, 0]]
    assert bars and list(bars[0].get_xdata()) == pytest.approx([-0.4959964, -0.1040036])
    lo, hi = rank_ax.get_xlim()
    assert lo < -0.4959964 and hi > 0
    assert rank_ax.get_title(loc="left").startswith(
        "P2-priority — reproduced\nthe paper expects below 0"
    )
    # every text, the data footer included, shown at >= 9 pt in the admonition's 680-px column
    assert legibility_problems(fig, "glance", column_px=glance.GLANCE_COLUMN_PX) == []


def test_box_has_findings_in_words_the_figure_and_one_badge_per_claim(claims, tmp_path):
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
    assert "```{figure} glance.png" in text
    n = len(claims["claims"])
    findings = [c for c in claims["claims"] if c["kind"] == "finding"]
    # one line per finding (badge) + one badge per claim in the folded table
    assert text.count("{bdg-") == len(findings) + n
    assert f"1 reproduced, {n - 1} not yet assessed" in text
    assert "- {bdg-success}`reproduced` **P2-priority** — *the paper:*" in text
    assert "{ref}`details <claim-p2-priority>`" in text
    # Hill & Stein's own predictions are marked as extensions, not the papers' claims
    assert "**HS-quality** — *Hill & Stein's framework (an extension beyond both papers):*" in text
    assert "{doc}`05_race </notebooks/05_race>`" in text
    assert "Claims without a number: P1-data (not yet assessed)" in text


def test_no_finding_no_figure(claims, tmp_path):
    path = glance.write_glance(claims, {"claims": {}}, tmp_path, data_label="x")
    assert not (tmp_path / "glance.png").exists()
    assert "{figure}" not in path.read_text()
