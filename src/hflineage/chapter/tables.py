"""Publication tables: one style for every table the book shows.

- :func:`format_table` turns a result frame into the strings a reader sees: counts as integers
  (``12,205``, never ``12,205.000``), shares as percentages in one format with the sentences
  (:func:`format_share`: two significant digits below 1%, never "0.0%" for a non-zero share),
  p-values as ``< 0.001``, readable headers (a label map; no ``snake_case``), and the key
  columns first;
- :func:`regression_table` puts fitted models side by side in the journal layout: one column per
  model, a coefficient row with stars and a standard-error row in parentheses per term, then
  fixed-effect rows, N and clusters; the note on stars and standard errors is in
  ``table.attrs["note"]``;
- :func:`folded_table` shows a long table as its first rows with the whole table folded below;
- :func:`sample_accounting` says why a regression uses fewer rows than its panel (missing values,
  singleton fixed-effect groups, Poisson groups without any positive outcome), recomputed from the
  panel independently of the estimator and checked against the fit's N.

:meth:`hflineage.chapter.report.Chapter.table` shows every table through :func:`format_table`.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError

#: Significance stars, strictest first: (p-value below which, stars).  The economics convention.
STARS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))

#: Headers for column names the package uses often; any other ``snake_case`` name is shown with
#: spaces (see :func:`header`).
HEADERS: dict[str, str] = {
    "n": "N",
    "n_obs": "N",
    "nobs": "N",
    "n_models": "models",
    "n_clusters": "clusters",
    "clusters": "clusters",
    "estimate": "estimate",
    "coef": "coefficient",
    "std_error": "SE",
    "se": "SE",
    "p": "p",
    "p_value": "p",
    "pvalue": "p",
    "conf_low": "95% CI low",
    "conf_high": "95% CI high",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "r2_within": "within R²",
    "r2": "R²",
}

#: Column names treated as shares (fractions in [0, 1], shown as percentages) by default.
SHARE_NAME = re.compile(r"(^|[_ ])(share|fraction|proportion)s?([_ ]|$)|^pct[_ ]|[_ ]pct$")

#: Column names treated as p-values by default.
P_NAMES = frozenset({"p", "p_value", "pvalue", "p-value", "pr(>|t|)", "pr(>|z|)"})

#: Names that keep their underscore: the glossary's index counts ``n_i``, ``n_j``, ``n_k``.
_SYMBOL = re.compile(r"^[A-Za-z]_[A-Za-z0-9]$")

MISSING = "–"


def header(name: Any, labels: Mapping[str, str] | None = None) -> str:
    """The header a reader sees for column ``name``: ``labels`` first, then :data:`HEADERS`, else
    the name with underscores as spaces (symbols such as ``n_i`` are kept).
    """
    key = str(name)
    if labels and key in labels:
        return labels[key]
    if key in HEADERS:
        return HEADERS[key]
    if _SYMBOL.match(key):
        return key
    return key.replace("_", " ").strip()


def share_format(value: float, digits: int = 1) -> str:
    """The format spec (for ``format`` or ``Chapter.number(fmt=...)``) that shows a share with
    ``digits`` decimals of a percent, or with two significant digits below 1% (and above 99%):
    0.557 -> ".1%" ("55.7%"), 0.00033 -> ".3%" ("0.033%"), 0.998 -> ".2%" ("99.80%"), so that a
    small share is never printed as "0.0%" nor a large one as "100%".  Zero, one and missing
    values keep ``digits``.
    """
    if value is None or not math.isfinite(value) or value <= 0 or value >= 1:
        return f".{digits}%"
    gap = min(value, 1 - value)  # 0.998 must not print as "100%" either
    if gap >= 0.01:
        return f".{digits}%"
    magnitude = math.floor(math.log10(100 * gap))  # 0.033% -> -2
    return f".{max(digits, 1 - magnitude)}%"


def format_share(value: float, digits: int = 1) -> str:
    """A fraction as a percentage, in the one format the book uses for a share in tables and in
    sentences alike (:func:`share_format`): ``0.557 -> "55.7%"``, ``0.0022 -> "0.22%"``,
    ``22 / 760,000 -> "0.0029%"`` (never "0.0%" for a share that is not zero), ``0 -> "0.0%"``,
    ``1 -> "100.0%"``; missing is "–".
    """
    if value is None or pd.isna(value):
        return MISSING
    return format(float(value), share_format(float(value), digits))


def format_p(value: float, digits: int = 3) -> str:
    """A p-value: ``"< 0.001"`` below the smallest printable value, else ``digits`` decimals."""
    if value is None or pd.isna(value):
        return MISSING
    floor = 10.0 ** (-digits)
    if value < floor:
        return f"< {floor:.{digits}f}"
    return f"{value:.{digits}f}"


def format_number(value: Any, digits: int = 3, *, whole: bool = True) -> str:
    """A number for a table cell: an integral value as an integer with thousands separators
    (a whole float too, unless ``whole`` is False: in a column of fractions 12.0 is "12.000"), a
    float with ``digits`` decimals, and a non-zero float that would print as zero with two
    significant digits (``0.000029``; below 1e-6 with an exponent, ``3.5e-15``), never ``0.000``.
    """
    if value is None or value is pd.NA:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if np.isnan(v):
            return MISSING
        if np.isinf(v):
            return "∞" if v > 0 else "−∞"
        if whole and v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        if v != 0 and abs(v) < 0.5 * 10.0 ** (-digits):  # two significant digits
            if abs(v) < 1e-6:  # a numerical zero (3.5e-15) reads better with its exponent
                return f"{v:.1e}"
            return np.format_float_positional(v, precision=2, unique=True, fractional=False)
        return f"{v:,.{digits}f}"
    return str(value)


def _is_share(name: str, col: pd.Series) -> bool:
    if not SHARE_NAME.search(name.lower()) or not pd.api.types.is_numeric_dtype(col):
        return False
    values = pd.to_numeric(col, errors="coerce").dropna()
    return bool(((values >= 0) & (values <= 1)).all())


def _integral(col: pd.Series) -> bool:
    """A numeric column whose non-missing values are all whole numbers (a count held as float)."""
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        return False
    values = pd.to_numeric(col, errors="coerce").dropna().to_numpy(float)
    return bool(len(values)) and bool(np.all(np.isfinite(values) & (values == np.round(values))))


def format_table(
    frame: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    first: Sequence[str] = (),
    shares: Sequence[str] | None = None,
    pvalues: Sequence[str] | None = None,
    digits: int = 3,
    share_digits: int = 1,
) -> pd.DataFrame:
    """The frame as a reader should see it: every cell a string, headers readable, key first.

    Args:
        frame: the result, as computed (numbers stay numbers in the CSV the chapter writes).
        labels: column name -> header; others via :func:`header`.
        first: key columns shown first, in this order (the rest keep their order), so that they
            are on screen before a wide table scrolls.
        shares: columns holding fractions, shown as percentages (:func:`format_share`); default:
            numeric columns whose name says share/fraction/proportion/pct and whose values lie
            in [0, 1].
        pvalues: columns holding p-values (:func:`format_p`); default: columns named p,
            p_value, pvalue.
        digits: decimals of other non-integral numbers (3: the precision of the papers' tables).
        share_digits: decimals of percentages (1: 55.7%).

    Returns:
        A frame of strings with readable headers; missing values are "–".
    """
    missing = [c for c in first if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"format_table: no column {missing[0]!r} to show first; columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    order = [*first, *[c for c in frame.columns if c not in first]]
    shares_set = (
        {c for c in frame.columns if _is_share(str(c), frame[c])} if shares is None else set(shares)
    )
    p_set = (
        {c for c in frame.columns if str(c).lower() in P_NAMES} if pvalues is None else set(pvalues)
    )
    out = {}
    for col in order:
        values = frame[col]
        if col in p_set:
            text = values.map(lambda v: format_p(v, digits))
        elif col in shares_set:
            text = values.map(lambda v: format_share(v, share_digits))
        elif _integral(values):
            text = values.map(lambda v: MISSING if pd.isna(v) else f"{int(v):,}")
        else:
            # a float column of fractions shows 12.0 as 12.000; a mixed column judges each cell
            whole = not pd.api.types.is_float_dtype(values)
            text = values.map(
                lambda v, w=whole: (
                    MISSING if _scalar_missing(v) else format_number(v, digits, whole=w)
                )
            )
        name = header(col, labels)
        if name in out:  # two columns with one header ("n" and "n_obs"): keep both apart
            name = str(col)
        out[name] = text.astype(object).to_numpy()
    result = pd.DataFrame(out, index=frame.index)
    result.attrs = dict(frame.attrs)
    return result


def _scalar_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array in a cell
        return False


# -- regression tables ---------------------------------------------------------------------------

_COLUMN_ALIASES = {
    "estimate": ("estimate", "coef", "Estimate"),
    "std_error": ("std_error", "se", "Std. Error"),
    "p_value": ("p_value", "p", "Pr(>|t|)"),
}


def _pick(frame: pd.DataFrame, what: str) -> pd.Series:
    for name in _COLUMN_ALIASES[what]:
        if name in frame.columns:
            return frame[name]
    raise ParameterError(
        f"regression_table: a tidy frame needs a column {' or '.join(_COLUMN_ALIASES[what])}; "
        f"got {', '.join(map(str, frame.columns))}"
    )


def fit_summary(fit: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The coefficients and facts of one fitted model, whatever fitted it.

    Accepts a pyfixest fit (``feols``/``fepois``), a statsmodels results object, or a tidy frame
    of one model (``term`` and ``estimate``/``coef``, ``std_error``/``se``, ``p_value``/``p``;
    optional constant columns ``n_obs``, ``n_clusters`` and ``fixed_effects``, a "+"-separated
    list).

    Returns:
        ``(coefs, facts)``: coefs has ``term``, ``estimate``, ``std_error``, ``p_value``; facts has
        ``n_obs``, ``n_clusters`` (None when the errors are not clustered) and ``fixed_effects``
        (a tuple of names; for statsmodels, the ``C(name)`` factors of the formula).
    """
    if isinstance(fit, pd.DataFrame):
        if "term" not in fit.columns:
            raise ParameterError("regression_table: a tidy frame needs a 'term' column")
        coefs = pd.DataFrame(
            {
                "term": fit["term"].astype(str).to_numpy(),
                "estimate": _pick(fit, "estimate").to_numpy(float),
                "std_error": _pick(fit, "std_error").to_numpy(float),
                "p_value": _pick(fit, "p_value").to_numpy(float),
            }
        )

        def first(name: str) -> Any:
            return fit[name].iloc[0] if name in fit.columns and len(fit) else None

        fe = first("fixed_effects")
        facts = {
            "n_obs": None if first("n_obs") is None else int(first("n_obs")),
            "n_clusters": None if first("n_clusters") is None else int(first("n_clusters")),
            "fixed_effects": tuple(s.strip() for s in str(fe).split("+") if s.strip())
            if fe
            else (),
        }
        return coefs, facts
    if hasattr(fit, "tidy") and hasattr(fit, "_N"):  # pyfixest
        tidy = fit.tidy().reset_index()
        coefs = pd.DataFrame(
            {
                "term": tidy["Coefficient"].astype(str).to_numpy(),
                "estimate": tidy["Estimate"].to_numpy(float),
                "std_error": tidy["Std. Error"].to_numpy(float),
                "p_value": tidy["Pr(>|t|)"].to_numpy(float),
            }
        )
        fixef = getattr(fit, "_fixef", None) or ""
        clusters = getattr(fit, "_G", None)
        facts = {
            "n_obs": int(fit._N),
            "n_clusters": int(clusters[0]) if clusters else None,
            "fixed_effects": tuple(s.strip() for s in fixef.split("+") if s.strip() != "0"),
        }
        return coefs, facts
    if hasattr(fit, "params") and hasattr(fit, "bse"):  # statsmodels
        coefs = pd.DataFrame(
            {
                "term": [str(t) for t in fit.params.index],
                "estimate": np.asarray(fit.params, float),
                "std_error": np.asarray(fit.bse, float),
                "p_value": np.asarray(fit.pvalues, float),
            }
        )
        formula = getattr(getattr(fit, "model", None), "formula", "") or ""
        factors = tuple(dict.fromkeys(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_]*)", formula)))
        facts = {
            "n_obs": int(fit.nobs),
            "n_clusters": int(fit.n_groups) if getattr(fit, "cov_type", "") == "cluster" else None,
            "fixed_effects": factors,
        }
        return coefs, facts
    raise ParameterError(
        f"regression_table: cannot read a {type(fit).__name__}; expected a pyfixest fit, a "
        "statsmodels result or a tidy frame"
    )


def stars(p: float, levels: Sequence[tuple[float, str]] = STARS) -> str:
    """Significance stars of a p-value (``""`` when missing or above every level)."""
    if p is None or pd.isna(p):
        return ""
    return next((mark for level, mark in levels if p < level), "")


def _star_note(levels: Sequence[tuple[float, str]]) -> str:
    return ", ".join(f"{mark} p < {level:g}" for level, mark in sorted(levels, reverse=True))


def regression_table(
    fits: Mapping[str, Any],
    terms: Mapping[str, str] | Sequence[str] | None = None,
    *,
    fixed_effects: Mapping[str, str] | None = None,
    rows: Mapping[str, Sequence[Any]] | None = None,
    cluster_label: str = "Clusters",
    digits: int = 3,
    levels: Sequence[tuple[float, str]] = STARS,
) -> pd.DataFrame:
    """Fitted models side by side, in the layout of a journal table.

    Args:
        fits: column header -> fitted model (see :func:`fit_summary`), in display order.
        terms: the terms to show, in order, as a list or as term -> label; default: every
            term of the first model.  A term a model does not have is left blank in its column.
        fixed_effects: row label -> fixed-effect name ("Base FE" -> "base_id"); a row says
            "Yes" where the model has it, "No" elsewhere.
        rows: further footer rows, label -> one value per model (e.g. "Controls").
        cluster_label: label of the row counting clusters (omitted when no model clusters).
        digits: decimals of coefficients and standard errors.
        levels: significance levels of the stars (:data:`STARS`).

    Returns:
        A frame of strings: a first, unnamed column of row labels, one column per model; per
        term a coefficient row ("0.123**") and a standard-error row ("(0.045)"); then the
        fixed-effect rows, ``rows``, "Observations" and the clusters row.
        ``attrs["note"]`` explains the parentheses and the stars.
    """
    if not fits:
        raise ParameterError("regression_table: no fits given; expected header -> fitted model")
    summaries = {name: fit_summary(fit) for name, fit in fits.items()}
    if terms is None:
        terms = list(next(iter(summaries.values()))[0]["term"])
    labels = dict(terms) if isinstance(terms, Mapping) else {t: t for t in terms}
    for label, values in (rows or {}).items():
        if len(values) != len(fits):
            raise ParameterError(
                f"regression_table: row {label!r} has {len(values)} values; expected one per "
                f"model ({len(fits)})"
            )
    body: list[list[str]] = []
    for term, label in labels.items():
        coef_row, se_row = [label], [""]
        for coefs, _ in summaries.values():
            hit = coefs[coefs["term"] == term]
            if hit.empty:
                coef_row.append("")
                se_row.append("")
                continue
            r = hit.iloc[0]
            coef_row.append(f"{r['estimate']:.{digits}f}{stars(r['p_value'], levels)}")
            se_row.append(f"({r['std_error']:.{digits}f})")
        body += [coef_row, se_row]
    for label, name in (fixed_effects or {}).items():
        body.append(
            [
                label,
                *(
                    "Yes" if name in facts["fixed_effects"] else "No"
                    for _, facts in summaries.values()
                ),
            ]
        )
    for label, values in (rows or {}).items():
        body.append([label, *(MISSING if _scalar_missing(v) else str(v) for v in values)])
    body.append(
        [
            "Observations",
            *(MISSING if f["n_obs"] is None else f"{f['n_obs']:,}" for _, f in summaries.values()),
        ]
    )
    if any(f["n_clusters"] is not None for _, f in summaries.values()):
        body.append(
            [
                cluster_label,
                *(
                    MISSING if f["n_clusters"] is None else f"{f['n_clusters']:,}"
                    for _, f in summaries.values()
                ),
            ]
        )
    out = pd.DataFrame(body, columns=["", *map(str, fits)])
    out.attrs["note"] = f"Standard errors in parentheses. {_star_note(levels)}."
    return out


# -- why observations drop -----------------------------------------------------------------------


def sample_accounting(
    fit: Any,
    panel: pd.DataFrame,
    *,
    variables: Sequence[str] = (),
    cluster: str | None = None,
) -> pd.DataFrame:
    """Why a fixed-effects regression uses fewer rows than its panel, step by step.

    Recomputed from ``panel`` independently of the estimator, in the order pyfixest applies:
    rows missing a variable of the model (attributed to the first missing one, outcome first),
    then singleton fixed-effect groups (a level observed once carries no within-group
    information; dropped repeatedly until none is left, since dropping one can make another),
    and for Poisson (``fepois``) fixed-effect groups whose outcome is zero throughout.  Whatever
    the fit dropped beyond these is an "other" row, so the steps always add up to the fit's N.

    Args:
        fit: a pyfixest fit (``feols`` or ``fepois``) of a formula ``y ~ x1 + ... | fe1 + fe2``.
        panel: the frame the model was specified on, before any row was dropped.
        variables: further columns the estimation sample needed (e.g. a control the
            specification listed but the fit left out as not identified).
        cluster: the cluster variable (default: the fit's), counted in the last column.

    Returns:
        One row per step: ``step``, ``rows dropped``, ``rows left`` and ``clusters left``; the
        first row is the panel, the last the fit's N.
    """
    needed = ("_depvar", "_coefnames", "_fixef", "_N")
    if not all(hasattr(fit, a) for a in needed):
        raise ParameterError(
            f"sample_accounting: expected a pyfixest fit; got a {type(fit).__name__}"
        )
    outcome = str(fit._depvar)
    regressors = [str(c) for c in fit._coefnames if str(c) in panel.columns]
    fes = [s.strip() for s in (fit._fixef or "").split("+") if s.strip() not in ("", "0")]
    cluster = cluster or next(iter(getattr(fit, "_clustervar", None) or []), None)
    columns = list(dict.fromkeys([outcome, *regressors, *variables, *fes]))
    absent = [c for c in [*columns, *([cluster] if cluster else [])] if c not in panel.columns]
    if absent:
        raise ParameterError(
            f"sample_accounting: the panel has no column {absent[0]!r} that the fit uses"
        )
    steps: list[tuple[str, np.ndarray]] = []
    keep = np.ones(len(panel), dtype=bool)
    steps.append(("rows in the panel", keep.copy()))
    for col in columns:
        missing = panel[col].isna().to_numpy() & keep
        if missing.any():
            keep &= ~missing
            steps.append((f"missing {col}", keep.copy()))
    poisson = getattr(fit, "_method", "") == "fepois"
    singles = np.zeros(len(panel), dtype=bool)
    zeros = np.zeros(len(panel), dtype=bool)
    y = panel[outcome].to_numpy(float)
    while fes:
        before = keep.copy()
        for fe in fes:
            codes = pd.factorize(panel[fe])[0]
            counts = np.bincount(codes[keep], minlength=codes.max() + 1)
            single = keep & (counts[codes] == 1)
            singles |= single
            keep &= ~single
            if poisson:
                sums = np.bincount(codes[keep], weights=y[keep], minlength=codes.max() + 1)
                zero = keep & (sums[codes] <= 0)
                zeros |= zero
                keep &= ~zero
        if (keep == before).all():
            break
    if singles.any():
        after = steps[-1][1] & ~singles
        steps.append(
            (f"singleton fixed-effect groups ({', '.join(fes)}; repeated until none)", after)
        )
    if zeros.any():
        steps.append(("fixed-effect groups with zero outcome throughout (Poisson)", keep.copy()))
    out = []
    for i, (label, mask) in enumerate(steps):
        left = int(mask.sum())
        dropped = 0 if i == 0 else int(steps[i - 1][1].sum()) - left
        clusters = int(panel.loc[mask, cluster].nunique()) if cluster else None
        out.append((label, dropped, left, clusters))
    n_fit = int(fit._N)
    if n_fit != out[-1][2]:
        out.append(("other (dropped by the estimator)", out[-1][2] - n_fit, n_fit, None))
    table = pd.DataFrame(out, columns=["step", "rows dropped", "rows left", "clusters left"])
    if not cluster:
        table = table.drop(columns="clusters left")
    return table


# -- long and wide tables ------------------------------------------------------------------------

#: A cell that holds a number (right-aligned by folded_table): "12,205", "−0.593***", "(0.134)".
_NUMERIC = re.compile(r"^[(<>−\-+\s]*[\d,.]+(e[-+]?\d+)?%?\**\)?$")


class FoldedTable:
    """The HTML a chapter displays for a long table: ``shown`` of ``total`` rows, then the fold."""

    def __init__(self, html: str, shown: int, total: int) -> None:  # noqa: D107
        self.html, self.shown, self.total = html, shown, total

    def _repr_html_(self) -> str:
        return self.html


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for v in values:
            text = MISSING if _scalar_missing(v) else str(v)
            kind = ' class="hfl-num"' if _NUMERIC.match(text) else ""
            cells.append(f"<td{kind}>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = "".join(rows)
    return f'<table class="hfl-result"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def folded_table(
    table: Any, *, head: int = 10, caption: str | None = None, **formats: Any
) -> FoldedTable:
    """A long table as a reader should meet it: the caption, the first ``head`` rows and the full
    table folded below ("Show all N rows"), each in a box that scrolls sideways under a caption.

    Args:
        table: what :meth:`~hflineage.chapter.report.Chapter.table` returned (its formatted
            view and caption are used as they are), or a result frame, formatted here by
            :func:`format_table` with ``formats`` (``labels``, ``first``, ``shares``, ...).
            Sort it first: the summary is its first rows.
        head: rows shown before the fold (>= 1); a table this short is shown whole.
        caption: the caption (default: the Styler's).
        **formats: keywords of :func:`format_table` for a frame.

    Returns:
        A :class:`FoldedTable`, displayed as HTML by the notebook.
    """
    if not isinstance(head, int) or head < 1:
        raise ParameterError(f"folded_table: head={head!r}; expected a whole number >= 1")
    if isinstance(table, pd.DataFrame):
        view = format_table(table, **formats)
    elif hasattr(table, "data") and isinstance(table.data, pd.DataFrame):  # a pandas Styler
        view = table.data
        caption = caption if caption is not None else html.unescape(table.caption or "")
    else:
        raise ParameterError(
            f"folded_table: expected a DataFrame or what Chapter.table returns; got {type(table).__name__}"
        )
    total, shown = len(view), min(head, len(view))
    text = caption or ""
    if total > shown:
        text = f"{text} The first {shown} of {total:,} rows; all of them below.".strip()
    parts = [f'<p class="hfl-caption">{html.escape(text)}</p>' if text else ""]
    parts.append(f'<div class="hfl-scroll">{_html_table(view.head(shown))}</div>')
    if total > shown:
        parts.append(
            f'<details class="hfl-fold"><summary>Show all {total:,} rows</summary>'
            f'<div class="hfl-scroll">{_html_table(view)}</div></details>'
        )
    return FoldedTable(f'<div class="hfl-folded">{"".join(parts)}</div>', shown, total)
