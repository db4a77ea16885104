"""A plain, set-based implementation of every MDI variant, written for clarity and kept for tests
and benchmarks only: the engine in :mod:`hflineage.mdi.index` must agree with it exactly.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

import pandas as pd

from ..data.schema import snapshot_date
from ..errors import check_choice
from .graph import PREDECESSORS, RESULT_COLUMNS, VARIANTS, check_relations


# ------------------------------------------------------------------------------------------------
# Reference implementation (plain Python sets) — for tests and benchmarks only
# ------------------------------------------------------------------------------------------------
def mdi_reference(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    variant: str = "cd",
    window_days: float = 90,
    relations: Iterable[str] | None = None,
    include_roots: bool = True,
    predecessors: str = "parents",
    focal_ids: Iterable[str] | None = None,
    censor_days: float | None = None,
) -> pd.DataFrame:
    """The MDI computed literally from the definition with Python sets, one focal model at a
    time.  Slow; it exists to check :func:`mdi` (same arguments, same rows and columns).
    ``focal_ids`` restricts the focal models (for timing on a subsample); ``attrs["timing"]``
    splits the run into the one-off set-up and the per-focal loop.
    """
    import networkx as nx

    started = time.perf_counter()
    check_choice("variant", variant, VARIANTS)
    check_choice("predecessors", predecessors, PREDECESSORS)
    relations = check_relations(relations)
    ids = [str(x) for x in models["model_id"]]
    when = dict(zip(ids, pd.to_datetime(models["created_at"], utc=True), strict=True))
    reliable = dict(zip(ids, models["created_at_reliable"].fillna(False), strict=True))
    known = set(ids)
    window = timedelta(days=window_days)
    censor = window if censor_days is None else timedelta(days=censor_days)
    snap = snapshot_date(models)

    # the MDI graph: usable edges only
    parents: dict[str, set[str]] = {m: set() for m in ids}
    declares: set[str] = set()
    for row in edges.itertuples(index=False):
        child, parent = str(row.child), str(row.parent)
        if child not in known:
            continue
        declares.add(child)
        if not bool(row.parent_in_snapshot) or parent not in known or child == parent:
            continue
        if bool(row.parent_younger):
            continue
        if relations is not None and row.relation not in relations:
            continue
        parents[child].add(parent)
    dg = nx.DiGraph((c, p) for c, ps in parents.items() for p in ps)
    for comp in nx.strongly_connected_components(dg):
        if len(comp) > 1:
            for c in comp:
                parents[c] -= comp

    ancestors: dict[str, set[str]] = {}

    def ancestors_of(m: str) -> set[str]:
        if m not in ancestors:
            found: set[str] = set()
            stack = list(parents[m])
            while stack:
                x = stack.pop()
                if x not in found:
                    found.add(x)
                    stack.extend(parents[x])
            ancestors[m] = found
        return ancestors[m]

    ancestral = variant == "ancestral"
    builds_on = {s: (ancestors_of(s) if ancestral else parents[s]) for s in ids}
    followers: dict[str, set[str]] = defaultdict(set)
    for s, xs in builds_on.items():
        for x in xs:
            followers[x].add(s)

    setup_done = time.perf_counter()
    counts = {"models": len(ids), "unreliable_date": 0, "censored": 0, "focal": 0}
    counts["unreliable_date"] = sum(not reliable[m] for m in ids)
    counts["censored"] = sum(bool(reliable[m] and when[m] + censor > snap) for m in ids)
    rows = []
    no_succ = dropped = 0
    candidates = ids if focal_ids is None else [str(x) for x in focal_ids]
    for f in candidates:
        t_f = when[f]
        if not reliable[f] or t_f + censor > snap:
            continue
        counts["focal"] += 1
        all_anc = ancestral and predecessors == "ancestors"
        preds = ancestors_of(f) if all_anc else parents[f]
        pool = set(followers[f])
        for p in preds:
            pool |= followers[p]
        succ = [s for s in pool if reliable[s] and t_f < when[s] <= t_f + window]
        n_i = sum(1 for s in succ if f in builds_on[s] and not (builds_on[s] & preds))
        n_j = sum(1 for s in succ if f in builds_on[s] and (builds_on[s] & preds))
        n_k = sum(1 for s in succ if f not in builds_on[s] and (builds_on[s] & preds))
        if n_i + n_j + n_k == 0:
            no_succ += 1
            continue
        is_root = not parents[f]
        if is_root and not include_roots:
            dropped += 1
            continue
        if variant == "cd_nok":
            num, den = n_i - n_j, n_i + n_j
        elif variant == "sibling":
            num, den = n_i - n_k, n_i + n_j + n_k
        else:
            num, den = n_i - n_j, n_i + n_j + n_k
        rows.append(
            {
                "model_id": f,
                "n_i": n_i,
                "n_j": n_j,
                "n_k": n_k,
                "mdi": num / den if den else float("nan"),
                "is_root": is_root,
                "declares_parent": f in declares,
            }
        )
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    counts.update(
        no_successors=no_succ,
        roots_dropped=dropped,
        undefined=int(out["mdi"].isna().sum()),
        scored=int(out["mdi"].notna().sum()),
    )
    out.attrs["excluded"] = counts
    out.attrs["timing"] = {
        "setup_s": setup_done - started,
        "focal_s": time.perf_counter() - setup_done,
    }
    return out
