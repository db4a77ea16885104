"""Where things live and the units things are counted in: the repository's folders and the files
the package reads and writes, named once so that no module spells a path of its own, and the
length of a day in the units timestamps are compared in.

Paths under a project ``root`` are functions of that root (tests and the ``ci`` profile run in
temporary trees); the installed checkout's own root is :data:`REPO_ROOT`.
"""

from __future__ import annotations

from pathlib import Path

#: The package's source folder (its digest is part of every chapter's fingerprint).
PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout this package is installed from (``pip install -e .``).
REPO_ROOT = PACKAGE_DIR.parents[1]

DATA_DIR = REPO_ROOT / "data"
SNAPSHOT_DIR = DATA_DIR / "snapshots"
#: sha256 and snapshot date of the embedded files.
MANIFEST = DATA_DIR / "manifest.json"
EMBEDDED_NAME = "hf-models-2024-07-11.parquet"
EMBEDDED_SNAPSHOT = SNAPSHOT_DIR / EMBEDDED_NAME

#: Folder names under a project root.
PARAMS = "params"
NOTEBOOKS = "notebooks"
BOOK = "book"
RESULTS = "results"
BUILD = "_build"


def params_dir(root: Path) -> Path:
    """``params/``: one ``<profile>.yaml`` per run profile."""
    return Path(root) / PARAMS


def notebooks_dir(root: Path) -> Path:
    """``notebooks/``: the chapters, as jupytext MyST files."""
    return Path(root) / NOTEBOOKS


def results_dir(root: Path, profile: str) -> Path:
    """``results/<profile>/``: figures, tables, numbers.json and manifest.json of one profile."""
    return Path(root) / RESULTS / profile


def build_dir(root: Path) -> Path:
    """``_build/``: executed notebooks, staged sources, locks and the rendered HTML."""
    return Path(root) / BUILD


def executed_dir(root: Path, profile: str) -> Path:
    """``_build/executed/<profile>/``: the notebooks papermill executed."""
    return build_dir(root) / "executed" / profile


def html_dir(root: Path) -> Path:
    """``_build/html/``: the rendered book."""
    return build_dir(root) / "html"


# ------------------------------------------------------------------------------------------------
# Units of time, named once (timestamps are compared as integers in s, ms or µs since the epoch)
# ------------------------------------------------------------------------------------------------
#: Seconds in a day.
DAY_SECONDS = 86_400
#: Milliseconds in a day (the listing's resolution).
DAY_MS = DAY_SECONDS * 1_000
#: Microseconds in a day (the lineage graph's resolution).
DAY_US = DAY_MS * 1_000
#: Days in a mean (Julian) year.
DAYS_PER_YEAR = 365.25
