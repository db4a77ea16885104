"""Execute one chapter with papermill and lint what a reader would see by mistake (a figure shown
twice, bare values, stderr, errors).
"""

from __future__ import annotations

import ast
import json
import logging
import re
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from ..errors import HflineageError
from ..files import display_path


class NotebookError(HflineageError):
    """A chapter notebook failed to execute (names the notebook and the cell)."""


class QuietKernelManager(AsyncKernelManager):
    """A kernel manager that shuts the kernel down without first interrupting it.

    jupyter_client sends SIGINT before every shutdown request, in case a cell is still running;
    when the signal lands while ipykernel handles a message, the kernel logs "[IPKernelApp] ERROR |
    KeyboardInterrupt caught in kernel." on the terminal of a perfectly normal run.  papermill only
    shuts the kernel down once no cell is running (all done, a cell failed, or a timeout), and
    the shutdown request is followed by SIGTERM/SIGKILL if the kernel does not stop, so the
    interrupt is skipped while shutting down (an interrupt asked for at any other time still goes).
    """

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


def execute_notebook(
    source: Path,
    out: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    progress_bar: bool = False,
) -> None:
    """Execute one jupytext chapter with papermill into ``out`` (kept, also when it fails).

    A failing cell raises :class:`NotebookError` with one line: the notebook, the cell (0-based
    index among the chapter's cells, Markdown included, and its ``In [n]``), the exception, and
    where the partially executed notebook is.
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    # Our own check of the parameters (plan_parameters) replaces papermill's regex-based one,
    # which misreads comments; and the kernel's TCP-transport notice is not for readers.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    nb = jupytext.read(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    kept = f"partial notebook kept in {display_path(out, cwd)}"
    try:
        papermill.execute_notebook(
            nb,
            str(out),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=progress_bar,
            cwd=str(cwd),
            # the kernel's notice that it talks to us over local TCP is not for readers
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            kernel_manager_class=QuietKernelManager,
        )
    except PapermillExecutionError as exc:
        first = next((ln.strip() for ln in (exc.source or "").splitlines() if ln.strip()), "")
        if len(first) > 60:
            first = first[:57] + "..."
        evalue = _strip_ansi(str(exc.evalue)).strip().splitlines()
        raise NotebookError(
            f"{source.name} failed in cell {_source_cell(nb, exc.cell_index)} "
            f"(In [{exc.exec_count}]: {first}): "
            f"{exc.ename}: {evalue[0] if evalue else ''}; {kept}"
        ) from None
    except Exception as exc:  # kernel died, no such kernel, timeout: still one line
        if isinstance(exc, HflineageError):
            raise
        msg = _strip_ansi(str(exc)).strip().splitlines()
        raise NotebookError(
            f"{source.name} could not run: {type(exc).__name__}: {msg[0] if msg else ''}"
            + (f"; {kept}" if out.exists() else "")
        ) from None


def _source_cell(nb: Any, executed_index: int) -> int:
    """The 0-based index, in the chapter's own cells, of papermill's ``cell_index`` (which counts
    the injected-parameters cell that papermill adds after the ``parameters`` cell).
    """
    tagged = [
        i
        for i, c in enumerate(nb.cells)
        if "parameters" in (c.get("metadata", {}).get("tags") or [])
    ]
    if tagged and executed_index > tagged[0] + 1:
        return executed_index - 1
    return executed_index


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


#: Tags that keep a cell's code out of the reader's way (hidden under "show source", or removed).
HIDING_TAGS = frozenset({"hide-input", "hide-cell", "remove-input", "remove-cell"})

#: The :class:`~hflineage.chapter.report.Chapter` methods that only record (bookkeeping).
BOOKKEEPING = frozenset({"number", "record_numbers", "figure", "table", "claim"})


def bookkeeping_only(source: str, chapter: str = "ch") -> bool:
    """Whether a cell's code only records results: every statement a call of
    ``ch.number``/``ch.record_numbers``/``ch.figure``/``ch.table``/``ch.claim``, or a figure is drawn and handed to
    ``ch.figure`` (plotting is bookkeeping too: the reader sees the figure, not its code).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: not ours to judge
        return False
    if not tree.body:
        return False

    def records(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == chapter
            and node.value.func.attr in BOOKKEEPING
        )

    if all(records(n) for n in tree.body):
        return True
    return any(records(n) and n.value.func.attr == "figure" for n in tree.body)


def lint_notebook(path: Path, results_dir: Path | None = None) -> list[str]:
    """What a reader of the rendered chapter would see that the author likely did not mean.

    One line each (cells numbered as in :class:`NotebookError`): a figure cell
    (``mystnb.figure.name``) with several images (the figure was shown twice: returned *and* left
    open for the inline backend; the book then fails with "Duplicate explicit target name"), a
    visible cell that ends in a bare value (a stray ``np.float64(...)`` under the text), output
    on stderr, error outputs, bookkeeping code shown in full (a cell that only records with
    ``ch.number``/``ch.table``/``ch.claim`` or draws a figure for ``ch.figure``, not tagged
    ``hide-input`` or ``remove-cell``), and, when ``results_dir`` is given, the legibility
    checks :meth:`hflineage.chapter.report.Chapter.figure` recorded (text shown below 9 pt,
    overlapping tick labels).
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    name = Path(path).stem
    out = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        i = _source_cell(nb, k)
        tags = cell.get("metadata", {}).get("tags") or []
        if "remove-cell" in tags or "remove-output" in tags or "injected-parameters" in tags:
            continue
        outputs = cell.get("outputs") or []
        label = ((cell.get("metadata", {}).get("mystnb") or {}).get("figure") or {}).get("name")
        images = sum(1 for o in outputs if any(k.startswith("image/") for k in o.get("data", {})))
        if label and images > 1:
            out.append(
                f"{name} cell {i} ({label}) shows {images} images: close the figure after saving "
                "it (plt.close(fig)) so it is displayed once"
            )
        for o in outputs:
            data = o.get("data", {})
            if o.get("output_type") == "execute_result" and set(data) == {"text/plain"}:
                value = data["text/plain"].splitlines()[0][:40] if data["text/plain"] else ""
                out.append(
                    f"{name} cell {i} ends in a bare value shown to readers ({value}): "
                    "assign it or end the line with ';'"
                )
            elif o.get("output_type") == "stream" and o.get("name") == "stderr":
                first = _strip_ansi(o.get("text", "")).strip().splitlines()
                out.append(f"{name} cell {i} writes to stderr: {first[0][:60] if first else ''}")
            elif o.get("output_type") == "error":
                out.append(f"{name} cell {i} shows an error: {o.get('ename')}")
        if not HIDING_TAGS & set(tags) and bookkeeping_only(cell.get("source", "")):
            out.append(
                f"{name} cell {i} shows bookkeeping code (ch.number/ch.table/ch.figure and "
                "plotting): tag it hide-input (output stays, code under 'show source') or "
                "remove-cell"
            )
    if results_dir is not None:
        record = Path(results_dir) / "numbers" / f"{name}.json"
        if record.exists():
            checks = json.loads(record.read_text(encoding="utf-8")).get("checks") or []
            out += [f"{name} {check}" for check in checks]
    return out


# -- the notebook as the book shows it ----------------------------------------------------------


def fold_parameters(nb: Any) -> Any:
    """Fold papermill's injected-parameters cell into the chapter's ``parameters`` cell, so the
    reader meets one parameters block with the values this run used.

    A parameter the run set to another value shows that value, its comment saying so and
    keeping the default and the reason (``window_days = 180  # this run; default 90: the
    paper's window``); an injected name the cell does not have is appended.  The injected cell is
    removed.  ``nb`` is changed in place and returned; a notebook without both cells is left as
    it is.
    """
    tagged = {
        tag: i
        for i, c in enumerate(nb.cells)
        for tag in (c.get("metadata", {}).get("tags") or [])
        if tag in ("parameters", "injected-parameters") and c.get("cell_type") == "code"
    }
    if "parameters" not in tagged or "injected-parameters" not in tagged:
        return nb
    cell = nb.cells[tagged["parameters"]]
    injected = _assignments(nb.cells[tagged["injected-parameters"]].source)
    source = cell.source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return nb
    lines = source.splitlines()
    seen = set()
    nodes = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
    ]
    for node in reversed(nodes):
        name = node.targets[0].id
        seen.add(name)
        if name not in injected:
            continue
        value = injected[name]
        default = ast.get_source_segment(source, node.value) or ""
        if _same_value(default, value):
            continue
        first = lines[node.lineno - 1].encode()
        last = lines[node.end_lineno - 1].encode()
        prefix = first[: node.value.col_offset].decode()
        rest = last[node.value.end_col_offset :].decode().strip()
        reason = rest[1:].strip() if rest.startswith("#") else ""
        shown = re.sub(r",?\s*([\]\)}])", r"\1", re.sub(r"([\[({])\s+", r"\1", default))
        shown = " ".join(shown.split())  # a list written over several lines, on one
        if len(shown) > 40:
            shown = shown[:37] + "..."
        comment = f"  # this run; default {shown}" + (f": {reason}" if reason else "")
        lines[node.lineno - 1 : node.end_lineno] = [prefix + value + comment]
    extra = [f"{k} = {v}  # set by this run" for k, v in injected.items() if k not in seen]
    cell.source = "\n".join(lines + extra)
    del nb.cells[tagged["injected-parameters"]]
    return nb


def _assignments(source: str) -> dict[str, str]:
    """``name -> value source`` of the simple assignments in papermill's injected cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    return {
        n.targets[0].id: ast.get_source_segment(source, n.value) or ""
        for n in tree.body
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
    }


def _same_value(a: str, b: str) -> bool:
    try:
        return ast.literal_eval(a) == ast.literal_eval(b)
    except (ValueError, SyntaxError, TypeError):
        return " ".join(a.split()) == " ".join(b.split())


def stage_notebook(source: Path, target: Path) -> None:
    """Copy an executed chapter into the book's build source as the reader should meet it: one
    parameters block (:func:`fold_parameters`).
    """
    import nbformat

    nb = nbformat.read(source, as_version=4)
    fold_parameters(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
