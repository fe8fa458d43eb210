"""The Cynefin board: placing situations, suggesting and making moves, counts per domain,
hiding; its panels (four quadrants around the centre), events and record, with the Chatham
House rule on and off. Every refusal is checked to change nothing, events included."""

import json
from typing import Any

import pytest
from activity_helpers import membership_of as as_member
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.activities.dispatch import perform
from convenor.activities.registry import ActivityError
from convenor.boards import cynefin
from convenor.boards.models import CynefinItem, CynefinSuggestion
from convenor.live import actions as live_actions
from convenor.live.events import current_seq, events_after
from convenor.live.models import LiveEvent
from convenor.live.state import apply_event, snapshot
from convenor.programmes import actions as programme_actions
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session

NIL = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def board(session: Session, facilitator: User) -> Segment:
    """A Cynefin board segment, started."""
    made = Segment.objects.create(
        session=session,
        position=0,
        title="Where do our challenges sit?",
        kind="cynefin_board",
        duration_minutes=20,
        prompts="Place a challenge you face.",
    )
    live_actions.do_start_segment(session, facilitator, made)
    return made


@pytest.fixture
def other(programme: Programme, facilitator: User) -> Participant:
    person = programme_actions.add_participant(
        programme, facilitator, display_name="Omar Okafor", organisation="Food Bank"
    )
    return programme_actions.agree_ground_rules(person)


def state(session: Session) -> tuple[Any, ...]:
    return (
        list(
            CynefinItem.objects.filter(session=session)
            .order_by("pk")
            .values_list("pk", "text", "domain", "hidden")
        ),
        sorted(
            CynefinSuggestion.objects.filter(item__session=session).values_list(
                "item_id", "participant_id", "domain"
            )
        ),
        current_seq(session),
    )


def refused(session: Session, who: Membership, name: str, data: dict[str, Any], says: str) -> None:
    before = state(session)
    with pytest.raises(ActivityError, match=says):
        perform(session, who, name, data)
    assert state(session) == before


def place(
    session: Session, who: Participant, board: Segment, text: str, domain: str | None = None
) -> CynefinItem:
    data = {"segment": str(board.pk), "text": text}
    if domain is not None:
        data["domain"] = domain
    perform(session, as_member(session.programme, who), "cynefin.post", data)
    return CynefinItem.objects.filter(author=who).latest("created_at")


def region(client: Client, session: Session) -> str:
    response = client.get(reverse("live:activity_part", args=[session.programme_id, session.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- Placing --------------------------------------------------------------------------------


def test_items_go_in_a_domain_or_the_centre_and_the_board_counts_them(
    session: Session, board: Segment, participant: Participant, other: Participant
) -> None:
    unsure = place(session, participant, board, "Getting partners to share data")
    complex_ = place(session, other, board, "Childhood obesity in our town", "complex")
    place(session, other, board, "Booking the venue", "clear")
    assert unsure.domain == "unsure" and complex_.domain == "complex"
    assert cynefin.counts(session) == {
        "complex": 1,
        "complicated": 0,
        "unsure": 1,
        "chaotic": 0,
        "clear": 1,
    }
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert event.kind == "board.posted"
    assert event.payload["domain"] == "clear" and event.payload["counts"]["clear"] == 1
    assert set(event.payload) == {"item", "domain", "counts"}
    # One board per session: a second Cynefin segment adds to the same board.
    again = Segment.objects.create(
        session=session, position=3, title="Again", kind="cynefin_board", duration_minutes=5
    )
    live_actions.do_start_segment(session, None, again)
    place(session, participant, again, "A later one", "chaotic")
    assert sum(cynefin.counts(session).values()) == 4


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"text": ""}, "A situation is empty"),
        ({"text": "x" * 301}, "at most 300 characters \\(this one has 301\\)"),
        ({"text": "ok", "domain": "obvious"}, "Unknown domain"),
        ({"text": "ok", "domain": "x" * 21}, "too long"),
        ({"text": "ok", "segment": NIL}, "no such segment"),
        ({"text": "ok", "extra": 1}, "Unexpected field"),
    ],
)
def test_bad_items_are_refused(
    session: Session, board: Segment, participant: Participant, data: dict[str, Any], says: str
) -> None:
    message = {"segment": str(board.pk), **data}
    refused(session, as_member(session.programme, participant), "cynefin.post", message, says)


def test_items_go_only_on_a_started_board_of_this_session(
    session: Session,
    board: Segment,
    segment: Segment,
    participant: Participant,
    programme: Programme,
) -> None:
    me = as_member(programme, participant)
    elsewhere = Session.objects.create(
        programme=programme, title="Another", starts_at=session.starts_at, duration_minutes=60
    )
    theirs = Segment.objects.create(
        session=elsewhere, position=0, title="Theirs", kind="cynefin_board", duration_minutes=5
    )
    live_actions.do_start_segment(elsewhere, None, theirs)
    for segment_id, says in [
        (str(theirs.pk), "no such segment"),
        (str(segment.pk), "is not a Cynefin board segment"),
    ]:
        refused(session, me, "cynefin.post", {"segment": segment_id, "text": "Hi"}, says)
    data = {"segment": str(board.pk), "text": "From the host"}
    refused(session, as_member(programme), "cynefin.post", data, "Only participants")


# --- Suggestions and moves ------------------------------------------------------------------


def test_anyone_suggests_a_move_and_the_board_shows_the_counts(
    session: Session,
    board: Segment,
    participant: Participant,
    other: Participant,
    participant_client: Client,
) -> None:
    item = place(session, other, board, "Waiting lists", "complicated")
    me = as_member(session.programme, participant)
    said = perform(session, me, "cynefin.suggest", {"item": str(item.pk), "domain": "complex"})
    assert said == "Suggested moving it to complex."
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert (event.kind, event.payload) == (
        "board.suggested",
        {"item": str(item.pk), "domain": "complex", "count": 1},
    )
    # A second suggestion by the same person replaces the first.
    perform(session, me, "cynefin.suggest", {"item": str(item.pk), "domain": "chaotic"})
    assert list(CynefinSuggestion.objects.values_list("domain", flat=True)) == ["chaotic"]
    page = region(participant_client, session)
    assert "Suggested moves: 1 to Chaotic." in page
    assert "You suggested moving it to Chaotic." in page
    assert '<option value="chaotic" selected>' in page
    assert f'id="cynefin-suggest-{item.pk}"' in page


def test_suggestions_that_make_no_sense_are_refused(
    session: Session, board: Segment, participant: Participant, other: Participant
) -> None:
    mine = place(session, participant, board, "Mine", "complex")
    theirs = place(session, other, board, "Theirs", "complex")
    me = as_member(session.programme, participant)
    for data, says in [
        ({"item": str(mine.pk), "domain": "clear"}, "You posted this one"),
        ({"item": str(theirs.pk), "domain": "complex"}, "already in complex"),
        ({"item": str(theirs.pk), "domain": "simple"}, "Unknown domain"),
        ({"item": NIL, "domain": "clear"}, "no such item"),
    ]:
        refused(session, me, "cynefin.suggest", data, says)
    cynefin.do_cynefin_hide(theirs, True)
    refused(session, me, "cynefin.suggest", {"item": str(theirs.pk), "domain": "clear"}, "hidden")
    refused(
        session,
        as_member(session.programme),
        "cynefin.suggest",
        {"item": str(mine.pk), "domain": "clear"},
        "Only participants",
    )


def test_the_author_or_a_facilitator_moves_an_item_and_met_suggestions_go(
    session: Session, board: Segment, participant: Participant, other: Participant
) -> None:
    item = place(session, other, board, "A merger of two services", "clear")
    me, author = as_member(session.programme, participant), as_member(session.programme, other)
    cynefin.do_cynefin_suggest(item, participant, "complex")
    refused(
        session,
        me,
        "cynefin.move",
        {"item": str(item.pk), "domain": "complex"},
        "Only the person who posted it or a facilitator",
    )
    said = perform(session, author, "cynefin.move", {"item": str(item.pk), "domain": "complex"})
    assert said == "Moved to complex."
    item.refresh_from_db()
    assert item.domain == "complex" and item.moved_at is not None
    assert not CynefinSuggestion.objects.exists()
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert event.kind == "board.moved" and event.payload["counts"]["complex"] == 1
    refused(session, author, "cynefin.move", {"item": str(item.pk), "domain": "complex"}, "already")
    host = as_member(session.programme)
    perform(session, host, "cynefin.move", {"item": str(item.pk), "domain": "unsure"})
    item.refresh_from_db()
    assert item.domain == "unsure"


def test_board_events_keep_the_live_state_consistent(
    session: Session, board: Segment, participant: Participant, other: Participant
) -> None:
    before = snapshot(session)
    item = place(session, other, board, "A situation", "clear")
    cynefin.do_cynefin_suggest(item, participant, "complex")
    cynefin.do_cynefin_move(item, as_member(session.programme), "complex")
    cynefin.do_cynefin_hide(item, True)
    written = events_after(session, before["seq"])
    assert written is not None
    kinds = [e["kind"] for e in written]
    assert kinds == ["board.posted", "board.suggested", "board.moved", "board.hidden"]
    state = before
    for event in written:
        state = apply_event(state, event)
    assert state == snapshot(session)


def test_only_facilitators_hide_and_hidden_items_leave_the_counts(
    session: Session,
    board: Segment,
    participant: Participant,
    other: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    item = place(session, other, board, "Something to take down", "chaotic")
    refused(
        session,
        as_member(session.programme, participant),
        "cynefin.hide",
        {"item": str(item.pk)},
        "Only the programme's facilitators",
    )
    # Even its author cannot hide it (they could ask the facilitator).
    refused(
        session,
        as_member(session.programme, other),
        "cynefin.hide",
        {"item": str(item.pk)},
        "Only the programme's facilitators",
    )
    perform(session, as_member(session.programme), "cynefin.hide", {"item": str(item.pk)})
    assert cynefin.counts(session)["chaotic"] == 0
    page = region(participant_client, session)
    assert "Something to take down" not in page
    assert "0 items on the board" in page
    console = region(facilitator_client, session)
    assert "Something to take down" in console and "Hidden from participants" in console
    # The author cannot move a hidden item either.
    refused(
        session,
        as_member(session.programme, other),
        "cynefin.move",
        {"item": str(item.pk), "domain": "clear"},
        "hidden",
    )
    perform(session, as_member(session.programme), "cynefin.unhide", {"item": str(item.pk)})
    assert "Something to take down" in region(participant_client, session)


def test_an_item_of_another_session_is_no_such_item(
    session: Session, board: Segment, participant: Participant, programme: Programme
) -> None:
    elsewhere = Session.objects.create(
        programme=programme, title="Another", starts_at=session.starts_at, duration_minutes=60
    )
    theirs = Segment.objects.create(
        session=elsewhere, position=0, title="Theirs", kind="cynefin_board", duration_minutes=5
    )
    live_actions.do_start_segment(elsewhere, None, theirs)
    foreign = cynefin.do_cynefin_post(theirs, participant, "Elsewhere", "clear")
    for who, name, data in [
        (as_member(programme), "cynefin.hide", {"item": str(foreign.pk)}),
        (as_member(programme), "cynefin.move", {"item": str(foreign.pk), "domain": "complex"}),
        (
            as_member(programme, participant),
            "cynefin.move",
            {"item": str(foreign.pk), "domain": "complex"},
        ),
    ]:
        refused(session, who, name, data, "no such item")


# --- Pages ----------------------------------------------------------------------------------


def test_the_board_panel_lays_out_headed_lists_with_counts_and_selects(
    session: Session,
    board: Segment,
    participant: Participant,
    other: Participant,
    participant_client: Client,
    facilitator_client: Client,
    check_response: Any,
) -> None:
    mine = place(session, participant, board, "<script>alert(1)</script>", "complex")
    theirs = place(session, other, board, "Theirs", "clear")
    url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    response = participant_client.get(url)
    check_response(response)
    page = response.content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "2 items on the board: 1 clear, 0 complicated, 1 complex, 0 chaotic, 0 not sure yet" in (
        page
    )
    headings = [
        'Complex <span class="board-count">(1 item)',
        'Complicated <span class="board-count">(0 items)',
        'Not sure yet (the centre) <span class="board-count">(0 items)',
        'Chaotic <span class="board-count">(0 items)',
        'Clear (simple) <span class="board-count">(1 item)',
    ]
    positions = [page.index(heading) for heading in headings]
    assert positions == sorted(positions), "domains in reading order, centre between"
    # The author moves their own; others suggest; nobody drags.
    assert f'id="cynefin-move-{mine.pk}"' in page and f'id="cynefin-suggest-{theirs.pk}"' in page
    assert f'id="cynefin-move-{theirs.pk}"' not in page
    assert "draggable" not in page
    console = facilitator_client.get(url).content.decode()
    assert f'id="cynefin-move-{theirs.pk}"' in console and "Hide" in console
    assert 'id="cynefin-text"' not in console  # facilitators do not post


def test_the_form_path_places_an_item(
    session: Session, board: Segment, participant_client: Client
) -> None:
    url = reverse("live:act", args=[session.programme_id, session.pk])
    response = participant_client.post(
        url,
        {
            "action": "cynefin.post",
            "segment": str(board.pk),
            "text": "By form",
            "domain": "complex",
        },
    )
    assert response.status_code == 302
    assert CynefinItem.objects.get().domain == "complex"
    before = state(session)
    bad = participant_client.post(
        url,
        {"action": "cynefin.move", "item": str(CynefinItem.objects.get().pk), "domain": "nope"},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 400 and "Unknown domain" in bad.json()["error"]
    assert state(session) == before


def test_outsiders_and_unagreed_participants_change_nothing(
    session: Session,
    board: Segment,
    outsider_client: Client,
    new_participant_client: Client,
) -> None:
    act = reverse("live:act", args=[session.programme_id, session.pk])
    data = {"action": "cynefin.post", "segment": str(board.pk), "text": "Let me in"}
    before = state(session)
    assert outsider_client.post(act, data).status_code == 404
    response = new_participant_client.post(act, data)
    assert response.status_code == 302 and "ground-rules" in response.url
    assert state(session) == before


# --- Chatham House --------------------------------------------------------------------------


def test_chatham_house_leaves_names_out_of_pages_events_and_record(
    session: Session,
    board: Segment,
    participant: Participant,
    other: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    assert session.programme.chatham_house
    theirs = place(session, other, board, "An unnamed situation", "complex")
    place(session, participant, board, "My situation")
    cynefin.do_cynefin_suggest(theirs, participant, "chaotic")
    hidden = place(session, other, board, "Hidden situation", "clear")
    cynefin.do_cynefin_hide(hidden, True)

    page = region(participant_client, session)
    assert "Omar Okafor" not in page and "An unnamed situation" in page and "You" in page
    console = facilitator_client.get(
        reverse("live:console", args=[session.programme_id, session.pk])
    ).content.decode()
    assert "An unnamed situation" in console
    assert "Omar Okafor" not in console and "Priya Participant" not in console
    for event in LiveEvent.objects.filter(session=session):
        payload = json.dumps(event.payload)
        for secret in ("Omar", "Priya", "situation"):
            assert secret not in payload, (event.kind, payload)

    export = reverse("live:export", args=[session.programme_id, session.pk])
    record = json.loads(facilitator_client.get(export).content)["sections"]["cynefin"]
    assert record["counts"] == {
        "complex": 1,
        "complicated": 0,
        "unsure": 1,
        "chaotic": 0,
        "clear": 0,
    }
    assert record["domains"]["complex"] == [
        {"text": "An unnamed situation", "suggestions": {"chaotic": 1}}
    ]
    assert record["domains"]["unsure"] == [{"text": "My situation", "suggestions": {}}]
    assert record["domains"]["clear"] == []
    markdown = facilitator_client.get(export + "?format=md").content.decode()
    assert "- An unnamed situation [1 suggest chaotic]" in markdown
    assert "### Complex (1)" in markdown and "Hidden situation" not in markdown
    assert "Omar" not in markdown and "Priya" not in markdown


def test_with_the_rule_off_names_are_shown_and_exported(
    session: Session,
    board: Segment,
    other: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    programme = session.programme
    programme.chatham_house = False
    programme.save()
    place(session, other, board, "Named situation", "complicated")
    assert "Omar Okafor" in region(participant_client, session)
    assert "Omar Okafor" in region(facilitator_client, session)
    export = reverse("live:export", args=[session.programme_id, session.pk])
    record = json.loads(facilitator_client.get(export).content)["sections"]["cynefin"]
    assert record["domains"]["complicated"][0]["author"] == "Omar Okafor"
    markdown = facilitator_client.get(export + "?format=md").content.decode()
    assert "- Named situation (Omar Okafor)" in markdown
