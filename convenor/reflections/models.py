"""Each person's reflections and commitments, how the commitments went, and session feedback.

Reflections are private to their author unless they choose to share them; facilitators see
how many were written and shared, never the text of a private one. Feedback is anonymous to
facilitators whatever the Chatham House switch says: the participant is kept only so that each
person has one answer per session that they can change.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from convenor.programmes.models import Participant
from convenor.workshops.models import Session

TEXT_MAX = 600
FEEDBACK_TEXT_MAX = 1000


class Reflection(models.Model):
    """One person's answer to one of the two reflection questions of a session."""

    class Kind(models.TextChoices):
        TRY = "try", "Where I might try this out"
        COMMITMENT = "commitment", "One practical thing I will do before next time"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reflections")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="reflections"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField(max_length=TEXT_MAX)
    shared = models.BooleanField(default=False)
    # A facilitator took a shared one off the shared list (the author still sees it).
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant", "kind"], name="reflections_one_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.participant_id}"


class FollowUp(models.Model):
    """How a commitment went, recorded by its author at a later session."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        PARTLY = "partly", "Partly"
        NOT_YET = "not_yet", "Not yet"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    commitment = models.OneToOneField(
        Reflection, on_delete=models.CASCADE, related_name="follow_up"
    )
    # The session at which it was recorded (counts for that session's facilitators).
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="follow_ups")
    status = models.CharField(max_length=8, choices=Status.choices)
    note = models.TextField(blank=True, max_length=TEXT_MAX)
    shared = models.BooleanField(default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"follow-up of {self.commitment_id}: {self.status}"


class Feedback(models.Model):
    """One person's end-of-session feedback (shown to facilitators without names)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="feedback")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    worked = models.TextField("what worked", blank=True, max_length=FEEDBACK_TEXT_MAX)
    change = models.TextField("what to change", blank=True, max_length=FEEDBACK_TEXT_MAX)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # By the random id, so the order of the texts says nothing about who wrote them or when.
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"], name="reflections_one_feedback_each"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="reflections_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"feedback {self.rating} on {self.session_id}"
