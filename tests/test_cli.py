"""The command line: both `python -m` entry points, and `hflineage claim`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from hflineage.cli import main
from hflineage.config import REPO_ROOT
from hflineage.publish import claim_record as cr


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
    )


@pytest.mark.parametrize("module", ["hflineage.cli", "hflineage"])
def test_python_m_run_help_works(module):
    res = run_module(module, "run", "--help")
    assert res.returncode == 0, res.stderr
    assert "--profile" in res.stdout and "(default: embedded)" in res.stdout


def test_every_command_is_listed():
    res = run_module("hflineage", "--help")
    for command in ("info", "fetch", "synth", "run", "book", "golden", "claim"):
        assert f"{command}" in res.stdout


def valid_ids() -> list[str]:
    data = yaml.safe_load((REPO_ROOT / "book" / "claims.yml").read_text(encoding="utf-8"))
    return [c["id"] for c in data["claims"]]


def test_unknown_claim_is_one_line_listing_the_ids(capsys):
    assert main(["claim", "P9-nothing", "--from-results"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err == f"error: unknown claim 'P9-nothing'; expected one of: {', '.join(valid_ids())}"


RECORD = {
    "chapter": "05_race",
    "primary": {"estimate": -0.0161, "se": 0.0239, "p": 0.50, "n": 31103, "clusters": 592},
    "robustness": {
        "adjustment": "holm",
        "fits": [
            {
                "label": "likes (PPML)",
                "estimate": -0.59,
                "se": 0.13,
                "p": 1e-5,
                "p_adjusted": 0.0016,
                "outcome": "support",
            },
            {
                "label": "any like (LPM)",
                "estimate": -0.004,
                "se": 0.008,
                "p": 0.6,
                "p_adjusted": 1.0,
                "outcome": "neither",
            },
        ],
    },
    "status": "inconclusive",
    "sentence": "The entry-rank coefficient is not significant.",
}


def test_claim_record_joins_declaration_and_the_run(tmp_path):
    numbers = {"profile": "embedded", "claims": {"P2-priority": [RECORD]}}
    rec = cr.claim_record("P2-priority", numbers)
    claims = yaml.safe_load((REPO_ROOT / "book" / "claims.yml").read_text(encoding="utf-8"))
    declared = next(c for c in claims["claims"] if c["id"] == "P2-priority")
    assert rec["primary"] == declared["primary"] and rec["rule"] == declared["rule"]
    assert rec["records"] == [RECORD]
    text = cr.format_record(rec)
    assert "primary result:" in text and "estimate -0.0161  se 0.0239  p 0.5  n 31103" in text
    assert "robustness: 2 fits (p adjusted: holm)" in text
    assert "likes (PPML)" in text and "support" in text and "any like (LPM)" in text
    assert "verdict: inconclusive" in text
    assert f"rule: {declared['rule']['name']}" in text
    assert cr.deciding_chapters(declared, numbers) == [declared["primary"]["chapter"]]


def test_claim_from_results_json_reads_the_last_run(tmp_path, monkeypatch, capsys):
    numbers = {"profile": "embedded", "claims": {"P2-priority": [RECORD]}}
    monkeypatch.setattr(cr, "read_numbers", lambda profile, root=None: numbers)
    assert main(["claim", "P2-priority", "--from-results", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["id"] == "P2-priority" and out["records"][0]["status"] == "inconclusive"
    assert [f["outcome"] for f in out["records"][0]["robustness"]["fits"]] == ["support", "neither"]
