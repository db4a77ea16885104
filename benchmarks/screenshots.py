"""Screenshot pages of the built book with headless Chromium, to look at what a reader sees.

Usage (after `hflineage book --profile ci`):

    .venv/bin/python benchmarks/screenshots.py                 # every page of _build/html
    .venv/bin/python benchmarks/screenshots.py book/status notebooks/01_data --height 4000

Writes `_build/screenshots/<page>.png` (page path with "/" replaced by "__") and prints the time
each took. Needs `chromium` (Debian: `apt-get install chromium`); no network is used.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "screenshots"


def pages() -> list[str]:
    """Every page of the built book (without ``.html``), intro first."""
    found = sorted(
        p.relative_to(HTML).with_suffix("").as_posix()
        for p in HTML.glob("*/*.html")
        if p.parent.name in {"book", "notebooks"}
    )
    return sorted(found, key=lambda p: (p != "book/intro", p))


def screenshot(page: str, width: int, height: int, chromium: str) -> Path:
    """One PNG of ``_build/html/<page>.html`` at ``width`` x ``height`` CSS pixels."""
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / (page.replace("/", "__") + ".png")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            (HTML / f"{page}.html").as_uri(),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages such as book/status (default: all)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("error: chromium not found (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    if not (HTML / "index.html").exists():
        print("error: no _build/html; run `hflineage book --profile ci` first", file=sys.stderr)
        return 2
    for page in args.pages or pages():
        t0 = time.perf_counter()
        out = screenshot(page, args.width, args.height, chromium)
        print(f"{out.relative_to(ROOT)}  {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
