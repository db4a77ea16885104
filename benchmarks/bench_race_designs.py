"""Time and print the full revision-2 design grid on the embedded listing's LLM panel: every
design of ``race.designs.DESIGNS`` × every estimator × team and release rank (the chapter fits
``race.designs.CHAPTER_PAIRS`` on team rank and a few release-rank pairs).  PPML fits whose fixed
effects do not converge within pyfixest's cap, and PPML with base slopes, are reported with their
note.  Expect several minutes (PPML with base × 11 lag bins, base × day or account FE).

Run: .venv/bin/python benchmarks/bench_race_designs.py [--ranks team release]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from hflineage import race
from hflineage.data import load_snapshot
from hflineage.lineage import build_edges
from hflineage.race import designs as rd


def main(ranks: tuple[str, ...] = ("team", "release")) -> pd.DataFrame:
    """Fit the full grid pair by pair, print each fit's seconds and the rank-term table."""
    models = load_snapshot(None)
    llm = race.llm_sample(race.build_panel(models, build_edges(models)), ["text-generation"])
    rows = []
    for rank in ranks:
        for design in rd.DESIGNS:
            for estimator in rd.ESTIMATORS:
                start = time.perf_counter()
                fit = rd.design_table(llm, ranks=(rank,), pairs=((design, estimator),))
                rows.append(fit.assign(seconds=time.perf_counter() - start))
                r = fit[fit["term"] == "rank"].iloc[0]
                print(
                    f"{rank:8s} {design:9s} {estimator:10s} {r['estimate']:+.3f} ({r['se']:.3f})"
                    f" {rows[-1]['seconds'].iloc[0]:6.1f} s {r['note']}",
                    flush=True,
                )
    table = pd.concat(rows, ignore_index=True)
    print(table[table["term"] == "rank"].round(4).to_markdown(index=False))
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", nargs="+", default=["team", "release"])
    main(tuple(parser.parse_args().ranks))
