"""Session pages and the run-sheet editor, for facilitators, participants and outsiders."""

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Programme
from convenor.workshops import actions
from convenor.workshops.models import Segment, Session

pytestmark = pytest.mark.django_db

XSS_TITLE = '<script>alert("t")</script>Talk'
XSS_PROMPT = '<img src=x onerror=alert("p")>Ask'


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Building common purpose",
        "description": "",
        "starts_on": "2027-02-18",
        "start_time": "13:00",
        "duration_minutes": "180",
        "time_zone": "Europe/London",
        "format": "online",
        "video_url_template": "https://meet.example.org/cohort-{room}",
        "venue": "",
    }
    data.update(overrides)
    return data


def url(name: str, *args: Any) -> str:
    return reverse(f"workshops:{name}", args=args)


@pytest.fixture
def planned(programme: Programme, facilitator: User) -> Session:
    made = actions.create_session(
        programme,
        facilitator,
        title="Second workshop",
        starts_on=date(2027, 2, 18),
        start_time=time(13, 0),
        time_zone="Europe/London",
        duration_minutes=180,
        format="online",
    )
    actions.apply_template(made, facilitator, "common-purpose")
    return made


def order(session: Session) -> list[str]:
    return list(session.segments.order_by("position").values_list("title", flat=True))


# --- Sessions -------------------------------------------------------------------------------


def test_facilitator_creates_a_session(
    programme: Programme,
    facilitator_client: Client,
    csrf_client: Callable[[Client], Any],
    check_response: Callable[[Any], None],
) -> None:
    client = csrf_client(facilitator_client)
    page = client.get(url("session_create", programme.pk))
    assert page.status_code == 200
    check_response(page)
    response = client.post(url("session_create", programme.pk), form_data())
    made = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("runsheet", programme.pk, made.pk)
    assert made.local_start().strftime("%Y-%m-%d %H:%M") == "2027-02-18 13:00"
    listing = client.get(url("sessions", programme.pk))
    check_response(listing)
    text = listing.content.decode()
    assert "Building common purpose" in text
    assert "Thursday 18 February 2027, 13:00–16:00 GMT (Europe/London)" in text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_minutes": "0"}, "greater than or equal to 5"),
        ({"duration_minutes": "10000"}, "less than or equal to 1440"),
        ({"time_zone": "Nowhere/Special"}, "Select a valid choice"),
        ({"video_url_template": "https://meet.example.org/cohort"}, "must contain {room}"),
        ({"format": "in_person"}, "needs one"),
        ({"starts_on": "2027-03-28", "start_time": "01:30"}, "does not exist"),
        ({"starts_on": "not a date"}, "Enter a valid date"),
    ],
)
def test_bad_session_input_shows_an_error_and_saves_nothing(
    programme: Programme,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
    overrides: dict[str, str],
    message: str,
) -> None:
    response = facilitator_client.post(url("session_create", programme.pk), form_data(**overrides))
    assert response.status_code == 400
    check_response(response)
    text = response.content.decode()
    assert "There is a problem" in text
    assert message in text
    assert not Session.objects.exists()


def test_edit_session(
    planned: Session, programme: Programme, co_facilitator_client: Client
) -> None:
    page = co_facilitator_client.get(url("session_edit", programme.pk, planned.pk))
    assert page.status_code == 200
    assert 'value="13:00"' in page.content.decode()
    response = co_facilitator_client.post(
        url("session_edit", programme.pk, planned.pk),
        form_data(title="Renamed", start_time="14:30", time_zone="Europe/Dublin"),
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.title == "Renamed"
    assert planned.local_start().strftime("%H:%M %Z") == "14:30 GMT"
    assert planned.time_zone == "Europe/Dublin"


def test_edit_session_with_bad_input_changes_nothing(
    planned: Session, programme: Programme, facilitator_client: Client
) -> None:
    before = Session.objects.values().get(pk=planned.pk)
    response = facilitator_client.post(
        url("session_edit", programme.pk, planned.pk),
        form_data(title="Renamed", duration_minutes="0"),
    )
    assert response.status_code == 400
    assert Session.objects.values().get(pk=planned.pk) == before


def test_delete_session_asks_first(
    planned: Session, programme: Programme, facilitator_client: Client
) -> None:
    confirm = facilitator_client.get(url("session_delete", programme.pk, planned.pk))
    assert confirm.status_code == 200
    assert "12 segments" in confirm.content.decode()
    assert Session.objects.filter(pk=planned.pk).exists()
    response = facilitator_client.post(url("session_delete", programme.pk, planned.pk))
    assert response.status_code == 302
    assert not Session.objects.filter(pk=planned.pk).exists()
    assert not Segment.objects.exists()


# --- Run-sheet ------------------------------------------------------------------------------


def test_runsheet_shows_computed_times_and_total(
    planned: Session,
    programme: Programme,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    response = facilitator_client.get(url("runsheet", programme.pk, planned.pk))
    assert response.status_code == 200
    check_response(response)
    text = response.content.decode()
    # Welcome 10, coffee trial 15, plenary 15, talk 10: the talk runs from 13:40 to 13:50.
    assert ">13:40</time>–13:50" in text
    assert "180 of 180 minutes planned, ending at 16:00" in text
    assert "Over by" not in text
    assert "times in Europe/London" in text


def test_runsheet_warns_on_overrun(
    planned: Session, programme: Programme, facilitator: User, facilitator_client: Client
) -> None:
    actions.add_segment(planned, facilitator, title="Extra", kind="plenary", duration_minutes=25)
    text = facilitator_client.get(url("runsheet", programme.pk, planned.pk)).content.decode()
    assert "205 of 180 minutes planned" in text
    assert "Over by 25 minutes" in text


def test_add_edit_and_delete_a_segment(
    planned: Session, programme: Programme, facilitator_client: Client
) -> None:
    add = url("segment_add", programme.pk, planned.pk)
    assert facilitator_client.get(add).status_code == 200
    response = facilitator_client.post(
        add,
        {"title": "Energiser", "kind": "plenary", "duration_minutes": "5", "prompts": "Stand up"},
    )
    added = planned.segments.get(title="Energiser")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#segment-{added.pk}")
    assert order(planned)[-1] == "Energiser"

    edit = url("segment_edit", programme.pk, planned.pk, added.pk)
    assert facilitator_client.get(edit).status_code == 200
    facilitator_client.post(edit, {"title": "Warm-up", "kind": "welcome", "duration_minutes": "7"})
    added.refresh_from_db()
    assert (added.title, added.kind, added.duration_minutes) == ("Warm-up", "welcome", 7)

    delete = url("segment_delete", programme.pk, planned.pk, added.pk)
    assert "Remove “Warm-up”?" in facilitator_client.get(delete).content.decode()
    facilitator_client.post(delete)
    assert not planned.segments.filter(pk=added.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "X", "kind": "talk", "duration_minutes": "0"}, "greater than or equal to 1"),
        ({"title": "X", "kind": "talk", "duration_minutes": "10000"}, "less than or equal to 480"),
        ({"title": "", "kind": "talk", "duration_minutes": "5"}, "This field is required"),
        ({"title": "X", "kind": "karaoke", "duration_minutes": "5"}, "Select a valid choice"),
    ],
)
def test_bad_segment_input_changes_nothing(
    planned: Session,
    programme: Programme,
    facilitator_client: Client,
    data: dict[str, str],
    message: str,
) -> None:
    before = list(planned.segments.values())
    response = facilitator_client.post(url("segment_add", programme.pk, planned.pk), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    first = planned.segments.order_by("position").first()
    assert first is not None
    response = facilitator_client.post(
        url("segment_edit", programme.pk, planned.pk, first.pk), data
    )
    assert response.status_code == 400
    assert list(planned.segments.values()) == before


def test_move_down_without_javascript(
    planned: Session, programme: Programme, facilitator_client: Client
) -> None:
    first = planned.segments.get(position=0)
    response = facilitator_client.post(
        url("segment_move", programme.pk, planned.pk, first.pk), {"direction": "down"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#segment-{first.pk}")
    assert order(planned)[:2] == ["Coffee trial: meet someone new", first.title]
    page = facilitator_client.get(response["Location"])
    assert "to place 2 of 12" in page.content.decode()


def test_move_with_htmx_returns_the_table_and_keeps_the_button_id(
    planned: Session,
    programme: Programme,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    third = planned.segments.get(position=2)
    response = facilitator_client.post(
        url("segment_move", programme.pk, planned.pk, third.pk),
        {"direction": "up"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    check_response(response)
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="runsheet"')
    assert "<html" not in text
    # htmx puts focus back on the element with the id the focused button had.
    assert f'id="up-{third.pk}"' in text
    assert 'hx-swap-oob="innerHTML"' in text and "to place 2 of 12" in text
    assert order(planned)[1] == third.title


def test_moving_the_first_segment_up_is_refused(
    planned: Session, programme: Programme, facilitator_client: Client
) -> None:
    before = order(planned)
    first = planned.segments.get(position=0)
    move = url("segment_move", programme.pk, planned.pk, first.pk)
    response = facilitator_client.post(move, {"direction": "up"})
    assert response.status_code == 400
    assert "is already first" in response.content.decode()
    htmx = facilitator_client.post(move, {"direction": "up"}, headers={"HX-Request": "true"})
    assert 'role="alert"' in htmx.content.decode()
    bad = facilitator_client.post(move, {"direction": "sideways"})
    assert bad.status_code == 400
    assert order(planned) == before


def test_move_is_post_only(
    planned: Session, programme: Programme, facilitator_client: Client
) -> None:
    first = planned.segments.get(position=0)
    response = facilitator_client.get(url("segment_move", programme.pk, planned.pk, first.pk))
    assert response.status_code == 405


def test_a_segment_of_another_programme_is_not_found(
    planned: Session, programme: Programme, facilitator_client: Client, outsider: User
) -> None:
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
    their_segment = actions.add_segment(
        their_session, outsider, title="Theirs", kind="talk", duration_minutes=10
    )
    before = order(planned)
    for name in ("segment_move", "segment_edit", "segment_delete"):
        # Our programme and session, their segment; and their session under our programme.
        ours = url(name, programme.pk, planned.pk, their_segment.pk)
        mixed = url(name, programme.pk, their_session.pk, their_segment.pk)
        for target in (ours, mixed):
            assert facilitator_client.post(target, {"direction": "up"}).status_code == 404
    assert (
        facilitator_client.get(url("runsheet", programme.pk, their_session.pk)).status_code == 404
    )
    assert order(planned) == before
    assert Segment.objects.filter(pk=their_segment.pk).exists()


def test_apply_a_template(
    programme: Programme,
    facilitator: User,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    empty = actions.create_session(
        programme,
        facilitator,
        title="Third",
        starts_on=date(2027, 3, 18),
        start_time=time(10, 0),
        time_zone="Europe/London",
        duration_minutes=60,
        format="online",
    )
    page = facilitator_client.get(url("template_apply", programme.pk, empty.pk))
    check_response(page)
    assert "Stakeholder and actor mapping (60 minutes)" in page.content.decode()
    response = facilitator_client.post(
        url("template_apply", programme.pk, empty.pk), {"template": "stakeholder-mapping"}
    )
    assert response.status_code == 302
    assert order(empty)[0] == "Welcome"
    assert len(order(empty)) == 5


def test_apply_a_template_over_a_runsheet_needs_confirmation(
    planned: Session, programme: Programme, facilitator_client: Client
) -> None:
    before = order(planned)
    target = url("template_apply", programme.pk, planned.pk)
    refused = facilitator_client.post(target, {"template": "empathy-map"})
    assert refused.status_code == 400
    assert "confirm that they should be replaced" in refused.content.decode()
    assert order(planned) == before
    bogus = facilitator_client.post(target, {"template": "no-such", "replace": "on"})
    assert bogus.status_code == 400
    assert order(planned) == before
    facilitator_client.post(target, {"template": "empathy-map", "replace": "on"})
    assert order(planned)[2] == "Empathy map in groups"


def test_duplicate_a_runsheet(
    planned: Session, programme: Programme, facilitator: User, facilitator_client: Client
) -> None:
    later = actions.create_session(
        programme,
        facilitator,
        title="Third",
        starts_on=date(2027, 3, 18),
        start_time=time(13, 0),
        time_zone="Europe/London",
        duration_minutes=180,
        format="online",
    )
    target = url("runsheet_duplicate", programme.pk, later.pk)
    page = facilitator_client.get(target)
    assert "Second workshop (18 Feb 2027, 12 segments)" in page.content.decode()
    response = facilitator_client.post(target, {"source": str(planned.pk)})
    assert response.status_code == 302
    assert order(later) == order(planned)


def test_duplicate_refuses_a_session_from_elsewhere(
    planned: Session, programme: Programme, facilitator_client: Client, outsider: User
) -> None:
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
    actions.add_segment(their_session, outsider, title="Secret", kind="talk", duration_minutes=9)
    empty = actions.create_session(
        programme,
        programme.facilitations.get().user,
        title="Empty",
        starts_on=date(2027, 4, 1),
        start_time=time(9, 0),
        time_zone="UTC",
        duration_minutes=60,
        format="online",
    )
    response = facilitator_client.post(
        url("runsheet_duplicate", programme.pk, empty.pk), {"source": str(their_session.pk)}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not empty.segments.exists()


# --- Who may do what ------------------------------------------------------------------------


def facilitator_pages(programme: Programme, session: Session) -> list[str]:
    segment = session.segments.order_by("position")[1]
    return [
        url("sessions", programme.pk),
        url("session_create", programme.pk),
        url("runsheet", programme.pk, session.pk),
        url("session_edit", programme.pk, session.pk),
        url("session_delete", programme.pk, session.pk),
        url("segment_add", programme.pk, session.pk),
        url("template_apply", programme.pk, session.pk),
        url("runsheet_duplicate", programme.pk, session.pk),
        url("segment_edit", programme.pk, session.pk, segment.pk),
        url("segment_delete", programme.pk, session.pk, segment.pk),
        url("segment_move", programme.pk, session.pk, segment.pk),
        url("calendar_feed", programme.pk),
    ]


def test_participants_get_403_and_outsiders_404(
    planned: Session,
    programme: Programme,
    participant_client: Client,
    outsider_client: Client,
    anonymous_client: Client,
) -> None:
    before = list(Segment.objects.order_by("pk").values())
    for page in facilitator_pages(programme, planned):
        for method in ("get", "post"):
            data = {"direction": "up", "title": "Hacked", "template": "empathy-map"}
            call = getattr(participant_client, method)
            assert call(page, data).status_code == 403, page
            for client in (outsider_client, anonymous_client):
                assert getattr(client, method)(page, data).status_code == 404, page
    assert Session.objects.filter(pk=planned.pk).exists()
    assert list(Segment.objects.order_by("pk").values()) == before


def test_writes_need_the_csrf_token(
    planned: Session,
    programme: Programme,
    facilitator_client: Client,
    csrf_client: Callable[[Client], Any],
) -> None:
    client = csrf_client(facilitator_client)
    before = list(Segment.objects.order_by("pk").values())
    second = planned.segments.get(position=1)
    writes = [
        (url("session_create", programme.pk), form_data()),
        (url("session_edit", programme.pk, planned.pk), form_data(title="Changed")),
        (url("session_delete", programme.pk, planned.pk), {}),
        (url("segment_move", programme.pk, planned.pk, second.pk), {"direction": "up"}),
        (url("segment_delete", programme.pk, planned.pk, second.pk), {}),
        (url("template_apply", programme.pk, planned.pk), {"template": "empathy-map"}),
        (url("calendar_feed", programme.pk), {"action": "create"}),
    ]
    for target, data in writes:
        assert client.post_without_token(target, data).status_code == 403, target
    assert Session.objects.get().title == "Second workshop"
    assert list(Segment.objects.order_by("pk").values()) == before
    # The same client with the token gets through: the 403s above were the CSRF check.
    ok = client.post(url("segment_move", programme.pk, planned.pk, second.pk), {"direction": "up"})
    assert ok.status_code == 302


def test_archived_programme_is_read_only(
    planned: Session, programme: Programme, facilitator: User, facilitator_client: Client
) -> None:
    programme_actions.archive_programme(programme, facilitator)
    page = facilitator_client.get(url("runsheet", programme.pk, planned.pk))
    assert page.status_code == 200
    assert "Move up" not in page.content.decode()
    first = planned.segments.order_by("position")[1]
    move = url("segment_move", programme.pk, planned.pk, first.pk)
    assert facilitator_client.post(move, {"direction": "up"}).status_code == 403
    create = url("session_create", programme.pk)
    assert facilitator_client.post(create, form_data()).status_code == 403
    assert Session.objects.count() == 1


# --- What participants see, and user text -----------------------------------------------------


def test_participant_home_lists_sessions_in_their_zone(
    planned: Session,
    programme: Programme,
    facilitator: User,
    participant_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    actions.create_session(
        programme,
        facilitator,
        title="Evening in New York",
        starts_on=date(2027, 7, 1),
        start_time=time(18, 0),
        time_zone="America/New_York",
        duration_minutes=90,
        format="hybrid",
        venue="Community hall, Main Street",
    )
    response = participant_client.get(reverse("programmes:participant_home", args=[programme.pk]))
    assert response.status_code == 200
    check_response(response)
    text = response.content.decode()
    assert "Thursday 18 February 2027, 13:00–16:00 GMT (Europe/London)" in text
    assert "Thursday 1 July 2027, 18:00–19:30 EDT (America/New_York)" in text
    assert "Community hall, Main Street" in text
    assert url("session_ics", programme.pk, planned.pk) in text
    assert url("programme_ics", programme.pk) in text
    # Facilitator notes never reach participants.
    assert "Keep to time" not in text


def test_user_text_is_inert_everywhere(
    programme: Programme,
    facilitator: User,
    facilitator_client: Client,
    participant_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    session = actions.create_session(
        programme,
        facilitator,
        title=XSS_TITLE,
        description=XSS_PROMPT,
        starts_on=date(2027, 2, 18),
        start_time=time(13, 0),
        time_zone="Europe/London",
        duration_minutes=60,
        format="in_person",
        venue='"><svg onload=alert(1)>',
    )
    segment = actions.add_segment(
        session,
        facilitator,
        title=XSS_TITLE,
        kind="talk",
        duration_minutes=10,
        prompts=XSS_PROMPT,
        facilitator_notes=XSS_PROMPT,
    )
    pages = [
        (facilitator_client, url("sessions", programme.pk)),
        (facilitator_client, url("runsheet", programme.pk, session.pk)),
        (facilitator_client, url("session_edit", programme.pk, session.pk)),
        (facilitator_client, url("session_delete", programme.pk, session.pk)),
        (facilitator_client, url("segment_edit", programme.pk, session.pk, segment.pk)),
        (facilitator_client, url("segment_delete", programme.pk, session.pk, segment.pk)),
        (facilitator_client, reverse("programmes:dashboard", args=[programme.pk])),
        (participant_client, reverse("programmes:participant_home", args=[programme.pk])),
    ]
    for client, page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        check_response(response)  # no inline script, handler or style got through
        text = response.content.decode()
        assert "<script>alert" not in text and "<img src=x" not in text, page
        assert "<svg onload" not in text, page
        assert "&lt;script&gt;alert" in text, page


def test_session_list_is_in_date_order_whatever_the_order_of_creation(
    programme: Programme, facilitator: User, facilitator_client: Client
) -> None:
    for title, day in (("Third", 20), ("First", 2), ("Second", 10)):
        actions.create_session(
            programme,
            facilitator,
            title=f"Session {title}",
            starts_on=date(2027, 5, day),
            start_time=time(9, 0),
            time_zone="Europe/London",
            duration_minutes=60,
            format="online",
        )
    text = facilitator_client.get(url("sessions", programme.pk)).content.decode()
    positions = [text.index(f"Session {title}") for title in ("First", "Second", "Third")]
    assert positions == sorted(positions)
