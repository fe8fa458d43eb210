"""The summary of a sequence of groupings."""

from __future__ import annotations

import pytest

from convenor.matching import Grouping, MatchingError, Person, Problem, evaluate


def _crowd() -> list[Person]:
    return [
        Person("a", {"organisation": "x", "sector": "health"}),
        Person("b", {"organisation": "x", "sector": "council"}),
        Person("c", {"organisation": "y", "sector": "health"}),
        Person("d", {"organisation": "", "sector": "council"}),
        Person("e", {}),
    ]


def test_counts_repeats_against_history_and_earlier_groupings() -> None:
    problem = Problem(_crowd(), history=[(("a", "b"), ("c", "gone"))], want=[("a", "c")])
    groupings = [
        Grouping(groups=(("a", "b", "c"),), unmatched=("d", "e")),
        Grouping(groups=(("a", "c"), ("d", "e"))),
    ]
    summary = evaluate(problem, groupings)
    # a-b repeats the history; a-c repeats the first grouping.
    assert summary.repeated_pairs == 2
    assert summary.total_pairs == 5
    assert summary.unmatched == 2
    assert summary.wants_met == 2
    # a-b share x; empty or missing organisations never count as the same.
    assert summary.same_attribute == {"organisation": 1, "sector": 2}


def test_avoid_violations_are_counted() -> None:
    problem = Problem(_crowd(), avoid=[("d", "e")])
    assert evaluate(problem, [Grouping(groups=(("d", "e"),))]).avoid_violations == 1


def test_empty_sequence() -> None:
    summary = evaluate(Problem(_crowd()), [])
    assert (summary.repeated_pairs, summary.total_pairs, summary.unmatched) == (0, 0, 0)


@pytest.mark.parametrize(
    ("grouping", "message"),
    [
        (Grouping(groups=(("a", "zz"),)), "grouping 0 names 'zz'"),
        (Grouping(groups=(("a", "b"), ("b", "c"))), "places 'b' in more than one group"),
    ],
)
def test_bad_groupings_are_rejected(grouping: Grouping, message: str) -> None:
    with pytest.raises(MatchingError, match=message):
        evaluate(Problem(_crowd()), [grouping])
