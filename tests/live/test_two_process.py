"""Two uvicorn processes on one PostgreSQL database and one Redis: what the facilitator does on
one reaches a participant on the other, in order, and a reconnect to the other catches up.

The servers run in subprocesses on a fresh database (created and dropped here) and a private
Redis database number (flushed afterwards); people are seeded through the action functions
by `bench.live.seed`, with browser sessions made in the session store.
"""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from bench.live.servers import (
    Server,
    django_env,
    fresh_postgres,
    private_redis,
    run_django,
    servers,
)

pytestmark = pytest.mark.postgres

WAIT = 15.0  # seconds for any one reply; generous, as other test runs may share the machine


@pytest.fixture
def deployment() -> Iterator[tuple[dict[str, Any], Server, Server]]:
    with fresh_postgres("convenor_test_two_process") as database, private_redis() as layer:
        env = django_env(database, layer)
        seeded = json.loads(run_django(env, "bench.live.seed", "3"))
        with servers(env, 2) as (a, b):
            yield seeded, a, b


async def open_socket(server: Server, session_id: str, cookie: str) -> ClientConnection:
    return await connect(
        f"ws://127.0.0.1:{server.port}/ws/live/{session_id}/",
        origin=Origin(server.origin),
        additional_headers={"Cookie": f"sessionid={cookie}"},
        open_timeout=WAIT,
        proxy=None,
    )


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
    return message


async def hello(socket: ClientConnection, last_seq: int | None = None) -> dict[str, Any]:
    await socket.send(json.dumps({"type": "hello", "last_seq": last_seq}))
    return await receive(socket)


async def events_until(socket: ClientConnection, seq: int, after: int) -> list[dict[str, Any]]:
    """The events a connected socket receives after `after`, up to and including `seq`."""
    seen: list[dict[str, Any]] = []
    while after < seq:
        message = await receive(socket)
        assert message["type"] == "event", message
        seen.append(message["event"])
        after = message["event"]["seq"]
    return seen


async def command(
    socket: ClientConnection, events: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    """Send a facilitator command and return its reply (events arriving meanwhile are added
    to `events`)."""
    await socket.send(json.dumps({**fields, "ref": fields["type"]}))
    reply = await receive(socket)
    while reply["type"] == "event":
        events.append(reply["event"])
        reply = await receive(socket)
    assert reply == {**reply, "type": "ok", "ref": fields["type"]}, reply
    return reply


async def scenario(seeded: dict[str, Any], a: Server, b: Server) -> None:
    session = seeded["session"]
    ada, bo, cy = seeded["participants"]

    # The facilitator follows the session on B; Ada and Bo on A, Cy on B.
    console = await open_socket(b, session, seeded["facilitator"]["cookie"])
    first = await hello(console)
    assert first["type"] == "snapshot"
    on_a = await open_socket(a, session, ada["cookie"])
    ada_seq = (await hello(on_a))["seq"]
    bo_a = await open_socket(a, session, bo["cookie"])
    await hello(bo_a)
    cy_b = await open_socket(b, session, cy["cookie"])
    start = (await hello(cy_b))["seq"]
    # The console (on B) hears of each arrival, those on A included, in order; participants'
    # tabs are not told of presence.
    arrivals = await events_until(console, start, first["seq"])
    assert [(e["kind"], e["payload"]["participant"]) for e in arrivals] == [
        ("presence", ada["id"]),
        ("presence", bo["id"]),
        ("presence", cy["id"]),
    ]

    # Bo drops off, having seen everything up to `start`; the console sees Bo go.
    await bo_a.close()
    gone = await events_until(console, start + 1, start)
    assert gone[0]["payload"] == {"participant": bo["id"], "present": False}

    seen = list(gone)
    await command(console, seen, type="start_segment", segment=seeded["coffee_segment"])
    await command(console, seen, type="start_round", kind="coffee", size=2)
    seen += await events_until(console, start + 3, seen[-1]["seq"])
    assert [event["seq"] for event in seen] == [start + 1, start + 2, start + 3]
    assert [event["kind"] for event in seen] == ["presence", "segment_started", "round_started"]
    assert seen[1]["payload"]["segment"] == seeded["coffee_segment"]
    assert seen[1]["payload"]["runsheet"]["current"] == seeded["coffee_segment"]
    groups = seen[2]["payload"]["round"]["groups"]
    assert sorted(m for g in groups for m in g["members"]) == sorted([ada["id"], cy["id"]])
    # Ada, on A, gets the segment and her own group, skipping Bo's departure.
    live = await events_until(on_a, start + 3, ada_seq)
    assert [(e["seq"], e["kind"]) for e in live] == [
        (start + 2, "segment_started"),
        (start + 3, "round_started"),
    ]
    assert live[0] == seen[1]
    (mine,) = live[1]["payload"]["round"]["groups"]
    assert sorted(mine["members"]) == sorted([ada["id"], cy["id"]])

    # Bo comes back on B with the last number seen on A and gets exactly what was missed (the
    # events the console received live), then Bo's own return, placed in the running round.
    bo_b = await open_socket(b, session, bo["cookie"])
    missed = await hello(bo_b, start)
    assert missed["type"] == "events"
    assert [event["seq"] for event in missed["events"]] == list(range(start + 1, missed["seq"] + 1))
    assert missed["events"] == seen + await events_until(console, missed["seq"], start + 3)
    back = missed["events"][3:]
    assert [event["kind"] for event in back] == ["presence", "round_changed"]
    assert back[0]["payload"] == {"participant": bo["id"], "present": True}
    placed = {m for g in back[1]["payload"]["groups"] for m in g["members"]}
    assert bo["id"] in placed

    for socket in (on_a, cy_b, console, bo_b):
        await socket.close()


def test_a_participant_on_one_process_follows_a_facilitator_on_the_other(
    deployment: tuple[dict[str, Any], Server, Server],
) -> None:
    seeded, a, b = deployment
    try:
        asyncio.run(asyncio.wait_for(scenario(seeded, a, b), 120))
    except BaseException:
        print("--- server A log\n", a.log_tail(), "\n--- server B log\n", b.log_tail())
        raise
