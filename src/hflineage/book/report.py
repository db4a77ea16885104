"""What a chapter hands to the book: numbers, figures, tables and claim verdicts, with provenance.

Every chapter notebook makes one :class:`Chapter` and records through it:

- ``ch.number(key, value, description)`` — every number the text quotes; glued for MyST
  (``{glue:text}`key```) and written to ``results/<profile>/numbers/<chapter>.json``;
- ``ch.figure(fig, key, source_note=None)`` — stamps the data snapshot onto the figure, saves
  ``figures/<key>.png``; caption, label and alt text go in the code cell's ``mystnb`` metadata;
- ``ch.table(df, key, caption)`` — writes ``tables/<key>.csv`` and ``.html``, returns a styled view;
- ``ch.claim(claim_id, verdict, where)`` — a :class:`~hflineage.verdicts.Verdict` (from a rule of
  :mod:`hflineage.verdicts`, never a typed status) on a claim of ``book/claims.yml`` for the
  generated replication-status page.

The pipeline (:mod:`hflineage.book`) merges the per-chapter JSON files into ``numbers.json``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..files import atomic_path, write_json
from ..verdicts import STATUSES, Verdict

#: The verdicts a claim can get: exactly those of :mod:`hflineage.verdicts`.
CLAIM_STATUSES = STATUSES


#: One seaborn theme for every figure in the book.
THEME = {"style": "whitegrid", "context": "notebook", "palette": "colorblind"}


def set_theme() -> None:
    """Apply the book's single seaborn/matplotlib theme."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(**THEME)
    mpl.rcParams.update({"figure.dpi": 110, "savefig.dpi": 150, "figure.figsize": (7.0, 4.2)})


def snapshot_label(models: pd.DataFrame) -> str:
    """A short, human description of the data a figure came from."""
    shape = models.attrs.get("shape", "listing")
    date = models.attrs.get("snapshot_date")
    day = pd.Timestamp(date).date() if date is not None else ""
    names = {
        "listing": f"Hub /api/models listing of {day}",
        "hub-stats": f"cfahlgren1/hub-stats models.parquet of {day}",
        "crawl": f"/api/models crawl of {day}",
    }
    label = names.get(shape, str(shape))
    subset = models.attrs.get("subset")
    if subset:
        label += f", {subset}"
    return f"{label} ({len(models):,} models)"


def _plain(value: Any) -> Any:
    """JSON-safe plain Python value (numpy scalars, NaN → None, timestamps → ISO)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is None:
        return None
    return value


class Chapter:
    """Collects one chapter's numbers, figures, tables and claim verdicts under ``results_dir``."""

    def __init__(
        self, name: str, results_dir: str | Path, *, data_label: str = "", glue: bool = True
    ) -> None:
        """Start the record of chapter ``name``; files go under ``results_dir``."""
        self.name = name
        self.results_dir = Path(results_dir)
        self.data_label = data_label
        self.glue = glue
        self.numbers: dict[str, dict[str, Any]] = {}
        self.claims: dict[str, dict[str, Any]] = {}
        set_theme()

    # -- numbers -----------------------------------------------------------------------------
    def number(self, key: str, value: Any, description: str = "", fmt: str | None = None) -> Any:
        """Record a number the text quotes (and glue it for ``{glue:text}`key```); return it."""
        plain = _plain(value)
        entry: dict[str, Any] = {"value": plain, "description": description}
        if fmt:
            entry["text"] = format(value, fmt)
        self.numbers[key] = entry
        if self.glue:
            from myst_nb import glue

            glue(key, entry.get("text", value), display=False)
        self._save()
        return value

    def claim(self, claim_id: str, verdict: Verdict, where: str = "") -> None:
        """Record this chapter's verdict on a claim id of ``book/claims.yml``.

        Args:
            claim_id: the claim's id, e.g. ``"P1-size"``.
            verdict: what a rule of :mod:`hflineage.verdicts` returned (``sign_rule``,
                ``threshold_rule``, ``method_verdict``, ...); a status string is refused.
            where: the figure/table/section label that shows the result.
        """
        if not isinstance(verdict, Verdict):
            raise ParameterError(
                f"claim {claim_id!r}: expected a hflineage.verdicts.Verdict from a verdict rule; "
                f"got {type(verdict).__name__} {verdict!r}"
            )
        self.claims[claim_id] = {**verdict.to_dict(), "where": where, "chapter": self.name}
        self._save()

    def _save(self) -> None:
        write_json(
            self.results_dir / "numbers" / f"{self.name}.json",
            {"chapter": self.name, "numbers": self.numbers, "claims": self.claims},
        )

    # -- figures and tables ------------------------------------------------------------------
    def figure(self, fig: Any, key: str, source_note: str | None = None) -> None:
        """Stamp the data source under the figure and save ``figures/<key>.png``.

        Returns nothing: the notebook shows the open figure once at the end of the cell (returning
        it would show it twice and duplicate the cell's figure label).
        """
        note = source_note or self.data_label
        if note:
            fig.text(
                0.005, 0.005, f"Data: {note}", fontsize=7, color="0.35", ha="left", va="bottom"
            )
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        out = self.results_dir / "figures" / f"{key}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")

    def table(self, frame: pd.DataFrame, key: str, caption: str = "", index: bool = False) -> Any:
        """Write ``tables/<key>.csv`` and ``.html``; return a styled view for display."""
        base = self.results_dir / "tables"
        base.mkdir(parents=True, exist_ok=True)
        with atomic_path(base / f"{key}.csv") as tmp:
            frame.to_csv(tmp, index=index)
        styled = frame.style
        if not index:
            styled = styled.hide(axis="index")
        if caption:
            styled = styled.set_caption(caption)
        styled = styled.format(precision=3, thousands=",", na_rep="–")
        with atomic_path(base / f"{key}.html") as tmp:
            tmp.write_text(styled.to_html(), encoding="utf-8")
        return styled
