"""Screenshot pages of the built book with headless Chromium, to look at what a reader sees.

Usage (after `hflineage book --no-run --profile sample`, or a book rendered elsewhere with --html):

    .venv/bin/python benchmarks/screenshots.py              # the review pages, 1,400 and 420 px
    .venv/bin/python benchmarks/screenshots.py --all        # every page
    .venv/bin/python benchmarks/screenshots.py book/status notebooks/01_data --height 6000
    .venv/bin/python benchmarks/screenshots.py notebooks/05_race --offset 9000  # further down
    .venv/bin/python benchmarks/screenshots.py --html /tmp/book/_build/html --widths 420

The review pages (:data:`REVIEW`) are the introduction, the replication status and chapters 3-5,
the pages issue 19 reads at both widths.  Writes `<out>/<page>@<width>[+<offset>].png` (page
path with "/" replaced by "__"; default out: `_build/screenshots/`) and prints the time each took.
1,400 px is a laptop window, 420 px a phone held upright. Needs `chromium` (Debian: `apt-get
install chromium`); each shot uses a fresh profile and no network.
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

#: A laptop window and a phone held upright, in CSS pixels.
WIDTHS = (1400, 420)

#: The pages looked at by default: the introduction, the replication status and chapters 3-5.
REVIEW = (
    "book/intro",
    "book/status",
    "notebooks/03_mdi",
    "notebooks/04_who_disrupts",
    "notebooks/05_race",
)


def pages(html: Path = HTML) -> list[str]:
    """Every page of the built book (without ``.html``), intro first."""
    found = sorted(
        p.relative_to(html).with_suffix("").as_posix()
        for p in html.glob("*/*.html")
        if p.parent.name in {"book", "notebooks"}
    )
    return sorted(found, key=lambda p: (p != "book/intro", p))


#: Headless Chromium will not make a window narrower than this (CSS px); a narrower page is shown
#: in an iframe of the requested width inside a window this wide, then cropped.
MIN_WINDOW = 500


def screenshot(
    page: str,
    width: int,
    height: int,
    chromium: str,
    html: Path = HTML,
    out: Path = OUT,
    offset: int = 0,
    unfold: bool = False,
) -> Path:
    """One PNG of ``<html>/<page>.html`` at ``width`` x ``height`` CSS pixels, from ``offset``
    pixels down the page; ``unfold`` opens every folded ``<details>`` (dropdowns) first.
    """
    out.mkdir(parents=True, exist_ok=True)
    suffix = f"+{offset}" if offset else ""
    target = out / f"{page.replace('/', '__')}@{width}{suffix}.png"
    url = (html / f"{page}.html").as_uri()
    with tempfile.TemporaryDirectory() as profile:
        window = width
        if width < MIN_WINDOW or offset or unfold:  # an iframe: media queries see its width
            frame = Path(profile) / "frame.html"
            opened = (
                "for (const d of this.contentDocument.querySelectorAll('details')) d.open = true;"
            )
            script = (opened if unfold else "") + f"this.contentWindow.scrollTo(0, {offset})"
            scroll = f' onload="{script}"'
            frame.write_text(
                '<html><body style="margin:0">'
                f'<iframe src="{url}"{scroll} style="border:0;width:{width}px;height:{height}px">'
                "</iframe></body></html>",
                encoding="utf-8",
            )
            url, window = frame.as_uri(), max(width, MIN_WINDOW)
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
            "--allow-file-access-from-files",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            f"--window-size={window},{height}",
            f"--screenshot={target}",
            url,
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    if window != width:
        from PIL import Image

        with Image.open(target) as image:
            cropped = image.crop((0, 0, width, image.height))
        cropped.save(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages such as book/status (default: REVIEW)")
    parser.add_argument("--all", action="store_true", help="every page of the book")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--offset", type=int, default=0, help="start this many px down the page")
    parser.add_argument("--unfold", action="store_true", help="open every folded section first")
    parser.add_argument("--html", type=Path, default=HTML, help="a rendered book's html folder")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("error: chromium not found (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    if not (args.html / "index.html").exists():
        print(
            f"error: no {args.html}/index.html; run `hflineage book --profile ci` first",
            file=sys.stderr,
        )
        return 2
    chosen = args.pages or (pages(args.html) if args.all else list(REVIEW))
    for page in chosen:
        for width in args.widths:
            t0 = time.perf_counter()
            out = screenshot(
                page, width, args.height, chromium, args.html, args.out, args.offset, args.unfold
            )
            print(f"{out}  {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
