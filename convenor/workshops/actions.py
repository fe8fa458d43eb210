"""Every write to sessions, run-sheets and calendar feeds goes through one function here.

As in convenor.programmes.actions: each function validates (raising ValidationError keyed by
form field where there is one, and writing nothing), then writes inside a transaction.
Authorisation is the caller's job (convenor.programmes.access). Run-sheet changes lock the
session first (its live state, then its row: `_lock`), so two facilitators editing at once
cannot interleave positions.

A change that live pages show (the segments, the session's start or time zone) writes the
`runsheet_edited` event in the same transaction (convenor.live.actions.do_runsheet_edited), so
open consoles and participants' pages show it at once.
"""

from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from convenor.accounts.models import User
from convenor.live.actions import do_runsheet_edited
from convenor.live.events import lock_state
from convenor.programmes.invites import hash_token, new_token
from convenor.programmes.models import Programme
from convenor.workshops.models import CalendarFeed, Segment, Session, validate_time_zone
from convenor.workshops.templates_builtin import TEMPLATES

SESSION_FIELDS = frozenset(
    {
        "title",
        "description",
        "starts_on",
        "start_time",
        "time_zone",
        "duration_minutes",
        "format",
        "video_url_template",
        "venue",
    }
)
SEGMENT_FIELDS = frozenset({"title", "kind", "duration_minutes", "facilitator_notes", "prompts"})
NEEDS_VENUE = {Session.Format.IN_PERSON, Session.Format.HYBRID}


def _ensure_open(programme: Programme) -> None:
    if programme.is_archived:
        raise ValidationError("This programme is archived and can no longer be changed.")


def _check_fields(given: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(given) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


def _clean_text(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.strip() if isinstance(value, str) else value for key, value in fields.items()
    }


def local_to_utc(day: date, start: time, zone_name: str) -> datetime:
    """The instant a wall-clock time on a day in a zone names.

    A time skipped by a daylight-saving change (01:30 in London on the last Sunday of March)
    names no instant and is refused; a time that happens twice is taken the first time.
    """
    validate_time_zone(zone_name)
    local = datetime.combine(day, start.replace(tzinfo=None, fold=0), tzinfo=ZoneInfo(zone_name))
    instant = local.astimezone(UTC)
    if instant.astimezone(local.tzinfo).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(
            {
                "start_time": f"{start:%H:%M} does not exist on {day:%-d %B %Y} in {zone_name}: "
                "the clocks go forward then. Choose another time."
            }
        )
    return instant


def _apply_session_fields(session: Session, fields: dict[str, Any]) -> None:
    """Set fields on an unsaved or locked session and validate it as a whole."""
    fields = _clean_text(fields)
    when = {key: fields.pop(key) for key in ("starts_on", "start_time") if key in fields}
    old_zone = session.time_zone
    for key, value in fields.items():
        setattr(session, key, value)
    errors: dict[str, list[str]] = {}
    try:
        validate_time_zone(session.time_zone)
    except ValidationError as error:
        errors["time_zone"] = error.messages
    if session.starts_at is None or when or session.time_zone != old_zone:
        if session.starts_at is None:
            day, start = when.get("starts_on"), when.get("start_time")
        else:
            # Unchanged parts keep the wall clock the facilitator saw, so a change of zone
            # alone keeps "10:00" and moves the instant.
            seen = session.starts_at.astimezone(ZoneInfo(old_zone))
            day = when.get("starts_on", seen.date())
            start = when.get("start_time", seen.time())
        if not isinstance(day, date):
            errors["starts_on"] = ["Give the date of the session."]
        if not isinstance(start, time):
            errors["start_time"] = ["Give the start time."]
        if not errors:
            assert isinstance(day, date) and isinstance(start, time)
            try:
                session.starts_at = local_to_utc(day, start, session.time_zone)
            except ValidationError as error:
                errors.update(error.message_dict)
    if session.format in NEEDS_VENUE and not session.venue:
        errors.setdefault("venue", []).append(
            "Give the venue: an in-person or hybrid session needs one."
        )
    try:
        session.full_clean(exclude=["programme", "starts_at"] if errors else ["programme"])
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            target = "start_time" if key == "starts_at" else key
            if target not in errors:
                errors.setdefault(target, []).extend(messages)
    if errors:
        raise ValidationError(errors)


# --- Sessions -------------------------------------------------------------------------------


def create_session(programme: Programme, actor: User, **fields: Any) -> Session:
    """Add a session to a programme's series; starts_on/start_time are in time_zone's clock."""
    _check_fields(fields, SESSION_FIELDS)
    _ensure_open(programme)
    session = Session(programme=programme)
    session.starts_at = None  # type: ignore[assignment]  # set from the local date and time
    _apply_session_fields(session, fields)
    session.save()
    return session


def update_session(session: Session, actor: User, **changes: Any) -> Session:
    """Change a session; the caller's instance is left as it was on error."""
    _check_fields(changes, SESSION_FIELDS)
    with transaction.atomic():
        fresh = _lock(session)
        shown = (fresh.starts_at, fresh.time_zone)
        _apply_session_fields(fresh, changes)
        fresh.save()
        # Live pages plan what is pending from the start and show times in the session's zone.
        if (fresh.starts_at, fresh.time_zone) != shown:
            do_runsheet_edited(fresh)
    return fresh


def delete_session(session: Session, actor: User) -> None:
    """Delete a session and its run-sheet."""
    _ensure_open(session.programme)
    session.delete()


# --- Run-sheet ------------------------------------------------------------------------------


def _lock(session: Session) -> Session:
    """The session, locked for the rest of the transaction: its live state first (as the live
    actions do, which lock nothing else before writing), then its row, so that an edit and a
    live action (which may write rows referring to the session or its segments) cannot wait
    on each other."""
    lock_state(session)
    fresh = Session.objects.select_for_update().select_related("programme").get(pk=session.pk)
    _ensure_open(fresh.programme)
    return fresh


def _renumber(session: Session) -> None:
    for index, segment in enumerate(session.segments.order_by("position", "created_at")):
        if segment.position != index:
            Segment.objects.filter(pk=segment.pk).update(position=index)


def add_segment(session: Session, actor: User, **fields: Any) -> Segment:
    """Append a segment to the end of a session's run-sheet."""
    _check_fields(fields, SEGMENT_FIELDS)
    with transaction.atomic():
        locked = _lock(session)
        last = locked.segments.aggregate(last=Max("position"))["last"]
        segment = Segment(
            session=locked, position=0 if last is None else last + 1, **_clean_text(fields)
        )
        segment.full_clean()
        segment.save()
        do_runsheet_edited(locked)
    return segment


def update_segment(segment: Segment, actor: User, **changes: Any) -> Segment:
    """Change a segment's title, kind, duration, notes or prompts."""
    _check_fields(changes, SEGMENT_FIELDS)
    with transaction.atomic():
        locked = _lock(segment.session)
        fresh = Segment.objects.filter(pk=segment.pk, session=locked).first()
        if fresh is None:
            raise ValidationError("This segment is no longer in the run-sheet.")
        for key, value in _clean_text(changes).items():
            setattr(fresh, key, value)
        fresh.full_clean()
        fresh.save()
        do_runsheet_edited(locked)
    return fresh


def delete_segment(segment: Segment, actor: User) -> None:
    """Remove a segment; those after it move up."""
    with transaction.atomic():
        locked = _lock(segment.session)
        deleted, _ = Segment.objects.filter(pk=segment.pk, session=locked).delete()
        _renumber(locked)
        if deleted:
            do_runsheet_edited(locked)


def move_segment(segment: Segment, actor: User, direction: Literal["up", "down"]) -> Segment:
    """Swap a segment with its neighbour above or below."""
    if direction not in ("up", "down"):
        raise ValidationError("Move a segment up or down.")
    with transaction.atomic():
        locked = _lock(segment.session)
        _renumber(locked)
        ordered = list(locked.segments.order_by("position"))
        index = next((i for i, s in enumerate(ordered) if s.pk == segment.pk), None)
        if index is None:
            raise ValidationError("This segment is no longer in the run-sheet.")
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(ordered):
            where = "first" if direction == "up" else "last"
            raise ValidationError(f"“{ordered[index].title}” is already {where}.")
        moved, neighbour = ordered[index], ordered[other]
        Segment.objects.filter(pk=moved.pk).update(position=other)
        Segment.objects.filter(pk=neighbour.pk).update(position=index)
        moved.position = other
        do_runsheet_edited(locked)
    return moved


def _replace_runsheet(session: Session, segments: list[Segment], replace: bool) -> list[Segment]:
    existing = session.segments.count()
    if existing and not replace:
        raise ValidationError(
            {
                "replace": f"This session already has {existing} "
                f"segment{'s' if existing != 1 else ''}; confirm that they should be replaced."
            }
        )
    for segment in segments:
        segment.full_clean(exclude=["session"])
    session.segments.all().delete()
    for position, segment in enumerate(segments):
        segment.session = session
        segment.position = position
    made = Segment.objects.bulk_create(segments)
    do_runsheet_edited(session)
    return made


def apply_template(
    session: Session, actor: User, template_key: str, *, replace: bool = False
) -> list[Segment]:
    """Fill a session's run-sheet from a built-in template (replacing it only if told to)."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise ValidationError({"template": "Choose one of the templates."})
    with transaction.atomic():
        locked = _lock(session)
        segments = [
            Segment(
                title=part.title,
                kind=part.kind,
                duration_minutes=part.minutes,
                facilitator_notes=part.notes,
                prompts=part.prompts,
            )
            for part in template.segments
        ]
        return _replace_runsheet(locked, segments, replace)


def duplicate_runsheet(
    session: Session, actor: User, source: Session, *, replace: bool = False
) -> list[Segment]:
    """Copy another session's run-sheet (same programme) into this one."""
    if source.programme_id != session.programme_id:
        raise ValidationError({"source": "Choose a session of this programme."})
    if source.pk == session.pk:
        raise ValidationError({"source": "Choose another session to copy from."})
    with transaction.atomic():
        locked = _lock(session)
        copies = [
            Segment(
                title=segment.title,
                kind=segment.kind,
                duration_minutes=segment.duration_minutes,
                facilitator_notes=segment.facilitator_notes,
                prompts=segment.prompts,
            )
            for segment in source.segments.order_by("position")
        ]
        if not copies:
            raise ValidationError({"source": f"“{source.title}” has no run-sheet to copy yet."})
        return _replace_runsheet(locked, copies, replace)


# --- Calendar subscription ------------------------------------------------------------------


def create_calendar_feed(programme: Programme, actor: User) -> str:
    """Make the programme's secret feed link, replacing any earlier one; returns its token.

    The token exists in clear only in this return value: show it once, keep only the hash.
    """
    _ensure_open(programme)
    token, token_hash = new_token()
    with transaction.atomic():
        CalendarFeed.objects.filter(programme=programme).delete()
        CalendarFeed.objects.create(programme=programme, token_hash=token_hash)
    return token


def revoke_calendar_feed(programme: Programme, actor: User) -> bool:
    """Withdraw the feed link; calendar apps subscribed to it stop updating. True if one existed."""
    deleted, _ = CalendarFeed.objects.filter(programme=programme).delete()
    return bool(deleted)


def programme_for_feed_token(token: str) -> Programme | None:
    """The open programme whose feed link carries this token, or None."""
    if len(token) > 64 or not token.isascii():
        return None
    feed = (
        CalendarFeed.objects.select_related("programme")
        .filter(token_hash=hash_token(token), programme__archived_at__isnull=True)
        .first()
    )
    return feed.programme if feed else None
