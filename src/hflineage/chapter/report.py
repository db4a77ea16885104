"""What a chapter hands to the book: numbers, figures, tables and claim verdicts, with provenance.

Every chapter notebook makes one :class:`Chapter` and records through it:

- ``ch.number(key, value, description)`` — every number the text quotes; glued for MyST
  (``{glue:text}`key```) and written to ``results/<profile>/numbers/<chapter>.json``;
  ``ch.record_numbers(table)`` records many at once (a dict, or a ``key``/``value``/
  ``description``/``fmt`` table);
- ``ch.figure(fig, key, source_note=None)`` — stamps the data snapshot onto the figure, saves
  ``figures/<key>.png`` (150 dpi) and records text a reader could not read (shown below 9 pt in
  the book's column, overlapping tick labels) for the run's lint; caption, label and alt text go
  in the code cell's ``mystnb`` metadata;
- ``ch.table(df, key, caption, first=..., labels=...)`` — writes ``tables/<key>.csv`` (numbers as
  computed) and ``.html``, returns the view a reader sees (:mod:`hflineage.chapter.tables`);
- ``ch.claim(claim_id, verdict, where)`` — a :class:`~hflineage.verdicts.Verdict` (from a rule of
  :mod:`hflineage.verdicts`, never a typed status) on a claim of ``book/claims.yml`` for the
  generated replication-status page.

The pipeline (:mod:`hflineage.publish.pipeline`) merges the per-chapter JSON files into ``numbers.json``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..files import atomic_path, write_json
from ..verdicts import STATUSES, Verdict

#: The verdicts a claim can get: exactly those of :mod:`hflineage.verdicts`.
CLAIM_STATUSES = STATUSES


#: Okabe & Ito's colour-blind-safe palette, ordered so that the first four hues are as far apart as
#: possible (blue, orange, bluish green, reddish purple; the similar vermillion and yellow last):
#: seaborn's "colorblind" puts orange and vermillion second and fourth, two near-identical oranges.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)

#: One seaborn theme for every figure in the book.
THEME = {"style": "whitegrid", "context": "notebook", "palette": list(PALETTE)}

#: Resolution of every figure, saved and shown inline (the book shows the inline image): sharp
#: on a high-density screen once the image is shrunk to the column, and full size when opened.
DPI = 150

#: Width of the book's text column in CSS pixels: a wider image is shrunk to it, a narrower one is
#: shown at its own size (one image pixel per CSS pixel).  Measured in the built book
#: (sphinx-book-theme 1.3): 756 px in a 1,400 px window; 720 px (7.5 inches) leaves room for a
#: narrower laptop window, so a text sized for it is >= 9 pt in both.
COLUMN_PX = 720

#: How a figure's data footer starts (:meth:`Chapter.figure` writes it; the lint names it).
FOOTER_PREFIX = "Data: "

#: CSS pixels per point (CSS: 96 px and 72 pt to the inch).
PX_PER_PT = 96 / 72

#: The smallest text a reader should meet, in points at the size the figure is shown (= 12 CSS
#: px): the usual floor for figure text in print.  A figure 8 inches wide fills the column at
#: its nominal size, so its fonts must be >= 9 pt; a 10-inch figure is shrunk to 80 %, so >= 11.3.
MIN_FONT_PT = 9.0


def set_theme() -> None:
    """Apply the book's single seaborn/matplotlib theme (palette, fonts, resolution)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(**THEME)
    mpl.rcParams.update({"figure.dpi": DPI, "savefig.dpi": DPI, "figure.figsize": (7.0, 4.2)})


def shown_scale(width_px: float, column_px: int = COLUMN_PX) -> float:
    """How much an image ``width_px`` image pixels wide is shrunk in the book's column (<= 1)."""
    return min(1.0, column_px / width_px) if width_px > 0 else 1.0


def displayed_text(
    fig: Any, *, dpi: float = DPI, column_px: int = COLUMN_PX, pad_inches: float | None = None
) -> pd.DataFrame:
    """Every text a reader sees in ``fig`` and its size as shown in the book.

    The figure is drawn once (without rendering pixels) and every text that is actually drawn
    (visible, non-empty: tick labels inside the axis range, labels, titles, legends,
    annotations) is recorded.  The image is saved with ``bbox_inches="tight"``, so its width is
    the tight bounding box plus the padding, at ``dpi``; the column shrinks it by
    :func:`shown_scale`; a font of ``s`` points is then shown at
    ``s * dpi / 72 * scale / PX_PER_PT`` points.

    Returns:
        One row per drawn text: ``text``, ``kind`` (tick label, axis label, title, legend,
        data footer, other), ``fontsize`` (pt, as set), ``shown_pt`` (pt, as displayed), ``width_px`` (the
        saved image's width) and ``scale``; ``attrs["overlaps"]`` lists axes whose tick labels
        overlap each other.
    """
    from matplotlib.text import Text

    drawn: list[Text] = []
    original = Text.draw

    def recording_draw(self: Text, renderer: Any) -> Any:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    Text.draw = recording_draw  # type: ignore[method-assign]
    try:
        fig.draw_without_rendering()
    finally:
        Text.draw = original  # type: ignore[method-assign]
    renderer = fig.canvas.get_renderer()
    width_px = _saved_width_px(fig, dpi=dpi, pad_inches=pad_inches)
    scale = shown_scale(width_px, column_px)
    kinds: dict[int, str] = {}
    overlaps: list[str] = []
    for i, ax in enumerate(fig.axes):
        name = ax.get_title() or ax.get_title(loc="left") or f"panel {i + 1}"
        for axis, letter in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            ticks = [t for t in axis.get_ticklabels(which="both")]
            kinds.update({id(t): "tick label" for t in ticks})
            kinds[id(axis.label)] = "axis label"
            shown = [t for t in ticks if any(t is d for d in drawn) and t.get_rotation() == 0]
            if _overlapping(shown, renderer, horizontal=letter == "x"):
                overlaps.append(f"{letter} tick labels of {name!r}")
        for title in (ax.title, ax._left_title, ax._right_title):
            kinds[id(title)] = "title"
        legend = ax.get_legend()
        if legend is not None:
            kinds.update({id(t): "legend" for t in [*legend.get_texts(), legend.get_title()]})
    for legend in fig.legends:
        kinds.update({id(t): "legend" for t in [*legend.get_texts(), legend.get_title()]})
    factor = dpi / 72 * scale / PX_PER_PT
    rows = [
        {
            "text": t.get_text(),
            "kind": kinds.get(
                id(t), "data footer" if t.get_text().startswith(FOOTER_PREFIX) else "other"
            ),
            "fontsize": float(t.get_fontsize()),
            "shown_pt": float(t.get_fontsize()) * factor,
            "width_px": width_px,
            "scale": scale,
        }
        for t in drawn
    ]
    out = pd.DataFrame(rows, columns=["text", "kind", "fontsize", "shown_pt", "width_px", "scale"])
    out.attrs["overlaps"] = overlaps
    return out


def _saved_width_px(fig: Any, *, dpi: float = DPI, pad_inches: float | None = None) -> float:
    """Width in pixels of the PNG ``savefig(bbox_inches="tight")`` writes (the tight bounding box,
    legends outside the axes included, plus the padding on both sides).
    """
    import matplotlib as mpl

    pad = mpl.rcParams["savefig.pad_inches"] if pad_inches is None else pad_inches
    return (fig.get_tightbbox(fig.canvas.get_renderer()).width + 2 * pad) * dpi


def _overlapping(labels: list[Any], renderer: Any, *, horizontal: bool) -> bool:
    """Whether any two neighbouring tick labels' boxes overlap along the axis (by > 1 px)."""
    if len(labels) < 2:
        return False
    boxes = [t.get_window_extent(renderer) for t in labels]
    spans = sorted((b.x0, b.x1) if horizontal else (b.y0, b.y1) for b in boxes)
    return any(nxt[0] < prev[1] - 1 for prev, nxt in zip(spans, spans[1:], strict=False))


def legibility_problems(
    fig: Any,
    label: str,
    *,
    dpi: float = DPI,
    column_px: int = COLUMN_PX,
    min_pt: float = MIN_FONT_PT,
) -> list[str]:
    """One line per legibility problem of ``fig`` as the book shows it: text shown below
    ``min_pt`` points (:func:`displayed_text`), tick labels that overlap.  Empty when fine.
    """
    texts = displayed_text(fig, dpi=dpi, column_px=column_px)
    out = []
    small = texts[texts["shown_pt"] < min_pt - 1e-9]
    if not small.empty:
        worst = small.loc[small["shown_pt"].idxmin()]
        kinds = ", ".join(dict.fromkeys(small["kind"]))
        width_in = worst["width_px"] / dpi
        needed = min_pt / (worst["shown_pt"] / worst["fontsize"])
        out.append(
            f"figure {label}: {len(small)} text(s) shown below {min_pt:g} pt ({kinds}); "
            f"smallest {worst['shown_pt']:.1f} pt ({worst['kind']} {worst['text'][:30]!r}, "
            f"{worst['fontsize']:g} pt in a {width_in:.1f}-inch image shown at "
            f"{worst['scale']:.0%}): use >= {needed:.1f} pt fonts, or a narrower figure"
        )
    for where in texts.attrs["overlaps"]:
        out.append(f"figure {label}: overlapping {where}: fewer ticks or a wider panel")
    return out


def footer_size(fig: Any, footer: Any, *, column_px: int = COLUMN_PX) -> float:
    """Size ``footer`` (a text at the figure's bottom left) so that it is shown at
    :data:`MIN_FONT_PT` or more in a ``column_px`` column, and make room for it; return its size.

    The shown size of ``s`` points is ``s * DPI / 72 * scale / PX_PER_PT``, where ``scale`` is
    the column's shrink of the saved image (:func:`shown_scale`), so the footer needs
    ``MIN_FONT_PT / (DPI / 72 * scale / PX_PER_PT)`` points, rounded up to a half point (at
    least 7): 9 pt in a 7.5-inch figure, 11 pt in a 9-inch one (its 1,346-px image shrunk to
    720 px), 7 pt in one narrower than the column.  Sized twice: the
    layout the footer makes room for can change the image's width (a legend outside the axes).
    """
    footer.set_horizontalalignment("left")
    footer.set_verticalalignment("bottom")
    size = MIN_FONT_PT
    for _ in range(2):
        factor = DPI / 72 * shown_scale(_saved_width_px(fig), column_px) / PX_PER_PT
        size = math.ceil(2 * max(7.0, MIN_FONT_PT / factor) - 1e-9) / 2
        footer.set_fontsize(size)
        bottom = min(0.2, 1.5 * size / 72 / fig.get_figheight())
        fig.tight_layout(rect=(0, bottom, 1, 1))
    return size


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
    if models.attrs.get("synthetic"):  # hflineage synth: a benchmark, never Hub data
        label = f"SYNTHETIC benchmark data shaped like a {label}"
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
        self.checks: list[str] = []  # figure legibility problems, reported by the build's lint
        set_theme()

    # -- numbers -----------------------------------------------------------------------------
    def number(self, key: str, value: Any, description: str = "", fmt: str | None = None) -> Any:
        """Record a number the text quotes (and glue it for ``{glue:text}`key```); return it.

        A percentage format (``fmt=".1%"``) keeps two significant digits for a share below 1% or
        above 99% (:func:`hflineage.chapter.sentences.share_format`): 2 of 5,175 reads "0.039%",
        not "0.0%", and 503 of 504 "99.80%", not "100%".
        """
        from .sentences import share_format

        plain = _plain(value)
        entry: dict[str, Any] = {"value": plain, "description": description}
        if fmt:
            share = re.fullmatch(r"\.(\d)%", fmt)
            if share and isinstance(plain, int | float) and not isinstance(plain, bool):
                fmt = share_format(float(plain), int(share.group(1)))
            entry["text"] = format(value, fmt)
        self.numbers[key] = entry
        if self.glue:
            from myst_nb import glue

            glue(key, entry.get("text", value), display=False)
        self._save()
        return value

    def record_numbers(
        self,
        values: Mapping[str, Any] | pd.DataFrame,
        descriptions: Mapping[str, str] | None = None,
        fmt: str | Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Record many numbers in one call, each exactly as :meth:`number` records it.

        Args:
            values: ``{key: value}``, or a table with one row per number and the columns
                ``key``, ``value`` and optionally ``description`` and ``fmt`` (empty: no format),
                e.g. :func:`hflineage.lineage.funnel.funnel_numbers`.
            descriptions: ``{key: description}`` (a table brings its own column).
            fmt: one format for every number, or ``{key: format}``; a table's ``fmt`` column
                wins where it is filled.

        Returns:
            ``{key: value}`` in the order recorded.
        """
        if isinstance(values, pd.DataFrame):
            if not {"key", "value"} <= set(values.columns) or values["key"].duplicated().any():
                raise ParameterError(
                    "Chapter.record_numbers: a table needs columns 'key' (each key once) and 'value'; "
                    f"got columns {list(values.columns)} with {values.get('key', pd.Series()).size}"
                    " rows"
                )
            table = values.set_index("key")
            values = dict(table["value"].items())
            if "description" in table.columns:
                descriptions = {**dict(table["description"].items()), **(descriptions or {})}
            if "fmt" in table.columns:
                own = {k: f for k, f in table["fmt"].items() if isinstance(f, str) and f}
                base = fmt if isinstance(fmt, Mapping) else dict.fromkeys(values, fmt)
                fmt = {**base, **own}
        maps = [m for m in (descriptions, fmt) if isinstance(m, Mapping)]
        stray = [k for m in maps for k in m if k not in values]
        if stray:
            raise ParameterError(
                f"Chapter.record_numbers: {stray[0]!r} has a description or format but no value; "
                f"expected one of {', '.join(map(str, values))}"
            )
        formats = fmt if isinstance(fmt, Mapping) else dict.fromkeys(values, fmt)
        return {
            key: self.number(key, value, (descriptions or {}).get(key, ""), formats.get(key))
            for key, value in values.items()
        }

    def recorded(self, chapter: str, key: str) -> Any:
        """The value another chapter recorded under ``key`` in this run's results (its
        ``numbers/<chapter>.json``), or ``None`` when that chapter or key is not recorded.
        """
        path = self.results_dir / "numbers" / f"{chapter}.json"
        if not path.is_file():
            return None
        import json

        entry = json.loads(path.read_text(encoding="utf-8")).get("numbers", {}).get(key)
        return None if entry is None else entry.get("value")

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
            {
                "chapter": self.name,
                "numbers": self.numbers,
                "claims": self.claims,
                "checks": self.checks,
            },
        )

    # -- figures and tables ------------------------------------------------------------------
    def figure(self, fig: Any, key: str, source_note: str | None = None) -> None:
        """Stamp the data source under the figure, save ``figures/<key>.png`` and check that a
        reader can read it.

        The stamp is sized to be shown at :data:`MIN_FONT_PT`.  Every text is then measured as
        the book shows it (:func:`legibility_problems`): text shown below 9 pt or overlapping
        tick labels are recorded in ``self.checks`` (saved with the chapter's numbers), and the
        run's lint reports them.  Returns nothing: the notebook shows the open figure once at the
        end of the cell (returning it would show it twice and duplicate the cell's figure label).
        """
        note = source_note or self.data_label
        if note:
            footer_size(fig, fig.text(0.005, 0.005, f"{FOOTER_PREFIX}{note}", color="0.3"))
        else:
            fig.tight_layout()
        out = self.results_dir / "figures" / f"{key}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
        self.checks = [c for c in self.checks if not c.startswith(f"figure {key}:")]
        self.checks += legibility_problems(fig, key)
        self._save()

    def table(
        self,
        frame: pd.DataFrame,
        key: str,
        caption: str = "",
        index: bool = False,
        *,
        labels: Mapping[str, str] | None = None,
        first: Sequence[str] = (),
        shares: Sequence[str] | None = None,
        pvalues: Sequence[str] | None = None,
        digits: int = 3,
    ) -> Any:
        """Write ``tables/<key>.csv`` (the numbers as computed) and ``.html``; return the view a
        reader sees, formatted by :func:`hflineage.chapter.tables.format_table`: counts as integers,
        shares as percentages ("< 0.1%" for tiny ones), readable headers (``labels``), the key
        columns ``first``, p-values (``pvalues``, default: columns named p) as "< 0.001".  A note in
        ``frame.attrs["note"]`` (e.g. from
        :func:`~hflineage.chapter.tables.regression_table`) is added to the caption.
        """
        from .tables import format_table

        base = self.results_dir / "tables"
        base.mkdir(parents=True, exist_ok=True)
        with atomic_path(base / f"{key}.csv") as tmp:
            frame.to_csv(tmp, index=index)
        source = frame.reset_index() if index else frame
        shown = format_table(
            source, labels=labels, first=first, shares=shares, pvalues=pvalues, digits=digits
        )
        shown = shown.reset_index(drop=True)  # a repeated index label would trip the Styler
        right = [
            _position(source, c, first)
            for c in source.columns
            if pd.api.types.is_numeric_dtype(source[c])
            and not pd.api.types.is_bool_dtype(source[c])
        ]
        styled = (
            shown.style.hide(axis="index")
            .format(escape="html")  # "< 0.1%" is text, not a tag
            .set_table_attributes('class="hfl-result"')
        )
        # numbers right-aligned and unbroken, by column position (Styler classes col0, col1, ...)
        if right:
            styled = styled.set_table_styles(
                [
                    {"selector": f"td.col{j}", "props": "text-align: right; white-space: nowrap"}
                    for j in right
                ]
            )
        text = " ".join(x for x in (caption, frame.attrs.get("note", "")) if x)
        if text:
            styled = styled.set_caption(html.escape(text, quote=False))
        with atomic_path(base / f"{key}.html") as tmp:
            tmp.write_text(styled.to_html(), encoding="utf-8")
        return styled


def _position(frame: pd.DataFrame, column: Any, first: Sequence[str]) -> int:
    """Where ``column`` of ``frame`` lands once the ``first`` columns are moved to the front."""
    order = [*first, *[c for c in frame.columns if c not in first]]
    return order.index(column)
