"""The sign rule's new vocabulary — absent, inconclusive, design-dependent — its thresholds at
their boundaries, and the construct check, on hand-worked numbers.

Normal values used below: two-sided p of z = 0.5 is 0.6171, of z = 3 is 0.0027;
MDE factor (z_0.975 + z_0.80) = 1.959964 + 0.841621 = 2.801585; z_0.95 = 1.644854.
"""

from __future__ import annotations

import json

import pytest

from hflineage.errors import ParameterError
from hflineage.verdicts import (
    Design,
    Evidence,
    Robustness,
    construct_check,
    sign_rule,
    threshold_rule,
)

SIZE = "larger models disrupt more"


def rob(n: int, support: int, contrary: int) -> Robustness:
    return Robustness(n, support, contrary, support / n, "holm")


# -- absent and inconclusive -----------------------------------------------------------------


def test_absent_when_the_equivalence_test_rules_out_the_sesoi():
    # estimate 0.01, se 0.02 (z = 0.5, p = 0.617), sesoi 0.05.  TOST by hand:
    #   z_lower = (0.01 + 0.05) / 0.02 = 3  -> p_lower = 1 - Phi(3) = 0.00135
    #   z_upper = (0.01 - 0.05) / 0.02 = -2 -> p_upper = Phi(-2)    = 0.02275 = TOST p < 0.05
    # 90% interval 0.01 -/+ 1.644854 * 0.02 = (-0.0229, 0.0429); MDE 2.801585 * 0.02 = 0.0560
    v = sign_rule(Evidence("p", 0.01, 0.02), expected="positive", sesoi=0.05, subject=SIZE)
    assert v.status == "absent"
    assert v.sentence == (
        "The paper says larger models disrupt more, but here the estimate (p) is 0.01 (SE 0.02, "
        "p = 0.62): not distinguishable from zero at the 5% level; the test detects an effect of "
        "0.056 or more with 80% power; effects as large as \u00b10.05 are ruled out (equivalence "
        "test p = 0.023, 90% interval \u22120.023 to 0.043): the effect is absent at that size."
    )
    assert v.tost_p == pytest.approx(0.0227501, abs=1e-7)
    assert v.equivalence_bounds == pytest.approx((-0.0228971, 0.0428971), abs=1e-7)
    assert v.mde == pytest.approx(0.0560317, abs=1e-7)
    assert v.sesoi == 0.05
    assert v.rule.endswith(
        "; absent if a TOST at 0.05 rules out effects of \u00b10.05, else inconclusive"
    )


def test_inconclusive_when_equivalence_is_not_shown():
    # estimate 0.01, se 0.04, sesoi 0.05: p_lower = 1 - Phi(1.5) = 0.0668, p_upper = Phi(-1) =
    # 0.1587 -> TOST p 0.1587 >= 0.05.  90% interval 0.01 -/+ 0.0658 = (-0.0558, 0.0758);
    # MDE 2.801585 * 0.04 = 0.1121
    v = sign_rule(Evidence("p", 0.01, 0.04), expected="positive", sesoi=0.05, subject=SIZE)
    assert v.status == "inconclusive"
    assert v.sentence == (
        "The paper says larger models disrupt more, but here the estimate (p) is 0.01 (SE 0.04, "
        "p = 0.8): not distinguishable from zero at the 5% level; the test detects an effect of "
        "0.11 or more with 80% power; effects as large as \u00b10.05 are not ruled out "
        "(equivalence test p = 0.16, 90% interval \u22120.056 to 0.076)."
    )
    assert v.tost_p == pytest.approx(0.1586553, abs=1e-7)


def test_tost_p_just_below_and_above_alpha_flips_absent_and_inconclusive():
    # sesoi 0.05, se 0.02: TOST p = Phi((e - 0.05) / 0.02); e = 0.0169 -> 0.04896 (absent),
    # e = 0.0173 -> 0.05102 (inconclusive); both primaries far from significant (p ~ 0.4)
    kw = dict(expected="positive", sesoi=0.05)
    assert sign_rule(Evidence("p", 0.0169, 0.02), **kw).status == "absent"
    assert sign_rule(Evidence("p", 0.0173, 0.02), **kw).status == "inconclusive"
    # the TOST level is the rule's alpha: at 0.04, 0.04896 no longer shows equivalence
    assert sign_rule(Evidence("p", 0.0169, 0.02), alpha=0.04, **kw).status == "inconclusive"


def test_significant_but_too_small_is_absent_only_if_equivalence_is_shown():
    # z = 4 but 0.004 < min_effect 0.01; sesoi 0.01: z_upper = (0.004 - 0.01) / 0.001 = -6
    # -> TOST p = Phi(-6) = 9.9e-10: absent
    v = sign_rule(Evidence("p", 0.004, 0.001), expected="positive", min_effect=0.01, sesoi=0.01)
    assert v.status == "absent"
    assert "significant but smaller than the 0.01 the rule requires" in v.sentence
    assert "equivalence test p < 0.001" in v.sentence
    # sesoi 0.005: z_upper = (0.004 - 0.005) / 0.001 = -1 -> 0.159: inconclusive
    assert (
        sign_rule(
            Evidence("p", 0.004, 0.001), expected="positive", min_effect=0.01, sesoi=0.005
        ).status
        == "inconclusive"
    )


def test_without_sesoi_or_without_se_the_non_significant_outcome_is_inconclusive():
    assert sign_rule(Evidence("p", 0.0, 0.02), expected="positive").status == "inconclusive"
    # p only: no se, no MDE, no TOST
    v = sign_rule(Evidence("p", 0.01, p=0.6), expected="positive", sesoi=0.05)
    assert v.status == "inconclusive"
    assert (v.mde, v.tost_p, v.equivalence_bounds) == (None, None, None)
    assert "cannot be tested without a standard error" in v.sentence


def test_robustness_never_turns_an_absent_primary_into_more():
    v = sign_rule(
        Evidence("p", 0.01, 0.02), expected="positive", sesoi=0.05, robustness=rob(6, 6, 0)
    )
    assert v.status == "absent"


# -- the other thresholds at their boundaries ------------------------------------------------


def test_min_effect_just_above_and_below_flips_the_verdict():
    # z = 10 either way; only |estimate| vs min_effect 0.01 decides (halving min_effect would
    # make the second one reproduced)
    kw = dict(expected="positive", min_effect=0.01)
    assert sign_rule(Evidence("p", 0.0101, 0.00101), **kw).status == "reproduced"
    assert sign_rule(Evidence("p", 0.0099, 0.00099), **kw).status == "inconclusive"
    # the same for an expected negative sign: |-0.0099| < 0.01
    kw = dict(expected="negative", min_effect=0.01)
    assert sign_rule(Evidence("p", -0.0101, 0.00101), **kw).status == "reproduced"
    assert sign_rule(Evidence("p", -0.0099, 0.00099), **kw).status == "inconclusive"


def test_p_just_below_and_above_alpha_flips_the_verdict():
    for alpha in (0.05, 0.01):
        below, above = alpha * 0.998, alpha * 1.002
        assert sign_rule(Evidence("p", 1.0, p=below), expected="positive", alpha=alpha).status == (
            "reproduced"
        )
        assert sign_rule(Evidence("p", 1.0, p=above), expected="positive", alpha=alpha).status == (
            "inconclusive"
        )
        assert sign_rule(Evidence("p", -1.0, p=below), expected="positive", alpha=alpha).status == (
            "contradicted"
        )
        assert sign_rule(Evidence("p", -1.0, p=above), expected="positive", alpha=alpha).status == (
            "inconclusive"
        )


def test_support_share_at_min_support_and_contrary_at_max_contrary():
    primary = Evidence("p", 0.03, 0.01)  # z = 3
    kw = dict(expected="positive")
    # share exactly 0.4 = min_support 0.4 -> reproduced; 0.4 < 0.5 -> partly
    assert sign_rule(primary, robustness=rob(5, 2, 0), min_support=0.4, **kw).status == (
        "reproduced"
    )
    assert sign_rule(primary, robustness=rob(5, 2, 0), **kw).status == "partly reproduced"
    # share 499 / 1000 just below 0.5 -> partly; 500 / 1000 -> reproduced
    assert sign_rule(primary, robustness=rob(1000, 499, 0), **kw).status == "partly reproduced"
    assert sign_rule(primary, robustness=rob(1000, 500, 0), **kw).status == "reproduced"
    # contrary 2 of 5 exactly at max_contrary 0.4 (2 <= 0.4 * 5) -> reproduced; at 0.39 -> partly
    assert sign_rule(primary, robustness=rob(5, 3, 2), max_contrary=0.4, **kw).status == (
        "reproduced"
    )
    assert sign_rule(primary, robustness=rob(5, 3, 2), max_contrary=0.39, **kw).status == (
        "partly reproduced"
    )


def test_robustness_with_every_fit_excluded_leaves_the_primary_to_decide():
    empty = Robustness(0, 0, 0, float("nan"), "holm", excluded=3, n_fits=3)
    v = sign_rule(Evidence("p", 0.03, 0.01), expected="positive", robustness=empty)
    assert v.status == "reproduced"
    assert v.sentence.endswith(
        "; every robustness fit (3) is excluded as biased by the simulation, so the primary "
        "decides."
    )


# -- design-dependent ------------------------------------------------------------------------


def test_design_dependent_when_valid_designs_disagree():
    # primary z = 3 (support); "alt" z = 0.5 (p = 0.617, not significant, valid);
    # "bad" z = 5 would support, but the simulation finds it not valid: ignored
    v = sign_rule(
        Evidence("p", 0.3, 0.1),
        expected="positive",
        subject=SIZE,
        designs=[
            Design("alt", 0.05, 0.1, valid=True),
            {"label": "bad", "estimate": 0.5, "se": 0.1, "valid": False, "note": "size 0.3"},
        ],
    )
    assert v.status == "design-dependent"
    assert v.sentence == (
        "Whether larger models disrupt more depends on the design: valid designs disagree \u2014 "
        "it holds in p, 0.3 (SE 0.1, p = 0.0027), but not in alt, 0.05 (SE 0.1, p = 0.62): not "
        "significant; not used: bad (the simulation finds it not valid)."
    )
    assert [(d["label"], d["primary"], d["outcome"]) for d in v.designs] == [
        ("p", True, "support"),
        ("alt", False, "not significant"),
        ("bad", False, "ignored (not valid)"),
    ]
    # five ignored designs are counted, not named
    many = [{"label": f"bad{i}", "estimate": 0.5, "se": 0.1, "valid": False} for i in range(5)]
    v5 = sign_rule(
        Evidence("p", 0.3, 0.1),
        expected="positive",
        subject=SIZE,
        designs=[Design("alt", 0.05, 0.1, valid=True), *many],
    )
    assert v5.sentence.endswith(
        "; not used: 5 other designs the simulation finds not valid (each named with its reason "
        "in the chapter's design table)."
    )
    assert "bad0" not in v5.sentence
    assert v.designs[2]["note"] == "size 0.3"
    assert v.rule.endswith("; design-dependent if valid designs disagree (2 other declared)")


def test_design_dependent_covers_opposite_and_an_insignificant_primary():
    # primary supports, a valid design is significantly the other way (z = -4)
    v = sign_rule(Evidence("p", 0.3, 0.1), expected="positive", designs=[Design("d", -0.4, 0.1)])
    assert v.status == "design-dependent"
    assert "d, \u22120.4 (SE 0.1, p < 0.001): significantly the other way" in v.sentence
    # the primary is not significant (z = 0.5) but a valid design supports (z = 3)
    v = sign_rule(
        Evidence("p", 0.05, 0.1), expected="positive", sesoi=1.0, designs=[Design("d", 0.3, 0.1)]
    )
    assert v.status == "design-dependent"  # not "absent", though TOST would show equivalence
    # the primary contradicts (z = -3) and a valid design supports (z = 3)
    assert (
        sign_rule(
            Evidence("p", -0.3, 0.1), expected="positive", designs=[Design("d", 0.3, 0.1)]
        ).status
        == "design-dependent"
    )


def test_designs_that_agree_or_are_not_valid_leave_the_primary_to_decide():
    primary = Evidence("p", 0.3, 0.1)  # z = 3
    agree = sign_rule(primary, expected="positive", designs=[Design("d", 0.4, 0.1)])
    assert agree.status == "reproduced"
    assert [d["outcome"] for d in agree.designs] == ["support", "support"]
    invalid = sign_rule(primary, expected="positive", designs=[Design("d", 0.0, 0.1, valid=False)])
    assert invalid.status == "reproduced"
    assert invalid.designs[1]["outcome"] == "ignored (not valid)"
    # "too small" is neither support nor disagreement: z = 5 but 0.005 < min_effect 0.01
    small = sign_rule(
        Evidence("p", 0.03, 0.01),
        expected="positive",
        min_effect=0.01,
        designs=[Design("d", 0.005, 0.001)],
    )
    assert small.status == "reproduced" and small.designs[1]["outcome"] == "too small"
    # two non-significant designs do not disagree: the primary decides (inconclusive)
    both = sign_rule(Evidence("p", 0.05, 0.1), expected="positive", designs=[Design("d", 0, 1)])
    assert both.status == "inconclusive"


def test_design_bad_input():
    with pytest.raises(ParameterError, match=r"design 'd' has neither se nor p"):
        Design("d", 0.3)
    with pytest.raises(ParameterError, match=r"design 'd': valid must be True or False"):
        Design("d", 0.3, 0.1, valid="yes")
    with pytest.raises(ParameterError, match=r"^design 'd': standard error must be >= 0"):
        Design("d", 0.3, -0.1)
    with pytest.raises(ParameterError, match=r"^design 'd': p must be in \[0, 1\]; got 2"):
        Design("d", 0.3, p=2.0)
    with pytest.raises(ParameterError, match=r"a design must be a Design or a mapping"):
        sign_rule(Evidence("p", 0.3, 0.1), expected="positive", designs=[0.3])


def test_sign_rule_new_parameters_bad_input():
    ok = Evidence("p", 0.03, 0.01)
    with pytest.raises(ParameterError, match=r"sesoi \(smallest effect size of interest\) must"):
        sign_rule(ok, expected="positive", sesoi=-0.1)
    with pytest.raises(ParameterError, match=r"power must be a number in \(0, 1\); got 1.2"):
        sign_rule(ok, expected="positive", power=1.2)
    with pytest.raises(ParameterError, match=r"alpha must be a number in \(0, 1\); got 0"):
        sign_rule(ok, expected="positive", alpha=0)


def test_new_verdict_fields_serialise_as_json():
    v = sign_rule(
        Evidence("p", 0.01, 0.02),
        expected="positive",
        sesoi=0.05,
        designs=[Design("d", float("nan"), 0.1)],
    )
    d = json.loads(json.dumps(v.to_dict(), allow_nan=False))
    assert d["status"] == "absent"
    assert d["equivalence_bounds"] == pytest.approx([-0.0228971, 0.0428971], abs=1e-7)
    assert d["tost_p"] == pytest.approx(0.0227501, abs=1e-7)
    assert d["sesoi"] == 0.05 and d["mde"] == pytest.approx(0.0560317, abs=1e-7)
    assert d["designs"][1]["outcome"] == "not estimable" and d["designs"][1]["estimate"] is None


# -- construct check -------------------------------------------------------------------------

NJ = "models with n_j > 0, the only ones whose literal disruption index can be negative"


def test_construct_check_not_testable_by_construction():
    # 0.55% of focal models have n_j > 0: "most values negative" needs at least half
    v = construct_check(
        0.0055,
        min_share=0.5,
        what=NJ,
        population="focal models",
        subject="most models are consolidative",
        measure="the literal disruption index",
    )
    assert v.status == "not testable (construct)"
    assert v.sentence == (
        "The paper says most models are consolidative, but the literal disruption index cannot "
        "show that by construction: only 0.55% of focal models are models with n_j > 0, the "
        "only ones whose literal disruption index can be negative, below the 50% the "
        "pattern needs."
    )
    assert v.primary.estimate == 0.0055
    assert (
        v.rule == f"construct: not testable (construct) if fewer than 50% of focal models are {NJ}"
    )


def test_construct_check_boundary_and_undefined():
    assert construct_check(0.5, min_share=0.5, what="x") is None  # exactly at the minimum
    assert construct_check(0.4999, min_share=0.5, what="x").status == "not testable (construct)"
    assert construct_check(float("nan"), min_share=0.5, what="x").status == "not testable"
    # used in front of the claim's rule: a measure that can show the pattern goes on
    v = construct_check(0.9, min_share=0.5, what="x") or threshold_rule(
        0.2, threshold=0.5, label="share below 0"
    )
    assert v.status == "absent"


def test_construct_check_bad_input():
    for bad in (0, 1.5, float("nan")):
        with pytest.raises(ParameterError, match=r"min_share must be a share in \(0, 1\]"):
            construct_check(0.1, min_share=bad, what="x")
    with pytest.raises(ParameterError, match=r"share_could_show must be a share in \[0, 1\]"):
        construct_check(1.2, min_share=0.5, what="x")
    with pytest.raises(ParameterError, match=r"needs 'what'"):
        construct_check(0.1, min_share=0.5, what=" ")


def test_threshold_rule_short_of_its_threshold_is_absent():
    v = threshold_rule(0.42, threshold=0.5, label="share", fmt=".0%")
    assert v.status == "absent"
    assert threshold_rule(0.5, threshold=0.5, label="share").status == "reproduced"
    assert threshold_rule(0.4999, threshold=0.5, label="share").status == "absent"


def test_an_extension_names_its_own_claimant():
    # z = 0.3 / 0.1 = 3 (p = 0.0027): supports; z = 0.1 / 0.1 = 1: not significant
    ev = Evidence("x", 0.3, 0.1)
    v = sign_rule(
        ev, expected="positive", subject="s", claimant="Hill and Stein's framework", says="predicts"
    )
    assert v.sentence.startswith("As Hill and Stein's framework predicts, s: ")
    w = sign_rule(
        Evidence("x", 0.1, 0.1),
        expected="positive",
        subject="s",
        claimant="Hill and Stein's framework",
        says="predicts",
    )
    assert w.sentence.startswith("Hill and Stein's framework predicts s, but here ")
    # the default stays the paper
    assert sign_rule(ev, expected="positive", subject="s").sentence.startswith(
        "As the paper says, s: "
    )
