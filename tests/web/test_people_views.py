"""People pages: the cohort list, adding, editing and removing a person; who may do it."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.programmes import actions, people_actions, people_views
from convenor.programmes.models import Invite, Participant, Programme

XSS_NAME = '<script>alert("name")</script>'
XSS_ORG = '"><img src=x onerror=alert(1)>'


def person_data(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Dee Delivery",
        "email": "Dee@Example.org",
        "organisation": "Active Partnership",
        "sector": "Sport and physical activity",
        "role": "Programme lead",
        "pronouns": "she/her",
        "access_needs": "Captions on video calls",
        "external_id": "p42",
    }
    data.update(overrides)
    return data


@pytest.fixture
def other_person(programme: Programme, facilitator: User) -> Participant:
    return actions.add_participant(
        programme,
        facilitator,
        display_name="Omar Other",
        organisation="Voluntary Action",
        sector="Voluntary sector",
    )


def people_url(programme: Programme) -> str:
    return reverse("programmes:people", args=[programme.pk])


# --- list -----------------------------------------------------------------------------------


def test_list_shows_people_with_their_invite_state(
    facilitator_client: Client,
    programme: Programme,
    participant: Participant,
    other_person: Participant,
    facilitator: User,
    check_response: Callable[[Any], None],
) -> None:
    invited = actions.add_participant(programme, facilitator, display_name="Ivy Invited")
    actions.issue_personal_invite(invited, facilitator)
    withdrawn = actions.add_participant(programme, facilitator, display_name="Wes Withdrawn")
    actions.revoke_invite(actions.issue_personal_invite(withdrawn, facilitator).invite, facilitator)

    response = facilitator_client.get(people_url(programme))

    assert response.status_code == 200
    check_response(response)
    rows = {person.display_name: state.kind for person, state in response.context["rows"]}
    assert rows == {
        "Priya Participant": "joined",
        "Omar Other": "none",
        "Ivy Invited": "active",
        "Wes Withdrawn": "revoked",
    }
    page = response.content.decode()
    assert "Voluntary Action" in page and "Local government" in page
    assert "Link valid until" in page and "Link withdrawn" in page and "No link yet" in page
    assert "<caption>4 people in Moving more together</caption>" in page


def test_co_facilitators_manage_people_too(
    co_facilitator_client: Client, programme: Programme
) -> None:
    response = co_facilitator_client.post(
        reverse("programmes:person_add", args=[programme.pk]), person_data()
    )
    assert response.status_code == 302
    assert programme.participants.filter(display_name="Dee Delivery").exists()


def test_names_and_organisations_are_inert_on_the_list(
    facilitator_client: Client, programme: Programme, facilitator: User
) -> None:
    actions.add_participant(programme, facilitator, display_name=XSS_NAME, organisation=XSS_ORG)
    page = facilitator_client.get(people_url(programme)).content.decode()
    assert XSS_NAME not in page and XSS_ORG not in page
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


# --- add ------------------------------------------------------------------------------------


def test_add_a_person(facilitator_client: Client, programme: Programme) -> None:
    response = facilitator_client.post(
        reverse("programmes:person_add", args=[programme.pk]), person_data()
    )
    assert response.status_code == 302
    assert response["Location"] == people_url(programme)
    person = programme.participants.get(display_name="Dee Delivery")
    assert person.email == "dee@example.org"
    assert (person.organisation, person.sector, person.role) == (
        "Active Partnership",
        "Sport and physical activity",
        "Programme lead",
    )
    assert (person.pronouns, person.access_needs, person.external_id) == (
        "she/her",
        "Captions on video calls",
        "p42",
    )


def test_add_and_add_another_returns_to_the_form(
    facilitator_client: Client, programme: Programme
) -> None:
    url = reverse("programmes:person_add", args=[programme.pk])
    response = facilitator_client.post(url, {**person_data(), "add_another": "1"})
    assert response.status_code == 302 and response["Location"] == url


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"display_name": "  "}, "display_name", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"organisation": "x" * 201}, "organisation", "at most 200 characters"),
    ],
)
def test_add_refuses_bad_input_and_saves_nothing(
    facilitator_client: Client,
    programme: Programme,
    overrides: dict[str, str],
    field: str,
    message: str,
    check_response: Callable[[Any], None],
) -> None:
    response = facilitator_client.post(
        reverse("programmes:person_add", args=[programme.pk]), person_data(**overrides)
    )
    assert response.status_code == 400
    check_response(response)
    assert message in " ".join(response.context["form"].errors[field])
    # The error summary links to the field.
    assert f'href="#id_{field}"' in response.content.decode()
    assert not programme.participants.exists()


def test_add_refuses_an_id_or_email_already_in_the_programme(
    facilitator_client: Client, programme: Programme, participant: Participant
) -> None:
    url = reverse("programmes:person_add", args=[programme.pk])
    response = facilitator_client.post(url, person_data(email="PRIYA@example.org"))
    assert response.status_code == 400
    assert "Another person in this programme has this email." in response.content.decode()
    assert programme.participants.count() == 1


# --- edit -----------------------------------------------------------------------------------


def test_edit_a_person(
    facilitator_client: Client, programme: Programme, other_person: Participant
) -> None:
    url = reverse("programmes:person_edit", args=[programme.pk, other_person.pk])
    assert facilitator_client.get(url).status_code == 200
    response = facilitator_client.post(url, person_data(display_name="Omar Renamed"))
    assert response.status_code == 302
    other_person.refresh_from_db()
    assert other_person.display_name == "Omar Renamed"
    assert other_person.email == "dee@example.org"


def test_edit_with_bad_input_changes_nothing(
    facilitator_client: Client, programme: Programme, other_person: Participant
) -> None:
    url = reverse("programmes:person_edit", args=[programme.pk, other_person.pk])
    response = facilitator_client.post(url, person_data(display_name="", email="bad"))
    assert response.status_code == 400
    # The heading still names the person as saved, not the rejected input.
    assert "<h1>Edit Omar Other</h1>" in response.content.decode()
    other_person.refresh_from_db()
    assert other_person.display_name == "Omar Other"
    assert other_person.email == ""


# --- remove ---------------------------------------------------------------------------------


def test_remove_asks_first_then_deletes_the_person_and_their_links(
    facilitator_client: Client,
    programme: Programme,
    other_person: Participant,
    facilitator: User,
    check_response: Callable[[Any], None],
) -> None:
    actions.issue_personal_invite(other_person, facilitator)
    url = reverse("programmes:person_remove", args=[programme.pk, other_person.pk])

    confirm = facilitator_client.get(url)
    assert confirm.status_code == 200
    check_response(confirm)
    assert "Remove Omar Other?" in confirm.content.decode()
    assert Participant.objects.filter(pk=other_person.pk).exists()

    response = facilitator_client.post(url)
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=other_person.pk).exists()
    assert not Invite.objects.filter(participant_id=other_person.pk).exists()


# --- who may ------------------------------------------------------------------------------


def person_urls(programme: Programme, person: Participant) -> list[str]:
    return [
        reverse("programmes:people", args=[programme.pk]),
        reverse("programmes:person_add", args=[programme.pk]),
        reverse("programmes:person_edit", args=[programme.pk, person.pk]),
        reverse("programmes:person_remove", args=[programme.pk, person.pk]),
        reverse("programmes:person_link", args=[programme.pk, person.pk]),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_get_404(
    method: str,
    programme: Programme,
    other_person: Participant,
    outsider_client: Client,
    anonymous_client: Client,
) -> None:
    for url in person_urls(programme, other_person):
        for client in (outsider_client, anonymous_client):
            response = getattr(client, method)(url, person_data())
            assert response.status_code == 404, url
    assert Participant.objects.filter(pk=other_person.pk).exists()
    assert not Participant.objects.filter(display_name="Dee Delivery").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_participants_get_403(
    method: str, programme: Programme, other_person: Participant, participant_client: Client
) -> None:
    for url in person_urls(programme, other_person):
        response = getattr(participant_client, method)(url, person_data())
        assert response.status_code == 403, url
    assert Participant.objects.filter(pk=other_person.pk).exists()
    assert not other_person.invites.exists()


def test_a_person_of_another_programme_is_404(
    facilitator_client: Client, programme: Programme, outsider: User
) -> None:
    elsewhere = actions.add_participant(
        outsider.facilitations.get().programme, outsider, display_name="Not Yours"
    )
    url = reverse("programmes:person_remove", args=[programme.pk, elsewhere.pk])
    assert facilitator_client.post(url).status_code == 404
    assert Participant.objects.filter(pk=elsewhere.pk).exists()


def test_archived_programmes_are_read_only(
    facilitator_client: Client, programme: Programme, other_person: Participant, facilitator: User
) -> None:
    actions.archive_programme(programme, facilitator)
    assert facilitator_client.get(people_url(programme)).status_code == 200
    for url in person_urls(programme, other_person)[1:4]:
        assert facilitator_client.post(url, person_data()).status_code == 403, url
    assert Participant.objects.filter(pk=other_person.pk).exists()


def test_writes_need_the_csrf_token(
    facilitator: User,
    programme: Programme,
    other_person: Participant,
    csrf_client: Callable[[Client], Any],
) -> None:
    client = Client()
    client.force_login(facilitator)
    browser = csrf_client(client)
    add = reverse("programmes:person_add", args=[programme.pk])
    remove = reverse("programmes:person_remove", args=[programme.pk, other_person.pk])
    assert browser.post_without_token(add, person_data()).status_code == 403
    assert browser.post_without_token(remove).status_code == 403
    assert not programme.participants.filter(display_name="Dee Delivery").exists()
    assert Participant.objects.filter(pk=other_person.pk).exists()
    assert browser.post(add, person_data()).status_code == 302
    assert browser.post(remove).status_code == 302
    assert not Participant.objects.filter(pk=other_person.pk).exists()


def test_navigation_links_to_people(facilitator_client: Client, programme: Programme) -> None:
    page = facilitator_client.get(reverse("programmes:dashboard", args=[programme.pk]))
    html = page.content.decode()
    assert f'href="{people_url(programme)}"' in html
    assert f'href="{reverse("programmes:registration", args=[programme.pk])}"' in html


def test_a_big_cohort_is_listed_in_pages(
    facilitator_client: Client, programme: Programme, facilitator: User
) -> None:
    rows = [(n, {"display_name": f"Person {n:03d}"}) for n in range(205)]
    people_actions.import_participants(programme, facilitator, rows)
    first = facilitator_client.get(people_url(programme))
    assert len(first.context["rows"]) == people_views.PEOPLE_PER_PAGE
    assert "205 people in Moving more together: 1 to 200" in first.content.decode()
    second = facilitator_client.get(people_url(programme), {"page": "2"})
    assert [p.display_name for p, _ in second.context["rows"]] == [
        f"Person {n:03d}" for n in range(200, 205)
    ]
    assert facilitator_client.get(people_url(programme), {"page": "nonsense"}).status_code == 200
