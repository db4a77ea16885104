"""What the synthetic Hub is calibrated to (:data:`CALIBRATION`) and how its derivatives pick
their bases (:data:`ATTACHMENT`); benchmarks and tests only, never results.

Calibration (:data:`CALIBRATION`): the figures published for today's ``models.parquet`` (an
analysis of 2025-10-23, 2,161,698 models):

* ``baseModels`` populated for 28.1% of models; relations adapter 42.6%, finetune 35.9%,
  quantized 19.2%, merge 2.3% (a merge declares 2 or more parents, every other relation one);
* ``safetensors.total`` for 23.4% of models: median 0.76B parameters, 75th percentile 6.7B,
  maximum 685B (a log-normal through the median and the 75th percentile, cut at the maximum);
* ``downloads`` (last 30 days) > 0 for 35.5%, ``downloadsAllTime`` > 0 for 59.7%.

From the embedded 2024-07-11 listing (760,000 models): growth of the Hub (760,000 models on
2024-07-11 and 2,161,698 on 2025-10-23 give an exponential rate of 0.00223 per day, a doubling
every 311 days; creation dates grow at that rate from 2022-03-03 to ``snapshot_date``), the
share of models with likes (9.4%), the 2022-03-02 23:29 back-filled dates of legacy repos (29,990,
held at about 1% of today's Hub), and the **attachment kernel** (:data:`ATTACHMENT`) that decides
which earlier model a derivative declares as its base: each model is *eligible* as a base with a
small probability and then has a Pareto-distributed attractiveness; a derivative picks an earlier
eligible model with probability proportional to its attractiveness, either uniformly over the past
or discounted by an exponential in the time since its creation.  Its parameters were fitted by
``benchmarks/fit_synthetic.py`` to the embedded snapshot's in-degree distribution and
parent-to-child delays (the figures they reproduce are in :data:`ATTACHMENT`'s comment).

Other choices (assumptions, stated so nobody mistakes them for findings): markers of the
relation (``peft`` library, ``lora``/``gguf``/``merge`` tags, ``-GGUF``/``-4bit`` names) follow
the declared relation most of the time, so the inference rules agree with it on most but not all
edges; 85% of derivatives also carry the Hub's ``base_model:`` tags, 95% state the base in their
card, 40% state the relation there; 1% of models declare a base that no longer exists on the Hub
(an unresolved parent); parameter counts are independent of the lineage.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Default size: about today's Hub (2,161,698 models on 2025-10-23, growing 0.223% a day).
DEFAULT_MODELS = 3_000_000


#: Default snapshot day: when the Hub reaches 3 million models at the calibrated growth rate
#: (2025-10-23 + ln(3,000,000 / 2,161,698) / 0.00223 days).
DEFAULT_SNAPSHOT_DATE = "2026-03-19"


#: First reliable creation date on the Hub (the ``createdAt`` field starts on 2022-03-02).
FIRST_DATE = "2022-03-03"


#: The back-filled creation time of legacy repos (see :data:`hflineage.data.schema.BACKFILL_START`).
BACKFILL_TIME = "2022-03-02 23:29:04"


RELATIONS_ORDER = ("adapter", "finetune", "quantized", "merge")


@dataclass(frozen=True)
class Calibration:
    """Shares and distributions the generator reproduces (figures in the module docstring)."""

    with_base: float = 0.281  #: share of models with ``baseModels`` (a resolved parent)
    relation_shares: tuple[float, float, float, float] = (0.426, 0.359, 0.192, 0.023)
    with_safetensors: float = 0.234  #: share with ``safetensors.total``
    params_median: float = 0.76e9  #: median ``safetensors.total``
    params_p75: float = 6.7e9  #: 75th percentile
    params_max: float = 685e9  #: largest model
    downloads_positive: float = 0.355  #: share with downloads (last 30 days) > 0
    downloads_all_time_positive: float = 0.597  #: share with all-time downloads > 0
    likes_positive: float = 0.094  #: share with likes > 0 (embedded snapshot: 71,229 / 760,000)
    growth_per_day: float = 0.00223  #: ln(2,161,698 / 760,000) / 469 days
    backfilled: float = 0.01  #: share with the 2022-03-02 back-filled date
    ghost_parent: float = 0.01  #: share declaring (in the card only) a base that no longer exists
    base_tags: float = 0.85  #: derivatives that carry ``base_model:`` tags
    card_base: float = 0.95  #: derivatives whose card states ``base_model``
    card_relation: float = 0.40  #: derivatives whose card states ``base_model_relation``
    merge_extra_parents: float = 0.30  #: a merge has 2 + Geometric(1 - this) parents


CALIBRATION = Calibration()


@dataclass(frozen=True)
class Attachment:
    """Which earlier model a derivative declares as its base (module docstring).

    Fitted by ``benchmarks/fit_synthetic.py`` on the embedded snapshot (its own creation times,
    the 116,468 models that declare a base there and their parent counts; 121,675 timed edges).
    Medians of five fresh draws against the embedded figures (synthetic / embedded): distinct
    parents 10,863 / 12,105; in-degree median 2 / 2, 90th percentile 12 / 9, 99th 101 / 137,
    99.9th 977 / 1,230, maximum 10,150 / 5,239 (one draw from a heavy tail); days from a parent's
    creation to its child's: 25th percentile 20 / 21, median 64 / 86, 75th 220 / 233; share of
    edges whose parent itself declares a base 8.2% / 12.6%; share of edges to back-filled legacy
    parents 28.2% / 28.8%.
    """

    eligible: float = 0.0196  #: probability that a model can be chosen as a base at all
    pareto_alpha: float = 1.003  #: tail index of the attractiveness of eligible models
    child_weight: float = 0.896  #: eligibility of a derivative relative to an original model
    backfill_weight: float = 9.33  #: attractiveness multiplier of back-filled legacy repos
    recency_days: float = 25.2  #: time scale of the recency discount (days)
    recency_share: float = 0.278  #: share of derivatives that pick with the recency discount


ATTACHMENT = Attachment()


#: Eligibility of a derivative as a base, by its relation, relative to ``child_weight``: a
#: quantized file is almost never finetuned again, an adapter rarely.  Scaled so that their mean
#: over the relation shares is 1 (the fit sees derivatives of every relation together).
RELATION_BASE_WEIGHT = {"adapter": 0.3, "finetune": 1.0, "quantized": 0.05, "merge": 1.5}
