"""Writes that touch many people at once: the CSV import and links for everyone.

They follow actions.py: validate, then write in one transaction, raising ValidationError and
writing nothing when anything is wrong. One-by-one writes (add, edit, remove a person, one
invite) are in actions.py.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.invites import new_token
from convenor.programmes.models import Invite, Participant, Programme
from convenor.programmes.people import Row, check_rows


class ImportRefused(ValidationError):
    """Some rows have problems (`rows` has every row, problems included); nothing was saved."""

    def __init__(self, rows: Sequence[Row]) -> None:
        bad = sum(1 for row in rows if row.problems)
        super().__init__(
            f"{bad} {'row has a problem' if bad == 1 else 'rows have problems'}; "
            "nobody was imported.",
            code="rows",
        )
        self.rows = tuple(rows)


def import_participants(
    programme: Programme, actor: User, entries: Sequence[tuple[int, dict[str, str]]]
) -> list[Participant]:
    """Add everyone in `entries` ((line, values by Participant field)), or nobody.

    The rows are checked again here, inside the transaction, because people may have been added
    since the preview was shown.
    """
    if not entries:
        raise ValidationError("There is nobody to import.")
    with transaction.atomic():
        # Locking the programme row serialises imports into one programme, so two at once
        # cannot both pass the duplicate checks.
        fresh = Programme.objects.select_for_update().get(pk=programme.pk)
        actions._ensure_open(fresh)
        rows = check_rows(fresh, entries)
        if any(row.problems for row in rows):
            raise ImportRefused(rows)
        people = []
        for row in rows:
            person = Participant(programme=fresh, **row.values)
            # Uniqueness was checked for the whole file at once above, and the programme is
            # locked: per-row queries for them would take seconds for a big file. The database
            # constraints still stand behind it.
            person.full_clean(
                exclude=["programme"], validate_unique=False, validate_constraints=False
            )
            people.append(person)
        try:
            with transaction.atomic():
                Participant.objects.bulk_create(people)
        except IntegrityError:
            raise ValidationError(
                "Someone with one of these ids or email addresses was added while you were "
                "importing; nobody was imported. Upload the file again to see which."
            ) from None
    return people


def issue_personal_invites(
    programme: Programme,
    actor: User,
    participants: Sequence[Participant],
    *,
    valid_days: int = actions.DEFAULT_INVITE_DAYS,
) -> list[actions.IssuedInvite]:
    """A fresh personal link for each person (revoking their unused ones), in one transaction."""
    actions._ensure_open(programme)
    if any(person.programme_id != programme.pk for person in participants):
        raise ValidationError("Everyone must belong to this programme.")
    expires_at = actions._expiry(valid_days)
    now = timezone.now()
    issued = []
    for person in participants:
        token, token_hash = new_token()
        invite = Invite(
            programme=programme,
            participant=person,
            token_hash=token_hash,
            created_by=actor,
            expires_at=expires_at,
            created_at=now,
        )
        issued.append(actions.IssuedInvite(invite, token))
    with transaction.atomic():
        Invite.objects.filter(
            participant__in=[person.pk for person in participants],
            revoked_at__isnull=True,
            redeemed_at__isnull=True,
        ).update(revoked_at=now)
        Invite.objects.bulk_create([item.invite for item in issued])
    return issued
