"""Live rounds honour the programme's pairing preferences: avoid pairs apart, want pairs together.

Each round is deleted after it is read, so every seed starts with no history of who met whom
(history would otherwise decide the later rounds by itself).
"""

from typing import Any

import pytest

from convenor.live import actions
from convenor.live.models import GroupMember, Round
from convenor.programmes import actions as programme_actions
from convenor.programmes import pairs
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session

SEEDS = range(30)

# Distinct organisations; Ada and Bo also differ in sector, so the mixing rules alone give no
# reason to keep them apart or to put them together.
PEOPLE = [
    ("Ada", "County Council", "Local government"),
    ("Bo", "NHS Trust", "Health"),
    ("Cy", "City Council", "Local government"),
    ("Di", "GP Federation", "Health"),
    ("Ed", "Food Bank", "Voluntary sector"),
    ("Fi", "Active Partnership", "Voluntary sector"),
]


@pytest.fixture
def people(programme: Programme, facilitator: Any) -> list[Participant]:
    return [
        programme_actions.add_participant(
            programme, facilitator, display_name=name, organisation=org, sector=sector
        )
        for name, org, sector in PEOPLE
    ]


def connect(session: Session, people: list[Participant]) -> None:
    for person in people:
        actions.do_connect(session, f"test.{person.pk}", participant=person)


def together(round_: Round, a: Participant, b: Participant) -> bool:
    groups = dict(GroupMember.objects.filter(round=round_).values_list("participant_id", "group"))
    return a.pk in groups and groups[a.pk] == groups.get(b.pk)


def times_together(session: Session, facilitator: Any, a: Participant, b: Participant) -> int:
    count = 0
    for seed in SEEDS:
        round_ = actions.do_start_round(session, facilitator, size=2, seed=seed)
        count += together(round_, a, b)
        round_.delete()
    return count


def test_an_avoid_pair_never_shares_a_group(
    session: Session, facilitator: Any, programme: Programme, people: list[Participant]
) -> None:
    ada, bo = people[0], people[1]
    connect(session, people)
    assert times_together(session, facilitator, ada, bo) > 0, "control: chance pairs them"
    pairs.add_pair_preference(programme, facilitator, bo, ada, "avoid")
    assert times_together(session, facilitator, ada, bo) == 0


def test_a_want_pair_shares_a_group_when_no_repeat_blocks_it(
    session: Session, facilitator: Any, programme: Programme, people: list[Participant]
) -> None:
    ada, bo = people[0], people[1]
    connect(session, people)
    assert times_together(session, facilitator, ada, bo) < len(SEEDS), "control: not always"
    pairs.add_pair_preference(programme, facilitator, ada, bo, "want")
    assert times_together(session, facilitator, ada, bo) == len(SEEDS)


def test_a_want_pair_that_already_met_meets_someone_new(
    session: Session, facilitator: Any, programme: Programme, people: list[Participant]
) -> None:
    ada, bo = people[0], people[1]
    connect(session, people)
    pairs.add_pair_preference(programme, facilitator, ada, bo, "want")
    first = actions.do_start_round(session, facilitator, size=2, seed=1)
    assert together(first, ada, bo)
    actions.do_end_round(first, facilitator)
    second = actions.do_start_round(session, facilitator, size=2, seed=2)
    assert not together(second, ada, bo), "having met, they meet someone new"


def test_a_preference_naming_someone_absent_does_not_stop_a_round(
    session: Session, facilitator: Any, programme: Programme, people: list[Participant]
) -> None:
    ada, bo, cy = people[0], people[1], people[2]
    pairs.add_pair_preference(programme, facilitator, ada, bo, "avoid")
    pairs.add_pair_preference(programme, facilitator, bo, cy, "want")
    connect(session, people[2:])  # Ada and Bo are not here.
    round_ = actions.do_start_round(session, facilitator, size=2, seed=3)
    assert GroupMember.objects.filter(round=round_).count() == 4


def test_a_latecomer_is_not_placed_with_someone_they_avoid(
    session: Session, facilitator: Any, programme: Programme, people: list[Participant]
) -> None:
    late = people[4]
    connect(session, people[:4])

    def joins_partner_of(person: Participant, seed: int) -> bool:
        round_ = actions.do_start_round(session, facilitator, size=2, seed=seed)
        actions.do_add_latecomer(round_, late)
        joined = together(round_, late, person)
        round_.delete()
        return joined

    ada = people[0]
    control = sum(joins_partner_of(ada, seed) for seed in SEEDS)
    assert control > 0, "control: a latecomer sometimes joins Ada's pair"
    pairs.add_pair_preference(programme, facilitator, ada, late, "avoid")
    assert sum(joins_partner_of(ada, seed) for seed in SEEDS) == 0


def test_two_people_who_avoid_each_other_are_left_waiting_not_paired(
    session: Session, facilitator: Any, programme: Programme, people: list[Participant]
) -> None:
    ada, bo = people[0], people[1]
    pairs.add_pair_preference(programme, facilitator, ada, bo, "avoid")
    connect(session, [ada, bo])
    round_ = actions.do_start_round(session, facilitator, size=2, seed=4)
    assert not GroupMember.objects.filter(round=round_).exists()
    assert set(round_.waiting.all()) == {ada, bo}
