"""Personas and helpers for the web tests.

Everyone is made through the real action functions: `facilitator` leads `programme`,
`co_facilitator` was added to it, `participant` redeemed a personal invite and agreed to the
ground rules (`new_participant` has not agreed yet), `outsider` leads another programme, and
`anonymous` is nobody. Each persona has a matching `*_client` (a django.test.Client acting as
them); `csrf_client(persona_client)` gives a client that enforces CSRF like a browser.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.access import PARTICIPANT_SESSION_KEY
from convenor.programmes.models import Facilitation, Participant, Programme
from convenor.workshops.models import Segment, Session

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Give each pytest process its own PostgreSQL test database.

    Several people (and CI stages) run the suite against one server at once; a shared
    `test_<name>` database would be created and dropped under each other's feet.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("TEST", {})["NAME"] = f"test_convenor_{os.getpid()}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2's deliberate slowness would dominate the suite; the hasher is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache(settings: Any) -> None:
    """A fresh cache namespace per test, so throttle counters never leak between tests.

    A new key prefix rather than cache.clear(): on Redis, clearing would flush the database
    other processes (and the channel layer) share.
    """
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def password() -> str:
    """Every persona's password."""
    return PASSWORD


def make_facilitator(email: str, name: str) -> User:
    return User.objects.create_user(email=email, name=name, password=PASSWORD)


@pytest.fixture
def facilitator(db: None) -> User:
    return make_facilitator("lena.lead@example.org", "Lena Lead")


@pytest.fixture
def programme(facilitator: User) -> Programme:
    return actions.create_programme(
        facilitator,
        name="Moving more together",
        description="A systems-leadership series for partners across the county.",
    )


@pytest.fixture
def co_facilitator(programme: Programme, facilitator: User) -> User:
    user = make_facilitator("cal.co@example.org", "Cal Co")
    actions.add_cofacilitator(programme, facilitator, user.email)
    return user


@pytest.fixture
def co_facilitation(programme: Programme, co_facilitator: User) -> Facilitation:
    return Facilitation.objects.get(programme=programme, user=co_facilitator)


@pytest.fixture
def new_participant(programme: Programme, facilitator: User) -> Participant:
    """Redeemed their invite, has not agreed to the ground rules yet."""
    person = actions.add_participant(
        programme,
        facilitator,
        display_name="Priya Participant",
        email="priya@example.org",
        organisation="County Council",
        sector="Local government",
    )
    issued = actions.issue_personal_invite(person, facilitator)
    return actions.redeem_personal_invite(issued.invite)


@pytest.fixture
def participant(new_participant: Participant) -> Participant:
    """Redeemed their invite and agreed to the ground rules."""
    return actions.agree_ground_rules(new_participant)


@pytest.fixture
def outsider(db: None) -> User:
    """A facilitator, but of another programme."""
    user = make_facilitator("olu.outsider@example.org", "Olu Outsider")
    actions.create_programme(user, name="Someone else's programme")
    return user


@pytest.fixture
def session(programme: Programme) -> Session:
    """A session of `programme` (made directly: the session actions live with the session pages)."""
    made = Session(
        programme=programme,
        title="Building common purpose",
        starts_at=timezone.now() + timedelta(days=14),
        time_zone="Europe/London",
        duration_minutes=180,
        video_url_template="https://meet.example.org/{room}",
    )
    made.full_clean()
    made.save()
    return made


@pytest.fixture
def segment(session: Session) -> Segment:
    made = Segment(
        session=session, position=0, title="Welcome", kind="welcome", duration_minutes=10
    )
    made.full_clean()
    made.save()
    return made


def login_participant(client: Client, participant: Participant) -> Client:
    """Put `participant` into the client's session, as redeeming their invite does."""
    session = client.session
    entries = dict(session.get(PARTICIPANT_SESSION_KEY, {}))
    entries[str(participant.programme_id)] = str(participant.pk)
    session[PARTICIPANT_SESSION_KEY] = entries
    session.save()
    return client


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


@pytest.fixture
def facilitator_client(facilitator: User) -> Client:
    client = Client()
    client.force_login(facilitator)
    return client


@pytest.fixture
def co_facilitator_client(co_facilitator: User) -> Client:
    client = Client()
    client.force_login(co_facilitator)
    return client


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def participant_client(participant: Participant) -> Client:
    return login_participant(Client(), participant)


@pytest.fixture
def new_participant_client(new_participant: Participant) -> Client:
    return login_participant(Client(), new_participant)


class CsrfClient:
    """A client that enforces CSRF and posts the token a real form would carry."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.client.handler.enforce_csrf_checks = True

    def token(self) -> str:
        if "csrftoken" not in self.client.cookies:
            # What a browser holds after loading any page with a form: a secret in the cookie,
            # echoed in the form field.
            self.client.cookies["csrftoken"] = get_random_string(32, CSRF_ALLOWED_CHARS)
        return self.client.cookies["csrftoken"].value

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get(path, **extra)

    def post(self, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
        payload = dict(data or {})
        payload["csrfmiddlewaretoken"] = self.token()
        return self.client.post(path, payload, **extra)

    def post_without_token(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, data or {})


@pytest.fixture
def csrf_client() -> Iterator[Callable[[Client], CsrfClient]]:
    yield CsrfClient


class MarkupRules(HTMLParser):
    """Collects what the CSP would block or what our templates must never contain."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        handlers = sorted(n for n in names if n.startswith("on"))
        if handlers:
            self.problems.append(f"inline handler {handlers} on <{tag}>")


def page_rules(response: Any) -> None:
    """Every response carries the CSP; HTML has nothing the CSP would block or we forbid."""
    assert "Content-Security-Policy" in response.headers, "every response carries the CSP"
    if response.headers.get("Content-Type", "").startswith("text/html"):
        parser = MarkupRules()
        parser.feed(response.content.decode())
        assert not parser.problems, parser.problems


@pytest.fixture
def check_response() -> Callable[[Any], None]:
    return page_rules


@pytest.fixture
def as_participant() -> Callable[[Client, Participant], Client]:
    return login_participant
