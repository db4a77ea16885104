"""The phrases chapters glue into interpretive sentences, written out by hand."""

from __future__ import annotations

import pytest

from hflineage.chapter.sentences import (
    by_value,
    compare,
    count_share,
    counted,
    grouped,
    join,
    plural,
    share_format,
    share_text,
)
from hflineage.errors import ParameterError


def test_plural_singular_zero_and_irregular():
    assert plural(1, "specification") == "1 specification"
    assert plural(504, "specification") == "504 specifications"
    assert plural(12205, "model") == "12,205 models"
    assert plural(0, "fit") == "no fit"
    assert plural(0, "fit", zero="") == "0 fits"
    assert plural(2, "family", "families") == "2 families"
    assert plural(1, "family", "families") == "1 family"
    with pytest.raises(ParameterError, match="negative"):
        plural(-1, "fit")


def test_shares_never_round_to_zero_or_all():
    # 1 of 504 = 0.198%: a whole percent would print "0%"; two significant digits instead
    assert share_text(1, 504) == "0.20%"
    assert count_share(1, 504) == "1 of 504 (0.20%)"
    # exact zero and exact all stay what they are
    assert count_share(0, 504) == "0 of 504 (0%)"
    assert count_share(504, 504) == "504 of 504 (100%)"
    # 503 of 504 = 99.8%: not "100%"
    assert count_share(503, 504) == "503 of 504 (99.80%)"
    # 14 of 684 = 2.05% -> 2%
    assert count_share(14, 684) == "14 of 684 (2%)"
    # one decimal: 22 of 760,000 = 0.0029%
    assert share_text(22, 760000, digits=1) == "0.0029%"
    assert share_text(0, 0) == "–"
    with pytest.raises(ParameterError, match="0 <= k <= n"):
        share_text(5, 4)


def test_share_format_keeps_two_significant_digits():
    assert format(0.557, share_format(0.557)) == "55.7%"
    # 1 of 3,033 focal models: 0.033%, where ".1%" prints "0.0%"
    assert format(1 / 3033, share_format(1 / 3033)) == "0.033%"
    assert format(0.0022, share_format(0.0022)) == "0.22%"
    assert share_format(0.0) == ".1%" and share_format(float("nan")) == ".1%"
    assert format(0.05, share_format(0.05, digits=0)) == "5%"
    # 1 of 504 with whole percents: "0.20%", not "0%"; 503 of 504: "99.80%", not "100%"
    assert format(1 / 504, share_format(1 / 504, digits=0)) == "0.20%"
    assert format(503 / 504, share_format(503 / 504, digits=0)) == "99.80%"
    assert format(1.0, share_format(1.0, digits=0)) == "100%"


def test_join_and_counted():
    assert join([]) == ""
    assert join(["cd"]) == "cd"
    assert join(["cd", "sibling"]) == "cd and sibling"
    assert join(["cd", "cd_nok", "sibling"]) == "cd, cd_nok and sibling"
    assert join(["a", "b"], "or") == "a or b"
    assert counted([], "fit") == "no fit"
    assert counted(["a"], "fit") == "1 fit: a"
    assert counted(["a", "b", "c"], "fit") == "3 fits: a, b and c"


def test_grouped_lists_each_item_once_under_its_label():
    # the old sentence listed variants and roots one by one, in a row order nobody could follow
    pairs = [
        ("cd_nok", "without roots"),
        ("cd", "with roots"),
        ("cd_nok", "with roots"),
        ("cd", "with roots"),
        ("sibling", "with roots"),
    ]
    assert grouped(pairs) == "cd_nok (without roots); cd, cd_nok and sibling (with roots)"
    assert grouped([], empty="no reading") == "no reading"


def test_by_value_groups_keys_and_says_when_all_agree():
    status = {30: "not reproduced", 90: "not reproduced", 180: "reproduced", 365: "reproduced"}
    assert (
        by_value(status, unit="days")
        == "not reproduced at 30 and 90 days, reproduced at 180 and 365 days"
    )
    same = {30.0: "reproduced", 90.0: "reproduced"}
    assert by_value(same, every="every window") == "reproduced at every window"
    modes = {"cd": "0", "cd_nok": "undefined", "ancestral": "0", "sibling": "−1"}
    assert (
        by_value(modes, at="for") == "0 for cd and ancestral, undefined for cd_nok, −1 for sibling"
    )
    with pytest.raises(ParameterError, match="nothing to describe"):
        by_value({})


def test_compare_says_which_way_and_by_how_much():
    # the race chapter's 12,090 models with a timed derivative against chapter 2's 12,205
    assert compare(12090, 12205, "in chapter 2") == "12,090, 115 fewer than the 12,205 in chapter 2"
    assert compare(10, 7, "before") == "10, 3 more than the 7 before"
    assert compare(5, 5, "in chapter 2") == "5, as in chapter 2"
