"""Start times of a run-sheet's segments, computed from the session start and the durations."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from convenor.workshops.models import Segment, Session


@dataclass(frozen=True)
class TimedSegment:
    segment: Segment
    starts_at: datetime
    ends_at: datetime
    is_first: bool
    is_last: bool


@dataclass(frozen=True)
class Timing:
    """The run-sheet with each segment's start and end, in the session's time zone."""

    rows: list[TimedSegment]
    total_minutes: int
    session_minutes: int
    ends_at: datetime

    @property
    def overrun_minutes(self) -> int:
        return max(0, self.total_minutes - self.session_minutes)

    @property
    def spare_minutes(self) -> int:
        return max(0, self.session_minutes - self.total_minutes)


def timing(session: Session, segments: Iterable[Segment] | None = None) -> Timing:
    """Lay the segments end to end from the session's start.

    The arithmetic is on elapsed time in UTC and only the result is shown in the session's
    zone, so a run-sheet spanning a daylight-saving change shows the wall clock people see.
    """
    ordered = list(session.segments.all() if segments is None else segments)
    zone = session.zone
    cursor = session.starts_at
    rows = []
    for index, segment in enumerate(ordered):
        end = cursor + timedelta(minutes=segment.duration_minutes)
        rows.append(
            TimedSegment(
                segment=segment,
                starts_at=cursor.astimezone(zone),
                ends_at=end.astimezone(zone),
                is_first=index == 0,
                is_last=index == len(ordered) - 1,
            )
        )
        cursor = end
    total = sum(segment.duration_minutes for segment in ordered)
    return Timing(
        rows=rows,
        total_minutes=total,
        session_minutes=session.duration_minutes,
        ends_at=cursor.astimezone(zone),
    )
