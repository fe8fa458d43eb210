"""Every write to programmes, facilitators, participants and invites goes through one function here.

Each function validates (raising django.core.exceptions.ValidationError, keyed by field where
there is one, and writing nothing), then writes inside a transaction. Authorisation is the
caller's job (see access.py); the rules that belong to the data itself (an archived programme
does not change, the lead cannot be removed) are enforced here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from convenor.accounts.models import User, normalise_email
from convenor.programmes.invites import new_token
from convenor.programmes.models import Facilitation, Invite, Participant, Programme

PROGRAMME_FIELDS = frozenset(
    {"name", "description", "chatham_house", "retention_days", "ground_rules"}
)
PARTICIPANT_FIELDS = frozenset(
    {
        "display_name",
        "email",
        "organisation",
        "sector",
        "role",
        "pronouns",
        "access_needs",
        "external_id",
    }
)
DEFAULT_INVITE_DAYS = 30
MAX_INVITE_DAYS = 365


def _ensure_open(programme: Programme) -> None:
    # Asks the database, not the instance: the caller's copy may predate an archive.
    if Programme.objects.filter(pk=programme.pk, archived_at__isnull=False).exists():
        raise ValidationError("This programme is archived and can no longer be changed.")


def _clean_text(fields: dict[str, Any]) -> dict[str, Any]:
    """Strip surrounding whitespace from text values so '  ' counts as empty."""
    return {
        key: value.strip() if isinstance(value, str) else value for key, value in fields.items()
    }


def _check_fields(given: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(given) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


# --- Programmes -----------------------------------------------------------------------------


def create_programme(creator: User, **fields: Any) -> Programme:
    """Create a programme with `creator` as its lead facilitator."""
    _check_fields(fields, PROGRAMME_FIELDS)
    programme = Programme(**_clean_text(fields))
    programme.full_clean()
    with transaction.atomic():
        programme.save()
        Facilitation.objects.create(programme=programme, user=creator, role=Facilitation.Role.LEAD)
    return programme


def update_programme(programme: Programme, actor: User, **changes: Any) -> Programme:
    """Change a programme's settings; the caller's instance is left as it was on error."""
    _check_fields(changes, PROGRAMME_FIELDS)
    with transaction.atomic():
        fresh = Programme.objects.select_for_update().get(pk=programme.pk)
        _ensure_open(fresh)
        for key, value in _clean_text(changes).items():
            setattr(fresh, key, value)
        fresh.full_clean()
        fresh.save()
    return fresh


def archive_programme(programme: Programme, actor: User) -> Programme:
    """Make a programme read-only and close it to participants; retention counts from now."""
    with transaction.atomic():
        fresh = Programme.objects.select_for_update().get(pk=programme.pk)
        _ensure_open(fresh)
        fresh.archived_at = timezone.now()
        fresh.save(update_fields=["archived_at", "updated_at"])
    return fresh


def restore_programme(programme: Programme, actor: User) -> Programme:
    """Undo archive_programme."""
    with transaction.atomic():
        fresh = Programme.objects.select_for_update().get(pk=programme.pk)
        if not fresh.is_archived:
            raise ValidationError("This programme is not archived.")
        fresh.archived_at = None
        fresh.save(update_fields=["archived_at", "updated_at"])
    return fresh


# --- Facilitators ---------------------------------------------------------------------------


def add_cofacilitator(programme: Programme, actor: User, email: str) -> Facilitation:
    """Add an existing facilitator account (found by email) as a co-facilitator."""
    _ensure_open(programme)
    address = normalise_email(email)
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        raise ValidationError(
            {
                "email": "There is no facilitator account with this email address. "
                "An administrator can create one with `manage.py createfacilitator`."
            }
        )
    if Facilitation.objects.filter(programme=programme, user=user).exists():
        raise ValidationError({"email": f"{user.name} already facilitates this programme."})
    return Facilitation.objects.create(programme=programme, user=user, role=Facilitation.Role.CO)


def remove_cofacilitator(programme: Programme, actor: User, facilitation: Facilitation) -> None:
    """Remove a co-facilitator: the lead may remove anyone but themself; others only leave."""
    _ensure_open(programme)
    if facilitation.programme_id != programme.pk:
        raise ValidationError("This person does not facilitate this programme.")
    if facilitation.role == Facilitation.Role.LEAD:
        raise ValidationError("The lead facilitator cannot be removed.")
    actor_is_lead = Facilitation.objects.filter(
        programme=programme, user=actor, role=Facilitation.Role.LEAD
    ).exists()
    if not actor_is_lead and facilitation.user_id != actor.pk:
        raise ValidationError("Only the lead facilitator can remove another co-facilitator.")
    facilitation.delete()


# --- Participants ---------------------------------------------------------------------------


def _normalise_participant(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = _clean_text(fields)
    if "email" in cleaned:
        cleaned["email"] = normalise_email(cleaned["email"])
    return cleaned


def add_participant(programme: Programme, actor: User | None, **fields: Any) -> Participant:
    """Add a person to a programme's cohort (actor None: they registered themselves)."""
    _check_fields(fields, PARTICIPANT_FIELDS)
    _ensure_open(programme)
    participant = Participant(programme=programme, **_normalise_participant(fields))
    participant.full_clean()
    participant.save()
    return participant


def update_participant(participant: Participant, actor: User, **changes: Any) -> Participant:
    """Change a person's details; the caller's instance is left as it was on error."""
    _check_fields(changes, PARTICIPANT_FIELDS)
    with transaction.atomic():
        fresh = Participant.objects.select_related("programme").get(pk=participant.pk)
        _ensure_open(fresh.programme)
        for key, value in _normalise_participant(changes).items():
            setattr(fresh, key, value)
        fresh.full_clean()
        fresh.save()
    return fresh


def remove_participant(participant: Participant, actor: User) -> None:
    """Delete a person and everything that hangs off them (their erasure request, too)."""
    _ensure_open(participant.programme)
    participant.delete()


def agree_ground_rules(participant: Participant) -> Participant:
    """Record that the participant agreed to the programme's ground rules (once; idempotent)."""
    _ensure_open(participant.programme)
    if participant.agreed_ground_rules_at is None:
        now = timezone.now()
        Participant.objects.filter(pk=participant.pk, agreed_ground_rules_at__isnull=True).update(
            agreed_ground_rules_at=now
        )
        participant.refresh_from_db(fields=["agreed_ground_rules_at"])
    return participant


# --- Invites --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvite:
    """A freshly made invite and its token: the only moment the token exists in clear."""

    invite: Invite
    token: str


class InviteNotUsable(ValidationError):
    """The invite is revoked, used, expired or of the wrong kind; `status` says which."""

    def __init__(self, status: str) -> None:
        messages = {
            "revoked": "This link has been withdrawn.",
            "used": "This link has already been used.",
            "expired": "This link has expired.",
            "wrong_kind": "This link cannot be used this way.",
        }
        super().__init__(messages[status], code=status)
        self.status = status


def _expiry(valid_days: int) -> Any:
    if not 1 <= valid_days <= MAX_INVITE_DAYS:
        raise ValidationError(
            {"valid_days": f"An invite can be valid for 1 to {MAX_INVITE_DAYS} days."}
        )
    return timezone.now() + timedelta(days=valid_days)


def issue_personal_invite(
    participant: Participant, actor: User | None, *, valid_days: int = DEFAULT_INVITE_DAYS
) -> IssuedInvite:
    """Make a single-use link for one person, revoking any earlier unused ones."""
    _ensure_open(participant.programme)
    expires_at = _expiry(valid_days)
    token, token_hash = new_token()
    now = timezone.now()
    with transaction.atomic():
        Invite.objects.filter(
            participant=participant, revoked_at__isnull=True, redeemed_at__isnull=True
        ).update(revoked_at=now)
        invite = Invite.objects.create(
            programme=participant.programme,
            participant=participant,
            token_hash=token_hash,
            created_by=actor,
            expires_at=expires_at,
        )
    return IssuedInvite(invite, token)


def create_open_invite(
    programme: Programme, actor: User, *, valid_days: int = DEFAULT_INVITE_DAYS
) -> IssuedInvite:
    """Make the programme's open registration link, revoking the previous one."""
    _ensure_open(programme)
    expires_at = _expiry(valid_days)
    token, token_hash = new_token()
    now = timezone.now()
    with transaction.atomic():
        Invite.objects.filter(
            programme=programme, participant__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invite = Invite.objects.create(
            programme=programme, token_hash=token_hash, created_by=actor, expires_at=expires_at
        )
    return IssuedInvite(invite, token)


def revoke_invite(invite: Invite, actor: User) -> Invite:
    """Withdraw a link; revoking twice is harmless."""
    if invite.revoked_at is None:
        Invite.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        invite.refresh_from_db(fields=["revoked_at"])
    return invite


def redeem_personal_invite(invite: Invite) -> Participant:
    """Use a personal link once; raises InviteNotUsable if it is revoked, used or expired."""
    if invite.participant is None:
        raise InviteNotUsable("wrong_kind")
    _ensure_open(invite.programme)
    now = timezone.now()
    # A conditional update makes two simultaneous redemptions of one link impossible.
    claimed = Invite.objects.filter(
        pk=invite.pk, revoked_at__isnull=True, redeemed_at__isnull=True, expires_at__gt=now
    ).update(redeemed_at=now)
    if not claimed:
        invite.refresh_from_db()
        raise InviteNotUsable(invite.status(now))
    invite.redeemed_at = now
    return invite.participant


def register_with_open_invite(invite: Invite, **fields: Any) -> Participant:
    """Create a participant from the open registration form; the link stays usable."""
    if invite.participant_id is not None:
        raise InviteNotUsable("wrong_kind")
    status = invite.status()
    if status != "active":
        raise InviteNotUsable(status)
    return add_participant(invite.programme, None, **fields)


# --- Retention ------------------------------------------------------------------------------


def purge_expired_programmes(now: datetime | None = None, *, dry_run: bool = False) -> list[str]:
    """Delete every programme archived longer ago than its retention period; return their names.

    Deletion cascades to everything in the programme (people, invites, sessions, live data).
    Run it daily (`manage.py purgeexpired`); a programme restored before then is kept.
    """
    now = now or timezone.now()
    expired = [
        programme
        for programme in Programme.objects.filter(archived_at__isnull=False).order_by("pk")
        if programme.archived_at is not None
        and programme.archived_at + timedelta(days=programme.retention_days) <= now
    ]
    if not dry_run:
        with transaction.atomic():
            Programme.objects.filter(pk__in=[p.pk for p in expired]).delete()
    return [programme.name for programme in expired]
