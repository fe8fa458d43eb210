"""Calendar downloads wait for the ground rules, like every other participant page."""

from django.test import Client
from django.urls import reverse

from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session


def test_ics_downloads_send_a_participant_to_agree_first(
    programme: Programme,
    session: Session,
    new_participant: Participant,
    new_participant_client: Client,
) -> None:
    for url in (
        reverse("workshops:session_ics", args=[programme.pk, session.pk]),
        reverse("workshops:programme_ics", args=[programme.pk]),
    ):
        response = new_participant_client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("programmes:ground_rules", args=[programme.pk]))
        assert "BEGIN:VCALENDAR" not in response.content.decode()


def test_ics_downloads_after_agreeing(
    programme: Programme, session: Session, participant_client: Client
) -> None:
    response = participant_client.get(reverse("workshops:programme_ics", args=[programme.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"BEGIN:VCALENDAR")
