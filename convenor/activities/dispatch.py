"""Running an activity action, the one way for both the WebSocket and the form POST."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.utils import timezone

from convenor.activities.registry import ActivityError, check_role, registry
from convenor.live.commands import CommandError, parse_fields
from convenor.live.models import SegmentRun
from convenor.programmes.access import Membership
from convenor.workshops.models import Segment, Session


def perform(
    session: Session,
    membership: Membership,
    name: str,
    data: Mapping[str, Any],
    *,
    from_form: bool = False,
) -> str:
    """Check the role and the fields, then run action `name`; ActivityError says what is wrong."""
    action = registry.actions.get(name)
    if action is None:
        raise ActivityError(f"Unknown activity action “{name[:40]}”.")
    check_role(action, membership)
    if not membership.is_facilitator:
        ended = ended_at(session)
        if ended is not None and ended <= timezone.now() - AFTER_THE_END:
            raise ActivityError(
                "This session is over, so nothing more can be added or changed in it. "
                "What you wrote before it ended is kept."
            )
    try:
        values = parse_fields(name, action.fields, data, from_form=from_form)
    except CommandError as error:
        raise ActivityError(str(error)) from error
    try:
        return action.run(session, membership, values)
    except ValidationError as error:
        raise ActivityError(" ".join(error.messages)) from error


# Participants' contributions (posts, notes on the boards, drafts' measures, reflections,
# feedback) are taken for a few minutes after the session's last segment ends, for whoever
# was finishing a sentence; after that the session's record stays as it was. Facilitators can
# still tidy it (hide an item).
AFTER_THE_END = timedelta(minutes=5)


def ended_at(session: Session) -> datetime | None:
    """When the session ended: every segment run or skipped and none running; else None."""
    segments = session.segments.count()
    # A segment's run goes with it (one run per segment): as many runs, none open, means over.
    runs = SegmentRun.objects.filter(session=session).aggregate(
        made=Count("pk"), open=Count("pk", filter=Q(ended_at__isnull=True)), last=Max("ended_at")
    )
    if not segments or runs["made"] < segments or runs["open"]:
        return None
    ended: datetime | None = runs["last"]
    return ended


def current_segment(session: Session) -> Segment | None:
    """The running segment, else the one run most recently (its activity stays on screen)."""
    runs = SegmentRun.objects.filter(session=session).filter(
        Q(ended_at__isnull=True) | Q(skipped=False)
    )
    running = runs.filter(ended_at__isnull=True).select_related("segment").first()
    if running is not None:
        return running.segment
    last = runs.exclude(started_at__isnull=True).order_by("-ended_at").select_related("segment")
    found = last.first()
    return found.segment if found is not None else None


def segment_of(session: Session, segment_id: Any) -> Segment | None:
    """A segment of this session by id (None for an unknown or malformed id)."""
    try:
        return Segment.objects.filter(pk=segment_id, session=session).first()
    except (ValueError, ValidationError):
        return None
