"""Pages of the book that are generated from a run, not written by hand.

:func:`write_pages` writes, into the build source folder (never into ``book/``):

- ``book/status.md`` — the replication status of every claim of ``book/claims.yml``, with the
  verdicts the chapters recorded (``Chapter.claim``) in ``results/<profile>/numbers.json``; a
  claim no chapter assessed shows "not yet assessed";
- ``book/parameters.md`` — every parameter of every chapter's ``parameters`` cell: default,
  the reason (the line's comment), and the profiles that override it;
- ``book/methods.md`` — the methods-to-code map of ``book/methods.yml`` (construct, function,
  test, chapter);
- ``book/colophon.md`` — versions, checksums and runtimes from ``results/<profile>/manifest.json``;
- ``book/glance.md`` (+ ``glance.png``) — the introduction's "results at a glance" box
  (:mod:`hflineage.publish.glance`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..chapter.claims import load_claims, load_methods
from ..config import results_dir
from .glance import write_glance
from .markdown import (
    GENERATED_NOTE,
    WIDE,
    _doc,
    chapter_title,
    list_table,
    md_escape,
    notebook_labels,
)
from .profiles import (
    DEFAULT_PROFILE,
    INJECTED,
    available_profiles,
    find_notebooks,
    load_profile,
    notebook_parameters,
)
from .status import status_page


def _literal(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else json.dumps(value)
    return f"`{text}`" if "`" not in text else md_escape(text)


def parameters_page(
    notebooks: list[Path],
    profiles: dict[str, dict[str, dict[str, Any]]],
) -> str:
    """Every chapter parameter: default, reason (its comment), and profile overrides.

    ``profiles`` maps a profile name to its ``chapters`` overrides.
    """
    out = [
        WIDE,
        GENERATED_NOTE.format(what="the notebooks' parameters cells and params/*.yaml"),
        "(parameters)=",
        "# Parameters",
        "",
        "Every choice a chapter makes is a parameter in its `parameters` cell, with a default and "
        "a one-line reason; this page is generated from those cells, so it cannot drift from "
        "them. Change one for a single run with `-p`, e.g.",
        "",
        "```bash",
        ".venv/bin/hflineage run --only 03_mdi -p window_days=180",
        "```",
        "",
        "or for a whole profile in `params/<profile>.yaml` under `chapters:`. Three parameters "
        "are set by the pipeline in every chapter: `profile` (which `params/<profile>.yaml`), "
        "`snapshot` (the data file; `None` is the embedded 2024-07-11 listing) and `results_dir` "
        "(`results/<profile>`, where numbers, figures and tables go). The column *profiles* "
        "lists the values a profile file sets instead of the default.",
        "",
    ]
    for path in notebooks:
        params = [p for p in notebook_parameters(path) if p.name not in INJECTED]
        out += [f"## {md_escape(chapter_title(path))}", "", f"Chapter {_doc(path.stem)}.", ""]
        if not params:
            out += ["This chapter has no parameters besides the three the pipeline sets.", ""]
            continue
        rows = []
        for p in params:
            over = [
                f"{name}: {_literal(ch[path.stem][p.name])}"
                for name, ch in profiles.items()
                if p.name in ch.get(path.stem, {})
            ]
            default = f"`{p.source}`" if "`" not in p.source else md_escape(p.source)
            rows.append(
                [
                    f"`{p.name}`",
                    default,
                    md_escape(p.comment) if p.comment else "*(no comment)*",
                    "\n\n".join(over) if over else "—",
                ]
            )
        out += [
            list_table(
                ["parameter", "default", "what it sets, and why", "profiles"],
                rows,
                [20, 22, 44, 14],
                wide=True,
            ),
            "",
        ]
    return "\n".join(out)


def _test_ref(test: str) -> str:
    """``tests/test_x.py::test_y`` as the file in code and the test's name under it."""
    path, _, name = test.partition("::")
    return f"`{path}`" + (f"\\\n{md_escape(name)}" if name else "")


def methods_page(entries: list[dict[str, Any]], chapters: set[str]) -> str:
    """The methods-to-code map: construct → function(s) → test(s) → chapter."""
    rows = []
    for e in entries:
        claims = "\n\n".join(md_escape(c) for c in e.get("claims") or []) or "—"
        funcs = (
            "\n\n".join(f"`{f.removeprefix('hflineage.')}`" for f in e.get("functions") or [])
            or "—"
        )
        tests = "\n\n".join(_test_ref(t) for t in e.get("tests") or []) or "—"
        ch = e.get("chapter")
        chapter = _doc(ch, short=True) if ch in chapters else (md_escape(ch) if ch else "—")
        construct = md_escape(e["construct"])
        if e.get("note"):
            construct += f"\n\n{md_escape(e['note'])}"
        rows.append([construct, claims, funcs, tests, chapter])
    return "\n".join(
        [
            WIDE,
            GENERATED_NOTE.format(what="book/methods.yml"),
            "(methods-map)=",
            "# Methods-to-code map",
            "",
            "Each construct of the two papers, the function that computes it (in `src/hflineage/`), "
            "the tests that check it against hand-worked values, and the chapter that uses it. "
            "A test (`tests/publish/test_pages.py`) checks that every function named here exists and "
            "every test file is there.",
            "",
            list_table(
                ["construct", "claims", "function (in hflineage)", "tests", "chapter"],
                rows,
                [24, 13, 28, 24, 11],
                wide=True,
            ),
            "",
        ]
    )


def colophon_page(manifest: dict[str, Any], slice_info: dict[str, Any] | None = None) -> str:
    """Versions, checksums and runtimes of the run this book shows."""
    git = manifest.get("git") or {}
    commit = git.get("commit") or "(not a git checkout)"
    dirty = " with uncommitted changes" if git.get("dirty") else ""
    built = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = [
        ["profile", f"`{manifest.get('profile')}`"],
        [
            "parameters file",
            f"`{manifest.get('params_file')}` (sha256 `{manifest.get('params_sha256', '')[:16]}…`)",
        ],
        ["overrides (`-p`)", md_escape(json.dumps(manifest.get("overrides") or {}))],
        ["commit", f"`{commit}`{dirty}"],
        ["run started", manifest.get("started", "")],
        ["run finished", manifest.get("finished", "")],
        ["run time", f"{manifest.get('seconds', 0):,.0f} s"],
        ["page generated", built],
        ["Python", f"{manifest.get('python', '')} on {md_escape(manifest.get('platform', ''))}"],
    ]
    for d in manifest.get("data") or []:
        sha = d.get("sha256") or d.get("sha256_of_files") or ""
        rows.append(["data", f"`{d.get('path')}` (sha256 `{sha[:16]}…`)"])
    info = slice_info or manifest.get("slice")
    if info:
        roots = ", ".join(f"`{r}`" for r in info.get("roots", []))
        rows.append(
            [
                "ci slice",
                f"{info.get('models', 0):,} models: the roots {roots} and all their descendants "
                f"(edges from `{info.get('edges')}`), cut from `{info.get('source')}`",
            ]
        )
    runtimes = [
        [
            _doc(name, short=True),
            r.get("status", ""),
            f"{r.get('seconds', 0):,.1f}",
            md_escape(json.dumps({k: v for k, v in r.get("parameters", {}).items()})),
        ]
        for name, r in (manifest.get("notebooks") or {}).items()
    ]
    packages = " · ".join(
        f"{k} {v or '(not installed)'}" for k, v in (manifest.get("packages") or {}).items()
    )
    return "\n".join(
        [
            WIDE,
            GENERATED_NOTE.format(what="results/<profile>/manifest.json"),
            "(colophon)=",
            "# Colophon",
            "",
            "How this copy of the book was made. The same facts are in "
            f"`results/{manifest.get('profile')}/manifest.json`; every number the text quotes is "
            f"in `results/{manifest.get('profile')}/numbers.json`.",
            "",
            "## This build",
            "",
            list_table(None, rows, [25, 75]),
            "",
            "## Chapters: run time and parameters",
            "",
            list_table(
                ["chapter", "status", "seconds", "parameters injected"], runtimes, [22, 10, 10, 58]
            ),
            "",
            "## Package versions",
            "",
            packages + ".",
            "",
        ]
    )


def run_description(manifest: dict[str, Any]) -> str:
    """What data a run's profile means, in words (for the banner and the glance box)."""
    profile = manifest.get("profile", "?")
    return {
        DEFAULT_PROFILE: "the embedded 2024-07-11 snapshot",
        "sample": "the embedded 2024-07-11 snapshot",
        "ci": "a small real slice of the 2024-07-11 snapshot (numbers are not the paper-scale ones)",
        "full": "a fetched snapshot of today's Hub",
    }.get(profile, f"profile {profile}")


def repository_url(config: dict[str, Any]) -> str:
    """``_config.yml``'s ``repository.url``: the one place the repository's address is written
    (empty until the repository is published).
    """
    return str(((config or {}).get("repository") or {}).get("url") or "").strip()


def get_the_code(url: str, commit: str | None) -> str:
    """The How-to's first step in words that work whether or not the address is set."""
    at = f" This book was built from commit `{commit[:7]}`." if commit else ""
    if url:
        return f"`git clone {url} hflineage && cd hflineage`.{at}"
    return (
        "open a terminal in the `hflineage` folder you were given (a copy of the repository, with "
        "its `data/` and `src/` folders; with git, `git clone` the address you were given). The "
        f"repository has no public address yet.{at}"
    )


def announcement(manifest: dict[str, Any], url: str = "") -> str:
    """One line at the top of every page: which profile, data and commit this build shows."""
    profile = manifest.get("profile", "?")
    git = manifest.get("git") or {}
    commit = (git.get("commit") or "")[:7]
    dirty = "+modified" if git.get("dirty") else ""
    day = (manifest.get("finished") or "")[:10]
    parts = [f"Built with profile “{profile}”: {run_description(manifest)}", f"run {day}"]
    if commit:
        parts.append(f"commit {commit}{dirty}")
    if url:
        parts.append(f'<a href="{url}">code</a>')
    return " · ".join(parts)


def write_pages(root: Path, profile: str, dest: Path) -> list[Path]:
    """Write the generated pages of ``profile``'s last run into ``dest/book/``; return them."""
    root = Path(root)
    results = results_dir(root, profile)
    numbers = json.loads((results / "numbers.json").read_text(encoding="utf-8"))
    manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    notebooks = find_notebooks(root)
    labels = {p.stem: notebook_labels(p) for p in notebooks}
    claims = load_claims(root / "book" / "claims.yml")
    run_label = f", run {manifest.get('finished', '')[:10]}" if manifest.get("finished") else ""
    profiles = {name: load_profile(name, root).chapters for name in available_profiles(root)}
    pages = {
        "status.md": status_page(
            claims,
            numbers,
            labels,
            profile=profile,
            run_label=run_label,
            methods=load_methods(root / "book" / "methods.yml"),
        ),
        "parameters.md": parameters_page(notebooks, profiles),
        "methods.md": methods_page(load_methods(root / "book" / "methods.yml"), set(labels)),
        "colophon.md": colophon_page(manifest),
    }
    written = [
        write_glance(
            claims,
            numbers,
            dest / "book",
            data_label=f"{run_description(manifest)}, profile “{profile}”{run_label}",
        )
    ]
    for name, text in pages.items():
        path = dest / "book" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
