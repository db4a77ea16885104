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
(:mod:`hflineage.bookpages`), and the executed notebooks as ``notebooks/NN_name.ipynb`` — and
builds it with ``jupyter-book build -W -n --keep-going`` into ``_build/html``.  ``_toc.yml`` lists
the chapters with the glob ``notebooks/[0-9]*``, so inside the build source it finds exactly the
executed notebooks, and a new chapter needs no toc edit.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import glob
import hashlib
import io
import json
import logging
import platform
import re
import shutil
import subprocess
import sys
import time
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .data import REPO_ROOT
from .errors import HflineageError, ParameterError
from .files import sha256_file, write_json

#: Parameters the pipeline sets in every chapter; a ``-p`` override may set only ``snapshot``.
INJECTED = ("profile", "snapshot", "results_dir")

#: Top-level keys a ``params/<profile>.yaml`` may have.
PROFILE_KEYS = ("profile", "snapshot", "slice", "chapters", "description")

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

#: Bump when the way the ci slice is chosen changes (part of the slice cache key).
SLICE_VERSION = "1"

CHAPTER_RE = re.compile(r"^\d\d_[A-Za-z0-9_]+$")


class NotebookError(HflineageError):
    """A chapter notebook failed to execute (names the notebook and the cell)."""


# ---------------------------------------------------------------------------------------------
# Profiles and parameters
# ---------------------------------------------------------------------------------------------


@dataclass
class Profile:
    """A run profile, read from ``params/<name>.yaml``."""

    name: str
    path: Path
    snapshot: str | None = None
    slice: dict[str, Any] | None = None
    chapters: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""


def available_profiles(root: Path | None = None) -> list[str]:
    """Names of the profiles in ``params/`` (one per ``<name>.yaml``)."""
    root = Path(root or REPO_ROOT)
    return sorted(p.stem for p in (root / "params").glob("*.yaml"))


def load_profile(name: str, root: Path | None = None) -> Profile:
    """Read and check ``params/<name>.yaml``; unknown names or keys raise :class:`ParameterError`."""
    root = Path(root or REPO_ROOT)
    names = available_profiles(root)
    if name not in names:
        raise ParameterError(
            f"unknown profile {name!r}; expected one of: {', '.join(names) or '(none in params/)'}"
        )
    path = root / "params" / f"{name}.yaml"
    rel = _display(path, root)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise ParameterError(f"{rel}: not valid YAML ({first})") from None
    if not isinstance(raw, dict):
        raise ParameterError(f"{rel}: expected a mapping of keys, found {type(raw).__name__}")
    unknown = sorted(set(raw) - set(PROFILE_KEYS))
    if unknown:
        raise ParameterError(
            f"{rel}: unknown key {unknown[0]!r}; expected keys: {', '.join(PROFILE_KEYS)}"
        )
    if raw.get("profile", name) != name:
        raise ParameterError(f"{rel}: says profile {raw['profile']!r}, expected {name!r}")
    chapters = raw.get("chapters") or {}
    if not isinstance(chapters, dict) or not all(isinstance(v, dict) for v in chapters.values()):
        raise ParameterError(f"{rel}: 'chapters' must map NN_name to {{parameter: value}}")
    slice_ = raw.get("slice")
    if slice_ is not None:
        roots = slice_.get("roots") if isinstance(slice_, dict) else None
        if not roots or not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
            raise ParameterError(f"{rel}: 'slice.roots' must be a non-empty list of model ids")
        if raw.get("snapshot") is not None:
            raise ParameterError(
                f"{rel}: give either 'snapshot' or 'slice' (a slice names its source itself)"
            )
    return Profile(
        name=name,
        path=path,
        snapshot=raw.get("snapshot"),
        slice=slice_,
        chapters={str(k): dict(v) for k, v in chapters.items()},
        description=str(raw.get("description") or ""),
    )


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment of a chapter's ``parameters`` cell: name, default, and its comment."""

    chapter: str
    name: str
    default: Any
    source: str
    comment: str


def notebook_parameters(path: Path) -> list[NotebookParameter]:
    """The assignments of the cell tagged ``parameters`` in a jupytext notebook, in order.

    ``default`` is the literal value (or the source text when it is not a literal); ``comment``
    is the line's trailing ``# ...`` comment, which the book shows as the parameter's reason.
    """
    import jupytext

    path = Path(path)
    nb = jupytext.read(path)
    cells = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "parameters" in (c.get("metadata", {}).get("tags") or [])
    ]
    if not cells:
        raise ParameterError(
            f"{path}: no code cell tagged 'parameters' (see notebooks/README.md for the template)"
        )
    source = cells[0].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(
            f"{path}: parameters cell line {exc.lineno}: {exc.msg} (expected `name = value  # why`)"
        ) from None
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    params = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        text = ast.get_source_segment(source, value) or ""
        try:
            default = ast.literal_eval(value)
        except ValueError:
            default = text
        lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        comment = " ".join(comments[i] for i in lines if i in comments)
        params.append(NotebookParameter(path.stem, target.id, default, text, comment))
    return params


def parse_value(text: str) -> Any:
    """A ``-p key=value`` value, typed as YAML types it: ``180`` → int, ``0.5`` → float,
    ``true`` → bool, ``null`` → None, ``[a, b]`` → list; anything else stays a string."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, dt.date | dt.datetime):
        return text
    return value


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key=value`` (or ``NN_chapter.key=value``) into the key and its typed value."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ParameterError(f"-p {text!r}: expected key=value, e.g. -p window_days=180")
    return key, parse_value(value.strip())


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``-p`` arguments as a dict (a later repetition of a key wins)."""
    return dict(parse_override(item) for item in items or [])


def coerce(value: Any, default: Any, name: str = "value") -> Any:
    """Match an override's type to the parameter's default where that is unambiguous:
    an int for a float parameter becomes a float; a number for a string parameter becomes a
    string (``-p label=2024`` stays ``"2024"``).  Text for a number or yes/no parameter is a
    :class:`ParameterError` before anything runs (not a traceback deep inside a chapter)."""
    if isinstance(value, str) and isinstance(default, bool):
        raise ParameterError(f"-p {name}={value}: expected true or false (default {default})")
    if isinstance(value, str) and isinstance(default, int | float):
        raise ParameterError(f"-p {name}={value}: expected a number like the default {default!r}")
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, str) and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def find_notebooks(root: Path | None = None, only: list[str] | None = None) -> list[Path]:
    """The chapter notebooks ``notebooks/NN_*.md`` in order; ``only`` selects some by name
    (``03_mdi``, ``03`` or ``03_mdi.md`` all work)."""
    root = Path(root or REPO_ROOT)
    found = sorted(
        p for p in (root / "notebooks").glob("[0-9][0-9]_*.md") if CHAPTER_RE.match(p.stem)
    )
    if not found:
        raise HflineageError(f"{_display(root / 'notebooks', root)}: no chapter notebooks NN_*.md")
    if not only:
        return found
    chosen = []
    for want in only:
        stem = Path(want).stem if want.endswith(".md") else want
        hits = [p for p in found if p.stem == stem or p.stem.split("_", 1)[0] == stem]
        if not hits:
            raise ParameterError(
                f"--only {want!r}: no such chapter; expected one of: "
                + ", ".join(p.stem for p in found)
            )
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen)


def plan_parameters(
    profile: Profile,
    notebooks: list[Path],
    overrides: dict[str, Any] | None = None,
    *,
    declared: dict[str, list[NotebookParameter]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The non-injected parameters each chapter receives: profile overrides, then ``-p``.

    A ``-p key=value`` applies to every selected chapter that declares ``key``;
    ``-p NN_name.key=value`` to that chapter only.  A key no selected chapter declares, a profile
    override of a parameter its chapter does not declare, and an attempt to set ``profile`` or
    ``results_dir`` raise :class:`ParameterError` before anything runs.
    """
    overrides = dict(overrides or {})
    names = [p.stem for p in notebooks]
    if declared is None:
        declared = {p.stem: notebook_parameters(p) for p in notebooks}
    defaults = {ch: {q.name: q.default for q in declared[ch]} for ch in names}
    plan: dict[str, dict[str, Any]] = {ch: {} for ch in names}
    rel = _display(profile.path, profile.path.parents[1])
    for ch, values in profile.chapters.items():
        if ch not in plan:
            continue  # a chapter not selected (or not written yet)
        for key, value in values.items():
            if key in INJECTED:
                raise ParameterError(f"{rel}: chapters.{ch}.{key} is set by the pipeline")
            if key not in defaults[ch]:
                raise ParameterError(
                    f"{rel}: chapters.{ch}.{key}: {ch} has no parameter {key!r}; it has: "
                    + ", ".join(k for k in defaults[ch] if k not in INJECTED)
                )
            plan[ch][key] = value
    for key, value in overrides.items():
        chapter, dot, name = key.rpartition(".")
        if dot and chapter not in plan:
            raise ParameterError(
                f"-p {key}: chapter {chapter!r} is not selected; selected: {', '.join(names)}"
            )
        if name in ("profile", "results_dir"):
            raise ParameterError(f"-p {key}: {name} is set by --profile, not by -p")
        targets = [chapter] if dot else names
        hits = [ch for ch in targets if name in defaults[ch]]
        if not hits:
            where = chapter if dot else "any selected chapter"
            known = sorted({k for ch in targets for k in defaults[ch] if k not in INJECTED})
            raise ParameterError(
                f"-p {key}: {where} has no parameter {name!r}; known: {', '.join(known)}"
            )
        for ch in hits:
            plan[ch][name] = coerce(value, defaults[ch][name], name)
    return plan


# ---------------------------------------------------------------------------------------------
# Data: the snapshot a profile runs on (and the ci slice)
# ---------------------------------------------------------------------------------------------


def family(models: Any, roots: list[str], *, edges: Any = None, max_depth: int = 100) -> Any:
    """Model ids of ``roots`` and all their descendants (children, grandchildren, ...).

    ``edges`` is a frame with ``child`` and ``parent`` columns; by default the declared
    (child, base model) pairs of ``models['declared_parents']``.  One vectorised ``isin`` per
    generation; a cycle in the declarations cannot loop (ids already kept are not revisited).
    """
    import pandas as pd

    from .data import explode_lists

    if edges is None:
        long = explode_lists(models["declared_parents"])
        edges = pd.DataFrame(
            {
                "child": models["model_id"].to_numpy()[long["row"].to_numpy()],
                "parent": long["value"],
            }
        )
    keep = pd.Index(pd.unique(pd.Series(roots, dtype=object)))
    frontier = keep
    for _ in range(max_depth):
        children = pd.Index(edges.loc[edges["parent"].isin(frontier), "child"].unique())
        frontier = children.difference(keep)
        if frontier.empty:
            break
        keep = keep.append(frontier)
    return pd.Series(keep, dtype=object, name="model_id")


def _lineage_edges(models: Any) -> tuple[Any, str]:
    """(child, parent) edges for the slice: the lineage module's when it is there, else the
    declared base models; also says which was used (it goes into the slice cache key)."""
    try:
        from .lineage import build_edges
    except ImportError:
        return None, "declared_parents"
    edges = build_edges(models)
    cols = set(getattr(edges, "columns", []))
    if {"child", "parent"} <= cols:
        return edges[["child", "parent"]], "lineage.build_edges"
    return None, "declared_parents"


def make_slice(spec: dict[str, Any], out_dir: Path, root: Path) -> tuple[Path, dict[str, Any]]:
    """Write (or reuse) the small real slice a profile's ``slice`` section asks for.

    The slice holds the listing rows of ``spec['roots']`` and all their descendants, written by
    :func:`hflineage.data.write_listing_slice` (so it keeps the source's snapshot date and
    censors like the full data).  It is cached as ``<out_dir>/snapshot-<key>.parquet``, ``key``
    hashing the source's sha256, the roots and the edge method.
    """
    from .data import EMBEDDED_SNAPSHOT, load_snapshot, write_listing_slice

    source = Path(spec.get("source") or EMBEDDED_SNAPSHOT)
    if not source.is_absolute():
        source = root / source
    if not source.exists():
        raise HflineageError(f"slice source {_display(source, root)}: no such file")
    roots = list(spec["roots"])
    source_sha = sha256_file(source)
    method = _edge_method()
    key = hashlib.sha256(
        "\n".join([SLICE_VERSION, source_sha, method, *roots]).encode()
    ).hexdigest()[:12]
    out = out_dir / f"snapshot-{key}.parquet"
    info_path = out.with_suffix(".json")
    if out.exists() and info_path.exists():
        return out, json.loads(info_path.read_text(encoding="utf-8"))
    models = load_snapshot(source)
    missing = [r for r in roots if not models["model_id"].eq(r).any()]
    if missing:
        raise ParameterError(
            f"slice root {missing[0]!r} is not a model of {_display(source, root)}"
        )
    edges, used = _lineage_edges(models)
    ids = family(models, roots, edges=edges)
    label = f"ci slice: {len(roots)} model families"
    write_listing_slice(ids, out, label=label, source=source)
    info = {
        "roots": roots,
        "models": int(len(ids)),
        "edges": method if used != "declared_parents" else used,
        "source": _display(source, root),
        "source_sha256": source_sha,
        "slice_sha256": sha256_file(out),
        "label": label,
    }
    write_json(info_path, info)
    for old in out_dir.glob("snapshot-*.parquet"):
        if old != out:
            old.unlink(missing_ok=True)
            old.with_suffix(".json").unlink(missing_ok=True)
    return out, info


def _edge_method() -> str:
    """Which edges the slice follows, with the checksum of the code that parses them (data.py
    and lineage.py): a change there re-cuts the slice."""
    import importlib.util

    data_sha = sha256_file(Path(__file__).with_name("data.py"))[:12]
    spec = importlib.util.find_spec("hflineage.lineage")
    if spec is None or not spec.origin:
        return f"declared_parents@{data_sha}"
    return f"lineage.build_edges@{data_sha}.{sha256_file(spec.origin)[:12]}"


def resolve_snapshot(profile: Profile, root: Path) -> tuple[str | None, dict[str, Any]]:
    """The ``snapshot`` value the chapters receive (None = embedded) and its provenance.

    A profile's ``snapshot`` may be ``hub-stats:latest`` / ``api:latest`` (the newest fetched
    snapshot, :func:`hflineage.data.resolve_snapshot`) or a glob
    (``data/snapshots/hub-stats-models-*.parquet``: the newest match by the fetch sidecar's
    ``fetched_at``, else the file time).  Either is resolved once, so every chapter of a run
    reads the same file, and the manifest names it.
    """
    if profile.slice is not None:
        path, info = make_slice(profile.slice, root / "results" / profile.name, root)
        return _display(path, root), {"slice": info}
    if profile.snapshot is None:
        return None, {}
    pattern = str(profile.snapshot)
    from . import data

    if pattern in data.LATEST:  # hub-stats:latest, api:latest: resolved once, for every chapter
        return _display(data.resolve_snapshot(pattern), root), {"snapshot_spec": pattern}
    base = Path(pattern) if Path(pattern).is_absolute() else root / pattern
    if any(ch in pattern for ch in "*?["):
        matches = [Path(p) for p in glob.glob(str(base)) if not p.endswith(".json")]
        if matches:
            return _display(max(matches, key=_fetched_at), root), {}
        found = None
    else:
        found = base if base.exists() else None
    if found is None:
        hint = (
            "; run `hflineage fetch --source hub-stats` first"
            if profile.name == "full" or "snapshots" in Path(pattern).parts
            else ""
        )
        raise HflineageError(
            f"{_display(profile.path, root)}: snapshot {pattern} does not exist{hint}"
        )
    return _display(found, root), {}


def _fetched_at(path: Path) -> tuple[str, float]:
    """Sort key of a fetched snapshot: its sidecar's ``fetched_at``, then the file time."""
    sidecar = path.with_name(path.name + ".json")
    stamp = ""
    if sidecar.exists():
        try:
            stamp = str(json.loads(sidecar.read_text(encoding="utf-8")).get("fetched_at") or "")
        except json.JSONDecodeError:
            stamp = ""
    return stamp, path.stat().st_mtime


def _snapshot_facts(value: str | None, root: Path) -> dict[str, Any]:
    from .data import EMBEDDED_SNAPSHOT

    path = EMBEDDED_SNAPSHOT if value is None else Path(value)
    if not path.is_absolute():
        path = root / path
    facts: dict[str, Any] = {"snapshot": value, "path": _display(path, root)}
    if path.is_file():
        facts["sha256"] = sha256_file(path)
        facts["bytes"] = path.stat().st_size
        sidecar = path.with_name(path.name + ".json")
        if sidecar.exists():  # written by `hflineage fetch`: repo, revision, fetch time
            try:
                facts["fetch"] = json.loads(sidecar.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                facts["fetch"] = None
    elif path.is_dir():
        digest = hashlib.sha256()
        for f in sorted(path.rglob("*")):
            if f.is_file():
                digest.update(f"{f.relative_to(path)}\0{sha256_file(f)}\n".encode())
        facts["sha256_of_files"] = digest.hexdigest()
    return facts


# ---------------------------------------------------------------------------------------------
# Execution
# ---------------------------------------------------------------------------------------------


def execute_notebook(
    source: Path,
    out: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    progress_bar: bool = False,
) -> None:
    """Execute one jupytext chapter with papermill into ``out`` (kept, also when it fails).

    A failing cell raises :class:`NotebookError` with one line: the notebook, the cell (0-based
    index among the chapter's cells, Markdown included, and its ``In [n]``), the exception, and
    where the partially executed notebook is.
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    # Our own check of the parameters (plan_parameters) replaces papermill's regex-based one,
    # which misreads comments; and the kernel's TCP-transport notice is not for readers.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    nb = jupytext.read(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    kept = f"partial notebook kept in {_display(out, cwd)}"
    try:
        papermill.execute_notebook(
            nb,
            str(out),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=progress_bar,
            cwd=str(cwd),
            # the kernel's notice that it talks to us over local TCP is not for readers
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        first = next((ln.strip() for ln in (exc.source or "").splitlines() if ln.strip()), "")
        if len(first) > 60:
            first = first[:57] + "..."
        evalue = _strip_ansi(str(exc.evalue)).strip().splitlines()
        raise NotebookError(
            f"{source.name} failed in cell {_source_cell(nb, exc.cell_index)} "
            f"(In [{exc.exec_count}]: {first}): "
            f"{exc.ename}: {evalue[0] if evalue else ''}; {kept}"
        ) from None
    except Exception as exc:  # kernel died, no such kernel, timeout: still one line
        if isinstance(exc, HflineageError):
            raise
        msg = _strip_ansi(str(exc)).strip().splitlines()
        raise NotebookError(
            f"{source.name} could not run: {type(exc).__name__}: {msg[0] if msg else ''}"
            + (f"; {kept}" if out.exists() else "")
        ) from None


def _source_cell(nb: Any, executed_index: int) -> int:
    """The 0-based index, in the chapter's own cells, of papermill's ``cell_index`` (which counts
    the injected-parameters cell that papermill adds after the ``parameters`` cell)."""
    tagged = [
        i
        for i, c in enumerate(nb.cells)
        if "parameters" in (c.get("metadata", {}).get("tags") or [])
    ]
    if tagged and executed_index > tagged[0] + 1:
        return executed_index - 1
    return executed_index


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def lint_notebook(path: Path) -> list[str]:
    """What a reader of the rendered chapter would see that the author likely did not mean.

    One line each (cells numbered as in :class:`NotebookError`): a figure cell (``mystnb.figure.name``) with several images (the figure was
    shown twice: returned *and* left open for the inline backend; the book then fails with
    "Duplicate explicit target name"), a visible cell that ends in a bare value (a stray
    ``np.float64(...)`` under the text), output on stderr, and error outputs.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    name = Path(path).stem
    out = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        i = _source_cell(nb, k)
        tags = cell.get("metadata", {}).get("tags") or []
        if "remove-cell" in tags or "remove-output" in tags or "injected-parameters" in tags:
            continue
        outputs = cell.get("outputs") or []
        label = ((cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}).get("name")
        images = sum(1 for o in outputs if any(k.startswith("image/") for k in o.get("data", {})))
        if label and images > 1:
            out.append(
                f"{name} cell {i} ({label}) shows {images} images: close the figure after saving "
                "it (plt.close(fig)) so it is displayed once"
            )
        for o in outputs:
            data = o.get("data", {})
            if o.get("output_type") == "execute_result" and set(data) == {"text/plain"}:
                value = data["text/plain"].splitlines()[0][:40] if data["text/plain"] else ""
                out.append(
                    f"{name} cell {i} ends in a bare value shown to readers ({value}): "
                    "assign it or end the line with ';'"
                )
            elif o.get("output_type") == "stream" and o.get("name") == "stderr":
                first = _strip_ansi(o.get("text", "")).strip().splitlines()
                out.append(f"{name} cell {i} writes to stderr: {first[0][:60] if first else ''}")
            elif o.get("output_type") == "error":
                out.append(f"{name} cell {i} shows an error: {o.get('ename')}")
    return out


def merge_numbers(results_dir: Path, chapters: list[str] | None = None) -> dict[str, Any]:
    """Merge ``numbers/*.json`` (one per chapter, written by :class:`hflineage.report.Chapter`).

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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _display(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX) when inside it, else absolute."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


@contextlib.contextmanager
def profile_lock(root: Path, name: str) -> Iterator[None]:
    """Hold ``_build/.lock-<name>`` (a profile, or ``html`` for the rendered book) so that two
    commands in one working tree (two terminals, or a test beside a build) do not write the same
    executed notebooks, results or HTML at once; the second waits and says so."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        yield
        return
    path = root / "_build" / f".lock-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"waiting: another hflineage command holds _build/.lock-{name} in this tree",
                file=sys.stderr,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(
    profile: str,
    *,
    only: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
    root: str | Path | None = None,
    progress: bool = True,
    cell_progress: bool = False,
) -> Path:
    """Execute the chapters under ``profile``; return ``results/<profile>``.

    Writes ``_build/executed/<profile>/NN_name.ipynb`` and, in ``results/<profile>/``,
    ``numbers.json`` and ``manifest.json``.  ``only`` runs some chapters (the others' earlier
    numbers stay in ``numbers.json``); ``overrides`` are ``-p`` values (see
    :func:`plan_parameters`).  A failing notebook stops the run with :class:`NotebookError`.
    """
    root = Path(root or REPO_ROOT).resolve()
    load_profile(profile, root)  # an unknown profile fails before waiting for a lock
    with profile_lock(root, profile):
        return _run(profile, only, overrides, root, progress, cell_progress)


def _run(
    profile: str,
    only: list[str] | None,
    overrides: dict[str, Any] | None,
    root: Path,
    progress: bool,
    cell_progress: bool,
) -> Path:
    from tqdm.auto import tqdm

    prof = load_profile(profile, root)
    notebooks = find_notebooks(root, only)
    plan = plan_parameters(prof, notebooks, overrides)
    results_dir = root / "results" / profile
    executed_dir = root / "_build" / "executed" / profile
    started, t_start = _now(), time.perf_counter()
    snapshot, provenance = resolve_snapshot(prof, root)

    manifest_path = results_dir / "manifest.json"
    previous = {}
    if only and manifest_path.exists():
        previous = json.loads(manifest_path.read_text(encoding="utf-8")).get("notebooks", {})
    all_names = [p.stem for p in find_notebooks(root)]
    (results_dir / "numbers").mkdir(parents=True, exist_ok=True)
    if not only:  # a full run: drop numbers of chapters that no longer exist
        for stale in (results_dir / "numbers").glob("*.json"):
            if stale.stem not in all_names:
                stale.unlink()
    runs: dict[str, Any] = {k: v for k, v in previous.items() if k in all_names and k not in plan}
    snapshots_used: set[str | None] = set()
    failure: NotebookError | None = None
    bar = tqdm(notebooks, desc=f"run {profile}", unit="chapter", disable=not progress)
    for path in bar:
        name = path.stem
        bar.set_postfix_str(name)
        params = {
            "profile": profile,
            "snapshot": snapshot,
            "results_dir": _display(results_dir, root),
            **plan[name],
        }
        snapshots_used.add(params["snapshot"])
        out = executed_dir / f"{name}.ipynb"
        (results_dir / "numbers" / f"{name}.json").unlink(missing_ok=True)
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
            "finished": _now(),
            "source": _display(path, root),
            "source_sha256": sha256_file(path),
            "executed": _display(out, root),
            "parameters": params,
        }
        lint = lint_notebook(out) if out.exists() and status == "ok" else []
        runs[name]["lint"] = lint
        if progress:
            bar.write(f"  {name}: {status} in {seconds:.1f} s")
            for line in lint:
                bar.write(f"    check: {line}")
        if failure:
            break
    bar.close()

    merged = merge_numbers(results_dir, all_names)
    write_json(results_dir / "numbers.json", {"profile": profile, **merged})
    manifest = {
        "profile": profile,
        "params_file": _display(prof.path, root),
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
        "finished": _now(),
        "seconds": round(time.perf_counter() - t_start, 2),
        "status": "failed" if failure else "ok",
        "notebooks": dict(sorted(runs.items())),
    }
    write_json(manifest_path, manifest)
    if failure:
        raise failure
    return results_dir


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def stage_book(profile: str, root: str | Path | None = None) -> Path:
    """Assemble ``_build/source/<profile>/``: config, toc, ``book/``, generated pages and the
    executed notebooks (``notebooks/NN_name.ipynb``); return the folder."""
    from . import bookpages

    root = Path(root or REPO_ROOT).resolve()
    load_profile(profile, root)
    executed_dir = root / "_build" / "executed" / profile
    notebooks = find_notebooks(root)
    missing = [p.stem for p in notebooks if not (executed_dir / f"{p.stem}.ipynb").exists()]
    if missing:
        raise HflineageError(
            f"{_display(executed_dir, root)}: no executed {missing[0]}.ipynb; "
            f"run `hflineage run --profile {profile}` first"
        )
    manifest_path = root / "results" / profile / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    runs = manifest.get("notebooks", {})
    failed = [n for n, r in runs.items() if r.get("status") != "ok"]
    if failed:
        raise HflineageError(
            f"{failed[0]} failed in the last `hflineage run --profile {profile}`; fix it and re-run"
        )
    for path in notebooks:
        if runs.get(path.stem, {}).get("source_sha256") != sha256_file(path):
            raise HflineageError(
                f"{_display(path, root)} changed since it was last run under {profile}; "
                f"run `hflineage run --profile {profile} --only {path.stem}` first"
            )
    src = root / "_build" / "source" / profile
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copytree(root / "book", src / "book")
    shutil.copy2(root / "_toc.yml", src / "_toc.yml")
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("html", {})["announcement"] = bookpages.announcement(manifest)
    (src / "_config.yml").write_text(
        "# Generated by hflineage.pipeline.stage_book from ../../../_config.yml: do not edit.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    (src / "notebooks").mkdir()
    for path in notebooks:
        shutil.copy2(executed_dir / f"{path.stem}.ipynb", src / "notebooks" / f"{path.stem}.ipynb")
    bookpages.write_pages(root, profile, src)
    return src


def render(
    profile: str,
    root: str | Path | None = None,
    *,
    nitpicky: bool = True,
    keep_going: bool = True,
    quiet: bool = False,
    output: str | Path | None = None,
) -> Path:
    """Build ``<output>/_build/html`` (``output`` defaults to the repository root) from the
    executed notebooks of ``profile`` with ``jupyter-book``, warnings as errors (``-W``), ``-n``
    (nitpicky) and ``--keep-going`` (list every warning).  Tests pass a temporary ``output`` so
    that they never replace the book a reader built with ``make book``."""
    root = Path(root or REPO_ROOT).resolve()
    out = Path(output).resolve() if output is not None else root
    load_profile(profile, root)
    with profile_lock(root, profile), profile_lock(root, "html"):
        return _render(profile, root, out, nitpicky=nitpicky, keep_going=keep_going, quiet=quiet)


def _render(
    profile: str, root: Path, out: Path, *, nitpicky: bool, keep_going: bool, quiet: bool
) -> Path:
    src = stage_book(profile, root)
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(src)]
    cmd += ["--path-output", str(out), "--all", "-W"]
    if nitpicky:
        cmd.append("-n")
    if keep_going:
        cmd.append("--keep-going")
    if quiet:
        cmd.append("-q")
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    output = _strip_ansi((res.stdout or "") + (res.stderr or ""))
    log = root / "_build" / f"book-{profile}.log"
    log.write_text(output, encoding="utf-8")
    warnings = [
        ln.replace(f"{src}/", "")
        for ln in output.splitlines()
        if "WARNING:" in ln or "ERROR:" in ln or "CRITICAL:" in ln
    ]
    if not quiet:
        for line in warnings:
            print(line, file=sys.stderr)
    if res.returncode != 0:
        if not warnings and not quiet:
            print("\n".join(output.splitlines()[-30:]), file=sys.stderr)
        first = f"; first: {warnings[0]}" if warnings else ""
        raise HflineageError(
            f"jupyter-book build of {_display(src, root)} failed with {len(warnings)} "
            f"warning(s), treated as errors (full log: {_display(log, root)}){first}"
        )
    if not quiet:
        print(
            f"rendered {_display(src, root)} in {time.perf_counter() - t0:.0f} s", file=sys.stderr
        )
    return out / "_build" / "html" / "index.html"


def book(
    profile: str,
    *,
    overrides: dict[str, Any] | None = None,
    root: str | Path | None = None,
    execute: bool = True,
    progress: bool = True,
) -> Path:
    """``run`` every chapter, then ``render``; return ``_build/html/index.html``."""
    if execute:
        run(profile, overrides=overrides, root=root, progress=progress)
    return render(profile, root)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    out = run(
        args.profile,
        only=args.only,
        overrides=parse_overrides(args.param),
        cell_progress=args.cell_progress,
    )
    print(
        f"ran {args.profile} in {time.perf_counter() - t0:.0f} s; results in {_display(out, REPO_ROOT)}"
    )
    return 0


def _cmd_book(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if not args.no_run:
        run(args.profile, overrides=parse_overrides(args.param))
    t1 = time.perf_counter()
    index = render(args.profile, nitpicky=not args.no_nitpicky)
    print(
        f"book ({args.profile}) in {time.perf_counter() - t0:.0f} s "
        f"(render {time.perf_counter() - t1:.0f} s): open {_display(index, REPO_ROOT)}"
    )
    return 0


def add_subcommands(sub: Any) -> None:
    """Add ``run`` and ``book`` to the ``hflineage`` command's subparsers."""
    profiles = ", ".join(available_profiles()) or "sample, ci, full"
    help_profile = f"params/<profile>.yaml to use: {profiles} (default: sample)"
    run_p = sub.add_parser(
        "run",
        help="execute every chapter with papermill (results/<profile>/, _build/executed/)",
        description="Execute the chapter notebooks with papermill under a profile.",
    )
    run_p.add_argument("--profile", default="sample", help=help_profile)
    run_p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these chapters, e.g. --only 03_mdi (or 03)",
    )
    run_p.add_argument(
        "-p",
        "--param",
        action="append",
        metavar="KEY=VALUE",
        help="override a chapter parameter, typed as YAML: -p window_days=180 "
        "(or -p 03_mdi.window_days=180 for one chapter); repeatable",
    )
    run_p.add_argument(
        "--cell-progress", action="store_true", help="also show papermill's per-cell progress"
    )
    run_p.set_defaults(func=_cmd_run)

    book_p = sub.add_parser(
        "book",
        help="run every chapter, then render the book to _build/html (-W: warnings are errors)",
        description="Run every chapter under a profile, then render the book with Jupyter Book.",
    )
    book_p.add_argument("--profile", default="sample", help=help_profile)
    book_p.add_argument(
        "-p", "--param", action="append", metavar="KEY=VALUE", help="as for `hflineage run`"
    )
    book_p.add_argument(
        "--no-run", action="store_true", help="render the notebooks executed by the last run"
    )
    book_p.add_argument(
        "--no-nitpicky", action="store_true", help="do not warn about unresolved references"
    )
    book_p.set_defaults(func=_cmd_book)
