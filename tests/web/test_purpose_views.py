"""The common purpose builder in pages: the panels for participants and the console, the form
path, access, Chatham House anonymity in pages and the record, and the agreed statement at the
next session's welcome."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from test_purpose_actions import Rooms, breakout, save, state

from convenor.accounts.models import User
from convenor.live import actions as live_actions
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant
from convenor.purpose import actions
from convenor.purpose.models import CohortPurpose
from convenor.workshops.models import Segment, Session

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def segments(session: Session) -> dict[str, Segment]:
    made = {}
    for position, kind in enumerate(["welcome", "common_purpose", "plenary"]):
        made[kind] = Segment.objects.create(
            session=session, position=position, title=kind.title(), kind=kind, duration_minutes=20
        )
    return made


@pytest.fixture
def rooms(
    session: Session, facilitator: User, participant: Participant, segments: dict[str, Segment]
) -> Rooms:
    live_actions.do_start_segment(session, facilitator, segments["common_purpose"])
    return breakout(session, facilitator, participant)


def region(client: Client, session: Session, check: Callable[[Any], None] | None = None) -> str:
    response = client.get(reverse("live:activity_part", args=[session.programme_id, session.pk]))
    assert response.status_code == 200
    if check is not None:
        check(response)
    return str(response.content.decode())


def act_url(session: Session) -> str:
    return reverse("live:act", args=[session.programme_id, session.pk])


def client_of(participant: Participant, as_participant: Any) -> Client:
    return as_participant(Client(), participant)


def chatham(session: Session, on: bool) -> None:
    session.programme.chatham_house = on
    session.programme.save()


def test_drafting_panel_for_the_group(
    session: Session,
    rooms: Rooms,
    participant: Participant,
    participant_client: Client,
    as_participant: Any,
    check_response: Callable[[Any], None],
) -> None:
    body = region(participant_client, session, check_response)
    assert "Our group&#x27;s common purpose" in body or "Our group's common purpose" in body
    assert f'value="{rooms.mine.pk}"' in body and 'name="rev" value="0"' in body
    assert "0 of 40 words" in body and 'for="purpose-draft-what"' in body
    assert "Not saved yet." in body
    save(session, participant, rooms.mine, what=SCRIPT, why="Because it matters")
    mate_body = region(client_of(rooms.mate, as_participant), session, check_response)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mate_body and SCRIPT not in mate_body
    assert 'name="rev" value="1"' in mate_body and "4 of 40 words" in mate_body
    assert "Saved as version 1." in mate_body
    # Another room sees its own (empty) draft, not ours, until ours is shared.
    theirs = region(client_of(rooms.others[0], as_participant), session, check_response)
    assert "alert(1)" not in theirs and f'value="{rooms.other.pk}"' in theirs


def test_versions_are_unattributed_under_chatham_house(
    session: Session,
    rooms: Rooms,
    participant: Participant,
    participant_client: Client,
    facilitator_client: Client,
    as_participant: Any,
) -> None:
    chatham(session, True)
    save(session, rooms.mate, rooms.mine, what="Theirs first")
    save(session, participant, rooms.mine, rev=1, what="Theirs first", why="Mine second")
    mine = region(participant_client, session)
    assert "Version 2" in mine and "by You" in mine
    assert rooms.mate.display_name not in mine
    console = region(facilitator_client, session)
    assert "Version 2" in console and "Version 1" in console
    for name in [participant.display_name, rooms.mate.display_name]:
        assert name not in console
    chatham(session, False)
    named = region(facilitator_client, session)
    assert f"by {participant.display_name}" in named and f"by {rooms.mate.display_name}" in named
    assert f"by {rooms.mate.display_name}" in region(participant_client, session)


def test_form_path_refusals_change_nothing(
    session: Session,
    rooms: Rooms,
    participant: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    save(session, participant, rooms.mine, what="Ours")
    before = state()
    words = " ".join(["word"] * 41)
    refused = participant_client.post(
        act_url(session),
        {"action": "purpose.save", "group": str(rooms.mine.pk), "rev": "1", "what": words},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400 and "41 words" in refused.json()["error"]
    other = participant_client.post(
        act_url(session),
        {"action": "purpose.save", "group": str(rooms.other.pk), "rev": "0", "what": "x"},
        HTTP_ACCEPT="application/json",
    )
    assert other.status_code == 400 and "your own group" in other.json()["error"]
    stale = participant_client.post(
        act_url(session),
        {"action": "purpose.save", "group": str(rooms.mine.pk), "rev": "0", "what": "Stale"},
    )
    assert stale.status_code == 302
    page = participant_client.get(stale.url).content.decode()
    assert "saved version 1 while you were editing" in page
    pick = participant_client.post(
        act_url(session),
        {"action": "purpose.pick", "draft": str(rooms.mine.pk)},
        HTTP_ACCEPT="application/json",
    )
    assert pick.status_code == 400 and "facilitators" in pick.json()["error"]
    answer = facilitator_client.post(
        act_url(session),
        {"action": "purpose.answer", "choice": "agree"},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 400 and "Only participants" in answer.json()["error"]
    assert state() == before
    # And the happy path over the form: saved, then back to the live page.
    done = participant_client.post(
        act_url(session),
        {"action": "purpose.save", "group": str(rooms.mine.pk), "rev": "1", "what": "Ours, now"},
    )
    assert done.status_code == 302 and done.url.endswith("/live/")
    assert "Ours, now" in region(participant_client, session)


def test_outsiders_and_unagreed_participants(
    session: Session,
    rooms: Rooms,
    facilitator: User,
    outsider_client: Client,
    as_participant: Any,
) -> None:
    # Someone who has redeemed their invite but not yet agreed to the ground rules.
    newcomer = programme_actions.add_participant(
        session.programme, facilitator, display_name="Nia New", organisation="A", sector="B"
    )
    issued = programme_actions.issue_personal_invite(newcomer, facilitator)
    new_participant_client = client_of(
        programme_actions.redeem_personal_invite(issued.invite), as_participant
    )
    before = state()
    data = {"action": "purpose.measure", "text": "Count"}
    assert outsider_client.post(act_url(session), data).status_code == 404
    part = reverse("live:activity_part", args=[session.programme_id, session.pk])
    assert outsider_client.get(part).status_code == 404
    response = new_participant_client.post(act_url(session), data)
    assert response.status_code == 302 and "ground" in response.url
    assert state() == before


def test_plenary_panel_appears_once_there_is_something_to_show(
    session: Session,
    rooms: Rooms,
    facilitator: User,
    participant: Participant,
    segments: dict[str, Segment],
    participant_client: Client,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    live_actions.do_start_segment(session, facilitator, segments["plenary"])
    assert "Our common purpose" not in region(participant_client, session)
    draft = save(session, participant, rooms.mine, what="Move more", why="Health")
    actions.do_share_draft(session, participant, draft.pk, True)
    body = region(participant_client, session, check_response)
    assert "Our common purpose" in body and "Move more" in body
    console = region(facilitator_client, session, check_response)
    assert "Use room 1" in console or f"Use room {rooms.mine.number}" in console
    assert 'value="purpose.merge"' in console and 'value="purpose.pick"' in console
    assert 'value="purpose.pick"' not in body and 'value="purpose.merge"' not in body


def test_check_results_names_only_without_chatham_house(
    session: Session,
    rooms: Rooms,
    facilitator: User,
    participant: Participant,
    segments: dict[str, Segment],
    participant_client: Client,
    facilitator_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    live_actions.do_start_segment(session, facilitator, segments["plenary"])
    draft = save(session, participant, rooms.mine, what="Move more")
    actions.do_share_draft(session, participant, draft.pk, True)
    actions.do_pick_draft(session, draft.pk)
    actions.do_open_check(session)
    actions.do_answer(session, participant, "agree")
    actions.do_answer(session, rooms.mate, "object", "Say who it is for")
    actions.do_add_measure(session, rooms.mate, "Count the walkers")
    chatham(session, True)
    for client in (participant_client, facilitator_client):
        body = region(client, session, check_response)
        assert "Agree: <strong>1</strong>" in body and "Object: <strong>1</strong>" in body
        assert "Say who it is for" in body and "Count the walkers" in body
        assert rooms.mate.display_name not in body and participant.display_name not in body
    mine = region(participant_client, session)
    assert 'id="purpose-answer-agree" name="choice" value="agree" checked' in mine
    assert 'id="purpose-answer-agree"' not in region(facilitator_client, session)
    chatham(session, False)
    body = region(participant_client, session)
    assert f"({participant.display_name})" in body
    assert f'Say who it is for <span class="purpose-by">({rooms.mate.display_name})' in body
    assert f'Count the walkers <span class="purpose-by">({rooms.mate.display_name})' in body


def test_hidden_measures_leave_the_participants_list(
    session: Session,
    rooms: Rooms,
    facilitator: User,
    participant: Participant,
    segments: dict[str, Segment],
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    live_actions.do_start_segment(session, facilitator, segments["plenary"])
    draft = save(session, participant, rooms.mine, what="Move more")
    actions.do_share_draft(session, participant, draft.pk, True)
    measure = actions.do_add_measure(session, participant, "Off topic")
    response = facilitator_client.post(
        act_url(session),
        {"action": "purpose.hide_measure", "measure": str(measure.pk), "hidden": "1"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"message": "Hidden from the list."}
    assert "Off topic" not in region(participant_client, session)
    console = region(facilitator_client, session)
    assert "[Hidden from participants]" in console and "Off topic" in console


def _agree(session: Session, rooms: Rooms, participant: Participant) -> None:
    draft = save(session, participant, rooms.mine, what="Move more", why="Health", benefits="Joy")
    actions.do_share_draft(session, participant, draft.pk, True)
    actions.do_pick_draft(session, draft.pk)
    actions.do_open_check(session)
    actions.do_answer(session, participant, "agree")
    actions.do_answer(session, rooms.mate, "object", "Too narrow")
    actions.do_add_measure(session, rooms.mate, "Count the walkers")
    actions.do_close_check(session, agreed=True)


def test_the_agreed_statement_opens_the_next_session(
    session: Session,
    rooms: Rooms,
    facilitator: User,
    participant: Participant,
    participant_client: Client,
    check_response: Callable[[Any], None],
) -> None:
    nxt = Session.objects.create(
        programme=session.programme,
        title="Dancefloor and balcony",
        starts_at=session.starts_at + timedelta(days=30),
        duration_minutes=180,
    )
    welcome = Segment.objects.create(
        session=nxt, position=0, title="Welcome", kind="welcome", duration_minutes=10
    )
    live_actions.do_start_segment(nxt, facilitator, welcome)
    assert "Our common purpose so far" not in region(participant_client, nxt)
    _agree(session, rooms, participant)
    body = region(participant_client, nxt, check_response)
    assert "Our common purpose so far" in body and "Move more" in body
    assert "Count the walkers" in body and "Building common purpose" in body
    purpose = CohortPurpose.objects.get(session=session)
    assert purpose.agreed_at is not None
    assert f"{purpose.agreed_at:%-d %B %Y}" in body
    # Reopened: no longer agreed, so no longer carried forward.
    actions.do_reopen_check(session)
    assert "Our common purpose so far" not in region(participant_client, nxt)


def test_the_record_section_is_unattributed_under_chatham_house(
    session: Session, rooms: Rooms, participant: Participant, facilitator_client: Client
) -> None:
    _agree(session, rooms, participant)
    url = reverse("live:export", args=[session.programme_id, session.pk])
    chatham(session, True)
    data = json.loads(facilitator_client.get(url).content)["sections"]["purpose"]
    assert data["shared_drafts"] == [
        {
            "group": rooms.mine.number,
            "what": "Move more",
            "why": "Health",
            "benefits": "Joy",
            "versions": 1,
        }
    ]
    cohort = data["cohort_draft"]
    assert cohort["counts"] == {"agree": 1, "live_with": 0, "object": 1}
    assert cohort["check"] == "closed" and cohort["agreed_at"]
    assert cohort["objections"] == [{"reason": "Too narrow"}] and "answers" not in cohort
    assert data["measures"] == [{"text": "Count the walkers"}]
    markdown = facilitator_client.get(url + "?format=md").content.decode()
    assert "## Common purpose" in markdown and "1 agree, 0 can live with it, 1 object" in markdown
    for text in (json.dumps(data), markdown):
        assert participant.display_name not in text and rooms.mate.display_name not in text
    chatham(session, False)
    named = json.loads(facilitator_client.get(url).content)["sections"]["purpose"]
    assert named["measures"] == [{"name": rooms.mate.display_name, "text": "Count the walkers"}]
    assert {"name": participant.display_name, "answer": "agree"} in named["cohort_draft"]["answers"]
    markdown = facilitator_client.get(url + "?format=md").content.decode()
    assert f"- Too narrow ({rooms.mate.display_name})" in markdown


def test_the_programme_page_tag_shows_the_latest_agreed_statement(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    """The hook for the programme's participant home page (`{% purpose_so_far programme %}`)."""
    page = Template("{% load purpose %}{% purpose_so_far programme %}")
    context = Context({"programme": session.programme})
    assert "Our common purpose" not in page.render(context)
    _agree(session, rooms, participant)
    shown = page.render(context)
    assert '<h2 id="purpose-so-far-heading">Our common purpose so far</h2>' in shown
    assert "Move more" in shown and "<h3>How we said we would measure progress</h3>" in shown


def test_a_merge_records_the_drafts_it_started_from(
    session: Session,
    rooms: Rooms,
    participant: Participant,
    facilitator_client: Client,
    as_participant: Any,
) -> None:
    ours = save(session, participant, rooms.mine, what="Walk more")
    theirs = save(session, rooms.others[0], rooms.other, what="Talk more")
    for draft, who in ((ours, participant), (theirs, rooms.others[0])):
        actions.do_share_draft(session, who, draft.pk, True)
    before = state()
    for sources, message in [
        ("not-an-id", "draft ids separated by spaces"),
        (str(rooms.mine.pk), "no such group draft"),
    ]:
        refused = facilitator_client.post(
            act_url(session),
            {"action": "purpose.merge", "what": "Walk and talk", "sources": sources},
            HTTP_ACCEPT="application/json",
        )
        assert refused.status_code == 400 and message in refused.json()["error"]
        assert state() == before
    done = facilitator_client.post(
        act_url(session),
        {"action": "purpose.merge", "what": "Walk and talk", "sources": f"{ours.pk} {theirs.pk}"},
        HTTP_ACCEPT="application/json",
    )
    assert done.json() == {"message": "The cohort's draft is saved."}
    purpose = CohortPurpose.objects.get(session=session)
    assert purpose.what == "Walk and talk"
    assert set(purpose.sources.all()) == {ours, theirs}


def test_the_participant_home_page_shows_the_agreed_statement(
    session: Session, rooms: Rooms, participant: Participant, participant_client: Client
) -> None:
    home = reverse("programmes:participant_home", args=[session.programme_id])
    assert "Our common purpose so far" not in participant_client.get(home).content.decode()
    _agree(session, rooms, participant)
    page = participant_client.get(home).content.decode()
    assert "Our common purpose so far" in page and "Move more" in page
