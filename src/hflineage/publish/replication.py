"""The replication package's pages, generated at build time so that they cannot go stale.

Each is the body of a committed page (``book/data.md``, ``book/exhibits.md``,
``book/replication.md`` hold the title and include ``<name>_body.md``), written into the build
source by :func:`write_replication_pages`:

- ``book/data.md`` — the data's provenance, rendered from ``data/README.md`` and
  ``data/manifest.json`` (source repository and commit, licence, full checksum, columns, caveats,
  how a later snapshot is fetched);
- ``book/exhibits.md`` — every figure and table of the book, the function and chapter cell that
  make it (:mod:`hflineage.publish.exhibits`);
- ``book/replication.md`` — the README of the Social Science Data Editors' template: data
  availability, computational requirements (versions from ``uv.lock``, hardware and run times
  from the runs' manifests) and each rule of the Data and Code Availability Standard (DCAS v1.0),
  met or with its exception.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from ..config import executed_dir, results_dir
from .exhibits import exhibit_rows, exhibits
from .markdown import GENERATED_NOTE, list_table

#: Packages whose locked versions the computational requirements name.
KEY_PACKAGES = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "statsmodels",
    "pyfixest",
    "networkx",
    "matplotlib",
    "seaborn",
    "papermill",
    "jupyter-book",
)

#: Run times measured on a quiet 2-core machine (README, How-to; 2026-11/12), per profile.
MEASURED = {
    "ci": "2 to 4 minutes (5,175 models); 1.3 GB peak memory",
    "embedded": "about 3 to 4 minutes for the six chapters, 15 s to render; 1.3 GB peak memory",
    "full": "about 7 minutes at 3 million models after a 1-minute fetch; 4.6 GB peak memory",
}


def data_page(root: Path) -> str:
    """``data/README.md`` under a table of ``data/manifest.json``'s facts, as a book page."""
    readme = (root / "data" / "README.md").read_text(encoding="utf-8")
    manifest = json.loads((root / "data" / "manifest.json").read_text(encoding="utf-8"))
    body = re.sub(r"\A# [^\n]*\n", "", readme).strip()  # the page has its own title
    rows = []
    for name, facts in (manifest.get("snapshots") or {}).items():
        source = str(facts.get("source", ""))
        repo, _, rest = source.partition("@")
        commit, _, files = rest.partition(" ")
        rows += [
            ["file", f"`data/snapshots/{name}`"],
            ["taken", str(facts.get("snapshot_date", ""))],
            ["rows", f"{int(facts.get('rows', 0)):,} models"],
            ["source repository", f"[{repo}](https://github.com/{repo})"],
            ["source commit", f"`{commit}`"],
            ["source files", f"`{files}`"],
            ["licence", str(facts.get("licence", ""))],
            ["sha256", f"`{facts.get('sha256', '')}`"],
        ]
    return "\n".join(
        [
            GENERATED_NOTE.format(what="data/README.md and data/manifest.json"),
            "Where the data of this book come from, what they hold and what to watch for. The "
            "embedded file is verified against the checksum below on every load. Generated from "
            "`data/README.md` and `data/manifest.json` of the repository.",
            "",
            list_table(None, rows, [25, 75]),
            "",
            body,
            "",
        ]
    )


def exhibits_page(root: Path, profile: str, chapters: list[str]) -> str:
    """The list of exhibits of ``profile``'s executed notebooks."""
    items = exhibits(executed_dir(root, profile), chapters)
    n_fig = sum(e.kind == "figure" for e in items)
    return "\n".join(
        [
            GENERATED_NOTE.format(what="the executed notebooks"),
            f"Every figure ({n_fig}) and table ({len(items) - n_fig}) of this book: the package "
            "function that makes it and the chapter cell that calls it (cells counted from the "
            "top of the chapter's notebook, text cells included; open the chapter's `.ipynb` from "
            "the download button to see the numbering). The file is what the run wrote. Read "
            "from the notebooks the run executed, so this list follows the chapters. To remake "
            "one exhibit, re-run its chapter: `hflineage run --only NN_name`.",
            "",
            list_table(
                ["#", "exhibit", "chapter, cell", "function", "file"],
                exhibit_rows(items, profile),
                [4, 36, 16, 26, 18],
            ),
            "",
        ]
    )


def locked_versions(root: Path) -> dict[str, str]:
    """``{package: version}`` from ``uv.lock`` (empty when there is no lock)."""
    path = root / "uv.lock"
    if not path.exists():
        return {}
    lock = tomllib.loads(path.read_text(encoding="utf-8"))
    return {p["name"]: p.get("version", "") for p in lock.get("package", [])}


def _run_time(root: Path, profile: str) -> str:
    path = results_dir(root, profile) / "manifest.json"
    if not path.exists():
        return "not run in this folder"
    m: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    secs = sum(float(r.get("seconds") or 0) for r in (m.get("notebooks") or {}).values())
    return f"chapters {secs / 60:.1f} minutes in the last run ({str(m.get('finished'))[:10]})"


def replication_page(root: Path, manifest: dict[str, Any], profiles: list[str]) -> str:
    """The template README as a book page, with the DCAS checklist."""
    locked = locked_versions(root)
    n_locked = len(locked)
    versions = ", ".join(f"{p} {locked[p]}" for p in KEY_PACKAGES if p in locked)
    runtimes = [
        [f"`{p}`", MEASURED.get(p, ""), _run_time(root, p)] for p in profiles if p in MEASURED
    ]
    dcas = [
        [
            "Data availability statement",
            "met",
            "{ref}`data-page`: source, licence, how to get it, no cost, no delay",
        ],
        [
            "Raw data",
            "met",
            "the listing is in the repository (`data/snapshots/`, 24 MB) and in the source's replication package",
        ],
        [
            "Analysis data",
            "met",
            "made from the raw data by the chapters at run time; nothing hand-edited",
        ],
        ["Format", "met", "Parquet (open, columnar); results as CSV and JSON"],
        [
            "Metadata",
            "met",
            "columns and caveats on {ref}`data-page`; the models table's schema in the data chapter",
        ],
        ["Citation", "met", "Stalnaker et al. (2025) cited in the book and in `CITATION.cff`"],
        ["Data transformation code", "met", "`src/hflineage/data`, `lineage` (tested)"],
        ["Analysis code", "met", "`src/hflineage/mdi`, `race`, called visibly from the chapters"],
        ["Code format", "met", "Python source and MyST notebooks (`notebooks/*.md`), no binaries"],
        [
            "Location (trusted repository)",
            "exception",
            "not yet deposited in a trusted archive with a DOI (e.g. Zenodo): the code lives in a git repository; the data's source is on GitHub",
        ],
        ["Licence", "met", "code MIT, data GPL-3.0 (`data/LICENSE-DATA.md`)"],
        [
            "Omissions",
            "met",
            "none: every number is computed from the embedded data; the papers' own 2,556,240-model data are not available (see {ref}`replication-status`)",
        ],
        [
            "README",
            "met",
            "this page and `README.md` (the Social Science Data Editors' template sections)",
        ],
        [
            "Computational requirements",
            "met",
            "below: software with locked versions, hardware, run time per profile",
        ],
        ["Instructions to replicate", "met", "{ref}`how-to-use`: `make book`, then `make check`"],
        ["List of exhibits", "met", "{ref}`exhibits`, generated from the executed chapters"],
    ]
    git = manifest.get("git") or {}
    return "\n".join(
        [
            GENERATED_NOTE.format(
                what="uv.lock, results/*/manifest.json and the DCAS checklist in hflineage.publish.replication"
            ),
            "This page follows the Social Science Data Editors' template README and checks the "
            "book against the Data and Code Availability Standard (DCAS, version 1.0).",
            "",
            "## Data availability and provenance",
            "",
            "All data are public and included: the Hugging Face Hub's model listing of 2024-07-11 "
            "(760,000 models), mined by Stalnaker et al. (2025) and published under GPL-3.0 in "
            "their replication package; the file is embedded in the repository and its checksum "
            "is verified on every load. Getting it costs nothing and needs no registration. "
            "Details, caveats and how to fetch a later snapshot of the Hub: {ref}`data-page`. "
            "The authors of the book have the right to redistribute it under its licence.",
            "",
            "## Computational requirements",
            "",
            f"- **Software**: Python 3.11 and the {n_locked} packages pinned with their sha256 "
            f"hashes in `uv.lock` (installed by `make book` / `make test`), among them {versions}.",
            "- **Hardware**: any 64-bit Linux or macOS machine (Windows: WSL) with 2 cores, 4 GB "
            "of memory (8 GB for the `full` profile) and 2 GB of disk (5 GB for `full`).",
            f"- **This build**: Python {manifest.get('python')}, {manifest.get('platform')}, "
            f"commit `{str(git.get('commit') or '')[:12]}`.",
            "- **Expected run time per profile** (installing the locked environment adds about "
            "half a minute):",
            "",
            list_table(
                ["profile", "measured on a quiet 2-core machine", "last run in this folder"],
                runtimes,
                [14, 50, 36],
            ),
            "",
            "## Instructions",
            "",
            "`make book` installs, runs every chapter and renders the book; `make check` then "
            "compares every claim's primary estimate, standard error, sample size and verdict "
            "with the golden estimates in `tests/golden/` and names any number that moved. "
            "`hflineage claim ID` re-runs what decides one claim and prints its full record. "
            "Step by step, including Windows: {ref}`how-to-use`.",
            "",
            "## List of exhibits",
            "",
            "{ref}`exhibits` maps every figure and table to the function and chapter cell that "
            "make it.",
            "",
            "## DCAS rules",
            "",
            list_table(["rule", "status", "where, or the exception"], dcas, [26, 12, 62]),
            "",
        ]
    )


#: Generated bodies, by the committed page that includes them.
BODIES = {
    "data": "data_body.md",
    "exhibits": "exhibits_body.md",
    "replication": "replication_body.md",
}


def write_replication_pages(
    root: Path, profile: str, dest: Path, chapters: list[str]
) -> list[Path]:
    """Write the three bodies of ``profile``'s last run into ``dest/book/``; return them."""
    from .profiles import available_profiles

    manifest = json.loads(
        (results_dir(root, profile) / "manifest.json").read_text(encoding="utf-8")
    )
    texts = {
        "data": data_page(root),
        "exhibits": exhibits_page(root, profile, chapters),
        "replication": replication_page(root, manifest, available_profiles(root)),
    }
    written = []
    for page, text in texts.items():
        path = dest / "book" / BODIES[page]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
