"""Live pages, partials and form commands: who sees what, and who may do what."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from convenor.live import actions
from convenor.live.events import current_seq
from convenor.live.models import RoomGroup, Round
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session


def url(name: str, session: Session) -> str:
    return reverse(f"live:{name}", args=[session.programme_id, session.pk])


@pytest.fixture
def partner(programme: Programme, facilitator: Any) -> Participant:
    person = programme_actions.add_participant(
        programme,
        facilitator,
        display_name="Noor <b>Partner</b>",
        organisation="NHS Trust",
        sector="Health",
        pronouns="she/her",
    )
    return programme_actions.agree_ground_rules(person)


@pytest.fixture
def paired(
    session: Session,
    segment: Segment,
    participant: Participant,
    partner: Participant,
    facilitator: Any,
) -> Round:
    """A running segment and a coffee round in which `participant` is paired with `partner`."""
    segment.prompts = "What keeps you in this work?"
    segment.save()
    actions.do_start_segment(session, facilitator)
    actions.do_connect(session, "tab.1", participant=participant)
    actions.do_connect(session, "tab.2", participant=partner)
    return actions.do_start_round(session, facilitator, seed=1)


def test_participant_page_shows_now_next_and_the_socket(
    participant_client: Client,
    session: Session,
    segment: Segment,
    facilitator: Any,
    check_response: Callable[[Any], None],
) -> None:
    Segment.objects.create(
        session=session, position=1, title="Coffee", kind="coffee_trial", duration_minutes=30
    )
    actions.do_start_segment(session, facilitator)
    response = participant_client.get(url("session", session))
    check_response(response)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Welcome" in page and "Coffee" in page
    assert f'data-ws-path="/ws/live/{session.pk}/"' in page
    assert "data-ends-at=" in page
    assert 'aria-live="polite"' in page
    assert "Run-sheet as run" not in page, "the full run-sheet is the facilitator's"


def test_participant_sees_partner_prompts_and_video_room(
    participant_client: Client,
    session: Session,
    paired: Round,
    check_response: Callable[[Any], None],
) -> None:
    response = participant_client.get(url("round_part", session))
    check_response(response)
    page = response.content.decode()
    assert "Noor &lt;b&gt;Partner&lt;/b&gt;" in page, "user text is escaped"
    assert "NHS Trust" in page and "Health" in page and "she/her" in page
    assert "What keeps you in this work?" in page
    (group,) = RoomGroup.objects.filter(round=paired)
    assert f"https://meet.example.org/convenor-{group.room_token}" in page
    assert "Table" not in page


def test_pages_say_which_event_they_were_rendered_after(
    participant_client: Client,
    facilitator_client: Client,
    session: Session,
    paired: Round,
    facilitator: Any,
) -> None:
    """live.js says hello with the page's number, so it is asked only for what came after
    (and knows the round already open and its group in it, for the changes that touch it)."""
    (group,) = RoomGroup.objects.filter(round=paired)
    page = participant_client.get(url("session", session)).content.decode()
    seq = current_seq(session)
    assert seq > 0
    rendered = f'data-seq="{seq}" data-round="{paired.pk}" data-round-kind="coffee" '
    assert f'{rendered}data-group="{group.number}"' in page
    console = facilitator_client.get(url("console", session)).content.decode()
    assert f'data-seq="{seq}"' in console and "data-group" not in console
    actions.do_end_round(paired, facilitator)
    page = participant_client.get(url("session", session)).content.decode()
    assert f'data-seq="{current_seq(session)}"' in page and "data-group" not in page
    assert "data-round" not in page


def test_in_person_sessions_show_a_table_number(
    participant_client: Client, session: Session, paired: Round
) -> None:
    session.format = Session.Format.IN_PERSON
    session.save()
    page = participant_client.get(url("round_part", session)).content.decode()
    assert "Table 1" in page
    assert "meet.example.org" not in page


def test_console_shows_every_group_and_who_is_here(
    facilitator_client: Client,
    session: Session,
    paired: Round,
    check_response: Callable[[Any], None],
) -> None:
    response = facilitator_client.get(url("console", session))
    check_response(response)
    page = response.content.decode()
    assert "Group 1" in page
    assert "Priya Participant" in page and "Noor &lt;b&gt;Partner" in page
    assert "2</strong> participants connected" in page
    assert "Run-sheet as run" in page
    # Skip says what it skips when nothing is running, and that it cannot be undone.
    assert 'aria-describedby="skip-help">Skip<span data-runsheet-title="skip">' in page
    assert "when none is running, the next one; a skipped segment cannot be run later" in page
    here = facilitator_client.get(url("here_part", session)).content.decode()
    assert "Priya Participant" in here


def test_what_participants_see_has_no_facilitators_run_sheet(
    facilitator_client: Client, session: Session, segment: Segment
) -> None:
    """A facilitator opening the participants' page sees it as they do: now and next, not the
    console's run-sheet table (its region is fetched as the participants' page's)."""
    page = facilitator_client.get(url("session", session)).content.decode()
    assert "Now and next" in page or "has not started" in page
    assert "Run-sheet as run" not in page
    assert "?view=participant" in page
    part = facilitator_client.get(url("now_part", session), {"view": "participant"})
    assert "Run-sheet as run" not in part.content.decode()
    assert "Run-sheet as run" in facilitator_client.get(url("now_part", session)).content.decode()


def test_facilitator_commands_by_form(
    facilitator_client: Client, session: Session, segment: Segment
) -> None:
    response = facilitator_client.post(url("command", session), {"command": "start_segment"})
    assert response.status_code == 302
    assert response["Location"] == url("console", session)
    assert current_seq(session) == 1
    response = facilitator_client.post(
        url("command", session), {"command": "extend_segment", "minutes": "5"}, follow=True
    )
    assert "Extended “Welcome” by 5 min." in response.content.decode()
    assert segment.run.extension_minutes == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"command": "teleport"}, "Unknown command"),
        # Fields are named as the console's forms name them, not as the messages do.
        (
            {"command": "extend_segment", "minutes": "five"},
            "The number of minutes to extend by must be a whole number.",
        ),
        (
            {"command": "extend_segment"},
            "The number of minutes to extend by is required: fill it in and try again.",
        ),
        ({"command": "extend_segment", "minutes": "5"}, "No segment is running"),
        ({"command": "start_segment", "segment": "nope"}, "The segment is not a valid id."),
        ({"command": "close_rooms", "seconds": "soon"}, "The warning in seconds must be a"),
        ({"command": "end_round"}, "No round is running"),
    ],
)
def test_bad_commands_say_why_and_change_nothing(
    facilitator_client: Client,
    session: Session,
    segment: Segment,
    data: dict[str, str],
    message: str,
) -> None:
    response = facilitator_client.post(url("command", session), data, follow=True)
    assert message in response.content.decode()
    assert current_seq(session) == 0


def test_commands_need_post_csrf_and_a_facilitator(
    facilitator_client: Client,
    participant_client: Client,
    outsider_client: Client,
    csrf_client: Any,
    session: Session,
    segment: Segment,
) -> None:
    target = url("command", session)
    assert facilitator_client.get(target).status_code == 405
    assert participant_client.post(target, {"command": "start_segment"}).status_code == 403
    assert outsider_client.post(target, {"command": "start_segment"}).status_code == 404
    strict = csrf_client(facilitator_client)
    assert strict.post_without_token(target, {"command": "start_segment"}).status_code == 403
    assert current_seq(session) == 0
    assert strict.post(target, {"command": "start_segment"}).status_code == 302
    assert current_seq(session) == 1


def test_facilitator_only_pages_refuse_participants_and_outsiders(
    participant_client: Client, outsider_client: Client, session: Session
) -> None:
    for name in ("console", "here_part"):
        assert participant_client.get(url(name, session)).status_code == 403
        assert outsider_client.get(url(name, session)).status_code == 404
    for name in ("session", "now_part", "round_part"):
        assert outsider_client.get(url(name, session)).status_code == 404


def test_participants_agree_to_the_ground_rules_first(
    new_participant_client: Client, session: Session
) -> None:
    response = new_participant_client.get(url("session", session))
    assert response.status_code == 302
    assert reverse("programmes:ground_rules", args=[session.programme_id]) in response["Location"]


def test_session_link_include_points_each_role_to_its_page(
    session: Session, facilitator: Any, participant: Participant
) -> None:
    from django.template.loader import render_to_string

    from convenor.programmes.access import Membership

    as_facilitator = Membership(programme=session.programme, role="facilitator")
    as_participant = Membership(
        programme=session.programme, role="participant", participant=participant
    )
    context = {"programme": session.programme, "session": session}
    html = render_to_string("live/_session_link.html", {**context, "membership": as_facilitator})
    assert url("console", session) in html
    html = render_to_string("live/_session_link.html", {**context, "membership": as_participant})
    assert url("session", session) in html


def test_an_archived_programme_console_has_no_commands(
    facilitator_client: Client, session: Session, programme: Programme, facilitator: Any
) -> None:
    programme_actions.archive_programme(programme, facilitator)
    response = facilitator_client.get(url("console", session))
    assert response.status_code == 200
    assert "data-command" not in response.content.decode()
    assert (
        facilitator_client.post(url("command", session), {"command": "start_segment"}).status_code
        == 403
    )
