"""Words built from numbers: the phrases a chapter glues into sentences that interpret results.

A sentence typed in a notebook goes stale when the snapshot changes ("positive and significant in
0%" for 1 specification of 504; "sibling, cd_nok, cd_nok, sibling and cd, sibling" for a list
grouped by nothing).  These helpers write the phrase from the numbers, so that it stays true:

- :func:`plural` -- "1 specification", "504 specifications", "no specification";
- :func:`count_share` -- "1 of 504 (0.20%)": a count with its share, which never reads as 0% or
  100% unless it is exactly that (:func:`hflineage.chapter.tables.format_share`);
- :func:`share_format` -- the format spec that prints a small share with two significant digits
  ("0.033%", not "0.0%"), the one format of a share in tables and sentences;
- :func:`join` -- "a", "a and b", "a, b and c";
- :func:`grouped` -- items grouped by a label, in order of first appearance: "cd_nok (without
  roots); cd and sibling (with roots)";
- :func:`by_value` -- keys grouped by their value: "not reproduced at 30 and 90 days, reproduced
  at 180 and 365 days", or "not reproduced at every window" when all agree;
- :func:`compare` -- "12,090, 115 fewer than the 12,205 of ...": two counts of one thing under
  two definitions, the difference said in words;
- :func:`against_record` -- a re-computed value against another chapter's record of it;
- chapter 2's sentences: :func:`lineage_share_sentence`, :func:`relation_agreement_sentence`,
  :func:`lineage_method_sentence`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

from ..errors import ParameterError
from .tables import format_share, share_format

__all__ = [
    "against_record",
    "by_value",
    "compare",
    "count_share",
    "counted",
    "grouped",
    "join",
    "lineage_method_sentence",
    "lineage_share_sentence",
    "plural",
    "relation_agreement_sentence",
    "share_format",
    "share_text",
]


def _count(n: int) -> str:
    return f"{int(n):,}"


def plural(n: int, singular: str, plural_form: str | None = None, *, zero: str = "no") -> str:
    """``n`` and the noun in the right number: ``plural(1, "fit")`` is "1 fit",
    ``plural(2, "fit")`` "2 fits", ``plural(0, "fit")`` "no fit" (``zero`` replaces the 0;
    ``zero=""`` gives "0 fits").  ``plural_form`` for irregular nouns ("family", "families").
    """
    if n < 0:
        raise ParameterError(f"plural: a count cannot be negative; got {n}")
    many = plural_form or f"{singular}s"
    if n == 0 and zero:
        return f"{zero} {singular}"
    return f"{_count(n)} {singular if n == 1 else many}"


def share_text(k: int, n: int, digits: int = 0) -> str:
    """``k / n`` as a percentage (:func:`~hflineage.chapter.tables.format_share`) that never
    rounds a non-zero share to "0%" (1 of 504 reads "0.20%") nor a share below one to "100%"
    (503 of 504: "99.80%"); "–" when ``n`` is 0.
    """
    if n < 0 or k < 0 or k > n:
        raise ParameterError(f"share_text: expected 0 <= k <= n; got k={k}, n={n}")
    return format_share(k / n, digits) if n else "–"


def count_share(k: int, n: int, digits: int = 0) -> str:
    """A count, its total and the share (:func:`share_text`): "1 of 504 (< 1%)"."""
    return f"{_count(k)} of {_count(n)} ({share_text(k, n, digits)})"


def join(items: Iterable[object], conjunction: str = "and") -> str:
    """Items in a sentence: "a", "a and b", "a, b and c" ("" for no item)."""
    words = [str(x) for x in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def grouped(pairs: Iterable[tuple[object, object]], *, empty: str = "none", sep: str = "; ") -> str:
    """Items grouped by their label, labels in order of first appearance, each item once:
    ``[("cd_nok", "without roots"), ("cd", "with roots"), ("sibling", "with roots")]`` reads
    "cd_nok (without roots); cd and sibling (with roots)".  ``empty`` when there is none.
    """
    groups: dict[object, list[str]] = {}
    for item, label in pairs:
        members = groups.setdefault(label, [])
        if str(item) not in members:
            members.append(str(item))
    if not groups:
        return empty
    return sep.join(f"{join(members)} ({label})" for label, members in groups.items())


def by_value(
    mapping: Mapping[Hashable, object],
    *,
    unit: str = "",
    every: str = "every value",
    sep: str = ", ",
    at: str = "at",
) -> str:
    """The keys grouped by their value, in order: ``{30: "x", 90: "x", 180: "y"}`` with
    ``unit="days"`` reads "x at 30 and 90 days, y at 180 days"; when every key has one value,
    "x at {every}" ("x at every window").  Keys are numbers or words; floats are written with
    ``:g``; ``at`` is the word between a value and its keys ("0 for cd and ancestral").
    """
    if not mapping:
        raise ParameterError("by_value: nothing to describe; expected key -> value")
    groups: dict[object, list[str]] = {}
    for key, value in mapping.items():
        groups.setdefault(value, []).append(f"{key:g}" if isinstance(key, float) else str(key))
    if len(groups) == 1:
        return f"{next(iter(groups))} {at} {every}"
    tail = f" {unit}" if unit else ""
    return sep.join(f"{value} {at} {join(keys)}{tail}" for value, keys in groups.items())


def compare(n: int, other: int, what: str) -> str:
    """Two counts of one thing under two definitions: ``compare(12090, 12205, "in chapter 2")``
    is "12,090, 115 fewer than the 12,205 in chapter 2"; equal counts read "12,090, as in
    chapter 2".
    """
    if n == other:
        return f"{_count(n)}, as {what}"
    diff = abs(n - other)
    side = "fewer" if n < other else "more"
    return f"{_count(n)}, {_count(diff)} {side} than the {_count(other)} {what}"


def counted(values: Sequence[object], noun: str, plural_form: str | None = None) -> str:
    """A count and the list: "3 fits: a, b and c"; "no fit" for none."""
    head = plural(len(values), noun, plural_form)
    return f"{head}: {join(values)}" if values else head


def against_record(value: float, recorded: float | None, what: str, *, tol: float = 1e-9) -> str:
    """A re-computed value against another chapter's record of it: "equal to chapter 05's
    record" (within ``tol``), "not equal to chapter 05's record (0.1234: the two ran on
    different data or code)", or "chapter 05's record of this run is not available" when
    ``recorded`` is ``None`` (that chapter did not run, or recorded nothing).
    """
    if recorded is None:
        return f"{what} of this run is not available"
    if abs(float(recorded) - float(value)) < tol:
        return f"equal to {what}"
    return f"not equal to {what} ({float(recorded):.4f}: the two ran on different data or code)"


def lineage_share_sentence(share: float, n: int) -> str:
    """How many models take part in a declared lineage: "Only 12.3% of the models (93,456) take
    part in a declared lineage at all" below one half, "61.0% of the models (...) take part in a
    declared lineage" from one half on (the share as :func:`share_format` prints it).
    """
    few = share < 0.5
    return (
        ("Only " if few else "")
        + f"{format(share, share_format(share))} of the models ({_count(n)}) "
        + ("take part in a declared lineage at all" if few else "take part in a declared lineage")
    )


def relation_agreement_sentence(n_checked: int, n_agreeing: int, n_edges: int) -> str:
    """The rules against the relations a snapshot declares: "The snapshot declares the relation
    of 1,234 edges; typed again by the rules, 1,000 of 1,234 (81.0%) get the declared
    relation.", or, when it declares none, that all ``n_edges`` edges are typed by the rules and
    cannot be checked on it.
    """
    if n_checked:
        return (
            f"The snapshot declares the relation of {plural(n_checked, 'edge')}; typed again by "
            f"the rules, {count_share(n_agreeing, n_checked, 1)} get the declared relation."
        )
    return (
        f"The snapshot declares no typed relations: all {_count(n_edges)} of its edges are typed "
        "by the rules, so they cannot be checked on it, and the comparison with the Hub's later "
        "typing above is the only check."
    )


def lineage_method_sentence(n_edges: int, n_pairs: int, share_resolved: float) -> str:
    """What P1-lineage's method did, in numbers: edges from declared pairs, the share of
    non-self declarations that resolve to a model, and that every edge is typed.
    """
    return (
        f"The network is rebuilt by three documented phases of parsing: {_count(n_edges)} edges "
        f"from {_count(n_pairs)} declared pairs; {share_resolved:.1%} of non-self declarations "
        "resolve to a model of the snapshot, and every edge gets a relation type (declared, or "
        "inferred by validated rules)"
    )
