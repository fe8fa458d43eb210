"""A channel-layer failure (channels-redis timing out on a busy Redis) neither ends a tab's
consumer nor drops its socket: the tab keeps working and catches up from the log."""

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, channel_layers
from redis.exceptions import TimeoutError as RedisTimeoutError

from convenor.accounts.models import User
from convenor.live import actions
from convenor.programmes.models import Participant
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


class FlakyLayer(InMemoryChannelLayer):  # type: ignore[misc]
    """The in-memory layer, but receiving fails (as channels-redis does) while `failing`."""

    failing = 0

    async def receive(self, channel: str) -> Any:
        if self.failing:
            self.failing -= 1
            await asyncio.sleep(0.01)
            raise RedisTimeoutError("Timeout reading from 127.0.0.1:6379")
        return await super().receive(channel)


async def test_a_layer_timeout_keeps_the_socket_and_the_missed_events_arrive(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    layer = FlakyLayer()
    channel_layers.backends["default"] = layer
    # Receiving fails three times in a row, while an event is committed.
    layer.failing = 3
    socket = await connect(session, await cookie_of(people[0]))
    await db(actions.do_start_segment)(session, facilitator)
    seen: list[dict[str, Any]] = []
    while not any(e["kind"] == "segment_started" for e in seen):
        reply = await socket.receive_json_from(timeout=10)
        assert reply["type"] in {"event", "events"}, reply
        seen += [reply["event"]] if reply["type"] == "event" else reply["events"]
    for _ in range(100):
        if not layer.failing:
            break
        await asyncio.sleep(0.05)
    assert layer.failing == 0
    # The connection is still open and still answers, and live events still arrive.
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await db(actions.do_extend_segment)(session, facilitator, 5)
    reply = await socket.receive_json_from(timeout=5)
    # Live, or from the log if the last failure's catch-up came after it: either way, next.
    (event,) = [reply["event"]] if reply["type"] == "event" else reply["events"]
    assert event["kind"] == "segment_extended"
    assert event["seq"] == max(e["seq"] for e in seen) + 1


async def test_a_failure_while_handling_a_notification_does_not_end_the_consumer(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    socket = await connect(session, await cookie_of(people[0]))
    layer = channel_layers["default"]
    # A malformed notification (no event in it) makes the handler fail.
    await layer.group_send(f"live.{session.pk.hex}", {"type": "live.event"})
    await db(actions.do_start_segment)(session, facilitator)
    reply = await socket.receive_json_from(timeout=5)
    assert reply["type"] == "event"
    assert reply["event"]["kind"] == "segment_started"
