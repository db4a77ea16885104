"""Generated book pages: replication status, parameters, methods map, colophon; the book's files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from hflineage.book import pages as bookpages
from hflineage.config import REPO_ROOT
from hflineage.errors import HflineageError

BOOK = REPO_ROOT / "book"

#: The claim ids of the papers (2026-11), typed out here as an independent check of claims.yml.
CLAIM_IDS = [
    "P1-data",
    "P1-lineage",
    "P1-window",
    "P1-most-consolidative",
    "P1-concentrated",
    "P1-size",
    "P1-finetune",
    "P1-indegree",
    "P2-entry",
    "P2-priority",
    "P2-congestion",
    "P2-controls",
    "P2-measure",
]


@pytest.fixture(scope="module")
def claims():
    return bookpages.load_claims(BOOK / "claims.yml")


def test_claims_file_has_every_claim_of_both_papers(claims):
    assert [c["id"] for c in claims["claims"]] == CLAIM_IDS
    assert {c["paper"] for c in claims["claims"]} == {"P1", "P2"}
    assert claims["papers"]["P1"]["arxiv"] == "2604.11618"
    assert claims["papers"]["P2"]["arxiv"] == "2604.13537"
    summary_only = [c["id"] for c in claims["claims"] if c["source"] == "summary"]
    assert summary_only == ["P1-window", "P1-indegree", "P2-measure"]


def test_status_page_lists_every_claim_not_yet_assessed(claims):
    page = bookpages.status_page(claims, {"claims": {}}, {}, profile="ci")
    for cid in CLAIM_IDS:
        assert f"**{cid}**" in page
    assert page.count("{bdg-light}`not yet assessed`") == len(CLAIM_IDS) + 1  # + the legend
    assert "**In this build:** 13 not yet assessed." in page
    assert "{cite:p}`wei2026disruptive`" in page and "{cite:p}`liu2026racing`" in page


def test_status_page_shows_verdicts_with_links(claims):
    numbers = {
        "claims": {
            "P1-size": [
                {
                    "chapter": "04_who",
                    "status": "partly reproduced",
                    "result": "odds ratio 1.4 | only for *7B+*",
                    "where": "fig-size",
                },
                {
                    "chapter": "06_robust",
                    "status": "not reproduced",
                    "result": "gone without roots",
                    "where": "tab-missing",
                },
            ],
            "P2-measure": [{"chapter": "05_race", "status": "not testable", "result": "r"}],
        }
    }
    labels = {"04_who": {"fig-size", "ch-who"}, "06_robust": {"ch-robust"}, "05_race": set()}
    page = bookpages.status_page(claims, numbers, labels, profile="ci")
    row = page[page.index("**P1-size**") : page.index("**P1-finetune**")]
    assert "{bdg-warning}`partly reproduced`" in row and "{bdg-danger}`not reproduced`" in row
    assert r"odds ratio 1.4 \| only for \*7B+\*" in row  # escaped: no table break, no emphasis
    assert "{numref}`fig-size`" in row
    # an unknown label falls back to the chapter, with the label as text
    assert r"{doc}`/notebooks/06_robust` (tab-missing)" in row
    assert (
        "**In this build:** 1 partly reproduced, 1 not reproduced, 1 not testable, "
        "11 not yet assessed (13 claims, some with verdicts from several chapters)." in page
    )


def test_unknown_claim_id_is_an_error(claims):
    numbers = {"claims": {"P1-sise": [{"chapter": "04_who", "status": "reproduced"}]}}
    with pytest.raises(HflineageError, match=r"chapter 04_who records a verdict on unknown"):
        bookpages.status_page(claims, numbers, {}, profile="ci")


def test_md_escape():
    assert bookpages.md_escape("a|b *c* $x$ `y` {z}") == r"a\|b \*c\* \$x\$ \`y\` \{z\}"


def test_list_table_shape():
    text = bookpages.list_table(["a", "b"], [["1", "two\n\nparas"]], [50, 50])
    assert text.splitlines() == [
        "````{list-table}",
        ":header-rows: 1",
        ":widths: 50 50",
        ":class: hfl-table",
        "",
        "* - a",
        "  - b",
        "* - 1",
        "  - two",
        "",
        "    paras",
        "````",
    ]


def test_notebook_labels(tmp_path):
    nb = tmp_path / "03_x.md"
    nb.write_text(
        textwrap.dedent(
            """\
            ---
            kernelspec: {display_name: Python 3, language: python, name: python3}
            jupytext: {text_representation: {extension: .md, format_name: myst}}
            ---
            (ch-x)=
            # 3. X

            ```{code-cell} ipython3
            ---
            mystnb:
              figure:
                name: fig-x
                caption: A figure
            ---
            1
            ```

            ```{figure} a.png
            :name: fig-static
            ```
            """
        )
    )
    assert bookpages.notebook_labels(nb) == {"ch-x", "fig-x", "fig-static"}


def test_parameters_page_reads_cells_and_profiles(tmp_path):
    nb = tmp_path / "03_mdi.md"
    nb.write_text(
        textwrap.dedent(
            """\
            ---
            kernelspec: {display_name: Python 3, language: python, name: python3}
            jupytext: {text_representation: {extension: .md, format_name: myst}}
            ---
            # 3. The MDI

            ```{code-cell} ipython3
            :tags: [parameters]
            profile = "sample"  # profile
            snapshot = None  # data
            results_dir = "results/sample"  # out
            window_days = 90  # the paper's window (P1-window)
            min_derivatives = 10  # focal models need this many children
            ```
            """
        )
    )
    page = bookpages.parameters_page([nb], {"ci": {"03_mdi": {"min_derivatives": 3}}, "sample": {}})
    assert "## 3. The MDI" in page
    assert "* - `window_days`\n  - `90`\n  - the paper's window (P1-window)\n  - —" in page
    assert (
        "* - `min_derivatives`\n  - `10`\n  - focal models need this many children\n  - ci: `3`"
        in (page)
    )
    assert "* - `results_dir`" not in page  # the injected three are explained once, above


def test_colophon_has_commit_and_runtimes():
    manifest = {
        "profile": "ci",
        "params_file": "params/ci.yaml",
        "params_sha256": "ab" * 32,
        "git": {"commit": "c" * 40, "dirty": True},
        "seconds": 12.5,
        "data": [{"path": "results/ci/snapshot-x.parquet", "sha256": "d" * 64}],
        "notebooks": {"01_data": {"status": "ok", "seconds": 3.25, "parameters": {"a": 1}}},
        "packages": {"pandas": "3.1.1", "pyfixest": None},
        "python": "3.11.7",
    }
    page = bookpages.colophon_page(manifest)
    assert f"`{'c' * 40}` with uncommitted changes" in page
    assert "* - {doc}`01_data </notebooks/01_data>`\n  - ok\n  - 3.2\n" in page
    assert "pandas 3.1.1 · pyfixest (not installed)." in page
    assert bookpages.announcement(manifest).startswith("Built with profile “ci”: a small real")


# --- the committed book files ------------------------------------------------------------------


def test_methods_map_names_existing_functions_tests_and_chapters():
    entries = bookpages.load_methods(BOOK / "methods.yml")
    assert len(entries) >= 5
    for e in entries:
        for dotted in e.get("functions") or []:
            assert callable(bookpages.resolve_function(dotted)), dotted
        for test in e.get("tests") or []:
            path, _, name = test.partition("::")
            assert (REPO_ROOT / path).is_file(), test
            if name:
                assert re.search(rf"^def {name}\(", (REPO_ROOT / path).read_text(), re.M), test
        for cid in e.get("claims") or []:
            assert cid in CLAIM_IDS, cid
        if e.get("chapter"):
            assert (REPO_ROOT / "notebooks" / f"{e['chapter']}.md").is_file(), e["chapter"]


def test_every_toc_page_is_committed_or_generated():
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    generated = {"book/status", "book/parameters", "book/methods", "book/colophon"}
    files = [toc["root"]] + [
        ch["file"] for part in toc["parts"] for ch in part["chapters"] if "file" in ch
    ]
    for f in files:
        assert f in generated or (REPO_ROOT / f"{f}.md").is_file(), f
    for f in generated:
        assert not (REPO_ROOT / f"{f}.md").exists(), f"{f}.md is generated; do not commit it"
    globs = [ch["glob"] for part in toc["parts"] for ch in part["chapters"] if "glob" in ch]
    assert globs == ["notebooks/[0-9]*"]


def test_every_citation_is_in_the_bibliography():
    bib = (BOOK / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.M))
    assert {
        "wei2026disruptive",
        "liu2026racing",
        "hill2025race",
        "funk2017dynamic",
        "wu2019large",
        "park2023papers",
        "holst2024dataset",
        "stalnaker2025supply",
    } == keys
    cited: set[str] = set()
    for page in BOOK.glob("*.md"):
        for group in re.findall(r"\{cite:[pt]\}`([^`]+)`", page.read_text()):
            cited.update(k.strip() for k in group.split(","))
    assert cited <= keys
    assert re.search(r"volume\s*=\s*\{140\}.*?pages\s*=\s*\{1111--1185\}", bib, re.S)


def test_mathjax_is_vendored_and_configured():
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
    sphinx = config["sphinx"]["config"]
    assert sphinx["mathjax_path"] == "mathjax/tex-chtml-full.js"
    static = REPO_ROOT / sphinx["html_static_path"][0]
    js = static / sphinx["mathjax_path"]
    assert js.is_file() and js.stat().st_size > 1_000_000
    fonts = list((js.parent / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["only_build_toc_files"] is True
    assert {".venv", "_build", "data", "results"} <= set(config["exclude_patterns"])


def test_generated_pages_written_for_a_run(tmp_path, monkeypatch):
    """write_pages on a fake run of the repository's notebooks: every claim id appears."""
    import json

    root = tmp_path / "root"
    for sub in ("book", "notebooks", "params"):
        (root / sub).mkdir(parents=True)
    for f in ("claims.yml", "methods.yml"):
        (root / "book" / f).write_text((BOOK / f).read_text())
    for f in (REPO_ROOT / "params").glob("*.yaml"):
        (root / "params" / f.name).write_text(f.read_text())
    for f in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.md"):
        (root / "notebooks" / f.name).write_text(f.read_text())
    results = root / "results" / "ci"
    results.mkdir(parents=True)
    (results / "numbers.json").write_text(json.dumps({"numbers": {}, "claims": {}}))
    (results / "manifest.json").write_text(json.dumps({"profile": "ci", "notebooks": {}}))
    out = tmp_path / "src"
    written = bookpages.write_pages(root, "ci", out)
    assert sorted(p.name for p in written) == [
        "colophon.md",
        "methods.md",
        "parameters.md",
        "status.md",
    ]
    status = (out / "book" / "status.md").read_text()
    assert all(f"**{cid}**" in status for cid in CLAIM_IDS)
    assert status.startswith("---\nhtml_theme.sidebar_secondary.remove: true\n---\n")
    assert Path(out / "book" / "parameters.md").read_text().count("## ") == len(
        list((root / "notebooks").glob("*.md"))
    )
