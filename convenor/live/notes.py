"""Saving breakout rooms' shared notes: merged on the server, many saves in one transaction.

A save is a member's whole text and the rev it was based on. When nobody saved since, the text
is stored as it is. When others did, their saves (kept as splices in `RoomNotes.recent`) and
this one are merged (convenor.live.merge): both people's additions are kept and the writer is
told the merged text. Only a save based on a rev older than the splices kept (a tab away for
a long time) is refused with the latest text (an outcome of kind "conflict").

A save may carry `sid`, the writer's id for it: sent again (its answer was lost with the
connection), it is recognised and not applied twice.

`save_all` takes any number of saves, of any sessions and rooms, and writes them in one
transaction: each session's live state is locked once, the rounds, memberships and notes are
read in a query each, the notes written in one update and each room's event (one per room,
whatever number of its saves are in the batch) in one insert. Each save is answered with its
room's notes as the batch left them, and the tab that sent it is not sent the room's event
(it would say the same). The WebSocket consumers queue
their saves and write them in batches (see convenor.live.consumers.NotesWriter), so 500
people typing at once cost a few transactions, not 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from convenor.live.events import Held, emit_to_rooms, held_deliveries, lock_session
from convenor.live.merge import Splice, apply_all, base_text, merge_splices, splice_between
from convenor.live.models import GroupMember, RoomGroup, RoomLeaving, RoomNotes, Round
from convenor.live.rows import insert_rows, update_rows
from convenor.live.state import notes_state

MAX_NOTES_CHARS = 20000
MAX_SID_CHARS = 64
# Saves kept for merging: enough for a room of eight typing for a while between a tab's
# saves; bounded in characters too, since one splice can be a whole pasted text.
KEEP_SAVES = 64
KEEP_CHARS = 60000
# Saves are still taken for a short while after the rooms' closing time, the round's end, or
# the writer's leaving the room (moved or taken out by the facilitator): a page sends what was
# typed in the last moments as that happens, and that save (or its retry after a dropped
# connection) reaches the server a little after. The pages show the notes read-only from the
# closing time on; this only keeps the last words typed before it.
CLOSING_GRACE = timedelta(seconds=10)


@dataclass(frozen=True)
class Save:
    session_id: UUID
    participant_id: UUID
    group_id: UUID
    text: str
    rev: int
    sid: str | None = None
    # The writing tab's channel, when it came over a WebSocket: the answer tells that tab what
    # the room's event would, so the event is not sent to it as well.
    channel: str | None = None


# Further saves of the sessions locked (see `save_all`).
More = Callable[[set[UUID]], list["Save"]]


@dataclass(frozen=True)
class Outcome:
    """`kind`: "saved" (`rev`, and `text` when it differs from what was sent: merged),
    "conflict" (nothing written; `rev` and `text` are what is stored) or "error"."""

    kind: str
    group_id: UUID
    rev: int = 0
    text: str | None = None
    message: str = ""

    def reply(self) -> dict[str, Any]:
        """The WebSocket answer (without "ref")."""
        group = str(self.group_id)
        if self.kind == "error":
            return {"type": "error", "message": self.message}
        if self.kind == "conflict":
            return {
                "type": "notes.conflict",
                "group": group,
                "rev": self.rev,
                "text": self.text,
                "message": self.message,
            }
        reply: dict[str, Any] = {"type": "notes.saved", "group": group, "rev": self.rev}
        if self.text is not None:
            reply["text"] = self.text
        return reply


ARCHIVED = "This programme is archived: nothing in it can change."
CONFLICT = (
    "Your room's notes changed a lot while this page was away; the latest version is shown "
    "and your last change was not saved."
)


def check(text: str, rev: Any, sid: Any = None) -> str | None:
    """What is wrong with a save's fields, or None."""
    if len(text) > MAX_NOTES_CHARS:
        return (
            f"Notes can be at most {MAX_NOTES_CHARS:,} characters long "
            f"(these are {len(text):,}); nothing was saved."
        )
    if isinstance(rev, bool) or not isinstance(rev, int) or rev < 0:
        return "rev must be a whole number of at least 0."
    if sid is not None and (not isinstance(sid, str) or not 0 < len(sid) <= MAX_SID_CHARS):
        return f"sid must be a string of 1 to {MAX_SID_CHARS} characters."
    return None


@dataclass(frozen=True)
class _Room:
    pk: UUID
    round: Round
    number: int


def _closed(round_: Round | None) -> str | None:
    # A round ended or rooms closed a moment ago still take the saves sent as it happened.
    since = timezone.now() - CLOSING_GRACE
    if round_ is None or (round_.ended_at is not None and round_.ended_at <= since):
        return "This round has ended."
    if round_.kind != Round.Kind.BREAKOUT:
        return "Only breakout rooms have shared notes."
    if round_.session.programme.archived_at is not None:
        return ARCHIVED
    if round_.closes_at is not None and round_.closes_at <= since:
        return "The rooms have closed, so the notes can no longer change."
    return None


def just_left(pairs: set[tuple[UUID, UUID]]) -> set[tuple[UUID, UUID]]:
    """Of (room, participant) pairs, those where the participant left that room (moved, taken
    out) within the last CLOSING_GRACE: a save they sent as it happened still counts."""
    if not pairs:
        return set()
    found = RoomLeaving.objects.filter(
        group_id__in={group for group, _ in pairs},
        participant_id__in={participant for _, participant in pairs},
        left_at__gt=timezone.now() - CLOSING_GRACE,
    ).values_list("group_id", "participant_id")
    return set(found) & pairs


def _splices(entry: dict[str, Any]) -> list[Splice]:
    """The splices one kept save made, in order (older rows keep a single "splice")."""
    if "splices" in entry:
        return [Splice.from_json(value) for value in entry["splices"]]
    return [Splice.from_json(entry["splice"])]


def _size(entry: dict[str, Any]) -> int:
    """The characters one kept save took out and put in (read from its JSON as it is)."""
    kept = entry["splices"] if "splices" in entry else [entry["splice"]]
    return sum(len(removed) + len(inserted) for _, removed, inserted in kept)


def _apply(notes: RoomNotes, save: Save, text: str) -> Outcome:
    """Merge one save into `notes` (in memory); the caller writes what changed."""
    recent: list[dict[str, Any]] = notes.recent
    if save.sid is not None and any(entry.get("sid") == save.sid for entry in recent):
        # Sent again (its answer was lost): the text only if it is not what was sent.
        return Outcome(
            "saved", save.group_id, notes.rev, None if notes.text == text else notes.text
        )
    if save.rev == notes.rev:
        made = [splice_between(notes.text, text)]
    else:
        since = [entry for entry in recent if entry["rev"] > save.rev]
        if save.rev > notes.rev or len(since) != notes.rev - save.rev:
            return Outcome("conflict", save.group_id, notes.rev, notes.text, CONFLICT)
        splices = [splice for entry in since for splice in _splices(entry)]
        made = merge_splices(notes.text, base_text(notes.text, splices), text, splices)
    merged = apply_all(notes.text, made)
    if len(merged) > MAX_NOTES_CHARS:
        return Outcome(
            "error",
            save.group_id,
            message=(
                f"With your room's latest changes the notes would be {len(merged):,} "
                f"characters, and they can be at most {MAX_NOTES_CHARS:,}; nothing was "
                "saved."
            ),
        )
    told = merged if merged != text else None
    if merged == notes.text:
        return Outcome("saved", save.group_id, notes.rev, told)
    notes.rev += 1
    recent.append({"rev": notes.rev, "splices": [s.as_json() for s in made], "sid": save.sid})
    while len(recent) > KEEP_SAVES:
        recent.pop(0)
    size = sum(_size(entry) for entry in recent)
    while len(recent) > 1 and size > KEEP_CHARS:
        size -= _size(recent.pop(0))
    notes.text = merged
    notes.updated_at = timezone.now()
    return Outcome("saved", save.group_id, notes.rev, told)


_WRITTEN = ("text", "rev", "recent", "updated_at")


def _update(rows: list[RoomNotes]) -> None:
    """Write the rows' changed fields (one statement run per row, see convenor.live.rows)."""
    update_rows(
        RoomNotes, _WRITTEN, [(row.pk, [getattr(row, f) for f in _WRITTEN]) for row in rows]
    )


def save_all_held(saves: list[Save], more: More | None = None) -> tuple[list[Outcome], Held]:
    """`save_all`, with the rooms' notifications held: the caller answers the writers, then
    calls the returned `finish()` (on this thread) and starts the deliveries it returns on its
    event loop."""
    with held_deliveries() as held:
        outcomes = save_all(saves, more)
    return outcomes, held


def _checked(saves: list[Save], outcomes: list[Outcome | None]) -> list[tuple[int, Save, str]]:
    """Give each save a place in `outcomes`, with an error already there for a save whose
    fields are wrong; returns the rest, each with its place and its text."""
    valid: list[tuple[int, Save, str]] = []
    for save in saves:
        index = len(outcomes)
        text = save.text.replace("\r\n", "\n")
        problem = check(text, save.rev, save.sid)
        outcomes.append(
            None if problem is None else Outcome("error", save.group_id, message=problem)
        )
        if problem is None:
            valid.append((index, save, text))
    return valid


def save_all(saves: list[Save], more: More | None = None) -> list[Outcome]:
    """Apply `saves` in order, in one transaction; one outcome per save.

    `more`, called once the sessions' locks are held, with those sessions' ids, returns
    further saves of those sessions to apply after `saves` in the same transaction (the
    consumers' writer hands over what arrived while it waited for the locks, see
    convenor.live.consumers.NotesWriter); their outcomes follow those of `saves`.
    """
    outcomes: list[Outcome | None] = []
    valid = _checked(saves, outcomes)
    if not valid:
        return [outcome for outcome in outcomes if outcome is not None]
    with transaction.atomic():
        sessions = sorted({save.session_id for _, save, _ in valid})
        # Every action on a session takes its lock first: rounds and rooms cannot change
        # under these saves (the rooms closing, someone moved, the round ending).
        states = {session_id: lock_session(session_id) for session_id in sessions}
        if more is not None:
            extra = more(set(states))
            if not {save.session_id for save in extra} <= states.keys():
                raise ValueError("More saves may only be of the sessions already locked.")
            valid += _checked(extra, outcomes)
        group_ids = {save.group_id for _, save, _ in valid}
        # Plain rows, and each round once (a room's round is one of very few).
        rows = RoomGroup.objects.filter(pk__in=group_ids).values_list("pk", "round_id", "number")
        rounds = {
            r.pk: r
            for r in Round.objects.filter(pk__in={row[1] for row in rows}).select_related(
                "session__programme"
            )
        }
        groups = {pk: _Room(pk, rounds[round_id], number) for pk, round_id, number in rows}
        members = set(
            GroupMember.objects.filter(group_id__in=group_ids).values_list(
                "group_id", "participant_id"
            )
        )
        members |= just_left(
            {(save.group_id, save.participant_id) for _, save, _ in valid} - members
        )
        notes = {
            row.group_id: row
            for row in RoomNotes.objects.filter(group_id__in=group_ids).select_for_update()
        }
        changed: dict[UUID, RoomNotes] = {}
        fresh: list[RoomNotes] = []
        for index, save, text in valid:
            group = groups.get(save.group_id)
            if group is None or group.round.session_id != save.session_id:
                outcomes[index] = Outcome(
                    "error", save.group_id, message="There is no such room in this session."
                )
                continue
            problem = _closed(group.round)
            if problem is None and (save.group_id, save.participant_id) not in members:
                problem = "You can only write in your own room's notes."
            if problem is not None:
                outcomes[index] = Outcome("error", save.group_id, message=problem)
                continue
            row = notes.get(save.group_id)
            if row is None:
                row = notes[save.group_id] = RoomNotes(
                    round=group.round, group_id=group.pk, number=group.number
                )
                fresh.append(row)
            before = row.rev
            outcomes[index] = _apply(row, save, text)
            if row.rev != before:
                changed[save.group_id] = row
        # Every save that went in is answered with its room's notes as the batch left them
        # (the text when it is not what the writer sent): the writer's tab then has what the
        # room's event says, and is left out of it.
        answered: dict[str, set[str]] = {}
        for index, save, text in valid:
            outcome = outcomes[index]
            row = changed.get(save.group_id)
            if outcome is None or outcome.kind != "saved" or row is None:
                continue
            told = row.text if row.text != text else None
            outcomes[index] = Outcome("saved", save.group_id, row.rev, told)
            if save.channel is not None:
                answered.setdefault(str(save.group_id), set()).add(save.channel)
        # A room's notes made by a save in this batch are inserted; the rest updated.
        made = {row.pk for row in fresh}
        insert_rows(
            RoomNotes,
            ("id", "round", "group", "number", *_WRITTEN),
            (
                [row.pk, row.round_id, row.group_id, row.number]
                + [getattr(row, f) for f in _WRITTEN]
                for row in fresh
                if row.rev > 0
            ),
        )
        stored = [row for row in changed.values() if row.pk not in made]
        if stored:
            _update(stored)
        by_session: dict[UUID, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {}
        for group_id, row in changed.items():
            group = groups[group_id]
            by_session.setdefault(group.round.session_id, []).append(
                (
                    "notes_saved",
                    {
                        "round_id": str(group.round.pk),
                        "group": str(group_id),
                        "notes_id": str(row.pk),
                        "notes": notes_state(row),
                    },
                    {"group": str(group_id), "text": row.text, "rev": row.rev},
                )
            )
        for session_id, items in by_session.items():
            emit_to_rooms(session_id, items, answered=answered, state=states[session_id])
    return [outcome for outcome in outcomes if outcome is not None]
