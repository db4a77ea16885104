"""Running a chapter: no kernel noise on the console; what the book shows of the executed notebook
(one parameters block); the lint of bookkeeping code and of the figures' legibility checks.
"""

from __future__ import annotations

import asyncio
import json

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from test_run import HEADER

from hflineage.publish import execute

TINY = (
    HEADER
    + """
```{code-cell} ipython3
:tags: [parameters]
x = 1
```

```{code-cell} ipython3
y = x + 1
```
"""
)


def test_a_run_prints_nothing_from_the_kernel(tmp_path, capfd):
    source = tmp_path / "09_tiny.md"
    source.write_text(TINY)
    out = tmp_path / "09_tiny.ipynb"
    execute.execute_notebook(source, out, {"x": 2}, cwd=tmp_path)
    captured = capfd.readouterr()  # the kernel writes to our file descriptors directly
    assert "IPKernelApp" not in captured.err and "KeyboardInterrupt" not in captured.err
    assert captured.err.strip() == ""
    nb = nbformat.read(out, as_version=4)
    assert [c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])] == [
        "# Parameters\nx = 2\n"
    ]


@pytest.mark.parametrize(
    ("manager", "interrupted"), [(execute.QuietKernelManager, False), (AsyncKernelManager, True)]
)
def test_shutdown_does_not_interrupt_the_kernel(monkeypatch, manager, interrupted):
    # The "KeyboardInterrupt caught in kernel" line comes from the SIGINT jupyter_client sends
    # before every shutdown; whether it lands while the kernel handles a message is a race, so
    # the test counts the interrupts instead (and shows that the stock manager does send one).
    calls = []
    stock = AsyncKernelManager._async_interrupt_kernel

    async def counting(self):
        calls.append(self.shutting_down)
        await stock(self)

    monkeypatch.setattr(AsyncKernelManager, "_async_interrupt_kernel", counting)

    async def cycle():
        km = manager(kernel_name="python3")
        await km.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        try:
            await km.shutdown_kernel(now=False)
        finally:
            if await km.is_alive():
                await km.shutdown_kernel(now=True)

    asyncio.run(cycle())
    assert bool(calls) is interrupted


def test_bookkeeping_only_cells():
    assert execute.bookkeeping_only("ch.number('n', 5)\nch.number('m', 6, 'x', fmt='d');")
    assert execute.bookkeeping_only("ch.table(df, 'key', caption='A')")
    assert execute.bookkeeping_only("ch.record_numbers(numbers_table)")
    assert not execute.bookkeeping_only("table = network_numbers(graph)\nch.record_numbers(table)")
    assert execute.bookkeeping_only("fig = plot(x)\nch.figure(fig, 'k');")  # plotting for a figure
    assert not execute.bookkeeping_only("result = D.mdi(graph)\nch.table(result, 'k')")
    assert not execute.bookkeeping_only("ch.number('n', compute())\nx = 1")
    assert not execute.bookkeeping_only("%time ch.number('n', 5)")  # a magic: not parsed
    assert not execute.bookkeeping_only("")


def test_lint_flags_untagged_bookkeeping_and_reports_figure_checks(tmp_path):
    cells = [
        new_markdown_cell("# 9. Lint"),
        new_code_cell("ch.number('n', 5)"),
        new_code_cell("ch.number('n', 5)", metadata={"tags": ["hide-input"]}),
        new_code_cell("fig = f()\nch.figure(fig, 'k')", metadata={"tags": ["remove-input"]}),
        new_code_cell("x = compute()\nch.table(x, 't')"),
    ]
    path = tmp_path / "09_lint.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    (tmp_path / "numbers").mkdir()
    (tmp_path / "numbers" / "09_lint.json").write_text(
        json.dumps({"chapter": "09_lint", "checks": ["figure k: 3 text(s) shown below 9 pt"]})
    )
    flagged = (
        "09_lint cell 1 shows bookkeeping code (ch.number/ch.table/ch.figure and plotting): tag "
        "it hide-input (output stays, code under 'show source') or remove-cell"
    )
    assert execute.lint_notebook(path) == [flagged]
    assert execute.lint_notebook(path, tmp_path) == [
        flagged,
        "09_lint figure k: 3 text(s) shown below 9 pt",
    ]


PARAMETERS = """profile = "sample"  # which params/<profile>.yaml produced this run
window_days = 90  # the paper's observation window (P1-window)
variants = [
    "cd",
    "cd_nok",
]  # the variants compared
alpha = 0.05"""

INJECTED = """# Parameters
profile = "ci"
window_days = 90
variants = ["cd"]
results_dir = "results/ci"
"""


def test_fold_parameters_shows_one_block_with_this_runs_values():
    nb = new_notebook(
        cells=[
            new_markdown_cell("## Parameters"),
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            new_code_cell(INJECTED, metadata={"tags": ["injected-parameters"]}),
            new_code_cell("y = 1"),
        ]
    )
    execute.fold_parameters(nb)
    assert [c.source for c in nb.cells[1:]] == [
        'profile = "ci"  # this run; default "sample": which params/<profile>.yaml produced this run\n'
        "window_days = 90  # the paper's observation window (P1-window)\n"  # unchanged value
        'variants = ["cd"]  # this run; default ["cd", "cd_nok"]: the variants compared\n'
        "alpha = 0.05\n"
        'results_dir = "results/ci"  # set by this run',
        "y = 1",
    ]
    again = execute.fold_parameters(nb)  # no injected cell left: nothing to do
    assert len(again.cells) == 3


def test_stage_notebook_writes_the_folded_notebook(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell("a = 1  # a reason", metadata={"tags": ["parameters"]}),
            new_code_cell("# Parameters\na = 2\n", metadata={"tags": ["injected-parameters"]}),
        ]
    )
    nbformat.write(nb, tmp_path / "in.ipynb")
    execute.stage_notebook(tmp_path / "in.ipynb", tmp_path / "book" / "out.ipynb")
    staged = nbformat.read(tmp_path / "book" / "out.ipynb", as_version=4)
    assert [c.source for c in staged.cells] == ["a = 2  # this run; default 1: a reason"]
