"""The pipeline: profiles, parameters, the ci slice, numbers and manifest, and failures.

Execution tests use throwaway chapters in ``tmp_path`` (a project root of their own), so they do
not depend on the book's chapters.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import listing_table

from hflineage.cli import main
from hflineage.config import EMBEDDED_NAME, MANIFEST, REPO_ROOT
from hflineage.data import load_snapshot
from hflineage.errors import HflineageError, ParameterError
from hflineage.files import sha256_file
from hflineage.publish import build as render
from hflineage.publish import execute, profiles
from hflineage.publish import pipeline as book_run
from hflineage.publish import snapshot as book_snapshot
from hflineage.publish.execute import NotebookError
from hflineage.publish.pipeline import merge_numbers
from hflineage.publish.profiles import (
    Profile,
    coerce,
    load_profile,
    notebook_parameters,
    parse_override,
    parse_value,
    plan_parameters,
)
from hflineage.publish.snapshot import family

HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def chapter(body: str) -> str:
    return HEADER + textwrap.dedent(body)


TINY = chapter(
    """\
    # 1. A tiny chapter

    ```{code-cell} ipython3
    :tags: [parameters]
    profile = "sample"  # which params/<profile>.yaml
    snapshot = None  # None = embedded listing
    results_dir = "results/sample"  # where numbers go
    window_days = 90  # the paper's window; see P1-window
    share = 0.5  # a float: -p share=1 must stay a float
    label = "x"  # a string: -p label=2024 must stay a string
    ```

    ```{code-cell} ipython3
    from hflineage.chapter.report import Chapter

    ch = Chapter("01_tiny", results_dir, glue=False)
    ch.number("window_days", window_days, "window")
    ch.number("share", share, "share")
    ch.number("share_type", type(share).__name__, "type of share")
    ch.number("label", label, "label")
    ch.number("label_type", type(label).__name__, "type of label")
    ch.number("profile", profile, "profile")
    ch.number("snapshot", snapshot, "snapshot")
    from hflineage.verdicts import method_verdict
    ch.claim("P1-window", method_verdict(f"a {window_days}-day window"), "fig-none")
    ```
    """
)

FAILING = chapter(
    """\
    # 2. A failing chapter

    ```{code-cell} ipython3
    :tags: [parameters]
    profile = "sample"  # profile
    snapshot = None  # data
    results_dir = "results/sample"  # outputs
    ```

    ```{code-cell} ipython3
    x = 1
    ```

    ```{code-cell} ipython3
    raise ValueError("boom at the third cell")
    ```
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with params/ and notebooks/: one good and one failing chapter."""
    (tmp_path / "params").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params" / "sample.yaml").write_text(
        "profile: sample\nsnapshot: null\nchapters:\n  01_tiny: {window_days: 30}\n"
    )
    (tmp_path / "params" / "other.yaml").write_text("profile: other\nsnapshot: null\n")
    (tmp_path / "notebooks" / "01_tiny.md").write_text(TINY)
    (tmp_path / "notebooks" / "02_fail.md").write_text(FAILING)
    (tmp_path / "notebooks" / "README.md").write_text("# not a chapter\n")
    return tmp_path


# --- profiles ----------------------------------------------------------------------------------


def test_repository_profiles_load():
    names = profiles.available_profiles()
    assert {"sample", "ci", "full"} <= set(names)
    ci = load_profile("ci")
    assert ci.slice is not None and len(ci.slice["roots"]) >= 3
    assert load_profile("sample").snapshot is None
    assert load_profile("full").snapshot == "hub-stats:latest"


def test_unknown_profile_lists_the_profiles(project):
    with pytest.raises(ParameterError) as err:
        load_profile("nope", project)
    assert str(err.value) == "unknown profile 'nope'; expected one of: other, sample"


def test_unknown_profile_key_is_named(project):
    (project / "params" / "bad.yaml").write_text("profile: bad\nsnapshots: x\n")
    with pytest.raises(ParameterError, match=r"params/bad.yaml: unknown key 'snapshots'"):
        load_profile("bad", project)


def test_cli_unknown_profile_is_one_line(capsys):
    assert main(["run", "--profile", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: unknown profile 'nope'; expected one of:")
    assert "ci" in err[0] and "sample" in err[0] and "full" in err[0]


def test_full_profile_without_fetched_file_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr("hflineage.data.load.SNAPSHOT_DIR", tmp_path / "data" / "snapshots")
    with pytest.raises(HflineageError, match=r"run `hflineage fetch --source hub-stats` first"):
        book_snapshot.resolve_snapshot(load_profile("full"), REPO_ROOT)


def test_snapshot_glob_without_match_says_what_to_do(tmp_path):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "full.yaml").write_text(
        "profile: full\nsnapshot: data/snapshots/hub-stats-models-*.parquet\n"
    )
    with pytest.raises(HflineageError) as err:
        book_snapshot.resolve_snapshot(load_profile("full", tmp_path), tmp_path)
    assert str(err.value) == (
        "params/full.yaml: snapshot data/snapshots/hub-stats-models-*.parquet does not exist; "
        "run `hflineage fetch --source hub-stats` first"
    )


def test_full_profile_resolves_latest_once(tmp_path, monkeypatch):
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    monkeypatch.setattr("hflineage.data.load.SNAPSHOT_DIR", snaps)
    (snaps / "hub-stats-models-abc.parquet").write_bytes(b"x")
    value, info = book_snapshot.resolve_snapshot(load_profile("full"), tmp_path)
    assert value == "snapshots/hub-stats-models-abc.parquet"
    assert info == {"snapshot_spec": "hub-stats:latest"}


def test_snapshot_glob_takes_the_newest_fetch(tmp_path):
    (tmp_path / "params").mkdir()
    snaps = tmp_path / "data" / "snapshots"
    snaps.mkdir(parents=True)
    (tmp_path / "params" / "full.yaml").write_text(
        "profile: full\nsnapshot: data/snapshots/hub-stats-models-*.parquet\n"
    )
    for name, fetched in [
        ("aaa", "2026-11-02T00:00:00+00:00"),
        ("bbb", "2026-10-01T00:00:00+00:00"),
    ]:
        (snaps / f"hub-stats-models-{name}.parquet").write_bytes(b"x")
        (snaps / f"hub-stats-models-{name}.parquet.json").write_text(
            json.dumps({"fetched_at": fetched, "revision": name})
        )
    value, _ = book_snapshot.resolve_snapshot(load_profile("full", tmp_path), tmp_path)
    assert value == "data/snapshots/hub-stats-models-aaa.parquet"
    facts = book_snapshot._snapshot_facts(value, tmp_path)
    assert facts["fetch"]["revision"] == "aaa"
    assert facts["sha256"] == sha256_file(snaps / "hub-stats-models-aaa.parquet")


# --- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("window_days=180", ("window_days", 180)),
        ("share=0.25", ("share", 0.25)),
        ("roots_only=true", ("roots_only", True)),
        ("snapshot=null", ("snapshot", None)),
        ("variants=[cd, ancestry]", ("variants", ["cd", "ancestry"])),
        ("start=2024-01-01", ("start", "2024-01-01")),
        ("snapshot=data/snapshots/models.parquet", ("snapshot", "data/snapshots/models.parquet")),
        ("03_mdi.window_days = 30", ("03_mdi.window_days", 30)),
        ("note=a=b", ("note", "a=b")),
    ],
)
def test_overrides_are_typed_like_yaml(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["window_days", "=3", ""])
def test_malformed_override_is_an_error(text):
    with pytest.raises(ParameterError, match="expected key=value"):
        parse_override(text)


def test_coerce_follows_the_default():
    assert coerce(1, 0.5) == 1.0 and isinstance(coerce(1, 0.5), float)
    assert coerce(2024, "x") == "2024"
    assert coerce(True, 0.5) is True  # a bool is not silently a number
    assert coerce(7, 90) == 7
    with pytest.raises(
        ParameterError, match=r"-p window_days=abc: expected a number like the default 90"
    ):
        coerce("abc", 90, "window_days")
    with pytest.raises(ParameterError, match=r"-p inherit_size=maybe: expected true or false"):
        coerce("maybe", True, "inherit_size")
    assert parse_value("[1, 2]") == [1, 2]


def test_notebook_parameters_reads_defaults_and_comments(project):
    params = notebook_parameters(project / "notebooks" / "01_tiny.md")
    assert [p.name for p in params] == [
        "profile",
        "snapshot",
        "results_dir",
        "window_days",
        "share",
        "label",
    ]
    window = params[3]
    assert (window.default, window.source, window.chapter) == (90, "90", "01_tiny")
    assert window.comment == "the paper's window; see P1-window"
    assert params[1].default is None


def test_multiline_default_and_non_literal(tmp_path):
    nb = tmp_path / "05_x.md"
    nb.write_text(
        chapter(
            """\
            ```{code-cell} ipython3
            :tags: [parameters]
            weights = {  # relation weights
                "finetune": 1.0,
            }
            cutoff = 10**3  # not a literal
            ```
            """
        )
    )
    params = notebook_parameters(nb)
    assert params[0].default == {"finetune": 1.0}
    assert params[0].comment == "relation weights"
    assert (params[1].default, params[1].comment) == ("10**3", "not a literal")


def test_notebook_without_parameters_cell_is_an_error(tmp_path):
    nb = tmp_path / "09_none.md"
    nb.write_text(chapter("```{code-cell} ipython3\nx = 1\n```\n"))
    with pytest.raises(ParameterError, match="no code cell tagged 'parameters'"):
        notebook_parameters(nb)


def test_plan_merges_profile_and_command_line(project):
    nbs = profiles.find_notebooks(project)
    assert [p.stem for p in nbs] == ["01_tiny", "02_fail"]
    prof = load_profile("sample", project)
    plan = plan_parameters(prof, nbs, {})
    assert plan == {"01_tiny": {"window_days": 30}, "02_fail": {}}
    plan = plan_parameters(prof, nbs, {"window_days": 7, "share": 1, "label": 2024})
    assert plan["01_tiny"] == {"window_days": 7, "share": 1.0, "label": "2024"}
    assert plan["02_fail"] == {}  # it does not declare them
    plan = plan_parameters(prof, nbs, {"01_tiny.window_days": 5, "snapshot": "x.parquet"})
    assert plan == {
        "01_tiny": {"window_days": 5, "snapshot": "x.parquet"},
        "02_fail": {"snapshot": "x.parquet"},
    }


def test_plan_rejects_unknown_names_before_running(project):
    nbs = profiles.find_notebooks(project)
    prof = load_profile("sample", project)
    with pytest.raises(ParameterError, match=r"-p window: any selected chapter has no parameter"):
        plan_parameters(prof, nbs, {"window": 7})
    with pytest.raises(ParameterError, match=r"-p 02_fail.window_days: 02_fail has no parameter"):
        plan_parameters(prof, nbs, {"02_fail.window_days": 7})
    with pytest.raises(ParameterError, match="results_dir is set by --profile"):
        plan_parameters(prof, nbs, {"results_dir": "elsewhere"})
    bad = Profile("sample", prof.path, chapters={"02_fail": {"window_days": 3}})
    with pytest.raises(ParameterError, match=r"chapters.02_fail.window_days: 02_fail has no"):
        plan_parameters(bad, nbs, {})
    # a profile override for a chapter that is not selected (or not written yet) is skipped
    later = Profile("sample", prof.path, chapters={"07_later": {"x": 1}})
    assert plan_parameters(later, nbs, {}) == {"01_tiny": {}, "02_fail": {}}


def test_only_selects_by_name_or_number(project):
    assert [p.stem for p in profiles.find_notebooks(project, ["02"])] == ["02_fail"]
    assert [p.stem for p in profiles.find_notebooks(project, ["01_tiny.md"])] == ["01_tiny"]
    with pytest.raises(ParameterError, match="--only '03_mdi': no such chapter; expected one of"):
        profiles.find_notebooks(project, ["03_mdi"])


# --- the ci slice --------------------------------------------------------------------------------


def test_family_follows_every_generation_and_survives_cycles():
    edges = pd.DataFrame(
        {
            "child": ["b", "c", "d", "x", "y", "e"],
            "parent": ["a", "b", "c", "y", "x", "z"],
        }
    )
    assert sorted(family(None, ["a"], edges=edges)) == ["a", "b", "c", "d"]
    assert sorted(family(None, ["x"], edges=edges)) == ["x", "y"]
    assert sorted(family(None, ["b", "z"], edges=edges)) == ["b", "c", "d", "e", "z"]


def test_make_slice_keeps_families_and_the_snapshot_date(tmp_path):
    rows = [
        {"id": "org/base", "createdAt": "2024-01-01"},
        {"id": "a/ft", "createdAt": "2024-02-01", "tags": ["base_model:org/base"]},
        {"id": "b/q", "createdAt": "2024-03-01", "tags": ["base_model:quantized:a/ft"]},
        {"id": "c/merge", "createdAt": "2024-03-02", "tags": ["base_model:b/q", "base_model:o/x"]},
        {"id": "o/x", "createdAt": "2024-01-05"},
        {"id": "o/y", "createdAt": "2024-06-30", "tags": ["base_model:o/x"]},
    ]
    source = tmp_path / "listing.parquet"
    pq.write_table(listing_table(rows), source)
    out_dir = tmp_path / "results" / "ci"
    path, info = book_snapshot.make_slice(
        {"roots": ["org/base"], "source": str(source)}, out_dir, tmp_path
    )
    sliced = load_snapshot(path)
    assert sorted(sliced["model_id"]) == ["a/ft", "b/q", "c/merge", "org/base"]
    assert info["models"] == 4 and info["roots"] == ["org/base"]
    assert info["source_sha256"] == sha256_file(source)
    # the slice keeps the source's snapshot date (end of 2024-06-30), not its own last creation
    assert sliced.attrs["snapshot_date"] == pd.Timestamp("2024-06-30 23:59:59", tz="UTC")
    assert "ci slice" in sliced.attrs["subset"]
    # cached: a second call returns the same file without rewriting it
    mtime = path.stat().st_mtime_ns
    again, _ = book_snapshot.make_slice(
        {"roots": ["org/base"], "source": str(source)}, out_dir, tmp_path
    )
    assert again == path and path.stat().st_mtime_ns == mtime
    # other roots: another key, and the old slice is removed
    other, _ = book_snapshot.make_slice(
        {"roots": ["o/x"], "source": str(source)}, out_dir, tmp_path
    )
    assert other != path and not path.exists()
    assert sorted(load_snapshot(other)["model_id"]) == ["c/merge", "o/x", "o/y"]
    with pytest.raises(ParameterError, match="slice root 'no/such' is not a model"):
        book_snapshot.make_slice({"roots": ["no/such"], "source": str(source)}, out_dir, tmp_path)


# --- numbers -------------------------------------------------------------------------------------


def test_merge_numbers_collects_chapters_and_claims(tmp_path):
    d = tmp_path / "numbers"
    d.mkdir()
    (d / "01_a.json").write_text(
        json.dumps(
            {
                "chapter": "01_a",
                "numbers": {"n": {"value": 3, "description": "n"}},
                "claims": {"P1-data": {"status": "not testable", "result": "r", "where": ""}},
            }
        )
    )
    (d / "03_c.json").write_text(
        json.dumps(
            {
                "chapter": "03_c",
                "numbers": {"m": {"value": 0.5, "description": "m"}},
                "claims": {"P1-data": {"status": "reproduced", "result": "s", "where": "fig-x"}},
            }
        )
    )
    (d / "09_gone.json").write_text(json.dumps({"chapter": "09_gone", "numbers": {"z": 1}}))
    merged = merge_numbers(tmp_path, ["01_a", "03_c"])
    assert merged["numbers"] == {
        "01_a": {"n": {"value": 3, "description": "n"}},
        "03_c": {"m": {"value": 0.5, "description": "m"}},
    }
    assert [v["chapter"] for v in merged["claims"]["P1-data"]] == ["01_a", "03_c"]
    assert merged["claims"]["P1-data"][1]["status"] == "reproduced"
    (d / "01_a.json").write_text("{not json")
    with pytest.raises(HflineageError, match=r"01_a.json: not valid JSON"):
        merge_numbers(tmp_path, ["01_a"])


def test_lint_names_what_readers_would_see(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    png = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    cells = [
        new_markdown_cell("# 9. Lint"),
        new_code_cell("a = 1", metadata={"tags": ["parameters"]}),
        new_code_cell("a = 2", metadata={"tags": ["injected-parameters"]}),
        new_code_cell(
            "ch.figure(fig, 'x')",
            metadata={"mystnb": {"figure": {"name": "fig-x"}}},
            outputs=[
                new_output("execute_result", png, execution_count=3),
                new_output("display_data", png),
            ],
        ),
        new_code_cell(
            "ch.number('n', 5)",
            metadata={"tags": ["hide-input"]},
            outputs=[new_output("execute_result", {"text/plain": "5"}, execution_count=4)],
        ),
        new_code_cell(
            "ch.number('m', 6)",
            metadata={"tags": ["remove-cell"]},
            outputs=[new_output("execute_result", {"text/plain": "6"}, execution_count=5)],
        ),
        new_code_cell("slow()", outputs=[new_output("stream", name="stderr", text="100%|###|\n")]),
    ]
    path = tmp_path / "09_lint.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    assert execute.lint_notebook(path) == [
        "09_lint cell 2 (fig-x) shows 2 images: close the figure after saving it (plt.close(fig)) "
        "so it is displayed once",
        "09_lint cell 2 shows bookkeeping code (ch.number/ch.table/ch.figure and plotting): tag "
        "it hide-input (output stays, code under 'show source') or remove-cell",
        "09_lint cell 3 ends in a bare value shown to readers (5): assign it or end the line "
        "with ';'",
        "09_lint cell 5 writes to stderr: 100%|###|",
    ]


# --- execution -----------------------------------------------------------------------------------


def test_run_injects_parameters_and_writes_numbers_and_manifest(project):
    out = book_run.run(
        "sample",
        only=["01_tiny"],
        overrides={"share": 1, "label": 2024},
        root=project,
        progress=False,
    )
    assert out == project / "results" / "sample"
    numbers = json.loads((out / "numbers.json").read_text())
    got = {k: v["value"] for k, v in numbers["numbers"]["01_tiny"].items()}
    assert got == {
        "window_days": 30,  # from params/sample.yaml
        "share": 1.0,  # -p share=1, typed like the default
        "share_type": "float",
        "label": "2024",
        "label_type": "str",
        "profile": "sample",
        "snapshot": None,
    }
    assert numbers["claims"]["P1-window"] == [
        {
            "chapter": "01_tiny",
            "status": "method",
            "sentence": "a 30-day window.",
            "rule": "method: implemented and shown, not a finding data could confirm or refute",
            "primary": None,
            "robustness": None,
            "where": "fig-none",
            # a method has no test: no power, no equivalence, no designs
            "mde": None,
            "sesoi": None,
            "tost_p": None,
            "equivalence_bounds": None,
            "designs": [],
        }
    ]
    assert (project / "_build" / "executed" / "sample" / "01_tiny.ipynb").exists()

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["profile"] == "sample" and manifest["status"] == "ok"
    assert manifest["params_file"] == "params/sample.yaml"
    assert manifest["params_sha256"] == sha256_file(project / "params" / "sample.yaml")
    assert manifest["overrides"] == {"share": 1, "label": 2024}
    assert manifest["only"] == ["01_tiny"]
    assert manifest["git"] == {"commit": None, "dirty": None}  # tmp_path is no git checkout
    expected_sha = json.loads(MANIFEST.read_text())["snapshots"][EMBEDDED_NAME]["sha256"]
    assert manifest["data"][0]["sha256"] == expected_sha
    nb = manifest["notebooks"]["01_tiny"]
    assert nb["status"] == "ok" and nb["seconds"] > 0
    assert nb["parameters"] == {
        "profile": "sample",
        "snapshot": None,
        "results_dir": "results/sample",
        "window_days": 30,
        "share": 1.0,
        "label": "2024",
    }
    assert manifest["python"].count(".") == 2
    assert manifest["packages"]["papermill"] and manifest["packages"]["hflineage"]
    assert manifest["started"] <= manifest["finished"]
    assert nb["lint"] == []


def test_failure_names_notebook_and_cell_and_keeps_partial(project):
    with pytest.raises(NotebookError) as err:
        book_run.run("other", root=project, progress=False)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("02_fail.md failed in cell ")
    assert 'raise ValueError("boom at the third cell")' in msg
    assert msg.endswith(
        "ValueError: boom at the third cell; "
        "partial notebook kept in _build/executed/other/02_fail.ipynb"
    )
    # the chapter's cells: 0 the title, 1 parameters, 2 `x = 1`, 3 the failing one; the kernel
    # ran the injected parameters (In [2]) and `x = 1` (In [3]) before it
    assert "failed in cell 3 (In [4]: " in msg
    partial = project / "_build" / "executed" / "other" / "02_fail.ipynb"
    assert partial.exists()
    manifest = json.loads((project / "results" / "other" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["notebooks"]["01_tiny"]["status"] == "ok"
    assert manifest["notebooks"]["02_fail"]["status"] == "failed"
    numbers = json.loads((project / "results" / "other" / "numbers.json").read_text())
    assert numbers["numbers"]["01_tiny"]["window_days"]["value"] == 90  # no override in `other`
    assert "02_fail" not in numbers["numbers"]
    with pytest.raises(HflineageError, match="02_fail failed in the last"):
        render.stage_book("other", project)


def test_stage_book_refuses_a_chapter_edited_since_its_run(project, monkeypatch):
    (project / "notebooks" / "02_fail.md").unlink()
    book_run.run("other", root=project, progress=False)
    (project / "_config.yml").write_text("title: t\n")
    (project / "_toc.yml").write_text("format: jb-book\nroot: book/intro\n")
    (project / "book").mkdir()
    monkeypatch.setattr("hflineage.publish.pages.write_pages", lambda *a: [])
    monkeypatch.setattr("hflineage.publish.build.write_replication_pages", lambda *a: [])
    src = render.stage_book("other", project)
    assert (src / "notebooks" / "01_tiny.ipynb").exists()
    assert sorted(p.name for p in src.iterdir()) == ["_config.yml", "_toc.yml", "book", "notebooks"]
    assert "announcement" in (src / "_config.yml").read_text()
    nb = project / "notebooks" / "01_tiny.md"
    nb.write_text(nb.read_text() + "\nMore text.\n")
    with pytest.raises(HflineageError) as err:
        render.stage_book("other", project)
    assert str(err.value) == (
        "notebooks/01_tiny.md changed since it was last run under other; "
        "run `hflineage run --profile other --only 01_tiny` first"
    )


def test_profile_lock_makes_a_second_command_wait(tmp_path, capsys):
    import threading
    import time

    order: list[str] = []

    def second() -> None:
        with book_run.profile_lock(tmp_path, "ci"):
            order.append("second")

    with book_run.profile_lock(tmp_path, "ci"):
        worker = threading.Thread(target=second)
        worker.start()
        time.sleep(0.5)
        order.append("first done")
    worker.join(timeout=10)
    assert order == ["first done", "second"]
    assert "waiting: another hflineage command holds _build/.lock-ci" in capsys.readouterr().err
