"""Time the race panel, regressions, simulation study and timing placebo on the embedded listing.

Targets: ``build_panel`` under 20 s; the primary and the specifications of the chapter's
regression table on the LLM panel by the fast path (one demeaning) in a few seconds, and through
pyfixest one by one for comparison; the simulation study (every process x candidate, 5 draws)
and the 200-draw timing placebo well under a minute each.

Run: .venv/bin/python benchmarks/bench_race.py
"""

from __future__ import annotations

import time

from hflineage import race
from hflineage.data import load_snapshot
from hflineage.lineage import build_edges
from hflineage.race import placebo as pl
from hflineage.race import regressions as rm
from hflineage.race import simulate as sim

SPECS = (
    "priority",
    "both_exposure",
    "baseline_exposure",
    "both_loglag",
    rm.PRIMARY_SPEC,
    rm.CONTROLS_SPEC,
)
OUTCOMES = ("log_likes", "any_like", "log_downloads")


def _max_diff(a, b) -> float:
    key = ["spec", "outcome", "term"]
    merged = a.merge(b, on=key, suffixes=("", "_b"))
    return float((merged["estimate"] - merged["estimate_b"]).abs().max())


def main(repeats: int = 3) -> None:
    """Print the timings (best and worst of ``repeats`` for the panel)."""
    models = load_snapshot()
    edges = build_edges(models)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        panel = race.build_panel(models, edges)
        times.append(time.perf_counter() - start)
    llm = race.llm_sample(panel)
    print(
        f"build_panel: {len(panel):,} derivatives of {panel['base_id'].nunique():,} bases "
        f"({len(llm):,} on LLM bases); best {min(times):.2f} s, worst {max(times):.2f} s"
    )

    start = time.perf_counter()
    slow = rm.estimate_many(llm, SPECS, OUTCOMES)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    fast = rm.estimate_many(llm, SPECS, OUTCOMES, fast=True)
    print(
        f"{len(SPECS) * len(OUTCOMES)} fits on the LLM panel: pyfixest one by one {elapsed:.1f} s, "
        f"one demeaning {time.perf_counter() - start:.1f} s; max |difference| "
        f"{_max_diff(slow, fast):.1e}"
    )
    for spec in ("baseline_exposure", "both_loglag", rm.PRIMARY_SPEC):
        r = rm.coefficient(fast, spec, "log_likes")
        print(f"  log_likes {spec:18s} log entry rank {r['estimate']:+.4f} ({r['std_error']:.4f})")

    start = time.perf_counter()
    study = sim.simulation_study(llm, draws=5)
    chosen = sim.select_primary(sim.recovery_table(study))
    print(
        f"simulation study: {len(sim.PROCESSES)} processes x {len(sim.CANDIDATES)} "
        f"specifications x 5 draws in {time.perf_counter() - start:.1f} s; the rule selects "
        f"{chosen}"
    )

    start = time.perf_counter()
    draws, test = pl.timing_placebo(llm, draws=200)
    print(
        f"timing placebo: 200 draws in {time.perf_counter() - start:.1f} s; actual "
        f"{test['actual']:+.4f}, placebo mean {test['mean']:+.4f} (sd {test['sd']:.4f}), "
        f"p_timing {test['p_timing']:.3f}"
    )


if __name__ == "__main__":
    main()
