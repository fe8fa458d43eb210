"""The live state of a session as plain JSON, and how each event kind changes it.

`snapshot(session)` is what a client starts from; `apply_event(state, event)` is the meaning of
every event kind (the browser script follows the same rules). Applying an event twice, or
re-applying events a snapshot already contains, leaves the state as it should be, so a client
may take a snapshot while writers are busy and then apply everything after its `seq`.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from convenor.live.events import current_seq
from convenor.live.models import GroupMember, LivePresence, RoomNotes, Round, SegmentRun
from convenor.workshops.models import Session

RUNSHEET_KINDS = frozenset(
    {"segment_started", "segment_extended", "segment_skipped", "segment_ended", "runsheet_edited"}
)
ROUND_KINDS = frozenset({"round_started", "round_changed", "round_ended"})
# Breakout rooms: a room's notes saved (its rev only: the text goes to the room's members and
# the facilitators alone, beside the event, never into the log every client reads), a message
# to every room, and the closing countdown.
ROOM_KINDS = frozenset({"notes_saved", "rooms_message", "rooms_closing"})
EVENT_KINDS = RUNSHEET_KINDS | ROUND_KINDS | ROOM_KINDS | {"presence"}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _stored_start(session: Session) -> datetime:
    stored = Session.objects.filter(pk=session.pk).values_list("starts_at", flat=True).first()
    return stored if stored is not None else session.starts_at


def runsheet_state(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Each segment with its status and actual or planned times.

    Pending segments are planned back to back from the running segment's planned end (or the
    last end, or the session's start), so an extension or an early end re-times what follows.

    The state in events and snapshots depends on stored times alone (`now` None), so replaying
    the log gives the same state whenever it is done. A page rendering the state passes `now`:
    then nothing pending is planned before `now`, so a segment running past its planned end
    (an overrun) pushes back everything after it, minute by minute, without an event.
    """
    segments = list(session.segments.order_by("position", "created_at"))
    runs = {
        run.segment_id: run
        for run in SegmentRun.objects.filter(session=session).select_related("segment")
    }
    running = next((run for run in runs.values() if run.ended_at is None), None)

    def planned_end(run: SegmentRun) -> datetime:
        assert run.started_at is not None
        minutes = run.segment.duration_minutes + run.extension_minutes
        return run.started_at + timedelta(minutes=minutes)

    if running is not None:
        cursor = planned_end(running)
    else:
        ends = [run.ended_at for run in runs.values() if run.ended_at is not None]
        # Nothing has run: planned from the start as stored now, not as in the caller's copy
        # (a connection's, as old as the connection; the start may have been changed since).
        cursor = max(ends) if ends else _stored_start(session)
    if now is not None:
        cursor = max(cursor, now)

    items: list[dict[str, Any]] = []
    for segment in segments:
        run = runs.get(segment.pk)
        item: dict[str, Any] = {
            "id": str(segment.pk),
            "title": segment.title,
            "kind": segment.kind,
            "duration_minutes": segment.duration_minutes,
            "extension_minutes": run.extension_minutes if run else 0,
        }
        if run is None:
            item.update(
                status="pending",
                starts_at=_iso(cursor),
                ends_at=_iso(cursor + timedelta(minutes=segment.duration_minutes)),
            )
            cursor += timedelta(minutes=segment.duration_minutes)
        elif run.ended_at is None:
            item.update(
                status="running", starts_at=_iso(run.started_at), ends_at=_iso(planned_end(run))
            )
        else:
            item.update(
                status="skipped" if run.skipped else "done",
                starts_at=_iso(run.started_at),
                ends_at=_iso(run.ended_at),
            )
        items.append(item)

    current = next((item for item in items if item["status"] == "running"), None)
    after = items[items.index(current) + 1 :] if current else items
    upcoming = next((item for item in after if item["status"] == "pending"), None)
    if upcoming is None:
        upcoming = next((item for item in items if item["status"] == "pending"), None)
    if current is not None:
        status = "running"
    elif not runs:
        status = "not_started"
    elif upcoming is None:
        status = "finished"
    else:
        status = "between"
    return {
        "status": status,
        "current": current["id"] if current else None,
        "next": upcoming["id"] if upcoming else None,
        "segments": items,
    }


def group_state(number: int, members: list[str]) -> dict[str, Any]:
    return {"number": number, "members": sorted(members)}


def notes_state(notes: RoomNotes) -> dict[str, Any]:
    return {"number": notes.number, "rev": notes.rev}


def round_state(round_: Round) -> dict[str, Any]:
    """The round's groups as participant ids (names come from the server-rendered views), who
    waits for a place, and who the facilitator took out of it."""
    by_group: dict[int, list[str]] = {group.number: [] for group in round_.groups.all()}
    rows = GroupMember.objects.filter(group__round=round_).values_list(
        "group__number", "participant_id"
    )
    for number, participant_id in rows:
        by_group[number].append(str(participant_id))
    waiting = [str(pk) for pk in round_.waiting.values_list("pk", flat=True)]
    notes = {str(notes.pk): notes_state(notes) for notes in round_.notes.all()}
    return _round_state(round_, by_group, waiting, notes, taken_out_ids(round_))


def taken_out_ids(round_: Round) -> list[str]:
    """The people the facilitator took out of the round (and has not put back), sorted."""
    return sorted(str(pk) for pk in round_.taken_out.values_list("pk", flat=True))


def started_round_state(
    round_: Round, groups: Iterable[Iterable[str]], waiting: Iterable[str]
) -> dict[str, Any]:
    """`round_state` of a round just started with `groups` (numbered from 1) and `waiting`,
    without reading back what was just written."""
    by_group = {number: list(members) for number, members in enumerate(groups, start=1)}
    return _round_state(round_, by_group, list(waiting), {}, [])


def _round_state(
    round_: Round,
    by_group: dict[int, list[str]],
    waiting: list[str],
    notes: dict[str, dict[str, Any]],
    taken_out: list[str],
) -> dict[str, Any]:
    return {
        "id": str(round_.pk),
        "kind": round_.kind,
        "size": round_.size,
        "seed": round_.seed,
        "minutes": round_.minutes,
        "prompts": round_.prompts,
        "started_at": _iso(round_.started_at),
        "ends_at": _iso(round_.started_at + timedelta(minutes=round_.minutes)),
        "groups": [group_state(number, members) for number, members in sorted(by_group.items())],
        "waiting": sorted(waiting),
        "taken_out": sorted(taken_out),
        "room_prompts": list(round_.room_prompts),
        "message": round_.message,
        "message_at": _iso(round_.message_at),
        "closes_at": _iso(round_.closes_at),
        "notes": notes,
    }


def open_round(session: Session) -> Round | None:
    return Round.objects.filter(session=session, ended_at__isnull=True).first()


def present_ids(session: Session) -> list[str]:
    """Participants with at least one open connection to the session."""
    rows = (
        LivePresence.objects.filter(session=session, participant__isnull=False)
        .values_list("participant_id", flat=True)
        .distinct()
    )
    return sorted(str(pk) for pk in rows)


def snapshot(session: Session) -> dict[str, Any]:
    """Everything a live client shows, as of `seq` (read first: the rest is at least as new)."""
    seq = current_seq(session)
    round_ = open_round(session)
    return {
        "seq": seq,
        "runsheet": runsheet_state(session),
        "round": round_state(round_) if round_ is not None else None,
        "present": present_ids(session),
    }


def apply_event(state: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The state after one event (a new dict; `state` is not changed)."""
    kind, payload = event["kind"], event["payload"]
    new = {**state, "seq": max(state["seq"], event["seq"])}
    if kind in RUNSHEET_KINDS:
        new["runsheet"] = payload["runsheet"]
    elif kind == "round_started":
        new["round"] = payload["round"]
    elif kind == "round_changed":
        current = state["round"]
        if current is not None and current["id"] == payload["round_id"]:
            groups = {group["number"]: group for group in current["groups"]}
            for group in payload["groups"]:
                if group["members"]:
                    groups[group["number"]] = group
                else:
                    groups.pop(group["number"], None)
            new["round"] = {
                **current,
                "groups": [groups[number] for number in sorted(groups)],
                "waiting": payload["waiting"],
                # Events written before the round kept who was taken out carry no such list.
                "taken_out": payload.get("taken_out", current.get("taken_out", [])),
            }
    elif kind == "round_ended":
        current = state["round"]
        if current is not None and current["id"] == payload["round_id"]:
            new["round"] = None
    elif kind in ROOM_KINDS:
        current = state["round"]
        if current is not None and current["id"] == payload["round_id"]:
            known = current["notes"].get(payload.get("notes_id"))
            if kind == "notes_saved":
                # A replayed older save must not wind the rev back.
                if known is None or known["rev"] < payload["notes"]["rev"]:
                    notes = {**current["notes"], payload["notes_id"]: payload["notes"]}
                    new["round"] = {**current, "notes": notes}
            elif kind == "rooms_message":
                new["round"] = {
                    **current,
                    "message": payload["message"],
                    "message_at": payload["message_at"],
                }
            else:
                new["round"] = {**current, "closes_at": payload["closes_at"]}
    elif kind == "presence":
        present = set(state["present"])
        if payload["present"]:
            present.add(payload["participant"])
        else:
            present.discard(payload["participant"])
        new["present"] = sorted(present)
    elif "." in kind:
        # A workshop activity's event ("<activity>.<what>", see convenor.activities.registry):
        # activity state is read from the server-rendered panels, so only seq moves here.
        pass
    else:
        raise ValueError(f"Unknown event kind {kind!r}.")
    return new


def rounds_history(session: Session, exclude: Round | None = None) -> list[list[list[str]]]:
    """Every group of every round in the session's programme, oldest round first."""
    rows = (
        GroupMember.objects.filter(round__session__programme_id=session.programme_id)
        .filter(~Q(round=exclude) if exclude is not None else Q())
        .order_by("round__started_at", "round_id", "group__number")
        .values_list("round_id", "group_id", "participant_id")
    )
    rounds: dict[object, dict[object, list[str]]] = {}
    for round_id, group_id, participant_id in rows:
        rounds.setdefault(round_id, {}).setdefault(group_id, []).append(str(participant_id))
    return [list(groups.values()) for groups in rounds.values()]
