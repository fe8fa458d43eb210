"""Personas for the WebSocket tests, made through the real actions, with browser cookies.

These tests use transactional databases (the consumer runs its queries on other threads), so
everything here is committed; pytest-django empties the tables after each test.
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import consumers
from convenor.programmes import actions
from convenor.programmes.access import PARTICIPANT_SESSION_KEY
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Own PostgreSQL test database per pytest process (see tests/web/conftest.py)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("TEST", {})["NAME"] = f"test_convenor_live_{os.getpid()}"
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        # A file, as deployed (WAL, writers wait their turn), not the shared-cache in-memory
        # database, where a read on one thread fails at once ("database table is locked")
        # while the consumers' database thread is writing.
        name = Path(tempfile.gettempdir()) / f"test_convenor_live_{os.getpid()}.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Removals after someone leaves happen at once, so tests need not wait out the grace.
    settings.LIVE_LEAVE_GRACE_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """A new channel layer object per test: each async test runs on its own event loop, and
    channels-redis's layer keeps asyncio locks bound to the loop that first used them."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def facilitator(transactional_db: None) -> User:
    return User.objects.create_user(email="lena@example.org", name="Lena Lead", password="x" * 12)


@pytest.fixture
def programme(facilitator: User) -> Programme:
    return actions.create_programme(facilitator, name="Moving more together")


@pytest.fixture
def session(programme: Programme) -> Session:
    made = Session.objects.create(
        programme=programme,
        title="Building common purpose",
        starts_at=timezone.now() + timedelta(minutes=5),
        duration_minutes=180,
        video_url_template="https://meet.example.org/{room}",
    )
    for position, (title, kind, minutes) in enumerate(
        [("Welcome", "welcome", 10), ("Coffee trial", "coffee_trial", 30), ("Close", "close", 5)]
    ):
        Segment.objects.create(
            session=made, position=position, title=title, kind=kind, duration_minutes=minutes
        )
    return made


def add_person(programme: Programme, facilitator: User, name: str, org: str) -> Participant:
    person = actions.add_participant(
        programme, facilitator, display_name=name, organisation=org, sector=f"{org} sector"
    )
    return actions.agree_ground_rules(person)


@pytest.fixture
def people(programme: Programme, facilitator: User) -> list[Participant]:
    names = [("Ada", "Council"), ("Bo", "NHS"), ("Cy", "Charity"), ("Di", "Sport")]
    return [add_person(programme, facilitator, name, org) for name, org in names]


@pytest.fixture
def outsider(transactional_db: None) -> User:
    user = User.objects.create_user(email="olu@example.org", name="Olu", password="x" * 12)
    actions.create_programme(user, name="Someone else's")
    return user


@pytest.fixture
def stranger(outsider: User) -> Participant:
    """A participant of the outsider's programme."""
    theirs = Programme.objects.get(name="Someone else's")
    return add_person(theirs, outsider, "Sam", "Elsewhere")


def facilitator_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def participant_cookie(participant: Participant) -> str:
    client = Client()
    store = client.session
    store[PARTICIPANT_SESSION_KEY] = {str(participant.programme_id): str(participant.pk)}
    store.save()
    return store.session_key or ""


Connect = Callable[..., Any]


@pytest_asyncio.fixture
async def connect() -> AsyncIterator[Connect]:
    """Open a socket to a session as a cookie; every socket is closed after the test."""
    # Imported here, not at the top: channels.testing imports daphne, which installs a Twisted
    # reactor, and the browser-test process (which collects this file) must not get one.
    from channels.testing import WebsocketCommunicator

    from convenor.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def _open(session: Session, cookie: str | None, *, hello: bool = True) -> Any:
        headers = [(b"origin", b"http://testserver")]
        if cookie:
            headers.append((b"cookie", f"sessionid={cookie}".encode()))
        socket = WebsocketCommunicator(application, f"/ws/live/{session.pk}/", headers=headers)
        connected, code = await socket.connect(timeout=5)
        if not connected:
            return code
        opened.append(socket)
        if hello:
            await socket.send_json_to({"type": "hello", "last_seq": None})
            reply = await socket.receive_json_from(timeout=5)
            assert reply["type"] == "snapshot"
        return socket

    yield _open
    for socket in opened:
        await socket.disconnect()
    await consumers.presence_sweeper().stop()
    # Let the removals that disconnecting starts finish before the tables are emptied.
    await asyncio.gather(*consumers._pending)
    # The consumers' database thread keeps its connection; close it before the tables are
    # emptied (and the test database is dropped).
    await asyncio.get_running_loop().run_in_executor(None, consumers.close_db_connections)


@pytest.fixture
def cookie_of() -> Callable[[Any], Any]:
    """A cookie for a User (facilitator) or a Participant, made off the event loop."""

    def _cookie(who: Any) -> Any:
        maker = facilitator_cookie if isinstance(who, User) else participant_cookie
        return database_sync_to_async(maker)(who)

    return _cookie


@pytest.fixture(scope="session", autouse=True)
def _no_connection_left(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Close the connections the tests' threads keep (the consumers' database thread, and
    the one `database_sync_to_async` runs on) before the test database is dropped; on
    PostgreSQL a connection left open makes dropping it fail, and it stays behind. (Outside
    any test pytest-django blocks the database, and closing may ask a connection its state.)"""
    yield
    from channels.db import database_sync_to_async
    from django.db import connections

    with django_db_blocker.unblock():
        asyncio.run(database_sync_to_async(connections.close_all)())
        consumers.close_db_connections()
