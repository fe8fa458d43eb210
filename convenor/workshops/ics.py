"""iCalendar files for a programme's sessions, made with the icalendar library.

Each event's UID is the session's UUID, so re-importing or refreshing a feed updates events in
place instead of duplicating them. Start times carry their IANA zone (TZID) with a VTIMEZONE,
so calendar apps show the right wall clock across daylight-saving changes. Only what a
participant may see goes in: the topic and the run-sheet's titles, never facilitator notes.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.utils.text import slugify
from icalendar import Calendar, Event

from convenor.programmes.models import Programme
from convenor.workshops.models import Session
from convenor.workshops.runsheet import timing

PRODUCT_ID = "-//Convenor//Cohort workshops//EN"
UID_DOMAIN = "convenor"


def event_uid(session: Session) -> str:
    return f"{session.pk}@{UID_DOMAIN}"


def location(session: Session) -> str:
    if session.format == Session.Format.ONLINE:
        return "Online"
    if session.format == Session.Format.HYBRID:
        return f"{session.venue} and online" if session.venue else "Online"
    return session.venue


def description(session: Session) -> str:
    """The session's topic and its run-sheet as an outline of local start times and titles."""
    parts = [session.description] if session.description else []
    rows = timing(session).rows
    if rows:
        outline = [
            f"{row.starts_at:%H:%M} {row.segment.title} ({row.segment.duration_minutes} min)"
            for row in rows
        ]
        parts.append(f"Outline ({session.time_zone}):\n" + "\n".join(outline))
    return "\n\n".join(parts)


def _event(session: Session) -> Event:
    event = Event()
    event.add("uid", event_uid(session))
    event.add("dtstamp", session.updated_at)
    event.add("last-modified", session.updated_at)
    event.add("dtstart", session.local_start())
    event.add("duration", timedelta(minutes=session.duration_minutes))
    event.add("summary", f"{session.programme.name}: {session.title}")
    text = description(session)
    if text:
        event.add("description", text)
    where = location(session)
    if where:
        event.add("location", where)
    return event


def calendar_for(programme: Programme, sessions: Iterable[Session]) -> bytes:
    """An iCalendar document with one event per session."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", programme.name)
    for session in sessions:
        calendar.add_component(_event(session))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def filename_for(text: str) -> str:
    """A safe ASCII file name for Content-Disposition (the title is user text)."""
    return (slugify(text)[:60] or "calendar") + ".ics"
