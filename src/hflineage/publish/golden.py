"""Golden estimates: every claim's primary estimate, standard error, sample size and verdict as
recorded from one run, kept in ``tests/golden/<profile>.json``, and the drift of a later run from
them, named number by number with the library versions of both runs.

``tests/golden/ci.json`` is checked by the test suite (after the ci run the notebook test makes);
``tests/golden/embedded.json`` by ``make check`` after ``make run``. ``hflineage golden --update
--profile ci`` (``make golden`` for both profiles) records them again, e.g. after a declared rule
or a library changed on purpose.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import REPO_ROOT, results_dir
from ..errors import HflineageError
from ..files import display_path, utc_now, write_json
from .profiles import load_profile

#: Where the golden files live, relative to the repository root.
GOLDEN_DIR = Path("tests") / "golden"

#: Allowed difference for the floats: ``abs + rel * |golden|``. The lock pins every library, so a
#: run on the same data differs only by floating-point order (BLAS threads, CPU): ~1e-12
#: relative. 1e-4 relative is still far below what the book prints (three significant digits);
#: ``abs`` keeps estimates at zero comparable. Sample sizes and verdicts must match exactly.
TOLERANCE: dict[str, dict[str, float]] = {
    "estimate": {"rel": 1e-4, "abs": 1e-9},
    "se": {"rel": 1e-4, "abs": 1e-9},
}

#: The primary's fields a golden record keeps; ``n`` and ``status`` are compared exactly.
FIELDS = ("estimate", "se", "n", "status")


@dataclass(frozen=True)
class Drift:
    """One compared quantity: what, its golden and current value, the difference and the verdict."""

    what: str
    golden: Any
    now: Any
    difference: str
    allowed: str
    ok: bool


def golden_path(profile: str, root: Path | None = None) -> Path:
    """``tests/golden/<name>.json`` of the profile ``profile`` stands for (``sample`` ->
    ``embedded``: an alias shares its profile's golden estimates).
    """
    root = Path(root or REPO_ROOT)
    return root / GOLDEN_DIR / f"{load_profile(profile, root).canonical}.json"


def golden_record(numbers: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    """The golden record of one run: per claim and chapter the primary's estimate, SE, n and
    the verdict's status, with the run's commit, Python and library versions, and the tolerances.
    """
    claims: dict[str, dict[str, dict[str, Any]]] = {}
    for claim_id, records in sorted((numbers.get("claims") or {}).items()):
        for rec in records:
            primary = rec.get("primary") or {}
            claims.setdefault(claim_id, {})[rec["chapter"]] = {
                "estimate": primary.get("estimate"),
                "se": primary.get("se"),
                "n": primary.get("n"),
                "status": rec.get("status"),
            }
    git = manifest.get("git") or {}
    return {
        "profile": numbers.get("profile"),
        "recorded": utc_now(),
        "run": {
            "finished": manifest.get("finished"),
            "commit": git.get("commit"),
            "dirty": git.get("dirty"),
            "python": manifest.get("python"),
            "platform": manifest.get("platform"),
            "data": [d.get("sha256") for d in manifest.get("data") or []],
        },
        "packages": manifest.get("packages") or {},
        "tolerance": {**TOLERANCE, "n": "exact", "status": "exact"},
        "claims": claims,
    }


def _read_run(profile: str, root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    results = results_dir(root, profile)
    paths = [results / "numbers.json", results / "manifest.json"]
    for path in paths:
        if not path.exists():
            raise HflineageError(
                f"{display_path(path, root)}: no run yet; run `hflineage run --profile {profile}` first"
            )
    numbers, manifest = (json.loads(p.read_text(encoding="utf-8")) for p in paths)
    if manifest.get("status") != "ok":
        raise HflineageError(
            f"the last run of {profile} failed; fix it and run `hflineage run --profile {profile}`"
        )
    return numbers, manifest


def update_golden(profile: str, root: Path | None = None) -> Path:
    """Record the last run of ``profile`` as its golden estimates; return the file written."""
    root = Path(root or REPO_ROOT)
    numbers, manifest = _read_run(profile, root)
    path = golden_path(profile, root)
    record = golden_record(numbers, manifest)
    record["profile"] = load_profile(profile, root).canonical
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, record)
    return path


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _compare_float(what: str, want: Any, got: Any, tol: dict[str, float]) -> Drift:
    if not (_number(want) and _number(got)) or not (math.isfinite(want) and math.isfinite(got)):
        same = want == got or (
            _number(want) and _number(got) and math.isnan(want) == math.isnan(got)
        )
        return Drift(what, want, got, "" if same else "not comparable", "equal", bool(same))
    allowed = tol["abs"] + tol["rel"] * abs(want)
    diff = got - want
    rel = f" ({diff / want:+.2e} rel.)" if want else ""
    return Drift(what, want, got, f"{diff:+.3g}{rel}", f"{allowed:.2g}", abs(diff) <= allowed)


def compare(
    golden: dict[str, Any], numbers: dict[str, Any], manifest: dict[str, Any]
) -> list[Drift]:
    """Every golden quantity against this run's (``numbers.json`` and ``manifest.json``), then
    one row per library whose version differs (informational: those rows are always ``ok``).

    A claim or chapter record missing from either side is a drift row of its own.
    """
    tol = {
        **TOLERANCE,
        **{k: v for k, v in (golden.get("tolerance") or {}).items() if k in TOLERANCE},
    }
    now = golden_record(numbers, manifest)["claims"]
    rows: list[Drift] = []
    for claim_id in sorted(set(golden.get("claims") or {}) | set(now)):
        want_ch = (golden.get("claims") or {}).get(claim_id, {})
        got_ch = now.get(claim_id, {})
        for chapter in sorted(set(want_ch) | set(got_ch)):
            where = f"{claim_id} ({chapter})"
            if chapter not in got_ch or chapter not in want_ch:
                side = "this run" if chapter not in got_ch else "the golden file"
                rows.append(
                    Drift(f"{where} record", "", "", f"missing in {side}", "present", False)
                )
                continue
            want, got = want_ch[chapter], got_ch[chapter]
            for field in FIELDS:
                what = f"{where} {field}"
                if field in tol:
                    rows.append(_compare_float(what, want.get(field), got.get(field), tol[field]))
                else:
                    same = want.get(field) == got.get(field)
                    rows.append(
                        Drift(
                            what,
                            want.get(field),
                            got.get(field),
                            "" if same else "differs",
                            "exact",
                            same,
                        )
                    )
    old, new = golden.get("packages") or {}, manifest.get("packages") or {}
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            rows.append(
                Drift(f"version of {name}", old.get(name), new.get(name), "differs", "(any)", True)
            )
    python = ((golden.get("run") or {}).get("python"), manifest.get("python"))
    if python[0] != python[1]:
        rows.append(Drift("version of Python", python[0], python[1], "differs", "(any)", True))
    return rows


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def drift_table(rows: list[Drift], *, show_all: bool = False) -> str:
    """The drift as one plain-text table: the numbers that moved beyond their tolerance, then the
    libraries whose versions differ (``show_all``: every compared number too).
    """
    shown = [r for r in rows if show_all or not r.ok or r.what.startswith("version of ")]
    header = ("what", "golden", "this run", "difference", "allowed", "")
    body = [
        (r.what, _cell(r.golden), _cell(r.now), r.difference, r.allowed, "ok" if r.ok else "DRIFT")
        for r in shown
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
        for line in (header, *body)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def check_golden(
    profile: str, root: Path | None = None, *, show_all: bool = False
) -> tuple[bool, str]:
    """Compare the last run of ``profile`` with its golden file; return (no drift, the report)."""
    root = Path(root or REPO_ROOT)
    path = golden_path(profile, root)
    if not path.exists():
        raise HflineageError(
            f"{display_path(path, root)}: no golden estimates for {profile}; record them with "
            f"`hflineage golden --update --profile {profile}`"
        )
    golden = json.loads(path.read_text(encoding="utf-8"))
    numbers, manifest = _read_run(profile, root)
    rows = compare(golden, numbers, manifest)
    drift = [r for r in rows if not r.ok]
    n_numbers = sum(not r.what.startswith("version of ") for r in rows)
    grun = golden.get("run") or {}
    head = (
        f"{display_path(results_dir(root, profile), root)} (run {str(manifest.get('finished'))[:16]}, "
        f"commit {str((manifest.get('git') or {}).get('commit'))[:7]}) against "
        f"{display_path(path, root)} (run {str(grun.get('finished'))[:16]}, "
        f"commit {str(grun.get('commit'))[:7]}): "
    )
    if drift:
        head += f"{len(drift)} of {n_numbers} numbers moved beyond their tolerance"
    else:
        head += f"all {n_numbers} numbers within tolerance (floats: 1e-4 relative; n and verdicts exact)"
    versions = [r for r in rows if r.what.startswith("version of ")]
    if not versions and not drift and not show_all:
        return True, head + "; same library versions"
    return not drift, head + "\n\n" + drift_table(rows, show_all=show_all)
