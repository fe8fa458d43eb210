"""The event log: `emit` writes an event in the caller's transaction and notifies after commit.

The channel layer only notifies. A client that misses a notification (a dropped connection, a
restarted process, a full Redis buffer) finds the event in the database when it says hello
with its last sequence number.
"""

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from convenor.live.models import LiveEvent, LiveState
from convenor.workshops.models import Session

logger = logging.getLogger(__name__)

# Further behind than this, a client is sent a fresh snapshot instead of the events it missed.
MAX_REPLAY = 500


def group_name(session_id: UUID) -> str:
    """The channel-layer group of everyone connected to one session."""
    return f"live.{session_id.hex}"


def lock_state(session: Session) -> LiveState:
    """Lock the session's live-state row for the rest of the transaction (made on first use)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_state must run inside transaction.atomic().")
    state = LiveState.objects.select_for_update().filter(session=session).first()
    if state is None:
        # First write to this session; get_or_create copes with a writer racing us to it.
        LiveState.objects.get_or_create(session=session)
        state = LiveState.objects.select_for_update().get(session=session)
    return state


def emit(
    session: Session, kind: str, payload: dict[str, Any], private: dict[str, Any] | None = None
) -> LiveEvent:
    """Append an event with the session's next sequence number; broadcast it after commit.

    Must be called inside the action's transaction so the change and its event commit (or
    roll back) together; concurrent writers to one session queue on the state row's lock.
    `private` travels beside the event on the channel layer only (never into the log); the
    consumer decides which connections may see it (e.g. a room's notes text).
    """
    state = lock_state(session)
    state.last_seq += 1
    state.save(update_fields=["last_seq"])
    event = LiveEvent.objects.create(
        session=session, seq=state.last_seq, kind=kind, payload=payload
    )
    message = event.as_message()
    transaction.on_commit(lambda: broadcast(session.pk, message, private))
    return event


def broadcast(
    session_id: UUID, message: dict[str, Any], private: dict[str, Any] | None = None
) -> None:
    """Tell the session's connected clients about a committed event (best effort)."""
    layer = get_channel_layer()
    if layer is None:
        return
    notice: dict[str, Any] = {"type": "live.event", "event": message}
    if private is not None:
        notice["private"] = private
    try:
        async_to_sync(layer.group_send)(group_name(session_id), notice)
    except Exception:
        # The event is committed; clients will fetch it on their next hello, so a layer outage
        # must not turn a successful write into an error.
        logger.exception("Could not broadcast live event %s", message.get("seq"))


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
