"""Simulated browsers for the live-session benchmark, all in one asyncio process.

Each participant does what a real tab does: it loads the live page, then (as live.js does) opens
one WebSocket that says hello with the event the page was rendered after, applies
events in order, and after an event that touches a region of its page shows the region's HTML
when the event came with it (a round's groups are pushed to their members), or else waits
50-300 ms (live.js spreads a crowd's requests that way) and fetches that region's partial over
HTTP, one request per region at a time; a heartbeat every 25 s. A participant "has its
assignment" when the round region it was sent or fetched names every partner the round event
put it with (for a breakout room, the notes form in it also gives the room's id and notes rev).
An activity's event ("plenary.posted") shows the activity region anew the same way: taken from
the event when it brings it, else fetched.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from bench.live.servers import Server

PING_SECONDS = 25.0
# The notes form of a breakout room's partial: its group id and the rev the text is at.
NOTES_FORM = re.compile(r'data-notes="([0-9a-f-]{36})".*?name="rev" value="(\d+)"', re.DOTALL)
# The event a live page was rendered after (live.js says hello with it).
PAGE_SEQ = re.compile(r'id="live"[^>]*\sdata-seq="(\d+)"')
# Regions of each page and the event topics that make live.js fetch them again.
# The activity region ("Take part" or "Activity") follows the run-sheet, and the breakout groups
# too while a panel built on them is shown (data-follows-round, as in live.js); a breakout
# round's start brings such panels with each group ("panel:<key>").
ACTIVITY = "activity/"
ROUND_PANEL = re.compile(r'data-follows-round="([^"]+)"')
PARTICIPANT_REGIONS = {
    "runsheet": ("now/", ACTIVITY),
    "round": ("round/",),
    "activity": (ACTIVITY,),
}
CONSOLE_REGIONS = {
    "runsheet": ("now/", ACTIVITY),
    "round": ("round/",),
    "presence": ("here/",),
    "activity": (ACTIVITY,),
}
# The region that takes the HTML an event may carry for a topic (live.js: data-push).
# Each region that takes HTML sent with an event, by the name the event gives it (live.js:
# data-push); a region whose HTML the event does not bring is fetched.
PUSHED = {"round/": "round", "now/": "runsheet", ACTIVITY: "activity"}
TOPICS = {
    "segment_started": "runsheet",
    "segment_extended": "runsheet",
    "segment_skipped": "runsheet",
    "segment_ended": "runsheet",
    "runsheet_edited": "runsheet",
    "round_started": "round",
    "round_changed": "round",
    "round_ended": "round",
    "presence": "presence",
    "rooms_message": "round",
    "rooms_closing": "round",
    # Room members and facilitators get the saved text with the event: nothing to fetch.
    "notes_saved": "notes",
}


@dataclass
class Browser:
    """One tab: a participant's page, or the facilitator's console."""

    server: Server
    cookie: str
    live_base: str  # /p/<programme>/sessions/<session>/live/
    ws_path: str
    participant: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # participant id -> display name
    socket: ClientConnection | None = None
    last_seq: int | None = None
    my_group: list[str] | None = None
    # Per region path: "scheduled" (waiting out the spread delay) or "loading"; a change that
    # arrives while loading marks it dirty and it is fetched again afterwards, as in live.js.
    pending: dict[str, str] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    pongs: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    round_event_at: float | None = None
    assigned_at: float | None = None
    room: str | None = None  # a breakout room's group id, read from the partial as live.js does
    notes_rev: int = 0
    notes_replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    fetch_errors: int = 0
    # (path, moment the request went out, seconds until the whole response was in)
    fetch_log: list[tuple[str, float, float]] = field(default_factory=list)
    messages: int = 0
    pushed: int = 0  # regions that came rendered with their event (no request)
    # The activity region's panels built on the groups (their keys), as last shown.
    round_panels: tuple[str, ...] = ()
    round_kind: str | None = None  # the open round's, once an event or snapshot said
    pinging: bool = True
    # Texts to look for in the activity region (a post), and when each was first shown.
    watched: set[str] = field(default_factory=set)
    seen: dict[str, float] = field(default_factory=dict)

    @property
    def console(self) -> bool:
        return self.participant is None

    async def open(self, http: aiohttp.ClientSession, timeout: float) -> None:
        """Load the page, as a browser does, then open the socket and say hello with the
        event the page was rendered after (live.js: data-seq)."""
        page = f"{self.server.origin}{self.live_base}{'console/' if self.console else ''}"
        async with http.get(page, headers={"Cookie": f"sessionid={self.cookie}"}) as response:
            html = await response.text()
            if response.status != 200:
                raise RuntimeError(f"GET {page} answered {response.status}")
        rendered = PAGE_SEQ.search(html)
        self.last_seq = int(rendered.group(1)) if rendered else None
        self.round_panels = tuple(ROUND_PANEL.findall(html))
        self.socket = await connect(
            f"ws://127.0.0.1:{self.server.port}{self.ws_path}",
            origin=Origin(self.server.origin),
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=timeout,
            # Browsers send no protocol-level pings; live.js sends its own heartbeat.
            ping_interval=None,
            proxy=None,
            max_size=2**22,
        )
        await self.socket.send(json.dumps({"type": "hello", "last_seq": self.last_seq}))
        self._spawn(self._read(http))
        self._spawn(self._heartbeat())

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.socket is not None:
            await self.socket.close()

    async def send(self, message: dict[str, Any]) -> None:
        assert self.socket is not None
        await self.socket.send(json.dumps(message))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(PING_SECONDS)
            if self.pinging:
                try:
                    await self.send({"type": "ping"})
                except ConnectionClosed:
                    return

    async def _read(self, http: aiohttp.ClientSession) -> None:
        assert self.socket is not None
        try:
            async for raw in self.socket:
                self.messages += 1
                self._receive(json.loads(raw), http)
        except ConnectionClosed:
            return

    def _receive(self, message: dict[str, Any], http: aiohttp.ClientSession) -> None:
        kind = message["type"]
        if kind == "snapshot":
            self.last_seq = message["seq"]
            round_ = message["state"]["round"]
            self.my_group = self._group_of(round_) if round_ else None
            self.round_kind = round_["kind"] if round_ else None
            for topic in self.regions():
                self._refresh(topic, http)
        elif kind == "events":
            for event in message["events"]:
                self._apply(event, http)
            self.last_seq = max(self.last_seq or 0, message["seq"])
        elif kind == "event":
            self._apply(message["event"], http, message.get("html"))
        elif kind == "pong":
            self.pongs.put_nowait(message)
        elif kind.startswith("notes.") or message.get("ref") == "notes":
            self.notes_replies.put_nowait(message)
        else:  # ok or error: the answer to a command this tab sent
            self.replies.put_nowait(message)

    def regions(self) -> dict[str, tuple[str, ...]]:
        return CONSOLE_REGIONS if self.console else PARTICIPANT_REGIONS

    def _group_of(self, round_: dict[str, Any]) -> list[str] | None:
        for group in round_["groups"]:
            if self.participant in group["members"]:
                return list(group["members"])
        return None

    def _apply(
        self, event: dict[str, Any], http: aiohttp.ClientSession, html: dict[str, str] | None = None
    ) -> None:
        if self.last_seq is not None and event["seq"] <= self.last_seq:
            return
        self.last_seq = event["seq"]
        # "<activity>.<what>": the activity region, but for an event about one group of the
        # open round (live.js: otherGroup), which the benchmark's tabs never send.
        topic = TOPICS.get(event["kind"]) or ("activity" if "." in event["kind"] else None)
        if topic is None:
            return
        panels = False  # the breakout groups were formed or changed (live.js: regionsFor)
        if event["kind"] == "round_started":
            self.round_event_at = time.monotonic()
            self.my_group = self._group_of(event["payload"]["round"])
            self.round_kind = event["payload"]["round"]["kind"]
            panels = self.round_kind == "breakout"
        elif event["kind"] == "round_ended":
            self.my_group = None
            self.round_kind = None
        elif event["kind"] == "round_changed":
            panels = self.round_kind != "coffee"
            if not self.console:
                mine = [g for g in event["payload"]["groups"] if self.participant in g["members"]]
                if not mine:
                    return  # someone else's group changed
                self.my_group = list(mine[0]["members"])
        if topic in self.regions():
            self._refresh(topic, http, html if not self.console else None, panels)

    def _refresh(
        self,
        topic: str,
        http: aiohttp.ClientSession,
        html: dict[str, str] | None = None,
        panels: bool = False,
    ) -> None:
        paths = self.regions()[topic]
        loading = self.pending.get(ACTIVITY) == "loading"
        if topic == "round" and panels and (self.round_panels or loading):
            paths += (ACTIVITY,)  # as live.js: a fetch under way may predate the round
        for path in paths:
            name = PUSHED.get(path)
            if html is not None and name is not None and name in html:
                self.pushed += 1
                if self.pending.get(path) == "loading":
                    self.dirty.add(path)
                self._show(path, html[name])
                continue
            if (
                path == ACTIVITY
                and html is not None
                and self.round_panels
                and all(f"panel:{key}" in html for key in self.round_panels)
            ):
                self.pushed += 1  # each panel took its place, as in live.js: showPanels
                if loading:
                    self.dirty.add(path)
                continue
            if self.pending.get(path) == "loading":
                self.dirty.add(path)
                continue
            if path in self.pending:
                continue
            self.pending[path] = "scheduled"
            self._spawn(self._load(path, http))

    async def _load(self, path: str, http: aiohttp.ClientSession) -> None:
        await asyncio.sleep(0.05 + random.random() * 0.25)
        self.pending[path] = "loading"
        sent = time.monotonic()
        try:
            async with http.get(
                f"{self.server.origin}{self.live_base}{path}",
                headers={"Cookie": f"sessionid={self.cookie}", "X-Requested-With": "fetch"},
            ) as response:
                html = await response.text()
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok, html = False, ""
        finally:
            del self.pending[path]
            if path in self.dirty:
                self.dirty.discard(path)
                self.pending[path] = "scheduled"
                self._spawn(self._load(path, http))
        self.fetch_log.append((path, sent, time.monotonic() - sent))
        if not ok:
            self.fetch_errors += 1
            return
        self._show(path, html)

    def _show(self, path: str, html: str) -> None:
        if path == ACTIVITY:
            self.round_panels = tuple(ROUND_PANEL.findall(html))
            for text in self.watched:
                if text not in self.seen and text in html:
                    self.seen[text] = time.monotonic()
        if path == "round/" and self.assigned_at is None and self._shows_my_group(html):
            self.assigned_at = time.monotonic()
            room = NOTES_FORM.search(html)
            if room is not None:
                self.room, self.notes_rev = room.group(1), int(room.group(2))

    def new_round(self) -> None:
        """Forget the last round's assignment before the facilitator starts another."""
        self.round_event_at = self.assigned_at = self.room = None
        self.notes_rev = 0

    def _shows_my_group(self, html: str) -> bool:
        if self.console:
            return self.round_event_at is not None and "live-groups" in html
        if not self.my_group or "you are with" not in html.lower():
            return False
        partners = [self.names[pid] for pid in self.my_group if pid != self.participant]
        return all(name in html for name in partners)

    async def reply(self, timeout: float) -> dict[str, Any]:
        return await asyncio.wait_for(self.replies.get(), timeout)
