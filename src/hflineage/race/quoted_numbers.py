"""Chapter 5's bookkeeping numbers as tables: the settings the text quotes, the simulated
placebo's summary, the design grid's timings and simulation sentence, the two-snapshot design
and the verdicts' statuses and sentences. Each function returns a table of
:data:`hflineage.lineage.headlines.NUMBER_COLUMNS` that
:meth:`hflineage.chapter.report.Chapter.record_numbers` records in one call, so the chapter
shows the analysis calls and hides only one line of bookkeeping per step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from ..data.recognition import recognition_between
from ..lineage import network
from ..lineage.headlines import number_table
from ..verdicts import Verdict, method_verdict, threshold_rule
from .entry import entry_numbers
from .readings import (
    drop_sentence,
    later_numbers,
    later_paragraph,
    rank_sentence,
    simulation_sentence,
)
from .regressions import estimate
from .sample import with_recognition
from .specs import CONTROLS_SPEC, PRIMARY_SPEC


def setting_numbers(
    *, placebo_neighbours: int, bins: int, frequent_quantizer_min: int
) -> pd.DataFrame:
    """The settings chapter 5 quotes in its text: the declared primary specifications of
    P2-priority/P2-congestion and P2-controls (:data:`~hflineage.race.specs.PRIMARY_SPEC`,
    :data:`~hflineage.race.specs.CONTROLS_SPEC`), pseudo-base candidates per base, quantile bins
    of the binned scatters and the uploads that make a frequent quantizer.
    """
    return number_table(
        [
            ("race_primary_spec", PRIMARY_SPEC, "the declared primary specification", None),
            ("race_controls_spec", CONTROLS_SPEC, "the declared primary of P2-controls", None),
            (
                "race_placebo_neighbours",
                placebo_neighbours,
                "pseudo-base candidates per base",
                None,
            ),
            ("race_bins", bins, "quantile bins of the binned scatters", None),
            (
                "race_frequent_quantizer_min",
                frequent_quantizer_min,
                "quantized uploads that make a frequent quantizer",
                None,
            ),
        ]
    )


def rank_numbers(pattern: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """The raw rank pattern in one sentence (:func:`~hflineage.race.readings.rank_sentence`) and
    the share of ``panel`` rows that are an account's later upload on the same base (``NaN``
    without a ``team_upload`` column).
    """
    later = float((panel["team_upload"] > 1).mean()) if "team_upload" in panel else float("nan")
    return number_table(
        [
            (
                "race_rank_sentence",
                rank_sentence(pattern),
                "the raw rank pattern in one sentence",
                None,
            ),
            (
                "race_team_later_share",
                later,
                "share of LLM-panel rows that are an account's later upload on the same base",
                ".1%",
            ),
        ]
    )


def sim_placebo_numbers(sim_placebo: pd.DataFrame, seconds: float) -> pd.DataFrame:
    """The timing placebo on simulated outcomes (:func:`hflineage.race.simulate.placebo_study`):
    the smallest ``p_timing`` under pure decay, the largest under a true rank effect, and the
    seconds the study took.

    Raises:
        KeyError: ``sim_placebo`` has no ``decay`` or no ``rank`` process.
    """
    by = sim_placebo.groupby("process", sort=False)["p_timing"]
    return number_table(
        [
            ("race_sim_placebo_seconds", seconds, "seconds for the simulated placebo", ".0f"),
            (
                "race_sim_placebo_p_decay",
                float(by.min()["decay"]),
                "smallest p_timing under pure decay (simulation)",
                ".2f",
            ),
            (
                "race_sim_placebo_p_rank",
                float(by.max()["rank"]),
                "largest p_timing under a true rank effect (simulation)",
                ".2f",
            ),
        ]
    )


def design_numbers(
    fit_seconds: float, flags: pd.DataFrame, selection: Mapping[str, object]
) -> pd.DataFrame:
    """The design grid's bookkeeping: seconds for the fits, seconds for the calibrated simulation
    (``flags.attrs["seconds"]``, ``NaN`` if absent) and the simulation in one sentence
    (:func:`~hflineage.race.readings.simulation_sentence`).
    """
    return number_table(
        [
            ("race_design_seconds", fit_seconds, "seconds for the design fits", ".0f"),
            (
                "race_design_sim_seconds",
                flags.attrs.get("seconds", float("nan")),
                "seconds for the calibrated simulation",
                ".0f",
            ),
            (
                "race_simulation_sentence",
                simulation_sentence(flags, selection),
                "the calibrated simulation in one sentence",
                None,
            ),
        ]
    )


def later_table(counts: Mapping[str, float] | None, gained: pd.DataFrame | None) -> pd.DataFrame:
    """The two-snapshot numbers (:func:`~hflineage.race.readings.later_numbers`, none without a
    later snapshot) and the paragraph that reads them
    (:func:`~hflineage.race.readings.later_paragraph`) as ``race_later_text``.
    """
    text = number_table(
        [
            (
                "race_later_text",
                later_paragraph(counts, gained),
                "what the two-snapshot design shows (or would show)",
                None,
            )
        ]
    )
    if counts is None or gained is None:
        return text
    return pd.concat([later_numbers(counts, gained), text], ignore_index=True)


def two_snapshot_numbers(
    models: pd.DataFrame, later: pd.DataFrame | None, panel: pd.DataFrame, llm: pd.DataFrame
) -> pd.DataFrame:
    """Recognition over a common interval: the models deleted between ``models`` and a
    ``later`` snapshot of the same Hub (counted apart for the race panel and its LLM rows) and
    the primary specification fitted to the likes each LLM-panel derivative gained in between,
    as :func:`later_table`; with ``later`` ``None``, only the paragraph saying what it would show.
    """
    if later is None:
        return later_table(None, None)
    rec = recognition_between(
        models, later, groups={"panel": panel["model_id"], "llm": llm["model_id"]}
    )
    gained = estimate(with_recognition(llm, rec.table), PRIMARY_SPEC, "log_likes_gained")
    return later_table(rec.counts, gained.set_index("term"))


def verdict_numbers(verdicts: Mapping[str, Any], claim_ids: Iterable[str]) -> pd.DataFrame:
    """Each claim's verdict status and sentence (``verdicts[claim_id].status`` and
    ``.sentence``) as ``race_status_<name>`` and ``race_sentence_<name>``, where ``<name>`` is the
    claim id without its ``P2-`` prefix.
    """
    rows: list[tuple[str, object, str, str | None]] = []
    for claim_id in claim_ids:
        name = claim_id.removeprefix("P2-")
        rows.append((f"race_status_{name}", verdicts[claim_id].status, f"{claim_id} verdict", None))
        rows.append(
            (
                f"race_sentence_{name}",
                verdicts[claim_id].sentence,
                f"{claim_id} in one sentence",
                None,
            )
        )
    return number_table(rows)


def entry_comparison_numbers(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    entry: dict[str, float],
    panel: pd.DataFrame,
    *,
    top_share: float,
    compare: Callable[[int, int, str], str],
) -> pd.DataFrame:
    """The entry numbers chapter 5 quotes (:func:`hflineage.race.entry.entry_numbers`) beside
    the lineage chapter's concentration over every declared edge (which counts edges to a model
    that cannot be placed in time), and the two counts of models with a derivative compared in
    words by the chapter's ``compare`` (:func:`hflineage.chapter.sentences.compare`).

    Args:
        models: the Hub table.
        edges: its lineage edges (:func:`hflineage.lineage.build_edges`).
        entry: :func:`hflineage.race.entry.entry_concentration` (``n_bases``).
        panel: the race panel.
        top_share: the share of models that counts as "top" (as for ``entry``).
        compare: ``compare(ours, theirs, what_theirs_is)``, a sentence.
    """
    graph = network.graph_arrays(models, edges)
    all_edges = network.concentration(graph, top_share).set_index("measure")["value"]
    sentence = compare(
        int(entry["n_bases"]),
        int(all_edges["n_parents"]),
        "that the lineage chapter counts over all declared edges",
    )
    row = (
        "race_entry_compare",
        sentence,
        "models with a timed derivative against models with any derivative",
        None,
    )
    return pd.concat(
        [entry_numbers(entry, all_edges, panel), number_table([row])], ignore_index=True
    )


def entry_verdict(entry: Mapping[str, float], rule: Mapping[str, Any]) -> Verdict:
    """P2-entry: the share of derivatives entering the 1% most-liked models
    (``entry["top_liked_share"]``) against the declared threshold ``rule``
    (:func:`hflineage.chapter.claims.declared_rule`, passed in by the chapter).
    """
    return threshold_rule(
        entry["top_liked_share"],
        **rule,
        fmt=".1%",
        label="share of derivatives entering the 1% most-liked models",
        subject="prominent base models attract concentrated derivative entry",
    )


def measure_verdict() -> Verdict:
    """P2-measure: a method the chapter implements (recognition read by likes and by recent
    downloads), not a finding the data could refute.
    """
    return method_verdict(
        "Recognition is measured by cumulative likes (the primary outcome) and by downloads in "
        "the last 30 days; the primary specification is estimated on both (robustness rows)"
    )


def drop_numbers(accounting: pd.DataFrame, count_share: Callable[[int, int], str]) -> pd.DataFrame:
    """Why the primary regression uses fewer rows than the LLM panel, in one sentence
    (:func:`~hflineage.race.readings.drop_sentence`; the chapter passes its ``count_share``).
    """
    sentence = drop_sentence(accounting, count_share)
    why = "why the primary regression uses fewer rows than the LLM panel"
    return number_table([("race_drop_sentence", sentence, why, None)])
