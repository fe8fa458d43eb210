"""The common purpose builder over the live socket: drafting, sharing, picking and the agreement
check as messages, answered with ok or a clear error (nothing changed), and the events every tab
receives carry no names and no text."""

from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.live import actions as live_actions
from convenor.live.consumers import CLOSE_OUTSIDER
from convenor.live.models import RoomGroup
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant
from convenor.purpose.models import Answer, CohortPurpose, GroupDraft
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


def _rooms(
    session: Session, facilitator: User, people: list[Participant]
) -> tuple[RoomGroup, RoomGroup, Participant]:
    """Six people here, two breakout rooms: people[0]'s room, the other, someone in it."""
    everyone = list(people)
    for name in ("Eli", "Fay"):
        person = programme_actions.add_participant(
            session.programme, facilitator, display_name=name, organisation="Org", sector="S"
        )
        everyone.append(programme_actions.agree_ground_rules(person))
    for person in everyone:
        live_actions.do_connect(session, f"fake.{person.pk}", participant=person)
    round_ = live_actions.do_start_round(session, facilitator, kind="breakout", rooms=2, seed=5)
    mine = round_.groups.get(memberships__participant=people[0])
    other = round_.groups.exclude(pk=mine.pk).get()
    stranger = other.members.order_by("display_name").first()
    assert stranger is not None
    return mine, other, stranger


async def until(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message


async def event_of(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await until(socket, "event")
        if message["event"]["kind"] == kind:
            return dict(message["event"])


async def ask(socket: Any, message: dict[str, Any]) -> dict[str, Any]:
    """Send a message and return its answer (ok or error, matched by ref)."""
    await socket.send_json_to({**message, "ref": "r"})
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply.get("ref") == "r" and reply["type"] in ("ok", "error"):
            return dict(reply)


def _stored(session: Session) -> dict[str, Any]:
    return {
        "drafts": list(
            GroupDraft.objects.filter(session=session).values("rev", "what", "shared_at")
        ),
        "purposes": list(CohortPurpose.objects.filter(session=session).values()),
        "answers": list(Answer.objects.values()),
    }


async def test_drafting_to_agreement_over_the_socket(
    session: Session,
    people: list[Participant],
    facilitator: User,
    stranger: Participant,
    connect: Any,
    cookie_of: Any,
) -> None:
    mine, other, neighbour = await db(_rooms)(session, facilitator, people)
    host = await connect(session, await cookie_of(facilitator))
    author = await connect(session, await cookie_of(people[0]))
    elsewhere = await connect(session, await cookie_of(neighbour))

    saved = await ask(
        author,
        {"type": "purpose.save", "group": str(mine.pk), "what": "Walk more", "rev": 0},
    )
    assert saved["type"] == "ok" and saved["message"] == "Draft saved (version 1)."
    event = await event_of(host, "purpose.saved")
    assert event["payload"]["rev"] == 1 and "Walk more" not in str(event["payload"])
    draft = await db(GroupDraft.objects.get)(session=session)

    before = await db(_stored)(session)
    for who, message, expected in [
        (
            author,
            {"type": "purpose.save", "group": str(mine.pk), "what": "Stale", "rev": 0},
            "saved version 1 while you were editing",
        ),
        (
            author,
            {"type": "purpose.save", "group": str(mine.pk), "what": "w " * 41, "rev": 1},
            "41 words",
        ),
        (
            elsewhere,
            {"type": "purpose.save", "group": str(mine.pk), "what": "x", "rev": 1},
            "your own group",
        ),
        (elsewhere, {"type": "purpose.share", "draft": str(draft.pk)}, "Only the group's members"),
        (
            author,
            {"type": "purpose.pick", "draft": str(draft.pk)},
            "Only the programme's facilitators",
        ),
        (
            host,
            {"type": "purpose.pick", "draft": str(draft.pk)},
            "Only a draft its group has shared",
        ),
        (author, {"type": "purpose.answer", "choice": "agree"}, "no agreement check open"),
        (author, {"type": "purpose.save", "group": str(mine.pk), "rev": "1"}, "whole number"),
    ]:
        reply = await ask(who, message)
        assert reply["type"] == "error" and expected in reply["message"], reply
    assert await db(_stored)(session) == before

    assert (await ask(author, {"type": "purpose.share", "draft": str(draft.pk)}))["type"] == "ok"
    assert (await ask(host, {"type": "purpose.pick", "draft": str(draft.pk)}))["type"] == "ok"
    assert (await ask(host, {"type": "purpose.open_check"}))["type"] == "ok"
    await event_of(elsewhere, "purpose.check")

    before = await db(_stored)(session)
    refused = await ask(author, {"type": "purpose.answer", "choice": "object"})
    assert "needs a reason" in refused["message"]
    refused = await ask(host, {"type": "purpose.answer", "choice": "agree"})
    assert "Only participants" in refused["message"]
    assert await db(_stored)(session) == before

    objected = await ask(author, {"type": "purpose.answer", "choice": "object", "reason": "Vague"})
    assert objected["type"] == "ok"
    answered = await event_of(host, "purpose.answered")
    assert answered["payload"]["counts"] == {"agree": 0, "live_with": 0, "object": 1}
    assert "Vague" not in str(answered) and people[0].display_name not in str(answered)
    closed = await ask(host, {"type": "purpose.close_check", "agreed": 1})
    assert closed["message"] == "Closed: the statement is agreed."
    purpose = await db(CohortPurpose.objects.get)(session=session)
    assert purpose.agreed_at is not None and purpose.what == "Walk more"


async def test_outsiders_cannot_connect(
    session: Session, stranger: Participant, connect: Any, cookie_of: Any
) -> None:
    """A participant of another programme never gets a socket to send purpose messages on."""
    assert await connect(session, await cookie_of(stranger)) == CLOSE_OUTSIDER
