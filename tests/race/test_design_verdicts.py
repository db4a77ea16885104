"""Revision-2 verdicts of the race findings from a design grid and a simulation's flag table, by
hand: the primary among PPML pairs only, "not testable" with each pair's reason when none is
valid, other pairs as designs (valid or not), robustness one family per estimator with flagged
pairs excluded, and the chapter's design table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hflineage.race import evidence as ev
from hflineage.race.design_report import design_view

RULE = {
    "expected": "negative",
    "alpha": 0.05,
    "min_effect": 0.0,
    "min_support": 0.5,
    "max_contrary": 0.0,
    "sesoi": 0.152,
}


def _fits() -> pd.DataFrame:
    rows = [
        ("spline", "ppml", -0.60, 0.10, 1e-6),
        ("lagbin5", "ppml", -0.65, 0.12, 1e-6),
        ("spline", "ols", -0.05, 0.02, 0.03),
        ("lagbin5", "lpm", -0.06, 0.008, 1e-9),
    ]
    out = []
    for d, e, b, s, p in rows:
        for term in ("rank", "congestion"):
            out.append(
                {
                    "design": d,
                    "label": d.upper(),
                    "estimator": e,
                    "rank": "team",
                    "term": term,
                    "estimate": b if term == "rank" else 0.01,
                    "se": s,
                    "p": p if term == "rank" else 0.9,
                    "n": 100,
                    "clusters": 10,
                    "resid_share": 0.3,
                    "note": "",
                }
            )
    return pd.DataFrame(out)


def _flags(spline_ppml_bias: float) -> pd.DataFrame:
    # real SEs as in _fits; tolerance 0.5 SE: spline ppml 0.05, spline ols 0.01, lagbin5 lpm 0.004
    return pd.DataFrame(
        {
            "design": ["spline", "spline", "lagbin5"],
            "estimator": ["ppml", "ols", "lpm"],
            "draws": [200, 200, 200],
            "bias": [spline_ppml_bias, 0.001, 0.003],
            "mc_error": [0.005, 0.001, 0.001],
            "real_se": [0.10, 0.02, 0.008],
            "ratio": [1.0, 1.0, 1.0],
            "calibrated": [True, True, True],
            "size": [0.05, 0.05, 0.05],
            "size_low": [0.03, 0.03, 0.03],
            "size_high": [0.08, 0.08, 0.08],
            "power": [0.9, 0.99, 0.5],
            "flagged": [False, False, False],
        }
    )


def test_primary_is_chosen_among_ppml_pairs_only():
    sel = ev.select_primary(_flags(0.01), estimators=ev.SESOI_ESTIMATORS)
    # spline ols has the highest power but is not PPML: it stays valid as a design only
    assert sel["primary"] == ("spline", "ppml")
    assert sel["valid"] == [("spline", "ppml")]
    why = sel["table"].set_index(["design", "estimator"])["why_not"]
    assert why[("spline", "ols")] == "estimator not eligible"
    # lagbin5 lpm: |bias| 0.003 < 0.004 but MC error 0.001 is not below half of 0.004? 0.001 < 0.002: valid
    assert why[("lagbin5", "lpm")] == "estimator not eligible"


def test_verdict_uses_the_primary_and_names_the_other_pairs():
    fits = _fits()
    sel = ev.select_primary(_flags(0.01), estimators=ev.SESOI_ESTIMATORS)
    primary, designs = ev.declared_designs(fits, sel)
    assert (primary.estimate, primary.se) == (-0.60, 0.10)
    by = {d.label: d for d in designs}
    assert by["common lag spline (rev. 1 primary) × OLS log(1 + likes)"].valid
    assert not by["base × 5 lag bins × PPML"].valid  # not in the simulation
    assert by["base × 5 lag bins × PPML"].note == "not simulated"
    v = ev.design_verdict(fits, sel, RULE, term="rank", subject="later gets fewer likes")
    # primary, spline ols and lagbin5 lpm all support (p < 0.05, negative): reproduced
    assert v.status == "reproduced"
    assert v.sesoi == 0.152
    assert [d["label"] for d in v.designs][0] == primary.label


def test_no_valid_ppml_pair_is_not_testable_with_the_numbers():
    sel = ev.select_primary(_flags(0.08), estimators=ev.SESOI_ESTIMATORS)
    assert sel["primary"] is None
    v = ev.design_verdict(_fits(), sel, RULE, term="rank")
    assert v.status == "not testable"
    # bias 0.080 against 0.5 x 0.10 = 0.050; the other estimators' valid pairs are named
    assert "bias beyond tolerance (mean +0.080 under no rank effect, tolerance 0.050)" in v.sentence
    assert "200 draws per pair" in v.sentence
    assert "read other estimands" in v.sentence


def test_no_valid_ppml_pair_names_every_failure_and_quotes_the_estimates():
    # spline x PPML fails all four parts: bias 0.080 >= 0.050; MC error 0.030 >= 0.025; size
    # interval [12%, 30%] wholly above 10%; SE ratio 1.6 (beyond +-25%).  base x 5 lag bins x
    # PPML is fitted but not simulated.  Both PPML estimates (-0.60, -0.65) are negative, at
    # least the sesoi 0.152 and significant (p 1e-6): "large and negative".
    flags = _flags(0.08)
    flags.loc[0, ["mc_error", "size", "size_low", "size_high", "ratio", "calibrated"]] = [
        0.03,
        0.2,
        0.12,
        0.30,
        1.6,
        False,
    ]
    sel = ev.select_primary(flags, estimators=ev.SESOI_ESTIMATORS)
    v = ev.design_verdict(
        _fits(), sel, RULE, term="rank", quantity="the coefficient of log team rank"
    )
    assert v.status == "not testable"
    assert v.sentence == (
        "No design read by FE-Poisson (PPML) — the estimand's estimator, in the units of the "
        "declared sesoi — passes the calibrated simulation (200 draws per pair). Its estimates "
        "of the coefficient of log team rank are large and negative (each at least the sesoi of "
        "0.152; 2 of 2 significant at 5%) — common lag spline (rev. 1 primary) × PPML -0.600 "
        "(SE 0.100), base × 5 lag bins × PPML -0.650 (SE 0.120) — but the simulation does not "
        "certify their inference: common lag spline (rev. 1 primary) × PPML: bias beyond "
        "tolerance (mean +0.080 under no rank effect, tolerance 0.050), Monte-Carlo error too "
        "large (0.030, limit 0.025), size interval outside the band (rejects a true null in 20% "
        "of draws, interval [12.0%, 30.0%] against [2.5%, 10.0%]), SE not calibrated "
        "(simulated 1.60 times the real one, band ±25%); base × 5 lag bins × PPML: not "
        "simulated; the pairs that pass (common lag spline (rev. 1 primary) × OLS log(1 + "
        "likes), base × 5 lag bins × LPM any like) read other estimands, in other units than "
        "the sesoi."
    )


def test_estimates_reading_by_hand():
    from hflineage.race.selection import estimates_reading

    t = pd.DataFrame({"estimate": [-0.3, 0.05], "p": [0.01, 0.6]})
    assert estimates_reading(t, sesoi=0.152) == (
        "of mixed sign (1 of 2 at least the sesoi of 0.152; 1 of 2 significant at 5%)"
    )
    small = pd.DataFrame({"estimate": [-0.01, -0.02], "p": [0.5, 0.04]})
    assert estimates_reading(small, sesoi=0.152) == (
        "small and negative (each below the sesoi of 0.152; 1 of 2 significant at 5%)"
    )
    assert estimates_reading(small) == "negative (1 of 2 significant at 5%)"


def test_pair_robustness_one_family_per_estimator_flagged_excluded():
    fits = _fits()
    flags = _flags(0.01)
    flags.loc[flags["estimator"] == "lpm", "flagged"] = True
    sel = ev.select_primary(flags, estimators=ev.SESOI_ESTIMATORS)
    rob = ev.pair_robustness(fits, sel, term="rank")
    # other pairs: lagbin5 ppml (PPML family), spline ols (OLS family), lagbin5 lpm (excluded)
    assert rob.n_fits == 3 and rob.excluded == 1
    assert rob.n == 2
    # Holm over p = 1e-6, 0.03: adjusted 2e-6 and 0.03 -> both support
    assert rob.support == 2 and rob.share_support == 1.0
    assert ev.pair_robustness(fits, {**sel, "primary": None}) is None


def test_design_view_marks_primary_valid_and_unsimulated():
    sel = ev.select_primary(_flags(0.01), estimators=ev.SESOI_ESTIMATORS)
    view = design_view(_fits(), sel)
    keys = zip(view["design"], view["estimator"], strict=True)
    said = dict(zip(keys, view["simulation"], strict=True))
    assert said[("SPLINE", "PPML")] == "primary"
    assert said[("LAGBIN5", "PPML")] == "not simulated"
    assert said[("SPLINE", "OLS log(1 + likes)")] == "valid (secondary estimand)"
    assert np.isnan(view.loc[view["simulation"] == "not simulated", "bias"]).all()


def test_real_table_renames_for_the_flag_table():
    t = ev.real_table(_fits())
    assert list(t.columns) == ["design", "estimator", "real_estimate", "real_se"]
    assert t["real_se"].tolist() == [0.10, 0.12, 0.02, 0.008]


def test_valid_pairs_primary_first_then_secondary_estimands():
    sel = ev.select_primary(_flags(0.01), estimators=ev.SESOI_ESTIMATORS)
    assert ev.valid_pairs(sel) == [("spline", "ppml"), ("spline", "ols"), ("lagbin5", "lpm")]


def test_a_simulation_that_could_not_run_gives_not_testable_with_its_reason():
    from hflineage.race.design_report import FLAG_COLUMNS

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})
    empty.attrs = {"error": "the simulation could not be fitted on this panel (LinAlgError)"}
    sel = ev.select_primary(empty, estimators=ev.SESOI_ESTIMATORS)
    v = ev.design_verdict(_fits(), sel, RULE, term="rank")
    assert v.status == "not testable"
    assert v.sentence == (
        "The declared selection rule has no candidate: the simulation could not be fitted on "
        "this panel (LinAlgError)."
    )


def test_race_verdicts_each_claim_on_its_fits():
    fits = _fits()
    sel = ev.select_primary(_flags(0.01), estimators=ev.SESOI_ESTIMATORS)
    rules = {c: RULE for c in ev.P2_CLAIMS}
    v = ev.race_verdicts({"team": fits, "controls": fits.iloc[0:0]}, sel, rules)
    assert v["P2-priority"].status == "reproduced"
    # congestion: every pair's estimate 0.01 with p 0.9 -> not significant; TOST against 0.152
    # with se 0.10: the 90% interval 0.01 +/- 0.164 reaches beyond -0.152 -> inconclusive
    assert v["P2-congestion"].status == "inconclusive"
    assert v["P2-controls"].status == "not testable"  # no controlled fit of the primary pair
    assert v["P2-controls"].sentence == (
        "The primary pair (common lag spline (rev. 1 primary) × PPML) could not be fitted for this "
        "claim on this run."
    )
    table = ev.verdict_table(v)
    assert table["claim"].tolist() == ["P2-priority", "P2-congestion", "P2-controls"]
