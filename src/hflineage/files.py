"""File helpers: atomic writes (nothing half-written survives an interruption), checksums, locks
that make a second command wait for the first, and progress bars for long command-line steps.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    A reader never sees a half-written file, and an earlier complete file survives an error.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file for writing and move it onto ``path`` when the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON, atomically."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(obj, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX) when inside it, else absolute."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def utc_now() -> str:
    """The current UTC time as ISO 8601 text, to the second (for manifests and sidecars)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def source_digest(*folders: Path) -> str:
    """sha256 over the ``*.py`` files under ``folders`` (relative names and contents, sorted), so
    that any edit of the code in them changes the digest.
    """
    digest = hashlib.sha256()
    for folder in folders:
        folder = Path(folder)
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder.parent).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str], what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block.

    Two commands that write the same files (two fetches into one folder, two runs of one
    profile) take the same lock: the second prints ``waiting: another hflineage command holds
    <what>`` on stderr and waits until the first is done.  The lock is the operating system's
    (``flock``), so it is released even when the holder is killed.  Not on POSIX: no lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting: another hflineage command holds {what}", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def in_notebook() -> bool:
    """Whether the code runs inside a Jupyter kernel (a chapter), where no bar is wanted."""
    return "ipykernel" in sys.modules


def progress(
    total: int | None = None, desc: str = "", *, unit: str = "step", enable: bool | None = None
) -> Any:
    """A tqdm bar on stderr for a long command-line step; silent inside a notebook (the rendered
    pages show no bars) and when stderr is not a terminal (logs, tests), unless ``enable`` says
    otherwise.  Use ``bar.update(k)`` / ``bar.close()``.
    """
    from tqdm import tqdm

    if enable is None:
        enable = not in_notebook() and sys.stderr.isatty()
    disable = not enable
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable, leave=False)
