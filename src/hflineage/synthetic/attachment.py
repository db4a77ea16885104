"""How the synthetic lineage is drawn: creation times that grow at the Hub's rate, each
derivative's relation and number of parents, and the attachment kernel that picks its bases
(shared by the generator, the ageing and ``benchmarks/fit_synthetic.py``).
"""

from __future__ import annotations

import numpy as np

from ..data.schema import unique_sorted
from ..errors import ParameterError
from .calibration import (
    ATTACHMENT,
    RELATION_BASE_WEIGHT,
    RELATIONS_ORDER,
    Attachment,
    Calibration,
)


def derivative_eligible(
    relation: np.ndarray, rng: np.random.Generator, attachment: Attachment, cal: Calibration
) -> np.ndarray:
    """Per model with a relation (index into :data:`RELATIONS_ORDER`, -1 for an original):
    whether it may be chosen as a base (:data:`RELATION_BASE_WEIGHT` times ``child_weight``).
    """
    weights = np.array([RELATION_BASE_WEIGHT[r] for r in RELATIONS_ORDER])
    shares = np.asarray(cal.relation_shares) / np.sum(cal.relation_shares)
    weights = weights / float(weights @ shares)
    p = attachment.child_weight * weights[np.maximum(relation, 0)]
    return rng.random(len(relation)) < p


def attach_parents(
    times_days: np.ndarray,
    n_parents: np.ndarray,
    weight: np.ndarray,
    rng: np.random.Generator,
    attachment: Attachment = ATTACHMENT,
    rounds: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the bases of every derivative: (child, parent) positions, parent earlier than child.

    ``times_days`` must be ascending (positions are time order); model ``i`` gets up to
    ``n_parents[i]`` distinct bases; ``weight`` is each model's attractiveness (0 = never a
    base).  A draw picks an earlier model ``j`` with probability proportional to ``weight[j]``
    (flat kernel) or to ``weight[j] * exp(-(t_i - t_j) / recency_days)`` (recency kernel, for a
    share ``recency_share`` of derivatives): both are prefix sums, so one ``searchsorted`` per
    draw.  A draw that repeats a base already chosen is drawn again, up to ``rounds`` times (a
    merge of a very popular base with itself is not a merge).  A model with no eligible
    predecessor gets none.  Returns the edges sorted by (child, parent).
    """
    times_days = np.asarray(times_days, dtype=np.float64)
    n = len(times_days)
    if n and np.any(np.diff(times_days) < 0):
        raise ParameterError("attach_parents: times_days must be ascending")
    weight = np.asarray(weight, dtype=np.float64)
    want = np.asarray(n_parents, dtype=np.int64)
    if n == 0 or not want.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    flat = np.cumsum(weight)
    recent = np.cumsum(weight * np.exp((times_days - times_days[-1]) / attachment.recency_days))
    use_recent = rng.random(n) < attachment.recency_share
    prev = np.arange(n, dtype=np.int64) - 1
    at = np.maximum(prev, 0)
    total = np.where(use_recent, recent[at], flat[at])
    able = (prev >= 0) & (total > 0)
    keys = np.zeros(0, dtype=np.int64)
    need = np.where(able, want, 0)
    for _ in range(max(int(rounds), 1)):  # a few rounds of redraws, each vectorised
        child = np.repeat(np.arange(n, dtype=np.int64), need)
        if len(child) == 0:
            break
        target = rng.random(len(child)) * total[child]
        rec = use_recent[child]
        parent = np.empty(len(child), dtype=np.int64)
        parent[rec] = np.searchsorted(recent, target[rec], side="right")
        parent[~rec] = np.searchsorted(flat, target[~rec], side="right")
        ok = parent < child  # guards against rounding at the top of a prefix sum
        keys = unique_sorted(np.concatenate([keys, child[ok] * n + parent[ok]]))
        need = np.where(able, want - np.bincount(keys // n, minlength=n), 0)
        need = np.maximum(need, 0)
    return keys // n, keys % n


def attractiveness(
    n: int, rng: np.random.Generator, attachment: Attachment = ATTACHMENT
) -> np.ndarray:
    """Per model: 0 (not eligible as a base) or a Pareto(``pareto_alpha``) attractiveness >= 1."""
    eligible = rng.random(n) < attachment.eligible
    pareto = (1.0 - rng.random(n)) ** (-1.0 / attachment.pareto_alpha)
    return np.where(eligible, pareto, 0.0)


def creation_days(n: int, span_days: float, growth: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` sorted times in [0, span_days] with density proportional to exp(growth * t)."""
    u = rng.random(n)
    t = np.log1p(u * np.expm1(growth * span_days)) / growth
    return np.sort(t)


def draw_relations(
    n_children: int, calibration: Calibration, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Relation (index into :data:`RELATIONS_ORDER`) and number of parents of each derivative."""
    shares = np.asarray(calibration.relation_shares, dtype=float)
    rel = rng.choice(len(shares), size=n_children, p=shares / shares.sum())
    extra = rng.geometric(1.0 - calibration.merge_extra_parents, size=n_children) - 1
    n_par = np.where(rel == RELATIONS_ORDER.index("merge"), 2 + np.minimum(extra, 8), 1)
    return rel, n_par
