"""Merging concurrent edits of a room's notes (convenor.live.merge): nobody's typing is lost."""

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.live.merge import Splice, base_text, merge, rebase, splice_between
from convenor.live.models import RoomNotes
from convenor.live.notes import Save, _apply

TEXT = st.text(alphabet="ab \n", max_size=30)


@st.composite
def edits(draw: st.DrawFn, text: str, marker: str) -> Splice:
    """A random edit of `text` that adds `marker`, a character no text or other edit has."""
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    before, after = draw(st.text(alphabet="ab", max_size=3)), draw(st.text("ab", max_size=3))
    return Splice(start, text[start:end], before + marker + after)


@given(TEXT, TEXT)
def test_splice_between_is_the_change_and_as_small_as_one_splice_can_be(old: str, new: str) -> None:
    splice = splice_between(old, new)
    assert splice.apply(old) == new
    assert splice.undo(new) == old
    if old != new:
        # Nothing in common is left at either end of it.
        assert not (splice.removed and splice.inserted and splice.removed[0] == splice.inserted[0])
        assert not (
            splice.removed and splice.inserted and splice.removed[-1] == splice.inserted[-1]
        )


@settings(max_examples=500)
@given(st.data(), TEXT)
def test_two_writers_from_one_base_both_keep_their_additions(
    data: st.DataObject, base: str
) -> None:
    latest = data.draw(edits(base, "T")).apply(base)
    mine = data.draw(edits(base, "M")).apply(base)
    merged = merge(latest, base, mine, [splice_between(base, latest)])
    assert "T" in merged and "M" in merged
    theirs, ours = splice_between(base, latest), splice_between(base, mine)
    # Text neither of them touched is still there, in order.
    low, high = min(theirs.at, ours.at), max(theirs.end, ours.end)
    assert merged.startswith(base[:low]) and merged.endswith(base[high:])
    if ours.end < theirs.at or theirs.end < ours.at:
        # Apart: exactly both edits.
        first, second = sorted([theirs, ours], key=lambda s: s.at)
        assert merged == first.apply(second.apply(base))
    # Nothing was both kept and doubled: each marker once.
    assert merged.count("T") == 1 and merged.count("M") == 1


@settings(max_examples=500)
@given(st.data(), TEXT)
def test_a_writer_several_saves_behind_keeps_everyone_s_additions(
    data: st.DataObject, base: str
) -> None:
    texts = [base]
    for marker in "XYZ":
        texts.append(data.draw(edits(texts[-1], marker)).apply(texts[-1]))
    since = [splice_between(a, b) for a, b in zip(texts, texts[1:], strict=False)]
    latest = texts[-1]
    assert base_text(latest, since) == base
    mine = data.draw(edits(base, "M")).apply(base)
    merged = merge(latest, base, mine, since)
    # What the later writers added and did not themselves remove is still there, once.
    for marker in "XYZ":
        assert merged.count(marker) == latest.count(marker)
    assert merged.count("M") == 1
    # With nothing of ours to add, the latest text is what it was.
    assert merge(latest, base, base, since) == latest


def test_the_common_cases_read_as_a_person_would_expect() -> None:
    base = "Ideas:\n"
    theirs = base + "- shared data\n"
    mine = base + "- one budget\n"
    # Both added at the end: theirs first (saved first), then mine.
    assert merge(theirs, base, mine, [splice_between(base, theirs)]) == (
        "Ideas:\n- shared data\n- one budget\n"
    )
    # A fix at the top and an addition at the end.
    fixed = "Our ideas:\n"
    assert merge(fixed, base, mine, [splice_between(base, fixed)]) == "Our ideas:\n- one budget\n"
    # Deleting a line someone else has just extended keeps their addition.
    base = "a\nb\nc\n"
    extended = "a\nb and more\nc\n"
    deleted = "a\nc\n"
    assert merge(extended, base, deleted, [splice_between(base, extended)]) == "a\n and morec\n"


def test_rebase_ties_put_the_later_writer_after() -> None:
    over = Splice(2, "", "XY")
    assert rebase([(2, 2, "m")], over) == [(4, 4, "m")]  # both added at 2
    assert rebase([(0, 2, "")], over) == [(0, 2, "")]  # removed up to where they added
    assert rebase([(3, 5, "z")], over) == [(5, 7, "z")]  # after
    # Overlapping: what we removed before stays removed, theirs stays, ours comes after it.
    assert rebase([(1, 4, "m")], Splice(2, "c", "C")) == [(1, 2, ""), (3, 4, "m")]


def _saved_in_turn(base: str, writers: list[str]) -> str:
    """What the server stores when each of `writers` saves an edit of `base`, in turn."""
    notes = RoomNotes(number=1, text=base, rev=0, recent=[])
    group = uuid.uuid4()
    for text in writers:
        save = Save(uuid.uuid4(), uuid.uuid4(), group, text, 0)
        assert _apply(notes, save, text).kind == "saved"
    return notes.text


def test_a_merged_save_keeps_its_additions_whole_for_the_next_one() -> None:
    # The second writer adds "\nY\n" before the second "a", which the first replaced with X;
    # the third takes out the last two newlines and adds Z. Before, the second save was kept
    # as one splice that began a character later, and the third then landed inside it,
    # giving "a\nXY\n\nZ": the newline typed before Y had moved after it.
    merged = _saved_in_turn("a\na\n\n", ["a\nX\n\n", "a\n\nY\na\n\n", "a\naZ"])
    assert merged == "a\nX\nY\nZ"


@settings(max_examples=1500)
@given(st.data(), st.text(alphabet="a\n", max_size=12))
def test_writers_saving_in_turn_from_one_base_each_keep_their_addition_whole(
    data: st.DataObject, base: str
) -> None:
    writers = [data.draw(edits(base, marker)).apply(base) for marker in "XYZ"]
    merged = _saved_in_turn(base, writers)
    for mine in writers:
        # What this writer typed, as the server reads it from their text, is there unbroken.
        assert splice_between(base, mine).inserted in merged


def test_saves_kept_in_the_older_one_splice_form_are_still_merged_past() -> None:
    notes = RoomNotes(
        number=1, text="Ideas: data", rev=1, recent=[{"rev": 1, "splice": [7, "", "data"]}]
    )
    save = Save(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "Our ideas: ", 0)
    outcome = _apply(notes, save, save.text)
    assert (outcome.kind, outcome.rev, notes.text) == ("saved", 2, "Our ideas: data")
    assert notes.recent[-1]["splices"] == [[0, "I", "Our i"]]
