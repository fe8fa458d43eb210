"""Reflections, commitments, their follow-up and session feedback: the actions (through the
activities framework's `perform`, as the socket and the form do), what they refuse with nothing
changed, their events, and the session record."""

import json
from datetime import timedelta
from typing import Any

import pytest

from convenor.accounts.models import User
from convenor.activities.dispatch import perform
from convenor.activities.registry import ActivityError, registry
from convenor.live import actions as live_actions
from convenor.live.models import LiveEvent
from convenor.programmes import actions as programme_actions
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.reflections import actions
from convenor.reflections.models import TEXT_MAX, Feedback, FollowUp, Reflection
from convenor.workshops.models import Segment, Session

pytestmark = pytest.mark.django_db


def add_segments(session: Session, *kinds: str) -> dict[str, Segment]:
    made = {}
    for position, kind in enumerate(kinds):
        made[kind] = Segment.objects.create(
            session=session, position=position, title=kind.title(), kind=kind, duration_minutes=5
        )
    return made


@pytest.fixture
def parts(session: Session) -> dict[str, Segment]:
    return add_segments(session, "welcome", "reflection", "close")


@pytest.fixture
def other(programme: Programme, facilitator: User) -> Participant:
    person = programme_actions.add_participant(
        programme, facilitator, display_name="Omar Other", organisation="NHS", sector="Health"
    )
    return programme_actions.agree_ground_rules(person)


def as_member(participant: Participant) -> Membership:
    return Membership(participant.programme, "participant", participant=participant)


def as_host(programme: Programme) -> Membership:
    return Membership(programme, "facilitator", facilitation=programme.facilitations.first())


def start(session: Session, facilitator: User, segment: Segment) -> None:
    live_actions.do_start_segment(session, facilitator, segment)


def state() -> tuple[Any, ...]:
    """Everything these actions could change, to assert that a refusal changed nothing."""
    return (
        sorted(Reflection.objects.values_list("id", "text", "shared", "hidden_at")),
        sorted(FollowUp.objects.values_list("id", "status", "note", "shared", "hidden_at")),
        sorted(Feedback.objects.values_list("id", "rating", "worked", "change")),
        LiveEvent.objects.count(),
    )


def my_section(session: Session) -> Any:
    """This app's section of the session record (as `live:export` builds it)."""
    (export,) = [export for export in registry.exports if export.key == "reflections"]
    return export.build(session)


def record_markdown(session: Session) -> str:
    (export,) = [export for export in registry.exports if export.key == "reflections"]
    assert export.markdown is not None
    return "\n".join(export.markdown(session))


def payloads() -> str:
    return json.dumps([event.payload for event in LiveEvent.objects.all()])


def save(session: Session, who: Participant, segment: Segment, text: str, shared: int = 0) -> str:
    data: dict[str, Any] = {"segment": str(segment.pk), "text": text}
    if shared:
        data["shared"] = shared
    return perform(session, as_member(who), "reflection.save", data)


def test_a_reflection_is_private_until_shared_and_can_be_changed(
    session: Session, parts: dict[str, Segment], facilitator: User, participant: Participant
) -> None:
    start(session, facilitator, parts["reflection"])
    done = save(session, participant, parts["reflection"], "  In our falls-prevention team  ")
    assert done == "Saved. Only you can see it."
    answer = Reflection.objects.get()
    assert (answer.kind, answer.text, answer.shared) == (
        "try",
        "In our falls-prevention team",
        False,
    )
    event = LiveEvent.objects.filter(kind="reflection.saved").get()
    assert event.payload == {"question": "try", "written": 1, "shared": 0}

    assert "shared" in save(session, participant, parts["reflection"], "Our team", shared=1)
    answer.refresh_from_db()
    assert (answer.text, answer.shared) == ("Our team", True)
    save(session, participant, parts["reflection"], "Our team")  # unticked: private again
    answer.refresh_from_db()
    assert answer.shared is False
    assert Reflection.objects.count() == 1
    last = LiveEvent.objects.filter(kind="reflection.saved").order_by("-seq").first()
    assert last is not None and last.payload == {"question": "try", "written": 1, "shared": 0}


def test_the_close_asks_for_a_commitment_and_stays_writable_after_it_moved_on(
    session: Session, parts: dict[str, Segment], facilitator: User, participant: Participant
) -> None:
    start(session, facilitator, parts["reflection"])
    start(session, facilitator, parts["close"])
    # A reflection typed during the reflection segment still lands as that question's answer.
    save(session, participant, parts["reflection"], "In the board meeting")
    save(session, participant, parts["close"], "Call the housing lead")
    kinds = dict(Reflection.objects.values_list("kind", "text"))
    assert kinds == {"try": "In the board meeting", "commitment": "Call the housing lead"}


def test_bad_input_is_refused_with_nothing_changed(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    other: Participant,
) -> None:
    start(session, facilitator, parts["close"])
    save(session, other, parts["close"], "Omar's private plan")
    theirs = Reflection.objects.get()
    later = Session.objects.create(
        programme=session.programme,
        title="Next",
        starts_at=session.starts_at + timedelta(days=30),
        duration_minutes=60,
    )
    other_segment = add_segments(later, "close")["close"]
    close, welcome = str(parts["close"].pk), str(parts["welcome"].pk)
    reflection = str(parts["reflection"].pk)
    before = state()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("reflection.save", {"segment": close, "text": "   "}, "Write something"),
        ("reflection.save", {"segment": close}, "required"),
        ("reflection.save", {"segment": close, "text": "x" * (TEXT_MAX + 1)}, "shorten it"),
        # The real limit, said with the length sent, however much too long it is (the
        # transport's own bound is far above it).
        ("reflection.save", {"segment": close, "text": "x" * 700}, "is 700 .*shorten it to 600"),
        ("reflection.save", {"segment": close, "text": "x" * 5000}, "is 5000 .*shorten it to 600"),
        ("reflection.save", {"segment": close, "text": "x" * 30_000}, "too long"),
        ("reflection.save", {"segment": close, "text": 5}, "must be text"),
        ("reflection.save", {"segment": close, "text": "x", "shared": 2}, "yes/no choice"),
        ("reflection.save", {"segment": "nope", "text": "x"}, "not a valid id"),
        ("reflection.save", {"segment": welcome, "text": "x"}, "no such part"),
        ("reflection.save", {"segment": str(other_segment.pk), "text": "x"}, "no such part"),
        ("reflection.save", {"segment": reflection, "text": "x"}, "has not started"),
        ("reflection.save", {"segment": close, "text": "x", "author": "me"}, "Unexpected"),
        ("feedback.save", {"segment": close, "rating": 0}, "Choose a rating from 1"),
        ("feedback.save", {"segment": close, "rating": 6}, "Choose a rating from 1"),
        ("feedback.save", {"segment": close, "rating": "five"}, "whole number"),
        ("feedback.save", {"segment": close, "rating": True}, "whole number"),
        ("feedback.save", {"segment": close}, "required"),
        ("feedback.save", {"segment": close, "rating": 4, "worked": "x" * 1001}, "shorten"),
        ("feedback.save", {"segment": reflection, "rating": 4}, "no such part"),
        ("reflection.hide", {"item": str(theirs.pk)}, "Only the programme's facilitators"),
    ]
    for name, data, message in cases:
        with pytest.raises(ActivityError, match=message):
            perform(session, as_member(participant), name, data)
        assert state() == before, name
    # A facilitator takes part as a host: no commitments, no feedback of their own.
    for name, data in [
        ("reflection.save", {"segment": close, "text": "I will"}),
        ("feedback.save", {"segment": close, "rating": 5}),
    ]:
        with pytest.raises(ActivityError, match="Only participants"):
            perform(session, as_host(session.programme), name, data)
    # Facilitators cannot hide (and so learn of) a private answer, nor an unknown id.
    for item in (str(theirs.pk), "0" * 32):
        with pytest.raises(ActivityError, match="no such shared contribution"):
            perform(session, as_host(session.programme), "reflection.hide", {"item": item})
    assert state() == before


def test_markup_is_stored_as_text(
    session: Session, parts: dict[str, Segment], facilitator: User, participant: Participant
) -> None:
    start(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "<script>alert(1)</script> *bold*", shared=1)
    assert Reflection.objects.get().text == "<script>alert(1)</script> *bold*"
    markdown = record_markdown(session)
    assert "<script>" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\*bold\\*" in markdown


def test_private_text_never_leaves_its_author(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    other: Participant,
) -> None:
    start(session, facilitator, parts["reflection"])
    save(session, participant, parts["reflection"], "My private reflection")
    start(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "My private commitment")
    save(session, other, parts["close"], "Omar shares this", shared=1)
    perform(
        session,
        as_member(participant),
        "feedback.save",
        {"segment": str(parts["close"].pk), "rating": 4, "worked": "The pace"},
    )
    assert "private" not in payloads()
    data = my_section(session)
    assert data["commitments"]["written"] == 2
    assert data["commitments"]["shared"] == 1 and data["commitments"]["private"] == 1
    assert data["where_to_try"] == {
        "written": 1,
        "shared": 0,
        "private": 1,
        "hidden": 0,
        "items": [],
    }
    assert [item["text"] for item in data["commitments"]["items"]] == ["Omar shares this"]
    everything = json.dumps(data) + record_markdown(session)
    assert "My private" not in everything
    assert "1 written, 0 shared (1 kept private)." in record_markdown(session)


@pytest.mark.parametrize("chatham", [True, False])
def test_names_follow_the_chatham_house_switch_in_the_record(
    chatham: bool,
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
) -> None:
    programme = session.programme
    programme.chatham_house = chatham
    programme.save()
    start(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "Walk the site with residents", shared=1)
    perform(
        session,
        as_member(participant),
        "feedback.save",
        {"segment": str(parts["close"].pk), "rating": 5, "change": "More time"},
    )
    data = my_section(session)
    expected = None if chatham else "Priya Participant"
    assert data["commitments"]["items"] == [
        {"text": "Walk the site with residents", "author": expected}
    ]
    markdown = record_markdown(session)
    assert ("Priya Participant" in markdown) is (not chatham)
    # Feedback never carries a name, whatever the switch.
    assert "Priya" not in json.dumps(data["feedback"])
    assert "Priya" not in payloads()


def test_feedback_is_one_answer_each_and_summarised_without_names(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    other: Participant,
) -> None:
    start(session, facilitator, parts["close"])
    close = str(parts["close"].pk)
    send = {"segment": close, "rating": 2, "worked": "Coffee trial", "change": "Shorter talk"}
    perform(session, as_member(participant), "feedback.save", send)
    perform(session, as_member(participant), "feedback.save", {**send, "rating": 3})
    perform(session, as_member(other), "feedback.save", {"segment": close, "rating": 5})
    assert Feedback.objects.count() == 2
    summary = actions.feedback_summary(session)
    assert summary.answers == 2
    assert summary.distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert summary.mean == 4.0
    assert summary.worked == ["Coffee trial"] and summary.change == ["Shorter talk"]
    events = LiveEvent.objects.filter(kind="feedback.saved").order_by("seq")
    assert [event.payload for event in events] == [{"answers": 1}, {"answers": 1}, {"answers": 2}]
    section = my_section(session)["feedback"]
    assert section["ratings"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert "4.0 out of 5" in record_markdown(session)


def test_a_facilitator_hides_a_shared_answer(
    session: Session, parts: dict[str, Segment], facilitator: User, participant: Participant
) -> None:
    start(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "Something unkind", shared=1)
    answer = Reflection.objects.get()
    host = as_host(session.programme)
    assert perform(session, host, "reflection.hide", {"item": str(answer.pk)}) == (
        "Hidden from the shared list."
    )
    assert actions.shared_reflections(session, "commitment") == []
    assert my_section(session)["commitments"]["items"] == []
    assert my_section(session)["commitments"]["hidden"] == 1
    assert "Something unkind" not in record_markdown(session)
    assert "(0 kept private; 1 hidden by a facilitator)." in record_markdown(session)
    event = LiveEvent.objects.filter(kind="reflection.hidden").get()
    assert event.payload == {"item": str(answer.pk), "hidden": True}
    perform(session, host, "reflection.hide", {"item": str(answer.pk), "hidden": 0})
    assert actions.shared_reflections(session, "commitment") == [answer]


def test_commitments_come_back_at_the_next_session(
    session: Session,
    parts: dict[str, Segment],
    facilitator: User,
    participant: Participant,
    other: Participant,
) -> None:
    start(session, facilitator, parts["close"])
    save(session, participant, parts["close"], "Ask the GP practice about walking groups")
    save(session, other, parts["close"], "Omar's own commitment")
    mine = Reflection.objects.get(participant=participant)
    theirs = Reflection.objects.get(participant=other)
    later = Session.objects.create(
        programme=session.programme,
        title="Next month",
        starts_at=session.starts_at + timedelta(days=28),
        duration_minutes=60,
    )
    welcome = add_segments(later, "welcome")["welcome"]
    assert actions.commitments_to_review(later, participant) == [mine]
    # Not at the session it was made in.
    assert actions.commitments_to_review(session, participant) == []
    assert actions.people_with_commitments_before(later) == 2

    def follow(who: Participant, commitment: Reflection, **extra: Any) -> str:
        data = {"segment": str(welcome.pk), "commitment": str(commitment.pk), **extra}
        return perform(later, as_member(who), "reflection.follow_up", data)

    with pytest.raises(ActivityError, match="has not started"):
        follow(participant, mine, status="done")
    start(later, facilitator, welcome)
    before = state()
    for commitment, extra, message in [
        (theirs, {"status": "done"}, "no earlier commitment of yours"),
        (mine, {"status": "maybe"}, "done, partly or not yet"),
        (mine, {"status": "done", "note": "x" * (TEXT_MAX + 1)}, "shorten it"),
        (mine, {"status": "done", "shared": 7}, "yes/no choice"),
    ]:
        with pytest.raises(ActivityError, match=message):
            follow(participant, commitment, **extra)
        assert state() == before
    with pytest.raises(ActivityError, match="no earlier commitment of yours"):
        perform(
            later,
            as_member(participant),
            "reflection.follow_up",
            {"segment": str(welcome.pk), "commitment": "0" * 32, "status": "done"},
        )
    with pytest.raises(ActivityError, match="no such part"):
        perform(
            later,
            as_member(participant),
            "reflection.follow_up",
            {"segment": str(parts["welcome"].pk), "commitment": str(mine.pk), "status": "done"},
        )
    assert state() == before

    follow(participant, mine, status="partly", note="Met them once")
    follow(participant, mine, status="done", note="Met them twice; a group starts in May")
    follow(other, theirs, status="not_yet", note="Private note")
    assert FollowUp.objects.count() == 2
    assert actions.follow_up_counts(later) == {"done": 1, "partly": 0, "not_yet": 1}
    events = LiveEvent.objects.filter(session=later, kind="reflection.followed_up")
    assert [event.payload for event in events.order_by("seq")] == [
        {"answered": 1},
        {"answered": 1},
        {"answered": 2},
    ]
    assert "Met them" not in payloads() and "Private note" not in payloads()
    section = my_section(later)["follow_ups"]
    assert section == {
        "answered": 2,
        "done": 1,
        "partly": 0,
        "not_yet": 1,
        "shared_notes": [],
    }
    follow(participant, mine, status="done", note="A group starts in May", shared=1)
    section = my_section(later)["follow_ups"]
    assert section["shared_notes"] == [
        {"status": "done", "note": "A group starts in May", "author": None}
    ]
    assert "Private note" not in record_markdown(later)
    assert "2 answered: 1 done, 0 partly, 1 not yet." in record_markdown(later)

    # A facilitator can take a shared note off the list, and put it back.
    note = FollowUp.objects.get(commitment=mine)
    host = as_host(later.programme)
    perform(later, host, "reflection.hide", {"item": str(note.pk)})
    assert actions.shared_follow_ups(later) == []
    assert "A group starts in May" not in record_markdown(later)
    private_note = FollowUp.objects.get(commitment=theirs)
    before = state()
    with pytest.raises(ActivityError, match="no such shared contribution"):
        perform(later, host, "reflection.hide", {"item": str(private_note.pk)})
    assert state() == before
    perform(later, host, "reflection.hide", {"item": str(note.pk), "hidden": 0})
    assert actions.shared_follow_ups(later) == [note]
