"""Time and peak memory of the MDI engine, per variant, on a snapshot; and the set-based reference
on a random subsample of focal models, as a per-focal-model speed ratio.

    .venv/bin/python benchmarks/bench_mdi.py [--snapshot PATH] [--sample 300] [--window 90]
    .venv/bin/python benchmarks/bench_mdi.py --snapshot data/cache/synthetic-hub-stats-3000000.parquet --sample 0

The headline is "all four from frames": ``MdiGraph.from_frames`` plus ``mdi_all`` for the four
variants, wall and CPU seconds (the target at 3 million models is under 5 s on 2 cores).
A synthetic snapshot (``hflineage synth``) is allowed here: this is a benchmark.

Not a test: numbers depend on the machine.  Peak memory is measured with ``tracemalloc`` (numpy
reports its buffers to it), in a separate pass from the timing, because tracing slows Python.
The reference time per model excludes its one-off set-up (building the parent/ancestor sets and
the follower index for every model), which favours the reference; the engine's time per model
is its whole run (graph excluded, ancestry included) divided by all focal models.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np

from hflineage.data import load_snapshot
from hflineage.lineage import build_edges
from hflineage.mdi import VARIANTS, MdiGraph, mdi, mdi_all
from hflineage.mdi.reference import mdi_reference


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def _peak_mb(fn, *args, **kwargs) -> float:
    tracemalloc.start()
    fn(*args, **kwargs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshot", default=None, help="snapshot path (default: embedded)")
    ap.add_argument(
        "--sample", type=int, default=300, help="focal models for the reference (0: skip it)"
    )
    ap.add_argument("--window", type=float, default=90, help="window in days")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    models = load_snapshot(args.snapshot, allow_synthetic=True)
    edges = build_edges(models)
    print(f"{len(models):,} models, {len(edges):,} edges; window {args.window:g} days")
    print(f"load average {Path('/proc/loadavg').read_text().split()[0]} (2 cores, shared)\n")
    for _ in range(2):  # the second run is the steady state (the first warms caches)
        w, c = time.perf_counter(), time.process_time()
        g = MdiGraph.from_frames(models, edges)
        mdi_all(models, edges, window_days=args.window, graph=g)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    print(f"all four from frames (graph + mdi_all): {wall:.2f} s wall, {cpu:.2f} s CPU\n")

    graph, t_graph = _timed(MdiGraph.from_frames, models, edges)
    print(f"{'step':<28}{'seconds':>9}{'peak MB':>10}{'focal':>10}{'rows':>9}")
    peak = _peak_mb(MdiGraph.from_frames, models, edges)
    print(f"{'graph (shared)':<28}{t_graph:>9.2f}{peak:>10.0f}")
    n_focal = 0
    engine_s = {}
    for v in VARIANTS:
        fresh = MdiGraph.from_frames(models, edges)  # ancestry is built lazily: count it
        out, secs = _timed(mdi, models, edges, variant=v, window_days=args.window, graph=fresh)
        fresh = MdiGraph.from_frames(models, edges)
        peak = _peak_mb(mdi, models, edges, variant=v, window_days=args.window, graph=fresh)
        n_focal = out.attrs["excluded"]["focal"]
        engine_s[v] = secs
        print(f"{v:<28}{secs:>9.2f}{peak:>10.0f}{n_focal:>10,}{len(out):>9,}")
    _, t_all = _timed(mdi_all, models, edges, window_days=args.window)
    print(f"{'all four, incl. graph':<28}{t_all:>9.2f}")

    if args.sample <= 0:
        return
    # the reference on a random subsample of focal models
    focal, _, _, _ = graph.window(args.window)
    rng = np.random.default_rng(args.seed)
    sample = graph.model_id[rng.choice(focal, size=min(args.sample, len(focal)), replace=False)]
    print(f"\nreference on {len(sample)} random focal models (per focal model, set-up excluded)")
    print(
        f"{'variant':<12}{'set-up s':>10}{'ref ms/model':>14}{'engine µs/model':>17}{'ratio':>10}"
    )
    for v in VARIANTS:
        ref = mdi_reference(models, edges, variant=v, window_days=args.window, focal_ids=sample)
        setup, loop = ref.attrs["timing"]["setup_s"], ref.attrs["timing"]["focal_s"]
        ref_per = loop / len(sample)
        eng_per = engine_s[v] / n_focal
        print(
            f"{v:<12}{setup:>10.1f}{ref_per * 1e3:>14.3f}{eng_per * 1e6:>17.3f}"
            f"{ref_per / eng_per:>9.0f}×"
        )


if __name__ == "__main__":
    main()
