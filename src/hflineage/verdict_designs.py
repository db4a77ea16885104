"""The sign rule's designs and sentence parts: each declared design's outcome, whether valid
designs disagree ("design-dependent"), and the clauses that say what a test could detect and
what the equivalence test shows.  Used by :func:`hflineage.verdicts.sign_rule`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import ParameterError
from .verdict_stats import Tost
from .verdict_types import Design, Evidence, _finite, _plain, fmt_number, fmt_p

#: Outcome of one design (the primary or another declared design) under the sign rule.
DESIGN_OUTCOMES = (
    "support",
    "too small",
    "not significant",
    "opposite",
    "not estimable",
    "ignored (not valid)",
)


def outcome_of(estimate: float, p: float | None, sign: float, alpha: float, floor: float) -> str:
    """One design's outcome: support, too small, not significant, opposite or not estimable."""
    if not (_finite(estimate) and _finite(p)):
        return "not estimable"
    if p >= alpha:
        return "not significant"
    if np.sign(estimate) != sign:
        return "opposite"
    return "support" if abs(estimate) >= floor else "too small"


def as_design(d: Design | Mapping[str, Any]) -> Design:
    """A :class:`Design`, from itself or from a mapping of its fields."""
    if isinstance(d, Design):
        return d
    if isinstance(d, Mapping):
        return Design(**d)
    raise ParameterError(f"a design must be a Design or a mapping of its fields; got {d!r}")


def design_rows(
    primary: Evidence, designs: list[Design], sign: float, alpha: float, floor: float
) -> list[dict[str, Any]]:
    """The primary (first) and each declared design with its outcome."""
    rows = [
        {
            "label": primary.label,
            "estimate": primary.estimate,
            "se": primary.se,
            "p": primary.p,
            "valid": True,
            "note": "the declared primary design",
            "primary": True,
            "outcome": outcome_of(primary.estimate, primary.p, sign, alpha, floor),
        }
    ]
    for d in designs:
        outcome = outcome_of(d.estimate, d.p, sign, alpha, floor)
        rows.append(
            {
                "label": d.label,
                "estimate": d.estimate,
                "se": d.se,
                "p": d.p,
                "valid": bool(d.valid),
                "note": d.note,
                "primary": False,
                "outcome": outcome if d.valid else "ignored (not valid)",
            }
        )
    return [_plain(r) for r in rows]


def disagree(rows: list[dict[str, Any]]) -> bool:
    """Valid designs disagree: one supports, another is not significant or opposite."""
    outcomes = [r["outcome"] for r in rows]
    return "support" in outcomes and any(o in ("not significant", "opposite") for o in outcomes)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


#: Beyond this many, the designs a verdict ignores are counted, not named.
MAX_NAMED_IGNORED = 4


def design_sentence(subject: str, rows: list[dict[str, Any]], fmt: str | None) -> str:
    """The "design-dependent" sentence: where the pattern holds, where not, what is ignored."""

    def shown(r: dict[str, Any]) -> str:
        return f"{r['label']}, {Evidence(r['label'], r['estimate'], r['se'], r['p']).text(fmt)}"

    words = {"not significant": "not significant", "opposite": "significantly the other way"}
    holds = [shown(r) for r in rows if r["outcome"] == "support"]
    fails = [f"{shown(r)}: {words[r['outcome']]}" for r in rows if r["outcome"] in words]
    what = subject or "the paper's pattern"
    out = (
        f"Whether {what} depends on the design: valid designs disagree — it holds in "
        f"{_join(holds)}, but not in {_join(fails)}"
    )
    ignored = [r["label"] for r in rows if r["outcome"] == "ignored (not valid)"]
    if len(ignored) > MAX_NAMED_IGNORED:
        out += (
            f"; not used: {len(ignored)} other designs the simulation finds not valid (each "
            "named with its reason in the chapter's design table)"
        )
    elif ignored:
        them = "it" if len(ignored) == 1 else "them"
        out += f"; not used: {_join(ignored)} (the simulation finds {them} not valid)"
    return out + "."


def power_clause(
    mde: float | None,
    power: float,
    t: Tost | None,
    bounds: tuple | None,
    sesoi: float | None,
    alpha: float,
    fmt: str | None,
) -> str:
    """What the test could detect, and what the equivalence test shows (for the sentence)."""
    out = ""
    if mde is not None:
        out += (
            f"; the test detects an effect of {fmt_number(mde, fmt)} or more with {power:.0%} power"
        )
    if sesoi is None:
        return out + "; no smallest effect of interest is declared, so absence is not shown either"
    size = f"\u00b1{fmt_number(sesoi, fmt)}"
    if t is None or not _finite(t.p):
        return (
            out
            + f"; whether effects as large as {size} are ruled out cannot be tested without a standard error"
        )
    ci = (
        f"equivalence test {fmt_p(t.p)}, {1 - 2 * alpha:.0%} interval "
        f"{fmt_number(bounds[0], fmt)} to {fmt_number(bounds[1], fmt)}"
    )
    if t.equivalent:
        return (
            out
            + f"; effects as large as {size} are ruled out ({ci}): the effect is absent at that size"
        )
    return out + f"; effects as large as {size} are not ruled out ({ci})"
