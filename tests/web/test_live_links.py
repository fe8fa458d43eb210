"""The ways into a live session: facilitators from the run-sheet, participants from their home."""

import pytest
from django.test import Client
from django.urls import reverse

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


def test_participant_home_links_to_each_live_session(
    participant_client: Client, programme: Programme, session: Session, participant: Participant
) -> None:
    page = participant_client.get(reverse("programmes:participant_home", args=[programme.pk]))
    html = page.content.decode()
    assert f'href="{reverse("live:session", args=[programme.pk, session.pk])}"' in html
    # Participants are never offered the facilitator's console.
    assert reverse("live:console", args=[programme.pk, session.pk]) not in html


def test_archived_programme_offers_no_live_console(
    facilitator_client: Client, programme: Programme, session: Session, facilitator: User
) -> None:
    programme_actions.archive_programme(programme, facilitator)
    page = facilitator_client.get(reverse("workshops:runsheet", args=[programme.pk, session.pk]))
    assert page.status_code == 200
    assert reverse("live:console", args=[programme.pk, session.pk]) not in page.content.decode()
