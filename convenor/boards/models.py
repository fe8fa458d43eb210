"""The plenary stream, the Cynefin board and the empathy map: what participants contribute.

Contributions belong to their author (a Participant, deleted with them on erasure) and to the
session; a facilitator hides one rather than deleting it, so hiding can be undone. Hidden items
never reach participants' pages or the session's record.
"""

import uuid

from django.db import models
from django.utils import timezone

from convenor.live.models import RoomGroup, Round
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session

MAX_POST_CHARS = 500
MAX_PROMPT_CHARS = 500
MAX_ITEM_CHARS = 300
MAX_NOTE_CHARS = 300
MAX_PERSONA_CHARS = 200


class PlenaryPrompt(models.Model):
    """The facilitator's question at the top of a segment's stream (replaces the run-sheet's)."""

    segment = models.OneToOneField(
        Segment, on_delete=models.CASCADE, primary_key=True, related_name="plenary_prompt"
    )
    text = models.TextField(max_length=MAX_PROMPT_CHARS)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"prompt of {self.segment_id}"


class PlenaryPost(models.Model):
    """A short post in a plenary or talk segment's stream ("speak up or put it in the chat")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="plenary_posts")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="plenary_posts")
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=MAX_POST_CHARS)
    pinned = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["segment", "created_at"])]

    def __str__(self) -> str:
        return f"post {self.pk}"


class PlenaryReaction(models.Model):
    """One person's reaction of one kind to a post (each kind is on or off per person)."""

    class Kind(models.TextChoices):
        AGREE = "agree", "Agree"
        SAME = "same", "Same here"
        MORE = "more", "Tell us more"
        THANKS = "thanks", "Thanks"

    post = models.ForeignKey(PlenaryPost, on_delete=models.CASCADE, related_name="reactions")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "participant", "kind"], name="boards_reaction_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.post_id}"


class Domain(models.TextChoices):
    """Cynefin domains, in the order the board lays them out (row by row, centre between)."""

    COMPLEX = "complex", "Complex"
    COMPLICATED = "complicated", "Complicated"
    UNSURE = "unsure", "Not sure yet (the centre)"
    CHAOTIC = "chaotic", "Chaotic"
    CLEAR = "clear", "Clear (simple)"


class CynefinItem(models.Model):
    """A situation someone faces, placed in a domain; the board is kept with the session."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="cynefin_items")
    # Where it was posted; the board itself spans every Cynefin segment of the session.
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=MAX_ITEM_CHARS)
    domain = models.CharField(max_length=12, choices=Domain.choices, default=Domain.UNSURE)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    moved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return f"item {self.pk} in {self.domain}"


class CynefinSuggestion(models.Model):
    """Someone thinks an item belongs in another domain (one suggestion per person per item)."""

    item = models.ForeignKey(CynefinItem, on_delete=models.CASCADE, related_name="suggestions")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    domain = models.CharField(max_length=12, choices=Domain.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "participant"], name="boards_suggestion_once"),
        ]

    def __str__(self) -> str:
        return f"move {self.item_id} to {self.domain}"


class EmpathyPersona(models.Model):
    """Who a segment's empathy maps are about, as the facilitator named them."""

    segment = models.OneToOneField(
        Segment, on_delete=models.CASCADE, primary_key=True, related_name="empathy_persona"
    )
    text = models.CharField(max_length=MAX_PERSONA_CHARS)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"persona of {self.segment_id}"


class Area(models.TextChoices):
    SEES = "sees", "Sees"
    HEARS = "hears", "Hears"
    THINKS_FEELS = "thinks_feels", "Thinks and feels"
    DOES = "does", "Does and expects"


class EmpathyNote(models.Model):
    """A note in one area of a breakout group's empathy map.

    Tied to the round and the group's number (as room notes are), so a note outlives a group
    that empties when people are moved.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="empathy_notes")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="empathy_notes")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="empathy_notes")
    group = models.ForeignKey(
        RoomGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    area = models.CharField(max_length=12, choices=Area.choices)
    text = models.TextField(max_length=MAX_NOTE_CHARS)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["segment", "round", "number"])]

    def __str__(self) -> str:
        return f"{self.area} note {self.pk}"
