"""One benchmark configuration (mode, N, M): servers up, browsers in, a round, writes, verdict.

Modes: "single" is one uvicorn on SQLite in a temporary folder with the in-memory channel
layer (the default deployment); "two" is two uvicorns on a fresh PostgreSQL database and a
private Redis database, participants alternating between them and the facilitator on the
second.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.live.clients import Browser
from bench.live.servers import (
    Server,
    django_env,
    fresh_postgres,
    private_redis,
    raise_open_files,
    run_django,
    servers,
)

MODES = ("single", "two")
JOIN_AT_ONCE = 50  # handshakes in flight at once while the crowd arrives
SOCKET_TIMEOUT = 20.0


@dataclass
class Timeouts:
    """Upper bounds for each phase, so a run always ends."""

    join: float
    settle: float = 90.0
    assign: float = 30.0
    write: float = 30.0


@dataclass
class Outcome:
    mode: str
    n: int
    writers: int
    seed_s: float = 0.0
    join_s: float = 0.0
    join_failures: int = 0
    settle_s: float = 0.0
    settled: bool = False
    command_ms: float | None = None
    event_ms: list[float] = field(default_factory=list)
    assign_ms: list[float] = field(default_factory=list)
    console_ms: float | None = None
    unassigned: int = 0
    write_kind: str = ""
    write_ms: list[float] = field(default_factory=list)
    sent: int = 0
    acked: int = 0
    lost: int = 0
    client_cpu_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    error: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@contextmanager
def backing(mode: str, scratch: Path) -> Iterator[tuple[str, str | None]]:
    """The database URL (and Redis URL) for a mode, cleaned up afterwards."""
    if mode == "single":
        yield f"sqlite:///{scratch / 'live.sqlite3'}", None
        return
    with fresh_postgres() as database, private_redis() as layer:
        yield database, layer


async def settle(browsers: list[Browser], limit: float) -> bool:
    """Wait until every tab has applied the latest event and has no fetch outstanding."""
    deadline = time.monotonic() + limit
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        newest = max(b.last_seq or 0 for b in browsers)
        calm = all(b.last_seq == newest and not b.pending for b in browsers)
        now = time.monotonic()
        if calm:
            quiet_since = quiet_since or now
            if now - quiet_since >= 0.5:
                return True
        else:
            quiet_since = None
        await asyncio.sleep(0.1)
    return False


async def command(console: Browser, message: dict[str, Any], timeout: float) -> dict[str, Any]:
    await console.send(message)
    reply = await console.reply(timeout)
    if reply["type"] != "ok":
        raise RuntimeError(f"{message['type']} failed: {reply}")
    return reply


async def heartbeat_writes(writers: list[Browser], out: Outcome, timeout: float) -> list[str]:
    """Every writer sends a heartbeat at once; the acknowledged ones (pong) are returned."""
    for browser in writers:
        while not browser.replies.empty():
            browser.replies.get_nowait()
    go = asyncio.Event()

    async def write(browser: Browser) -> str | None:
        await go.wait()
        started = time.monotonic()
        await browser.send({"type": "ping"})
        out.sent += 1
        try:
            reply = await browser.reply(timeout)
        except TimeoutError:
            return None
        if reply.get("type") != "pong":
            return None
        out.write_ms.append((time.monotonic() - started) * 1000)
        return browser.participant

    tasks = [asyncio.create_task(write(b)) for b in writers]
    await asyncio.sleep(0.05)
    go.set()
    done = await asyncio.gather(*tasks)
    return [pid for pid in done if pid is not None]


async def drive(
    seeded: dict[str, Any],
    procs: list[Server],
    out: Outcome,
    limits: Timeouts,
    stored: Callable[[str], list[str]],
) -> None:
    """Run the crowd against the servers, then count the writes `stored` cannot find."""
    live_base = f"/p/{seeded['programme']}/sessions/{seeded['session']}/live/"
    ws_path = f"/ws/live/{seeded['session']}/"
    names = {p["id"]: p["name"] for p in seeded["participants"]}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=SOCKET_TIMEOUT)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout
    ) as http:
        console = Browser(procs[-1], seeded["facilitator"]["cookie"], live_base, ws_path)
        people = [
            Browser(procs[i % len(procs)], p["cookie"], live_base, ws_path, p["id"], names)
            for i, p in enumerate(seeded["participants"])
        ]
        everyone = [console, *people]
        try:
            await console.open(http, SOCKET_TIMEOUT)
            gate = asyncio.Semaphore(JOIN_AT_ONCE)

            async def join(browser: Browser) -> None:
                async with gate:
                    await browser.open(http, SOCKET_TIMEOUT)

            started = time.monotonic()
            joined = await asyncio.wait_for(
                asyncio.gather(*(join(b) for b in people), return_exceptions=True), limits.join
            )
            out.join_s = time.monotonic() - started
            out.join_failures = sum(isinstance(r, BaseException) for r in joined)

            started = time.monotonic()
            out.settled = await settle(everyone, limits.settle)
            out.settle_s = time.monotonic() - started

            await command(
                console,
                {"type": "start_segment", "segment": seeded["coffee_segment"]},
                limits.assign,
            )
            await settle(everyone, limits.settle)

            # The measured moment: the facilitator's click, to each participant's screen.
            clicked = time.monotonic()
            await console.send({"type": "start_round", "kind": "coffee", "size": 2})
            reply = await console.reply(limits.assign)
            if reply["type"] != "ok":
                raise RuntimeError(f"start_round failed: {reply}")
            out.command_ms = (time.monotonic() - clicked) * 1000
            deadline = clicked + limits.assign
            while time.monotonic() < deadline and any(p.assigned_at is None for p in people):
                await asyncio.sleep(0.02)
            out.assign_ms = [(p.assigned_at - clicked) * 1000 for p in people if p.assigned_at]
            out.event_ms = [(p.round_event_at - clicked) * 1000 for p in people if p.round_event_at]
            out.unassigned = sum(p.assigned_at is None for p in people)
            if console.assigned_at is not None:
                out.console_ms = (console.assigned_at - clicked) * 1000
            await settle(everyone, limits.settle)

            for browser in everyone:
                browser.pinging = False
            since = datetime.now(UTC).isoformat()
            writers = people[: out.writers]
            acked = await heartbeat_writes(writers, out, limits.write)
            out.write_kind = "heartbeat"
            out.acked = len(acked)
            # Presence rows go when the sockets close, so they are checked while still open.
            spec = json.dumps({"since": since, "acked": acked, "session": seeded["session"]})
            found = await asyncio.to_thread(stored, spec)
            # Lost: acknowledged but not in the database, plus sent and never acknowledged.
            out.lost = len(set(acked) - set(found)) + (out.sent - out.acked)
        finally:
            await asyncio.gather(*(b.close() for b in everyone), return_exceptions=True)


def run(mode: str, n: int, writers: int, budget: float) -> Outcome:
    """One configuration from start to finish, within `budget` seconds of driving."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    out = Outcome(mode=mode, n=n, writers=min(writers, n))
    raise_open_files(4 * n + 512)
    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    with tempfile.TemporaryDirectory(prefix="convenor-live-bench-") as folder:
        scratch = Path(folder)
        with backing(mode, scratch) as (database, layer):
            env = django_env(database, layer)
            started = time.monotonic()
            seeded = json.loads(run_django(env, "bench.live.seed", str(n)))
            out.seed_s = time.monotonic() - started
            with servers(env, 1 if mode == "single" else 2, scratch) as procs:
                limits = Timeouts(join=30 + 0.1 * n)

                def stored(spec: str) -> list[str]:
                    found: list[str] = json.loads(run_django(env, "bench.live.verify", spec))
                    return found

                try:
                    asyncio.run(asyncio.wait_for(drive(seeded, procs, out, limits, stored), budget))
                except Exception as error:  # reported in the table, with the server's log
                    out.error = f"{type(error).__name__}: {error}"[:300]
                    out.notes.append(procs[0].log_tail(1500))
    out.client_cpu_s = time.process_time() - cpu_before
    out.load = (load_before, os.getloadavg()[0])
    return out
