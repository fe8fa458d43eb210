"""Programme pages: create, edit, archive, co-facilitators, ground rules, participant home."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.models import DEFAULT_GROUND_RULES, Facilitation, Participant, Programme


def programme_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Partnership board development",
        "description": "Six sessions.",
        "chatham_house": "on",
        "retention_days": "400",
        "ground_rules": "Listen. Be kind.",
    }
    data.update(overrides)
    return data


def control_tag(html: str, name: str) -> str:
    """The opening tag of the form control called `name`."""
    match = re.search(rf'<(input|textarea|select)[^>]*name="{name}"[^>]*>', html)
    assert match is not None, name
    return match.group(0)


def test_home_lists_only_my_programmes(
    facilitator_client: Client, programme: Programme, outsider: User
) -> None:
    html = facilitator_client.get(reverse("programmes:home")).content.decode()
    assert programme.name in html
    assert "Someone else&#x27;s programme" not in html


def test_create_form_starts_with_default_ground_rules(facilitator_client: Client) -> None:
    html = facilitator_client.get(reverse("programmes:create")).content.decode()
    assert "the Chatham House rule" in html
    assert "Cameras are optional" in html


def test_create_makes_the_creator_lead(
    facilitator: User, facilitator_client: Client, csrf_client: Any
) -> None:
    response = csrf_client(facilitator_client).post(reverse("programmes:create"), programme_data())
    programme = Programme.objects.get(name="Partnership board development")
    assert response["Location"] == reverse("programmes:dashboard", args=[programme.pk])
    assert programme.retention_days == 400 and programme.chatham_house
    assert Facilitation.objects.get(programme=programme).user == facilitator
    assert Facilitation.objects.get(programme=programme).role == "lead"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "This field is required."),
        ("retention_days", "29", "greater than or equal to 30"),
        ("retention_days", "3651", "less than or equal to 3650"),
        ("retention_days", "a year", "Enter a whole number."),
        ("ground_rules", "", "This field is required."),
        ("name", "x" * 201, "at most 200 characters"),
    ],
)
def test_create_with_bad_input_shows_the_error_on_the_field(
    field: str, value: str, message: str, facilitator_client: Client
) -> None:
    response = facilitator_client.post(
        reverse("programmes:create"), programme_data(**{field: value})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_error"' in html
    assert "There is a problem" in html
    control = control_tag(html, field)
    assert 'aria-invalid="true"' in control
    assert re.search(rf'aria-describedby="[^"]*\bid_{field}_error\b', control)
    assert not Programme.objects.exists()


def test_edit_by_co_facilitator(
    programme: Programme, co_facilitator_client: Client, csrf_client: Any
) -> None:
    url = reverse("programmes:edit", args=[programme.pk])
    response = csrf_client(co_facilitator_client).post(
        url, programme_data(name="Renamed", chatham_house="")
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.name == "Renamed" and not programme.chatham_house


def test_edit_with_bad_input_changes_nothing(
    programme: Programme, facilitator_client: Client
) -> None:
    before = Programme.objects.values().get(pk=programme.pk)
    response = facilitator_client.post(
        reverse("programmes:edit", args=[programme.pk]),
        programme_data(name="New name", retention_days="10"),
    )
    assert response.status_code == 200
    assert "greater than or equal to 30" in response.content.decode()
    assert Programme.objects.values().get(pk=programme.pk) == before


def test_archive_makes_read_only_and_closes_to_participants(
    programme: Programme,
    facilitator_client: Client,
    participant_client: Client,
    csrf_client: Any,
) -> None:
    archive_url = reverse("programmes:archive", args=[programme.pk])
    assert "Archive Moving more together?" in facilitator_client.get(archive_url).content.decode()
    assert csrf_client(facilitator_client).post(archive_url).status_code == 302
    programme.refresh_from_db()
    assert programme.is_archived

    dashboard = facilitator_client.get(reverse("programmes:dashboard", args=[programme.pk]))
    assert "read-only and closed to participants" in dashboard.content.decode()
    assert (
        facilitator_client.get(reverse("programmes:edit", args=[programme.pk])).status_code == 403
    )
    assert facilitator_client.post(archive_url).status_code == 403
    home = reverse("programmes:participant_home", args=[programme.pk])
    assert participant_client.get(home).status_code == 404

    restore = reverse("programmes:restore", args=[programme.pk])
    assert csrf_client(facilitator_client).post(restore).status_code == 302
    assert participant_client.get(home).status_code == 200
    assert (
        facilitator_client.get(reverse("programmes:edit", args=[programme.pk])).status_code == 200
    )


def test_add_co_facilitator_by_email(
    programme: Programme, facilitator_client: Client, outsider: User, csrf_client: Any
) -> None:
    url = reverse("programmes:facilitators", args=[programme.pk])
    response = csrf_client(facilitator_client).post(url, {"email": "OLU.Outsider@example.org"})
    assert response["Location"] == url
    assert Facilitation.objects.get(programme=programme, user=outsider).role == "co"
    assert "Olu Outsider" in facilitator_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.org", "There is no facilitator account with this email address."),
        ("lena.lead@example.org", "Lena Lead already facilitates this programme."),
        ("not an email", "Enter a valid email address."),
    ],
)
def test_add_co_facilitator_errors(
    email: str, message: str, programme: Programme, facilitator_client: Client
) -> None:
    response = facilitator_client.post(
        reverse("programmes:facilitators", args=[programme.pk]), {"email": email}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Facilitation.objects.filter(programme=programme).count() == 1


def test_lead_removes_a_co_facilitator(
    programme: Programme,
    co_facilitation: Facilitation,
    facilitator_client: Client,
    co_facilitator_client: Client,
    csrf_client: Any,
) -> None:
    url = reverse("programmes:facilitator_remove", args=[programme.pk, co_facilitation.pk])
    assert "Remove Cal Co?" in facilitator_client.get(url).content.decode()
    assert csrf_client(facilitator_client).post(url).status_code == 302
    assert not Facilitation.objects.filter(pk=co_facilitation.pk).exists()
    dashboard = reverse("programmes:dashboard", args=[programme.pk])
    assert co_facilitator_client.get(dashboard).status_code == 404


def test_co_facilitator_cannot_remove_the_lead_or_another_co(
    programme: Programme,
    facilitator: User,
    co_facilitator_client: Client,
) -> None:
    lead = Facilitation.objects.get(programme=programme, user=facilitator)
    third = User.objects.create_user("third@example.org", "Third Person", "pw-long-enough-1")
    other = actions.add_cofacilitator(programme, facilitator, third.email)
    for target, message in [
        (lead, "The lead facilitator cannot be removed."),
        (other, "Only the lead facilitator can remove another co-facilitator."),
    ]:
        url = reverse("programmes:facilitator_remove", args=[programme.pk, target.pk])
        response = co_facilitator_client.post(url)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert Facilitation.objects.filter(programme=programme).count() == 3


def test_co_facilitator_can_step_down(
    programme: Programme, co_facilitation: Facilitation, co_facilitator_client: Client
) -> None:
    url = reverse("programmes:facilitator_remove", args=[programme.pk, co_facilitation.pk])
    assert "Stop facilitating" in co_facilitator_client.get(url).content.decode()
    assert co_facilitator_client.post(url)["Location"] == reverse("programmes:home")
    assert not Facilitation.objects.filter(pk=co_facilitation.pk).exists()


def test_participant_agrees_to_ground_rules_before_entering(
    programme: Programme,
    new_participant: Participant,
    new_participant_client: Client,
    csrf_client: Any,
) -> None:
    home = reverse("programmes:participant_home", args=[programme.pk])
    first = new_participant_client.get(home)
    rules = reverse("programmes:ground_rules", args=[programme.pk])
    assert first["Location"] == f"{rules}?next=%2Fp%2F{programme.pk}%2Fhome%2F"

    page = new_participant_client.get(first["Location"]).content.decode()
    assert "Listen properly" in page and "I agree" in page
    assert f'name="next" value="/p/{programme.pk}/home/"' in page

    agreed = csrf_client(new_participant_client).post(rules, {"next": home})
    assert agreed["Location"] == home
    new_participant.refresh_from_db()
    assert new_participant.agreed_ground_rules_at is not None
    welcome = new_participant_client.get(home).content.decode()
    assert "Hello, Priya Participant." in welcome
    # Shown once: afterwards the page says when they agreed instead of asking again.
    assert "I agree" not in new_participant_client.get(rules).content.decode()


def test_agreeing_never_redirects_off_site(
    programme: Programme, new_participant_client: Client
) -> None:
    rules = reverse("programmes:ground_rules", args=[programme.pk])
    response = new_participant_client.post(rules, {"next": "https://evil.example.org/"})
    assert response["Location"] == reverse("programmes:participant_home", args=[programme.pk])


def test_facilitators_preview_the_participant_pages(
    programme: Programme, facilitator_client: Client
) -> None:
    rules = reverse("programmes:ground_rules", args=[programme.pk])
    page = facilitator_client.get(rules).content.decode()
    assert "This is a preview" in page and "I agree</button>" not in page
    assert facilitator_client.post(rules).status_code == 403
    home = facilitator_client.get(reverse("programmes:participant_home", args=[programme.pk]))
    assert "This is what participants see." in home.content.decode()


def test_participant_leaves_on_this_device(
    programme: Programme, participant_client: Client, csrf_client: Any
) -> None:
    leave = reverse("programmes:leave", args=[programme.pk])
    assert "Leave Moving more together on this device?" in (
        participant_client.get(leave).content.decode()
    )
    response = csrf_client(participant_client).post(leave)
    assert "You have left Moving more together on this device" in response.content.decode()
    home = reverse("programmes:participant_home", args=[programme.pk])
    assert participant_client.get(home).status_code == 404


def test_removed_participant_loses_access(
    programme: Programme, participant: Participant, participant_client: Client, facilitator: User
) -> None:
    actions.remove_participant(participant, facilitator)
    home = reverse("programmes:participant_home", args=[programme.pk])
    assert participant_client.get(home).status_code == 404


def test_a_participant_of_one_programme_is_an_outsider_in_another(
    participant_client: Client, outsider: User
) -> None:
    other = Programme.objects.get(facilitations__user=outsider)
    home = reverse("programmes:participant_home", args=[other.pk])
    assert participant_client.get(home).status_code == 404


def test_default_ground_rules_are_our_own_words() -> None:
    for phrase in ["Chatham House rule", "Cameras are optional", "Listen properly", "respect"]:
        assert phrase in DEFAULT_GROUND_RULES


def test_an_empty_post_shows_errors(facilitator_client: Client, programme: Programme) -> None:
    for url in (
        reverse("programmes:create"),
        reverse("programmes:edit", args=[programme.pk]),
        reverse("programmes:facilitators", args=[programme.pk]),
    ):
        response = facilitator_client.post(url, {})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode(), url


def test_home_lists_open_programmes_before_archived_ones(
    facilitator: User, facilitator_client: Client, programme: Programme
) -> None:
    actions.archive_programme(programme, facilitator)
    actions.create_programme(facilitator, name="Still running")
    html = facilitator_client.get(reverse("programmes:home")).content.decode()
    assert html.index("Still running") < html.index("Moving more together")
