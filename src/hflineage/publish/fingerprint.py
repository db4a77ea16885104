"""Chapter fingerprints: re-run only what changed.

A chapter's output depends on its source, its resolved parameters, the data it reads and the code
of the package (and the versions of the libraries it calls).  The fingerprint is a sha256 over
all of them; ``hflineage run`` skips a chapter whose fingerprint equals the one recorded at its
last successful run (and whose outputs are still there), and says so.  ``--force`` re-runs all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..config import PACKAGE_DIR
from ..files import sha256_file, source_digest

#: Bump when the meaning of a fingerprint changes (every chapter re-runs once).
FINGERPRINT_VERSION = "1"


def package_digest() -> str:
    """sha256 of the package's own source (every ``*.py`` under ``src/hflineage``)."""
    return source_digest(PACKAGE_DIR)


def _file_facts(value: Any, root: Path) -> Any:
    """For a parameter that names an existing file, its size and modification time (a cheap
    stand-in for its content: a re-fetched or regenerated file changes them).
    """
    if not isinstance(value, str) or not value:
        return None
    path = Path(value) if Path(value).is_absolute() else root / value
    if not path.is_file():
        return None
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def chapter_fingerprint(
    source: Path,
    parameters: dict[str, Any],
    *,
    snapshot_sha256: str | None,
    package: str,
    versions: dict[str, str | None],
    root: Path,
) -> str:
    """The fingerprint of one chapter run: its source file, its resolved ``parameters`` (with the
    size and time of any parameter that names a file), the main snapshot's sha256, the
    ``package`` digest and the library ``versions``.
    """
    payload = {
        "version": FINGERPRINT_VERSION,
        "source": sha256_file(source),
        "parameters": parameters,
        "files": {k: _file_facts(v, root) for k, v in sorted(parameters.items())},
        "snapshot": snapshot_sha256,
        "package": package,
        "versions": versions,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def reusable(previous: dict[str, Any] | None, fingerprint: str, outputs: list[Path]) -> bool:
    """True when the last run of a chapter succeeded with the same ``fingerprint`` and its
    ``outputs`` (executed notebook, numbers file) still exist.
    """
    return bool(
        previous
        and previous.get("status") == "ok"
        and previous.get("fingerprint") == fingerprint
        and all(p.exists() for p in outputs)
    )
