"""The list of exhibits: every figure and table of the book, the package function that makes it
and the chapter cell that calls it, read from the notebooks papermill executed (so the list
cannot drift from the book).

A chapter shows a figure with ``ch.figure(<expr>, "key")`` and a table with
``ch.table(<expr>, "key", ...)`` (:class:`hflineage.chapter.report.Chapter`); the function is the
package call that ``<expr>`` comes from, followed through the chapter's imports and, for a name,
through its latest assignment in an earlier cell.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: A MyST role in a caption (``{glue:text}`key```, ``{term}`MDI```): dropped from the list.
GLUE = re.compile(r"\{glue(?::[a-z]+)?\}`[^`]*`")

#: The ``Chapter`` methods that write an exhibit, and the kind each writes.
EXHIBIT_CALLS = {"figure": "figure", "table": "table"}


@dataclass(frozen=True)
class Exhibit:
    """One figure or table: chapter, cell number (1-based, all cells), key, label, function."""

    chapter: str
    cell: int
    kind: str
    key: str
    label: str | None
    function: str
    caption: str


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _imports(tree: ast.AST, aliases: dict[str, str]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"


def _full(name: str, aliases: dict[str, str]) -> str | None:
    head, _, rest = name.partition(".")
    if head not in aliases:
        return None
    return aliases[head] + (f".{rest}" if rest else "")


class _Resolver:
    """Follows an expression to the ``hflineage`` function that produced it."""

    def __init__(self, aliases: dict[str, str], assignments: dict[str, ast.AST]):
        self.aliases, self.assignments = aliases, assignments

    def __call__(self, node: ast.AST, depth: int = 0) -> str | None:
        if depth > 8:
            return None
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            full = _full(name, self.aliases) if name else None
            if full and full.startswith("hflineage"):
                return full
            if isinstance(node.func, ast.Attribute):  # a method on something: follow the thing
                found = self(node.func.value, depth + 1)
                if found:
                    return found
            for arg in node.args:  # e.g. pd.concat([...]) of package results
                found = self(arg, depth + 1)
                if found:
                    return found
            return None
        if isinstance(node, ast.Name) and node.id in self.assignments:
            return self(self.assignments[node.id], depth + 1)
        if isinstance(node, ast.Attribute | ast.Subscript):
            return self(node.value, depth + 1)
        if isinstance(node, ast.List | ast.Tuple):
            for elt in node.elts:
                found = self(elt, depth + 1)
                if found:
                    return found
        return None


def _parse(source: str) -> ast.AST | None:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _literal(node: ast.AST | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""


def _exhibit_call(node: ast.AST) -> tuple[str, str, str] | None:
    """``(kind, key, caption)`` when ``node`` is ``ch.figure(...)`` or ``ch.table(...)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    if node.func.attr not in EXHIBIT_CALLS or not node.args:
        return None
    if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "ch"):
        return None
    key = _literal(node.args[1]) if len(node.args) > 1 else ""
    caption = next((_literal(k.value) for k in node.keywords if k.arg == "caption"), "")
    return EXHIBIT_CALLS[node.func.attr], key, caption


def _record_assignments(statement: ast.AST, assignments: dict[str, ast.AST]) -> None:
    for node in ast.walk(statement):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            names = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
            for name in names:
                if isinstance(name, ast.Name):
                    assignments[name.id] = node.value


def _cell_calls(tree: ast.AST, aliases: dict[str, str]) -> str:
    """The package functions a cell calls (when the exhibit's own expression names none)."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            full = _full(name, aliases) if name else None
            if (
                full
                and full.startswith("hflineage")
                and ".report." not in full
                and full not in calls
            ):
                calls.append(full)
    return ", ".join(calls) if calls else "(drawn in the cell with pandas/matplotlib)"


def notebook_exhibits(path: Path) -> list[Exhibit]:
    """The exhibits of one executed notebook (``.ipynb``), in the order the chapter shows them."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    assignments: dict[str, ast.AST] = {}
    out: list[Exhibit] = []
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        tree = _parse(source)
        if tree is None:
            continue
        _imports(tree, aliases)
        resolve = _Resolver(aliases, assignments)
        figure = (cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}
        for statement in tree.body:  # in order: a name assigned above a call is what it shows
            for node in ast.walk(statement):
                found = _exhibit_call(node)
                if found is None:
                    continue
                kind, key, caption = found
                if kind == "figure":
                    caption = " ".join(str(figure.get("caption", "")).split())
                function = resolve(node.args[0]) or _cell_calls(tree, aliases)
                out.append(
                    Exhibit(
                        chapter=Path(path).stem,
                        cell=number,
                        kind=kind,
                        key=key,
                        label=figure.get("name") if kind == "figure" else None,
                        function=function,
                        caption=caption,
                    )
                )
            _record_assignments(statement, assignments)
    return out


def exhibits(executed: Path, chapters: list[str]) -> list[Exhibit]:
    """Every exhibit of the executed notebooks ``executed/<chapter>.ipynb``, chapter by chapter."""
    found: list[Exhibit] = []
    for name in chapters:
        path = Path(executed) / f"{name}.ipynb"
        if path.exists():
            found.extend(notebook_exhibits(path))
    return found


def exhibit_rows(items: list[Exhibit], profile: str) -> list[list[Any]]:
    """Rows of the book's list of exhibits: exhibit, chapter and cell, function, file."""
    rows = []
    for i, ex in enumerate(items, start=1):
        what = f"{{numref}}`{ex.label}`" if ex.label else f"{ex.kind} `{ex.key}`"
        ext = "png" if ex.kind == "figure" else "csv"
        folder = "figures" if ex.kind == "figure" else "tables"
        text = GLUE.sub("…", ex.caption)  # a glued number belongs to its chapter's page
        caption = text if len(text) <= 90 else text[:87].rsplit(" ", 1)[0] + " …"
        rows.append(
            [
                str(i),
                f"{what}: {caption}" if caption else what,
                f"{{doc}}`{ex.chapter} <../notebooks/{ex.chapter}>`, cell {ex.cell}",
                f"`{ex.function}`",
                f"`results/{profile}/{folder}/{ex.key}.{ext}`",
            ]
        )
    return rows
