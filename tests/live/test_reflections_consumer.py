"""Reflections, commitments and feedback over the live socket: answered with ok or a clear
error, nothing changed by a refusal, and events that carry counts only (never text or names)."""

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.live import actions as live_actions
from convenor.live.state import apply_event, snapshot
from convenor.programmes.models import Participant
from convenor.reflections.models import Feedback, FollowUp, Reflection
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def until(socket: Any, kind: str, skipped: list[Any] | None = None) -> dict[str, Any]:
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message
        if skipped is not None:
            skipped.append(message)


async def event_of(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = (await until(socket, "event"))["event"]
        if event["kind"] == kind:
            return event


def start_close(session: Session, facilitator: User) -> str:
    close = session.segments.get(kind="close")
    live_actions.do_start_segment(session, facilitator, close)
    return str(close.pk)


def stored() -> tuple[Any, ...]:
    return (
        sorted(Reflection.objects.values_list("id", "text", "shared", "hidden_at")),
        sorted(FollowUp.objects.values_list("id", "status", "note")),
        sorted(Feedback.objects.values_list("id", "rating", "worked", "change")),
    )


async def test_reflections_and_feedback_round_trip(
    session: Session, people: list[Participant], facilitator: User, connect: Any, cookie_of: Any
) -> None:
    close = await db(start_close)(session, facilitator)
    watcher = await connect(session, await cookie_of(facilitator))
    author = await connect(session, await cookie_of(people[0]))
    other = await connect(session, await cookie_of(people[1]))

    await author.send_json_to(
        {"type": "reflection.save", "segment": close, "text": "Call Bo's team", "ref": "r1"}
    )
    # The author's tab may hear of its save before its answer: kept, to look at below.
    early: list[Any] = []
    reply = await until(author, "ok", early)
    assert reply == {
        "type": "ok",
        "command": "reflection.save",
        "message": "Saved. Only you can see it.",
        "ref": "r1",
    }
    private = await event_of(watcher, "reflection.saved")
    assert private["payload"] == {"question": "commitment", "written": 1, "shared": 0}
    state = await db(snapshot)(session)
    assert apply_event(state, private)["seq"] == state["seq"]

    await other.send_json_to(
        {"type": "reflection.save", "segment": close, "text": "Visit Di", "shared": 1, "ref": 2}
    )
    assert "shared" in (await until(other, "ok"))["message"]
    shared = await event_of(watcher, "reflection.saved")
    assert shared["payload"] == {"question": "commitment", "written": 2, "shared": 1}
    # The author's own tab hears of both changes too, as counts.
    seen = [m["event"] for m in early if m["type"] == "event"]
    while len(seen) < 2:
        seen.append(await event_of(author, "reflection.saved"))
    assert [event["seq"] for event in seen] == [private["seq"], shared["seq"]]

    await author.send_json_to(
        {"type": "feedback.save", "segment": close, "rating": 4, "worked": "Pairs", "ref": "f"}
    )
    assert "Thank you" in (await until(author, "ok"))["message"]
    feedback = await event_of(watcher, "feedback.saved")
    assert feedback["payload"] == {"answers": 1}

    theirs = await db(lambda: str(Reflection.objects.get(participant=people[1]).pk))()
    await watcher.send_json_to({"type": "reflection.hide", "item": theirs, "ref": "h"})
    assert (await until(watcher, "ok"))["message"] == "Hidden from the shared list."
    hidden = await event_of(other, "reflection.hidden")
    assert hidden["payload"] == {"item": theirs, "hidden": True}

    everything = json.dumps([private, shared, feedback, hidden])
    for secret in ("Call Bo", "Visit Di", "Pairs", "Ada", "Bo", "Di"):
        assert secret not in everything


async def test_bad_messages_are_refused_with_nothing_changed(
    session: Session, people: list[Participant], facilitator: User, connect: Any, cookie_of: Any
) -> None:
    close = await db(start_close)(session, facilitator)
    welcome = await db(lambda: str(session.segments.get(kind="welcome").pk))()
    watcher = await connect(session, await cookie_of(facilitator))
    author = await connect(session, await cookie_of(people[0]))
    await author.send_json_to({"type": "reflection.save", "segment": close, "text": "Mine"})
    await until(author, "ok")
    mine = await db(lambda: str(Reflection.objects.get().pk))()
    before = await db(stored)()
    for message, expected in [
        ({"type": "feedback.save", "segment": close, "rating": "five"}, "whole number"),
        ({"type": "feedback.save", "segment": close, "rating": 0}, "Choose a rating from 1"),
        ({"type": "feedback.save", "segment": close, "rating": 6}, "Choose a rating from 1"),
        ({"type": "reflection.save", "segment": close, "text": " "}, "Write something"),
        ({"type": "reflection.save", "segment": close, "text": "x" * 601}, "shorten it"),
        ({"type": "reflection.save", "segment": welcome, "text": "x"}, "no such part"),
        ({"type": "reflection.save", "segment": "0" * 32, "text": "x"}, "no such part"),
        ({"type": "reflection.save", "segment": close, "text": "x", "who": 1}, "Unexpected"),
        (
            {"type": "reflection.follow_up", "segment": welcome, "commitment": mine},
            "required",
        ),
        ({"type": "reflection.hide", "item": mine}, "Only the programme's facilitators"),
    ]:
        await author.send_json_to({**message, "ref": "bad"})
        error = await until(author, "error")
        assert expected in error["message"] and error["ref"] == "bad", message
    await watcher.send_json_to({"type": "reflection.save", "segment": close, "text": "I will"})
    assert "Only participants" in (await until(watcher, "error"))["message"]
    await watcher.send_json_to({"type": "reflection.hide", "item": mine})
    assert "no such shared contribution" in (await until(watcher, "error"))["message"]
    assert await db(stored)() == before
