"""Breakout rooms: starting them, room notes, messages, moves, closing, and their pages.

Set-up goes through the real actions; every event-writing action is checked with the
events-consistency pattern (fresh snapshot + the action's events == refetched snapshot).
"""

import dataclasses
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.live import actions, events, parts
from convenor.live import notes as notes_module
from convenor.live.events import current_seq, events_after
from convenor.live.models import GroupMember, RoomGroup, RoomLeaving, RoomNotes, Round
from convenor.live.state import snapshot
from convenor.live.views import GroupView, PersonRow, Place
from convenor.programmes import actions as programme_actions
from convenor.programmes.access import PARTICIPANT_SESSION_KEY
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session
from tests.web.live_support import connect_all, consistent, make_people, url


def room_of(round_: Round, person: Participant) -> RoomGroup:
    return GroupMember.objects.select_related("group").get(round=round_, participant=person).group


def members(group: RoomGroup) -> list[Participant]:
    return [m.participant for m in group.memberships.select_related("participant")]


@pytest.fixture
def people(programme: Programme, facilitator: Any) -> list[Participant]:
    return make_people(programme, facilitator, 10)


@pytest.fixture
def breakout(session: Session, facilitator: Any, people: list[Participant]) -> Round:
    """Ten people here, in three rooms (4, 3, 3) with two room prompts."""
    connect_all(session, people)
    return actions.do_start_round(
        session,
        facilitator,
        kind="breakout",
        rooms=3,
        room_prompts=["Where do we start?", "What would success look like?"],
        seed=3,
    )


# --- Starting -------------------------------------------------------------------------------


def test_breakout_by_number_of_rooms_with_a_prompt_per_room(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    connect_all(session, people)
    written = consistent(
        session,
        lambda: actions.do_start_round(
            session, facilitator, kind="breakout", rooms=3, room_prompts=["A?", " ", "B?"], seed=1
        ),
    )
    round_ = Round.objects.get(session=session)
    assert written[-1]["payload"]["round"]["room_prompts"] == ["A?", "B?"]
    sizes = sorted(group.memberships.count() for group in round_.groups.all())
    assert sizes == [3, 3, 4]
    assert [round_.prompt_for(n) for n in (1, 2, 3)] == ["A?", "B?", "A?"]


def test_breakout_by_group_size_mixes_organisations_and_uses_one_prompt(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    connect_all(session, people)
    round_ = actions.do_start_round(
        session, facilitator, kind="breakout", size=5, prompts="Talk.", seed=2
    )
    groups = list(round_.groups.all())
    assert sorted(g.memberships.count() for g in groups) == [5, 5]
    for group in groups:
        orgs = [p.organisation for p in members(group)]
        assert len(set(orgs)) == len(orgs), "five organisations for five people: no repeats"
        assert round_.prompt_for(group.number) == "Talk."


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "breakout", "rooms": 6}, "cannot make 6 rooms of at least 2"),
        ({"kind": "breakout", "rooms": 0}, "1 to 200 rooms"),
        ({"kind": "coffee", "rooms": 2}, "Only breakout rounds"),
        ({"kind": "coffee", "room_prompts": ["A"]}, "Only breakout rounds have a prompt"),
        ({"kind": "breakout", "size": 2}, "3 to 8"),
        ({"kind": "breakout", "size": 4, "room_prompts": ["x" * 5001]}, "at most 200 room"),
    ],
)
def test_start_breakout_refuses_what_cannot_be_done(
    session: Session,
    facilitator: Any,
    people: list[Participant],
    options: dict[str, Any],
    message: str,
) -> None:
    connect_all(session, people)
    seq = current_seq(session)
    with pytest.raises(ValidationError, match=message):
        actions.do_start_round(session, facilitator, **options)
    assert not Round.objects.exists()
    assert current_seq(session) == seq


# --- Notes ----------------------------------------------------------------------------------


def test_notes_save_with_revs_and_the_event_carries_no_text(
    session: Session,
    breakout: Round,
    people: list[Participant],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    monkeypatch.setattr(events, "broadcast_to_rooms", lambda _id, items, **_: sent.extend(items))
    room = room_of(breakout, people[0])
    with django_capture_on_commit_callbacks(execute=True):
        written = consistent(
            session, lambda: actions.do_save_notes(room, people[0], "Secret plan\r\nline 2", 0)
        )
    notes = RoomNotes.objects.get(group=room)
    assert (notes.text, notes.rev, notes.number) == ("Secret plan\nline 2", 1, room.number)
    assert [e["kind"] for e in written] == ["notes_saved"]
    assert "Secret" not in json.dumps(written), "the log every client reads has no notes text"
    assert "Secret" not in json.dumps(sent[0][0])
    assert sent[0][1] == {"group": str(room.pk), "text": "Secret plan\nline 2", "rev": 1}

    other = next(p for p in members(room) if p != people[0])
    consistent(session, lambda: actions.do_save_notes(room, other, "Secret plan, agreed", 1))
    assert RoomNotes.objects.get(group=room).rev == 2
    seq = current_seq(session)
    # Saving what is already stored writes nothing.
    assert actions.do_save_notes(room, other, "Secret plan, agreed", 2).rev == 2
    assert current_seq(session) == seq


def test_a_stale_save_is_merged_with_what_was_saved_since(
    session: Session, breakout: Round, people: list[Participant]
) -> None:
    room = room_of(breakout, people[0])
    other = next(p for p in members(room) if p != people[0])
    actions.do_save_notes(room, people[0], "Ideas:\n", 0)
    actions.do_save_notes(room, people[0], "Ideas:\n- a shared map\n", 1)
    # The other tab last saw rev 1 and adds its own line: both lines are kept.
    saved = actions.do_save_notes(room, other, "Ideas:\n- one budget\n", 1)
    both = "Ideas:\n- a shared map\n- one budget\n"
    assert (saved.rev, saved.text) == (3, both)
    notes = RoomNotes.objects.get(group=room)
    assert (notes.text, notes.rev) == (both, 3)
    # An edit elsewhere in the text from an old tab lands where it was made.
    saved = actions.do_save_notes(room, people[0], "Our ideas:\n- a shared map\n", 2)
    assert saved.text == "Our ideas:\n- a shared map\n- one budget\n"


def test_a_save_older_than_the_kept_saves_is_refused_and_told_the_latest(
    session: Session, breakout: Round, people: list[Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notes_module, "KEEP_SAVES", 2)
    room = room_of(breakout, people[0])
    for rev, text in enumerate(["one", "one two", "one two three"]):
        actions.do_save_notes(room, people[0], text, rev)
    seq = current_seq(session)
    with pytest.raises(actions.NotesConflict) as conflict:
        actions.do_save_notes(room, people[0], "from an old tab", 0)
    assert (conflict.value.text, conflict.value.rev) == ("one two three", 3)
    assert "latest version" in str(conflict.value)
    # A rev the server never had is no base either.
    with pytest.raises(actions.NotesConflict):
        actions.do_save_notes(room, people[0], "from the future", 9)
    # Two saves back is still kept: merged.
    assert actions.do_save_notes(room, people[0], "zero one", 1).text == "zero one two three"
    assert current_seq(session) == seq + 1


def test_a_save_sent_again_with_its_sid_is_applied_once(
    session: Session, breakout: Round, people: list[Participant]
) -> None:
    room = room_of(breakout, people[0])
    other = next(p for p in members(room) if p != people[0])
    first = actions.do_save_notes(room, people[0], "- tea\n", 0, sid="tab-a-1")
    actions.do_save_notes(room, other, "- tea\n- coffee\n", 1, sid="tab-b-1")
    seq = current_seq(session)
    # Its answer was lost with the connection; the tab sends the same save again.
    again = actions.do_save_notes(room, people[0], "- tea\n", 0, sid="tab-a-1")
    assert first.rev == 1 and again.rev == 2
    assert again.text == "- tea\n- coffee\n" == RoomNotes.objects.get(group=room).text
    assert current_seq(session) == seq
    with pytest.raises(ValidationError, match="sid must be"):
        actions.do_save_notes(room, people[0], "x", 2, sid="s" * 65)


def test_notes_refuse_bad_writes_and_change_nothing(
    session: Session,
    breakout: Round,
    people: list[Participant],
    programme: Programme,
    facilitator: Any,
) -> None:
    room = room_of(breakout, people[0])
    actions.do_save_notes(room, people[0], "kept", 0)
    outside = next(p for p in people if room_of(breakout, p) != room)
    absent = make_people(programme, facilitator, 1)[0]
    seq = current_seq(session)
    cases: list[tuple[Participant, str, Any, str]] = [
        (people[0], "x" * 41_000, 1, "at most 20,000 characters"),
        (outside, "not my room", 1, "your own room"),
        (absent, "not in the round", 1, "your own room"),
        (people[0], "bad rev", -1, "rev must be"),
        (people[0], "bad rev", True, "rev must be"),
    ]
    for who, text, rev, message in cases:
        with pytest.raises(ValidationError, match=message):
            actions.do_save_notes(room, who, text, rev)
    assert RoomNotes.objects.get(group=room).text == "kept"
    assert current_seq(session) == seq


def test_coffee_rounds_have_no_notes(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    connect_all(session, people[:4])
    round_ = actions.do_start_round(session, facilitator, seed=1)
    with pytest.raises(ValidationError, match="Only breakout rooms"):
        actions.do_save_notes(room_of(round_, people[0]), people[0], "hi", 0)
    assert not RoomNotes.objects.exists()


# --- Facilitator: message, move, close ------------------------------------------------------


def test_message_every_room(session: Session, breakout: Round, facilitator: Any) -> None:
    written = consistent(
        session, lambda: actions.do_message_rooms(breakout, facilitator, "  Five minutes left  ")
    )
    assert written[-1]["payload"]["message"] == "Five minutes left"
    seq = current_seq(session)
    for bad, message in [("   ", "Write a message"), ("x" * 501, "at most 500")]:
        with pytest.raises(ValidationError, match=message):
            actions.do_message_rooms(breakout, facilitator, bad)
    assert current_seq(session) == seq
    assert Round.objects.get(pk=breakout.pk).message == "Five minutes left"


def test_move_someone_and_an_emptied_room_keeps_its_notes(
    session: Session, breakout: Round, facilitator: Any, people: list[Participant]
) -> None:
    groups = {g.number: g for g in breakout.groups.all()}
    three = next(g for g in groups.values() if g.memberships.count() == 3)
    target = next(g for g in groups.values() if g != three)
    leaving = members(three)
    actions.do_save_notes(three, leaving[0], "Our ideas", 0)
    for person in leaving:
        consistent(
            session, lambda p=person: actions.do_move(breakout, p, target.number, facilitator)
        )
        assert room_of(breakout, person) == target
    assert not RoomGroup.objects.filter(pk=three.pk).exists()
    notes = RoomNotes.objects.get(round=breakout, number=three.number)
    assert (notes.text, notes.group) == ("Our ideas", None)
    assert snapshot(session)["round"]["notes"] == {
        str(notes.pk): {"number": three.number, "rev": 1}
    }


def test_move_refuses_what_makes_no_sense(
    session: Session,
    breakout: Round,
    facilitator: Any,
    people: list[Participant],
    programme: Programme,
) -> None:
    room = room_of(breakout, people[0])
    other = next(g for g in breakout.groups.all() if g != room)
    absent = make_people(programme, facilitator, 1)[0]
    seq = current_seq(session)
    for who, number, message in [
        (people[0], room.number, "already in room"),
        (people[0], 99, "no room 99"),
        (absent, other.number, "not in this round"),
    ]:
        with pytest.raises(ValidationError, match=message):
            actions.do_move(breakout, who, number, facilitator)
    assert current_seq(session) == seq
    assert room_of(breakout, people[0]) == room


def test_a_full_room_takes_nobody_more(
    session: Session, facilitator: Any, programme: Programme
) -> None:
    crowd = make_people(programme, facilitator, 16)
    connect_all(session, crowd)
    round_ = actions.do_start_round(session, facilitator, kind="breakout", size=8, seed=1)
    full, other = list(round_.groups.all())
    with pytest.raises(ValidationError, match="already has 8 people"):
        actions.do_move(round_, members(other)[0], full.number, facilitator)


def test_closing_counts_down_then_the_notes_are_read_only_and_kept(
    session: Session, breakout: Round, facilitator: Any, people: list[Participant]
) -> None:
    room = room_of(breakout, people[0])
    actions.do_save_notes(room, people[0], "Draft", 0)
    for seconds in (601, 9, 0):
        with pytest.raises(ValidationError, match="10 to 600 seconds"):
            actions.do_close_rooms(breakout, facilitator, seconds)
    written = consistent(session, lambda: actions.do_close_rooms(breakout, facilitator, 60))
    closes_at = Round.objects.get(pk=breakout.pk).closes_at
    assert closes_at is not None and closes_at > timezone.now() + timedelta(seconds=50)
    assert written[-1]["payload"]["closes_at"] == closes_at.isoformat()
    with pytest.raises(ValidationError, match="already closing"):
        actions.do_close_rooms(breakout, facilitator, 10)
    # During the countdown people can still write.
    actions.do_save_notes(room, people[0], "Draft, finished", 1)
    # The countdown runs out.
    # The countdown ran out longer ago than the grace for the last saves in flight.
    Round.objects.filter(pk=breakout.pk).update(closes_at=timezone.now() - timedelta(seconds=11))
    seq = current_seq(session)
    with pytest.raises(ValidationError, match="rooms have closed"):
        actions.do_save_notes(room, people[0], "Too late", 2)
    with pytest.raises(ValidationError, match="rooms have closed"):
        actions.do_message_rooms(breakout, facilitator, "Hello?")
    assert current_seq(session) == seq
    actions.do_end_round(breakout, facilitator)
    assert RoomNotes.objects.get(group=room).text == "Draft, finished"


# --- Pages: notes URL, console, participant page, plenary -----------------------------------


def client_for(participant: Participant) -> Client:
    client = Client()
    store = client.session
    store[PARTICIPANT_SESSION_KEY] = {str(participant.programme_id): str(participant.pk)}
    store.save()
    return client


def test_participant_page_shows_their_room_prompt_and_notes_form(
    session: Session,
    breakout: Round,
    people: list[Participant],
    facilitator: Any,
    check_response: Callable[[Any], None],
) -> None:
    room = room_of(breakout, people[0])
    actions.do_save_notes(room, people[0], "<script>alert(1)</script>", 0)
    actions.do_message_rooms(breakout, facilitator, "Back in <b>5</b>")
    response = client_for(people[0]).get(url("session", session))
    check_response(response)
    page = response.content.decode()
    assert f"Room {room.number}: you are with" in page
    assert breakout.prompt_for(room.number) in page
    assert '<label for="room-notes">' in page
    assert f'name="group" value="{room.pk}"' in page
    assert 'value="1" data-notes-rev' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Back in &lt;b&gt;5&lt;/b&gt;" in page
    others = [g for g in breakout.groups.all() if g != room]
    assert all(str(g.pk) not in page for g in others), "no other room's id on the page"
    # Who they are with comes before the activity region (on a phone, before a whole board).
    assert page.index('id="group-heading"') < page.index('id="activity-heading"')
    assert "This round:" in page  # the countdown says what it counts down


def test_the_message_to_the_rooms_goes_once_they_have_closed(
    session: Session, breakout: Round, people: list[Participant], facilitator: Any
) -> None:
    actions.do_message_rooms(breakout, facilitator, "Five minutes left")
    assert "Five minutes left" in client_for(people[0]).get(url("session", session)).text
    actions.do_close_rooms(breakout, facilitator, 10)
    page = client_for(people[0]).get(url("session", session)).text
    assert "Five minutes left" in page and "Until the rooms close:" in page
    Round.objects.filter(pk=breakout.pk).update(closes_at=timezone.now())
    page = client_for(people[0]).get(url("session", session)).text
    assert "The rooms have closed." in page and "Five minutes left" not in page


def test_console_shows_every_room_notes_and_the_controls(
    session: Session,
    breakout: Round,
    people: list[Participant],
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    for group in breakout.groups.all():
        actions.do_save_notes(group, members(group)[0], f"Notes of room {group.number}", 0)
    response = facilitator_client.get(url("console", session))
    check_response(response)
    page = response.content.decode()
    for group in breakout.groups.all():
        view = f'data-notes-view="{group.pk}" data-notes-rev="1">Notes of room {group.number}</div>'
        assert view in page
    for control in (
        'for="rooms-message"',
        'for="move-who"',
        'for="move-room"',
        'for="close-seconds"',
    ):
        assert control in page


def test_no_round_console_offers_a_breakout_form(
    session: Session, facilitator_client: Client, check_response: Callable[[Any], None]
) -> None:
    response = facilitator_client.get(url("console", session))
    check_response(response)
    page = response.content.decode()
    for control in ('for="breakout-size"', 'for="breakout-rooms"', 'for="breakout-room-prompts"'):
        assert control in page


def test_breakout_commands_by_form(
    session: Session, facilitator_client: Client, people: list[Participant]
) -> None:
    connect_all(session, people)
    command = url("command", session)
    both = {"command": "start_round", "kind": "breakout", "size": "3", "rooms": "2"}
    response = facilitator_client.post(command, both, follow=True)
    assert "not both" in response.content.decode()
    assert not Round.objects.exists()
    started = {
        "command": "start_round",
        "kind": "breakout",
        "size": "",
        "rooms": "2",
        "room_prompts": "Room one?\r\n---\r\nRoom two?",
    }
    assert facilitator_client.post(command, started).status_code == 302
    round_ = Round.objects.get(session=session)
    assert round_.room_prompts == ["Room one?", "Room two?"]
    assert round_.groups.count() == 2
    facilitator_client.post(command, {"command": "message_rooms", "message": "Hi all"})
    target = next(g for g in round_.groups.all() if g != room_of(round_, people[0]))
    facilitator_client.post(
        command, {"command": "move", "participant": str(people[0].pk), "room": target.number}
    )
    assert room_of(round_, people[0]) == target
    response = facilitator_client.post(
        command, {"command": "close_rooms", "seconds": "10"}, follow=True
    )
    assert "The rooms close in 10 s." in response.content.decode()
    round_.refresh_from_db()
    assert round_.message == "Hi all" and not round_.rooms_closed()
    assert round_.rooms_closed(timezone.now() + timedelta(seconds=11))


def test_notes_over_http_json_and_form(
    session: Session, breakout: Round, people: list[Participant]
) -> None:
    room = room_of(breakout, people[0])
    client = client_for(people[0])
    json_accept = {"HTTP_ACCEPT": "application/json"}
    target = url("notes", session)
    response = client.post(
        target, {"group": str(room.pk), "text": "One", "rev": "0"}, **json_accept
    )
    assert response.status_code == 200 and response.json() == {"group": str(room.pk), "rev": 1}
    stale = {"group": str(room.pk), "text": "Old\n", "rev": "0", "sid": "s1"}
    merged = client.post(target, stale, **json_accept)
    assert merged.status_code == 200
    assert merged.json() == {"group": str(room.pk), "rev": 2, "text": "OneOld\n"}
    again = client.post(target, stale, **json_accept)
    assert again.json() == {"group": str(room.pk), "rev": 2, "text": "OneOld\n"}, "sid: once"
    ahead = client.post(target, {"group": str(room.pk), "text": "?", "rev": "7"}, **json_accept)
    assert ahead.status_code == 409
    assert (ahead.json()["text"], ahead.json()["rev"]) == ("OneOld\n", 2)
    too_long = {"group": str(room.pk), "text": "x" * 41_000, "rev": "2"}
    response = client.post(target, too_long, **json_accept)
    assert response.status_code == 400 and "20,000" in response.json()["error"]
    response = client.post(target, {"group": str(room.pk), "text": "Two", "rev": "2"})
    assert response.status_code == 302 and response["Location"] == url("session", session)
    got = client.get(target, {"group": str(room.pk)}).json()
    assert got == {"group": str(room.pk), "text": "Two", "rev": 3, "read_only": False}
    # A form without JavaScript based on an old rev: merged, and the page says so.
    response = client.post(
        target, {"group": str(room.pk), "text": "OneOld\nThree", "rev": "2"}, follow=True
    )
    assert "together with what others in your room wrote" in response.content.decode()
    assert RoomNotes.objects.get(group=room).text == "TwoThree"


def test_notes_url_refuses_outsiders_other_rooms_and_other_sessions(
    session: Session,
    breakout: Round,
    people: list[Participant],
    programme: Programme,
    facilitator: Any,
    facilitator_client: Client,
    outsider_client: Client,
) -> None:
    room = room_of(breakout, people[0])
    actions.do_save_notes(room, people[0], "Ours", 0)
    target = url("notes", session)
    outside = next(p for p in people if room_of(breakout, p) != room)
    assert client_for(outside).get(target, {"group": str(room.pk)}).status_code == 403
    written = {"group": str(room.pk), "text": "Theirs", "rev": "1"}
    assert client_for(outside).post(target, written).status_code == 403
    assert outsider_client.get(target, {"group": str(room.pk)}).status_code == 404
    assert facilitator_client.post(target, written).status_code == 403
    assert facilitator_client.get(target, {"group": str(room.pk)}).json()["text"] == "Ours"
    assert client_for(people[0]).get(target, {"group": "nope"}).status_code == 400
    # A room of another session of the same programme is not found through this session.
    later = Session.objects.create(
        programme=programme, title="Later", starts_at=timezone.now(), duration_minutes=60
    )
    assert (
        client_for(people[0]).get(url("notes", later), {"group": str(room.pk)}).status_code == 404
    )
    response = client_for(people[0]).post(url("notes", later), written)
    assert response.status_code == 404
    assert client_for(people[0]).delete(target).status_code == 405
    assert RoomNotes.objects.get(group=room).text == "Ours"


def test_plenary_lists_closed_rooms_notes_for_everyone_in_the_session(
    session: Session,
    breakout: Round,
    people: list[Participant],
    facilitator: Any,
    facilitator_client: Client,
    outsider_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    room = room_of(breakout, people[0])
    actions.do_save_notes(room, people[0], "We agreed <em>three</em> things", 0)
    outside = next(p for p in people if room_of(breakout, p) != room)
    target = url("plenary", session)
    before = client_for(outside).get(target).content.decode()
    assert "three" not in before, "open rooms' notes stay in the room"
    actions.do_close_rooms(breakout, facilitator, 10)
    Round.objects.filter(pk=breakout.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    room_part = client_for(people[0]).get(url("round_part", session)).content.decode()
    assert "The rooms have closed" in room_part
    assert " readonly>" in room_part and "Save notes" not in room_part
    assert "We agreed &lt;em&gt;three&lt;/em&gt; things" in room_part
    for client in (client_for(outside), facilitator_client):
        response = client.get(target)
        check_response(response)
        page = response.content.decode()
        assert f"Room {room.number}" in page
        assert "We agreed &lt;em&gt;three&lt;/em&gt; things" in page
        assert people[0].display_name not in page, "notes are unattributed"
    assert outsider_client.get(target).status_code == 404


def test_the_session_record_has_every_breakout_rooms_notes_unattributed(
    session: Session,
    breakout: Round,
    people: list[Participant],
    facilitator: Any,
    facilitator_client: Client,
) -> None:
    room = room_of(breakout, people[0])
    other = next(g for g in breakout.groups.all() if g != room)
    actions.do_save_notes(room, people[0], "We agreed <em>three</em> things\n\n- a list", 0)
    actions.do_end_round(breakout, facilitator)
    export = url("export", session)
    data = json.loads(facilitator_client.get(export).content)
    (section,) = data["sections"]["breakouts"]
    assert section["ended_at"] is not None
    assert section["rooms"] == [
        {
            "room": room.number,
            "prompt": breakout.prompt_for(room.number),
            "notes": "We agreed <em>three</em> things\n\n- a list",
        }
    ], f"room {other.number} took no notes and is left out"
    markdown = facilitator_client.get(export + "?format=md").content.decode()
    assert "## Breakout rooms' notes" in markdown
    assert f"#### Room {room.number}" in markdown
    assert f"#### Room {other.number}" not in markdown
    assert "We agreed \\<em\\>three\\</em\\> things" in markdown, "markup stays inert"
    for person in people:
        assert person.display_name not in markdown, "notes are unattributed"
    assert client_for(people[0]).get(export).status_code == 403


# --- Many saves in one transaction (convenor.live.notes.save_all, as the consumers batch them) --


def every_member_saves(round_: Round, session: Session, line: str) -> list[notes_module.Save]:
    return [
        notes_module.Save(session.pk, person.pk, group.pk, f"{person.display_name}: {line}\n", 0)
        for group in round_.groups.order_by("number")
        for person in members(group)
    ]


def test_a_batch_merges_every_save_and_writes_one_event_per_room(
    session: Session, breakout: Round
) -> None:
    saves = every_member_saves(breakout, session, "hello")
    seq = current_seq(session)
    outcomes = notes_module.save_all(saves)
    assert [o.kind for o in outcomes] == ["saved"] * len(saves)
    for group in breakout.groups.all():
        stored = RoomNotes.objects.get(group=group)
        names = [f"{p.display_name}: hello" for p in members(group)]
        assert stored.text.splitlines() == names, "in the order they were handed over"
        assert stored.rev == len(names)
        # Each writer is answered with the room's notes as the batch left them.
        for save, outcome in zip(saves, outcomes, strict=True):
            if save.group_id == group.pk:
                assert (outcome.rev, outcome.text or save.text) == (stored.rev, stored.text)
    written = events_after(session, seq)
    assert written is not None
    assert [e["kind"] for e in written] == ["notes_saved"] * breakout.groups.count()
    assert {e["payload"]["notes"]["rev"] for e in written} == {4, 3}


def test_a_batch_costs_the_same_queries_for_three_rooms_or_thirty(
    session: Session,
    breakout: Round,
    programme: Any,
    facilitator: Any,
    django_assert_max_num_queries: Any,
) -> None:
    small = every_member_saves(breakout, session, "one")
    with django_assert_max_num_queries(12):
        notes_module.save_all(small)
    # Ten more saves in every room (all based on an old rev, so all merged).
    more = [
        notes_module.Save(s.session_id, s.participant_id, s.group_id, s.text + f"and {i}\n", 1)
        for i in range(10)
        for s in small
    ]
    with django_assert_max_num_queries(12):
        outcomes = notes_module.save_all(more)
    assert {o.kind for o in outcomes} == {"saved"}
    for group in breakout.groups.all():
        text = RoomNotes.objects.get(group=group).text
        assert all(f"and {i}" in text for i in range(10))


def test_saves_handed_over_once_the_lock_is_held_join_the_batch(
    session: Session, breakout: Round
) -> None:
    """The writer hands over what arrived while the batch waited for the session's lock:
    `more` is asked once, with the sessions locked, and its saves are applied after the
    first ones, in the same transaction, their outcomes following."""
    first, *later = every_member_saves(breakout, session, "hello")
    asked: list[set[Any]] = []

    def more(sessions: set[Any]) -> list[notes_module.Save]:
        asked.append(sessions)
        return later

    seq = current_seq(session)
    outcomes = notes_module.save_all([first], more)
    assert asked == [{session.pk}]
    assert [o.kind for o in outcomes] == ["saved"] * (1 + len(later))
    for group in breakout.groups.all():
        stored = RoomNotes.objects.get(group=group)
        assert stored.text.splitlines() == [f"{p.display_name}: hello" for p in members(group)]
    written = events_after(session, seq)
    assert written is not None and len(written) == breakout.groups.count(), "one per room"


def test_saves_handed_over_must_be_of_the_sessions_locked(
    session: Session, breakout: Round, programme: Any
) -> None:
    other = Session.objects.create(
        programme=programme, title="Another", starts_at=session.starts_at, duration_minutes=60
    )
    first, second, *_ = every_member_saves(breakout, session, "hello")
    stray = dataclasses.replace(second, session_id=other.pk)
    with pytest.raises(ValueError, match="only be of the sessions already locked"):
        notes_module.save_all([first], lambda sessions: [stray])
    assert not RoomNotes.objects.exists(), "the whole batch rolled back"


def test_a_bad_save_in_a_batch_is_refused_alone(
    session: Session, breakout: Round, people: list[Participant]
) -> None:
    rooms = list(breakout.groups.order_by("number"))
    first, second = members(rooms[0])[0], members(rooms[1])[0]
    saves = [
        notes_module.Save(session.pk, first.pk, rooms[0].pk, "ours\n", 0),
        notes_module.Save(session.pk, first.pk, rooms[1].pk, "not my room\n", 0),
        notes_module.Save(session.pk, second.pk, rooms[1].pk, "x" * 20_001, 0),
        notes_module.Save(session.pk, second.pk, rooms[1].pk, "theirs\n", 0),
    ]
    kinds = [(o.kind, o.message[:30]) for o in notes_module.save_all(saves)]
    assert kinds == [
        ("saved", ""),
        ("error", "You can only write in your own"),
        ("error", "Notes can be at most 20,000 ch"),
        ("saved", ""),
    ]
    texts = {n.group_id: n.text for n in RoomNotes.objects.all()}
    assert texts == {rooms[0].pk: "ours\n", rooms[1].pk: "theirs\n"}


def test_a_batch_refuses_rooms_of_other_sessions(
    session: Session, breakout: Round, programme: Any
) -> None:
    other = Session.objects.create(
        programme=programme, title="Another", starts_at=session.starts_at, duration_minutes=60
    )
    room = breakout.groups.first()
    assert isinstance(room, RoomGroup)
    person = members(room)[0]
    (outcome,) = notes_module.save_all([notes_module.Save(other.pk, person.pk, room.pk, "x", 0)])
    assert (outcome.kind, outcome.message) == ("error", "There is no such room in this session.")
    assert not RoomNotes.objects.exists()


def test_merged_text_too_long_is_refused_and_changes_nothing(
    session: Session, breakout: Round
) -> None:
    room = breakout.groups.first()
    assert isinstance(room, RoomGroup)
    a, b = members(room)[:2]
    notes_module.save_all([notes_module.Save(session.pk, a.pk, room.pk, "a" * 15_000, 0)])
    (outcome,) = notes_module.save_all(
        [notes_module.Save(session.pk, b.pk, room.pk, "b" * 10_000, 0)]
    )
    assert outcome.kind == "error" and "would be 25,000 characters" in outcome.message
    stored = RoomNotes.objects.get(group=room)
    assert (stored.text, stored.rev) == ("a" * 15_000, 1)


@pytest.mark.django_db(transaction=True)  # the rooms are told on a real commit
def test_held_saves_are_answered_before_the_rooms_tabs_are_looked_up(
    session: Session, breakout: Round, django_assert_num_queries: Any
) -> None:
    """The notes writer answers a batch's writers as soon as it commits; who else is in each
    room is read afterwards, when the held work is finished, and only then are the rooms'
    deliveries made."""
    saves = every_member_saves(breakout, session, "held")
    outcomes, held = notes_module.save_all_held(saves)
    assert {o.kind for o in outcomes} == {"saved"}
    assert held.deliveries == [], "nothing prepared for the rooms yet"
    assert len(held.later) == 1, "one lookup for the whole batch"
    with django_assert_num_queries(1):  # the rooms' connected members, all rooms at once
        deliveries = held.finish()
    assert len(deliveries) == 1 and held.later == []
    # Outside a held block the same save notifies at its commit, as before.
    room = breakout.groups.order_by("number").first()
    assert isinstance(room, RoomGroup)
    again = notes_module.Save(session.pk, members(room)[0].pk, room.pk, "plain\n", 0)
    with django_assert_num_queries(12, exact=False) as queries:
        notes_module.save_all([again])
    assert any("live_livepresence" in q["sql"] for q in queries.captured_queries)


def test_facilitators_get_a_batchs_room_events_in_few_channel_messages() -> None:
    """One channel-layer message per batch for the facilitators' tabs (each a round trip to
    Redis with channels-redis), split only when the notes it carries grow large."""
    notices = [
        {"type": "live.event", "seq": seq, "kind": "notes_saved", "after": 1, "text": "x" * 100}
        for seq in range(2, 202)
    ]
    (bundle,) = events._in_bundles(notices)
    assert bundle["type"] == "live.events"
    assert [n["seq"] for n in bundle["events"]] == list(range(2, 202)), "in order"
    big = [dict(n, text="y" * (events.BUNDLE_CHARS // 3)) for n in notices[:7]]
    bundles = events._in_bundles(big)
    assert [len(b["events"]) for b in bundles] == [3, 3, 1]
    assert [n["seq"] for b in bundles for n in b["events"]] == list(range(2, 9))
    huge = [dict(notices[0], text="z" * (events.BUNDLE_CHARS + 1))]
    assert events._in_bundles(huge) == huge, "a single notice goes as it is"


# --- Closing: the last words typed are kept; a warning long enough to finish them ----------
# (convenor.live.notes.CLOSING_GRACE and convenor.live.actions.MIN_CLOSE_SECONDS)


def test_notes_are_taken_for_a_short_grace_after_the_closing_time(
    session: Session, breakout: Round, facilitator: Any, people: list[Participant]
) -> None:
    room = room_of(breakout, people[0])
    actions.do_close_rooms(breakout, facilitator, 10)
    grace = notes_module.CLOSING_GRACE
    assert grace == timedelta(seconds=10)
    # The deadline passed a moment ago: a page's last save, sent as it ran out, still goes in.
    Round.objects.filter(pk=breakout.pk).update(closes_at=timezone.now() - grace / 2)
    actions.do_save_notes(room, people[0], "Typed at the last second", 0)
    assert RoomNotes.objects.get(group=room).text == "Typed at the last second"
    # After the grace nothing changes, and no event is written.
    Round.objects.filter(pk=breakout.pk).update(
        closes_at=timezone.now() - grace - timedelta(seconds=1)
    )
    seq = current_seq(session)
    with pytest.raises(ValidationError, match="rooms have closed"):
        actions.do_save_notes(room, people[0], "Far too late", 1)
    assert current_seq(session) == seq
    assert RoomNotes.objects.get(group=room).text == "Typed at the last second"


def test_notes_are_taken_for_a_short_grace_after_the_round_ends(
    session: Session, breakout: Round, facilitator: Any, people: list[Participant]
) -> None:
    """The facilitator ends the round while someone types, without closing the rooms first:
    the save their page sends as the round ends still goes in; one sent later does not."""
    room = room_of(breakout, people[0])
    actions.do_end_round(breakout, facilitator)
    actions.do_save_notes(room, people[0], "Typed as the round ended", 0)
    assert RoomNotes.objects.get(group=room).text == "Typed as the round ended"
    grace = notes_module.CLOSING_GRACE
    Round.objects.filter(pk=breakout.pk).update(
        ended_at=timezone.now() - grace - timedelta(seconds=1)
    )
    seq = current_seq(session)
    with pytest.raises(ValidationError, match="round has ended"):
        actions.do_save_notes(room, people[0], "After the end", 1)
    assert current_seq(session) == seq
    assert RoomNotes.objects.get(group=room).text == "Typed as the round ended"


def test_someone_moved_or_taken_out_keeps_the_save_sent_as_it_happened(
    session: Session, breakout: Round, facilitator: Any, people: list[Participant]
) -> None:
    """A save reaches the server a moment after the facilitator moved its writer to another
    room (or took them out): it goes into the room it was typed in, for CLOSING_GRACE only,
    and only for the people who were in that room."""
    # The room of four: it keeps two people when two leave.
    room = max(breakout.groups.all(), key=lambda group: group.memberships.count())
    mover, taken = members(room)[:2]
    other = next(g for g in breakout.groups.all() if g != room)
    stranger = next(p for p in people if room_of(breakout, p) != room)
    actions.do_move(breakout, mover, other.number, facilitator)
    assert room_of(breakout, mover) == other
    actions.do_save_notes(room, mover, "Typed just before the move", 0)
    assert RoomNotes.objects.get(group=room).text == "Typed just before the move"
    # Over HTTP too (a page whose socket is down).
    written = {"group": str(room.pk), "text": "Typed just before the move, and more", "rev": "1"}
    response = client_for(mover).post(
        url("notes", session), written, headers={"accept": "application/json"}
    )
    assert (response.status_code, response.json()["rev"]) == (200, 2)
    # Nobody else gains anything: someone who was never in the room is refused as before.
    seq = current_seq(session)
    with pytest.raises(ValidationError, match="own room's notes"):
        actions.do_save_notes(room, stranger, "Not mine to write", 2)
    assert client_for(stranger).post(url("notes", session), written).status_code == 403
    # Taken out: the same.
    actions.do_remove_participant(breakout, taken, facilitator)
    actions.do_save_notes(room, taken, "Typed just before the move, and more. Last words.", 2)
    assert RoomNotes.objects.get(group=room).rev == 3
    # Once the grace has passed, the room is theirs no more.
    grace = notes_module.CLOSING_GRACE
    RoomLeaving.objects.update(left_at=timezone.now() - grace - timedelta(seconds=1))
    seq = current_seq(session)
    for person in (mover, taken):
        with pytest.raises(ValidationError, match="own room's notes"):
            actions.do_save_notes(room, person, "Too late", 3)
    assert client_for(mover).post(url("notes", session), written).status_code == 403
    assert current_seq(session) == seq
    assert RoomNotes.objects.get(group=room).rev == 3


def test_only_people_who_leave_a_breakout_room_are_recorded_as_leaving(
    session: Session, breakout: Round, facilitator: Any, people: list[Participant]
) -> None:
    room = room_of(breakout, people[0])
    other = next(g for g in breakout.groups.all() if g != room)
    before = set(members(other))
    actions.do_move(breakout, people[0], other.number, facilitator)
    # The room they joined changed too; nobody left it.
    assert set(RoomLeaving.objects.values_list("group_id", "participant_id")) == {
        (room.pk, people[0].pk)
    }
    assert before < set(members(other))
    actions.do_end_round(breakout, facilitator)
    coffee = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=1)
    a, b = (
        members(next(iter(coffee.groups.all())))[0],
        members(list(coffee.groups.all())[-1])[0],
    )
    actions.do_swap(coffee, a, b, facilitator)
    assert RoomLeaving.objects.count() == 1, "coffee groups have no notes to keep"


@pytest.mark.parametrize("seconds", ["0", "9", "601", "-5"])
def test_close_rooms_needs_a_warning_of_10_to_600_seconds(
    session: Session,
    breakout: Round,
    facilitator: Any,
    facilitator_client: Client,
    seconds: str,
) -> None:
    from convenor.live import commands

    command = url("command", session)
    seq = current_seq(session)
    response = facilitator_client.post(
        command, {"command": "close_rooms", "seconds": seconds}, follow=True
    )
    assert "Give 10 to 600 seconds of warning" in response.content.decode()
    assert Round.objects.get(pk=breakout.pk).closes_at is None
    assert current_seq(session) == seq
    with pytest.raises(commands.CommandError, match="Give 10 to 600 seconds of warning"):
        commands.execute(session, facilitator, "close_rooms", {"seconds": int(seconds)})
    done = facilitator_client.post(
        command, {"command": "close_rooms", "seconds": "10"}, follow=True
    )
    assert "The rooms close in 10 s." in done.content.decode()
    closes_at = Round.objects.get(pk=breakout.pk).closes_at
    assert closes_at is not None and closes_at > timezone.now() + timedelta(seconds=8)


def test_notes_of_an_archived_programme_cannot_change(
    session: Session, breakout: Round, people: list[Participant], facilitator: Any
) -> None:

    room = room_of(breakout, people[0])
    actions.do_save_notes(room, people[0], "Before", 0)
    programme_actions.archive_programme(session.programme, facilitator)
    seq = current_seq(session)
    with pytest.raises(ValidationError, match="archived"):
        actions.do_save_notes(room, people[0], "Before, and after", 1)
    # Over a socket whose revocation notice was lost, the same: nothing written.
    (outcome,) = notes_module.save_all(
        [notes_module.Save(session.pk, people[0].pk, room.pk, "Sneaked in", 1)]
    )
    assert outcome.kind == "error" and "archived" in outcome.message
    assert RoomNotes.objects.get(group=room).text == "Before"
    assert current_seq(session) == seq


# --- Pushed group regions: filled in, the same as rendered ----------------------------------

NAMES = st.text(alphabet="ab <>&\"'\n", max_size=12)


@st.composite
def group_views(draw: st.DrawFn) -> GroupView:
    members = [
        PersonRow(uuid.uuid4(), draw(NAMES), draw(NAMES), draw(NAMES), draw(NAMES))
        for _ in range(draw(st.integers(1, 4)))
    ]
    place = Place(
        draw(st.sampled_from(["", 'https://meet.example.org/convenor-a"b<c>'])),
        draw(st.one_of(st.none(), st.integers(1, 300))),
        draw(st.booleans()),
    )
    notes = None
    if draw(st.booleans()):
        notes = RoomNotes(number=1, text=draw(NAMES), rev=draw(st.integers(0, 9)))
    return GroupView(
        draw(st.integers(1, 300)),
        members,
        place,
        uuid.uuid4(),
        draw(st.sampled_from(["", "One\n\nTwo <b>&</b>", "x"])),
        notes,
        alone=len(members) == 1 and draw(st.booleans()),
    )


@pytest.mark.parametrize("kind", ["breakout", "coffee"])
def test_a_filled_in_group_region_is_the_region_rendered_for_that_group(
    session: Session, facilitator: Any, people: list[Participant], kind: str
) -> None:
    connect_all(session, people)
    size = 4 if kind == "breakout" else 2
    round_ = actions.do_start_round(session, facilitator, kind=kind, size=size, seed=3)
    render = parts.group_renderer(Round.objects.select_related("session").get(pk=round_.pk))
    regions = parts.GroupRegions(render)

    @settings(max_examples=150, deadline=None)
    @given(group_views())
    def same(view: GroupView) -> None:
        assert regions.fill(view) == render(my_group=view)

    same()


def test_breakout_only_commands_refuse_a_coffee_trial_and_change_nothing(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    connect_all(session, people)
    coffee = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=1)
    seq = current_seq(session)
    for act in (
        lambda: actions.do_message_rooms(coffee, facilitator, "Five minutes left"),
        lambda: actions.do_close_rooms(coffee, facilitator, 60),
        lambda: actions.do_move(coffee, people[0], 1, facilitator),
    ):
        with pytest.raises(ValidationError, match="not a breakout round"):
            act()
    coffee.refresh_from_db()
    assert coffee.message == "" and coffee.closes_at is None
    assert current_seq(session) == seq
