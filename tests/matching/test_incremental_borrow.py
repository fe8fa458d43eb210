"""Coffee trials (`remove_person(..., borrow=True)`): a leaver's partner is not left alone.

Groups are pairs and threes (`most=3`). A partner left alone, with nobody to pair with among
those waiting and no pair to join, does not wait while a three could become two pairs: the
three gives up one member, chosen by the engine's priorities, and nobody else moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.matching import Grouping, Person, Problem, add_person, match, remove_person

from .helpers import pairs_of, people, placed

THREE = ("p2", "p3", "p4")
TESTER = Grouping(groups=(("p0", "p1"), THREE))  # 5 present: a pair and a three


def coffee(
    crowd: Sequence[Person],
    *,
    history: Sequence[Sequence[Sequence[str]]] = (),
    avoid: Sequence[tuple[str, str]] = (),
    want: Sequence[tuple[str, str]] = (),
) -> Problem:
    return Problem(crowd, size=2, history=history, avoid=avoid, want=want)


def leave(problem: Problem, grouping: Grouping, pid: str) -> Grouping:
    return remove_person(problem, grouping, pid, most=3, borrow=True)


def arrive(problem: Problem, grouping: Grouping, pid: str) -> Grouping:
    return add_person(problem, grouping, pid, most=3)


def moved_from_three(before: Grouping, after: Grouping, involved: set[str]) -> str | None:
    """Who, apart from `involved` and people who were waiting, changed partners: nobody (None),
    or exactly one member of one group of three or more, whose other members stay together."""
    free = involved | set(before.unmatched)

    def mates(grouping: Grouping) -> dict[str, set[str]]:
        return {p: set(g) - {p} - free for g in grouping.groups for p in g}

    old, new = mates(before), mates(after)
    changed = {p for p in old if p not in free and old[p] != new.get(p)}
    if not changed:
        return None
    (group,) = {frozenset(g) for g in before.groups if changed & set(g)}
    assert changed == group and len(group) >= 3, changed
    (member,) = [p for p in group if not new[p] & group]
    assert all(new[p] == set(group) - {p, member} for p in group - {member})
    return member


# --- The tester's case: 5 present, one of the pair leaves -----------------------------------


def test_a_partner_left_alone_is_joined_by_one_of_the_three() -> None:
    after = leave(coffee(people(5, orgs=5)), TESTER, "p0")
    assert after.unmatched == ()
    assert sorted(len(g) for g in after.groups) == [2, 2]
    # p1 keeps their place (first group); one of the three joins them; the other two stay.
    assert after.groups[0][0] == "p1"
    member = moved_from_three(TESTER, after, {"p0", "p1"})
    assert member is not None and after.groups[0] == ("p1", member)
    assert set(after.groups[1]) == set(THREE) - {member}


def test_without_borrow_the_partner_still_waits() -> None:
    # Breakout rooms (and any caller not asking for it): nobody is taken from a full group.
    after = remove_person(coffee(people(5, orgs=5)), TESTER, "p0", most=3)
    assert after == Grouping(groups=(THREE,), unmatched=("p1",))


# --- Who moves: the engine's priorities -------------------------------------------------------


def test_the_one_who_moves_is_someone_the_partner_has_not_met() -> None:
    history: list[list[tuple[str, ...]]] = [[("p1", "p2")], [("p1", "p3", "x")]]  # x: not here
    after = leave(coffee(people(5, orgs=5), history=history), TESTER, "p0")
    assert after.groups == (("p1", "p4"), ("p2", "p3"))


def test_when_the_partner_met_all_three_the_one_met_longest_ago_moves() -> None:
    history = [[("p1", "p3")], [("p1", "p2")], [("p1", "p4")]]
    after = leave(coffee(people(5, orgs=5), history=history), TESTER, "p0")
    assert after.groups == (("p1", "p3"), ("p2", "p4"))


def test_history_across_the_whole_programme_counts_how_often_they_met() -> None:
    # All three met p1 in the last round; p2 and p4 also earlier: p3 met p1 least often.
    history: list[list[tuple[str, ...]]] = [[("p1", "p2")], [("p1", "p4")], [THREE + ("p1",)]]
    after = leave(coffee(people(5, orgs=5), history=history), TESTER, "p0")
    assert after.groups == (("p1", "p3"), ("p2", "p4"))


def test_never_someone_the_partner_avoids_even_if_the_others_are_repeats() -> None:
    history = [[("p1", "p2")], [("p1", "p3")]]
    problem = coffee(people(5, orgs=5), history=history, avoid=[("p4", "p1")])
    after = leave(problem, TESTER, "p0")
    # p4 is avoided; of the repeats, p2 met p1 longest ago.
    assert after.groups == (("p1", "p2"), ("p3", "p4"))
    assert frozenset(("p1", "p4")) not in pairs_of(after)


def test_the_partner_waits_when_they_avoid_everyone_in_every_three() -> None:
    problem = coffee(people(5, orgs=5), avoid=[("p1", "p2"), ("p3", "p1"), ("p1", "p4")])
    after = leave(problem, TESTER, "p0")
    assert after == Grouping(groups=(THREE,), unmatched=("p1",))


def test_mixing_organisation_then_sector() -> None:
    crowd = [
        Person("p0", {"organisation": "council", "sector": "public"}),
        Person("p1", {"organisation": "council", "sector": "public"}),
        Person("p2", {"organisation": "council", "sector": "health"}),  # same organisation
        Person("p3", {"organisation": "nhs", "sector": "public"}),  # same sector only
        Person("p4", {"organisation": "charity", "sector": "voluntary"}),  # neither
    ]
    assert leave(coffee(crowd), TESTER, "p0").groups == (("p1", "p4"), ("p2", "p3"))
    # p4 met p1 before (a repeat outweighs any mixing): sharing a sector beats sharing an
    # organisation.
    met = coffee(crowd, history=[[("p1", "p4")]])
    assert leave(met, TESTER, "p0").groups == (("p1", "p3"), ("p2", "p4"))


def test_a_mutual_want_is_met_when_all_else_is_equal() -> None:
    after = leave(coffee(people(5, orgs=5), want=[("p3", "p1")]), TESTER, "p0")
    assert after.groups == (("p1", "p3"), ("p2", "p4"))


def test_moving_someone_out_of_a_repeat_in_the_three_counts_in_their_favour() -> None:
    # p2 and p3 met before; p1 is new to all three. Moving p2 or p3 ends the repeat.
    after = leave(coffee(people(5, orgs=5), history=[[("p2", "p3")]]), TESTER, "p0")
    member = moved_from_three(TESTER, after, {"p0", "p1"})
    assert member in ("p2", "p3")
    assert frozenset(("p2", "p3")) not in pairs_of(after)


def test_the_three_is_chosen_across_groups_and_nothing_else_moves() -> None:
    crowd = people(14, orgs=14)
    before = Grouping(
        groups=(
            ("p2", "p3", "p4"),
            ("p0", "p1"),
            ("p5", "p6", "p7"),
            ("p8", "p9", "p10"),
            ("p11", "p12", "p13"),
        )
    )
    # p1 has met everyone in every three except p9.
    history = [[("p1", p)] for p in sorted(set(placed(before)) - {"p0", "p1", "p9"})]
    after = leave(coffee(crowd, history=history), before, "p0")
    assert after.unmatched == ()
    assert after.groups == (
        ("p2", "p3", "p4"),
        ("p1", "p9"),
        ("p5", "p6", "p7"),
        ("p8", "p10"),
        ("p11", "p12", "p13"),
    )


def test_a_pair_to_join_or_someone_waiting_comes_first() -> None:
    crowd = people(8, orgs=8)
    with_pair = Grouping(groups=(("p0", "p1"), THREE, ("p5", "p6")))
    after = leave(coffee(crowd), with_pair, "p0")
    assert after.groups == (THREE, ("p5", "p6", "p1")), "the pair takes them; the three stays"
    with_waiting = Grouping(groups=(("p0", "p1"), THREE), unmatched=("p7",))
    after = leave(coffee(crowd), with_waiting, "p0")
    assert after == Grouping(groups=(("p1", "p7"), THREE))


def test_a_pair_they_avoid_does_not_stop_a_three_joining_them() -> None:
    crowd = people(8, orgs=8)
    before = Grouping(groups=(("p0", "p1"), THREE, ("p5", "p6")))
    after = leave(coffee(crowd, avoid=[("p1", "p5")]), before, "p0")
    assert after.unmatched == ()
    assert after.groups[2] == ("p5", "p6")
    assert moved_from_three(before, after, {"p0", "p1"}) is not None


def test_without_a_cap_a_lone_person_blocked_by_avoids_is_joined_too() -> None:
    # No `most`: a lone person joins any group, however full, unless they avoid someone in it.
    crowd = people(7, orgs=7)
    before = Grouping(groups=(("p0", "p1"), ("p2", "p3", "p4", "p5", "p6")))
    history = [[("p1", "p3")], [("p1", "p4")], [("p1", "p5")]]
    problem = coffee(crowd, avoid=[("p1", "p2")], history=history)
    assert remove_person(problem, before, "p0").unmatched == ("p1",)
    after = remove_person(problem, before, "p0", borrow=True)
    assert after.groups == (("p1", "p6"), ("p2", "p3", "p4", "p5"))


def test_someone_waiting_whom_the_partner_avoids_takes_the_freed_place() -> None:
    crowd = people(6, orgs=6)
    before = Grouping(groups=(("p0", "p1"), THREE), unmatched=("p5",))
    problem = coffee(crowd, avoid=[("p1", "p5")], history=[[("p1", "p2")], [("p1", "p3")]])
    after = leave(problem, before, "p0")
    # p1 cannot pair with p5, so p4 joins p1 and p5 takes p4's place in the three.
    assert after == Grouping(groups=(("p1", "p4"), ("p2", "p3", "p5")))


# --- Latecomers keep their rule: nobody leaves a conversation for them -----------------------


def test_a_latecomer_finding_only_threes_waits() -> None:
    crowd = people(8, orgs=8)
    before = Grouping(groups=(("p0", "p1", "p2"), ("p3", "p4", "p5")))
    first = arrive(coffee(crowd), before, "p6")
    assert first == Grouping(groups=before.groups, unmatched=("p6",))
    second = arrive(coffee(crowd), first, "p7")
    assert second == Grouping(groups=(*before.groups, ("p7", "p6")))


# --- Whatever happens, pairs and threes, and at most one person moves -----------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 16),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 30)), max_size=10),
    avoid_pairs=st.sets(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=12),
    seed=st.integers(0, 100),
)
def test_coffee_groups_stay_pairs_and_threes_and_nobody_is_left_alone_needlessly(
    n: int, ops: list[tuple[bool, int]], avoid_pairs: set[tuple[int, int]], seed: int
) -> None:
    everyone = people(20, orgs=4, sectors=3)
    avoid = sorted({(f"p{a}", f"p{b}") for a, b in avoid_pairs if a < b})
    avoided = {frozenset(pair) for pair in avoid}
    problem = Problem(everyone, size=2, avoid=avoid, seed=seed)
    grouping = match(Problem(everyone[:n], size=2, seed=seed))
    grouping = Grouping(groups=tuple(g for g in grouping.groups if len(g) <= 3))
    for arriving, k in ops:
        present = set(placed(grouping))
        if arriving:
            pid = f"p{k % 20}"
            if pid in present:
                continue
            after = arrive(problem, grouping, pid)
            involved = {pid}
            present.add(pid)
        else:
            if not present:
                continue
            pid = sorted(present)[k % len(present)]
            after = leave(problem, grouping, pid)
            involved = {pid, *(p for g in grouping.groups if pid in g for p in g)}
            present.discard(pid)
        member = moved_from_three(grouping, after, involved)
        assert member is None or not arriving, "nobody moves for a latecomer"
        assert sorted(placed(after)) == sorted(present)
        assert all(2 <= len(g) <= 3 for g in after.groups)
        assert not (pairs_of(after) - pairs_of(grouping)) & avoided
        if not arriving:
            # A partner newly waiting had no pair to join and nobody in a three to meet.
            for person in set(after.unmatched) - set(grouping.unmatched):
                for g in after.groups:
                    if len(g) == 3:
                        assert all(frozenset((person, p)) in avoided for p in g), (person, g)
                    else:
                        assert any(frozenset((person, p)) in avoided for p in g), (person, g)
        if not avoid:
            assert len(after.unmatched) <= 1
        grouping = after


@pytest.mark.parametrize("seed", range(5))
def test_ties_are_broken_by_the_seed_and_repeatably(seed: int) -> None:
    problem = Problem(people(5), size=2, seed=seed)
    first = leave(problem, TESTER, "p0")
    assert leave(problem, TESTER, "p0") == first
    assert first.unmatched == () and len(first.groups) == 2
