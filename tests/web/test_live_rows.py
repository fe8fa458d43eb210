"""convenor.live.rows: many rows written with executemany read back exactly as the ORM wrote
them would, on SQLite and PostgreSQL alike, and text is only ever a parameter."""

import uuid
from datetime import UTC, datetime

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
