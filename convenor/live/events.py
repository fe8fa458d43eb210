"""The event log: `emit` writes an event in the caller's transaction and notifies after commit.

The channel layer only notifies. A client that misses a notification (a dropped connection, a
restarted process, a full Redis buffer) finds the event in the database when it says hello
with its last sequence number.

Who is notified live (the log, and so every replay, has every event for everyone):
- `presence`: the facilitators' tabs only (the console's "here" list; participants never show
  presence, and telling every tab of every arrival made joining quadratic);
- an event with `private` data (a room's notes saved): that room's members' tabs, with the
  text, and the facilitators';
- an event with `personal` messages (a round's groups): each participant's tab its own message
  (its part of the event and its group rendered as HTML), the facilitators the whole event;
- anything else: every tab.
Each notification says which event every tab was last told of (`after`), so a participant's
tab can tell a lost notification (replayed from the log) from one that was never meant for it.
Each one carries its JSON already encoded (`text`): encoded once per event, not once per tab.
"""

import asyncio
import concurrent.futures
import json
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from convenor.live.models import GroupMember, LiveEvent, LivePresence, LiveState
from convenor.live.rows import insert_rows
from convenor.workshops.models import Session

# Told live to the facilitators' tabs only.
STAFF_KINDS = frozenset({"presence"})
# Per-tab messages for an event: channel name -> the JSON text that tab is sent.
Personal = Callable[[dict[str, Any]], dict[str, str]]

logger = logging.getLogger(__name__)

# Further behind than this, a client is sent a fresh snapshot instead of the events it missed.
MAX_REPLAY = 500


def group_name(session_id: UUID) -> str:
    """The channel-layer group of everyone connected to one session."""
    return f"live.{session_id.hex}"


def staff_group(session_id: UUID) -> str:
    """The channel-layer group of the facilitators' connections to one session."""
    return f"live.{session_id.hex}.staff"


def dispatch_channel(channel_name: str) -> str:
    """The channel of the dispatcher in the process that holds `channel_name` (a channel name
    says its process before the "!"; see convenor.live.consumers)."""
    return f"{channel_name.rsplit('!', 1)[0]}!live-dispatch"


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def lock_state(session: Session) -> LiveState:
    """Lock the session's live-state row for the rest of the transaction (made on first use)."""
    return lock_session(session.pk)


def lock_session(session_id: UUID) -> LiveState:
    """`lock_state` by the session's primary key."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_state must run inside transaction.atomic().")
    state = LiveState.objects.select_for_update().filter(session_id=session_id).first()
    if state is None:
        # First write to this session; get_or_create copes with a writer racing us to it.
        LiveState.objects.get_or_create(session_id=session_id)
        state = LiveState.objects.select_for_update().get(session_id=session_id)
    return state


def emit(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    personal: Personal | None = None,
    everyone: bool = True,
    html: dict[str, str] | None = None,
) -> LiveEvent:
    """Append an event with the session's next sequence number; broadcast it after commit.

    Must be called inside the action's transaction so the change and its event commit (or
    roll back) together; concurrent writers to one session queue on the state row's lock.
    (Events for one room's tabs only go through `emit_to_rooms`.) `personal`, called after
    commit with the event, gives some tabs their own message instead of the common one; with
    `everyone=False` the common one goes to the facilitators only (every participant's tab has
    its own). `html` (region name -> rendered, escaped HTML that is the same for every
    participant) travels with the common message, so participants' tabs need not ask for
    those regions.
    """
    state = lock_state(session)
    after = state.last_shared_seq
    state.last_seq += 1
    fields = ["last_seq"]
    if kind not in STAFF_KINDS:
        state.last_shared_seq = state.last_seq
        fields.append("last_shared_seq")
    state.save(update_fields=fields)
    event = LiveEvent.objects.create(
        session=session, seq=state.last_seq, kind=kind, payload=payload
    )
    message = event.as_message()
    # An activity's event (not one group's) brings the activity region to the participants
    # whose panels are alike, rendered once after the commit (convenor.activities.pushed).
    activity = (
        "." in kind and html is None and personal is None and everyone and not _one_group(payload)
    )

    def notify() -> None:
        pushed: dict[str, Any] = {"personal": personal, "everyone": everyone, "html": html}
        if activity:
            pushed = _activity_pushed(session) or pushed
        broadcast(session.pk, message, after=after, **pushed)

    transaction.on_commit(notify)
    return event


def _one_group(payload: dict[str, Any]) -> bool:
    """An event that concerns one group of the open round: only its members' pages change."""
    return "round" in payload and "group" in payload


def _activity_pushed(session: Session) -> dict[str, Any] | None:
    from convenor.activities.dispatch import current_segment
    from convenor.activities.pushed import region_for_everyone

    try:
        # The action's copy may be a consumer's, as old as its connection: read it afresh.
        session = Session.objects.select_related("programme").get(pk=session.pk)
        alike = region_for_everyone(session, current_segment(session))
    except Exception:  # the tabs fetch their regions, as without it
        logger.exception("Could not render the activity region of session %s", session.pk)
        return None
    return alike.emit_arguments(session.pk) if alike is not None else None


def per_participant(
    session_id: UUID, html: dict[str, str], but: Collection[Any], but_html: dict[str, str]
) -> Personal:
    """For `emit(..., personal=..., everyone=False)`: every participant's tab is sent the event
    with `html`, but the tabs of the participants in `but` (ids) with `but_html` only (they
    fetch the rest)."""

    def build(message: dict[str, Any]) -> dict[str, str]:
        rows = LivePresence.objects.filter(session_id=session_id, participant__isnull=False)
        common = _event_text(message, **({"html": html} if html else {}))
        plain = _event_text(message, **({"html": but_html} if but_html else {}))
        return {
            channel: plain if participant in but else common
            for participant, channel in rows.values_list("participant_id", "channel_name")
        }

    return build


def emit_to_rooms(
    session_id: UUID,
    items: list[tuple[str, dict[str, Any], dict[str, Any]]],
    answered: dict[str, set[str]] | None = None,
    *,
    state: LiveState | None = None,
) -> list[dict[str, Any]]:
    """Several events that each concern one room (`(kind, payload, private)`): numbered under
    one lock, written in one statement, broadcast together after commit; returns them as
    messages. `private` (a room's notes: {"group", "text", "rev"}) travels beside its event
    on the channel layer only, never into the log, and only to that room's members and the
    facilitators. `answered`: per room, the channels of tabs already told what its event says
    (the writers), left out of it. `state`: the session's live state when the caller holds
    its lock already. Saves of many rooms' notes at once (see convenor.live.notes) cost one
    of each, not one per room."""
    if not items:
        return []
    if state is None:
        state = lock_session(session_id)
    after = state.last_shared_seq
    first = state.last_seq + 1
    state.last_seq += len(items)
    state.save(update_fields=["last_seq"])
    now = timezone.now()
    messages = [
        {"seq": first + index, "kind": kind, "payload": payload}
        for index, (kind, payload, _) in enumerate(items)
    ]
    insert_rows(
        LiveEvent,
        ["session", "seq", "kind", "payload", "created_at"],
        ((session_id, m["seq"], m["kind"], m["payload"], now) for m in messages),
    )
    sent = [(message, private) for message, (_, _, private) in zip(messages, items, strict=True)]
    skip = answered or {}

    def notify() -> None:
        held: Held | None = getattr(_held, "current", None)
        if held is not None:  # after the writers are answered (see held_deliveries)
            held.later.append(lambda: broadcast_to_rooms(session_id, sent, after=after, skip=skip))
        else:
            broadcast_to_rooms(session_id, sent, after=after, skip=skip)

    transaction.on_commit(notify)
    return messages


def _room_channels(session_id: UUID, group_ids: list[str]) -> dict[str, list[str]]:
    """The connected members' channels of each room (one query for all of them)."""
    rooms: dict[str, list[str]] = {group_id: [] for group_id in group_ids}
    rows = GroupMember.objects.filter(
        group_id__in=[UUID(group_id) for group_id in group_ids],
        participant__presences__session_id=session_id,
    ).values_list("group_id", "participant__presences__channel_name")
    for group_id, channel in rows:
        rooms[str(group_id)].append(channel)
    return rooms


# One lock per event loop: deliveries handed to the loop go out one at a time, in the order
# they were handed over (asyncio locks are first come, first served).
_delivery_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _deliver(
    layer: Any, groups: list[tuple[str, dict[str, Any]]], channels: list[tuple[str, dict[str, Any]]]
) -> None:
    loop = asyncio.get_running_loop()
    lock = _delivery_locks.get(loop)
    if lock is None:
        lock = _delivery_locks[loop] = asyncio.Lock()
    async with lock:
        for channel, notice in channels:
            try:
                await layer.send(channel, notice)
            except Exception:  # e.g. a full channel: that tab catches up from the log
                logger.warning("Could not send a live event to %s", channel, exc_info=True)
        for group, notice in groups:
            await layer.group_send(group, notice)


# Set on a thread whose caller delivers afterwards (see `held_deliveries`).
_held = threading.local()


class Held:
    """What `held_deliveries` collected: the work left for after the writers are answered
    (looking up the rooms' tabs and building their messages, on this thread) and the
    deliveries themselves (awaitables, for the event loop)."""

    def __init__(self) -> None:
        self.later: list[Callable[[], None]] = []
        self.deliveries: list[Callable[[], Awaitable[None]]] = []

    def finish(self) -> list[Callable[[], Awaitable[None]]]:
        """Do the work left for later (still on this thread); returns every delivery."""
        _held.current = self
        try:
            while self.later:
                self.later.pop(0)()
        finally:
            _held.current = None
        return self.deliveries


@contextmanager
def held_deliveries() -> Iterator[Held]:
    """Within this block, on this thread, deliveries are not started but collected, and the
    rooms' notifications are not even prepared: the caller answers whoever is waiting on the
    commit first, then calls `finish()` and starts the deliveries it returns. The notes writer
    does so, so a save's acknowledgement waits neither for the lookup of its room's tabs nor
    behind the messages its own commit set off."""
    held = Held()
    _held.current = held
    try:
        yield held
    finally:
        _held.current = None


def _hand_over(
    layer: Any,
    groups: list[tuple[str, dict[str, Any]]],
    channels: list[tuple[str, dict[str, Any]]],
    seq: int,
) -> None:
    """Deliver on the server's event loop without waiting for it (the writer's thread, e.g.
    the consumers' database thread, goes on to the next write); elsewhere (a management
    command, a test without a loop) deliver and wait."""
    held: Held | None = getattr(_held, "current", None)
    if held is not None:
        held.deliveries.append(lambda: _deliver(layer, groups, channels))
        return
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        async_to_sync(_deliver)(layer, groups, channels)
        return

    def done(future: concurrent.futures.Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            logger.error("Could not broadcast live event %s", seq, exc_info=future.exception())

    asyncio.run_coroutine_threadsafe(_deliver(layer, groups, channels), loop).add_done_callback(
        done
    )


def broadcast(
    session_id: UUID,
    message: dict[str, Any],
    *,
    after: int | None = None,
    personal: Personal | None = None,
    everyone: bool = True,
    html: dict[str, str] | None = None,
) -> None:
    """Tell the session's connected clients about a committed event (best effort)."""
    layer = get_channel_layer()
    if layer is None:
        return
    seq, kind = message["seq"], message["kind"]
    base = _notice(message, after)
    groups: list[tuple[str, dict[str, Any]]] = []
    channels: list[tuple[str, dict[str, Any]]] = []
    try:
        if kind in STAFF_KINDS:
            groups.append((staff_group(session_id), {**base, "text": _event_text(message)}))
        else:
            own = personal(message) if personal is not None else {}
            channels += _batches([(base, own)])
            extra = {"html": html} if html else {}
            common = {**base, "text": _event_text(message, **extra)}
            if everyone:
                if own:
                    common["except"] = sorted(own)
                groups.append((group_name(session_id), common))
            else:
                groups.append((staff_group(session_id), common))
        _hand_over(layer, groups, channels, seq)
    except Exception:
        # The event is committed; clients will fetch it on their next hello, so a layer outage
        # must not turn a successful write into an error.
        logger.exception("Could not broadcast live event %s", seq)


def broadcast_to_rooms(
    session_id: UUID,
    sent: list[tuple[dict[str, Any], dict[str, Any]]],
    *,
    after: int,
    skip: dict[str, set[str]] | None = None,
) -> None:
    """Tell each room's members and the facilitators of committed room events (best effort):
    per event, its room's tabs (but those in `skip` for that room) and the facilitators' get
    the event with `private` beside it; every other tab is not told (see the module's
    docstring)."""
    layer = get_channel_layer()
    if layer is None or not sent:
        return
    try:
        rooms = _room_channels(session_id, [private["group"] for _, private in sent])
        items: list[tuple[dict[str, Any], dict[str, str]]] = []
        staff: list[dict[str, Any]] = []
        for message, private in sent:
            base = _notice(message, after)
            text = _event_text(message, notes=private)
            left_out = (skip or {}).get(private["group"], set())
            tabs = [channel for channel in rooms[private["group"]] if channel not in left_out]
            items.append((base, dict.fromkeys(tabs, text)))
            staff.append({**base, "text": text})
        groups = [(staff_group(session_id), notice) for notice in _in_bundles(staff)]
        _hand_over(layer, groups, _batches(items), sent[-1][0]["seq"])
    except Exception:
        logger.exception("Could not broadcast live events up to %s", sent[-1][0]["seq"])


def _notice(message: dict[str, Any], after: int | None) -> dict[str, Any]:
    seq = message["seq"]
    return {
        "type": "live.event",
        "seq": seq,
        "kind": message["kind"],
        "after": seq - 1 if after is None else after,
    }


def _batches(
    items: list[tuple[dict[str, Any], dict[str, str]]],
) -> list[tuple[str, dict[str, Any]]]:
    """Per-tab texts, for one or more events, as one message per server process, whose
    dispatcher hands each of its tabs its own (in the order of `items`). A text sent to
    several tabs (a group's, or a region pushed to everyone) is in the message once, and each
    tab is given its index."""
    batches: dict[str, tuple[list[tuple[dict[str, Any], dict[str, int]]], dict[str, int]]] = {}
    for notice, told in items:
        for name, text in told.items():
            own, texts = batches.setdefault(dispatch_channel(name), ([], {}))
            if not own or own[-1][0] is not notice:
                own.append((notice, {}))
            own[-1][1][name] = texts.setdefault(text, len(texts))
    return [
        (where, {"type": "live.batch", "texts": list(texts), "items": [[n, t] for n, t in own]})
        for where, (own, texts) in batches.items()
    ]


# A bundle of notices for the facilitators' tabs carries at most about this much text (a room's
# notes can be 80 KB of UTF-8), so that no channel-layer message grows without bound.
BUNDLE_CHARS = 256 * 1024


def _in_bundles(notices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notices for one group of tabs, in order, as few channel-layer messages as their size
    allows (each a "live.events"): with channels-redis each group message costs round trips
    to Redis, and a batch of notes saves can concern hundreds of rooms."""
    if len(notices) == 1:
        return notices
    bundles: list[list[dict[str, Any]]] = []
    size = 0
    for notice in notices:
        if not bundles or size + len(notice["text"]) > BUNDLE_CHARS:
            bundles.append([])
            size = 0
        bundles[-1].append(notice)
        size += len(notice["text"])
    return [{"type": "live.events", "events": bundle} for bundle in bundles]


def _event_text(message: dict[str, Any], **extra: Any) -> str:
    return encode({"type": "event", "event": message, **extra})


def current_seq(session: Session) -> int:
    state = LiveState.objects.filter(session=session).first()
    return state.last_seq if state is not None else 0


def events_after(session: Session, seq: int) -> list[dict[str, Any]] | None:
    """The events after `seq`, in order, or None when a snapshot is the better answer."""
    last = current_seq(session)
    if seq > last or last - seq > MAX_REPLAY:
        return None
    events = LiveEvent.objects.filter(session=session, seq__gt=seq).order_by("seq")
    return [event.as_message() for event in events]
