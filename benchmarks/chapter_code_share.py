"""Share of each chapter's lines that are code, as a reader of the .md meets them.

Usage: python benchmarks/chapter_code_share.py [notebooks/*.md]

Per chapter (non-blank lines of the jupytext MyST file, front matter excluded; a code cell's
fences and its option block — tags, figure caption and alt text — are neither code nor prose):
- ``code``: Python lines / (Python lines + prose lines);
- ``shown code``: the Python lines a reader sees on the page (cells not tagged ``remove-cell``,
  ``remove-input`` or ``hide-input``) / the same denominator;
- ``bookkeeping``: Python lines of cells tagged ``remove-cell`` / all Python lines.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HIDDEN = re.compile(r"(remove-cell|remove-input|hide-input)")


def _cells(lines: list[str]) -> tuple[int, list[tuple[list[str], list[str]]]]:
    """Prose line count, and each code cell as (option lines, Python lines)."""
    prose, cells, i = 0, [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```{code-cell}"):
            j, options = i + 1, []
            if j < len(lines) and lines[j].strip() == "---":
                k = lines.index("---", j + 1)
                options, j = lines[j : k + 1], k + 1
            while j < len(lines) and lines[j].startswith(":"):
                options.append(lines[j])
                j += 1
            end = j
            while lines[end].strip() != "```":
                end += 1
            cells.append((options, [x for x in lines[j:end] if x.strip()]))
            i = end + 1
            continue
        if line.strip():
            prose += 1
        i += 1
    return prose, cells


def shares(path: Path) -> tuple[int, float, float, float]:
    """Prose + Python lines, and the code, shown-code and bookkeeping shares of a chapter."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].strip() == "---":
        lines = lines[lines.index("---", 1) + 1 :]
    prose, cells = _cells(lines)
    code = sum(len(c) for _, c in cells)
    shown = sum(len(c) for o, c in cells if not any(HIDDEN.search(x) for x in o))
    removed = sum(len(c) for o, c in cells if any("remove-cell" in x for x in o))
    total = prose + code
    return total, code / total, shown / total, removed / max(code, 1)


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(Path("notebooks").glob("[0-9]*.md"))
    print("| chapter | prose + code lines | code | shown code | bookkeeping (of code) |")
    print("|---|---:|---:|---:|---:|")
    for p in paths:
        n, c, v, b = shares(p)
        print(f"| {p.stem} | {n} | {c:.0%} | {v:.0%} | {b:.0%} |")


if __name__ == "__main__":
    main()
