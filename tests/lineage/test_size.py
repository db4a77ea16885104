"""Model size: parsing parameter counts from repository names, the data-first rule, bins, and
inheritance along lineage edges."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hflineage.errors import HflineageError
from hflineage.lineage.size import SIZE_BINS, model_size, parse_size_from_name, size_bin

# name -> parameters expected (None: no size in the name), worked out by reading the name
NAMES = {
    "meta-llama/Llama-2-7b-hf": 7e9,
    "meta-llama/Meta-Llama-3-70B-Instruct": 70e9,
    "Qwen/Qwen2-1.5B": 1.5e9,
    "Qwen/Qwen1.5-0.5B-Chat": 0.5e9,  # "1.5" is a version, followed by "-", not a unit
    "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T": 1.1e9,  # first token; 3T = tokens
    "EleutherAI/gpt-neo-125M": 125e6,
    "facebook/opt-350m": 350e6,
    "facebook/opt-6.7b": 6.7e9,
    "EleutherAI/pythia-70m-deduped": 70e6,
    "bigscience/bloom-560m": 560e6,
    "bigscience/bloom-7b1": 7.1e9,  # BLOOM's "7b1" = 7.1B
    "bigscience/bloom-1b7": 1.7e9,
    "mistralai/Mixtral-8x7B-v0.1": 56e9,  # MoE: experts x size (nominal, not 46.7B)
    "mistralai/Mixtral-8x22B-Instruct-v0.1": 176e9,
    "someone/frankenmoe-2x7b": 14e9,
    "01-ai/Yi-34B": 34e9,
    "upstage/SOLAR-10.7B-Instruct-v1.0": 10.7e9,
    "EleutherAI/gpt-j-6b": 6e9,
    "lmsys/vicuna7b-delta": 7e9,  # after a letter
    "someone/Llama-3-8B_instruct": 8e9,  # underscore after the unit
    "someone/Model.7B.gguf": 7e9,  # a dot before the number, not a decimal point
    "LoneStriker/Kyllene-34B-v1.1-4.0bpw-h6-exl2": 34e9,  # 4.0bpw is not a size
    "BigDataTCM/BigDataTCM-34B-chat-4bits": 34e9,
    "someone/llama-13b-4bit": 13e9,
    "TheBloke/Llama-2-70B-chat-GPTQ": 70e9,
    "x/1.5b": 1.5e9,
    "x/350M": 350e6,
    # no size in the name
    "openai-community/gpt2": None,
    "google-bert/bert-base-uncased": None,
    "someone/model-v2": None,
    "someone/model-2024": None,
    "someone/llama-4bit": None,
    "someone/llama-8bit-int8": None,
    "someone/gpt2-medium": None,
    "microsoft/Phi-3-mini-4k-instruct": None,  # 4k = context length
    "someone/model-32k": None,
    "keremberke/yolov8m-table-extraction": None,  # v8m: version + letter
    "someone/model-v2b": None,
    "Litzy619/Va0309B1": None,  # leading zero: a date
    "someone/Experiment28M7_merge": None,  # trailing digit only for billions
    "someone/2024b": None,  # 2.024e12 > plausible range
    "someone/q4_k_m": None,
    "7B/no-size-in-repo-part": None,  # only the name after the owner is read
    "someone/llama7bit": None,
}


def test_names_parse_to_hand_read_sizes():
    names = pd.Series(list(NAMES))
    got = parse_size_from_name(names)
    for name, value in zip(names, got, strict=True):
        expected = NAMES[name]
        if expected is None:
            assert math.isnan(value), f"{name}: expected no size, got {value:g}"
        else:
            assert value == pytest.approx(expected, rel=1e-9), name


def test_bins_are_left_closed_with_documented_edges():
    params = pd.Series([5e8, 1e9, 7e9, 1e10, 13e9, 4.99e10, 5e10, 70e9, np.nan])
    got = size_bin(params).astype(object).tolist()
    assert got[:-1] == ["<1B", "1–10B", "1–10B", "10–50B", "10–50B", "10–50B", ">50B", ">50B"]
    assert pd.isna(got[-1])
    assert list(size_bin(params).cat.categories) == list(SIZE_BINS)


def test_model_size_prefers_the_data_and_says_where_each_size_came_from():
    models = pd.DataFrame(
        {
            "model_id": ["a/Llama-2-7b-x", "b/mistral-7b", "c/bert-base", "d/opt-125m"],
            "params": pd.array([6.74e9, pd.NA, pd.NA, 0], dtype="Float64"),
        }
    )
    out = model_size(models)
    assert out["params"].tolist()[:2] == [6.74e9, 7e9]
    assert math.isnan(out["params"][2])
    # a zero parameter count in the data means unknown: fall back to the name
    assert out["params"][3] == 125e6
    assert out["size_source"].astype(str).tolist() == ["data", "name", "none", "name"]
    bins = out["size_bin"].astype(object).tolist()
    assert bins[:2] == ["1–10B", "1–10B"] and pd.isna(bins[2]) and bins[3] == "<1B"
    np.testing.assert_allclose(out["log10_params"][1], math.log10(7e9))


def test_inherit_follows_finetune_adapter_quantized_but_not_merge():
    # base (7B by name) <- ft (finetune, no size) <- q (quantized, no size)
    # base <- lora (adapter); base + other(13B) <- merged (merge edges: not followed)
    models = pd.DataFrame(
        {"model_id": ["o/base-7b", "o/other-13b", "u/ft", "u/q", "u/lora", "u/merged", "u/solo"]}
    )
    edges = pd.DataFrame(
        {
            "child": ["u/ft", "u/q", "u/lora", "u/merged", "u/merged", "u/solo"],
            "parent": ["o/base-7b", "u/ft", "o/base-7b", "o/base-7b", "o/other-13b", "x/ghost"],
            "relation": ["finetune", "quantized", "adapter", "merge", "merge", "finetune"],
            "parent_in_snapshot": [True, True, True, True, True, False],
            "parent_younger": [False] * 6,
        }
    )
    plain = model_size(models)
    assert plain["size_source"].astype(str).tolist()[2:] == ["none"] * 5
    out = model_size(models, edges, inherit=True).set_index("model_id")
    assert out.loc["u/ft", "params"] == 7e9 and out.loc["u/ft", "size_source"] == "parent"
    assert out.loc["u/q", "params"] == 7e9  # two generations
    assert out.loc["u/lora", "params"] == 7e9
    assert math.isnan(out.loc["u/merged", "params"])
    assert out.loc["u/solo", "size_source"] == "none"
    with pytest.raises(HflineageError, match="needs the lineage edges"):
        model_size(models, inherit=True)


def test_a_trailing_digit_after_a_decimal_is_not_bloom_style_among_other_names():
    # with names without any size in the same column the parsed columns held NaN, and the
    # "only after an integer" check negated Python booleans (~True == -2, truthy): lrate7.5b4
    # read as 7.9B.  Real names of the embedded snapshot.
    names = pd.Series(
        [
            "Tommert25/robbert0410_lrate7.5b4",  # a learning rate, not a size
            "Manirajan/interview_qwen2_1.5b2",  # 1.5b + a run number
            "bigscience/bloom-7b1",  # BLOOM style: 7.1B
            "org/no-size-here",
            "org/another",
        ]
    )
    got = parse_size_from_name(names).tolist()
    assert got[2] == 7.1e9
    assert [math.isnan(v) for v in (got[0], got[1], got[3], got[4])] == [True] * 4


def test_re2_pattern_finds_the_same_groups_as_the_look_around_pattern():
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    from hflineage.lineage.size import SIZE_PATTERN, SIZE_PATTERN_RE2

    tricky = [
        "v2b-chat",
        "yolov8m",
        "a.7b-x",
        "7.7b",
        "x7.7b",
        "1.5b1",
        "2024b",
        "llama7b",
        "Yi-34B",
        "8x7B-moe",
        "8X22b",
        "mixtral-8x7b-4.0bpw",
        "m-0.5B",
        "0309B1",
        "t.5b",
        "q1.58bit",
        "phi-2.7b1",
        "bloom-7b1",
        "foo-13b-bar-7b",
        "a-125M)",
        "b-350m]",
        "c-7b,d",
        "7b",
        "x-7bz",
        "lrate7.5b4",
        "1b7",
        "28M7",
        "v7b",
        "V7B",
        ".7b",
        "..7b",
        "9.7b",
        "a9.7b",
        "gpt-neo-2.7B1",
    ]
    found = pc.extract_regex(pa.array(tricky, pa.large_string()), SIZE_PATTERN_RE2)
    for i, name in enumerate(tricky):
        m = re.search(SIZE_PATTERN, name)
        want = (
            None
            if m is None
            else tuple(m.group(g) or "" for g in ("experts", "number", "unit", "decimal"))
        )
        row = found[i].as_py()
        got = (
            None if row is None else tuple(row[g] for g in ("experts", "number", "unit", "decimal"))
        )
        assert got == want, name
