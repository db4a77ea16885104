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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..data.schema import RELATIONS, explode_lists, unique_sorted
from ..errors import HflineageError, check_choice
from .ids import _arrow_str, _lookup, _name_part, _np, _owner
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
    counts["cycles"] = int(len(unique_sorted(scc[scc >= 0])))
    counts["cycle_models"] = int(
        len(unique_sorted(np.concatenate([child_pos[scc >= 0], parent_pos[scc >= 0]])))
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
