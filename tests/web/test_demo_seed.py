"""The demo seed: the data it makes, and that running it again resets rather than duplicates."""

import re
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import actions as live_actions
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Invite, Participant, Programme
from convenor.purpose.actions import count_words
from convenor.purpose.activity import agreed_so_far
from convenor.reflections.actions import commitments_to_review, shared_reflections
from convenor.reflections.models import Reflection
from convenor.workshops.management.commands.seed_demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    FIRST_PURPOSE,
    FIRST_SESSION_COMMITMENTS,
    PRINTED_INVITES,
    PROGRAMME_NAME,
    monthly_dates,
)
from convenor.workshops.models import Segment, Session
from convenor.workshops.templates_builtin import COMMON_PURPOSE

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_twice_makes_one_demo_programme() -> None:
    first = seed("--base-url", "http://127.0.0.1:8123")
    second = seed("--base-url", "http://127.0.0.1:8123")

    assert User.objects.filter(email=DEMO_EMAIL).count() == 1
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    assert Programme.objects.count() == 1
    people = Participant.objects.filter(programme=programme)
    assert people.count() == 24
    assert Participant.objects.count() == 24
    assert len({p.organisation for p in people}) == 8
    assert {p.sector for p in people} == {
        "NHS",
        "Local authority",
        "Voluntary sector",
        "Active partnership / sport",
    }

    sessions = list(programme.sessions.order_by("starts_at"))
    assert len(sessions) == 6
    assert Session.objects.count() == 6
    months = [(s.local_start().year, s.local_start().month) for s in sessions]
    assert len(set(months)) == 6
    assert all(s.local_start().strftime("%H:%M %A") in {"13:00 Thursday"} for s in sessions)
    second_session = sessions[1]
    titles = list(second_session.segments.order_by("position").values_list("title", flat=True))
    assert titles == [part.title for part in COMMON_PURPOSE.segments]
    assert second_session.duration_minutes == 180
    # The sixth copies the second's run-sheet; the fifth is left to plan.
    assert sessions[5].segments.count() == len(COMMON_PURPOSE.segments)
    assert sessions[4].segments.count() == 0
    assert Segment.objects.filter(session__programme=programme).count() == Segment.objects.count()

    # The second run issued new links and withdrew nothing it printed.
    links_first = re.findall(r"http://127\.0\.0\.1:8123/join/[\w-]+/", first)
    links_second = re.findall(r"http://127\.0\.0\.1:8123/join/[\w-]+/", second)
    assert len(links_first) == len(links_second) == 3
    assert set(links_first).isdisjoint(links_second)
    assert Invite.objects.filter(redeemed_at__isnull=True, revoked_at__isnull=True).count() == 3

    assert "http://127.0.0.1:8123/accounts/login/" in second
    assert f"email:    {DEMO_EMAIL}" in second
    assert f"password: {DEMO_PASSWORD}" in second
    assert User.objects.get(email=DEMO_EMAIL).check_password(DEMO_PASSWORD)


def test_first_session_commitments_come_back_at_the_reference_session() -> None:
    seed()
    seed()  # a reset makes them afresh, not twice
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    first, second = programme.sessions.order_by("starts_at")[:2]
    commitments = Reflection.objects.filter(session=first, kind=Reflection.Kind.COMMITMENT)
    assert (
        commitments.count()
        == len(FIRST_SESSION_COMMITMENTS)
        == Reflection.objects.filter(kind=Reflection.Kind.COMMITMENT).count()
    )
    assert len(shared_reflections(first, Reflection.Kind.COMMITMENT)) == sum(
        1 for _, _, shared in FIRST_SESSION_COMMITMENTS if shared
    )
    people = list(Participant.objects.filter(programme=programme).order_by("external_id"))
    # Everyone whose invite link is printed has a commitment to look back on at the second.
    for index in PRINTED_INVITES:
        (again,) = commitments_to_review(second, people[index])
        assert again.session == first
        assert again.text == next(t for i, t, _ in FIRST_SESSION_COMMITMENTS if i == index)
    assert second.segments.filter(kind="welcome").exists()


def test_the_first_sessions_agreed_purpose_is_shown_at_the_second() -> None:
    seed()
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    first, second = programme.sessions.order_by("starts_at")[:2]
    agreed = agreed_so_far(programme, second)
    assert agreed is not None and agreed.session == first and agreed.agreed_at is not None
    assert (agreed.what, agreed.why, agreed.benefits) == FIRST_PURPOSE
    assert sum(count_words(part) for part in FIRST_PURPOSE) <= 40
    assert agreed.answers.count() == 5 and agreed.session.purpose_measures.count() == 2
    # Nothing agreed before the first session itself.
    assert agreed_so_far(programme, first) is None
    # The first session has run (it is in the past) and the purpose was agreed as it ended;
    # the second, where it comes back, is still to come.
    assert first.starts_at < agreed.agreed_at <= first.starts_at + timedelta(hours=4)
    assert agreed.agreed_at < timezone.now() < second.starts_at + timedelta(days=1)


def test_the_reference_sessions_welcome_shows_both(
    as_participant: Callable[[Client, Participant], Client],
) -> None:
    seed()
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    second = programme.sessions.order_by("starts_at")[1]
    welcome = second.segments.get(kind="welcome")
    live_actions.do_start_segment(second, User.objects.get(email=DEMO_EMAIL), welcome)
    person = Participant.objects.get(programme=programme, external_id="p01")
    agreed = programme_actions.agree_ground_rules(person)
    browser = as_participant(Client(), agreed)
    page = browser.get(reverse("live:activity_part", args=[programme.pk, second.pk]))
    body = page.content.decode()
    assert FIRST_PURPOSE[0] in body
    assert FIRST_SESSION_COMMITMENTS[0][1] in body and "How did it go?" in body


def test_printed_invite_links_work() -> None:
    output = seed()
    path = re.findall(r"http://127\.0\.0\.1:8000(/join/[\w-]+/)", output)[0]
    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200
    assert "Moving More Together" in page.content.decode()


def test_seed_refuses_a_bad_base_url() -> None:
    with pytest.raises(CommandError, match="http"):
        seed("--base-url", "ftp://example.org")
    assert not Programme.objects.exists()


def test_monthly_dates_are_second_thursdays_the_first_last_month() -> None:
    # The second Thursday of this month has passed: the next ones are from next month.
    days = monthly_dates(date(2026, 11, 26), 3)
    assert days == [date(2026, 10, 8), date(2026, 12, 10), date(2027, 1, 14)]
    # It has not: this month's is the second session's.
    assert monthly_dates(date(2026, 12, 7), 3) == [
        date(2026, 11, 12),
        date(2026, 12, 10),
        date(2027, 1, 14),
    ]
    # Across the new year, and on the day itself.
    assert monthly_dates(date(2027, 1, 14), 2) == [date(2026, 12, 10), date(2027, 1, 14)]
