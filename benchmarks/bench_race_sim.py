"""Time and run the revision-2 race simulation on the embedded snapshot's LLM panel.

Usage: ``.venv/bin/python benchmarks/bench_race_sim.py [--draws 40] [--seed 0]``.  Prints the count
calibration (zero share, top-1% share: real vs simulated), the flag table (bias, Monte-Carlo
error, simulated vs real SE, size with its Wilson interval, power at a 10% drop per doubling of
rank) and the seconds per fit of every design × estimator.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from hflineage import race
from hflineage.data import load_snapshot
from hflineage.lineage import build_edges
from hflineage.race import calibrate as cal
from hflineage.race import simulate as sim


def main() -> None:
    """Run the simulation once at the requested number of draws and print what it measured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    models = load_snapshot(None)
    panel = race.build_panel(models, build_edges(models), min_derivatives=10)
    llm = race.llm_sample(panel, ["text-generation"])
    start = time.perf_counter()
    process = cal.calibrate_counts(llm, draws=8, seed=args.seed)
    print(f"count calibration {time.perf_counter() - start:.1f} s: {process}")
    print("real", cal.count_shape(llm["likes"].to_numpy(float)))
    print("simulated", cal.count_shape(sim.draw_counts(llm, process, draws=20, seed=99)))
    start = time.perf_counter()
    real = cal.real_estimates(llm)
    print(f"real estimates {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    sims = cal.simulate_designs(
        llm, process, effect=sim.rank_slope(), draws=args.draws, seed=args.seed
    )
    print(f"simulation, {args.draws} draws x 2 scenarios: {time.perf_counter() - start:.1f} s")
    table = cal.flag_table(sims, real)
    print(table.drop(columns=["label"]).round(4).to_string())
    print(sims.groupby(["design", "estimator"], sort=False)["seconds"].first().round(3))


if __name__ == "__main__":
    main()
