"""The MDI over many readings at once: the stylised facts of paper 1 scored over window x variant x
roots (a specification curve for the index).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import mdi as D
from ..errors import ParameterError
from ..lineage.network import graph_arrays
from ..lineage.size import model_size

#: Default MDI choices.
MDI_WINDOWS = (30, 90, 180, 365)


MDI_ROOTS = (True, False)


def mdi_curve(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    windows: Sequence[float] = MDI_WINDOWS,
    include_roots: Sequence[bool] = MDI_ROOTS,
    variants: Sequence[str] | None = None,
    large: float = 1e10,
    alpha: float = 0.05,
    inherit_size: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """The paper's stylised MDI facts under every (window, variant, roots) choice.

    Each window censors its own focal models (a model needs a full window before the snapshot),
    as a study using that window would.  Covariates as in chapter 3: size from
    :func:`hflineage.lineage.size.model_size` (with inheritance from the base when ``inherit_size``),
    derivation type from :func:`hflineage.mdi.facts.derivation_type`, in-degree from
    :func:`hflineage.lineage.network.graph_arrays`.  Returns the rows of
    :func:`hflineage.mdi.facts.scorecard` with ``window_days`` and ``include_roots``.
    """
    variants = tuple(variants) if variants is not None else D.VARIANTS
    if not windows or not include_roots or not variants:
        raise ParameterError("mdi_curve: every choice needs at least one value")
    start = time.perf_counter()
    graph = D.MdiGraph.from_frames(models, edges)
    sizes = model_size(models, edges, inherit=inherit_size)
    cov = pd.DataFrame(
        {
            "params": sizes["params"].to_numpy(),
            "derivation": D.derivation_type(models, edges).to_numpy(),
            "in_degree": graph_arrays(models, edges).in_degree[: len(models)],
        },
        index=models["model_id"].astype(str),
    )
    jobs = list(itertools.product(windows, include_roots))
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc="MDI specifications")
    cards = []
    for window, roots in jobs:
        result = D.mdi_all(
            models,
            edges,
            variants=variants,
            window_days=window,
            include_roots=bool(roots),
            graph=graph,
        )
        card = D.scorecard(result, cov, large=large, alpha=alpha)
        cards.append(card.assign(window_days=window, include_roots=bool(roots)))
    out = pd.concat(cards, ignore_index=True)
    out.attrs["seconds"] = time.perf_counter() - start
    return out


#: The MDI patterns and the claims they test.
MDI_PATTERNS = {
    "pattern_1": ("P1-most-consolidative", "most MDI values are negative"),
    "pattern_2a": ("P1-size", "large models more often disruptive"),
    "pattern_2b": ("P1-finetune", "finetunes more often disruptive"),
    "pattern_3": ("P1-indegree", "MDI rises with in-degree"),
}


def mdi_summary(curve: pd.DataFrame) -> pd.DataFrame:
    """Per stylised fact: in how many of the (window, variant, roots) specifications it holds,
    overall and per variant.
    """
    rows = []
    for pattern, (claim, text) in MDI_PATTERNS.items():
        row = {
            "pattern": text,
            "claim": claim,
            "specifications": len(curve),
            "share_holding": float(curve[pattern].mean()) if len(curve) else np.nan,
        }
        for variant, g in curve.groupby("variant", sort=False):
            row[f"holds_{variant}"] = f"{int(g[pattern].sum())}/{len(g)}"
        rows.append(row)
    return pd.DataFrame(rows)
