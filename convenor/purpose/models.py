"""The common purpose builder: each breakout group's draft (with its versions), the cohort's
draft with its agreement check, the "how would we measure progress?" answers, and the agreed
statement kept with the programme.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from convenor.live.models import Round
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session

# A field holds at most the whole 40-word limit's worth of text (long words included).
MAX_FIELD_CHARS = 400


class GroupDraft(models.Model):
    """One breakout room's draft: what, why, benefits; `rev` counts the saves.

    Keyed by the round and the room's number (not the RoomGroup row), so the draft outlives a
    group row that is replaced when people are moved between rooms.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="purpose_drafts")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="purpose_drafts")
    number = models.PositiveIntegerField()
    what = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    why = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    benefits = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    rev = models.PositiveIntegerField(default=0)
    shared_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="purpose_draft_per_room"),
        ]

    def __str__(self) -> str:
        return f"draft of room {self.number} at rev {self.rev}"

    @property
    def shared(self) -> bool:
        return self.shared_at is not None


class DraftVersion(models.Model):
    """A saved state of a group draft: who saved it, which fields changed, and the text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(GroupDraft, on_delete=models.CASCADE, related_name="versions")
    rev = models.PositiveIntegerField()
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed = models.JSONField(default=list)
    what = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    why = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    benefits = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["draft", "-rev"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "rev"], name="purpose_version_unique_rev"),
        ]

    def __str__(self) -> str:
        return f"version {self.rev} of {self.draft_id}"


class CohortPurpose(models.Model):
    """The cohort's draft for one session, its agreement check and, once agreed, the statement
    the programme keeps (shown at the start of its later sessions)."""

    class Check(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="common_purposes"
    )
    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="common_purpose")
    what = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    why = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    benefits = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    # The group drafts it was picked from or merged from (ids, oldest choice first).
    sources = models.ManyToManyField(GroupDraft, blank=True, related_name="+")
    check_state = models.CharField(max_length=12, choices=Check.choices, default=Check.NOT_STARTED)
    agreed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["programme", "agreed_at"]
        indexes = [models.Index(fields=["programme", "agreed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(agreed_at__isnull=True) | Q(check_state="closed"),
                name="purpose_agreed_only_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"common purpose of {self.session_id}"


class Answer(models.Model):
    """One person's answer in the agreement check (they may change it while it is open)."""

    class Choice(models.TextChoices):
        AGREE = "agree", "Agree"
        LIVE_WITH = "live_with", "Can live with it"
        OBJECT = "object", "Object"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.ForeignKey(CohortPurpose, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=12, choices=Choice.choices)
    reason = models.TextField(blank=True, max_length=500)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["purpose", "updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "participant"], name="purpose_one_answer_each"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.choice} on {self.purpose_id}"


class Measure(models.Model):
    """An answer to "how would we measure progress?" (the facilitator may hide one)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="purpose_measures")
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=200)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "created_at"]

    def __str__(self) -> str:
        return f"measure {self.pk}"
