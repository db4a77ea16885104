"""The MDI size simulation at scale: how often each family-clustered test of P1-size's primary
(and of its within-family design) rejects a true null, over many more seeds than chapter 4 runs.

Chapter 4 runs 6 seeds x 300 null draws (1,800) on the real focal models; this runs
``--seeds`` x ``--draws`` (default 20 x 300 = 6,000) so the Monte Carlo interval of each rate is
about half as wide, and prints one markdown table per design: the rate per test (CR3 jackknife
with t(G - 1), CR1, i.i.d.) over all draws with its Wilson 95% interval, and the range over seeds.

usage: .venv/bin/python benchmarks/bench_mdi_size.py [--seeds 20] [--draws 300] [--within]
"""

from __future__ import annotations

import argparse
import time

from hflineage import mdi as D
from hflineage.data import load_snapshot
from hflineage.lineage import build_edges
from hflineage.mdi import regressions as M
from hflineage.mdi import simulate


def main() -> None:
    """Run the size study on the embedded snapshot's primary sample and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="null batches (one seed each)")
    parser.add_argument("--draws", type=int, default=300, help="null draws per seed")
    parser.add_argument("--within", action="store_true", help="also the within-family design")
    args = parser.parse_args()
    models = load_snapshot(None)
    edges = build_edges(models)
    graph = D.MdiGraph.from_frames(models, edges)
    result = D.mdi_all(models, edges, window_days=90, graph=graph, include_roots=False)
    frame = M.regression_frame(result, D.covariates(models, edges, graph, window_days=90))
    primary = frame[frame["variant"] == D.PRIMARY_VARIANT]
    designs = {"primary": False, **({"within family": True} if args.within else {})}
    for name, within in designs.items():
        start = time.perf_counter()
        size = simulate.size_study(
            primary, seeds=range(args.seeds), draws=args.draws, within_family=within
        )
        seconds = time.perf_counter() - start
        print(
            f"\n### {name} design: {args.seeds} seeds x {args.draws} null draws ({seconds:.0f} s)\n"
        )
        print("| test | rate | Monte Carlo 95% | range over seeds |\n|---|---|---|---|")
        for test, g in size.groupby("test", sort=False):
            all_ = g[g["seed"] == "all"].iloc[0]
            seeds = g[g["seed"] != "all"]["rate"]
            print(
                f"| {test} | {all_['rate']:.1%} | {all_['mc_low']:.1%}–{all_['mc_high']:.1%} "
                f"| {seeds.min():.1%}–{seeds.max():.1%} |"
            )


if __name__ == "__main__":
    main()
