"""convenor.live.rows: many rows written with one statement read back exactly as the ORM
would have written them, on SQLite and PostgreSQL alike, and text is only ever a parameter."""

import uuid
from datetime import UTC, datetime

import pytest

from convenor.live.models import GroupMember, RoomGroup, RoomNotes, Round
from convenor.live.rows import insert_rows, update_rows
from convenor.programmes.models import Participant
from convenor.workshops.models import Session

TRICKY = "Robert'); DROP TABLE live_roomgroup;-- «ünïcode» \\ %s %(x)s"


def test_inserted_rows_read_back_as_given(session: Session, participant: Participant) -> None:
    round_ = Round.objects.create(session=session, kind="breakout", size=4, seed=1)
    ids = [uuid.uuid4(), uuid.uuid4()]
    insert_rows(
        RoomGroup,
        ["id", "round", "number", "room_token"],
        [(ids[0], round_.pk, 1, TRICKY), (str(ids[1]), round_.pk, 2, "plain")],
    )
    insert_rows(
        GroupMember, ["group", "round", "participant"], [(ids[1], round_.pk, participant.pk)]
    )
    insert_rows(GroupMember, ["group", "round", "participant"], [])  # nothing to do
    groups = list(round_.groups.order_by("number").values_list("id", "number", "room_token"))
    assert groups == [(ids[0], 1, TRICKY), (ids[1], 2, "plain")]
    (member,) = GroupMember.objects.filter(round=round_)
    assert (member.group_id, member.participant_id) == (ids[1], participant.pk)


def test_updated_rows_read_back_as_given(session: Session) -> None:
    round_ = Round.objects.create(session=session, kind="breakout", size=4, seed=1)
    rows = [RoomNotes.objects.create(round=round_, number=n) for n in (1, 2)]
    when = datetime(2026, 11, 26, 21, 30, 15, 123456, tzinfo=UTC)
    recent = [{"rev": 3, "splice": [0, "", TRICKY], "sid": None}]
    update_rows(
        RoomNotes,
        ["text", "rev", "recent", "updated_at"],
        [(rows[0].pk, [TRICKY, 3, recent, when])],
    )
    first, second = (RoomNotes.objects.get(pk=row.pk) for row in rows)
    assert (first.text, first.rev, first.recent, first.updated_at) == (TRICKY, 3, recent, when)
    assert (second.text, second.rev, second.recent) == ("", 0, []), "other rows untouched"


def test_many_rows_updated_at_once_each_get_their_own_values(session: Session) -> None:
    """One statement for many rows (an array per column on PostgreSQL): each row gets its own
    values, nulls included, and rows not named are left alone."""
    round_ = Round.objects.create(session=session, kind="breakout", size=4, seed=1)
    rooms = [RoomGroup.objects.create(round=round_, number=n, room_token="t") for n in range(5)]
    rows = [RoomNotes.objects.create(round=round_, number=n, group=rooms[n]) for n in range(5)]
    changes = [
        (row.pk, [None if n % 2 else rooms[n].pk, f"{TRICKY} {n}", n, [{"n": n, "x": None}]])
        for n, row in enumerate(rows[:4])
    ]
    update_rows(RoomNotes, ["group", "text", "rev", "recent"], changes)
    stored = {
        pk: (group, text, rev, recent)
        for pk, group, text, rev, recent in RoomNotes.objects.values_list(
            "pk", "group_id", "text", "rev", "recent"
        )
    }
    for pk, values in changes:
        assert stored[pk] == tuple(values)
    assert stored[rows[4].pk] == (rooms[4].pk, "", 0, []), "the row not named is untouched"


def test_a_row_may_be_updated_only_once_per_call(session: Session) -> None:
    round_ = Round.objects.create(session=session, kind="breakout", size=4, seed=1)
    row = RoomNotes.objects.create(round=round_, number=1)
    with pytest.raises(ValueError, match="only once"):
        update_rows(RoomNotes, ["rev"], [(row.pk, [1]), (row.pk, [2])])
    row.refresh_from_db()
    assert row.rev == 0
