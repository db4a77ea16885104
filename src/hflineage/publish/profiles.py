"""Run profiles (``params/<name>.yaml``) and the chapters' ``parameters`` cells: the one source of
every notebook default, the overrides a user passes with ``-p``, and their checks.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import REPO_ROOT, notebooks_dir, params_dir
from ..errors import HflineageError, ParameterError
from ..files import display_path

#: Parameters the pipeline sets in every chapter; a ``-p`` override may set only ``snapshot``.
INJECTED = ("profile", "snapshot", "results_dir")


#: Top-level keys a ``params/<profile>.yaml`` may have.
PROFILE_KEYS = ("profile", "snapshot", "slice", "chapters", "description", "alias_of")

#: The profile ``hflineage run`` / ``make book`` use when none is named.
DEFAULT_PROFILE = "embedded"


CHAPTER_RE = re.compile(r"^\d\d_[A-Za-z0-9_]+$")


@dataclass
class Profile:
    """A run profile, read from ``params/<name>.yaml``."""

    name: str
    path: Path
    snapshot: str | None = None
    slice: dict[str, Any] | None = None
    chapters: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    alias_of: str | None = None

    @property
    def canonical(self) -> str:
        """The profile this name stands for (``sample`` -> ``embedded``); its own name otherwise."""
        return self.alias_of or self.name


def available_profiles(root: Path | None = None) -> list[str]:
    """Names of the profiles in ``params/`` (one per ``<name>.yaml``)."""
    root = Path(root or REPO_ROOT)
    return sorted(p.stem for p in params_dir(root).glob("*.yaml"))


def load_profile(name: str, root: Path | None = None) -> Profile:
    """Read and check ``params/<name>.yaml``; unknown names or keys raise :class:`ParameterError`."""
    root = Path(root or REPO_ROOT)
    names = available_profiles(root)
    if name not in names:
        raise ParameterError(
            f"unknown profile {name!r}; expected one of: {', '.join(names) or '(none in params/)'}"
        )
    path = params_dir(root) / f"{name}.yaml"
    rel = display_path(path, root)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise ParameterError(f"{rel}: not valid YAML ({first})") from None
    if not isinstance(raw, dict):
        raise ParameterError(f"{rel}: expected a mapping of keys, found {type(raw).__name__}")
    unknown = sorted(set(raw) - set(PROFILE_KEYS))
    if unknown:
        raise ParameterError(
            f"{rel}: unknown key {unknown[0]!r}; expected keys: {', '.join(PROFILE_KEYS)}"
        )
    if raw.get("profile", name) != name:
        raise ParameterError(f"{rel}: says profile {raw['profile']!r}, expected {name!r}")
    if raw.get("alias_of") is not None:
        return _alias(name, raw, rel, names, root)
    chapters = raw.get("chapters") or {}
    if not isinstance(chapters, dict) or not all(isinstance(v, dict) for v in chapters.values()):
        raise ParameterError(f"{rel}: 'chapters' must map NN_name to {{parameter: value}}")
    slice_ = raw.get("slice")
    if slice_ is not None:
        roots = slice_.get("roots") if isinstance(slice_, dict) else None
        if not roots or not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
            raise ParameterError(f"{rel}: 'slice.roots' must be a non-empty list of model ids")
        if raw.get("snapshot") is not None:
            raise ParameterError(
                f"{rel}: give either 'snapshot' or 'slice' (a slice names its source itself)"
            )
    return Profile(
        name=name,
        path=path,
        snapshot=raw.get("snapshot"),
        slice=slice_,
        chapters={str(k): dict(v) for k, v in chapters.items()},
        description=str(raw.get("description") or ""),
    )


def _alias(name: str, raw: dict[str, Any], rel: str, names: list[str], root: Path) -> Profile:
    """A profile file that only says ``alias_of: <other>``: the other profile under this name
    (results still go to ``results/<this name>``, so runs made under the old name stay where
    they were).
    """
    target = raw["alias_of"]
    extra = sorted(set(raw) - {"profile", "description", "alias_of"})
    if extra:
        raise ParameterError(
            f"{rel}: an alias has only 'alias_of' and 'description'; found {extra[0]!r}"
        )
    if target not in names or target == name:
        raise ParameterError(
            f"{rel}: alias_of {target!r} is not another profile; expected one of: "
            + ", ".join(n for n in names if n != name)
        )
    other = load_profile(target, root)
    if other.alias_of:
        raise ParameterError(f"{rel}: alias_of {target!r} is itself an alias of {other.alias_of!r}")
    return dataclasses.replace(other, name=name, alias_of=target)


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment of a chapter's ``parameters`` cell: name, default, and its comment."""

    chapter: str
    name: str
    default: Any
    source: str
    comment: str


def notebook_parameters(path: Path) -> list[NotebookParameter]:
    """The assignments of the cell tagged ``parameters`` in a jupytext notebook, in order.

    ``default`` is the literal value (or the source text when it is not a literal); ``comment``
    is the line's trailing ``# ...`` comment, which the book shows as the parameter's reason.
    """
    import jupytext

    path = Path(path)
    nb = jupytext.read(path)
    cells = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "parameters" in (c.get("metadata", {}).get("tags") or [])
    ]
    if not cells:
        raise ParameterError(
            f"{path}: no code cell tagged 'parameters' (see notebooks/README.md for the template)"
        )
    source = cells[0].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(
            f"{path}: parameters cell line {exc.lineno}: {exc.msg} (expected `name = value  # why`)"
        ) from None
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    params = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        text = ast.get_source_segment(source, value) or ""
        try:
            default = ast.literal_eval(value)
        except ValueError:
            default = text
        lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        comment = " ".join(comments[i] for i in lines if i in comments)
        params.append(NotebookParameter(path.stem, target.id, default, text, comment))
    return params


def parse_value(text: str) -> Any:
    """A ``-p key=value`` value, typed as YAML types it: ``180`` → int, ``0.5`` → float,
    ``true`` → bool, ``null`` → None, ``[a, b]`` → list; anything else stays a string.
    """
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, dt.date | dt.datetime):
        return text
    return value


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key=value`` (or ``NN_chapter.key=value``) into the key and its typed value."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ParameterError(f"-p {text!r}: expected key=value, e.g. -p window_days=180")
    return key, parse_value(value.strip())


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``-p`` arguments as a dict (a later repetition of a key wins)."""
    return dict(parse_override(item) for item in items or [])


def coerce(value: Any, default: Any, name: str = "value") -> Any:
    """Match an override's type to the parameter's default where that is unambiguous:
    an int for a float parameter becomes a float; a number for a string parameter becomes a
    string (``-p label=2024`` stays ``"2024"``).  Text for a number or yes/no parameter is a
    :class:`ParameterError` before anything runs (not a traceback deep inside a chapter).
    """
    if isinstance(value, str) and isinstance(default, bool):
        raise ParameterError(f"-p {name}={value}: expected true or false (default {default})")
    if isinstance(value, str) and isinstance(default, int | float):
        raise ParameterError(f"-p {name}={value}: expected a number like the default {default!r}")
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, str) and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def find_notebooks(root: Path | None = None, only: list[str] | None = None) -> list[Path]:
    """The chapter notebooks ``notebooks/NN_*.md`` in order; ``only`` selects some by name
    (``03_mdi``, ``03`` or ``03_mdi.md`` all work).
    """
    root = Path(root or REPO_ROOT)
    found = sorted(
        p for p in notebooks_dir(root).glob("[0-9][0-9]_*.md") if CHAPTER_RE.match(p.stem)
    )
    if not found:
        raise HflineageError(
            f"{display_path(root / 'notebooks', root)}: no chapter notebooks NN_*.md"
        )
    if not only:
        return found
    chosen = []
    for want in only:
        stem = Path(want).stem if want.endswith(".md") else want
        hits = [p for p in found if p.stem == stem or p.stem.split("_", 1)[0] == stem]
        if not hits:
            raise ParameterError(
                f"--only {want!r}: no such chapter; expected one of: "
                + ", ".join(p.stem for p in found)
            )
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen)


def parameter_clashes(
    declared: dict[str, list[NotebookParameter]],
) -> dict[str, list[NotebookParameter]]:
    """Parameter names that two or more chapters declare with different meanings.

    One name means one thing across the book, so that ``-p name=value`` sets one thing: chapters
    that share a name must give it the same type and the same default (the comment, the reason,
    may be worded for each chapter). Returns ``{name: [the declarations]}`` for each name that
    breaks this; the pipeline's own ``profile``, ``snapshot`` and ``results_dir`` are exempt.
    """
    by_name: dict[str, list[NotebookParameter]] = {}
    for params in declared.values():
        for q in params:
            if q.name not in INJECTED:
                by_name.setdefault(q.name, []).append(q)
    return {
        name: qs
        for name, qs in sorted(by_name.items())
        if len({(type(q.default).__name__, repr(q.default)) for q in qs}) > 1
    }


def describe_clash(name: str, qs: list[NotebookParameter]) -> str:
    """One line naming the chapters that declare ``name`` and what each means by it."""
    parts = [f"{q.chapter} ({type(q.default).__name__} {q.default!r})" for q in qs]
    return f"{name!r} means different things in " + ", ".join(parts)


def plan_parameters(
    profile: Profile,
    notebooks: list[Path],
    overrides: dict[str, Any] | None = None,
    *,
    declared: dict[str, list[NotebookParameter]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The non-injected parameters each chapter receives: profile overrides, then ``-p``.

    A ``-p key=value`` applies to every selected chapter that declares ``key``;
    ``-p NN_name.key=value`` to that chapter only.  A key no selected chapter declares, a profile
    override of a parameter its chapter does not declare, and an attempt to set ``profile`` or
    ``results_dir`` raise :class:`ParameterError` before anything runs.
    """
    overrides = dict(overrides or {})
    names = [p.stem for p in notebooks]
    if declared is None:
        declared = {p.stem: notebook_parameters(p) for p in notebooks}
    defaults = {ch: {q.name: q.default for q in declared[ch]} for ch in names}
    plan: dict[str, dict[str, Any]] = {ch: {} for ch in names}
    rel = display_path(profile.path, profile.path.parents[1])
    for ch, values in profile.chapters.items():
        if ch not in plan:
            continue  # a chapter not selected (or not written yet)
        for key, value in values.items():
            if key in INJECTED:
                raise ParameterError(f"{rel}: chapters.{ch}.{key} is set by the pipeline")
            if key not in defaults[ch]:
                raise ParameterError(
                    f"{rel}: chapters.{ch}.{key}: {ch} has no parameter {key!r}; it has: "
                    + ", ".join(k for k in defaults[ch] if k not in INJECTED)
                )
            plan[ch][key] = value
    for key, value in overrides.items():
        chapter, dot, name = key.rpartition(".")
        if dot and chapter not in plan:
            raise ParameterError(
                f"-p {key}: chapter {chapter!r} is not selected; selected: {', '.join(names)}"
            )
        if name in ("profile", "results_dir"):
            raise ParameterError(f"-p {key}: {name} is set by --profile, not by -p")
        targets = [chapter] if dot else names
        hits = [ch for ch in targets if name in defaults[ch]]
        clash = parameter_clashes({ch: [q for q in declared[ch] if q.name == name] for ch in hits})
        if not dot and clash:
            raise ParameterError(
                f"-p {key}: {describe_clash(name, clash[name])}; set one chapter's with "
                f"-p {hits[0]}.{name}=..."
            )
        if not hits:
            where = chapter if dot else "any selected chapter"
            known = sorted({k for ch in targets for k in defaults[ch] if k not in INJECTED})
            raise ParameterError(
                f"-p {key}: {where} has no parameter {name!r}; known: {', '.join(known)}"
            )
        for ch in hits:
            plan[ch][name] = coerce(value, defaults[ch][name], name)
    return plan
