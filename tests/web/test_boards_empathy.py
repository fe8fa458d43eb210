"""The empathy map: per breakout group, notes in four areas for a named persona; members add
and remove their own, the facilitator sees every map and hides notes; the plenary view shows
the maps side by side and combined. Panels, events and the record, with the Chatham House rule
on and off. Every refusal is checked to change nothing, events included."""

import json
from typing import Any

import pytest
from activity_helpers import membership_of as as_member
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.activities.dispatch import perform
from convenor.activities.registry import ActivityError
from convenor.boards import empathy
from convenor.boards.models import EmpathyNote, EmpathyPersona
from convenor.live import actions as live_actions
from convenor.live.events import current_seq, events_after
from convenor.live.models import GroupMember, LiveEvent, RoomGroup, Round
from convenor.live.state import apply_event, snapshot
from convenor.programmes import actions as programme_actions
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session

NIL = "00000000-0000-0000-0000-000000000000"
PERSONA = "a parent in one of our priority neighbourhoods"


@pytest.fixture
def mapping(session: Session, facilitator: User) -> Segment:
    """An empathy map segment, started; its prompts name the persona."""
    made = Segment.objects.create(
        session=session,
        position=0,
        title="Empathy map in groups",
        kind="empathy_map",
        duration_minutes=30,
        prompts=f"Persona: {PERSONA}\nWhat do they see and hear around them?",
    )
    live_actions.do_start_segment(session, facilitator, made)
    return made


@pytest.fixture
def people(programme: Programme, facilitator: User, participant: Participant) -> list[Participant]:
    """`participant` and five more, all agreed to the ground rules."""
    others = [
        programme_actions.agree_ground_rules(
            programme_actions.add_participant(
                programme,
                facilitator,
                display_name=f"Person {number}",
                organisation=f"Org {number}",
            )
        )
        for number in range(5)
    ]
    return [participant, *others]


@pytest.fixture
def breakout(session: Session, facilitator: User, people: list[Participant]) -> Round:
    """Everyone here, in two breakout groups of three."""
    for person in people:
        live_actions.do_connect(session, f"test.{person.pk}", participant=person)
    return live_actions.do_start_round(session, facilitator, kind="breakout", size=3, seed=5)


def group_of(round_: Round, person: Participant) -> RoomGroup:
    return GroupMember.objects.select_related("group").get(round=round_, participant=person).group


def mates(round_: Round, person: Participant) -> list[Participant]:
    group = group_of(round_, person)
    return [m.participant for m in group.memberships.exclude(participant=person)]


def outside(round_: Round, person: Participant, people: list[Participant]) -> Participant:
    mine = group_of(round_, person)
    return next(p for p in people if group_of(round_, p) != mine)


def state(session: Session) -> tuple[Any, ...]:
    return (
        list(
            EmpathyNote.objects.filter(session=session)
            .order_by("pk")
            .values_list("pk", "text", "area", "hidden", "number")
        ),
        list(EmpathyPersona.objects.values_list("segment_id", "text")),
        current_seq(session),
    )


def refused(session: Session, who: Membership, name: str, data: dict[str, Any], says: str) -> None:
    before = state(session)
    with pytest.raises(ActivityError, match=says):
        perform(session, who, name, data)
    assert state(session) == before


def add(
    session: Session, who: Participant, mapping: Segment, group: RoomGroup, area: str, text: str
) -> EmpathyNote:
    data = {"segment": str(mapping.pk), "group": str(group.pk), "area": area, "text": text}
    perform(session, as_member(session.programme, who), "empathy.add", data)
    return EmpathyNote.objects.filter(author=who).latest("created_at")


def region(client: Client, session: Session) -> str:
    response = client.get(reverse("live:activity_part", args=[session.programme_id, session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def plenary_view(client: Client, session: Session, query: str = "") -> str:
    url = reverse("boards:empathy_plenary", args=[session.programme_id, session.pk]) + query
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- Without breakout groups ----------------------------------------------------------------


def test_without_breakout_groups_everyone_is_told_to_start_them_first(
    session: Session,
    mapping: Segment,
    participant: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    for client in (participant_client, facilitator_client):
        assert "the facilitator needs to start breakout groups first" in region(client, session)
        assert "the facilitator needs to start breakout groups first" in plenary_view(
            client, session
        )
    # And nothing can be added (no group exists to name).
    refused(
        session,
        as_member(session.programme, participant),
        "empathy.add",
        {"segment": str(mapping.pk), "group": NIL, "area": "sees", "text": "x"},
        "no such breakout group",
    )


# --- Adding, removing, hiding ---------------------------------------------------------------


def test_members_add_to_their_own_groups_map(
    session: Session, mapping: Segment, breakout: Round, participant: Participant
) -> None:
    group = group_of(breakout, participant)
    note = add(session, participant, mapping, group, "hears", "  Mixed messages from services ")
    assert (note.text, note.number, note.round_id) == (
        "Mixed messages from services",
        group.number,
        breakout.pk,
    )
    mate = mates(breakout, participant)[0]
    add(session, mate, mapping, group, "thinks_feels", "Worried about being judged")
    maps = empathy.maps_for(mapping, None)
    assert [m.number for m in maps] == [1, 2]  # the other group's map exists, still empty
    mine = next(m for m in maps if m.number == group.number)
    assert {a.key: [v.note.text for v in a.notes] for a in mine.areas} == {
        "sees": [],
        "hears": ["Mixed messages from services"],
        "thinks_feels": ["Worried about being judged"],
        "does": [],
    }
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert event.kind == "empathy.added"
    assert set(event.payload) == {"segment", "round", "group", "note", "area", "notes"}
    assert event.payload["group"] == group.number and event.payload["notes"] == 2


def test_the_wrong_group_is_refused(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    people: list[Participant],
) -> None:
    stranger = outside(breakout, participant, people)
    theirs = group_of(breakout, stranger)
    data = {"segment": str(mapping.pk), "group": str(theirs.pk), "area": "sees", "text": "Hi"}
    refused(
        session,
        as_member(session.programme, participant),
        "empathy.add",
        data,
        "only add notes to your own group's map",
    )
    # A group of an earlier breakout round is refused too.
    live_actions.do_end_round(breakout, None)
    later = live_actions.do_start_round(session, None, kind="breakout", size=3, seed=9)
    old = group_of(breakout, participant)
    data = {"segment": str(mapping.pk), "group": str(old.pk), "area": "sees", "text": "Hi"}
    refused(session, as_member(session.programme, participant), "empathy.add", data, "earlier")
    assert later.pk != breakout.pk


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"text": ""}, "A note is empty"),
        ({"text": "x" * 301}, "at most 300 characters \\(this one has 301\\)"),
        ({"area": "smells"}, "Unknown area"),
        ({"segment": NIL}, "no such segment"),
        ({"group": "nope"}, "not a valid id"),
    ],
)
def test_bad_notes_are_refused(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    data: dict[str, Any],
    says: str,
) -> None:
    group = group_of(breakout, participant)
    message = {
        "segment": str(mapping.pk),
        "group": str(group.pk),
        "area": "sees",
        "text": "A note",
        **data,
    }
    refused(session, as_member(session.programme, participant), "empathy.add", message, says)


def test_notes_go_only_to_a_started_empathy_segment(
    session: Session,
    mapping: Segment,
    breakout: Round,
    segment: Segment,
    participant: Participant,
) -> None:
    group = group_of(breakout, participant)
    me = as_member(session.programme, participant)
    data = {"group": str(group.pk), "area": "sees", "text": "x"}
    refused(session, me, "empathy.add", {**data, "segment": str(segment.pk)}, "not an empathy map")
    later = Segment.objects.create(
        session=session, position=9, title="Later", kind="empathy_map", duration_minutes=5
    )
    refused(session, me, "empathy.add", {**data, "segment": str(later.pk)}, "not started yet")
    host = as_member(session.programme)
    data = {"segment": str(mapping.pk), **data}
    refused(session, host, "empathy.add", data, "Only participants")


def test_only_the_author_removes_a_note(
    session: Session, mapping: Segment, breakout: Round, participant: Participant
) -> None:
    group = group_of(breakout, participant)
    note = add(session, participant, mapping, group, "does", "Rings the helpline twice")
    mate = mates(breakout, participant)[0]
    refused(
        session,
        as_member(session.programme, mate),
        "empathy.remove",
        {"note": str(note.pk)},
        "only remove your own notes",
    )
    refused(
        session,
        as_member(session.programme),
        "empathy.remove",
        {"note": str(note.pk)},
        "Only participants",
    )
    refused(
        session,
        as_member(session.programme, participant),
        "empathy.remove",
        {"note": NIL},
        "no such note",
    )
    said = perform(
        session,
        as_member(session.programme, participant),
        "empathy.remove",
        {"note": str(note.pk)},
    )
    assert said == "Removed your note." and not EmpathyNote.objects.exists()
    event = LiveEvent.objects.filter(session=session).latest("seq")
    assert event.kind == "empathy.removed" and event.payload["notes"] == 0
    assert event.payload["note"] == str(note.pk)


def test_only_facilitators_hide_notes_and_hidden_notes_leave_every_participant_view(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    group = group_of(breakout, participant)
    mate = mates(breakout, participant)[0]
    note = add(session, mate, mapping, group, "sees", "Something to take down")
    refused(
        session,
        as_member(session.programme, participant),
        "empathy.hide",
        {"note": str(note.pk)},
        "Only the programme's facilitators",
    )
    perform(session, as_member(session.programme), "empathy.hide", {"note": str(note.pk)})
    assert "Something to take down" not in region(participant_client, session)
    assert "Something to take down" not in plenary_view(participant_client, session)
    # The shared screen leaves it out for facilitators too; the console marks it.
    assert "Something to take down" not in plenary_view(facilitator_client, session)
    console = region(facilitator_client, session)
    assert "Something to take down" in console and "Hidden from participants" in console
    perform(session, as_member(session.programme), "empathy.unhide", {"note": str(note.pk)})
    assert "Something to take down" in region(participant_client, session)


def test_map_events_keep_the_live_state_consistent(
    session: Session, mapping: Segment, breakout: Round, participant: Participant
) -> None:
    before = snapshot(session)
    note = add(session, participant, mapping, group_of(breakout, participant), "does", "Waits")
    empathy.do_empathy_hide(note, True)
    empathy.do_empathy_persona(mapping, "A young carer")
    empathy.do_empathy_remove(note, participant)
    written = events_after(session, before["seq"])
    assert written is not None
    kinds = [e["kind"] for e in written]
    assert kinds == ["empathy.added", "empathy.hidden", "empathy.persona", "empathy.removed"]
    state = before
    for event in written:
        state = apply_event(state, event)
    assert state == snapshot(session)


def test_the_facilitator_names_the_persona(
    session: Session, mapping: Segment, breakout: Round, participant: Participant
) -> None:
    assert empathy.persona_for(mapping) == PERSONA  # from the run-sheet's "Persona:" line
    host = as_member(session.programme)
    perform(session, host, "empathy.persona", {"segment": str(mapping.pk), "text": "a carer, 70"})
    assert empathy.persona_for(mapping) == "a carer, 70"
    # Only the facilitator's persona is shown then, not the run-sheet's as well.
    assert empathy.prompts_without_persona(mapping) == "What do they see and hear around them?"
    refused(
        session,
        host,
        "empathy.persona",
        {"segment": str(mapping.pk), "text": "x" * 201},
        "at most 200 characters",
    )
    refused(
        session,
        as_member(session.programme, participant),
        "empathy.persona",
        {"segment": str(mapping.pk), "text": "Me"},
        "Only the programme's facilitators",
    )
    perform(session, host, "empathy.persona", {"segment": str(mapping.pk), "text": ""})
    assert empathy.persona_for(mapping) == PERSONA


# --- Pages ----------------------------------------------------------------------------------


def test_participants_see_their_groups_map_and_the_facilitator_every_map(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    people: list[Participant],
    participant_client: Client,
    facilitator_client: Client,
    check_response: Any,
) -> None:
    group = group_of(breakout, participant)
    add(session, participant, mapping, group, "sees", "<b>Queues</b> at the surgery")
    stranger = outside(breakout, participant, people)
    add(session, stranger, mapping, group_of(breakout, stranger), "does", "Other group's note")
    url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    response = participant_client.get(url)
    check_response(response)
    page = response.content.decode()
    assert f"Empathy map: {PERSONA}" in page
    # The prompts below the heading, without the "Persona:" line the heading already says.
    assert "What do they see and hear around them?" in page
    assert f"Persona: {PERSONA}" not in page
    assert f"Your group's map (group {group.number})" in page
    assert "&lt;b&gt;Queues&lt;/b&gt; at the surgery" in page and "<b>Queues" not in page
    assert "Other group&#x27;s note" not in page
    assert 'value="empathy.remove"' in page  # their own note can go
    assert reverse("boards:empathy_plenary", args=[session.programme_id, session.pk]) in page
    console = facilitator_client.get(url)
    check_response(console)
    text = console.content.decode()
    assert "Other group&#x27;s note" in text and "Queues" in text
    assert 'value="empathy.hide"' in text and 'id="empathy-persona"' in text


def test_a_later_plenary_links_to_the_maps(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    participant_client: Client,
) -> None:
    talk = Segment.objects.create(
        session=session, position=1, title="Plenary", kind="plenary", duration_minutes=5
    )
    live_actions.do_start_segment(session, None, talk)
    link = reverse("boards:empathy_plenary", args=[session.programme_id, session.pk])
    assert link not in region(participant_client, session)  # no maps yet
    add(session, participant, mapping, group_of(breakout, participant), "sees", "A note")
    assert link in region(participant_client, session)


def test_someone_in_no_group_is_told_so(
    session: Session,
    mapping: Segment,
    breakout: Round,
    facilitator: User,
    programme: Programme,
    as_participant: Any,
) -> None:
    late = programme_actions.agree_ground_rules(
        programme_actions.add_participant(programme, facilitator, display_name="Late Comer")
    )
    page = region(as_participant(Client(), late), session)
    assert "You are not in a breakout group" in page and 'id="empathy-text"' not in page


def test_the_plenary_view_shows_maps_side_by_side_and_combined(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    people: list[Participant],
    participant_client: Client,
    check_response: Any,
) -> None:
    stranger = outside(breakout, participant, people)
    add(session, participant, mapping, group_of(breakout, participant), "sees", "Note one")
    add(session, stranger, mapping, group_of(breakout, stranger), "sees", "Note two")
    url = reverse("boards:empathy_plenary", args=[session.programme_id, session.pk])
    response = participant_client.get(url)
    check_response(response)
    page = response.content.decode()
    assert '<h2 id="groups-heading">Each group\'s map</h2>' in page
    assert "Group 1" in page and "Group 2" in page
    combined = page.split("Every group together", 1)[1]
    assert "Note one" in combined and "Note two" in combined
    assert participant_client.post(url).status_code == 405
    assert "no such empathy map" in plenary_view(participant_client, session, f"?segment={NIL}")
    assert "no such empathy map" in plenary_view(participant_client, session, "?segment=bad")
    # The page follows the session's events: live.js re-fetches the maps alone.
    assert f'data-ws-path="/ws/live/{session.pk}/"' in page
    assert f'data-part="{url}?part=1"' in page
    part = participant_client.get(url, {"part": "1", "segment": str(mapping.pk)})
    check_response(part)
    body = part.content.decode()
    assert "<html" not in body and "Note one" in body and "Note two" in body


def test_the_plenary_view_is_closed_to_outsiders_and_unagreed_participants(
    session: Session,
    mapping: Segment,
    outsider_client: Client,
    anonymous_client: Client,
    new_participant_client: Client,
) -> None:
    url = reverse("boards:empathy_plenary", args=[session.programme_id, session.pk])
    assert outsider_client.get(url).status_code == 404
    assert anonymous_client.get(url).status_code == 404
    response = new_participant_client.get(url)
    assert response.status_code == 302 and "ground-rules" in response.url


def test_a_note_of_another_session_is_no_such_note(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    programme: Programme,
) -> None:
    elsewhere = Session.objects.create(
        programme=programme, title="Another", starts_at=session.starts_at, duration_minutes=60
    )
    theirs = Segment.objects.create(
        session=elsewhere, position=0, title="Theirs", kind="empathy_map", duration_minutes=5
    )
    live_actions.do_start_segment(elsewhere, None, theirs)
    live_actions.do_connect(elsewhere, "test.elsewhere.a", participant=participant)
    mate = mates(breakout, participant)[0]
    live_actions.do_connect(elsewhere, "test.elsewhere.b", participant=mate)
    other_round = live_actions.do_start_round(elsewhere, None, kind="breakout", size=3, seed=1)
    foreign = empathy.do_empathy_add(
        theirs, group_of(other_round, participant), participant, "sees", "Elsewhere"
    )
    me = as_member(programme, participant)
    refused(session, me, "empathy.remove", {"note": str(foreign.pk)}, "no such note")
    refused(session, as_member(programme), "empathy.hide", {"note": str(foreign.pk)}, "no such")
    data = {
        "segment": str(mapping.pk),
        "group": str(group_of(other_round, participant).pk),
        "area": "sees",
        "text": "x",
    }
    refused(session, me, "empathy.add", data, "no such breakout group")


# --- Chatham House --------------------------------------------------------------------------


def test_chatham_house_leaves_names_out_of_pages_events_and_record(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    assert session.programme.chatham_house
    group = group_of(breakout, participant)
    mate = mates(breakout, participant)[0]
    add(session, mate, mapping, group, "hears", "Unattributed hearing")
    add(session, participant, mapping, group, "sees", "My seeing")
    hidden = add(session, mate, mapping, group, "does", "Hidden doing")
    empathy.do_empathy_hide(hidden, True)
    name = mate.display_name

    page = region(participant_client, session)
    assert "Unattributed hearing" in page and name not in page and "(You)" in page
    view = plenary_view(participant_client, session)
    assert (
        "Unattributed hearing" in view
        and name not in view
        and "Priya" not in view.split("</header>", 1)[1]
    )
    console = region(facilitator_client, session)
    assert "Unattributed hearing" in console and name not in console and "Priya" not in console
    for event in LiveEvent.objects.filter(session=session, kind__startswith="empathy."):
        payload = json.dumps(event.payload)
        for secret in (name, "Priya", "hearing", "seeing", "doing"):
            assert secret not in payload, (event.kind, payload)

    export = reverse("live:export", args=[session.programme_id, session.pk])
    record = json.loads(facilitator_client.get(export).content)["sections"]["empathy"]
    assert len(record) == 1
    section = record[0]
    assert section["segment"] == "Empathy map in groups" and section["persona"] == PERSONA
    assert [g["group"] for g in section["groups"]] == [group.number]
    assert section["groups"][0]["areas"]["hears"] == [{"text": "Unattributed hearing"}]
    assert section["combined"] == {
        "sees": ["My seeing"],
        "hears": ["Unattributed hearing"],
        "thinks_feels": [],
        "does": [],
    }
    markdown = facilitator_client.get(export + "?format=md").content.decode()
    assert f"Persona: {PERSONA}" in markdown and "Unattributed hearing" in markdown
    assert "Hidden doing" not in markdown and name not in markdown and "Priya" not in markdown


def test_with_the_rule_off_names_are_shown_and_exported(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    programme = session.programme
    programme.chatham_house = False
    programme.save()
    group = group_of(breakout, participant)
    mate = mates(breakout, participant)[0]
    add(session, mate, mapping, group, "hears", "Named hearing")
    assert f"({mate.display_name})" in region(participant_client, session)
    assert f"({mate.display_name})" in region(facilitator_client, session)
    export = reverse("live:export", args=[session.programme_id, session.pk])
    record = json.loads(facilitator_client.get(export).content)["sections"]["empathy"]
    assert record[0]["groups"][0]["areas"]["hears"] == [
        {"text": "Named hearing", "author": mate.display_name}
    ]


def test_a_participants_panel_costs_a_few_queries_whatever_the_number_of_groups(
    session: Session,
    mapping: Segment,
    breakout: Round,
    participant: Participant,
    participant_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    """Every page asks for its panel when a round starts: 1,000 people, 1,000 requests. Each
    reads its own group's map only, the persona once and the round once (13 queries before,
    with every group's map built to show one)."""
    add(session, participant, mapping, group_of(breakout, participant), "sees", "Queues")
    url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    participant_client.get(url)
    with django_assert_max_num_queries(9):
        response = participant_client.get(url)
    assert "Queues" in response.content.decode()
