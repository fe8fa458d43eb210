"""Programmes, their facilitators, their participants and the invites that bring people in."""

import uuid
from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

RETENTION_MIN_DAYS = 30
RETENTION_MAX_DAYS = 3650

DEFAULT_GROUND_RULES = """\
How we work together in this programme

- Listen properly. Give each person time to finish, check you have understood, and ask \
questions to understand rather than to score a point.
- Be here. Close what can wait and silence notifications for the session; step away when \
you need to and rejoin when you can.
- Stay curious. Hold your own view lightly and be open to having it questioned.
- Treat everyone with respect, whatever their organisation, sector or seniority. Contribute, \
and behave as you would like others to behave towards you.
- Be honest and supportive. Say what you think, kindly, and help others to take part.
- Confidentiality (the Chatham House rule): you may use what you hear, but do not say who \
said it or which organisation they came from. What is shared here stays here.
- Cameras are optional online. Use the chat, your voice or a note, whichever works for you, \
and tell a facilitator if anything would make it easier for you to take part.
"""


def default_ground_rules() -> str:
    return DEFAULT_GROUND_RULES


class Programme(models.Model):
    """A cohort's series of workshops: its people, facilitators, sessions and shared outputs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    chatham_house = models.BooleanField(
        "Chatham House rule",
        default=True,
        help_text="When on, records and exports never say who contributed what.",
    )
    retention_days = models.PositiveIntegerField(
        "keep data for (days)",
        default=365,
        validators=[MinValueValidator(RETENTION_MIN_DAYS), MaxValueValidator(RETENTION_MAX_DAYS)],
        help_text=(
            f"Between {RETENTION_MIN_DAYS} and {RETENTION_MAX_DAYS} days after the programme "
            "is archived; then everything in it is deleted."
        ),
    )
    ground_rules = models.TextField("ground rules", default=default_ground_rules, max_length=10000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_days__gte=RETENTION_MIN_DAYS)
                & Q(retention_days__lte=RETENTION_MAX_DAYS),
                name="programmes_programme_retention_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Facilitation(models.Model):
    """A facilitator's role in one programme (the lead created it; co-facilitators were added)."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead facilitator"
        CO = "co", "Co-facilitator"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="facilitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="facilitations"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.CO)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["role", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "user"], name="programmes_facilitation_unique_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.programme}"


class Participant(models.Model):
    """A person in a cohort. No account: a browser session redeemed from an invite identifies them.

    Removal is a hard delete (with everything of theirs cascading), which is also how a
    participant's request for erasure is honoured.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="participants")
    display_name = models.CharField("name", max_length=120)
    email = models.EmailField(blank=True, max_length=254)
    organisation = models.CharField(blank=True, max_length=200)
    sector = models.CharField(blank=True, max_length=100)
    role = models.CharField("job role", blank=True, max_length=200)
    pronouns = models.CharField(blank=True, max_length=50)
    access_needs = models.TextField(blank=True, max_length=2000)
    external_id = models.CharField(
        "id", blank=True, max_length=64, help_text="Your own identifier, e.g. the CSV id column."
    )
    agreed_ground_rules_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "external_id"],
                condition=~Q(external_id=""),
                name="programmes_participant_unique_external_id",
                violation_error_message="Another person in this programme already has this id.",
            ),
            models.UniqueConstraint(
                "programme",
                Lower("email"),
                condition=~Q(email=""),
                name="programmes_participant_unique_email",
                violation_error_message="Another person in this programme has this email.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class Invite(models.Model):
    """A link that brings someone into a programme; only the token's sha256 is stored.

    A personal invite (participant set) is single-use; an open registration invite
    (participant null) can be used by many people until it expires or is revoked.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="invites")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="invites"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["programme", "participant"])]

    def __str__(self) -> str:
        kind = "open registration" if self.participant_id is None else "personal"
        return f"{kind} invite to {self.programme_id}"

    @property
    def is_open(self) -> bool:
        return self.participant_id is None

    def status(self, now: datetime | None = None) -> str:
        """One of: revoked, used, expired, active (in that order of precedence)."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.redeemed_at is not None and not self.is_open:
            return "used"
        if self.expires_at <= now:
            return "expired"
        return "active"


class PairPreference(models.Model):
    """A facilitator's note that two people should not be grouped (avoid) or should be (want).

    The pair is stored in id order (person_a < person_b), so one pair has one row: a pair is
    either avoided or wanted, never both. Removing either person deletes the preference.
    """

    class Kind(models.TextChoices):
        AVOID = "avoid", "Please don't pair them"
        WANT = "want", "They would like to meet"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="pair_preferences"
    )
    person_a = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # One row per pair whatever the kind: a duplicate and a contradiction both fail.
            models.UniqueConstraint(
                fields=["programme", "person_a", "person_b"],
                name="programmes_pairpreference_unique_pair",
                violation_error_message="These two people already have a pairing preference.",
            ),
            models.CheckConstraint(
                condition=Q(person_a__lt=models.F("person_b")),
                name="programmes_pairpreference_ordered_pair",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["avoid", "want"]),
                name="programmes_pairpreference_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_a_id} {self.person_b_id}"
