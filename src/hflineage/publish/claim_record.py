"""One claim's full record for a reviewer (``hflineage claim ID``): what ``book/claims.yml``
declares (estimand, primary, rule) beside what the last run recorded for it in
``results/<profile>/numbers.json`` (the primary's result, every robustness fit with its outcome,
the verdict and its sentence).

``claims.yml`` is read with plain YAML here, not through :mod:`hflineage.chapter.claims`, so that
``hflineage claim ID --from-results`` stays fast (no statistics libraries imported).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..config import REPO_ROOT, results_dir
from ..errors import HflineageError, ParameterError
from ..files import display_path


def declared_claims(root: Path | None = None) -> dict[str, dict[str, Any]]:
    """``book/claims.yml``'s claims by id, in file order."""
    path = Path(root or REPO_ROOT) / "book" / "claims.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {c["id"]: c for c in data.get("claims") or []}


def declared(claim_id: str, root: Path | None = None) -> dict[str, Any]:
    """The declaration of ``claim_id``; an unknown id is one line listing the valid ones."""
    claims = declared_claims(root)
    if claim_id not in claims:
        raise ParameterError(f"unknown claim {claim_id!r}; expected one of: {', '.join(claims)}")
    return claims[claim_id]


def deciding_chapters(claim: dict[str, Any], numbers: dict[str, Any] | None = None) -> list[str]:
    """The chapters that decide ``claim``: its declared primary's chapter and every chapter that
    recorded a verdict for it in ``numbers`` (a claims.json-shaped ``numbers.json``).
    """
    chapters = [str((claim.get("primary") or {}).get("chapter") or "")]
    for rec in ((numbers or {}).get("claims") or {}).get(claim["id"], []):
        chapters.append(rec["chapter"])
    return sorted({c for c in chapters if c})


def read_numbers(profile: str, root: Path | None = None) -> dict[str, Any]:
    """``results/<profile>/numbers.json`` (one line naming the command when there is none)."""
    root = Path(root or REPO_ROOT)
    path = results_dir(root, profile) / "numbers.json"
    if not path.exists():
        raise HflineageError(
            f"{display_path(path, root)}: no run yet; run `hflineage run --profile {profile}` "
            "or drop --from-results"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def claim_record(
    claim_id: str, numbers: dict[str, Any], root: Path | None = None
) -> dict[str, Any]:
    """Declaration and recorded verdicts of one claim, as one JSON-ready dict."""
    claim = declared(claim_id, root)
    primary = claim.get("primary") or {}
    return {
        "id": claim_id,
        "claim": claim.get("claim"),
        "paper": claim.get("paper"),
        "kind": claim.get("kind"),
        "estimand": claim.get("estimand") or primary.get("estimand"),
        "primary": primary,
        "rule": claim.get("rule") or {},
        "sesoi": claim.get("sesoi"),
        "profile": numbers.get("profile"),
        "records": list((numbers.get("claims") or {}).get(claim_id, [])),
    }


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return "" if x is None else str(x)


def _primary_lines(p: dict[str, Any]) -> list[str]:
    out = [f"    {p.get('label') or '(primary)'}"]
    keys = ("estimate", "se", "p", "n", "clusters")
    out.append("    " + "  ".join(f"{k} {_fmt(p.get(k))}" for k in keys if p.get(k) is not None))
    return out


def _fit_table(fits: list[dict[str, Any]]) -> list[str]:
    header = ("fit", "estimate", "se", "p", "p (adj.)", "outcome")
    rows = [
        (
            str(f.get("label")),
            _fmt(f.get("estimate")),
            _fmt(f.get("se")),
            _fmt(f.get("p")),
            _fmt(f.get("p_adjusted")),
            str(f.get("outcome") or ""),
        )
        for f in fits
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return [
        "    " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in (header, *rows)
    ]


def format_record(record: dict[str, Any]) -> str:
    """``record`` (:func:`claim_record`) as the text a reviewer reads in a terminal."""
    primary, rule = record["primary"], record["rule"]
    lines = [
        f"{record['id']} ({record.get('paper')}, {record.get('kind')}): {record.get('claim')}",
        "",
        "estimand: " + (record.get("estimand") or "(not declared apart from the primary below)"),
        "primary (declared):",
        *(f"    {k}: {' '.join(str(v).split())}" for k, v in primary.items()),
        f"rule: {rule.get('name')} {json.dumps(rule.get('params') or {})}",
        "    " + " ".join(str(rule.get("words") or "").split()),
    ]
    if record.get("sesoi"):
        lines.append(f"sesoi: {json.dumps(record['sesoi'])}")
    if not record["records"]:
        lines += ["", f"no verdict recorded in the {record.get('profile')} run"]
    for rec in record["records"]:
        lines += ["", f"recorded by {rec.get('chapter')} (profile {record.get('profile')}):"]
        lines += ["  primary result:", *_primary_lines(rec.get("primary") or {})]
        rob = rec.get("robustness") or {}
        fits = rob.get("fits") or []
        if fits:
            adj = rob.get("adjustment")
            lines.append(
                f"  robustness: {len(fits)} fits" + (f" (p adjusted: {adj})" if adj else "")
            )
            lines += _fit_table(fits)
        else:
            lines.append("  robustness: none recorded")
        lines.append(f"  verdict: {rec.get('status')}")
        if rec.get("sentence"):
            lines.append("    " + rec["sentence"])
    return "\n".join(lines)
