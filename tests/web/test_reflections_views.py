"""Reflections, commitments and feedback as people see them: the live region's panels, the form
path, the feedback results page and a participant's own page, for each persona."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.activities.dispatch import perform
from convenor.live import actions as live_actions
from convenor.live.models import LiveEvent
from convenor.programmes import actions as programme_actions
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.reflections.models import Feedback, FollowUp, Reflection
from convenor.workshops.models import Segment, Session

pytestmark = pytest.mark.django_db

Check = Callable[[Any], None]


def add_segments(session: Session, *kinds: str) -> dict[str, Segment]:
    return {
        kind: Segment.objects.create(
            session=session, position=i, title=f"The {kind}", kind=kind, duration_minutes=5
        )
        for i, kind in enumerate(kinds)
    }


@pytest.fixture
def parts(session: Session) -> dict[str, Segment]:
    return add_segments(session, "welcome", "reflection", "close")


@pytest.fixture
def other(programme: Programme, facilitator: User) -> Participant:
    person = programme_actions.add_participant(
        programme, facilitator, display_name="Omar Other", organisation="NHS", sector="Health"
    )
    return programme_actions.agree_ground_rules(person)


@pytest.fixture
def other_client(
    other: Participant, as_participant: Callable[[Client, Participant], Client]
) -> Client:
    return as_participant(Client(), other)


def member(participant: Participant) -> Membership:
    return Membership(participant.programme, "participant", participant=participant)


def save(session: Session, who: Participant, segment: Segment, text: str, shared: bool) -> None:
    data: dict[str, Any] = {"segment": str(segment.pk), "text": text}
    if shared:
        data["shared"] = 1
    perform(session, member(who), "reflection.save", data)


def region(client: Client, session: Session) -> str:
    response = client.get(reverse("live:activity_part", args=[session.programme_id, session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def state() -> tuple[Any, ...]:
    return (
        sorted(Reflection.objects.values_list("id", "text", "shared", "hidden_at")),
        sorted(FollowUp.objects.values_list("id", "status", "note", "shared")),
        sorted(Feedback.objects.values_list("id", "rating", "worked", "change")),
        LiveEvent.objects.count(),
    )


def test_private_answers_show_only_on_their_authors_page(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    participant_client: Client,
    other_client: Client,
    facilitator_client: Client,
    check_response: Check,
) -> None:
    live_actions.do_start_segment(session, facilitator, parts["reflection"])
    save(session, participant, parts["reflection"], "Quietly, in my own team", shared=False)
    mine = region(participant_client, session)
    assert "Quietly, in my own team" in mine
    assert "Where I might try this out" in mine and 'name="shared"' in mine
    assert "only you can see it" in mine
    for page in (region(other_client, session), region(facilitator_client, session)):
        assert "Quietly" not in page
    console = region(facilitator_client, session)
    assert "1 written, 0 shared" in console
    for client in (participant_client, other_client, facilitator_client):
        page = client.get(reverse("live:session", args=[session.programme_id, session.pk]))
        check_response(page)
        assert ("Quietly" in page.content.decode()) is (client is participant_client)


@pytest.mark.parametrize("chatham", [True, False])
def test_shared_answers_follow_the_chatham_house_switch(
    chatham: bool,
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    participant_client: Client,
    other_client: Client,
    facilitator_client: Client,
) -> None:
    programme = session.programme
    programme.chatham_house = chatham
    programme.save()
    live_actions.do_start_segment(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "Book a walk with the parks team", shared=True)
    for client in (other_client, facilitator_client):
        page = region(client, session)
        assert "Book a walk with the parks team" in page
        assert ("Priya Participant" in page) is (not chatham)
    assert "(You)" in region(participant_client, session)
    assert "1 written, 1 shared" in region(facilitator_client, session)


def test_forms_post_without_javascript_and_refuse_bad_input(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant_client: Client,
    csrf_client: Any,
) -> None:
    live_actions.do_start_segment(session, facilitator, parts["close"])
    url = reverse("live:act", args=[session.programme_id, session.pk])
    browser = csrf_client(participant_client)
    close = str(parts["close"].pk)
    done = browser.post(
        url, {"action": "reflection.save", "segment": close, "text": "Ring Sam", "shared": "1"}
    )
    assert done.status_code == 302 and done.url.endswith("/live/")
    assert Reflection.objects.get().shared is True
    browser.post(url, {"action": "feedback.save", "segment": close, "rating": "4"})
    assert Feedback.objects.get().rating == 4
    before = state()
    for data, message in [
        ({"action": "feedback.save", "segment": close, "rating": "five"}, "whole number"),
        ({"action": "feedback.save", "segment": close, "rating": "0"}, "from 1"),
        ({"action": "feedback.save", "segment": close, "rating": "6"}, "from 1"),
        ({"action": "reflection.save", "segment": close, "text": ""}, "required"),
        ({"action": "reflection.save", "segment": close, "text": "x" * 601}, "shorten it"),
        ({"action": "reflection.save", "segment": "x", "text": "x"}, "not a valid id"),
    ]:
        refused = browser.post(url, data, HTTP_ACCEPT="application/json")
        assert refused.status_code == 400 and message in refused.json()["error"]
        assert state() == before
    # Without JavaScript the refusal comes back as a message on the live page.
    back = browser.post(url, {"action": "feedback.save", "segment": close, "rating": "9"})
    page = participant_client.get(back.url).content.decode()
    assert "Choose a rating from 1 (poor) to 5 (excellent)." in page
    assert state() == before


def test_roles_on_the_form_path(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    facilitator_client: Client,
    outsider_client: Client,
    new_participant_client: Client,
) -> None:
    live_actions.do_start_segment(session, facilitator, parts["close"])
    url = reverse("live:act", args=[session.programme_id, session.pk])
    data = {"action": "reflection.save", "segment": str(parts["close"].pk), "text": "x"}
    before = state()
    refused = facilitator_client.post(url, data, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400 and "Only participants" in refused.json()["error"]
    assert outsider_client.post(url, data).status_code == 404
    unagreed = new_participant_client.post(url, data)
    assert unagreed.status_code == 302 and "ground" in unagreed.url
    assert state() == before


def test_markup_in_answers_is_inert(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    other_client: Client,
    facilitator_client: Client,
    check_response: Check,
) -> None:
    live_actions.do_start_segment(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "<script>alert(1)</script>", shared=True)
    perform(
        session,
        member(participant),
        "feedback.save",
        {"segment": str(parts["close"].pk), "rating": 3, "worked": "<img src=x onerror=y>"},
    )
    for client in (other_client, facilitator_client):
        body = region(client, session)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    results = facilitator_client.get(
        reverse("reflections:feedback_results", args=[session.programme_id, session.pk])
    )
    check_response(results)
    assert "&lt;img src=x onerror=y&gt;" in results.content.decode()


def test_feedback_results_never_name_anyone(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    other: Participant,
    facilitator_client: Client,
    participant_client: Client,
    outsider_client: Client,
    check_response: Check,
) -> None:
    programme = session.programme
    programme.chatham_house = False  # names allowed elsewhere; feedback is anonymous anyway
    programme.save()
    live_actions.do_start_segment(session, facilitator, parts["close"])
    close = str(parts["close"].pk)
    perform(
        session,
        member(participant),
        "feedback.save",
        {"segment": close, "rating": 5, "worked": "The coffee trial", "change": "More breaks"},
    )
    perform(session, member(other), "feedback.save", {"segment": close, "rating": 2})
    url = reverse("reflections:feedback_results", args=[session.programme_id, session.pk])
    page = facilitator_client.get(url)
    check_response(page)
    body = page.content.decode()
    assert "2 people have answered; the mean rating is 3.5 out of 5" in body
    assert "The coffee trial" in body and "More breaks" in body
    assert "Priya" not in body and "Omar" not in body
    console = region(facilitator_client, session)
    assert "3.5 out of 5" in console and "Priya" not in console and "Omar" not in console
    assert participant_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    assert facilitator_client.post(url).status_code == 405
    # The participant's own form shows their own answer, to change it.
    form = region(participant_client, session)
    assert 'value="5" data-int required checked' in form and "More breaks" in form
    assert "Anonymous" in form


def test_the_next_session_shows_last_commitment_and_counts_for_the_facilitator(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    other: Participant,
    participant_client: Client,
    other_client: Client,
    facilitator_client: Client,
    check_response: Check,
) -> None:
    live_actions.do_start_segment(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "Visit the new leisure centre", shared=False)
    later = Session.objects.create(
        programme=session.programme,
        title="Next month",
        starts_at=session.starts_at + timedelta(days=28),
        duration_minutes=60,
    )
    welcome = add_segments(later, "welcome")["welcome"]
    live_actions.do_start_segment(later, facilitator, welcome)
    mine = region(participant_client, later)
    assert "Visit the new leisure centre" in mine and "How did it go?" in mine
    assert "Visit the new" not in region(other_client, later)
    assert "comes back here at the start of the next one" in region(other_client, later)
    commitment = Reflection.objects.get()
    perform(
        later,
        member(participant),
        "reflection.follow_up",
        {
            "segment": str(welcome.pk),
            "commitment": str(commitment.pk),
            "status": "partly",
            "note": "Went once, going again",
        },
    )
    console = region(facilitator_client, later)
    assert "1 of 1 person" in console and "0 done, 1 partly, 0 not yet" in console
    assert "Went once" not in console and "Visit the new" not in console
    perform(
        later,
        member(participant),
        "reflection.follow_up",
        {
            "segment": str(welcome.pk),
            "commitment": str(commitment.pk),
            "status": "partly",
            "note": "Went once, going again",
            "shared": 1,
        },
    )
    assert "Partly: Went once, going again" in region(facilitator_client, later)
    assert "Partly: Went once, going again" in region(other_client, later)
    assert "Priya" not in region(other_client, later)
    page = participant_client.get(reverse("live:session", args=[later.programme_id, later.pk]))
    check_response(page)


def test_my_reflections_page(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    participant_client: Client,
    other_client: Client,
    facilitator_client: Client,
    outsider_client: Client,
    check_response: Check,
) -> None:
    live_actions.do_start_segment(session, facilitator, parts["reflection"])
    save(session, participant, parts["reflection"], "In the school sport partnership", False)
    live_actions.do_start_segment(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "Email the head teacher", shared=True)
    url = reverse("reflections:mine", args=[session.programme_id])
    page = participant_client.get(url)
    check_response(page)
    body = page.content.decode()
    assert "In the school sport partnership" in body and "Email the head teacher" in body
    assert "Private" in body and "Shared" in body
    assert "In the school" not in other_client.get(url).content.decode()
    assert "Nothing yet" in other_client.get(url).content.decode()
    assert "In the school" not in facilitator_client.get(url).content.decode()
    assert outsider_client.get(url).status_code == 404
    assert participant_client.post(url).status_code == 405


def test_my_reflections_page_waits_for_the_ground_rules(
    session: Session, new_participant_client: Client
) -> None:
    unagreed = new_participant_client.get(reverse("reflections:mine", args=[session.programme_id]))
    assert unagreed.status_code == 302 and "ground" in unagreed.url
