"""Walk every URL pattern and check who gets in, so a new URL without its access check fails.

Every named route must be in exactly one class:
- PUBLIC_URLS: anyone may load it (sign-in, password reset, invite pages);
- LOGIN_REQUIRED_URLS: facilitator pages that are not about one programme (anonymous visitors
  and participants are sent to sign in);
- programme pages: any route with a `programme_id` (outsiders and anonymous visitors get 404,
  participants 403 unless the route is in PARTICIPANT_URLS, then they get in).

A route that is none of these fails `test_every_url_is_classified`. When you add a route, add
it to the right registry below, and if it takes a new kind of id, to KWARG_VALUES.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from convenor.programmes.models import Facilitation, Participant, Programme
from convenor.workshops.models import Segment, Session

PUBLIC_URLS = {
    "root",
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    # The subscribed calendar feed: its secret token is the credential (tests in
    # tests/web/test_workshops_calendar.py).
    "workshops:calendar_subscribe",
    "programmes:invite_redeem",
    "programmes:register",
}

LOGIN_REQUIRED_URLS = {
    "programmes:home",
    "programmes:create",
    "accounts:password_change",
    "accounts:password_change_done",
}

# Programme routes a participant may use (everything else under a programme is facilitators').
PARTICIPANT_URLS = {
    "programmes:ground_rules",
    "programmes:participant_home",
    "programmes:leave",
    "workshops:session_ics",
    "workshops:programme_ics",
    "live:session",
    "live:now_part",
    "live:round_part",
    "live:notes",
    "live:plenary",
    "live:activity_part",
    "live:act",
}
# Each activity app declares its participants' routes beside the routes themselves.
for _app in ("boards", "purpose", "reflections"):
    _module = import_module(f"convenor.{_app}.urls")
    PARTICIPANT_URLS |= {f"{_app}:{name}" for name in _module.PARTICIPANT_ROUTES}


@dataclass
class World:
    """The objects whose ids fill URL kwargs: all belong to the personas' programme."""

    programme: Programme
    session: Session
    segment: Segment
    participant: Participant
    co_facilitation: Facilitation


KWARG_VALUES: dict[str, Callable[[World], Any]] = {
    "programme_id": lambda w: w.programme.pk,
    "session_id": lambda w: w.session.pk,
    "segment_id": lambda w: w.segment.pk,
    "participant_id": lambda w: w.participant.pk,
    "facilitation_id": lambda w: w.co_facilitation.pk,
    "invite_id": lambda w: w.participant.invites.first().pk,
}


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]

    @property
    def is_programme_route(self) -> bool:
        return "programme_id" in self.kwargs


def _walk(
    patterns: list[URLPattern | URLResolver], namespace: str, kwargs: tuple[str, ...]
) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found = tuple(entry.pattern.regex.groupindex)
            yield from _walk(entry.url_patterns, inner, kwargs + found)
        else:
            names = kwargs + tuple(entry.pattern.regex.groupindex)
            yield Route(f"{namespace}{entry.name}" if entry.name else "", names)


def all_routes() -> list[Route]:
    return sorted(set(_walk(get_resolver().url_patterns, "", ())), key=lambda r: r.name)


ROUTES = all_routes()
PROGRAMME_ROUTES = [r for r in ROUTES if r.is_programme_route and r.name not in PUBLIC_URLS]
OTHER_PRIVATE_ROUTES = [r for r in ROUTES if not r.is_programme_route and r.name not in PUBLIC_URLS]


def test_every_url_is_classified() -> None:
    unnamed = [r for r in ROUTES if not r.name]
    assert not unnamed, "every URL pattern needs a name so its access can be checked"
    for route in ROUTES:
        if route.name in PUBLIC_URLS or route.is_programme_route:
            continue
        assert route.name in LOGIN_REQUIRED_URLS, (
            f"{route.name} is not public, not login-required and has no programme_id: "
            "add it to the right registry in tests/web/test_foundation_urls.py"
        )
        ids = [k for k in route.kwargs if k.endswith("_id")]
        assert not ids, f"{route.name} takes {ids} without programme_id; nest it under p/<id>/"


def test_registries_name_real_routes() -> None:
    names = {r.name for r in ROUTES}
    stale = (PUBLIC_URLS | LOGIN_REQUIRED_URLS | PARTICIPANT_URLS) - names
    assert not stale, f"registries name routes that no longer exist: {sorted(stale)}"
    # The walker must actually be walking the programme pages, not an empty list.
    assert {"programmes:dashboard", "programmes:edit"} <= {r.name for r in PROGRAMME_ROUTES}


@pytest.fixture
def world(
    programme: Programme,
    session: Session,
    segment: Segment,
    participant: Participant,
    co_facilitation: Facilitation,
) -> World:
    return World(programme, session, segment, participant, co_facilitation)


def url_for(route: Route, world: World) -> str:
    missing = [k for k in route.kwargs if k not in KWARG_VALUES]
    assert not missing, f"{route.name}: add a value for {missing} to KWARG_VALUES"
    return reverse(route.name, kwargs={k: KWARG_VALUES[k](world) for k in route.kwargs})


@pytest.mark.parametrize("route", PROGRAMME_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_get_404(
    route: Route,
    method: str,
    world: World,
    outsider_client: Client,
    anonymous_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    url = url_for(route, world)
    for client in (outsider_client, anonymous_client):
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url}"
        check_response(response)


@pytest.mark.parametrize("route", PROGRAMME_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_participants_get_403_on_facilitator_pages(
    route: Route,
    method: str,
    world: World,
    participant_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    url = url_for(route, world)
    response = getattr(participant_client, method)(url)
    check_response(response)
    if route.name in PARTICIPANT_URLS:
        assert response.status_code not in (403, 404), f"{method.upper()} {url}"
    else:
        assert response.status_code == 403, f"{method.upper()} {url}"


@pytest.mark.parametrize("route", PROGRAMME_ROUTES, ids=lambda r: r.name)
def test_facilitators_reach_every_programme_page(
    route: Route,
    world: World,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    """Guards the walker itself: with real ids, the programme's own facilitator is not 404."""
    url = url_for(route, world)
    response = facilitator_client.get(url)
    check_response(response)
    assert response.status_code != 404 and response.status_code < 500, url


@pytest.mark.parametrize("route", OTHER_PRIVATE_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_login_required_pages_send_visitors_to_sign_in(
    route: Route,
    method: str,
    world: World,
    anonymous_client: Client,
    participant_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    url = url_for(route, world)
    for client in (anonymous_client, participant_client):
        response = getattr(client, method)(url)
        assert response.status_code == 302, f"{method.upper()} {url}"
        assert response["Location"].startswith(reverse("accounts:login"))
        check_response(response)


PUBLIC_PAGES = [r for r in ROUTES if r.name in PUBLIC_URLS and not r.kwargs]


@pytest.mark.parametrize("route", PUBLIC_PAGES, ids=lambda r: r.name)
def test_public_pages_render_for_anyone(
    route: Route,
    anonymous_client: Client,
    participant_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    for client in (anonymous_client, participant_client):
        response = client.get(reverse(route.name))
        assert response.status_code in (200, 302, 405), route.name
        check_response(response)


def test_pages_name_their_icon(anonymous_client: Client) -> None:
    """Browsers ask for /favicon.ico unless a page names its icon (that request was a 404)."""
    from django.contrib.staticfiles import finders

    page = anonymous_client.get(reverse("accounts:login")).content.decode()
    found = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert found and found.group(1).endswith(".svg"), "the icon is named"
    assert finders.find("img/icon.svg"), "and it is a static file"
