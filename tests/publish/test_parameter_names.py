"""One meaning per parameter name across chapters, and profile aliases."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hflineage.config import REPO_ROOT
from hflineage.errors import ParameterError
from hflineage.publish.profiles import (
    Profile,
    find_notebooks,
    load_profile,
    notebook_parameters,
    parameter_clashes,
    plan_parameters,
)

HEADER = "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n---\n"


def write_chapter(folder: Path, name: str, parameters: str) -> Path:
    path = folder / f"{name}.md"
    body = (
        "```{code-cell} ipython3\n:tags: [parameters]\n\n" + textwrap.dedent(parameters) + "```\n"
    )
    path.write_text(HEADER + body)
    return path


@pytest.fixture
def planted(tmp_path: Path) -> list[Path]:
    """Two chapters that share `windows` with different meanings (a list of days for one, one
    window length for the other), `large` with one meaning, and `top_n` with two defaults.
    """
    nb = tmp_path / "notebooks"
    nb.mkdir()
    return [
        write_chapter(
            nb,
            "03_mdi",
            "windows = [30, 90]  # MDI windows (days)\nlarge = 1e10  # large model\ntop_n = 12  # rows\n",
        ),
        write_chapter(
            nb,
            "06_robustness",
            "windows = 7  # congestion window (days)\nlarge = 1e10  # large model, as in 3\n"
            "top_n = 15  # rows\n",
        ),
    ]


def test_book_chapters_give_each_parameter_name_one_meaning():
    declared = {p.stem: notebook_parameters(p) for p in find_notebooks(REPO_ROOT)}
    clashes = parameter_clashes(declared)
    assert not clashes, {name: [(q.chapter, q.default) for q in qs] for name, qs in clashes.items()}


def test_planted_clash_is_found(planted):
    declared = {p.stem: notebook_parameters(p) for p in planted}
    clashes = parameter_clashes(declared)
    assert sorted(clashes) == ["top_n", "windows"]  # `large`: same type, same default
    assert [(q.chapter, q.default) for q in clashes["windows"]] == [
        ("03_mdi", [30, 90]),
        ("06_robustness", 7),
    ]


def test_p_on_an_ambiguous_name_is_refused_naming_the_chapters(planted):
    prof = Profile("ci", planted[0].parents[1] / "params" / "ci.yaml")
    with pytest.raises(ParameterError) as err:
        plan_parameters(prof, planted, {"windows": [7, 30]})
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("-p windows: 'windows' means different things in 03_mdi (list [30, 90])")
    assert "06_robustness (int 7)" in msg and "-p 03_mdi.windows=" in msg
    # one chapter's, named: allowed
    plan = plan_parameters(prof, planted, {"06_robustness.windows": 30})
    assert plan == {"03_mdi": {}, "06_robustness": {"windows": 30}}
    # one chapter selected: not ambiguous
    assert plan_parameters(prof, planted[:1], {"windows": [7]}) == {"03_mdi": {"windows": [7]}}
    # a shared name with one meaning still sets both
    both = plan_parameters(prof, planted, {"large": 2e10})
    assert both == {"03_mdi": {"large": 2e10}, "06_robustness": {"large": 2e10}}


def test_sample_is_an_alias_of_embedded():
    sample, embedded = load_profile("sample"), load_profile("embedded")
    assert sample.name == "sample" and sample.canonical == "embedded"
    assert sample.alias_of == "embedded" and embedded.alias_of is None
    assert (sample.snapshot, sample.slice, sample.chapters) == (
        embedded.snapshot,
        embedded.slice,
        embedded.chapters,
    )
    assert sample.path == embedded.path  # the parameters come from params/embedded.yaml


def test_alias_of_an_unknown_profile_is_one_line(tmp_path):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "old.yaml").write_text("profile: old\nalias_of: nowhere\n")
    with pytest.raises(ParameterError, match=r"alias_of 'nowhere' is not another profile"):
        load_profile("old", tmp_path)
    (tmp_path / "params" / "old.yaml").write_text("profile: old\nalias_of: old2\nsnapshot: x\n")
    with pytest.raises(ParameterError, match=r"an alias has only 'alias_of' and 'description'"):
        load_profile("old", tmp_path)
