"""The writes of the reflections activities (one `do_*` per write) and the counts they show.

Every action validates, writes and emits its live event in one transaction. Event payloads
carry counts only: every connected tab reads them, and a private reflection must not leave
its author's page. Feedback events carry no rating either, since the change in a mean at the
moment someone presses "Send" would tell a watcher what they gave.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from convenor.activities.registry import ActivityError
from convenor.live.events import emit, lock_state
from convenor.live.models import SegmentRun
from convenor.programmes.models import Participant
from convenor.reflections.models import FEEDBACK_TEXT_MAX, TEXT_MAX, Feedback, FollowUp, Reflection
from convenor.workshops.models import Segment, Session

Kind = Segment.Kind

# Which reflection question a segment asks.
QUESTION_OF: dict[str, str] = {
    Kind.REFLECTION: Reflection.Kind.TRY,
    Kind.CLOSE: Reflection.Kind.COMMITMENT,
}
RATING_LABELS = {
    1: "1: poor",
    2: "2: not great",
    3: "3: all right",
    4: "4: good",
    5: "5: excellent",
}


# --- Checks shared by the actions -------------------------------------------------------------


def started_segment(session: Session, segment_id: Any, kinds: set[str], what: str) -> Segment:
    """A segment of `session` of one of `kinds` that the facilitator has started."""
    try:
        segment = Segment.objects.filter(pk=segment_id, session=session).first()
    except (ValueError, ValidationError):
        segment = None
    if segment is None or segment.kind not in kinds:
        raise ActivityError(f"There is no such part of this session for {what}.")
    started = SegmentRun.objects.filter(segment=segment, started_at__isnull=False).exists()
    if not started:
        raise ActivityError(
            f"“{segment.title}” has not started yet; you can write here once it has."
        )
    return segment


def clean_text(text: str, limit: int, label: str, *, required: bool) -> str:
    text = text.strip()
    if required and not text:
        raise ActivityError(f"Write something in “{label}” before saving.")
    if len(text) > limit:
        raise ActivityError(
            f"“{label}” is {len(text)} characters long; please shorten it to {limit} or fewer."
        )
    return text


def flag(value: Any, name: str) -> bool:
    """A 0/1 field (a checkbox sends 1 when ticked and nothing when not)."""
    if value in (None, 0, False):
        return False
    if value in (1, True):
        return True
    raise ActivityError(f"“{name}” is a yes/no choice: send 1 for yes or 0 for no.")


# --- Reflections and commitments -------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    written: int
    shared: int

    @property
    def private(self) -> int:
        return self.written - self.shared


def counts(session: Session, kind: str) -> Counts:
    answers = Reflection.objects.filter(session=session, kind=kind)
    return Counts(answers.count(), answers.filter(shared=True).count())


def do_save_reflection(
    session: Session, participant: Participant, segment: Segment, text: str, shared: bool
) -> Reflection:
    """Write (or rewrite) `participant`'s answer to the question `segment` asks."""
    kind = QUESTION_OF.get(segment.kind)
    if kind is None or segment.session_id != session.pk:
        raise ActivityError("This part of the session asks no reflection question.")
    label = Reflection.Kind(kind).label
    text = clean_text(text, TEXT_MAX, label, required=True)
    with transaction.atomic():
        # Writers to one session queue here, so the counts each event carries are exact.
        lock_state(session)
        reflection, _ = Reflection.objects.update_or_create(
            session=session,
            participant=participant,
            kind=kind,
            defaults={"text": text, "shared": shared},
        )
        now = counts(session, kind)
        emit(
            session,
            "reflection.saved",
            {"question": str(kind), "written": now.written, "shared": now.shared},
        )
    return reflection


def shared_reflections(session: Session, kind: str) -> list[Reflection]:
    """The answers their authors chose to share (and no facilitator hid), oldest first."""
    return list(
        Reflection.objects.filter(session=session, kind=kind, shared=True, hidden_at__isnull=True)
        .select_related("participant")
        .order_by("created_at")
    )


def do_hide(session: Session, item_id: Any, hidden: bool) -> Reflection | FollowUp:
    """A facilitator takes a shared reflection or follow-up note off the shared list (or back).

    Private ones are "not found": facilitators never learn their ids, and this must not tell
    them whether one exists.
    """
    with transaction.atomic():
        lock_state(session)
        try:
            item: Reflection | FollowUp | None = (
                Reflection.objects.select_for_update()
                .filter(pk=item_id, session=session, shared=True)
                .first()
            )
            if item is None:
                item = (
                    FollowUp.objects.select_for_update()
                    .filter(pk=item_id, session=session, shared=True)
                    .first()
                )
        except (ValueError, ValidationError):
            item = None
        if item is None:
            raise ActivityError("There is no such shared contribution in this session.")
        item.hidden_at = timezone.now() if hidden else None
        item.save(update_fields=["hidden_at", "updated_at"])
        emit(session, "reflection.hidden", {"item": str(item.pk), "hidden": hidden})
    return item


# --- Looking back at the next session ---------------------------------------------------------


def commitments_to_review(session: Session, participant: Participant) -> list[Reflection]:
    """`participant`'s commitment(s) from the latest earlier session they made one in."""
    earlier = (
        Reflection.objects.filter(
            participant=participant,
            kind=Reflection.Kind.COMMITMENT,
            session__programme_id=session.programme_id,
            session__starts_at__lt=session.starts_at,
        )
        .select_related("session")
        .order_by("-session__starts_at")
    )
    latest = earlier.first()
    if latest is None:
        return []
    return list(earlier.filter(session_id=latest.session_id).select_related("follow_up"))


def commitments_before(session: Session) -> QuerySet[Reflection]:
    """The commitments made at earlier sessions of the series (to look back on at this one)."""
    return Reflection.objects.filter(
        kind=Reflection.Kind.COMMITMENT,
        session__programme_id=session.programme_id,
        session__starts_at__lt=session.starts_at,
    )


def people_with_commitments_before(session: Session) -> int:
    """How many people have a commitment from an earlier session of the series to look back on."""
    return commitments_before(session).values("participant").distinct().count()


def follow_up_counts(session: Session) -> dict[str, int]:
    """Follow-ups recorded at `session`, per status (every status present, zero or not)."""
    found = Counter(FollowUp.objects.filter(session=session).values_list("status", flat=True))
    return {status: found.get(status, 0) for status in FollowUp.Status.values}


def do_follow_up(
    session: Session,
    participant: Participant,
    commitment_id: Any,
    status: str,
    note: str,
    shared: bool,
) -> FollowUp:
    """Record (or change) how one of `participant`'s earlier commitments went."""
    if status not in FollowUp.Status.values:
        raise ActivityError("Say how it went: done, partly or not yet.")
    note = clean_text(note, TEXT_MAX, "A note on how it went", required=False)
    with transaction.atomic():
        lock_state(session)
        mine = {str(c.pk): c for c in commitments_to_review(session, participant)}
        commitment = mine.get(str(commitment_id))
        if commitment is None:
            # Someone else's, one from this or a later session, or no such thing: all the same.
            raise ActivityError(
                "There is no earlier commitment of yours with this id to look back on."
            )
        follow_up, _ = FollowUp.objects.update_or_create(
            commitment=commitment,
            defaults={"session": session, "status": status, "note": note, "shared": shared},
        )
        answered = FollowUp.objects.filter(session=session).count()
        emit(session, "reflection.followed_up", {"answered": answered})
    return follow_up


def shared_follow_ups(session: Session) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(session=session, shared=True, hidden_at__isnull=True)
        .exclude(note="")
        .select_related("commitment__participant")
        .order_by("created_at")
    )


# --- Session feedback -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackSummary:
    answers: int
    # Rating -> how many gave it, for 1 to 5.
    distribution: dict[int, int]
    mean: float | None
    worked: list[str]
    change: list[str]

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [(RATING_LABELS[rating], n) for rating, n in self.distribution.items()]

    def as_json(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "ratings": {str(rating): n for rating, n in self.distribution.items()},
            "mean": self.mean,
            "worked": self.worked,
            "change": self.change,
        }


def feedback_summary(session: Session) -> FeedbackSummary:
    """The session's feedback without a trace of who gave it (texts in the random id order)."""
    rows = list(Feedback.objects.filter(session=session).order_by("id"))
    ratings = Counter(row.rating for row in rows)
    total = sum(row.rating for row in rows)
    return FeedbackSummary(
        answers=len(rows),
        distribution={rating: ratings.get(rating, 0) for rating in RATING_LABELS},
        mean=round(total / len(rows), 1) if rows else None,
        worked=[row.worked for row in rows if row.worked],
        change=[row.change for row in rows if row.change],
    )


def do_save_feedback(
    session: Session, participant: Participant, rating: Any, worked: str, change: str
) -> Feedback:
    """Write (or change) `participant`'s one answer to the session's feedback questions."""
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATING_LABELS:
        raise ActivityError("Choose a rating from 1 (poor) to 5 (excellent).")
    worked = clean_text(worked, FEEDBACK_TEXT_MAX, "What worked", required=False)
    change = clean_text(change, FEEDBACK_TEXT_MAX, "What to change", required=False)
    with transaction.atomic():
        lock_state(session)
        feedback, _ = Feedback.objects.update_or_create(
            session=session,
            participant=participant,
            defaults={"rating": rating, "worked": worked, "change": change},
        )
        answers = Feedback.objects.filter(session=session).count()
        emit(session, "feedback.saved", {"answers": answers})
    return feedback
