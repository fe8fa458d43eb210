"""convenor.live.consumers.NotesWriter: what arrived while a batch waited for its sessions'
locks is handed over to that batch, and only saves of those sessions."""

import uuid
from typing import Any

from convenor.live.consumers import NotesWriter
from convenor.live.notes import Save


def queued(session: uuid.UUID, label: str) -> tuple[Save, Any]:
    return Save(session, uuid.uuid4(), uuid.uuid4(), label, 0), label


def labels(items: Any) -> list[str]:
    return [save.text for save, _ in items]


def test_a_batch_takes_its_sessions_saves_and_leaves_the_others_in_order() -> None:
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    writer = NotesWriter()
    writer.waiting.extend(
        [queued(ours, "a"), queued(theirs, "x"), queued(ours, "b"), queued(theirs, "y")]
    )
    assert labels(writer._take({ours}, 10)) == ["a", "b"]
    assert labels(writer.waiting) == ["x", "y"]


def test_a_batch_takes_no_more_than_it_has_room_for() -> None:
    ours = uuid.uuid4()
    writer = NotesWriter()
    writer.waiting.extend([queued(ours, label) for label in "abcd"])
    assert labels(writer._take({ours}, 3)) == ["a", "b", "c"]
    assert labels(writer.waiting) == ["d"]
    assert writer._take({ours}, 0) == []
    assert labels(writer.waiting) == ["d"]


def test_nothing_waiting_hands_over_nothing() -> None:
    writer = NotesWriter()
    assert writer._take({uuid.uuid4()}, 10) == []
