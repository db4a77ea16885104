"""Run the book: execute every chapter with papermill, collect its numbers, render the HTML.

``run(profile)`` is the one way the chapters are executed (the book renders with
``execute_notebooks: off``):

1. read ``params/<profile>.yaml`` (``snapshot``, an optional ``slice`` of real model families for
   the small ``ci`` profile, and ``chapters: {NN_name: {parameter: value}}`` overrides);
2. check every override against the chapters' ``parameters`` cells *before* anything runs;
3. for each ``notebooks/NN_*.md`` (sorted), inject ``profile``, ``snapshot``, ``results_dir`` and
   the overrides, and execute it with papermill into ``_build/executed/<profile>/NN_name.ipynb``;
4. merge the chapters' ``results/<profile>/numbers/*.json`` into ``results/<profile>/numbers.json``
   (every number the text quotes and every claim verdict) and write ``manifest.json`` (commit,
   checksums of data and parameters, package versions, runtimes).

``render(profile)`` then assembles a build source folder ``_build/source/<profile>/`` — the
committed ``_config.yml``, ``_toc.yml`` and ``book/`` pages, the pages generated from this run
(:mod:`hflineage.publish.pages`), and the executed notebooks as ``notebooks/NN_name.ipynb`` — and
builds it with ``jupyter-book build -W -n --keep-going`` into ``_build/html``.  ``_toc.yml`` lists
the chapters with the glob ``notebooks/[0-9]*``, so inside the build source it finds exactly the
executed notebooks, and a new chapter needs no toc edit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import platform
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import REPO_ROOT, build_dir, executed_dir, results_dir
from ..errors import HflineageError
from ..files import display_path, file_lock, sha256_file, utc_now, write_json
from .execute import NotebookError, execute_notebook, lint_notebook
from .fingerprint import chapter_fingerprint, package_digest, reusable
from .profiles import find_notebooks, load_profile, plan_parameters
from .snapshot import _snapshot_facts, resolve_snapshot

#: Distributions whose versions go into ``manifest.json`` (and the colophon).
PACKAGES = (
    "hflineage",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "networkx",
    "statsmodels",
    "pyfixest",
    "matplotlib",
    "seaborn",
    "papermill",
    "jupytext",
    "ipykernel",
    "nbclient",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "sphinxcontrib-bibtex",
    "huggingface_hub",
)


def merge_numbers(results_dir: Path, chapters: list[str] | None = None) -> dict[str, Any]:
    """Merge ``numbers/*.json`` (one per chapter, written by :class:`hflineage.chapter.report.Chapter`).

    Returns ``{"numbers": {chapter: {key: entry}}, "claims": {claim_id: [verdict, ...]}}``;
    each verdict carries its ``chapter``.  ``chapters`` limits the merge to those names (files
    of chapters that no longer exist are ignored).
    """
    numbers: dict[str, Any] = {}
    claims: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((results_dir / "numbers").glob("*.json")):
        if chapters is not None and path.stem not in chapters:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise HflineageError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        name = data.get("chapter", path.stem)
        numbers[name] = data.get("numbers", {})
        for claim_id, verdict in (data.get("claims") or {}).items():
            claims.setdefault(claim_id, []).append({"chapter": name, **verdict})
    return {"numbers": numbers, "claims": dict(sorted(claims.items()))}


def git_state(root: Path) -> dict[str, Any]:
    """Commit of ``root`` and whether the files that make the book differ from it."""

    def git(*args: str) -> str | None:
        try:
            res = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    paths = ["src", "notebooks", "params", "book", "_config.yml", "_toc.yml", "data"]
    status = git("status", "--porcelain", "--", *paths)
    return {
        "commit": commit,
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(status),
        "changed_files": len(status.splitlines()) if status else 0,
    }


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that shape the results and the book."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


@contextlib.contextmanager
def profile_lock(root: Path, name: str) -> Iterator[None]:
    """Hold ``_build/.lock-<name>`` (a profile, or ``html`` for the rendered book) so that two
    commands in one working tree (two terminals, or a test beside a build) do not write the same
    executed notebooks, results or HTML at once; the second waits and says so
    (:func:`hflineage.files.file_lock`).
    """
    path = build_dir(root) / f".lock-{name}"
    with file_lock(path, f"_build/.lock-{name} in this tree"):
        yield


def run(
    profile: str,
    *,
    only: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
    root: str | Path | None = None,
    progress: bool = True,
    cell_progress: bool = False,
    force: bool = False,
) -> Path:
    """Execute the chapters under ``profile``; return ``results/<profile>``.

    Writes ``_build/executed/<profile>/NN_name.ipynb`` and, in ``results/<profile>/``,
    ``numbers.json`` and ``manifest.json``.  ``only`` runs some chapters (the others' earlier
    numbers stay in ``numbers.json``); ``overrides`` are ``-p`` values (see
    :func:`plan_parameters`).  A failing notebook stops the run with :class:`NotebookError`.

    A chapter whose fingerprint (:mod:`hflineage.publish.fingerprint`) equals that of its last
    successful run is reused, not re-executed ("03_mdi: up to date"); ``force`` re-runs all.
    """
    root = Path(root or REPO_ROOT).resolve()
    load_profile(profile, root)  # an unknown profile fails before waiting for a lock
    with profile_lock(root, profile):
        return _run(profile, only, overrides, root, progress, cell_progress, force)


def _run(
    profile: str,
    only: list[str] | None,
    overrides: dict[str, Any] | None,
    root: Path,
    progress: bool,
    cell_progress: bool,
    force: bool,
) -> Path:
    from tqdm.auto import tqdm

    prof = load_profile(profile, root)
    if (overrides or {}).get("snapshot") is not None:  # -p snapshot=...: this run's data
        prof = dataclasses.replace(prof, snapshot=str(overrides["snapshot"]), slice=None)
    notebooks = find_notebooks(root, only)
    plan = plan_parameters(prof, notebooks, overrides)
    results = results_dir(root, profile)
    executed = executed_dir(root, profile)
    started, t_start = utc_now(), time.perf_counter()
    snapshot, provenance = resolve_snapshot(prof, root)

    manifest_path = results / "manifest.json"
    previous: dict[str, Any] = {}
    if manifest_path.exists():
        try:
            previous = json.loads(manifest_path.read_text(encoding="utf-8")).get("notebooks", {})
        except json.JSONDecodeError:  # a damaged manifest only costs a full re-run
            previous = {}
    all_names = [p.stem for p in find_notebooks(root)]
    (results / "numbers").mkdir(parents=True, exist_ok=True)
    if not only:  # a full run: drop numbers of chapters that no longer exist
        for stale in (results / "numbers").glob("*.json"):
            if stale.stem not in all_names:
                stale.unlink()
    runs: dict[str, Any] = {k: v for k, v in previous.items() if k in all_names and k not in plan}
    snapshot_sha = _snapshot_facts(snapshot, root).get("sha256")
    package, versions = package_digest(), package_versions()
    ran: list[str] = []
    reused: list[str] = []
    snapshots_used: set[str | None] = set()
    failure: NotebookError | None = None
    bar = tqdm(notebooks, desc=f"run {profile}", unit="chapter", disable=not progress)
    for path in bar:
        name = path.stem
        bar.set_postfix_str(name)
        params = {
            "profile": profile,
            "snapshot": snapshot,
            "results_dir": display_path(results, root),
            **plan[name],
        }
        snapshots_used.add(params["snapshot"])
        out = executed / f"{name}.ipynb"
        numbers_file = results / "numbers" / f"{name}.json"
        fingerprint = chapter_fingerprint(
            path,
            params,
            snapshot_sha256=snapshot_sha,
            package=package,
            versions=versions,
            root=root,
        )
        if not force and reusable(previous.get(name), fingerprint, [out, numbers_file]):
            runs[name] = {**previous[name], "reused": True}
            reused.append(name)
            if progress:
                bar.write(f"  {name}: up to date")
            continue
        numbers_file.unlink(missing_ok=True)
        ran.append(name)
        t0 = time.perf_counter()
        status = "ok"
        try:
            execute_notebook(path, out, params, cwd=root, progress_bar=cell_progress)
        except NotebookError as exc:
            failure, status = exc, "failed"
        seconds = round(time.perf_counter() - t0, 2)
        runs[name] = {
            "status": status,
            "seconds": seconds,
            "finished": utc_now(),
            "source": display_path(path, root),
            "source_sha256": sha256_file(path),
            "executed": display_path(out, root),
            "parameters": params,
            "fingerprint": fingerprint,
            "reused": False,
        }
        lint = lint_notebook(out, results) if out.exists() and status == "ok" else []
        runs[name]["lint"] = lint
        if progress:
            bar.write(f"  {name}: {status} in {seconds:.1f} s")
            for line in lint:
                bar.write(f"    check: {line}")
        if failure:
            break
    bar.close()

    merged = merge_numbers(results, all_names)
    write_json(results / "numbers.json", {"profile": profile, **merged})
    manifest = {
        "profile": profile,
        "params_file": display_path(prof.path, root),
        "params_sha256": sha256_file(prof.path),
        "overrides": dict(overrides or {}),
        "only": [p.stem for p in notebooks] if only else None,
        "git": git_state(root),
        "data": [_snapshot_facts(s, root) for s in sorted(snapshots_used, key=str)],
        **provenance,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "started": started,
        "finished": utc_now(),
        "seconds": round(time.perf_counter() - t_start, 2),
        "status": "failed" if failure else "ok",
        "ran": ran,
        "reused": reused,
        "notebooks": dict(sorted(runs.items())),
    }
    write_json(manifest_path, manifest)
    if failure:
        raise failure
    return results
