"""Calendar files: per-session and series downloads, and the secret subscription feed."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from convenor.accounts.models import User
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Programme
from convenor.workshops import actions
from convenor.workshops.models import CalendarFeed, Session

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"workshops:{name}", args=args)


@pytest.fixture
def planned(programme: Programme, facilitator: User) -> Session:
    made = actions.create_session(
        programme,
        facilitator,
        title="Second workshop",
        description="Common understanding and common purpose.",
        starts_on=date(2027, 2, 18),
        start_time=time(13, 0),
        time_zone="Europe/London",
        duration_minutes=180,
        format="online",
        video_url_template="https://meet.example.org/{room}",
    )
    actions.apply_template(made, facilitator, "common-purpose")
    return made


@pytest.fixture
def in_person(programme: Programme, facilitator: User) -> Session:
    return actions.create_session(
        programme,
        facilitator,
        title="Mapping day",
        starts_on=date(2027, 7, 8),
        start_time=time(9, 30),
        time_zone="America/New_York",
        duration_minutes=60,
        format="in_person",
        venue="Room 4, Civic Centre",
    )


def parse(response: Any) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_session_ics_for_a_participant(
    planned: Session, programme: Programme, participant_client: Client
) -> None:
    response = participant_client.get(url("session_ics", programme.pk, planned.pk))
    calendar = parse(response)
    assert response["Content-Disposition"] == 'attachment; filename="second-workshop.ics"'
    assert "no-store" in response["Cache-Control"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{planned.pk}@convenor"
    assert event.start == datetime(2027, 2, 18, 13, 0, tzinfo=ZoneInfo("Europe/London"))
    assert event.start.astimezone(UTC) == datetime(2027, 2, 18, 13, 0, tzinfo=UTC)
    assert event.DTSTART.tzinfo.key == "Europe/London"
    assert event.duration == timedelta(minutes=180)
    assert event.end.astimezone(UTC) == datetime(2027, 2, 18, 16, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Moving more together: Second workshop"
    assert str(event["LOCATION"]) == "Online"
    description = str(event["DESCRIPTION"])
    assert description.startswith("Common understanding and common purpose.")
    assert "13:00 Welcome and how we work together (10 min)" in description
    assert "15:55 Close: one practical thing (5 min)" in description
    assert "Keep to time" not in description  # facilitator notes stay out
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_uid_is_stable_across_downloads_and_edits(
    planned: Session, programme: Programme, facilitator: User, facilitator_client: Client
) -> None:
    first = parse(facilitator_client.get(url("session_ics", programme.pk, planned.pk)))
    actions.update_session(planned, facilitator, start_time=time(14, 0))
    second = parse(facilitator_client.get(url("session_ics", programme.pk, planned.pk)))
    (before,) = first.walk("VEVENT")
    (after,) = second.walk("VEVENT")
    assert before["UID"] == after["UID"]
    assert after.start.astimezone(UTC) == datetime(2027, 2, 18, 14, 0, tzinfo=UTC)


def test_series_download_has_every_session_in_its_own_zone(
    planned: Session, in_person: Session, programme: Programme, participant_client: Client
) -> None:
    response = participant_client.get(url("programme_ics", programme.pk))
    calendar = parse(response)
    assert response["Content-Disposition"] == 'attachment; filename="moving-more-together.ics"'
    assert str(calendar["X-WR-CALNAME"]) == "Moving more together"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{planned.pk}@convenor", f"{in_person.pk}@convenor"}
    mapping = events[f"{in_person.pk}@convenor"]
    # 09:30 in New York in July (EDT, UTC-4) is 13:30 UTC.
    assert mapping.start.astimezone(UTC) == datetime(2027, 7, 8, 13, 30, tzinfo=UTC)
    assert str(mapping["LOCATION"]) == "Room 4, Civic Centre"
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert zones == {"Europe/London", "America/New_York"}


def test_calendar_downloads_are_for_members_only(
    planned: Session,
    programme: Programme,
    outsider_client: Client,
    anonymous_client: Client,
    outsider: User,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    for client in (outsider_client, anonymous_client):
        for target in (
            url("session_ics", programme.pk, planned.pk),
            url("programme_ics", programme.pk),
        ):
            response = client.get(target)
            assert response.status_code == 404
            check_response(response)
    theirs = Programme.objects.get(facilitations__user=outsider)
    their_session = actions.create_session(
        theirs,
        outsider,
        title="Theirs",
        starts_on=date(2027, 1, 1),
        start_time=time(9, 0),
        time_zone="UTC",
        duration_minutes=60,
        format="online",
    )
    # Our programme in the URL does not open another programme's session.
    mixed = url("session_ics", programme.pk, their_session.pk)
    assert facilitator_client.get(mixed).status_code == 404


def test_archived_programme_closes_downloads_to_participants(
    planned: Session, programme: Programme, facilitator: User, participant_client: Client
) -> None:
    programme_actions.archive_programme(programme, facilitator)
    assert participant_client.get(url("programme_ics", programme.pk)).status_code == 404


def test_subscription_feed_lifecycle(
    planned: Session,
    programme: Programme,
    facilitator_client: Client,
    csrf_client: Callable[[Client], Any],
    anonymous_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    client = csrf_client(facilitator_client)
    page = client.get(url("calendar_feed", programme.pk))
    check_response(page)
    assert "There is no subscription link." in page.content.decode()

    made = client.post(url("calendar_feed", programme.pk), {"action": "create"})
    assert made.status_code == 200
    check_response(made)
    feed_url = made.context["new_url"]
    assert feed_url.startswith("http://testserver/calendar/")
    assert feed_url in made.content.decode()
    path = feed_url.removeprefix("http://testserver")

    # A calendar app: no cookies, no session.
    feed = anonymous_client.get(path)
    calendar = parse(feed)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [f"{planned.pk}@convenor"]

    # The link is shown once: the page no longer carries it.
    later = client.get(url("calendar_feed", programme.pk)).content.decode()
    assert path not in later and "is active" in later

    replaced = client.post(url("calendar_feed", programme.pk), {"action": "create"})
    assert anonymous_client.get(path).status_code == 404
    new_path = replaced.context["new_url"].removeprefix("http://testserver")
    assert anonymous_client.get(new_path).status_code == 200

    client.post(url("calendar_feed", programme.pk), {"action": "revoke"})
    gone = anonymous_client.get(new_path)
    assert gone.status_code == 404
    check_response(gone)


@pytest.mark.parametrize("token", ["nope", "x" * 43, "é" * 43, "a" * 500])
def test_unknown_feed_tokens_are_not_found(
    planned: Session, anonymous_client: Client, token: str
) -> None:
    assert anonymous_client.get(url("calendar_subscribe", token)).status_code == 404


def test_feed_link_writes_need_csrf_and_a_facilitator(
    programme: Programme,
    facilitator_client: Client,
    participant_client: Client,
    csrf_client: Callable[[Client], Any],
) -> None:
    client = csrf_client(facilitator_client)
    assert (
        client.post_without_token(
            url("calendar_feed", programme.pk), {"action": "create"}
        ).status_code
        == 403
    )
    assert (
        participant_client.post(
            url("calendar_feed", programme.pk), {"action": "create"}
        ).status_code
        == 403
    )
    unknown = client.post(url("calendar_feed", programme.pk), {"action": "explode"})
    assert unknown.status_code == 302
    assert not CalendarFeed.objects.exists()
