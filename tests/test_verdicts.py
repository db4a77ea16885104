"""The verdict rules, on hand-worked numbers.

Normal two-sided p-values used below (from tables, checked against 2 * (1 - Phi(|z|))):
z = 6 -> 2.0e-9; z = 4 -> 6.3e-5; z = 3 -> 0.0027; z = 2 -> 0.0455; z = 1 -> 0.3173;
z = 0.5 -> 0.6171.
"""

from __future__ import annotations

import json
import math

import pytest

from hflineage.errors import ParameterError
from hflineage.verdicts import (
    STATUSES,
    Evidence,
    Robustness,
    Verdict,
    data_scale_rule,
    fmt_number,
    fmt_p,
    method_verdict,
    not_testable,
    robustness_share,
    sign_rule,
    threshold_rule,
)

PRIO = "a derivative released later gets fewer likes"


def rob(n: int, support: int, contrary: int) -> Robustness:
    """A robustness record written by hand (the counts a Holm step would have produced)."""
    return Robustness(n, support, contrary, support / n, "holm")


# -- Evidence --------------------------------------------------------------------------------


def test_evidence_p_from_estimate_and_se():
    assert Evidence("a", 0.03, 0.01).p == pytest.approx(0.0026998, abs=1e-6)  # z = 3
    assert Evidence("b", -0.196, 0.1).p == pytest.approx(0.04999579, abs=1e-7)  # z = -1.96
    assert Evidence("c", 0.5, 0.1, p=0.2).p == 0.2  # a given p is kept
    assert Evidence("d", 0.5).p is None  # no se, no p
    assert math.isnan(Evidence("e", 0.5, 0.0).p)  # a degenerate fit has no p


def test_evidence_rejects_negative_se_and_bad_p():
    with pytest.raises(
        ParameterError, match=r"evidence 'x': standard error must be >= 0; got -0.1"
    ):
        Evidence("x", 1.0, -0.1)
    with pytest.raises(ParameterError, match=r"evidence 'x': p must be in \[0, 1\]; got 1.5"):
        Evidence("x", 1.0, p=1.5)


def test_evidence_text():
    assert Evidence("a", -0.124, 0.017).text() == "\u22120.12 (SE 0.017, p < 0.001)"
    assert Evidence("a", 0.01, 0.02).text() == "0.01 (SE 0.02, p = 0.62)"  # z = 0.5
    assert Evidence("a", 0.5).text() == "0.5"


# -- sign rule -------------------------------------------------------------------------------


def test_sign_rule_reproduced_with_the_sentence_built_from_the_numbers():
    v = sign_rule(
        Evidence("LLM bases, lag bins, base-clustered", -0.12, 0.02),  # z = -6
        expected="negative",
        subject=PRIO,
        quantity="the coefficient of log entry rank",
    )
    assert v.status == "reproduced"
    assert v.sentence == (
        "As the paper says, a derivative released later gets fewer likes: the coefficient of "
        "log entry rank is \u22120.12 (SE 0.02, p < 0.001)."
    )
    assert v.rule == "sign: expected negative, alpha 0.05 (two-sided), min effect 0"
    assert v.robustness is None


def test_sign_rule_robustness_that_fits_keeps_reproduced():
    primary = Evidence("p", 0.03, 0.01)  # z = 3, p = 0.0027
    v = sign_rule(primary, expected="positive", robustness=rob(5, 4, 0))
    assert v.status == "reproduced"
    assert "; and 4 of 5 other fits support it (Holm-adjusted, 5% level)." in v.sentence
    # share exactly at min_support counts (>=)
    assert sign_rule(primary, expected="positive", robustness=rob(4, 2, 0)).status == "reproduced"


def test_sign_rule_weak_robustness_is_partly():
    v = sign_rule(Evidence("p", 0.03, 0.01), expected="positive", robustness=rob(4, 1, 0))
    assert v.status == "partly reproduced"  # 1/4 = 0.25 < 0.5
    assert "; but only 1 of 4 other fits support it (Holm-adjusted, 5% level)." in v.sentence


def test_sign_rule_counts_contrary_fits_against():
    primary = Evidence("p", 0.03, 0.01)
    # 3 of 4 support (0.75 >= 0.5), but one is significant the other way: max_contrary 0 -> partly
    v = sign_rule(primary, expected="positive", robustness=rob(4, 3, 1))
    assert v.status == "partly reproduced"
    assert "1 significantly the other way" in v.sentence
    # allowing a quarter contrary: 1 <= 0.25 * 4 -> reproduced
    assert (
        sign_rule(primary, expected="positive", robustness=rob(4, 3, 1), max_contrary=0.25).status
        == "reproduced"
    )


def test_sign_rule_insignificant_primary_is_inconclusive_whatever_the_robustness():
    # z = -0.5, p = 0.617; every robustness fit significant and supporting: still inconclusive
    # (no sesoi declared).  MDE = (1.959964 + 0.841621) * 0.02 = 0.05603
    v = sign_rule(
        Evidence("p", -0.01, 0.02), expected="negative", robustness=rob(6, 6, 0), subject=PRIO
    )
    assert v.status == "inconclusive"
    assert v.sentence == (
        "The paper says a derivative released later gets fewer likes, but here the estimate (p) "
        "is \u22120.01 (SE 0.02, p = 0.62): not distinguishable from zero at the 5% level; the "
        "test detects an effect of 0.056 or more with 80% power; no smallest effect of interest "
        "is declared, so absence is not shown either."
    )
    assert v.mde == pytest.approx(0.0560317, abs=1e-6)
    assert (v.sesoi, v.tost_p, v.equivalence_bounds, v.designs) == (None, None, None, ())


def test_sign_rule_too_small_is_inconclusive_without_sesoi():
    # z = 4 (significant) but 0.004 < min_effect 0.01
    v = sign_rule(Evidence("p", 0.004, 0.001), expected="positive", min_effect=0.01)
    assert v.status == "inconclusive"
    assert "significant but smaller than the 0.01 the rule requires" in v.sentence
    # exactly min_effect counts (>=)
    assert sign_rule(Evidence("p", 0.01, 0.001), expected="positive", min_effect=0.01).status == (
        "reproduced"
    )


def test_sign_rule_significant_opposite_sign_is_contradicted():
    v = sign_rule(
        Evidence("cd LPM, merge vs finetune", 0.087, 0.011),
        expected="negative",
        min_effect=0.5,  # larger than |0.087|: a contrary result contradicts whatever its size
        robustness=rob(3, 3, 0),
        subject="finetunes are more disruptive than merges",
    )
    assert v.status == "contradicted"
    assert v.sentence.startswith(
        "The paper says finetunes are more disruptive than merges, but here the opposite holds: "
        "the estimate (cd LPM, merge vs finetune) is 0.087 (SE 0.011, p < 0.001)"
    )
    # an insignificant opposite sign is only "inconclusive": z = 1
    assert sign_rule(Evidence("p", 0.02, 0.02), expected="negative").status == "inconclusive"


def test_sign_rule_alpha_is_strict():
    assert sign_rule(Evidence("p", 1.0, p=0.05), expected="positive").status == "inconclusive"
    assert sign_rule(Evidence("p", 1.0, p=0.0499), expected="positive").status == "reproduced"
    assert sign_rule(Evidence("p", 1.0, p=0.02), expected="positive", alpha=0.01).status == (
        "inconclusive"
    )


def test_sign_rule_without_a_number_is_not_testable():
    for primary in (Evidence("p", float("nan"), 0.1), Evidence("p", 0.3, 0.0)):
        v = sign_rule(primary, expected="positive", subject="larger models disrupt more")
        assert v.status == "not testable"
        assert v.sentence == (
            "The paper says larger models disrupt more, but the estimate (p) could not be "
            "computed on this run's data."
        )


def test_sign_rule_bad_input_is_a_one_line_error():
    ok = Evidence("p", 0.03, 0.01)
    with pytest.raises(ParameterError, match=r"unknown value 'up' for parameter 'expected'"):
        sign_rule(ok, expected="up")
    with pytest.raises(ParameterError, match=r"alpha must be a number in \(0, 1\); got 1.5"):
        sign_rule(ok, expected="positive", alpha=1.5)
    with pytest.raises(ParameterError, match=r"min_effect must be a number >= 0; got -1"):
        sign_rule(ok, expected="positive", min_effect=-1)
    with pytest.raises(ParameterError, match=r"min_support must be a share in \[0, 1\]"):
        sign_rule(ok, expected="positive", min_support=2)
    with pytest.raises(ParameterError, match=r"has neither se nor p"):
        sign_rule(Evidence("p", 0.03), expected="positive")


# -- robustness share and Holm ---------------------------------------------------------------


def test_holm_worked_by_hand_on_three_p_values():
    # p = (0.01, 0.04, 0.03). Sorted: 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04 -> the
    # running maximum keeps 0.06. Adjusted, in input order: (0.03, 0.06, 0.06); at 5% only the
    # first is significant.  Unadjusted all three are.
    r = robustness_share(
        [0.5, 0.4, -0.3], None, expected="positive", p=[0.01, 0.04, 0.03], labels=["a", "b", "c"]
    )
    assert [f["p_adjusted"] for f in r.fits] == pytest.approx([0.03, 0.06, 0.06])
    assert [f["outcome"] for f in r.fits] == ["support", "neither", "neither"]
    assert (r.n, r.support, r.contrary, r.share_support) == (3, 1, 0, pytest.approx(1 / 3))
    assert r.adjustment == "holm"
    raw = robustness_share(
        [0.5, 0.4, -0.3], None, expected="positive", p=[0.01, 0.04, 0.03], adjust="none"
    )
    assert (raw.support, raw.contrary) == (2, 1)
    assert [f["outcome"] for f in raw.fits] == ["support", "support", "contrary"]


def test_robustness_share_from_estimates_and_ses():
    # z = 3, 2, -1 -> p = 0.0027, 0.0455, 0.3173; Holm: 0.0081, 0.0910, 0.3173 -> 1 support
    r = robustness_share([3.0, 2.0, -1.0], [1.0, 1.0, 1.0], expected="positive")
    assert [f["p_adjusted"] for f in r.fits] == pytest.approx([0.0081, 0.0910, 0.3173], abs=1e-4)
    assert (r.support, r.contrary) == (1, 0)
    assert [f["label"] for f in r.fits] == ["fit 1", "fit 2", "fit 3"]
    # the same fits, expected negative: the z = 3 fit is significant the other way
    neg = robustness_share([3.0, 2.0, -1.0], [1.0, 1.0, 1.0], expected="negative")
    assert (neg.support, neg.contrary, neg.share_support) == (0, 1, 0.0)


def test_robustness_share_untestable_fits_lower_the_share():
    # the NaN fit is left out of the Holm family (2 tests): p 0.0027 * 2 = 0.0054; 0.0455 * 1
    r = robustness_share([3.0, float("nan"), 2.0], [1.0, 1.0, 1.0], expected="positive")
    assert [f["p_adjusted"] for f in r.fits] == pytest.approx([0.0054, None, 0.0455], abs=1e-4)
    assert (r.n, r.support, r.untestable) == (3, 2, 1)
    assert r.share_support == pytest.approx(2 / 3)
    assert r.fits[1]["outcome"] == "not estimable" and r.fits[1]["estimate"] is None


def test_robustness_share_bad_input():
    with pytest.raises(ParameterError, match=r"needs at least one fit"):
        robustness_share([], [], expected="positive")
    with pytest.raises(ParameterError, match=r"ses has 2 values; expected 3"):
        robustness_share([1, 2, 3], [1, 1], expected="positive")
    with pytest.raises(ParameterError, match=r"standard errors must be >= 0"):
        robustness_share([1, 2], [1, -1], expected="positive")
    with pytest.raises(ParameterError, match=r"unknown value 'bonferroni' for parameter 'adjust'"):
        robustness_share([1, 2], [1, 1], expected="positive", adjust="bonferroni")
    with pytest.raises(ParameterError, match=r"unknown value 'up' for parameter 'expected'"):
        robustness_share([1, 2], [1, 1], expected="up")
    with pytest.raises(ParameterError, match=r"needs standard errors \(ses\) or p-values"):
        robustness_share([1, 2], None, expected="positive")
    with pytest.raises(ParameterError, match=r"p-values must be in \[0, 1\]"):
        robustness_share([1, 2], None, expected="positive", p=[0.1, 2.0])


def test_sign_rule_with_a_computed_robustness_share():
    # primary z = 6; robustness: z = 3 (support), z = -4 (contrary), z = 0.5 (neither);
    # Holm on (0.0027, 6.3e-5, 0.617): 0.0054, 1.9e-4, 0.617 -> 1 support, 1 contrary of 3
    r = robustness_share([0.3, -0.4, 0.05], [0.1, 0.1, 0.1], expected="positive")
    assert (r.support, r.contrary) == (1, 1)
    v = sign_rule(Evidence("p", 0.6, 0.1), expected="positive", robustness=r)
    assert v.status == "partly reproduced"
    assert v.robustness is r


# -- threshold rule --------------------------------------------------------------------------

TOP = "share of edges held by the top 1% of parents"


def test_threshold_rule_above_and_below():
    v = threshold_rule(
        0.62, threshold=0.5, label=TOP, subject="the ecosystem is concentrated", fmt=".0%"
    )
    assert v.status == "reproduced"
    assert v.sentence == (
        "As the paper says, the ecosystem is concentrated: the share of edges held by the top "
        "1% of parents is 62%, at least the 50% the rule requires."
    )
    assert v.rule == f"threshold: {TOP} at least 50%"
    assert v.primary.estimate == 0.62 and v.primary.text() == "62%"
    assert threshold_rule(0.5, threshold=0.5, label=TOP).status == "reproduced"  # inclusive
    assert threshold_rule(0.5, threshold=0.5, label=TOP, inclusive=False).status == ("absent")
    low = threshold_rule(0.42, threshold=0.5, label=TOP, subject="it is concentrated", fmt=".0%")
    assert low.status == "absent"
    assert low.sentence == (
        "The paper says it is concentrated, but here the share of edges held by the top 1% of "
        "parents is 42%, below the 50% the rule requires."
    )
    # above=False mirrors: a claim that a value is low
    assert threshold_rule(0.3, threshold=0.4, above=False, label="x").status == "reproduced"
    assert threshold_rule(0.5, threshold=0.4, above=False, label="x").status == "absent"


def test_threshold_rule_partly_and_contrary():
    assert threshold_rule(0.45, threshold=0.5, partly=0.4, label="x").status == "partly reproduced"
    assert threshold_rule(0.35, threshold=0.5, partly=0.4, label="x").status == "absent"
    assert threshold_rule(0.1, threshold=0.5, contrary=0.2, label="x").status == "contradicted"
    assert threshold_rule(0.2, threshold=0.5, contrary=0.2, label="x").status == "absent"
    assert threshold_rule(0.5, threshold=0.4, above=False, contrary=0.6, label="x").status == (
        "absent"
    )
    assert threshold_rule(0.7, threshold=0.4, above=False, contrary=0.6, label="x").status == (
        "contradicted"
    )


def test_threshold_rule_with_an_opposite_statistic():
    # P1-most-consolidative: share < 0 must exceed 0.5; contradicted if the share > 0 does
    kw = dict(
        threshold=0.5,
        inclusive=False,
        contrary=0.5,
        label="share of MDI values below 0",
        opposite_label="share of MDI values above 0",
        fmt=".0%",
    )
    assert threshold_rule(0.55, opposite=0.40, **kw).status == "reproduced"
    assert threshold_rule(0.50, opposite=0.40, **kw).status == "absent"  # strict
    assert threshold_rule(0.45, opposite=0.50, **kw).status == "absent"  # strict
    v = threshold_rule(0.30, opposite=0.60, subject="most models are consolidative", **kw)
    assert v.status == "contradicted"
    assert v.sentence == (
        "The paper says most models are consolidative, but here the opposite holds: the share "
        "of MDI values above 0 is 60% (the share of MDI values below 0 is 30%)."
    )


def test_threshold_rule_bad_input_and_missing_value():
    assert threshold_rule(float("nan"), threshold=0.5, label="x").status == "not testable"
    with pytest.raises(ParameterError, match=r"partly must be below threshold 0.5; got 0.6"):
        threshold_rule(0.3, threshold=0.5, partly=0.6, label="x")
    with pytest.raises(ParameterError, match=r"contrary must be below 0.4"):
        threshold_rule(0.3, threshold=0.5, partly=0.4, contrary=0.45, label="x")
    with pytest.raises(ParameterError, match=r"threshold must be a finite number"):
        threshold_rule(0.3, threshold=float("nan"), label="x")


# -- data scale, method, not testable, records -------------------------------------------------


def test_data_scale_rule():
    v = data_scale_rule(760_000, paper_models=2_556_240, snapshot_label="the 2024-07-11 listing")
    assert v.status == "not testable"
    assert v.sentence == (
        "The paper used 2,556,240 models; the 2024-07-11 listing has 760,000, so it predates the "
        "paper's data and cannot test the claim."
    )
    assert v.primary.text() == "760,000"
    assert data_scale_rule(2_556_240, paper_models=2_556_240).status == "reproduced"
    assert data_scale_rule(3_000_000, paper_models=2_556_240).status == "reproduced"
    sliced = data_scale_rule(5_175, paper_models=2_556_240, subset="ci slice")
    assert sliced.status == "not testable"
    assert sliced.sentence == (
        "The paper used 2,556,240 models; this run uses a subset of a snapshot (ci slice, 5,175 "
        "models), whose size says nothing about the paper's data."
    )
    # a subset is never "reproduced", however large
    assert data_scale_rule(3_000_000, paper_models=10, subset="x").status == "not testable"
    with pytest.raises(ParameterError, match=r"n_models must be a count >= 0; got -5"):
        data_scale_rule(-5, paper_models=10)


def test_method_and_not_testable():
    m = method_verdict("The lineage network is built by three documented phases")
    assert (m.status, m.sentence, m.primary, m.robustness) == (
        "method",
        "The lineage network is built by three documented phases.",
        None,
        None,
    )
    assert not_testable("Too few bases on this slice.").sentence == "Too few bases on this slice."
    assert not_testable("x").status == "not testable"
    with pytest.raises(ParameterError, match=r"needs a reason"):
        not_testable("  ")


def test_verdict_status_is_checked_and_to_dict_is_json():
    assert STATUSES == (
        "reproduced",
        "partly reproduced",
        "absent",
        "inconclusive",
        "contradicted",
        "design-dependent",
        "not testable",
        "not testable (construct)",
        "method",
    )
    with pytest.raises(ParameterError, match=r"unknown value 'partly' for parameter 'status'"):
        Verdict("partly", "s", "r")
    r = robustness_share([3.0, float("nan")], [1.0, 1.0], expected="positive")
    v = sign_rule(Evidence("p", 0.03, 0.01, n=10), expected="positive", robustness=r)
    d = json.loads(json.dumps(v.to_dict(), allow_nan=False))  # no NaN left
    assert d["status"] == "reproduced"  # z = 3 supports; the NaN fit is 1 of n = 2: 0.5 >= 0.5
    assert d["primary"] == {
        "label": "p",
        "estimate": 0.03,
        "se": 0.01,
        "p": pytest.approx(0.0027, abs=1e-4),
        "n": 10,
        "clusters": None,
        "fmt": None,
    }
    assert d["robustness"]["fits"][1]["outcome"] == "not estimable"


def test_fmt_number_and_p():
    assert fmt_number(-0.124) == "\u22120.12"
    assert fmt_number(2_556_240) == "2,556,240"
    assert fmt_number(0.0871) == "0.087"
    assert fmt_number(1.234) == "1.23"
    assert fmt_number(0.00005) == "5.0e\u221205"
    assert fmt_number(0.625, ".1%") == "62.5%"
    assert fmt_number(float("nan")) == "undefined"
    assert fmt_p(1e-14) == "p < 0.001"
    assert fmt_p(0.0123) == "p = 0.012"
