"""Golden estimates: recording a run, comparing a later one, naming what moved; and the ci run
against tests/golden/ci.json (reusing the notebook test's run through the fingerprints).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hflineage.config import REPO_ROOT
from hflineage.errors import HflineageError
from hflineage.publish import golden
from hflineage.publish import pipeline as book_run


def numbers_of(estimate: float, se: float, n: int, status: str) -> dict:
    record = {
        "chapter": "05_race",
        "primary": {"estimate": estimate, "se": se, "n": n, "p": 0.01, "label": "primary"},
        "status": status,
        "sentence": "…",
    }
    return {"profile": "ci", "claims": {"P2-priority": [record]}, "numbers": {}}


MANIFEST = {
    "status": "ok",
    "finished": "2026-12-05T10:00:00+00:00",
    "git": {"commit": "a" * 40, "dirty": False},
    "python": "3.11.7",
    "packages": {"numpy": "2.4.6", "pandas": "3.1.1"},
    "data": [{"sha256": "ce39"}],
}


def test_record_keeps_primary_se_n_and_status():
    rec = golden.golden_record(numbers_of(-0.5, 0.1, 300, "reproduced"), MANIFEST)
    assert rec["claims"] == {
        "P2-priority": {"05_race": {"estimate": -0.5, "se": 0.1, "n": 300, "status": "reproduced"}}
    }
    assert rec["packages"] == MANIFEST["packages"]
    assert rec["tolerance"]["estimate"] == {"rel": 1e-4, "abs": 1e-9}


def test_within_tolerance_is_no_drift():
    gold = golden.golden_record(numbers_of(-0.5, 0.1, 300, "reproduced"), MANIFEST)
    # 1e-5 relative: below the 1e-4 the tolerance allows (5e-5 + 1e-9 for -0.5)
    rows = golden.compare(gold, numbers_of(-0.500005, 0.1000001, 300, "reproduced"), MANIFEST)
    assert all(r.ok for r in rows)
    assert len(rows) == 4  # estimate, se, n, status; no version row: same versions


def test_drift_names_the_number_and_by_how_much():
    gold = golden.golden_record(numbers_of(-0.5, 0.1, 300, "reproduced"), MANIFEST)
    later = {**MANIFEST, "packages": {"numpy": "2.4.6", "pandas": "3.2.0"}}
    rows = golden.compare(gold, numbers_of(-0.4, 0.1, 301, "partly reproduced"), later)
    bad = {r.what: r for r in rows if not r.ok}
    assert set(bad) == {
        "P2-priority (05_race) estimate",
        "P2-priority (05_race) n",
        "P2-priority (05_race) status",
    }
    est = bad["P2-priority (05_race) estimate"]
    assert est.difference == "+0.1 (-2.00e-01 rel.)"  # -0.4 - (-0.5), divided by -0.5
    assert est.allowed == "5e-05"  # 1e-9 + 1e-4 * 0.5
    assert (
        bad["P2-priority (05_race) status"].golden,
        bad["P2-priority (05_race) status"].now,
    ) == (
        "reproduced",
        "partly reproduced",
    )
    versions = [r for r in rows if r.what.startswith("version of ")]
    assert [(r.what, r.golden, r.now) for r in versions] == [
        ("version of pandas", "3.1.1", "3.2.0")
    ]
    table = golden.drift_table(rows)
    assert "DRIFT" in table and "version of pandas" in table and "3.2.0" in table
    assert "P2-priority (05_race) se" not in table  # unchanged numbers are not listed


def test_a_record_missing_on_either_side_is_drift():
    gold = golden.golden_record(numbers_of(-0.5, 0.1, 300, "reproduced"), MANIFEST)
    empty = {"profile": "ci", "claims": {}, "numbers": {}}
    rows = golden.compare(gold, empty, MANIFEST)
    assert [(r.what, r.difference, r.ok) for r in rows] == [
        ("P2-priority (05_race) record", "missing in this run", False)
    ]


def test_an_undefined_se_matches_an_undefined_se():
    gold = golden.golden_record(numbers_of(0.55, None, None, "reproduced"), MANIFEST)
    rows = golden.compare(gold, numbers_of(0.55, None, None, "reproduced"), MANIFEST)
    assert all(r.ok for r in rows)


def _project(tmp_path: Path, numbers: dict) -> Path:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "embedded.yaml").write_text("profile: embedded\nsnapshot: null\n")
    (tmp_path / "params" / "sample.yaml").write_text("profile: sample\nalias_of: embedded\n")
    for name in ("embedded", "sample"):
        res = tmp_path / "results" / name
        res.mkdir(parents=True)
        (res / "numbers.json").write_text(json.dumps({**numbers, "profile": name}))
        (res / "manifest.json").write_text(json.dumps(MANIFEST))
    return tmp_path


def test_update_then_check_round_trip_and_alias_shares_the_golden_file(tmp_path):
    root = _project(tmp_path, numbers_of(-0.5, 0.1, 300, "reproduced"))
    path = golden.update_golden("sample", root)  # an alias records its profile's file
    assert path == root / "tests" / "golden" / "embedded.json"
    assert json.loads(path.read_text())["profile"] == "embedded"
    ok, report = golden.check_golden("embedded", root)
    assert ok and "all 4 numbers within tolerance" in report
    moved = numbers_of(-0.6, 0.1, 300, "reproduced")
    (root / "results" / "sample" / "numbers.json").write_text(json.dumps(moved))
    ok, report = golden.check_golden("sample", root)
    assert not ok and "1 of 4 numbers moved" in report
    assert "P2-priority (05_race) estimate" in report and "-0.1" in report


def test_check_without_golden_file_says_how_to_record(tmp_path):
    root = _project(tmp_path, numbers_of(-0.5, 0.1, 300, "reproduced"))
    with pytest.raises(HflineageError, match="hflineage golden --update --profile embedded"):
        golden.check_golden("embedded", root)


@pytest.mark.notebooks
def test_ci_run_matches_golden_estimates():
    """The ci run of tests/publish/test_notebooks.py (reused: same fingerprints; if both tests
    start together, this one waits on the profile lock) against tests/golden/ci.json.
    """
    book_run.run("ci", progress=False)
    ok, report = golden.check_golden("ci", REPO_ROOT)
    assert ok, report
