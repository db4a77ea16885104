"""The replication-status page a reviewer can walk: one row per claim with its verdict second,
the finding in one plain sentence and the primary result with its power (minimum detectable
effect, equivalence bounds, a Holm-adjusted p across the paper's findings); then one section per
claim (anchor ``claim-<id>``) with the declared estimand, specification and rule in words, the
verdict history across revisions of ``book/claims.yml``, the command that re-runs it, the
functions that compute it and every fit with its outcome.
"""

from __future__ import annotations

import math
from typing import Any

from .. import verdicts
from ..chapter.report import CLAIM_STATUSES
from ..errors import HflineageError
from ..verdict_stats import equivalence_bounds, holm_adjust
from ..verdict_types import STATUS_MEANINGS
from .markdown import GENERATED_NOTE, WIDE, _doc, list_table, md_escape

NOT_ASSESSED = "not yet assessed"


#: sphinx-design badge role for each verdict.
BADGES = {
    "reproduced": "bdg-success",
    "partly reproduced": "bdg-warning",
    "absent": "bdg-danger-line",
    "inconclusive": "bdg-secondary-line",
    "contradicted": "bdg-danger",
    "design-dependent": "bdg-warning-line",
    "not testable": "bdg-info",
    "not testable (construct)": "bdg-info-line",
    "method": "bdg-secondary",
    NOT_ASSESSED: "bdg-light",
}


#: What each verdict means, in plain words (the top of the status page).
MEANINGS = {s: STATUS_MEANINGS[s] for s in CLAIM_STATUSES}


#: What a fit's outcome means in the list of fits.
OUTCOME_WORDS = {
    "support": "significant in the paper's direction (after Holm)",
    "contrary": "significant against the paper's direction (after Holm)",
    "neither": "not significant after Holm",
    "not estimable": "could not be estimated",
    "excluded (biased)": "left out: the simulation flags this design as biased",
}


def badge(status: str) -> str:
    """A sphinx-design badge for a verdict."""
    return f"{{{BADGES.get(status, 'bdg-light')}}}`{status}`"


def anchor(claim_id: str) -> str:
    """The MyST label of a claim's section on the status page (``claim-p2-priority``)."""
    return "claim-" + claim_id.lower()


def verdict_link(verdict: dict[str, Any], labels: dict[str, set[str]], chapters: set[str]) -> str:
    """Where a verdict is shown: the figure/section label if the chapter defines it, else the
    chapter itself (with the label as text).
    """
    chapter = verdict.get("chapter", "")
    where = str(verdict.get("where") or "")
    if where and where in labels.get(chapter, set()):
        if where.startswith(("fig-", "tbl-", "table-")):
            return f"{{numref}}`{where}`"
        return f"{{ref}}`{where}`"
    link = _doc(chapter) if chapter in chapters else md_escape(chapter)
    return link + (f" ({md_escape(where)})" if where else "")


def final_verdict(
    claim: dict[str, Any], recorded: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The one verdict that decides ``claim``, and the other chapters' verdicts on it.

    The deciding verdict is the one recorded by the chapter the claim's primary specification
    names (``primary.chapter`` in claims.yml); if that chapter recorded none, the first one
    recorded (the page says so).  A claim of kind ``method`` must get the verdict "method".
    """
    if not recorded:
        return None, []
    declared = claim["primary"]["chapter"]
    chosen = next((v for v in recorded if v.get("chapter") == declared), recorded[0])
    if claim["kind"] == "method" and chosen.get("status") != "method":
        raise HflineageError(
            f"chapter {chosen.get('chapter', '?')} records {chosen.get('status')!r} on "
            f"{claim['id']}, declared a method in book/claims.yml; expected "
            "hflineage.verdicts.method_verdict"
        )
    return chosen, [v for v in recorded if v is not chosen]


def _num(x: Any, fmt: str | None = None) -> str:
    return md_escape(verdicts.fmt_number(None if x is None else float(x), fmt))


def is_finite_number(x: Any) -> bool:
    """Whether ``x`` is a finite int or float (``None``, NaN, text: no)."""
    return x is not None and isinstance(x, int | float) and math.isfinite(float(x))


def holm_by_paper(
    claims: dict[str, Any], chosen: dict[str, dict[str, Any] | None]
) -> dict[str, float]:
    """Holm-adjusted p of each finding's primary, adjusted across its paper's findings.

    Only findings whose deciding verdict carries a finite primary p enter a paper's family;
    the others get no adjusted p.
    """
    out: dict[str, float] = {}
    for paper_id in claims["papers"]:
        ids, ps = [], []
        for c in claims["claims"]:
            if c["paper"] != paper_id or c["kind"] != "finding":
                continue
            p = ((chosen.get(c["id"]) or {}).get("primary") or {}).get("p")
            if is_finite_number(p):
                ids.append(c["id"])
                ps.append(float(p))
        if ps:
            out.update(zip(ids, (float(q) for q in holm_adjust(ps)), strict=True))
    return out


def primary_cell(verdict: dict[str, Any], kind: str, holm_p: float | None = None) -> str:
    """The primary result: estimate with SE and p (or the statistic), its power (minimum
    detectable effect, equivalence bounds against the sesoi), the Holm-adjusted p across the
    paper's findings, n and clusters.
    """
    primary = verdict.get("primary")
    if not primary:
        return "implemented (method)" if kind == "method" else "—"
    ev = verdicts.Evidence(
        **{k: primary.get(k) for k in ("label", "estimate", "se", "p", "n", "clusters", "fmt")}
    )
    lines = [md_escape(ev.text())]
    fmt = primary.get("fmt")
    if is_finite_number(holm_p):
        lines.append(f"Holm p across the paper's findings: {md_escape(verdicts.fmt_p(holm_p))}")
    mde, bounds = verdict.get("mde"), verdict.get("equivalence_bounds")
    if (
        not (bounds and all(is_finite_number(b) for b in bounds))
        and is_finite_number(ev.se)
        and ev.se > 0
    ):
        # the rule records the 90% interval only beside a TOST (a declared sesoi): the page
        # shows it for every finding with a standard error, by the same formula
        bounds = equivalence_bounds(float(ev.estimate), float(ev.se))
    if is_finite_number(mde):
        lines.append(f"detectable (80% power): ±{_num(mde, fmt)}")
    if bounds and all(is_finite_number(b) for b in bounds):
        lines.append(f"90% interval [{_num(bounds[0], fmt)}, {_num(bounds[1], fmt)}]")
    if is_finite_number(verdict.get("sesoi")):
        tost = verdict.get("tost_p")
        tail = f", TOST {md_escape(verdicts.fmt_p(tost))}" if is_finite_number(tost) else ""
        lines.append(f"smallest effect of interest ±{_num(verdict['sesoi'], fmt)}{tail}")
    detail = []
    if ev.n is not None:
        detail.append(f"n = {ev.n:,}")
    if ev.clusters is not None:
        detail.append(f"{ev.clusters:,} clusters")
    if detail:
        lines.append(f"*{'; '.join(detail)}*")
    return "\n\n".join(lines)


def robustness_cell(verdict: dict[str, Any]) -> str:
    """The robustness share: supporting and contrary fits (or families), and the adjustment."""
    rob = verdict.get("robustness")
    if not rob:
        return "—"
    adj = "Holm-adjusted" if rob.get("adjustment") == "holm" else "unadjusted"
    n = rob.get("n") or 0
    unit = rob.get("unit") or "fits"
    lines = [
        f"{rob.get('support', 0)} of {n} {unit} support ({rob.get('share_support', 0):.0%})",
        f"{rob.get('contrary', 0)} contrary",
    ]
    if rob.get("untestable"):
        lines.append(f"{rob['untestable']} not estimable")
    if rob.get("excluded"):
        lines.append(f"{rob['excluded']} fits excluded (flagged biased by the simulation)")
    return "\n\n".join(lines) + f"\n\n*{adj}, {rob.get('alpha', 0.05):.0%} level*"


def _summary_row(
    c: dict[str, Any],
    chosen: dict[str, Any] | None,
    others: list[dict[str, Any]],
    holm_p: float | None,
    labels: dict[str, set[str]],
    chapters: set[str],
) -> list[str]:
    ident = f"**{c['id']}**\n\n{{ref}}`details <{anchor(c['id'])}>`"
    said = f"{md_escape(c['claim'])}\n\n*{c['kind']}; source: {md_escape(c['source'])}*"
    if c.get("paper", "").startswith("HS") or str(c.get("id", "")).startswith("HS-"):
        said += "\n\n*an extension beyond the papers*"
    if chosen is None:
        return [ident, badge(NOT_ASSESSED), "—", said, "—"]
    sentence = md_escape(chosen.get("sentence") or chosen.get("result", ""))
    found = f"{sentence}\n\n{verdict_link(chosen, labels, chapters)}"
    if chosen.get("chapter") != c["primary"]["chapter"]:
        found += (
            f"\n\n*recorded by {md_escape(chosen.get('chapter'))}; the declared chapter "
            f"{c['primary']['chapter']} recorded none*"
        )
    for v in others:
        found += (
            f"\n\n*also assessed in {md_escape(v.get('chapter'))} (not the verdict):* "
            + md_escape(v.get("sentence") or v.get("result", ""))
        )
    result = primary_cell(chosen, c["kind"], holm_p)
    rob = robustness_cell(chosen)
    if rob != "—":
        result += "\n\n**Robustness:** " + rob.replace("\n\n", "; ", 1)
    return [ident, badge(chosen["status"]), found, said, result]


def _words(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_words(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_words(v) for v in value)
    return str(value)


def history_table(c: dict[str, Any], chosen: dict[str, Any] | None) -> str:
    """Each declaration of the claim, oldest first: revision, date, primary, rule, verdict, why."""
    rows = []
    for h in c.get("history") or []:
        rows.append(
            [
                str(h.get("revision", "?")),
                md_escape(h.get("declared", "")),
                md_escape(_words(h.get("primary", ""))),
                md_escape(_words(h.get("rule", ""))),
                badge(h["verdict"]) if h.get("verdict") else "—",
                md_escape(h.get("why", "")),
            ]
        )
    current = c.get("revision", 1)
    rows.append(
        [
            f"{current} (in force)",
            md_escape(c.get("revised", "2026-11-30")),
            md_escape(_words({k: v for k, v in c["primary"].items() if k != "chapter"})),
            md_escape(c["rule"]["words"]),
            badge(chosen["status"]) if chosen else badge(NOT_ASSESSED),
            md_escape(c.get("why", "first declaration")),
        ]
    )
    return list_table(
        ["revision", "declared", "primary", "rule", "verdict", "why it changed"],
        rows,
        [8, 10, 30, 26, 11, 15],
        css="hfl-status hfl-history",
    )


def fits_table(chosen: dict[str, Any] | None) -> str:
    """Every robustness fit of the deciding verdict with its outcome (folded)."""
    rob = (chosen or {}).get("robustness") or {}
    fits = rob.get("fits") or []
    designs = (chosen or {}).get("designs") or []
    parts = []
    if designs:
        rows = [
            [
                md_escape(d.get("label", "")) + (" (primary)" if d.get("primary") else ""),
                _num(d.get("estimate")),
                _num(d.get("se")),
                md_escape(verdicts.fmt_p(d.get("p"))),
                "yes" if d.get("valid", True) else "no",
                md_escape(d.get("outcome", "")),
            ]
            for d in designs
        ]
        parts.append(
            list_table(
                ["declared design", "estimate", "SE", "p", "valid in simulation", "outcome"],
                rows,
                [34, 12, 12, 12, 12, 18],
                css="hfl-status",
            )
        )
    if fits:
        rows = [
            [
                md_escape(f.get("label", "")),
                md_escape(f.get("family", "") or "—"),
                _num(f.get("estimate")),
                _num(f.get("se")),
                md_escape(verdicts.fmt_p(f.get("p_adjusted"))),
                md_escape(f.get("outcome", "")),
            ]
            for f in fits
        ]
        table = list_table(
            ["fit", "family", "estimate", "SE", "Holm p", "outcome"],
            rows,
            [38, 14, 11, 11, 12, 14],
            css="hfl-status",
        )
        counts: dict[str, int] = {}
        for f in fits:
            counts[f.get("outcome", "?")] = counts.get(f.get("outcome", "?"), 0) + 1
        said = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        legend = "; ".join(
            f"*{o}*: {OUTCOME_WORDS[o]}" for o in sorted(counts) if o in OUTCOME_WORDS
        )
        parts.append(
            f":::{{dropdown}} All {len(fits)} robustness fits ({md_escape(said)})\n\n"
            f"{legend}.\n\n{table}\n:::"
        )
    return "\n\n".join(parts)


def claim_section(
    c: dict[str, Any],
    chosen: dict[str, Any] | None,
    functions: list[str],
    labels: dict[str, set[str]],
    chapters: set[str],
) -> str:
    """One claim's section: verdict, estimand, specification and rule in words, history,
    re-run command, functions, and every fit with its outcome.
    """
    status = chosen["status"] if chosen else NOT_ASSESSED
    spec = c["primary"]
    lines = [
        f"({anchor(c['id'])})=",
        f"### {c['id']}: {md_escape(c['claim'])}",
        "",
        f"{badge(status)} "
        + (md_escape(chosen.get("sentence", "")) if chosen else "No chapter recorded it yet."),
        "",
    ]
    if c.get("estimand"):
        lines += [f"**Estimand.** {md_escape(_words(c['estimand']))}", ""]
    in_words = "; ".join(
        f"{md_escape(k)}: {md_escape(_words(v))}" for k, v in spec.items() if k != "chapter"
    )
    lines += [
        f"**Primary specification** ({_doc(spec['chapter'])}): {in_words}.",
        "",
        f"**Rule.** {md_escape(c['rule']['words'])}",
        "",
        f"**Why.** {md_escape(c['reason'])}",
        "",
    ]
    if c.get("sesoi"):
        s = c["sesoi"]
        value = s.get("value") if isinstance(s, dict) else s
        reason = s.get("reason", "") if isinstance(s, dict) else ""
        lines += [f"**Smallest effect of interest.** {md_escape(value)}: {md_escape(reason)}", ""]
    if chosen:
        lines += [f"**Shown in** {verdict_link(chosen, labels, chapters)}.", ""]
        label = (chosen.get("primary") or {}).get("label")
        if label:
            lines += [f"*Code name of the primary fit:* `{label}`", ""]
    lines += [
        f"**Re-run it:** `hflineage claim {c['id']}` re-runs the chapter that decides it and "
        f"prints the declared rule, the primary result, every fit and the verdict; "
        f"`hflineage claim {c['id']} --from-results` reads the last run.",
        "",
    ]
    if functions:
        lines += [
            "**Computed by:** " + ", ".join(f"`{md_escape(f)}`" for f in functions) + ".",
            "",
        ]
    lines += ["**Verdict history.**", "", history_table(c, chosen), ""]
    fits = fits_table(chosen)
    if fits:
        lines += ["**Every fit behind the verdict.**", "", fits, ""]
    return "\n".join(lines)


def _functions_by_claim(methods: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in methods or []:
        for cid in m.get("claims") or []:
            out.setdefault(cid, []).extend(m.get("functions") or [])
    return out


def status_page(
    claims: dict[str, Any],
    numbers: dict[str, Any],
    labels: dict[str, set[str]],
    *,
    profile: str,
    run_label: str = "",
    methods: list[dict[str, Any]] | None = None,
) -> str:
    """The replication-status page: the verdicts in words, one row per claim (verdict second),
    then one section per claim with its declaration, history and fits.
    """
    recorded_all: dict[str, list[dict[str, Any]]] = numbers.get("claims", {})
    known = {c["id"] for c in claims["claims"]}
    unknown = sorted(set(recorded_all) - known)
    if unknown:
        chapter = recorded_all[unknown[0]][0].get("chapter", "?")
        raise HflineageError(
            f"chapter {chapter} records a verdict on unknown claim id {unknown[0]!r}; "
            f"known ids (book/claims.yml): {', '.join(sorted(known))}"
        )
    chapters = set(labels)
    decided = {c["id"]: final_verdict(c, recorded_all.get(c["id"], [])) for c in claims["claims"]}
    holm = holm_by_paper(claims, {k: v[0] for k, v in decided.items()})
    functions = _functions_by_claim(methods)
    counts = dict.fromkeys([*CLAIM_STATUSES, NOT_ASSESSED], 0)
    tables: list[str] = []
    sections: list[str] = []
    for paper_id, paper in claims["papers"].items():
        rows = []
        for c in (c for c in claims["claims"] if c["paper"] == paper_id):
            chosen, others = decided[c["id"]]
            counts[chosen["status"] if chosen else NOT_ASSESSED] += 1
            rows.append(_summary_row(c, chosen, others, holm.get(c["id"]), labels, chapters))
            sections.append(claim_section(c, chosen, functions.get(c["id"], []), labels, chapters))
        tables += [
            f"## {paper['short']}: *{md_escape(paper['title'])}*",
            "",
            f"arXiv {paper['arxiv']} {{cite:p}}`{paper['citation']}`."
            if paper.get("arxiv")
            else md_escape(paper.get("title", "")),
            "",
            list_table(
                ["claim", "verdict", "what we find", "the paper says", "primary result"],
                rows,
                [11, 12, 33, 20, 24],
                wide=True,
                css="hfl-status",
            ),
            "",
        ]
    n_claims = len(claims["claims"])
    summary = ", ".join(f"{counts[s]} {s}" for s in counts if counts[s])
    meanings = "\n".join(f"- {badge(s)}: {MEANINGS[s]}" for s in CLAIM_STATUSES)
    return "\n".join(
        [
            WIDE,
            GENERATED_NOTE.format(what=f"book/claims.yml and results/{profile}/numbers.json"),
            "(replication-status)=",
            "# Replication status",
            "",
            f"**In this build:** {n_claims} claims — {summary}.",
            "",
            f"Verdicts come from this build's run (profile `{profile}`{run_label}). A verdict is "
            "about this build's data: on the small `ci` slice some patterns cannot show. Each "
            "claim's *details* link opens its declaration, its verdict history and every fit "
            "behind it; *How a verdict is decided*, below the tables, defines each verdict.",
            "",
            *tables,
            "## How a verdict is decided",
            "",
            "Every claim has a declared *kind* (finding, descriptive or method), one *primary "
            "specification* that decides it, and a *rule* with fixed parameters, in "
            "`book/claims.yml`. Revision 1 (2026-11-30) was declared after an earlier build of "
            "this book had shown numbers; revision 2 (2026-12-05) adds a smallest effect of "
            "interest to every finding, names the race findings' estimands, and adds the "
            "construct checks and designs; each claim's section shows what changed and why. "
            "Chapters pass their numbers to the rules (`hflineage.verdicts`, with unit tests); "
            "no chapter types a verdict.",
            "",
            meanings,
            f"- {badge(NOT_ASSESSED)}: no chapter of this build has recorded a verdict yet.",
            "",
            "The *primary result* is the estimate that decides (with its standard error and "
            "two-sided p-value, or the statistic), the effect it could detect with 80% power, "
            "its 90% interval (what the equivalence test compares with the smallest effect of "
            "interest) and its p-value adjusted (Holm) across the paper's findings. "
            "*Robustness* counts the claim's other fits, grouped into declared families that "
            "count once each; fits that the simulation flags as biased do not count; their "
            "p-values are adjusted together (Holm). Robustness can lower a verdict "
            "(reproduced to partly reproduced); a disagreement among designs that the "
            "simulation finds valid makes it design-dependent.",
            "",
            "## Each claim: declaration, history and fits",
            "",
            *sections,
        ]
    )
