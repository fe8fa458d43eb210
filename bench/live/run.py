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
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.live.clients import ACTIVITY, Browser
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
# Kinds of segment of the seeded run-sheet (the built-in "common-purpose" template) the rounds
# may run in. The default, the coffee trial, has no activity; the others' activity region
# follows the run-sheet (and, for the empathy map and the common purpose, the rounds too), so
# every tab fetches it when the segment starts and, for those two, when a round starts,
# changes or ends, as live.js does.
SEGMENTS = ("coffee_trial", "plenary", "cynefin_board", "empathy_map", "common_purpose")
JOIN_AT_ONCE = 50  # handshakes in flight at once while the crowd arrives
SOCKET_TIMEOUT = 20.0


@dataclass
class Timeouts:
    """Upper bounds for each phase, so a run always ends."""

    join: float
    settle: float = 15.0
    assign: float = 20.0
    write: float = 20.0


@dataclass
class Outcome:
    mode: str
    n: int
    writers: int  # asked for; once the rooms are open, those who had a room to write in
    # The kind of run-sheet segment started before the rounds (its activity, if any, is on
    # every page while they run).
    segment: str = "coffee_trial"
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
    write_ms: list[float] = field(default_factory=list)
    # The floor under write_ms: the same tabs each send a ping at once (a WebSocket round trip
    # through the same consumers, with no database work).
    ping_ms: list[float] = field(default_factory=list)
    sent: int = 0
    acked: int = 0
    lost: int = 0
    conflicts: int = 0
    lines: dict[str, str] = field(default_factory=dict)  # acknowledged notes line -> room
    breakout_ms: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0
    # Where the time goes: server CPU seconds per phase (all servers), the round's partial
    # fetches (count and duration from request to full response), WebSocket frames received.
    server_cpu_s: dict[str, float] = field(default_factory=dict)
    round_fetch_ms: list[float] = field(default_factory=list)
    pushed: int = 0  # regions that came rendered with their events, up to the round
    activity_fetches: int = 0  # participants' fetches of the activity region, whole run
    # A plenary segment's posts (--segment plenary): per post and tab, from the post's send to
    # the tab showing it; the activity fetches in that phase.
    posts: int = 0
    post_ms: list[float] = field(default_factory=list)
    post_unseen: int = 0
    post_fetches: int = 0
    frames: dict[str, int] = field(default_factory=dict)
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
    """Wait until the console has the latest event, no tab's position has moved for half a
    second and no tab has a fetch outstanding (participants' tabs are not sent every event,
    e.g. presence, so their numbers may stay behind the console's)."""
    deadline = time.monotonic() + limit
    quiet_since: float | None = None
    before: list[int | None] = []
    while time.monotonic() < deadline:
        newest = max(b.last_seq or 0 for b in browsers)
        seqs = [b.last_seq for b in browsers]
        consoles = [b for b in browsers if b.console]
        calm = (
            seqs == before
            and all(b.last_seq == newest for b in consoles)
            and not any(b.pending for b in browsers)
        )
        before = seqs
        now = time.monotonic()
        if calm:
            quiet_since = quiet_since or now
            if now - quiet_since >= 0.5:
                return True
        else:
            quiet_since = None
        await asyncio.sleep(0.1)
    return False


class Phases:
    """Server CPU and frames received per phase of a run."""

    def __init__(self, procs: list[Server], browsers: list[Browser], out: Outcome) -> None:
        self.procs, self.browsers, self.out = procs, browsers, out
        self._mark()

    def _mark(self) -> None:
        self.cpu = sum(server.cpu_seconds() for server in self.procs)
        self.frames = sum(browser.messages for browser in self.browsers)

    def end(self, name: str) -> None:
        before_cpu, before_frames = self.cpu, self.frames
        self._mark()
        self.out.server_cpu_s[name] = self.cpu - before_cpu
        self.out.frames[name] = self.frames - before_frames


async def command(console: Browser, message: dict[str, Any], timeout: float) -> dict[str, Any]:
    await console.send(message)
    reply = await console.reply(timeout)
    if reply["type"] != "ok":
        raise RuntimeError(f"{message['type']} failed: {reply}")
    return reply


MAX_ATTEMPTS = 10


async def notes_writes(writers: list[Browser], out: Outcome, timeout: float) -> dict[str, str]:
    """Every writer saves a line into its room's shared notes at once.

    A save refused as stale (someone in the room saved first) is redone on top of the stored
    text it came back with, as a person would retype it; the time counted runs from the first
    send to the save acknowledged. Returns each acknowledged line's token and room.
    """
    go = asyncio.Event()

    async def write(index: int, browser: Browser) -> tuple[str, str] | None:
        assert browser.room is not None
        token = f"bench-{index:04d}-{browser.participant}"
        text, rev = "", browser.notes_rev
        await go.wait()
        started = time.monotonic()
        out.sent += 1
        for _ in range(MAX_ATTEMPTS):
            line = f"{browser.names[browser.participant or '']}: {token}\n"
            await browser.send(
                {"type": "notes.save", "group": browser.room, "text": text + line, "rev": rev}
                | {"ref": "notes"}
            )
            try:
                reply = await asyncio.wait_for(browser.notes_replies.get(), timeout)
            except TimeoutError:
                return None
            if reply["type"] == "notes.saved":
                out.write_ms.append((time.monotonic() - started) * 1000)
                out.acked += 1
                out.lines[token] = browser.room
                return token, browser.room
            if reply["type"] != "notes.conflict":
                out.notes.append(f"notes.save refused: {reply.get('message')}")
                return None
            out.conflicts += 1
            text, rev = reply["text"], reply["rev"]
        return None

    tasks = [asyncio.create_task(write(i, b)) for i, b in enumerate(writers)]
    await asyncio.sleep(0.05)
    go.set()
    done = await asyncio.gather(*tasks)
    return dict(pair for pair in done if pair is not None)


async def ping_burst(browsers: list[Browser], out: Outcome, timeout: float) -> None:
    """Every browser sends a ping at once; records each round trip to its pong."""
    go = asyncio.Event()
    for browser in browsers:
        while not browser.pongs.empty():  # heartbeats' answers
            browser.pongs.get_nowait()

    async def one(browser: Browser) -> None:
        await go.wait()
        started = time.monotonic()
        await browser.send({"type": "ping"})
        try:
            await asyncio.wait_for(browser.pongs.get(), timeout)
        except TimeoutError:
            return
        out.ping_ms.append((time.monotonic() - started) * 1000)

    tasks = [asyncio.create_task(one(b)) for b in browsers]
    await asyncio.sleep(0.05)
    go.set()
    await asyncio.gather(*tasks)


POSTS = 5  # in a plenary segment: one after another, each by someone else


async def plenary_posts(people: list[Browser], segment: str, out: Outcome, timeout: float) -> None:
    """People post to the plenary stream one after another; each post is timed from its send
    until every tab shows it. The authors then have something of their own in the stream,
    so their tabs fetch theirs from the next post on; everyone else's is sent with the event."""
    fetched_before = sum(path == ACTIVITY for p in people for path, _, _ in p.fetch_log)
    step = max(1, len(people) // POSTS)
    for index, author in enumerate(people[::step][:POSTS]):
        text = f"bench post {index} {secrets.token_hex(4)}"
        for browser in people:
            browser.watched.add(text)
        sent = time.monotonic()
        await author.send({"type": "plenary.post", "segment": segment, "text": text, "ref": "p"})
        reply = await author.reply(timeout)
        if reply["type"] != "ok":
            raise RuntimeError(f"plenary.post failed: {reply}")
        deadline = sent + timeout
        while time.monotonic() < deadline and any(text not in p.seen for p in people):
            await asyncio.sleep(0.02)
        out.posts += 1
        out.post_ms += [(p.seen[text] - sent) * 1000 for p in people if text in p.seen]
        out.post_unseen += sum(text not in p.seen for p in people)
        await settle(people, 5.0)
    fetched = sum(path == ACTIVITY for p in people for path, _, _ in p.fetch_log)
    out.post_fetches = fetched - fetched_before


async def round_for_all(
    console: Browser, people: list[Browser], message: dict[str, Any], limit: float
) -> tuple[float, float]:
    """Start a round and wait until every participant shows its group (or `limit` passes).

    Returns the moment of the click and how long the command took to be answered.
    """
    for browser in [console, *people]:
        browser.new_round()
    clicked = time.monotonic()
    await console.send(message)
    reply = await console.reply(limit)
    if reply["type"] != "ok":
        raise RuntimeError(f"{message['type']} failed: {reply}")
    answered = time.monotonic() - clicked
    deadline = clicked + limit
    while time.monotonic() < deadline and any(p.assigned_at is None for p in people):
        await asyncio.sleep(0.02)
    return clicked, answered


async def drive(
    seeded: dict[str, Any], procs: list[Server], out: Outcome, limits: Timeouts
) -> dict[str, str]:
    """Run the crowd against the servers; returns the acknowledged notes lines' rooms."""
    live_base = f"/p/{seeded['programme']}/sessions/{seeded['session']}/live/"
    ws_path = f"/ws/live/{seeded['session']}/"
    names = {p["id"]: p["name"] for p in seeded["participants"]}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=SOCKET_TIMEOUT)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout
    ) as http:
        console = Browser(procs[-1], seeded["facilitator"]["cookie"], live_base, ws_path)
        crowd = [
            Browser(procs[i % len(procs)], p["cookie"], live_base, ws_path, p["id"], names)
            for i, p in enumerate(seeded["participants"])
        ]
        try:
            await console.open(http, SOCKET_TIMEOUT)
            gate = asyncio.Semaphore(JOIN_AT_ONCE)

            async def join(browser: Browser) -> None:
                async with gate:
                    await browser.open(http, SOCKET_TIMEOUT)

            phases = Phases(procs, [console, *crowd], out)
            started = time.monotonic()
            joins = [asyncio.create_task(join(b)) for b in crowd]
            await asyncio.wait(joins, timeout=limits.join)
            for task in joins:
                task.cancel()
            out.join_s = time.monotonic() - started
            people = [b for b, t in zip(crowd, joins, strict=True) if b.socket and t.done()]
            people = [b for b in people if not b.socket or b.socket.close_code is None]
            out.join_failures = len(crowd) - len(people)
            everyone = [console, *people]

            started = time.monotonic()
            out.settled = await settle(everyone, limits.settle)
            out.settle_s = time.monotonic() - started
            phases.end("join")

            await command(
                console,
                {"type": "start_segment", "segment": seeded["segments"][out.segment]},
                limits.assign,
            )
            await settle(everyone, limits.settle)
            phases.end("start segment")

            # The measured moment: the facilitator's click, to each participant's screen.
            coffee = {"type": "start_round", "kind": "coffee", "size": 2}
            clicked, answered = await round_for_all(console, people, coffee, limits.assign)
            out.command_ms = answered * 1000
            out.assign_ms = [(p.assigned_at - clicked) * 1000 for p in people if p.assigned_at]
            out.event_ms = [(p.round_event_at - clicked) * 1000 for p in people if p.round_event_at]
            out.unassigned = sum(p.assigned_at is None for p in people) + out.join_failures
            if console.assigned_at is not None:
                out.console_ms = (console.assigned_at - clicked) * 1000
            out.round_fetch_ms = [
                seconds * 1000
                for p in people
                for path, sent, seconds in p.fetch_log
                if path == "round/" and sent >= clicked
            ]
            out.pushed = sum(p.pushed for p in people)
            await settle(everyone, limits.settle)
            phases.end("round")

            # Breakout rooms of four for the notes; their assignment is timed the same way.
            await command(console, {"type": "end_round"}, limits.assign)
            await settle(everyone, limits.settle)
            rooms = {"type": "start_round", "kind": "breakout", "size": 4}
            clicked, _ = await round_for_all(console, people, rooms, limits.assign)
            out.breakout_ms = [(p.assigned_at - clicked) * 1000 for p in people if p.assigned_at]
            await settle(everyone, limits.settle)
            phases.end("breakout")

            writers = [p for p in people if p.room is not None][: out.writers]
            # Writers who never got in (or never saw a room) write nothing; the table says so.
            out.writers = len(writers)
            acked = await notes_writes(writers, out, limits.write)
            await settle(everyone, limits.settle)
            phases.end("writes")
            # Twice: a ping refreshes the tab's presence row at most every 20 s, so the first
            # burst may write; the second, measured, has no database work at all.
            await ping_burst(writers, Outcome(out.mode, out.n, out.writers), limits.write)
            await ping_burst(writers, out, limits.write)
            await settle(everyone, limits.settle)
            phases.end("pings")
            out.activity_fetches = sum(
                path == ACTIVITY for p in people for path, _, _ in p.fetch_log
            )
            if out.segment == "plenary":
                plenary = seeded["segments"]["plenary"]
                await plenary_posts(people, plenary, out, limits.assign)
                await settle(everyone, limits.settle)
                phases.end("posts")
            return acked
        finally:
            await asyncio.gather(*(b.close() for b in [console, *crowd]), return_exceptions=True)


def join_limit(n: int) -> float:
    """Seconds the crowd gets to connect (before `--patience`): each tab costs the server
    40-90 ms of CPU to join on the 2-core machines this runs on."""
    return 15 + 0.08 * n


def budget_for(n: int) -> float:
    """Seconds of driving allowed for N participants (seeding and start-up come on top)."""
    return 60 + 0.1 * n


def run_mode(
    mode: str,
    ns: list[int],
    writers: int | None,
    settings: str = "convenor.settings",
    patience: float = 1.0,
    deadline: float | None = None,
    segment: str = "coffee_trial",
) -> Iterator[Outcome]:
    """Every N of one mode on one database (one cohort of max(N) people, one session per N),
    each outcome as soon as it is known. The rounds run in the first segment of kind
    `segment` of the seeded run-sheet (see SEGMENTS).

    Each N gets fresh servers and its own session (the first N people of the cohort), so the
    runs share only the programme's history of rounds, as a real series would.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if segment not in SEGMENTS:
        raise ValueError(f"segment must be one of {SEGMENTS}")
    raise_open_files(4 * max(ns) + 512)
    if deadline is not None and deadline - time.monotonic() < 60:
        for n in ns:
            out = Outcome(mode, n, min(writers or min(n, 500), n), segment)
            out.error = "not run: the whole run's time limit was reached"
            yield out
        return
    with tempfile.TemporaryDirectory(prefix="convenor-live-bench-") as folder:
        scratch = Path(folder)
        with backing(mode, scratch) as (database, layer):
            env = django_env(database, layer, settings)
            started = time.monotonic()
            cohort = json.loads(run_django(env, "bench.live.seed", str(max(ns)), str(len(ns))))
            seed_s = time.monotonic() - started
            for n, session in zip(ns, cohort["sessions"], strict=True):
                seeded = {**cohort, **session, "participants": cohort["participants"][:n]}
                out = Outcome(mode, n, min(writers or min(n, 500), n), segment)
                out.seed_s = seed_s
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left < 30:
                    out.error = "not run: the whole run's time limit was reached"
                    yield out
                    continue
                yield _run_one(env, seeded, out, scratch, patience, left)


def _run_one(
    env: dict[str, str],
    seeded: dict[str, Any],
    out: Outcome,
    scratch: Path,
    patience: float,
    left: float | None,
) -> Outcome:
    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    n = out.n
    with servers(env, 1 if out.mode == "single" else 2, scratch) as procs:
        # Joining is not what is measured, but the round needs the crowd in: with patience > 1
        # the crowd gets that many times longer to arrive (and the run as much longer).
        join = join_limit(n) * patience
        limits = Timeouts(join=join)
        budget = budget_for(n) + join - join_limit(n)
        if left is not None:
            budget = max(10.0, min(budget, left - 20))
        try:
            asyncio.run(asyncio.wait_for(drive(seeded, procs, out, limits), budget))
        except Exception as error:  # reported in the table, with the server's log
            out.error = f"{type(error).__name__}: {error}"[:300]
            out.notes.append(procs[0].log_tail(1500))
    # Checked after the servers have stopped: a write acknowledged is a write kept.
    if out.sent:
        spec = json.dumps({"lines": out.lines})
        found = set(json.loads(run_django(env, "bench.live.verify", spec)))
        # Lost: acknowledged but not stored, plus sent and never acknowledged.
        out.lost = len(set(out.lines) - found) + (out.sent - out.acked)
    out.client_cpu_s = time.process_time() - cpu_before
    out.load = (load_before, os.getloadavg()[0])
    return out


def run(
    mode: str,
    n: int,
    writers: int,
    settings: str = "convenor.settings",
    segment: str = "coffee_trial",
) -> Outcome:
    """One configuration on its own database."""
    return next(run_mode(mode, [n], writers, settings, segment=segment))
