"""Time ``build_edges`` on the embedded 760,000-model snapshot (target: under 15 s) and print the
phased-parsing funnel.

Run: .venv/bin/python benchmarks/bench_lineage.py
"""

from __future__ import annotations

import time

import pandas as pd

from hflineage.data import load_snapshot
from hflineage.lineage import build_edges, lineage_funnel, phase_yields, resolution_rate


def main(repeats: int = 3) -> None:
    models = load_snapshot()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        edges = build_edges(models)
        times.append(time.perf_counter() - start)
    print(
        f"build_edges: {len(models):,} models -> {len(edges):,} edges; "
        f"best {min(times):.2f} s, worst {max(times):.2f} s (target < 15 s)"
    )
    counts = edges.attrs["lineage_counts"]
    non_self = counts["pairs_total"] - counts["self_loops_declared"]
    resolved = int(edges["parent_in_snapshot"].sum()) + counts["self_loops_alias"]
    print(
        f"declared pairs {counts['pairs_total']:,}; self-references {counts['self_loops_declared']:,} "
        f"declared + {counts['self_loops_alias']:,} after alias resolution"
    )
    print(
        f"non-self declared pairs resolved to a model of the snapshot: {resolved:,} / {non_self:,} "
        f"= {resolved / non_self:.2%}; edges with parent in snapshot: {resolution_rate(edges):.2%}"
    )
    with pd.option_context("display.width", 140, "display.max_rows", 100):
        print()
        print(phase_yields(edges).to_string(index=False))
        print()
        print(lineage_funnel(models, edges).to_string(index=False, float_format="{:.4f}".format))


if __name__ == "__main__":
    main()
