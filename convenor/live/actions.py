"""Every write to a live session: validate, write, and emit the event, in one transaction.

Each `do_*` function locks the session's live-state row first, so writes to one session run
one at a time (across processes, on PostgreSQL) and their events are numbered in commit order.
Invalid requests raise ValidationError with a message meant for the facilitator and change
nothing. Authorisation is the caller's job (convenor.programmes.access).
"""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import notes
from convenor.live.events import Personal, emit, lock_state
from convenor.live.models import (
    GroupMember,
    LivePresence,
    RoomGroup,
    RoomLeaving,
    Round,
    SegmentRun,
)
from convenor.live.rows import insert_rows
from convenor.live.state import (
    group_state,
    open_round,
    rounds_history,
    runsheet_state,
    started_round_state,
    taken_out_ids,
)
from convenor.matching import (
    Grouping,
    MatchingError,
    Person,
    Problem,
    add_person,
    group_sizes,
    match,
    remove_person,
)
from convenor.programmes.models import Participant
from convenor.programmes.pairs import pair_preferences
from convenor.workshops.models import Segment, Session

MAX_EXTENSION_MINUTES = 120
ROUND_SIZES = {Round.Kind.COFFEE: (2, 3), Round.Kind.BREAKOUT: (3, 8)}
MAX_ROUND_MINUTES = 120
MAX_PROMPT_CHARS = 5000
MAX_ROOMS = 200
MAX_MESSAGE_CHARS = 500
MAX_CLOSE_SECONDS = 600
# The shortest warning before the rooms close: people see the countdown, and their pages send
# what they typed last (see convenor.live.notes.CLOSING_GRACE).
MIN_CLOSE_SECONDS = 10
DEFAULT_PROMPTS = (
    "What brought you to this work, and what keeps you in it?\n"
    "What is one thing your organisation finds hard that the others might not see?\n"
    "What are you noticing so far today?"
)


def _ensure_open(session: Session) -> None:
    if session.programme.is_archived:
        raise ValidationError("This programme is archived and can no longer be changed.")


def _running(session: Session) -> SegmentRun | None:
    return (
        SegmentRun.objects.select_related("segment")
        .filter(session=session, ended_at__isnull=True)
        .first()
    )


def _runsheet_pushed(session: Session) -> dict[str, Any]:
    """`emit`'s `html`, `personal` and `everyone` for a run-sheet change: "now and next",
    rendered once, for every participant, and the activity region for those whose panels are
    alike (convenor.activities.pushed: a segment with no activity only says so). The others,
    and the facilitators' views, fetch their own."""
    from convenor.activities.dispatch import current_segment
    from convenor.activities.pushed import region_for_everyone
    from convenor.live.views import sheet_of  # the views render with these helpers

    # The caller's copy may be as old as the console's connection: the session as it is now
    # (its time zone, times and title), as each page's fetch would read it.
    session = Session.objects.select_related("programme").get(pk=session.pk)
    context = {"session": session, "sheet": sheet_of(session), "server_now": timezone.now()}
    regions: dict[str, str] = {"runsheet": render_to_string("live/_now.html", context)}
    alike = region_for_everyone(session, current_segment(session))
    if alike is None:
        return {"html": regions}
    return alike.emit_arguments(session.pk, regions)


def _emit_runsheet(session: Session, kind: str, segment: Segment) -> None:
    emit(
        session,
        kind,
        {"segment": str(segment.pk), "runsheet": runsheet_state(session)},
        **_runsheet_pushed(session),
    )


def _next_pending(session: Session, after: Segment | None) -> Segment | None:
    done = SegmentRun.objects.filter(session=session).values_list("segment_id", flat=True)
    pending = list(session.segments.exclude(pk__in=done).order_by("position", "created_at"))
    if after is not None:
        mark = (after.position, after.created_at)
        later = [s for s in pending if (s.position, s.created_at) > mark]
        if later:
            return later[0]
    return pending[0] if pending else None


# --- Run-sheet ------------------------------------------------------------------------------


def do_start_segment(
    session: Session, actor: User | None, segment: Segment | None = None
) -> SegmentRun:
    """Start `segment` (default: the next one not yet run), ending whatever is running."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        running = _running(session)
        if segment is None:
            segment = _next_pending(session, running.segment if running else None)
            if segment is None:
                raise ValidationError("Every segment has already been run or skipped.")
        elif segment.session_id != session.pk:
            raise ValidationError("This segment belongs to another session.")
        elif running is not None and running.segment_id == segment.pk:
            # A second click, or a co-facilitator's at the same moment: nothing more happens.
            raise ValidationError(f"“{segment.title}” is already running; nothing was changed.")
        elif SegmentRun.objects.filter(segment=segment).exists():
            raise ValidationError(f"“{segment.title}” has already been run or skipped.")
        now = timezone.now()
        if running is not None:
            running.ended_at = now
            running.save(update_fields=["ended_at"])
        run = SegmentRun.objects.create(session=session, segment=segment, started_at=now)
        _emit_runsheet(session, "segment_started", segment)
    return run


def _still_running(running: SegmentRun | None, segment: Segment | None, doing: str) -> SegmentRun:
    """The running segment's run, when it is `segment` (the one the facilitator's page showed
    running, if it said): else nothing is done, so that a second click, or two facilitators
    clicking at once, does not act twice or on the segment that came next."""
    if running is None:
        raise ValidationError(f"No segment is running, so there is nothing to {doing}.")
    if segment is not None and running.segment_id != segment.pk:
        raise ValidationError(
            f"“{segment.title}” is not running any more (“{running.segment.title}” is); "
            "nothing was changed."
        )
    return running


def do_extend_segment(
    session: Session,
    actor: User | None,
    minutes: int,
    segment: Segment | None = None,
    extended: int | None = None,
) -> SegmentRun:
    """Give the running segment more time; what follows moves later by as much.

    `segment` and `extended`: the segment the facilitator's page showed running and the
    minutes it showed it extended by already; when either has changed since (a double click,
    or another facilitator extended it meanwhile) nothing is done."""
    _ensure_open(session)
    if not 1 <= minutes <= 60:
        raise ValidationError("Extend by 1 to 60 minutes at a time.")
    with transaction.atomic():
        lock_state(session)
        running = _still_running(_running(session), segment, "extend")
        if extended is not None and running.extension_minutes != extended:
            raise ValidationError(
                f"“{running.segment.title}” has just been extended (by "
                f"{running.extension_minutes} min in all); nothing more was added. "
                "Extend it again if it needs more."
            )
        if running.extension_minutes + minutes > MAX_EXTENSION_MINUTES:
            raise ValidationError(
                f"A segment can be extended by at most {MAX_EXTENSION_MINUTES} minutes in all."
            )
        running.extension_minutes += minutes
        running.save(update_fields=["extension_minutes"])
        _emit_runsheet(session, "segment_extended", running.segment)
    return running


def do_end_segment(
    session: Session, actor: User | None, segment: Segment | None = None
) -> SegmentRun:
    """End the running segment now (early or late: what follows is re-timed from now);
    `segment`: the one the facilitator's page showed running (see _still_running)."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        running = _still_running(_running(session), segment, "end")
        running.ended_at = timezone.now()
        running.save(update_fields=["ended_at"])
        _emit_runsheet(session, "segment_ended", running.segment)
        _end_round_if_finished(session)
    return running


def _end_round_if_finished(session: Session) -> None:
    """When the last segment has been run or skipped, the session is over: a round still
    open ends with it (pages would say "That is the end of the session" beside "You are
    with…" and a video room). Notes typed as it ends are still saved (notes.CLOSING_GRACE)."""
    round_ = open_round(session)
    if round_ is not None and _next_pending(session, None) is None:
        _end_round(round_)


def do_skip_segment(
    session: Session, actor: User | None, segment: Segment | None = None
) -> SegmentRun:
    """Skip `segment` (default: the running one, else the next one not yet run)."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        now = timezone.now()
        running = _running(session)
        if segment is None:
            segment = running.segment if running else _next_pending(session, None)
            if segment is None:
                raise ValidationError("There is no segment left to skip.")
        elif segment.session_id != session.pk:
            raise ValidationError("This segment belongs to another session.")
        if running is not None and running.segment_id == segment.pk:
            running.ended_at = now
            running.skipped = True
            running.save(update_fields=["ended_at", "skipped"])
            run = running
        elif SegmentRun.objects.filter(segment=segment).exists():
            raise ValidationError(f"“{segment.title}” has already been run or skipped.")
        else:
            run = SegmentRun.objects.create(
                session=session, segment=segment, ended_at=now, skipped=True
            )
        _emit_runsheet(session, "segment_skipped", segment)
        if _running(session) is None:
            _end_round_if_finished(session)
    return run


def do_runsheet_edited(session: Session) -> None:
    """Tell live clients that segments were added, changed, moved or deleted.

    For the run-sheet editing actions to call inside their own transaction, after the change
    (convenor.workshops.actions: a segment added, changed, moved or deleted, a run-sheet
    built from a template or copied, the session's start or time zone changed).
    """
    with transaction.atomic():
        lock_state(session)
        # The caller's copy may predate the change (a new start, a new time zone).
        session = Session.objects.select_related("programme").get(pk=session.pk)
        emit(
            session,
            "runsheet_edited",
            {"segment": None, "runsheet": runsheet_state(session)},
            **_runsheet_pushed(session),
        )


# --- Rounds ---------------------------------------------------------------------------------


def _pushed(session: Session) -> Personal:
    """Each affected participant's group region, sent to its tabs with a round event."""
    from convenor.live.parts import round_parts  # parts renders with the views' helpers

    return round_parts(session.pk)


def _person(participant: Participant) -> Person:
    return Person(
        id=str(participant.pk),
        attributes={"organisation": participant.organisation, "sector": participant.sector},
    )


def _current_grouping(round_: Round) -> tuple[dict[int, set[str]], list[str]]:
    groups: dict[int, set[str]] = {group.number: set() for group in round_.groups.all()}
    rows = GroupMember.objects.filter(round=round_).values_list("group__number", "participant_id")
    for number, participant_id in rows:
        groups[number].add(str(participant_id))
    waiting = sorted(str(pk) for pk in round_.waiting.values_list("pk", flat=True))
    return groups, waiting


def _as_grouping(groups: dict[int, set[str]], waiting: list[str]) -> Grouping:
    ordered = tuple(tuple(sorted(groups[n])) for n in sorted(groups) if groups[n])
    return Grouping(groups=ordered, unmatched=tuple(waiting))


def _problem(round_: Round, people: list[Participant]) -> Problem:
    ids = {str(p.pk) for p in people}
    avoid, want = pair_preferences(round_.session.programme, among=ids)
    return Problem(
        people=[_person(p) for p in people],
        size=round_.size,
        history=rounds_history(round_.session, exclude=round_),
        avoid=avoid,
        want=want,
        seed=round_.seed,
    )


def _new_group(round_: Round, number: int) -> RoomGroup:
    return RoomGroup.objects.create(
        round=round_, number=number, room_token=secrets.token_urlsafe(16)
    )


def _save_grouping(
    round_: Round, grouping: Grouping, vacated: int | None = None, *, marked: bool = False
) -> None:
    """Store `grouping` as the round's groups, keeping numbers (and rooms) where people stay,
    and emit the groups that changed (with who waits and who is taken out; `marked`: the
    taken-out list changed, so the event is written even when no group did). A new group
    overlapping two old ones equally keeps the number of the one that is not `vacated` (the
    leaver's, whose last member moved out)."""
    old, old_waiting = _current_grouping(round_)
    used: set[int] = set()
    new: dict[int, set[str]] = {}
    fresh: list[set[str]] = []
    for members in grouping.groups:
        wanted = set(members)
        overlap = sorted(
            (len(wanted & old[n]), n != vacated, -n)
            for n in old
            if n not in used and wanted & old[n]
        )
        if overlap:
            number = -overlap[-1][2]
            used.add(number)
            new[number] = wanted
        else:
            fresh.append(wanted)
    next_number = max(old, default=0) + 1
    for placed in fresh:
        new[next_number] = placed
        next_number += 1

    changed = sorted(n for n in set(old) | set(new) if old.get(n, set()) != new.get(n, set()))
    moved = set().union(*(old.get(n, set()) for n in changed))
    groups = {group.number: group for group in round_.groups.all()}
    if round_.kind == Round.Kind.BREAKOUT:
        # Whoever leaves a room may have a notes save on its way: it still counts for a moment.
        RoomLeaving.objects.bulk_create(
            RoomLeaving(group=groups[number], participant_id=pid)
            for number in changed
            if number in groups
            for pid in old.get(number, set()) - new.get(number, set())
        )
    GroupMember.objects.filter(round=round_, participant_id__in=moved).delete()
    RoomGroup.objects.filter(round=round_, number__in=[n for n in changed if n not in new]).delete()
    groups = {
        number: group for number, group in groups.items() if number in new or number not in changed
    }
    rows = []
    for number in changed:
        if number not in new:
            continue
        group = groups.get(number) or _new_group(round_, number)
        rows += [GroupMember(group=group, round=round_, participant_id=pid) for pid in new[number]]
    GroupMember.objects.bulk_create(rows)
    waiting = sorted(grouping.unmatched)
    round_.waiting.set(Participant.objects.filter(pk__in=waiting))
    if changed or waiting != old_waiting or marked:
        emit(
            round_.session,
            "round_changed",
            {
                "round_id": str(round_.pk),
                "groups": [group_state(n, list(new.get(n, set()))) for n in changed],
                "waiting": waiting,
                "taken_out": taken_out_ids(round_),
            },
            personal=_pushed(round_.session),
        )


def _round_people(round_: Round, extra: Participant | None = None) -> list[Participant]:
    groups, waiting = _current_grouping(round_)
    ids = set(waiting).union(*groups.values())
    people = list(Participant.objects.filter(pk__in=ids).order_by("pk"))
    if extra is not None and str(extra.pk) not in ids:
        people.append(extra)
    return people


def _in_round(round_: Round, participant: Participant) -> bool:
    return (
        GroupMember.objects.filter(round=round_, participant=participant).exists()
        or round_.waiting.filter(pk=participant.pk).exists()
    )


def _locked_open_round(round_: Round) -> Round:
    lock_state(round_.session)
    fresh = Round.objects.select_related("session__programme").get(pk=round_.pk)
    if fresh.ended_at is not None:
        raise ValidationError("This round has ended.")
    return fresh


def do_start_round(
    session: Session,
    actor: User | None,
    *,
    kind: str = Round.Kind.COFFEE,
    size: int = 2,
    minutes: int = 15,
    prompts: str | None = None,
    seed: int | None = None,
    rooms: int | None = None,
    room_prompts: list[str] | None = None,
) -> Round:
    """Group everyone present with the programme's whole history of rounds behind them.

    Breakouts may ask for a number of `rooms` instead of a `size` (then exactly that many
    rooms are made, their sizes differing by at most one), and one prompt per room. No
    breakout room holds more than 8, and no coffee-trial group more than 3: a `size` that
    would make larger groups (e.g. 10 people in eights, or 7 in threes, which the engine makes
    4 + 3) makes the fewest groups of at most 8 (or 3) instead; a number of `rooms` that would
    need larger rooms, or rooms of one, is refused, saying how many to ask for.
    """
    _ensure_open(session)
    if kind not in ROUND_SIZES:
        raise ValidationError("A round is a coffee trial or breakout groups.")
    low, high = ROUND_SIZES[Round.Kind(kind)]
    if rooms is not None:
        if kind != Round.Kind.BREAKOUT:
            raise ValidationError("Only breakout rounds can be given a number of rooms.")
        if not 1 <= rooms <= MAX_ROOMS:
            raise ValidationError(f"Ask for 1 to {MAX_ROOMS} rooms.")
    elif not low <= size <= high:
        raise ValidationError(f"Groups in this kind of round have {low} to {high} people.")
    if not 1 <= minutes <= MAX_ROUND_MINUTES:
        raise ValidationError(f"A round lasts 1 to {MAX_ROUND_MINUTES} minutes.")
    if prompts is not None and len(prompts) > MAX_PROMPT_CHARS:
        raise ValidationError("The prompts can be at most 5,000 characters long.")
    room_prompts = [p.strip() for p in room_prompts or [] if p.strip()]
    if room_prompts and kind != Round.Kind.BREAKOUT:
        raise ValidationError("Only breakout rounds have a prompt per room.")
    if len(room_prompts) > MAX_ROOMS or any(len(p) > MAX_PROMPT_CHARS for p in room_prompts):
        raise ValidationError(
            f"Give at most {MAX_ROOMS} room prompts of at most 5,000 characters each."
        )
    with transaction.atomic():
        lock_state(session)
        if open_round(session) is not None:
            raise ValidationError("A round is already running; end it first.")
        people = list(
            Participant.objects.filter(presences__session=session)
            .distinct()
            .order_by("pk")
            .only("pk", "organisation", "sector")
        )
        if len(people) < 2:
            raise ValidationError("At least two participants must be here to start a round.")
        groups = None
        if rooms is not None:
            size = _size_for_rooms(len(people), rooms, high)
            groups = rooms
        else:
            groups = _capped_groups(len(people), size, high)
            if groups is not None:
                size = len(people) // groups
        running = _running(session)
        segment = running.segment if running is not None else None
        if prompts is None:
            prompts = DEFAULT_PROMPTS
            if segment is not None and segment.prompts:
                prompts = segment.prompts
        round_ = Round.objects.create(
            session=session,
            segment=segment,
            kind=kind,
            size=size,
            minutes=minutes,
            prompts=prompts.strip(),
            room_prompts=room_prompts,
            seed=secrets.randbelow(2**31) if seed is None else seed,
        )
        grouping = match(replace(_problem(round_, people), groups=groups))
        # Hundreds of rows: written without a model instance each (convenor.live.rows).
        group_ids = [uuid.uuid4() for _ in grouping.groups]
        insert_rows(
            RoomGroup,
            ["id", "round", "number", "room_token"],
            (
                (group_id, round_.pk, number, secrets.token_urlsafe(16))
                for number, group_id in enumerate(group_ids, start=1)
            ),
        )
        insert_rows(
            GroupMember,
            ["group", "round", "participant"],
            (
                (group_id, round_.pk, pid)
                for group_id, members in zip(group_ids, grouping.groups, strict=True)
                for pid in members
            ),
        )
        round_.waiting.set(Participant.objects.filter(pk__in=grouping.unmatched))
        # Every participant here gets its own group; the whole round goes to the facilitators.
        emit(
            session,
            "round_started",
            {"round": started_round_state(round_, grouping.groups, grouping.unmatched)},
            personal=_pushed(session),
            everyone=False,
        )
    return round_


def _size_for_rooms(people: int, rooms: int, high: int) -> int:
    """The smaller room size when `people` make exactly `rooms` rooms (sizes differing by at
    most one, as the engine makes them), if every room then holds 2 to `high` (asked for a
    number of rooms, a room may be a pair: 5 people in 2 rooms are 3 + 2); else a
    ValidationError saying how many rooms to ask for."""
    smallest, largest = people // rooms, -(-people // rooms)
    if smallest >= 2 and largest <= high:
        return smallest
    asked = f"The {people} people here cannot make {rooms} room{'s' if rooms != 1 else ''}"
    if largest > high:
        fewest = -(-people // high)
        raise ValidationError(
            f"{asked}: a room holds at most {high} people. Ask for at least {fewest} rooms."
        )
    most = people // 2
    raise ValidationError(
        f"{asked} of at least 2 people. Ask for at most {most} "
        f"room{'s' if most != 1 else ''}, or choose a group size."
    )


def _capped_groups(people: int, size: int, high: int) -> int | None:
    """How many groups to make when groups of `size` would make one of more than `high` (the
    engine makes groups of size or size + 1, e.g. 10 people in eights are one room of 10, and
    7 people in threes are a four and a three): the fewest groups of at most `high` (7 people
    in threes: 3 + 2 + 2). None when `size` is fine as it is."""
    sizes = group_sizes(people, size)
    if not sizes or max(sizes) <= high:
        return None
    return -(-people // high)


def _room_cap(round_: Round) -> int:
    """The most people one group may hold, whoever leaves or arrives: a breakout room 8, a
    coffee-trial group 3 (the product promises pairs and threes)."""
    return ROUND_SIZES[Round.Kind(round_.kind)][1]


def _taken_out(round_: Round, participant: Participant) -> bool:
    return round_.taken_out.filter(pk=participant.pk).exists()


def _place(round_: Round, participant: Participant, *, marked: bool = False) -> None:
    """Add `participant` (in no group and not waiting) to the locked round without moving
    anyone else, within the round's cap (see do_add_latecomer)."""
    people = _round_people(round_, participant)
    groups, waiting = _current_grouping(round_)
    grouping = add_person(
        _problem(round_, people),
        _as_grouping(groups, waiting),
        str(participant.pk),
        most=_room_cap(round_),
    )
    _save_grouping(round_, grouping, marked=marked)


def do_add_latecomer(round_: Round, participant: Participant) -> bool:
    """Place someone who arrived during the round without moving anyone else.

    Coffee trial (no group above 3): they pair with someone waiting, else join a pair (making
    a three), else wait; the next person who arrives pairs with them. In a breakout they join
    a room with space and never make one larger than 8. When every room is full they wait (on
    the round's waiting list, which the facilitator sees) rather than sit alone in a new room;
    the next person who finds every room full opens a new room with them.

    Returns False (and changes nothing) when they are already in the round, or when the
    facilitator took them out of it (until put back: see do_put_back).
    """
    if participant.programme_id != round_.session.programme_id:
        raise ValidationError("This person is not in this programme.")
    with transaction.atomic():
        round_ = _locked_open_round(round_)
        if _in_round(round_, participant) or _taken_out(round_, participant):
            return False
        _place(round_, participant)
    return True


def do_remove_participant(round_: Round, participant: Participant, actor: User | None) -> None:
    """Take someone out of the round; a partner left alone is re-homed. Nobody else moves,
    except in a coffee trial perhaps one member of a three (below).

    With an `actor` (the facilitator's "take out") they are marked as taken out: they are not
    placed in this round again, not even when they reconnect, until the facilitator puts them
    back (do_put_back). Without one (the presence sweep: they left) nothing is marked, and
    they are placed again when they come back.

    Coffee trial (no group above 3): a three losing one stays a pair, taking the person
    waiting if anyone waits; a person left alone joins a pair, else pairs with whoever waits,
    else stays put and one member of a three joins them (the one the engine's priorities
    favour: who met whom across the programme, mixing by organisation and sector, avoid and
    want pairs), so that they are not left alone while a three could become two pairs; they
    wait only if everyone in a three is someone they avoid. (A latecomer finding only threes
    still waits: nobody leaves a conversation under way for them.) Breakout: a room that
    still holds two or more people stays together (same number, notes and video room;
    someone waiting takes the freed place); only a person left alone moves, into the smallest
    room with space (never above 8), else waits (no room gives up a member for them). Their
    old room's notes stay with the round and room number.
    """
    with transaction.atomic():
        round_ = _locked_open_round(round_)
        if not _in_round(round_, participant):
            raise ValidationError(f"{participant.display_name} is not in this round.")
        groups, waiting = _current_grouping(round_)
        pid = str(participant.pk)
        try:
            grouping = remove_person(
                _problem(round_, _round_people(round_)),
                _as_grouping(groups, waiting),
                pid,
                most=_room_cap(round_),
                borrow=round_.kind == Round.Kind.COFFEE,
            )
        except MatchingError as error:
            raise ValidationError(str(error)) from error
        vacated = next((n for n, members in groups.items() if pid in members), None)
        # Groups that kept most of their members claim their numbers (and rooms) first: when a
        # three gives up one member to a partner left alone, its pair keeps the three's number
        # and the lone partner's group keeps its own.
        kept = sorted(
            grouping.groups,
            key=lambda g: -max((len(set(g) & old) for old in groups.values()), default=0),
        )
        grouping = replace(grouping, groups=tuple(kept))
        marked = actor is not None
        if marked:
            round_.taken_out.add(participant)
        _save_grouping(round_, grouping, vacated=vacated, marked=marked)


def do_put_back(round_: Round, participant: Participant, actor: User | None) -> bool:
    """Undo the facilitator's "take out": clear the mark and, if they are here, place them
    as a latecomer (within the round's cap: see do_add_latecomer). Returns whether they were
    placed now; someone not connected is placed when they come back.

    Refused (ValidationError, nothing changed) when the round has ended or they are not
    taken out of it.
    """
    if participant.programme_id != round_.session.programme_id:
        raise ValidationError("This person is not in this programme.")
    with transaction.atomic():
        round_ = _locked_open_round(round_)
        if not _taken_out(round_, participant):
            raise ValidationError(
                f"{participant.display_name} has not been taken out of this round, "
                "so there is nothing to put back."
            )
        round_.taken_out.remove(participant)
        here = LivePresence.objects.filter(session=round_.session, participant=participant).exists()
        if here:
            _place(round_, participant, marked=True)
        else:
            groups, waiting = _current_grouping(round_)
            _save_grouping(round_, _as_grouping(groups, waiting), marked=True)
    return here


def do_swap(round_: Round, a: Participant, b: Participant, actor: User | None) -> None:
    """Exchange two people's places (groups, or a group and the waiting list)."""
    if a.pk == b.pk:
        raise ValidationError("Choose two different people to swap.")
    with transaction.atomic():
        round_ = _locked_open_round(round_)
        groups, waiting = _current_grouping(round_)
        place: dict[str, int | None] = {pid: None for pid in waiting}
        for number, members in groups.items():
            place.update({pid: number for pid in members})
        ida, idb = str(a.pk), str(b.pk)
        for person in (a, b):
            if str(person.pk) not in place:
                raise ValidationError(f"{person.display_name} is not in this round.")
        if place[ida] == place[idb]:
            raise ValidationError(
                f"{a.display_name} and {b.display_name} are already in the same group."
            )
        for pid, other in ((ida, idb), (idb, ida)):
            target = place[other]
            if target is None:
                waiting.append(pid)
            else:
                groups[target].add(pid)
        for pid in (ida, idb):
            origin = place[pid]
            if origin is None:
                waiting.remove(pid)
            else:
                groups[origin].discard(pid)
        ordered = sorted(groups)
        swapped = Grouping(
            groups=tuple(tuple(sorted(groups[n])) for n in ordered),
            unmatched=tuple(sorted(waiting)),
        )
        _save_grouping(round_, swapped)


def do_end_round(round_: Round, actor: User | None) -> Round:
    """Close the round; its groups become history for every later round in the programme."""
    with transaction.atomic():
        round_ = _locked_open_round(round_)
        _end_round(round_)
    return round_


def _end_round(round_: Round) -> None:
    """End the open round, whose session's live state is locked."""
    round_.ended_at = timezone.now()
    round_.save(update_fields=["ended_at"])
    # What every participant's group region shows now is the same: sent with the event.
    no_round = render_to_string("live/_my_group.html", {"round": None})
    emit(round_.session, "round_ended", {"round_id": str(round_.pk)}, html={"round": no_round})


# --- Breakout rooms -----------------------------------------------------------------------


class NotesConflict(Exception):
    """A save based on a rev too old to merge: nothing was written; `rev` and `text` are what
    is stored now."""

    def __init__(self, rev: int, text: str, message: str) -> None:
        super().__init__(message)
        self.rev = rev
        self.text = text


def _locked_breakout(round_: Round) -> Round:
    round_ = _locked_open_round(round_)
    if round_.kind != Round.Kind.BREAKOUT:
        raise ValidationError("This is not a breakout round.")
    if round_.rooms_closed():
        raise ValidationError("The rooms have closed.")
    return round_


def do_save_notes(
    group: RoomGroup, participant: Participant, text: str, rev: int, sid: str | None = None
) -> notes.Outcome:
    """Save a member's text of a room's notes, based on `rev` (see convenor.live.notes): merged
    with what others saved since; the outcome has the rev and, when merged, the text stored.

    Raises ValidationError (nothing written) or NotesConflict when `rev` is too old to merge.
    """
    save = notes.Save(group.round.session_id, participant.pk, group.pk, text, rev, sid)
    (outcome,) = notes.save_all([save])
    if outcome.kind == "error":
        raise ValidationError(outcome.message)
    if outcome.kind == "conflict":
        raise NotesConflict(outcome.rev, outcome.text or "", outcome.message)
    return outcome


def do_message_rooms(round_: Round, actor: User | None, message: str) -> Round:
    """Show a message from the facilitator in every room (it replaces the previous one)."""
    message = message.strip()
    if not message:
        raise ValidationError("Write a message to send.")
    if len(message) > MAX_MESSAGE_CHARS:
        raise ValidationError(f"A message can be at most {MAX_MESSAGE_CHARS} characters long.")
    with transaction.atomic():
        round_ = _locked_breakout(round_)
        round_.message = message
        round_.message_at = timezone.now()
        round_.save(update_fields=["message", "message_at"])
        emit(
            round_.session,
            "rooms_message",
            {
                "round_id": str(round_.pk),
                "message": message,
                "message_at": round_.message_at.isoformat(),
            },
        )
    return round_


def do_move(round_: Round, participant: Participant, number: int, actor: User | None) -> None:
    """Move someone (in a room or waiting) into room `number`; nobody else moves."""
    with transaction.atomic():
        round_ = _locked_breakout(round_)
        groups, waiting = _current_grouping(round_)
        pid = str(participant.pk)
        if number not in groups:
            raise ValidationError(f"There is no room {number} in this round.")
        if pid in groups[number]:
            raise ValidationError(f"{participant.display_name} is already in room {number}.")
        if pid not in waiting and not any(pid in members for members in groups.values()):
            raise ValidationError(f"{participant.display_name} is not in this round.")
        high = ROUND_SIZES[Round.Kind.BREAKOUT][1]
        if len(groups[number]) >= high:
            raise ValidationError(
                f"Room {number} already has {high} people, the most a room can hold. "
                "Choose a room with fewer people."
            )
        # Written directly rather than through _save_grouping, whose matching of old to new
        # groups by overlap could renumber a small room; room numbers name the notes.
        origin = next((n for n, members in groups.items() if pid in members), None)
        was_in = GroupMember.objects.filter(round=round_, participant=participant)
        if origin is not None:
            # A notes save they sent just before still counts (see _save_grouping).
            RoomLeaving.objects.create(
                group_id=was_in.values_list("group_id", flat=True).get(), participant=participant
            )
        was_in.delete()
        target = round_.groups.get(number=number)
        GroupMember.objects.create(group=target, round=round_, participant=participant)
        round_.waiting.remove(participant)
        groups[number].add(pid)
        changed = [group_state(number, list(groups[number]))]
        if origin is not None:
            groups[origin].discard(pid)
            changed.append(group_state(origin, list(groups[origin])))
            if not groups[origin]:
                round_.groups.filter(number=origin).delete()
        emit(
            round_.session,
            "round_changed",
            {
                "round_id": str(round_.pk),
                "groups": sorted(changed, key=lambda group: group["number"]),
                "waiting": sorted(other for other in waiting if other != pid),
                "taken_out": taken_out_ids(round_),
            },
            personal=_pushed(round_.session),
        )


def do_close_rooms(round_: Round, actor: User | None, seconds: int = 60) -> Round:
    """Close the rooms after a warning of `seconds`; from then on their notes are read-only."""
    if isinstance(seconds, bool) or not MIN_CLOSE_SECONDS <= seconds <= MAX_CLOSE_SECONDS:
        raise ValidationError(
            f"Give {MIN_CLOSE_SECONDS} to {MAX_CLOSE_SECONDS} seconds of warning, so people "
            "can finish their notes."
        )
    with transaction.atomic():
        round_ = _locked_breakout(round_)
        if round_.closes_at is not None:
            raise ValidationError("The rooms are already closing.")
        round_.closes_at = timezone.now() + timedelta(seconds=seconds)
        round_.save(update_fields=["closes_at"])
        emit(
            round_.session,
            "rooms_closing",
            {"round_id": str(round_.pk), "closes_at": round_.closes_at.isoformat()},
        )
    return round_


# --- Presence -------------------------------------------------------------------------------


def _emit_presence(session: Session, participant_id: object, present: bool) -> None:
    emit(session, "presence", {"participant": str(participant_id), "present": present})


def do_connect(
    session: Session,
    channel_name: str,
    *,
    participant: Participant | None = None,
    user: User | None = None,
) -> LivePresence:
    """Record an open connection; a participant's first one says they are here.

    A participant arriving while a round is open is placed in it straight away.
    """
    with transaction.atomic():
        lock_state(session)
        presence = LivePresence.objects.create(
            session=session, participant=participant, user=user, channel_name=channel_name
        )
        if participant is not None:
            count = LivePresence.objects.filter(session=session, participant=participant).count()
            if count == 1:
                _emit_presence(session, participant.pk, True)
            round_ = open_round(session)
            if round_ is not None:
                do_add_latecomer(round_, participant)
    return presence


def do_disconnect(channel_name: str) -> LivePresence | None:
    """Forget a closed connection; a participant's last one says they have gone."""
    presence = (
        LivePresence.objects.select_related("session", "participant")
        .filter(channel_name=channel_name)
        .first()
    )
    if presence is None:
        return None
    with transaction.atomic():
        lock_state(presence.session)
        deleted, _ = LivePresence.objects.filter(pk=presence.pk).delete()
        if deleted and presence.participant_id is not None:
            still = LivePresence.objects.filter(
                session=presence.session, participant_id=presence.participant_id
            ).exists()
            if not still:
                _emit_presence(presence.session, presence.participant_id, False)
    return presence


# Channel names per statement when marking connections alive (well under SQLite's limit on a
# statement's parameters).
TOUCH_CHUNK = 500


def touch_presences(channel_names: Sequence[str]) -> None:
    """Mark connections as alive (heartbeats); no event."""
    now = timezone.now()
    names = sorted(set(channel_names))
    for start in range(0, len(names), TOUCH_CHUNK):
        chunk = names[start : start + TOUCH_CHUNK]
        LivePresence.objects.filter(channel_name__in=chunk).update(last_seen_at=now)


def expire_presence(
    session: Session, before: datetime, *, opened_before: datetime | None = None
) -> list[Participant]:
    """Forget connections whose process died: not marked alive since `before`, or (when one
    process serves every tab) opened before `opened_before`, when that process started.

    Returns the participants who now have no connection at all: each has been told gone.
    """
    dead = Q(last_seen_at__lt=before)
    if opened_before is not None:
        dead |= Q(connected_at__lt=opened_before)
    if not LivePresence.objects.filter(dead, session=session).exists():
        return []  # the common case, without taking the session's lock
    with transaction.atomic():
        lock_state(session)
        stale = LivePresence.objects.filter(dead, session=session)
        left = set(stale.exclude(participant=None).values_list("participant_id", flat=True))
        stale.delete()
        still = set(
            LivePresence.objects.filter(session=session, participant_id__in=left).values_list(
                "participant_id", flat=True
            )
        )
        gone = sorted(left - still, key=str)
        for participant_id in gone:
            _emit_presence(session, participant_id, False)
    return list(Participant.objects.filter(pk__in=gone))


def remove_if_gone(session: Session, participant: Participant) -> bool:
    """After a grace period: take a participant who is still not connected out of the round."""
    with transaction.atomic():
        lock_state(session)
        round_ = open_round(session)
        if round_ is None:
            return False
        if LivePresence.objects.filter(session=session, participant=participant).exists():
            return False
        if not _in_round(round_, participant):
            return False
        do_remove_participant(round_, participant, None)
    return True
