"""Fetch today's Hub metadata: a pinned ``cfahlgren1/hub-stats`` file, or a resumable API crawl.

Two routes to the same models table (see :mod:`hflineage.data.hub_stats`):

* :func:`fetch_hub_stats` downloads ``models.parquet`` from the dataset repo
  ``cfahlgren1/hub-stats`` at an exact commit and records that commit in a sidecar JSON, so a run
  can be repeated on the same bytes later.  Fast (one ~400 MB file), but the file is rebuilt by a
  third party once a day.
* :func:`crawl_api` lists ``https://huggingface.co/api/models`` itself, page by page, following
  the ``Link: <...>; rel="next"`` cursor exactly as ``huggingface_hub``'s ``paginate`` does, and
  writes JSONL chunks.  Slow (millions of models), so it commits progress to ``state.json`` and a
  re-run continues where the last one stopped.

Every failure to reach the Hub becomes one :class:`~hflineage.errors.NetworkError` line.

Two fetches into one folder never interleave: both hold ``<folder>/.fetch.lock``
(:func:`hflineage.files.file_lock`); the second waits for the first and says so.  An interrupted
hub-stats download resumes: ``huggingface_hub`` keeps the bytes already received (an
``.incomplete`` file in its cache) and continues from them on the next run; a cached file that is
damaged (not readable Parquet) is downloaded again from scratch once; the copy into the folder is
atomic, and temporary files a killed copy left behind are removed by the next fetch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import requests
from huggingface_hub import HfApi, hf_hub_download

from ..config import DATA_DIR
from ..errors import HflineageError, NetworkError, SnapshotError
from ..files import atomic_path, file_lock, progress, utc_now, write_json
from .hub_stats import models_from_hub_stats
from .schema import LISTING_REQUIRED

HUB = "https://huggingface.co"


HUB_STATS_REPO = "cfahlgren1/hub-stats"


HUB_STATS_FILE = "models.parquet"


DEFAULT_OUT = DATA_DIR / "snapshots"


#: Rows of a downloaded hub-stats file mapped to the models table as a schema check.
VALIDATE_ROWS = 5000


#: The lock file two fetches into one folder share.
LOCK_NAME = ".fetch.lock"


def fetch_lock(out_dir: str | Path):  # noqa: ANN201 - a context manager
    """The lock every fetch into ``out_dir`` holds while it writes there."""
    out_dir = Path(out_dir)
    return file_lock(out_dir / LOCK_NAME, f"{out_dir / LOCK_NAME} (a fetch into this folder)")


OFFLINE_HINT = "the embedded 2024-07-11 snapshot works offline: run without --snapshot"


def one_line(text: object, limit: int = 200) -> str:
    """``text`` on one line (white space folded), cut to ``limit`` characters with an ellipsis."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def offline_error(reason: object) -> NetworkError:
    """The one-line error for 'no network': what failed, and that the embedded snapshot works."""
    return NetworkError(f"cannot reach huggingface.co ({one_line(reason, 160)}); {OFFLINE_HINT}")


def offline_env_variable() -> str | None:
    """The name of the variable that switches the Hub off here (``HF_HUB_OFFLINE`` or
    ``TRANSFORMERS_OFFLINE`` set to 1/on/yes/true), or None.
    """
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").strip().upper() in {"1", "ON", "YES", "TRUE"}:
            return name
    return None


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Exceptions meaning 'the request did not get an answer' across huggingface_hub versions."""
    errors: list[type[BaseException]] = [OSError, requests.exceptions.RequestException]
    for module in ("httpx2", "httpx"):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        errors.append(mod.HTTPError)
    return tuple(errors)


def _hub_error(exc: BaseException, what: str) -> HflineageError:
    """Map a huggingface_hub / transport exception to one line."""
    from huggingface_hub import errors as hf_errors

    remote_missing = getattr(hf_errors, "RemoteEntryNotFoundError", hf_errors.EntryNotFoundError)
    if isinstance(exc, hf_errors.RevisionNotFoundError):
        return HflineageError(
            f"{what}: revision not found ({one_line(exc, 120)}); pass a commit sha or branch "
            f"listed at {HUB}/datasets/{HUB_STATS_REPO}/commits/main"
        )
    if isinstance(exc, hf_errors.RepositoryNotFoundError | remote_missing):
        return HflineageError(f"{what}: not found on the Hub ({one_line(exc, 160)})")
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and status >= 400:
        url = getattr(getattr(response, "request", None), "url", None) or what
        return NetworkError(f"HTTP {status} from {url} ({one_line(exc, 120)})")
    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return offline_error("HF_HUB_OFFLINE is set")
    if isinstance(exc, hf_errors.LocalEntryNotFoundError):
        return offline_error(f"{what} is not in the local cache and the Hub did not answer")
    transport = tuple(t for t in _transport_errors() if t is not OSError)
    if isinstance(exc, (ConnectionError, TimeoutError, *transport)):
        return offline_error(f"{type(exc).__name__}: {exc}")
    # A local OSError (disk full, cache not writable): not a network problem.
    return HflineageError(f"{what}: {type(exc).__name__}: {one_line(exc, 160)}")


def fetch_hub_stats(
    out_dir: str | Path = DEFAULT_OUT,
    *,
    revision: str | None = None,
    repo_id: str = HUB_STATS_REPO,
    filename: str = HUB_STATS_FILE,
) -> Path:
    """Download hub-stats ``models.parquet`` at an exact commit into ``out_dir``; return its path.

    ``revision`` (a branch, tag or commit sha; default: the latest commit of ``main``) is resolved
    to a commit sha first, and that sha is what is downloaded, so the file and its provenance
    cannot disagree.  The file is placed atomically (a hard link to the ``huggingface_hub`` cache
    where possible, else a copy) at ``out_dir/hub-stats-models-<sha[:12]>.parquet`` with a sidecar ``<file>.json`` holding the
    repo, the commit sha and its date, the file name, its sha256 and size, and the fetch time.
    Before the copy, the first 5,000 rows are mapped to the models table, so a changed upstream
    schema fails here with a :class:`~hflineage.errors.SnapshotError` rather than in a notebook.
    Re-fetching a revision already present returns the existing file.  The whole fetch holds
    ``out_dir/.fetch.lock``; interrupted or damaged downloads: see the module docstring.

    Raises :class:`~hflineage.errors.NetworkError` (one line) when the Hub cannot be reached.
    """
    out_dir = Path(out_dir)
    env = offline_env_variable()
    if env:
        raise offline_error(f"{env} is set")
    with fetch_lock(out_dir):
        return _fetch_hub_stats(out_dir, revision, repo_id, filename)


def _fetch_hub_stats(out_dir: Path, revision: str | None, repo_id: str, filename: str) -> Path:
    what = f"{repo_id}@{revision or 'main'}"
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        existing = _existing(out_dir, revision, filename)
        if existing is not None:
            return existing
    try:
        info = HfApi().dataset_info(repo_id, revision=revision)
    except _transport_errors() as exc:
        raise _hub_error(exc, what) from None
    sha = getattr(info, "sha", None)
    if not sha or not re.fullmatch(r"[0-9a-f]{40}", str(sha)):
        raise NetworkError(f"{what}: the Hub did not return a commit sha (got {sha!r})")
    modified = getattr(info, "last_modified", None)
    existing = _existing(out_dir, sha, filename)
    if existing is not None:
        return existing
    target = _target(out_dir, sha, filename)
    sidecar = target.with_name(target.name + ".json")
    _remove_stale_temporaries(target)
    cached = _download(repo_id, filename, sha, what)
    with atomic_path(target) as tmp:
        digest, size = _place(cached, tmp)
    write_json(
        sidecar,
        {
            "repo": repo_id,
            "repo_type": "dataset",
            "filename": filename,
            "requested_revision": revision,
            "revision": sha,
            "revision_date": modified.isoformat() if modified else None,
            "sha256": digest,
            "size": size,
            "rows": pq.ParquetFile(target).metadata.num_rows,
            "fetched_at": utc_now(),
            "url": f"{HUB}/datasets/{repo_id}/blob/{sha}/{filename}",
        },
    )
    return target


def _place(cached: Path, tmp: Path) -> tuple[str, int]:
    """Put the cached file at ``tmp``: a hard link to the cache's copy where the file system
    allows it (no second copy on disk), else a copy; return its sha256 and size.
    """
    digest = hashlib.sha256()
    size = 0
    total = cached.stat().st_size
    bar = progress(total, f"checksum {cached.name}", unit="B")
    try:
        tmp.unlink(missing_ok=True)
        os.link(os.path.realpath(cached), tmp)
        with open(tmp, "rb") as src:
            for block in iter(lambda: src.read(1 << 22), b""):
                digest.update(block)
                size += len(block)
                bar.update(len(block))
    except OSError:  # another file system (or no hard links): copy
        digest, size = hashlib.sha256(), 0
        with open(cached, "rb") as src, open(tmp, "wb") as dst:
            for block in iter(lambda: src.read(1 << 22), b""):
                digest.update(block)
                dst.write(block)
                size += len(block)
                bar.update(len(block))
    bar.close()
    return digest.hexdigest(), size


class _Unreadable(Exception):
    """The downloaded file is not readable Parquet (a damaged download)."""


def _download(repo_id: str, filename: str, sha: str, what: str) -> Path:
    """The file in the ``huggingface_hub`` cache, validated; a damaged cached copy is downloaded
    again once with ``force_download=True`` (an interrupted download is resumed by
    ``huggingface_hub`` itself).
    """
    for attempt in range(2):
        kwargs = {"repo_type": "dataset", "revision": sha}
        if attempt:
            kwargs["force_download"] = True
        try:
            cached = Path(hf_hub_download(repo_id, filename, **kwargs))
        except _transport_errors() as exc:
            raise _hub_error(exc, f"{repo_id}/{filename}@{sha[:12]}") from None
        try:
            _validate_hub_stats(cached, what)
            return cached
        except _Unreadable as exc:
            if attempt:
                raise SnapshotError(
                    f"{what}: downloaded file is not readable Parquet ({exc}), also after "
                    "downloading it again; try later or pass --revision"
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _remove_stale_temporaries(target: Path) -> None:
    """Delete the temporary files a killed copy onto ``target`` left (``.<name>.*.tmp``); only
    called under the fetch lock, so no running fetch owns them.
    """
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def _target(out_dir: Path, sha: str, filename: str) -> Path:
    name = Path(filename)
    return out_dir / f"hub-stats-{name.stem}-{sha[:12]}{name.suffix}"


def _existing(out_dir: Path, sha: str, filename: str) -> Path | None:
    """The already-fetched file of commit ``sha``, if its sidecar vouches for it."""
    target = _target(out_dir, sha, filename)
    sidecar = target.with_name(target.name + ".json")
    if not (target.exists() and sidecar.exists()):
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if meta.get("revision") == sha and meta.get("size") == target.stat().st_size:
        return target
    return None


def _validate_hub_stats(path: Path, what: str) -> None:
    """Map the first rows to the models table; raise SnapshotError if they do not fit."""
    try:
        handle = pq.ParquetFile(path)
        names = set(handle.schema_arrow.names)
        batch = next(handle.iter_batches(batch_size=VALIDATE_ROWS), None)
        first = pa.Table.from_batches([batch]) if batch is not None else None
    except (pa.ArrowInvalid, OSError) as exc:
        raise _Unreadable(one_line(exc, 120)) from None
    missing = [c for c in (*LISTING_REQUIRED, "baseModels") if c not in names]
    if missing:
        raise SnapshotError(
            f"{what}: {HUB_STATS_FILE} has no column {missing[0]!r}; expected the hub-stats "
            f"schema ({', '.join((*LISTING_REQUIRED, 'baseModels'))}, ...): has upstream changed?"
        )
    if first is not None:
        models_from_hub_stats(first, source=what)
