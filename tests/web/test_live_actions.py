"""Live-session actions: run-sheet, rounds and presence, and the events each one writes.

Every action is called for real; the events-consistency checks take a snapshot, apply the
events an action wrote, and compare with a snapshot refetched from the database.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from convenor.live import actions
from convenor.live.events import MAX_REPLAY, current_seq, events_after
from convenor.live.models import (
    GroupMember,
    LiveEvent,
    LivePresence,
    RoomGroup,
    Round,
    SegmentRun,
)
from convenor.live.state import snapshot
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session
from tests.web.live_support import connect_all, consistent

ORGANISATIONS = [
    ("County Council", "Local government"),
    ("City Council", "Local government"),
    ("NHS Trust", "Health"),
    ("GP Federation", "Health"),
    ("Active Partnership", "Sport and activity"),
    ("Food Bank", "Voluntary sector"),
]


def make_people(programme: Programme, facilitator: Any, count: int) -> list[Participant]:
    people = []
    for i in range(count):
        organisation, sector = ORGANISATIONS[i % len(ORGANISATIONS)]
        people.append(
            programme_actions.add_participant(
                programme,
                facilitator,
                display_name=f"Person {i}",
                organisation=organisation,
                sector=sector,
            )
        )
    return people


def run_sheet(session: Session) -> list[Segment]:
    made = []
    for position, (title, kind, minutes) in enumerate(
        [("Welcome", "welcome", 10), ("Coffee trial", "coffee_trial", 30), ("Close", "close", 5)]
    ):
        segment = Segment(
            session=session, position=position, title=title, kind=kind, duration_minutes=minutes
        )
        segment.full_clean()
        segment.save()
        made.append(segment)
    return made


@pytest.fixture
def segments(session: Session) -> list[Segment]:
    return run_sheet(session)


@pytest.fixture
def people(programme: Programme, facilitator: Any) -> list[Participant]:
    return make_people(programme, facilitator, 7)


# --- Event log ------------------------------------------------------------------------------


def test_emit_numbers_events_without_gaps_and_broadcasts_after_commit(
    session: Session,
    segments: list[Segment],
    facilitator: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        actions.do_start_segment(session, facilitator)
        actions.do_extend_segment(session, facilitator, 5)
        actions.do_end_segment(session, facilitator)
    seqs = list(LiveEvent.objects.filter(session=session).values_list("seq", flat=True))
    assert seqs == [1, 2, 3]
    assert len(callbacks) == 3


def test_a_failed_action_writes_no_event_and_broadcasts_nothing(
    session: Session,
    segments: list[Segment],
    facilitator: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        actions.do_end_segment(session, facilitator)
    assert current_seq(session) == 0
    assert not LiveEvent.objects.exists()
    assert callbacks == []


def test_events_after_gives_a_snapshot_answer_when_too_far_behind_or_unknown(
    session: Session, segments: list[Segment], facilitator: Any
) -> None:
    actions.do_start_segment(session, facilitator)
    assert events_after(session, 0) is not None
    assert events_after(session, 1) == []
    assert events_after(session, 2) is None, "a number from the future is unknown"
    LiveEvent.objects.bulk_create(
        LiveEvent(session=session, seq=seq, kind="presence", payload={}) for seq in range(2, 503)
    )
    state = session.live_state
    state.last_seq = 502
    state.save()
    assert events_after(session, 502 - MAX_REPLAY) is not None
    assert events_after(session, 501 - MAX_REPLAY) is None


# --- Run-sheet ------------------------------------------------------------------------------


def test_start_extend_end_and_skip_retime_what_follows(
    session: Session, segments: list[Segment], facilitator: Any
) -> None:
    welcome, coffee, close = segments
    events = consistent(session, lambda: actions.do_start_segment(session, facilitator))
    assert [e["kind"] for e in events] == ["segment_started"]
    sheet = snapshot(session)["runsheet"]
    assert sheet["status"] == "running"
    assert (sheet["current"], sheet["next"]) == (str(welcome.pk), str(coffee.pk))
    now_item, next_item, last_item = sheet["segments"]
    assert next_item["starts_at"] == now_item["ends_at"]

    consistent(session, lambda: actions.do_extend_segment(session, facilitator, 7))
    extended = snapshot(session)["runsheet"]["segments"]
    moved = timedelta(minutes=7)
    assert _at(extended[1]["starts_at"]) - _at(next_item["starts_at"]) == moved
    assert _at(extended[2]["starts_at"]) - _at(last_item["starts_at"]) == moved

    consistent(session, lambda: actions.do_skip_segment(session, facilitator, coffee))
    sheet = snapshot(session)["runsheet"]
    assert sheet["segments"][1]["status"] == "skipped"
    assert sheet["next"] == str(close.pk)

    consistent(session, lambda: actions.do_end_segment(session, facilitator))
    sheet = snapshot(session)["runsheet"]
    assert sheet["status"] == "between"
    assert sheet["segments"][0]["status"] == "done"
    # Ended early: the close is now planned from the actual end, not from the plan.
    assert sheet["segments"][2]["starts_at"] == sheet["segments"][0]["ends_at"]

    consistent(session, lambda: actions.do_start_segment(session, facilitator))
    consistent(session, lambda: actions.do_skip_segment(session, facilitator))
    assert snapshot(session)["runsheet"]["status"] == "finished"


def test_an_edit_to_the_run_sheet_reaches_live_clients(
    session: Session, segments: list[Segment], facilitator: Any
) -> None:
    actions.do_start_segment(session, facilitator)
    segments[1].duration_minutes = 45
    segments[1].save()
    events = consistent(session, lambda: actions.do_runsheet_edited(session))
    assert [e["kind"] for e in events] == ["runsheet_edited"]
    planned = events[0]["payload"]["runsheet"]["segments"]
    assert _at(planned[2]["starts_at"]) - _at(planned[1]["starts_at"]) == timedelta(minutes=45)


def _at(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_run_sheet_actions_refuse_what_makes_no_sense(
    session: Session, segments: list[Segment], facilitator: Any, programme: Programme
) -> None:
    with pytest.raises(ValidationError, match="No segment is running"):
        actions.do_extend_segment(session, facilitator, 5)
    actions.do_start_segment(session, facilitator, segments[0])
    for minutes in (0, 61):
        with pytest.raises(ValidationError, match="1 to 60"):
            actions.do_extend_segment(session, facilitator, minutes)
    with pytest.raises(ValidationError, match="already running; nothing was changed"):
        actions.do_start_segment(session, facilitator, segments[0])
    other = Session.objects.create(
        programme=programme, title="Other", starts_at=timezone.now(), duration_minutes=60
    )
    stranger = Segment.objects.create(
        session=other, title="Elsewhere", kind="talk", duration_minutes=5
    )
    with pytest.raises(ValidationError, match="another session"):
        actions.do_start_segment(session, facilitator, stranger)
    assert current_seq(session) == 1


def test_a_repeated_run_sheet_command_acts_once(
    session: Session, segments: list[Segment], facilitator: Any
) -> None:
    """The console says which segment a button acts on (and how far it was extended): a
    second click, or a co-facilitator's at the same moment, is refused and changes nothing,
    instead of starting, skipping or ending the segment after it, or extending twice."""
    first, second, third = segments[:3]
    actions.do_start_segment(session, facilitator, first)
    seq = current_seq(session)
    with pytest.raises(ValidationError, match=f"“{first.title}” is already running"):
        actions.do_start_segment(session, facilitator, first)
    actions.do_extend_segment(session, facilitator, 5, first, extended=0)
    with pytest.raises(ValidationError, match="has just been extended .by 5 min in all."):
        actions.do_extend_segment(session, facilitator, 5, first, extended=0)
    assert SegmentRun.objects.get(segment=first).extension_minutes == 5
    actions.do_extend_segment(session, facilitator, 5, first, extended=5)
    assert SegmentRun.objects.get(segment=first).extension_minutes == 10
    actions.do_skip_segment(session, facilitator, first)
    seq = current_seq(session)
    with pytest.raises(ValidationError, match="already been run or skipped"):
        actions.do_skip_segment(session, facilitator, first)
    for act in (
        lambda: actions.do_end_segment(session, facilitator, first),
        lambda: actions.do_extend_segment(session, facilitator, 5, first, extended=10),
    ):
        with pytest.raises(ValidationError, match="nothing to"):
            act()
    assert current_seq(session) == seq
    actions.do_start_segment(session, facilitator, second)
    seq = current_seq(session)
    for act in (
        lambda: actions.do_end_segment(session, facilitator, third),
        lambda: actions.do_extend_segment(session, facilitator, 5, first, extended=0),
    ):
        with pytest.raises(ValidationError, match="is not running any more"):
            act()
    assert current_seq(session) == seq
    assert snapshot(session)["runsheet"]["current"] == str(second.pk)
    actions.do_end_segment(session, facilitator, second)
    assert snapshot(session)["runsheet"]["current"] is None


@pytest.mark.parametrize("how", ["end", "skip"])
def test_a_round_still_open_when_the_last_segment_is_over_ends_with_the_session(
    session: Session,
    segments: list[Segment],
    facilitator: Any,
    people: list[Participant],
    how: str,
) -> None:
    connect_all(session, people)
    actions.do_start_segment(session, facilitator, segments[1])
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2)
    # Not the last: the round goes on into the next segment.
    actions.do_end_segment(session, facilitator)
    actions.do_skip_segment(session, facilitator, segments[0])
    round_.refresh_from_db()
    assert round_.ended_at is None
    actions.do_start_segment(session, facilitator, segments[2])
    finish = {
        "end": lambda: actions.do_end_segment(session, facilitator, segments[2]),
        "skip": lambda: actions.do_skip_segment(session, facilitator),
    }[how]
    written = consistent(session, finish)
    assert [event["kind"] for event in written][-1] == "round_ended"
    round_.refresh_from_db()
    assert round_.ended_at is not None
    assert snapshot(session)["round"] is None


# --- Rounds ---------------------------------------------------------------------------------
# --- Rounds ---------------------------------------------------------------------------------


def test_start_round_groups_everyone_present_mixing_organisations(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    connect_all(session, people)
    events = consistent(
        session, lambda: actions.do_start_round(session, facilitator, size=2, seed=7)
    )
    assert events[-1]["kind"] == "round_started"
    round_ = Round.objects.get(session=session)
    groups = list(round_.groups.all())
    sizes = sorted(group.memberships.count() for group in groups)
    assert sizes == [2, 2, 3], "seven people make two pairs and one three"
    for group in groups:
        orgs = [m.participant.organisation for m in group.memberships.select_related("participant")]
        assert len(set(orgs)) == len(orgs), f"group {group.number} repeats an organisation"
    assert len({group.room_token for group in groups}) == 3
    assert all(len(group.room_token) >= 20 for group in groups)


def test_round_history_spans_the_whole_programme(
    session: Session, programme: Programme, facilitator: Any
) -> None:
    people = make_people(programme, facilitator, 4)
    connect_all(session, people)
    met: set[frozenset[str]] = set()
    later = Session.objects.create(
        programme=programme, title="Next month", starts_at=timezone.now(), duration_minutes=60
    )
    connect_all(later, people)
    # Four people have exactly three repeat-free pair rounds; any forgotten round shows.
    for round_number in range(3):
        where = session if round_number < 2 else later
        round_ = actions.do_start_round(where, facilitator, size=2, seed=round_number)
        for group in round_.groups.all():
            pair = frozenset(
                str(p) for p in group.memberships.values_list("participant_id", flat=True)
            )
            assert pair not in met, f"round {round_number + 1} repeats a pair"
            met.add(pair)
        actions.do_end_round(round_, facilitator)
    assert len(met) == 6


def test_round_actions_refuse_bad_requests_and_change_nothing(
    session: Session, facilitator: Any, people: list[Participant], programme: Programme
) -> None:
    with pytest.raises(ValidationError, match="At least two"):
        actions.do_start_round(session, facilitator)
    connect_all(session, people)
    with pytest.raises(ValidationError, match="2 to 3"):
        actions.do_start_round(session, facilitator, size=4)
    with pytest.raises(ValidationError, match="3 to 8"):
        actions.do_start_round(session, facilitator, kind="breakout", size=9)
    with pytest.raises(ValidationError, match="1 to 120"):
        actions.do_start_round(session, facilitator, minutes=0)
    round_ = actions.do_start_round(session, facilitator, seed=1)
    with pytest.raises(ValidationError, match="already running"):
        actions.do_start_round(session, facilitator)
    seq = current_seq(session)
    a, b = people[0], people[1]
    with pytest.raises(ValidationError, match="two different"):
        actions.do_swap(round_, a, a, facilitator)
    partner = _partners(round_, a)[0]
    with pytest.raises(ValidationError, match="same group"):
        actions.do_swap(round_, a, partner, facilitator)
    stranger = programme_actions.add_participant(programme, facilitator, display_name="Late Lou")
    with pytest.raises(ValidationError, match="not in this round"):
        actions.do_swap(round_, a, stranger, facilitator)
    with pytest.raises(ValidationError, match="not in this round"):
        actions.do_remove_participant(round_, stranger, facilitator)
    assert current_seq(session) == seq
    actions.do_end_round(round_, facilitator)
    with pytest.raises(ValidationError, match="has ended"):
        actions.do_swap(round_, a, b, facilitator)


def _partners(round_: Round, person: Participant) -> list[Participant]:
    member = GroupMember.objects.get(round=round_, participant=person)
    return [
        m.participant
        for m in GroupMember.objects.filter(group=member.group_id).select_related("participant")
        if m.participant_id != person.pk
    ]


def test_latecomer_is_placed_on_connect_and_nobody_else_moves(
    session: Session, facilitator: Any, programme: Programme, people: list[Participant]
) -> None:
    connect_all(session, people[:6])
    round_ = actions.do_start_round(session, facilitator, seed=3)
    before = {m.participant_id: m.group_id for m in GroupMember.objects.filter(round=round_)}
    late = people[6]
    events = consistent(session, lambda: actions.do_connect(session, "test.late", participant=late))
    assert [e["kind"] for e in events] == ["presence", "round_changed"]
    after = {m.participant_id: m.group_id for m in GroupMember.objects.filter(round=round_)}
    assert late.pk in after
    assert {k: v for k, v in after.items() if k != late.pk} == before
    # A second tab of the same person is not a second latecomer.
    seq = current_seq(session)
    actions.do_connect(session, "test.late.2", participant=late)
    assert current_seq(session) == seq


def test_leaving_rehomes_the_partner(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    connect_all(session, people[:6])
    round_ = actions.do_start_round(session, facilitator, seed=5)
    leaver = people[0]
    partner = _partners(round_, leaver)[0]
    consistent(session, lambda: actions.do_disconnect(f"test.{leaver.pk}"))
    assert not actions.remove_if_gone(session, people[1]), "still connected: stays"
    consistent(session, lambda: actions.remove_if_gone(session, leaver))
    assert not GroupMember.objects.filter(round=round_, participant=leaver).exists()
    assert len(_partners(round_, partner)) == 2, "the partner joined another pair, making three"
    assert RoomGroup.objects.filter(round=round_).count() == 2


def test_swap_exchanges_two_people_and_end_round_closes_it(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    connect_all(session, people[:6])
    round_ = actions.do_start_round(session, facilitator, seed=9)
    a = people[0]
    b = next(p for p in people[1:6] if p not in _partners(round_, a))
    group_a = GroupMember.objects.get(round=round_, participant=a).group_id
    group_b = GroupMember.objects.get(round=round_, participant=b).group_id
    events = consistent(session, lambda: actions.do_swap(round_, a, b, facilitator))
    assert [e["kind"] for e in events] == ["round_changed"]
    assert len(events[0]["payload"]["groups"]) == 2
    assert GroupMember.objects.get(round=round_, participant=a).group_id == group_b
    assert GroupMember.objects.get(round=round_, participant=b).group_id == group_a
    consistent(session, lambda: actions.do_end_round(round_, facilitator))
    assert snapshot(session)["round"] is None


def test_presence_counts_connections_per_person(
    session: Session, facilitator: Any, people: list[Participant]
) -> None:
    person = people[0]
    events = consistent(session, lambda: actions.do_connect(session, "a", participant=person))
    assert events[0]["payload"] == {"participant": str(person.pk), "present": True}
    actions.do_connect(session, "b", participant=person)
    actions.do_connect(session, "f", user=facilitator)
    assert snapshot(session)["present"] == [str(person.pk)]
    actions.do_disconnect("a")
    assert snapshot(session)["present"] == [str(person.pk)], "one tab is still open"
    consistent(session, lambda: actions.do_disconnect("b"))
    assert snapshot(session)["present"] == []
    assert actions.do_disconnect("b") is None


def test_stale_connections_expire(session: Session, people: list[Participant]) -> None:
    actions.do_connect(session, "old", participant=people[0])
    actions.do_connect(session, "new", participant=people[1])
    LivePresence.objects.filter(channel_name="old").update(
        last_seen_at=timezone.now() - timedelta(minutes=5)
    )
    gone = actions.expire_presence(session, timezone.now() - timedelta(minutes=2))
    assert gone == [people[0]]
    assert snapshot(session)["present"] == [str(people[1].pk)]


def test_touch_presences_marks_the_named_connections_only(
    session: Session, people: list[Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_all(session, people)
    presences = LivePresence.objects.order_by("channel_name")
    names = list(presences.values_list("channel_name", flat=True))
    long_ago = timezone.now() - timedelta(minutes=10)
    LivePresence.objects.update(last_seen_at=long_ago)
    monkeypatch.setattr(actions, "TOUCH_CHUNK", 2)  # several statements
    touched = names[:-1]
    actions.touch_presences([*touched, touched[0], "no-such-channel"])
    fresh = set(presences.filter(last_seen_at__gt=long_ago).values_list("channel_name", flat=True))
    assert fresh == set(touched)
    assert len(touched) >= 3, "more names than one statement takes"
