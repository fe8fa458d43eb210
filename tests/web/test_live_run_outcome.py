"""How the live run-sheet tells what happened to a segment: how long it ran against the time it
was given (its planned length and any extension), whether it was skipped while running or
before it started; across midnight, in the session's time zone. Also the console's wording of
over-long fields, and what a page says about updating itself with and without JavaScript."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import actions
from convenor.live.commands import CommandError, parse
from convenor.live.views import run_outcome, sheet_of
from convenor.workshops.models import Segment, Session
from tests.web.live_support import url

# Five and a half hours ahead of UTC: the session's midnight is not UTC's.
KOLKATA = ZoneInfo("Asia/Kolkata")
NOTICE = "What did you notice?"


class Clock:
    """The present for everything that asks Django, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = datetime(2030, 1, 10, 23, 50, tzinfo=KOLKATA)
        monkeypatch.setattr(timezone, "now", lambda: self.now.astimezone(ZoneInfo("UTC")))

    def at(self, day: int, hour: int, minute: int, second: int = 0) -> None:
        self.now = datetime(2030, 1, day, hour, minute, second, tzinfo=KOLKATA)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def late(session: Session, clock: Clock) -> list[Segment]:
    """A session in Kolkata running late into the night: a 15-minute coffee trial, a 1-minute
    "What did you notice?", and the close."""
    session.time_zone = "Asia/Kolkata"
    session.starts_at = datetime(2030, 1, 10, 23, 30, tzinfo=KOLKATA)
    session.save()
    return [
        Segment.objects.create(
            session=session, position=index, title=title, kind=kind, duration_minutes=minutes
        )
        for index, (title, kind, minutes) in enumerate(
            [("Coffee trial", "coffee_trial", 15), (NOTICE, "plenary", 1), ("Close", "close", 5)]
        )
    ]


def row(page: str, title: str) -> tuple[str, str, str]:
    """The From, To and Status cells of the facilitators' run-sheet row for `title`."""
    found = re.search(
        rf'<th scope="row">{re.escape(title)}</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*'
        r"<td>(.*?)</td>",
        page,
        re.S,
    )
    assert found, f"no row for {title}"
    return found.group(1), found.group(2), found.group(3)


def test_ended_early_says_how_early_not_the_extension(
    session: Session,
    late: list[Segment],
    facilitator: User,
    clock: Clock,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    """The tester's coffee trial: 23:54 to 23:59, planned 15 minutes."""
    clock.at(10, 23, 54)
    actions.do_start_segment(session, facilitator)
    clock.at(10, 23, 59)
    actions.do_end_segment(session, facilitator)
    response = facilitator_client.get(url("console", session))
    check_response(response)
    assert row(response.content.decode(), "Coffee trial") == (
        "23:54",
        "23:59",
        "done after 5 min (10 min early)",
    )


def test_an_extension_counts_in_the_time_it_was_given(
    session: Session, late: list[Segment], facilitator: User, clock: Clock
) -> None:
    clock.at(10, 23, 54)
    actions.do_start_segment(session, facilitator)
    actions.do_extend_segment(session, facilitator, 60)
    actions.do_extend_segment(session, facilitator, 3)
    running = sheet_of(session)["segments"][0]
    assert running["status"] == "running" and "outcome" not in running
    clock.at(10, 23, 59)
    actions.do_end_segment(session, facilitator)
    assert sheet_of(session)["segments"][0]["outcome"] == (
        "done after 5 min (73 min early, counting its 63 min extension)"
    )


def test_a_segment_skipped_while_running_says_it_ran_across_midnight(
    session: Session,
    late: list[Segment],
    facilitator: User,
    clock: Clock,
    facilitator_client: Client,
) -> None:
    """The tester's "What did you notice?": planned 1 minute, ran 23:59 to 00:02, skipped."""
    clock.at(10, 23, 44)
    actions.do_start_segment(session, facilitator)
    clock.at(10, 23, 59)
    actions.do_start_segment(session, facilitator)  # ends the coffee trial, on time
    clock.at(11, 0, 2)
    actions.do_skip_segment(session, facilitator)
    actions.do_skip_segment(session, facilitator)  # the close, never started
    page = facilitator_client.get(url("console", session)).content.decode()
    assert row(page, "Coffee trial")[2] == "done after 15 min (on time)"
    assert row(page, NOTICE) == ("23:59", "00:02", "skipped after running 3 min (2 min over)")
    assert row(page, "Close") == ("–", "–", "skipped, not run")
    # The run-sheet as run is the console's: the participants' page, as a facilitator sees
    # it, has none (as participants' own has none).
    seen = facilitator_client.get(url("session", session)).content.decode()
    assert "skipped after running" not in seen and "Run-sheet as run" not in seen


def test_an_overrun_across_midnight_says_how_far_over(
    session: Session, late: list[Segment], facilitator: User, clock: Clock
) -> None:
    clock.at(10, 23, 50)
    actions.do_start_segment(session, facilitator)
    clock.at(11, 0, 8)
    actions.do_end_segment(session, facilitator)
    state = sheet_of(session)
    coffee = state["segments"][0]
    assert coffee["outcome"] == "done after 18 min (3 min over)"
    assert coffee["starts_at"].astimezone(KOLKATA).strftime("%H:%M") == "23:50"
    assert coffee["ends_at"].astimezone(KOLKATA).strftime("%H:%M") == "00:08"


def test_a_running_segment_says_it_was_extended(
    session: Session,
    late: list[Segment],
    facilitator: User,
    clock: Clock,
    facilitator_client: Client,
) -> None:
    clock.at(10, 23, 54)
    actions.do_start_segment(session, facilitator)
    actions.do_extend_segment(session, facilitator, 5)
    status = row(facilitator_client.get(url("console", session)).content.decode(), "Coffee trial")
    assert status[2].startswith("running now, extended by 5 min<span data-over-since=")
    assert "+5" not in status[2]


def _item(status: str, minutes: float | None, planned: int, extension: int = 0) -> dict[str, Any]:
    start = datetime(2030, 1, 10, 18, 0, tzinfo=ZoneInfo("UTC"))
    return {
        "status": status,
        "starts_at": start if minutes is not None else None,
        "ends_at": start + timedelta(minutes=minutes or 0),
        "duration_minutes": planned,
        "extension_minutes": extension,
    }


@pytest.mark.parametrize(
    ("item", "said"),
    [
        (_item("done", 15, 15), "done after 15 min (on time)"),
        (_item("done", 14.6, 15), "done after 15 min (on time)"),
        (_item("done", 0.3, 10), "done after less than a minute (10 min early)"),
        (
            _item("done", 20, 15, extension=5),
            "done after 20 min (on time, counting its 5 min extension)",
        ),
        (
            _item("done", 28, 15, extension=10),
            "done after 28 min (3 min over, counting its 10 min extension)",
        ),
        (_item("skipped", 2, 10), "skipped after running 2 min (8 min early)"),
        (_item("skipped", None, 10), "skipped, not run"),
    ],
)
def test_run_outcome_wording(item: dict[str, Any], said: str) -> None:
    assert run_outcome(item) == said


# --- Wording of over-long fields ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "start_round",
            {"prompts": "x" * 5001},
            "The prompts are too long (at most 5,000 characters).",
        ),
        (
            "start_round",
            {"room_prompts": "x" * 20001},
            "The prompts per room are too long (at most 20,000 characters).",
        ),
        (
            "message_rooms",
            {"message": "x" * 501},
            "The message is too long (at most 500 characters).",
        ),
        ("start_segment", {"segment": "nope"}, "The segment is not a valid id."),
    ],
)
def test_field_messages_agree_with_what_they_name(
    name: str, data: dict[str, str], message: str
) -> None:
    with pytest.raises(CommandError) as refused:
        parse(name, data, from_form=True)
    assert str(refused.value) == message


def test_the_console_says_the_prompts_are_too_long(
    facilitator_client: Client, session: Session
) -> None:
    response = facilitator_client.post(
        url("command", session), {"command": "start_round", "prompts": "x" * 5001}, follow=True
    )
    page = response.content.decode()
    assert "The prompts are too long (at most 5,000 characters)." in page
    assert "prompts is too long" not in page


# --- Updating itself, with and without JavaScript -------------------------------------------


def test_only_the_script_says_the_page_updates_itself(
    facilitator_client: Client,
    participant_client: Client,
    session: Session,
    check_response: Callable[[Any], None],
) -> None:
    for client, name in ((facilitator_client, "console"), (participant_client, "session")):
        response = client.get(url(name, session))
        check_response(response)
        page = response.content.decode()
        assert "updates itself while it is open" not in page, name
        # live.js fills the status in when it connects ("Connected: this page updates itself").
        assert '<p class="live-status" role="status" data-live-status></p>' in page, name
        noscript = re.search(r"<noscript>(.*?)</noscript>", page, re.S)
        assert noscript is not None, name
        assert "reload it to see what has changed" in noscript.group(1), name
