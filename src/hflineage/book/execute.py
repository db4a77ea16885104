"""Execute one chapter with papermill and lint what a reader would see by mistake (a figure shown
twice, bare values, stderr, errors).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..errors import HflineageError
from ..files import display_path


class NotebookError(HflineageError):
    """A chapter notebook failed to execute (names the notebook and the cell)."""


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


def lint_notebook(path: Path) -> list[str]:
    """What a reader of the rendered chapter would see that the author likely did not mean.

    One line each (cells numbered as in :class:`NotebookError`): a figure cell (``mystnb.figure.name``) with several images (the figure was
    shown twice: returned *and* left open for the inline backend; the book then fails with
    "Duplicate explicit target name"), a visible cell that ends in a bare value (a stray
    ``np.float64(...)`` under the text), output on stderr, and error outputs.
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
    return out
