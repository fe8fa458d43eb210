"""Breakout rooms keep together and never hold more than 8: leavers, latecomers, sizes.

Every event-writing action is checked with the events-consistency pattern (fresh snapshot +
the action's events == refetched snapshot), as in test_live_breakout.
"""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from convenor.live import actions
from convenor.live.events import current_seq
from convenor.live.models import GroupMember, RoomGroup, RoomNotes, Round
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session
from tests.web.conftest import login_participant
from tests.web.live_support import connect_all, consistent, make_people


def part(name: str, session: Session) -> str:
    return reverse(f"live:{name}", args=[session.programme_id, session.pk])


def facilitator_client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rooms(round_: Round) -> dict[int, set[Participant]]:
    found: dict[int, set[Participant]] = {g.number: set() for g in round_.groups.all()}
    for m in GroupMember.objects.filter(round=round_).select_related("group", "participant"):
        found[m.group.number].add(m.participant)
    return found


def room_of(round_: Round, person: Participant) -> RoomGroup:
    return GroupMember.objects.select_related("group").get(round=round_, participant=person).group


def waiting(round_: Round) -> set[Participant]:
    return set(Round.objects.get(pk=round_.pk).waiting.all())


def start(session: Session, facilitator: Any, **options: Any) -> Round:
    return actions.do_start_round(session, facilitator, kind="breakout", seed=4, **options)


# --- Someone leaves -------------------------------------------------------------------------


def test_a_room_of_four_losing_one_keeps_its_three_number_notes_and_video_room(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 12)
    connect_all(session, crowd)
    round_ = start(session, facilitator, rooms=3)
    before = rooms(round_)
    assert sorted(len(m) for m in before.values()) == [4, 4, 4]
    leaver = crowd[0]
    room = room_of(round_, leaver)
    stayer = next(p for p in before[room.number] if p != leaver)
    actions.do_save_notes(room, stayer, "Our shared map", 0)
    # Their tab gone past the grace...
    consistent(session, lambda: actions.do_disconnect(f"test.{leaver.pk}"))
    consistent(session, lambda: actions.remove_if_gone(session, leaver))
    after = rooms(round_)
    assert after[room.number] == before[room.number] - {leaver}
    assert {n: m for n, m in after.items() if n != room.number} == {
        n: m for n, m in before.items() if n != room.number
    }, "nobody else moved"
    kept = RoomGroup.objects.get(pk=room.pk)
    assert (kept.number, kept.room_token) == (room.number, room.room_token)
    notes = RoomNotes.objects.get(round=round_, number=room.number)
    assert (notes.group_id, notes.text) == (room.pk, "Our shared map")
    # ... and the facilitator's "take out": a room of three becomes two, still together.
    second = next(p for p in after[room.number])
    consistent(session, lambda: actions.do_remove_participant(round_, second, facilitator))
    assert rooms(round_)[room.number] == before[room.number] - {leaver, second}
    assert RoomNotes.objects.get(pk=notes.pk).group_id == room.pk


def test_the_last_person_in_a_room_joins_the_smallest_room_with_space(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 10)
    connect_all(session, crowd)
    round_ = start(session, facilitator, rooms=3)
    before = rooms(round_)
    small, other_small = sorted(n for n in before if len(before[n]) == 3)
    big = next(n for n in before if len(before[n]) == 4)
    first, second, last = sorted(before[small], key=lambda p: p.pk)
    actions.do_save_notes(RoomGroup.objects.get(round=round_, number=small), last, "Kept", 0)
    actions.do_remove_participant(round_, first, facilitator)
    assert rooms(round_)[small] == {second, last}, "a room of two stays together"
    consistent(session, lambda: actions.do_remove_participant(round_, second, facilitator))
    after = rooms(round_)
    assert small not in after
    assert after[other_small] == before[other_small] | {last}, "the smaller room took them"
    assert after[big] == before[big]
    assert max(len(m) for m in after.values()) <= 8
    notes = RoomNotes.objects.get(round=round_, number=small)
    assert (notes.group, notes.text) == (None, "Kept"), "the notes stay with the round"


def test_the_last_person_waits_when_every_other_room_is_full(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 18)
    connect_all(session, crowd)
    round_ = start(session, facilitator, size=6)
    one, two, three = sorted(rooms(round_))
    movers = sorted(rooms(round_)[three], key=lambda p: p.pk)
    for person, number in zip(movers[:4], [one, one, two, two], strict=True):
        actions.do_move(round_, person, number, facilitator)
    assert sorted(len(m) for m in rooms(round_).values()) == [2, 8, 8]
    consistent(session, lambda: actions.do_remove_participant(round_, movers[4], facilitator))
    assert sorted(len(m) for m in rooms(round_).values()) == [8, 8]
    assert waiting(round_) == {movers[5]}


def test_coffee_trial_leaving_still_rehomes_a_lone_partner(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 6)
    connect_all(session, crowd)
    round_ = actions.do_start_round(session, facilitator, seed=5)
    leaver = crowd[0]
    partner = next(p for p in rooms(round_)[room_of(round_, leaver).number] if p != leaver)
    consistent(session, lambda: actions.do_remove_participant(round_, leaver, facilitator))
    assert sorted(len(m) for m in rooms(round_).values()) == [2, 3]
    assert len(rooms(round_)[room_of(round_, partner).number]) == 3


# --- Latecomers -----------------------------------------------------------------------------


def test_latecomers_wait_when_every_room_has_8_then_open_a_room_together(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 19)
    connect_all(session, crowd[:16])
    round_ = start(session, facilitator, size=8)
    full = rooms(round_)
    assert sorted(len(m) for m in full.values()) == [8, 8]
    late, later, latest = crowd[16:]
    consistent(session, lambda: actions.do_connect(session, "test.late", participant=late))
    assert rooms(round_) == full and waiting(round_) == {late}
    # They are told why they wait, in a breakout's words; the console says who waits for space.
    programme_actions.agree_ground_rules(late)
    page = login_participant(Client(), late).get(part("round_part", session)).content.decode()
    assert "Every room is full just now" in page and "partner" not in page
    console = facilitator_client_for(facilitator).get(part("round_part", session))
    assert "Waiting for a room with space: Person 16" in console.content.decode()
    consistent(session, lambda: actions.do_connect(session, "test.later", participant=later))
    now = rooms(round_)
    new = next(n for n in now if n not in full)
    assert now[new] == {late, later} and not waiting(round_)
    actions.do_connect(session, "test.latest", participant=latest)
    now = rooms(round_)
    assert now[new] == {late, later, latest}
    assert {n: now[n] for n in full} == full


def test_a_latecomer_never_makes_a_room_of_nine(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 16)
    connect_all(session, crowd[:15])
    round_ = start(session, facilitator, size=7)
    assert sorted(len(m) for m in rooms(round_).values()) == [7, 8]
    actions.do_connect(session, "test.late", participant=crowd[15])
    assert sorted(len(m) for m in rooms(round_).values()) == [8, 8]


# --- Sizes at start -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "options", "sizes"),
    [
        (10, {"size": 3}, [3, 3, 4]),
        (16, {"size": 8}, [8, 8]),
        (10, {"size": 8}, [5, 5]),
        (17, {"size": 8}, [5, 6, 6]),
        (9, {"size": 7}, [4, 5]),
        (16, {"rooms": 2}, [8, 8]),
        (24, {"rooms": 3}, [8, 8, 8]),
        (9, {"rooms": 3}, [3, 3, 3]),
    ],
)
def test_breakout_rooms_hold_3_to_8(
    session: Session,
    facilitator: Any,
    programme: Programme,
    count: int,
    options: dict[str, Any],
    sizes: list[int],
) -> None:
    connect_all(session, make_people(programme, facilitator, count))
    round_ = start(session, facilitator, **options)
    assert sorted(len(m) for m in rooms(round_).values()) == sizes


@pytest.mark.parametrize(
    ("count", "asked", "message"),
    [
        (17, 2, "cannot make 2 rooms: a room holds at most 8 people. Ask for at least 3 rooms."),
        (20, 2, "Ask for at least 3 rooms"),
        (40, 4, "The 40 people here cannot make 4 rooms.*Ask for at least 5 rooms"),
        (10, 6, "cannot make 6 rooms of at least 2 people. Ask for at most 5 rooms"),
    ],
)
def test_a_number_of_rooms_needing_rooms_over_8_is_refused_and_saves_nothing(
    session: Session,
    facilitator: Any,
    programme: Programme,
    count: int,
    asked: int,
    message: str,
) -> None:
    connect_all(session, make_people(programme, facilitator, count))
    seq = current_seq(session)
    with pytest.raises(ValidationError, match=message):
        start(session, facilitator, rooms=asked)
    assert not Round.objects.exists()
    assert not RoomGroup.objects.exists()
    assert current_seq(session) == seq


@pytest.mark.parametrize(
    ("count", "asked"), [(15, 4), (18, 5), (27, 7), (24, 3), (9, 3), (5, 2), (2, 1), (10, 4)]
)
def test_any_number_of_rooms_of_2_to_8_can_be_asked_for(
    session: Session, facilitator: Any, programme: Programme, count: int, asked: int
) -> None:
    # No target size makes most of these; a room may be a pair when a number of rooms is asked.
    connect_all(session, make_people(programme, facilitator, count))
    round_ = start(session, facilitator, rooms=asked)
    sizes = sorted(len(members) for members in rooms(round_).values())
    assert len(sizes) == asked and sum(sizes) == count
    assert sizes[-1] - sizes[0] <= 1 and sizes[0] >= 2 and sizes[-1] <= 8
    assert not waiting(round_)


def test_the_numbers_of_rooms_that_work_are_named() -> None:
    assert actions._size_for_rooms(100, 13, 8) == 7  # 9 rooms of 8 and 4 of 7
    with pytest.raises(ValidationError, match="Ask for at least 13 rooms"):
        actions._size_for_rooms(100, 12, 8)
    with pytest.raises(ValidationError, match="Ask for at most 50 rooms"):
        actions._size_for_rooms(100, 51, 8)
    assert actions._capped_groups(100, 8, 8) == 13
    assert actions._capped_groups(96, 8, 8) is None


def test_moving_into_a_room_of_8_says_to_choose_another(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 16)
    connect_all(session, crowd)
    round_ = start(session, facilitator, size=8)
    full, other = sorted(rooms(round_))
    seq = current_seq(session)
    mover = next(iter(rooms(round_)[other]))
    with pytest.raises(ValidationError, match="already has 8 people.*Choose a room with fewer"):
        actions.do_move(round_, mover, full, facilitator)
    assert current_seq(session) == seq
