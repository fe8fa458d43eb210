"""Workshop activities' messages over the live socket: dispatched through the one role and
field check, answered with ok or a clear error, and their events reach every tab."""

from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from convenor.accounts.models import User
from convenor.activities import registry as reg
from convenor.live.commands import Field
from convenor.live.events import emit
from convenor.live.state import apply_event, snapshot
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


def _say(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    with transaction.atomic():
        emit(session, "probe.said", {"length": len(values["text"])})
    return "Said."


@pytest.fixture(autouse=True)
def probe() -> Iterator[None]:
    saved = dict(reg.registry.actions)
    reg.register_action(reg.Action("probe.say", (Field("text", "str", required=True),), _say))
    reg.register_action(reg.Action("probe.hush", (), lambda s, m, v: "Hushed.", role="facilitator"))
    yield
    reg.registry.actions = saved


async def until(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message


async def test_activity_messages_round_trip(
    session: Session, people: list[Participant], facilitator: User, connect: Any, cookie_of: Any
) -> None:
    watcher = await connect(session, await cookie_of(facilitator))
    author = await connect(session, await cookie_of(people[0]))
    await author.send_json_to({"type": "probe.say", "text": "hello", "ref": "a1"})
    reply = await until(author, "ok")
    assert reply == {"type": "ok", "command": "probe.say", "message": "Said.", "ref": "a1"}
    event = (await until(watcher, "event"))["event"]
    while event["kind"] != "probe.said":
        event = (await until(watcher, "event"))["event"]
    assert event["payload"] == {"length": 5}
    state = await db(snapshot)(session)
    assert apply_event(state, event)["seq"] == state["seq"]

    for message, expected in [
        ({"type": "probe.say"}, "required"),
        ({"type": "probe.say", "text": 5}, "must be text"),
        ({"type": "probe.say", "text": "x", "who": "me"}, "Unexpected field"),
        ({"type": "probe.hush"}, "Only the programme's facilitators"),
    ]:
        await author.send_json_to({**message, "ref": "bad"})
        error = await until(author, "error")
        assert expected in error["message"] and error["ref"] == "bad"
    await watcher.send_json_to({"type": "probe.say", "text": "x"})
    assert "Only participants" in (await until(watcher, "error"))["message"]
    await watcher.send_json_to({"type": "probe.hush", "ref": 7})
    assert (await until(watcher, "ok"))["message"] == "Hushed."
