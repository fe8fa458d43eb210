"""What the three boards share: checking a segment and a contribution's text."""

from collections.abc import Collection

from django.core.exceptions import ValidationError

from convenor.live.models import SegmentRun
from convenor.workshops.models import Segment, Session


def check_segment(segment: Segment, kinds: Collection[str], what: str) -> None:
    """Refuse a segment of another kind, or one that has not started (nobody can see it yet)."""
    if segment.kind not in kinds:
        raise ValidationError(f"“{segment.title}” is not {what}.")
    if not SegmentRun.objects.filter(segment=segment, started_at__isnull=False).exists():
        raise ValidationError(
            f"“{segment.title}” has not started yet; contributions open when the facilitator "
            "starts it."
        )


def clean_text(text: str, limit: int, what: str) -> str:
    """`text` without surrounding space; refuses empty, over-long or NUL-carrying text.

    `what` names the thing for the message, e.g. "A post".
    """
    text = text.replace("\r\n", "\n").strip()
    if "\x00" in text:
        # PostgreSQL cannot store NUL; a clear refusal beats a server error.
        raise ValidationError(f"{what} cannot contain the NUL character; remove it and try again.")
    if not text:
        raise ValidationError(f"{what} is empty: write something first.")
    if len(text) > limit:
        raise ValidationError(
            f"{what} can be at most {limit} characters (this one has {len(text)}); "
            "shorten it and try again."
        )
    return text


def md_text(text: str) -> str:
    """User text for one Markdown line: whitespace collapsed, and `<`, `>` backslash-escaped
    so a Markdown renderer shows them as text rather than passing HTML through."""
    return " ".join(text.split()).replace("<", "\\<").replace(">", "\\>")


def check_open(session: Session) -> None:
    """Archived programmes are read-only (the dispatcher says so too; do_* stand alone)."""
    if session.programme.is_archived:
        raise ValidationError("This programme is archived: nothing in it can change.")
