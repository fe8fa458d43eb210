"""Facilitators' link pages: a person's link, the open registration link, withdrawing, and links
for everyone as a CSV."""

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.invites import find_invite
from convenor.programmes.models import Invite, Participant, Programme


@pytest.fixture
def person(programme: Programme, facilitator: User) -> Participant:
    return actions.add_participant(
        programme,
        facilitator,
        display_name='=HYPERLINK("http://evil.example")',
        email="nina@example.org",
        organisation="Community Trust",
        sector="Voluntary sector",
        external_id="n1",
    )


def link_url(programme: Programme, person: Participant) -> str:
    return reverse("programmes:person_link", args=[programme.pk, person.pk])


def token_from(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_making_a_link_shows_it_once(
    facilitator_client: Client,
    programme: Programme,
    person: Participant,
    check_response: Callable[[Any], None],
) -> None:
    page = facilitator_client.get(link_url(programme, person))
    assert page.status_code == 200
    check_response(page)
    assert "No link yet" in page.content.decode()

    made = facilitator_client.post(link_url(programme, person), {"valid_days": "7"})
    assert made.status_code == 200
    check_response(made)
    assert "no-store" in made["Cache-Control"]
    url = made.context["url"]
    assert url.startswith("http://testserver/join/")
    assert f'value="{url}"' in made.content.decode()
    invite = find_invite(token_from(url))
    assert invite is not None and invite.participant == person
    assert timedelta(days=6, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=7)

    # Afterwards the page shows the link's state, never the link.
    again = facilitator_client.get(link_url(programme, person))
    assert token_from(url) not in again.content.decode()
    assert "Link valid until" in again.content.decode()


@pytest.mark.parametrize("days", ["0", "366", "soon", ""])
def test_link_validity_is_bounded(
    facilitator_client: Client, programme: Programme, person: Participant, days: str
) -> None:
    response = facilitator_client.post(link_url(programme, person), {"valid_days": days})
    assert response.status_code == 400
    assert 'href="#id_valid_days"' in response.content.decode()
    assert not person.invites.exists()


def test_reissuing_replaces_the_old_link(
    facilitator_client: Client, programme: Programme, person: Participant
) -> None:
    first = facilitator_client.post(link_url(programme, person), {"valid_days": "30"})
    second = facilitator_client.post(link_url(programme, person), {"valid_days": "30"})
    old, new = (find_invite(token_from(r.context["url"])) for r in (first, second))
    assert old is not None and new is not None
    assert old.status() == "revoked" and new.status() == "active"


def test_withdrawing_a_link(
    facilitator_client: Client,
    programme: Programme,
    person: Participant,
    facilitator: User,
    check_response: Callable[[Any], None],
) -> None:
    issued = actions.issue_personal_invite(person, facilitator)
    url = reverse("programmes:invite_revoke", args=[programme.pk, issued.invite.pk])
    confirm = facilitator_client.get(url)
    assert confirm.status_code == 200
    check_response(confirm)
    issued.invite.refresh_from_db()
    assert issued.invite.revoked_at is None

    response = facilitator_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == link_url(programme, person)
    issued.invite.refresh_from_db()
    assert issued.invite.status() == "revoked"
    assert (
        Client().post(reverse("programmes:invite_redeem", args=[issued.token])).status_code == 404
    )


def test_the_open_registration_link_page(
    facilitator_client: Client,
    programme: Programme,
    facilitator: User,
    check_response: Callable[[Any], None],
) -> None:
    url = reverse("programmes:registration", args=[programme.pk])
    page = facilitator_client.get(url)
    assert page.status_code == 200
    check_response(page)
    assert "There is no registration link yet." in page.content.decode()

    made = facilitator_client.post(url, {"valid_days": "14"})
    assert made.status_code == 200
    check_response(made)
    assert "no-store" in made["Cache-Control"]
    link = made.context["url"]
    assert link.startswith("http://testserver/register/")
    invite = find_invite(token_from(link))
    assert invite is not None and invite.is_open

    shown = facilitator_client.get(url).content.decode()
    assert "Works until" in shown and token_from(link) not in shown
    revoke = reverse("programmes:invite_revoke", args=[programme.pk, invite.pk])
    assert f'href="{revoke}"' in shown
    response = facilitator_client.post(revoke)
    assert response["Location"] == url
    assert "Withdrawn" in facilitator_client.get(url).content.decode()


# --- links for everyone ----------------------------------------------------------------------


def read_csv(response: Any) -> list[dict[str, str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_links_for_everyone_who_has_not_joined(
    facilitator_client: Client,
    programme: Programme,
    person: Participant,
    participant: Participant,
    facilitator: User,
) -> None:
    earlier = actions.issue_personal_invite(person, facilitator)
    url = reverse("programmes:people_links", args=[programme.pk])
    assert facilitator_client.get(url).status_code == 200

    response = facilitator_client.post(url, {"valid_days": "30", "everyone": "no"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="moving-more-together-invite-links.csv"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    # Priya has joined already; only the person still to join gets a link.
    assert [row["id"] for row in rows] == ["n1"]
    row = rows[0]
    # A spreadsheet must not run the name as a formula.
    assert row["name"] == '\'=HYPERLINK("http://evil.example")'
    assert (row["email"], row["organisation"], row["sector"]) == (
        "nina@example.org",
        "Community Trust",
        "Voluntary sector",
    )
    fresh = find_invite(token_from(row["link"]))
    assert fresh is not None and fresh.participant == person and fresh.status() == "active"
    assert row["valid_until"] == timezone.localtime(fresh.expires_at).date().isoformat()
    earlier.invite.refresh_from_db()
    assert earlier.invite.status() == "revoked"


def test_links_for_everyone_includes_people_who_joined_when_asked(
    facilitator_client: Client, programme: Programme, person: Participant, participant: Participant
) -> None:
    url = reverse("programmes:people_links", args=[programme.pk])
    rows = read_csv(facilitator_client.post(url, {"valid_days": "30", "everyone": "yes"}))
    assert sorted(row["email"] for row in rows) == ["nina@example.org", "priya@example.org"]
    assert all(find_invite(token_from(row["link"])) is not None for row in rows)


def test_links_for_everyone_when_everyone_has_joined(
    facilitator_client: Client, programme: Programme, participant: Participant
) -> None:
    url = reverse("programmes:people_links", args=[programme.pk])
    before = Invite.objects.count()
    response = facilitator_client.post(url, {"valid_days": "30", "everyone": "no"})
    assert response.status_code == 400
    assert "Everyone has joined already" in response.content.decode()
    assert Invite.objects.count() == before


# --- who may ------------------------------------------------------------------------------


def facilitator_urls(programme: Programme, invite: Invite) -> list[str]:
    return [
        reverse("programmes:registration", args=[programme.pk]),
        reverse("programmes:people_links", args=[programme.pk]),
        reverse("programmes:invite_revoke", args=[programme.pk, invite.pk]),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_get_404_and_participants_403(
    method: str,
    programme: Programme,
    person: Participant,
    facilitator: User,
    outsider_client: Client,
    anonymous_client: Client,
    participant_client: Client,
) -> None:
    invite = actions.issue_personal_invite(person, facilitator).invite
    data = {"valid_days": "30", "everyone": "yes"}
    for url in facilitator_urls(programme, invite):
        for client in (outsider_client, anonymous_client):
            assert getattr(client, method)(url, data).status_code == 404, url
        assert getattr(participant_client, method)(url, data).status_code == 403, url
    invite.refresh_from_db()
    assert invite.revoked_at is None
    assert Invite.objects.filter(programme=programme).count() == 2  # the persona's and this one


def test_an_invite_of_another_programme_is_404(
    facilitator_client: Client, programme: Programme, outsider: User
) -> None:
    theirs = outsider.facilitations.get().programme
    invite = actions.create_open_invite(theirs, outsider).invite
    url = reverse("programmes:invite_revoke", args=[programme.pk, invite.pk])
    assert facilitator_client.post(url).status_code == 404
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_link_writes_need_the_csrf_token(
    facilitator: User,
    programme: Programme,
    person: Participant,
    csrf_client: Callable[[Client], Any],
) -> None:
    client = Client()
    client.force_login(facilitator)
    browser = csrf_client(client)
    writes = [
        (link_url(programme, person), {"valid_days": "30"}),
        (reverse("programmes:registration", args=[programme.pk]), {"valid_days": "30"}),
        (reverse("programmes:people_links", args=[programme.pk]), {"valid_days": "30"}),
    ]
    for url, data in writes:
        assert browser.post_without_token(url, data).status_code == 403, url
    assert not Invite.objects.filter(programme=programme).exists()
    for url, data in writes:
        assert browser.post(url, data | {"everyone": "no"}).status_code == 200, url
    assert Invite.objects.filter(programme=programme).count() == 3


def test_archived_programmes_make_no_links(
    facilitator_client: Client, programme: Programme, person: Participant, facilitator: User
) -> None:
    actions.archive_programme(programme, facilitator)
    assert facilitator_client.get(link_url(programme, person)).status_code == 200
    assert (
        facilitator_client.post(link_url(programme, person), {"valid_days": "3"}).status_code == 403
    )
    url = reverse("programmes:registration", args=[programme.pk])
    assert facilitator_client.post(url, {"valid_days": "3"}).status_code == 403
    assert not Invite.objects.filter(programme=programme).exists()
