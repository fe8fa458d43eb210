"""A programme's data is deleted once it has been archived for its retention period."""

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.models import Invite, Participant, Programme


def archive_days_ago(programme: Programme, user: User, days: int) -> None:
    actions.archive_programme(programme, user)
    Programme.objects.filter(pk=programme.pk).update(
        archived_at=timezone.now() - timedelta(days=days)
    )


def test_purge_deletes_only_programmes_past_retention(
    facilitator: User, programme: Programme, participant: Participant
) -> None:
    kept_archived = actions.create_programme(facilitator, name="Recent", retention_days=30)
    still_open = actions.create_programme(facilitator, name="Open", retention_days=30)
    actions.update_programme(programme, facilitator, retention_days=60)
    archive_days_ago(programme, facilitator, 61)
    archive_days_ago(kept_archived, facilitator, 29)

    out = io.StringIO()
    call_command("purgeexpired", "--dry-run", stdout=out)
    assert "Would delete Moving more together" in out.getvalue()
    assert Programme.objects.filter(pk=programme.pk).exists()

    out = io.StringIO()
    call_command("purgeexpired", stdout=out)
    assert "Deleted 1 programme(s)" in out.getvalue()
    assert set(Programme.objects.values_list("name", flat=True)) == {"Recent", "Open"}
    assert not Participant.objects.filter(pk=participant.pk).exists()
    assert not Invite.objects.filter(programme_id=programme.pk).exists()
    assert Programme.objects.filter(pk=still_open.pk).exists()
