"""The race regressions' vocabulary: outcomes, terms, labels and the registry of specifications.

Every specification has the base fixed effect (a base's potential does not vary across its
entrants) and standard errors clustered by base.  The others add, one at a time, the controls of
the three clocks of a race (chapter 5, "Identification"):

- **entry rank** among the base's entrants (``log_entry_rank``) — the priority the paper studies;
- **lag** since the base's release (``lag_days``) — the base's attention decays with it;
- **age** at the snapshot (``age_days``) — cumulative likes accrue with it (exposure).

Within a base, lag + age is the base's own age, the same for every entrant, so the three clocks
move together.  Log age and the creation-month fixed effect control exposure; the lag enters
*flexibly* — a restricted cubic spline in log(1 + lag) (:data:`LAG_SPLINE_KNOTS`) or indicators
of :data:`LAG_BIN_EDGES` bins — because its shape is unknown (and its linear part in days is
absorbed by the base and month fixed effects anyway: age-period-cohort).  :data:`PRIMARY_SPEC`
is the specification the simulation study of :mod:`hflineage.race.simulate` selects: it recovers
a true rank and a true congestion effect, is fooled neither by pure exposure nor by two shapes of
base-attention decay, and assumes no shape for the decay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

PRIORITY = "log_entry_rank"


CONGESTION = "log_congestion"


EXPOSURE = "log_age"


LAG = "log_lag"


QUALITY = ("has_datasets", "has_license", "has_eval", "has_paper", "has_library")


KIND = ("is_adapter", "is_quantized", "is_merge")


PROMINENCE = ("log_author_prior", "same_author_as_base")


CONTROLS = (*QUALITY, *KIND, *PROMINENCE)


BASE_FE = ("base_id", "created_month")


CLUSTER = "base_id"


#: Lag bins (days since the base's release; each edge starts a bin, the last is open): finer where
#: attention changes fastest, the first weeks.  Their indicators are one flexible lag control.
LAG_BIN_EDGES = (0, 1, 3, 7, 14, 30, 60, 90, 180, 365, 730)


#: Indicator columns of the lag bins after the first (the reference: the base's first day).
LAG_BINS = tuple(f"lag_bin{j}" for j in range(1, len(LAG_BIN_EDGES)))


#: Knots (days since the base's release) of the restricted cubic spline in log(1 + lag): the
#: spline is linear below the first and above the last knot and smooth between; one knot a
#: day, a week, a month, a quarter and a year after the base's release.
LAG_SPLINE_KNOTS = (1, 7, 30, 90, 365)


#: The spline's non-linear columns (the linear one is :data:`LAG`).
LAG_SPLINE = tuple(f"lag_rcs{j}" for j in range(1, len(LAG_SPLINE_KNOTS) - 1))


#: The declared primary specification of P2-priority and P2-congestion, chosen by the simulation
#: study of chapter 5 on the embedded snapshot's LLM panel (:func:`hflineage.race.simulate.
#: recovery_table`): of the specifications that pass every check, the flexible-lag one without
#: controls with the smallest largest error (the lag bins leave -0.013 of decay in the rank
#: coefficient, the spline 0.003).  Log entry rank and log(1 + congestion), log age, a restricted
#: cubic spline in log(1 + lag), base and creation-month fixed effects; standard errors clustered
#: by base; outcome log(1 + likes); sample: derivatives of LLM bases.
PRIMARY_SPEC = "both_lagspline"


#: The declared primary of P2-controls: :data:`PRIMARY_SPEC` with the quality, kind and
#: author-prominence controls.
CONTROLS_SPEC = "baseline_lagspline"


#: Outcome → (estimator, description).
OUTCOMES: dict[str, tuple[str, str]] = {
    "log_likes": ("ols", "log(1 + likes at the snapshot), OLS"),
    "likes": ("ppml", "likes at the snapshot, Poisson pseudo-maximum likelihood"),
    "any_like": ("lpm", "1 if the model has at least one like, linear probability model"),
    "log_downloads": ("ols", "log(1 + downloads in the last ~30 days), OLS"),
    "downloads": ("ppml", "downloads in the last ~30 days, Poisson pseudo-maximum likelihood"),
    "log_likes_gained": (
        "ols",
        "log(1 + likes gained between the main and a later snapshot), OLS",
    ),
}


ESTIMATORS = ("ols", "lpm", "ppml")


#: Labels for publication tables and figures.
LABELS = {
    PRIORITY: "log entry rank (priority)",
    CONGESTION: "log(1 + congestion)",
    LAG: "log(1 + days since base release)",
    "early_entrant_30d": "entered within 30 days of base",
    EXPOSURE: "log(1 + age at snapshot, days)",
    "has_datasets": "declares training datasets",
    "has_license": "declares a licence",
    "has_eval": "reports evaluation results",
    "has_paper": "links an arXiv paper",
    "has_library": "declares a library",
    "is_adapter": "adapter (vs finetune)",
    "is_quantized": "quantized copy (vs finetune)",
    "is_merge": "merge (vs finetune)",
    "log_author_prior": "log(1 + author's earlier models)",
    "same_author_as_base": "same author as the base",
}


@dataclass(frozen=True)
class Spec:
    """A named regression specification: regressors, fixed effects, and what it tests."""

    name: str
    description: str
    terms: tuple[str, ...]
    fixed_effects: tuple[str, ...] = BASE_FE
    exposure: bool = False
    controls: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def regressors(self) -> tuple[str, ...]:
        """The terms, plus ``log_age`` when the specification has the exposure control."""
        return self.terms + ((EXPOSURE,) if self.exposure else ())

    @property
    def lag_control(self) -> str:
        """How the lag since the base's release is controlled: ``bins``, ``log`` or ``""``."""
        if LAG_BINS[0] in self.terms:
            return "bins"
        if LAG_SPLINE[0] in self.terms:
            return "spline"
        return "log" if LAG in self.terms else ""


def _specs() -> dict[str, Spec]:
    core = {
        "priority": ((PRIORITY,), "priority alone: log entry rank among the base's derivatives"),
        "congestion": (
            (CONGESTION,),
            "congestion alone: log(1 + same-base entries in the window around entry)",
        ),
        "both": ((PRIORITY, CONGESTION), "priority and congestion together"),
        "baseline": (
            (PRIORITY, CONGESTION, *CONTROLS),
            "priority and congestion with quality proxies (datasets, licence, evaluation results,"
            " paper, library declared), the kind of entry (adapter, quantized, merge) and the"
            " author's prominence (earlier models, same author as the base): the paper's"
            " 'after accounting for model and ecosystem prominence' (base prominence is absorbed"
            " by the base fixed effect)",
        ),
        "lag": (
            (LAG,),
            "maturation: log(1 + days since the base's release) alone (in levels, lag + age is"
            " constant within a base, so with base fixed effects the lag's linear part is"
            " absorbed with the exposure control)",
        ),
        "early": (
            ("early_entrant_30d",),
            "priority as a flag: entered within 30 days of the base's release",
        ),
    }
    out: dict[str, Spec] = {}
    for name, (terms, text) in core.items():
        controls = name == "baseline"
        out[name] = Spec(name, text, terms, BASE_FE, exposure=False, controls=controls)
        if name != "lag":
            out[f"{name}_exposure"] = Spec(
                f"{name}_exposure",
                text + "; plus the exposure control log(1 + age at the snapshot)",
                terms,
                BASE_FE,
                exposure=True,
                controls=controls,
            )
        if name in ("priority", "congestion", "both"):
            out[f"{name}_naive"] = Spec(
                f"{name}_naive",
                text + "; base fixed effect only: no creation-month fixed effect and no age"
                " control, so exposure is not controlled at all (for comparison)",
                terms,
                ("base_id",),
            )
    out["priority_age"] = Spec(
        "priority_age",
        "priority alone with the exposure control log(1 + age), base fixed effect only (no"
        " creation-month fixed effect)",
        (PRIORITY,),
        ("base_id",),
        exposure=True,
    )
    out["both_loglag"] = Spec(
        "both_loglag",
        "priority and congestion with log age, the creation-month fixed effect and log(1 + lag"
        " since the base's release) as one linear term",
        (PRIORITY, CONGESTION, LAG),
        BASE_FE,
        exposure=True,
    )
    out["both_lagbins"] = Spec(
        "both_lagbins",
        "priority and congestion with log age, the creation-month fixed effect and indicators"
        " of lag bins (days since the base's release)",
        (PRIORITY, CONGESTION, *LAG_BINS),
        BASE_FE,
        exposure=True,
    )
    out["baseline_lagbins"] = Spec(
        "baseline_lagbins",
        "the lag-bins specification with the quality, kind and author-prominence controls",
        (PRIORITY, CONGESTION, *CONTROLS, *LAG_BINS),
        BASE_FE,
        exposure=True,
        controls=True,
    )
    out["both_lagspline"] = Spec(
        "both_lagspline",
        "priority and congestion with log age, the creation-month fixed effect and a restricted"
        " cubic spline in log(1 + lag since the base's release): the primary specification",
        (PRIORITY, CONGESTION, LAG, *LAG_SPLINE),
        BASE_FE,
        exposure=True,
    )
    out["baseline_lagspline"] = Spec(
        "baseline_lagspline",
        "the lag-spline specification with the quality, kind and author-prominence controls",
        (PRIORITY, CONGESTION, *CONTROLS, LAG, *LAG_SPLINE),
        BASE_FE,
        exposure=True,
        controls=True,
    )
    return out


#: Registry of specifications (name → :class:`Spec`); every one has the base fixed effect.
SPECS: dict[str, Spec] = _specs()


def spec_table(names: list[str] | None = None) -> pd.DataFrame:
    """The specification registry as a compact table.

    Args:
        names: the specifications to list (default: all of :data:`SPECS`).

    Returns:
        One row per specification: the regressors of interest, and whether the quality/kind/
        prominence controls, the exposure control, the creation-month fixed effect and a lag
        control are in (every specification has the base fixed effect and clusters by base).
    """
    names = list(SPECS) if names is None else names
    return pd.DataFrame(
        [
            {
                "spec": s.name,
                "regressors of interest": ", ".join(
                    LABELS.get(t, t)
                    for t in s.terms
                    if t not in CONTROLS and t != LAG and t not in (*LAG_SPLINE, *LAG_BINS)
                ),
                "controls": "yes" if s.controls else "",
                "log age": "yes" if s.exposure else "",
                "creation-month FE": "yes" if "created_month" in s.fixed_effects else "",
                "lag control": s.lag_control,
            }
            for s in (SPECS[n] for n in names)
        ]
    )


#: Rows of the coefficient plot: a label and, per term, the specification that estimates it.
LADDER = (
    (
        "alone · base FE only",
        {"log_entry_rank": "priority_naive", "log_congestion": "congestion_naive"},
    ),
    ("alone · + month FE", {"log_entry_rank": "priority", "log_congestion": "congestion"}),
    (
        "alone · + log age",
        {"log_entry_rank": "priority_exposure", "log_congestion": "congestion_exposure"},
    ),
    ("together · base FE only", {"log_entry_rank": "both_naive", "log_congestion": "both_naive"}),
    ("together · + month FE", {"log_entry_rank": "both", "log_congestion": "both"}),
    (
        "together · + log age",
        {"log_entry_rank": "both_exposure", "log_congestion": "both_exposure"},
    ),
    ("together + controls", {"log_entry_rank": "baseline", "log_congestion": "baseline"}),
    (
        "+ controls + log age",
        {"log_entry_rank": "baseline_exposure", "log_congestion": "baseline_exposure"},
    ),
    (
        "together · + lag spline (primary)",
        {"log_entry_rank": "both_lagspline", "log_congestion": "both_lagspline"},
    ),
    (
        "+ controls + lag spline",
        {"log_entry_rank": "baseline_lagspline", "log_congestion": "baseline_lagspline"},
    ),
)
