"""The words a synthetic Hub is made of: root libraries and tasks, name stems and markers,
licences (benchmarks and tests only).
"""

from __future__ import annotations

#: Libraries and tasks of original models (rounded from the embedded snapshot; None = no tag).
ROOT_LIBRARIES = (
    ("transformers", 0.46),
    (None, 0.33),
    ("diffusers", 0.04),
    ("stable-baselines3", 0.02),
    ("sentence-transformers", 0.02),
    ("ml-agents", 0.01),
    ("timm", 0.01),
    ("keras", 0.01),
    ("pytorch", 0.01),
    ("gguf", 0.03),
    ("mlx", 0.01),
    ("onnx", 0.05),
)

ROOT_TASKS = (
    ("text-generation", 0.20),
    (None, 0.35),
    ("text-classification", 0.09),
    ("reinforcement-learning", 0.06),
    ("text2text-generation", 0.04),
    ("text-to-image", 0.05),
    ("token-classification", 0.03),
    ("automatic-speech-recognition", 0.03),
    ("image-classification", 0.03),
    ("fill-mask", 0.02),
    ("feature-extraction", 0.04),
    ("image-text-to-text", 0.03),
    ("sentence-similarity", 0.03),
)

#: Name stems (some with a size token, as real names have).
STEMS = (
    "llama-3-8b",
    "llama-2-7b",
    "llama-3.1-70b",
    "mistral-7b",
    "mixtral-8x7b",
    "qwen2.5-7b",
    "qwen2.5-0.5b",
    "qwen3-32b",
    "gemma-2-9b",
    "gemma-2b",
    "phi-3-mini",
    "tinyllama-1.1b",
    "bert-base-uncased",
    "roberta-large",
    "distilbert",
    "t5-small",
    "whisper-small",
    "wav2vec2-base",
    "vit-base",
    "sdxl",
    "flux-dev",
    "deepseek-r1-distill-14b",
    "smollm-135m",
    "ppo-lunarlander",
    "my-model",
)

#: Name marker of each relation (the inference rules read names) and the share that carries it.
NAME_MARKERS = {
    "adapter": (("-lora", "-adapter", "-qlora"), 0.5),
    "finetune": (("-ft", "-instruct", "-sft", "-dpo", "-4bit"), 0.6),
    "quantized": (("-GGUF", "-4bit", "-AWQ", "-GPTQ", "-8bit", "-Q4_K_M-GGUF"), 0.85),
    "merge": (("-merge", "-slerp", "-ties"), 0.6),
}

LICENSES = ("apache-2.0", "mit", "llama3", "other", "cc-by-4.0", "openrail", "gemma")
