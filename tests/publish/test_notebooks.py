"""Every chapter on the ``ci`` profile (a small real slice), then the book with warnings as errors.

One test function on purpose: ``make test`` runs pytest with xdist, and the run, the numbers and
the rendering share ``results/ci`` and ``_build``; splitting them across workers would race.
Golden values were read from a ci run and checked by an independent route where one exists.
"""

from __future__ import annotations

import json

import pytest

from hflineage.chapter import claims
from hflineage.chapter.report import CLAIM_STATUSES
from hflineage.config import REPO_ROOT
from hflineage.data import load_snapshot
from hflineage.publish import build as render
from hflineage.publish import pipeline as book_run
from hflineage.publish import profiles

pytestmark = pytest.mark.notebooks

#: chapter -> {number key: expected value}; exact for counts, (value, tolerance) for floats.
GOLDEN: dict[str, dict[str, object]] = {
    "01_data": {
        "snapshot_day": "2024-07-11",  # the slice keeps the embedded listing's date
        "n_models": 5175,  # the five ci families (roots + all descendants)
        "n_backfilled": 2,  # bert-base-cased and one legacy child carry 2022-03-02 23:29
    },
    "02_lineage": {
        "n_families": 5,  # one weakly connected family per ci root
        "largest_family_root": "google-bert/bert-base-cased",
        "max_in_degree": 1470,
    },
    "03_mdi": {
        "mdi_window_days": 90,
        "mdi_focal": 3069,
        "mdi_censored": 2104,  # focal models whose 90-day window passes 2024-07-11
        "mdi_unreliable_date": 2,
    },
    "04_who_disrupts": {
        "size_from_data": 0,  # the 2024 listing carries no parameter counts
        "size_from_name": 1034,
        "size_from_parent": 586,
    },
    "05_race": {
        "race_n_bases": 5,
        "race_n_rows": 3276,  # rows created >= 15 days before the snapshot (congestion window around entry)
        "race_placebo_draws": 100,  # the pair placebo on the primary (base × day × PPML on ci)
    },
    "06_robustness": {
        "rob_mdi_specs": 32,  # 4 windows x 4 variants x with/without roots
        # 3 windows x 4 race sizes x 3 entrant sets = 36 samples, each with 3 OLS/LPM outcomes x
        # 6 specifications + PPML on likes for the primary only: 36 x 19
        "rob_n_specs": 684,
    },
}


def _check_golden(numbers: dict) -> None:
    for chapter, expected in GOLDEN.items():
        if chapter not in numbers:  # a chapter not written yet
            continue
        for key, want in expected.items():
            got = numbers[chapter][key]["value"]
            if isinstance(want, tuple):
                value, tol = want
                assert abs(got - value) <= tol, (chapter, key, got, want)
            else:
                assert got == want, (chapter, key, got, want)


def test_ci_run_numbers_and_book(tmp_path):
    results = book_run.run("ci", progress=False)
    chapters = [p.stem for p in profiles.find_notebooks()]

    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert sorted(manifest["notebooks"]) == chapters
    assert all(r["status"] == "ok" for r in manifest["notebooks"].values())
    assert manifest["slice"]["models"] == GOLDEN["01_data"]["n_models"]

    numbers = json.loads((results / "numbers.json").read_text())
    assert numbers["profile"] == "ci"
    assert sorted(numbers["numbers"]) == chapters, "every chapter records numbers"
    for chapter, entries in numbers["numbers"].items():
        assert entries, f"{chapter} records no number"
        for key, entry in entries.items():
            assert set(entry) >= {"value", "description"}, (chapter, key)
    known = {c["id"] for c in claims.load_claims(REPO_ROOT / "book" / "claims.yml")["claims"]}
    for claim_id, verdicts in numbers["claims"].items():
        assert claim_id in known, claim_id
        assert all(v["status"] in CLAIM_STATUSES for v in verdicts), claim_id
    _check_golden(numbers["numbers"])
    data = numbers["numbers"]["01_data"]
    assert "ci slice" in data["data_label"]["value"]

    # independent route: the slice file itself, read without the chapters
    slice_path = REPO_ROOT / manifest["data"][0]["path"]
    models = load_snapshot(slice_path)
    assert len(models) == data["n_models"]["value"]
    assert int(models["declared_parents"].list.len().sum()) == data["n_declared_pairs"]["value"]
    assert int((~models["created_at_reliable"]).sum()) == data["n_backfilled"]["value"]
    roots = set(manifest["slice"]["roots"])
    assert roots <= set(models["model_id"])

    # render beside, not over, the reader's own _build/html
    index = render.render("ci", quiet=True, output=tmp_path)
    assert index.exists() and index.is_relative_to(tmp_path)
    html = index.parent
    status = (html / "book" / "status.html").read_text(encoding="utf-8")
    for claim_id in known:
        assert claim_id in status, claim_id
    for chapter in chapters:
        page = (html / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
        assert "Traceback" not in page, f"{chapter} shows a traceback"
