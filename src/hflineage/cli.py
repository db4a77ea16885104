"""The ``hflineage`` command: summarise a snapshot, fetch today's Hub, run the chapters, build the book.

Every user-fixable problem ends with one line ``error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .config import REPO_ROOT
from .errors import HflineageError
from .files import display_path
from .publish.profiles import DEFAULT_PROFILE, available_profiles, parse_overrides

EPILOG = """\
examples:
  hflineage info                                 summarise the embedded 2024-07-11 snapshot
  hflineage fetch --source hub-stats             download today's cfahlgren1/hub-stats models.parquet
  hflineage info --snapshot hub-stats:latest     summarise the newest fetched hub-stats file
  hflineage fetch --source api --limit 5000      crawl /api/models (resumable: re-run to continue)
  hflineage synth --models 3000000 --out data/cache
                                                 a synthetic hub-stats file, for benchmarks only
  hflineage run --profile full --benchmark -p snapshot=data/cache/synthetic-hub-stats-3000000.parquet
  hflineage run                                  execute every chapter with papermill (profile embedded)
  hflineage book                                 run + render the book to _build/html
  hflineage golden                               the last run's estimates against tests/golden/
  hflineage claim P2-priority --from-results     one claim's declaration, fits and verdict
"""


def _benchmark(args: argparse.Namespace) -> None:
    """``--benchmark``: synthetic snapshots may be read, here and in the chapters' kernels."""
    if getattr(args, "benchmark", False):
        from .data.synthetic_label import ALLOW_ENV

        os.environ[ALLOW_ENV] = "1"


def _cmd_info(args: argparse.Namespace) -> int:
    from .data.load import load_snapshot
    from .data.schema import snapshot_date
    from .files import progress

    _benchmark(args)
    bar = progress(None, "load snapshot", unit="step")
    models = load_snapshot(args.snapshot)
    bar.close()
    n_parents = models["declared_parents"].list.len()
    reliable = models["created_at_reliable"]
    rows = [
        ("source", models.attrs.get("source", "")),
        ("shape", models.attrs.get("shape", "")),
        ("sha256", models.attrs.get("sha256", "(not checked)")),
        ("snapshot date", str(snapshot_date(models).date())),
        ("models", f"{len(models):,}"),
        (
            "created",
            f"{models['created_at'].min():%Y-%m-%d} .. {models['created_at'].max():%Y-%m-%d}",
        ),
        ("back-filled dates", f"{int((~reliable).sum()):,} (2022-03-02 23:29, excluded as focal)"),
        ("declare a base model", f"{int((n_parents > 0).sum()):,} models"),
        ("declared pairs", f"{int(n_parents.sum()):,}"),
        ("with a typed relation", f"{int(models['declared_relation'].notna().sum()):,} models"),
        ("likes (total)", f"{int(models['likes'].sum()):,}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from .data import fetch

    if args.source == "hub-stats":
        path = fetch.fetch_hub_stats(args.out, revision=args.revision)
    else:
        path = fetch.crawl_api(args.out, limit=args.limit, chunk_size=args.chunk_size)
    print(f"wrote {path}")
    print(f"next: hflineage info --snapshot {path}")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from . import synthetic
    from .files import progress
    from .synthetic import files as synthetic_label

    bar = progress(2, f"synthetic hub-stats ({args.models:,} models)", unit="step")
    table = synthetic.synthetic_hub_stats(args.models, seed=args.seed)
    bar.update(1)
    path = synthetic_label.write_synthetic(table, args.out)
    bar.update(1)
    bar.close()
    print(f"wrote {path} (SYNTHETIC, for benchmarks only: {table.num_rows:,} models)")
    print(f"next: hflineage run --profile full --benchmark -p snapshot={path}")
    return 0


BENCHMARK_HELP = "allow a synthetic benchmark snapshot (hflineage synth); never for results"


def _cmd_run(args: argparse.Namespace) -> int:
    from .publish.pipeline import run

    _benchmark(args)
    t0 = time.perf_counter()
    out = run(
        args.profile,
        only=args.only,
        overrides=parse_overrides(args.param),
        cell_progress=args.cell_progress,
        force=args.force,
    )
    print(
        f"ran {args.profile} in {time.perf_counter() - t0:.0f} s; results in {display_path(out, REPO_ROOT)}"
    )
    return 0


def _cmd_book(args: argparse.Namespace) -> int:
    from .publish.build import render
    from .publish.pipeline import run

    _benchmark(args)
    t0 = time.perf_counter()
    if not args.no_run:
        run(args.profile, overrides=parse_overrides(args.param), force=args.force)
    t1 = time.perf_counter()
    index = render(args.profile, nitpicky=not args.no_nitpicky)
    print(
        f"book ({args.profile}) in {time.perf_counter() - t0:.0f} s "
        f"(render {time.perf_counter() - t1:.0f} s): open {display_path(index, REPO_ROOT)}"
    )
    return 0


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options that ``run`` and ``book`` share: ``--force`` and ``--benchmark``."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="re-run every chapter, even those whose fingerprint (source, parameters, snapshot, "
        "package code) matches their last successful run",
    )
    parser.add_argument("--benchmark", action="store_true", help=BENCHMARK_HELP)


def add_subcommands(sub: Any) -> None:
    """Add ``run`` and ``book`` to the ``hflineage`` command's subparsers."""
    profiles = ", ".join(available_profiles()) or "embedded, ci, full"
    help_profile = f"params/<profile>.yaml to use: {profiles} (default: {DEFAULT_PROFILE})"
    run_p = sub.add_parser(
        "run",
        help="execute every chapter with papermill (results/<profile>/, _build/executed/)",
        description="Execute the chapter notebooks with papermill under a profile.",
    )
    run_p.add_argument("--profile", default=DEFAULT_PROFILE, help=help_profile)
    run_p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these chapters, e.g. --only 03_mdi (or 03)",
    )
    run_p.add_argument(
        "-p",
        "--param",
        action="append",
        metavar="KEY=VALUE",
        help="override a chapter parameter, typed as YAML: -p window_days=180 "
        "(or -p 03_mdi.window_days=180 for one chapter); repeatable",
    )
    run_p.add_argument(
        "--cell-progress", action="store_true", help="also show papermill's per-cell progress"
    )
    _add_run_options(run_p)
    run_p.set_defaults(func=_cmd_run)

    book_p = sub.add_parser(
        "book",
        help="run every chapter, then render the book to _build/html (-W: warnings are errors)",
        description="Run every chapter under a profile, then render the book with Jupyter Book.",
    )
    book_p.add_argument("--profile", default=DEFAULT_PROFILE, help=help_profile)
    book_p.add_argument(
        "-p", "--param", action="append", metavar="KEY=VALUE", help="as for `hflineage run`"
    )
    book_p.add_argument(
        "--no-run", action="store_true", help="render the notebooks executed by the last run"
    )
    book_p.add_argument(
        "--no-nitpicky", action="store_true", help="do not warn about unresolved references"
    )
    _add_run_options(book_p)
    book_p.set_defaults(func=_cmd_book)


def _cmd_golden(args: argparse.Namespace) -> int:
    from .publish import golden

    if args.update:
        path = golden.update_golden(args.profile)
        print(f"recorded the last {args.profile} run as {display_path(path, REPO_ROOT)}")
        return 0
    ok, report = golden.check_golden(args.profile, show_all=args.all)
    print(report)
    return 0 if ok else 1


def _cmd_claim(args: argparse.Namespace) -> int:
    from .publish import claim_record as cr

    claim = cr.declared(args.id)  # an unknown id fails before anything runs
    if not args.from_results:
        from .publish.pipeline import run

        chapters = cr.deciding_chapters(claim, _numbers_or_none(args.profile))
        run(args.profile, only=chapters, force=args.force, progress=not args.json)
    record = cr.claim_record(args.id, cr.read_numbers(args.profile))
    if args.json:
        print(json.dumps(record, indent=1, default=str))
    else:
        print(cr.format_record(record))
    return 0


def _numbers_or_none(profile: str) -> dict[str, Any] | None:
    from .publish.claim_record import read_numbers

    try:
        return read_numbers(profile)
    except HflineageError:
        return None


def add_reviewer_commands(sub: Any) -> None:
    """Add ``golden`` (the last run against the golden estimates) and ``claim`` (one claim's
    full record) to the ``hflineage`` command's subparsers.
    """
    help_profile = f"the run to read, results/<profile>/ (default: {DEFAULT_PROFILE})"
    gold = sub.add_parser(
        "golden",
        help="compare the last run's estimates and verdicts with tests/golden/<profile>.json",
        description="Compare every claim's primary estimate, SE, n and verdict of the last run "
        "with the golden file; list what moved beyond its tolerance and the library versions "
        "that differ. Exit status 1 when a number drifted.",
    )
    gold.add_argument("--profile", default=DEFAULT_PROFILE, help=help_profile)
    gold.add_argument(
        "--update", action="store_true", help="record the last run as the golden estimates"
    )
    gold.add_argument("--all", action="store_true", help="list every compared number")
    gold.set_defaults(func=_cmd_golden)

    claim = sub.add_parser(
        "claim",
        help="re-run the chapter(s) that decide one claim and print its full record",
        description="Print one claim's declared estimand, primary and rule, the primary result, "
        "every robustness fit with its outcome, and the verdict. Without --from-results the "
        "chapters that record the claim run first (reused when their fingerprint is unchanged; "
        "--force re-executes them).",
    )
    claim.add_argument("id", help="a claim id of book/claims.yml, e.g. P2-priority")
    claim.add_argument("--profile", default=DEFAULT_PROFILE, help=help_profile)
    claim.add_argument("--from-results", action="store_true", help="read the last run; run nothing")
    claim.add_argument("--force", action="store_true", help="re-execute even if up to date")
    claim.add_argument("--json", action="store_true", help="the record as JSON, for machines")
    claim.set_defaults(func=_cmd_claim)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hflineage`` command."""
    parser = argparse.ArgumentParser(
        prog="hflineage",
        description="Replicate 'Identifying Disruptive Models' and 'Racing to Release' on Hub metadata.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="command", required=True)

    info = sub.add_parser(
        "info", help="summarise a snapshot (default: the embedded 2024-07-11 one)"
    )
    info.add_argument(
        "--snapshot",
        default=None,
        help="Parquet/JSONL path, or hub-stats:latest / api:latest (newest fetched)",
    )
    info.add_argument("--benchmark", action="store_true", help=BENCHMARK_HELP)
    info.set_defaults(func=_cmd_info)

    fetch = sub.add_parser("fetch", help="download today's Hub metadata (needs internet)")
    fetch.add_argument(
        "--source",
        choices=["hub-stats", "api"],
        default="hub-stats",
        help="hub-stats: one Parquet file, pinned by revision (fast); api: crawl /api/models (slow, resumable)",
    )
    fetch.add_argument(
        "--revision", default=None, help="hub-stats commit sha to pin (default: latest)"
    )
    fetch.add_argument("--out", type=Path, default=Path("data/snapshots"), help="output folder")
    fetch.add_argument("--limit", type=int, default=None, help="api: stop after this many models")
    fetch.add_argument("--chunk-size", type=int, default=10_000, help="api: models per JSONL chunk")
    fetch.set_defaults(func=_cmd_fetch)

    synth = sub.add_parser(
        "synth",
        help="write a SYNTHETIC hub-stats file (synthetic-hub-stats-<N>.parquet) for benchmarks",
    )
    synth.add_argument("--models", type=int, default=3_000_000, help="number of models")
    synth.add_argument(
        "--out",
        type=Path,
        default=Path("data/cache"),
        help="folder (not under version control) or a synthetic-*.parquet path",
    )
    synth.add_argument("--seed", type=int, default=0, help="random seed (same seed, same file)")
    synth.set_defaults(func=_cmd_synth)

    add_subcommands(sub)
    add_reviewer_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse ``argv``, run the command, turn user errors into one line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HflineageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `hflineage claim ID --json | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted: files already written are complete; re-run to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
