"""Pairing-preference actions: add, remove, read for matching, CSV import; refusals."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from convenor.programmes import actions, pairs
from convenor.programmes.models import PairPreference, Participant, Programme


def person(programme: Programme, facilitator: Any, name: str, **extra: str) -> Participant:
    return actions.add_participant(programme, facilitator, display_name=name, **extra)


@pytest.fixture
def ann(programme: Programme, facilitator: Any) -> Participant:
    return person(programme, facilitator, "Ann", external_id="a1", email="ann@example.org")


@pytest.fixture
def ben(programme: Programme, facilitator: Any) -> Participant:
    return person(programme, facilitator, "Ben", external_id="b2", email="Ben@Example.org")


@pytest.fixture
def cat(programme: Programme, facilitator: Any) -> Participant:
    return person(programme, facilitator, "Cat", external_id="c3")


def test_add_stores_the_pair_in_id_order_whichever_way_it_is_given(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant
) -> None:
    low, high = sorted([ann, ben], key=lambda p: p.pk)
    made = pairs.add_pair_preference(programme, facilitator, high, low, "avoid")
    assert (made.person_a, made.person_b, made.kind) == (low, high, "avoid")
    assert made.created_by == facilitator
    assert pairs.pair_preferences(programme) == ([(str(low.pk), str(high.pk))], [])


def test_pair_preferences_splits_kinds_and_filters_to_those_present(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant, cat: Participant
) -> None:
    pairs.add_pair_preference(programme, facilitator, ann, ben, "avoid")
    pairs.add_pair_preference(programme, facilitator, ben, cat, "want")
    avoid, want = pairs.pair_preferences(programme)
    assert [set(p) for p in avoid] == [{str(ann.pk), str(ben.pk)}]
    assert [set(p) for p in want] == [{str(ben.pk), str(cat.pk)}]
    avoid, want = pairs.pair_preferences(programme, among={str(ben.pk), str(cat.pk)})
    assert avoid == [] and len(want) == 1


@pytest.mark.parametrize("kind", ["avoid", "want"])
def test_a_duplicate_or_a_contradiction_is_refused(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant, kind: str
) -> None:
    pairs.add_pair_preference(programme, facilitator, ann, ben, "avoid")
    with pytest.raises(ValidationError, match="Ben and Ann already have a preference"):
        pairs.add_pair_preference(programme, facilitator, ben, ann, kind)
    assert list(PairPreference.objects.values_list("kind", flat=True)) == ["avoid"]


def test_bad_pairs_are_refused_and_nothing_is_saved(
    programme: Programme, facilitator: Any, outsider: Any, ann: Participant, ben: Participant
) -> None:
    elsewhere = Programme.objects.exclude(pk=programme.pk).get()
    stranger = person(elsewhere, outsider, "Stranger")
    with pytest.raises(ValidationError, match="two different people"):
        pairs.add_pair_preference(programme, facilitator, ann, ann, "avoid")
    with pytest.raises(ValidationError, match="must be in this programme"):
        pairs.add_pair_preference(programme, facilitator, ann, stranger, "avoid")
    with pytest.raises(ValidationError, match="keep them apart or"):
        pairs.add_pair_preference(programme, facilitator, ann, ben, "maybe")
    actions.archive_programme(programme, facilitator)
    with pytest.raises(ValidationError, match="archived"):
        pairs.add_pair_preference(programme, facilitator, ann, ben, "want")
    assert not PairPreference.objects.exists()


def test_the_database_holds_one_ordered_row_per_pair(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant
) -> None:
    low, high = sorted([ann, ben], key=lambda p: p.pk)
    PairPreference.objects.create(programme=programme, person_a=low, person_b=high, kind="avoid")
    with pytest.raises(IntegrityError), transaction.atomic():
        PairPreference.objects.create(programme=programme, person_a=low, person_b=high, kind="want")
    with pytest.raises(IntegrityError), transaction.atomic():
        PairPreference.objects.create(programme=programme, person_a=high, person_b=low, kind="want")


def test_remove_forgets_the_preference(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant
) -> None:
    made = pairs.add_pair_preference(programme, facilitator, ann, ben, "want")
    assert pairs.find_pair_preference(programme, made.pk) == made
    pairs.remove_pair_preference(made, facilitator)
    assert not PairPreference.objects.exists()
    assert pairs.find_pair_preference(programme, made.pk) is None
    assert pairs.find_pair_preference(programme, "not-a-uuid") is None


def test_removing_a_person_removes_their_preferences_only(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant, cat: Participant
) -> None:
    pairs.add_pair_preference(programme, facilitator, ann, ben, "avoid")
    pairs.add_pair_preference(programme, facilitator, ann, cat, "want")
    kept = pairs.add_pair_preference(programme, facilitator, ben, cat, "want")
    actions.remove_participant(ann, facilitator)
    assert list(PairPreference.objects.all()) == [kept]


def test_another_programmes_preference_is_not_found(
    programme: Programme, facilitator: Any, outsider: Any
) -> None:
    elsewhere = Programme.objects.exclude(pk=programme.pk).get()
    x, y = person(elsewhere, outsider, "X"), person(elsewhere, outsider, "Y")
    theirs = pairs.add_pair_preference(elsewhere, outsider, x, y, "avoid")
    assert pairs.find_pair_preference(programme, theirs.pk) is None


# --- CSV import -----------------------------------------------------------------------------


def test_import_adds_every_pair_by_id_or_email(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant, cat: Participant
) -> None:
    rows = pairs.read_pairs_csv(
        b"\xef\xbb\xbfperson_a,person_b\r\na1,BEN@example.org\r\n\r\nc3,a1\r\n"
    )
    assert [(r.line, r.first, r.second) for r in rows] == [
        (2, "a1", "BEN@example.org"),
        (4, "c3", "a1"),
    ]
    made = pairs.import_pair_preferences(programme, facilitator, rows, "avoid")
    assert len(made) == 2
    avoid, want = pairs.pair_preferences(programme)
    assert {frozenset(p) for p in avoid} == {
        frozenset({str(ann.pk), str(ben.pk)}),
        frozenset({str(ann.pk), str(cat.pk)}),
    }
    assert want == []


def test_import_with_any_bad_line_adds_nothing_and_names_every_problem(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant, cat: Participant
) -> None:
    pairs.add_pair_preference(programme, facilitator, ann, cat, "want")
    rows = pairs.read_pairs_csv(b"a1,b2\nb2,a1\na1,a1\nzz,b2\nc3,a1\n")
    with pytest.raises(pairs.PairsRefused) as refused:
        pairs.import_pair_preferences(programme, facilitator, rows, "avoid")
    assert refused.value.problems == (
        "Line 2: Ben and Ann already have a preference (in the programme or earlier in the file).",
        "Line 3: names the same person twice.",
        'Line 4: nobody in this programme has the id or email "zz".',
        "Line 5: Cat and Ann already have a preference (in the programme or earlier in the file).",
    )
    assert PairPreference.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no pairs"),
        (b"person_a,person_b\n", "no pairs"),
        (b"a1,b2,c3\n", "1 line has a problem"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'a1,"b2\n', "not valid CSV"),
        (b"a," * 200_000, "larger than"),
    ],
)
def test_unreadable_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        pairs.read_pairs_csv(data)


def test_import_refuses_an_archived_programme(
    programme: Programme, facilitator: Any, ann: Participant, ben: Participant
) -> None:
    rows = pairs.read_pairs_csv(b"a1,b2\n")
    actions.archive_programme(programme, facilitator)
    with pytest.raises(ValidationError, match="archived"):
        pairs.import_pair_preferences(programme, facilitator, rows, "want")
    assert not PairPreference.objects.exists()
