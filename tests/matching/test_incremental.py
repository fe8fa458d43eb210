"""Latecomers and leavers during a live round: nobody else moves."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.matching import (
    Grouping,
    MatchingError,
    Person,
    Problem,
    add_person,
    match,
    remove_person,
)

from .helpers import pairs_of, people, placed


def _untouched(before: Grouping, after: Grouping, involved: set[str]) -> None:
    """Apart from `involved` and people who were waiting, everyone keeps exactly their partners.

    (They may gain involved or waiting people as new partners: that is someone joining them.)
    """
    free = involved | set(before.unmatched)

    def partners(grouping: Grouping) -> dict[str, set[str]]:
        return {p: set(g) - {p} - free for g in grouping.groups for p in g}

    old, new = partners(before), partners(after)
    for person, mates in old.items():
        if person not in free:
            assert new.get(person) == mates, person


def test_latecomer_pairs_with_someone_waiting() -> None:
    crowd = people(6, orgs=6)
    before = Grouping(groups=(("p0", "p1"), ("p2", "p3")), unmatched=("p4",))
    after = add_person(Problem(crowd), before, "p5")
    assert after.groups == (("p0", "p1"), ("p2", "p3"), ("p5", "p4"))
    assert after.unmatched == ()


def test_latecomer_joins_a_pair_when_nobody_waits() -> None:
    crowd = people(5, orgs=5)
    before = Grouping(groups=(("p0", "p1"), ("p2", "p3")))
    after = add_person(Problem(crowd), before, "p4")
    assert Counter(len(g) for g in after.groups) == Counter({2: 1, 3: 1})
    _untouched(before, after, {"p4"})
    assert sorted(placed(after)) == sorted(p.id for p in crowd)


def test_latecomer_avoids_repeats_and_mixes() -> None:
    crowd = [
        Person("a", {"organisation": "x"}),
        Person("b", {"organisation": "y"}),
        Person("c", {"organisation": "v"}),
        Person("d", {"organisation": "z"}),
        Person("e", {"organisation": "w"}),
        Person("f", {"organisation": "x"}),
        Person("late", {"organisation": "x"}),
    ]
    before = Grouping(groups=(("a", "b"), ("c", "d"), ("e", "f")))
    # Met e before, and shares an organisation with a and f: only c and d are new and mixed.
    history = [(("late", "e"),)]
    after = add_person(Problem(crowd, history=history), before, "late")
    assert ("c", "d", "late") in after.groups
    _untouched(before, after, {"late"})


def test_latecomer_never_joins_someone_they_avoid() -> None:
    crowd = people(5, orgs=5)
    before = Grouping(groups=(("p0", "p1"), ("p2", "p3")))
    avoid = [("p4", "p0"), ("p4", "p2")]
    after = add_person(Problem(crowd, avoid=avoid), before, "p4")
    assert after.groups == before.groups
    assert after.unmatched == ("p4",)


def test_latecomer_fills_a_group_with_room_first() -> None:
    crowd = people(14, orgs=14)
    before = Grouping(
        groups=(
            ("p0", "p1", "p2", "p3", "p4"),
            ("p5", "p6", "p7", "p8"),
            ("p9", "p10", "p11", "p12"),
        )
    )
    after = add_person(Problem(crowd, size=4), before, "p13")
    assert after.groups[0] == before.groups[0]
    assert sorted(len(g) for g in after.groups) == [4, 5, 5]


def test_first_arrivals_into_an_empty_grouping() -> None:
    crowd = people(3, orgs=3)
    one = add_person(Problem(crowd), Grouping(groups=()), "p0")
    assert one == Grouping(groups=(), unmatched=("p0",))
    two = add_person(Problem(crowd), one, "p1")
    assert two == Grouping(groups=(("p1", "p0"),), unmatched=())
    three = add_person(Problem(crowd), two, "p2")
    assert sorted(three.groups[0]) == ["p0", "p1", "p2"]


def test_small_sizes_group_whoever_is_waiting_when_there_are_no_groups() -> None:
    crowd = people(3, orgs=3)
    waiting = Grouping(groups=(), unmatched=("p0",))
    after = add_person(Problem(crowd, size=4), waiting, "p1")
    assert after.groups == (("p1", "p0"),)


@pytest.mark.parametrize(
    ("grouping", "person", "message"),
    [
        (Grouping(groups=(("p0", "p1"),)), "nobody", "'nobody' is not among the people"),
        (Grouping(groups=(("p0", "p1"),)), "p1", "'p1' is already placed"),
        (Grouping(groups=(("p0", "ghost"),)), "p2", "names 'ghost', who is not among"),
        (Grouping(groups=(("p0", "p1"),), unmatched=("p0",)), "p2", "'p0' more than once"),
    ],
)
def test_add_person_rejects_bad_input(grouping: Grouping, person: str, message: str) -> None:
    with pytest.raises(MatchingError, match=message):
        add_person(Problem(people(4)), grouping, person)


def test_leaver_partner_pairs_with_someone_waiting() -> None:
    crowd = people(5, orgs=5)
    before = Grouping(groups=(("p0", "p1"), ("p2", "p3")), unmatched=("p4",))
    after = remove_person(Problem(crowd), before, "p0")
    assert after.groups == (("p1", "p4"), ("p2", "p3"))
    assert after.unmatched == ()


def test_leaver_partner_joins_another_pair() -> None:
    crowd = people(6, orgs=6)
    before = Grouping(groups=(("p0", "p1"), ("p2", "p3"), ("p4", "p5")))
    after = remove_person(Problem(crowd), before, "p0")
    assert sorted(len(g) for g in after.groups) == [2, 3]
    _untouched(before, after, {"p0", "p1"})
    assert sorted(placed(after)) == [f"p{i}" for i in range(1, 6)]


def test_leaving_a_three_keeps_the_pair() -> None:
    crowd = people(5)
    before = Grouping(groups=(("p0", "p1", "p2"), ("p3", "p4")))
    after = remove_person(Problem(crowd), before, "p2")
    assert after.groups == (("p0", "p1"), ("p3", "p4"))


def test_leaver_in_unmatched_is_just_removed() -> None:
    before = Grouping(groups=(("p0", "p1"),), unmatched=("p2",))
    after = remove_person(Problem(people(3)), before, "p2")
    assert after == Grouping(groups=(("p0", "p1"),), unmatched=())


def test_small_group_disperses_into_groups_with_room() -> None:
    crowd = people(9, orgs=9)
    before = Grouping(groups=(("p0", "p1", "p2"), ("p3", "p4", "p5"), ("p6", "p7", "p8")))
    after = remove_person(Problem(crowd, size=3), before, "p0")
    assert sorted(len(g) for g in after.groups) == [4, 4]
    _untouched(before, after, {"p0", "p1", "p2"})


def test_small_group_stays_together_when_no_group_has_room() -> None:
    crowd = people(11, orgs=11)
    before = Grouping(
        groups=(("p0", "p1", "p2"), ("p3", "p4", "p5", "p6"), ("p7", "p8", "p9", "p10"))
    )
    after = remove_person(Problem(crowd, size=3), before, "p0")
    assert after.groups == (("p1", "p2"), *before.groups[1:])


def test_leaver_partner_never_joins_someone_they_avoid() -> None:
    crowd = people(6, orgs=6)
    before = Grouping(groups=(("p0", "p1"), ("p2", "p3"), ("p4", "p5")))
    after = remove_person(Problem(crowd, avoid=[("p1", "p2")]), before, "p0")
    assert ("p4", "p5", "p1") in after.groups


def test_remove_person_rejects_someone_not_in_the_grouping() -> None:
    with pytest.raises(MatchingError, match="'p3' is not in this grouping"):
        remove_person(Problem(people(4)), Grouping(groups=(("p0", "p1"),)), "p3")


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 24),
    size=st.integers(2, 5),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 30)), max_size=8),
    avoid_pairs=st.sets(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=10),
    seed=st.integers(0, 100),
)
def test_live_changes_move_nobody_else(
    n: int,
    size: int,
    ops: list[tuple[bool, int]],
    avoid_pairs: set[tuple[int, int]],
    seed: int,
) -> None:
    everyone = people(30, orgs=4)
    avoid = [(f"p{a}", f"p{b}") for a, b in avoid_pairs if a < b]
    problem = Problem(everyone, size=size, avoid=avoid, seed=seed)
    grouping = match(Problem(everyone[:n], size=size, avoid=[], seed=seed))
    for arriving, k in ops:
        present = set(placed(grouping))
        if arriving:
            pid = f"p{k % 30}"
            if pid in present:
                continue
            after = add_person(problem, grouping, pid)
            involved = {pid}
        else:
            if not present:
                continue
            pid = sorted(present)[k % len(present)]
            after = remove_person(problem, grouping, pid)
            involved = {pid, *(p for g in grouping.groups if pid in g for p in g)}
            present.discard(pid)
        _untouched(grouping, after, involved)
        expected = present | {pid} if arriving else present
        assert sorted(placed(after)) == sorted(expected)
        new_pairs = pairs_of(after) - pairs_of(grouping)
        assert not new_pairs & {frozenset(a) for a in avoid}
        grouping = after


# --- Rooms that stay together (breakout): `most` caps every group -------------------------

ROOMS = (
    ("p0", "p1", "p2", "p3"),
    ("p4", "p5", "p6", "p7"),
    ("p8", "p9", "p10"),
)


def test_a_room_losing_one_of_four_keeps_its_three_in_place() -> None:
    before = Grouping(groups=ROOMS)
    after = remove_person(Problem(people(11, orgs=11), size=4), before, "p0", most=8)
    assert after.groups == (("p1", "p2", "p3"), *ROOMS[1:])
    assert after.unmatched == ()
    # The coffee-trial rule (no `most`) would have dispersed them: unchanged.
    old = remove_person(Problem(people(11, orgs=11), size=4), before, "p0")
    assert ("p1", "p2", "p3") not in old.groups


def test_a_room_of_two_stays_together_and_a_room_of_two_losing_one_rehomes_the_last() -> None:
    crowd = people(9, orgs=9)
    before = Grouping(groups=(("p0", "p1", "p2"), ("p3", "p4", "p5", "p6"), ("p7", "p8")))
    pair = remove_person(Problem(crowd, size=3), before, "p2", most=8)
    assert pair.groups == (("p0", "p1"), *before.groups[1:])
    alone = remove_person(Problem(crowd, size=3), pair, "p0", most=8)
    # The smallest room with space takes the last person (p7's pair, not the four).
    assert alone.groups == (("p3", "p4", "p5", "p6"), ("p7", "p8", "p1"))


def test_a_lone_person_never_joins_a_full_room_or_someone_they_avoid() -> None:
    crowd = people(19, orgs=19)
    full = tuple(f"p{i}" for i in range(8))
    seven = tuple(f"p{i}" for i in range(8, 15))
    before = Grouping(groups=(full, seven, ("p18", "p15"), ("p16", "p17")))
    problem = Problem(crowd, size=4, avoid=[("p15", "p17")])
    after = remove_person(problem, before, "p16", most=8)
    # p17 avoids p15 (in the pair): the seven is the only room with space.
    assert after.groups == (full, (*seven, "p17"), ("p18", "p15"))
    assert max(len(g) for g in after.groups) <= 8


def test_a_lone_person_waits_when_every_room_is_full_or_pairs_with_someone_waiting() -> None:
    crowd = people(19, orgs=19)
    a = tuple(f"p{i}" for i in range(8))
    b = tuple(f"p{i}" for i in range(8, 16))
    before = Grouping(groups=(a, b, ("p16", "p17")))
    after = remove_person(Problem(crowd, size=8), before, "p16", most=8)
    assert after == Grouping(groups=(a, b), unmatched=("p17",))
    waiting = Grouping(groups=(a, b, ("p16", "p17")), unmatched=("p18",))
    after = remove_person(Problem(crowd, size=8), waiting, "p16", most=8)
    assert after == Grouping(groups=(a, b, ("p17", "p18")))


def test_someone_waiting_takes_a_freed_place() -> None:
    crowd = people(17, orgs=17)
    a = tuple(f"p{i}" for i in range(8))
    b = tuple(f"p{i}" for i in range(8, 16))
    after = remove_person(
        Problem(crowd, size=8), Grouping(groups=(a, b), unmatched=("p16",)), "p0", most=8
    )
    assert after == Grouping(groups=((*a[1:], "p16"), b))


def test_latecomers_never_fill_a_room_past_most() -> None:
    crowd = people(20, orgs=20)
    a = tuple(f"p{i}" for i in range(8))
    b = tuple(f"p{i}" for i in range(8, 16))
    problem = Problem(crowd, size=8)
    # Without a cap a group of `size` is joined (making 9); with one, the latecomer waits.
    assert max(len(g) for g in add_person(problem, Grouping(groups=(a, b)), "p16").groups) == 9
    first = add_person(problem, Grouping(groups=(a, b)), "p16", most=8)
    assert first == Grouping(groups=(a, b), unmatched=("p16",))
    second = add_person(problem, first, "p17", most=8)
    assert second == Grouping(groups=(a, b, ("p17", "p16")))
    third = add_person(problem, second, "p18", most=8)
    assert third == Grouping(groups=(a, b, ("p17", "p16", "p18")))
    # A room of seven in a round of size 4 is still joined (it has space), up to 8.
    seven = Grouping(groups=(a[:7], b))
    assert add_person(Problem(crowd, size=4), seven, "p16", most=8).groups[0] == (*a[:7], "p16")


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 30),
    size=st.integers(3, 8),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 40)), max_size=10),
    seed=st.integers(0, 100),
)
def test_rooms_stay_together_and_never_pass_most(
    n: int, size: int, ops: list[tuple[bool, int]], seed: int
) -> None:
    everyone = people(40, orgs=5)
    problem = Problem(everyone, size=size, seed=seed)
    grouping = match(Problem(everyone[:n], size=size, seed=seed))
    grouping = Grouping(groups=tuple(g for g in grouping.groups if len(g) <= 8))
    for arriving, k in ops:
        present = set(placed(grouping))
        if arriving:
            pid = f"p{k % 40}"
            if pid in present:
                continue
            after = add_person(problem, grouping, pid, most=8)
            involved = {pid}
        else:
            if not present:
                continue
            pid = sorted(present)[k % len(present)]
            after = remove_person(problem, grouping, pid, most=8)
            home = next((g for g in grouping.groups if pid in g), ())
            involved = {pid} if len(home) > 2 else set(home)
            present.discard(pid)
            # Every room that kept two or more people kept them all together.
            for g in grouping.groups:
                rest = set(g) - {pid}
                if len(rest) >= 2:
                    assert any(rest <= set(h) for h in after.groups)
        _untouched(grouping, after, involved)
        assert max((len(g) for g in after.groups), default=0) <= 8
        assert sorted(placed(after)) == sorted(present | {pid} if arriving else present)
        grouping = after


def test_most_must_allow_a_pair() -> None:
    with pytest.raises(MatchingError, match="at least 2"):
        add_person(Problem(people(3)), Grouping(groups=(("p0", "p1"),)), "p2", most=1)
    with pytest.raises(MatchingError, match="at least 2"):
        remove_person(Problem(people(3)), Grouping(groups=(("p0", "p1"),)), "p0", most=0)
