"""Sessions of a programme and the timed segments of each session's run-sheet."""

import functools
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from convenor.programmes.models import Programme

ROOM_PLACEHOLDER = "{room}"


@functools.cache
def time_zone_names() -> frozenset[str]:
    """IANA zone names this machine knows (scanning the zone database is slow, so once)."""
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept only IANA zone names (Europe/London), not abbreviations or offsets."""
    if value not in time_zone_names():
        raise ValidationError(
            "%(value)s is not a known time zone; use a name such as Europe/London.",
            params={"value": value},
            code="invalid_time_zone",
        )


def validate_video_url_template(value: str) -> None:
    """An https URL with a {room} placeholder that is replaced by each group's room name."""
    if ROOM_PLACEHOLDER not in value:
        raise ValidationError(
            "The video-room address must contain {room}, e.g. https://meet.example.org/{room}.",
            code="missing_room",
        )
    URLValidator(schemes=["https"], message="Enter an https:// address.")(
        value.replace(ROOM_PLACEHOLDER, "room")
    )


class Session(models.Model):
    """One workshop in a programme's series, with a start in its own time zone."""

    class Format(models.TextChoices):
        ONLINE = "online", "Online"
        IN_PERSON = "in_person", "In person"
        HYBRID = "hybrid", "Hybrid"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField("title or topic", max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    starts_at = models.DateTimeField()
    time_zone = models.CharField(
        "time zone", max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    duration_minutes = models.PositiveIntegerField(
        "duration (minutes)", validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.ONLINE)
    video_url_template = models.CharField(
        "video-room address",
        max_length=500,
        blank=True,
        validators=[validate_video_url_template],
        help_text="For example https://meet.example.org/{room}; {room} becomes each group's room.",
    )
    venue = models.CharField(blank=True, max_length=300)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=24 * 60),
                name="workshops_session_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    def is_on_today(self) -> bool:
        """Whether today, where the session is held, is the day it starts or ends."""
        today = timezone.now().astimezone(self.zone).date()
        end = self.starts_at + timedelta(minutes=self.duration_minutes)
        return self.local_start().date() <= today <= end.astimezone(self.zone).date()


class Segment(models.Model):
    """A timed part of a session's run-sheet; start times follow from the order and durations."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        TALK = "talk", "Talk"
        COFFEE_TRIAL = "coffee_trial", "Randomised coffee trial"
        BREAKOUTS = "breakouts", "Breakout groups"
        PLENARY = "plenary", "Plenary"
        CYNEFIN_BOARD = "cynefin_board", "Sense-making board (Cynefin)"
        EMPATHY_MAP = "empathy_map", "Empathy map"
        COMMON_PURPOSE = "common_purpose", "Common purpose"
        REFLECTION = "reflection", "Reflection"
        BREAK = "break", "Break"
        CLOSE = "close", "Close"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="segments")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveIntegerField(
        "duration (minutes)", validators=[MinValueValidator(1), MaxValueValidator(480)]
    )
    facilitator_notes = models.TextField(blank=True, max_length=10000)
    prompts = models.TextField("prompts for participants", blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["session", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=480),
                name="workshops_segment_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A programme's secret calendar-subscription link; only the token's sha256 is kept.

    Calendar apps fetch a subscribed feed without a browser session, so the link itself is the
    credential. One active link per programme: making a new one replaces the old, and deleting
    the row revokes it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"calendar feed of {self.programme_id}"
