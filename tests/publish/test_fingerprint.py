"""Re-run only what changed: a chapter is reused when its fingerprint matches its last good run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_run import TINY as _TINY

from hflineage.publish import fingerprint
from hflineage.publish import pipeline as book_run

#: The tiny chapter of test_run without its claim (verdicts are not what this file tests).
TINY = "\n".join(line for line in _TINY.splitlines() if "ch.claim(" not in line) + "\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    # the package's digest is fixed here: other work on the source must not move it mid-test
    monkeypatch.setattr(book_run, "package_digest", lambda: "this package")
    (tmp_path / "params").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params" / "sample.yaml").write_text("profile: sample\nsnapshot: null\n")
    (tmp_path / "notebooks" / "01_tiny.md").write_text(TINY)
    (tmp_path / "notebooks" / "02_tiny.md").write_text(TINY.replace('"01_tiny"', '"02_tiny"'))
    return tmp_path


def _run(project: Path, **kw) -> dict:
    out = book_run.run("sample", root=project, progress=False, **kw)
    return json.loads((out / "manifest.json").read_text())


def test_second_run_reuses_every_chapter_and_keeps_their_numbers(project):
    first = _run(project)
    assert first["ran"] == ["01_tiny", "02_tiny"] and first["reused"] == []
    executed = project / "_build" / "executed" / "sample" / "01_tiny.ipynb"
    mtime = executed.stat().st_mtime_ns
    second = _run(project)
    assert second["ran"] == [] and second["reused"] == ["01_tiny", "02_tiny"]
    assert executed.stat().st_mtime_ns == mtime  # not executed again
    assert second["notebooks"]["01_tiny"]["reused"] is True
    numbers = json.loads((project / "results" / "sample" / "numbers.json").read_text())
    assert numbers["numbers"]["01_tiny"]["window_days"]["value"] == 90  # the TINY default


def test_an_edit_a_parameter_a_package_change_or_force_re_runs(project, monkeypatch):
    _run(project)
    chapter = project / "notebooks" / "02_tiny.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence of prose.\n")
    assert _run(project)["ran"] == ["02_tiny"]  # only the edited chapter
    assert _run(project, overrides={"01_tiny.window_days": 45})["ran"] == ["01_tiny"]
    assert _run(project, overrides={"01_tiny.window_days": 45})["ran"] == []
    monkeypatch.setattr(book_run, "package_digest", lambda: "a different package")
    assert _run(project, overrides={"01_tiny.window_days": 45})["ran"] == ["01_tiny", "02_tiny"]
    assert _run(project, overrides={"01_tiny.window_days": 45}, force=True)["reused"] == []


def test_a_missing_output_or_a_failed_run_is_not_reused(project):
    _run(project)
    (project / "results" / "sample" / "numbers" / "01_tiny.json").unlink()
    assert _run(project)["ran"] == ["01_tiny"]
    previous = {"status": "failed", "fingerprint": "x"}
    assert not fingerprint.reusable(previous, "x", [])
    assert fingerprint.reusable({"status": "ok", "fingerprint": "x"}, "x", [])
    assert not fingerprint.reusable({"status": "ok", "fingerprint": "x"}, "y", [])


def test_fingerprint_moves_with_each_input(tmp_path):
    src = tmp_path / "01_a.md"
    src.write_text("a")
    data = tmp_path / "later.parquet"
    data.write_text("1")
    base = dict(snapshot_sha256="s", package="p", versions={"pandas": "3"}, root=tmp_path)
    params = {"later_snapshot": "later.parquet", "window_days": 90}
    ref = fingerprint.chapter_fingerprint(src, params, **base)
    assert ref == fingerprint.chapter_fingerprint(src, dict(params), **base)
    changed = [
        fingerprint.chapter_fingerprint(src, {**params, "window_days": 30}, **base),
        fingerprint.chapter_fingerprint(src, params, **{**base, "snapshot_sha256": "t"}),
        fingerprint.chapter_fingerprint(src, params, **{**base, "package": "q"}),
        fingerprint.chapter_fingerprint(src, params, **{**base, "versions": {"pandas": "2"}}),
    ]
    data.write_text("22")  # a parameter that names a file: its size changed
    changed.append(fingerprint.chapter_fingerprint(src, params, **base))
    src.write_text("b")
    changed.append(fingerprint.chapter_fingerprint(src, params, **base))
    assert len({ref, *changed}) == 7
