"""Generated book pages: replication status, parameters, methods map, colophon; the book's files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from hflineage import verdicts
from hflineage.chapter import claims as book_claims
from hflineage.config import REPO_ROOT
from hflineage.errors import HflineageError
from hflineage.publish import markdown
from hflineage.publish import pages as bookpages
from hflineage.publish import status as book_status

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
    "HS-potential",
    "HS-speed",
    "HS-maturation",
    "HS-quality",
    "HS-credit",
]


@pytest.fixture(scope="module")
def claims():
    return book_claims.load_claims(BOOK / "claims.yml")


def test_claims_file_has_every_claim_of_both_papers(claims):
    assert [c["id"] for c in claims["claims"]] == CLAIM_IDS
    assert {c["paper"] for c in claims["claims"]} == {"P1", "P2", "HS"}
    # the extensions are Hill & Stein's framework's own predictions, declared as such
    hs = [c for c in claims["claims"] if c["paper"] == "HS"]
    assert hs and all(c["id"].startswith("HS-") and "extension" in c["source"] for c in hs)
    assert claims["papers"]["P1"]["arxiv"] == "2604.11618"
    assert claims["papers"]["P2"]["arxiv"] == "2604.13537"
    summary_only = [c["id"] for c in claims["claims"] if c["source"] == "summary"]
    assert summary_only == ["P1-window", "P1-indegree", "P2-measure"]


def test_claims_declare_kind_primary_rule_and_reason(claims):
    by_id = {c["id"]: c for c in claims["claims"]}
    kinds = {cid: c["kind"] for cid, c in by_id.items()}
    assert [cid for cid, k in kinds.items() if k == "method"] == [
        "P1-lineage",
        "P1-window",
        "P2-measure",
    ]
    assert [cid for cid, k in kinds.items() if k == "descriptive"] == [
        "P1-data",
        "P1-concentrated",
        "P2-entry",
    ]
    assert by_id["P1-data"]["rule"]["params"] == {"paper_models": 2_556_240}
    assert by_id["P1-concentrated"]["rule"]["params"] == {"threshold": 0.5, "above": True}
    assert by_id["P1-most-consolidative"]["rule"]["params"] == {
        "threshold": 0.5,
        "above": True,
        "inclusive": False,
        "contrary": 0.5,
    }
    for cid in ("P1-size", "P1-finetune"):
        assert by_id[cid]["primary"]["chapter"] == "04_who_disrupts"
        assert by_id[cid]["primary"]["clustering"] == "lineage family"
        assert by_id[cid]["rule"]["params"]["min_effect"] == 0.01
    assert by_id["P1-indegree"]["rule"]["params"]["min_effect"] == 0.05
    for cid in ("P2-priority", "P2-congestion", "P2-controls"):
        assert by_id[cid]["rule"]["params"]["expected"] == "negative"
        # revision 3: still clustered by base, read with the leave-one-base-out jackknife
        assert by_id[cid]["primary"]["clustering"].startswith("base (")
        assert "CR3" in by_id[cid]["primary"]["clustering"]
    for c in claims["claims"]:
        assert c["reason"] and "\n" not in c["reason"].strip(), c["id"]
    text = (BOOK / "claims.yml").read_text()
    assert "2026-11-30" in text and "fixed from now on" in text
    # the race primaries were filled in from the race chapter's simulation study
    assert "# primary spec: set by the race chapter's simulation" not in text
    assert text.count("simulation study, 2026-11-30") == 2  # P2-congestion, P2-controls
    assert by_id["P2-priority"]["primary"]["sample"].startswith("derivatives of LLM bases")


def test_declared_rule_reads_the_parameters():
    assert book_claims.declared_rule("P1-concentrated") == {"threshold": 0.5, "above": True}
    assert book_claims.declared_rule("P1-lineage") == {}
    assert book_claims.declared_primary("P1-concentrated")["top_share"] == 0.01
    assert book_claims.declared_primary("P2-entry")["top_share"] == 0.01
    with pytest.raises(HflineageError, match=r"unknown claim id 'P1-sise'"):
        book_claims.declared_rule("P1-sise")


def _claims_file(tmp_path, **change):
    """claims.yml with one field of P1-size replaced (``None`` deletes it)."""
    data = yaml.safe_load((BOOK / "claims.yml").read_text())
    entry = next(c for c in data["claims"] if c["id"] == "P1-size")
    for key, value in change.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    path = tmp_path / "claims.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "guess"}, r"claim 'P1-size' has kind 'guess'; expected one of"),
        ({"primary": None}, r"claim 'P1-size' has no primary specification with a 'chapter'"),
        ({"rule": {"name": "vote", "words": "w"}}, r"rule.name must be one of"),
        (
            {"rule": {"name": "sign", "words": "w", "params": {"alpah": 0.05}}},
            r"rule parameter 'alpah' is not a keyword of hflineage.verdicts.sign_rule",
        ),
        ({"rule": {"name": "method", "words": "w"}}, r"kind 'finding' does not fit rule 'method'"),
        ({"reason": None}, r"claim 'P1-size' has no 'reason'"),
        ({"sesoi": {"value": 0, "reason": "r"}}, r"sesoi must be \{value: a number > 0"),
        ({"sesoi": {"value": 0.01}}, r"sesoi has no 'reason'"),
        ({"revision": 2, "revised": None, "why": "w"}, r"is at revision 2 but has no 'revised'"),
        (
            {"revision": 2, "revised": "2026-12-05", "why": None},
            r"is at revision 2 but has no 'why'",
        ),
        (
            {"revision": 2, "revised": "d", "why": "w", "history": [{"revision": 1}]},
            r"each history entry needs a whole-number 'revision' and a 'declared' date",
        ),
        (
            {
                "revision": 2,
                "revised": "d",
                "why": "w",
                "history": [{"revision": 2, "declared": "d"}],
            },
            r"history revision 2 is out of order",
        ),
    ],
)
def test_bad_declarations_are_errors(tmp_path, change, message):
    with pytest.raises(HflineageError, match=message):
        book_claims.load_claims(_claims_file(tmp_path, **change))


def test_declared_rule_passes_the_declared_sesoi_to_a_rule_that_takes_one(tmp_path):
    path = _claims_file(tmp_path, sesoi={"value": 0.02, "reason": "two points per tenfold"})
    assert book_claims.declared_rule("P1-size", path)["sesoi"] == 0.02
    # a threshold rule takes no sesoi: none is passed
    data = yaml.safe_load(path.read_text())
    conc = next(c for c in data["claims"] if c["id"] == "P1-concentrated")
    conc["sesoi"] = {"value": 0.1, "reason": "r"}
    path.write_text(yaml.safe_dump(data))
    assert "sesoi" not in book_claims.declared_rule("P1-concentrated", path)


def _recorded(verdict, chapter, where=""):
    return {**verdict.to_dict(), "chapter": chapter, "where": where}


def _row(page, cid, nxt):
    """The summary-table row of ``cid`` (up to the next claim's row)."""
    return page[page.index(f"* - **{cid}**") : page.index(f"* - **{nxt}**")]


def _section(page, cid):
    """The per-claim section of ``cid`` (up to the next section or the end)."""
    start = page.index(f"(claim-{cid.lower()})=")
    nxt = page.find("(claim-", start + 1)
    return page[start : nxt if nxt > 0 else len(page)]


def test_status_page_lists_every_claim_not_yet_assessed(claims):
    page = book_status.status_page(claims, {"claims": {}}, {}, profile="ci")
    for cid in CLAIM_IDS:
        assert page.count(f"* - **{cid}**") == 1  # one summary row
        assert page.count(f"(claim-{cid.lower()})=") == 1  # one anchored section
        assert f"{{ref}}`details <claim-{cid.lower()}>`" in page
        assert f"`hflineage claim {cid} --from-results`" in _section(page, cid)
    # summary rows and sections, + the legend
    assert page.count("{bdg-light}`not yet assessed`") == 3 * len(CLAIM_IDS) + 1
    assert "**In this build:** 18 claims — 18 not yet assessed." in page
    assert "{cite:p}`wei2026disruptive`" in page and "{cite:p}`liu2026racing`" in page
    # the verdicts come first; the rules in plain words follow the tables
    assert page.index("* - **P1-data**") < page.index("## How a verdict is decided")
    rules = page[page.index("## How a verdict is decided") : page.index("## Each claim")]
    for status in ("reproduced", "absent", "inconclusive", "design-dependent"):
        assert f"`{status}`: " in rules
    assert "not testable (construct)`: " in rules
    assert "Holm" in rules and "design-dependent" in rules
    assert ":class: hfl-table hfl-wide hfl-status" in page
    # the verdict is the second column of the summary table
    header = page[page.index("````{list-table}") :]
    assert header.split("* - claim\n", 1)[1].startswith("  - verdict\n")


def test_status_page_one_final_verdict_per_claim_with_primary_and_robustness(claims):
    # P1-size: primary z = 4 (0.02 / 0.005) positive, robustness 1 support 1 contrary of 3 -> partly
    rob = verdicts.robustness_share(
        [0.01, -0.03, 0.002], [0.002, 0.01, 0.02], expected="positive", labels=["a", "b", "c"]
    )
    size = verdicts.sign_rule(
        verdicts.Evidence("cd, roots out, LPM", 0.02, 0.005, n=60_000, clusters=3_000),
        expected="positive",
        robustness=rob,
        subject="larger models are more often disruptive",
        quantity="the coefficient of log10 parameters",
    )
    robust = verdicts.sign_rule(
        verdicts.Evidence("window 180", 0.001, 0.01), expected="positive", subject="s"
    )
    conc = verdicts.threshold_rule(0.62, threshold=0.5, label="share of edges", fmt=".0%")
    numbers = {
        "claims": {
            # the declared chapter (04) decides even when another chapter is listed first
            "P1-size": [
                _recorded(robust, "06_robustness", "fig-rob"),
                _recorded(size, "04_who_disrupts", "fig-size"),
            ],
            "P1-lineage": [_recorded(verdicts.method_verdict("Built in phases"), "02_lineage")],
            "P1-concentrated": [_recorded(conc, "02_lineage", "fig-conc")],
            "P2-entry": [_recorded(verdicts.not_testable("Too few bases"), "05_race")],
        }
    }
    labels = {"04_who_disrupts": {"fig-size"}, "06_robustness": set(), "02_lineage": set()}
    methods = [{"construct": "x", "claims": ["P1-size"], "functions": ["hflineage.mdi.f"]}]
    page = book_status.status_page(claims, numbers, labels, profile="ci", methods=methods)
    row = _row(page, "P1-size", "P1-finetune")
    assert row.count("{bdg-") == 1 and "{bdg-warning}`partly reproduced`" in row
    assert "{numref}`fig-size`" in row
    assert "0.02 (SE 0.005, p \\< 0.001)" in row  # the primary result, escaped for MyST
    # P1-size is the only finding with a p: Holm over one test leaves p as it is (z = 4)
    assert "Holm p across the paper's findings: p \\< 0.001" in row
    # minimum detectable effect (80% power, 5%): (1.95996 + 0.84162) * 0.005 = 0.014
    assert "detectable (80% power): ±0.014" in row
    # 90% interval: 0.02 -+ 1.64485 * 0.005 = [0.0118, 0.0282]
    assert "90% interval [0.012, 0.028]" in row
    assert "n = 60,000; 3,000 clusters" in row
    assert "1 of 3 fits support (33%)" in row and "1 contrary" in row and "Holm-adjusted" in row
    assert "*also assessed in 06\\_robustness (not the verdict):*" in row
    section = _section(page, "P1-size")
    assert "**Computed by:** `hflineage.mdi.f`." in section
    assert ":::{dropdown} All 3 robustness fits (1 contrary, 1 neither, 1 support)" in section
    assert "*Code name of the primary fit:* `cd, roots out, LPM`" in section
    assert "{bdg-secondary}`method`" in _row(page, "P1-lineage", "P1-window")
    conc_row = _row(page, "P1-concentrated", "P1-size")
    assert "{bdg-success}`reproduced`" in conc_row and "  - 62%\n" in conc_row
    assert "Robustness" not in conc_row  # no robustness set
    assert (
        "**In this build:** 18 claims — 1 reproduced, 1 partly reproduced, 1 not testable, "
        "1 method, 14 not yet assessed." in page
    )


def test_holm_across_a_papers_findings_by_hand(claims):
    # two P1 findings with p 0.01 and 0.04: Holm multiplies the smaller by 2 (0.02) and keeps
    # the larger at max(0.02, 0.04 * 1) = 0.04; descriptive claims never enter the family
    def rec(p, chapter):
        ev = verdicts.Evidence("x", 1.0, 1.0, p=p)
        return [_recorded(verdicts.sign_rule(ev, expected="positive"), chapter)]

    numbers = {
        "P1-size": (rec(0.01, "04_who_disrupts")[0]),
        "P1-finetune": (rec(0.04, "04_who_disrupts")[0]),
        "P1-concentrated": (rec(0.001, "02_lineage")[0]),
    }
    chosen = {k: v for k, v in numbers.items()}
    adjusted = book_status.holm_by_paper(claims, chosen)
    assert adjusted == pytest.approx({"P1-size": 0.02, "P1-finetune": 0.04})


def test_history_shows_every_revision_and_why(claims):
    c = next(c for c in claims["claims"] if c["id"] == "P1-size")
    c = {
        **c,
        "revision": 2,
        "revised": "2026-12-05",
        "why": "a sesoi is declared",
        "history": [
            {
                "revision": 1,
                "declared": "2026-11-30",
                "primary": "cd, LPM",
                "rule": "sign",
                "verdict": "partly reproduced",
            }
        ],
    }
    table = book_status.history_table(c, {"status": "inconclusive"})
    assert (
        "* - 1\n  - 2026-11-30\n  - cd, LPM\n  - sign\n  - {bdg-warning}`partly reproduced`"
        in table
    )
    assert "* - 2 (in force)\n  - 2026-12-05" in table
    assert "{bdg-secondary-line}`inconclusive`\n  - a sesoi is declared" in table


def test_status_page_counts_add_up_to_the_claims(claims):
    sign = verdicts.sign_rule(verdicts.Evidence("x", 1.0, 0.1), expected="negative")
    numbers = {
        "claims": {
            cid: [_recorded(sign, c["primary"]["chapter"])]
            for cid, c in ((c["id"], c) for c in claims["claims"])
            if c["kind"] != "method"
        }
    }
    page = book_status.status_page(claims, numbers, {}, profile="ci")
    assert "**In this build:** 18 claims — 15 contradicted, 3 not yet assessed." in page


def test_a_method_claim_must_get_the_method_verdict(claims):
    numbers = {"claims": {"P1-window": [_recorded(verdicts.not_testable("x"), "03_mdi")]}}
    with pytest.raises(
        HflineageError, match=r"records 'not testable' on P1-window, declared a method"
    ):
        book_status.status_page(claims, numbers, {}, profile="ci")


def test_unknown_claim_id_is_an_error(claims):
    numbers = {"claims": {"P1-sise": [{"chapter": "04_who", "status": "reproduced"}]}}
    with pytest.raises(HflineageError, match=r"chapter 04_who records a verdict on unknown"):
        book_status.status_page(claims, numbers, {}, profile="ci")


STATUS_WORDS = (
    "reproduced",
    "partly reproduced",
    "absent",
    "inconclusive",
    "design-dependent",
    "contradicted",
    "not testable",
    "method",
)


def test_no_notebook_types_a_verdict():
    """No chapter passes a status string to ch.claim or types a status word as a string literal."""
    import jupytext

    literal = re.compile(r"[\"'](" + "|".join(STATUS_WORDS) + r")[\"']")
    claim_literal = re.compile(r"ch\.claim\(\s*[\"'][^\"']*[\"']\s*,\s*[\"'rf]")
    found = []
    for path in sorted((REPO_ROOT / "notebooks").glob("[0-9]*.md")):
        for cell in jupytext.read(path).cells:
            if cell.cell_type != "code":
                continue
            for hit in literal.findall(cell.source):
                found.append(f"{path.name}: {hit!r}")
            if claim_literal.search(cell.source):
                found.append(f"{path.name}: ch.claim with a literal")
    assert found == []


def test_the_verdict_literal_check_finds_a_planted_literal():
    """The patterns of test_no_notebook_types_a_verdict catch what they should."""
    literal = re.compile(r"[\"'](" + "|".join(STATUS_WORDS) + r")[\"']")
    claim_literal = re.compile(r"ch\.claim\(\s*[\"'][^\"']*[\"']\s*,\s*[\"'rf]")
    assert literal.findall('status = "partly reproduced"') == ["partly reproduced"]
    assert literal.findall("x = 'method'") == ["method"]
    assert literal.findall('ch.claim("P1-size", v)  # reproduced') == []
    assert claim_literal.search('ch.claim(\n    "P1-size",\n    f"{s}",')
    assert not claim_literal.search('ch.claim("P1-size", verdict, "fig-x")')


def test_md_escape():
    assert markdown.md_escape("a|b *c* $x$ `y` {z}") == r"a\|b \*c\* \$x\$ \`y\` \{z\}"


def test_list_table_shape():
    text = markdown.list_table(["a", "b"], [["1", "two\n\nparas"]], [50, 50])
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
    assert markdown.notebook_labels(nb) == {"ch-x", "fig-x", "fig-static"}


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
    entries = book_claims.load_methods(BOOK / "methods.yml")
    assert len(entries) >= 5
    for e in entries:
        for dotted in e.get("functions") or []:
            assert callable(book_claims.resolve_function(dotted)), dotted
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
        "simonsohn2020specification",
        "okabe2008color",
        "chen2024logs",
        "cohn2022count",
        "santossilva2006log",
        "mackinnon2023cluster",
        "mackinnon2017wild",
        "lakens2017equivalence",
        "holm1979simple",
    } == keys
    cited: set[str] = set()
    pages = [*BOOK.glob("*.md"), *(REPO_ROOT / "notebooks").glob("[0-9]*.md")]
    for page in pages:
        for group in re.findall(r"\{cite(?::[pt])?\}`([^`]+)`", page.read_text()):
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
        "glance.md",
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
