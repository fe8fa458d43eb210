"""Session and run-sheet actions: what they write, and that bad input writes nothing."""

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from convenor.accounts.models import User
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Programme
from convenor.workshops import actions
from convenor.workshops.models import CalendarFeed, Segment, Session
from convenor.workshops.runsheet import timing
from convenor.workshops.templates_builtin import COMMON_PURPOSE, TEMPLATES

pytestmark = pytest.mark.django_db


def session_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Working in complexity",
        "description": "Second of the series.",
        "starts_on": date(2027, 2, 18),
        "start_time": time(13, 0),
        "time_zone": "Europe/London",
        "duration_minutes": 180,
        "format": "online",
        "video_url_template": "https://meet.example.org/cohort-{room}",
        "venue": "",
    }
    fields.update(overrides)
    return fields


def titles(session: Session) -> list[str]:
    return list(session.segments.order_by("position").values_list("title", flat=True))


@pytest.fixture
def made(programme: Programme, facilitator: User) -> Session:
    return actions.create_session(programme, facilitator, **session_fields())


@pytest.fixture
def three(made: Session, facilitator: User) -> list[Segment]:
    return [
        actions.add_segment(made, facilitator, title=t, kind="plenary", duration_minutes=m)
        for t, m in (("One", 10), ("Two", 20), ("Three", 30))
    ]


def test_create_session_stores_the_local_time_as_an_instant(made: Session) -> None:
    # 13:00 in London in February is 13:00 UTC; in July it would be 12:00 UTC.
    assert made.starts_at == datetime(2027, 2, 18, 13, 0, tzinfo=UTC)
    assert made.local_start().strftime("%H:%M %Z") == "13:00 GMT"


def test_summer_time_is_an_hour_ahead(programme: Programme, facilitator: User) -> None:
    summer = actions.create_session(
        programme, facilitator, **session_fields(starts_on=date(2027, 7, 15))
    )
    assert summer.starts_at == datetime(2027, 7, 15, 12, 0, tzinfo=UTC)


def test_other_zones(programme: Programme, facilitator: User) -> None:
    made = actions.create_session(
        programme, facilitator, **session_fields(time_zone="America/New_York")
    )
    assert made.starts_at == datetime(2027, 2, 18, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 10_000}, "duration_minutes"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "BST"}, "time_zone"),
        ({"video_url_template": "https://meet.example.org/cohort"}, "video_url_template"),
        ({"video_url_template": "javascript:alert(1)//{room}"}, "video_url_template"),
        ({"format": "in_person", "venue": ""}, "venue"),
        ({"format": "teleport"}, "format"),
        ({"title": "   "}, "title"),
        # The clocks go forward at 01:00 on 28 March 2027 in London: 01:30 never happens.
        ({"starts_on": date(2027, 3, 28), "start_time": time(1, 30)}, "start_time"),
    ],
)
def test_bad_session_input_is_refused_and_nothing_is_written(
    programme: Programme, facilitator: User, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        actions.create_session(programme, facilitator, **session_fields(**overrides))
    assert field in caught.value.message_dict
    assert caught.value.message_dict[field][0]
    assert not Session.objects.exists()


def test_missing_room_placeholder_says_so(programme: Programme, facilitator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        actions.create_session(
            programme, facilitator, **session_fields(video_url_template="https://x.example/a")
        )
    assert "{room}" in caught.value.message_dict["video_url_template"][0]


def test_update_session_refuses_bad_input_and_keeps_the_row(
    made: Session, facilitator: User
) -> None:
    before = Session.objects.values().get(pk=made.pk)
    with pytest.raises(ValidationError):
        actions.update_session(made, facilitator, duration_minutes=0, title="Changed")
    assert Session.objects.values().get(pk=made.pk) == before


def test_changing_only_the_zone_keeps_the_wall_clock(made: Session, facilitator: User) -> None:
    moved = actions.update_session(made, facilitator, time_zone="Europe/Paris")
    assert moved.local_start().strftime("%Y-%m-%d %H:%M") == "2027-02-18 13:00"
    assert moved.starts_at == datetime(2027, 2, 18, 12, 0, tzinfo=UTC)


def test_archived_programme_sessions_do_not_change(
    made: Session, programme: Programme, facilitator: User
) -> None:
    programme_actions.archive_programme(programme, facilitator)
    made.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.update_session(made, facilitator, title="Changed")
    with pytest.raises(ValidationError):
        actions.add_segment(made, facilitator, title="X", kind="talk", duration_minutes=5)
    assert Session.objects.get(pk=made.pk).title == "Working in complexity"


def test_segments_are_appended_in_order(three: list[Segment], made: Session) -> None:
    assert titles(made) == ["One", "Two", "Three"]
    assert [s.position for s in made.segments.order_by("position")] == [0, 1, 2]


@pytest.mark.parametrize("minutes", [0, 481, 10_000])
def test_bad_segment_duration_is_refused(made: Session, facilitator: User, minutes: int) -> None:
    with pytest.raises(ValidationError) as caught:
        actions.add_segment(made, facilitator, title="X", kind="talk", duration_minutes=minutes)
    assert "duration_minutes" in caught.value.message_dict
    assert not made.segments.exists()


def test_unknown_segment_kind_is_refused(made: Session, facilitator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        actions.add_segment(made, facilitator, title="X", kind="karaoke", duration_minutes=5)
    assert "kind" in caught.value.message_dict


def test_move_up_and_down(three: list[Segment], made: Session, facilitator: User) -> None:
    one, two, three_ = three
    actions.move_segment(three_, facilitator, "up")
    assert titles(made) == ["One", "Three", "Two"]
    actions.move_segment(one, facilitator, "down")
    assert titles(made) == ["Three", "One", "Two"]


def test_moving_the_first_up_or_the_last_down_is_refused(
    three: list[Segment], made: Session, facilitator: User
) -> None:
    with pytest.raises(ValidationError, match="already first"):
        actions.move_segment(three[0], facilitator, "up")
    with pytest.raises(ValidationError, match="already last"):
        actions.move_segment(three[2], facilitator, "down")
    assert titles(made) == ["One", "Two", "Three"]


def test_delete_segment_closes_the_gap(
    three: list[Segment], made: Session, facilitator: User
) -> None:
    actions.delete_segment(three[0], facilitator)
    assert [(s.title, s.position) for s in made.segments.order_by("position")] == [
        ("Two", 0),
        ("Three", 1),
    ]


def test_start_times_follow_the_durations(three: list[Segment], made: Session) -> None:
    timed = timing(made)
    assert [row.starts_at.strftime("%H:%M") for row in timed.rows] == ["13:00", "13:10", "13:30"]
    assert timed.ends_at.strftime("%H:%M") == "14:00"
    assert (timed.total_minutes, timed.overrun_minutes, timed.spare_minutes) == (60, 0, 120)


def test_start_times_across_the_clocks_going_forward(
    programme: Programme, facilitator: User
) -> None:
    # 00:30 GMT on 28 March 2027; at 01:00 GMT the clocks jump to 02:00 BST.
    night = actions.create_session(
        programme,
        facilitator,
        **session_fields(starts_on=date(2027, 3, 28), start_time=time(0, 30), duration_minutes=120),
    )
    for title in ("First", "Second", "Third"):
        actions.add_segment(night, facilitator, title=title, kind="plenary", duration_minutes=30)
    rows = timing(night).rows
    assert [f"{r.starts_at:%H:%M %Z}" for r in rows] == ["00:30 GMT", "02:00 BST", "02:30 BST"]
    assert f"{timing(night).ends_at:%H:%M}" == "03:00"


def test_start_times_across_the_clocks_going_back(programme: Programme, facilitator: User) -> None:
    # 31 October 2027: at 02:00 BST the clocks go back to 01:00 GMT.
    night = actions.create_session(
        programme,
        facilitator,
        **session_fields(
            starts_on=date(2027, 10, 31), start_time=time(0, 30), duration_minutes=120
        ),
    )
    for title in ("First", "Second", "Third"):
        actions.add_segment(night, facilitator, title=title, kind="plenary", duration_minutes=30)
    rows = timing(night).rows
    assert [f"{r.starts_at:%H:%M %Z}" for r in rows] == ["00:30 BST", "01:00 BST", "01:30 BST"]
    assert f"{timing(night).ends_at:%H:%M %Z}" == "01:00 GMT"


def test_overrun_is_reported(made: Session, facilitator: User) -> None:
    actions.add_segment(made, facilitator, title="Long", kind="talk", duration_minutes=200)
    assert timing(made).overrun_minutes == 20


def test_reference_template_has_the_workshop_shape() -> None:
    assert COMMON_PURPOSE.total_minutes == 180
    blocks = [10, 30, 50, 10, 50, 25, 5]
    minutes = [part.minutes for part in COMMON_PURPOSE.segments]
    # The parts add up, in order, to the reference workshop's blocks.
    sums, running, index = [], 0, 0
    for m in minutes:
        running += m
        if running == blocks[index]:
            sums.append(running)
            running, index = 0, index + 1
    assert sums == blocks
    # Every activity has its segment, so running the session from start to end uses each one.
    kinds = [part.kind for part in COMMON_PURPOSE.segments]
    assert kinds == [
        "welcome",
        "coffee_trial",
        "plenary",
        "talk",
        "cynefin_board",
        "empathy_map",
        "plenary",
        "break",
        "common_purpose",
        "plenary",
        "reflection",
        "close",
    ]
    # Breakout rooms come with the activities that need them (empathy map, common purpose).
    assert set(kinds) == set(Segment.Kind.values) - {"breakouts"}
    assert all(part.prompts or part.notes for part in COMMON_PURPOSE.segments)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_applies_cleanly(made: Session, facilitator: User, key: str) -> None:
    applied = actions.apply_template(made, facilitator, key)
    assert [s.title for s in applied] == [p.title for p in TEMPLATES[key].segments]
    assert timing(made).total_minutes == TEMPLATES[key].total_minutes


def test_apply_template_does_not_replace_without_confirmation(
    three: list[Segment], made: Session, facilitator: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        actions.apply_template(made, facilitator, COMMON_PURPOSE.key)
    assert "replace" in caught.value.message_dict
    assert titles(made) == ["One", "Two", "Three"]
    actions.apply_template(made, facilitator, COMMON_PURPOSE.key, replace=True)
    assert titles(made) == [p.title for p in COMMON_PURPOSE.segments]


def test_unknown_template_is_refused(made: Session, facilitator: User) -> None:
    with pytest.raises(ValidationError):
        actions.apply_template(made, facilitator, "no-such-template")
    assert not made.segments.exists()


def test_duplicate_runsheet(
    three: list[Segment], made: Session, programme: Programme, facilitator: User
) -> None:
    target = actions.create_session(
        programme, facilitator, **session_fields(starts_on=date(2027, 3, 18))
    )
    copies = actions.duplicate_runsheet(target, facilitator, made)
    assert titles(target) == ["One", "Two", "Three"]
    assert {c.pk for c in copies}.isdisjoint({s.pk for s in three})
    assert titles(made) == ["One", "Two", "Three"]


def test_duplicate_refuses_another_programmes_session(
    three: list[Segment], made: Session, outsider: User
) -> None:
    theirs = Programme.objects.get(facilitations__user=outsider)
    their_session = actions.create_session(theirs, outsider, **session_fields())
    with pytest.raises(ValidationError):
        actions.duplicate_runsheet(their_session, outsider, made)
    assert not their_session.segments.exists()


def test_duplicate_refuses_itself_and_empty_sources(
    made: Session, programme: Programme, facilitator: User
) -> None:
    empty = actions.create_session(programme, facilitator, **session_fields(title="Empty"))
    with pytest.raises(ValidationError):
        actions.duplicate_runsheet(made, facilitator, made)
    with pytest.raises(ValidationError, match="no run-sheet"):
        actions.duplicate_runsheet(made, facilitator, empty)


def test_calendar_feed_token_is_hashed_replaceable_and_revocable(
    programme: Programme, facilitator: User
) -> None:
    first = actions.create_calendar_feed(programme, facilitator)
    assert len(first) >= 43
    assert actions.programme_for_feed_token(first) == programme
    stored = CalendarFeed.objects.get()
    assert first not in stored.token_hash
    second = actions.create_calendar_feed(programme, facilitator)
    assert actions.programme_for_feed_token(first) is None
    assert actions.programme_for_feed_token(second) == programme
    assert actions.revoke_calendar_feed(programme, facilitator)
    assert actions.programme_for_feed_token(second) is None
    assert not actions.revoke_calendar_feed(programme, facilitator)


def test_archived_programmes_feed_stops(programme: Programme, facilitator: User) -> None:
    token = actions.create_calendar_feed(programme, facilitator)
    programme_actions.archive_programme(programme, facilitator)
    assert actions.programme_for_feed_token(token) is None


def test_editing_a_segment_deleted_meanwhile_is_refused(
    three: list[Segment], made: Session, facilitator: User
) -> None:
    stale = Segment.objects.get(pk=three[1].pk)
    actions.delete_segment(three[1], facilitator)
    with pytest.raises(ValidationError, match="no longer in the run-sheet"):
        actions.update_segment(stale, facilitator, title="Back from the dead")
    with pytest.raises(ValidationError, match="no longer in the run-sheet"):
        actions.move_segment(stale, facilitator, "up")
    assert titles(made) == ["One", "Three"]
