"""A coffee trial of five (a pair and a three): when one of the pair is taken out or leaves, the
partner left alone is not put on the waiting list; one of the three comes to pair with them,
chosen with the programme's history, and nobody else moves."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import actions
from convenor.live.events import current_seq, events_after
from convenor.live.models import GroupMember, RoomGroup, Round
from convenor.programmes import pairs
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session
from tests.live.conftest import add_person

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = [
    ("Ben Carter", "County Council"),
    ("Ama Osei", "NHS Trust"),
    ("Cy Lund", "Food Bank"),
    ("Dee Park", "Active Partnership"),
    ("Eli Moss", "GP Federation"),
]


@pytest.fixture
def crowd(programme: Programme, facilitator: User) -> list[Participant]:
    return [add_person(programme, facilitator, name, org) for name, org in NAMES]


@pytest.fixture
def five(session: Session, crowd: list[Participant]) -> list[Participant]:
    connect(session, crowd)
    return crowd


def connect(session: Session, people: list[Participant]) -> None:
    for person in people:
        actions.do_connect(session, f"test.{person.pk}", participant=person)


def groups_of(round_: Round) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    rows = GroupMember.objects.filter(round=round_).values_list("group__number", "participant_id")
    for number, pid in rows:
        found.setdefault(number, set()).add(str(pid))
    return found


def rooms_of(round_: Round) -> dict[int, tuple[Any, str]]:
    return {g.number: (g.pk, g.room_token) for g in RoomGroup.objects.filter(round=round_)}


def met_before(session: Session, groups: list[list[str]], days_ago: int) -> None:
    """An earlier, ended round of the programme in which these groups met."""
    when = timezone.now() - timedelta(days=days_ago)
    earlier = Round.objects.create(session=session, seed=0, started_at=when, ended_at=when)
    for number, members in enumerate(groups, start=1):
        group = RoomGroup.objects.create(round=earlier, number=number, room_token=f"old{number}")
        for pid in members:
            GroupMember.objects.create(group=group, round=earlier, participant_id=pid)


# These seeds number the pair before the three for some and after it for others (3 and 8),
# so both ways round the two groups must keep their numbers and video rooms.
@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("taken_out", [True, False], ids=["taken-out", "left"])
def test_the_partner_left_alone_is_joined_by_one_of_the_three(
    session: Session, facilitator: User, five: list[Participant], seed: int, taken_out: bool
) -> None:
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=seed)
    before = groups_of(round_)
    assert sorted(map(len, before.values())) == [2, 3]
    (pair_no,) = [n for n, m in before.items() if len(m) == 2]
    (three_no,) = [n for n, m in before.items() if len(m) == 3]
    leaver_id, partner_id = sorted(before[pair_no])
    leaver = next(p for p in five if str(p.pk) == leaver_id)
    # The partner met two of the three in an earlier round: the third should come.
    stay, stay_too, comes = sorted(before[three_no])
    met_before(session, [[partner_id, stay]], days_ago=14)
    met_before(session, [[partner_id, stay_too]], days_ago=7)
    rooms = rooms_of(round_)
    seq = current_seq(session)

    actions.do_remove_participant(round_, leaver, facilitator if taken_out else None)

    after = groups_of(round_)
    assert after == {pair_no: {partner_id, comes}, three_no: {stay, stay_too}}
    assert not round_.waiting.exists()
    assert rooms_of(round_) == rooms, "both groups keep their numbers and video rooms"
    assert set(round_.taken_out.values_list("pk", flat=True)) == (
        {leaver.pk} if taken_out else set()
    )
    events = [e for e in events_after(session, seq) or [] if e["kind"] == "round_changed"]
    assert len(events) == 1
    payload = events[0]["payload"]
    assert payload["round_id"] == str(round_.pk)
    assert {g["number"]: g["members"] for g in payload["groups"]} == {
        pair_no: sorted([partner_id, comes]),
        three_no: sorted([stay, stay_too]),
    }
    assert len(payload["groups"]) == 2
    assert payload["waiting"] == []
    assert payload["taken_out"] == ([leaver_id] if taken_out else [])


def test_the_one_who_comes_is_never_someone_the_partner_avoids(
    session: Session, facilitator: User, five: list[Participant]
) -> None:
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=4)
    before = groups_of(round_)
    (pair_no,) = [n for n, m in before.items() if len(m) == 2]
    (three_no,) = [n for n, m in before.items() if len(m) == 3]
    leaver_id, partner_id = sorted(before[pair_no])
    by_id = {str(p.pk): p for p in five}
    first, second, third = sorted(before[three_no])
    # The partner has met nobody in the three, but asked not to be paired with two of them.
    for other in (first, third):
        pairs.add_pair_preference(
            session.programme, facilitator, by_id[partner_id], by_id[other], "avoid"
        )

    actions.do_remove_participant(round_, by_id[leaver_id], None)

    assert groups_of(round_) == {pair_no: {partner_id, second}, three_no: {first, third}}


def test_the_leaver_coming_back_joins_a_pair_and_a_latecomer_still_waits_for_threes(
    session: Session, facilitator: User, five: list[Participant], programme: Programme
) -> None:
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=1)
    (pair_no,) = [n for n, m in groups_of(round_).items() if len(m) == 2]
    leaver_id, partner_id = sorted(groups_of(round_)[pair_no])
    leaver = Participant.objects.get(pk=leaver_id)
    actions.do_remove_participant(round_, leaver, None)  # they left (the presence sweep)
    assert sorted(map(len, groups_of(round_).values())) == [2, 2]

    # Back again: they join one of the two pairs, and nobody else moves.
    two_pairs = groups_of(round_)
    assert actions.do_add_latecomer(round_, leaver)
    after = groups_of(round_)
    assert sorted(map(len, after.values())) == [2, 3]
    assert sum(after[n] == m for n, m in two_pairs.items()) == 1
    assert all(after[n] >= m for n, m in two_pairs.items())

    # Another arrival joins the pair; the next finds only threes and waits (the latecomer
    # rule is unchanged: nobody leaves a conversation under way for them).
    sixth = add_person(programme, facilitator, "Fay Lowe", "Library")
    seventh = add_person(programme, facilitator, "Gus Hale", "Police")
    assert actions.do_add_latecomer(round_, sixth)
    assert sorted(map(len, groups_of(round_).values())) == [3, 3]
    assert actions.do_add_latecomer(round_, seventh)
    assert {str(p.pk) for p in round_.waiting.all()} == {str(seventh.pk)}
