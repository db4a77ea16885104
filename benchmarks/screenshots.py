"""Screenshot pages of the built book with headless Chromium, to look at what a reader sees.

Usage (after `hflineage book --profile ci`, or a book rendered elsewhere with --html):

    .venv/bin/python benchmarks/screenshots.py                        # every page, 1,400 and 420 px
    .venv/bin/python benchmarks/screenshots.py book/status notebooks/01_data --height 6000
    .venv/bin/python benchmarks/screenshots.py --html /tmp/book/_build/html --widths 420

Writes `<out>/<page>@<width>.png` (page path with "/" replaced by "__"; default out:
`_build/screenshots/`) and prints the time each took. 1,400 px is a laptop window, 420 px a
phone held upright. Needs `chromium` (Debian: `apt-get install chromium`); no network is used.
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
    page: str, width: int, height: int, chromium: str, html: Path = HTML, out: Path = OUT
) -> Path:
    """One PNG of ``<html>/<page>.html`` at ``width`` x ``height`` CSS pixels."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{page.replace('/', '__')}@{width}.png"
    url = (html / f"{page}.html").as_uri()
    with tempfile.TemporaryDirectory() as profile:
        window = width
        if width < MIN_WINDOW:  # a phone: the page's media queries see the iframe's width
            frame = Path(profile) / "frame.html"
            frame.write_text(
                '<html><body style="margin:0">'
                f'<iframe src="{url}" style="border:0;width:{width}px;height:{height}px">'
                "</iframe></body></html>",
                encoding="utf-8",
            )
            url, window = frame.as_uri(), MIN_WINDOW
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
    parser.add_argument("pages", nargs="*", help="pages such as book/status (default: all)")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    parser.add_argument("--height", type=int, default=3000)
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
    for page in args.pages or pages(args.html):
        for width in args.widths:
            t0 = time.perf_counter()
            out = screenshot(page, width, args.height, chromium, args.html, args.out)
            print(f"{out}  {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
