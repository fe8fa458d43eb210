"""The ways into a live session: facilitators from the run-sheet, participants from their home."""

from datetime import datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session

pytestmark = pytest.mark.django_db


def test_run_sheet_links_to_the_live_console(
    facilitator_client: Client, programme: Programme, session: Session
) -> None:
    page = facilitator_client.get(reverse("workshops:runsheet", args=[programme.pk, session.pk]))
    console = reverse("live:console", args=[programme.pk, session.pk])
    assert f'href="{console}"' in page.content.decode()


def test_participant_home_links_to_a_live_session_on_its_day(
    participant_client: Client, programme: Programme, session: Session, participant: Participant
) -> None:
    home = reverse("programmes:participant_home", args=[programme.pk])
    live = f'href="{reverse("live:session", args=[programme.pk, session.pk])}"'
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now())
    html = participant_client.get(home).content.decode()
    assert live in html
    # Participants are never offered the facilitator's console.
    assert reverse("live:console", args=[programme.pk, session.pk]) not in html
    # Weeks ahead there is nothing live to join yet: the card says when there will be.
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() + timedelta(days=30))
    html = participant_client.get(home).content.decode()
    assert live not in html and "The live page opens here on the day of the session." in html


AUCKLAND = ZoneInfo("Pacific/Auckland")


@pytest.mark.parametrize(
    ("starts", "minutes", "now"),
    [
        # 23:00 to 01:00 in Auckland: both its days count.
        (datetime(2026, 12, 6, 23, 0), 120, datetime(2026, 12, 7, 0, 30, tzinfo=AUCKLAND)),
        (datetime(2026, 12, 6, 23, 0), 120, datetime(2026, 12, 6, 8, 0, tzinfo=AUCKLAND)),
        # 20:00 UTC on the 7th is already 09:00 on the 8th in Auckland: its zone decides.
        (datetime(2026, 12, 8, 9, 0), 60, datetime(2026, 12, 7, 20, 0, tzinfo=ZoneInfo("UTC"))),
    ],
)
def test_the_day_is_the_sessions_own(
    session: Session, starts: datetime, minutes: int, now: datetime
) -> None:
    zone = AUCKLAND
    session.time_zone = "Pacific/Auckland"
    session.starts_at = starts.replace(tzinfo=zone)
    session.duration_minutes = minutes
    with patch("convenor.workshops.models.timezone.now", return_value=now):
        assert session.is_on_today()
    later = (starts + timedelta(days=2)).replace(tzinfo=zone)
    with patch("convenor.workshops.models.timezone.now", return_value=later):
        assert not session.is_on_today()


def test_archived_programme_offers_no_live_console(
    facilitator_client: Client, programme: Programme, session: Session, facilitator: User
) -> None:
    programme_actions.archive_programme(programme, facilitator)
    page = facilitator_client.get(reverse("workshops:runsheet", args=[programme.pk, session.pk]))
    assert page.status_code == 200
    assert reverse("live:console", args=[programme.pk, session.pk]) not in page.content.decode()
