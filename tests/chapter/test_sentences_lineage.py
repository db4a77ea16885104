"""The sentences chapters 2 and 7 glue, written from their numbers (checked by hand)."""

from __future__ import annotations

from hflineage.chapter.sentences import (
    against_record,
    lineage_method_sentence,
    lineage_share_sentence,
    relation_agreement_sentence,
)


def test_lineage_share_sentence_below_and_above_one_half():
    assert lineage_share_sentence(0.123, 93_456) == (
        "Only 12.3% of the models (93,456) take part in a declared lineage at all"
    )
    assert (
        lineage_share_sentence(0.61, 5) == "61.0% of the models (5) take part in a declared lineage"
    )
    # a tiny share keeps two significant digits: 22 of 760,000
    assert lineage_share_sentence(22 / 760_000, 22).startswith("Only 0.0029% of the models (22)")


def test_relation_agreement_sentence_with_and_without_declared_relations():
    assert relation_agreement_sentence(1234, 1000, 5000) == (
        "The snapshot declares the relation of 1,234 edges; typed again by the rules, "
        "1,000 of 1,234 (81.0%) get the declared relation."
    )
    assert relation_agreement_sentence(1, 1, 9).startswith(
        "The snapshot declares the relation of 1 edge; typed again by the rules, 1 of 1 (100.0%)"
    )
    assert relation_agreement_sentence(0, 0, 12_205) == (
        "The snapshot declares no typed relations: all 12,205 of its edges are typed by the "
        "rules, so they cannot be checked on it, and the comparison with the Hub's later typing "
        "above is the only check."
    )


def test_lineage_method_sentence():
    assert lineage_method_sentence(12_205, 12_999, 0.9312) == (
        "The network is rebuilt by three documented phases of parsing: 12,205 edges from 12,999 "
        "declared pairs; 93.1% of non-self declarations resolve to a model of the snapshot, and "
        "every edge gets a relation type (declared, or inferred by validated rules)"
    )


def test_against_record():
    what = "chapter 05's record"
    assert against_record(0.1, None, what) == "chapter 05's record of this run is not available"
    assert against_record(-0.05, -0.05 + 1e-12, what) == "equal to chapter 05's record"
    assert against_record(-0.05, -0.04321, what) == (
        "not equal to chapter 05's record (-0.0432: the two ran on different data or code)"
    )
