"""The plenary stream: posts, reactions, pin and hide, the prompt; its panels, its events and
its part of the session's record, with the Chatham House rule on and off.

Set-up goes through the real actions (`perform`, as the socket and the form do, or `do_*`);
every refusal is checked to change nothing, events included.
"""

import json
import re
from typing import Any

import pytest
from activity_helpers import membership_of as as_member
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.activities.dispatch import perform
from convenor.activities.registry import ActivityError
from convenor.boards import plenary
from convenor.boards.models import PlenaryPost, PlenaryPrompt, PlenaryReaction
from convenor.live import actions as live_actions
from convenor.live.events import current_seq, events_after
from convenor.live.models import LiveEvent
from convenor.live.state import apply_event, snapshot
from convenor.programmes import actions as programme_actions
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session

PROMPT = "What are you noticing so far?"


@pytest.fixture
def stream(session: Session, facilitator: User) -> Segment:
    """A plenary segment, started (its stream is open)."""
    made = Segment.objects.create(
        session=session,
        position=0,
        title="Plenary",
        kind="plenary",
        duration_minutes=15,
        prompts=PROMPT,
    )
    live_actions.do_start_segment(session, facilitator, made)
    return made


@pytest.fixture
def other(programme: Programme, facilitator: User) -> Participant:
    """A second participant, who writes the posts the first one reads."""
    person = programme_actions.add_participant(
        programme,
        facilitator,
        display_name="Omar Okafor",
        organisation="Food Bank",
        sector="Voluntary",
    )
    return programme_actions.agree_ground_rules(person)


def state(session: Session) -> tuple[Any, ...]:
    """Everything the stream's actions could change, to show a refusal changed nothing."""
    return (
        list(
            PlenaryPost.objects.filter(session=session)
            .order_by("pk")
            .values_list("pk", "text", "pinned", "hidden")
        ),
        sorted(
            PlenaryReaction.objects.filter(post__session=session).values_list(
                "post_id", "participant_id", "kind"
            )
        ),
        list(PlenaryPrompt.objects.values_list("segment_id", "text")),
        current_seq(session),
    )


def refused(session: Session, who: Membership, name: str, data: dict[str, Any], says: str) -> None:
    before = state(session)
    with pytest.raises(ActivityError, match=says):
        perform(session, who, name, data)
    assert state(session) == before


def post(session: Session, who: Participant, segment: Segment, text: str) -> PlenaryPost:
    perform(
        session,
        as_member(session.programme, who),
        "plenary.post",
        {"segment": str(segment.pk), "text": text},
    )
    return PlenaryPost.objects.filter(author=who).latest("created_at")


def region(client: Client, session: Session) -> str:
    url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- Posting --------------------------------------------------------------------------------


def test_posts_are_kept_per_segment_newest_last_pinned_first(
    session: Session, stream: Segment, participant: Participant, other: Participant
) -> None:
    first = post(session, participant, stream, "  Denial is the first thing we see.  ")
    second = post(session, other, stream, "Systems shape-shift.")
    assert first.text == "Denial is the first thing we see."
    views = plenary.posts_for(stream, as_member(session.programme, participant))
    assert [view.post for view in views] == [first, second]
    plenary.do_plenary_pin(second, True)
    views = plenary.posts_for(stream, as_member(session.programme, participant))
    assert [view.post for view in views] == [second, first]
    # Another plenary segment has its own stream.
    later = Segment.objects.create(
        session=session, position=1, title="Later", kind="talk", duration_minutes=5
    )
    live_actions.do_start_segment(session, None, later)
    post(session, participant, later, "A question for the talk.")
    assert [v.post.text for v in plenary.posts_for(later, None)] == ["A question for the talk."]
    assert len(plenary.posts_for(stream, None)) == 2


def test_a_post_emits_ids_and_counts_only(
    session: Session, stream: Segment, participant: Participant
) -> None:
    made = post(session, participant, stream, "Speaking up here.")
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert event.kind == "plenary.posted"
    assert event.payload == {"segment": str(stream.pk), "post": str(made.pk), "posts": 1}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "A post is empty"),
        ("   \n ", "A post is empty"),
        ("x" * 501, "at most 500 characters \\(this one has 501\\)"),
        ("nul\x00byte", "NUL"),
    ],
)
def test_bad_posts_are_refused_and_change_nothing(
    session: Session, stream: Segment, participant: Participant, text: str, says: str
) -> None:
    data = {"segment": str(stream.pk), "text": text}
    refused(session, as_member(session.programme, participant), "plenary.post", data, says)


def test_posts_go_only_to_a_started_plenary_segment_of_this_session(
    session: Session,
    stream: Segment,
    segment: Segment,
    participant: Participant,
    programme: Programme,
) -> None:
    me = as_member(programme, participant)
    elsewhere = Session.objects.create(
        programme=programme, title="Another", starts_at=session.starts_at, duration_minutes=60
    )
    theirs = Segment.objects.create(
        session=elsewhere, position=0, title="Theirs", kind="plenary", duration_minutes=5
    )
    not_yet = Segment.objects.create(
        session=session, position=5, title="Not yet", kind="plenary", duration_minutes=5
    )
    for segment_id, says in [
        ("00000000-0000-0000-0000-000000000000", "no such segment"),
        ("not-an-id", "not a valid id"),
        (str(theirs.pk), "no such segment"),
        (str(segment.pk), "is not a plenary or talk segment"),
        (str(not_yet.pk), "has not started yet"),
    ]:
        refused(session, me, "plenary.post", {"segment": segment_id, "text": "Hi"}, says)


def test_an_archived_programme_takes_no_posts_or_moderation(
    session: Session, stream: Segment, participant: Participant, other: Participant
) -> None:
    made = post(session, other, stream, "Before the archive")
    programme = session.programme
    programme.archived_at = programme.created_at
    programme.save()
    before = state(session)
    with pytest.raises(ValidationError, match="archived"):
        plenary.do_plenary_post(stream, participant, "After the archive")
    with pytest.raises(ValidationError, match="archived"):
        plenary.do_plenary_hide(made, True)
    refused(session, as_member(programme), "plenary.pin", {"post": str(made.pk)}, "archived")
    assert state(session) == before


def test_stream_events_keep_the_live_state_consistent(
    session: Session, stream: Segment, participant: Participant, other: Participant
) -> None:
    before = snapshot(session)
    made = post(session, other, stream, "A thought")
    plenary.do_plenary_react(made, participant, "more", True)
    plenary.do_plenary_pin(made, True)
    plenary.do_plenary_hide(made, True)
    plenary.do_plenary_prompt(stream, "New prompt")
    written = events_after(session, before["seq"])
    assert written is not None
    assert [e["kind"] for e in written] == [
        "plenary.posted",
        "plenary.reacted",
        "plenary.pinned",
        "plenary.hidden",
        "plenary.prompted",
    ]
    state = before
    for event in written:
        state = apply_event(state, event)
    assert state == snapshot(session)


def test_facilitators_do_not_post(session: Session, stream: Segment) -> None:
    data = {"segment": str(stream.pk), "text": "From the host"}
    refused(session, as_member(session.programme), "plenary.post", data, "Only participants")


# --- Reactions ------------------------------------------------------------------------------


def test_reactions_toggle_once_per_person_with_counts(
    session: Session, stream: Segment, participant: Participant, other: Participant
) -> None:
    made = post(session, other, stream, "We keep treating complex things as complicated.")
    me, them = as_member(session.programme, participant), as_member(session.programme, other)
    react = {"post": str(made.pk), "reaction": "agree", "on": 1}
    assert perform(session, me, "plenary.react", react) == "Reacted “Agree”."
    perform(session, them, "plenary.react", react)
    seq = current_seq(session)
    perform(session, me, "plenary.react", react)  # again: nothing changes, no event
    assert current_seq(session) == seq
    counts = {(r.kind, r.count, r.pressed) for r in plenary.posts_for(stream, me)[0].reactions}
    assert ("agree", 2, True) in counts and ("thanks", 0, False) in counts
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert event.kind == "plenary.reacted"
    assert event.payload == {"post": str(made.pk), "reaction": "agree", "count": 2}
    assert perform(session, me, "plenary.react", {**react, "on": 0}) == "Took back “Agree”."
    assert PlenaryReaction.objects.filter(post=made).count() == 1


def test_bad_reactions_are_refused(
    session: Session, stream: Segment, participant: Participant, other: Participant
) -> None:
    made = post(session, other, stream, "A post")
    me = as_member(session.programme, participant)
    for data, says in [
        ({"post": str(made.pk), "reaction": "love", "on": 1}, "Unknown reaction"),
        ({"post": str(made.pk), "reaction": "agree", "on": 2}, "must be 1 \\(on\\) or 0"),
        ({"post": str(made.pk), "reaction": "agree", "on": "1"}, "whole number"),
        ({"post": "00000000-0000-0000-0000-000000000000", "reaction": "agree", "on": 1}, "no such"),
    ]:
        refused(session, me, "plenary.react", data, says)
    plenary.do_plenary_hide(made, True)
    data = {"post": str(made.pk), "reaction": "agree", "on": 1}
    refused(session, me, "plenary.react", data, "hidden this post")
    refused(session, as_member(session.programme), "plenary.react", data, "Only participants")


# --- Pin, hide and the prompt ----------------------------------------------------------------


def test_only_facilitators_pin_and_hide(
    session: Session, stream: Segment, participant: Participant, other: Participant
) -> None:
    made = post(session, other, stream, "Pin me?")
    for verb in ("pin", "unpin", "hide", "unhide"):
        refused(
            session,
            as_member(session.programme, participant),
            f"plenary.{verb}",
            {"post": str(made.pk)},
            "Only the programme's facilitators",
        )
    host = as_member(session.programme)
    assert perform(session, host, "plenary.pin", {"post": str(made.pk)}).startswith("Pinned")
    assert perform(session, host, "plenary.hide", {"post": str(made.pk)}).startswith("Hid")
    made.refresh_from_db()
    assert made.pinned and made.hidden
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert (event.kind, event.payload) == ("plenary.hidden", {"post": str(made.pk), "hidden": True})
    perform(session, host, "plenary.unhide", {"post": str(made.pk)})
    perform(session, host, "plenary.unpin", {"post": str(made.pk)})
    made.refresh_from_db()
    assert not made.pinned and not made.hidden


def test_moderating_a_post_of_another_session_is_no_such_post(
    session: Session, stream: Segment, participant: Participant, programme: Programme
) -> None:
    elsewhere = Session.objects.create(
        programme=programme, title="Another", starts_at=session.starts_at, duration_minutes=60
    )
    theirs = Segment.objects.create(
        session=elsewhere, position=0, title="Theirs", kind="plenary", duration_minutes=5
    )
    live_actions.do_start_segment(elsewhere, None, theirs)
    foreign = plenary.do_plenary_post(theirs, participant, "Said elsewhere")
    refused(session, as_member(programme), "plenary.hide", {"post": str(foreign.pk)}, "no such")
    data = {"post": str(foreign.pk), "reaction": "agree", "on": 1}
    refused(session, as_member(programme, participant), "plenary.react", data, "no such post")


def test_hidden_posts_vanish_for_participants_and_stay_marked_for_facilitators(
    session: Session,
    stream: Segment,
    other: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    kept = post(session, other, stream, "Visible thought")
    gone = post(session, other, stream, "Something better unsaid")
    plenary.do_plenary_hide(gone, True)
    seen = region(participant_client, session)
    assert "Visible thought" in seen and "Something better unsaid" not in seen
    assert "1 post" in seen
    console = region(facilitator_client, session)
    assert "Something better unsaid" in console and "Hidden from participants" in console
    assert "Show again" in console and "Pin to the top" in console
    assert kept.pk  # the visible one is untouched
    live = reverse("live:session", args=[session.programme_id, session.pk])
    assert "Something better unsaid" not in participant_client.get(live).content.decode()


def test_the_prompt_defaults_to_the_run_sheet_and_the_facilitator_can_change_it(
    session: Session, stream: Segment, participant: Participant, participant_client: Client
) -> None:
    assert PROMPT in region(participant_client, session)
    host = as_member(session.programme)
    question = "What are we facing that's complex?"
    perform(session, host, "plenary.prompt", {"segment": str(stream.pk), "text": question})
    page = region(participant_client, session)
    assert "What are we facing that&#x27;s complex?" in page and PROMPT not in page
    refused(
        session,
        host,
        "plenary.prompt",
        {"segment": str(stream.pk), "text": "x" * 501},
        "at most 500 characters",
    )
    refused(
        session,
        as_member(session.programme, participant),
        "plenary.prompt",
        {"segment": str(stream.pk), "text": "Mine"},
        "Only the programme's facilitators",
    )
    perform(session, host, "plenary.prompt", {"segment": str(stream.pk)})
    assert plenary.prompt_for(stream) == PROMPT
    assert not PlenaryPrompt.objects.exists()


# --- Pages ----------------------------------------------------------------------------------


def test_the_panel_renders_user_text_inert_and_reactions_as_pressed_buttons(
    session: Session,
    stream: Segment,
    participant: Participant,
    other: Participant,
    participant_client: Client,
    check_response: Any,
) -> None:
    made = post(session, other, stream, '<script>alert("x")</script> <b>bold</b>')
    plenary.do_plenary_react(made, participant, "same", True)
    url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    response = participant_client.get(url)
    check_response(response)
    body = response.content.decode()
    assert "<script>alert" not in body and "<b>bold" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert 'aria-pressed="true"' in body and 'aria-pressed="false"' in body
    assert 'name="on" value="0"' in body  # the pressed one turns off
    assert 'id="plenary-text-' in body and 'maxlength="500"' in body


def test_the_form_path_posts_and_reports_errors(
    session: Session, stream: Segment, participant: Participant, participant_client: Client
) -> None:
    url = reverse("live:act", args=[session.programme_id, session.pk])
    done = participant_client.post(
        url, {"action": "plenary.post", "segment": str(stream.pk), "text": "Without JS"}
    )
    assert done.status_code == 302
    assert PlenaryPost.objects.get().text == "Without JS"
    before = state(session)
    bad = participant_client.post(
        url,
        {"action": "plenary.post", "segment": str(stream.pk), "text": "y" * 600},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 400 and "at most 500 characters" in bad.json()["error"]
    reacted = participant_client.post(
        url,
        {
            "action": "plenary.react",
            "post": str(PlenaryPost.objects.get().pk),
            "reaction": "thanks",
            "on": "1",
        },
    )
    assert reacted.status_code == 302
    assert state(session) != before
    assert PlenaryReaction.objects.get().kind == "thanks"


def test_outsiders_and_unagreed_participants_get_nothing(
    session: Session,
    stream: Segment,
    outsider_client: Client,
    new_participant_client: Client,
    anonymous_client: Client,
) -> None:
    region_url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    act = reverse("live:act", args=[session.programme_id, session.pk])
    data = {"action": "plenary.post", "segment": str(stream.pk), "text": "Let me in"}
    before = state(session)
    for client in (outsider_client, anonymous_client):
        assert client.get(region_url).status_code == 404
        assert client.post(act, data).status_code == 404
    response = new_participant_client.post(act, data)
    assert response.status_code == 302 and "ground-rules" in response.url
    assert "ground-rules" in new_participant_client.get(region_url).url
    assert state(session) == before


# --- Chatham House --------------------------------------------------------------------------


def test_chatham_house_leaves_names_out_of_pages_events_and_record(
    session: Session,
    stream: Segment,
    participant: Participant,
    other: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    assert session.programme.chatham_house
    theirs = post(session, other, stream, "An unattributed thought")
    mine = post(session, participant, stream, "My own thought")
    plenary.do_plenary_react(theirs, participant, "agree", True)
    plenary.do_plenary_pin(mine, True)
    hidden = post(session, other, stream, "Hidden words")
    plenary.do_plenary_hide(hidden, True)

    seen = region(participant_client, session)
    assert "Omar Okafor" not in seen and "An unattributed thought" in seen
    assert "You" in seen  # the author finds their own post
    console_url = reverse("live:console", args=[session.programme_id, session.pk])
    console = facilitator_client.get(console_url).content.decode()
    assert "An unattributed thought" in console
    assert "Omar Okafor" not in console and "Priya Participant" not in console

    for event in LiveEvent.objects.filter(session=session):
        payload = json.dumps(event.payload)
        for secret in ("Omar", "Priya", "thought", "Hidden words"):
            assert secret not in payload, (event.kind, payload)

    export = reverse("live:export", args=[session.programme_id, session.pk])
    record = json.loads(facilitator_client.get(export).content)["sections"]["plenary"]
    assert record == [
        {
            "segment": "Plenary",
            "prompt": PROMPT,
            "posts": [
                {
                    "text": "My own thought",
                    "pinned": True,
                    "reactions": {"agree": 0, "same": 0, "more": 0, "thanks": 0},
                },
                {
                    "text": "An unattributed thought",
                    "pinned": False,
                    "reactions": {"agree": 1, "same": 0, "more": 0, "thanks": 0},
                },
            ],
        }
    ]
    markdown = facilitator_client.get(export + "?format=md").content.decode()
    assert (
        "- Pinned: My own thought" in markdown and "An unattributed thought [Agree 1]" in markdown
    )
    assert "Hidden words" not in markdown and "Omar" not in markdown and "Priya" not in markdown


def test_with_the_rule_off_names_are_shown_and_exported(
    session: Session,
    stream: Segment,
    participant: Participant,
    other: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    programme = session.programme
    programme.chatham_house = False
    programme.save()
    post(session, other, stream, "Attributed thought")
    assert "Omar Okafor" in region(participant_client, session)
    assert "Omar Okafor" in region(facilitator_client, session)
    export = reverse("live:export", args=[session.programme_id, session.pk])
    record = json.loads(facilitator_client.get(export).content)["sections"]["plenary"]
    assert record[0]["posts"][0]["author"] == "Omar Okafor"
    markdown = facilitator_client.get(export + "?format=md").content.decode()
    assert "Attributed thought (Omar Okafor)" in markdown


def test_markdown_record_keeps_markup_inert(
    session: Session, stream: Segment, participant: Participant, facilitator_client: Client
) -> None:
    post(session, participant, stream, "<img src=x onerror=alert(1)>\nsecond line")
    export = reverse("live:export", args=[session.programme_id, session.pk])
    markdown = facilitator_client.get(export + "?format=md").content.decode()
    assert "- \\<img src=x onerror=alert(1)\\> second line" in markdown
    assert not re.search(r"(?<!\\)<", markdown), "every < is escaped"
