"""Model size (number of parameters) for "disruptive positions are more likely among large-scale
models" (claim P1-size).

Where the snapshot has a parameter count (``params``: hub-stats ``safetensors.total``) it is used
as is (``size_source = "data"``).  Otherwise the size is read from the repository name
(``size_source = "name"``), the way people label checkpoints:

- ``7B``, ``7b``, ``1.5b``, ``1.1B``, ``70b``, ``0.5B``  → 7e9, 1.5e9, 1.1e9, 70e9, 0.5e9;
- ``125M``, ``350m``, ``560m``                          → 125e6, 350e6, 560e6;
- ``7b1``, ``1b7`` (BLOOM style)                        → 7.1e9, 1.7e9;
- ``8x7B``, ``8x22b`` (mixture of experts)              → 56e9, 176e9: **experts × expert size**,
  the nominal total.  The true count is smaller because experts share attention and embeddings
  (Mixtral-8x7B has 46.7B parameters, 12.9B active per token); the nominal product keeps every
  MoE in the bin its name suggests and is documented as an upper bound.

A size token is a number directly followed by ``b``/``B`` or ``m``/``M`` and then by a separator
or the end of the name (``-``, ``_``, ``.``, ``/``, space).  The number may follow a letter
(``llama7b``, ``Yi-34B``) but not a digit, a dot or a version ``v``, and has no leading zero.
This rejects ``v2``, ``2024``, ``gpt2``, ``int8``, ``4bit``, ``8bit``, ``4.0bpw``, ``32k``
(context length), ``3T`` (training tokens), ``yolov8m`` and ``Va0309B1``.  What it cannot tell
apart: counts of other things written the same way (``atari_2B`` frames, ``FT-Frisian-10m``
tokens); these are rare and mostly land in the ``<1B`` bin.
Only the part after the owner (``owner/``) is read, and the first size token wins.  Values
outside [1e5, 2e12] are discarded as implausible.

Size bins (:data:`SIZE_BINS`, left-closed): ``<1B`` [0, 1e9), ``1–10B`` [1e9, 1e10),
``10–50B`` [1e10, 5e10), ``>50B`` [5e10, ∞).  A 7B model is in ``1–10B``, a 13B or 34B model in
``10–50B``, a 70B model in ``>50B``.  Models of unknown size get no bin.

Optionally (``edges=...``), a model with no size of its own inherits its parent's
(``size_source = "parent"``) through finetune, adapter and quantized edges: a LoRA of a 7B model
is used with a 7B model.  Merges are not followed (their parents can differ in size).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data.schema import arrow_strings, frame_edge_rows
from ..errors import HflineageError

#: Bin edges in parameters and their labels (left-closed intervals).
SIZE_EDGES = (0.0, 1e9, 1e10, 5e10, np.inf)


SIZE_BINS = ("<1B", "1–10B", "10–50B", ">50B")


#: Plausible parameter counts; parsed values outside are discarded.
SIZE_RANGE = (1e5, 2e12)


#: Relations along which a parent's size is inherited (``inherit=True``).
INHERIT_RELATIONS = ("finetune", "adapter", "quantized")


# a number without a leading zero (except "0.5"): "0309B" is a date, not a size
_NUM = r"(?:0\.\d{1,3}|[1-9]\d{0,3}(?:\.\d{1,3})?)"


# start of a size token: not inside a number ("2024b", "1.5b" at "5b") nor after a version
# letter ("v2b", "yolov8m")
_LEAD = r"(?<!\d)(?<!\d\.)(?<![vV])"


# end of a size token: a separator or the end of the name
_TAIL = r"(?=$|[-_./ ,+)\]])"


SIZE_PATTERN = (
    rf"{_LEAD}(?:(?P<experts>\d{{1,2}})[xX])?"
    rf"(?P<number>{_NUM})(?P<unit>[bBmM])(?P<decimal>\d)?{_TAIL}"
)


#: :data:`SIZE_PATTERN` in RE2 syntax (Arrow, vectorised), which has no look-arounds: the
#: character before the token is matched instead of looked behind (start, a character that is
#: not a digit, ``v`` or ``.``, or a ``.`` after a non-digit), the one after it instead of looked
#: ahead.  The first match starts at the same token, so the groups are the same (checked against
#: :data:`SIZE_PATTERN` on every name of the embedded snapshot).
SIZE_PATTERN_RE2 = (
    r"(?:^|[^0-9vV.]|(?:^|[^0-9])\.)"
    rf"(?:(?P<experts>\d{{1,2}})[xX])?(?P<number>{_NUM})(?P<unit>[bBmM])(?P<decimal>\d)?"
    r"(?:$|[-_./ ,+)\]])"
)


#: Where a model's size comes from (the categories of ``size_source``).
SIZE_SOURCES = ("data", "name", "parent", "none")


def parse_size_from_name(names: pd.Series) -> pd.Series:
    """Parameter count read from model names (``owner/name``; only ``name`` is read), NaN where
    the name has no size token (rules in the module docstring).  Vectorised.
    """
    names = names if isinstance(names, pd.Series) else pd.Series(names, dtype="string")
    arrow = arrow_strings(names)  # no copy of Arrow-backed ids (3 million: 2.4 s as "string")
    repo = pc.replace_substring_regex(arrow, r"^[^/]*/", "", max_replacements=1)
    match = pc.extract_regex(repo, SIZE_PATTERN_RE2)

    def group(name: str) -> pa.Array:  # an optional group that did not take part is ""
        field = pc.struct_field(match, name)
        return pc.if_else(pc.equal(field, ""), pa.scalar(None, field.type), field)

    def floats(values: pa.Array) -> np.ndarray:
        return pc.fill_null(pc.cast(values, pa.float64()), np.nan).to_numpy(zero_copy_only=False)

    number_text, unit = group("number"), pc.utf8_lower(group("unit"))
    number, decimal, experts = (
        floats(number_text),
        floats(group("decimal")),
        floats(group("experts")),
    )
    has_dot = pc.fill_null(pc.match_substring(number_text, "."), False).to_numpy(
        zero_copy_only=False
    )
    # "7b1" = 7.1 billion (only after an integer: "1.5b1" is not a size)
    bloom = ~np.isnan(decimal) & ~has_dot
    number = np.where(bloom, number + decimal / 10, number)
    number = np.where(np.isnan(decimal) | bloom, number, np.nan)
    # the trailing digit is a BLOOM convention for billions only ("28M7" is not a size)
    billions = pc.fill_null(pc.equal(unit, "b"), False).to_numpy(zero_copy_only=False)
    number = np.where(np.isnan(decimal) | billions, number, np.nan)
    millions = pc.fill_null(pc.equal(unit, "m"), False).to_numpy(zero_copy_only=False)
    scale = np.where(billions, 1e9, np.where(millions, 1e6, np.nan))
    size = number * scale * np.where(np.isnan(experts), 1.0, experts)
    lo, hi = SIZE_RANGE
    size = np.where((size >= lo) & (size <= hi), size, np.nan)
    return pd.Series(size, index=names.index, dtype="float64", name="params_from_name")


def size_bin(params: pd.Series) -> pd.Series:
    """Ordered size bins (:data:`SIZE_BINS`) of parameter counts; NaN stays missing."""
    return pd.cut(
        pd.Series(params, dtype="float64"),
        bins=list(SIZE_EDGES),
        labels=list(SIZE_BINS),
        right=False,
    )


def model_size(
    models: pd.DataFrame, edges: pd.DataFrame | None = None, *, inherit: bool = False
) -> pd.DataFrame:
    """Size of every model: ``model_id``, ``params`` (float, NaN when unknown), ``size_source``
    (``data``: the snapshot's parameter count; ``name``: parsed from the repository name;
    ``parent``: inherited, only with ``inherit=True``; ``none``), ``log10_params`` and
    ``size_bin``.  One row per model, in the order of ``models``.

    With ``inherit=True`` (needs ``edges`` from :func:`hflineage.lineage.edges.build_edges`), a model
    without a size takes its parent's through finetune/adapter/quantized edges, repeatedly (a
    quantization of a LoRA of a 7B base is 7B); a model with several such parents of known size
    takes the largest.
    """
    for col in ("model_id",):
        if col not in models.columns:
            raise HflineageError(f"models: missing column {col!r}")
    data = (
        pd.Series(models["params"], dtype="Float64").astype("float64").to_numpy()
        if "params" in models.columns
        else np.full(len(models), np.nan)
    )
    data = np.where(data > 0, data, np.nan)
    from_name = parse_size_from_name(models["model_id"]).to_numpy()
    params = np.where(np.isnan(data), from_name, data)
    # codes of SIZE_SOURCES: data 0, name 1, parent 2, none 3
    source = np.where(~np.isnan(data), 0, np.where(~np.isnan(from_name), 1, 3)).astype(np.int8)
    if inherit:
        if edges is None:
            raise HflineageError("model_size(inherit=True) needs the lineage edges (edges=...)")
        params, source = _inherit(models, edges, params, source)
    out = pd.DataFrame(
        {
            "model_id": models["model_id"].reset_index(drop=True),
            "params": params,
            "size_source": pd.Categorical.from_codes(source, categories=list(SIZE_SOURCES)),
        }
    )
    out["log10_params"] = np.log10(out["params"])
    out["size_bin"] = size_bin(out["params"])
    return out


def _inherit(models, edges, params, source):
    """Fill unknown sizes from parents along :data:`INHERIT_RELATIONS`, level by level."""
    for col in ("child", "parent", "relation", "parent_in_snapshot"):
        if col not in edges.columns:
            raise HflineageError(f"edges: missing column {col!r}")
    use = edges["relation"].isin(INHERIT_RELATIONS).fillna(False) & edges[
        "parent_in_snapshot"
    ].fillna(False)
    if "parent_younger" in edges.columns:
        use &= ~edges["parent_younger"].fillna(False)
    use = use.to_numpy(bool)
    _, child, parent = frame_edge_rows(models, edges)
    child, parent = child[use], parent[use]
    ok = (child >= 0) & (parent >= 0)
    child, parent = child[ok], parent[ok]
    params = params.copy()
    source = source.copy()
    for _ in range(64):  # one pass per generation; lineage chains are far shorter
        need = np.isnan(params[child]) & ~np.isnan(params[parent])
        if not need.any():
            break
        got = pd.Series(params[parent[need]]).groupby(child[need]).max()
        params[got.index.to_numpy()] = got.to_numpy()
        source[got.index.to_numpy()] = SIZE_SOURCES.index("parent")
    return params, source
