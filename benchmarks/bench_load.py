"""Time `load_snapshot()` on the embedded 760,000-model listing (target: under 10 s).

Run: .venv/bin/python benchmarks/bench_load.py
"""

from __future__ import annotations

import time
import tracemalloc

from hflineage.data import load_snapshot


def main(repeats: int = 3) -> None:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        models = load_snapshot()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    load_snapshot()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"load_snapshot: {len(models):,} rows; best {min(times):.2f} s, worst {max(times):.2f} s")
    print(f"peak traced Python memory: {peak / 2**20:.0f} MiB (Arrow buffers not included)")


if __name__ == "__main__":
    main()
