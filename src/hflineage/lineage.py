"""Lineage edges by *phased parsing*: one row per (child, declared parent), normalised and typed.

Paper 1 (Wei et al. 2026) reconstructs the Hub's lineage network "by phased parsing" of the
parent–child relations that model metadata declares.  The paper does not publish its phases, so
this module makes each one explicit, counts what it yields, and keeps every choice switchable.

Phases (in order; an edge found by an earlier phase is never duplicated by a later one):

1. **declared and typed** — ``typed_tag``: ``base_model:<relation>:<id>`` tags (``tag_parents`` of
   rows whose ``tag_relation`` is set); ``hub_stats``: hub-stats ``baseModels``
   (``hub_parents`` with ``hub_relation``).
2. **declared, untyped** — ``tag``: ``base_model:<id>`` tags (``tag_parents`` of rows whose
   ``tag_relation`` is null); ``card``: the model card's ``base_model`` field (``card_parents``,
   with ``card_relation`` when the card states it).
3. **relation inference** for every edge still without a declared relation, by the data-driven
   rules of :data:`INFERENCE_RULES` (first match wins), else :data:`DEFAULT_RELATION`.

An edge's declared relation is the relation its own source states; failing that, the row's
``declared_relation`` (a model declares one relation to its base models: the Hub derives the
``base_model`` tags from the same card field).

Normalisation of the declared parent string (each step counted by :func:`lineage_funnel`):

``exact``
    the declared id is a model of the snapshot.
``case``
    the lower-cased declared id matches exactly one model's lower-cased id (Hub ids are case-
    insensitive; a lower-cased id shared by several models stays unresolved).
``alias``
    an un-namespaced legacy id (``gpt2``, ``bert-base-uncased``) that the Hub moved into a
    canonical organisation in 2024.  The alias map is *derived from the data* by
    :func:`derive_aliases`: ``X`` resolves to ``org/X`` when exactly one model whose name part is
    ``X`` (case-insensitively) belongs to one of :data:`CANONICAL_ORGS`; with
    ``alias_rule="canonical+unique"`` (the default) an ``X`` that no canonical organisation holds
    also resolves when exactly one model in the whole snapshot has name part ``X``.  The hand list
    :data:`HAND_ALIASES` is a fallback (used only for names the data cannot resolve, e.g. in a small
    slice that lacks the canonical repo) and a check (:func:`check_aliases`).
``unresolved``
    anything else (deleted or renamed repos, local paths): kept as an external node whose id is the
    declared string.

Then: self-references (the resolved parent is the child itself) are dropped and counted; a parent
created after its child is flagged (``parent_younger``: kept, but timed measures must exclude it);
directed cycles among models are found with strongly connected components and flagged
(``in_cycle``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .data import RELATIONS, explode_lists
from .errors import HflineageError, check_choice

#: Parsing phases in the order they run; an edge keeps the first phase that found it.
PHASES = ("typed_tag", "hub_stats", "tag", "card")

#: Which list/relation columns of the models table each phase reads.  ``typed`` selects rows by
#: whether ``tag_relation`` is set (True), null (False) or ignores it (None).
PHASE_SOURCES: dict[str, tuple[str, str | None, bool | None]] = {
    "typed_tag": ("tag_parents", "tag_relation", True),
    "hub_stats": ("hub_parents", "hub_relation", None),
    "tag": ("tag_parents", None, False),
    "card": ("card_parents", "card_relation", None),
}

#: Resolution paths of a declared parent string, in the order they are tried.
RESOLUTIONS = ("exact", "case", "alias", "unresolved")

#: The organisations into which the Hub moved its legacy un-namespaced models in 2024
#: (``gpt2`` → ``openai-community/gpt2``, ``bert-base-uncased`` → ``google-bert/…``, ``roberta-base``
#: → ``FacebookAI/…``, ``t5-base`` → ``google-t5/…``, ``camembert-base`` → ``almanach/…``,
#: ``ctrl`` → ``Salesforce/ctrl``, ...).  All their legacy repos carry the back-filled 2022-03-02
#: creation date in the embedded snapshot.
CANONICAL_ORGS = (
    "openai-community",
    "google-bert",
    "distilbert",
    "FacebookAI",
    "google-t5",
    "albert",
    "xlnet",
    "almanach",
    "Salesforce",
    "transfo-xl",
    "flaubert",
)

#: Hand-checked legacy aliases (from the Hub's 2024 move).  Used only where the data-derived map
#: has no entry, and by :func:`check_aliases` to verify the derived map.
HAND_ALIASES = {
    "gpt2": "openai-community/gpt2",
    "bert-base-uncased": "google-bert/bert-base-uncased",
    "bert-base-cased": "google-bert/bert-base-cased",
    "distilbert-base-uncased": "distilbert/distilbert-base-uncased",
    "xlm-roberta-base": "FacebookAI/xlm-roberta-base",
    "roberta-base": "FacebookAI/roberta-base",
    "t5-small": "google-t5/t5-small",
    "t5-base": "google-t5/t5-base",
}

#: ``alias_rule`` choices of :func:`build_edges` / :func:`derive_aliases`.
ALIAS_RULES = ("canonical", "canonical+unique")


@dataclass(frozen=True)
class InferenceRule:
    """One relation-inference rule: an edge whose child matches *any* listed marker gets ``relation``.

    ``min_parents``: the child declares at least this many distinct (non-self) parents;
    ``tags``: any of these Hub tags (lower-cased, exact); ``libraries``: ``library_name`` is one of
    these; ``name_pattern``: a regular expression (RE2 syntax) searched in the lower-cased name part
    of the child's id — with the parent's name part cut out first when ``own_name`` is True, so that
    ``alice/llama-3-8b-bnb-4bit-book-review``, a finetune of ``unsloth/llama-3-8b-bnb-4bit``, is not
    taken for a 4-bit quantisation.
    """

    name: str
    relation: str
    description: str
    min_parents: int | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
    libraries: frozenset[str] = field(default_factory=frozenset)
    name_pattern: str | None = None
    own_name: bool = True


def _quant_name_pattern(widths: str) -> str:
    return (
        r"(?:^|[-_.])(?:gguf|ggml|gptq|awq|exl2|bnb|mlx|hqq|aqlm|int[248]|fp8|nf4|"
        + widths
        + r"-?bits?|\d(?:\.\d+)?-?bpw|i?q[1-8](?:_k)?(?:_(?:0|1|s|m|l|xs|xxs))?)(?:$|[-_.])"
    )


#: Quantisation markers in a model's name part, as separate tokens (between ``-``, ``_``, ``.``):
#: format names (gguf, ggml, gptq, awq, exl2, bnb, mlx, hqq, aqlm), integer/float widths (int4,
#: int8, fp8, nf4), bit widths from 1 to 8 (``4bit``, ``8-bit``, ``1.58bit``; ``16bit`` and
#: ``32bit`` are full/half precision, not quantisation), exllama bits-per-weight (``4.0bpw``) and
#: llama.cpp quant types (``q4_k_m``, ``q8_0``, ``iq3_xs``).
QUANT_NAME_PATTERN = _quant_name_pattern(r"(?:[1-8]|1\.58)")

#: Quantisation markers in tags and ``library_name``.
QUANT_TAGS = frozenset(
    {
        "gguf",
        "ggml",
        "gptq",
        "awq",
        "exl2",
        "bnb",
        "4-bit",
        "8-bit",
        "bitsandbytes",
        "mlx",
        "int4",
        "int8",
        "fp8",
        "quantized",
        "hqq",
        "aqlm",
    }
)
QUANT_LIBRARIES = frozenset({"gguf", "mlx", "ggml"})

SEVERAL_PARENTS = InferenceRule(
    "several_parents", "merge", "the child declares more than one base model", min_parents=2
)
MERGE_TAG = InferenceRule(
    "merge_tag", "merge", "tagged merge or mergekit", tags=frozenset({"merge", "mergekit"})
)
ADAPTER_MARKER = InferenceRule(
    "adapter_marker",
    "adapter",
    "tagged peft, lora or adapter, or library peft",
    tags=frozenset({"peft", "lora", "adapter"}),
    libraries=frozenset({"peft"}),
)
QUANT_MARKER = InferenceRule(
    "quantisation_marker",
    "quantized",
    "quantisation format or 1-8 bit width in tags, library or the child's own name",
    tags=QUANT_TAGS,
    libraries=QUANT_LIBRARIES,
    name_pattern=QUANT_NAME_PATTERN,
)

#: The rules as first specified (issue 3): several parents → merge; merge/mergekit tag → merge;
#: quantisation marker (any bit width, whole name) → quantized; peft/lora/adapter → adapter.
#: Kept for comparison: on the Hub's own typed edges it agrees 86.2% (see
#: ``benchmarks/validate_relations.py``).
BRIEF_RULES: tuple[InferenceRule, ...] = (
    SEVERAL_PARENTS,
    MERGE_TAG,
    InferenceRule(
        "quantisation_marker",
        "quantized",
        "quantisation format or any bit width in tags, library or the whole name",
        tags=QUANT_TAGS,
        libraries=QUANT_LIBRARIES,
        name_pattern=_quant_name_pattern(r"\d{1,2}"),
        own_name=False,
    ),
    ADAPTER_MARKER,
)

#: Relation inference for edges without a declared relation: first matching rule wins.
#: Changed from :data:`BRIEF_RULES` after validation against the Hub's typed edges (86.2% → 93.4%
#: agreement on 6,517 shared edges):
#:
#: * the ``merge``/``mergekit`` tag no longer makes a single-parent child a merge — a quantised or
#:   finetuned copy of a merge inherits the tag with the copied card (0 of 246 such edges were
#:   merges on the Hub); a merge combines several models, which ``several_parents`` catches;
#: * adapters before quantisation: a (Q)LoRA adapter trained on a 4-bit base carries ``4-bit`` /
#:   ``bitsandbytes`` tags but is an adapter;
#: * bit widths 1–8 only (``16bit`` names are merged full-precision finetunes), and name markers
#:   copied from the parent's name do not count.
INFERENCE_RULES: tuple[InferenceRule, ...] = (SEVERAL_PARENTS, ADAPTER_MARKER, QUANT_MARKER)

#: Named rule sets for parameters (``build_edges(rules="brief")``).
RULE_SETS: dict[str, tuple[InferenceRule, ...]] = {
    "default": INFERENCE_RULES,
    "brief": BRIEF_RULES,
}

#: Agreement of our relation types with the Hub's own typed relations, measured by
#: ``benchmarks/validate_relations.py`` (2026-11) on the 6,517 edges of the embedded snapshot that
#: also occur among 30,383 typed edges of English text-generation models in June 2025 (a file
#: without a licence: used for measuring only, never shipped).  Re-run the benchmark to update.
VALIDATION_AGREEMENT = {"shared_edges": 6517, "brief": 0.8624, "default": 0.9336}

#: Relation of an edge that has no declared relation and matches no rule.
DEFAULT_RELATION = "finetune"
DEFAULT_RULE = "default"

#: Output columns of :func:`build_edges`, in order.
EDGE_COLUMNS = (
    "child",
    "parent",
    "declared",
    "resolution",
    "relation",
    "relation_source",
    "phase",
    "parent_in_snapshot",
    "parent_younger",
    "in_cycle",
)

_MODEL_COLUMNS = (
    "model_id",
    "created_at",
    "tags",
    "library_name",
    "tag_parents",
    "tag_relation",
    "hub_parents",
    "hub_relation",
    "card_parents",
    "card_relation",
    "declared_relation",
)


# --------------------------------------------------------------------------------------------
# helpers (Arrow compute: hashing 760,000 strings through pandas costs seconds)
# --------------------------------------------------------------------------------------------
def _arrow_str(values: pd.Series | np.ndarray) -> pa.Array:
    """A pandas string column (or object array) as one Arrow ``large_string`` array."""
    if isinstance(values, pd.Series) and not isinstance(values.dtype, np.dtype):
        arr = pa.array(values)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return arr.cast(pa.large_string())
    return pa.array(np.asarray(values, dtype=object), pa.large_string())


def _name_part(ids: pa.Array) -> pa.Array:
    """Lower-cased repo name: the part after the owner (``org/Name`` → ``name``)."""
    return pc.replace_substring_regex(pc.utf8_lower(ids), r"^.*/", "")


def _owner(ids: pa.Array) -> pa.Array:
    """Owner part of ``owner/name`` ids (null for un-namespaced ids)."""
    owner = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    return pc.if_else(pc.match_substring(ids, "/"), owner, pa.scalar(None, pa.large_string()))


def _np(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _lookup(values: pa.Array, ids: pa.Array) -> np.ndarray:
    """Position in ``ids`` (unique) of each of ``values``; -1 where absent."""
    cand = np.flatnonzero(_np(pc.is_in(ids, value_set=pc.unique(values))))
    hit = _np(pc.fill_null(pc.index_in(values, value_set=ids.take(pa.array(cand))), -1))
    hit = hit.astype(np.int64)
    return np.where(hit >= 0, cand[np.maximum(hit, 0)] if len(cand) else -1, -1)


# --------------------------------------------------------------------------------------------
# phases 1 and 2: declared pairs
# --------------------------------------------------------------------------------------------
def _clean_relation(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Lower-cased declared relation of ``rows`` where it is one of :data:`RELATIONS`, else None."""
    low = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow_str(values.iloc[rows])))
    ok = _np(pc.fill_null(pc.is_in(low, value_set=pa.array(RELATIONS)), False)).astype(bool)
    return np.where(ok, _np(low).astype(object), None)


def declared_pairs(models: pd.DataFrame) -> pd.DataFrame:
    """Every declared (child row, parent string) pair of phases 1 and 2, phase by phase.

    Columns: ``row`` (child position in ``models``), ``declared``, ``phase``, ``declared_relation``
    (the relation the source states, else the row's ``declared_relation``, else None).  Pairs are
    unique within a phase but may repeat across phases (dropped later, after resolution).
    """
    missing = [c for c in _MODEL_COLUMNS if c not in models.columns]
    if missing:
        raise HflineageError(
            f"models table: missing column {missing[0]!r}; expected the schema of "
            "hflineage.data (load it with load_snapshot)"
        )
    typed_rows = models["tag_relation"].notna().to_numpy(bool)
    frames = []
    for phase in PHASES:  # four phases, each vectorised over all models
        col, rel_col, typed = PHASE_SOURCES[phase]
        long = explode_lists(models[col])
        if typed is not None:
            long = long[typed_rows[long["row"].to_numpy()] == typed]
        rows = long["row"].to_numpy()
        rel = np.full(len(rows), None, dtype=object)
        if rel_col is not None:
            rel = _clean_relation(models[rel_col], rows)
        fallback = _clean_relation(models["declared_relation"], rows)
        rel = np.where(pd.isna(rel), fallback, rel)
        frames.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "declared": long["value"].to_numpy(object),
                    "phase": phase,
                    "declared_relation": rel,
                }
            )
        )
    pairs = pd.concat(frames, ignore_index=True)
    pairs = pairs[pairs["declared"].str.strip().str.len() > 0]
    return pairs.drop_duplicates(["row", "declared", "phase"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------------------------
def derive_aliases(
    models: pd.DataFrame,
    alias_rule: str = "canonical+unique",
    keys: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """The alias map for un-namespaced legacy ids, derived from the snapshot itself.

    Returns one row per lower-cased name ``key`` with its ``target`` model id and the ``rule`` that
    produced it: ``canonical`` (exactly one model named ``key`` in :data:`CANONICAL_ORGS`),
    ``unique`` (no canonical match and exactly one model named ``key`` in the whole snapshot; only
    with ``alias_rule="canonical+unique"``), ``hand`` (:data:`HAND_ALIASES` entries the data does
    not resolve; their target may be absent from the snapshot).  ``keys`` restricts the map to
    those names (faster; the result for a key does not depend on the others).
    """
    check_choice("alias_rule", alias_rule, ALIAS_RULES)
    ids = _arrow_str(models["model_id"])
    names = _name_part(ids)
    if keys is not None:
        wanted = pa.array(pd.unique(pd.Series(keys, dtype=object).str.lower()), pa.large_string())
        keep = pc.is_in(names, value_set=wanted)
        ids, names = ids.filter(keep), names.filter(keep)
    canon = _np(pc.fill_null(pc.is_in(_owner(ids), value_set=pa.array(CANONICAL_ORGS)), False))
    frame = pd.DataFrame({"key": _np(names), "target": _np(ids)}, dtype=object)
    canon_rows = frame[canon.astype(bool)]
    canon_rows = canon_rows[~canon_rows["key"].duplicated(keep=False)].assign(rule="canonical")
    parts = [canon_rows]
    if alias_rule == "canonical+unique":
        uniq = frame[~frame["key"].duplicated(keep=False)]
        parts.append(uniq[~uniq["key"].isin(canon_rows["key"])].assign(rule="unique"))
    derived = pd.concat(parts, ignore_index=True)
    hand = pd.DataFrame(
        {"key": list(HAND_ALIASES), "target": list(HAND_ALIASES.values()), "rule": "hand"}
    )
    hand = hand[~hand["key"].isin(derived["key"])]
    if keys is not None:
        hand = hand[hand["key"].isin(set(wanted.to_pylist()))]
    return pd.concat([derived, hand], ignore_index=True).astype(object)


def check_aliases(aliases: pd.DataFrame) -> pd.DataFrame:
    """Hand-list entries on which the derived alias map disagrees (empty when all agree).

    Columns ``key``, ``hand`` (the hand-checked target), ``derived`` (the data's target) and
    ``rule``.  A ``hand`` rule row means the data did not resolve the name at all.
    """
    hand = pd.DataFrame({"key": list(HAND_ALIASES), "hand": list(HAND_ALIASES.values())})
    out = hand.merge(
        aliases.rename(columns={"target": "derived"}), on="key", how="left", validate="1:1"
    )
    bad = (out["derived"] != out["hand"]) | (out["rule"] == "hand")
    return out[bad.to_numpy(bool)].reset_index(drop=True)


def resolve_parents(
    declared: pd.Series,
    models: pd.DataFrame,
    aliases: pd.DataFrame | None = None,
    alias_rule: str = "canonical+unique",
) -> pd.DataFrame:
    """Resolve declared parent strings to model ids: exact → case → alias → unresolved.

    Returns, aligned with ``declared``: ``parent`` (the model id, or the declared string when
    unresolved), ``resolution``, ``alias_rule`` (which alias rule applied, else None),
    ``ambiguous_case`` (the lower-cased id matches several models), ``parent_pos`` (position of the
    parent in ``models``, -1 when it is not a model of the snapshot).  ``aliases`` defaults to
    :func:`derive_aliases` (with ``alias_rule``) for the un-namespaced declared names.
    """
    ids = _arrow_str(models["model_id"])
    raw_obj = pd.Series(np.asarray(declared, dtype=object)).str.strip()
    raw = _arrow_str(raw_obj.to_numpy(object))
    low = pc.utf8_lower(raw)
    n = len(raw)
    parent = raw_obj.to_numpy(object).copy()
    resolution = np.full(n, "unresolved", dtype=object)
    rule = np.full(n, None, dtype=object)

    # Hash only the few ids some declared string can match, not all of them for every lookup.
    pos = _lookup(raw, ids)
    exact = pos >= 0
    resolution[exact] = "exact"

    lower_ids = pc.utf8_lower(ids)
    cand = np.flatnonzero(_np(pc.is_in(lower_ids, value_set=pc.unique(low))))
    cand_low = pd.Series(_np(lower_ids.take(pa.array(cand))), dtype=object)
    dup = cand_low.duplicated(keep=False).to_numpy(bool)
    hit = pd.Index(cand_low[~dup]).get_indexer(_np(low).astype(object))
    case = ~exact & (hit >= 0)
    pos[case] = cand[~dup][hit[case]]
    resolution[case] = "case"
    ambiguous = ~exact & ~case & pd.Series(_np(low)).isin(cand_low[dup]).to_numpy(bool)

    no_ns = ~raw_obj.str.contains("/", regex=False).to_numpy(bool)
    todo = ~exact & ~case & ~ambiguous & no_ns
    if aliases is None:
        aliases = derive_aliases(models, alias_rule, keys=raw_obj[todo].to_numpy(object))
    a_hit = pd.Index(aliases["key"].to_numpy(object)).get_indexer(_np(low).astype(object))
    alias = todo & (a_hit >= 0)
    parent[alias] = aliases["target"].to_numpy(object)[a_hit[alias]]
    rule[alias] = aliases["rule"].to_numpy(object)[a_hit[alias]]
    resolution[alias] = "alias"
    if alias.any():
        pos[alias] = _lookup(pa.array(parent[alias], pa.large_string()), ids)

    found = exact | case
    parent[found] = _np(ids.take(pa.array(pos[found])))
    return pd.DataFrame(
        {
            "parent": parent,
            "resolution": resolution,
            "alias_rule": rule,
            "ambiguous_case": ambiguous,
            "parent_pos": pos,
        }
    )


# --------------------------------------------------------------------------------------------
# phase 3: relation inference
# --------------------------------------------------------------------------------------------
def _own_name(child_ids: pa.Array, parent_ids: pa.Array | None) -> np.ndarray:
    """The child's lower-cased name part with its parent's name part cut out (per edge).

    ``unsloth/llama-3-8b-bnb-4bit`` → ``alice/llama-3-8b-bnb-4bit-book-review`` leaves
    ``-book-review``: a marker the child merely inherited by copying its parent's name says
    nothing about how the child was made.
    """
    names = _np(_name_part(child_ids)).astype(np.dtypes.StringDType())
    if parent_ids is None:
        return names
    parents = _np(_name_part(parent_ids)).astype(np.dtypes.StringDType())
    return np.strings.replace(names, parents, "")


def _rule_matches(
    rule: InferenceRule,
    n_parents: np.ndarray,
    child_index: np.ndarray,
    tag_rows: np.ndarray,
    tag_values: pa.Array,
    library: pa.Array,
    names: pa.Array,
    whole_names: pa.Array,
) -> np.ndarray:
    """Boolean per edge for one rule, vectorised.  Tags and library are per distinct child
    (``child_index`` maps edges to distinct children); parent counts and names are per edge."""
    per_child = np.zeros(len(library), dtype=bool)
    if rule.tags:
        marked = _np(pc.is_in(tag_values, value_set=pa.array(sorted(rule.tags)))).astype(bool)
        per_child[tag_rows[marked]] = True
    if rule.libraries:
        lib = pc.is_in(library, value_set=pa.array(sorted(rule.libraries)))
        per_child |= _np(pc.fill_null(lib, False)).astype(bool)
    hit = per_child[child_index]
    if rule.min_parents is not None:
        hit |= n_parents >= rule.min_parents
    if rule.name_pattern:
        found = pc.match_substring_regex(names if rule.own_name else whole_names, rule.name_pattern)
        hit |= _np(pc.fill_null(found, False)).astype(bool)
    return hit


def infer_relations(
    models: pd.DataFrame,
    child_pos: np.ndarray,
    n_parents: np.ndarray,
    parents: np.ndarray | pd.Series | None = None,
    rules: tuple[InferenceRule, ...] = INFERENCE_RULES,
) -> tuple[np.ndarray, np.ndarray]:
    """Phase 3: the inferred relation and the name of the rule that fired, per edge.

    ``child_pos`` gives each edge's child position in ``models``; ``n_parents`` the child's number
    of distinct non-self parents; ``parents`` the parent ids (for rules with ``own_name``, name
    markers the child's name copies from its parent's name are ignored; ``None`` = whole name).  Tag and library
    markers are evaluated once per distinct child (tags exploded with
    :func:`~hflineage.data.explode_lists`), name markers per edge (Arrow regex); the first matching
    rule wins; no rule → (:data:`DEFAULT_RELATION`, ``"default"``).
    """
    for r in rules:
        check_choice(f"relation of rule {r.name!r}", r.relation, RELATIONS)
    child_pos = np.asarray(child_pos, dtype=np.int64)
    n_parents = np.asarray(n_parents, dtype=np.int64)
    if len(child_pos) == 0:
        return np.array([], dtype=object), np.array([], dtype=object)
    uniq, inverse = np.unique(child_pos, return_inverse=True)
    tag_long = explode_lists(models["tags"].take(uniq))
    tag_rows = tag_long["row"].to_numpy()
    tag_values = pc.utf8_lower(_arrow_str(tag_long["value"].to_numpy(object)))
    library = pc.utf8_lower(_arrow_str(models["library_name"].take(uniq)))
    child_ids = _arrow_str(models["model_id"].take(child_pos))
    parent_ids = None if parents is None else _arrow_str(np.asarray(parents, dtype=object))
    names = pa.array(_own_name(child_ids, parent_ids).astype(object), pa.large_string())
    whole_names = _name_part(child_ids)
    relation = np.full(len(child_pos), DEFAULT_RELATION, dtype=object)
    fired = np.full(len(child_pos), DEFAULT_RULE, dtype=object)
    decided = np.zeros(len(child_pos), dtype=bool)
    for rule in rules:  # a handful of rules, each vectorised over all edges
        hit = _rule_matches(
            rule, n_parents, inverse, tag_rows, tag_values, library, names, whole_names
        )
        hit &= ~decided
        relation[hit] = rule.relation
        fired[hit] = rule.name
        decided |= hit
    return relation, fired


# --------------------------------------------------------------------------------------------
# cycles
# --------------------------------------------------------------------------------------------
def cycle_components(child_pos: np.ndarray, parent_pos: np.ndarray, n: int) -> np.ndarray:
    """Strongly-connected-component label per edge if the edge lies on a directed cycle, else -1.

    Only edges between models of the snapshot (both positions ≥ 0) can close a cycle.
    """
    inside = (child_pos >= 0) & (parent_pos >= 0)
    out = np.full(len(child_pos), -1, dtype=np.int64)
    if not inside.any():
        return out
    c, p = child_pos[inside], parent_pos[inside]
    graph = coo_matrix((np.ones(len(c), dtype=np.int8), (c, p)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels)
    on_cycle = (labels[c] == labels[p]) & (sizes[labels[c]] > 1)
    out[np.flatnonzero(inside)[on_cycle]] = labels[c][on_cycle]
    return out


# --------------------------------------------------------------------------------------------
# the edge list
# --------------------------------------------------------------------------------------------
def build_edges(
    models: pd.DataFrame,
    *,
    alias_rule: str = "canonical+unique",
    rules: tuple[InferenceRule, ...] | str = INFERENCE_RULES,
) -> pd.DataFrame:
    """The lineage network as an edge list: one row per (child, declared parent).

    In the paper's terms: the parent–child relations of the model ecosystem, reconstructed by
    phased parsing (phases 1–2 of the module docstring), normalised (exact / case / alias /
    unresolved; self-references dropped) and typed (declared relation, else inferred by
    ``rules``).  Columns are :data:`EDGE_COLUMNS`:

    ``child``, ``parent`` (resolved model id; the declared string when unresolved), ``declared``
    (raw string), ``resolution``, ``relation`` (finetune, adapter, quantized, merge),
    ``relation_source`` (``declared``/``inferred``), ``phase``, ``parent_in_snapshot``,
    ``parent_younger`` (parent created after the child: keep out of timed measures),
    ``in_cycle`` (the edge lies on a directed cycle of the model graph).

    ``rules`` is a tuple of :class:`InferenceRule` or the name of one of :data:`RULE_SETS`.
    ``edges.attrs["lineage_counts"]`` holds the counts of every step (self-references, duplicates,
    alias rules, inference rules, cycles); :func:`lineage_funnel` turns them into a table.
    """
    check_choice("alias_rule", alias_rule, ALIAS_RULES)
    if isinstance(rules, str):
        check_choice("rules", rules, tuple(RULE_SETS))
        rules = RULE_SETS[rules]
    pairs = declared_pairs(models)
    res = resolve_parents(pairs["declared"], models, alias_rule=alias_rule)
    ids = models["model_id"].astype(str).to_numpy(object)
    child_pos = pairs["row"].to_numpy()
    frame = pd.concat([pairs.reset_index(drop=True), res], axis=1)
    frame["child"] = ids[child_pos]
    counts: dict[str, object] = {
        "alias_rule": alias_rule,
        "rules": [r.name for r in rules],
        "n_models": len(models),
    }
    for phase in PHASES:
        counts[f"pairs_{phase}"] = int((frame["phase"] == phase).sum())
    counts["pairs_total"] = len(frame)
    counts["pairs_unique"] = int((~frame.duplicated(["row", "declared"])).sum())

    self_loop = (frame["parent_pos"].to_numpy() == child_pos) | (
        frame["parent"].to_numpy(object) == frame["child"].to_numpy(object)
    )
    by_res = frame.loc[self_loop, "resolution"].value_counts()
    counts["self_loops"] = int(self_loop.sum())
    # a self-reference as declared: the child's own id, up to case (what the data README counts)
    counts["self_loops_declared"] = int(by_res.get("exact", 0) + by_res.get("case", 0))
    # a local-path name (``my-model``) that alias resolution maps onto the child itself
    counts["self_loops_alias"] = int(by_res.get("alias", 0))
    frame = frame.loc[~self_loop]
    dup = frame.duplicated(["row", "parent"])
    counts["duplicates"] = int(dup.sum())
    counts["duplicates_by_phase"] = {
        k: int(v) for k, v in frame.loc[dup, "phase"].value_counts().items()
    }
    frame = frame.loc[~dup].reset_index(drop=True)
    for phase in PHASES:
        counts[f"edges_{phase}"] = int((frame["phase"] == phase).sum())
    counts["alias_by_rule"] = {k: int(v) for k, v in frame["alias_rule"].value_counts().items()}
    counts["ambiguous_case"] = int(frame["ambiguous_case"].sum())

    child_pos = frame["row"].to_numpy()
    parent_pos = frame["parent_pos"].to_numpy()
    n_parents = np.bincount(child_pos, minlength=len(models))[child_pos]
    declared_rel = frame["declared_relation"].to_numpy(object)
    need = pd.isna(declared_rel)
    relation = declared_rel.copy()
    inferred, rule_names = infer_relations(
        models,
        child_pos[need],
        n_parents[need],
        frame["parent"].to_numpy(object)[need],
        rules,
    )
    relation[need] = inferred
    counts["inference_by_rule"] = {
        k: int(v) for k, v in pd.Series(rule_names).value_counts().items()
    }

    created = models["created_at"].to_numpy("datetime64[us]").astype(np.int64)
    in_snap = parent_pos >= 0
    younger = np.zeros(len(frame), dtype=bool)
    younger[in_snap] = created[parent_pos[in_snap]] > created[child_pos[in_snap]]
    scc = cycle_components(child_pos, parent_pos, len(models))
    counts["cycles"] = int(len(np.unique(scc[scc >= 0])))
    counts["cycle_models"] = int(
        len(np.unique(np.concatenate([child_pos[scc >= 0], parent_pos[scc >= 0]])))
    )

    edges = pd.DataFrame(
        {
            "child": frame["child"].astype(str),
            "parent": frame["parent"].astype(str),
            "declared": frame["declared"].astype(str),
            "resolution": frame["resolution"].astype(str),
            "relation": pd.Series(relation, dtype=object).astype(str),
            "relation_source": np.where(need, "inferred", "declared"),
            "phase": frame["phase"].astype(str),
            "parent_in_snapshot": in_snap,
            "parent_younger": younger,
            "in_cycle": scc >= 0,
        }
    )
    edges["relation_source"] = edges["relation_source"].astype(str)
    edges.attrs["lineage_counts"] = counts
    return edges


# --------------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------------
def lineage_funnel(models: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """The phased-parsing funnel as a table: yield of each phase and of each normalisation step.

    Columns: ``stage`` (phases / normalisation / relation / checks), ``step``, ``count``,
    ``share`` and ``of`` (what the share is of: declared pairs or edges).  Counts that exist only
    while building (self-references, duplicates, alias and inference rules, cycles) come from
    ``edges.attrs["lineage_counts"]``; when ``edges`` lost its attrs they are recomputed from
    ``models`` with the default parameters.  Everything else is counted on ``edges`` as passed.
    """
    counts = edges.attrs.get("lineage_counts")
    if not counts:
        counts = build_edges(models).attrs["lineage_counts"]
    n_pairs = counts["pairs_total"]
    n_edges = len(edges)
    rows: list[tuple[str, str, int, float, str]] = []

    def add(stage: str, step: str, count: int, base: int, of: str) -> None:
        rows.append((stage, step, int(count), count / base if base else float("nan"), of))

    for phase in PHASES:
        add("phases", f"{phase}: declared pairs", counts[f"pairs_{phase}"], n_pairs, "pairs")
    add("phases", "all phases: declared pairs", n_pairs, n_pairs, "pairs")
    add(
        "normalisation",
        "self-references dropped: declared (own id, up to case)",
        counts["self_loops_declared"],
        n_pairs,
        "pairs",
    )
    add(
        "normalisation",
        "self-references dropped: after alias resolution",
        counts["self_loops_alias"],
        n_pairs,
        "pairs",
    )
    add(
        "normalisation",
        "duplicates dropped (found earlier)",
        counts["duplicates"],
        n_pairs,
        "pairs",
    )
    for phase in PHASES:
        add("normalisation", f"{phase}: new edges", counts[f"edges_{phase}"], n_edges, "edges")
    add("normalisation", "edges", n_edges, n_edges, "edges")
    res = edges["resolution"].value_counts()
    add("normalisation", "resolved: exact", res.get("exact", 0), n_edges, "edges")
    add("normalisation", "resolved: case-insensitive", res.get("case", 0), n_edges, "edges")
    for rule in ("canonical", "unique", "hand"):
        add(
            "normalisation",
            f"resolved: alias ({rule})",
            counts["alias_by_rule"].get(rule, 0),
            n_edges,
            "edges",
        )
    add("normalisation", "unresolved (external parent)", res.get("unresolved", 0), n_edges, "edges")
    add("normalisation", "  of which ambiguous case", counts["ambiguous_case"], n_edges, "edges")
    add("normalisation", "parent in snapshot", edges["parent_in_snapshot"].sum(), n_edges, "edges")
    declared = edges["relation_source"] == "declared"
    for rel in RELATIONS:
        add(
            "relation",
            f"declared: {rel}",
            (declared & (edges["relation"] == rel)).sum(),
            n_edges,
            "edges",
        )
    for rule in [*counts.get("rules", [r.name for r in INFERENCE_RULES]), DEFAULT_RULE]:
        add(
            "relation",
            f"inferred: {rule}",
            counts["inference_by_rule"].get(rule, 0),
            n_edges,
            "edges",
        )
    for rel in RELATIONS:
        add("relation", f"all: {rel}", (edges["relation"] == rel).sum(), n_edges, "edges")
    add("checks", "parent younger than child", edges["parent_younger"].sum(), n_edges, "edges")
    add("checks", "edges on a cycle", edges["in_cycle"].sum(), n_edges, "edges")
    add("checks", "cycles (strong components)", counts["cycles"], 0, "components")
    add("checks", "models on a cycle", counts["cycle_models"], 0, "models")
    out = pd.DataFrame(rows, columns=["stage", "step", "count", "share", "of"])
    return out


def resolution_rate(edges: pd.DataFrame) -> float:
    """Share of (non-self) edges whose parent resolves to a model of the snapshot."""
    return float(edges["parent_in_snapshot"].mean()) if len(edges) else float("nan")


def phase_yields(edges: pd.DataFrame) -> pd.DataFrame:
    """Per parsing phase: declared pairs, new edges kept, and how their relation was obtained."""
    counts = edges.attrs.get("lineage_counts", {})
    out = (
        pd.crosstab(edges["phase"], edges["relation_source"])
        .reindex(index=list(PHASES), columns=["declared", "inferred"], fill_value=0)
        .rename_axis(index="phase", columns=None)
        .reset_index()
    )
    out.insert(1, "declared_pairs", [counts.get(f"pairs_{p}", np.nan) for p in PHASES])
    out.insert(2, "new_edges", out["declared"] + out["inferred"])
    return out.rename(columns={"declared": "relation_declared", "inferred": "relation_inferred"})
