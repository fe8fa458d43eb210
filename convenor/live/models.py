"""What happens in a session while it runs: its event log, who is here, the run-sheet as run,
and the coffee-trial rounds with their groups.

The event log is the source of truth for live clients: every change is written together with a
`LiveEvent` whose per-session sequence number comes from `LiveState.last_seq`, locked for the
duration of the write (see convenor.live.events).
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session


class LiveState(models.Model):
    """Per-session counter row; locking it serialises every live write to one session."""

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, primary_key=True, related_name="live_state"
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    # The last event every connected tab was notified of (presence and room notes go to some
    # tabs only; see convenor.live.events).
    last_shared_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"live state of {self.session_id} at {self.last_seq}"


class LiveEvent(models.Model):
    """One change to a live session, in the order clients must apply it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="live_events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="live_event_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq}"

    def as_message(self) -> dict[str, object]:
        return {"seq": self.seq, "kind": self.kind, "payload": self.payload}


class LivePresence(models.Model):
    """One open WebSocket connection, so every process can count who is here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="presences")
    # Exactly one of the two: a participant's browser or a facilitator's.
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="presences"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel_name = models.CharField(max_length=200)
    connected_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["session", "participant"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant__isnull=True) ^ Q(user__isnull=True),
                name="live_presence_one_identity",
            ),
        ]

    def __str__(self) -> str:
        return f"connection {self.channel_name}"


class SegmentRun(models.Model):
    """A segment as actually run (or skipped): the times the re-timing of the rest comes from."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="segment_runs")
    segment = models.OneToOneField(Segment, on_delete=models.CASCADE, related_name="run")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    extension_minutes = models.PositiveIntegerField(default=0)
    skipped = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(ended_at__isnull=True),
                name="live_segment_run_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"run of {self.segment_id}"


class Round(models.Model):
    """A round of coffee-trial pairs (or breakout groups) in a session."""

    class Kind(models.TextChoices):
        COFFEE = "coffee", "Coffee trial"
        BREAKOUT = "breakout", "Breakout groups"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="rounds")
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="rounds"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COFFEE)
    size = models.PositiveSmallIntegerField(default=2)
    seed = models.PositiveIntegerField()
    minutes = models.PositiveSmallIntegerField(default=15)
    prompts = models.TextField(blank=True, max_length=5000)
    # Breakouts: one prompt per room (room n gets item (n - 1) modulo the length); empty means
    # every room gets `prompts`.
    room_prompts = models.JSONField(default=list, blank=True)
    # The facilitator's latest message to every room, and when the rooms close (notes go
    # read-only from that moment; the round itself ends when the facilitator ends it).
    message = models.TextField(blank=True, max_length=500)
    message_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # Present people the engine could not place (e.g. one person alone); they wait for a partner.
    waiting = models.ManyToManyField(Participant, blank=True, related_name="+")
    # People the facilitator took out of this round: not placed again in it (on a reconnect,
    # say) unless the facilitator puts them back. Someone who left (the presence sweep's
    # removal) is not marked: they are placed when they come back.
    taken_out = models.ManyToManyField(Participant, blank=True, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(ended_at__isnull=True),
                name="live_round_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} round at {self.started_at:%H:%M}"

    def prompt_for(self, number: int) -> str:
        """The prompt of room `number` (the round's prompts when there are no per-room ones)."""
        if self.room_prompts:
            return str(self.room_prompts[(number - 1) % len(self.room_prompts)])
        return self.prompts

    def rooms_closed(self, now: datetime | None = None) -> bool:
        """True once the round has ended or its closing countdown has run out."""
        if self.ended_at is not None:
            return True
        return self.closes_at is not None and self.closes_at <= (now or timezone.now())


class RoomGroup(models.Model):
    """One group of a round and its meeting place."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveIntegerField()
    # Unguessable, so only the group (and the facilitators) can find the video room.
    room_token = models.CharField(max_length=64)
    members = models.ManyToManyField(Participant, through="GroupMember", related_name="+")

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="live_group_unique_number"),
        ]

    def __str__(self) -> str:
        return f"group {self.number}"


class GroupMember(models.Model):
    group = models.ForeignKey(RoomGroup, on_delete=models.CASCADE, related_name="memberships")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    # Denormalised so "one group per person per round" is a database constraint.
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "participant"], name="live_member_one_group_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} in {self.group_id}"


class RoomLeaving(models.Model):
    """Someone left a breakout room while its round was open (moved to another room, taken out,
    or re-homed), and when. A notes save they sent just before reaches the server a moment
    after: it still counts for a few seconds (convenor.live.notes.CLOSING_GRACE)."""

    group = models.ForeignKey(RoomGroup, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    left_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["group", "participant"], name="live_leaving_lookup")]

    def __str__(self) -> str:
        return f"{self.participant_id} left {self.group_id} at {self.left_at:%H:%M:%S}"


class RoomNotes(models.Model):
    """A breakout room's shared notes: one text, `rev` counts the saves.

    Tied to the round and the room's number rather than only to the group, so the notes outlive
    a group that empties when people are moved (the group link is then cleared). `recent`
    keeps the latest saves as splices, so a save based on an older rev is merged rather than
    refused (see convenor.live.notes).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="notes")
    group = models.OneToOneField(
        RoomGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True, max_length=20000)
    rev = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # The latest saves, oldest first: {"rev": the rev it made, "splices": [[at, removed,
    # inserted], ...] applied in turn to the text before it, "sid": the writer's id for that
    # save or null}. Rows saved before merged saves kept their parts have one "splice".
    recent = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["round", "number", "updated_at"]

    def __str__(self) -> str:
        return f"notes of room {self.number} at rev {self.rev}"
