"""Agreement of our relation types with the Hub's own typed relations (a measurement, not a test).

The validation file (a CSV of 30,383 edges among English text-generation models in June 2025,
``hf-typed-llm-edges-2025-06.csv``, with the relation the Hub declared in
``base_model:<relation>:<repo>`` tags) is not part of the project: it has no licence, so it is
never copied here and no test depends on it.  Pass its path (or any CSV of the same columns) as
the first argument.

For the edges that also occur in our edges of the embedded 2024-07-11 snapshot (same child and
same resolved parent, case-insensitively), print the confusion matrix of our relation (inferred:
July 2024 tags carry no type) against the Hub's, the agreement rate, and the agreement of each
inference rule — for the rules as first specified (``BRIEF_RULES``) and for the default
``INFERENCE_RULES``.

Run: .venv/bin/python benchmarks/validate_relations.py path/to/edges.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hflineage.data import load_snapshot
from hflineage.data.schema import RELATIONS
from hflineage.lineage import build_edges
from hflineage.lineage.rules import BRIEF_RULES, INFERENCE_RULES, InferenceRule, infer_relations

#: The validation file's relation names → ours.
HUB_NAMES = {
    "finetuned": "finetune",
    "quantized": "quantized",
    "merged": "merge",
    "adapter": "adapter",
}


def load_validation(path: Path) -> pd.DataFrame:
    """The Hub's typed edges as (child_key, parent_key, hub_relation), lower-cased, no self-loops,
    pairs listed with two different relations dropped."""
    if not path.exists():
        raise SystemExit(f"error: {path}: no such file (expected the typed-edges validation CSV)")
    raw = pd.read_csv(path, dtype=str)
    missing = {"source", "target", "edge"} - set(raw.columns)
    if missing:
        raise SystemExit(f"error: {path}: missing column(s) {sorted(missing)}")
    unknown = set(raw["edge"].dropna()) - set(HUB_NAMES)
    if unknown:
        raise SystemExit(f"error: {path}: unknown relation(s) {sorted(unknown)} in column 'edge'")
    out = pd.DataFrame(
        {
            "child_key": raw["target"].str.lower(),
            "parent_key": raw["source"].str.lower(),
            "hub_relation": raw["edge"].map(HUB_NAMES),
        }
    )
    out = out[out["child_key"] != out["parent_key"]]
    n_rel = out.groupby(["child_key", "parent_key"])["hub_relation"].transform("nunique")
    return out[n_rel == 1].drop_duplicates(["child_key", "parent_key"])


def match(edges: pd.DataFrame, valid: pd.DataFrame) -> pd.DataFrame:
    """Our edges that the validation file also lists (same child and resolved parent, ignoring
    case), with the Hub's relation and the child's number of parents in our edge list."""
    ours = edges.assign(
        child_key=edges["child"].str.lower(),
        parent_key=edges["parent"].str.lower(),
        n_parents=edges.groupby("child")["parent"].transform("size"),
    )
    return ours.merge(valid, on=["child_key", "parent_key"], how="inner", validate="1:1")


def with_rules(
    models: pd.DataFrame, matched: pd.DataFrame, rules: tuple[InferenceRule, ...]
) -> pd.DataFrame:
    """``matched`` with ``relation`` and ``rule`` recomputed under a rule set (edges with a
    declared relation keep it)."""
    ids = pd.Index(models["model_id"].to_numpy(object))
    pos = ids.get_indexer(matched["child"].to_numpy(object))
    relation, rule = infer_relations(
        models, pos, matched["n_parents"].to_numpy(), matched["parent"].to_numpy(object), rules
    )
    declared = (matched["relation_source"] == "declared").to_numpy()
    return matched.assign(
        relation=np.where(declared, matched["relation"].to_numpy(object), relation),
        rule=np.where(declared, "declared", rule),
    )


def report(matched: pd.DataFrame, label: str) -> float:
    """Print the confusion matrix and per-rule agreement; return the overall agreement rate."""
    agree = float((matched["relation"] == matched["hub_relation"]).mean())
    print(f"\n== {label}: {len(matched):,} shared edges; agreement {agree:.1%}")
    order = list(RELATIONS)
    cm = pd.crosstab(
        matched["hub_relation"].rename("Hub (rows)"),
        matched["relation"].rename("ours (columns)"),
        margins=True,
    ).reindex(index=[*order, "All"], columns=[*order, "All"], fill_value=0)
    print(cm.to_string())
    rows = []
    for rule, group in matched.groupby("rule"):
        mix = group["hub_relation"].value_counts(normalize=True)
        rows.append(
            {
                "rule": rule,
                "edges": len(group),
                "agree": f"{(group['relation'] == group['hub_relation']).mean():.1%}",
                "Hub says": ", ".join(f"{k} {v:.0%}" for k, v in mix.items()),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))
    print("per Hub relation: recall (ours = Hub | Hub) / precision (Hub = ours | ours)")
    for rel in order:
        hub = matched["hub_relation"] == rel
        ours = matched["relation"] == rel
        rec = (ours & hub).sum() / hub.sum() if hub.any() else float("nan")
        prec = (ours & hub).sum() / ours.sum() if ours.any() else float("nan")
        print(f"  {rel:<10} recall {rec:6.1%}   precision {prec:6.1%}")
    return agree


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(
            "error: pass the path of a typed-edges CSV (e.g. hf-typed-llm-edges-2025-06.csv); "
            "the validation file is not distributed with the project"
        )
    path = Path(argv[1])
    valid = load_validation(path)
    models = load_snapshot()
    edges = build_edges(models)
    matched = match(edges, valid)
    print(f"validation edges (non-self, one relation per pair): {len(valid):,}")
    print(f"our edges: {len(edges):,}; shared with the validation file: {len(matched):,}")
    print("(July 2024 tags are untyped: every shared edge's relation is inferred)")
    before = report(with_rules(models, matched, BRIEF_RULES), "BEFORE: rules as first specified")
    after = report(with_rules(models, matched, INFERENCE_RULES), "AFTER: INFERENCE_RULES (default)")
    print(f"\nagreement with the Hub's typed relation: before {before:.1%}, after {after:.1%}")


if __name__ == "__main__":
    main(sys.argv)
