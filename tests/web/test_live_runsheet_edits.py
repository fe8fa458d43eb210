"""Every way of editing a run-sheet reaches the live pages already open: the edit writes a
`runsheet_edited` event in its own transaction (so snapshot + events still equals a fresh
snapshot), broadcast after commit with the participants' "now and next" as it is after the
edit. An edit that is refused writes nothing."""

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any, Literal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import actions as live_actions
from convenor.live import events
from convenor.live.events import current_seq
from convenor.live.models import LiveEvent
from convenor.live.state import snapshot
from convenor.programmes.models import Programme
from convenor.workshops import actions
from convenor.workshops.models import Segment, Session
from convenor.workshops.templates_builtin import TEMPLATES
from tests.web.live_support import consistent

NOTICE = "What did you notice?"

Told = list[dict[str, Any]]


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> Told:
    """What is broadcast to the open pages (after commit), instead of the channel layer."""
    sent: Told = []

    def record(session_id: Any, message: dict[str, Any], **pushed: Any) -> None:
        sent.append({"message": message, **pushed})

    monkeypatch.setattr(events, "broadcast", record)
    return sent


@pytest.fixture
def sheet(session: Session, facilitator: User) -> list[Segment]:
    """Welcome (running), then "What did you notice?" (15 min), then the close."""
    made = [
        actions.add_segment(session, facilitator, title=title, kind=kind, duration_minutes=minutes)
        for title, kind, minutes in (
            ("Welcome", "welcome", 10),
            (NOTICE, "plenary", 15),
            ("Close", "close", 5),
        )
    ]
    live_actions.do_start_segment(session, facilitator)
    return made


Edit = Callable[[Callable[[], object]], tuple[dict[str, Any], str]]


@pytest.fixture
def edited(session: Session, told: Told, django_capture_on_commit_callbacks: Any) -> Edit:
    """Run an edit; check that it wrote exactly one runsheet_edited event, consistent with a
    fresh snapshot, and broadcast it after commit with the participants' "now and next";
    return the run-sheet the event carries and that region."""

    def run(act: Callable[[], object]) -> tuple[dict[str, Any], str]:
        told.clear()
        with django_capture_on_commit_callbacks(execute=True):
            written = consistent(session, act)
        assert [event["kind"] for event in written] == ["runsheet_edited"]
        assert [sent["message"] for sent in told] == written, "broadcast after commit"
        runsheet = written[0]["payload"]["runsheet"]
        assert runsheet == snapshot(session)["runsheet"]
        return runsheet, told[0]["html"]["runsheet"]

    return run


def titles(runsheet: dict[str, Any]) -> list[str]:
    return [item["title"] for item in runsheet["segments"]]


def test_changing_a_segments_length_reaches_open_pages(
    session: Session, sheet: list[Segment], facilitator: User, edited: Edit
) -> None:
    """The tester's case: 15 minutes to 1, saved on the run-sheet page."""
    notice = sheet[1]
    runsheet, region = edited(
        lambda: actions.update_segment(notice, facilitator, duration_minutes=1)
    )
    item = runsheet["segments"][1]
    assert (item["title"], item["duration_minutes"]) == (NOTICE, 1)
    assert f"{NOTICE}, from about" in region
    assert "(1 min)" in region and "(15 min)" not in region


def test_renaming_a_segment_reaches_open_pages(
    session: Session, sheet: list[Segment], facilitator: User, edited: Edit
) -> None:
    runsheet, region = edited(lambda: actions.update_segment(sheet[1], facilitator, title="Pause"))
    assert titles(runsheet) == ["Welcome", "Pause", "Close"]
    assert "Pause, from about" in region


def test_adding_a_segment_reaches_open_pages(
    session: Session, sheet: list[Segment], facilitator: User, edited: Edit
) -> None:
    runsheet, _ = edited(
        lambda: actions.add_segment(
            session, facilitator, title="Energiser", kind="break", duration_minutes=7
        )
    )
    assert titles(runsheet) == ["Welcome", NOTICE, "Close", "Energiser"]
    assert runsheet["segments"][-1]["status"] == "pending"


def test_deleting_a_segment_reaches_open_pages(
    session: Session, sheet: list[Segment], facilitator: User, edited: Edit
) -> None:
    runsheet, region = edited(lambda: actions.delete_segment(sheet[1], facilitator))
    assert titles(runsheet) == ["Welcome", "Close"]
    assert runsheet["next"] == str(sheet[2].pk)
    assert "Close, from about" in region and NOTICE not in region


@pytest.mark.parametrize("direction", ["up", "down"])
def test_moving_a_segment_reaches_open_pages(
    session: Session,
    sheet: list[Segment],
    facilitator: User,
    edited: Edit,
    direction: Literal["up", "down"],
) -> None:
    mover = sheet[2] if direction == "up" else sheet[1]
    runsheet, region = edited(lambda: actions.move_segment(mover, facilitator, direction))
    assert titles(runsheet) == ["Welcome", "Close", NOTICE]
    assert runsheet["next"] == str(sheet[2].pk)
    assert "Close, from about" in region


def test_building_the_run_sheet_from_a_template_reaches_open_pages(
    session: Session, sheet: list[Segment], facilitator: User, edited: Edit
) -> None:
    key, template = next(iter(TEMPLATES.items()))
    runsheet, _ = edited(lambda: actions.apply_template(session, facilitator, key, replace=True))
    assert titles(runsheet) == [part.title for part in template.segments]


def test_copying_another_sessions_run_sheet_reaches_open_pages(
    session: Session, sheet: list[Segment], facilitator: User, programme: Programme, edited: Edit
) -> None:
    source = Session.objects.create(
        programme=programme, title="Earlier", starts_at=timezone.now(), duration_minutes=60
    )
    actions.add_segment(source, facilitator, title="Check-in", kind="welcome", duration_minutes=20)
    runsheet, _ = edited(
        lambda: actions.duplicate_runsheet(session, facilitator, source, replace=True)
    )
    assert titles(runsheet) == ["Check-in"]


@pytest.fixture
def planned(session: Session, facilitator: User) -> Session:
    """A session whose run-sheet has not started: what is pending is planned from its start."""
    for title, minutes in (("Welcome", 10), (NOTICE, 15)):
        actions.add_segment(
            session, facilitator, title=title, kind="plenary", duration_minutes=minutes
        )
    return session


def test_a_new_start_time_reaches_open_pages(
    planned: Session, facilitator: User, edited: Edit
) -> None:
    runsheet, _ = edited(
        lambda: actions.update_session(
            planned, facilitator, starts_on=date(2031, 3, 4), start_time=time(9, 30)
        )
    )
    planned.refresh_from_db()
    assert planned.local_start().strftime("%Y-%m-%d %H:%M") == "2031-03-04 09:30"
    assert runsheet["segments"][0]["starts_at"] == planned.starts_at.isoformat()
    assert (
        runsheet["segments"][1]["starts_at"]
        == (planned.starts_at + timedelta(minutes=10)).isoformat()
    )


def test_a_new_time_zone_reaches_open_pages(
    planned: Session, facilitator: User, edited: Edit
) -> None:
    _, region = edited(
        lambda: actions.update_session(planned, facilitator, time_zone="America/New_York")
    )
    assert 'data-replan-tz="America/New_York"' in region


def test_a_session_change_live_pages_do_not_show_writes_no_event(
    planned: Session, facilitator: User
) -> None:
    before = current_seq(planned)
    actions.update_session(planned, facilitator, title="Renamed", description="New words.")
    assert current_seq(planned) == before


def test_a_refused_edit_writes_no_event_and_tells_nobody(
    session: Session,
    sheet: list[Segment],
    facilitator: User,
    told: Told,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = current_seq(session)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            actions.update_segment(sheet[1], facilitator, duration_minutes=0)
        with pytest.raises(ValidationError):
            actions.move_segment(sheet[0], facilitator, "up")
    assert current_seq(session) == before
    assert told == []


def test_saving_the_segment_form_tells_the_open_pages(
    session: Session, sheet: list[Segment], facilitator_client: Client
) -> None:
    """The path the tester took: the run-sheet page's edit form, saved."""
    before = current_seq(session)
    edit = reverse("workshops:segment_edit", args=[session.programme_id, session.pk, sheet[1].pk])
    response = facilitator_client.post(
        edit, {"title": NOTICE, "kind": "plenary", "duration_minutes": "1"}
    )
    assert response.status_code == 302
    (event,) = LiveEvent.objects.filter(session=session, seq__gt=before)
    assert event.kind == "runsheet_edited"
    assert event.payload["runsheet"]["segments"][1]["duration_minutes"] == 1
    console = reverse("live:now_part", args=[session.programme_id, session.pk])
    assert "(1 min)" in facilitator_client.get(console).content.decode()
