"""Multi-round schedules: sizes, zero repeats where a repeat-free plan exists, history, seeds."""

from __future__ import annotations

import time
from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.matching import _tabu, _tabu_cyclic
from convenor.matching._search import group_sizes as match_group_sizes
from convenor.matching.schedule import _spread_repeats, group_sizes, schedule

Plan = list[list[list[int]]]


def meetings(plan: Plan) -> Counter[tuple[int, int]]:
    return Counter(pair for groups in plan for g in groups for pair in combinations(sorted(g), 2))


def repeats(plan: Plan, met: dict[tuple[int, int], int] | None = None) -> int:
    seen = meetings(plan)
    inside = sum(times - 1 for times in seen.values())
    return inside + sum(1 for pair in seen if met and pair in met)


def assert_partitions(plan: Plan, n: int, size: int, rounds: int) -> None:
    assert len(plan) == rounds
    expected = sorted(group_sizes(n, size))
    for groups in plan:
        assert sorted(p for g in groups for p in g) == list(range(n))
        assert sorted(len(g) for g in groups) == expected


@pytest.mark.parametrize(
    ("n", "size", "rounds"),
    [
        (30, 2, 29),  # round robin
        (100, 2, 99),
        (11, 2, 7),  # odd: pairs and one three, n - 4 rounds
        (101, 2, 97),
        (32, 4, 9),  # 8 groups of 4 for 9 rounds: transversal design plus split columns
        (25, 5, 6),  # affine plane of order 5
        (27, 3, 13),  # AG(3, 3)
        (18, 3, 8),  # stored cyclic designs
        (24, 4, 6),
        (21, 3, 10),
        (30, 3, 13),
    ],
)
def test_designs_reach_zero_repeats_at_once(n: int, size: int, rounds: int) -> None:
    started = time.perf_counter()
    plan = schedule(n, size, rounds, seed=3)
    assert time.perf_counter() - started < 1.0
    assert_partitions(plan, n, size, rounds)
    assert repeats(plan) == 0


@pytest.mark.parametrize(
    ("n", "size", "rounds"),
    [
        (15, 3, 7),  # Kirkman's schoolgirls, found by the cyclic search
        (9, 2, 6),  # odd pairs below 11: the general search from a round robin on 8
        (33, 4, 7),  # 8 groups, one of five: a design for 32 plus one person, repaired
    ],
)
def test_search_reaches_zero_repeats(n: int, size: int, rounds: int) -> None:
    plan = schedule(n, size, rounds, seed=1, time_limit=20.0)
    assert_partitions(plan, n, size, rounds)
    assert repeats(plan) == 0


@pytest.mark.parametrize(
    ("n", "size", "rounds", "layout"),
    [(24, 4, 6, (3, 8, 0)), (18, 3, 8, (4, 4, 2)), (30, 3, 13, (13, 2, 4))],
)
def test_cyclic_search_finds_the_stored_kind_of_design(
    n: int, size: int, rounds: int, layout: tuple[int, int, int]
) -> None:
    # The stored designs came from this search; it must still find such designs by itself.
    assert layout in _tabu_cyclic.layouts(n, group_sizes(n, size), rounds)
    plan = _tabu_cyclic.search(
        group_sizes(n, size),
        rounds,
        layout,
        rng=np.random.default_rng(0),
        deadline=time.monotonic() + 60,
        max_iterations=20_000,
    )
    assert int(_tabu.pair_counts(plan).max()) == 1


def test_beyond_a_complete_design_repeats_are_the_oldest() -> None:
    # 30 people have 29 repeat-free rounds of pairs; round 30 must repeat everyone, and the
    # pairs repeated should be those of the plan's first round.
    plan = schedule(30, 2, 31, seed=2)
    assert_partitions(plan, 30, 2, 31)
    assert repeats(plan) == 30
    assert sorted(plan[29]) == sorted(plan[0]) and sorted(plan[30]) == sorted(plan[1])


@pytest.mark.parametrize(
    ("n", "size", "rounds"),
    [(20, 2, 5), (15, 3, 4), (30, 4, 3), (15, 3, 7), (9, 2, 6), (33, 4, 7)],
)
def test_same_seed_same_plan_and_other_seeds_differ(n: int, size: int, rounds: int) -> None:
    # Designs, the cyclic search and the general search (when they finish before the time
    # limit, which these do with room to spare) depend only on the seed.
    first = schedule(n, size, rounds, seed=7, time_limit=60.0)
    assert schedule(n, size, rounds, seed=7, time_limit=60.0) == first
    assert schedule(n, size, rounds, seed=8, time_limit=60.0) != first


def test_met_pairs_are_avoided_when_possible() -> None:
    # Five earlier rounds of pairs for 20 people: 15 more rounds exist that meet nobody again.
    history = schedule(20, 2, 5, seed=11)
    met = {
        pair: r
        for r, groups in enumerate(history)
        for g in groups
        for pair in combinations(sorted(g), 2)
    }
    plan = schedule(20, 2, 6, seed=4, met=met)
    assert_partitions(plan, 20, 2, 6)
    assert repeats(plan, met) == 0


def test_unavoidable_repeats_fall_on_the_pairs_that_met_longest_ago() -> None:
    # Four people have met everyone; of the three possible pairings, {0,2}+{1,3} is oldest.
    met = {(0, 1): 5, (2, 3): 5, (0, 3): 3, (1, 2): 3, (0, 2): 1, (1, 3): 1}
    for seed in range(5):
        assert schedule(4, 2, 1, seed=seed, met=met) == [[[0, 2], [1, 3]]]


def test_repeats_inside_a_plan_are_spread_apart() -> None:
    # Five rounds of 8 people in pairs where rounds 0 and 1 are the same: reordering puts the
    # twins first and last, so each repeated pair has four rounds between its meetings.
    rounds = [[0, 0, 1, 1, 2, 2, 3, 3], [0, 0, 1, 1, 2, 2, 3, 3]]
    rounds += [[0, 1, 0, 1, 2, 3, 2, 3], [0, 1, 1, 0, 2, 3, 3, 2], [0, 1, 2, 3, 0, 1, 2, 3]]
    spread = _spread_repeats(np.array(rounds))
    assert sorted(map(tuple, spread.tolist())) == sorted(map(tuple, rounds))
    assert spread[0].tolist() == rounds[0] and spread[4].tolist() == rounds[0]


def test_a_plan_beyond_the_limit_has_the_fewest_repeats_there_can_be() -> None:
    # 9 people in threes meet at most 8 others each: the fifth round repeats at least 9 pairs
    # (every one of its 9 pairs, since AG(2, 3) has used up all 36 pairs in four rounds).
    plan = schedule(9, 3, 5, seed=0, time_limit=2.0)
    assert_partitions(plan, 9, 3, 5)
    assert repeats(plan) == 9


def test_seven_people_in_pairs_stop_at_the_known_limit() -> None:
    # Three repeat-free rounds exist; a fourth must repeat (checked exhaustively), so the
    # search stops at one repeat instead of running out its time.
    assert repeats(schedule(7, 2, 3, seed=0)) == 0
    started = time.perf_counter()
    plan = schedule(7, 2, 4, seed=0, time_limit=30.0)
    assert repeats(plan) == 1
    assert time.perf_counter() - started < 10.0


def test_group_sizes_agree_with_match() -> None:
    # `plan` only accepts a schedule whose rounds have exactly the sizes `match` would use.
    for n in range(2, 200):
        for size in range(2, 12):
            assert sorted(group_sizes(n, size)) == sorted(match_group_sizes(n, size)), (n, size)


def test_large_counts_use_the_design_without_pair_tables() -> None:
    started = time.perf_counter()
    plan = schedule(20_001, 2, 3, seed=5)
    assert time.perf_counter() - started < 5.0
    assert_partitions(plan, 20_001, 2, 3)
    assert repeats(plan) == 0


def test_large_counts_without_a_design_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="plan round by round"):
        schedule(5_000, 3, 2)


def test_numpy_integers_are_accepted_in_met() -> None:
    met = {(np.int64(0), np.int64(1)): np.int64(4)}
    plan = schedule(6, 2, 4, seed=1, met=met)  # type: ignore[arg-type]
    assert_partitions(plan, 6, 2, 4)
    assert repeats(plan) == 0 and [0, 1] not in [g for groups in plan for g in groups]


def test_group_sizes_spread_the_remainder() -> None:
    assert group_sizes(10, 3) == [4, 3, 3]
    assert group_sizes(11, 2) == [3, 2, 2, 2, 2]
    assert group_sizes(3, 4) == [3]
    # A remainder too big to spread one per group: sizes as close to the target as possible.
    assert group_sizes(7, 4) == [4, 3]
    assert group_sizes(11, 4) == [4, 4, 3]
    assert group_sizes(14, 5) == [5, 5, 4]
    assert group_sizes(1, 2) == [1]
    assert group_sizes(0, 2) == []


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=40),
    size=st.integers(min_value=2, max_value=6),
    rounds=st.integers(min_value=0, max_value=6),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_every_round_partitions_everyone(n: int, size: int, rounds: int, seed: int) -> None:
    plan = schedule(n, size, rounds, seed=seed, time_limit=0.1)
    assert len(plan) == rounds
    for groups in plan:
        assert sorted(p for g in groups for p in g) == list(range(n))
        assert sorted(len(g) for g in groups) == sorted(group_sizes(n, size))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"n": -1, "size": 2, "rounds": 1}, "n must be"),
        ({"n": 4, "size": 1, "rounds": 1}, "size must be"),
        ({"n": 4, "size": 2, "rounds": -1}, "rounds must be"),
        ({"n": 4, "size": 2, "rounds": 1, "met": {(2, 1): 0}}, "0 <= i < j < n"),
        ({"n": 4, "size": 2, "rounds": 1, "met": {(1, 4): 0}}, "0 <= i < j < n"),
        ({"n": 4, "size": 2, "rounds": 1, "time_limit": 0}, "time_limit"),
    ],
)
def test_bad_input_is_rejected(args: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        schedule(**args)  # type: ignore[arg-type]
