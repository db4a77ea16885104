"""Which snapshot a profile runs on: a named file, the newest fetched one, or the small real ``ci``
slice (whole model families cut from the embedded listing and cached by content key).
"""

from __future__ import annotations

import glob
import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import EMBEDDED_SNAPSHOT, PACKAGE_DIR, results_dir
from ..data.load import LATEST, load_snapshot
from ..data.load import resolve_snapshot as data_resolve_snapshot
from ..data.schema import explode_lists
from ..data.slice import write_listing_slice
from ..errors import HflineageError, ParameterError
from ..files import display_path, sha256_file, source_digest, write_json
from ..lineage.edges import build_edges
from .profiles import Profile

#: Bump when the way the ci slice is chosen changes (part of the slice cache key).
SLICE_VERSION = "1"


def family(models: Any, roots: list[str], *, edges: Any = None, max_depth: int = 100) -> Any:
    """Model ids of ``roots`` and all their descendants (children, grandchildren, ...).

    ``edges`` is a frame with ``child`` and ``parent`` columns; by default the declared
    (child, base model) pairs of ``models['declared_parents']``.  One vectorised ``isin`` per
    generation; a cycle in the declarations cannot loop (ids already kept are not revisited).
    """
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
    """(child, parent) edges for the slice, from :func:`hflineage.lineage.edges.build_edges`, and the
    name of the method (it goes into the slice cache key).
    """
    edges = build_edges(models)
    return edges[["child", "parent"]], "lineage.build_edges"


def make_slice(spec: dict[str, Any], out_dir: Path, root: Path) -> tuple[Path, dict[str, Any]]:
    """Write (or reuse) the small real slice a profile's ``slice`` section asks for.

    The slice holds the listing rows of ``spec['roots']`` and all their descendants, written by
    :func:`hflineage.data.slice.write_listing_slice` (so it keeps the source's snapshot date and
    censors like the full data).  It is cached as ``<out_dir>/snapshot-<key>.parquet``, ``key``
    hashing the source's sha256, the roots and the edge method.
    """
    source = Path(spec.get("source") or EMBEDDED_SNAPSHOT)
    if not source.is_absolute():
        source = root / source
    if not source.exists():
        raise HflineageError(f"slice source {display_path(source, root)}: no such file")
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
            f"slice root {missing[0]!r} is not a model of {display_path(source, root)}"
        )
    edges, used = _lineage_edges(models)
    ids = family(models, roots, edges=edges)
    label = f"ci slice: {len(roots)} model families"
    write_listing_slice(ids, out, label=label, source=source)
    info = {
        "roots": roots,
        "models": int(len(ids)),
        "edges": method if used != "declared_parents" else used,
        "source": display_path(source, root),
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
    """Which edges the slice follows, with a checksum of the code that parses them (the ``data``
    and ``lineage`` packages): a change there re-cuts the slice.
    """
    return (
        f"lineage.build_edges@{source_digest(PACKAGE_DIR / 'data', PACKAGE_DIR / 'lineage')[:12]}"
    )


def resolve_snapshot(profile: Profile, root: Path) -> tuple[str | None, dict[str, Any]]:
    """The ``snapshot`` value the chapters receive (None = embedded) and its provenance.

    A profile's ``snapshot`` may be ``hub-stats:latest`` / ``api:latest`` (the newest fetched
    snapshot, :func:`hflineage.data.load.resolve_snapshot`) or a glob
    (``data/snapshots/hub-stats-models-*.parquet``: the newest match by the fetch sidecar's
    ``fetched_at``, else the file time).  Either is resolved once, so every chapter of a run
    reads the same file, and the manifest names it.
    """
    if profile.slice is not None:
        path, info = make_slice(profile.slice, results_dir(root, profile.name), root)
        return display_path(path, root), {"slice": info}
    if profile.snapshot is None:
        return None, {}
    pattern = str(profile.snapshot)

    if pattern in LATEST:  # hub-stats:latest, api:latest: resolved once, for every chapter
        return display_path(data_resolve_snapshot(pattern), root), {"snapshot_spec": pattern}
    base = Path(pattern) if Path(pattern).is_absolute() else root / pattern
    if any(ch in pattern for ch in "*?["):
        matches = [Path(p) for p in glob.glob(str(base)) if not p.endswith(".json")]
        if matches:
            return display_path(max(matches, key=_fetched_at), root), {}
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
            f"{display_path(profile.path, root)}: snapshot {pattern} does not exist{hint}"
        )
    return display_path(found, root), {}


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

    path = EMBEDDED_SNAPSHOT if value is None else Path(value)
    if not path.is_absolute():
        path = root / path
    facts: dict[str, Any] = {"snapshot": value, "path": display_path(path, root)}
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
