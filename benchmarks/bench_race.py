"""Time the race panel and regressions on the embedded 2024-07-11 listing.

Targets: ``build_panel`` under 20 s; every specification of ``race_models.SPECS`` on the four
outcomes of chapter 5 (log likes, likes by PPML, any like, log downloads) under 60 s together,
one pyfixest fit each; also the ``fast=True`` path (OLS/LPM by one demeaning).
Also times the 200-draw placebo.

Run: .venv/bin/python benchmarks/bench_race.py
"""

from __future__ import annotations

import time

from hflineage import race
from hflineage.data import load_snapshot
from hflineage.lineage import build_edges
from hflineage.race import models as rm

OUTCOMES = ("log_likes", "likes", "any_like", "log_downloads")


def _max_diff(a, b) -> float:
    key = ["spec", "outcome", "term"]
    merged = a.merge(b, on=key, suffixes=("", "_b"))
    return float((merged["estimate"] - merged["estimate_b"]).abs().max())


def main(repeats: int = 3) -> None:
    models = load_snapshot()
    edges = build_edges(models)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        panel = race.build_panel(models, edges)
        times.append(time.perf_counter() - start)
    print(
        f"build_panel: {len(panel):,} derivatives of {panel['base_id'].nunique():,} bases; "
        f"best {min(times):.2f} s, worst {max(times):.2f} s"
    )

    start = time.perf_counter()
    tidy = rm.estimate_many(panel, rm.SPECS, OUTCOMES)
    elapsed = time.perf_counter() - start
    n_fits = len(rm.SPECS) * len(OUTCOMES)
    print(
        f"estimate: {n_fits} fits ({len(rm.SPECS)} specs x {len(OUTCOMES)} outcomes) in {elapsed:.1f} s"
    )
    start = time.perf_counter()
    fast = rm.estimate_many(panel, rm.SPECS, OUTCOMES, fast=True)
    print(
        f"estimate_many(fast=True): same {n_fits} fits in {time.perf_counter() - start:.1f} s "
        "(OLS/LPM by one demeaning, PPML by pyfixest); max |difference| in estimates "
        f"{_max_diff(tidy, fast):.1e}"
    )
    main_terms = tidy[tidy["term"].isin([rm.PRIORITY, rm.CONGESTION])]
    for spec in ("both", "both_exposure", "baseline", "baseline_exposure"):
        sub = main_terms[(main_terms["spec"] == spec) & (main_terms["outcome"] == "log_likes")]
        cells = ", ".join(
            f"{r.term} {r.estimate:+.4f} ({r.std_error:.4f})" for r in sub.itertuples()
        )
        print(f"  log_likes {spec:18s} {cells}")

    start = time.perf_counter()
    draws = rm.placebo(panel, draws=200, seed=0)
    print(
        f"placebo: 200 draws in {time.perf_counter() - start:.1f} s; "
        f"mean {draws['estimate'].mean():+.5f}, sd {draws['estimate'].std():.5f}"
    )


if __name__ == "__main__":
    main()
