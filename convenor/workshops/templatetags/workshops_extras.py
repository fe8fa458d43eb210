"""Template filters for showing sessions on their own clock."""

from datetime import datetime, timedelta

from django import template

from convenor.workshops.models import Session

register = template.Library()


@register.filter
def session_when(session: Session) -> str:
    """'Thursday 4 March 2027, 13:00–16:00 GMT (Europe/London)': always the session's zone."""
    start = session.local_start()
    end = (session.starts_at + timedelta(minutes=session.duration_minutes)).astimezone(session.zone)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%H:%M} on {end:%-d %B}"
    return f"{day}, {start:%H:%M}–{until} {start:%Z} ({session.time_zone})"


@register.filter
def session_iso(session: Session) -> str:
    """The start as an ISO 8601 string with its offset, for <time datetime>."""
    return session.local_start().isoformat(timespec="minutes")


@register.filter
def clock(moment: datetime) -> str:
    """'13:40' on the datetime's own clock (Django's date filter would convert to the site's)."""
    return f"{moment:%H:%M}"
