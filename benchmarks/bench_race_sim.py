"""Time and run the revision-2 race simulation on the embedded snapshot's LLM panel.

Usage: ``.venv/bin/python benchmarks/bench_race_sim.py [--draws 60] [--seed 0] [--source real]``.
Runs the declared calibration (:func:`hflineage.race.calibrate.calibrate_process`: the account
effect's and the base × month shock's sds chosen on a grid so that the common-spline design's
simulated PPML and OLS standard errors match the real ones, the count shape re-fitted at every
point),
prints the count shape (zero share, top-1% share: real vs simulated), the flag table (bias,
Monte-Carlo error, simulated vs real SE and their ratio, size with its Wilson interval, power at
a 10% drop per doubling of rank), the bias of the spline-added bins, the seconds per fit, and
the total time.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from hflineage import race
from hflineage.data import load_snapshot
from hflineage.lineage import build_edges
from hflineage.race import calibrate as cal
from hflineage.race import sim_counts as sc


def main() -> None:
    """Calibrate, run the simulation once at the requested number of draws, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", default="real", choices=sc.DECAY_SOURCES)
    parser.add_argument("--calibration-draws", type=int, default=16)
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    begin = time.perf_counter()
    models = load_snapshot(None)
    panel = race.build_panel(models, build_edges(models), min_derivatives=10)
    llm = race.llm_sample(panel, ["text-generation"])
    real = cal.real_estimates(llm)
    start = time.perf_counter()
    process, path = cal.calibrate_process(
        llm,
        sc.CountProcess(decay_source=args.source, base_source=args.source),
        real,
        seed=args.seed,
        draws=args.calibration_draws,
    )
    print(f"calibration {time.perf_counter() - start:.1f} s\n{path.round(4).to_string()}")
    print(process)
    print("real", sc.count_shape(llm["likes"].to_numpy(float)))
    print("simulated", sc.count_shape(sc.draw_counts(llm, process, draws=20, seed=99)))
    designs = {d.name: d for d in cal.default_designs(sc.rank_column(llm))}
    grid = cal.default_grid(designs.values())
    grid += [(cal.spline_variant(designs[n]), "ols") for n in ("lagbin5", "lagbin11", "day")]
    start = time.perf_counter()
    sims = cal.simulate_designs(
        llm, process, effect=sc.rank_slope(), grid=grid, draws=args.draws, seed=args.seed
    )
    print(f"simulation, {args.draws} draws x 2 scenarios: {time.perf_counter() - start:.1f} s")
    table = cal.flag_table(sims, real)
    print(table.drop(columns=["label"]).round(4).to_string())
    print(sims.groupby(["design", "estimator"], sort=False)["seconds"].first().round(3))
    print(f"total {time.perf_counter() - begin:.0f} s")


if __name__ == "__main__":
    main()
