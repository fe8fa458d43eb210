"""The live-session WebSocket: events out, heartbeats and facilitator commands in.

Protocol (JSON text frames, at most 128 KiB each: a room's notes can be 80 KB of UTF-8):
- client `{"type": "hello", "last_seq": N | null}` → server `{"type": "events", "events": [...]}`
  (what was missed after N) or `{"type": "snapshot", "state": {...}}` (N unknown or too old);
  after that every committed event arrives as `{"type": "event", "event": {...}}`, in order;
- client `{"type": "ping"}` → `{"type": "pong"}`; silence for LIVE_IDLE_TIMEOUT closes (4408);
- facilitators: `{"type": <command>, ...fields, "ref": any}` (see commands.COMMANDS) →
  `{"type": "ok", "command": ..., "message": ..., "ref": ...}`, and for a run-sheet command
  `"runsheet"`: the run-sheet after it (the console's buttons name the segment they act on);
- workshop activities: `{"type": "<activity>.<verb>", ...fields, "ref": any}` (see
  convenor.activities.registry) → `{"type": "ok", ...}` or an error, as for commands;
- a breakout room's members: `{"type": "notes.save", "group": <room uuid>, "text": str,
  "rev": N, "sid": optional str, "ref": any}` (N: the rev the text was based on; sid: the
  tab's id for this save, the same when it is sent again) → `{"type": "notes.saved", "group":
  ..., "rev": stored rev, "ref": ...}`, with `"text"` when what was stored differs from what
  was sent (others saved since N: both changes merged, see convenor.live.notes); only when N is
  older than the saves kept for merging `{"type": "notes.conflict", "group": ..., "rev": ...,
  "text": the stored text, "message": ..., "ref": ...}` (nothing written); the `notes_saved`
  event then reaches only the room's members and the facilitators, with `"notes": {"group",
  "text", "rev"}` beside it;
- what each tab is told live (see convenor.live.events): participants' tabs are not sent
  `presence` or other rooms' `notes_saved` (they skip those numbers; a replay from the log
  after reconnecting has every event, so a participant's state may simply skip them too), and
  a round's `round_started` / `round_changed` reach a participant's tab with its own group
  rendered: `{"type": "event", "event": ..., "html": {"round": <the round region's HTML>}}`,
  where a participant's `round_started` lists only its own group (and itself, if waiting);
  run-sheet events and `round_ended` carry the region every participant now sees the same way
  (`"html": {"runsheet": ...}` / `{"round": ...}`); live.js puts such HTML into the region
  marked `data-push` for that topic instead of fetching it (facilitators' consoles fetch);
- anything wrong (bad JSON, binary, too large, unknown type or field, wrong type, unknown id,
  wrong role, beyond the rate limit) → `{"type": "error", "message": ..., "ref": ...}`, and
  nothing changes.
Outsiders are refused before the handshake completes (close code 4404).

A channel-layer failure (e.g. channels-redis timing out on a busy Redis) never ends a tab's
connection: receiving is retried with a growing pause, and afterwards the tab is sent what it
may have missed from the log; a failure while handling one notification is logged and the
next one goes on (see `_layer_receive` and `dispatch`).
"""

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import threading
import uuid
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from asgiref.sync import SyncToAsync
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.conf import settings
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.utils import timezone

from convenor.activities.dispatch import perform
from convenor.activities.registry import ActivityError, registry
from convenor.live import actions, commands, notes
from convenor.live.access import get_live_session_for_member
from convenor.live.events import dispatch_channel, events_after, group_name, staff_group
from convenor.live.state import runsheet_state, snapshot
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session

logger = logging.getLogger(__name__)

# Room notes are up to 20,000 characters, which is up to 80 KB of UTF-8.
MAX_MESSAGE_BYTES = 128 * 1024
CLOSE_OUTSIDER = 4404
CLOSE_IDLE = 4408
# A tab sends a hello, a ping every 25 s and a facilitator's clicks: a burst of 30 messages,
# then 5 a second, is far beyond that and keeps one client from keeping the server busy.
RATE_BURST = 30.0
RATE_PER_SECOND = 5.0
# Heartbeats refresh the presence row at most this often (one write per tab, not per ping).
TOUCH_EVERY_SECONDS = 20.0

# The consumers' database work runs on one thread of its own that keeps its connection between
# calls (Channels' database_sync_to_async would open and close one per call with
# CONN_MAX_AGE = 0, and on SQLite closing the last connection also checkpoints the WAL). Django
# advises against persistent connections under ASGI because each request runs in a thread of its
# own, so connections pile up in threads that come and go; this one thread lives as long as the
# process and holds at most one connection per database, checked after any error.
_db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-db")


class _OnDbThread(SyncToAsync[..., Any]):
    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        for connection in connections.all(initialized_only=True):
            if connection.connection is None:
                continue
            if connection.in_atomic_block or not connection.get_autocommit():
                connection.close()  # left in a transaction: start clean
            elif connection.errors_occurred:
                if connection.is_usable():
                    connection.errors_occurred = False
                else:
                    connection.close()
        return super().thread_handler(loop, *args, **kwargs)  # type: ignore[no-untyped-call]


# Calls of `on_db` queued for the database thread and not yet started there (a long job
# there looks, to step aside for them).
_queued_lock = threading.Lock()
_queued = 0


def db_jobs_waiting() -> int:
    """How many database jobs wait for the database thread."""
    return _queued


def on_db[**P, R](func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`func`, awaitable, run on the consumers' database thread."""
    database = connections["default"]
    # An in-memory SQLite database (the test default) is shared between threads with table
    # locks that fail at once instead of waiting: keep to Channels' one thread.
    in_memory = isinstance(database, SQLiteWrapper) and database.is_in_memory_db()

    @functools.wraps(func)
    async def queued(*args: P.args, **kwargs: P.kwargs) -> R:
        global _queued
        started = False

        def start() -> None:  # on the database thread as the job starts; or if it never will
            global _queued
            nonlocal started
            with _queued_lock:
                if not started:
                    started = True
                    _queued -= 1

        def job() -> R:
            start()
            return func(*args, **kwargs)

        run: Callable[[], Awaitable[R]] = (
            database_sync_to_async(job)
            if in_memory
            else _OnDbThread(job, thread_sensitive=False, executor=_db_thread)
        )
        with _queued_lock:
            _queued += 1
        try:
            return await run()
        finally:
            start()  # cancelled before it ran

    return queued


def close_db_connections() -> None:
    """Close the database thread's connections (tests, before their database is dropped)."""
    _db_thread.submit(connections.close_all).result()


# Per-tab messages (a round's groups, one message per participant) travel as one message per
# server process: a dispatcher in each process (on a channel with the process's own prefix, see
# convenor.live.events.dispatch_channel) hands each connection of that process its own. With
# channels-redis that is one send and one receive per process instead of one per tab (each a
# round trip to Redis, one after the other).
_local: dict[str, "SessionConsumer"] = {}
_dispatchers: "weakref.WeakKeyDictionary[Any, asyncio.Task[None]]" = weakref.WeakKeyDictionary()


def _ensure_dispatcher(layer: Any, channel_name: str) -> None:
    task = _dispatchers.get(layer)
    if task is None or task.done():
        channel = dispatch_channel(channel_name)
        _dispatchers[layer] = asyncio.create_task(_dispatch(layer, channel))


async def _dispatch(layer: Any, channel: str) -> None:
    while True:
        try:
            batch = await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("Live dispatcher could not receive; retrying", exc_info=True)
            await asyncio.sleep(0.5)
            continue
        texts = batch.get("texts", [])
        for notice, indices in batch.get("items", ()):
            for name, index in indices.items():
                consumer = _local.get(name)
                if consumer is None:
                    continue  # gone; its next hello catches up from the log
                try:
                    await consumer.live_event({**notice, "text": texts[index]})
                except OSError:
                    # The tab closed as the event went out (uvicorn's ClientDisconnected):
                    # nothing is wrong, and its consumer is on its way out.
                    logger.debug("A tab closed before a live event reached it: %s", name)
                except Exception:
                    logger.exception("Could not hand a live event to %s", name)


# Background removals of people who left mid-round; held here so they are not collected early.
_pending: set[asyncio.Task[None]] = set()


def idle_timeout() -> float:
    return float(getattr(settings, "LIVE_IDLE_TIMEOUT_SECONDS", 75))


def leave_grace() -> float:
    """How long someone whose last tab closed keeps their place in a round. live.js tries
    again at most 30 s apart, so a tab cut off for half a minute is back within about a
    minute and finds its group as it was."""
    return float(getattr(settings, "LIVE_LEAVE_GRACE_SECONDS", 60))


def _replay(session: Session, last_seq: int | None) -> dict[str, Any]:
    missed = events_after(session, last_seq) if last_seq is not None else None
    if missed is None:
        state = snapshot(session)
        return {"type": "snapshot", "seq": state["seq"], "state": state}
    seq = missed[-1]["seq"] if missed else last_seq
    return {"type": "events", "seq": seq, "events": missed}


def _connect(session: Session, membership: Membership, channel_name: str) -> None:
    user = None
    if membership.is_facilitator:
        assert membership.facilitation is not None
        user = membership.facilitation.user
    actions.do_connect(session, channel_name, participant=membership.participant, user=user)


def _fresh(membership: Membership) -> Membership:
    """`membership` with its programme read again: it may have been archived since the tab
    connected (and an archived programme is read-only, as `can_edit` says)."""
    programme = Programme.objects.filter(pk=membership.programme.pk).first()
    if programme is None:
        raise commands.CommandError("This programme no longer exists.")
    return dataclasses.replace(membership, programme=programme)


# Commands whose answer carries the run-sheet as it now is: the console's run-sheet buttons
# name the segment they act on, and must name the new one before the next click.
RUNSHEET_COMMANDS = frozenset({"start_segment", "extend_segment", "skip_segment", "end_segment"})


def _execute(
    session: Session, membership: Membership, name: str, content: dict[str, Any]
) -> tuple[str, dict[str, Any] | None]:
    """Check the facilitator may change things (as the form's `for_write` lookup does), then
    parse and run a command; its message, and for a run-sheet command the run-sheet after it."""
    membership = _fresh(membership)
    if not membership.can_edit:
        raise commands.CommandError(notes.ARCHIVED)
    values = commands.parse(name, content)
    # The facilitator's user row may not be loaded yet, and loading it is a query: sync side.
    assert membership.facilitation is not None
    message = commands.execute(session, membership.facilitation.user, name, values)
    return message, runsheet_state(session) if name in RUNSHEET_COMMANDS else None


def _perform(session: Session, membership: Membership, name: str, content: dict[str, Any]) -> str:
    """An activity action, checked against the programme as it is now (archived or not)."""
    try:
        membership = _fresh(membership)
    except commands.CommandError as error:
        raise ActivityError(str(error)) from error
    return perform(session, membership, name, content)


# A queued notes save and the future its consumer awaits for the answer.
Waiting = tuple[notes.Save, "asyncio.Future[notes.Outcome]"]


class NotesWriter:
    """Queues the notes saves of one process's tabs and writes them in batches (group commit).

    A save joins the queue and waits. One job on the database thread writes whatever is
    queued in one transaction (convenor.live.notes.save_all), posts each writer its answer
    back to the event loop, then looks up who else is in the saved rooms and posts their
    messages, and goes straight on to whatever queued meanwhile, without waiting for the
    loop, which may be busy receiving the very saves that make up the next batch. One save
    alone is written at once; under a crowd a batch is whatever arrived while the last was
    written, so the wait adapts to the load without a timer. A batch also takes the saves of
    its sessions that arrived while it waited for their locks (held by another process's
    batch, or by an action), so with several processes a crowd is written in a few large
    batches rather than many small ones taking the lock in turn. The job steps aside when
    other database work is waiting for the thread (after at least one batch), and after
    MAX_ROUNDS batches in any case.
    """

    MAX_BATCH = 500
    MAX_ROUNDS = 64

    def __init__(self) -> None:
        # Appended to on the event loop, taken from on the database thread (deque is safe).
        self.waiting: deque[Waiting] = deque()
        self.task: asyncio.Task[None] | None = None

    async def save(self, save: notes.Save) -> notes.Outcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[notes.Outcome] = loop.create_future()
        self.waiting.append((save, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(loop))
        return await future

    async def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        while self.waiting:
            await on_db(self._write)(loop)

    def _write(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the database thread: write batches while there are any and nobody else waits."""
        for rounds in range(self.MAX_ROUNDS):
            if rounds and db_jobs_waiting():
                return  # `_run` queues the rest behind them
            batch: list[Waiting] = []
            while self.waiting and len(batch) < self.MAX_BATCH:
                batch.append(self.waiting.popleft())
            if not batch:
                return

            def more(sessions: set[uuid.UUID], batch: list[Waiting] = batch) -> list[notes.Save]:
                extra = self._take(sessions, self.MAX_BATCH - len(batch))
                batch.extend(extra)
                return [save for save, _ in extra]

            try:
                outcomes, held = notes.save_all_held([save for save, _ in batch], more)
            except Exception:
                logger.exception("Could not write %d notes saves", len(batch))
                failed = "The server could not save this just now; it is kept on your page."
                outcomes = [notes.Outcome("error", s.group_id, message=failed) for s, _ in batch]
                loop.call_soon_threadsafe(_answer, batch, outcomes)
                return  # the next job starts with its connections checked (_OnDbThread)
            loop.call_soon_threadsafe(_answer, batch, outcomes)
            try:
                deliveries = held.finish()
            except Exception:  # committed all the same: the rooms catch up from the log
                logger.exception("Could not tell the rooms of %d notes saves", len(batch))
                continue
            if deliveries:
                loop.call_soon_threadsafe(_tell, deliveries)

    def _take(self, sessions: set[uuid.UUID], most: int) -> list[Waiting]:
        """On the database thread: take up to `most` waiting saves of `sessions`, in order,
        leaving the others queued in theirs."""
        taken: list[Waiting] = []
        kept: list[Waiting] = []
        for _ in range(len(self.waiting)):
            if len(taken) >= most:
                break
            try:
                item = self.waiting.popleft()
            except IndexError:
                break
            (taken if item[0].session_id in sessions else kept).append(item)
        self.waiting.extendleft(reversed(kept))
        return taken


def _answer(
    batch: list[Waiting],
    outcomes: list[notes.Outcome],
) -> None:
    """On the event loop: answer a batch's writers."""
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        if not future.done():
            future.set_result(outcome)


def _tell(deliveries: list[Callable[[], Awaitable[None]]]) -> None:
    """On the event loop, after the batch's answers: tell the rooms."""
    task = asyncio.create_task(_tell_rooms(deliveries))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _tell_rooms(deliveries: list[Callable[[], Awaitable[None]]]) -> None:
    await asyncio.sleep(0)  # the writers' tasks, woken by their answers, go first
    for deliver in deliveries:
        try:
            await deliver()
        except Exception:
            logger.exception("Could not tell the rooms of saved notes")


_writers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, NotesWriter]" = (
    weakref.WeakKeyDictionary()
)


def _this_loops[T](
    made: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T]", make: Callable[[], T]
) -> T:
    """The running event loop's one instance in `made`, made on first use."""
    loop = asyncio.get_running_loop()
    found = made.get(loop)
    if found is None:
        found = made[loop] = make()
    return found


def notes_writer() -> NotesWriter:
    """This event loop's notes writer."""
    return _this_loops(_writers, NotesWriter)


class PresenceToucher:
    """Marks the heartbeating connections of one process alive, many in one statement.

    A thousand tabs' heartbeats are forty a second; one database job each would queue between
    the notes writer's batches. A heartbeat joins the queue and waits until its connection is
    marked (the pong still means "you are recorded as here"); one job marks everyone queued,
    and whoever arrived meanwhile goes in the next.
    """

    def __init__(self) -> None:
        self.waiting: list[tuple[str, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def touch(self, channel_name: str) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((channel_name, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        await future

    async def _run(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                await on_db(actions.touch_presences)([name for name, _ in batch])
            except Exception:  # the next heartbeat tries again; presence expires only later
                logger.exception("Could not mark %d connections alive", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


_touchers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceToucher]" = (
    weakref.WeakKeyDictionary()
)


def presence_toucher() -> PresenceToucher:
    """This event loop's presence toucher."""
    return _this_loops(_touchers, PresenceToucher)


async def _remove_later(session: Session, participant: Participant, grace: float) -> None:
    await asyncio.sleep(grace)
    try:
        await on_db(actions.remove_if_gone)(session, participant)
    except Exception:
        logger.exception("Could not take %s out of the round", participant.pk)


def _remove_if_not_back(session: Session, participant: Participant, grace: float) -> None:
    """After `grace` seconds, take `participant` out of the round unless they came back."""
    task = asyncio.create_task(_remove_later(session, participant, grace))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


# The connections of a process that died (killed, crashed, its machine gone) never say goodbye:
# every process with tabs open looks for such rows of its sessions this often.
SWEEP_PRESENCE_SECONDS = 15.0
# live.js tries again at most 30 s apart: after a restart, a tab is back within about that.
RECONNECT_WITHIN_SECONDS = 30.0
# When this process started. With the in-memory channel layer one process serves every tab, so
# a connection recorded before then was served by a process that has gone.
STARTED_AT = timezone.now()


def presence_dead_after() -> timedelta:
    """An open tab was heard within the idle timeout (or closed by it), and marked alive within
    TOUCH_EVERY_SECONDS of being heard; a row not marked for longer, and a margin for clocks,
    is a dead process's."""
    return timedelta(seconds=idle_timeout() + TOUCH_EVERY_SECONDS + 30)


class PresenceSweeper:
    """Forgets the connections of dead processes, for the sessions this process serves.

    Runs while this process has tabs open: at once when the first one connects (after a
    restart, that is when the old rows are known to be dead in one process), then every
    SWEEP_PRESENCE_SECONDS. Participants left with no connection are told gone and, as when
    someone closes their tab, taken out of the round unless they are back within the grace,
    here with the time a tab may take to find a restarted server added.
    """

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None

    def start(self, one_process: bool) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(one_process))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self, one_process: bool) -> None:
        while True:
            sessions = {c.session.pk: c.session for c in list(_local.values()) if c.session}
            if not sessions:
                return
            for session in sessions.values():
                await self.sweep(session, one_process)
            await asyncio.sleep(SWEEP_PRESENCE_SECONDS)

    @staticmethod
    async def sweep(session: Session, one_process: bool) -> None:
        try:
            gone = await on_db(actions.expire_presence)(
                session,
                timezone.now() - presence_dead_after(),
                opened_before=STARTED_AT if one_process else None,
            )
        except Exception:  # tried again at the next sweep
            logger.exception("Could not look for dead connections of %s", session.pk)
            return
        for participant in gone:
            _remove_if_not_back(session, participant, leave_grace() + RECONNECT_WITHIN_SECONDS)


_sweepers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceSweeper]" = (
    weakref.WeakKeyDictionary()
)


def presence_sweeper() -> PresenceSweeper:
    """This event loop's presence sweeper."""
    return _this_loops(_sweepers, PresenceSweeper)


class SessionConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One browser tab following one session."""

    # Channels sets `channel_receive` to the layer's receive for this channel and waits on it
    # beside the socket; a layer error there would end the consumer and drop the socket. The
    # property hands Channels a receive that survives errors instead.
    _layer_receive: Any = None
    layer_failures = 0

    @property
    def channel_receive(self) -> Any:
        return self._safe_channel_receive

    @channel_receive.setter
    def channel_receive(self, receive: Any) -> None:
        self._layer_receive = receive

    async def _safe_channel_receive(self) -> dict[str, Any]:
        """The next channel-layer message; on a layer error, wait and say to catch up."""
        try:
            message: dict[str, Any] = await self._layer_receive()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.layer_failures += 1
            logger.warning(
                "Channel layer receive failed for %s (%d in a row); retrying",
                self.channel_name,
                self.layer_failures,
                exc_info=True,
            )
            await asyncio.sleep(min(5.0, 0.1 * 2 ** min(self.layer_failures, 6)))
            # Notifications may have been lost meanwhile: the log has them.
            return {"type": "live.resync"}
        self.layer_failures = 0
        return message

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Hand a message to its handler, without Channels' hop to close old connections.

        Channels' dispatch first runs `close_old_connections` on its sync thread, a thread hop
        for every frame a tab sends and every notice it is handed. The handlers here touch the
        database only through `on_db`, whose thread checks its connections before each job
        (database_sync_to_async, used for in-memory SQLite, closes old ones itself), so the
        hop would buy nothing; under a crowd it was a third of the event loop's time, and each
        hop also hands the GIL to whichever thread is writing.
        """
        kind = message.get("type", "")
        if kind.startswith("live."):
            # Channel-layer notifications: a failure handling one must not end the connection.
            try:
                await getattr(self, get_handler_name(message))(message)
            except Exception:
                logger.exception("Could not handle %s for %s", kind, self.channel_name)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {kind}")
        await handler(message)

    membership: Membership | None = None
    session: Session | None = None
    sent_seq: int | None = None
    idle_task: asyncio.Task[None] | None = None
    allowance = RATE_BURST
    touched_at = 0.0
    is_staff = False

    async def connect(self) -> None:
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        found = await on_db(get_live_session_for_member)(self.scope, session_id)
        if found is None:
            await self.close(code=CLOSE_OUTSIDER)
            return
        self.membership, self.session = found
        self.is_staff = self.membership.is_facilitator
        self.last_heard = self.touched_at = asyncio.get_running_loop().time()
        # Join before anything can be missed: events committed from here on reach this tab.
        await self._join(group_name(self.session.pk))
        if self.is_staff:
            await self._join(staff_group(self.session.pk))
        _local[self.channel_name] = self
        _ensure_dispatcher(self.channel_layer, self.channel_name)
        await self.accept()
        await on_db(_connect)(self.session, self.membership, self.channel_name)
        self.idle_task = asyncio.create_task(self._watch_idle())
        presence_sweeper().start(isinstance(self.channel_layer, InMemoryChannelLayer))

    async def disconnect(self, code: int) -> None:
        _local.pop(self.channel_name, None)
        if self.idle_task is not None:
            self.idle_task.cancel()
        if self.session is None:
            return
        groups = [group_name(self.session.pk)]
        if self.is_staff:
            groups.append(staff_group(self.session.pk))
        for group in groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer forgets the membership when it expires anyway
                logger.warning("Could not leave %s", group, exc_info=True)
        gone = await on_db(actions.do_disconnect)(self.channel_name)
        if gone is not None and gone.participant is not None:
            _remove_if_not_back(self.session, gone.participant, leave_grace())

    async def _join(self, group: str) -> None:
        """Join a channel-layer group, retrying a layer error a few times."""
        for attempt in range(4):
            try:
                await self.channel_layer.group_add(group, self.channel_name)
                return
            except Exception:
                if attempt == 3:
                    raise
                logger.warning("Could not join %s; retrying", group, exc_info=True)
                await asyncio.sleep(0.2 * 2**attempt)

    async def live_revoke(self, message: dict[str, Any]) -> None:
        """Access has gone (see convenor.live.revoke): close as for an outsider."""
        membership = self.membership
        if membership is None:
            return
        participant = membership.participant
        facilitation = membership.facilitation
        if participant is not None:
            gone = message.get("participants") is not None or message.get("participant") == str(
                participant.pk
            )
        else:
            gone = facilitation is not None and message.get("user") == str(facilitation.user_id)
        if gone:
            await self.close(code=CLOSE_OUTSIDER)

    async def live_resync(self, message: dict[str, Any]) -> None:
        """After a channel-layer error: send whatever the log has beyond what this tab has."""
        if self.sent_seq is None or self.session is None:
            return
        reply = await on_db(_replay)(self.session, self.sent_seq)
        if reply["type"] == "events" and not reply["events"]:
            return
        self.sent_seq = reply["seq"]
        await self.send_json(reply)

    async def _watch_idle(self) -> None:
        limit = idle_timeout()
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.05, self.last_heard + limit - loop.time()))
            if loop.time() - self.last_heard >= limit:
                await self.close(code=CLOSE_IDLE)
                return

    async def error(self, message: str, ref: Any = None) -> None:
        reply: dict[str, Any] = {"type": "error", "message": message}
        if ref is not None:
            reply["ref"] = ref
        await self.send_json(reply)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        now = asyncio.get_running_loop().time()
        self.allowance = min(RATE_BURST, self.allowance + (now - self.last_heard) * RATE_PER_SECOND)
        self.last_heard = now
        if self.allowance < 1:
            await self.error("Too many messages: slow down; this one was ignored.")
            return
        self.allowance -= 1
        if text_data is None:
            await self.error("Send JSON text frames, not binary ones.")
            return
        if len(text_data.encode()) > MAX_MESSAGE_BYTES:
            await self.error(f"That message is too large (at most {MAX_MESSAGE_BYTES} bytes).")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("That message is not valid JSON.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.error('A message must be a JSON object with a "type".')
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content["type"]
        ref = content.get("ref")
        if ref is not None and not isinstance(ref, str | int):
            await self.error('"ref" must be a string or a number.')
            return
        if kind == "hello":
            await self.hello(content, ref)
        elif kind == "ping":
            if set(content) - {"type", "ref"}:
                await self.error("A ping has no fields.", ref)
                return
            if self.last_heard - self.touched_at >= TOUCH_EVERY_SECONDS:
                self.touched_at = self.last_heard
                await presence_toucher().touch(self.channel_name)
            await self.send_json({"type": "pong"})
        elif kind == "notes.save":
            await self.save_notes(content, ref)
        elif kind in commands.COMMANDS:
            await self.command(kind, content, ref)
        elif kind in registry.actions:
            await self.activity(kind, content, ref)
        else:
            await self.error(f"Unknown message type “{kind[:40]}”.", ref)

    async def hello(self, content: dict[str, Any], ref: Any) -> None:
        last_seq = content.get("last_seq")
        if set(content) - {"type", "ref", "last_seq"}:
            await self.error("A hello has only last_seq.", ref)
            return
        if last_seq is not None and (
            isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0
        ):
            await self.error("last_seq must be a whole number of at least 0, or null.", ref)
            return
        assert self.session is not None
        reply = await on_db(_replay)(self.session, last_seq)
        self.sent_seq = reply["seq"]
        await self.send_json(reply)

    async def command(self, name: str, content: dict[str, Any], ref: Any) -> None:
        assert self.membership is not None and self.session is not None
        if not self.membership.is_facilitator:
            await self.error("Only the programme's facilitators can do this.", ref)
            return
        try:
            message, runsheet = await on_db(_execute)(self.session, self.membership, name, content)
        except commands.CommandError as error:
            await self.error(str(error), ref)
            return
        reply: dict[str, Any] = {"type": "ok", "command": name, "message": message}
        if runsheet is not None:
            reply["runsheet"] = runsheet
        if ref is not None:
            reply["ref"] = ref
        await self.send_json(reply)

    async def activity(self, name: str, content: dict[str, Any], ref: Any) -> None:
        """A workshop activity's action (see convenor.activities.registry)."""
        assert self.membership is not None and self.session is not None
        try:
            message = await on_db(_perform)(self.session, self.membership, name, content)
        except ActivityError as error:
            await self.error(str(error), ref)
            return
        reply: dict[str, Any] = {"type": "ok", "command": name, "message": message}
        if ref is not None:
            reply["ref"] = ref
        await self.send_json(reply)

    async def save_notes(self, content: dict[str, Any], ref: Any) -> None:
        assert self.membership is not None and self.session is not None
        participant = self.membership.participant
        if participant is None:
            await self.error("Only the room's members can write its notes.", ref)
            return
        unknown = sorted(set(content) - {"type", "ref", "group", "text", "rev", "sid"})
        if unknown:
            await self.error(f"Unexpected field(s) for notes.save: {', '.join(unknown)}.", ref)
            return
        group, text = content.get("group"), content.get("text")
        rev: Any = content.get("rev")
        if not isinstance(group, str) or not isinstance(text, str):
            await self.error("notes.save needs “group” (an id) and “text”.", ref)
            return
        try:
            group_id = uuid.UUID(group)
        except ValueError:
            await self.error("“group” is not a valid id.", ref)
            return
        problem = notes.check(text, rev, content.get("sid"))  # rev, length and sid
        if problem is not None:
            await self.error(problem, ref)
            return
        sid = content.get("sid")
        save = notes.Save(
            self.session.pk, participant.pk, group_id, text, rev, sid, self.channel_name
        )
        reply = (await notes_writer().save(save)).reply()
        if ref is not None:
            reply["ref"] = ref
        await self.send_json(reply)

    async def live_events(self, message: dict[str, Any]) -> None:
        """Several committed events' notices in one channel-layer message, in order."""
        for notice in message["events"]:
            await self.live_event(notice)

    async def live_event(self, message: dict[str, Any]) -> None:
        """A committed event from the channel layer: forward it in order, filling any gap.

        Facilitators' tabs are told of every event, so any jump in numbers is a lost
        notification; participants' tabs are not told of some (presence, other rooms' notes),
        so for them a notification that names an earlier one they were not sent is the gap.
        """
        if self.sent_seq is None or self.session is None:
            return  # No hello yet: the hello's replay will include it.
        seq = message["seq"]
        if seq <= self.sent_seq or self.channel_name in message.get("except", ()):
            return
        missed = seq > self.sent_seq + 1 if self.is_staff else message["after"] > self.sent_seq
        if missed:
            # A notification went missing (layer capacity, a restart): the log has it.
            reply = await on_db(_replay)(self.session, self.sent_seq)
            self.sent_seq = reply["seq"]
            await self.send_json(reply)
            return
        self.sent_seq = seq
        # Encoded once for every tab by the writer (convenor.live.events).
        await self.send(text_data=message["text"])
