"""Facilitator sign-in, throttling, sign-out and password reset by email."""

import re
from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User


def sign_in(client: Client, email: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=address,
    )


def test_sign_in_goes_to_the_facilitators_programmes(facilitator: User, password: str) -> None:
    client = Client()
    response = sign_in(client, "Lena.Lead@Example.org", password)
    assert response.status_code == 302
    assert response["Location"] == reverse("programmes:home")
    assert client.get(reverse("programmes:home")).status_code == 200


def test_wrong_password_gives_a_form_error(facilitator: User) -> None:
    response = sign_in(Client(), facilitator.email, "not the password")
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_sign_in_is_throttled_after_five_failures(
    facilitator: User, password: str, settings: Any
) -> None:
    assert settings.LOGIN_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(5):
        assert sign_in(client, facilitator.email, "wrong").status_code == 200
    blocked = sign_in(client, facilitator.email, password)
    assert blocked.status_code == 200
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert "Wait 15 minutes" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is counted separately (one attacker cannot lock the real user out).
    assert sign_in(Client(), facilitator.email, password, address="10.0.0.2").status_code == 302


def test_success_resets_the_failure_count(facilitator: User, password: str) -> None:
    client = Client()
    for _ in range(4):
        sign_in(client, facilitator.email, "wrong")
    assert sign_in(client, facilitator.email, password).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        sign_in(client, facilitator.email, "wrong")
    assert sign_in(client, facilitator.email, password).status_code == 302


def test_sign_out_is_post_only(facilitator_client: Client) -> None:
    assert facilitator_client.get(reverse("accounts:logout")).status_code == 405
    response = facilitator_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert facilitator_client.get(reverse("programmes:home")).status_code == 302


def test_password_reset_by_email(facilitator: User) -> None:
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": facilitator.email})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [facilitator.email]
    assert message.subject == "Reset your Convenor password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", message.body)
    assert link is not None

    # Django swaps the token for a session marker and redirects to a set-password form.
    form_page = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new_password = "a brand new passphrase 42"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert sign_in(Client(), facilitator.email, new_password).status_code == 302


def test_password_reset_for_unknown_email_reveals_nothing(db: None) -> None:
    response = Client().post(reverse("accounts:password_reset"), {"email": "who@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_tampered_reset_link_is_refused(facilitator: User) -> None:
    url = reverse("accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "bad-token"})
    response = Client().get(url)
    assert "This link does not work" in response.content.decode()


def test_password_reset_emails_are_rate_limited(facilitator: User) -> None:
    url = reverse("accounts:password_reset")
    for _ in range(4):
        response = Client().post(url, {"email": facilitator.email}, REMOTE_ADDR="10.0.0.9")
        assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 3  # the fourth looked the same but sent nothing

    for n in range(6):
        Client().post(url, {"email": f"p{n}@example.org"}, REMOTE_ADDR="10.0.0.9")
    blocked = Client().post(url, {"email": "last@example.org"}, REMOTE_ADDR="10.0.0.9")
    assert blocked.status_code == 200
    assert "Too many reset requests from here" in blocked.content.decode()
