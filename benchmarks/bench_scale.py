"""Wall time, CPU time and peak memory of the full path per stage and per chapter, against the
number of models: the embedded snapshot (760,000 models, real) and synthetic hub-stats files
(``hflineage synth``; 1.5 and 3 million by default).

    .venv/bin/python benchmarks/bench_scale.py stages [--sizes 760000 1500000 3000000]
    .venv/bin/python benchmarks/bench_scale.py chapters --size 3000000
    .venv/bin/python benchmarks/bench_scale.py plot
    .venv/bin/python benchmarks/bench_scale.py report   # markdown tables of the latest records

``stages`` runs, for each size in a fresh process: load (``load_snapshot`` from the Parquet file,
and from its cache, as every chapter after the first does), ``build_edges``,
the MDI graph (``MdiGraph.from_frames``), ``mdi_all`` (all four variants), the race panel
(``race.build_panel``) and the baseline and primary race fits (``race.regressions.estimate``).
``chapters`` runs every chapter with ``hflineage run --profile full --benchmark`` on one size
(the embedded snapshot for 760000: ``--profile sample``), one chapter at a time, sampling the
resident memory of the chapter's kernel.  Results are appended to
``benchmarks/scale_results.json`` (with the machine, the commit and the load average beside each
timing: other jobs share the cores); ``plot`` draws ``benchmarks/scale.png`` (log-log time
against N per stage).

Peak memory is the process's peak resident set size (``VmHWM``, reset before each stage through
``/proc/self/clear_refs``), so Arrow buffers count, unlike with ``tracemalloc``.  Not a test:
numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "scale_results.json"
PLOT = HERE / "scale.png"
CACHE = ROOT / "data" / "cache"
REAL = 760_000
STAGES = (
    "load",
    "load_cached",
    "build_edges",
    "graph",
    "mdi_all",
    "race_panel",
    "baseline_fit",
    "primary_fit",
)


# ------------------------------------------------------------------------------------ machine
def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "ram_gb": round(mem_kb / 2**20, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src", "notebooks"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _status_kb(key: str, pid: str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def snapshot_path(n: int) -> Path | None:
    """The snapshot of ``n`` models: the embedded listing for 760,000, else a synthetic file
    (written once into data/cache, which is not under version control)."""
    if n == REAL:
        return None
    from hflineage.synthetic import synthetic_hub_stats, synthetic_path, write_synthetic

    path = synthetic_path(CACHE, n)
    if not path.exists():
        start = time.perf_counter()
        write_synthetic(synthetic_hub_stats(n), path)
        print(f"  wrote {path.name} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return path


# ------------------------------------------------------------------------------------ stages
def run_stages(n: int) -> dict:
    """Every stage once on ``n`` models, in this process; returns the records."""
    os.environ["HFLINEAGE_ALLOW_SYNTHETIC"] = "1"
    path = snapshot_path(n)
    from hflineage import race
    from hflineage.data import load_snapshot
    from hflineage.lineage import build_edges
    from hflineage.mdi import MdiGraph, mdi_all
    from hflineage.race import regressions as rm
    from hflineage.race.specs import PRIMARY_SPEC

    records = []
    box: dict = {}

    def stage(name, fn):
        _reset_peak()
        load = load_average()
        rss0 = _status_kb("VmRSS")
        w, c = time.perf_counter(), time.process_time()
        box[name] = fn()
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        rec = {
            "stage": name,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "peak_rss_gb": round(_status_kb("VmHWM") / 2**20, 2),
            "rss_before_gb": round(rss0 / 2**20, 2),
            "load_before": load,
        }
        records.append(rec)
        print(
            f"  {n:>9,} {name:<13} {wall:6.1f} s wall {cpu:6.1f} s cpu  peak {rec['peak_rss_gb']:.2f} GB  load {load:.1f}",
            file=sys.stderr,
        )

    stage("load", lambda: load_snapshot(path, allow_synthetic=True, cache=False))
    models = box["load"]
    load_snapshot(path, allow_synthetic=True, cache=True)  # writes the cache (not timed)
    stage("load_cached", lambda: load_snapshot(path, allow_synthetic=True, cache=True))
    del box["load_cached"]
    stage("build_edges", lambda: build_edges(models))
    edges = box["build_edges"]
    stage("graph", lambda: MdiGraph.from_frames(models, edges))
    stage("mdi_all", lambda: mdi_all(models, edges, graph=box["graph"]))
    stage("race_panel", lambda: race.build_panel(models, edges))
    panel = box["race_panel"]
    stage("baseline_fit", lambda: rm.estimate(panel, "baseline", "log_likes"))
    stage("primary_fit", lambda: rm.estimate(panel, PRIMARY_SPEC, "log_likes"))
    return {
        "kind": "stages",
        "n_models": len(models),
        "n_edges": len(edges),
        "n_panel_rows": len(panel),
        "snapshot": "embedded 2024-07-11 (real)" if path is None else f"{path.name} (synthetic)",
        "stages": records,
    }


# ------------------------------------------------------------------------------------ chapters
class _KernelSampler(threading.Thread):
    """Samples the resident memory of this process's children (the chapter kernels)."""

    def __init__(self, every: float = 0.25):
        super().__init__(daemon=True)
        self.every, self.peak, self.stop = every, 0, threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self.stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(self.every)


def run_chapters(n: int) -> dict:
    os.environ["HFLINEAGE_ALLOW_SYNTHETIC"] = "1"
    from hflineage.publish import pipeline
    from hflineage.publish.profiles import find_notebooks

    path = snapshot_path(n)
    profile = "sample" if path is None else "full"
    overrides = {} if path is None else {"snapshot": str(path)}
    records = []
    total = time.perf_counter()
    for nb in find_notebooks(ROOT):
        sampler = _KernelSampler()
        sampler.start()
        load = load_average()
        w = time.perf_counter()
        status = "ok"
        try:
            results = pipeline.run(
                profile, only=[nb.stem], overrides=overrides, progress=False, force=True
            )
            seconds = json.loads((results / "manifest.json").read_text())["notebooks"][nb.stem][
                "seconds"
            ]
        except Exception as exc:  # a failing chapter is a result too
            status, seconds = f"failed: {str(exc).splitlines()[0][:200]}", None
        sampler.stop.set()
        sampler.join()
        rec = {
            "chapter": nb.stem,
            "status": status,
            "chapter_s": seconds,
            "wall_s": round(time.perf_counter() - w, 1),
            "peak_kernel_rss_gb": round(sampler.peak / 2**30, 2),
            "load_before": load,
            "load_after": load_average(),
        }
        records.append(rec)
        print(
            f"  {nb.stem:<16} {rec['status']:<8} chapter {seconds} s, wall {rec['wall_s']} s, peak {rec['peak_kernel_rss_gb']} GB, load {load:.1f}",
            file=sys.stderr,
        )
    return {
        "kind": "chapters",
        "n_models": n,
        "profile": profile,
        "snapshot": "embedded 2024-07-11 (real)" if path is None else f"{path.name} (synthetic)",
        "total_wall_s": round(time.perf_counter() - total, 1),
        "chapters": records,
    }


# ------------------------------------------------------------------------------------ output
def append(record: dict) -> None:
    record = {
        "commit": commit(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        **record,
    }
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    data.append(record)
    RESULTS.write_text(json.dumps(data, indent=1) + "\n")


def plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = [r for r in json.loads(RESULTS.read_text()) if r["kind"] == "stages"]
    latest: dict[int, dict] = {}
    for r in data:  # the latest measurement of each size
        latest[r["n_models"]] = r
    sizes = sorted(latest)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for stage in STAGES:
        xs, ys = [], []
        for n in sizes:
            rec = next((s for s in latest[n]["stages"] if s["stage"] == stage), None)
            if rec:
                xs.append(n)
                ys.append(rec["wall_s"])
        if xs:
            ax.plot(xs, ys, marker="o", label=stage)
    ref = [latest[sizes[0]]["stages"][0]["wall_s"] * n / sizes[0] for n in sizes]
    ax.plot(sizes, ref, color="grey", linestyle=":", label="linear in N (from load)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("models (760k: embedded snapshot, real; larger: synthetic hub-stats)")
    ax.set_ylabel("wall time (s)")
    ax.set_title("Full path per stage against the number of models (2 cores, shared)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=130)
    print(f"wrote {PLOT}")


def report() -> None:
    """Markdown tables of the latest stages and chapters records per size (for RESULTS.md)."""
    data = json.loads(RESULTS.read_text())
    stages = {r["n_models"]: r for r in data if r["kind"] == "stages"}
    chapters = {r["n_models"]: r for r in data if r["kind"] == "chapters"}
    sizes = sorted(stages)
    print("| stage | " + " | ".join(f"{n / 1e6:g}M: wall / CPU s (peak GB)" for n in sizes) + " |")
    print("|---" * (len(sizes) + 1) + "|")
    for stage in STAGES:
        cells = []
        for n in sizes:
            rec = next((s for s in stages[n]["stages"] if s["stage"] == stage), None)
            cells.append(
                f"{rec['wall_s']:.1f} / {rec['cpu_s']:.1f} ({rec['peak_rss_gb']:.2f})"
                if rec
                else "–"
            )
        print(f"| {stage} | " + " | ".join(cells) + " |")
    print(
        "\ncommits / load: "
        + "; ".join(
            f"{n / 1e6:g}M {stages[n]['commit']} {stages[n]['when']} load "
            f"{min(s['load_before'] for s in stages[n]['stages']):.1f}-"
            f"{max(s['load_before'] for s in stages[n]['stages']):.1f}"
            for n in sizes
        )
    )
    sizes = sorted(chapters)
    print("\n| chapter | " + " | ".join(f"{n / 1e6:g}M: s (peak GB)" for n in sizes) + " |")
    print("|---" * (len(sizes) + 1) + "|")
    names = [c["chapter"] for c in chapters[sizes[-1]]["chapters"]]
    for name in names:
        cells = []
        for n in sizes:
            rec = next((c for c in chapters[n]["chapters"] if c["chapter"] == name), None)
            ok = rec and rec["status"] == "ok"
            cells.append(f"{rec['chapter_s']:.1f} ({rec['peak_kernel_rss_gb']:.2f})" if ok else "–")
        print(f"| {name} | " + " | ".join(cells) + " |")
    totals = []
    for n in sizes:
        recs = chapters[n]["chapters"]
        secs = sum(c["chapter_s"] or 0 for c in recs)
        peak = max(c["peak_kernel_rss_gb"] for c in recs)
        totals.append(f"**{secs:,.0f} s ({secs / 60:.1f} min), {peak:.2f} GB**")
    print("| **all six** | " + " | ".join(totals) + " |")
    print(
        "\ncommits / load: "
        + "; ".join(
            f"{n / 1e6:g}M {chapters[n]['commit']} {chapters[n]['when']} load "
            f"{min(c['load_before'] for c in chapters[n]['chapters']):.1f}-"
            f"{max(c['load_after'] for c in chapters[n]['chapters']):.1f}"
            for n in sizes
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("stages")
    st.add_argument("--sizes", type=int, nargs="+", default=[REAL, 1_500_000, 3_000_000])
    one = sub.add_parser("_stages")  # internal: one size in this process
    one.add_argument("--size", type=int, required=True)
    ch = sub.add_parser("chapters")
    ch.add_argument("--size", type=int, default=3_000_000)
    sub.add_parser("plot")
    sub.add_parser("report")
    args = ap.parse_args()
    if args.cmd == "stages":
        for n in args.sizes:  # a fresh process per size: its peak memory is its own
            out = subprocess.run(
                [sys.executable, __file__, "_stages", "--size", str(n)],
                capture_output=True,
                text=True,
            )
            sys.stderr.write(out.stderr)
            if out.returncode:
                raise SystemExit(f"stages at {n} failed")
            append(json.loads(out.stdout))
    elif args.cmd == "_stages":
        print(json.dumps(run_stages(args.size)))
    elif args.cmd == "chapters":
        append(run_chapters(args.size))
    elif args.cmd == "report":
        report()
    else:
        plot()


if __name__ == "__main__":
    main()
