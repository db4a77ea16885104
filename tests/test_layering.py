"""The package's layers point one way: __main__ -> cli -> publish -> chapter -> race | mdi | synthetic -> lineage -> data -> shared helpers.

Every module's imports (top level and inside functions) are parsed; an import of a higher layer,
of a sibling package on the same layer (race <-> mdi), or any import circle fails the test.  The
checker is run on a planted bad tree too, so it is shown to find what it claims to find.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "hflineage"

#: Layer of each top-level part of the package; modules not listed are shared helpers (layer 0).
LAYERS = {"data": 1, "lineage": 2, "mdi": 3, "race": 3, "chapter": 4, "publish": 5, "cli": 6}
LAYERS["synthetic"] = 3  # the generator: above data and lineage, beside mdi and race
LAYERS["__main__"] = 7  # python -m hflineage: the entry point, above cli


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> set[str]:
    """Modules of the package that ``path`` imports (resolved, relative or absolute)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = root.name
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == top:
                target = node.module
            else:
                continue
            found.add(target)
            # ``from . import x`` / ``from .pkg import mod``: x may be a module itself
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if (root.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    root.parent / Path(*candidate.split("."))
                ).is_dir():
                    found.add(candidate)
    return found


def part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ""


def layer(module: str) -> int:
    return LAYERS.get(part(module), 0)


def violations(root: Path) -> list[str]:
    """Upward or sideways imports and import circles among the modules under ``root``."""
    graph = nx.DiGraph()
    problems = []
    for path in sorted(root.rglob("*.py")):
        src = module_name(path, root)
        graph.add_node(src)
        for dst in imports_of(path, root):
            graph.add_edge(src, dst)
            if part(src) == part(dst) or src == root.name:
                continue
            if layer(dst) > layer(src) or (layer(dst) == layer(src) and layer(src) > 0):
                problems.append(f"{src} imports {dst} (layer {layer(src)} -> {layer(dst)})")
    # a package's __init__ importing its own modules is not a circle of code
    code = graph.copy()
    code.remove_edges_from(
        [(a, b) for a, b in graph.edges if b.startswith(a + ".") or a == root.name]
    )
    for cycle in nx.simple_cycles(code):
        problems.append("import circle: " + " -> ".join([*cycle, cycle[0]]))
    return problems


def test_the_package_has_no_upward_import_and_no_circle():
    assert violations(PACKAGE) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "hflineage"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


GOOD = {
    "__init__.py": "",
    "errors.py": "",
    "data/__init__.py": "from .load import x\n",
    "data/load.py": "from ..errors import E\n",
    "lineage/__init__.py": "",
    "lineage/edges.py": "from ..data import load\n",
    "mdi/__init__.py": "",
    "mdi/index.py": "from ..lineage.edges import build_edges\n",
    "publish/__init__.py": "",
    "publish/run.py": "from ..mdi import index\nfrom hflineage.data.load import x\n",
}


def test_checker_accepts_a_clean_tree(tmp_path):
    assert violations(_tree(tmp_path, GOOD)) == []


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        (
            "data/load.py",
            "from ..lineage.edges import build_edges\n",
            "hflineage.data.load imports",
        ),
        ("lineage/edges.py", "    from hflineage.publish import run\n", "layer 2 -> 5"),
        ("mdi/index.py", "from ..race import panel\n", "layer 3 -> 3"),
        ("data/load.py", "from .extra import y\n", "import circle"),
    ],
)
def test_checker_finds_a_planted_bad_import(tmp_path, file, line, expected):
    files = dict(GOOD)
    if line.startswith("    "):
        line = "def f():\n" + line
    files[file] = files[file] + line
    files["race/__init__.py"] = ""
    files["race/panel.py"] = ""
    files["data/extra.py"] = "from .load import x\n"  # a circle once load imports extra
    problems = violations(_tree(tmp_path, files))
    assert any(expected in p for p in problems), problems
