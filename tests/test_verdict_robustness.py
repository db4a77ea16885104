"""Robustness counted fairly: declared families count once, biased fits are excluded.

Every count below is worked by hand from given p-values (Holm: sort ascending, multiply the
i-th smallest of m by m - i + 1, take the running maximum, cap at 1).
"""

from __future__ import annotations

import pytest

from hflineage.errors import ParameterError
from hflineage.verdicts import Evidence, robustness_share, sign_rule

# six fits: three of the "estimator" family, two of "sample", one of "outcome"; fit 5 biased
EST = [1.0, 1.0, 1.0, 1.0, 1.0, -1.0]
P = [0.001, 0.004, 0.5, 0.002, 0.0001, 0.008]
FAM = ["estimator", "estimator", "estimator", "sample", "sample", "outcome"]
BIASED = [False, False, False, False, True, False]


def test_families_count_once_and_biased_fits_are_excluded_by_hand():
    # fit 5 is excluded: Holm over the other five, m = 5, sorted p:
    #   0.001 * 5 = 0.005; 0.002 * 4 = 0.008; 0.004 * 3 = 0.012; 0.008 * 2 = 0.016; 0.5 * 1 = 0.5
    # fits: 1 support (0.005), 2 support (0.012), 3 neither (0.5), 4 support (0.008),
    #       5 excluded, 6 contrary (0.016, negative where positive is expected)
    # families: estimator 2 of 3 testable support (> half) -> support;
    #           sample: its one testable fit supports -> support; outcome: contrary
    r = robustness_share(
        EST, None, p=P, expected="positive", families=FAM, biased=BIASED, labels=list("abcdef")
    )
    assert [f["p_adjusted"] for f in r.fits] == pytest.approx(
        [0.005, 0.012, 0.5, 0.008, None, 0.016]
    )
    assert [f["outcome"] for f in r.fits] == [
        "support",
        "support",
        "neither",
        "support",
        "excluded (biased)",
        "contrary",
    ]
    assert [f["family"] for f in r.fits] == FAM
    assert [(g["family"], g["outcome"]) for g in r.families] == [
        ("estimator", "support"),
        ("sample", "support"),
        ("outcome", "contrary"),
    ]
    assert r.families[1] == {
        "family": "sample",
        "fits": 2,
        "testable": 1,
        "support": 1,
        "contrary": 0,
        "excluded": 1,
        "outcome": "support",
    }
    assert (r.n, r.support, r.contrary, r.untestable) == (3, 2, 1, 0)
    assert r.share_support == pytest.approx(2 / 3)
    assert (r.unit, r.excluded, r.n_fits) == ("families", 1, 6)
    assert r.text() == (
        "2 of 3 families of other fits support it, 1 significantly the other way (6 fits; a "
        "family counts once, by the majority of its fits; 1 fit excluded as biased by the "
        "simulation; Holm-adjusted, 5% level)"
    )


def test_a_family_needs_a_strict_majority():
    # two fits per family, Holm over four: sorted 0.001 * 4 = 0.004; 0.002 * 3 = 0.006;
    # 0.3 * 2 = 0.6; 0.4 * 1 -> 0.6.  Family A: 1 support of 2 -> neither (a tie is not a
    # majority); family B: 1 support of 2 -> neither.  Counted per fit: 2 of 4 support.
    est, p = [1.0, 1.0, 1.0, 1.0], [0.001, 0.3, 0.002, 0.4]
    r = robustness_share(est, None, p=p, expected="positive", families=["A", "A", "B", "B"])
    assert [g["outcome"] for g in r.families] == ["neither", "neither"]
    assert (r.n, r.support, r.share_support) == (2, 0, 0.0)
    per_fit = robustness_share(est, None, p=p, expected="positive")
    assert (per_fit.n, per_fit.support, per_fit.share_support) == (4, 2, 0.5)
    # three fits, two support: 2 > 3 / 2 -> support
    r3 = robustness_share(
        [1.0] * 3, None, p=[0.001, 0.002, 0.9], expected="positive", families="AAA"
    )
    assert r3.families[0]["outcome"] == "support" and r3.share_support == 1.0


def test_a_family_that_cannot_be_estimated_counts_and_one_wholly_biased_does_not():
    # family A: one NaN fit only -> not estimable, counted in n (lowers the share);
    # family B: z = 3 -> p 0.0027 (the only test: Holm = raw) -> support;
    # family C: every fit biased -> excluded, not counted
    r = robustness_share(
        [float("nan"), 3.0, 5.0],
        [1.0, 1.0, 1.0],
        expected="positive",
        families=["A", "B", "C"],
        biased=[False, False, True],
    )
    assert [g["outcome"] for g in r.families] == ["not estimable", "support", "excluded (biased)"]
    assert (r.n, r.support, r.untestable, r.excluded) == (2, 1, 1, 1)
    assert r.share_support == 0.5
    assert r.fits[1]["p_adjusted"] == pytest.approx(0.0027, abs=1e-4)


def test_without_families_each_fit_counts_as_before_and_biased_fits_leave_n():
    r = robustness_share([3.0, 2.0, -1.0], [1.0, 1.0, 1.0], expected="positive")
    assert (r.n, r.support, r.unit, r.excluded, r.n_fits) == (3, 1, "fits", 0, 3)
    assert r.text() == "1 of 3 other fits support it (Holm-adjusted, 5% level)"
    assert all(f["family"] is None for f in r.fits)
    # the z = 2 fit biased: Holm over (0.0027, 0.3173) -> 0.0054, 0.3173; n = 2
    b = robustness_share(
        [3.0, 2.0, -1.0], [1.0, 1.0, 1.0], expected="positive", biased=[False, True, False]
    )
    assert (b.n, b.support, b.excluded, b.share_support) == (2, 1, 1, 0.5)
    assert b.fits[0]["p_adjusted"] == pytest.approx(0.0054, abs=1e-4)
    assert b.fits[1]["p_adjusted"] is None and b.fits[1]["outcome"] == "excluded (biased)"


def test_families_decide_the_sign_rule():
    # per fit 2 of 4 support (0.5 >= 0.5: reproduced); per family 0 of 2 (partly reproduced)
    est, p = [1.0, 1.0, 1.0, 1.0], [0.001, 0.3, 0.002, 0.4]
    primary = Evidence("p", 0.03, 0.01)
    flat = robustness_share(est, None, p=p, expected="positive")
    fam = robustness_share(est, None, p=p, expected="positive", families=["A", "A", "B", "B"])
    assert sign_rule(primary, expected="positive", robustness=flat).status == "reproduced"
    v = sign_rule(primary, expected="positive", robustness=fam)
    assert v.status == "partly reproduced"
    assert "0 of 2 families of other fits support it" in v.sentence
    assert "at least 50% of other families support" in v.rule


def test_robustness_share_new_arguments_bad_input():
    with pytest.raises(ParameterError, match=r"families has 2 values; expected 3"):
        robustness_share([1, 2, 3], [1, 1, 1], expected="positive", families=["a", "b"])
    with pytest.raises(ParameterError, match=r"biased has 4 values; expected 3"):
        robustness_share([1, 2, 3], [1, 1, 1], expected="positive", biased=[False] * 4)
    with pytest.raises(ParameterError, match=r"labels has 1 values; expected 3"):
        robustness_share([1, 2, 3], [1, 1, 1], expected="positive", labels=["a"])
    with pytest.raises(ParameterError, match=r"biased must hold True or False per fit"):
        robustness_share([1, 2], [1, 1], expected="positive", biased=[0, "yes"])
    with pytest.raises(ParameterError, match=r"alpha must be a number in \(0, 1\)"):
        robustness_share([1, 2], [1, 1], expected="positive", alpha=1.0)
