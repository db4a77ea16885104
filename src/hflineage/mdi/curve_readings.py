"""What chapter 6 quotes and shows of the MDI specification curve
(:func:`hflineage.mdi.robustness.mdi_curve`): its numbers as a table for
:meth:`hflineage.chapter.report.Chapter.record_numbers` (:func:`curve_numbers`) and the layout of
its summary table (:func:`summary_layout`).

How the statuses of one fact across windows are written is passed in (``by_value``, e.g.
:func:`hflineage.chapter.sentences.by_value`), as this layer does not import the chapter's.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..lineage.headlines import number_table
from .evidence import PATTERNS
from .graph import PRIMARY_INCLUDE_ROOTS, PRIMARY_VARIANT, VARIANTS


def best_text(curve: pd.DataFrame) -> str:
    """The first specification (in the curve's order) reproducing the most facts, in words:
    "sibling, 30 days, with roots (3 of 4)".
    """
    best = curve.sort_values("n_reproduced", ascending=False, kind="stable").iloc[0]
    roots = "with" if best["include_roots"] else "without"
    return (
        f"{best['variant']}, {int(best['window_days'])} days, {roots} roots "
        f"({int(best['n_reproduced'])} of {len(PATTERNS)})"
    )


def primary_windows_text(
    curve: pd.DataFrame,
    by_value: Callable[..., str],
    variant: str = PRIMARY_VARIANT,
    include_roots: bool = PRIMARY_INCLUDE_ROOTS,
) -> str:
    """The scorecard's status of each fact for one reading (default the primary: cd, roots out)
    at each window: "<fact>: <statuses by window>; ...".

    Args:
        curve: :func:`hflineage.mdi.robustness.mdi_curve`.
        by_value: writes ``{window: status}``; called with ``unit="days"`` and
            ``every="every window"`` (:func:`hflineage.chapter.sentences.by_value`).
        variant: the reading's variant.
        include_roots: whether the reading counts roots.
    """
    rows = curve[(curve["variant"] == variant) & (curve["include_roots"] == include_roots)]
    parts = []
    for key, (_claim, text) in PATTERNS.items():
        by_window = dict(zip(rows["window_days"], rows[f"status_{key}"], strict=True))
        parts.append(f"{text}: " + by_value(by_window, unit="days", every="every window"))
    return "; ".join(parts)


def curve_numbers(curve: pd.DataFrame, *, by_value: Callable[..., str]) -> pd.DataFrame:
    """The MDI curve's numbers the chapter quotes: specifications and run time, the best
    specification (:func:`best_text`), how many reproduce every fact, the primary reading
    across windows (:func:`primary_windows_text`) and the mean number of facts reproduced per
    variant, as a :func:`~hflineage.lineage.headlines.number_table`.

    Args:
        curve: :func:`hflineage.mdi.robustness.mdi_curve` (``attrs["seconds"]``).
        by_value: as in :func:`primary_windows_text`.
    """
    by_variant = curve.groupby("variant", observed=True, sort=False)["n_reproduced"].mean()
    return number_table(
        [
            ("rob_mdi_specs", len(curve), "MDI specifications scored", None),
            ("rob_mdi_seconds", curve.attrs["seconds"], "seconds for the MDI curve", ".0f"),
            (
                "rob_mdi_best",
                best_text(curve),
                "first specification reproducing the most stylised facts",
                None,
            ),
            (
                "rob_mdi_all_four",
                int((curve["n_reproduced"] == len(PATTERNS)).sum()),
                "MDI specifications reproducing all four facts",
                None,
            ),
            (
                "rob_mdi_primary_windows",
                primary_windows_text(curve, by_value),
                "the scorecard's verdict for the primary reading (cd, roots out) at each window",
                None,
            ),
            (
                "rob_mdi_by_variant",
                ", ".join(f"{v} {m:.1f}" for v, m in by_variant.items()),
                "mean number of facts reproduced per specification, by variant",
                None,
            ),
        ]
    )


def summary_layout() -> dict[str, object]:
    """The summary table's (:func:`hflineage.mdi.robustness.mdi_summary`) key columns and
    headers, for ``Chapter.table(..., **layout)``.
    """
    return {
        "first": ["pattern", "share_holding", "share_contradicted"],
        "labels": {
            "share_holding": "share where it holds",
            "share_contradicted": "share against it",
            **{f"holds_{v}": f"{v}: holds" for v in VARIANTS},
        },
    }
