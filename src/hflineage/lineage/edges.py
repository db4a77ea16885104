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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..data.schema import (
    RELATIONS,
    arrow_strings,
    explode_arrow,
    first_pairs,
    lookup_rows,
    unique_sorted,
)
from ..errors import HflineageError, check_choice
from .ids import name_part, owner_part, to_numpy
from .rules import INFERENCE_RULES, RULE_SETS, InferenceRule, infer_relations

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
    "child_row",
    "parent_row",
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
# phases 1 and 2: declared pairs
# --------------------------------------------------------------------------------------------
def _relation_codes(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Index in :data:`RELATIONS` of the lower-cased, trimmed value of each of ``rows``; -1 when
    it is not one of them (or missing).
    """
    taken = arrow_strings(values).take(pa.array(np.asarray(rows, dtype=np.int64)))
    low = pc.utf8_lower(pc.utf8_trim_whitespace(taken))
    code = pc.index_in(low, value_set=pa.array(RELATIONS, pa.large_string()))
    return to_numpy(pc.fill_null(code, -1)).astype(np.int8)


@dataclass
class _Pairs:
    """Declared (child row, parent string) pairs of phases 1 and 2, as arrays."""

    rows: np.ndarray  #: child position in the models table
    declared: pa.Array  #: the declared string, as written
    phase: np.ndarray  #: index in PHASES
    relation: np.ndarray  #: index in RELATIONS of the declared relation, -1 if none


def _declared_pairs(models: pd.DataFrame) -> _Pairs:
    missing = [c for c in _MODEL_COLUMNS if c not in models.columns]
    if missing:
        raise HflineageError(
            f"models table: missing column {missing[0]!r}; expected the schema of "
            "hflineage.data (load it with load_snapshot)"
        )
    typed_rows = models["tag_relation"].notna().to_numpy(bool)
    rows_l, values_l, phase_l, rel_l = [], [], [], []
    for k, phase in enumerate(PHASES):  # four phases, each vectorised over all models
        col, rel_col, typed = PHASE_SOURCES[phase]
        rows, values = explode_arrow(models[col])
        if typed is not None:
            keep = typed_rows[rows] == typed
            rows, values = rows[keep], values.filter(pa.array(keep))
        rel = np.full(len(rows), -1, dtype=np.int8)
        if rel_col is not None:
            rel = _relation_codes(models[rel_col], rows)
        rel = np.where(rel < 0, _relation_codes(models["declared_relation"], rows), rel)
        rows_l.append(rows)
        values_l.append(values.cast(pa.large_string()))
        phase_l.append(np.full(len(rows), k, dtype=np.int8))
        rel_l.append(rel.astype(np.int8))
    rows = np.concatenate(rows_l)
    declared = pa.concat_arrays(values_l)
    phase = np.concatenate(phase_l)
    relation = np.concatenate(rel_l)
    blank = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(declared)), 0), False)
    ok = to_numpy(blank).astype(bool)
    rows, declared, phase, relation = rows[ok], declared.filter(blank), phase[ok], relation[ok]
    first = first_pairs(rows, declared, phase)
    return _Pairs(rows[first], declared.take(pa.array(first)), phase[first], relation[first])


def declared_pairs(models: pd.DataFrame) -> pd.DataFrame:
    """Every declared (child row, parent string) pair of phases 1 and 2, phase by phase.

    Columns: ``row`` (child position in ``models``), ``declared``, ``phase``, ``declared_relation``
    (the relation the source states, else the row's ``declared_relation``, else None).  Pairs are
    unique within a phase but may repeat across phases (dropped later, after resolution).
    """
    pairs = _declared_pairs(models)
    relation = np.asarray((*RELATIONS, None), dtype=object)[
        np.where(pairs.relation < 0, len(RELATIONS), pairs.relation)
    ]
    return pd.DataFrame(
        {
            "row": pairs.rows,
            "declared": to_numpy(pairs.declared).astype(object),
            "phase": np.asarray(PHASES, dtype=object)[pairs.phase],
            "declared_relation": relation,
        }
    )


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
    ids = arrow_strings(models["model_id"])
    names = name_part(ids)
    if keys is not None:
        if not isinstance(keys, pa.Array | pa.ChunkedArray):
            keys = pa.array(pd.Series(keys, dtype=object).to_numpy(object), pa.large_string())
        wanted = pc.unique(pc.utf8_lower(keys.cast(pa.large_string())))
        keep = pc.is_in(names, value_set=wanted)
        ids, names = ids.filter(keep), names.filter(keep)
    canon = to_numpy(
        pc.fill_null(pc.is_in(owner_part(ids), value_set=pa.array(CANONICAL_ORGS)), False)
    )
    frame = pd.DataFrame({"key": to_numpy(names), "target": to_numpy(ids)}, dtype=object)
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


#: ``alias_rule`` values of a resolved alias, in code order.
_ALIAS_KINDS = ("canonical", "unique", "hand")


@dataclass
class _Resolved:
    """Where each declared string resolves, as arrays (see :func:`resolve_parents`)."""

    parent: pa.Array  #: model id, or the trimmed declared string when unresolved
    resolution: np.ndarray  #: index in RESOLUTIONS
    alias_rule: np.ndarray  #: index in _ALIAS_KINDS, -1 when not an alias
    ambiguous_case: np.ndarray
    parent_pos: np.ndarray  #: position in models, -1 when not a model of the snapshot


def _resolve(
    declared: pa.Array,
    models: pd.DataFrame,
    aliases: pd.DataFrame | None,
    alias_rule: str,
    ids: pa.Array | None = None,
) -> _Resolved:
    ids = arrow_strings(models["model_id"]) if ids is None else ids
    raw = pc.utf8_trim_whitespace(declared.cast(pa.large_string()))
    low = pc.utf8_lower(raw)
    n = len(raw)
    resolution = np.full(n, RESOLUTIONS.index("unresolved"), dtype=np.int8)

    # Hash only the few ids some declared string can match, not all of them for every lookup.
    pos = lookup_rows(raw, ids)
    exact = pos >= 0
    resolution[exact] = RESOLUTIONS.index("exact")

    lower_ids = pc.utf8_lower(ids)
    cand = np.flatnonzero(to_numpy(pc.is_in(lower_ids, value_set=pc.unique(low))))
    cand_low = lower_ids.take(pa.array(cand))
    codes = to_numpy(pc.dictionary_encode(cand_low).indices).astype(np.int64)
    dup = np.bincount(codes, minlength=1)[codes] > 1 if len(codes) else np.zeros(0, bool)
    hit = to_numpy(pc.fill_null(pc.index_in(low, value_set=cand_low.filter(pa.array(~dup))), -1))
    hit = hit.astype(np.int64)
    case = ~exact & (hit >= 0)
    pos[case] = cand[~dup][hit[case]]
    resolution[case] = RESOLUTIONS.index("case")
    in_dup = pc.is_in(low, value_set=cand_low.filter(pa.array(dup)))
    ambiguous = ~exact & ~case & to_numpy(pc.fill_null(in_dup, False)).astype(bool)

    no_ns = ~to_numpy(pc.fill_null(pc.match_substring(raw, "/"), False)).astype(bool)
    todo = ~exact & ~case & ~ambiguous & no_ns
    if aliases is None:
        aliases = derive_aliases(models, alias_rule, keys=raw.filter(pa.array(todo)))
    keys = pa.array(aliases["key"].to_numpy(object), pa.large_string())
    a_hit = to_numpy(pc.fill_null(pc.index_in(low, value_set=keys), -1)).astype(np.int64)
    alias = todo & (a_hit >= 0)
    targets = pa.array(aliases["target"].to_numpy(object), pa.large_string())
    kinds = pd.Index(_ALIAS_KINDS).get_indexer(aliases["rule"].to_numpy(object))
    rule = np.full(n, -1, dtype=np.int8)
    rule[alias] = kinds[a_hit[alias]]
    resolution[alias] = RESOLUTIONS.index("alias")
    alias_target = targets.take(pa.array(np.where(alias, a_hit, 0))) if len(targets) else raw
    if alias.any():
        pos[alias] = lookup_rows(alias_target.filter(pa.array(alias)), ids)

    found = exact | case
    parent = pc.if_else(pa.array(alias), alias_target, raw)
    parent = pc.if_else(pa.array(found), ids.take(pa.array(np.where(found, pos, 0))), parent)
    return _Resolved(parent, resolution, rule, ambiguous, pos)


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
    raw = pa.array(
        pd.Series(np.asarray(declared, dtype=object)).to_numpy(object), pa.large_string()
    )
    res = _resolve(raw, models, aliases, alias_rule)
    rule = np.asarray((*_ALIAS_KINDS, None), dtype=object)
    return pd.DataFrame(
        {
            "parent": to_numpy(res.parent).astype(object),
            "resolution": np.asarray(RESOLUTIONS, dtype=object)[res.resolution],
            "alias_rule": rule[np.where(res.alias_rule < 0, len(_ALIAS_KINDS), res.alias_rule)],
            "ambiguous_case": res.ambiguous_case,
            "parent_pos": res.parent_pos,
        }
    )


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
    ``in_cycle`` (the edge lies on a directed cycle of the model graph), ``child_row`` and
    ``parent_row`` (their rows in ``models``, -1 for a parent not in the snapshot: later steps
    check them against the ids in one pass instead of hashing millions of ids again; see
    :func:`hflineage.data.schema.frame_edge_rows`).

    ``rules`` is a tuple of :class:`InferenceRule` or the name of one of :data:`RULE_SETS`.
    ``edges.attrs["lineage_counts"]`` holds the counts of every step (self-references, duplicates,
    alias rules, inference rules, cycles); :func:`lineage_funnel` turns them into a table.
    """
    check_choice("alias_rule", alias_rule, ALIAS_RULES)
    if isinstance(rules, str):
        check_choice("rules", rules, tuple(RULE_SETS))
        rules = RULE_SETS[rules]
    ids = arrow_strings(models["model_id"])
    pairs = _declared_pairs(models)
    res = _resolve(pairs.declared, models, None, alias_rule, ids)
    child_pos = pairs.rows
    child = ids.take(pa.array(child_pos))
    counts: dict[str, object] = {
        "alias_rule": alias_rule,
        "rules": [r.name for r in rules],
        "n_models": len(models),
    }
    by_phase = np.bincount(pairs.phase, minlength=len(PHASES))
    for k, phase in enumerate(PHASES):
        counts[f"pairs_{phase}"] = int(by_phase[k])
    counts["pairs_total"] = len(child_pos)
    counts["pairs_unique"] = len(first_pairs(child_pos, pairs.declared))

    self_loop = (res.parent_pos == child_pos) | to_numpy(
        pc.fill_null(pc.equal(res.parent, child), False)
    ).astype(bool)
    by_res = np.bincount(res.resolution[self_loop], minlength=len(RESOLUTIONS))
    counts["self_loops"] = int(self_loop.sum())
    # a self-reference as declared: the child's own id, up to case (what the data README counts)
    counts["self_loops_declared"] = int(
        by_res[RESOLUTIONS.index("exact")] + by_res[RESOLUTIONS.index("case")]
    )
    # a local-path name (``my-model``) that alias resolution maps onto the child itself
    counts["self_loops_alias"] = int(by_res[RESOLUTIONS.index("alias")])
    keep = np.flatnonzero(~self_loop)
    first = keep[first_pairs(child_pos[keep], res.parent.take(pa.array(keep)))]
    dup = np.setdiff1d(keep, first, assume_unique=True)
    counts["duplicates"] = len(dup)
    dup_phase = np.bincount(pairs.phase[dup], minlength=len(PHASES))
    counts["duplicates_by_phase"] = {
        PHASES[k]: int(v) for k, v in sorted(enumerate(dup_phase), key=lambda kv: -kv[1]) if v
    }
    take = pa.array(first)
    child_pos = child_pos[first]
    phase = pairs.phase[first]
    declared_rel = pairs.relation[first]
    parent = res.parent.take(take)
    parent_pos = res.parent_pos[first]
    resolution = res.resolution[first]
    alias_kind = res.alias_rule[first]
    by_phase = np.bincount(phase, minlength=len(PHASES))
    for k, name in enumerate(PHASES):
        counts[f"edges_{name}"] = int(by_phase[k])
    by_kind = np.bincount(alias_kind[alias_kind >= 0], minlength=len(_ALIAS_KINDS))
    counts["alias_by_rule"] = {
        _ALIAS_KINDS[k]: int(v) for k, v in sorted(enumerate(by_kind), key=lambda kv: -kv[1]) if v
    }
    counts["ambiguous_case"] = int(res.ambiguous_case[first].sum())

    n_parents = np.bincount(child_pos, minlength=len(models))[child_pos]
    need = declared_rel < 0
    inferred, rule_names = infer_relations(
        models,
        child_pos[need],
        n_parents[need],
        parent.filter(pa.array(need)),
        rules,
    )
    relation = np.asarray(RELATIONS, dtype=object)[np.maximum(declared_rel, 0)]
    relation[need] = inferred
    counts["inference_by_rule"] = {
        k: int(v) for k, v in pd.Series(rule_names, dtype=object).value_counts().items()
    }

    created = models["created_at"].to_numpy("datetime64[us]").astype(np.int64)
    in_snap = parent_pos >= 0
    younger = np.zeros(len(child_pos), dtype=bool)
    younger[in_snap] = created[parent_pos[in_snap]] > created[child_pos[in_snap]]
    scc = cycle_components(child_pos, parent_pos, len(models))
    counts["cycles"] = int(len(unique_sorted(scc[scc >= 0])))
    counts["cycle_models"] = int(
        len(unique_sorted(np.concatenate([child_pos[scc >= 0], parent_pos[scc >= 0]])))
    )

    edges = pd.DataFrame(
        {
            "child": _str_column(child.take(take)),
            "parent": _str_column(parent),
            "declared": _str_column(pairs.declared.take(take)),
            "resolution": _str_column(_names(RESOLUTIONS, resolution)),
            "relation": pd.Series(relation, dtype=object).astype(str),
            "relation_source": _str_column(_names(("declared", "inferred"), need.astype(np.int8))),
            "phase": _str_column(_names(PHASES, phase)),
            "parent_in_snapshot": in_snap,
            "parent_younger": younger,
            "in_cycle": scc >= 0,
            "child_row": child_pos.astype(np.int64),
            "parent_row": np.where(in_snap, parent_pos, -1).astype(np.int64),
        }
    )
    edges.attrs["lineage_counts"] = counts
    return edges


def _names(names: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Arrow strings of ``names[code]`` for each code."""
    return pa.array(names, pa.large_string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def _str_column(values: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas ``str`` column (what ``.astype(str)`` gives)."""
    return pd.Series(values, dtype=pd.ArrowDtype(values.type)).astype(str)
