"""The replication-status page: the rules in words, one final verdict per claim with its primary
result and robustness share, counts by verdict, and the declarations.
"""

from __future__ import annotations

from typing import Any

from .. import verdicts
from ..chapter.report import CLAIM_STATUSES
from ..errors import HflineageError
from .markdown import GENERATED_NOTE, WIDE, _doc, list_table, md_escape

NOT_ASSESSED = "not yet assessed"


#: sphinx-design badge role for each verdict.
BADGES = {
    "reproduced": "bdg-success",
    "partly reproduced": "bdg-warning",
    "not reproduced": "bdg-danger-line",
    "contradicted": "bdg-danger",
    "not testable": "bdg-info",
    "method": "bdg-secondary",
    NOT_ASSESSED: "bdg-light",
}


#: What each verdict means, in plain words (the top of the status page).
MEANINGS = {
    "reproduced": "a finding whose declared primary estimate is significant at the declared level "
    "(two-sided, standard errors clustered as declared), has the paper's sign and at least the "
    "declared minimum size, and whose robustness fits agree; or a descriptive statistic that "
    "passes its declared threshold.",
    "partly reproduced": "the primary estimate holds, but fewer of the robustness fits support "
    "it than the rule asks, or some are significant the other way; or a statistic between its "
    "partial and full threshold.",
    "not reproduced": "the primary estimate is not significant, or smaller than the declared "
    "minimum — whatever the robustness fits say; or a statistic short of its threshold.",
    "contradicted": "the primary estimate is significant with the opposite sign, or the data "
    "show the opposite pattern.",
    "not testable": "this run's data cannot decide the claim (for example, a snapshot older "
    "than the paper's data, or a fit that cannot be computed on a small slice).",
    "method": "a method the book implements and shows (a window, a parsing procedure, a "
    "measure); not a finding that data could confirm or refute.",
}


def badge(status: str) -> str:
    """A sphinx-design badge for a verdict."""
    return f"{{{BADGES.get(status, 'bdg-light')}}}`{status}`"


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


def primary_cell(verdict: dict[str, Any], kind: str) -> str:
    """The primary result: estimate with SE and p (or the statistic), its specification, n."""
    primary = verdict.get("primary")
    if not primary:
        return "implemented (method)" if kind == "method" else "—"
    ev = verdicts.Evidence(
        **{k: primary.get(k) for k in ("label", "estimate", "se", "p", "n", "clusters", "fmt")}
    )
    detail = [md_escape(ev.label)] if ev.label else []
    if ev.n is not None:
        detail.append(f"n = {ev.n:,}")
    if ev.clusters is not None:
        detail.append(f"{ev.clusters:,} clusters")
    text = md_escape(ev.text())
    return text + (f"\n\n*{'; '.join(detail)}*" if detail else "")


def robustness_cell(verdict: dict[str, Any]) -> str:
    """The robustness share: supporting and contrary fits, and the adjustment."""
    rob = verdict.get("robustness")
    if not rob:
        return "—"
    adj = "Holm-adjusted" if rob.get("adjustment") == "holm" else "unadjusted"
    n = rob.get("n") or 0
    lines = [
        f"{rob.get('support', 0)} of {n} support ({rob.get('share_support', 0):.0%})",
        f"{rob.get('contrary', 0)} contrary",
    ]
    if rob.get("untestable"):
        lines.append(f"{rob['untestable']} not estimable")
    return "\n\n".join(lines) + f"\n\n*{adj}, {rob.get('alpha', 0.05):.0%} level*"


def status_page(
    claims: dict[str, Any],
    numbers: dict[str, Any],
    labels: dict[str, set[str]],
    *,
    profile: str,
    run_label: str = "",
) -> str:
    """The replication-status page: the rules in words, one final verdict per claim, and the
    declared primary specification and rule of every claim.
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
    counts = dict.fromkeys([*CLAIM_STATUSES, NOT_ASSESSED], 0)
    tables: list[str] = []
    for paper_id, paper in claims["papers"].items():
        rows = []
        for c in (c for c in claims["claims"] if c["paper"] == paper_id):
            chosen, others = final_verdict(c, recorded_all.get(c["id"], []))
            status = chosen["status"] if chosen else NOT_ASSESSED
            counts[status] += 1
            said = f"{md_escape(c['claim'])}\n\n*source: {md_escape(c['source'])}*"
            ident = f"**{c['id']}**\n\n*{c['kind']}*"
            if chosen is None:
                rows.append([ident, said, badge(NOT_ASSESSED), "—", "—"])
                continue
            sentence = md_escape(chosen.get("sentence") or chosen.get("result", ""))
            cell = f"{badge(status)}\n\n{sentence}\n\n{verdict_link(chosen, labels, chapters)}"
            if chosen.get("chapter") != c["primary"]["chapter"]:
                cell += (
                    f"\n\n*recorded by {md_escape(chosen.get('chapter'))}; the declared chapter "
                    f"{c['primary']['chapter']} recorded none*"
                )
            for v in others:
                cell += (
                    f"\n\n*also assessed in {md_escape(v.get('chapter'))} (not the verdict):* "
                    + md_escape(v.get("sentence") or v.get("result", ""))
                )
            rows.append(
                [ident, said, cell, primary_cell(chosen, c["kind"]), robustness_cell(chosen)]
            )
        tables += [
            f"## {paper['short']}: *{md_escape(paper['title'])}*",
            "",
            f"arXiv {paper['arxiv']} {{cite:p}}`{paper['citation']}`.",
            "",
            list_table(
                ["claim", "the paper says", "final verdict", "primary result", "robustness share"],
                rows,
                [14, 24, 32, 17, 13],
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
            "about this build's data: on the small `ci` slice some patterns cannot show.",
            "",
            "## How a verdict is decided",
            "",
            "Every claim has a declared *kind* (finding, descriptive or method), one *primary "
            "specification* that decides it, and a *rule* with fixed parameters; all are listed "
            "at the end of this page, from `book/claims.yml`. They were declared in the revision "
            "of 2026-11-30, after an earlier build of this book had shown numbers, and are fixed "
            "from then on. Chapters pass their numbers to the rules (`hflineage.verdicts`, with "
            "unit tests); no chapter types a verdict.",
            "",
            meanings,
            f"- {badge(NOT_ASSESSED)}: no chapter of this build has recorded a verdict yet.",
            "",
            "The *primary result* is the estimate that decides (with its standard error and "
            "two-sided p-value, or the statistic). The *robustness share* counts the claim's "
            "other fits (other variants, estimators, samples): their p-values are adjusted "
            "together (Holm), a fit counts *for* the claim if it is significant in the paper's "
            "direction and *against* it if it is significant in the opposite direction. "
            "Robustness can only lower a verdict (reproduced to partly reproduced), never lift a "
            "primary result that fails.",
            "",
            *tables,
            declarations_section(claims),
        ]
    )


def declarations_section(claims: dict[str, Any]) -> str:
    """The declared kind, primary specification, rule and reason of every claim."""
    rows = []
    for c in claims["claims"]:
        spec = "\n\n".join(f"*{md_escape(k)}:* {md_escape(v)}" for k, v in c["primary"].items())
        rule = c["rule"]
        params = ", ".join(f"{k} = {v}" for k, v in (rule.get("params") or {}).items())
        rule_cell = md_escape(rule["words"]) + (
            f"\n\n*{rule['name']} rule: {md_escape(params)}*" if params else ""
        )
        rows.append([f"**{c['id']}**\n\n*{c['kind']}*", spec, rule_cell, md_escape(c["reason"])])
    return "\n".join(
        [
            "(declared-rules)=",
            "## Declared primary specifications and rules",
            "",
            list_table(
                ["claim", "primary specification", "rule", "reason"],
                rows,
                [14, 34, 32, 20],
                wide=True,
                css="hfl-status",
            ),
            "",
        ]
    )
