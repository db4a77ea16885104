"""The replication package's generated pages: list of exhibits, Data page, template README, and
the repository address read from one place.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from hflineage.config import REPO_ROOT
from hflineage.publish import pages, replication
from hflineage.publish.exhibits import exhibit_rows, notebook_exhibits


def code(source: str, **meta) -> dict:
    return {"cell_type": "code", "source": source, "metadata": meta, "outputs": []}


def test_exhibits_follow_names_and_imports_to_the_package_function(tmp_path: Path):
    cells = [
        {"cell_type": "markdown", "source": "# A chapter", "metadata": {}},
        code("from hflineage import race\nfrom hflineage.race import plots as plots_race\n"),
        code("tbl = race.mapping_table()\n"),
        code(
            'fig = plots_race.entry_plot(tbl)\nch.figure(fig, "race_entry")',
            mystnb={
                "figure": {"name": "fig-race-entry", "caption": "Entry: {glue:text}`k` of all."}
            },
        ),
        code('ch.table(tbl.head(3), "race_mapping", caption="Constructs and variables")'),
        code('fig, ax = plt.subplots()\nch.figure(fig, "by_hand")'),
    ]
    path = tmp_path / "05_race.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    found = notebook_exhibits(path)
    assert [(e.cell, e.kind, e.key, e.label, e.function) for e in found] == [
        (4, "figure", "race_entry", "fig-race-entry", "hflineage.race.plots.entry_plot"),
        (5, "table", "race_mapping", None, "hflineage.race.mapping_table"),
        (6, "figure", "by_hand", None, "(drawn in the cell with pandas/matplotlib)"),
    ]
    rows = exhibit_rows(found, "ci")
    assert rows[0][1] == "{numref}`fig-race-entry`: Entry: … of all."  # glue dropped
    assert rows[0][2] == "{doc}`05_race <../notebooks/05_race>`, cell 4"
    assert rows[1][4] == "`results/ci/tables/race_mapping.csv`"


def test_data_page_carries_the_manifest_facts_and_the_readme():
    manifest = json.loads((REPO_ROOT / "data" / "manifest.json").read_text())
    facts = manifest["snapshots"]["hf-models-2024-07-11.parquet"]
    page = replication.data_page(REPO_ROOT)
    assert f"`{facts['sha256']}`" in page  # the full checksum, not a prefix
    repo, _, rest = facts["source"].partition("@")
    assert f"https://github.com/{repo}" in page and f"`{rest.split(' ')[0]}`" in page
    assert "760,000 models" in page and "GPL-3.0" in page
    assert "Known caveats" in page and "hub-stats" in page  # README body: caveats, later snapshots
    assert "\n# " not in page  # the README's own title gives way to book/data.md's


def test_replication_page_names_locked_versions_and_every_dcas_rule():
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    pandas = next(p["version"] for p in lock["package"] if p["name"] == "pandas")
    page = replication.replication_page(REPO_ROOT, {"python": "3.11.7", "git": {}}, ["ci"])
    assert f"pandas {pandas}" in page and f"the {len(lock['package'])} packages" in page
    for rule in (
        "Data availability statement",
        "Raw data",
        "Licence",
        "Location (trusted repository)",
    ):
        assert f"* - {rule}\n" in page, rule
    assert "  - exception\n" in page  # the archive with a DOI is the one exception, stated


def test_how_to_first_step_has_no_placeholder_while_the_address_is_unset():
    unset = pages.get_the_code("", "0123456789abcdef")
    assert "<" not in unset and "`0123456` " not in unset and "commit `0123456`" in unset
    set_ = pages.get_the_code("https://example.org/hflineage.git", None)
    assert set_ == "`git clone https://example.org/hflineage.git hflineage && cd hflineage`."
    assert pages.repository_url({"repository": {"url": " https://x "}}) == "https://x"
    assert pages.repository_url({}) == ""
    assert '<a href="https://x">code</a>' in pages.announcement({"profile": "ci"}, "https://x")
