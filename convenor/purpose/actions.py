"""Every write of the common purpose builder: one `do_*` function each, which validates, writes
and emits its `"purpose.*"` event in one transaction, or raises ActivityError having changed
nothing. Event payloads carry ids, numbers and counts only (every connected tab reads them).
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from convenor.activities.registry import ActivityError
from convenor.live.events import emit, lock_state
from convenor.live.models import GroupMember, RoomGroup, Round
from convenor.live.notes import CLOSING_GRACE
from convenor.programmes.models import Participant
from convenor.purpose.models import (
    MAX_FIELD_CHARS,
    Answer,
    CohortPurpose,
    DraftVersion,
    GroupDraft,
    Measure,
)
from convenor.workshops.models import Segment, Session

MAX_WORDS = 40
MAX_REASON_CHARS = 500
MAX_MEASURE_CHARS = 200
FIELDS = ("what", "why", "benefits")
FIELD_LABELS = {
    "what": "what we want to do",
    "why": "why",
    "benefits": "what the benefits will be",
}


def count_words(text: str) -> int:
    """The number of words in `text`: runs of characters between whitespace.

    This is the one definition of a word for the 40-word limit; purpose.js counts the same way
    (`text.trim().split(/\\s+/)`), so the live count and the server always agree. Punctuation
    and numbers count as part of the word they touch ("well-being," is one word, "&" is one).
    """
    return len(text.split())


@dataclass(frozen=True)
class Texts:
    what: str
    why: str
    benefits: str

    def words(self) -> int:
        return sum(count_words(getattr(self, name)) for name in FIELDS)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in FIELDS)


class DraftConflict(ActivityError):
    """A save based on an older rev: nothing was written; the latest version is the draft's."""

    def __init__(self, draft: GroupDraft) -> None:
        super().__init__(
            f"Someone in your group saved version {draft.rev} while you were editing, so nothing "
            "was written. The latest version is shown now; make your change to it and save again."
        )
        self.draft = draft


def clean_texts(what: str, why: str, benefits: str) -> Texts:
    """The three fields trimmed, each within its length, all together within the word limit."""
    texts = Texts(*(value.replace("\r\n", "\n").strip() for value in (what, why, benefits)))
    for name in FIELDS:
        value = getattr(texts, name)
        if len(value) > MAX_FIELD_CHARS:
            raise ActivityError(
                f"The field “{FIELD_LABELS[name]}” is {len(value):,} characters long; each "
                f"field can have at most {MAX_FIELD_CHARS} characters. Nothing was saved."
            )
    words = texts.words()
    if words > MAX_WORDS:
        over = words - MAX_WORDS
        raise ActivityError(
            f"This draft has {words} words; the limit is {MAX_WORDS} in all three fields "
            f"together. Take out {over} word{'s' if over != 1 else ''} and save again. "
            "Nothing was saved."
        )
    return texts


def drafting_round(session: Session) -> Round | None:
    """The breakout round whose groups draft: the open one, else the most recent one.

    Only rounds started during a common purpose segment (or while no segment ran) count: the
    empathy map's breakout groups, earlier in the same session, are not drafting groups.
    """
    rounds = Round.objects.filter(session=session, kind=Round.Kind.BREAKOUT).filter(
        Q(segment__isnull=True) | Q(segment__kind=Segment.Kind.COMMON_PURPOSE)
    )
    found = rounds.filter(ended_at__isnull=True).first()
    if found is None:
        found = rounds.order_by("-started_at").first()
    return found


def room_of(round_: Round, participant: Participant) -> RoomGroup | None:
    """The participant's group in `round_`, if any."""
    member = (
        GroupMember.objects.filter(round=round_, participant=participant)
        .select_related("group")
        .first()
    )
    return member.group if member is not None else None


def is_member(draft: GroupDraft, participant: Participant) -> bool:
    return GroupMember.objects.filter(
        round_id=draft.round_id, group__number=draft.number, participant=participant
    ).exists()


def _draft_in(session: Session, draft_id: UUID) -> GroupDraft:
    draft = GroupDraft.objects.filter(pk=draft_id, session=session).first()
    if draft is None:
        raise ActivityError("There is no such group draft in this session.")
    return draft


def _ensure_open(session: Session) -> None:
    if session.programme.is_archived:
        raise ActivityError("This programme is archived: nothing in it can change.")


# --- Group drafting ---------------------------------------------------------------------------


def do_save_draft(
    session: Session,
    participant: Participant,
    group_id: UUID,
    what: str,
    why: str,
    benefits: str,
    rev: int,
) -> GroupDraft:
    """Save a group's draft as a member who last saw `rev`; every change makes a version.

    A save based on an older rev raises DraftConflict (nothing written), so a stale tab never
    overwrites a groupmate's newer text unseen. Saving the same text again writes nothing.
    """
    _ensure_open(session)
    texts = clean_texts(what, why, benefits)
    if texts.is_empty():
        # Clearing every field would wipe the group's draft (shared or not) for everyone.
        raise ActivityError(
            "Write at least one of the three fields: a draft cannot be saved empty. "
            "Nothing was saved."
        )
    if isinstance(rev, bool) or not isinstance(rev, int) or rev < 0:
        raise ActivityError("“rev” must be a whole number of at least 0.")
    with transaction.atomic():
        lock_state(session)
        round_ = drafting_round(session)
        group = (
            RoomGroup.objects.filter(pk=group_id, round=round_).first()
            if round_ is not None
            else None
        )
        if group is None:
            raise ActivityError("There is no such breakout group in this session.")
        if not GroupMember.objects.filter(group=group, participant=participant).exists():
            raise ActivityError("You can only edit your own group's draft.")
        assert round_ is not None
        # Drafting is done in the rooms: once they have closed (or the round ended), a stale
        # page cannot change what the plenary picks from. The last seconds' save still counts,
        # as for the rooms' notes.
        since = timezone.now() - CLOSING_GRACE
        closed = [moment for moment in (round_.ended_at, round_.closes_at) if moment is not None]
        if closed and min(closed) <= since:
            raise ActivityError(
                "Your group's breakout room has closed, so its draft can no longer change. "
                "Nothing was saved."
            )
        draft, _ = GroupDraft.objects.get_or_create(
            round=round_, number=group.number, defaults={"session": session}
        )
        if rev != draft.rev:
            raise DraftConflict(draft)
        changed = [name for name in FIELDS if getattr(texts, name) != getattr(draft, name)]
        if not changed:
            return draft
        for name in FIELDS:
            setattr(draft, name, getattr(texts, name))
        draft.rev += 1
        draft.updated_at = timezone.now()
        draft.save(update_fields=[*FIELDS, "rev", "updated_at"])
        DraftVersion.objects.create(
            draft=draft,
            rev=draft.rev,
            author=participant,
            changed=changed,
            what=texts.what,
            why=texts.why,
            benefits=texts.benefits,
            created_at=draft.updated_at,
        )
        payload: dict[str, Any] = {
            "draft": str(draft.pk),
            "number": draft.number,
            "rev": draft.rev,
            "changed": changed,
            "words": texts.words(),
        }
        if not draft.shared:
            # Only the group's members see it (convenor.activities.registry): the others'
            # pages need not ask for their panels.
            payload.update(round=str(round_.pk), group=draft.number)
        emit(session, "purpose.saved", payload)
    return draft


def do_share_draft(
    session: Session, participant: Participant, draft_id: UUID, share: bool
) -> GroupDraft:
    """Share a group's draft with the plenary (or take it back); members of the group only."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        draft = _draft_in(session, draft_id)
        if not is_member(draft, participant):
            raise ActivityError("Only the group's members can share or un-share its draft.")
        if share and Texts(draft.what, draft.why, draft.benefits).is_empty():
            raise ActivityError("Write and save your draft before sharing it.")
        if share == draft.shared:
            return draft
        draft.shared_at = timezone.now() if share else None
        draft.save(update_fields=["shared_at"])
        emit(
            session,
            "purpose.shared",
            {"draft": str(draft.pk), "number": draft.number, "shared": share},
        )
    return draft


# --- The cohort's draft (facilitators) --------------------------------------------------------


def _locked_purpose(session: Session) -> CohortPurpose | None:
    return CohortPurpose.objects.select_for_update().filter(session=session).first()


def _replaceable(purpose: CohortPurpose | None) -> None:
    if purpose is not None and purpose.check_state == CohortPurpose.Check.CLOSED:
        raise ActivityError(
            "The agreement check is closed, so the cohort's draft can no longer change; "
            "reopen the check first."
        )


def _set_cohort_text(
    session: Session, texts: Texts, sources: list[GroupDraft] | None, kind: str
) -> CohortPurpose:
    purpose = _locked_purpose(session)
    _replaceable(purpose)
    if purpose is None:
        purpose = CohortPurpose(programme_id=session.programme_id, session=session)
    cleared = 0
    if purpose.pk is not None and purpose.check_state == CohortPurpose.Check.OPEN:
        # The answers were given to the old wording: they no longer say anything about this one.
        cleared, _ = Answer.objects.filter(purpose=purpose).delete()
    purpose.what, purpose.why, purpose.benefits = texts.what, texts.why, texts.benefits
    purpose.updated_at = timezone.now()
    purpose.save()
    if sources is not None:
        purpose.sources.set(sources)
    emit(
        session,
        kind,
        {
            "purpose": str(purpose.pk),
            "drafts": sorted(str(draft.pk) for draft in purpose.sources.all()),
            "answers_cleared": cleared,
        },
    )
    return purpose


def do_pick_draft(session: Session, draft_id: UUID) -> CohortPurpose:
    """Make a shared group draft the cohort's draft (replacing any before it)."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        draft = _draft_in(session, draft_id)
        if not draft.shared:
            raise ActivityError("Only a draft its group has shared can become the cohort's draft.")
        texts = Texts(draft.what, draft.why, draft.benefits)
        return _set_cohort_text(session, texts, [draft], "purpose.picked")


def do_merge(
    session: Session,
    what: str,
    why: str,
    benefits: str,
    source_ids: list[UUID] | None = None,
) -> CohortPurpose:
    """Write the cohort's draft from one or more shared drafts (same 40-word limit)."""
    _ensure_open(session)
    texts = clean_texts(what, why, benefits)
    if texts.is_empty():
        raise ActivityError("Write at least one of the three fields of the cohort's draft.")
    with transaction.atomic():
        lock_state(session)
        sources = None
        if source_ids:
            sources = [_draft_in(session, draft_id) for draft_id in source_ids]
            if any(not draft.shared for draft in sources):
                raise ActivityError("Only drafts their groups have shared can be merged.")
        return _set_cohort_text(session, texts, sources, "purpose.merged")


def _purpose_for_check(session: Session) -> CohortPurpose:
    purpose = _locked_purpose(session)
    if purpose is None:
        raise ActivityError("Pick or merge a cohort draft first.")
    return purpose


def _emit_check(session: Session, purpose: CohortPurpose) -> None:
    emit(
        session,
        "purpose.check",
        {
            "purpose": str(purpose.pk),
            "state": purpose.check_state,
            "agreed": purpose.agreed_at is not None,
        },
    )


def do_open_check(session: Session) -> CohortPurpose:
    """Open the agreement check on the cohort's draft."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        purpose = _purpose_for_check(session)
        if purpose.check_state == CohortPurpose.Check.OPEN:
            raise ActivityError("The agreement check is already open.")
        if purpose.check_state == CohortPurpose.Check.CLOSED:
            raise ActivityError("The agreement check is closed; reopen it to take answers again.")
        purpose.check_state = CohortPurpose.Check.OPEN
        purpose.save(update_fields=["check_state"])
        _emit_check(session, purpose)
    return purpose


def do_close_check(session: Session, agreed: bool) -> CohortPurpose:
    """Close the check; `agreed` keeps the statement with the programme as agreed."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        purpose = _purpose_for_check(session)
        if purpose.check_state != CohortPurpose.Check.OPEN:
            raise ActivityError("The agreement check is not open, so it cannot be closed.")
        purpose.check_state = CohortPurpose.Check.CLOSED
        purpose.agreed_at = timezone.now() if agreed else None
        purpose.save(update_fields=["check_state", "agreed_at"])
        _emit_check(session, purpose)
    return purpose


def do_reopen_check(session: Session) -> CohortPurpose:
    """Reopen a closed check (the statement is no longer marked agreed; answers are kept)."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        purpose = _purpose_for_check(session)
        if purpose.check_state != CohortPurpose.Check.CLOSED:
            raise ActivityError("Only a closed agreement check can be reopened.")
        purpose.check_state = CohortPurpose.Check.OPEN
        purpose.agreed_at = None
        purpose.save(update_fields=["check_state", "agreed_at"])
        _emit_check(session, purpose)
    return purpose


def answer_counts(purpose: CohortPurpose) -> dict[str, int]:
    counted = Counter(purpose.answers.values_list("choice", flat=True))
    return {choice: counted.get(choice, 0) for choice in Answer.Choice.values}


def do_answer(session: Session, participant: Participant, choice: str, reason: str = "") -> Answer:
    """Answer the open check (or change one's answer); an objection needs a reason."""
    _ensure_open(session)
    if choice not in Answer.Choice.values:
        raise ActivityError("Choose agree, can live with it, or object.")
    reason = reason.replace("\r\n", "\n").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise ActivityError(
            f"A reason can be at most {MAX_REASON_CHARS} characters long "
            f"(this one is {len(reason):,}). Nothing was saved."
        )
    if choice == Answer.Choice.OBJECT and not reason:
        raise ActivityError(
            "An objection needs a reason: say what would have to change for you to live with "
            "it. Nothing was saved."
        )
    with transaction.atomic():
        lock_state(session)
        purpose = _locked_purpose(session)
        if purpose is None or purpose.check_state != CohortPurpose.Check.OPEN:
            raise ActivityError("There is no agreement check open at the moment.")
        answer, _ = Answer.objects.update_or_create(
            purpose=purpose,
            participant=participant,
            defaults={"choice": choice, "reason": reason, "updated_at": timezone.now()},
        )
        emit(
            session,
            "purpose.answered",
            {"purpose": str(purpose.pk), "counts": answer_counts(purpose)},
        )
    return answer


# --- Measures ---------------------------------------------------------------------------------


def do_add_measure(session: Session, participant: Participant, text: str) -> Measure:
    """Add an answer to "how would we measure progress?"."""
    _ensure_open(session)
    text = " ".join(text.split())
    if not text:
        raise ActivityError("Write how we could measure progress, then add it.")
    if len(text) > MAX_MEASURE_CHARS:
        raise ActivityError(
            f"A measure can be at most {MAX_MEASURE_CHARS} characters long "
            f"(this one is {len(text):,}). Nothing was saved."
        )
    with transaction.atomic():
        lock_state(session)
        measure = Measure.objects.create(session=session, author=participant, text=text)
        count = Measure.objects.filter(session=session, hidden=False).count()
        emit(session, "purpose.measure_added", {"measure": str(measure.pk), "count": count})
    return measure


def do_hide_measure(session: Session, measure_id: UUID, hidden: bool = True) -> Measure:
    """Hide a measure from everyone's list (or show it again); facilitators only."""
    _ensure_open(session)
    with transaction.atomic():
        lock_state(session)
        measure = Measure.objects.filter(pk=measure_id, session=session).first()
        if measure is None:
            raise ActivityError("There is no such measure in this session.")
        if measure.hidden != hidden:
            measure.hidden = hidden
            measure.save(update_fields=["hidden"])
            emit(
                session,
                "purpose.measure_hidden",
                {"measure": str(measure.pk), "hidden": hidden},
            )
    return measure
