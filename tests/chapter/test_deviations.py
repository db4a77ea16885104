"""The Deviations page says what the chapters do: every value and method it states is a MyST
substitution in its front matter, derived here from the chapters' parameters cells, ``book/
claims.yml``, the package and the embedded snapshot; the text below the front matter may hold
no typed number, and every name it quotes in code (a parameter, an MDI reading, a function, a
Hub field, a path) must exist.  Each check is shown to fail on a planted disagreement.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from hflineage.chapter.claims import load_claims, resolve_function
from hflineage.config import EMBEDDED_NAME, EMBEDDED_SNAPSHOT, REPO_ROOT
from hflineage.data.schema import BACKFILL_START
from hflineage.lineage.size import INHERIT_RELATIONS, parse_size_from_name
from hflineage.mdi.graph import VARIANTS
from hflineage.publish.profiles import find_notebooks, notebook_parameters
from hflineage.race.constructs import MAPPING
from hflineage.race.specs import OUTCOMES

PAGE = REPO_ROOT / "book" / "deviations.md"
SRC = REPO_ROOT / "src" / "hflineage"


def _join(items: list[Any]) -> str:
    words = [str(x) for x in items]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _facts() -> dict[str, Any]:
    params = {p.stem: {q.name: q.default for q in notebook_parameters(p)} for p in find_notebooks()}
    claims = {c["id"]: c for c in load_claims(REPO_ROOT / "book" / "claims.yml")["claims"]}
    return {
        "params": params,
        "claims": claims,
        "notebooks": "\n".join(p.read_text(encoding="utf-8") for p in find_notebooks()),
    }


def _one(facts: dict[str, Any], name: str, *chapters: str) -> Any:
    """A parameter that several chapters share must have one value in all of them."""
    values = {ch: facts["params"][ch][name] for ch in chapters}
    if len({repr(v) for v in values.values()}) > 1:
        raise AssertionError(f"chapters disagree on {name}: {values}")
    return values[chapters[0]]


def _congestion(days: float, window: str) -> str:
    if window == "around":
        return f"within {days / 2:g} days either side of entry (a {days:g}-day window around it)"
    return f"in the {days:g} days before entry"


def expected_substitutions(facts: dict[str, Any]) -> dict[str, str]:
    """What each substitution of the page must say, derived from the chapters and claims.yml."""
    p, c = facts["params"], facts["claims"]
    race, rob = p["05_race"], p["06_robustness"]
    mdi = c["P1-most-consolidative"]["primary"]
    priority, congestion = c["P2-priority"]["primary"], c["P2-congestion"]["primary"]
    placebo = (
        f"the rank coefficient re-estimated {race['placebo_draws']} times with ranks taken from a "
        f"pseudo-base, one of the {race['placebo_neighbours']} bases released closest in time to "
        "the real one"
    )
    out = {
        "snapshot_date": re.search(r"\d{4}-\d\d-\d\d", EMBEDDED_NAME).group(0),
        "snapshot_models": f"{pq.ParquetFile(EMBEDDED_SNAPSHOT).metadata.num_rows:,}",
        "paper1_models": f"{c['P1-data']['rule']['params']['paper_models']:,}",
        "backfill_date": BACKFILL_START.strftime("%Y-%m-%d %H:%M UTC"),
        "downloads_days": re.search(r"last ~(\d+) days", OUTCOMES["log_downloads"][1]).group(1),
        "mdi_window": str(_one(facts, "window_days", "03_mdi", "04_who_disrupts")),
        "mdi_windows": _join(rob["mdi_windows"]),
        "mdi_primary": mdi["estimator"],
        "mdi_primary_sample": mdi["sample"],
        "large_params": f"{_one(facts, 'large_params', '03_mdi', '06_robustness') / 1e9:g} billion",
        "size_inherit": _join(INHERIT_RELATIONS),
        "race_mapping": "; ".join(f"*{construct}*: {hub}" for construct, hub, _ in MAPPING),
        "race_min_derivatives": str(race["min_derivatives"]),
        "race_congestion": _congestion(race["congestion_days"], race["congestion_window"]),
        "race_llm_tags": _join(_one(facts, "llm_tags", "05_race", "06_robustness")),
        "race_priority_term": priority["term"],
        "race_congestion_term": congestion["term"],
        "race_estimator": priority["estimator"],
        "race_clustering": priority["clustering"],
        "race_placebo": placebo,
        "race_min_age": str(race["min_age_days"]),
        "rob_congestion_windows": _join(rob["congestion_windows"]),
        "rob_race_sizes": _join(rob["race_sizes"]),
        "rob_outcomes": "; ".join(OUTCOMES[o][1] for o in rob["outcomes"]),
    }
    for claim_id, key in (
        ("P2-priority", "race_estimand"),
        ("P1-most-consolidative", "mdi_estimand"),
    ):
        if c[claim_id].get("estimand"):  # a declared estimand must be on the page, in its words
            out[key] = " ".join(str(c[claim_id]["estimand"]).split())
    return out


def split_page(text: str) -> tuple[dict[str, str], str]:
    """The page's substitutions and its body (the text below the front matter)."""
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "book/deviations.md: no front matter with myst.substitutions"
    front = yaml.safe_load(match.group(1))
    subs = {k: str(v) for k, v in front["myst"]["substitutions"].items()}
    return subs, text[match.end() :]


#: What may carry a digit in the body: math, roles ({cite}`key2017`), code, substitutions,
#: labels, claim ids and the papers' numbers (P1, P2 in claims.yml).
_EXEMPT = re.compile(
    r"\$\$.*?\$\$|\$[^$\n]+\$|\{[a-z:]+\}`[^`]*`|`[^`]*`|\{\{[^}]*\}\}|^\([\w-]+\)=$"
    r"|\bP[12]-[\w-]+|\b[Pp]aper [12]\b",
    re.S | re.M,
)


def _code_ok(token: str, facts: dict[str, Any], source: str) -> bool:
    names = {n for chapter in facts["params"].values() for n in chapter}
    profiles = {p.stem for p in (REPO_ROOT / "params").glob("*.yaml")}
    if re.fullmatch(r"[a-z][a-z0-9_]*", token):  # a parameter, an MDI reading or a profile
        return token in names or token in VARIANTS or token in profiles
    if "/" in token:
        return (REPO_ROOT / token).exists()
    if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", token):  # a function of the package, in use
        try:
            resolve_function(f"hflineage.{token}")
        except (ImportError, AttributeError):
            return False
        name = token.rsplit(".", 1)[1]
        return f"{name}(" in facts["notebooks"] or f"{name}(" in source
    return token.split("<", 1)[0] in source  # a Hub field or tag the package reads


def page_problems(text: str, facts: dict[str, Any]) -> list[str]:
    """Every disagreement between the page and the chapters, one line each (empty: none)."""
    subs, body = split_page(text)
    want = expected_substitutions(facts)
    problems = [
        f"{k}: the page says {subs.get(k)!r}, the chapters {v!r}"
        for k, v in want.items()
        if subs.get(k) != v and k != "size_examples"
    ]
    unchecked = subs.keys() - want.keys() - {"size_examples"}
    problems += [f"{k}: no derivation (a value nothing checks)" for k in sorted(unchecked)]
    examples = re.findall(r"`([^`]+)`", subs.get("size_examples", ""))
    sizes = parse_size_from_name(pd.Series(examples, dtype=object))
    problems += [
        f"size_examples: {e!r} is not read as a size"
        for e, s in zip(examples, sizes, strict=True)
        if pd.isna(s)
    ]
    used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", body))
    problems += [f"{k}: used but not defined" for k in sorted(used - subs.keys())]
    problems += [f"{k}: defined but never used" for k in sorted(subs.keys() - used)]
    for line in _EXEMPT.sub("", body).splitlines():
        if re.search(r"\d", line):
            problems.append(f"a typed number (make it a substitution): {line.strip()[:80]!r}")
    source = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    code = re.findall(r"(?<![{\w])`([^`]+)`", re.sub(r"\{[a-z:]+\}`[^`]*`", "", body))
    problems += [
        f"`{t}`: no such parameter, reading, path or function"
        for t in dict.fromkeys(code)
        if not _code_ok(t, facts, source)
    ]
    return problems


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return _facts()


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_the_page_agrees_with_the_chapters(page, facts):
    assert page_problems(page, facts) == []


def test_the_race_values_follow_the_chapter_parameters(facts):
    want = expected_substitutions(facts)
    # worked by hand from 05_race's defaults: 30 days "around" entry = 15 either side
    if facts["params"]["05_race"]["congestion_window"] == "around":
        half = facts["params"]["05_race"]["congestion_days"] / 2
        assert want["race_congestion"].startswith(f"within {half:g} days either side of entry")
    assert "shuffl" not in want["race_placebo"]  # the placebo the chapters dropped


def test_a_changed_parameter_is_a_disagreement(page, facts):
    planted = {**facts, "params": {**facts["params"]}}
    planted["params"]["05_race"] = {**facts["params"]["05_race"], "congestion_days": 20}
    problems = page_problems(page, planted)
    assert len(problems) == 1
    assert problems[0].startswith("race_congestion: ") and "within 10 days" in problems[0]


def test_the_old_sentence_is_a_disagreement(page, facts):
    stale = page.replace("created {{ race_congestion }}", "created in the 30 days before entry", 1)
    assert stale != page
    problems = page_problems(stale, facts)
    assert "race_congestion: defined but never used" in problems
    assert any(p.startswith("a typed number") and "30 days before" in p for p in problems)


def test_a_changed_claim_is_a_disagreement(page, facts):
    claims = {k: dict(v) for k, v in facts["claims"].items()}
    claims["P2-priority"]["primary"] = {**claims["P2-priority"]["primary"], "term": "log team rank"}
    claims["P2-priority"]["estimand"] = "the proportional effect of a later rank on expected likes"
    problems = page_problems(page, {**facts, "claims": claims})
    assert any(p.startswith("race_priority_term: ") for p in problems)
    assert any(p.startswith("race_estimand: ") for p in problems)  # declared, not on the page


def test_a_renamed_parameter_or_function_is_a_disagreement(page, facts):
    renamed = page.replace("`min_age_days`", "`min_age`").replace(
        "`race.placebo.timing_placebo`", "`race.placebo.shuffle_placebo`"
    )
    problems = page_problems(renamed, facts)
    assert "`min_age`: no such parameter, reading, path or function" in problems
    assert (
        "`race.placebo.shuffle_placebo`: no such parameter, reading, path or function" in problems
    )


def test_the_size_examples_are_read_as_sizes(page, facts):
    sizes = parse_size_from_name(pd.Series(["x-7b", "x-1.1B", "x-8x7B", "bert"]))
    assert sizes.iloc[:3].tolist() == pytest.approx([7e9, 1.1e9, 56e9])  # 8 x 7B experts
    assert sizes.isna().iloc[3]
    planted = page.replace("`8x7B`", "`8 experts`")
    assert "size_examples: '8 experts' is not read as a size" in page_problems(planted, facts)


def glossary_entries(text: str) -> dict[str, str]:
    """The glossary's terms and their definitions (whitespace collapsed); synonyms share one."""
    block = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    entries: dict[str, str] = {}
    for chunk in re.split(r"\n\s*\n", block.strip("\n")):
        lines = chunk.splitlines()
        terms = [ln for ln in lines if ln and not ln.startswith(" ")]
        body = " ".join(ln.strip() for ln in lines if ln.startswith(" "))
        entries.update({t: body for t in terms})
    return entries


def test_the_glossary_defines_every_verdict_as_the_code_does():
    from hflineage.verdict_types import STATUS_MEANINGS, STATUSES

    entries = glossary_entries((REPO_ROOT / "book" / "glossary.md").read_text(encoding="utf-8"))
    for status in STATUSES:
        meaning = STATUS_MEANINGS[status]
        assert entries[status] == meaning[0].upper() + meaning[1:], status
    for term in ("sesoi", "TOST", "MDE", "Holm adjustment", "CR3 jackknife", "team rank"):
        assert term in entries
    assert entries["sesoi"] == entries["smallest effect size of interest"]
    assert entries["PPML"] == entries["FE-Poisson"]
    # the MDE's 2.80 SE worked by hand: z(0.975) + z(0.8) = 1.95996 + 0.84162 = 2.8016
    assert "2.80\\,\\mathrm{SE}" in entries["MDE"]
