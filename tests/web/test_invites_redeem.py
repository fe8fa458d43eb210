"""The participant's way in: personal links and the open registration link, and their edge cases."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.programmes import actions, invite_views
from convenor.programmes.access import PARTICIPANT_SESSION_KEY
from convenor.programmes.invites import hash_token
from convenor.programmes.models import Invite, Participant, Programme


@pytest.fixture
def person(programme: Programme, facilitator: User) -> Participant:
    return actions.add_participant(
        programme,
        facilitator,
        display_name="Rita Redeemer",
        organisation="Leisure Trust",
        sector="Sport",
    )


@pytest.fixture
def issued(person: Participant, facilitator: User) -> actions.IssuedInvite:
    return actions.issue_personal_invite(person, facilitator)


@pytest.fixture
def open_link(programme: Programme, facilitator: User) -> actions.IssuedInvite:
    return actions.create_open_invite(programme, facilitator)


def join_url(token: str) -> str:
    return reverse("programmes:invite_redeem", args=[token])


def register_url(token: str) -> str:
    return reverse("programmes:register", args=[token])


def home_url(programme: Programme) -> str:
    return reverse("programmes:participant_home", args=[programme.pk])


def signed_in_as(client: Client, programme: Programme) -> str | None:
    return client.session.get(PARTICIPANT_SESSION_KEY, {}).get(str(programme.pk))


# --- personal links ------------------------------------------------------------------------


def test_get_only_asks_and_post_redeems_to_a_url_without_the_token(
    programme: Programme,
    person: Participant,
    issued: actions.IssuedInvite,
    check_response: Callable[[Any], None],
) -> None:
    client = Client()
    page = client.get(join_url(issued.token))
    assert page.status_code == 200
    check_response(page)
    assert "Join Moving more together as Rita Redeemer?" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    # A mail scanner's GET leaves the link usable and signs nobody in.
    issued.invite.refresh_from_db()
    assert issued.invite.redeemed_at is None
    assert signed_in_as(client, programme) is None

    response = client.post(join_url(issued.token), follow=True)
    final_url, _ = response.redirect_chain[-1]
    assert issued.token not in final_url
    assert all(issued.token not in url for url, _ in response.redirect_chain)
    assert response.redirect_chain[0][0] == home_url(programme)
    # The participant home sends a first-time visitor to agree to the ground rules.
    assert final_url.startswith(reverse("programmes:ground_rules", args=[programme.pk]))
    assert signed_in_as(client, programme) == str(person.pk)
    issued.invite.refresh_from_db()
    assert issued.invite.redeemed_at is not None


def test_tokens_are_stored_hashed(
    issued: actions.IssuedInvite, open_link: actions.IssuedInvite
) -> None:
    assert len(issued.token) >= 43  # 32 random bytes, base64
    stored = Invite.objects.get(pk=issued.invite.pk)
    assert stored.token_hash == hash_token(issued.token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM programmes_invite")
        dump = repr(cursor.fetchall())
    assert issued.token not in dump and open_link.token not in dump


def test_reused_link_says_it_was_used(
    person: Participant, issued: actions.IssuedInvite, check_response: Callable[[Any], None]
) -> None:
    assert Client().post(join_url(issued.token)).status_code == 302
    other_device = Client()
    for method in ("get", "post"):
        response = getattr(other_device, method)(join_url(issued.token))
        assert response.status_code == 410
        check_response(response)
        page = response.content.decode()
        assert "This link has already been used" in page
        assert "ask your facilitator for a new link" in page
    assert signed_in_as(other_device, person.programme) is None


def test_redeeming_again_on_the_same_device_is_harmless(
    programme: Programme, person: Participant, issued: actions.IssuedInvite
) -> None:
    client = Client()
    client.post(join_url(issued.token))
    for method in ("get", "post"):
        response = getattr(client, method)(join_url(issued.token))
        assert response.status_code == 302
        assert response["Location"] == home_url(programme)
    assert signed_in_as(client, programme) == str(person.pk)


def _expire(invite: Invite) -> None:
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def _revoke(invite: Invite) -> None:
    Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())


@pytest.mark.parametrize("spoil", ["expired", "revoked", "tampered", "unknown", "archived"])
def test_invalid_links_all_get_the_same_404_page(
    spoil: str,
    programme: Programme,
    facilitator: User,
    person: Participant,
    issued: actions.IssuedInvite,
    check_response: Callable[[Any], None],
) -> None:
    token = issued.token
    if spoil == "expired":
        _expire(issued.invite)
    elif spoil == "revoked":
        _revoke(issued.invite)
    elif spoil == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif spoil == "unknown":
        token = "x" * 12
    elif spoil == "archived":
        actions.archive_programme(programme, facilitator)
    reference = Client().get(join_url("y" * 43))
    client = Client()
    for method in ("get", "post"):
        response = getattr(client, method)(join_url(token))
        assert response.status_code == 404
        check_response(response)
        # Exactly the page an unknown token gets: nothing tells the cases apart.
        assert response.content.decode().count("This link isn't valid") == 2
        assert _main(response) == _main(reference)
    assert signed_in_as(client, programme) is None
    issued.invite.refresh_from_db()
    assert issued.invite.redeemed_at is None


def _main(response: Any) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def test_reissuing_revokes_the_old_link(
    programme: Programme, person: Participant, facilitator: User, issued: actions.IssuedInvite
) -> None:
    fresh = actions.issue_personal_invite(person, facilitator)
    assert Client().post(join_url(issued.token)).status_code == 404
    assert Client().post(join_url(fresh.token)).status_code == 302


def test_an_open_link_is_not_a_personal_link_and_vice_versa(
    issued: actions.IssuedInvite, open_link: actions.IssuedInvite
) -> None:
    assert Client().get(join_url(open_link.token)).status_code == 404
    assert Client().get(register_url(issued.token)).status_code == 404


def test_names_are_inert_on_the_confirmation_page(programme: Programme, facilitator: User) -> None:
    actions.update_programme(programme, facilitator, name="<b>Bold</b> programme")
    payload = actions.add_participant(
        programme, facilitator, display_name='<script>alert("x")</script>', organisation="<i>Org"
    )
    issued = actions.issue_personal_invite(payload, facilitator)
    page = Client().get(join_url(issued.token)).content.decode()
    assert "<script>alert" not in page and "<b>Bold</b>" not in page and "<i>Org" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_redeeming_needs_the_csrf_token(
    programme: Programme, issued: actions.IssuedInvite, csrf_client: Callable[[Client], Any]
) -> None:
    browser = csrf_client(Client())
    assert browser.post_without_token(join_url(issued.token)).status_code == 403
    issued.invite.refresh_from_db()
    assert issued.invite.redeemed_at is None
    assert browser.post(join_url(issued.token)).status_code == 302


# --- throttling ----------------------------------------------------------------------------


def test_failed_redemptions_are_throttled_per_address(
    programme: Programme, person: Participant, issued: actions.IssuedInvite, settings: Any
) -> None:
    limit = invite_views.FAILURE_THROTTLE.limit
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for attempt in range(limit):
        assert attacker.post(join_url(f"{attempt:043d}")).status_code == 404
    blocked = attacker.post(join_url(issued.token))
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    # Blocked means blocked: the good link was not used up.
    issued.invite.refresh_from_db()
    assert issued.invite.redeemed_at is None
    # GETs (mail scanners, the confirmation page) are not refused, nor other addresses.
    assert attacker.get(join_url(issued.token)).status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.7").post(join_url(issued.token)).status_code == 302


def test_successful_redemptions_do_not_count(
    programme: Programme, person: Participant, facilitator: User
) -> None:
    # A room of people on one venue network all joining at once.
    room = "192.0.2.1"
    for number in range(invite_views.FAILURE_THROTTLE.limit + 5):
        someone = actions.add_participant(programme, facilitator, display_name=f"P{number}")
        token = actions.issue_personal_invite(someone, facilitator).token
        assert Client(REMOTE_ADDR=room).post(join_url(token)).status_code == 302


def test_registrations_are_throttled_per_address(
    programme: Programme, open_link: actions.IssuedInvite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        invite_views, "REGISTRATION_THROTTLE", invite_views.Throttle("registrations-test", 3, 600)
    )
    for number in range(3):
        response = Client(REMOTE_ADDR="192.0.2.5").post(
            register_url(open_link.token), registration(f"Walk-in {number}")
        )
        assert response.status_code == 302
    response = Client(REMOTE_ADDR="192.0.2.5").post(
        register_url(open_link.token), registration("One too many")
    )
    assert response.status_code == 429
    assert not programme.participants.filter(display_name="One too many").exists()


# --- open registration ---------------------------------------------------------------------


def registration(name: str = "Wendy Walk-in", **extra: str) -> dict[str, str]:
    return {
        "display_name": name,
        "organisation": "Parish Council",
        "sector": "Local government",
    } | extra


def test_register_creates_the_person_and_signs_them_in(
    programme: Programme, open_link: actions.IssuedInvite, check_response: Callable[[Any], None]
) -> None:
    client = Client()
    form = client.get(register_url(open_link.token))
    assert form.status_code == 200
    check_response(form)
    assert "Join Moving more together" in form.content.decode()
    assert not programme.participants.filter(display_name="Wendy Walk-in").exists()

    response = client.post(
        register_url(open_link.token), registration(pronouns="she/her", email="W@Example.org")
    )
    assert response.status_code == 302
    assert response["Location"] == home_url(programme)
    wendy = programme.participants.get(display_name="Wendy Walk-in")
    assert (wendy.organisation, wendy.sector, wendy.pronouns, wendy.email) == (
        "Parish Council",
        "Local government",
        "she/her",
        "w@example.org",
    )
    assert signed_in_as(client, programme) == str(wendy.pk)
    # The open link keeps working for the next person.
    assert Client().post(register_url(open_link.token), registration("Next")).status_code == 302


@pytest.mark.parametrize("missing", ["display_name", "organisation", "sector"])
def test_register_needs_name_organisation_and_sector(
    missing: str,
    programme: Programme,
    open_link: actions.IssuedInvite,
    check_response: Callable[[Any], None],
) -> None:
    client = Client()
    response = client.post(register_url(open_link.token), registration() | {missing: " "})
    assert response.status_code == 400
    check_response(response)
    assert f'href="#id_{missing}"' in response.content.decode()
    assert not programme.participants.filter(organisation="Parish Council").exists()
    assert signed_in_as(client, programme) is None


@pytest.mark.parametrize("spoil", ["expired", "revoked", "replaced", "archived"])
def test_register_with_an_invalid_link_is_404(
    spoil: str, programme: Programme, facilitator: User, open_link: actions.IssuedInvite
) -> None:
    if spoil == "expired":
        _expire(open_link.invite)
    elif spoil == "revoked":
        actions.revoke_invite(open_link.invite, facilitator)
    elif spoil == "replaced":
        actions.create_open_invite(programme, facilitator)
    elif spoil == "archived":
        actions.archive_programme(programme, facilitator)
    before = programme.participants.count()
    for method in ("get", "post"):
        response = getattr(Client(), method)(register_url(open_link.token), registration())
        assert response.status_code == 404
        assert "This link isn't valid" in response.content.decode()
    assert programme.participants.count() == before


def test_register_needs_the_csrf_token(
    programme: Programme, open_link: actions.IssuedInvite, csrf_client: Callable[[Client], Any]
) -> None:
    browser = csrf_client(Client())
    assert (
        browser.post_without_token(register_url(open_link.token), registration()).status_code == 403
    )
    assert not programme.participants.filter(display_name="Wendy Walk-in").exists()
    assert browser.post(register_url(open_link.token), registration()).status_code == 302


def test_names_are_inert_on_the_registration_page(
    programme: Programme, facilitator: User, open_link: actions.IssuedInvite
) -> None:
    actions.update_programme(programme, facilitator, name='<script>alert("p")</script>')
    response = Client().post(
        register_url(open_link.token), {"display_name": "<img src=x onerror=alert(1)>"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_trying_emails_on_the_registration_link_is_throttled(
    programme: Programme, open_link: actions.IssuedInvite, facilitator: User
) -> None:
    actions.add_participant(programme, facilitator, display_name="Priya", email="priya@example.org")
    prober = Client(REMOTE_ADDR="203.0.113.20")
    url = register_url(open_link.token)
    for number in range(invite_views.FAILURE_THROTTLE.limit):
        taken = prober.post(url, registration(f"Probe {number}", email="priya@example.org"))
        assert taken.status_code == 400
        assert "has this email" in taken.content.decode()
    blocked = prober.post(url, registration("Probe", email="priya@example.org"))
    assert blocked.status_code == 429
    assert list(programme.participants.values_list("display_name", flat=True)) == ["Priya"]
    # Someone else on another address registers as usual.
    assert Client(REMOTE_ADDR="198.51.100.8").post(url, registration()).status_code == 302
