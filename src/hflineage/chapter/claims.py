"""The declarations of ``book/claims.yml`` (kind, primary specification, rule, reason) and of
``book/methods.yml``, read and checked; chapters take their rule parameters from here
(:func:`declared_rule`) so that a verdict's parameters are never typed twice.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import yaml

from .. import verdicts
from ..config import REPO_ROOT
from ..errors import HflineageError

#: The kinds of claim (``kind`` in claims.yml).
KINDS = ("finding", "descriptive", "method")


#: The rules a claim can declare (``rule.name`` in claims.yml) and their functions.
RULES = {
    "sign": verdicts.sign_rule,
    "threshold": verdicts.threshold_rule,
    "data_scale": verdicts.data_scale_rule,
    "method": verdicts.method_verdict,
}


def _check_declaration(path: Path, c: dict[str, Any]) -> None:
    """A claim's ``kind``, ``primary``, ``rule`` and ``reason``: present and consistent."""
    where = f"{path}: claim {c['id']!r}"
    if c.get("kind") not in KINDS:
        raise HflineageError(f"{where} has kind {c.get('kind')!r}; expected one of {KINDS}")
    primary = c.get("primary")
    if not isinstance(primary, dict) or not primary.get("chapter"):
        raise HflineageError(f"{where} has no primary specification with a 'chapter'")
    rule = c.get("rule")
    if not isinstance(rule, dict) or rule.get("name") not in RULES:
        raise HflineageError(f"{where}: rule.name must be one of {sorted(RULES)}")
    if not rule.get("words"):
        raise HflineageError(f"{where}: rule has no 'words' (the rule in plain words)")
    params = rule.get("params") or {}
    accepted = inspect.signature(RULES[rule["name"]]).parameters
    for key in params:
        if key not in accepted or accepted[key].kind is not inspect.Parameter.KEYWORD_ONLY:
            raise HflineageError(
                f"{where}: rule parameter {key!r} is not a keyword of "
                f"hflineage.verdicts.{RULES[rule['name']].__name__}"
            )
    if (c["kind"] == "method") != (rule["name"] == "method"):
        raise HflineageError(f"{where}: kind {c['kind']!r} does not fit rule {rule['name']!r}")
    if not c.get("reason"):
        raise HflineageError(f"{where} has no 'reason'")
    _check_revision(where, c)


def _check_revision(where: str, c: dict[str, Any]) -> None:
    """A claim's ``sesoi``, ``revision``/``revised``/``why`` and ``history``: well formed.

    ``sesoi`` is ``{value: number > 0, reason: text}``; a claim at revision 2 or later names the
    date (``revised``) and why it changed; each ``history`` entry names its ``revision`` (lower
    than the one in force, oldest first) and the date it was ``declared``.
    """
    sesoi = c.get("sesoi")
    if sesoi is not None:
        value = sesoi.get("value") if isinstance(sesoi, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise HflineageError(
                f"{where}: sesoi must be {{value: a number > 0, reason: ...}}; got {sesoi!r}"
            )
        if not sesoi.get("reason"):
            raise HflineageError(f"{where}: sesoi has no 'reason' (why this size matters)")
    revision = c.get("revision", 1)
    if not isinstance(revision, int) or revision < 1:
        raise HflineageError(f"{where}: revision must be a whole number >= 1; got {revision!r}")
    if revision > 1:
        for key in ("revised", "why"):
            if not c.get(key):
                raise HflineageError(f"{where} is at revision {revision} but has no {key!r}")
    previous = 0
    for h in c.get("history") or []:
        if (
            not isinstance(h, dict)
            or not isinstance(h.get("revision"), int)
            or not h.get("declared")
        ):
            raise HflineageError(
                f"{where}: each history entry needs a whole-number 'revision' and a 'declared' "
                f"date; got {h!r}"
            )
        if not previous < h["revision"] < revision:
            raise HflineageError(
                f"{where}: history revision {h['revision']} is out of order (oldest first, "
                f"each below the revision in force, {revision})"
            )
        previous = h["revision"]


def load_claims(path: Path) -> dict[str, Any]:
    """``book/claims.yml``: ``papers`` (P1, P2: citation key, title) and ``claims``.

    Each claim has ``id``, ``paper``, ``claim``, ``source`` and its declaration: ``kind``
    (finding | descriptive | method), ``primary`` (at least the deciding ``chapter``), ``rule``
    (``name`` of a rule of :mod:`hflineage.verdicts`, its ``params``, ``words``) and
    ``reason``.  Duplicate ids, unknown papers, unknown kinds or rules and rule parameters the
    rule function does not take are errors.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    claims = data.get("claims") or []
    papers = data.get("papers") or {}
    seen: set[str] = set()
    for c in claims:
        missing = [k for k in ("id", "paper", "claim", "source") if not c.get(k)]
        if missing:
            raise HflineageError(f"{path}: claim {c.get('id', '?')!r} has no {missing[0]!r}")
        if c["id"] in seen:
            raise HflineageError(f"{path}: claim id {c['id']!r} appears twice")
        if c["paper"] not in papers:
            raise HflineageError(f"{path}: claim {c['id']!r} names unknown paper {c['paper']!r}")
        _check_declaration(Path(path), c)
        seen.add(c["id"])
    return {"papers": papers, "claims": claims}


def declared_claim(claim_id: str, path: Path | None = None) -> dict[str, Any]:
    """The entry of ``book/claims.yml`` (or ``path``) for ``claim_id``."""
    claims = load_claims(path or REPO_ROOT / "book" / "claims.yml")["claims"]
    for c in claims:
        if c["id"] == claim_id:
            return c
    raise HflineageError(
        f"unknown claim id {claim_id!r}; known ids (book/claims.yml): "
        + ", ".join(c["id"] for c in claims)
    )


def declared_rule(claim_id: str, path: Path | None = None) -> dict[str, Any]:
    """The parameters ``book/claims.yml`` declares for ``claim_id``'s rule.

    A chapter passes them unchanged to the rule, so the verdict uses the declared parameters:
    ``threshold_rule(value, **declared_rule("P1-concentrated"), label=...)``.  A claim's
    declared smallest effect size of interest (``sesoi.value``) is passed as ``sesoi`` to a
    rule that takes one (``sign_rule``), so a chapter never types it either.
    """
    claim = declared_claim(claim_id, path)
    params = dict(claim["rule"].get("params") or {})
    sesoi = claim.get("sesoi")
    if sesoi and "sesoi" in inspect.signature(RULES[claim["rule"]["name"]]).parameters:
        params.setdefault("sesoi", float(sesoi["value"]))
    return params


def declared_primary(claim_id: str, path: Path | None = None) -> dict[str, Any]:
    """The primary specification ``book/claims.yml`` declares for ``claim_id`` (a chapter reads
    machine-readable fields such as ``top_share`` from it, so the verdict uses the declared
    statistic whatever the chapter's parameters are set to).
    """
    return dict(declared_claim(claim_id, path)["primary"])


def load_methods(path: Path) -> list[dict[str, Any]]:
    """``book/methods.yml``: one entry per construct (``construct``, ``claims``, ``functions``,
    ``tests``, ``chapter``).
    """
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    for e in entries:
        if not e.get("construct"):
            raise HflineageError(f"{path}: an entry has no 'construct'")
    return entries


def resolve_function(dotted: str) -> Any:
    """Import ``package.module.name`` (or ``package.module.Class.method``) and return it."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)
