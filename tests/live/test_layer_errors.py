"""A channel-layer failure (channels-redis timing out on a busy Redis) neither ends a tab's
consumer nor drops its socket: the tab keeps working and catches up from the log."""

import asyncio
import logging
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, channel_layers
from redis.exceptions import TimeoutError as RedisTimeoutError

from convenor.accounts.models import User
from convenor.live import actions, consumers
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


class _Tab:
    def __init__(self, fails: BaseException | None = None) -> None:
        self.fails = fails
        self.got: list[dict[str, Any]] = []

    async def live_event(self, message: dict[str, Any]) -> None:
        if self.fails is not None:
            raise self.fails
        self.got.append(message)


class _OneBatch:
    """A layer that hands one per-process batch, then waits for ever."""

    def __init__(self, batch: dict[str, Any]) -> None:
        self.batch: dict[str, Any] | None = batch

    async def receive(self, channel: str) -> dict[str, Any]:
        if self.batch is None:
            await asyncio.Event().wait()
        batch, self.batch = self.batch, None
        assert batch is not None
        return batch


@pytest.mark.django_db(transaction=False)
async def test_a_tab_closing_as_an_event_goes_out_is_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """uvicorn raises ClientDisconnected (an OSError) when a tab's socket closed as an event
    was sent to it: the others in the batch still get theirs, and the log shows no traceback
    (a failure of another kind still does)."""
    gone, broken, here = _Tab(OSError("client disconnected")), _Tab(ValueError("bug")), _Tab()
    names = {"p!gone": gone, "p!broken": broken, "p!here": here}
    batch = {
        "texts": ["<p>hello</p>"],
        "items": [[{"type": "live.event", "seq": 1}, {name: 0 for name in names}]],
    }
    for name, tab in names.items():
        consumers._local[name] = tab  # type: ignore[assignment]
    try:
        with caplog.at_level(logging.DEBUG, logger="convenor.live.consumers"):
            task = asyncio.create_task(consumers._dispatch(_OneBatch(batch), "p!"))
            for _ in range(50):
                if here.got:
                    break
                await asyncio.sleep(0.01)
            task.cancel()
    finally:
        for name in names:
            consumers._local.pop(name, None)
    assert here.got == [{"type": "live.event", "seq": 1, "text": "<p>hello</p>"}]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["Could not hand a live event to p!broken"]
    assert any("p!gone" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
