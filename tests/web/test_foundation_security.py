"""CSP on every response, user text inert, CSRF enforced, htmx served from our own origin."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.models import Participant, Programme

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "';alert(1)//<svg/onload=alert(1)>",
]


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_policy_is_strict(facilitator_client: Client, programme: Programme) -> None:
    response = facilitator_client.get(reverse("programmes:dashboard", args=[programme.pk]))
    policy = csp_directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert re.fullmatch(r"'nonce-[A-Za-z0-9+/_=-]+'", policy["script-src"][1])
    assert len(policy["script-src"]) == 2, "no unsafe-inline, no unsafe-eval, no hosts"
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])


def test_htmx_is_self_hosted_with_the_page_nonce(
    anonymous_client: Client, check_response: Callable[[Any], None]
) -> None:
    response = anonymous_client.get(reverse("accounts:login"))
    nonce = csp_directives(response.headers["Content-Security-Policy"])["script-src"][1][7:-1]
    html = response.content.decode()
    tag = re.search(r'<script src="(/static/vendor/htmx[^"]+)" nonce="([^"]+)"', html)
    assert tag is not None
    assert tag.group(2) == nonce
    script = anonymous_client.get(tag.group(1))
    assert script.status_code == 200
    assert b"htmx" in b"".join(script.streaming_content)  # type: ignore[attr-defined]
    check_response(script)  # static files carry the policy too
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html


def test_nonce_differs_per_response(anonymous_client: Client) -> None:
    first = anonymous_client.get(reverse("accounts:login")).headers["Content-Security-Policy"]
    second = anonymous_client.get(reverse("accounts:login")).headers["Content-Security-Policy"]
    assert first != second


def test_htmx_gets_the_csrf_token_from_body(facilitator_client: Client) -> None:
    response = facilitator_client.get(reverse("programmes:home"))
    body = re.search(
        r"<body hx-headers='\{\"X-CSRFToken\": \"(\w+)\"\}'>", response.content.decode()
    )
    assert body is not None and len(body.group(1)) == 64


def test_error_pages_carry_the_policy(
    anonymous_client: Client, check_response: Callable[[Any], None]
) -> None:
    response = anonymous_client.get("/no/such/page/")
    assert response.status_code == 404
    check_response(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_text_is_inert_everywhere(
    payload: str,
    facilitator: User,
    programme: Programme,
    participant: Participant,
    as_participant: Callable[[Client, Participant], Client],
    check_response: Callable[[Any], None],
) -> None:
    actions.update_programme(
        programme,
        facilitator,
        name=f"Programme {payload}",
        description=f"About {payload}",
        ground_rules=f"Be kind {payload}",
    )
    actions.update_participant(
        participant, facilitator, display_name=f"Pat {payload}", organisation=payload
    )
    colleague = User.objects.create_user("x@example.org", f"Co {payload}", "pw-long-enough-1")
    actions.add_cofacilitator(programme, facilitator, colleague.email)

    as_facilitator = Client()
    as_facilitator.force_login(facilitator)
    participant_client = as_participant(Client(), participant)
    pages = [
        (as_facilitator, reverse("programmes:home")),
        (as_facilitator, reverse("programmes:dashboard", args=[programme.pk])),
        (as_facilitator, reverse("programmes:edit", args=[programme.pk])),
        (as_facilitator, reverse("programmes:facilitators", args=[programme.pk])),
        (as_facilitator, reverse("programmes:ground_rules", args=[programme.pk])),
        (as_facilitator, reverse("programmes:participant_home", args=[programme.pk])),
        (participant_client, reverse("programmes:participant_home", args=[programme.pk])),
        (participant_client, reverse("programmes:ground_rules", args=[programme.pk])),
        (participant_client, reverse("programmes:leave", args=[programme.pk])),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert payload not in html, url
        assert "&lt;" in html, url  # the payload is there, escaped
        check_response(response)


def test_writes_without_a_csrf_token_are_refused(
    facilitator_client: Client, csrf_client: Any
) -> None:
    browser = csrf_client(facilitator_client)
    data = {"name": "Sneaky", "ground_rules": "x", "retention_days": 365}
    refused = browser.post_without_token(reverse("programmes:create"), data)
    assert refused.status_code == 403
    assert b"This form has expired" in refused.content
    assert not Programme.objects.filter(name="Sneaky").exists()
    accepted = browser.post(reverse("programmes:create"), data)
    assert accepted.status_code == 302
    assert Programme.objects.filter(name="Sneaky").exists()
