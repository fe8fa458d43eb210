"""The boards over the live socket: every plenary, Cynefin and empathy action round trips as
`{"type": "<activity>.<verb>", ..., "ref"}` → ok (or a clear error that changes nothing), and
its event reaches every connected tab with ids and counts only."""

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.boards.models import (
    CynefinItem,
    CynefinSuggestion,
    EmpathyNote,
    EmpathyPersona,
    PlenaryPost,
    PlenaryPrompt,
    PlenaryReaction,
)
from convenor.live import actions
from convenor.live.events import current_seq
from convenor.live.models import GroupMember, RoomGroup, Round
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def answer(socket: Any, message: dict[str, Any]) -> dict[str, Any]:
    """Send a message; return the first reply that is not an event."""
    await socket.send_json_to(message)
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] != "event":
            return dict(reply)


async def event_of(socket: Any, kind: str) -> dict[str, Any]:
    """The next event of `kind` this tab receives (earlier ones are skipped)."""
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] == "event" and reply["event"]["kind"] == kind:
            return dict(reply["event"])


async def ok(socket: Any, message: dict[str, Any]) -> str:
    reply = await answer(socket, {**message, "ref": "r"})
    assert reply["type"] == "ok", reply
    assert reply["ref"] == "r" and reply["command"] == message["type"]
    return str(reply["message"])


async def refused(socket: Any, message: dict[str, Any], says: str, session: Session) -> None:
    """An error naming the problem, and no change at all (the event sequence included)."""
    before = await db(everything)(session)
    reply = await answer(socket, {**message, "ref": "bad"})
    assert reply["type"] == "error" and reply["ref"] == "bad", reply
    assert says in reply["message"], reply["message"]
    assert await db(everything)(session) == before


def everything(session: Session) -> tuple[Any, ...]:
    return (
        sorted(PlenaryPost.objects.values_list("pk", "text", "pinned", "hidden")),
        sorted(PlenaryReaction.objects.values_list("post_id", "participant_id", "kind")),
        sorted(PlenaryPrompt.objects.values_list("segment_id", "text")),
        sorted(CynefinItem.objects.values_list("pk", "domain", "hidden")),
        sorted(CynefinSuggestion.objects.values_list("item_id", "participant_id", "domain")),
        sorted(EmpathyNote.objects.values_list("pk", "area", "hidden")),
        sorted(EmpathyPersona.objects.values_list("segment_id", "text")),
        current_seq(session),
    )


def started(session: Session, kind: str, title: str) -> Segment:
    segment = Segment.objects.create(
        session=session, position=10, title=title, kind=kind, duration_minutes=10
    )
    actions.do_start_segment(session, None, segment)
    return segment


def no_names_or_text(event: dict[str, Any], *secrets: str) -> None:
    payload = json.dumps(event["payload"])
    for secret in secrets:
        assert secret not in payload, (event["kind"], payload)


async def test_plenary_stream_round_trips(
    session: Session, people: list[Participant], facilitator: User, connect: Any, cookie_of: Any
) -> None:
    stream = await db(started)(session, "plenary", "Plenary")
    host = await connect(session, await cookie_of(facilitator))
    ada = await connect(session, await cookie_of(people[0]))
    bo = await connect(session, await cookie_of(people[1]))

    said = await ok(ada, {"type": "plenary.post", "segment": str(stream.pk), "text": "Hello all"})
    assert said == "Posted."
    event = await event_of(host, "plenary.posted")
    post = await db(PlenaryPost.objects.get)()
    assert event["payload"] == {"segment": str(stream.pk), "post": str(post.pk), "posts": 1}
    no_names_or_text(event, "Ada", "Hello")

    react = {"type": "plenary.react", "post": str(post.pk), "reaction": "agree", "on": 1}
    assert await ok(bo, react) == "Reacted “Agree”."
    assert (await event_of(ada, "plenary.reacted"))["payload"]["count"] == 1
    for verb in ("pin", "hide", "unhide", "unpin"):
        await ok(host, {"type": f"plenary.{verb}", "post": str(post.pk)})
    kinds = [(await event_of(bo, kind))["kind"] for kind in ("plenary.pinned", "plenary.hidden")]
    assert kinds == ["plenary.pinned", "plenary.hidden"]
    question = "What are we facing that's complex?"
    await ok(host, {"type": "plenary.prompt", "segment": str(stream.pk), "text": question})
    event = await event_of(ada, "plenary.prompted")
    no_names_or_text(event, "facing")
    assert await db(lambda: PlenaryPrompt.objects.get().text)() == question

    for socket, message, says in [
        (
            ada,
            {"type": "plenary.post", "segment": str(stream.pk), "text": "x" * 501},
            "at most 500",
        ),
        (ada, {"type": "plenary.post", "segment": str(stream.pk)}, "required"),
        (ada, {"type": "plenary.post", "segment": "nope", "text": "x"}, "not a valid id"),
        (ada, {"type": "plenary.pin", "post": str(post.pk)}, "Only the programme's facilitators"),
        (ada, {"type": "plenary.hide", "post": str(post.pk)}, "Only the programme's facilitators"),
        (
            host,
            {"type": "plenary.post", "segment": str(stream.pk), "text": "x"},
            "Only participants",
        ),
        (bo, {**react, "on": True}, "whole number"),
        (bo, {**react, "reaction": "love"}, "Unknown reaction"),
    ]:
        await refused(socket, message, says, session)


async def test_cynefin_board_round_trips(
    session: Session, people: list[Participant], facilitator: User, connect: Any, cookie_of: Any
) -> None:
    board = await db(started)(session, "cynefin_board", "Board")
    host = await connect(session, await cookie_of(facilitator))
    ada = await connect(session, await cookie_of(people[0]))
    bo = await connect(session, await cookie_of(people[1]))

    placed = {
        "type": "cynefin.post",
        "segment": str(board.pk),
        "text": "Obesity",
        "domain": "clear",
    }
    assert await ok(ada, placed) == "Placed in clear."
    event = await event_of(host, "board.posted")
    item = await db(CynefinItem.objects.get)()
    assert event["payload"]["item"] == str(item.pk) and event["payload"]["counts"]["clear"] == 1
    no_names_or_text(event, "Ada", "Obesity")

    suggest = {"type": "cynefin.suggest", "item": str(item.pk), "domain": "complex"}
    assert await ok(bo, suggest) == "Suggested moving it to complex."
    assert (await event_of(ada, "board.suggested"))["payload"]["count"] == 1
    move = {"type": "cynefin.move", "item": str(item.pk), "domain": "complex"}
    await refused(bo, move, "Only the person who posted it or a facilitator", session)
    assert await ok(ada, move) == "Moved to complex."
    moved = await event_of(bo, "board.moved")
    assert moved["payload"]["counts"]["complex"] == 1 and moved["payload"]["counts"]["clear"] == 0
    assert await ok(host, {**move, "domain": "chaotic"}) == "Moved to chaotic."
    await ok(host, {"type": "cynefin.hide", "item": str(item.pk)})
    hidden = await event_of(ada, "board.hidden")
    assert hidden["payload"]["counts"]["chaotic"] == 0
    await refused(bo, {**suggest, "domain": "clear"}, "hidden", session)
    await ok(host, {"type": "cynefin.unhide", "item": str(item.pk)})

    for socket, message, says in [
        (ada, {**placed, "text": "x" * 301}, "at most 300"),
        (ada, {**placed, "domain": "simple"}, "Unknown domain"),
        (ada, {**placed, "colour": "red"}, "Unexpected field"),
        (bo, {"type": "cynefin.hide", "item": str(item.pk)}, "Only the programme's facilitators"),
        (host, placed, "Only participants"),
        (bo, {**move, "item": "00000000-0000-0000-0000-000000000000"}, "no such item"),
    ]:
        await refused(socket, message, says, session)


def breakout(session: Session) -> Round:
    return actions.do_start_round(session, None, kind="breakout", size=4, seed=2)


def group_of(person: Participant) -> RoomGroup:
    return (
        GroupMember.objects.select_related("group")
        .get(participant=person, round__ended_at__isnull=True)
        .group
    )


async def test_empathy_map_round_trips(
    session: Session,
    people: list[Participant],
    stranger: Participant,
    facilitator: User,
    connect: Any,
    cookie_of: Any,
) -> None:
    mapping = await db(started)(session, "empathy_map", "Empathy map")
    host = await connect(session, await cookie_of(facilitator))
    ada = await connect(session, await cookie_of(people[0]))
    bo = await connect(session, await cookie_of(people[1]))

    add = {"type": "empathy.add", "segment": str(mapping.pk), "area": "sees", "text": "Queues"}
    # No breakout yet: the group cannot even be named.
    no_group = {**add, "group": "00000000-0000-0000-0000-000000000000"}
    await refused(ada, no_group, "no such breakout group", session)

    # Everyone present (the four people connect in the fixture order) is in one group of four.
    for person in people[2:]:
        await connect(session, await cookie_of(person))
    await db(breakout)(session)
    group = await db(group_of)(people[0])
    add["group"] = str(group.pk)

    # A note with no text is refused in the form's words (the field's label).
    textless = {key: value for key, value in add.items() if key != "text"}
    await refused(ada, textless, "Your note is required: fill it in and try again.", session)
    assert await ok(ada, add) == "Added to your group's map."
    event = await event_of(host, "empathy.added")
    note = await db(EmpathyNote.objects.get)()
    assert event["payload"] == {
        "segment": str(mapping.pk),
        "round": str(group.round_id),
        "group": group.number,
        "note": str(note.pk),
        "area": "sees",
        "notes": 1,
    }
    no_names_or_text(event, "Ada", "Queues")
    remove = {"type": "empathy.remove", "note": str(note.pk)}
    await refused(bo, remove, "only remove your own notes", session)
    await ok(host, {"type": "empathy.hide", "note": str(note.pk)})
    assert (await event_of(ada, "empathy.hidden"))["payload"]["notes"] == 0
    await ok(host, {"type": "empathy.unhide", "note": str(note.pk)})
    assert await ok(ada, remove) == "Removed your note."
    assert (await event_of(bo, "empathy.removed"))["payload"]["note"] == str(note.pk)
    persona = {"type": "empathy.persona", "segment": str(mapping.pk), "text": "A young carer"}
    assert await ok(host, persona) == "Persona named."
    no_names_or_text(await event_of(ada, "empathy.persona"), "carer")

    # Someone from another programme cannot connect at all.
    assert await connect(session, await cookie_of(stranger), hello=False) == 4404
    for socket, message, says in [
        (ada, {**add, "text": "x" * 301}, "at most 300"),
        (ada, {**add, "area": "smells"}, "Unknown area"),
        (host, add, "Only participants"),
        (bo, {**persona, "text": "Mine"}, "Only the programme's facilitators"),
        (bo, {"type": "empathy.hide", "note": str(note.pk)}, "Only the programme's facilitators"),
        (ada, remove, "no such note"),
    ]:
        await refused(socket, message, says, session)
