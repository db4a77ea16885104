"""The MDI over many readings at once: the stylised facts of paper 1 scored over window x variant x
roots (a specification curve for the index).  This shows which readings would reproduce the paper;
it decides no verdict (the declared primaries of chapters 3 and 4 do).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from ..data.schema import frame_edge_rows
from ..errors import ParameterError
from .covariates import covariates, in_degree
from .evidence import PATTERNS
from .graph import VARIANTS, MdiGraph
from .index import mdi_all
from .patterns import scorecard
from .summaries import mass_points

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
    min_gap: float = 0.01,
    min_rho: float = 0.05,
    inherit_size: bool = True,
    indegree: str = "after_window",
    progress: bool = False,
) -> pd.DataFrame:
    """The paper's stylised MDI facts under every (window, variant, roots) choice.

    Each window censors its own focal models (a model needs a full window before the snapshot),
    as a study using that window would, and counts in-degree after its own window (with
    ``indegree="after_window"``).  Covariates from :func:`hflineage.mdi.covariates.covariates`; each
    specification is scored by :func:`hflineage.mdi.patterns.scorecard` (family-clustered tests,
    minimum effects ``min_gap`` and ``min_rho``).

    Returns:
        The scorecard rows with ``window_days`` and ``include_roots``; ``attrs["seconds"]``.
    """
    variants = tuple(variants) if variants is not None else VARIANTS
    if not windows or not include_roots or not variants:
        raise ParameterError("mdi_curve: every choice needs at least one value")
    start = time.perf_counter()
    graph = MdiGraph.from_frames(models, edges)
    base = covariates(
        models, edges, graph, window_days=windows[0], inherit_size=inherit_size, indegree=indegree
    )
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(total=len(windows) * len(include_roots), desc="MDI specifications")
    cards = []
    _, child_row, parent_row = frame_edge_rows(models, edges)
    for window, result in window_results(models, edges, windows, graph=graph, variants=variants):
        deg = in_degree(
            models, edges, window_days=window, reading=indegree, rows=(child_row, parent_row)
        )
        cov = base.assign(
            in_degree=deg, log_in_degree=np.log1p(deg), **{f"in_degree_{indegree}": deg}
        )
        for roots in include_roots:  # roots out = the same rows without the graph's roots
            scored = result if roots else result[~result["is_root"].to_numpy(bool)]
            card = scorecard(
                scored, cov, large=large, alpha=alpha, min_gap=min_gap, min_rho=min_rho
            )
            cards.append(card.assign(window_days=window, include_roots=bool(roots)))
            if progress:
                jobs.update(1)
    out = pd.concat(cards, ignore_index=True)
    out.attrs["seconds"] = time.perf_counter() - start
    return out


def window_results(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    windows: Sequence[float] = MDI_WINDOWS,
    *,
    graph: MdiGraph | None = None,
    variants: Sequence[str] | None = None,
) -> Iterator[tuple[float, pd.DataFrame]]:
    """The MDI (roots kept) at each window, one window at a time (millions of rows each).

    Each window censors its own focal models — a model needs a full window before the snapshot —
    as a study using that window would; so a longer window scores fewer, older models.  The one
    window loop of the book: :func:`mdi_curve` and :func:`window_mass_points` both read it.

    Yields:
        ``(window_days, result)`` with the :func:`~hflineage.mdi.index.mdi_all` frame.
    """
    if not windows:
        raise ParameterError("window_results needs at least one window")
    graph = MdiGraph.from_frames(models, edges) if graph is None else graph
    variants = tuple(variants) if variants is not None else VARIANTS
    for window in windows:
        yield (
            window,
            mdi_all(
                models,
                edges,
                variants=variants,
                window_days=window,
                include_roots=True,
                graph=graph,
            ),
        )


def window_mass_points(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    windows: Sequence[float] = MDI_WINDOWS,
    *,
    graph: MdiGraph | None = None,
    include_roots: bool = False,
) -> pd.DataFrame:
    """:func:`~hflineage.mdi.summaries.mass_points` at each window (each window's own focal
    models, :func:`window_results`), with ``window_days``; roots left out unless
    ``include_roots``.
    """
    parts = []
    for window, result in window_results(models, edges, windows, graph=graph):
        scored = result if include_roots else result[~result["is_root"].to_numpy(bool)]
        parts.append(mass_points(scored).assign(window_days=window))
    return pd.concat(parts, ignore_index=True)


#: The MDI patterns and the claims they test.
MDI_PATTERNS = {f"pattern_{k}": v for k, v in PATTERNS.items()}


def mdi_summary(curve: pd.DataFrame) -> pd.DataFrame:
    """Per stylised fact: in how many of the (window, variant, roots) specifications it would be
    "reproduced" by the scorecard's rules (``share_holding``), in how many "contradicted"
    (``share_contradicted``), overall and per variant (``holds_<variant>``: "k/n").
    """
    rows = []
    for pattern, (claim, text) in MDI_PATTERNS.items():
        status = pattern.replace("pattern_", "status_")
        row = {
            "pattern": text,
            "claim": claim,
            "specifications": len(curve),
            "share_holding": float(curve[pattern].mean()) if len(curve) else np.nan,
            "share_contradicted": float((curve[status] == "contradicted").mean())
            if status in curve.columns and len(curve)
            else np.nan,
        }
        for variant, g in curve.groupby("variant", sort=False):
            row[f"holds_{variant}"] = f"{int(g[pattern].sum())}/{len(g)}"
        rows.append(row)
    return pd.DataFrame(rows)
