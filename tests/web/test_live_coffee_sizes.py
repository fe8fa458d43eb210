"""Coffee-trial groups are pairs and threes, whoever leaves or arrives during the round.

Rounds are made and changed through the real action functions: someone leaves as the presence
sweep sees it (their last tab closes, then `remove_if_gone` after the grace period) and arrives
as a reconnect (`do_connect`, which places a latecomer). Each change is checked with the
events-consistency pattern where it writes events.
"""

from typing import Any

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.live import actions
from convenor.live.models import GroupMember, LivePresence, Round
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session
from tests.web.live_support import connect_all, consistent, make_people


def groups(round_: Round) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {g.number: set() for g in round_.groups.all()}
    for number, pid in GroupMember.objects.filter(round=round_).values_list(
        "group__number", "participant_id"
    ):
        found[number].add(str(pid))
    return found


def waiting(round_: Round) -> set[str]:
    return {str(pk) for pk in Round.objects.get(pk=round_.pk).waiting.values_list("pk", flat=True)}


def sizes(round_: Round) -> list[int]:
    return sorted(len(members) for members in groups(round_).values())


def group_of(round_: Round, person: Participant) -> set[str]:
    return next(m for m in groups(round_).values() if str(person.pk) in m)


def leave(session: Session, person: Participant) -> None:
    """Their last tab closes and the grace period passes (what the presence sweep does)."""
    actions.do_disconnect(f"test.{person.pk}")
    assert actions.remove_if_gone(session, person)


def arrive(session: Session, person: Participant) -> None:
    actions.do_connect(session, f"test.{person.pk}", participant=person)


def check_pairs_and_threes(session: Session, round_: Round) -> None:
    """Every group has 2 or 3 people; everyone here is in exactly one group or waits (and
    nobody who is not here is); at most one person waits."""
    found = groups(round_)
    waits = waiting(round_)
    assert all(2 <= len(m) <= 3 for m in found.values()), sorted(map(len, found.values()))
    placed = [pid for m in found.values() for pid in m] + sorted(waits)
    assert len(placed) == len(set(placed)), "someone is placed twice"
    here = {
        str(pk)
        for pk in LivePresence.objects.filter(session=session, participant__isnull=False)
        .values_list("participant_id", flat=True)
        .distinct()
    }
    assert set(placed) == here
    assert len(waits) <= 1, f"{len(waits)} people wait"


# --- What the tester saw --------------------------------------------------------------------


def test_a_pair_losing_one_next_to_a_three_never_makes_a_four_or_a_five(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    """One pair and one three; someone in the pair closes their tab; later they come back.
    The partner left alone is joined by one member of the three (two pairs), rather than
    make a four or wait for the rest of the round."""
    crowd = make_people(programme, facilitator, 5)
    connect_all(session, crowd)
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=5)
    assert sizes(round_) == [2, 3]
    three = next(m for m in groups(round_).values() if len(m) == 3)
    pair = next(m for m in groups(round_).values() if len(m) == 2)
    leaver = next(p for p in crowd if str(p.pk) in pair)
    partner = next(p for p in crowd if str(p.pk) in pair and p != leaver)

    consistent(session, lambda: leave(session, leaver))
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [2, 2] and not waiting(round_)
    assert len(group_of(round_, partner) & three) == 1, "one of the three joins the partner"
    assert sum(members <= three for members in groups(round_).values()) == 1

    consistent(session, lambda: arrive(session, leaver))
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [2, 3], "back, the leaver joins a pair"
    assert not waiting(round_)


def test_pairs_and_a_three_take_leavers_and_latecomers_without_growing(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 9)
    connect_all(session, crowd[:7])
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=11)
    assert sizes(round_) == [2, 2, 3]
    pairs = [m for m in groups(round_).values() if len(m) == 2]
    leaver = next(p for p in crowd if str(p.pk) in pairs[0])
    partner = next(p for p in crowd if str(p.pk) in pairs[0] and p != leaver)

    # A person left alone joins a pair.
    consistent(session, lambda: leave(session, leaver))
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [3, 3]
    assert group_of(round_, partner) == pairs[1] | {str(partner.pk)}

    # Every group is a three: the one who comes back waits, and is told why.
    consistent(session, lambda: arrive(session, leaver))
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [3, 3] and waiting(round_) == {str(leaver.pk)}

    # A three losing one stays a pair and takes the person waiting.
    gone = next(p for p in crowd[:7] if p not in (leaver, partner))
    consistent(session, lambda: leave(session, gone))
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [3, 3] and not waiting(round_)

    # A latecomer with nobody waiting and no pair waits; the next one pairs with them.
    consistent(session, lambda: arrive(session, crowd[7]))
    assert waiting(round_) == {str(crowd[7].pk)}
    consistent(session, lambda: arrive(session, crowd[8]))
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [2, 3, 3]
    assert group_of(round_, crowd[8]) == {str(crowd[7].pk), str(crowd[8].pk)}

    # A latecomer with nobody waiting joins the pair.
    consistent(session, lambda: arrive(session, gone))
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [3, 3, 3]


def test_a_facilitators_take_out_keeps_coffee_groups_within_three(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 5)
    connect_all(session, crowd)
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=5)
    pair = next(m for m in groups(round_).values() if len(m) == 2)
    taken = next(p for p in crowd if str(p.pk) in pair)
    consistent(session, lambda: actions.do_remove_participant(round_, taken, facilitator))
    assert sizes(round_) == [2, 2] and not waiting(round_), "nobody is left alone"


@pytest.mark.parametrize("count", [4, 5, 7, 8, 10, 11, 13, 14])
def test_a_coffee_round_of_threes_starts_with_no_group_above_three(
    session: Session, facilitator: Any, programme: Programme, count: int
) -> None:
    """Asked for threes, people the engine would put in fours (e.g. 4, or 7 as 4 + 3) are
    made into pairs and threes instead."""
    crowd = make_people(programme, facilitator, count)
    connect_all(session, crowd)
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=3, seed=2)
    check_pairs_and_threes(session, round_)
    assert not waiting(round_)
    assert len(groups(round_)) == -(-count // 3), "as few groups as threes allow"


def test_a_swap_keeps_the_sizes(session: Session, facilitator: Any, programme: Programme) -> None:
    crowd = make_people(programme, facilitator, 6)
    connect_all(session, crowd[:5])
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=5)
    pair = next(m for m in groups(round_).values() if len(m) == 2)
    three = next(m for m in groups(round_).values() if len(m) == 3)
    a = next(p for p in crowd if str(p.pk) in pair)
    b = next(p for p in crowd if str(p.pk) in three)
    actions.do_swap(round_, a, b, facilitator)
    check_pairs_and_threes(session, round_)
    assert sizes(round_) == [2, 3]


# --- Any sequence ---------------------------------------------------------------------------

POOL = 10


@pytest.mark.django_db(transaction=False)
def test_any_leaves_and_arrivals_keep_pairs_and_threes(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    """After any sequence of leaves and arrivals (from a coffee round of pairs or of threes),
    every group has 2 or 3 people, everyone here is in exactly one group or waits, and at most
    one person waits. Each example runs in a savepoint rolled back at its end."""
    crowd = make_people(programme, facilitator, POOL)

    @settings(max_examples=60, deadline=None)
    @given(
        here=st.integers(min_value=2, max_value=POOL),
        size=st.sampled_from([2, 3]),
        seed=st.integers(min_value=0, max_value=2**31 - 1),
        steps=st.lists(st.integers(min_value=0, max_value=2 * POOL - 1), max_size=25),
    )
    def run(here: int, size: int, seed: int, steps: list[int]) -> None:
        savepoint = transaction.savepoint_create()
        try:
            connect_all(session, crowd[:here])
            round_ = actions.do_start_round(
                session, facilitator, kind="coffee", size=size, seed=seed
            )
            present = set(crowd[:here])
            check_pairs_and_threes(session, round_)
            for step in steps:
                # Low numbers: someone here leaves; high ones: someone away arrives.
                person = crowd[step % POOL]
                if step < POOL and person in present:
                    leave(session, person)
                    present.discard(person)
                elif step >= POOL and person not in present:
                    arrive(session, person)
                    present.add(person)
                check_pairs_and_threes(session, round_)
        finally:
            transaction.savepoint_rollback(savepoint)

    run()
