"""A segment running past its planned end re-times what follows (at render, from stored times
and the present), and says so; and where groups meet, for each session format."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from convenor.live import actions
from convenor.live.models import RoomGroup, Round, SegmentRun
from convenor.live.state import runsheet_state, snapshot
from convenor.live.views import Place, place_of, sheet_of
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session
from tests.web.live_support import consistent, url

LONDON = ZoneInfo("Europe/London")


def hhmm(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%H:%M")


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The present, fixed (to a whole minute and a half) for everything that asks Django."""
    moment = timezone.now().replace(second=30, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def sheet(session: Session) -> list[Segment]:
    made = []
    for position, (title, kind, minutes) in enumerate(
        [("Welcome", "welcome", 10), ("Coffee", "coffee_trial", 30), ("Close", "close", 5)]
    ):
        made.append(
            Segment.objects.create(
                session=session, position=position, title=title, kind=kind, duration_minutes=minutes
            )
        )
    return made


def run_since(session: Session, facilitator: Any, minutes: int, now: datetime) -> SegmentRun:
    """Start the next segment and make it have started `minutes` before `now`."""
    run = actions.do_start_segment(session, facilitator)
    run.started_at = now - timedelta(minutes=minutes)
    run.save(update_fields=["started_at"])
    return run


# --- Overruns -------------------------------------------------------------------------------


def test_an_overrun_plans_what_follows_from_now(
    session: Session, sheet: list[Segment], facilitator: Any, frozen: datetime
) -> None:
    run_since(session, facilitator, 25, frozen)  # a 10-minute segment, 15 minutes over
    state = sheet_of(session)
    welcome, coffee, close = state["segments"]
    assert state["overrun"] and state["over_minutes"] == 15
    assert welcome["ends_at"] == frozen - timedelta(minutes=15), "the planned end is kept"
    assert coffee["starts_at"] == frozen, "not 15 minutes in the past"
    assert coffee["ends_at"] == close["starts_at"] == frozen + timedelta(minutes=30)
    assert state["next_item"]["starts_at"] == frozen
    # Later, further over: everything pending moves with the present.
    later = sheet_of(session, now=frozen + timedelta(minutes=7))
    assert later["over_minutes"] == 22
    assert later["segments"][1]["starts_at"] == frozen + timedelta(minutes=7)


def test_the_event_sourced_state_does_not_depend_on_the_clock(
    session: Session, sheet: list[Segment], facilitator: Any, frozen: datetime
) -> None:
    run_since(session, facilitator, 25, frozen)
    stored = runsheet_state(session)
    assert stored["segments"][1]["starts_at"] == (frozen - timedelta(minutes=15)).isoformat()
    # Extending an overrunning segment still keeps snapshot + events == a fresh snapshot.
    consistent(session, lambda: actions.do_extend_segment(session, facilitator, 5))
    assert snapshot(session)["runsheet"] == runsheet_state(session)
    state = sheet_of(session)
    assert state["over_minutes"] == 10
    assert state["segments"][1]["starts_at"] == frozen


def test_a_segment_on_time_plans_from_its_planned_end(
    session: Session, sheet: list[Segment], facilitator: Any, frozen: datetime
) -> None:
    run_since(session, facilitator, 3, frozen)
    state = sheet_of(session)
    assert not state["overrun"] and state["over_minutes"] == 0
    assert state["segments"][1]["starts_at"] == frozen + timedelta(minutes=7)


def test_between_segments_nothing_is_planned_in_the_past(
    session: Session, sheet: list[Segment], facilitator: Any, frozen: datetime
) -> None:
    run = run_since(session, facilitator, 25, frozen)
    actions.do_end_segment(session, facilitator)
    run.refresh_from_db()
    run.ended_at = frozen - timedelta(minutes=20)
    run.save(update_fields=["ended_at"])
    state = sheet_of(session)
    assert state["status"] == "between" and not state["overrun"]
    assert state["next_item"]["starts_at"] == frozen


def test_participants_see_the_overrun_and_the_new_time(
    participant_client: Client,
    session: Session,
    sheet: list[Segment],
    facilitator: Any,
    frozen: datetime,
    check_response: Callable[[Any], None],
) -> None:
    run_since(session, facilitator, 25, frozen)
    response = participant_client.get(url("now_part", session))
    check_response(response)
    page = response.content.decode()
    assert "Running 15 min over" in page
    assert f'datetime="{frozen.isoformat()}">{hhmm(frozen)}</time>' in page
    assert "from about <time data-replan=" in page
    stale = frozen - timedelta(minutes=15)
    assert f'Over time: due to end at <time datetime="{stale.isoformat()}">' in page
    assert "until <time" not in page, "no countdown to a time already past"
    assert "Run-sheet as run" not in page
    whole = participant_client.get(url("session", session)).content.decode()
    assert "Running 15 min over" in whole


def test_the_facilitators_run_sheet_shows_the_overrun_and_re_timed_rows(
    facilitator_client: Client,
    session: Session,
    sheet: list[Segment],
    facilitator: Any,
    frozen: datetime,
    check_response: Callable[[Any], None],
) -> None:
    run_since(session, facilitator, 25, frozen)
    response = facilitator_client.get(url("console", session))
    check_response(response)
    page = response.content.decode()
    assert re.search(r"running now<span data-over-since=[^>]+>, 15 min over</span>", page)

    def cells(row: str) -> list[str]:
        return re.findall(r"<td>(?:<time [^>]+>)?([^<]*)(?:</time>)?</td>", row)

    coffee_row = page.split('<th scope="row">Coffee</th>')[1].split("</tr>")[0]
    assert cells(coffee_row)[:2] == [hhmm(frozen), hhmm(frozen + timedelta(minutes=30))]
    close_row = page.split('<th scope="row">Close</th>')[1].split("</tr>")[0]
    assert cells(close_row)[0] == hhmm(frozen + timedelta(minutes=30))


def test_less_than_a_minute_over_says_over_time(
    participant_client: Client,
    session: Session,
    sheet: list[Segment],
    facilitator: Any,
    frozen: datetime,
) -> None:
    run = run_since(session, facilitator, 10, frozen)
    run.started_at -= timedelta(seconds=20)
    run.save(update_fields=["started_at"])
    page = participant_client.get(url("now_part", session)).content.decode()
    assert "Running over time" in page and "min over" not in page


def test_on_time_the_page_says_nothing_of_an_overrun(
    participant_client: Client,
    session: Session,
    sheet: list[Segment],
    facilitator: Any,
    frozen: datetime,
) -> None:
    run_since(session, facilitator, 3, frozen)
    page = participant_client.get(url("now_part", session)).content.decode()
    # The line live.js shows once the segment's time is up is there, hidden.
    assert re.search(r'<p class="live-over" data-over-since="[^"]+" hidden>', page)
    assert "Over time" not in page and "min over" not in page
    assert "until <time" in page


# --- Where groups meet ----------------------------------------------------------------------


@pytest.fixture
def partner(programme: Programme, facilitator: Any) -> Participant:
    person = programme_actions.add_participant(
        programme, facilitator, display_name="Noor Partner", organisation="NHS Trust"
    )
    return programme_actions.agree_ground_rules(person)


def pair(session: Session, facilitator: Any, *people: Participant) -> Round:
    Segment.objects.create(
        session=session, position=0, title="Welcome", kind="welcome", duration_minutes=10
    )
    actions.do_start_segment(session, facilitator)
    for number, person in enumerate(people):
        actions.do_connect(session, f"tab.{number}", participant=person)
    return actions.do_start_round(session, facilitator, seed=1)


FORMATS = [
    # format, video template?, table shown, link shown, participant's note
    (Session.Format.ONLINE, False, False, False, "Your facilitator will tell you where to meet."),
    (Session.Format.ONLINE, True, False, True, None),
    (Session.Format.IN_PERSON, False, True, False, None),
    (Session.Format.IN_PERSON, True, True, False, None),
    (
        Session.Format.HYBRID,
        False,
        True,
        False,
        "If you are joining online, your facilitator will tell you where to meet.",
    ),
    (Session.Format.HYBRID, True, True, True, None),
]


@pytest.mark.parametrize(("format_", "template", "table", "link", "note"), FORMATS)
def test_where_groups_meet(
    participant_client: Client,
    facilitator_client: Client,
    session: Session,
    participant: Participant,
    partner: Participant,
    facilitator: Any,
    format_: str,
    template: bool,
    table: bool,
    link: bool,
    note: str | None,
    check_response: Callable[[Any], None],
) -> None:
    session.format = format_
    session.video_url_template = "https://meet.example.org/{room}" if template else ""
    session.save()
    round_ = pair(session, facilitator, participant, partner)
    (group,) = RoomGroup.objects.filter(round=round_)
    response = participant_client.get(url("round_part", session))
    check_response(response)
    page = response.content.decode()
    assert ("Table 1" in page) is table
    assert (f"meet.example.org/convenor-{group.room_token}" in page) is link
    if note is None:
        assert "will tell you where to meet" not in page
    else:
        assert note in page
    console = facilitator_client.get(url("round_part", session)).content.decode()
    assert ("Table 1" in console) is table
    assert ("No video-room link is set" in console) is (note is not None)
    assert "Your facilitator will tell you" not in console


def test_place_of_an_online_session_without_a_video_link_has_no_table(session: Session) -> None:
    session.format = Session.Format.ONLINE
    session.video_url_template = ""
    assert place_of(session, 3, "tok") == Place("", None, ask_facilitator=True)
    session.format = Session.Format.IN_PERSON
    assert place_of(session, 3, "tok") == Place("", 3)
    session.format = Session.Format.HYBRID
    assert place_of(session, 3, "tok") == Place("", 3, ask_facilitator=True)
    session.video_url_template = "https://meet.example.org/{room}"
    assert place_of(session, 3, "tok") == Place("https://meet.example.org/convenor-tok", 3)
