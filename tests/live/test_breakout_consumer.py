"""Breakout rooms over the WebSocket: notes.save, who sees a room's notes, and the facilitator's
room commands, with bad and oversized messages and the wrong people."""

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import actions, notes
from convenor.live.consumers import MAX_MESSAGE_BYTES
from convenor.live.events import current_seq
from convenor.live.models import GroupMember, RoomGroup, RoomLeaving, RoomNotes, Round
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@pytest.fixture
def six(programme: Programme, facilitator: User) -> list[Participant]:
    names = [("Ada", "Council"), ("Bo", "NHS"), ("Cy", "Charity"), ("Di", "Sport")]
    names += [("Ed", "School"), ("Flo", "Police")]
    return [
        programme_actions.agree_ground_rules(
            programme_actions.add_participant(
                programme, facilitator, display_name=name, organisation=org, sector=org
            )
        )
        for name, org in names
    ]


async def drain(socket: Any) -> None:
    while not await socket.receive_nothing(timeout=0.1):
        await socket.receive_json_from(timeout=5)


async def reply_to(socket: Any, message: dict[str, Any]) -> dict[str, Any]:
    """Send a message; return the first reply that is not an event."""
    await socket.send_json_to(message)
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] != "event":
            return dict(reply)


async def next_event(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] == "event" and reply["event"]["kind"] == kind:
            return dict(reply)


def room_of(person: Participant) -> RoomGroup:
    return (
        GroupMember.objects.select_related("group")
        .get(participant=person, round__ended_at__isnull=True)
        .group
    )


class Rooms:
    """Everyone connected, a breakout of two rooms of three, and who is where."""

    def __init__(self, console: Any, tabs: dict[Any, Any], round_: Round) -> None:
        self.console, self.tabs, self.round = console, tabs, round_


@pytest_asyncio.fixture
async def rooms(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> Rooms:
    console = await connect(session, await cookie_of(facilitator))
    tabs = {person.pk: await connect(session, await cookie_of(person)) for person in six}
    round_ = await db(actions.do_start_round)(session, facilitator, kind="breakout", size=3, seed=5)
    for socket in [console, *tabs.values()]:
        await drain(socket)
    return Rooms(console, tabs, round_)


async def test_notes_save_reaches_the_room_and_facilitators_only(
    session: Session, six: list[Participant], rooms: Rooms
) -> None:
    writer = six[0]
    room = await db(room_of)(writer)
    inside = [p for p in six if p != writer and (await db(room_of)(p)).pk == room.pk]
    outside = [p for p in six if (await db(room_of)(p)).pk != room.pk]
    assert len(inside) == 2 and len(outside) == 3

    saved = await reply_to(
        rooms.tabs[writer.pk],
        {"type": "notes.save", "group": str(room.pk), "text": "Our plan", "rev": 0, "ref": 7},
    )
    assert saved == {"type": "notes.saved", "group": str(room.pk), "rev": 1, "ref": 7}
    for person in inside:
        got = await next_event(rooms.tabs[person.pk], "notes_saved")
        assert got["notes"] == {"group": str(room.pk), "text": "Our plan", "rev": 1}
    got = await next_event(rooms.console, "notes_saved")
    assert got["notes"]["text"] == "Our plan"
    for person in outside:
        assert await rooms.tabs[person.pk].receive_nothing(timeout=0.3), "not sent elsewhere"
    writer_tab = rooms.tabs[writer.pk]
    assert await writer_tab.receive_nothing(timeout=0.3), "the answer said it all to the writer"
    # The next event still reaches everyone; the skipped number is no gap to fill.
    await db(actions.do_message_rooms)(rooms.round, None, "Halfway")
    for person in outside:
        got = await rooms.tabs[person.pk].receive_json_from(timeout=5)
        assert got["event"]["kind"] == "rooms_message"
    # A tab reconnecting from before the save gets the event from the log, without the text.
    late = await db(current_seq)(session) - 2
    await rooms.tabs[outside[0].pk].send_json_to({"type": "hello", "last_seq": late})
    replay = await rooms.tabs[outside[0].pk].receive_json_from(timeout=5)
    assert [e["kind"] for e in replay["events"]] == ["notes_saved", "rooms_message"]
    assert "Our plan" not in json.dumps(replay)

    # A tab that had not seen rev 1 has its text merged with it, and is told the result.
    stale = await reply_to(
        rooms.tabs[inside[0].pk],
        {"type": "notes.save", "group": str(room.pk), "text": "Old view", "rev": 0},
    )
    assert stale == {
        "type": "notes.saved",
        "group": str(room.pk),
        "rev": 2,
        "text": "Our planOld view",
    }
    notes = await db(RoomNotes.objects.get)(group=room)
    assert (notes.text, notes.rev) == ("Our planOld view", 2)
    # The first writer's tab is told of the second save (rev 2); the second writer's is not.
    got = await next_event(writer_tab, "notes_saved")
    assert got["notes"] == {"group": str(room.pk), "text": "Our planOld view", "rev": 2}
    assert await rooms.tabs[inside[0].pk].receive_nothing(timeout=0.3)


async def test_moving_someone_changes_whose_notes_they_see(
    session: Session, six: list[Participant], rooms: Rooms
) -> None:
    mover = six[0]
    old_room = await db(room_of)(mover)
    new_room = await db(lambda: rooms.round.groups.exclude(pk=old_room.pk).get())()
    reply = await reply_to(
        rooms.console,
        {"type": "move", "participant": str(mover.pk), "room": new_room.number},
    )
    assert reply["type"] == "ok" and reply["message"].startswith(f"Moved {mover.display_name}")
    await next_event(rooms.tabs[mover.pk], "round_changed")
    writer = await db(
        lambda: GroupMember.objects.filter(group=new_room).exclude(participant=mover).first()
    )()
    assert writer is not None
    await reply_to(
        rooms.tabs[writer.participant_id],
        {"type": "notes.save", "group": str(new_room.pk), "text": "Welcome", "rev": 0},
    )
    got = await next_event(rooms.tabs[mover.pk], "notes_saved")
    assert got["notes"]["text"] == "Welcome"
    # A save typed in the old room and sent as the move happened still goes there...
    kept = await reply_to(
        rooms.tabs[mover.pk],
        {"type": "notes.save", "group": str(old_room.pk), "text": "Last words", "rev": 0},
    )
    assert (kept["type"], kept["rev"]) == ("notes.saved", 1)
    # ...for a few seconds only: then the old room is no longer theirs to write in.
    await db(
        lambda: RoomLeaving.objects.update(
            left_at=timezone.now() - notes.CLOSING_GRACE - timedelta(seconds=1)
        )
    )()
    refused = await reply_to(
        rooms.tabs[mover.pk],
        {"type": "notes.save", "group": str(old_room.pk), "text": "Back?", "rev": 1},
    )
    assert refused["type"] == "error" and "your own room" in refused["message"]


async def test_bad_notes_messages_get_an_error_and_change_nothing(
    session: Session,
    programme: Programme,
    facilitator: User,
    six: list[Participant],
    rooms: Rooms,
) -> None:
    writer = six[0]
    room = await db(room_of)(writer)
    elsewhere = await db(lambda: rooms.round.groups.exclude(pk=room.pk).get())()

    def other_session_room() -> RoomGroup:
        later = Session.objects.create(
            programme=programme, title="Later", starts_at=timezone.now(), duration_minutes=60
        )
        for person in six:
            actions.do_connect(later, f"fake.{person.pk}", participant=person)
        other = actions.do_start_round(later, facilitator, kind="breakout", size=3, seed=1)
        return GroupMember.objects.get(round=other, participant=writer).group

    theirs = await db(other_session_room)()
    seq = await db(current_seq)(session)
    good = {"type": "notes.save", "group": str(room.pk), "text": "ok", "rev": 0}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "colour": "red"}, "Unexpected field"),
        ({"type": "notes.save", "text": "no group", "rev": 0}, "needs “group”"),
        ({**good, "text": 5}, "needs “group”"),
        ({**good, "group": "not-a-uuid"}, "not a valid id"),
        ({**good, "rev": "0"}, "whole number"),
        ({**good, "rev": -1}, "whole number"),
        ({**good, "group": str(uuid.uuid4())}, "no such room"),
        ({**good, "group": str(theirs.pk)}, "no such room"),
        ({**good, "group": str(elsewhere.pk)}, "your own room"),
        ({**good, "text": "x" * 41_000}, "at most 20,000 characters"),
    ]
    socket = rooms.tabs[writer.pk]
    for message, expected in cases:
        reply = await reply_to(socket, {**message, "ref": "n"})
        assert reply["type"] == "error", message
        assert expected in reply["message"], (expected, reply["message"])
        assert reply["ref"] == "n"
    await socket.send_to(text_data=json.dumps({**good, "text": "x" * MAX_MESSAGE_BYTES}))
    assert "too large" in (await socket.receive_json_from(timeout=5))["message"]
    # Facilitators read every room but write in none.
    reply = await reply_to(rooms.console, good)
    assert reply == {"type": "error", "message": "Only the room's members can write its notes."}
    assert await db(current_seq)(session) == seq
    assert not await db(RoomNotes.objects.filter(round=rooms.round).exists)()


async def test_room_commands_run_for_facilitators_and_not_for_participants(
    session: Session, six: list[Participant], rooms: Rooms
) -> None:
    seq = await db(current_seq)(session)
    tab = rooms.tabs[six[0].pk]
    for command in ("message_rooms", "move", "close_rooms"):
        reply = await reply_to(tab, {"type": command, "ref": command})
        assert reply["message"] == "Only the programme's facilitators can do this."
    for message, expected in [
        ({"type": "message_rooms"}, "required"),
        ({"type": "message_rooms", "message": "x" * 501}, "too long"),
        ({"type": "move", "participant": str(six[0].pk), "room": 99}, "no room 99"),
        ({"type": "move", "participant": str(six[0].pk), "room": "1"}, "whole number"),
        ({"type": "close_rooms", "seconds": 601}, "10 to 600"),
        ({"type": "close_rooms", "seconds": 9}, "10 to 600"),
        ({"type": "close_rooms", "seconds": 5, "extra": 1}, "Unexpected field"),
    ]:
        reply = await reply_to(rooms.console, message)
        assert reply["type"] == "error" and expected in reply["message"], reply
    assert await db(current_seq)(session) == seq

    reply = await reply_to(rooms.console, {"type": "message_rooms", "message": "Two minutes"})
    assert reply == {
        "type": "ok",
        "command": "message_rooms",
        "message": "Sent the message to every room.",
    }
    got = await next_event(tab, "rooms_message")
    assert got["event"]["payload"]["message"] == "Two minutes"
    reply = await reply_to(rooms.console, {"type": "close_rooms", "seconds": 30})
    assert reply["message"] == "The rooms close in 30 s."
    got = await next_event(tab, "rooms_closing")
    closes_at = got["event"]["payload"]["closes_at"]
    assert closes_at > (timezone.now() + timedelta(seconds=20)).isoformat()


async def test_a_room_typing_at_once_keeps_every_line_with_no_conflict(
    session: Session, six: list[Participant], rooms: Rooms
) -> None:
    """Everyone in both rooms saves a line at once, all based on rev 0: every save is
    acknowledged on the first try (merged on the server), each room's notes hold its members'
    lines, and each member's tab ends with the room's stored text."""
    import asyncio

    by_room: dict[Any, list[Participant]] = {}
    for person in six:
        by_room.setdefault((await db(room_of)(person)).pk, []).append(person)
    saves = [
        (person, room, f"{person.display_name}: an idea\n")
        for room, people in by_room.items()
        for person in people
    ]
    for person, room, line in saves:
        message = {"type": "notes.save", "group": str(room), "text": line, "rev": 0}
        await rooms.tabs[person.pk].send_json_to(message | {"sid": f"s-{person.pk}", "ref": 1})
    replies = await asyncio.gather(
        *(reply_to_sent(rooms.tabs[person.pk]) for person, _, _ in saves)
    )
    assert {reply["type"] for reply in replies} == {"notes.saved"}
    for room, people in by_room.items():
        notes = await db(RoomNotes.objects.get)(group_id=room)
        assert sorted(notes.text.splitlines()) == sorted(
            f"{p.display_name}: an idea" for p in people
        )
        assert notes.rev == len(people)
        # Each writer was told the stored text whenever it differs from what it sent.
        for (_, saved_room, line), reply in zip(saves, replies, strict=True):
            if saved_room == room and reply["rev"] == notes.rev:
                assert reply.get("text", line) == notes.text


async def reply_to_sent(socket: Any) -> dict[str, Any]:
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] != "event":
            return dict(reply)


async def test_notes_save_refuses_bad_sid_and_ids_and_changes_nothing(
    session: Session, six: list[Participant], rooms: Rooms
) -> None:
    room = await db(room_of)(six[0])
    tab = rooms.tabs[six[0].pk]
    cases = [
        ({"sid": 5}, "sid must be"),
        ({"sid": "x" * 65}, "sid must be"),
        ({"group": "not-a-uuid"}, "not a valid id"),
        ({"group": str(uuid.uuid4())}, "no such room"),
    ]
    for change, expected in cases:
        message = {"type": "notes.save", "group": str(room.pk), "text": "t", "rev": 0} | change
        reply = await reply_to(tab, message)
        assert reply["type"] == "error" and expected in reply["message"], reply
    assert not await db(RoomNotes.objects.filter(group=room).exists)()


async def test_the_console_gets_every_rooms_event_in_order_when_saves_come_at_once(
    session: Session, six: list[Participant], rooms: Rooms
) -> None:
    """Saves of both rooms written together reach the facilitator's tab as one bundle on the
    channel layer, unpacked into one event each, numbered without a gap (a gap would make
    the tab ask the log again)."""
    import asyncio

    start = await db(current_seq)(session)
    for person in six:
        room = await db(room_of)(person)
        await rooms.tabs[person.pk].send_json_to(
            {"type": "notes.save", "group": str(room.pk), "text": f"{person.pk}\n", "rev": 0}
        )
    await asyncio.gather(*(reply_to_sent(rooms.tabs[person.pk]) for person in six))
    last = await db(current_seq)(session)
    assert last - start >= 2, "at least one event per room"
    seen: list[int] = []
    while len(seen) < last - start:
        message = await rooms.console.receive_json_from(timeout=5)
        assert message["type"] == "event", "no replay: nothing went missing"
        assert message["event"]["kind"] == "notes_saved"
        seen.append(message["event"]["seq"])
    assert seen == list(range(start + 1, last + 1))
    assert await rooms.console.receive_nothing(timeout=0.3)
