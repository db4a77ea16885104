"""The MDI chapters' quoted numbers, one row per number as chapters 3 and 4 quote them.

Each function returns a table of :data:`~hflineage.lineage.headlines.NUMBER_COLUMNS` (``key``,
``value``, ``description``, ``fmt``) that
:meth:`hflineage.chapter.report.Chapter.record_numbers` records in one call.  Chapter 3:
:func:`index_numbers` (the sample and the mass points), :func:`root_numbers` (the root trap and
the most disruptive models), :func:`component_numbers` (what the literal index can show),
:func:`sample_numbers` (the primary sample), :func:`scorecard_numbers` (which reading reproduces
the paper) and :func:`indegree_numbers` (P1-indegree's estimates).  Chapter 4:
:func:`size_numbers`, :func:`regression_sample_numbers`, :func:`side_numbers` and
:func:`claim_numbers`.  Both: :func:`verdict_numbers`.  Sentences that join words
(``by_value``, ``grouped``) stay with the chapter layer that writes them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..lineage.headlines import number_table
from ..verdicts import Verdict
from .graph import PRIMARY_VARIANT, VARIANTS
from .index import exclusion_table
from .inference import Estimate
from .summaries import MASS_CATEGORIES

#: The mass-point columns chapter 3 quotes per variant, with and without roots.
MASS_NUMBERS = ("share_negative", "share_zero", "share_positive", "undefined")


def mass_modes(mass: pd.DataFrame) -> dict[str, str]:
    """The category of :data:`~hflineage.mdi.summaries.MASS_CATEGORIES` holding the most focal
    models, per variant of a :func:`~hflineage.mdi.summaries.mass_points` table.
    """
    table = mass.assign(variant=mass["variant"].astype(str)).set_index("variant")
    return dict(table[list(MASS_CATEGORIES)].astype(float).idxmax(axis=1).items())


def index_numbers(
    result: pd.DataFrame, mass: pd.DataFrame, mass_no_roots: pd.DataFrame, *, window_days: float
) -> pd.DataFrame:
    """The window, the focal models excluded (``cd``) and every variant's mass-point shares and
    rows, with roots (``mass``) and without (``mass_no_roots``, keys ending ``_noroots``).

    Args:
        result: :func:`hflineage.mdi.index.mdi_all` with roots.
        mass: :func:`~hflineage.mdi.summaries.mass_points` of ``result``.
        mass_no_roots: the same without roots.
        window_days: the observation window the result was computed with.
    """
    excl = exclusion_table(result).set_index("variant")
    rows: list[tuple[str, object, str, str | None]] = [
        ("mdi_window_days", window_days, "observation window (days)", None)
    ]
    rows += [
        (f"mdi_{key}", int(excl.loc["cd", key]), f"MDI: {key} models", ",")
        for key in ("focal", "censored", "unreliable_date")
    ]
    for v in VARIANTS:
        for frame, tag in ((mass, ""), (mass_no_roots, "_noroots")):
            row = frame.set_index("variant").loc[v]
            rows += [
                (f"mdi_{v}_{col}{tag}", float(row[col]), f"{v}: {col}{tag}", ".1%")
                for col in MASS_NUMBERS
            ]
            rows.append(
                (
                    f"mdi_{v}_rows{tag}",
                    int(row["rows"]),
                    f"{v}: focal models with a successor{tag}",
                    ",",
                )
            )
    return number_table(rows)


def root_numbers(
    trap: pd.DataFrame, top: pd.DataFrame, *, min_successors: int, top_n: int
) -> pd.DataFrame:
    """The root trap under ``cd`` (roots with a successor, their share of the +1 values, roots
    whose declared base is outside the snapshot) and the most disruptive list: its threshold,
    the share of roots among its first ``top_n`` rows, its first model and its first derived one.

    Args:
        trap: :func:`hflineage.mdi.summaries.root_trap`.
        top: :func:`hflineage.mdi.summaries.most_disruptive` (most disruptive first).
        min_successors: the successors a model needed to enter ``top``.
        top_n: rows of the list the chapter shows.
    """
    t = trap.set_index("variant").loc["cd"]
    derived = top.loc[~top["is_root"].astype(bool), "model_id"]
    root_share = float(top["is_root"].head(top_n).mean()) if len(top) else float("nan")
    return number_table(
        [
            ("mdi_roots_cd", int(t["roots"]), "roots with a successor (cd)", ","),
            (
                "mdi_plus_roots_cd",
                float(t["share of +1 that are roots"]),
                "share of +1 that are roots (cd)",
                ".0%",
            ),
            (
                "mdi_roots_outside",
                int(t["roots whose base is outside the snapshot"]),
                "roots whose declared base is not in the snapshot",
                ",",
            ),
            ("mdi_min_successors", min_successors, "minimum successors for the top list", None),
            (
                "mdi_top_root_share",
                root_share,
                "share of roots among the most disruptive (cd)",
                ".0%",
            ),
            (
                "mdi_top_first",
                str(top["model_id"].iloc[0]) if len(top) else "none",
                "most disruptive model (cd)",
                None,
            ),
            (
                "mdi_top_derived_first",
                str(derived.iloc[0]) if len(derived) else "none",
                "most disruptive derived model (cd)",
                None,
            ),
        ]
    )


def component_numbers(
    components: pd.DataFrame, construct: pd.Series, *, min_share: float
) -> pd.DataFrame:
    """What the literal index can show, roots out: focal models with an n_j and an n_i
    successor, the n_k share of all successors, P(MDI > 0 | n_i > 0), P(n_i > 0 | MDI > 0) and
    the construct check's declared minimum share.

    Args:
        components: :func:`hflineage.mdi.summaries.component_summary` without roots.
        construct: the primary variant's row of
            :func:`~hflineage.mdi.summaries.construct_shares`.
        min_share: P1-most-consolidative's declared construct minimum.
    """
    c = components.set_index("variant").loc["cd"]
    return number_table(
        [
            (
                "mdi_has_nj_cd",
                float(c["has_n_j"]),
                "cd, roots out: focal models with n_j > 0",
                ".1%",
            ),
            (
                "mdi_nk_share_cd",
                float(c["n_k_share"]),
                "cd, roots out: share of successors that are n_k",
                ".1%",
            ),
            (
                "mdi_has_ni_cd",
                float(c["has_n_i"]),
                "cd, roots out: focal models with n_i > 0",
                ".1%",
            ),
            (
                "mdi_positive_given_child",
                float(construct["positive_given_child"]),
                "cd, roots out: P(MDI > 0 | n_i > 0)",
                ".1%",
            ),
            (
                "mdi_child_given_positive",
                float(construct["child_given_positive"]),
                "cd, roots out: P(n_i > 0 | MDI > 0)",
                ".1%",
            ),
            (
                "mdi_construct_min",
                float(min_share),
                "declared share that lets 'most negative' appear",
                ".1%",
            ),
        ]
    )


def sample_numbers(degree: pd.DataFrame) -> pd.DataFrame:
    """The primary sample's size, families and children born inside the window, from the
    ``attrs`` of :func:`hflineage.mdi.summaries.indegree_readings`.
    """
    a = degree.attrs
    return number_table(
        [
            (
                "mdi_children_in_window_share",
                a["in_window_share"],
                "share of the focal models' children (at the snapshot) created inside their window",
                ".0%",
            ),
            (
                "mdi_primary_rows",
                a["rows"],
                "focal models of the primary sample (cd, roots out)",
                ",",
            ),
            ("mdi_primary_families", a["families"], "lineage families of the primary sample", ","),
        ]
    )


def scorecard_numbers(
    cards: pd.DataFrame, primary_card: pd.DataFrame, result: pd.DataFrame
) -> pd.DataFrame:
    """How many patterns the best readings and the primary reproduce, and what makes the
    ``sibling`` reading negative (its scored models without a successor of their own, and the
    negative share among those with one).

    Args:
        cards: :func:`hflineage.mdi.patterns.scorecard` rows with a ``roots`` column.
        primary_card: the scorecard without roots (the primary variant's row is read).
        result: :func:`hflineage.mdi.index.mdi_all` (its ``sibling`` rows).
    """
    best = int(cards["n_reproduced"].max())
    primary = int(primary_card.set_index("variant").loc[PRIMARY_VARIANT, "n_reproduced"])
    sib = result[result["variant"] == "sibling"]
    own = ((sib["n_i"] + sib["n_j"]) > 0).to_numpy()
    negative = (sib["mdi"].to_numpy(float) < 0)[own]
    return number_table(
        [
            ("mdi_best_reproduced", best, "patterns those readings reproduce (of 4)", None),
            (
                "mdi_primary_reproduced",
                primary,
                "patterns the primary reading reproduces (of 4)",
                None,
            ),
            (
                "mdi_sibling_leaf_share",
                float((~own).mean()),
                "sibling: scored models without own successor",
                ".1%",
            ),
            (
                "mdi_sibling_neg_own",
                float(negative.mean()),
                "sibling: share negative among models with own successors",
                ".1%",
            ),
        ]
    )


def indegree_numbers(
    primary: Estimate,
    checks: Mapping[str, Estimate | float],
    snapshot: Estimate,
    primary_card: pd.DataFrame,
    *,
    draws: int,
) -> pd.DataFrame:
    """P1-indegree's numbers: Spearman's rho and its family-clustered SE under the primary, the
    partial check and among models with a child, the bootstrap and independent-rows SEs, rho
    with in-degree at the snapshot, and the other readings' rho with what each would get.

    Args:
        primary: the primary's :class:`~hflineage.verdicts.Evidence` (or estimate).
        checks: :func:`hflineage.mdi.evidence.persistence_checks`.
        snapshot: the primary reading with in-degree counted at the snapshot.
        primary_card: the scorecard without roots (the other readings' rows).
        draws: the family-bootstrap draws behind ``checks["bootstrap_se"]``.
    """
    rows: list[tuple[str, object, str, str | None]] = []
    for key, est in (
        ("primary", primary),
        ("partial", checks["partial"]),
        ("children", checks["children"]),
    ):
        rows.append((f"mdi_rho_{key}", est.estimate, f"Spearman rho ({key})", ".3f"))
        rows.append((f"mdi_rho_{key}_se", est.se, f"its family-clustered SE ({key})", ".3f"))
    others = primary_card[primary_card["variant"] != PRIMARY_VARIANT]
    rows += [
        ("mdi_rho_children_n", checks["children"].n, "focal models with n_i > 0", ","),
        (
            "mdi_rho_bootstrap_se",
            checks["bootstrap_se"],
            "family-bootstrap SE of the same rho",
            ".3f",
        ),
        ("mdi_bootstrap_draws", draws, "family-bootstrap draws", None),
        (
            "mdi_rho_iid_se",
            1 / np.sqrt(primary.n - 1),
            "SE of rho for independent rows (1/sqrt(n-1))",
            ".3f",
        ),
        (
            "mdi_rho_snapshot",
            snapshot.estimate,
            "Spearman rho, cd roots out, in-degree at the snapshot",
            ".3f",
        ),
        (
            "mdi_rho_others",
            ", ".join(
                f"{r.variant} {r.spearman_rho:.2f} ({r.status_3})" for r in others.itertuples()
            ),
            "the other readings (roots out): rho and what each would get",
            None,
        ),
    ]
    return number_table(rows)


def verdict_numbers(verdicts: Mapping[str, Verdict]) -> pd.DataFrame:
    """Each verdict's status and sentence as ``p1_<key>_status`` and ``p1_<key>_sentence``
    (``verdicts``: key -> verdict, e.g. ``{"size": ...}``).
    """
    rows: list[tuple[str, object, str, str | None]] = []
    for key, v in verdicts.items():
        rows.append((f"p1_{key}_status", v.status, f"the verdict ({key})", None))
        rows.append((f"p1_{key}_sentence", v.sentence, f"the verdict in words ({key})", None))
    return number_table(rows)


def size_numbers(covariates: pd.DataFrame) -> pd.DataFrame:
    """Where model sizes come from (:func:`hflineage.mdi.covariates.covariates`'
    ``size_source``): the share of models with a size, and sizes from the data, the name and a
    base model.
    """
    src = covariates["size_source"].value_counts()
    src = src.reindex(["data", "name", "parent", "none"], fill_value=0)
    return number_table(
        [
            (
                "size_known_share",
                float(1 - src["none"] / len(covariates)),
                "share of models with a size",
                ".1%",
            ),
            ("size_from_name", int(src["name"]), "sizes parsed from the name", ","),
            ("size_from_parent", int(src["parent"]), "sizes inherited from a base", ","),
            ("size_from_data", int(src["data"]), "sizes from the data", ","),
        ]
    )


def regression_sample_numbers(summary: pd.DataFrame, raw_gap: Mapping[str, float]) -> pd.DataFrame:
    """Chapter 4's primary sample (rows, families, share with MDI > 0, rows without a size) and
    the raw shares with MDI > 0 among finetunes and the other derivations.

    Args:
        summary: :func:`hflineage.mdi.regressions.sample_summary`.
        raw_gap: :func:`hflineage.mdi.regressions.raw_share_gap` (``finetune``, ``other``).
    """
    row = summary.set_index("variant").loc[PRIMARY_VARIANT]
    return number_table(
        [
            ("reg_rows_primary", int(row["rows"]), "regression rows, cd roots out", ","),
            ("reg_families_primary", int(row["families"]), "lineage families, cd roots out", ","),
            (
                "reg_share_primary",
                float(row["share_disruptive"]),
                "share with MDI > 0, cd roots out",
                ".1%",
            ),
            (
                "reg_unknown_size_primary",
                int(row["unknown_size"]),
                "rows dropped for unknown size, cd roots out",
                ",",
            ),
            (
                "who_raw_finetune",
                raw_gap["finetune"],
                "share with MDI > 0 among finetunes (cd, roots out)",
                ".1%",
            ),
            (
                "who_raw_other",
                raw_gap["other"],
                "share with MDI > 0 among the other derivations (cd, roots out)",
                ".1%",
            ),
        ]
    )


def side_numbers(side: pd.DataFrame, within: Estimate, route_gap: float) -> pd.DataFrame:
    """The size coefficient when the controls change (:func:`hflineage.mdi.regressions.side_fits`),
    within families (:func:`~hflineage.mdi.regressions.within_family_fit`) and how far the
    simulation's own routine is from statsmodels on the real outcome (``route_gap``,
    :func:`hflineage.mdi.simulate.route_gap`).
    """
    from .regressions import TERM_LABELS

    s = side[side["term"] == TERM_LABELS["log10_params"]].set_index("specification")["coef"]
    return number_table(
        [
            (
                "who_size_fe",
                float(s.loc["plus task and year fixed effects"]),
                "size coefficient with task and year FE",
                ".3f",
            ),
            (
                "who_size_no_indegree",
                float(s.loc["without in-degree"]),
                "size coefficient without in-degree",
                ".3f",
            ),
            (
                "who_size_snapshot_indegree",
                float(s.loc["in-degree at the snapshot (old reading)"]),
                "size coefficient with in-degree at the snapshot",
                ".3f",
            ),
            (
                "who_size_within",
                within.estimate,
                "size coefficient with family fixed effects (within-family design)",
                ".4f",
            ),
            ("who_size_within_se", within.se, "its CR3 SE", ".4f"),
            (
                "who_route_gap",
                route_gap,
                "|simulation route - statsmodels| on the real outcome",
                ".1e",
            ),
        ]
    )


def claim_numbers(verdicts: Mapping[str, Verdict]) -> pd.DataFrame:
    """Each chapter 4 verdict's primary coefficient and CR3 SE (``who_<key>_coef``,
    ``who_<key>_se``), its robustness families (supporting, contrary, families, untestable and
    fits), then every verdict's status and sentence (:func:`verdict_numbers`); ``verdicts``:
    key -> verdict, e.g. ``{"size": ..., "finetune": ...}``.
    """
    rows: list[tuple[str, object, str, str | None]] = []
    for key, v in verdicts.items():
        rows.append((f"who_{key}_coef", v.primary.estimate, f"primary coefficient ({key})", ".3f"))
        rows.append((f"who_{key}_se", v.primary.se, f"its family-clustered SE, CR3 ({key})", ".4f"))
        for part in ("support", "contrary", "n", "untestable", "n_fits"):
            rows.append(
                (
                    f"who_{key}_{'fits' if part == 'n' else part}",
                    getattr(v.robustness, part),
                    f"robustness families: {part} ({key})",
                    "d",
                )
            )
    return pd.concat([number_table(rows), verdict_numbers(verdicts)], ignore_index=True)


def study_table(numbers: Mapping[str, tuple], prefix: str = "who_") -> pd.DataFrame:
    """:func:`hflineage.mdi.simulate.study_numbers` (key -> (value, description, format)) as a
    number table, each key prefixed with ``prefix``.
    """
    return number_table([(f"{prefix}{k}", *v) for k, v in numbers.items()])


def window_numbers(
    sens: pd.DataFrame, *, statuses: str, rows: str, variant: str = PRIMARY_VARIANT
) -> pd.DataFrame:
    """The window check: the lowest and highest share of negative values of ``variant`` over
    the windows of :func:`hflineage.mdi.robustness.window_mass_points` (``sens``), with the
    chapter's words for each window's focal models (``rows``) and for what the threshold rule
    alone gives at each window (``statuses``).
    """
    share = sens.loc[sens["variant"] == variant, "share_negative"]
    return number_table(
        [
            (
                "mdi_window_neg_min",
                float(share.min()),
                "cd, roots out: lowest share negative over windows",
                ".1%",
            ),
            (
                "mdi_window_neg_max",
                float(share.max()),
                "cd, roots out: highest share negative over windows",
                ".1%",
            ),
            ("mdi_window_rows", rows, "focal models of each window (cd, roots out)", None),
            (
                "mdi_window_statuses",
                statuses,
                "P1-most-consolidative's threshold rule alone at each window "
                "(each window's own focal models)",
                None,
            ),
        ]
    )
