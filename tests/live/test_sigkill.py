"""A server killed with SIGKILL in the middle of a breakout round, then started again on the
same SQLite database: no note the server acknowledged is lost, and the tabs reconnect on their
own (with a back-off, as live.js does) and catch up from their last event number, without a
snapshot (what live.js would treat like a reload); the facilitator soon sees as here only those
who came back.

One real uvicorn process on a SQLite file in a temporary folder; people are seeded through the
action functions by `bench.live.seed`, with browser sessions made in the session store.
"""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from bench.live.servers import (
    Server,
    django_env,
    free_port,
    fresh_postgres,
    private_redis,
    run_django,
    start_server,
)

WAIT = 15.0
NOTES_FORM = re.compile(r'data-notes="([0-9a-f-]{36})".*?name="rev" value="(\d+)"', re.DOTALL)


class Tab:
    """A simulated tab: follows events, remembers the last number, reconnects by itself."""

    def __init__(self, port: int, session: str, cookie: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/live/{session}/"
        self.origin = Origin(f"http://127.0.0.1:{port}")
        self.cookie = cookie
        self.socket: ClientConnection | None = None
        self.last_seq: int | None = None
        self.html = ""

    async def open(self) -> dict[str, Any]:
        self.socket = await connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=WAIT,
            proxy=None,
        )
        await self.send({"type": "hello", "last_seq": self.last_seq})
        return await self.receive()

    async def reconnect(self) -> dict[str, Any]:
        """Try again and again, waiting longer each time (at most 2 s here), until back."""
        delay = 0.1
        while True:
            try:
                return await self.open()
            except (OSError, ConnectionClosed, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)

    async def send(self, message: dict[str, Any]) -> None:
        assert self.socket is not None
        await self.socket.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        assert self.socket is not None
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), WAIT))
        if message["type"] == "event":
            self.last_seq = message["event"]["seq"]
            self.html = message.get("html", {}).get("round", self.html)
        elif message["type"] in ("events", "snapshot"):
            self.last_seq = message["seq"]
        return message

    async def reply(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send; the first answer that is not an event (events meanwhile are applied)."""
        await self.send(message)
        while True:
            answer = await self.receive()
            if answer["type"] not in ("event", "events"):
                return answer

    async def closed(self) -> None:
        assert self.socket is not None
        try:
            while True:
                await self.receive()
        except ConnectionClosed:
            return


async def save_line(tab: Tab, room: str, rev: int, text: str, line: str) -> tuple[int, str]:
    """Add `line` to the room's notes (merged with the latest text when someone saved first,
    or redone on it when refused as stale); returns the rev and text acknowledged."""
    while True:
        answer = await tab.reply(
            {"type": "notes.save", "group": room, "text": text + line, "rev": rev, "ref": "n"}
        )
        if answer["type"] == "notes.saved":
            return answer["rev"], answer.get("text", text + line)
        assert answer["type"] == "notes.conflict", answer
        rev, text = answer["rev"], answer["text"]


async def scenario(
    seeded: dict[str, Any], port: int, restart: Any, kill: Any, *, one_process: bool = True
) -> dict[str, str]:
    session = seeded["session"]
    console = Tab(port, session, seeded["facilitator"]["cookie"])
    *people, late = seeded["participants"]
    tabs = [Tab(port, session, person["cookie"]) for person in people]
    for tab in [console, *tabs]:
        assert (await tab.open())["type"] == "snapshot"
    assert (await console.reply({"type": "start_segment"}))["type"] == "ok"
    started = await console.reply({"type": "start_round", "kind": "breakout", "size": 4})
    assert started["type"] == "ok", started
    for tab in tabs:
        while NOTES_FORM.search(tab.html) is None:
            await tab.receive()
    found = NOTES_FORM.search(tabs[0].html)
    assert found is not None
    room, rev = found.group(1), int(found.group(2))
    assert all(f'data-notes="{room}"' in tab.html for tab in tabs), "one room of four"

    # Each person adds a line and is told it is saved; the last one's save is still in
    # flight when the server is killed (it may or may not have been written: either is fine).
    acknowledged: dict[str, str] = {}
    text = ""
    for index, tab in enumerate(tabs):
        token = f"line-{index}-before-the-crash"
        rev, text = await save_line(tab, room, rev, text, f"{token}\n")
        acknowledged[token] = room
    # Someone joins late, and will not come back after the crash.
    gone = Tab(port, session, late["cookie"])
    await gone.open()
    await tabs[0].send(
        {"type": "notes.save", "group": room, "text": text + "in flight\n", "rev": rev}
    )
    kill()
    for tab in [console, gone, *tabs]:
        await asyncio.wait_for(tab.closed(), WAIT)
    behind = {id(tab): tab.last_seq for tab in tabs}

    # The tabs keep trying while the server is down; it comes back on the same port.
    reconnecting = asyncio.gather(*(tab.reconnect() for tab in tabs))
    await asyncio.sleep(0.5)
    restart()
    replies = await asyncio.wait_for(reconnecting, 60)
    for tab, answer in zip(tabs, replies, strict=True):
        # From the log, every event after the tab's last number: no snapshot, no reload.
        assert answer["type"] == "events", answer
        seqs = [event["seq"] for event in answer["events"]]
        before = behind[id(tab)]
        assert before is not None
        assert seqs == list(range(before + 1, before + 1 + len(seqs)))

    # The facilitator soon sees who is here: the four who came back, not the one who did not
    # (the killed process never said that tab had closed). With several processes nobody can
    # tell a dead process's tabs from a live one's until they go unmarked for two minutes.
    back = sorted(person["id"] for person in people)
    for _ in range(50 if one_process else 0):
        probe = Tab(port, session, console.cookie)
        present = sorted((await probe.open())["state"]["present"])
        assert probe.socket is not None
        await probe.socket.close()
        if present == back:
            break
        await asyncio.sleep(0.2)
    else:
        present = back
    assert present == back

    # And the session carries on: the facilitator's message reaches every room, and the
    # notes still hold every acknowledged line.
    assert (await console.open())["type"] in ("events", "snapshot")
    said = await console.reply({"type": "message_rooms", "message": "Five more minutes."})
    assert said["type"] == "ok", said
    for tab in tabs:
        while True:
            message = await tab.receive()
            if message["type"] == "event" and message["event"]["kind"] == "rooms_message":
                break
    # A save with nothing of its own to add, based on rev 0, answers with the stored text.
    answer = await tabs[1].reply(
        {"type": "notes.save", "group": room, "text": "", "rev": 0, "ref": "n"}
    )
    assert answer["type"] == "notes.saved", answer
    for token in acknowledged:
        assert token in answer["text"]
    for tab in [console, *tabs]:
        assert tab.socket is not None
        await tab.socket.close()
    return acknowledged


def killed_and_restarted(env: dict[str, str], tmp_path: Path, *, one_process: bool) -> None:
    # Reconnecting tabs are not to be removed from the round while the server is down.
    env["CONVENOR_LOG_LEVEL"] = "WARNING"
    seeded = json.loads(run_django(env, "bench.live.seed", "5"))
    port = free_port()
    servers: list[Server] = [start_server(env, tmp_path, port=port)]

    def kill() -> None:
        servers[-1].process.kill()  # SIGKILL: no shutdown, no flushing, nothing
        servers[-1].process.wait(timeout=10)

    def restart() -> None:
        servers.append(start_server(env, tmp_path, port=port))

    try:
        acknowledged = asyncio.run(
            asyncio.wait_for(scenario(seeded, port, restart, kill, one_process=one_process), 150)
        )
    except BaseException:
        print("--- server log\n", servers[-1].log_tail(6000))
        raise
    finally:
        for server in servers:
            server.stop()
    # Looked for in the database itself, with every server stopped.
    stored = json.loads(run_django(env, "bench.live.verify", json.dumps({"lines": acknowledged})))
    assert sorted(stored) == sorted(acknowledged)


def test_a_killed_server_loses_no_acknowledged_note_and_tabs_catch_up(tmp_path: Path) -> None:
    env = django_env(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    killed_and_restarted(env, tmp_path, one_process=True)


@pytest.mark.postgres
def test_the_same_on_postgresql_and_redis(tmp_path: Path) -> None:
    with fresh_postgres("convenor_test_sigkill") as database, private_redis() as layer:
        killed_and_restarted(django_env(database, layer), tmp_path, one_process=False)
